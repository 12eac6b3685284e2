//! Migration phenology: median detection date per camera regressed on the camera's
//! position along an axis (DOMAIN.md formula 10; the classic caribou-wave analysis).
//!
//! Ordinary least squares (e.g. Draper & Smith, *Applied Regression Analysis*, ch. 1;
//! R's `lm(date ~ position)`): slope `b = Sxy / Sxx`, `R^2 = Sxy^2 / (Sxx Syy)`,
//! `se(b) = sqrt(RSS / (n - 2) / Sxx)`, 95% interval `b +/- t_{0.975, n-2} se(b)`.
//! A positive slope (days per km) means the wave moves along the axis bearing at
//! `1 / b` km per day; a negative one, the opposite way.

/// One camera: position along the axis (km) and median detection date (days).
pub type Point = (f64, f64);

/// A straight-line fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineFit {
    /// Slope (y units per x unit).
    pub slope: f64,
    /// Intercept.
    pub intercept: f64,
    /// Coefficient of determination.
    pub r_squared: f64,
    /// Standard error of the slope (`NaN` with two points).
    pub slope_se: f64,
    /// Points used.
    pub n: usize,
}

/// Least-squares line through `points` (`None` with < 2 points or no spread in x).
pub fn fit_line(points: &[Point]) -> Option<LineFit> {
    let n = points.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / nf;
    let my = points.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - my).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let rss = (syy - slope * sxy).max(0.0);
    Some(LineFit {
        slope,
        intercept: my - slope * mx,
        r_squared: if syy > 0.0 { sxy * sxy / (sxx * syy) } else { 1.0 },
        slope_se: if n > 2 {
            (rss / (nf - 2.0) / sxx).sqrt()
        } else {
            f64::NAN
        },
        n,
    })
}

/// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom (table for 1..30,
/// then the Cornish-Fisher expansion around 1.959964, accurate to 1e-4 there).
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    if df == 0 {
        return f64::NAN;
    }
    if df <= 30 {
        return T[df - 1];
    }
    let z: f64 = 1.959_963_985;
    let d = df as f64;
    z + (z.powi(3) + z) / (4.0 * d) + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
}

/// Position (km) of a point `(east_km, north_km)` along an axis at compass `bearing_deg`
/// (clockwise from north): `east sin(b) + north cos(b)`.
pub fn project(east_km: f64, north_km: f64, bearing_deg: f64) -> f64 {
    let b = bearing_deg.to_radians();
    east_km * b.sin() + north_km * b.cos()
}

/// Local east/north kilometres of a latitude/longitude around an origin (equirectangular;
/// ample over a study area of tens of km). Earth radius 6371.0088 km (IUGG mean).
pub fn local_km(lat: f64, lon: f64, lat0: f64, lon0: f64) -> (f64, f64) {
    const R: f64 = 6371.0088;
    let east = (lon - lon0).to_radians() * R * lat0.to_radians().cos();
    let north = (lat - lat0).to_radians() * R;
    (east, north)
}

/// Fits the regression on the axis `bearing_deg`, or, when `None`, on the bearing in
/// 0..180 (step 1 degree) whose fit has the largest R^2. Returns the bearing used and the fit.
pub fn fit_wave(cameras: &[(f64, f64, f64)], bearing_deg: Option<f64>) -> Option<(f64, LineFit)> {
    let fit_at = |b: f64| {
        let pts: Vec<Point> = cameras.iter().map(|&(e, n, d)| (project(e, n, b), d)).collect();
        fit_line(&pts)
    };
    match bearing_deg {
        Some(b) => fit_at(b).map(|f| (b, f)),
        None => (0..180)
            .filter_map(|b| fit_at(f64::from(b)).map(|f| (f64::from(b), f)))
            .max_by(|a, b| a.1.r_squared.total_cmp(&b.1.r_squared)),
    }
}

/// Median of a non-empty slice (mean of the middle two for even lengths).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
