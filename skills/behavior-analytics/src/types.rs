//! Inputs and outputs of the operations (serde + JSON Schema; every field documented, as
//! these become tool descriptions).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trailmesh_core::model::Behaviour;
use trailmesh_core::skill::PageInfo;

/// Which data an operation looks at. Every field is optional; nothing given means the
/// whole study on every camera.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Scope {
    /// Start of the time window (inclusive): ISO 8601 with a zone
    /// (`2026-06-01T06:00:00-06:00`) or a date (`2026-06-01`, midnight UTC). Default: the
    /// start of the first deployment in scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// End of the time window (exclusive), same forms as `from`. Default: the end of the
    /// last deployment in scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Only these cameras (camera ids such as `CREEK-01`). Default: all cameras.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cameras: Option<Vec<String>>,
    /// Only cameras of this site (the camera's `site`, e.g. `Cedar Creek`; case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

/// The window that was actually used.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Window {
    /// Start (inclusive), ISO 8601 UTC.
    pub from: String,
    /// End (exclusive), ISO 8601 UTC.
    pub to: String,
    /// Cameras in scope.
    pub cameras: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// behaviours

/// Input of `behaviours`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct BehavioursInput {
    /// Time window, cameras and site.
    #[serde(flatten)]
    pub scope: Scope,
    /// Only events of this species (scientific or common name, e.g. `Cervus canadensis` or
    /// `elk`). Default: every animal event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub species: Option<String>,
    /// Only these events (event ids such as `evt-000123`); the other filters still apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ids: Option<Vec<String>>,
    /// Page size (default 50, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Events to skip (default 0); use `page.next_offset` to continue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// One piece of evidence behind a label.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// The feature: `speed`, `dwell`, `frame_gap`, `frames`, `count`, `heading_agreement`,
    /// `feature_type`, `solar_phase`, `season`, or `human_label`.
    pub feature: String,
    /// Its value, when numeric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Unit of `value` (`frame-widths/s`, `s`, `frames`, `animals`), empty when none.
    pub unit: String,
    /// Why it supports the label, in words.
    pub note: String,
}

/// A behaviour label with its confidence and evidence.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BehaviourLabel {
    /// Camtrap DP behaviour: feeding, drinking, travelling, running, resting, vigilance,
    /// courtship, groupMovement, ... (for human labels any Camtrap DP value).
    pub label: Behaviour,
    /// 0..1. Human labels are 1; inferred labels carry a rule score (see the crate docs
    /// for measured precision per label).
    pub confidence: f64,
    /// `human` (labelled by a person on the event) or `inferred` (from track features).
    pub source: String,
    /// What supported the label.
    pub evidence: Vec<Evidence>,
}

/// The measured features of an event.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EventFeatures {
    /// Seconds from first to last frame.
    pub dwell_s: f64,
    /// Frames with the animal (largest over its tracks).
    pub frames: u32,
    /// Mean seconds between frames (0 with one frame).
    pub frame_gap_s: f64,
    /// Mean track speed across the frame, frame-widths per second; absent with one frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_fw_s: Option<f64>,
    /// Animals seen at once.
    pub count: u32,
    /// Sun phase at the start: `night`, `dawn` (civil twilight), `day` or `dusk`.
    pub solar_phase: String,
    /// Whether the date is inside the species' breeding season (absent: unknown species).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breeding_season: Option<bool>,
    /// Camtrap DP feature type of the camera (e.g. `waterSource`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_type: Option<String>,
}

/// Behaviours of one event.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EventBehaviour {
    /// Event id.
    pub event_id: String,
    /// Camera id.
    pub camera_id: String,
    /// Species (scientific name), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub species: Option<String>,
    /// Start, ISO 8601 in the camera's local offset.
    pub start: String,
    /// The labels to use, dominant first: the human labels when the event has them (they
    /// win), else the inferred ones.
    pub labels: Vec<BehaviourLabel>,
    /// What the rules infer from the tracks, dominant first (also for human-labelled
    /// events, so the two can be compared).
    pub inferred: Vec<BehaviourLabel>,
    /// The features the rules looked at.
    pub features: EventFeatures,
}

/// Output of `behaviours`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BehavioursOutput {
    /// Events, oldest first.
    pub events: Vec<EventBehaviour>,
    /// Paging.
    pub page: PageInfo,
}

// ---------------------------------------------------------------------------------------
// effort

/// Input of `effort`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct EffortInput {
    /// Time window, cameras and site.
    #[serde(flatten)]
    pub scope: Scope,
    /// Page size for `deployments` (default 50, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Deployments to skip (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// A malfunction window inside the asked window.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MalfunctionWindow {
    /// Malfunction id.
    pub id: String,
    /// Start, clipped to the asked window and the deployment (ISO 8601, camera offset).
    pub start: String,
    /// End, clipped likewise.
    pub end: String,
    /// Length after clipping, days.
    pub days: f64,
    /// Why the camera was down.
    pub reason: String,
}

/// Effort of one deployment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeploymentEffort {
    /// Deployment id.
    pub deployment_id: String,
    /// Camera id.
    pub camera_id: String,
    /// Start of the deployment clipped to the window (ISO 8601, camera offset).
    pub start: String,
    /// End clipped to the window.
    pub end: String,
    /// Days deployed inside the window (24 h periods, fractional).
    pub deployed_days: f64,
    /// Days lost to malfunctions inside the window.
    pub malfunction_days: f64,
    /// Trap-nights = deployed_days - malfunction_days.
    pub trap_nights: f64,
    /// The malfunction windows that were subtracted.
    pub malfunctions: Vec<MalfunctionWindow>,
}

/// Effort of one camera (all its deployments).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CameraEffort {
    /// Camera id.
    pub camera_id: String,
    /// Trap-nights summed over its deployments.
    pub trap_nights: f64,
    /// Its deployments in the window.
    pub deployments: u32,
}

/// Output of `effort`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EffortOutput {
    /// The window and cameras used.
    pub window: Window,
    /// Trap-nights over every camera in scope: operating 24 h periods (fractional) inside
    /// the window, malfunctions excluded.
    pub total_trap_nights: f64,
    /// Per camera, by id (all cameras in scope; cameras without deployments show 0).
    pub cameras: Vec<CameraEffort>,
    /// Per deployment (paged).
    pub deployments: Vec<DeploymentEffort>,
    /// Paging of `deployments`.
    pub page: PageInfo,
}

// ---------------------------------------------------------------------------------------
// rai

/// Input of `rai`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct RaiInput {
    /// Time window, cameras and site.
    #[serde(flatten)]
    pub scope: Scope,
    /// Only these species (scientific or common names). Default: every species detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub species: Option<Vec<String>>,
    /// Independence interval T in minutes (default 30; 1, 2 and 60 are also used): a
    /// detection counts if it starts at least T after the previous counted one of the same
    /// species at the same camera.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub independence_min: Option<f64>,
    /// Drop events that start inside a malfunction window (default true; effort never
    /// counts malfunctions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_malfunctions: Option<bool>,
    /// Page size for `per_camera` (default 50, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Rows of `per_camera` to skip (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// RAI of one species over all cameras in scope.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SpeciesRai {
    /// Scientific name.
    pub species: String,
    /// Common name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// Events (all, before the independence rule).
    pub events: u64,
    /// Independent detections.
    pub independent: u64,
    /// Detections per 100 trap-nights: 100 * independent / total trap-nights.
    pub rai: f64,
    /// Cameras with at least one detection.
    pub cameras_detected: u32,
}

/// RAI of one species at one camera.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CameraRai {
    /// Camera id.
    pub camera_id: String,
    /// Scientific name.
    pub species: String,
    /// Events.
    pub events: u64,
    /// Independent detections.
    pub independent: u64,
    /// Trap-nights of the camera.
    pub trap_nights: f64,
    /// 100 * independent / trap_nights (absent when the camera had no effort).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rai: Option<f64>,
}

/// Output of `rai`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RaiOutput {
    /// The window and cameras used.
    pub window: Window,
    /// Independence interval used, minutes.
    pub independence_min: f64,
    /// Effort over all cameras in scope, trap-nights.
    pub total_trap_nights: f64,
    /// Events dropped because they started inside a malfunction window.
    pub excluded_in_malfunction: u64,
    /// Per species, highest RAI first.
    pub species: Vec<SpeciesRai>,
    /// Per camera and species with detections, by species then camera (paged).
    pub per_camera: Vec<CameraRai>,
    /// Paging of `per_camera`.
    pub page: PageInfo,
}

// ---------------------------------------------------------------------------------------
// occupancy_naive and detection_history

/// Input of `occupancy_naive`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct NaiveOccupancyInput {
    /// Time window, cameras and site.
    #[serde(flatten)]
    pub scope: Scope,
    /// Species (scientific or common name). Required.
    pub species: String,
}

/// One station's detections.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StationDetections {
    /// Camera id.
    pub camera_id: String,
    /// Trap-nights in the window (0: not operating, not counted).
    pub trap_nights: f64,
    /// Events of the species.
    pub detections: u64,
}

/// Output of `occupancy_naive`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NaiveOccupancyOutput {
    /// The window and cameras used.
    pub window: Window,
    /// Scientific name.
    pub species: String,
    /// Stations with any effort in the window.
    pub operating_stations: u32,
    /// Operating stations with at least one detection.
    pub stations_detected: u32,
    /// stations_detected / operating_stations (absent with no operating station). Naive:
    /// it ignores imperfect detection; see `occupancy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub naive_occupancy: Option<f64>,
    /// Per station, by camera id.
    pub stations: Vec<StationDetections>,
}

/// Input of `detection_history`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct DetectionHistoryInput {
    /// Time window, cameras and site. Occasions start at local midnight (camera offset) of
    /// the window's first day.
    #[serde(flatten)]
    pub scope: Scope,
    /// Species (scientific or common name). Required.
    pub species: String,
    /// Occasion length in days (default 1; 1..=365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occasion_days: Option<u32>,
    /// An occasion is NA unless the camera operated for at least this fraction of it
    /// (default 0.5, camtrapR-style minimum active time; 0 < value <= 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_operating_fraction: Option<f64>,
    /// Page size for `stations` (default 50, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Stations to skip (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// One station's row of the matrix.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StationHistory {
    /// Camera id.
    pub camera_id: String,
    /// One value per occasion: 1 detected, 0 not detected, null = NA (not operating enough).
    pub history: Vec<Option<u8>>,
    /// The same as a string: `1`, `0`, `.` for NA (e.g. `01.0`).
    pub compact: String,
    /// Occasions with a detection.
    pub detections: u32,
    /// Occasions that are not NA.
    pub surveyed: u32,
}

/// Output of `detection_history`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DetectionHistoryOutput {
    /// The window and cameras used.
    pub window: Window,
    /// Scientific name.
    pub species: String,
    /// Occasion length, days.
    pub occasion_days: u32,
    /// First local date of each occasion (YYYY-MM-DD).
    pub occasion_starts: Vec<String>,
    /// The NA rule, in words.
    pub na_rule: String,
    /// Stations by camera id (paged).
    pub stations: Vec<StationHistory>,
    /// Paging of `stations`.
    pub page: PageInfo,
}

// ---------------------------------------------------------------------------------------
// diel activity and overlap

/// Clock or solar time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TimeScale {
    /// Local clock time of the camera (deployment UTC offset).
    #[default]
    Clock,
    /// Double-anchored sun time: sunrise maps to 06:00 and sunset to 18:00, linear in
    /// between (Nouvellet et al. 2012; overlap::sunTime).
    Solar,
}

/// Input of `diel_activity`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct DielInput {
    /// Time window, cameras and site.
    #[serde(flatten)]
    pub scope: Scope,
    /// Species (scientific or common name). Required.
    pub species: String,
    /// `clock` (default) or `solar`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_scale: Option<TimeScale>,
    /// Points of the returned density over 24 h (default 96, i.e. every 15 minutes;
    /// 8..=1440).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_points: Option<u32>,
    /// Bandwidth adjustment: the kernel concentration is divided by it (default 1; larger
    /// is smoother; 0.1..=10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjust: Option<f64>,
    /// Independence interval in minutes applied before fitting (default 0: every event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub independence_min: Option<f64>,
}

/// One point of the density.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DensityPoint {
    /// Hour of day, 0..24 (clock or solar hours).
    pub hour: f64,
    /// Density per hour (integrates to 1 over 24 h).
    pub density: f64,
}

/// Shares of records by period of the day.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PeriodShares {
    /// Share within one hour of sunrise or sunset.
    pub twilight: f64,
    /// Share in daylight, outside the twilight band.
    pub day: f64,
    /// Share in darkness, outside the twilight band.
    pub night: f64,
    /// Share of the 24 h that is twilight band, averaged over the records' dates (what
    /// uniform activity would give).
    pub available_twilight: f64,
    /// Share of the 24 h in daylight outside the band, averaged likewise.
    pub available_day: f64,
    /// Share of the 24 h in darkness outside the band, averaged likewise.
    pub available_night: f64,
}

/// Output of `diel_activity`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DielOutput {
    /// The window and cameras used.
    pub window: Window,
    /// Scientific name.
    pub species: String,
    /// Time scale used.
    pub time_scale: TimeScale,
    /// Records used.
    pub n: u64,
    /// Kernel concentration actually used (overlap::getBandWidth / adjust); larger is
    /// narrower.
    pub bandwidth: f64,
    /// The adjust factor used.
    pub adjust: f64,
    /// The density on an even grid over 24 h.
    pub density: Vec<DensityPoint>,
    /// Hours of the density's main local maxima (at least half the highest), highest
    /// first, at most 3.
    pub peak_hours: Vec<f64>,
    /// `nocturnal`, `diurnal`, `crepuscular` or `cathemeral` (rule in `class_rule`).
    pub activity_class: String,
    /// How the class was decided.
    pub class_rule: String,
    /// Shares of records in twilight, day and night (from the sun at each camera).
    pub shares: PeriodShares,
}

/// Input of `activity_overlap`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct OverlapInput {
    /// Time window, cameras and site.
    #[serde(flatten)]
    pub scope: Scope,
    /// First species (scientific or common name).
    pub species_a: String,
    /// Second species.
    pub species_b: String,
    /// `clock` (default) or `solar`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_scale: Option<TimeScale>,
    /// Bootstrap replicates (default 999; 0 skips the interval; at most 9999).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<u32>,
    /// Random seed of the bootstrap (default 42): the same seed gives the same interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Confidence level of the interval (default 0.95; 0.5..0.999).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// A confidence interval.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// How it was computed.
    pub method: String,
}

/// Output of `activity_overlap`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct OverlapOutput {
    /// The window and cameras used.
    pub window: Window,
    /// First species (scientific name).
    pub species_a: String,
    /// Records of the first species.
    pub n_a: u64,
    /// Second species.
    pub species_b: String,
    /// Records of the second species.
    pub n_b: u64,
    /// Time scale used.
    pub time_scale: TimeScale,
    /// `Dhat1` (smaller sample <= 50 records) or `Dhat4`.
    pub estimator: String,
    /// Bandwidth adjust used (0.8 for Dhat1, 1 for Dhat4).
    pub adjust: f64,
    /// Coefficient of overlapping, 0 (none) .. 1 (identical).
    pub delta: f64,
    /// Recommended interval: basic0 (bootstrap percentile interval shifted by the bootstrap
    /// bias), absent when no bootstrap was run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<Interval>,
    /// Plain percentile interval of the bootstrap estimates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_percentile: Option<Interval>,
    /// Bootstrap replicates that gave an estimate.
    pub bootstrap_replicates: u32,
    /// Mean of the bootstrap estimates (its difference to `delta` is the bias).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_mean: Option<f64>,
    /// Sources of the method.
    pub method: String,
}

// ---------------------------------------------------------------------------------------
// occupancy

/// Input of `occupancy`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct OccupancyInput {
    /// Time window, cameras and site.
    #[serde(flatten)]
    pub scope: Scope,
    /// Species (scientific or common name). Required.
    pub species: String,
    /// Occasion length in days (default 1; 1..=365).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occasion_days: Option<u32>,
    /// Minimum operating fraction of an occasion, else NA (default 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_operating_fraction: Option<f64>,
}

/// An estimate with its uncertainty.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Estimate {
    /// Maximum-likelihood estimate (probability).
    pub estimate: f64,
    /// Standard error (delta method from the logit scale); absent when the information
    /// matrix is singular (boundary fits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se: Option<f64>,
    /// 95% lower bound (Wald on the logit scale, back-transformed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower95: Option<f64>,
    /// 95% upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper95: Option<f64>,
}

/// Output of `occupancy`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct OccupancyOutput {
    /// The window and cameras used.
    pub window: Window,
    /// Scientific name.
    pub species: String,
    /// Occupancy probability psi.
    pub psi: Estimate,
    /// Detection probability p per occasion.
    pub p: Estimate,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// AIC = -2 logL + 4.
    pub aic: f64,
    /// Stations with at least one surveyed occasion.
    pub stations: u32,
    /// Stations with a detection.
    pub stations_detected: u32,
    /// Surveyed (non-NA) occasions over all stations.
    pub surveyed_occasions: u32,
    /// Occasion length, days.
    pub occasion_days: u32,
    /// Problems worth knowing (boundary estimates, few stations).
    pub warnings: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// migration

/// Input of `migration`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct MigrationInput {
    /// Time window, cameras and site.
    #[serde(flatten)]
    pub scope: Scope,
    /// Species (scientific or common name). Required.
    pub species: String,
    /// Axis of movement, degrees clockwise from north (0..360). Default: the bearing in
    /// 0..180 (1 degree steps) whose regression fits best (largest R^2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearing_deg: Option<f64>,
}

/// One camera's point of the regression.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MigrationCamera {
    /// Camera id.
    pub camera_id: String,
    /// Position along the axis, km from the cameras' centroid.
    pub position_km: f64,
    /// Median detection date (local, YYYY-MM-DD).
    pub median_date: String,
    /// Median detection time as days since the window start.
    pub median_day: f64,
    /// Events of the species at the camera.
    pub detections: u64,
}

/// Output of `migration`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MigrationOutput {
    /// The window and cameras used.
    pub window: Window,
    /// Scientific name.
    pub species: String,
    /// Axis bearing used, degrees.
    pub axis_bearing_deg: f64,
    /// Whether the axis was searched for (true) or given (false).
    pub axis_fitted: bool,
    /// Direction the wave travels, degrees clockwise from north.
    pub direction_deg: f64,
    /// Speed of the wave, km per day (absent when the slope is zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_km_per_day: Option<f64>,
    /// Regression slope, days per km along the axis.
    pub slope_days_per_km: f64,
    /// 95% interval of the slope (t distribution, n - 2 df); absent with 2 cameras.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slope_ci95: Option<Interval>,
    /// Coefficient of determination.
    pub r_squared: f64,
    /// `strong`, `moderate` or `weak` (rule in `summary`).
    pub confidence: String,
    /// One readable sentence.
    pub summary: String,
    /// Cameras used, by position.
    pub cameras: Vec<MigrationCamera>,
}
