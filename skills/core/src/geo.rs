//! Distances and bearings on the WGS84 sphere (haversine; mean Earth radius 6371.0088 km).
//! Accurate to about 0.5 % at study-area scales, which is what camera spacing needs.

/// Mean Earth radius, km (IUGG).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance between two points, km.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360).
pub fn bearing_deg(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (y.atan2(x).to_degrees() + 360.0) % 360.0
}

/// The eight-point compass name of a bearing (`N`, `NE`, ...).
pub fn compass(bearing_deg: f64) -> &'static str {
    const NAMES: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    let i = (((bearing_deg % 360.0 + 360.0) % 360.0 + 22.5) / 45.0) as usize % 8;
    NAMES[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances_and_bearings() {
        // One degree of latitude is ~111.2 km on this sphere.
        assert!((distance_km(45.0, -111.0, 46.0, -111.0) - 111.195).abs() < 0.01);
        // Paris -> London, about 343.5 km by haversine, bearing ~330 degrees.
        let d = distance_km(48.8566, 2.3522, 51.5074, -0.1278);
        assert!((d - 343.5).abs() < 1.0, "{d}");
        let b = bearing_deg(48.8566, 2.3522, 51.5074, -0.1278);
        assert!((b - 330.0).abs() < 1.5, "{b}");
        assert_eq!(compass(b), "NW");
        assert_eq!(compass(0.0), "N");
        assert_eq!(compass(359.0), "N");
        assert_eq!(compass(95.0), "E");
    }
}
