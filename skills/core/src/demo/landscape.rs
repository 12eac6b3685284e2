//! The demo landscape: a (synthetic) valley in the Rocky Mountain foothills south of
//! Bozeman, Montana. Cedar Creek runs north-north-east along the valley floor; a forested
//! ridge (South Ridge, North Ridge) lines the west side; aspen meadows and a berry patch lie
//! on the east bench; two water sources (a spring seep and an elk wallow) and a beaver-pond
//! reach; a hiking trailhead and a forest-road gate at the south end.

use crate::model::FeatureType;

/// Study origin (the axis origin): 45.560 N, 111.030 W.
pub(super) const ORIGIN_LAT: f64 = 45.560;
/// Study origin longitude.
pub(super) const ORIGIN_LON: f64 = -111.030;
/// Camera clocks: UTC-06:00 (Mountain Daylight Time).
pub(super) const UTC_OFFSET_MIN: i32 = -360;
/// Bearing of the valley axis and of the elk migration, degrees from north.
pub(super) const AXIS_BEARING_DEG: f64 = 15.0;
/// Trail sinuosity: corridor length over straight-line distance.
pub(super) const SINUOSITY: f64 = 1.25;

/// Habitat classes that drive species preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hab {
    Creek = 0,
    Water = 1,
    Meadow = 2,
    Berries = 3,
    Forest = 4,
    Ridge = 5,
    Trailhead = 6,
    Road = 7,
}

/// Names of the habitat classes, in index order (for the ground truth).
pub(super) const HAB_NAMES: [&str; 8] = [
    "creek",
    "water",
    "meadow",
    "berries",
    "forest",
    "ridge",
    "trailhead",
    "road",
];

/// One camera station.
#[derive(Debug)]
pub(super) struct CamSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub site: &'static str,
    pub habitat: &'static str,
    pub feature: FeatureType,
    pub hab: Hab,
    /// Kilometres east of the origin.
    pub x: f64,
    /// Kilometres north of the origin.
    pub y: f64,
    pub model: &'static str,
    pub height_m: f64,
    pub tilt_deg: f64,
    pub heading_deg: f64,
    pub detection_distance_m: f64,
    pub battery_pct: Option<f64>,
}

const RECONYX: &str = "Reconyx HyperFire 2";
const BROWNING: &str = "Browning Recon Force Elite HP5";
const BUSHNELL: &str = "Bushnell Core DS-4K";
const SPYPOINT: &str = "Spypoint Flex (cellular)";

#[allow(clippy::too_many_arguments)]
const fn cam(
    id: &'static str,
    name: &'static str,
    site: &'static str,
    habitat: &'static str,
    feature: FeatureType,
    hab: Hab,
    (x, y): (f64, f64),
    model: &'static str,
    height_m: f64,
    heading_deg: f64,
    detection_distance_m: f64,
    battery_pct: Option<f64>,
) -> CamSpec {
    CamSpec {
        id,
        name,
        site,
        habitat,
        feature,
        hab,
        x,
        y,
        model,
        height_m,
        tilt_deg: if height_m < 0.7 { 0.0 } else { -5.0 },
        heading_deg,
        detection_distance_m,
        battery_pct,
    }
}

/// The cameras, south to north (roughly).
#[rustfmt::skip]
pub(super) const CAMS: &[CamSpec] = &[
    cam("TRAIL-01", "Trailhead", "Cedar Creek", "sagebrush at the trailhead", FeatureType::TrailHiking, Hab::Trailhead, (0.3, -0.6), BROWNING, 1.2, 250.0, 18.0, Some(86.0)),
    cam("ROAD-01", "Forest road gate", "Cedar Creek", "sagebrush grassland", FeatureType::RoadDirt, Hab::Road, (1.5, -0.2), BUSHNELL, 1.4, 300.0, 25.0, None),
    cam("CREEK-01", "Creek crossing", "Cedar Creek", "riparian willow", FeatureType::TrailGame, Hab::Creek, (0.6, 0.8), RECONYX, 0.9, 95.0, 15.0, Some(72.0)),
    cam("RIDGE-01", "South ridge spur", "South Ridge", "Douglas-fir forest", FeatureType::TrailGame, Hab::Ridge, (-1.4, 1.4), RECONYX, 1.0, 80.0, 20.0, None),
    cam("CREEK-02", "Beaver ponds", "Cedar Creek", "riparian wetland with beaver ponds", FeatureType::WaterSource, Hab::Water, (0.4, 2.9), RECONYX, 0.8, 110.0, 20.0, Some(64.0)),
    cam("SPRING-01", "Spring seep", "Spring Gulch", "mixed conifer around a spring", FeatureType::WaterSource, Hab::Water, (-0.6, 3.6), SPYPOINT, 1.0, 40.0, 15.0, Some(41.0)),
    cam("CREEK-03", "Creek bend", "Cedar Creek", "riparian cottonwood", FeatureType::TrailGame, Hab::Creek, (0.9, 4.6), RECONYX, 0.9, 280.0, 15.0, None),
    cam("MEADOW-01", "Meadow edge", "Aspen Meadow", "aspen edge of a montane meadow", FeatureType::TrailGame, Hab::Meadow, (2.1, 5.4), BROWNING, 1.1, 230.0, 25.0, Some(93.0)),
    cam("MEADOW-02", "Berry patch", "Aspen Meadow", "serviceberry and chokecherry thicket", FeatureType::FruitingTree, Hab::Berries, (3.0, 6.9), BUSHNELL, 1.0, 200.0, 12.0, None),
    cam("RIDGE-02", "Timber saddle", "North Ridge", "lodgepole pine forest", FeatureType::TrailGame, Hab::Ridge, (-1.8, 6.3), RECONYX, 1.0, 100.0, 20.0, None),
    cam("FOREST-01", "Midden bench", "Timber Bench", "old-growth Douglas-fir with squirrel middens", FeatureType::TrailGame, Hab::Forest, (-0.5, 8.2), RECONYX, 0.7, 120.0, 10.0, Some(55.0)),
    cam("CREEK-04", "Upper creek ford", "Cedar Creek", "riparian willow", FeatureType::TrailGame, Hab::Creek, (1.3, 9.0), RECONYX, 0.9, 265.0, 15.0, None),
    cam("MEADOW-03", "Upper meadow", "Aspen Meadow", "subalpine meadow", FeatureType::TrailGame, Hab::Meadow, (2.8, 10.6), BROWNING, 1.2, 250.0, 30.0, Some(78.0)),
    cam("RIDGE-03", "North ridge saddle", "North Ridge", "subalpine fir and whitebark pine", FeatureType::TrailGame, Hab::Ridge, (-1.0, 11.8), RECONYX, 1.0, 95.0, 20.0, None),
    cam("SPRING-02", "Elk wallow", "Aspen Meadow", "wet meadow with a wallow", FeatureType::WaterSource, Hab::Water, (1.9, 12.3), SPYPOINT, 1.0, 330.0, 15.0, Some(23.0)),
    cam("CREEK-05", "Headwater culvert", "Cedar Creek", "riparian, culvert under the forest road", FeatureType::Culvert, Hab::Creek, (1.2, 14.2), BUSHNELL, 0.6, 180.0, 8.0, None),
    cam("FOREST-02", "Dark timber", "Timber Bench", "spruce-fir forest", FeatureType::TrailGame, Hab::Forest, (0.2, 16.0), RECONYX, 0.9, 85.0, 15.0, None),
];

/// Corridors: (camera, camera, kind).
#[rustfmt::skip]
pub(super) const CORRIDORS: &[(&str, &str, &str)] = &[
    ("TRAIL-01", "CREEK-01", "hiking trail"),
    ("TRAIL-01", "RIDGE-01", "hiking trail"),
    ("TRAIL-01", "ROAD-01", "road"),
    ("ROAD-01", "CREEK-01", "road"),
    ("CREEK-01", "CREEK-02", "creek"),
    ("CREEK-02", "CREEK-03", "creek"),
    ("CREEK-03", "CREEK-04", "creek"),
    ("CREEK-04", "CREEK-05", "creek"),
    ("CREEK-05", "FOREST-02", "creek"),
    ("CREEK-01", "RIDGE-01", "game trail"),
    ("RIDGE-01", "SPRING-01", "game trail"),
    ("SPRING-01", "CREEK-02", "game trail"),
    ("SPRING-01", "CREEK-03", "game trail"),
    ("SPRING-01", "RIDGE-02", "game trail"),
    ("RIDGE-01", "RIDGE-02", "ridge trail"),
    ("RIDGE-02", "RIDGE-03", "ridge trail"),
    ("RIDGE-03", "FOREST-02", "ridge trail"),
    ("RIDGE-02", "FOREST-01", "game trail"),
    ("FOREST-01", "CREEK-04", "game trail"),
    ("FOREST-01", "RIDGE-03", "game trail"),
    ("CREEK-02", "MEADOW-01", "game trail"),
    ("CREEK-03", "MEADOW-01", "game trail"),
    ("MEADOW-01", "MEADOW-02", "game trail"),
    ("MEADOW-01", "CREEK-04", "game trail"),
    ("MEADOW-02", "CREEK-04", "game trail"),
    ("MEADOW-02", "MEADOW-03", "game trail"),
    ("MEADOW-03", "CREEK-04", "game trail"),
    ("MEADOW-03", "SPRING-02", "game trail"),
    ("SPRING-02", "CREEK-05", "game trail"),
    ("SPRING-02", "RIDGE-03", "game trail"),
];

/// Index of a camera by id (panics on a typo in the constant tables: a programming error).
pub(super) fn cam_index(id: &str) -> usize {
    CAMS.iter()
        .position(|c| c.id == id)
        .unwrap_or_else(|| panic!("unknown demo camera {id}"))
}

/// Kilometres per degree of latitude.
const KM_PER_DEG_LAT: f64 = 111.32;

/// Latitude and longitude of a point `x` km east and `y` km north of the origin.
pub(super) fn lat_lon(x: f64, y: f64) -> (f64, f64) {
    let lat = ORIGIN_LAT + y / KM_PER_DEG_LAT;
    let lon = ORIGIN_LON + x / (KM_PER_DEG_LAT * ORIGIN_LAT.to_radians().cos());
    // Six decimals (~0.1 m) as a GPS would report.
    ((lat * 1e6).round() / 1e6, (lon * 1e6).round() / 1e6)
}

/// Position along the migration axis, km.
pub(super) fn axis_km(x: f64, y: f64) -> f64 {
    let b = AXIS_BEARING_DEG.to_radians();
    x * b.sin() + y * b.cos()
}

/// Straight-line distance between cameras, km.
pub(super) fn straight_km(a: usize, b: usize) -> f64 {
    let (ca, cb) = (&CAMS[a], &CAMS[b]);
    ((ca.x - cb.x).powi(2) + (ca.y - cb.y).powi(2)).sqrt()
}

/// Compass bearing from camera `a` to camera `b`, degrees clockwise from north.
pub(super) fn bearing_deg(a: usize, b: usize) -> f64 {
    let (ca, cb) = (&CAMS[a], &CAMS[b]);
    (cb.x - ca.x).atan2(cb.y - ca.y).to_degrees().rem_euclid(360.0)
}

/// Adjacency lists: for each camera, (neighbour, corridor km), in corridor-table order.
pub(super) fn adjacency() -> Vec<Vec<(usize, f64)>> {
    let mut adj = vec![Vec::new(); CAMS.len()];
    for (a, b, _) in CORRIDORS {
        let (ia, ib) = (cam_index(a), cam_index(b));
        let d = corridor_km(ia, ib);
        adj[ia].push((ib, d));
        adj[ib].push((ia, d));
    }
    adj
}

/// Walking distance along a corridor, km (rounded to metres).
pub(super) fn corridor_km(a: usize, b: usize) -> f64 {
    (straight_km(a, b) * SINUOSITY * 1000.0).round() / 1000.0
}
