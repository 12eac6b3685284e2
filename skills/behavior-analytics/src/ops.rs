//! The operations: read the store, call the maths in [`crate::stats`], shape the answer.

use crate::stats::{behaviour, diel, effort, migration, occupancy, overlap};
use crate::types::*;
use chrono::{Duration, NaiveDate};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::f64::consts::TAU;
use std::sync::{Arc, Mutex};
use trailmesh_core::model::{Camera, Deployment, Event, ObservationType, format_with_offset, from_ms, to_ms};
use trailmesh_core::skill::{PageInfo, SkillError, SkillResult, page_limit, parse_time_arg};
use trailmesh_core::solar::{self, RiseSet, SolarPhase};
use trailmesh_core::store::{EventQuery, Store, TimeRange};

const DAY_MS: i64 = effort::DAY_MS;
const HOUR_MS: i64 = 3_600_000;

/// The behaviour and ecology analytics skill. Cheap to clone (the store is a pool; clones
/// share the event cache).
#[derive(Debug, Clone)]
pub struct BehaviorAnalytics {
    store: Store,
    /// The columns of animal events the statistics read, kept in memory between calls and
    /// reloaded when the store's events fingerprint changes (events added, or given a
    /// species).
    cache: Arc<Mutex<Option<Arc<EventCache>>>>,
}

/// One animal event as the statistics see it.
#[derive(Debug, Clone)]
struct Brief {
    camera_id: Arc<str>,
    deployment_id: Arc<str>,
    scientific_name: Arc<str>,
    start_ms: i64,
}

/// Every animal event with a species, oldest first.
struct EventCache {
    /// The store's events fingerprint when loaded.
    version: trailmesh_core::store::EventsFingerprint,
    rows: Vec<Brief>,
}

impl std::fmt::Debug for EventCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventCache")
            .field("version", &self.version)
            .field("rows", &self.rows.len())
            .finish()
    }
}

/// The resolved scope of a call.
#[derive(Debug, Clone)]
struct Ctx {
    from: i64,
    to: i64,
    /// Cameras in scope, by id.
    cameras: Vec<Camera>,
    /// Whether every camera of the study is in scope.
    all_cameras: bool,
    deployments: Vec<Deployment>,
    /// Malfunction windows per deployment id.
    malfunctions: HashMap<String, Vec<(String, i64, i64, String)>>,
    /// Operating intervals per camera id, clipped to the window.
    operating: BTreeMap<String, Vec<(i64, i64)>>,
    /// UTC offset (minutes) per deployment id and per camera id.
    dep_offset: HashMap<String, i32>,
    cam_offset: HashMap<String, i32>,
    /// Latitude / longitude per camera id, where known.
    position: HashMap<String, (f64, f64)>,
}

impl Ctx {
    fn window(&self) -> Window {
        Window {
            from: from_ms(self.from).to_rfc3339(),
            to: from_ms(self.to).to_rfc3339(),
            cameras: self.cameras.iter().map(|c| c.id.clone()).collect(),
        }
    }

    fn camera_ids(&self) -> BTreeSet<&str> {
        self.cameras.iter().map(|c| c.id.as_str()).collect()
    }

    fn offset_of(&self, deployment_id: &str, camera_id: &str) -> i32 {
        self.dep_offset
            .get(deployment_id)
            .or_else(|| self.cam_offset.get(camera_id))
            .copied()
            .unwrap_or(0)
    }

    fn trap_nights(&self, camera_id: &str) -> f64 {
        self.operating.get(camera_id).map_or(0.0, |v| effort::days(v))
    }

    /// Malfunction intervals of a camera (all its deployments), clipped to nothing.
    fn camera_malfunctions(&self, camera_id: &str) -> Vec<(i64, i64)> {
        self.deployments
            .iter()
            .filter(|d| d.camera_id == camera_id)
            .flat_map(|d| self.malfunctions.get(&d.id).into_iter().flatten())
            .map(|m| (m.1, m.2))
            .collect()
    }
}

/// Sunrise and sunset per (camera, local solar date), computed once per call.
struct SunCache {
    cache: HashMap<String, HashMap<NaiveDate, (i64, i64)>>,
}

impl SunCache {
    fn new() -> Self {
        SunCache { cache: HashMap::new() }
    }

    /// (sunrise, sunset) in ms on a date; polar days fall back to solar noon -/+ 6 h.
    fn day(&mut self, cam: &str, date: NaiveDate, lat: f64, lon: f64) -> (i64, i64) {
        if let Some(v) = self.cache.get(cam).and_then(|m| m.get(&date)) {
            return *v;
        }
        *self
            .cache
            .entry(cam.to_string())
            .or_default()
            .entry(date)
            .or_insert_with(|| match solar::sunrise_sunset(date, lat, lon) {
                RiseSet::Normal { rise, set } => (to_ms(rise), to_ms(set)),
                _ => {
                    let noon = to_ms(solar::solar_noon(date, lat, lon));
                    (noon - 6 * HOUR_MS, noon + 6 * HOUR_MS)
                }
            })
    }

    /// Sun time (radians) of an instant and its period (`twilight`, `day`, `night`):
    /// twilight is within one hour of sunrise or sunset.
    fn place(&mut self, cam: &str, t: i64, lat: f64, lon: f64) -> (f64, &'static str, f64) {
        let date = solar::local_solar_date(from_ms(t), lon);
        let (rise, set) = self.day(cam, date, lat, lon);
        let (_, prev_set) = self.day(cam, date - Duration::days(1), lat, lon);
        let (next_rise, _) = self.day(cam, date + Duration::days(1), lat, lon);
        let st = diel::sun_time(t as f64, rise as f64, set as f64, prev_set as f64, next_rise as f64);
        let near = [rise, set, prev_set, next_rise]
            .iter()
            .any(|&x| (t - x).abs() <= HOUR_MS);
        let period = if near {
            "twilight"
        } else if t >= rise && t < set {
            "day"
        } else {
            "night"
        };
        (st, period, (set - rise) as f64 / HOUR_MS as f64)
    }
}

fn phase_name(p: SolarPhase) -> &'static str {
    match p {
        SolarPhase::Night => "night",
        SolarPhase::Dawn => "dawn",
        SolarPhase::Day => "day",
        SolarPhase::Dusk => "dusk",
    }
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn page<T: Clone>(items: &[T], limit: Option<u32>, offset: Option<u64>) -> SkillResult<(Vec<T>, PageInfo)> {
    let limit = page_limit(limit)?;
    let offset = offset.unwrap_or(0);
    let start = (offset as usize).min(items.len());
    let end = (start + limit as usize).min(items.len());
    let out = items[start..end].to_vec();
    Ok((out, PageInfo::new(items.len() as u64, offset, limit, end - start)))
}

fn independence_ms(field: &str, minutes: Option<f64>, default: f64) -> SkillResult<i64> {
    let m = minutes.unwrap_or(default);
    if !m.is_finite() || !(0.0..=10_080.0).contains(&m) {
        return Err(SkillError::invalid(
            field,
            format!(
                "{m} is not an interval in minutes; use 0..10080 (30 is the convention; 1, 2 and 60 are also used)"
            ),
        ));
    }
    Ok((m * 60_000.0).round() as i64)
}

fn occasion_days_arg(v: Option<u32>) -> SkillResult<u32> {
    let k = v.unwrap_or(1);
    if !(1..=365).contains(&k) {
        return Err(SkillError::invalid(
            "occasion_days",
            format!("{k} is out of range; use 1..365 days (default 1)"),
        ));
    }
    Ok(k)
}

fn fraction_arg(v: Option<f64>) -> SkillResult<f64> {
    let f = v.unwrap_or(0.5);
    if !(f > 0.0 && f <= 1.0) {
        return Err(SkillError::invalid(
            "min_operating_fraction",
            format!("{f} is out of range; use a fraction in (0, 1] (default 0.5)"),
        ));
    }
    Ok(f)
}

/// Detection histories of every station in scope (by camera id), with occasion starts.
struct Histories {
    starts: Vec<i64>,
    offset_min: i32,
    rows: Vec<(String, Vec<Option<u8>>)>,
}

impl BehaviorAnalytics {
    /// The skill over a store.
    pub fn new(store: Store) -> Self {
        BehaviorAnalytics {
            store,
            cache: Arc::new(Mutex::new(None)),
        }
    }

    /// The store it reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    async fn ctx(&self, scope: &Scope) -> SkillResult<Ctx> {
        let all = self.store.cameras().await?;
        let mut cameras = all.clone();
        if let Some(site) = scope.site.as_deref() {
            cameras.retain(|c| c.site.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(site.trim())));
            if cameras.is_empty() {
                let sites: BTreeSet<&str> = all.iter().filter_map(|c| c.site.as_deref()).collect();
                return Err(SkillError::not_found(
                    "site",
                    site,
                    format!("known sites: {}", sites.into_iter().collect::<Vec<_>>().join(", ")),
                ));
            }
        }
        if let Some(ids) = &scope.cameras {
            if ids.is_empty() {
                return Err(SkillError::invalid(
                    "cameras",
                    "the list is empty; leave it out for every camera",
                ));
            }
            for id in ids {
                if !all.iter().any(|c| &c.id == id) {
                    return Err(SkillError::not_found(
                        "camera",
                        id,
                        format!(
                            "valid camera ids: {}",
                            all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
            cameras.retain(|c| ids.contains(&c.id));
            if cameras.is_empty() {
                return Err(SkillError::invalid(
                    "cameras",
                    "none of these cameras is at the given site",
                ));
            }
        }
        let all_cameras = cameras.len() == all.len();
        let ids: BTreeSet<String> = cameras.iter().map(|c| c.id.clone()).collect();
        let deployments: Vec<Deployment> = self
            .store
            .deployments(None)
            .await?
            .into_iter()
            .filter(|d| ids.contains(&d.camera_id))
            .collect();
        let from = match &scope.from {
            Some(s) => to_ms(parse_time_arg("from", s)?),
            None => deployments.iter().map(|d| to_ms(d.start)).min().ok_or_else(|| {
                SkillError::invalid(
                    "from",
                    "no deployment in scope to take a default window from; give 'from' and 'to'",
                )
            })?,
        };
        let to = match &scope.to {
            Some(s) => to_ms(parse_time_arg("to", s)?),
            None => deployments.iter().map(|d| to_ms(d.end)).max().unwrap_or(from + DAY_MS),
        };
        if to <= from {
            return Err(SkillError::invalid(
                "to",
                format!(
                    "{} is not after 'from' ({}); give a later end",
                    from_ms(to).to_rfc3339(),
                    from_ms(from).to_rfc3339()
                ),
            ));
        }
        let mut malfunctions: HashMap<String, Vec<(String, i64, i64, String)>> = HashMap::new();
        for m in self.store.malfunctions(None).await? {
            malfunctions.entry(m.deployment_id.clone()).or_default().push((
                m.id,
                to_ms(m.start),
                to_ms(m.end),
                m.reason,
            ));
        }
        let mut operating: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
        let mut dep_offset = HashMap::new();
        let mut cam_offset = HashMap::new();
        let mut position = HashMap::new();
        for d in &deployments {
            let mals: Vec<(i64, i64)> = malfunctions
                .get(&d.id)
                .into_iter()
                .flatten()
                .map(|m| (m.1, m.2))
                .collect();
            operating
                .entry(d.camera_id.clone())
                .or_default()
                .extend(effort::operating_intervals(
                    (to_ms(d.start), to_ms(d.end)),
                    &mals,
                    from,
                    to,
                ));
            dep_offset.insert(d.id.clone(), d.utc_offset_min);
            cam_offset.entry(d.camera_id.clone()).or_insert(d.utc_offset_min);
            if let (Some(lat), Some(lon)) = (d.latitude, d.longitude) {
                position.entry(d.camera_id.clone()).or_insert((lat, lon));
            }
        }
        for c in &cameras {
            if let (Some(lat), Some(lon)) = (c.latitude, c.longitude) {
                position.entry(c.id.clone()).or_insert((lat, lon));
            }
        }
        Ok(Ctx {
            from,
            to,
            cameras,
            all_cameras,
            deployments,
            malfunctions,
            operating,
            dep_offset,
            cam_offset,
            position,
        })
    }

    /// Resolves a species argument (scientific or common name, case-insensitive) to the
    /// scientific name and common name.
    async fn species(&self, field: &str, name: &str) -> SkillResult<(String, Option<String>)> {
        let all = self.store.species().await?;
        let want = name.trim();
        all.iter()
            .find(|s| {
                s.scientific_name.eq_ignore_ascii_case(want)
                    || s.common_name.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(want))
            })
            .map(|s| (s.scientific_name.clone(), s.common_name.clone()))
            .ok_or_else(|| {
                SkillError::not_found(
                    "species",
                    name,
                    format!(
                        "argument '{field}'; valid species: {}",
                        all.iter()
                            .map(|s| match &s.common_name {
                                Some(c) => format!("{} ({c})", s.scientific_name),
                                None => s.scientific_name.clone(),
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    fn query(ctx: &Ctx, species: Option<&str>) -> EventQuery {
        EventQuery {
            camera_id: (ctx.cameras.len() == 1).then(|| ctx.cameras[0].id.clone()),
            scientific_name: species.map(str::to_string),
            time: TimeRange {
                from: Some(from_ms(ctx.from)),
                to: Some(from_ms(ctx.to)),
            },
            observation_type: Some(ObservationType::Animal),
            ..EventQuery::default()
        }
    }

    /// The event cache, loaded (or reloaded, when the events changed) on demand.
    async fn events(&self) -> SkillResult<Arc<EventCache>> {
        let version = self.store.events_fingerprint().await?;
        let current = self.cache.lock().ok().and_then(|g| g.clone());
        if let Some(c) = current.filter(|c| c.version == version) {
            return Ok(c);
        }
        let raw = self
            .store
            .event_briefs(&EventQuery {
                observation_type: Some(ObservationType::Animal),
                ..EventQuery::default()
            })
            .await?;
        let mut names: HashMap<String, Arc<str>> = HashMap::new();
        let mut intern = |s: String| -> Arc<str> {
            if let Some(a) = names.get(&s) {
                return a.clone();
            }
            let a: Arc<str> = Arc::from(s.as_str());
            names.insert(s, a.clone());
            a
        };
        let rows = raw
            .into_iter()
            .filter_map(|r| {
                let sp = r.scientific_name?;
                Some(Brief {
                    camera_id: intern(r.camera_id),
                    deployment_id: intern(r.deployment_id),
                    scientific_name: intern(sp),
                    start_ms: to_ms(r.start),
                })
            })
            .collect();
        let cache = Arc::new(EventCache { version, rows });
        if let Ok(mut g) = self.cache.lock() {
            *g = Some(cache.clone());
        }
        Ok(cache)
    }

    /// Animal events in scope with a species (optionally one species), oldest first.
    fn select<'a>(cache: &'a EventCache, ctx: &Ctx, species: Option<&str>) -> Vec<&'a Brief> {
        let lo = cache.rows.partition_point(|r| r.start_ms < ctx.from);
        let hi = cache.rows.partition_point(|r| r.start_ms < ctx.to);
        let ids = ctx.camera_ids();
        cache.rows[lo..hi.max(lo)]
            .iter()
            .filter(|r| species.is_none_or(|s| &*r.scientific_name == s))
            .filter(|r| ctx.all_cameras || ids.contains(&*r.camera_id))
            .collect()
    }

    // -----------------------------------------------------------------------------------

    /// Behaviour labels per event, inferred from the tracks (speed across the frame, time
    /// between frames, group size), the camera's feature type, the sun and the species'
    /// breeding season, each with a confidence and its evidence; human labels on the event
    /// are returned as such (source `human`) and win over inference.
    pub async fn behaviours(&self, input: BehavioursInput) -> SkillResult<BehavioursOutput> {
        let ctx = self.ctx(&input.scope).await?;
        let species = match &input.species {
            Some(s) => Some(self.species("species", s).await?.0),
            None => None,
        };
        let limit = page_limit(input.limit)?;
        let offset = input.offset.unwrap_or(0);
        let ids = ctx.camera_ids();
        let (events, total): (Vec<Event>, u64) = if let Some(wanted) = &input.event_ids {
            let mut found = Vec::new();
            for id in wanted {
                let e = self.store.event(id).await?.ok_or_else(|| {
                    SkillError::not_found("event", id, "find event ids with the event-analyzer's event search")
                })?;
                let t = to_ms(e.start);
                if ids.contains(e.camera_id.as_str())
                    && t >= ctx.from
                    && t < ctx.to
                    && species.as_ref().is_none_or(|s| e.scientific_name.as_ref() == Some(s))
                {
                    found.push(e);
                }
            }
            found.sort_by(|a, b| a.start.cmp(&b.start).then(a.id.cmp(&b.id)));
            let total = found.len() as u64;
            let start = (offset as usize).min(found.len());
            let end = (start + limit as usize).min(found.len());
            (found[start..end].to_vec(), total)
        } else if ctx.all_cameras || ctx.cameras.len() == 1 {
            let mut q = Self::query(&ctx, species.as_deref());
            let total = self.store.count_events(&q).await? as u64;
            q.limit = Some(i64::from(limit));
            q.offset = Some(offset as i64);
            (self.store.events(&q).await?, total)
        } else {
            let mut all = self.store.events(&Self::query(&ctx, species.as_deref())).await?;
            all.retain(|e| ids.contains(e.camera_id.as_str()));
            let total = all.len() as u64;
            let start = (offset as usize).min(all.len());
            let end = (start + limit as usize).min(all.len());
            (all[start..end].to_vec(), total)
        };
        let feature_of: HashMap<&str, Option<trailmesh_core::model::FeatureType>> = ctx
            .deployments
            .iter()
            .map(|d| (d.id.as_str(), d.feature_type))
            .collect();
        let cam_feature: HashMap<&str, Option<trailmesh_core::model::FeatureType>> =
            ctx.cameras.iter().map(|c| (c.id.as_str(), c.feature_type)).collect();
        let mut out = Vec::with_capacity(events.len());
        for e in &events {
            let tracks = self.store.tracks(Some(&e.id)).await?;
            let frames = tracks.iter().map(|t| t.frames).max().unwrap_or(1).max(1) as u32;
            let speeds: Vec<f64> = tracks.iter().filter_map(|t| t.speed).collect();
            let speed = (!speeds.is_empty()).then(|| speeds.iter().sum::<f64>() / speeds.len() as f64);
            let headings: Vec<f64> = tracks.iter().filter_map(|t| t.heading_deg).collect();
            let agreement = (!headings.is_empty()).then(|| {
                let (s, c) = headings.iter().fold((0.0, 0.0), |acc, h| {
                    (acc.0 + h.to_radians().sin(), acc.1 + h.to_radians().cos())
                });
                (s * s + c * c).sqrt() / headings.len() as f64
            });
            let dwell_s = (e.end - e.start).num_milliseconds() as f64 / 1000.0;
            let offset_min = ctx.offset_of(&e.deployment_id, &e.camera_id);
            let local = e.start + Duration::minutes(i64::from(offset_min));
            let (lat, lon) = ctx.position.get(&e.camera_id).copied().unzip();
            let phase = match (lat, lon) {
                (Some(la), Some(lo)) => phase_name(solar::solar_phase(e.start, la, lo)),
                _ => "unknown",
            };
            let feature_type = feature_of
                .get(e.deployment_id.as_str())
                .copied()
                .flatten()
                .or_else(|| cam_feature.get(e.camera_id.as_str()).copied().flatten());
            let count = e.count.map_or(tracks.len().max(1) as u32, |c| c.max(0) as u32);
            let f = behaviour::Features {
                species: e.scientific_name.clone(),
                count,
                dwell_s,
                frames,
                speed_fw_s: speed,
                heading_agreement: agreement,
                feature_type,
                phase,
                date: local.date_naive(),
                latitude: lat,
            };
            let inferred: Vec<BehaviourLabel> = behaviour::infer(&f)
                .into_iter()
                .map(|l| BehaviourLabel {
                    label: l.label,
                    confidence: round(l.confidence, 3),
                    source: "inferred".to_string(),
                    evidence: l
                        .evidence
                        .into_iter()
                        .map(|c| Evidence {
                            feature: c.feature.to_string(),
                            value: c.value.map(|v| round(v, 4)),
                            unit: c.unit.to_string(),
                            note: c.note,
                        })
                        .collect(),
                })
                .collect();
            let human = e.behaviours();
            let labels = if human.is_empty() {
                inferred.clone()
            } else {
                human
                    .iter()
                    .map(|b| BehaviourLabel {
                        label: *b,
                        confidence: 1.0,
                        source: "human".to_string(),
                        evidence: vec![Evidence {
                            feature: "human_label".to_string(),
                            value: None,
                            unit: String::new(),
                            note: format!(
                                "labelled on the event by {}",
                                e.classified_by.as_deref().unwrap_or("a person")
                            ),
                        }],
                    })
                    .collect()
            };
            out.push(EventBehaviour {
                event_id: e.id.clone(),
                camera_id: e.camera_id.clone(),
                species: e.scientific_name.clone(),
                start: format_with_offset(e.start, offset_min),
                labels,
                inferred,
                features: EventFeatures {
                    dwell_s: round(dwell_s, 3),
                    frames,
                    frame_gap_s: round(
                        if frames > 1 {
                            dwell_s / f64::from(frames - 1)
                        } else {
                            0.0
                        },
                        3,
                    ),
                    speed_fw_s: speed.map(|v| round(v, 5)),
                    count,
                    solar_phase: phase.to_string(),
                    breeding_season: e
                        .scientific_name
                        .as_deref()
                        .and_then(|s| behaviour::in_breeding_season(s, f.date, lat)),
                    feature_type: feature_type.map(|t| t.as_str().to_string()),
                },
            });
        }
        let returned = out.len();
        Ok(BehavioursOutput {
            events: out,
            page: PageInfo::new(total, offset, limit, returned),
        })
    }

    // -----------------------------------------------------------------------------------

    /// Effort in trap-nights per deployment and camera: operating 24 h periods inside the
    /// window minus malfunction windows (DOMAIN.md formula 1), with the malfunctions listed.
    pub async fn effort(&self, input: EffortInput) -> SkillResult<EffortOutput> {
        let ctx = self.ctx(&input.scope).await?;
        let mut deps = Vec::new();
        let mut per_cam: BTreeMap<String, (f64, u32)> = ctx.cameras.iter().map(|c| (c.id.clone(), (0.0, 0))).collect();
        for d in &ctx.deployments {
            let (s, e) = (to_ms(d.start).max(ctx.from), to_ms(d.end).min(ctx.to));
            if e <= s {
                continue;
            }
            let mals = ctx.malfunctions.get(&d.id).cloned().unwrap_or_default();
            let plain: Vec<(i64, i64)> = mals.iter().map(|m| (m.1, m.2)).collect();
            let op = effort::operating_intervals((to_ms(d.start), to_ms(d.end)), &plain, ctx.from, ctx.to);
            let tn = effort::days(&op);
            let deployed = (e - s) as f64 / DAY_MS as f64;
            let windows: Vec<MalfunctionWindow> = mals
                .iter()
                .filter_map(|(id, a, b, reason)| {
                    let (a, b) = ((*a).max(s), (*b).min(e));
                    (b > a).then(|| MalfunctionWindow {
                        id: id.clone(),
                        start: format_with_offset(from_ms(a), d.utc_offset_min),
                        end: format_with_offset(from_ms(b), d.utc_offset_min),
                        days: round((b - a) as f64 / DAY_MS as f64, 6),
                        reason: reason.clone(),
                    })
                })
                .collect();
            let entry = per_cam.entry(d.camera_id.clone()).or_default();
            entry.0 += tn;
            entry.1 += 1;
            deps.push(DeploymentEffort {
                deployment_id: d.id.clone(),
                camera_id: d.camera_id.clone(),
                start: format_with_offset(from_ms(s), d.utc_offset_min),
                end: format_with_offset(from_ms(e), d.utc_offset_min),
                deployed_days: round(deployed, 6),
                malfunction_days: round(deployed - tn, 6),
                trap_nights: round(tn, 6),
                malfunctions: windows,
            });
        }
        let total: f64 = per_cam.values().map(|v| v.0).sum();
        let (deployments, page) = page(&deps, input.limit, input.offset)?;
        Ok(EffortOutput {
            window: ctx.window(),
            total_trap_nights: round(total, 6),
            cameras: per_cam
                .into_iter()
                .map(|(camera_id, (tn, n))| CameraEffort {
                    camera_id,
                    trap_nights: round(tn, 6),
                    deployments: n,
                })
                .collect(),
            deployments,
            page,
        })
    }

    // -----------------------------------------------------------------------------------

    /// Relative abundance index per species, overall and per camera: RAI = 100 * N_indep /
    /// trap-nights (DOMAIN.md formula 2; O'Brien et al. 2003), with the independence rule
    /// of [`effort::independent`].
    pub async fn rai(&self, input: RaiInput) -> SkillResult<RaiOutput> {
        let ctx = self.ctx(&input.scope).await?;
        let interval = independence_ms("independence_min", input.independence_min, 30.0)?;
        let exclude = input.exclude_malfunctions.unwrap_or(true);
        let all_species = self.store.species().await?;
        let common: HashMap<&str, Option<&str>> = all_species
            .iter()
            .map(|s| (s.scientific_name.as_str(), s.common_name.as_deref()))
            .collect();
        let wanted: Option<BTreeSet<String>> = match &input.species {
            Some(list) => {
                let mut set = BTreeSet::new();
                for s in list {
                    set.insert(self.species("species", s).await?.0);
                }
                Some(set)
            }
            None => None,
        };
        let cache = self.events().await?;
        let rows = match wanted.as_ref().filter(|w| w.len() == 1) {
            Some(w) => Self::select(&cache, &ctx, w.iter().next().map(String::as_str)),
            None => Self::select(&cache, &ctx, None),
        };
        let mals: HashMap<String, Vec<(i64, i64)>> = ctx
            .cameras
            .iter()
            .map(|c| (c.id.clone(), ctx.camera_malfunctions(&c.id)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        // (species, camera) -> start times (rows come oldest first). Grouped first on the
        // interned strings' addresses (cheap), then by name for a stable order.
        let mut by_ptr: HashMap<(usize, usize), (&str, &str, Vec<i64>)> = HashMap::new();
        for r in &rows {
            let key = (
                Arc::as_ptr(&r.scientific_name) as *const u8 as usize,
                Arc::as_ptr(&r.camera_id) as *const u8 as usize,
            );
            by_ptr
                .entry(key)
                .or_insert_with(|| (&*r.scientific_name, &*r.camera_id, Vec::new()))
                .2
                .push(r.start_ms);
        }
        let mut groups: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
        let mut excluded = 0u64;
        for (_, (sp, cam, mut times)) in by_ptr {
            if wanted.as_ref().is_some_and(|w| !w.contains(sp)) {
                continue;
            }
            if exclude && let Some(m) = mals.get(cam) {
                let before = times.len();
                times.retain(|t| !effort::inside(m, *t));
                excluded += (before - times.len()) as u64;
                if times.is_empty() {
                    continue;
                }
            }
            groups.entry((sp, cam)).or_default().extend(times);
        }
        let total_tn: f64 = ctx.cameras.iter().map(|c| ctx.trap_nights(&c.id)).sum();
        let mut per_camera = Vec::new();
        let mut per_species: BTreeMap<&str, (u64, u64, u32)> = BTreeMap::new();
        for ((sp, cam), times) in &mut groups {
            times.sort_unstable();
            let n_ind = effort::count_independent(times, interval) as u64;
            let tn = ctx.trap_nights(cam);
            per_camera.push(CameraRai {
                camera_id: cam.to_string(),
                species: sp.to_string(),
                events: times.len() as u64,
                independent: n_ind,
                trap_nights: round(tn, 6),
                rai: effort::rai(n_ind as usize, tn).map(|v| round(v, 6)),
            });
            let e = per_species.entry(sp).or_default();
            e.0 += times.len() as u64;
            e.1 += n_ind;
            e.2 += 1;
        }
        let mut species: Vec<SpeciesRai> = per_species
            .into_iter()
            .map(|(sp, (n, ind, cams))| SpeciesRai {
                species: sp.to_string(),
                common_name: common.get(sp).copied().flatten().map(str::to_string),
                events: n,
                independent: ind,
                rai: round(effort::rai(ind as usize, total_tn).unwrap_or(0.0), 6),
                cameras_detected: cams,
            })
            .collect();
        species.sort_by(|a, b| b.rai.total_cmp(&a.rai).then(a.species.cmp(&b.species)));
        let (per_camera, page) = page(&per_camera, input.limit, input.offset)?;
        Ok(RaiOutput {
            window: ctx.window(),
            independence_min: interval as f64 / 60_000.0,
            total_trap_nights: round(total_tn, 6),
            excluded_in_malfunction: excluded,
            species,
            per_camera,
            page,
        })
    }

    // -----------------------------------------------------------------------------------

    /// Naive occupancy: operating stations with at least one detection / operating stations
    /// (DOMAIN.md formula 3).
    pub async fn occupancy_naive(&self, input: NaiveOccupancyInput) -> SkillResult<NaiveOccupancyOutput> {
        let ctx = self.ctx(&input.scope).await?;
        let (sp, _) = self.species("species", &input.species).await?;
        let cache = self.events().await?;
        let rows = Self::select(&cache, &ctx, Some(&sp));
        let mut counts: HashMap<&str, u64> = HashMap::new();
        for r in &rows {
            *counts.entry(&*r.camera_id).or_default() += 1;
        }
        let stations: Vec<StationDetections> = ctx
            .cameras
            .iter()
            .map(|c| StationDetections {
                camera_id: c.id.clone(),
                trap_nights: round(ctx.trap_nights(&c.id), 6),
                detections: counts.get(c.id.as_str()).copied().unwrap_or(0),
            })
            .collect();
        let operating = stations.iter().filter(|s| s.trap_nights > 0.0).count() as u32;
        let detected = stations
            .iter()
            .filter(|s| s.trap_nights > 0.0 && s.detections > 0)
            .count() as u32;
        Ok(NaiveOccupancyOutput {
            window: ctx.window(),
            species: sp,
            operating_stations: operating,
            stations_detected: detected,
            naive_occupancy: (operating > 0).then(|| f64::from(detected) / f64::from(operating)),
            stations,
        })
    }

    async fn histories(&self, ctx: &Ctx, sp: &str, k: u32, min_fraction: f64) -> SkillResult<Histories> {
        let cache = self.events().await?;
        let rows = Self::select(&cache, ctx, Some(sp));
        let mut det: HashMap<&str, Vec<i64>> = HashMap::new();
        for r in &rows {
            det.entry(&*r.camera_id).or_default().push(r.start_ms);
        }
        // Occasions start at local midnight (the first camera's offset) of the window's
        // first local day.
        let offset_min = ctx
            .cameras
            .first()
            .map_or(0, |c| ctx.cam_offset.get(&c.id).copied().unwrap_or(0));
        let off_ms = i64::from(offset_min) * 60_000;
        let start0 = (ctx.from + off_ms).div_euclid(DAY_MS) * DAY_MS - off_ms;
        let len = i64::from(k) * DAY_MS;
        let n = ((ctx.to - start0) + len - 1) / len;
        let starts: Vec<i64> = (0..n).map(|i| start0 + i * len).collect();
        let rows = ctx
            .cameras
            .iter()
            .map(|c| {
                let op = ctx.operating.get(&c.id).cloned().unwrap_or_default();
                let d = det.get(c.id.as_str()).cloned().unwrap_or_default();
                (c.id.clone(), effort::history(&op, &d, &starts, len, min_fraction))
            })
            .collect();
        Ok(Histories {
            starts,
            offset_min,
            rows,
        })
    }

    /// Detection history: station x occasion matrix of 1 / 0 / NA (DOMAIN.md formula 4),
    /// NA where the camera operated for less than `min_operating_fraction` of the occasion.
    pub async fn detection_history(&self, input: DetectionHistoryInput) -> SkillResult<DetectionHistoryOutput> {
        let ctx = self.ctx(&input.scope).await?;
        let (sp, _) = self.species("species", &input.species).await?;
        let k = occasion_days_arg(input.occasion_days)?;
        let frac = fraction_arg(input.min_operating_fraction)?;
        let h = self.histories(&ctx, &sp, k, frac).await?;
        let stations: Vec<StationHistory> = h
            .rows
            .into_iter()
            .map(|(camera_id, history)| StationHistory {
                compact: history
                    .iter()
                    .map(|v| match v {
                        Some(1) => '1',
                        Some(_) => '0',
                        None => '.',
                    })
                    .collect(),
                detections: history.iter().filter(|v| **v == Some(1)).count() as u32,
                surveyed: history.iter().filter(|v| v.is_some()).count() as u32,
                camera_id,
                history,
            })
            .collect();
        let (stations, page) = page(&stations, input.limit, input.offset)?;
        Ok(DetectionHistoryOutput {
            window: ctx.window(),
            species: sp,
            occasion_days: k,
            occasion_starts: h
                .starts
                .iter()
                .map(|&s| {
                    (from_ms(s) + Duration::minutes(i64::from(h.offset_min)))
                        .date_naive()
                        .to_string()
                })
                .collect(),
            na_rule: format!(
                "an occasion is NA when the camera operated (deployed and not malfunctioning) for less than {:.0}% of it; otherwise 1 if an event of the species started in it, else 0 (a detection in an NA occasion is not used)",
                frac * 100.0
            ),
            stations,
            page,
        })
    }

    // -----------------------------------------------------------------------------------

    /// Activity times of a species as (angle, weight) points, with (camera, instant) for
    /// the day/night shares.
    async fn activity(
        &self,
        ctx: &Ctx,
        sp: &str,
        scale: TimeScale,
        independence: i64,
    ) -> SkillResult<(Vec<f64>, PeriodShares, u64)> {
        let cache = self.events().await?;
        let mut rows = Self::select(&cache, ctx, Some(sp));
        if independence > 0 {
            let mut by_cam: BTreeMap<&str, Vec<&Brief>> = BTreeMap::new();
            for r in rows {
                by_cam.entry(&*r.camera_id).or_default().push(r);
            }
            rows = Vec::new();
            for (_, v) in by_cam {
                let times: Vec<i64> = v.iter().map(|r| r.start_ms).collect();
                let keep = effort::independent(&times, independence);
                rows.extend(v.into_iter().zip(keep).filter(|(_, k)| *k).map(|(r, _)| r));
            }
        }
        let mut sun = SunCache::new();
        let mut angles = Vec::with_capacity(rows.len());
        let (mut tw, mut day, mut night, mut placed) = (0u64, 0u64, 0u64, 0u64);
        let (mut av_day, mut av_night) = (0.0, 0.0);
        for r in &rows {
            let t = r.start_ms;
            let pos = ctx.position.get(&*r.camera_id).copied();
            let solar_place = pos.map(|(lat, lon)| sun.place(&r.camera_id, t, lat, lon));
            if let Some((_, period, daylight_h)) = solar_place {
                placed += 1;
                av_day += (daylight_h - 2.0).clamp(0.0, 20.0) / 24.0;
                av_night += (22.0 - daylight_h).clamp(0.0, 20.0) / 24.0;
                match period {
                    "twilight" => tw += 1,
                    "day" => day += 1,
                    _ => night += 1,
                }
            }
            match scale {
                TimeScale::Clock => {
                    let off = i64::from(ctx.offset_of(&r.deployment_id, &r.camera_id)) * 60_000;
                    let ms_of_day = (t + off).rem_euclid(DAY_MS);
                    angles.push(ms_of_day as f64 / DAY_MS as f64 * TAU);
                }
                TimeScale::Solar => match solar_place {
                    Some((st, _, _)) => angles.push(st),
                    None => {
                        return Err(SkillError::invalid(
                            "time_scale",
                            format!(
                                "camera {} has no coordinates, so solar time is unknown; use 'clock'",
                                r.camera_id
                            ),
                        ));
                    }
                },
            }
        }
        let share = |x: u64| {
            if placed > 0 {
                round(x as f64 / placed as f64, 4)
            } else {
                0.0
            }
        };
        Ok((
            angles,
            PeriodShares {
                twilight: share(tw),
                day: share(day),
                night: share(night),
                available_twilight: if placed > 0 { round(4.0 / 24.0, 4) } else { 0.0 },
                available_day: if placed > 0 {
                    round(av_day / placed as f64, 4)
                } else {
                    0.0
                },
                available_night: if placed > 0 {
                    round(av_night / placed as f64, 4)
                } else {
                    0.0
                },
            },
            rows.len() as u64,
        ))
    }

    /// Diel activity: von Mises kernel density of activity times (Ridout & Linkie 2009;
    /// overlap::densityFit with getBandWidth), on clock or solar time, with peaks and a
    /// nocturnal / diurnal / crepuscular / cathemeral class.
    pub async fn diel_activity(&self, input: DielInput) -> SkillResult<DielOutput> {
        let ctx = self.ctx(&input.scope).await?;
        let (sp, _) = self.species("species", &input.species).await?;
        let scale = input.time_scale.unwrap_or_default();
        let grid_n = input.grid_points.unwrap_or(96);
        if !(8..=1440).contains(&grid_n) {
            return Err(SkillError::invalid(
                "grid_points",
                format!("{grid_n} is out of range; use 8..1440 (default 96)"),
            ));
        }
        let adjust = input.adjust.unwrap_or(1.0);
        if !(0.1..=10.0).contains(&adjust) {
            return Err(SkillError::invalid(
                "adjust",
                format!("{adjust} is out of range; use 0.1..10 (default 1)"),
            ));
        }
        let indep = independence_ms("independence_min", input.independence_min, 0.0)?;
        let (angles, shares, n) = self.activity(&ctx, &sp, scale, indep).await?;
        if n < 2 {
            return Err(SkillError::invalid(
                "species",
                format!(
                    "{sp} has {n} record(s) in scope; a density needs at least 2 (widen the window or the cameras)"
                ),
            ));
        }
        let points = weighted_points(&angles);
        let bw = diel::bandwidth(&points, 3).ok_or_else(|| {
            SkillError::invalid(
                "species",
                format!("no bandwidth could be estimated for {sp} (the activity times are degenerate)"),
            )
        })? / adjust;
        let grid: Vec<f64> = (0..grid_n).map(|i| TAU * f64::from(i) / f64::from(grid_n)).collect();
        let dens = diel::density(&points, &grid, bw);
        let per_hour = TAU / 24.0;
        let all_peaks = diel::peaks(&dens);
        let top = all_peaks.first().map_or(0.0, |p| p.1);
        let peaks: Vec<f64> = all_peaks
            .into_iter()
            .filter(|p| p.1 >= 0.5 * top)
            .take(3)
            .map(|(i, _)| round(diel::radians_to_hours(grid[i]), 3))
            .collect();
        let (class, rule) = classify(&shares);
        Ok(DielOutput {
            window: ctx.window(),
            species: sp,
            time_scale: scale,
            n,
            bandwidth: round(bw, 6),
            adjust,
            density: grid
                .iter()
                .zip(&dens)
                .map(|(g, d)| DensityPoint {
                    hour: round(diel::radians_to_hours(*g), 4),
                    density: round(d * per_hour, 8),
                })
                .collect(),
            peak_hours: peaks,
            activity_class: class.to_string(),
            class_rule: rule,
            shares,
        })
    }

    /// Activity overlap Delta between two species (Ridout & Linkie 2009; overlap::overlapEst):
    /// Dhat1 when the smaller sample has at most 50 records, else Dhat4, with a seeded
    /// smoothed-bootstrap interval (overlap::bootstrap, bootCI basic0 and percentile).
    pub async fn activity_overlap(&self, input: OverlapInput) -> SkillResult<OverlapOutput> {
        let ctx = self.ctx(&input.scope).await?;
        let (a, _) = self.species("species_a", &input.species_a).await?;
        let (b, _) = self.species("species_b", &input.species_b).await?;
        let scale = input.time_scale.unwrap_or_default();
        let reps = input.bootstrap.unwrap_or(999);
        if reps > 9999 {
            return Err(SkillError::invalid(
                "bootstrap",
                format!("{reps} replicates is too many; use 0..9999 (default 999)"),
            ));
        }
        let conf = input.confidence.unwrap_or(0.95);
        if !(0.5..=0.999).contains(&conf) {
            return Err(SkillError::invalid(
                "confidence",
                format!("{conf} is out of range; use 0.5..0.999 (default 0.95)"),
            ));
        }
        let (ta, _, na) = self.activity(&ctx, &a, scale, 0).await?;
        let (tb, _, nb) = self.activity(&ctx, &b, scale, 0).await?;
        for (field, sp, n) in [("species_a", &a, na), ("species_b", &b, nb)] {
            if n < 2 {
                return Err(SkillError::invalid(
                    field,
                    format!("{sp} has {n} record(s) in scope; overlap needs at least 2 per species"),
                ));
            }
        }
        let pa = overlap::unweighted(&ta);
        let pb = overlap::unweighted(&tb);
        let est = overlap::Estimator::for_sizes(na as f64, nb as f64);
        let adjust = est.default_adjust();
        let delta = overlap::overlap_est(&pa, &pb, est, adjust).ok_or_else(|| {
            SkillError::invalid(
                "species_a",
                "no bandwidth could be estimated (degenerate activity times)",
            )
        })?;
        let seed = input.seed.unwrap_or(42);
        let boot = if reps > 0 {
            overlap::smoothed_bootstrap(&pa, &pb, est, adjust, reps as usize, seed)
        } else {
            None
        };
        let (mut ci, mut ci_perc, mut mean, mut used) = (None, None, None, 0u32);
        if let Some(bs) = &boot {
            used = bs.estimates.len() as u32;
            if let Some((perc, basic0)) = overlap::boot_ci(delta, &bs.estimates, conf) {
                mean = Some(round(bs.estimates.iter().sum::<f64>() / bs.estimates.len() as f64, 6));
                ci = Some(Interval {
                    lower: round(basic0.0.clamp(0.0, 1.0), 6),
                    upper: round(basic0.1.clamp(0.0, 1.0), 6),
                    method: format!(
                        "basic0 ({:.0}%): bootstrap percentile interval minus the bootstrap bias, smoothed bootstrap of {used} replicates (seed {seed}); overlap::bootCI, recommended by Meredith & Ridout",
                        conf * 100.0
                    ),
                });
                ci_perc = Some(Interval {
                    lower: round(perc.0, 6),
                    upper: round(perc.1, 6),
                    method: format!("percentile ({:.0}%) of the bootstrap estimates", conf * 100.0),
                });
            }
        }
        Ok(OverlapOutput {
            window: ctx.window(),
            species_a: a,
            n_a: na,
            species_b: b,
            n_b: nb,
            time_scale: scale,
            estimator: est.name().to_string(),
            adjust,
            delta: round(delta, 6),
            ci,
            ci_percentile: ci_perc,
            bootstrap_replicates: used,
            bootstrap_mean: mean,
            method: "Ridout & Linkie (2009) JABES 14:322-337; R package overlap (Meredith & Ridout): overlapEst(kmax = 3, n.grid = 128), bootstrap(smooth = TRUE), bootCI".to_string(),
        })
    }

    // -----------------------------------------------------------------------------------

    /// Single-season occupancy psi and p by maximum likelihood (MacKenzie et al. 2002) from
    /// the detection history, with observed-information standard errors and 95% intervals.
    pub async fn occupancy(&self, input: OccupancyInput) -> SkillResult<OccupancyOutput> {
        let ctx = self.ctx(&input.scope).await?;
        let (sp, _) = self.species("species", &input.species).await?;
        let k = occasion_days_arg(input.occasion_days)?;
        let frac = fraction_arg(input.min_operating_fraction)?;
        let h = self.histories(&ctx, &sp, k, frac).await?;
        let data: Vec<occupancy::StationData> = h
            .rows
            .iter()
            .map(|(_, row)| occupancy::StationData {
                detections: row.iter().filter(|v| **v == Some(1)).count() as u32,
                surveyed: row.iter().filter(|v| v.is_some()).count() as u32,
            })
            .filter(|s| s.surveyed > 0)
            .collect();
        let fit = occupancy::fit(&data).ok_or_else(|| {
            SkillError::invalid(
                "from",
                "no station has a surveyed occasion in this window; widen the window or lower min_operating_fraction",
            )
        })?;
        let detected = data.iter().filter(|s| s.detections > 0).count() as u32;
        let mut warnings = Vec::new();
        if fit.at_boundary {
            warnings.push(format!(
                "the estimate is at the boundary of the parameter space (psi = {:.4}, p = {:.4}): standard errors and intervals are unreliable{}",
                fit.psi,
                fit.p,
                if detected as usize == data.len() { "; every station detected the species, so psi -> 1" } else { "" }
            ));
        }
        if detected == 0 {
            warnings.push("no station detected the species: psi and p are not identifiable".to_string());
        }
        if data.len() < 10 {
            warnings.push(format!("only {} stations: estimates are imprecise", data.len()));
        }
        let z = 1.959_963_985;
        let est = |prob: f64, se: Option<f64>| {
            let ci = se.map(|s| occupancy::ci_probability(prob, s, z));
            Estimate {
                estimate: round(prob, 6),
                se: se.map(|s| round(occupancy::se_probability(prob, s), 6)),
                lower95: ci.map(|c| round(c.0, 6)),
                upper95: ci.map(|c| round(c.1, 6)),
            }
        };
        Ok(OccupancyOutput {
            window: ctx.window(),
            species: sp,
            psi: est(fit.psi, fit.se_logit.map(|s| s.0)),
            p: est(fit.p, fit.se_logit.map(|s| s.1)),
            log_likelihood: round(fit.log_likelihood, 6),
            aic: round(fit.aic, 6),
            stations: data.len() as u32,
            stations_detected: detected,
            surveyed_occasions: data.iter().map(|s| s.surveyed).sum(),
            occasion_days: k,
            warnings,
        })
    }

    // -----------------------------------------------------------------------------------

    /// Migration wave: per camera the median detection date, regressed on the camera's
    /// position along an axis (given, or the best-fitting bearing) -> direction, speed,
    /// R^2, slope interval and a confidence in words. Needs at least 4 cameras.
    pub async fn migration(&self, input: MigrationInput) -> SkillResult<MigrationOutput> {
        let ctx = self.ctx(&input.scope).await?;
        let (sp, _) = self.species("species", &input.species).await?;
        if let Some(b) = input.bearing_deg
            && !(b.is_finite() && (0.0..=360.0).contains(&b))
        {
            return Err(SkillError::invalid(
                "bearing_deg",
                format!("{b} is not a bearing; use 0..360 degrees clockwise from north"),
            ));
        }
        let cache = self.events().await?;
        let rows = Self::select(&cache, &ctx, Some(&sp));
        let mut by_cam: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for r in &rows {
            if ctx.position.contains_key(&*r.camera_id) {
                by_cam
                    .entry(&*r.camera_id)
                    .or_default()
                    .push((r.start_ms - ctx.from) as f64 / DAY_MS as f64);
            }
        }
        if by_cam.len() < 4 {
            return Err(SkillError::invalid(
                "species",
                format!(
                    "{sp} was detected at {} camera(s) with coordinates in scope; a migration regression needs at least 4 (widen the window or the cameras)",
                    by_cam.len()
                ),
            ));
        }
        let n = by_cam.len() as f64;
        let (lat0, lon0) = by_cam
            .keys()
            .map(|c| ctx.position[*c])
            .fold((0.0, 0.0), |acc, p| (acc.0 + p.0 / n, acc.1 + p.1 / n));
        let pts: Vec<(&str, f64, f64, f64, u64)> = by_cam
            .iter()
            .map(|(c, days)| {
                let (lat, lon) = ctx.position[*c];
                let (e, nn) = migration::local_km(lat, lon, lat0, lon0);
                (*c, e, nn, migration::median(days), days.len() as u64)
            })
            .collect();
        let triples: Vec<(f64, f64, f64)> = pts.iter().map(|p| (p.1, p.2, p.3)).collect();
        let (bearing, fit) = migration::fit_wave(&triples, input.bearing_deg)
            .ok_or_else(|| SkillError::invalid("cameras", "the cameras do not spread along the axis"))?;
        let direction = if fit.slope >= 0.0 {
            bearing
        } else {
            (bearing + 180.0) % 360.0
        };
        let speed = (fit.slope != 0.0).then(|| 1.0 / fit.slope.abs());
        let t = migration::t975(fit.n - 2);
        let ci = fit
            .slope_se
            .is_finite()
            .then_some((fit.slope - t * fit.slope_se, fit.slope + t * fit.slope_se));
        let excludes_zero = ci.is_some_and(|c| c.0 > 0.0 || c.1 < 0.0);
        let confidence = if excludes_zero && fit.r_squared >= 0.7 {
            "strong"
        } else if excludes_zero && fit.r_squared >= 0.4 {
            "moderate"
        } else {
            "weak"
        };
        let offset = ctx
            .cameras
            .first()
            .map_or(0, |c| ctx.cam_offset.get(&c.id).copied().unwrap_or(0));
        let mut cameras: Vec<MigrationCamera> = pts
            .iter()
            .map(|(c, e, nn, d, k)| MigrationCamera {
                camera_id: c.to_string(),
                position_km: round(migration::project(*e, *nn, bearing), 4),
                median_date: (from_ms(ctx.from + (d * DAY_MS as f64) as i64) + Duration::minutes(i64::from(offset)))
                    .date_naive()
                    .to_string(),
                median_day: round(*d, 4),
                detections: *k,
            })
            .collect();
        cameras.sort_by(|a, b| a.position_km.total_cmp(&b.position_km));
        let summary = format!(
            "{sp}: median detection dates {} along a {bearing:.0} degree axis; the wave moves toward {direction:.0} degrees at {} (R^2 = {:.2}, {} cameras). Confidence is {confidence}: strong means the slope's 95% interval excludes 0 and R^2 >= 0.7, moderate R^2 >= 0.4, else weak.",
            if fit.slope >= 0.0 { "increase" } else { "decrease" },
            speed.map_or("an undefined speed".to_string(), |s| format!("{s:.2} km/day")),
            fit.r_squared,
            fit.n
        );
        Ok(MigrationOutput {
            window: ctx.window(),
            species: sp,
            axis_bearing_deg: bearing,
            axis_fitted: input.bearing_deg.is_none(),
            direction_deg: direction,
            speed_km_per_day: speed.map(|s| round(s, 4)),
            slope_days_per_km: round(fit.slope, 6),
            slope_ci95: ci.map(|c| Interval {
                lower: round(c.0, 6),
                upper: round(c.1, 6),
                method: format!("t distribution with {} df", fit.n - 2),
            }),
            r_squared: round(fit.r_squared, 6),
            confidence: confidence.to_string(),
            summary,
            cameras,
        })
    }
}

/// Points for the kernel: exact below 2000 records; above, binned to whole minutes of the
/// day with counts as weights (the density then differs by far less than its rounding, and
/// a density of 100,000 records costs 1,440 kernel terms per grid point instead of 100,000).
fn weighted_points(angles: &[f64]) -> Vec<(f64, f64)> {
    if angles.len() < 2000 {
        return overlap::unweighted(angles);
    }
    let mut bins = vec![0u32; 1440];
    for a in angles {
        let m = ((a.rem_euclid(TAU) / TAU * 1440.0).floor() as usize).min(1439);
        bins[m] += 1;
    }
    bins.iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(m, c)| (TAU * (m as f64 + 0.5) / 1440.0, f64::from(*c)))
        .collect()
}

/// Activity class from selection ratios: the share of records in each period (twilight =
/// within 1 h of sunrise or sunset; day; night) divided by the share of the 24 h that period
/// takes on the records' dates (so long summer days do not make everything "diurnal").
/// After Gomez et al. 2005 (*Int. J. Primatol.* 26: 1283; twilight band of 1 h around
/// sunrise and sunset) and Ikeda et al. 2016 (*Mammal Study* 41: 1; availability-corrected
/// ratios).
fn classify(s: &PeriodShares) -> (&'static str, String) {
    let rule = "selection ratios r = share of records / share of the 24 h available, for twilight (within 1 h of sunrise or sunset), day and night: crepuscular if r_twilight >= 2 * max(r_day, r_night); otherwise D = r_day / (r_day + r_night): nocturnal if D <= 0.25, diurnal if D >= 0.75, else cathemeral".to_string();
    let ratio = |share: f64, avail: f64| if avail > 0.0 { share / avail } else { 0.0 };
    let (rt, rd, rn) = (
        ratio(s.twilight, s.available_twilight),
        ratio(s.day, s.available_day),
        ratio(s.night, s.available_night),
    );
    if rt >= 2.0 * rd.max(rn) && rt > 0.0 {
        return ("crepuscular", rule);
    }
    if rd + rn <= 0.0 {
        return ("cathemeral", rule);
    }
    let d = rd / (rd + rn);
    let class = if d <= 0.25 {
        "nocturnal"
    } else if d >= 0.75 {
        "diurnal"
    } else {
        "cathemeral"
    };
    (class, rule)
}
