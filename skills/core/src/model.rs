//! The domain model: what a camera-trap study is made of.
//!
//! Times are UTC instants ([`Timestamp`], milliseconds since the Unix epoch in storage);
//! each [`Deployment`] carries the UTC offset its camera clock ran on, which is how times are
//! shown and exported (Camtrap DP wants ISO 8601 with an offset).
//!
//! Words follow Camtrap DP 1.0.2 and the camera-trap literature (see `ARCHITECTURE.md`):
//! a *camera* is the physical device at a station; a *deployment* is one operating window
//! of a camera at a location; a *malfunction* is a window inside a deployment when the camera
//! was not working (not effort); *media* are the files it took; a *detection* is one box on
//! one frame (Camtrap DP media-level observation); a *track* follows one animal across frames;
//! an *event* is a burst of activity on one camera (Camtrap DP event-level observation).

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A UTC instant with millisecond precision.
pub type Timestamp = DateTime<Utc>;

/// Milliseconds since the Unix epoch, the storage form of a [`Timestamp`].
pub fn to_ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

/// The inverse of [`to_ms`]. Out-of-range values clamp to the epoch (never panics).
pub fn from_ms(ms: i64) -> Timestamp {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Shows an instant in a fixed UTC offset (minutes east of UTC) as ISO 8601, e.g.
/// `2024-05-01T06:12:00-06:00`. Whole seconds are printed unless milliseconds are present.
pub fn format_with_offset(t: Timestamp, offset_min: i32) -> String {
    let offset = FixedOffset::east_opt(offset_min * 60).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    let local = t.with_timezone(&offset);
    if t.timestamp_subsec_millis() == 0 {
        local.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    } else {
        local.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
    }
}

/// Truncates an instant to whole milliseconds, the precision we store.
pub fn truncate_ms(t: Timestamp) -> Timestamp {
    from_ms(to_ms(t))
}

/// Parses an ISO 8601 / RFC 3339 datetime that MUST carry a zone (`Z` or `+hh:mm`).
/// Returns the instant (truncated to milliseconds) and the offset in minutes.
pub fn parse_zoned(s: &str) -> Result<(Timestamp, i32), String> {
    parse_zoned_exact(s).map(|(t, off)| (truncate_ms(t), off))
}

fn parse_zoned_exact(s: &str) -> Result<(Timestamp, i32), String> {
    let s = s.trim();
    match DateTime::parse_from_rfc3339(s) {
        Ok(dt) => Ok((dt.with_timezone(&Utc), dt.offset().local_minus_utc() / 60)),
        Err(_) => {
            // Camtrap DP allows the basic offset form +hhmm as well.
            match DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z") {
                Ok(dt) => Ok((dt.with_timezone(&Utc), dt.offset().local_minus_utc() / 60)),
                Err(_) => {
                    if chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").is_ok()
                        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
                        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok()
                    {
                        Err(format!(
                            "timestamp '{s}' has no time zone; write it with an offset, e.g. '{s}Z' or '{s}+02:00'"
                        ))
                    } else {
                        Err(format!(
                            "'{s}' is not an ISO 8601 datetime with a zone (expected e.g. 2024-05-01T06:12:00-06:00)"
                        ))
                    }
                }
            }
        }
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire / storage spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "'{}' is not a valid {}; expected one of: {}",
                        s,
                        stringify!($name),
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

string_enum!(
    /// Camtrap DP `featureType`: the feature the camera is aimed at.
    FeatureType {
        RoadPaved => "roadPaved",
        RoadDirt => "roadDirt",
        TrailHiking => "trailHiking",
        TrailGame => "trailGame",
        RoadUnderpass => "roadUnderpass",
        RoadOverpass => "roadOverpass",
        RoadBridge => "roadBridge",
        Culvert => "culvert",
        Burrow => "burrow",
        NestSite => "nestSite",
        Carcass => "carcass",
        WaterSource => "waterSource",
        FruitingTree => "fruitingTree",
    }
);

string_enum!(
    /// Camtrap DP `observationType`.
    ObservationType {
        Animal => "animal",
        Human => "human",
        Vehicle => "vehicle",
        Blank => "blank",
        Unknown => "unknown",
        Unclassified => "unclassified",
    }
);

string_enum!(
    /// Camtrap DP `captureMethod`: how a media file was triggered.
    CaptureMethod {
        ActivityDetection => "activityDetection",
        TimeLapse => "timeLapse",
    }
);

string_enum!(
    /// Camtrap DP `classificationMethod`.
    ClassificationMethod {
        Human => "human",
        Machine => "machine",
    }
);

string_enum!(
    /// Camtrap DP `lifeStage`.
    LifeStage {
        Adult => "adult",
        Subadult => "subadult",
        Juvenile => "juvenile",
    }
);

string_enum!(
    /// Camtrap DP `sex`.
    Sex {
        Female => "female",
        Male => "male",
    }
);

string_enum!(
    /// Whether a camera is in service.
    CameraStatus {
        Active => "active",
        Retired => "retired",
    }
);

string_enum!(
    /// Where a media file's timestamp came from. Anything but `exif`/`imported` is a guess
    /// the user should know about.
    TimestampSource {
        /// Given by the imported results file or package.
        Imported => "imported",
        /// EXIF `DateTimeOriginal` (or `DateTime`).
        Exif => "exif",
        /// A date and time written in the file name.
        FileName => "fileName",
        /// The file system's modification time: a fallback, flagged.
        FileModified => "fileModified",
        /// Recorded live by the camera gateway.
        Live => "live",
    }
);

string_enum!(
    /// Behaviour labels ecologists use (Camtrap DP `behavior` values, dominant first).
    Behaviour {
        Feeding => "feeding",
        Drinking => "drinking",
        Travelling => "travelling",
        Running => "running",
        Resting => "resting",
        Vigilance => "vigilance",
        Grooming => "grooming",
        Courtship => "courtship",
        Mating => "mating",
        Marking => "marking",
        Nursing => "nursing",
        Play => "play",
        Fighting => "fighting",
        GroupMovement => "groupMovement",
    }
);

/// A species (or higher taxon) known to the study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Species {
    /// Scientific name, e.g. `Odocoileus virginianus`. The key.
    pub scientific_name: String,
    /// Common (vernacular) name in English, e.g. `white-tailed deer`.
    pub common_name: Option<String>,
    /// Taxon rank, e.g. `species`, `genus`.
    pub taxon_rank: Option<String>,
}

/// A physical camera at a station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Camera {
    /// Stable identifier (Camtrap DP `cameraID`), e.g. `CREEK-01`.
    pub id: String,
    /// Human name, e.g. `Creek crossing`.
    pub name: String,
    /// Latitude (WGS84, decimal degrees); `None` until the camera is placed on the map.
    pub latitude: Option<f64>,
    /// Longitude (WGS84, decimal degrees).
    pub longitude: Option<f64>,
    /// Site / study area grouping, e.g. `North Ridge`.
    pub site: Option<String>,
    /// Habitat in words, e.g. `riparian woodland`.
    pub habitat: Option<String>,
    /// What the camera is aimed at.
    pub feature_type: Option<FeatureType>,
    /// Camera make and model, e.g. `Reconyx-HyperFire2`.
    pub model: Option<String>,
    /// Height above ground, metres.
    pub height_m: Option<f64>,
    /// Compass heading of the lens, degrees clockwise from north.
    pub heading_deg: Option<f64>,
    /// Detection distance, metres.
    pub detection_distance_m: Option<f64>,
    /// Active or retired.
    pub status: CameraStatus,
    /// Last known battery level, percent.
    pub battery_pct: Option<f64>,
    /// Free text.
    pub notes: Option<String>,
}

impl Camera {
    /// A camera with just an id and a name; everything else unknown.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Camera {
            id: id.into(),
            name: name.into(),
            latitude: None,
            longitude: None,
            site: None,
            habitat: None,
            feature_type: None,
            model: None,
            height_m: None,
            heading_deg: None,
            detection_distance_m: None,
            status: CameraStatus::Active,
            battery_pct: None,
            notes: None,
        }
    }
}

/// One operating window of a camera at a location (Camtrap DP deployment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Deployment {
    /// Identifier (Camtrap DP `deploymentID`).
    pub id: String,
    /// The camera that was deployed.
    pub camera_id: String,
    /// Location identifier (Camtrap DP `locationID`).
    pub location_id: Option<String>,
    /// Location name (Camtrap DP `locationName`).
    pub location_name: Option<String>,
    /// Latitude of this deployment (WGS84). `None` when imported from a source that has no
    /// coordinates (a MegaDetector file, an SD card); Camtrap DP export then asks for it.
    pub latitude: Option<f64>,
    /// Longitude of this deployment (WGS84).
    pub longitude: Option<f64>,
    /// When the camera started operating.
    pub start: Timestamp,
    /// When it was retrieved (or the end of the data so far).
    pub end: Timestamp,
    /// The camera clock's offset from UTC, minutes east (e.g. -360 for UTC-06:00).
    pub utc_offset_min: i32,
    /// Feature the camera was aimed at.
    pub feature_type: Option<FeatureType>,
    /// Habitat description.
    pub habitat: Option<String>,
    /// Camera height, metres.
    pub camera_height: Option<f64>,
    /// Camera tilt, degrees (-90..90).
    pub camera_tilt: Option<f64>,
    /// Camera heading, degrees (0..360).
    pub camera_heading: Option<f64>,
    /// Detection distance, metres.
    pub detection_distance: Option<f64>,
    /// Whether bait was used.
    pub bait_use: Option<bool>,
    /// Whether timestamps are known to be off.
    pub timestamp_issues: Option<bool>,
    /// Who set the camera up.
    pub setup_by: Option<String>,
    /// Pipe-separated tags (`key:value | key:value`).
    pub tags: Option<String>,
    /// Free text.
    pub comments: Option<String>,
}

/// A window inside a deployment when the camera did not work (dead battery, knocked over,
/// lens covered). Not effort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Malfunction {
    /// Identifier.
    pub id: String,
    /// The deployment it interrupts.
    pub deployment_id: String,
    /// Start of the outage.
    pub start: Timestamp,
    /// End of the outage.
    pub end: Timestamp,
    /// Why, in words (`battery dead`, `lens fogged`, ...).
    pub reason: String,
}

/// One image or video file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Media {
    /// Identifier (Camtrap DP `mediaID`).
    pub id: String,
    /// Deployment it belongs to.
    pub deployment_id: String,
    /// Camera that took it (denormalised from the deployment for fast queries).
    pub camera_id: String,
    /// When it was taken.
    pub timestamp: Timestamp,
    /// Where that timestamp came from.
    pub timestamp_source: TimestampSource,
    /// Path or URL of the file (Camtrap DP `filePath`).
    pub file_path: String,
    /// File name (Camtrap DP `fileName`).
    pub file_name: Option<String>,
    /// IANA media type, e.g. `image/jpeg`, `video/mp4`.
    pub media_type: String,
    /// How it was triggered.
    pub capture_method: Option<CaptureMethod>,
    /// Whether the file may be shown publicly.
    pub file_public: bool,
    /// Marked as a favourite.
    pub favorite: Option<bool>,
    /// Video frame rate, frames per second.
    pub frame_rate: Option<f64>,
    /// Free text.
    pub comments: Option<String>,
}

/// A normalised bounding box: top-left corner, width and height, each in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BBox {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl BBox {
    /// Checks that the box lies in the unit square and has a positive size.
    pub fn validate(&self) -> Result<(), String> {
        let ok = |v: f64| (0.0..=1.0).contains(&v);
        if !(ok(self.x) && ok(self.y) && ok(self.width) && ok(self.height)) {
            return Err(format!(
                "bounding box [{}, {}, {}, {}] is not normalised (every value must be in 0..1)",
                self.x, self.y, self.width, self.height
            ));
        }
        Ok(())
    }
}

/// One observation on one frame (Camtrap DP media-level observation; a MegaDetector box).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Detection {
    /// Identifier (Camtrap DP `observationID`).
    pub id: String,
    /// The media file it is on.
    pub media_id: String,
    /// Camera (denormalised for fast per-camera time-range queries).
    pub camera_id: String,
    /// Deployment (denormalised).
    pub deployment_id: String,
    /// Frame time.
    pub timestamp: Timestamp,
    /// Frame number within a video (`None` for still images).
    pub frame_number: Option<i64>,
    /// What was seen.
    pub observation_type: ObservationType,
    /// Species, when classified.
    pub scientific_name: Option<String>,
    /// Number of individuals in this observation.
    pub count: Option<i64>,
    /// Life stage.
    pub life_stage: Option<LifeStage>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Behaviour labels, pipe-separated, dominant first.
    pub behavior: Option<String>,
    /// Individual identifier, where known.
    pub individual_id: Option<String>,
    /// Detector confidence for the box (MegaDetector `conf`).
    pub confidence: Option<f64>,
    /// The box, normalised.
    pub bbox: Option<BBox>,
    /// Human or machine.
    pub classification_method: Option<ClassificationMethod>,
    /// Who or which model classified it.
    pub classified_by: Option<String>,
    /// Classification probability (0..1).
    pub classification_probability: Option<f64>,
    /// Event this detection belongs to, if segmented.
    pub event_id: Option<String>,
    /// Track this detection belongs to, if tracked.
    pub track_id: Option<String>,
}

/// One animal followed across frames of one camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Track {
    /// Identifier.
    pub id: String,
    /// The event it is part of.
    pub event_id: String,
    /// Camera.
    pub camera_id: String,
    /// First frame time.
    pub start: Timestamp,
    /// Last frame time.
    pub end: Timestamp,
    /// Species, when known.
    pub scientific_name: Option<String>,
    /// Individual identifier, when known.
    pub individual_id: Option<String>,
    /// Heading of net movement across the frame, degrees (0 = up/away, 90 = right).
    pub heading_deg: Option<f64>,
    /// Mean speed across the frame, frame-widths per second.
    pub speed: Option<f64>,
    /// Number of frames with a box.
    pub frames: i64,
}

/// A burst of activity on one camera (Camtrap DP event-level observation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// Identifier (Camtrap DP `eventID`; also used as the event-level `observationID`).
    pub id: String,
    /// Deployment.
    pub deployment_id: String,
    /// Camera (denormalised).
    pub camera_id: String,
    /// First frame.
    pub start: Timestamp,
    /// Last frame.
    pub end: Timestamp,
    /// What was seen.
    pub observation_type: ObservationType,
    /// Species, when known (`None`: "animal, species unknown").
    pub scientific_name: Option<String>,
    /// Maximum number of individuals seen at once.
    pub count: Option<i64>,
    /// Life stage.
    pub life_stage: Option<LifeStage>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Behaviour labels, pipe-separated, dominant first (Camtrap DP `behavior`).
    pub behavior: Option<String>,
    /// Individual identifier, where known.
    pub individual_id: Option<String>,
    /// Human or machine.
    pub classification_method: Option<ClassificationMethod>,
    /// Who or which model classified it.
    pub classified_by: Option<String>,
    /// Classification probability.
    pub classification_probability: Option<f64>,
    /// Best frame of the event.
    pub best_media_id: Option<String>,
    /// A readable description.
    pub description: Option<String>,
}

impl Event {
    /// The behaviour labels as a list (unknown labels are skipped).
    pub fn behaviours(&self) -> Vec<Behaviour> {
        self.behavior
            .as_deref()
            .unwrap_or("")
            .split('|')
            .filter_map(|b| b.trim().parse().ok())
            .collect()
    }
}

/// Builds a Camtrap DP `behavior` string from labels (dominant first).
pub fn behaviour_string(labels: &[Behaviour]) -> Option<String> {
    if labels.is_empty() {
        None
    } else {
        Some(labels.iter().map(|b| b.as_str()).collect::<Vec<_>>().join("|"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoned_timestamps_parse_and_format_back() {
        let (t, off) = parse_zoned("2024-05-01T06:12:00-06:00").unwrap();
        assert_eq!(off, -360);
        assert_eq!(format_with_offset(t, off), "2024-05-01T06:12:00-06:00");
        let (t, off) = parse_zoned("2024-05-01T12:12:00.250Z").unwrap();
        assert_eq!(off, 0);
        assert_eq!(format_with_offset(t, off), "2024-05-01T12:12:00.250+00:00");
        let (_, off) = parse_zoned("2024-05-01T06:12:00+0130").unwrap();
        assert_eq!(off, 90);
    }

    #[test]
    fn a_timestamp_without_a_zone_is_refused_with_a_hint() {
        let err = parse_zoned("2024-05-01T06:12:00").unwrap_err();
        assert!(err.contains("no time zone"), "{err}");
        let err = parse_zoned("yesterday").unwrap_err();
        assert!(err.contains("not an ISO 8601"), "{err}");
    }

    #[test]
    fn enums_round_trip_and_name_the_valid_values() {
        for f in FeatureType::ALL {
            assert_eq!(f.as_str().parse::<FeatureType>().unwrap(), *f);
        }
        let err = "river".parse::<FeatureType>().unwrap_err();
        assert!(err.contains("waterSource"), "{err}");
    }

    #[test]
    fn behaviour_strings_keep_order() {
        let s = behaviour_string(&[Behaviour::Feeding, Behaviour::Vigilance]).unwrap();
        assert_eq!(s, "feeding|vigilance");
        let e = Event {
            id: "e".into(),
            deployment_id: "d".into(),
            camera_id: "c".into(),
            start: from_ms(0),
            end: from_ms(0),
            observation_type: ObservationType::Animal,
            scientific_name: None,
            count: None,
            life_stage: None,
            sex: None,
            behavior: Some(s),
            individual_id: None,
            classification_method: None,
            classified_by: None,
            classification_probability: None,
            best_media_id: None,
            description: None,
        };
        assert_eq!(e.behaviours(), vec![Behaviour::Feeding, Behaviour::Vigilance]);
    }
}
