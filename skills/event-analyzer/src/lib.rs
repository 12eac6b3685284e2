//! # Event analyzer
//!
//! What happened at the cameras, and what the animals were doing: find events, one event's
//! details, a structured description of an event (species, count, behaviours with
//! confidence and evidence, movement direction and speed, dwell time, time of day against
//! sunrise and sunset, one readable sentence), a summary of a period, and independent
//! detections.
//!
//! Independence (DOMAIN.md; the camera-trap convention, e.g. camtrapR's `minDeltaT` with
//! `deltaTimeComparedTo = "lastIndependentRecord"`): an event of species s at camera k counts
//! only if it starts at least T after the previous *counted* one of s at k.

use chrono::{Duration, FixedOffset, Timelike};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trailmesh_core::geo::compass;
use trailmesh_core::model::*;
use trailmesh_core::skill::{PageInfo, SkillError, SkillResult, page_limit, parse_time_arg};
use trailmesh_core::solar::{self, SolarPhase};
use trailmesh_core::store::{DetectionQuery, EventBrief, EventQuery, Store, TimeRange};

/// Default independence interval, minutes.
pub const DEFAULT_INDEPENDENCE_MIN: u32 = 30;
/// Detections returned with an event's details at most.
pub const MAX_DETECTIONS: usize = 200;

/// The event-analyzer skill.
#[derive(Debug, Clone)]
pub struct EventAnalyzer {
    store: Store,
}

/// Arguments of [`EventAnalyzer::find_events`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FindEventsInput {
    /// Only events starting at or after this time (ISO 8601 with zone, e.g. 2026-06-01T18:00:00-06:00, or a date 2026-06-01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Only events starting before this time (same formats as 'from').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Only this camera id (list_cameras gives them), e.g. "CREEK-01".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// Only this species: scientific or common name, case-insensitive, e.g. "mule deer" or "Odocoileus hemionus".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub species: Option<String>,
    /// Only events with this behaviour label (feeding, drinking, travelling, running, resting, vigilance, grooming, courtship, mating, marking, nursing, play, fighting, groupMovement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behaviour: Option<Behaviour>,
    /// Only events with at least this many animals seen at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<i64>,
    /// Only events of this marked individual, e.g. "bear-F1".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub individual: Option<String>,
    /// What was seen: "animal" (default), "human", "vehicle", "blank", "unknown", "unclassified".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation_type: Option<ObservationType>,
    /// Page size, 1..500, default 50. Results come newest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Skip this many events (paging), default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// One event in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventSummary {
    /// Event id.
    pub id: String,
    /// Camera id.
    pub camera_id: String,
    /// Start (UTC).
    pub start: Timestamp,
    /// End (UTC).
    pub end: Timestamp,
    /// Start in the camera's local time, ISO 8601 with offset.
    pub local_start: String,
    /// Length, seconds.
    pub duration_s: f64,
    /// What was seen.
    pub observation_type: ObservationType,
    /// Scientific name; absent when the species is not known ("animal, species unknown").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scientific_name: Option<String>,
    /// Common name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// Most animals seen at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// Behaviour labels recorded on the event, dominant first.
    pub behaviours: Vec<Behaviour>,
    /// Marked individual.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub individual_id: Option<String>,
    /// Best frame (media id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_media_id: Option<String>,
}

/// Result of [`EventAnalyzer::find_events`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventList {
    /// Events on this page, newest first.
    pub events: Vec<EventSummary>,
    /// Paging.
    pub page: PageInfo,
}

/// Arguments naming one event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventRef {
    /// Event id, e.g. "evt-000123" (find_events gives them).
    pub id: String,
}

/// Result of [`EventAnalyzer::event_details`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDetails {
    /// The event as stored.
    pub event: Event,
    /// Start in the camera's local time.
    pub local_start: String,
    /// The camera's name.
    pub camera_name: String,
    /// Tracks (one per animal followed across frames).
    pub tracks: Vec<Track>,
    /// Detections (boxes), oldest first, at most 200.
    pub detections: Vec<Detection>,
    /// True when more detections exist than are listed.
    pub detections_truncated: bool,
    /// The best frame's media record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_frame: Option<Media>,
}

/// A behaviour with how sure we are and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BehaviourCall {
    /// The label.
    pub label: Behaviour,
    /// Confidence 0..1.
    pub confidence: f64,
    /// "human" (labelled by a person), "machine" (labelled by a classifier) or "inferred" (from track features here).
    pub source: String,
    /// What supports it, in words with numbers.
    pub evidence: String,
}

/// How the animals moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Movement {
    /// Direction across the frame: "left to right", "right to left", "towards the camera", "away from the camera".
    pub across_frame: String,
    /// Heading in the frame, degrees (0 = up/away, 90 = right), mean over tracks.
    pub frame_heading_deg: f64,
    /// Compass bearing of travel, when the camera's lens heading is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bearing_deg: Option<f64>,
    /// Compass direction of travel (N, NE, ...), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compass: Option<String>,
    /// Mean speed, frame widths per second.
    pub speed_frame_widths_per_s: f64,
}

/// Where the event falls in the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeOfDay {
    /// Local clock time, HH:MM.
    pub local_time: String,
    /// "night", "dawn" (civil twilight), "day" or "dusk".
    pub phase: String,
    /// Minutes from the nearest sunrise (negative: before it), when the sun rises that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes_from_sunrise: Option<f64>,
    /// Minutes from the nearest sunset (negative: before it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes_from_sunset: Option<f64>,
}

/// Result of [`EventAnalyzer::describe_event`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDescription {
    /// Event id.
    pub event_id: String,
    /// Camera id.
    pub camera_id: String,
    /// Camera name.
    pub camera_name: String,
    /// Scientific name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scientific_name: Option<String>,
    /// Common name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// Most animals seen at once.
    pub count: i64,
    /// Behaviours, most likely first.
    pub behaviours: Vec<BehaviourCall>,
    /// Movement, when tracks exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub movement: Option<Movement>,
    /// Time in front of the camera, seconds.
    pub dwell_s: f64,
    /// Time of day, when the camera's location is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_of_day: Option<TimeOfDay>,
    /// One readable sentence.
    pub sentence: String,
}

/// Arguments of [`EventAnalyzer::summarize_period`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SummarizeInput {
    /// Start of the period (ISO 8601 with zone, or a date). Required.
    pub from: String,
    /// End of the period, exclusive (same formats). Required.
    pub to: String,
    /// Only this camera.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// Only cameras of this site (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Independence interval for the per-species counts, minutes (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub independence_minutes: Option<u32>,
}

/// One species in a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpeciesActivity {
    /// Scientific name ("unknown" when not identified).
    pub scientific_name: String,
    /// Common name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// Events.
    pub events: u64,
    /// Independent detections at the chosen interval.
    pub independent_detections: u64,
    /// Largest group seen.
    pub max_count: i64,
    /// Cameras that saw it.
    pub cameras: Vec<String>,
}

/// One camera in a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CameraActivitySummary {
    /// Camera id.
    pub camera_id: String,
    /// Animal events.
    pub animal_events: u64,
    /// People.
    pub human_events: u64,
    /// Vehicles.
    pub vehicle_events: u64,
    /// Species seen, most events first.
    pub species: Vec<String>,
}

/// An hour of the day and how busy it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HourCount {
    /// Local hour, 0..23.
    pub hour: u32,
    /// Animal events starting in that hour.
    pub events: u64,
}

/// Something worth a look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotableEvent {
    /// Event id.
    pub event_id: String,
    /// Why it is notable.
    pub why: String,
}

/// Result of [`EventAnalyzer::summarize_period`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeriodSummary {
    /// Start.
    pub from: Timestamp,
    /// End (exclusive).
    pub to: Timestamp,
    /// Cameras included.
    pub cameras_included: Vec<String>,
    /// Animal events.
    pub animal_events: u64,
    /// Events with people.
    pub human_events: u64,
    /// Events with vehicles.
    pub vehicle_events: u64,
    /// Per species, most events first.
    pub species: Vec<SpeciesActivity>,
    /// Per camera.
    pub cameras: Vec<CameraActivitySummary>,
    /// The three busiest local hours.
    pub busiest_hours: Vec<HourCount>,
    /// Notable events (largest groups, rare species, marked individuals), at most 10.
    pub notable: Vec<NotableEvent>,
    /// Independence interval used, minutes.
    pub independence_minutes: u32,
}

/// Arguments of [`EventAnalyzer::independent_detections`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IndependentInput {
    /// Interval in minutes: an event counts if it starts at least this long after the previous counted one of the same species at the same camera (default 30; 1, 2 and 60 are also common).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_minutes: Option<u32>,
    /// Only this species (scientific or common name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub species: Option<String>,
    /// Only this camera.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// Start (ISO 8601 with zone, or a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// End, exclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Page size for the rows, 1..500, default 50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Skip this many rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// Independent detections of one species at one camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndependentRow {
    /// Scientific name.
    pub scientific_name: String,
    /// Camera id.
    pub camera_id: String,
    /// Events.
    pub events: u64,
    /// Independent detections.
    pub independent: u64,
    /// First independent event of the row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_event_id: Option<String>,
}

/// Result of [`EventAnalyzer::independent_detections`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndependentDetections {
    /// Interval used, minutes.
    pub interval_minutes: u32,
    /// Rows, by species then camera.
    pub rows: Vec<IndependentRow>,
    /// Total independent detections over all rows (all pages).
    pub total_independent: u64,
    /// Total events over all rows (all pages).
    pub total_events: u64,
    /// Paging of the rows.
    pub page: PageInfo,
}

/// Counts independent events in a list sorted by start, per (species, camera): the indices
/// of the counted ones. Events without a species are skipped.
pub fn independent_indices(events: &[EventBrief], interval: Duration) -> Vec<usize> {
    let mut last: BTreeMap<(&str, &str), Timestamp> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let Some(sp) = e.scientific_name.as_deref() else {
            continue;
        };
        let key = (sp, e.camera_id.as_str());
        match last.get(&key) {
            Some(prev) if e.start - *prev < interval => {}
            _ => {
                last.insert(key, e.start);
                out.push(i);
            }
        }
    }
    out
}

struct Context {
    species: BTreeMap<String, Option<String>>,
    cameras: BTreeMap<String, Camera>,
    offsets: BTreeMap<String, i32>,
}

impl Context {
    fn common(&self, name: &Option<String>) -> Option<String> {
        name.as_ref().and_then(|n| self.species.get(n).cloned().flatten())
    }

    fn local(&self, deployment_id: &str, t: Timestamp) -> String {
        format_with_offset(t, self.offsets.get(deployment_id).copied().unwrap_or(0))
    }
}

impl EventAnalyzer {
    /// The skill over a store.
    pub fn new(store: Store) -> Self {
        EventAnalyzer { store }
    }

    async fn context(&self) -> SkillResult<Context> {
        Ok(Context {
            species: self
                .store
                .species()
                .await?
                .into_iter()
                .map(|s| (s.scientific_name, s.common_name))
                .collect(),
            cameras: self
                .store
                .cameras()
                .await?
                .into_iter()
                .map(|c| (c.id.clone(), c))
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

    /// Resolves a species argument (scientific or common name) to the stored scientific name.
    async fn resolve_species(&self, ctx: &Context, field: &str, name: &str) -> SkillResult<String> {
        let want = name.trim().to_lowercase();
        for (sci, common) in &ctx.species {
            if sci.to_lowercase() == want || common.as_deref().is_some_and(|c| c.to_lowercase() == want) {
                return Ok(sci.clone());
            }
        }
        // Plural or partial common names ("deer", "foxes").
        let singular = want.trim_end_matches("es").trim_end_matches('s');
        let matches: Vec<&String> = ctx
            .species
            .iter()
            .filter(|(sci, common)| {
                sci.to_lowercase().contains(singular)
                    || common.as_deref().is_some_and(|c| c.to_lowercase().contains(singular))
            })
            .map(|(sci, _)| sci)
            .collect();
        if matches.len() == 1 {
            return Ok(matches[0].clone());
        }
        let known: Vec<String> = ctx
            .species
            .iter()
            .map(|(s, c)| match c {
                Some(c) => format!("{c} ({s})"),
                None => s.clone(),
            })
            .collect();
        Err(SkillError::InvalidInput {
            field: field.to_string(),
            message: if matches.len() > 1 {
                format!(
                    "'{name}' matches several species; use one of: {known}",
                    known = known.join(", ")
                )
            } else {
                format!("no species '{name}'; known species: {}", known.join(", "))
            },
        })
    }

    fn check_camera(ctx: &Context, id: &str) -> SkillResult<()> {
        if ctx.cameras.contains_key(id) {
            Ok(())
        } else {
            let ids: Vec<&str> = ctx.cameras.keys().map(String::as_str).take(30).collect();
            Err(SkillError::not_found(
                "camera",
                id,
                format!("known cameras: {}", ids.join(", ")),
            ))
        }
    }

    fn time_range(from: Option<&str>, to: Option<&str>) -> SkillResult<TimeRange> {
        let from = from.map(|s| parse_time_arg("from", s)).transpose()?;
        let to = to.map(|s| parse_time_arg("to", s)).transpose()?;
        if let (Some(a), Some(b)) = (from, to)
            && b <= a
        {
            return Err(SkillError::invalid("to", "must be after 'from'"));
        }
        Ok(TimeRange { from, to })
    }

    /// Finds events, newest first.
    pub async fn find_events(&self, input: FindEventsInput) -> SkillResult<EventList> {
        let limit = page_limit(input.limit)?;
        let offset = input.offset.unwrap_or(0);
        let ctx = self.context().await?;
        if let Some(c) = &input.camera {
            Self::check_camera(&ctx, c)?;
        }
        let species = match &input.species {
            Some(s) => Some(self.resolve_species(&ctx, "species", s).await?),
            None => None,
        };
        let mut q = EventQuery {
            camera_id: input.camera.clone(),
            scientific_name: species,
            time: Self::time_range(input.from.as_deref(), input.to.as_deref())?,
            observation_type: Some(input.observation_type.unwrap_or(ObservationType::Animal)),
            behaviour: input.behaviour,
            min_count: input.min_count,
            individual_id: input.individual.clone(),
            newest_first: true,
            limit: Some(i64::from(limit)),
            offset: Some(offset as i64),
            ..Default::default()
        };
        let events = self.store.events(&q).await?;
        q.limit = None;
        q.offset = None;
        let total = self.store.count_events(&q).await? as u64;
        let summaries: Vec<EventSummary> = events.into_iter().map(|e| summary(&ctx, e)).collect();
        Ok(EventList {
            page: PageInfo::new(total, offset, limit, summaries.len()),
            events: summaries,
        })
    }

    async fn event_or_hint(&self, id: &str) -> SkillResult<Event> {
        self.store
            .event(id)
            .await?
            .ok_or_else(|| SkillError::not_found("event", id, "find_events lists event ids"))
    }

    /// One event with its tracks, detections and best frame.
    pub async fn event_details(&self, input: EventRef) -> SkillResult<EventDetails> {
        let event = self.event_or_hint(&input.id).await?;
        let ctx = self.context().await?;
        let tracks = self.store.tracks(Some(&event.id)).await?;
        let mut detections = self
            .store
            .detections(&DetectionQuery {
                event_id: Some(event.id.clone()),
                limit: Some(MAX_DETECTIONS as i64 + 1),
                ..Default::default()
            })
            .await?;
        let truncated = detections.len() > MAX_DETECTIONS;
        detections.truncate(MAX_DETECTIONS);
        let best_frame = match &event.best_media_id {
            Some(m) => self.store.media_item(m).await?,
            None => None,
        };
        Ok(EventDetails {
            local_start: ctx.local(&event.deployment_id, event.start),
            camera_name: ctx
                .cameras
                .get(&event.camera_id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            tracks,
            detections,
            detections_truncated: truncated,
            best_frame,
            event,
        })
    }

    /// What the animals in an event were doing, as data and one sentence.
    pub async fn describe_event(&self, input: EventRef) -> SkillResult<EventDescription> {
        let event = self.event_or_hint(&input.id).await?;
        let ctx = self.context().await?;
        let tracks = self.store.tracks(Some(&event.id)).await?;
        let camera = ctx.cameras.get(&event.camera_id).cloned();
        let dwell_s = (event.end - event.start).num_milliseconds() as f64 / 1000.0;
        let count = event.count.unwrap_or(tracks.len().max(1) as i64);

        let movement = movement_of(&tracks, camera.as_ref().and_then(|c| c.heading_deg));
        let offset = ctx.offsets.get(&event.deployment_id).copied().unwrap_or(0);
        let local = event
            .start
            .with_timezone(&FixedOffset::east_opt(offset * 60).unwrap_or(FixedOffset::east_opt(0).expect("zero")));
        let time_of_day = camera.as_ref().and_then(|c| match (c.latitude, c.longitude) {
            (Some(lat), Some(lon)) => Some(TimeOfDay {
                local_time: local.format("%H:%M").to_string(),
                phase: match solar::solar_phase(event.start, lat, lon) {
                    SolarPhase::Night => "night",
                    SolarPhase::Dawn => "dawn",
                    SolarPhase::Day => "day",
                    SolarPhase::Dusk => "dusk",
                }
                .to_string(),
                minutes_from_sunrise: solar::hours_from_sunrise(event.start, lat, lon).map(|h| (h * 60.0).round()),
                minutes_from_sunset: solar::hours_from_sunset(event.start, lat, lon).map(|h| (h * 60.0).round()),
            }),
            _ => None,
        });
        let behaviours = behaviour_calls(&event, &movement, dwell_s, count, camera.as_ref());
        let common = ctx.common(&event.scientific_name);
        let sentence = sentence(
            &event,
            &common,
            count,
            &behaviours,
            &movement,
            dwell_s,
            camera.as_ref(),
            &time_of_day,
            &local,
        );
        Ok(EventDescription {
            event_id: event.id.clone(),
            camera_id: event.camera_id.clone(),
            camera_name: camera.map(|c| c.name).unwrap_or_default(),
            scientific_name: event.scientific_name.clone(),
            common_name: common,
            count,
            behaviours,
            movement,
            dwell_s,
            time_of_day,
            sentence,
        })
    }

    /// A period at a glance: per species and camera, busiest hours, notable events.
    pub async fn summarize_period(&self, input: SummarizeInput) -> SkillResult<PeriodSummary> {
        let time = Self::time_range(Some(&input.from), Some(&input.to))?;
        let (from, to) = (time.from.unwrap_or_default(), time.to.unwrap_or_default());
        if to - from > Duration::days(366) {
            return Err(SkillError::invalid(
                "to",
                "a summary covers at most 366 days; split longer periods",
            ));
        }
        let interval_min = input.independence_minutes.unwrap_or(DEFAULT_INDEPENDENCE_MIN);
        let ctx = self.context().await?;
        let mut cameras: Vec<String> = ctx.cameras.keys().cloned().collect();
        if let Some(c) = &input.camera {
            Self::check_camera(&ctx, c)?;
            cameras.retain(|x| x == c);
        }
        if let Some(site) = &input.site {
            let want = site.to_lowercase();
            cameras.retain(|id| {
                ctx.cameras[id]
                    .site
                    .as_deref()
                    .is_some_and(|s| s.to_lowercase() == want)
            });
            if cameras.is_empty() {
                let sites: std::collections::BTreeSet<&str> =
                    ctx.cameras.values().filter_map(|c| c.site.as_deref()).collect();
                return Err(SkillError::invalid(
                    "site",
                    format!(
                        "no cameras at site '{site}'; sites: {}",
                        sites.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        let included: std::collections::BTreeSet<&str> = cameras.iter().map(String::as_str).collect();
        let all = self
            .store
            .events(&EventQuery {
                camera_id: input.camera.clone(),
                time,
                ..Default::default()
            })
            .await?;
        let all: Vec<Event> = all
            .into_iter()
            .filter(|e| included.contains(e.camera_id.as_str()))
            .collect();
        let animals: Vec<&Event> = all
            .iter()
            .filter(|e| e.observation_type == ObservationType::Animal)
            .collect();
        let briefs: Vec<EventBrief> = animals.iter().map(|e| brief(e)).collect();
        let independent = independent_indices(&briefs, Duration::minutes(i64::from(interval_min)));
        let mut indep_by_species: BTreeMap<String, u64> = BTreeMap::new();
        for &i in &independent {
            *indep_by_species
                .entry(briefs[i].scientific_name.clone().unwrap_or_default())
                .or_default() += 1;
        }
        let mut per_species: BTreeMap<String, SpeciesActivity> = BTreeMap::new();
        let mut per_camera: BTreeMap<String, (CameraActivitySummary, BTreeMap<String, u64>)> = BTreeMap::new();
        let mut hours = [0u64; 24];
        for e in &all {
            let entry = per_camera.entry(e.camera_id.clone()).or_insert_with(|| {
                (
                    CameraActivitySummary {
                        camera_id: e.camera_id.clone(),
                        animal_events: 0,
                        human_events: 0,
                        vehicle_events: 0,
                        species: Vec::new(),
                    },
                    BTreeMap::new(),
                )
            });
            match e.observation_type {
                ObservationType::Human => entry.0.human_events += 1,
                ObservationType::Vehicle => entry.0.vehicle_events += 1,
                ObservationType::Animal => {
                    entry.0.animal_events += 1;
                    let name = e.scientific_name.clone().unwrap_or_else(|| "unknown".to_string());
                    *entry.1.entry(name.clone()).or_default() += 1;
                    let s = per_species.entry(name.clone()).or_insert_with(|| SpeciesActivity {
                        scientific_name: name.clone(),
                        common_name: ctx.common(&e.scientific_name),
                        events: 0,
                        independent_detections: *indep_by_species
                            .get(e.scientific_name.as_deref().unwrap_or(""))
                            .unwrap_or(&0),
                        max_count: 0,
                        cameras: Vec::new(),
                    });
                    s.events += 1;
                    s.max_count = s.max_count.max(e.count.unwrap_or(1));
                    if !s.cameras.contains(&e.camera_id) {
                        s.cameras.push(e.camera_id.clone());
                    }
                    let offset = ctx.offsets.get(&e.deployment_id).copied().unwrap_or(0);
                    let h = (e.start + Duration::minutes(i64::from(offset))).hour();
                    hours[h as usize] += 1;
                }
                _ => {}
            }
        }
        let mut species: Vec<SpeciesActivity> = per_species.into_values().collect();
        for s in &mut species {
            s.cameras.sort();
        }
        species.sort_by(|a, b| b.events.cmp(&a.events).then(a.scientific_name.cmp(&b.scientific_name)));
        let cameras_out: Vec<CameraActivitySummary> = per_camera
            .into_values()
            .map(|(mut c, sp)| {
                let mut v: Vec<(String, u64)> = sp.into_iter().collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                c.species = v.into_iter().map(|x| x.0).collect();
                c
            })
            .collect();
        let mut busiest: Vec<HourCount> = hours
            .iter()
            .enumerate()
            .map(|(h, &n)| HourCount {
                hour: h as u32,
                events: n,
            })
            .collect();
        busiest.sort_by(|a, b| b.events.cmp(&a.events).then(a.hour.cmp(&b.hour)));
        busiest.truncate(3);
        busiest.retain(|h| h.events > 0);
        let notable = notable_events(&animals, &species, &ctx);
        Ok(PeriodSummary {
            from,
            to,
            cameras_included: cameras,
            animal_events: animals.len() as u64,
            human_events: all
                .iter()
                .filter(|e| e.observation_type == ObservationType::Human)
                .count() as u64,
            vehicle_events: all
                .iter()
                .filter(|e| e.observation_type == ObservationType::Vehicle)
                .count() as u64,
            species,
            cameras: cameras_out,
            busiest_hours: busiest,
            notable,
            independence_minutes: interval_min,
        })
    }

    /// Independent detections per species and camera at a chosen interval.
    pub async fn independent_detections(&self, input: IndependentInput) -> SkillResult<IndependentDetections> {
        let limit = page_limit(input.limit)?;
        let offset = input.offset.unwrap_or(0);
        let interval_min = input.interval_minutes.unwrap_or(DEFAULT_INDEPENDENCE_MIN);
        if interval_min > 7 * 24 * 60 {
            return Err(SkillError::invalid(
                "intervalMinutes",
                "at most one week (10080 minutes)",
            ));
        }
        let ctx = self.context().await?;
        if let Some(c) = &input.camera {
            Self::check_camera(&ctx, c)?;
        }
        let species = match &input.species {
            Some(s) => Some(self.resolve_species(&ctx, "species", s).await?),
            None => None,
        };
        let briefs = self
            .store
            .event_briefs(&EventQuery {
                camera_id: input.camera.clone(),
                scientific_name: species,
                time: Self::time_range(input.from.as_deref(), input.to.as_deref())?,
                observation_type: Some(ObservationType::Animal),
                ..Default::default()
            })
            .await?;
        let independent = independent_indices(&briefs, Duration::minutes(i64::from(interval_min)));
        let mut rows: BTreeMap<(String, String), IndependentRow> = BTreeMap::new();
        for e in &briefs {
            let Some(sp) = &e.scientific_name else { continue };
            rows.entry((sp.clone(), e.camera_id.clone()))
                .or_insert_with(|| IndependentRow {
                    scientific_name: sp.clone(),
                    camera_id: e.camera_id.clone(),
                    events: 0,
                    independent: 0,
                    first_event_id: None,
                })
                .events += 1;
        }
        for &i in &independent {
            let e = &briefs[i];
            let row = rows
                .get_mut(&(e.scientific_name.clone().unwrap_or_default(), e.camera_id.clone()))
                .expect("row exists");
            row.independent += 1;
            if row.first_event_id.is_none() {
                row.first_event_id = Some(e.id.clone());
            }
        }
        let all: Vec<IndependentRow> = rows.into_values().collect();
        let total_independent = all.iter().map(|r| r.independent).sum();
        let total_events = all.iter().map(|r| r.events).sum();
        let total = all.len() as u64;
        let page: Vec<IndependentRow> = all.into_iter().skip(offset as usize).take(limit as usize).collect();
        Ok(IndependentDetections {
            interval_minutes: interval_min,
            page: PageInfo::new(total, offset, limit, page.len()),
            rows: page,
            total_independent,
            total_events,
        })
    }
}

fn brief(e: &Event) -> EventBrief {
    EventBrief {
        id: e.id.clone(),
        camera_id: e.camera_id.clone(),
        deployment_id: e.deployment_id.clone(),
        scientific_name: e.scientific_name.clone(),
        start: e.start,
        end: e.end,
        count: e.count,
        individual_id: e.individual_id.clone(),
    }
}

fn summary(ctx: &Context, e: Event) -> EventSummary {
    EventSummary {
        local_start: ctx.local(&e.deployment_id, e.start),
        duration_s: (e.end - e.start).num_milliseconds() as f64 / 1000.0,
        common_name: ctx.common(&e.scientific_name),
        behaviours: e.behaviours(),
        id: e.id,
        camera_id: e.camera_id,
        start: e.start,
        end: e.end,
        observation_type: e.observation_type,
        scientific_name: e.scientific_name,
        count: e.count,
        individual_id: e.individual_id,
        best_media_id: e.best_media_id,
    }
}

/// Mean movement over the tracks that have a heading.
fn movement_of(tracks: &[Track], lens_heading: Option<f64>) -> Option<Movement> {
    let moving: Vec<&Track> = tracks.iter().filter(|t| t.heading_deg.is_some()).collect();
    if moving.is_empty() {
        return None;
    }
    // Circular mean of headings.
    let (s, c) = moving.iter().fold((0.0, 0.0), |(s, c), t| {
        let h = t.heading_deg.unwrap_or_default().to_radians();
        (s + h.sin(), c + h.cos())
    });
    let heading = (s.atan2(c).to_degrees() + 360.0) % 360.0;
    let speed = moving.iter().map(|t| t.speed.unwrap_or(0.0)).sum::<f64>() / moving.len() as f64;
    let across = match heading {
        h if !(45.0..315.0).contains(&h) => "away from the camera",
        h if h < 135.0 => "left to right",
        h if h < 225.0 => "towards the camera",
        _ => "right to left",
    };
    let bearing = lens_heading.map(|lens| ((lens + heading) % 360.0 * 10.0).round() / 10.0);
    Some(Movement {
        across_frame: across.to_string(),
        frame_heading_deg: (heading * 10.0).round() / 10.0,
        compass: bearing.map(|b| compass(b).to_string()),
        bearing_deg: bearing,
        speed_frame_widths_per_s: (speed * 1000.0).round() / 1000.0,
    })
}

/// Behaviours: labels recorded on the event first (human or machine), else inferred from
/// movement, dwell time, group size and the camera's feature, with the evidence.
fn behaviour_calls(
    e: &Event,
    movement: &Option<Movement>,
    dwell_s: f64,
    count: i64,
    camera: Option<&Camera>,
) -> Vec<BehaviourCall> {
    let recorded = e.behaviours();
    if !recorded.is_empty() {
        let source = match e.classification_method {
            Some(ClassificationMethod::Machine) => "machine",
            _ => "human",
        };
        return recorded
            .iter()
            .enumerate()
            .map(|(i, b)| BehaviourCall {
                label: *b,
                confidence: if i == 0 { 0.95 } else { 0.8 },
                source: source.to_string(),
                evidence: format!(
                    "labelled on the event ({})",
                    e.classified_by.as_deref().unwrap_or(source)
                ),
            })
            .collect();
    }
    let mut out = Vec::new();
    let speed = movement.as_ref().map(|m| m.speed_frame_widths_per_s);
    let water = camera.and_then(|c| c.feature_type) == Some(FeatureType::WaterSource);
    match speed {
        Some(v) if v >= 0.08 => out.push(BehaviourCall {
            label: if v >= 0.5 {
                Behaviour::Running
            } else {
                Behaviour::Travelling
            },
            confidence: (0.6 + v).min(0.9),
            source: "inferred".into(),
            evidence: format!("moving {v:.2} frame widths/s across the frame in {dwell_s:.0} s"),
        }),
        Some(v) if dwell_s >= 20.0 => {
            if water {
                out.push(BehaviourCall {
                    label: Behaviour::Drinking,
                    confidence: 0.7,
                    source: "inferred".into(),
                    evidence: format!("{dwell_s:.0} s nearly still ({v:.3} frame widths/s) at a water source"),
                });
            }
            out.push(BehaviourCall {
                label: Behaviour::Feeding,
                confidence: if water { 0.4 } else { 0.6 },
                source: "inferred".into(),
                evidence: format!("{dwell_s:.0} s in view, moving only {v:.3} frame widths/s"),
            });
        }
        Some(v) => out.push(BehaviourCall {
            label: Behaviour::Vigilance,
            confidence: 0.4,
            source: "inferred".into(),
            evidence: format!("a short, nearly still visit ({dwell_s:.0} s, {v:.3} frame widths/s)"),
        }),
        None => {}
    }
    if count >= 3 && speed.is_some_and(|v| v >= 0.08) {
        out.push(BehaviourCall {
            label: Behaviour::GroupMovement,
            confidence: 0.6,
            source: "inferred".into(),
            evidence: format!("{count} animals moving together"),
        });
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn sentence(
    e: &Event,
    common: &Option<String>,
    count: i64,
    behaviours: &[BehaviourCall],
    movement: &Option<Movement>,
    dwell_s: f64,
    camera: Option<&Camera>,
    tod: &Option<TimeOfDay>,
    local: &chrono::DateTime<FixedOffset>,
) -> String {
    let what = match (e.observation_type, common, &e.scientific_name) {
        (ObservationType::Animal, Some(c), _) => {
            if count == 1 {
                format!("A {c}")
            } else {
                format!("{count} {c}")
            }
        }
        (ObservationType::Animal, None, Some(s)) => format!("{count} × {s}"),
        (ObservationType::Animal, None, None) => {
            if count == 1 {
                "An animal (species unknown)".to_string()
            } else {
                format!("{count} animals (species unknown)")
            }
        }
        (ObservationType::Human, ..) => "People".to_string(),
        (ObservationType::Vehicle, ..) => "A vehicle".to_string(),
        _ => "Something".to_string(),
    };
    let doing = behaviours.first().map(|b| match b.label {
        Behaviour::Travelling => "travelling".to_string(),
        Behaviour::Running => "running".to_string(),
        other => other.as_str().to_string(),
    });
    let mut s = what;
    if let Some(d) = doing {
        s.push_str(&format!(" {} {d}", if count == 1 { "was" } else { "were" }));
    } else {
        s.push_str(&format!(" {} seen", if count == 1 { "was" } else { "were" }));
    }
    if let Some(m) = movement
        && m.speed_frame_widths_per_s >= 0.08
    {
        s.push_str(&format!(" {}", m.across_frame));
        if let Some(c) = &m.compass {
            s.push_str(&format!(" (heading {c})"));
        }
    }
    let name = camera.map(|c| c.name.as_str()).unwrap_or(e.camera_id.as_str());
    s.push_str(&format!(" at {name} at {}", local.format("%H:%M on %b %-d")));
    if let Some(t) = tod {
        let rel = match (t.phase.as_str(), t.minutes_from_sunrise, t.minutes_from_sunset) {
            (_, Some(r), _) if r.abs() <= 90.0 => Some(if r < 0.0 {
                format!("{:.0} min before sunrise", -r)
            } else {
                format!("{r:.0} min after sunrise")
            }),
            (_, _, Some(r)) if r.abs() <= 90.0 => Some(if r < 0.0 {
                format!("{:.0} min before sunset", -r)
            } else {
                format!("{r:.0} min after sunset")
            }),
            ("night", ..) => Some("at night".to_string()),
            _ => None,
        };
        if let Some(r) = rel {
            s.push_str(&format!(", {r}"));
        }
    }
    s.push_str(&format!(", staying {}.", human_duration(dwell_s)));
    s
}

fn human_duration(s: f64) -> String {
    if s < 90.0 {
        format!("{s:.0} s")
    } else {
        format!("{:.1} min", s / 60.0)
    }
}

fn notable_events(animals: &[&Event], species: &[SpeciesActivity], ctx: &Context) -> Vec<NotableEvent> {
    let mut out: Vec<NotableEvent> = Vec::new();
    let mut by_count: Vec<&&Event> = animals.iter().filter(|e| e.count.unwrap_or(1) >= 5).collect();
    by_count.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
    for e in by_count.into_iter().take(3) {
        out.push(NotableEvent {
            event_id: e.id.clone(),
            why: format!(
                "largest group: {} × {}",
                e.count.unwrap_or(1),
                ctx.common(&e.scientific_name)
                    .or(e.scientific_name.clone())
                    .unwrap_or_default()
            ),
        });
    }
    for s in species
        .iter()
        .filter(|s| s.events <= 2 && s.scientific_name != "unknown")
    {
        if let Some(e) = animals
            .iter()
            .find(|e| e.scientific_name.as_deref() == Some(s.scientific_name.as_str()))
        {
            out.push(NotableEvent {
                event_id: e.id.clone(),
                why: format!(
                    "rare in this period: {} ({} events)",
                    s.common_name.clone().unwrap_or(s.scientific_name.clone()),
                    s.events
                ),
            });
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for e in animals.iter().rev() {
        if let Some(i) = &e.individual_id
            && seen.insert(i.clone())
            && seen.len() <= 3
        {
            out.push(NotableEvent {
                event_id: e.id.clone(),
                why: format!("marked individual {i} (latest sighting)"),
            });
        }
    }
    out.truncate(10);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(id: &str, cam: &str, sp: &str, minute: i64) -> EventBrief {
        EventBrief {
            id: id.into(),
            camera_id: cam.into(),
            deployment_id: "d".into(),
            scientific_name: Some(sp.into()),
            start: from_ms(minute * 60_000),
            end: from_ms(minute * 60_000),
            count: Some(1),
            individual_id: None,
        }
    }

    #[test]
    fn independence_compares_with_the_last_counted_event() {
        // 0, 10, 35, 50, 70 with T = 30: 0 counts, 10 not, 35 counts, 50 not (15 after 35),
        // 70 counts (35 after 35) - comparing with the last *recorded* one (50) would drop it.
        let ev = [
            b("a", "C1", "fox", 0),
            b("b", "C1", "fox", 10),
            b("c", "C1", "fox", 35),
            b("d", "C1", "fox", 50),
            b("e", "C1", "fox", 70),
        ];
        assert_eq!(independent_indices(&ev, Duration::minutes(30)), vec![0, 2, 4]);
        // Species and cameras are independent of each other.
        let ev = [
            b("a", "C1", "fox", 0),
            b("b", "C2", "fox", 5),
            b("c", "C1", "deer", 6),
            b("d", "C1", "fox", 29),
        ];
        assert_eq!(independent_indices(&ev, Duration::minutes(30)), vec![0, 1, 2]);
    }

    #[test]
    fn headings_become_words_and_bearings() {
        let t = |h: f64, v: f64| Track {
            id: "t".into(),
            event_id: "e".into(),
            camera_id: "c".into(),
            start: from_ms(0),
            end: from_ms(0),
            scientific_name: None,
            individual_id: None,
            heading_deg: Some(h),
            speed: Some(v),
            frames: 3,
        };
        let m = movement_of(&[t(80.0, 0.2), t(100.0, 0.4)], Some(180.0)).unwrap();
        assert_eq!(m.across_frame, "left to right");
        assert!((m.frame_heading_deg - 90.0).abs() < 1e-6);
        assert_eq!(m.bearing_deg, Some(270.0), "lens facing south, moving right = west");
        assert_eq!(m.compass.as_deref(), Some("W"));
        let m = movement_of(&[t(350.0, 0.1), t(10.0, 0.1)], None).unwrap();
        assert_eq!(
            m.across_frame, "away from the camera",
            "circular mean of 350 and 10 is 0"
        );
    }
}
