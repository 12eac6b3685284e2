//! The ground truth of a demo study: what the simulation decided, written by the CLI to
//! `data/demo-truth.json` so that tests of skills and chat can check answers against it.
//!
//! Nothing here is recomputed from the generated [`Batch`](crate::store::Batch): every
//! field is recorded by the simulation as it decides it (which animal walked where, when,
//! how many, doing what; which camera was down when). Times are UTC instants (RFC 3339 in
//! JSON); local times use the study's `utc_offset_min`.

use super::DemoConfig;
use crate::model::{Behaviour, FeatureType, ObservationType, Sex, Timestamp};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything the simulation decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    /// Generator name and version, e.g. `trailmesh-demo/1`; a new version may simulate
    /// differently from the same seed.
    pub generator: String,
    /// The configuration the study was generated from (seed, start, days, scale).
    pub config: DemoConfig,
    /// The study area, in words.
    pub area: String,
    /// Start of the study window (local midnight of `config.start`).
    pub study_start: Timestamp,
    /// End of the study window (local midnight after the last day), exclusive.
    pub study_end: Timestamp,
    /// UTC offset of every camera clock, minutes east (-360 = UTC-06:00, summer time in
    /// the Rocky Mountains).
    pub utc_offset_min: i32,
    /// The cameras and where they are.
    pub cameras: Vec<CameraTruth>,
    /// Corridors (game trails, creek, ridge line, hiking trail, road) joining neighbouring
    /// cameras: the only edges animals move along between cameras.
    pub corridors: Vec<CorridorTruth>,
    /// Deployments with their true operating time.
    pub deployments: Vec<DeploymentTruth>,
    /// Malfunction windows (no effort, no events inside).
    pub malfunctions: Vec<MalfunctionTruth>,
    /// Species: true diel rhythm, group sizes, habitat preferences, seasons.
    pub species: Vec<SpeciesTruth>,
    /// Marked individuals (with an `individualID` on their events) and their full paths.
    pub individuals: Vec<IndividualTruth>,
    /// The seasonal migration wave.
    pub migration: MigrationTruth,
    /// One entry per generated event, in event-id order: what really happened.
    pub events: Vec<EventTruth>,
    /// Handy totals.
    pub totals: Totals,
}

/// A camera station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraTruth {
    /// Camera id, e.g. `CREEK-01`.
    pub id: String,
    /// Camera name, e.g. `Creek crossing`.
    pub name: String,
    /// Site, e.g. `Cedar Creek`.
    pub site: String,
    /// Habitat in words.
    pub habitat: String,
    /// Camtrap DP feature type.
    pub feature_type: FeatureType,
    /// Latitude (WGS84).
    pub latitude: f64,
    /// Longitude (WGS84).
    pub longitude: f64,
    /// Kilometres east of the study origin.
    pub x_km: f64,
    /// Kilometres north of the study origin.
    pub y_km: f64,
    /// Position along the migration axis, kilometres from the origin (projection onto the
    /// axis bearing).
    pub axis_km: f64,
    /// Lens heading, degrees clockwise from north.
    pub heading_deg: f64,
}

/// A corridor between two neighbouring cameras.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorridorTruth {
    /// One end (camera id).
    pub from: String,
    /// The other end (camera id). Corridors are undirected.
    pub to: String,
    /// Walking distance along the corridor, km (straight line times 1.25 for trail
    /// sinuosity).
    pub distance_km: f64,
    /// `creek`, `game trail`, `ridge trail`, `hiking trail` or `road`.
    pub kind: String,
}

/// A deployment and its true effort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentTruth {
    /// Deployment id, e.g. `dep-CREEK-01-1`.
    pub id: String,
    /// Camera id.
    pub camera_id: String,
    /// Set up.
    pub start: Timestamp,
    /// Retrieved, stolen or knocked over.
    pub end: Timestamp,
    /// Operating time in days: deployment length minus malfunction windows.
    pub operating_days: f64,
    /// Why it started late or ended early, if it did.
    pub note: Option<String>,
}

/// A malfunction window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MalfunctionTruth {
    /// Malfunction id, e.g. `mal-CREEK-02-1`.
    pub id: String,
    /// Camera id.
    pub camera_id: String,
    /// Deployment id.
    pub deployment_id: String,
    /// Start of the outage.
    pub start: Timestamp,
    /// End of the outage.
    pub end: Timestamp,
    /// Why (`battery dead`, `lens fogged`, ...).
    pub reason: String,
}

/// Diel activity classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DielClass {
    /// Active around sunrise and sunset.
    Crepuscular,
    /// Active between sunset and sunrise.
    Nocturnal,
    /// Active between sunrise and sunset.
    Diurnal,
    /// Active at any time.
    Cathemeral,
}

/// What a diel activity peak is anchored to (solar time at the camera).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DielAnchor {
    /// Sunrise plus an offset (normal spread).
    Sunrise,
    /// Sunset plus an offset (normal spread).
    Sunset,
    /// A fraction of the way from sunset to the next sunrise.
    Night,
    /// A fraction of the way from sunrise to sunset.
    Day,
    /// Uniform over the 24 hours.
    Anytime,
}

/// One component of a species' true activity density (a mixture).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DielPeak {
    /// What the peak is anchored to.
    pub anchor: DielAnchor,
    /// Share of activity bouts drawn from this component (the weights sum to 1).
    pub weight: f64,
    /// For `sunrise` / `sunset`: mean offset from it, hours (negative = before).
    pub offset_hours: Option<f64>,
    /// For `sunrise` / `sunset`: standard deviation, hours.
    pub sd_hours: Option<f64>,
    /// For `night` / `day`: where the peak lies as a fraction of the night (from sunset)
    /// or of the day (from sunrise), and its spread (sd of a normal truncated to 0..1).
    pub fraction: Option<f64>,
    /// Spread of `fraction`.
    pub spread: Option<f64>,
    /// The peak's local clock time (HH:MM, UTC offset of the study) at the valley centre on
    /// the middle day of the study; `None` for `anytime`.
    pub local_time_mid_study: Option<String>,
}

/// A seasonal behaviour window (breeding, young at heel).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeasonWindow {
    /// First day (in the study's year).
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Behaviours that may occur in it.
    pub behaviours: Vec<Behaviour>,
    /// In words.
    pub note: String,
}

/// A species and its true parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeciesTruth {
    /// Scientific name.
    pub scientific_name: String,
    /// English common name.
    pub common_name: String,
    /// True diel class.
    pub diel_class: DielClass,
    /// The activity mixture the bouts were drawn from (solar time at the camera).
    pub peaks: Vec<DielPeak>,
    /// Smallest group (adults plus young) an agent of this species forms.
    pub group_size_min: u32,
    /// Largest group.
    pub group_size_max: u32,
    /// Fastest travel speed along a corridor, km/h (transit times are at least
    /// distance / this).
    pub max_speed_kmh: f64,
    /// Probability that an operating camera records a passing animal.
    pub detection_probability: f64,
    /// Mean activity bouts per day per animal group.
    pub bouts_per_day: f64,
    /// Relative preference per habitat class (`creek`, `water`, `meadow`, `berries`,
    /// `forest`, `ridge`, `trailhead`, `road`).
    pub habitat_preference: BTreeMap<String, f64>,
    /// Breeding window, when the species has one in the study's year.
    pub breeding: Option<SeasonWindow>,
    /// From when young of the year are seen with adults (in the study's year).
    pub young_from: Option<NaiveDate>,
    /// Unmarked animal groups simulated.
    pub unmarked_groups: u32,
    /// Marked individuals of this species.
    pub marked_individuals: Vec<String>,
}

/// A daily route an individual follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteTruth {
    /// Anchor of the route's middle (`sunrise` or `sunset`).
    pub anchor: DielAnchor,
    /// Offset of the route's middle from the anchor, hours.
    pub offset_hours: f64,
    /// Cameras in order.
    pub cameras: Vec<String>,
    /// Probability of walking it on a given day (else the animal stays put).
    pub daily_probability: f64,
}

/// Why a visit produced no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MissReason {
    /// The camera was not deployed or was malfunctioning.
    NotOperating,
    /// The camera was working but did not trigger (detection probability).
    NotTriggered,
}

/// One visit of an individual to a camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathStep {
    /// Camera visited.
    pub camera_id: String,
    /// When the animal arrived in front of it.
    pub arrival: Timestamp,
    /// The event it produced, if the camera recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Why not, if it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<MissReason>,
}

/// A marked individual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndividualTruth {
    /// Individual id, as in `Event.individual_id`, e.g. `bear-F1`.
    pub individual_id: String,
    /// Species.
    pub scientific_name: String,
    /// Sex.
    pub sex: Option<Sex>,
    /// Animals in its group (itself, young, herd mates).
    pub group_size: u32,
    /// Young in its group.
    pub juveniles: u32,
    /// Home camera, for animals with a home range.
    pub home_camera: Option<String>,
    /// Home-range scale, km (attraction to home decays as exp(-distance / range)).
    pub range_km: Option<f64>,
    /// Whether it moves with the migration wave.
    pub migrates: bool,
    /// Daily routes it follows, if any.
    pub daily_routes: Vec<RouteTruth>,
    /// Every camera visit in time order, recorded or not. Consecutive visits to different
    /// cameras are always joined by a corridor.
    pub path: Vec<PathStep>,
}

/// The migration front at one camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrontTruth {
    /// Camera id.
    pub camera_id: String,
    /// Position along the axis, km.
    pub axis_km: f64,
    /// When the front passes the camera.
    pub front_time: Timestamp,
    /// The local date of `front_time`.
    pub front_date: NaiveDate,
}

/// The seasonal migration wave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationTruth {
    /// Migrating species.
    pub scientific_name: String,
    /// Direction of movement, degrees clockwise from north.
    pub axis_bearing_deg: f64,
    /// Latitude of the axis origin (the study origin).
    pub origin_latitude: f64,
    /// Longitude of the axis origin.
    pub origin_longitude: f64,
    /// Speed of the front, km per day.
    pub speed_km_per_day: f64,
    /// Front position (km along the axis) at `study_start`.
    pub front_start_axis_km: f64,
    /// Herds' positions scatter around the front with this standard deviation, km.
    pub herd_spread_km: f64,
    /// Herds (animal groups) that migrate.
    pub herds: u32,
    /// When the front passes each camera (ordered by axis position).
    pub fronts: Vec<FrontTruth>,
}

/// What really happened in one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTruth {
    /// Event id, e.g. `evt-000123`.
    pub event_id: String,
    /// Camera.
    pub camera_id: String,
    /// Deployment.
    pub deployment_id: String,
    /// First frame.
    pub start: Timestamp,
    /// Last frame.
    pub end: Timestamp,
    /// What was in front of the camera.
    pub observation_type: ObservationType,
    /// True species (also where the batch leaves it unidentified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scientific_name: Option<String>,
    /// Whether the batch names the species (false: machine-classified as unknown animal).
    pub identified: bool,
    /// Animals (or people, or vehicles) in view at once.
    pub count: u32,
    /// Young among them.
    pub juveniles: u32,
    /// True behaviour labels, dominant first (the batch carries them only on
    /// human-classified events).
    pub behaviours: Vec<Behaviour>,
    /// Marked individual present, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub individual_id: Option<String>,
    /// The simulated animal group (marked id, or e.g. `deer-u007` for unmarked ones), for
    /// reconstructing unmarked trails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// Camera the animal came from along a corridor, if it was walking between cameras.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_camera: Option<String>,
    /// Camera it walked on to next, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_camera: Option<String>,
    /// Compass direction of travel, degrees, when travelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearing_deg: Option<f64>,
}

/// Handy totals (as generated).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Cameras.
    pub cameras: u64,
    /// Deployments.
    pub deployments: u64,
    /// Malfunction windows.
    pub malfunctions: u64,
    /// Species rows.
    pub species: u64,
    /// Events of every type.
    pub events: u64,
    /// Animal events.
    pub animal_events: u64,
    /// Human events.
    pub human_events: u64,
    /// Vehicle events.
    pub vehicle_events: u64,
    /// Blank (false trigger) events.
    pub blank_events: u64,
    /// Media files.
    pub media: u64,
    /// Tracks.
    pub tracks: u64,
    /// Detections.
    pub detections: u64,
    /// Animal visits to cameras simulated (recorded or not).
    pub animal_visits: u64,
    /// Visits missed because the camera was not operating.
    pub missed_not_operating: u64,
    /// Visits missed because the camera did not trigger.
    pub missed_not_triggered: u64,
    /// Animal events per species (true species).
    pub events_per_species: BTreeMap<String, u64>,
    /// Animal events per species per camera.
    pub events_per_species_camera: BTreeMap<String, BTreeMap<String, u64>>,
}
