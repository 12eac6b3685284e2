//! # Camera inventory
//!
//! Which cameras there are, where, and whether they work: list and search (site, habitat,
//! feature type, health, distance from a point), one camera's details and health, add /
//! update / retire a camera, and coverage as GeoJSON.
//!
//! **Health** is judged at a reference time: the `as_of` argument, else now, except that a
//! database whose newest media file is more than [`HISTORIC_AFTER_DAYS`] days old (an imported
//! or demo study) is judged as of that newest file, each camera at the end of its last
//! deployment if that came earlier, and the answer says so. States:
//! - `retired`: taken out of service;
//! - `notDeployed`: no deployment covers the reference time;
//! - `faulty`: inside a malfunction window (its reason is given), or silent for more than
//!   `fault_after_days` (default 3), or battery below 10 %;
//! - `sleeping`: deployed, nothing for more than a day; normal for motion-triggered trail cameras;
//! - `online`: a media file within the last day.

use chrono::Duration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trailmesh_core::geo::distance_km;
use trailmesh_core::model::*;
use trailmesh_core::skill::{PageInfo, SkillError, SkillResult, page_limit, parse_time_arg};
use trailmesh_core::store::{CameraActivity, Store};

/// Beyond this many days without media, a database is treated as a past study.
pub const HISTORIC_AFTER_DAYS: i64 = 30;
/// Battery level (percent) below which a camera is reported faulty.
pub const LOW_BATTERY_PCT: f64 = 10.0;

/// The camera-inventory skill.
#[derive(Debug, Clone)]
pub struct CameraInventory {
    store: Store,
}

/// A camera's state at the reference time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum HealthState {
    /// Recorded within the last day.
    Online,
    /// Deployed and quiet for more than a day: normal for a motion-triggered camera.
    Sleeping,
    /// Not working: see the reason.
    Faulty,
    /// No deployment covers the reference time.
    NotDeployed,
    /// Taken out of service.
    Retired,
}

/// Health of one camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// The state.
    pub state: HealthState,
    /// Why, in words.
    pub reason: String,
    /// The time health was judged at (RFC 3339, UTC).
    pub as_of: Timestamp,
    /// Time of the newest media file, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// Start of the newest event, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event: Option<Timestamp>,
    /// Hours between the newest media file and the reference time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours_since_last_seen: Option<f64>,
    /// Last known battery level, percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery_pct: Option<f64>,
    /// Share of deployed time (up to the reference time) the camera was working, percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_pct: Option<f64>,
}

/// One camera in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CameraSummary {
    /// Camera id.
    pub id: String,
    /// Camera name.
    pub name: String,
    /// Site / study area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Habitat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub habitat: Option<String>,
    /// Feature the camera watches (Camtrap DP featureType).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature_type: Option<FeatureType>,
    /// Latitude, WGS84.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Longitude, WGS84.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// In service or retired.
    pub status: CameraStatus,
    /// Health state at the reference time.
    pub health: HealthState,
    /// Events recorded in total.
    pub event_count: i64,
    /// Distance from the search point, km (only when searching near a point).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

/// A point and a radius to search around.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Near {
    /// Latitude of the point, WGS84 decimal degrees (-90..90).
    pub latitude: f64,
    /// Longitude of the point, WGS84 decimal degrees (-180..180).
    pub longitude: f64,
    /// Search radius in kilometres (> 0).
    pub radius_km: f64,
}

/// Arguments of [`CameraInventory::list_cameras`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListCamerasInput {
    /// Words to find in the camera's id, name, site or habitat (case-insensitive), e.g. "creek".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Only cameras of this site (exact, case-insensitive), e.g. "North Ridge".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Only cameras whose habitat contains these words, e.g. "riparian".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub habitat: Option<String>,
    /// Only cameras watching this feature (Camtrap DP featureType, e.g. "waterSource", "trailGame").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_type: Option<FeatureType>,
    /// Only cameras in this health state ("online", "sleeping", "faulty", "notDeployed", "retired").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthState>,
    /// Only cameras within a distance of a point; results then come nearest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<Near>,
    /// Judge health as of this time (ISO 8601 with zone, or a date); default now (see the skill docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Page size, 1..500, default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Skip this many cameras (paging), default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// Result of [`CameraInventory::list_cameras`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CameraList {
    /// The cameras on this page.
    pub cameras: Vec<CameraSummary>,
    /// Paging.
    pub page: PageInfo,
    /// The time health was judged at.
    pub as_of: Timestamp,
    /// Set when health was judged at the end of a past study rather than now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Arguments naming one camera.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CameraRef {
    /// Camera id, e.g. "CREEK-01" (list_cameras gives them).
    pub id: String,
    /// Judge health as of this time (ISO 8601 with zone, or a date); default now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

/// One deployment in a camera's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSummary {
    /// Deployment id.
    pub id: String,
    /// Start.
    pub start: Timestamp,
    /// End.
    pub end: Timestamp,
    /// Days deployed.
    pub days: f64,
    /// Days of those the camera was not working.
    pub malfunction_days: f64,
    /// Latitude.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Longitude.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// Camera clock offset from UTC, minutes.
    pub utc_offset_min: i32,
}

/// One malfunction window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MalfunctionSummary {
    /// Deployment it interrupted.
    pub deployment_id: String,
    /// Start of the outage.
    pub start: Timestamp,
    /// End of the outage.
    pub end: Timestamp,
    /// Why.
    pub reason: String,
    /// Length, days.
    pub days: f64,
}

/// Result of [`CameraInventory::camera_details`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CameraDetails {
    /// Everything stored about the camera.
    pub camera: Camera,
    /// Health at the reference time.
    pub health: Health,
    /// Deployments, oldest first.
    pub deployments: Vec<DeploymentSummary>,
    /// Malfunction windows, oldest first.
    pub malfunctions: Vec<MalfunctionSummary>,
    /// Working days: deployed days minus malfunction days (the camera's trap-nights).
    pub effort_days: f64,
    /// Media files recorded.
    pub media_count: i64,
    /// Events recorded.
    pub event_count: i64,
    /// First media file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Timestamp>,
    /// Live stream health as the camera gateway last recorded it (connected, frames per
    /// second, bits per second, last frame, last event, when recorded); absent for a camera
    /// that never streamed live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<trailmesh_core::store::CameraLive>,
    /// Set when health was judged at the end of a past study rather than now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Arguments of [`CameraInventory::add_camera`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddCameraInput {
    /// New camera id: letters, digits, '-', '_' and '.', e.g. "SPRING-09".
    pub id: String,
    /// Human name, e.g. "Spring seep".
    pub name: String,
    /// Latitude, WGS84 decimal degrees (-90..90).
    pub latitude: f64,
    /// Longitude, WGS84 decimal degrees (-180..180).
    pub longitude: f64,
    /// Site / study area, e.g. "Cedar Creek".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Habitat in words, e.g. "riparian woodland".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub habitat: Option<String>,
    /// Feature watched (Camtrap DP featureType), e.g. "waterSource".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_type: Option<FeatureType>,
    /// Make and model, e.g. "Browning BTC-8E".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Height above ground, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    /// Lens heading, degrees clockwise from north (0..360).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading_deg: Option<f64>,
    /// Detection distance, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_distance_m: Option<f64>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Arguments of [`CameraInventory::update_camera`]: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateCameraInput {
    /// Id of the camera to change.
    pub id: String,
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New latitude (-90..90).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// New longitude (-180..180).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// New site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// New habitat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub habitat: Option<String>,
    /// New feature type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_type: Option<FeatureType>,
    /// New model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// New height, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    /// New heading, degrees (0..360).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading_deg: Option<f64>,
    /// New detection distance, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_distance_m: Option<f64>,
    /// Battery level just read from the camera, percent (0..100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery_pct: Option<f64>,
    /// New notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Arguments of [`CameraInventory::retire_camera`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetireCameraInput {
    /// Id of the camera to retire.
    pub id: String,
    /// Why, e.g. "stolen", "moved to the ridge"; kept in the camera's notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Arguments of [`CameraInventory::coverage`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CoverageInput {
    /// Only cameras of this site (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Include retired cameras (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_retired: Option<bool>,
}

/// A GeoJSON geometry (RFC 7946).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Geometry {
    /// `Point` or `Polygon`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `[longitude, latitude]` for a Point; a list of rings of `[longitude, latitude]` for a Polygon.
    pub coordinates: serde_json::Value,
}

/// A GeoJSON feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Feature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where.
    pub geometry: Geometry,
    /// What: camera id, name, site, feature type, health, detection distance; or the study-area outline.
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// Camera coverage as a GeoJSON FeatureCollection: a Point per camera, and the convex hull
/// of the cameras as the surveyed area (when there are three or more).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Coverage {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The features.
    pub features: Vec<Feature>,
    /// Cameras left out because they have no coordinates.
    #[serde(rename = "camerasWithoutLocation")]
    pub cameras_without_location: Vec<String>,
}

/// The reference time health is judged at.
struct Reference {
    at: Timestamp,
    note: Option<String>,
}

impl Reference {
    /// A past study is judged per camera at the end of its last deployment (a camera
    /// retrieved a day before the newest file is not "not deployed" in any useful sense).
    fn historic(&self) -> bool {
        self.note.is_some()
    }
}

impl CameraInventory {
    /// The skill over a store.
    pub fn new(store: Store) -> Self {
        CameraInventory { store }
    }

    async fn reference(&self, as_of: Option<&str>, activity: &[CameraActivity]) -> SkillResult<Reference> {
        if let Some(s) = as_of {
            return Ok(Reference {
                at: parse_time_arg("asOf", s)?,
                note: None,
            });
        }
        let now = chrono::Utc::now();
        let newest = activity.iter().filter_map(|a| a.last_media).max();
        match newest {
            Some(n) if now - n > Duration::days(HISTORIC_AFTER_DAYS) => Ok(Reference {
                at: n,
                note: Some(format!(
                    "the newest media file is from {}; health is judged as of then (pass asOf to choose)",
                    n.format("%Y-%m-%d %H:%M UTC")
                )),
            }),
            _ => Ok(Reference { at: now, note: None }),
        }
    }

    /// Lists and searches cameras.
    pub async fn list_cameras(&self, input: ListCamerasInput) -> SkillResult<CameraList> {
        let limit = page_limit(input.limit)?;
        let offset = input.offset.unwrap_or(0);
        if let Some(n) = &input.near {
            check_lat_lon("near", n.latitude, n.longitude)?;
            if !(n.radius_km > 0.0 && n.radius_km.is_finite()) {
                return Err(SkillError::invalid(
                    "near.radiusKm",
                    "must be a positive number of kilometres",
                ));
            }
        }
        let cameras = self.store.cameras().await?;
        let activity = self.store.camera_activity().await?;
        let reference = self.reference(input.as_of.as_deref(), &activity).await?;
        let deployments = self.store.deployments(None).await?;
        let malfunctions = self.store.malfunctions(None).await?;
        let by_cam: BTreeMap<&str, &CameraActivity> = activity.iter().map(|a| (a.camera_id.as_str(), a)).collect();
        let lower = |s: &Option<String>| s.as_deref().unwrap_or("").to_lowercase();
        let mut out = Vec::new();
        for c in &cameras {
            if let Some(site) = &input.site
                && lower(&c.site) != site.to_lowercase()
            {
                continue;
            }
            if let Some(h) = &input.habitat
                && !lower(&c.habitat).contains(&h.to_lowercase())
            {
                continue;
            }
            if input.feature_type.is_some() && c.feature_type != input.feature_type {
                continue;
            }
            if let Some(text) = &input.text {
                let hay = format!("{} {} {} {}", c.id, c.name, lower(&c.site), lower(&c.habitat)).to_lowercase();
                if !text.to_lowercase().split_whitespace().all(|w| hay.contains(w)) {
                    continue;
                }
            }
            let distance = match (&input.near, c.latitude, c.longitude) {
                (Some(n), Some(lat), Some(lon)) => {
                    let d = distance_km(n.latitude, n.longitude, lat, lon);
                    if d > n.radius_km {
                        continue;
                    }
                    Some(round3(d))
                }
                (Some(_), _, _) => continue,
                _ => None,
            };
            let act = by_cam.get(c.id.as_str()).copied();
            let health = health_of(c, act, &deployments, &malfunctions, &reference, 3.0);
            if input.health.is_some_and(|h| h != health.state) {
                continue;
            }
            out.push(CameraSummary {
                id: c.id.clone(),
                name: c.name.clone(),
                site: c.site.clone(),
                habitat: c.habitat.clone(),
                feature_type: c.feature_type,
                latitude: c.latitude,
                longitude: c.longitude,
                status: c.status,
                health: health.state,
                event_count: act.map(|a| a.event_count).unwrap_or(0),
                distance_km: distance,
            });
        }
        if input.near.is_some() {
            out.sort_by(|a, b| {
                a.distance_km
                    .partial_cmp(&b.distance_km)
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        }
        let total = out.len() as u64;
        let page: Vec<CameraSummary> = out.into_iter().skip(offset as usize).take(limit as usize).collect();
        Ok(CameraList {
            page: PageInfo::new(total, offset, limit, page.len()),
            cameras: page,
            as_of: reference.at,
            note: reference.note,
        })
    }

    /// One camera: details, health, deployments, malfunctions, effort.
    pub async fn camera_details(&self, input: CameraRef) -> SkillResult<CameraDetails> {
        let camera = self.camera_or_hint(&input.id).await?;
        let activity = self.store.camera_activity().await?;
        let reference = self.reference(input.as_of.as_deref(), &activity).await?;
        let deployments = self.store.deployments(Some(&camera.id)).await?;
        let mut malfunctions = Vec::new();
        for d in &deployments {
            malfunctions.extend(self.store.malfunctions(Some(&d.id)).await?);
        }
        let act = activity.iter().find(|a| a.camera_id == camera.id);
        let health = health_of(&camera, act, &deployments, &malfunctions, &reference, 3.0);
        let days = |a: Timestamp, b: Timestamp| round3((b - a).num_milliseconds().max(0) as f64 / 86_400_000.0);
        let deployment_summaries: Vec<DeploymentSummary> = deployments
            .iter()
            .map(|d| DeploymentSummary {
                id: d.id.clone(),
                start: d.start,
                end: d.end,
                days: days(d.start, d.end),
                malfunction_days: round3(
                    malfunctions
                        .iter()
                        .filter(|m| m.deployment_id == d.id)
                        .map(|m| days(m.start.max(d.start), m.end.min(d.end)))
                        .sum(),
                ),
                latitude: d.latitude,
                longitude: d.longitude,
                utc_offset_min: d.utc_offset_min,
            })
            .collect();
        let effort = deployment_summaries
            .iter()
            .map(|d| d.days - d.malfunction_days)
            .sum::<f64>();
        Ok(CameraDetails {
            health,
            malfunctions: malfunctions
                .iter()
                .map(|m| MalfunctionSummary {
                    deployment_id: m.deployment_id.clone(),
                    start: m.start,
                    end: m.end,
                    reason: m.reason.clone(),
                    days: days(m.start, m.end),
                })
                .collect(),
            deployments: deployment_summaries,
            effort_days: round3(effort),
            media_count: act.map(|a| a.media_count).unwrap_or(0),
            event_count: act.map(|a| a.event_count).unwrap_or(0),
            first_seen: act.and_then(|a| a.first_media),
            live: self.store.camera_live(Some(&camera.id)).await?.into_iter().next(),
            note: reference.note,
            camera,
        })
    }

    /// Adds a camera. Refuses an id that exists.
    pub async fn add_camera(&self, input: AddCameraInput) -> SkillResult<Camera> {
        check_id(&input.id)?;
        if input.name.trim().is_empty() {
            return Err(SkillError::invalid("name", "must not be empty"));
        }
        check_lat_lon("", input.latitude, input.longitude)?;
        check_heading(input.heading_deg)?;
        if self.store.camera(&input.id).await?.is_some() {
            return Err(SkillError::invalid(
                "id",
                format!("a camera '{}' exists already; use update_camera to change it", input.id),
            ));
        }
        let mut c = Camera::new(input.id, input.name);
        c.latitude = Some(input.latitude);
        c.longitude = Some(input.longitude);
        c.site = input.site;
        c.habitat = input.habitat;
        c.feature_type = input.feature_type;
        c.model = input.model;
        c.height_m = input.height_m;
        c.heading_deg = input.heading_deg;
        c.detection_distance_m = input.detection_distance_m;
        c.notes = input.notes;
        self.store.upsert_camera(&c).await?;
        Ok(c)
    }

    /// Changes the given fields of a camera.
    pub async fn update_camera(&self, input: UpdateCameraInput) -> SkillResult<Camera> {
        let mut c = self.camera_or_hint(&input.id).await?;
        if let Some(n) = input.name {
            if n.trim().is_empty() {
                return Err(SkillError::invalid("name", "must not be empty"));
            }
            c.name = n;
        }
        let lat = input.latitude.or(c.latitude);
        let lon = input.longitude.or(c.longitude);
        if input.latitude.is_some() || input.longitude.is_some() {
            match (lat, lon) {
                (Some(la), Some(lo)) => check_lat_lon("", la, lo)?,
                _ => {
                    return Err(SkillError::invalid(
                        "latitude",
                        "give both latitude and longitude for a camera that has no location yet",
                    ));
                }
            }
        }
        check_heading(input.heading_deg)?;
        if let Some(b) = input.battery_pct
            && !(0.0..=100.0).contains(&b)
        {
            return Err(SkillError::invalid("batteryPct", "must be a percentage, 0..100"));
        }
        c.latitude = lat;
        c.longitude = lon;
        c.site = input.site.or(c.site);
        c.habitat = input.habitat.or(c.habitat);
        c.feature_type = input.feature_type.or(c.feature_type);
        c.model = input.model.or(c.model);
        c.height_m = input.height_m.or(c.height_m);
        c.heading_deg = input.heading_deg.or(c.heading_deg);
        c.detection_distance_m = input.detection_distance_m.or(c.detection_distance_m);
        c.battery_pct = input.battery_pct.or(c.battery_pct);
        c.notes = input.notes.or(c.notes);
        self.store.upsert_camera(&c).await?;
        Ok(c)
    }

    /// Retires a camera (its data stays).
    pub async fn retire_camera(&self, input: RetireCameraInput) -> SkillResult<Camera> {
        let mut c = self.camera_or_hint(&input.id).await?;
        c.status = CameraStatus::Retired;
        if let Some(reason) = input.reason.filter(|r| !r.trim().is_empty()) {
            let line = format!("retired: {reason}");
            c.notes = Some(match c.notes {
                Some(n) if !n.is_empty() => format!("{n}\n{line}"),
                _ => line,
            });
        }
        self.store.upsert_camera(&c).await?;
        Ok(c)
    }

    /// Camera coverage as GeoJSON.
    pub async fn coverage(&self, input: CoverageInput) -> SkillResult<Coverage> {
        let cameras = self.store.cameras().await?;
        let activity = self.store.camera_activity().await?;
        let reference = self.reference(None, &activity).await?;
        let deployments = self.store.deployments(None).await?;
        let malfunctions = self.store.malfunctions(None).await?;
        let mut features = Vec::new();
        let mut without = Vec::new();
        let mut points = Vec::new();
        for c in cameras {
            if let Some(site) = &input.site
                && c.site.as_deref().unwrap_or("").to_lowercase() != site.to_lowercase()
            {
                continue;
            }
            if c.status == CameraStatus::Retired && !input.include_retired.unwrap_or(false) {
                continue;
            }
            let (Some(lat), Some(lon)) = (c.latitude, c.longitude) else {
                without.push(c.id.clone());
                continue;
            };
            let act = activity.iter().find(|a| a.camera_id == c.id);
            let health = health_of(&c, act, &deployments, &malfunctions, &reference, 3.0);
            let mut props = serde_json::Map::new();
            props.insert("id".into(), c.id.clone().into());
            props.insert("name".into(), c.name.clone().into());
            if let Some(s) = &c.site {
                props.insert("site".into(), s.clone().into());
            }
            if let Some(f) = c.feature_type {
                props.insert("featureType".into(), f.as_str().into());
            }
            if let Some(d) = c.detection_distance_m {
                props.insert("detectionDistanceM".into(), d.into());
            }
            props.insert("health".into(), serde_json::to_value(health.state).unwrap_or_default());
            props.insert("events".into(), act.map(|a| a.event_count).unwrap_or(0).into());
            points.push((lon, lat));
            features.push(Feature {
                kind: "Feature".into(),
                geometry: Geometry {
                    kind: "Point".into(),
                    coordinates: serde_json::json!([lon, lat]),
                },
                properties: props,
            });
        }
        let hull = convex_hull(&points);
        if hull.len() >= 3 {
            let mut ring: Vec<[f64; 2]> = hull.iter().map(|&(x, y)| [x, y]).collect();
            ring.push(ring[0]);
            let mut props = serde_json::Map::new();
            props.insert("name".into(), "surveyed area (convex hull of the cameras)".into());
            props.insert("cameras".into(), points.len().into());
            features.push(Feature {
                kind: "Feature".into(),
                geometry: Geometry {
                    kind: "Polygon".into(),
                    coordinates: serde_json::json!([ring]),
                },
                properties: props,
            });
        }
        Ok(Coverage {
            kind: "FeatureCollection".into(),
            features,
            cameras_without_location: without,
        })
    }

    async fn camera_or_hint(&self, id: &str) -> SkillResult<Camera> {
        match self.store.camera(id).await? {
            Some(c) => Ok(c),
            None => {
                let ids: Vec<String> = self.store.cameras().await?.into_iter().map(|c| c.id).collect();
                let shown: Vec<&str> = ids.iter().take(20).map(String::as_str).collect();
                Err(SkillError::not_found(
                    "camera",
                    id,
                    if ids.is_empty() {
                        "there are no cameras yet; add one with add_camera".to_string()
                    } else {
                        format!(
                            "known cameras: {}{}",
                            shown.join(", "),
                            if ids.len() > 20 { ", ..." } else { "" }
                        )
                    },
                ))
            }
        }
    }
}

/// Judges a camera's health at `at`.
fn health_of(
    c: &Camera,
    activity: Option<&CameraActivity>,
    deployments: &[Deployment],
    malfunctions: &[Malfunction],
    reference: &Reference,
    fault_after_days: f64,
) -> Health {
    let mine: Vec<&Deployment> = deployments.iter().filter(|d| d.camera_id == c.id).collect();
    let at = match mine.iter().map(|d| d.end).max() {
        Some(end) if reference.historic() => end.min(reference.at),
        _ => reference.at,
    };
    let my_malfunctions: Vec<&Malfunction> = malfunctions
        .iter()
        .filter(|m| mine.iter().any(|d| d.id == m.deployment_id))
        .collect();
    let last_seen = activity.and_then(|a| a.last_media).filter(|t| *t <= at);
    let hours = last_seen.map(|t| round3((at - t).num_milliseconds() as f64 / 3_600_000.0));
    // Uptime over deployed time up to `at`.
    let (mut deployed, mut down) = (0i64, 0i64);
    for d in &mine {
        let end = d.end.min(at);
        if end > d.start {
            deployed += (end - d.start).num_milliseconds();
            for m in my_malfunctions.iter().filter(|m| m.deployment_id == d.id) {
                let (s, e) = (m.start.max(d.start), m.end.min(end));
                if e > s {
                    down += (e - s).num_milliseconds();
                }
            }
        }
    }
    let uptime = (deployed > 0).then(|| round3(100.0 * (deployed - down) as f64 / deployed as f64));
    let (state, reason) = if c.status == CameraStatus::Retired {
        (HealthState::Retired, "retired from service".to_string())
    } else if let Some(m) = my_malfunctions.iter().find(|m| m.start <= at && at < m.end) {
        (
            HealthState::Faulty,
            format!(
                "malfunction since {}: {}",
                m.start.format("%Y-%m-%d %H:%M UTC"),
                m.reason
            ),
        )
    } else if !mine.iter().any(|d| d.start <= at && at <= d.end) {
        let last_end = mine.iter().map(|d| d.end).filter(|e| *e < at).max();
        (
            HealthState::NotDeployed,
            match last_end {
                Some(e) => format!(
                    "no deployment covers this time; the last one ended {}",
                    e.format("%Y-%m-%d")
                ),
                None => "no deployment covers this time".to_string(),
            },
        )
    } else if c.battery_pct.is_some_and(|b| b < LOW_BATTERY_PCT) {
        (
            HealthState::Faulty,
            format!("battery at {:.0} %", c.battery_pct.unwrap_or_default()),
        )
    } else {
        match hours {
            None => (HealthState::Sleeping, "deployed, nothing recorded yet".to_string()),
            Some(h) if h <= 24.0 => (HealthState::Online, format!("last media {:.1} h ago", h)),
            Some(h) if h <= fault_after_days * 24.0 => (
                HealthState::Sleeping,
                format!("quiet for {:.1} h; normal for a motion-triggered camera", h),
            ),
            Some(h) => (
                HealthState::Faulty,
                format!(
                    "nothing for {:.1} days while deployed (more than {fault_after_days} days)",
                    h / 24.0
                ),
            ),
        }
    };
    Health {
        state,
        reason,
        as_of: at,
        last_seen,
        last_event: activity.and_then(|a| a.last_event).filter(|t| *t <= at),
        hours_since_last_seen: hours,
        battery_pct: c.battery_pct,
        uptime_pct: uptime,
    }
}

fn check_lat_lon(prefix: &str, lat: f64, lon: f64) -> SkillResult<()> {
    let name = |f: &str| {
        if prefix.is_empty() {
            f.to_string()
        } else {
            format!("{prefix}.{f}")
        }
    };
    if !(-90.0..=90.0).contains(&lat) {
        return Err(SkillError::invalid(
            &name("latitude"),
            format!("{lat} is outside -90..90"),
        ));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(SkillError::invalid(
            &name("longitude"),
            format!("{lon} is outside -180..180"),
        ));
    }
    Ok(())
}

fn check_heading(h: Option<f64>) -> SkillResult<()> {
    match h {
        Some(h) if !(0.0..=360.0).contains(&h) => {
            Err(SkillError::invalid("headingDeg", format!("{h} is outside 0..360")))
        }
        _ => Ok(()),
    }
}

fn check_id(id: &str) -> SkillResult<()> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(SkillError::invalid(
            "id",
            format!("'{id}' is not a camera id: use 1-64 letters, digits, '-', '_' or '.'"),
        ));
    }
    Ok(())
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Convex hull (Andrew's monotone chain), counter-clockwise, without repeating the first point.
fn convex_hull(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut p: Vec<(f64, f64)> = points.to_vec();
    p.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    p.dedup();
    if p.len() < 3 {
        return p;
    }
    let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0);
    let mut lower: Vec<(f64, f64)> = Vec::new();
    for &q in &p {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], q) <= 0.0 {
            lower.pop();
        }
        lower.push(q);
    }
    let mut upper: Vec<(f64, f64)> = Vec::new();
    for &q in p.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], q) <= 0.0 {
            upper.pop();
        }
        upper.push(q);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_of_a_square_with_an_inside_point() {
        let h = convex_hull(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.5, 0.5)]);
        assert_eq!(h, vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_id("CREEK-01").is_ok());
        assert!(check_id("bad id").is_err());
        assert!(check_id("").is_err());
    }
}
