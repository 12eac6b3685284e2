//! # Trail builder
//!
//! How animals move across the camera network: trails of a marked individual or of a species
//! over a time span, the transition graph between cameras (A -> B counts and transit times),
//! corridors (edges used far more than chance), daily routes, first and last sightings, net
//! movement, activity over a timespan per camera, and GeoJSON of it all.
//!
//! **Trails** (DOMAIN.md): the time-ordered sightings of an individual (where events carry an
//! individual id) across cameras. Without ids, sightings of a species are linked into trails
//! greedily: a sighting at camera B continues the most recent open trail that ended at
//! another camera A no longer ago than `maxGapHours` and no sooner than the distance A-B
//! allows at `maxSpeedKmh` (the animal could have walked it). Repeated sightings at the same
//! camera within `maxGapHours` extend a trail without a new step. This is a reconstruction,
//! not an identification; answers say so.
//!
//! **Corridors**: an edge A -> B is a corridor when it is used at least 3 times and at least
//! twice as often as a gravity null model expects, E(A->B) = out(A) * in(B) / T (T all
//! transitions, self-loops excluded), with a one-sided Poisson p-value below 0.05 — the
//! "used far more than chance" of DOMAIN.md.

use chrono::{Duration, FixedOffset, NaiveDate, Timelike};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use trailmesh_core::geo::{bearing_deg, compass, distance_km};
use trailmesh_core::model::*;
use trailmesh_core::skill::{PageInfo, SkillError, SkillResult, page_limit, parse_time_arg};
use trailmesh_core::store::{EventBrief, EventQuery, Store, TimeRange};

/// Default longest gap between two sightings of one trail, hours.
pub const DEFAULT_MAX_GAP_HOURS: f64 = 12.0;
/// Default fastest plausible travel between cameras, km/h.
pub const DEFAULT_MAX_SPEED_KMH: f64 = 6.0;
/// Slowest travel that still counts as walking from one camera to the next, km/h: a longer
/// gap is more likely another animal.
pub const MIN_SPEED_KMH: f64 = 0.5;
/// Repeated sightings at one camera join a trail only this close together.
pub const SAME_CAMERA_GAP: Duration = Duration::hours(1);

/// The trail-builder skill.
#[derive(Debug, Clone)]
pub struct TrailBuilder {
    store: Store,
    /// Animal sightings per species, all time, oldest first: trail questions come back to the
    /// same few species, and a month of a common species is a hundred thousand events.
    cache: Arc<Mutex<SpeciesCache>>,
}

/// Sightings found for a question: a window of a shared, time-ordered list.
struct Found {
    all: Arc<Vec<EventBrief>>,
    range: std::ops::Range<usize>,
}

impl std::ops::Deref for Found {
    type Target = [EventBrief];
    fn deref(&self) -> &[EventBrief] {
        &self.all[self.range.clone()]
    }
}

/// Loaded species, valid while the store's events fingerprint is `version`.
#[derive(Debug, Default)]
struct SpeciesCache {
    version: trailmesh_core::store::EventsFingerprint,
    by_species: HashMap<String, Arc<Vec<EventBrief>>>,
}

/// Which sightings to use: a species or an individual over a time span.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrailInput {
    /// Species: scientific or common name, case-insensitive (e.g. "elk"). One of species or individual is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub species: Option<String>,
    /// Marked individual id (e.g. "bear-F1"); its sightings form one trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub individual: Option<String>,
    /// Start of the span (ISO 8601 with zone, or a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// End of the span, exclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Longest gap between two sightings of one trail, hours (default 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_gap_hours: Option<f64>,
    /// Fastest plausible travel speed between cameras, km/h (default 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_speed_kmh: Option<f64>,
    /// Only trails visiting at least this many cameras (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cameras: Option<u32>,
    /// Page size for trails, 1..500, default 50 (longest trails first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Skip this many trails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// One stop of a trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrailStep {
    /// Camera id.
    pub camera_id: String,
    /// Latitude of the camera.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Longitude of the camera.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// First sighting at this stop.
    pub arrival: Timestamp,
    /// Last sighting at this stop.
    pub departure: Timestamp,
    /// Events at this stop.
    pub event_ids: Vec<String>,
}

/// A trail across cameras.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Trail {
    /// Trail id (stable for the same data and arguments).
    pub id: String,
    /// Species.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scientific_name: Option<String>,
    /// Individual, when the trail follows a marked animal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub individual_id: Option<String>,
    /// "individual" (from ids) or "reconstructed" (linked by time and distance).
    pub method: String,
    /// Stops in time order.
    pub steps: Vec<TrailStep>,
    /// Straight-line length along the stops, km.
    pub length_km: f64,
    /// From the first arrival to the last departure, hours.
    pub duration_h: f64,
    /// Bearing from the first stop to the last, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_bearing_deg: Option<f64>,
    /// Distance from the first stop to the last, km.
    pub net_displacement_km: f64,
}

/// Result of [`TrailBuilder::trails`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Trails {
    /// Trails on this page, most stops first.
    pub trails: Vec<Trail>,
    /// Paging.
    pub page: PageInfo,
    /// Sightings used.
    pub sightings: u64,
    /// How trails were formed, in words.
    pub method_note: String,
}

/// Transit times of one edge, hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransitTimes {
    /// Shortest.
    pub min_h: f64,
    /// Median.
    pub median_h: f64,
    /// 90th percentile.
    pub p90_h: f64,
    /// Longest.
    pub max_h: f64,
    /// Mean.
    pub mean_h: f64,
}

/// One directed edge of the transition graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    /// From camera.
    pub from: String,
    /// To camera.
    pub to: String,
    /// Times the move was seen.
    pub count: u64,
    /// Straight-line distance, km.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// Transit times.
    pub transit: TransitTimes,
    /// Expected count under the gravity null model.
    pub expected: f64,
    /// Used at least 3 times, at least twice as often as expected, Poisson p < 0.05.
    pub corridor: bool,
    /// One-sided Poisson p-value of seeing this many or more.
    pub p_value: f64,
}

/// A camera in the transition graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GraphNode {
    /// Camera id.
    pub camera_id: String,
    /// Sightings.
    pub sightings: u64,
    /// Moves out.
    pub out_degree: u64,
    /// Moves in.
    pub in_degree: u64,
}

/// Result of [`TrailBuilder::transition_graph`] and [`TrailBuilder::corridors`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransitionGraph {
    /// Cameras.
    pub nodes: Vec<GraphNode>,
    /// Directed edges, most used first.
    pub edges: Vec<Transition>,
    /// Moves counted.
    pub transitions: u64,
    /// Trails they came from.
    pub trails: u64,
}

/// Arguments of [`TrailBuilder::daily_routes`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoutesInput {
    /// Marked individual id (e.g. "raccoon-M1"); or give a species for reconstructed trails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub individual: Option<String>,
    /// Species (scientific or common name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub species: Option<String>,
    /// Start (ISO 8601 with zone, or a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// End, exclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Day boundary in local hours: 12 groups a night together (nocturnal animals), 0 groups calendar days (default 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_starts_at_hour: Option<u32>,
}

/// A route walked on one or more days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// Cameras in order.
    pub cameras: Vec<String>,
    /// Days it was walked.
    pub days: u64,
    /// Those days (local dates of the day start).
    pub dates: Vec<String>,
    /// Median local time of the first sighting, HH:MM.
    pub typical_start: String,
}

/// Result of [`TrailBuilder::daily_routes`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DailyRoutes {
    /// Routes visiting 2+ cameras, most frequent first (at most 20).
    pub routes: Vec<Route>,
    /// Days with sightings.
    pub active_days: u64,
}

/// Arguments of [`TrailBuilder::sightings`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SightingsInput {
    /// Species (scientific or common name). Required.
    pub species: String,
    /// Start (ISO 8601 with zone, or a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// End, exclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// First and last sightings at one camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CameraSightings {
    /// Camera id.
    pub camera_id: String,
    /// First sighting.
    pub first: Timestamp,
    /// Last sighting.
    pub last: Timestamp,
    /// Events.
    pub events: u64,
}

/// Result of [`TrailBuilder::sightings`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sightings {
    /// Species.
    pub scientific_name: String,
    /// First sighting anywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<Timestamp>,
    /// Camera of the first sighting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_camera: Option<String>,
    /// Last sighting anywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<Timestamp>,
    /// Camera of the last sighting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_camera: Option<String>,
    /// Per camera, by first sighting.
    pub cameras: Vec<CameraSightings>,
}

/// Result of [`TrailBuilder::net_movement`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetMovement {
    /// Species.
    pub scientific_name: String,
    /// Weekly centres of activity (event-weighted mean camera position).
    pub weeks: Vec<WeekCentre>,
    /// Bearing from the first week's centre to the last week's, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bearing_deg: Option<f64>,
    /// Compass direction of that bearing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// Distance between the two centres, km.
    pub displacement_km: f64,
    /// Displacement per day over the span, km/day.
    pub speed_km_per_day: f64,
    /// In words.
    pub summary: String,
}

/// The centre of activity in one week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WeekCentre {
    /// Week start (UTC).
    pub week_start: Timestamp,
    /// Latitude of the centre.
    pub latitude: f64,
    /// Longitude of the centre.
    pub longitude: f64,
    /// Events that week.
    pub events: u64,
}

/// Arguments of [`TrailBuilder::timespan_activity`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimespanInput {
    /// Start (ISO 8601 with zone, or a date). Required.
    pub from: String,
    /// End, exclusive. Required; at most 92 days after 'from'.
    pub to: String,
    /// Bucket size: "hour" or "day" (default "day").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Only this species (scientific or common name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub species: Option<String>,
    /// Only these cameras.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cameras: Option<Vec<String>>,
}

/// Activity in one bucket at one camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityCell {
    /// Camera id.
    pub camera_id: String,
    /// Bucket start (UTC).
    pub bucket_start: Timestamp,
    /// Animal events.
    pub events: u64,
    /// Events per species.
    pub species: BTreeMap<String, u64>,
}

/// Result of [`TrailBuilder::timespan_activity`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimespanActivity {
    /// Bucket size used.
    pub bucket: String,
    /// Non-empty cells, by camera then time.
    pub cells: Vec<ActivityCell>,
    /// Events per camera over the whole span.
    pub totals: BTreeMap<String, u64>,
}

/// A GeoJSON FeatureCollection (RFC 7946) of trails and cameras.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrailGeoJson {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A LineString per trail, a Point per camera on a trail.
    pub features: Vec<serde_json::Value>,
}

struct Ctx {
    cameras: BTreeMap<String, Camera>,
    species: BTreeMap<String, Option<String>>,
    offsets: BTreeMap<String, i32>,
}

impl Ctx {
    fn pos(&self, camera: &str) -> Option<(f64, f64)> {
        self.cameras.get(camera).and_then(|c| Some((c.latitude?, c.longitude?)))
    }

    fn dist(&self, a: &str, b: &str) -> Option<f64> {
        let (p, q) = (self.pos(a)?, self.pos(b)?);
        Some(distance_km(p.0, p.1, q.0, q.1))
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn hours(d: Duration) -> f64 {
    d.num_milliseconds() as f64 / 3_600_000.0
}

impl TrailBuilder {
    /// The skill over a store.
    pub fn new(store: Store) -> Self {
        TrailBuilder {
            store,
            cache: Arc::default(),
        }
    }

    /// Every animal sighting of `species`, oldest first; loaded once and reloaded when the
    /// store's events change (an import, a live event, a species given by a description).
    async fn species_events(&self, species: &str) -> SkillResult<Arc<Vec<EventBrief>>> {
        let version = self.store.events_fingerprint().await?;
        if let Ok(cache) = self.cache.lock()
            && cache.version == version
            && let Some(hit) = cache.by_species.get(species)
        {
            return Ok(hit.clone());
        }
        let loaded = Arc::new(
            self.store
                .event_briefs(&EventQuery {
                    scientific_name: Some(species.to_string()),
                    observation_type: Some(ObservationType::Animal),
                    ..Default::default()
                })
                .await?,
        );
        if let Ok(mut cache) = self.cache.lock() {
            if cache.version != version {
                cache.by_species.clear();
                cache.version = version;
            }
            cache.by_species.insert(species.to_string(), loaded.clone());
        }
        Ok(loaded)
    }

    async fn ctx(&self) -> SkillResult<Ctx> {
        Ok(Ctx {
            cameras: self
                .store
                .cameras()
                .await?
                .into_iter()
                .map(|c| (c.id.clone(), c))
                .collect(),
            species: self
                .store
                .species()
                .await?
                .into_iter()
                .map(|s| (s.scientific_name, s.common_name))
                .collect(),
            offsets: self
                .store
                .deployments(None)
                .await?
                .into_iter()
                .map(|d| (d.id, d.utc_offset_min))
                .collect(),
        })
    }

    fn resolve_species(ctx: &Ctx, field: &str, name: &str) -> SkillResult<String> {
        let want = name.trim().to_lowercase();
        let singular = want.trim_end_matches("es").trim_end_matches('s').to_string();
        let exact = ctx
            .species
            .iter()
            .find(|(s, c)| s.to_lowercase() == want || c.as_deref().is_some_and(|c| c.to_lowercase() == want));
        if let Some((s, _)) = exact {
            return Ok(s.clone());
        }
        let partial: Vec<&String> = ctx
            .species
            .iter()
            .filter(|(s, c)| {
                s.to_lowercase().contains(&singular)
                    || c.as_deref().is_some_and(|c| c.to_lowercase().contains(&singular))
            })
            .map(|(s, _)| s)
            .collect();
        if partial.len() == 1 {
            return Ok(partial[0].clone());
        }
        let known: Vec<String> = ctx
            .species
            .iter()
            .map(|(s, c)| c.as_ref().map(|c| format!("{c} ({s})")).unwrap_or(s.clone()))
            .collect();
        Err(SkillError::invalid(
            field,
            format!("no single species '{name}'; known species: {}", known.join(", ")),
        ))
    }

    fn range(from: Option<&str>, to: Option<&str>) -> SkillResult<TimeRange> {
        let from = from.map(|s| parse_time_arg("from", s)).transpose()?;
        let to = to.map(|s| parse_time_arg("to", s)).transpose()?;
        if let (Some(a), Some(b)) = (from, to)
            && b <= a
        {
            return Err(SkillError::invalid("to", "must be after 'from'"));
        }
        Ok(TimeRange { from, to })
    }

    /// Sightings for a trail input, sorted by time.
    async fn sightings_for(&self, ctx: &Ctx, input: &TrailInput) -> SkillResult<(Found, Option<String>)> {
        if input.species.is_none() && input.individual.is_none() {
            return Err(SkillError::invalid("species", "give a species or an individual"));
        }
        let species = input
            .species
            .as_deref()
            .map(|s| Self::resolve_species(ctx, "species", s))
            .transpose()?;
        let time = Self::range(input.from.as_deref(), input.to.as_deref())?;
        let events = match (&species, &input.individual) {
            (Some(sp), None) => {
                let all = self.species_events(sp).await?;
                let lo = time.from.map_or(0, |t| all.partition_point(|e| e.start < t));
                let hi = time.to.map_or(all.len(), |t| all.partition_point(|e| e.start < t));
                Found {
                    all,
                    range: lo..hi.max(lo),
                }
            }
            _ => {
                let q = EventQuery {
                    scientific_name: species.clone(),
                    individual_id: input.individual.clone(),
                    time,
                    observation_type: Some(ObservationType::Animal),
                    ..Default::default()
                };
                let all = Arc::new(self.store.event_briefs(&q).await?);
                Found {
                    range: 0..all.len(),
                    all,
                }
            }
        };
        if let Some(i) = &input.individual
            && events.is_empty()
        {
            return Err(SkillError::not_found(
                "individual",
                i,
                "no events carry that individual id in this span; find_events with 'individual' lists sightings",
            ));
        }
        Ok((events, species))
    }

    /// Links the sightings into chains (the core of every other operation); trails are
    /// written out from chains only where an answer shows them.
    async fn build(&self, ctx: &Ctx, input: &TrailInput) -> SkillResult<Linked> {
        let max_gap = input.max_gap_hours.unwrap_or(DEFAULT_MAX_GAP_HOURS);
        let vmax = input.max_speed_kmh.unwrap_or(DEFAULT_MAX_SPEED_KMH);
        if !(max_gap > 0.0 && max_gap <= 24.0 * 14.0) {
            return Err(SkillError::invalid("maxGapHours", "must be in (0, 336]"));
        }
        if !(vmax > 0.0 && vmax <= 100.0) {
            return Err(SkillError::invalid("maxSpeedKmh", "must be in (0, 100]"));
        }
        let (events, _) = self.sightings_for(ctx, input).await?;
        let cams = CameraIndex::new(&events);
        let (chains, note) = if input.individual.is_some() {
            (
                vec![Chain {
                    members: (0..events.len()).collect(),
                    individual: true,
                }],
                "one trail per individual, from its id".to_string(),
            )
        } else {
            // Marked individuals by id; the rest reconstructed.
            let mut by_ind: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            let mut rest = Vec::new();
            for (i, e) in events.iter().enumerate() {
                match &e.individual_id {
                    Some(id) => by_ind.entry(id.as_str()).or_default().push(i),
                    None => rest.push(i),
                }
            }
            let mut chains: Vec<Chain> = by_ind
                .into_values()
                .map(|members| Chain {
                    members,
                    individual: true,
                })
                .collect();
            chains.extend(link_unmarked(
                ctx,
                &events,
                &cams,
                &rest,
                Duration::milliseconds((max_gap * 3_600_000.0) as i64),
                vmax,
            ));
            (
                chains,
                format!(
                    "marked individuals follow their ids; other sightings are linked when the next camera could be reached at {vmax} km/h within {max_gap} h (a reconstruction, not identification)"
                ),
            )
        };
        Ok(Linked {
            events,
            chains,
            cams,
            note,
        })
    }

    /// Trails of a species or an individual over a time span.
    pub async fn trails(&self, input: TrailInput) -> SkillResult<Trails> {
        let limit = page_limit(input.limit)?;
        let offset = input.offset.unwrap_or(0);
        let ctx = self.ctx().await?;
        let Linked {
            events,
            chains,
            cams,
            note,
        } = self.build(&ctx, &input).await?;
        let sightings = events.len() as u64;
        let min = input.min_cameras.unwrap_or(2) as usize;
        // Rank by the chains' shape (stops, then first sighting); build only the page.
        let mut stops = Vec::new();
        let mut seen = vec![usize::MAX; cams.names.len()];
        let mut ranked: Vec<(usize, usize, Timestamp)> = Vec::new();
        for (i, chain) in chains.iter().enumerate() {
            stops_of(&events, &cams, &chain.members, &mut stops);
            let distinct = stops
                .iter()
                .filter(|s| std::mem::replace(&mut seen[s.camera], i) != i)
                .count();
            if distinct >= min {
                ranked.push((i, stops.len(), stops[0].arrival));
            }
        }
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
        let total = ranked.len() as u64;
        let page: Vec<Trail> = ranked
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|(i, _, _)| trail_of_chain(&ctx, &events, &cams, &chains[i]))
            .collect();
        Ok(Trails {
            page: PageInfo::new(total, offset, limit, page.len()),
            trails: page,
            sightings,
            method_note: note,
        })
    }

    /// The transition graph: A -> B counts, transit times, and which edges are corridors.
    pub async fn transition_graph(&self, input: TrailInput) -> SkillResult<TransitionGraph> {
        let ctx = self.ctx().await?;
        let l = self.build(&ctx, &input).await?;
        Ok(graph(&ctx, &l.events, &l.cams, &l.chains))
    }

    /// Only the corridor edges of the transition graph.
    pub async fn corridors(&self, input: TrailInput) -> SkillResult<TransitionGraph> {
        let mut g = self.transition_graph(input).await?;
        g.edges.retain(|e| e.corridor);
        Ok(g)
    }

    /// Routes walked day after day.
    pub async fn daily_routes(&self, input: RoutesInput) -> SkillResult<DailyRoutes> {
        let ctx = self.ctx().await?;
        let start_hour = input.day_starts_at_hour.unwrap_or(12);
        if start_hour > 23 {
            return Err(SkillError::invalid("dayStartsAtHour", "must be 0..23"));
        }
        let trail_input = TrailInput {
            species: input.species.clone(),
            individual: input.individual.clone(),
            from: input.from.clone(),
            to: input.to.clone(),
            ..Default::default()
        };
        let (events, _) = self.sightings_for(&ctx, &trail_input).await?;
        // Group by (animal, local day), where an animal is an individual id, or the species.
        let mut days: BTreeMap<(String, NaiveDate), Vec<&EventBrief>> = BTreeMap::new();
        for e in events.iter() {
            let off = ctx.offsets.get(&e.deployment_id).copied().unwrap_or(0);
            let local = e
                .start
                .with_timezone(&FixedOffset::east_opt(off * 60).unwrap_or(FixedOffset::east_opt(0).expect("zero")));
            let day = (local - Duration::hours(i64::from(start_hour))).date_naive();
            let who = e
                .individual_id
                .clone()
                .or(e.scientific_name.clone())
                .unwrap_or_default();
            days.entry((who, day)).or_default().push(e);
        }
        let mut routes: BTreeMap<Vec<String>, (BTreeSet<String>, Vec<u32>)> = BTreeMap::new();
        for ((_, day), evs) in &days {
            let mut cams: Vec<String> = Vec::new();
            for e in evs {
                if cams.last() != Some(&e.camera_id) {
                    cams.push(e.camera_id.clone());
                }
            }
            if cams.len() < 2 {
                continue;
            }
            let first = evs[0];
            let off = ctx.offsets.get(&first.deployment_id).copied().unwrap_or(0);
            let minutes = ((first.start + Duration::minutes(i64::from(off))).num_seconds_from_midnight() / 60) as u32;
            let entry = routes.entry(cams).or_default();
            entry.0.insert(day.to_string());
            entry.1.push(minutes);
        }
        let mut out: Vec<Route> = routes
            .into_iter()
            .map(|(cameras, (dates, mut starts))| {
                starts.sort_unstable();
                let m = starts[starts.len() / 2];
                Route {
                    cameras,
                    days: dates.len() as u64,
                    dates: dates.into_iter().collect(),
                    typical_start: format!("{:02}:{:02}", m / 60, m % 60),
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.days
                .cmp(&a.days)
                .then(b.cameras.len().cmp(&a.cameras.len()))
                .then(a.cameras.cmp(&b.cameras))
        });
        out.truncate(20);
        Ok(DailyRoutes {
            routes: out,
            active_days: days.keys().map(|(_, d)| *d).collect::<BTreeSet<_>>().len() as u64,
        })
    }

    /// First and last sightings of a species, overall and per camera.
    pub async fn sightings(&self, input: SightingsInput) -> SkillResult<Sightings> {
        let ctx = self.ctx().await?;
        let species = Self::resolve_species(&ctx, "species", &input.species)?;
        let events = self
            .store
            .event_briefs(&EventQuery {
                scientific_name: Some(species.clone()),
                time: Self::range(input.from.as_deref(), input.to.as_deref())?,
                observation_type: Some(ObservationType::Animal),
                ..Default::default()
            })
            .await?;
        let mut per: BTreeMap<String, CameraSightings> = BTreeMap::new();
        for e in &events {
            let c = per.entry(e.camera_id.clone()).or_insert(CameraSightings {
                camera_id: e.camera_id.clone(),
                first: e.start,
                last: e.start,
                events: 0,
            });
            c.first = c.first.min(e.start);
            c.last = c.last.max(e.start);
            c.events += 1;
        }
        let mut cameras: Vec<CameraSightings> = per.into_values().collect();
        cameras.sort_by(|a, b| a.first.cmp(&b.first).then(a.camera_id.cmp(&b.camera_id)));
        Ok(Sightings {
            scientific_name: species,
            first: events.first().map(|e| e.start),
            first_camera: events.first().map(|e| e.camera_id.clone()),
            last: events.last().map(|e| e.start),
            last_camera: events.last().map(|e| e.camera_id.clone()),
            cameras,
        })
    }

    /// Net movement of a species: weekly centres of activity and the direction between them.
    pub async fn net_movement(&self, input: SightingsInput) -> SkillResult<NetMovement> {
        let ctx = self.ctx().await?;
        let species = Self::resolve_species(&ctx, "species", &input.species)?;
        let events = self
            .store
            .event_briefs(&EventQuery {
                scientific_name: Some(species.clone()),
                time: Self::range(input.from.as_deref(), input.to.as_deref())?,
                observation_type: Some(ObservationType::Animal),
                ..Default::default()
            })
            .await?;
        let Some(first) = events.first() else {
            return Err(SkillError::invalid(
                "species",
                format!("no sightings of {species} in this span"),
            ));
        };
        let t0 = first.start;
        let mut weeks: BTreeMap<i64, (f64, f64, u64)> = BTreeMap::new();
        for e in &events {
            let Some((lat, lon)) = ctx.pos(&e.camera_id) else {
                continue;
            };
            let w = (e.start - t0).num_days() / 7;
            let c = weeks.entry(w).or_default();
            c.0 += lat;
            c.1 += lon;
            c.2 += 1;
        }
        let centres: Vec<WeekCentre> = weeks
            .into_iter()
            .map(|(w, (la, lo, n))| WeekCentre {
                week_start: t0 + Duration::days(7 * w),
                latitude: la / n as f64,
                longitude: lo / n as f64,
                events: n,
            })
            .collect();
        let (bearing, disp, speed) = match (centres.first(), centres.last()) {
            (Some(a), Some(b)) if centres.len() >= 2 => {
                let d = distance_km(a.latitude, a.longitude, b.latitude, b.longitude);
                let days = ((b.week_start - a.week_start).num_hours() as f64 / 24.0).max(1.0);
                (
                    Some(round3(bearing_deg(a.latitude, a.longitude, b.latitude, b.longitude))),
                    round3(d),
                    round3(d / days),
                )
            }
            _ => (None, 0.0, 0.0),
        };
        let name = ctx.species.get(&species).cloned().flatten().unwrap_or(species.clone());
        let summary = match bearing {
            Some(b) if disp >= 0.2 => format!(
                "{name}: the centre of activity moved {disp:.1} km towards the {} ({b:.0}°) over {} weeks, about {speed:.2} km/day",
                compass(b),
                centres.len()
            ),
            Some(_) => format!("{name}: no clear net movement (the centre of activity moved {disp:.2} km)"),
            None => format!("{name}: sightings span less than two weeks; no net movement to report"),
        };
        Ok(NetMovement {
            scientific_name: species,
            direction: bearing.map(|b| compass(b).to_string()),
            bearing_deg: bearing,
            displacement_km: disp,
            speed_km_per_day: speed,
            weeks: centres,
            summary,
        })
    }

    /// What happened when, per camera, in hour or day buckets.
    pub async fn timespan_activity(&self, input: TimespanInput) -> SkillResult<TimespanActivity> {
        let ctx = self.ctx().await?;
        let time = Self::range(Some(&input.from), Some(&input.to))?;
        let (from, to) = (time.from.unwrap_or_default(), time.to.unwrap_or_default());
        if to - from > Duration::days(92) {
            return Err(SkillError::invalid(
                "to",
                "the span is at most 92 days; split longer spans",
            ));
        }
        let bucket = input.bucket.clone().unwrap_or_else(|| "day".into());
        let size = match bucket.as_str() {
            "hour" => Duration::hours(1),
            "day" => Duration::days(1),
            other => {
                return Err(SkillError::invalid(
                    "bucket",
                    format!("'{other}' is not 'hour' or 'day'"),
                ));
            }
        };
        let species = input
            .species
            .as_deref()
            .map(|s| Self::resolve_species(&ctx, "species", s))
            .transpose()?;
        if let Some(cams) = &input.cameras {
            for c in cams {
                if !ctx.cameras.contains_key(c) {
                    return Err(SkillError::not_found("camera", c, "list_cameras gives camera ids"));
                }
            }
        }
        // Counted in the database (a row per camera, bucket and species), not event by event;
        // one camera asked for is filtered there too, several below.
        let tally = self
            .store
            .event_tally(
                &EventQuery {
                    camera_id: match input.cameras.as_deref() {
                        Some([one]) => Some(one.clone()),
                        _ => None,
                    },
                    scientific_name: species,
                    time,
                    observation_type: Some(ObservationType::Animal),
                    ..Default::default()
                },
                from,
                size,
            )
            .await?;
        let mut cells: BTreeMap<(String, i64), ActivityCell> = BTreeMap::new();
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        for t in tally {
            if input.cameras.as_ref().is_some_and(|c| !c.contains(&t.camera_id)) {
                continue;
            }
            *totals.entry(t.camera_id.clone()).or_default() += t.events;
            let k = t.bucket;
            let cell = cells
                .entry((t.camera_id, k))
                .or_insert_with_key(|(camera_id, _)| ActivityCell {
                    camera_id: camera_id.clone(),
                    bucket_start: from + size * k as i32,
                    events: 0,
                    species: BTreeMap::new(),
                });
            cell.events += t.events;
            *cell
                .species
                .entry(t.scientific_name.unwrap_or_else(|| "unknown".into()))
                .or_default() += t.events;
        }
        Ok(TimespanActivity {
            bucket,
            cells: cells.into_values().collect(),
            totals,
        })
    }

    /// Trails as GeoJSON: a LineString per trail and a Point per camera on them.
    pub async fn trails_geojson(&self, input: TrailInput) -> SkillResult<TrailGeoJson> {
        let ctx = self.ctx().await?;
        let page = self.trails(input).await?;
        let mut features = Vec::new();
        let mut cams = BTreeSet::new();
        for t in &page.trails {
            let coords: Vec<[f64; 2]> = t
                .steps
                .iter()
                .filter_map(|s| Some([s.longitude?, s.latitude?]))
                .collect();
            for s in &t.steps {
                cams.insert(s.camera_id.clone());
            }
            if coords.len() < 2 {
                continue;
            }
            features.push(serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "trailId": t.id, "scientificName": t.scientific_name, "individualId": t.individual_id,
                    "method": t.method, "start": t.steps[0].arrival, "end": t.steps[t.steps.len() - 1].departure,
                    "cameras": t.steps.iter().map(|s| s.camera_id.clone()).collect::<Vec<_>>(), "lengthKm": t.length_km
                }
            }));
        }
        for c in cams {
            if let (Some((lat, lon)), Some(cam)) = (ctx.pos(&c), ctx.cameras.get(&c)) {
                features.push(serde_json::json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {"cameraId": c, "name": cam.name}
                }));
            }
        }
        Ok(TrailGeoJson {
            kind: "FeatureCollection".into(),
            features,
        })
    }
}

/// The sightings of a question linked into chains, with their cameras indexed.
struct Linked {
    events: Found,
    chains: Vec<Chain>,
    cams: CameraIndex,
    /// How the chains were made, for the answer.
    note: String,
}

/// One trail before it is written out: indices into the sightings, in time order.
struct Chain {
    members: Vec<usize>,
    /// Follows a marked individual's id (else reconstructed).
    individual: bool,
}

/// The sightings' cameras as small integers, so that linking, ranking and the graph compare
/// numbers instead of camera id strings.
struct CameraIndex {
    /// Camera index of each sighting.
    of: Vec<usize>,
    /// Camera id of each index.
    names: Vec<String>,
}

impl CameraIndex {
    fn new(events: &[EventBrief]) -> Self {
        let mut ix: HashMap<&str, usize> = HashMap::new();
        let mut names = Vec::new();
        let mut last: Option<(&str, usize)> = None;
        let of = events
            .iter()
            .map(|e| {
                let id = e.camera_id.as_str();
                // Runs of one camera are common (bursts, busy sites): skip the hash for them.
                if let Some((l, k)) = last
                    && l == id
                {
                    return k;
                }
                let k = *ix.entry(id).or_insert_with(|| {
                    names.push(id.to_string());
                    names.len() - 1
                });
                last = Some((id, k));
                k
            })
            .collect();
        CameraIndex { of, names }
    }
}

/// A stop of a chain: consecutive sightings at one camera.
struct Stop {
    camera: usize,
    /// Member position (in the chain) of its first sighting.
    first: usize,
    /// Sightings at the stop.
    len: usize,
    arrival: Timestamp,
    departure: Timestamp,
}

/// The stops of a chain, into `out` (cleared first).
fn stops_of(events: &[EventBrief], cams: &CameraIndex, members: &[usize], out: &mut Vec<Stop>) {
    out.clear();
    for (k, &i) in members.iter().enumerate() {
        let e = &events[i];
        match out.last_mut() {
            Some(s) if s.camera == cams.of[i] => {
                s.departure = s.departure.max(e.end);
                s.len += 1;
            }
            _ => out.push(Stop {
                camera: cams.of[i],
                first: k,
                len: 1,
                arrival: e.start,
                departure: e.end,
            }),
        }
    }
}

/// A chain written out as a trail.
fn trail_of_chain(ctx: &Ctx, events: &[EventBrief], cams: &CameraIndex, chain: &Chain) -> Trail {
    let mut stops = Vec::new();
    stops_of(events, cams, &chain.members, &mut stops);
    let steps: Vec<TrailStep> = stops
        .iter()
        .map(|s| {
            let camera_id = cams.names[s.camera].as_str();
            let pos = ctx.pos(camera_id);
            TrailStep {
                camera_id: camera_id.to_string(),
                latitude: pos.map(|p| p.0),
                longitude: pos.map(|p| p.1),
                arrival: s.arrival,
                departure: s.departure,
                event_ids: chain.members[s.first..s.first + s.len]
                    .iter()
                    .map(|&i| events[i].id.clone())
                    .collect(),
            }
        })
        .collect();
    let first = &events[chain.members[0]];
    let (individual, method) = if chain.individual {
        (first.individual_id.clone(), "individual")
    } else {
        (None, "reconstructed")
    };
    trail_of(ctx, steps, first.scientific_name.clone(), individual, method)
}

fn trail_of(
    ctx: &Ctx,
    steps: Vec<TrailStep>,
    species: Option<String>,
    individual: Option<String>,
    method: &str,
) -> Trail {
    let length: f64 = steps
        .windows(2)
        .filter_map(|w| ctx.dist(&w[0].camera_id, &w[1].camera_id))
        .sum();
    let (first, last) = (&steps[0], &steps[steps.len() - 1]);
    let (bearing, disp) = match (ctx.pos(&first.camera_id), ctx.pos(&last.camera_id)) {
        (Some(a), Some(b)) if first.camera_id != last.camera_id => (
            Some(round3(bearing_deg(a.0, a.1, b.0, b.1))),
            round3(distance_km(a.0, a.1, b.0, b.1)),
        ),
        _ => (None, 0.0),
    };
    Trail {
        id: format!("trail-{}", first.event_ids[0]),
        scientific_name: species,
        individual_id: individual,
        method: method.to_string(),
        length_km: round3(length),
        duration_h: round3(hours(last.departure - first.arrival)),
        net_bearing_deg: bearing,
        net_displacement_km: disp,
        steps,
    }
}

/// A chain still open to the next sighting: what the linking loop reads of its last one,
/// kept side by side so the loop walks one array.
struct Open {
    chain: usize,
    camera: usize,
    end_ms: i64,
    count: Option<i64>,
}

/// Greedy linking of the unmarked sightings `rest` (indices into `events`, in start order;
/// see the crate docs).
fn link_unmarked(
    ctx: &Ctx,
    events: &[EventBrief],
    cams: &CameraIndex,
    rest: &[usize],
    max_gap: Duration,
    vmax_kmh: f64,
) -> Vec<Chain> {
    // Cameras and species as small integers, travel-time bounds as a matrix, times as
    // milliseconds: the loop below runs once per (sighting, open chain) pair, a million
    // times a month on a busy study, so it must not hash strings or call sin/cos.
    let mut species_ix: HashMap<Option<&str>, usize> = HashMap::new();
    let spp: Vec<usize> = rest
        .iter()
        .map(|&i| {
            let n = species_ix.len();
            *species_ix.entry(events[i].scientific_name.as_deref()).or_insert(n)
        })
        .collect();
    let n_cam = cams.names.len();
    // Hours between leaving one camera and reaching another: at least d / vmax, at most
    // d / MIN_SPEED_KMH + 0.5; none where a position is unknown.
    let window: Vec<Option<(f64, f64)>> = (0..n_cam * n_cam)
        .map(|k| {
            ctx.dist(&cams.names[k / n_cam], &cams.names[k % n_cam])
                .map(|d| (d / vmax_kmh, d / MIN_SPEED_KMH + 0.5))
        })
        .collect();
    let (max_gap_ms, same_camera_ms) = (max_gap.num_milliseconds(), SAME_CAMERA_GAP.num_milliseconds());

    let mut chains: Vec<Chain> = Vec::new();
    // Chains still extendable, per species, in the order they were opened.
    let mut open: Vec<Vec<Open>> = (0..species_ix.len()).map(|_| Vec::new()).collect();
    for (k, &i) in rest.iter().enumerate() {
        let e = &events[i];
        let (start_ms, camera) = (e.start.timestamp_millis(), cams.of[i]);
        let open = &mut open[spp[k]];
        // Close chains whose last sighting is too old (sightings come in start order, so a
        // chain closed here would be closed for every later sighting too).
        open.retain(|o| start_ms - o.end_ms <= max_gap_ms);
        let mut best: Option<(usize, i64, bool)> = None;
        for (slot, o) in open.iter().enumerate() {
            let gap = start_ms - o.end_ms;
            let ok = if o.camera == camera {
                gap <= same_camera_ms
            } else {
                match window[o.camera * n_cam + camera] {
                    Some((lo, hi)) => {
                        let h = gap as f64 / 3_600_000.0;
                        h >= lo && h <= hi
                    }
                    None => false,
                }
            };
            // Prefer a chain whose group size matches, then the most recent one.
            let same_size = o.count == e.count;
            if ok && best.is_none_or(|(_, g, s)| (same_size, -gap) > (s, -g)) {
                best = Some((slot, gap, same_size));
            }
        }
        let (end_ms, count) = (e.end.timestamp_millis(), e.count);
        match best {
            Some((slot, _, _)) => {
                let o = &mut open[slot];
                chains[o.chain].members.push(i);
                (o.camera, o.end_ms, o.count) = (camera, end_ms, count);
            }
            None => {
                chains.push(Chain {
                    members: vec![i],
                    individual: false,
                });
                open.push(Open {
                    chain: chains.len() - 1,
                    camera,
                    end_ms,
                    count,
                });
            }
        }
    }
    chains
}

/// Upper tail of the Poisson distribution, P(X >= k) for mean `lambda`.
pub fn poisson_upper(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    // 1 - P(X <= k-1), summing the pmf in log space.
    let mut term = (-lambda).exp();
    let mut cdf = term;
    for i in 1..k {
        term *= lambda / i as f64;
        cdf += term;
    }
    (1.0 - cdf).clamp(0.0, 1.0)
}

fn graph(ctx: &Ctx, events: &[EventBrief], cams: &CameraIndex, chains: &[Chain]) -> TransitionGraph {
    let n = cams.names.len();
    // Transit hours per (from, to) camera pair, and sightings per camera.
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); n * n];
    let mut sightings = vec![0u64; n];
    let mut stops = Vec::new();
    for chain in chains {
        stops_of(events, cams, &chain.members, &mut stops);
        for s in &stops {
            sightings[s.camera] += s.len as u64;
        }
        for w in stops.windows(2) {
            times[w[0].camera * n + w[1].camera].push(hours(w[1].arrival - w[0].departure).max(0.0));
        }
    }
    let total: u64 = times.iter().map(|v| v.len() as u64).sum();
    let mut out_deg = vec![0u64; n];
    let mut in_deg = vec![0u64; n];
    for (k, v) in times.iter().enumerate() {
        out_deg[k / n] += v.len() as u64;
        in_deg[k % n] += v.len() as u64;
    }
    let mut list: Vec<Transition> = times
        .iter_mut()
        .enumerate()
        .filter(|(_, t)| !t.is_empty())
        .map(|(k, t)| {
            let (a, b) = (k / n, k % n);
            t.sort_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
            let q = |p: f64| t[((t.len() - 1) as f64 * p).round() as usize];
            let count = t.len() as u64;
            let expected = if total > 0 {
                out_deg[a] as f64 * in_deg[b] as f64 / total as f64
            } else {
                0.0
            };
            let p = poisson_upper(count, expected);
            Transition {
                from: cams.names[a].clone(),
                to: cams.names[b].clone(),
                count,
                distance_km: ctx.dist(&cams.names[a], &cams.names[b]).map(round3),
                transit: TransitTimes {
                    min_h: round3(t[0]),
                    median_h: round3(q(0.5)),
                    p90_h: round3(q(0.9)),
                    max_h: round3(t[t.len() - 1]),
                    mean_h: round3(t.iter().sum::<f64>() / t.len() as f64),
                },
                expected: round3(expected),
                corridor: count >= 3 && count as f64 >= 2.0 * expected && p < 0.05,
                p_value: (p * 1e6).round() / 1e6,
            }
        })
        .collect();
    list.sort_by(|x, y| y.count.cmp(&x.count).then(x.from.cmp(&y.from)).then(x.to.cmp(&y.to)));
    let mut nodes: Vec<GraphNode> = (0..n)
        // Every sighting is on some chain, so a camera with none is not in the answer.
        .filter(|&c| sightings[c] > 0)
        .map(|c| GraphNode {
            camera_id: cams.names[c].clone(),
            sightings: sightings[c],
            out_degree: out_deg[c],
            in_degree: in_deg[c],
        })
        .collect();
    nodes.sort_by(|a, b| a.camera_id.cmp(&b.camera_id));
    TransitionGraph {
        nodes,
        edges: list,
        transitions: total,
        trails: chains.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail_matches_hand_values() {
        // P(X >= 1 | 1) = 1 - e^-1
        assert!((poisson_upper(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        // P(X >= 3 | 0.5) = 1 - e^-0.5 (1 + 0.5 + 0.125)
        let want = 1.0 - (-0.5f64).exp() * (1.0 + 0.5 + 0.125);
        assert!((poisson_upper(3, 0.5) - want).abs() < 1e-12);
        assert_eq!(poisson_upper(0, 2.0), 1.0);
    }
}
