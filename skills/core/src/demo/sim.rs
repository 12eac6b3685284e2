//! The simulation: animal groups walking the corridor graph day by day, people and vehicles,
//! false triggers; each recorded visit becomes an event with media, tracks and detections.

use super::landscape::{
    self, AXIS_BEARING_DEG, CAMS, CORRIDORS, HAB_NAMES, Hab, ORIGIN_LAT, ORIGIN_LON, UTC_OFFSET_MIN, adjacency,
    axis_km, bearing_deg, cam_index, corridor_km,
};
use super::species::{
    self, BEAR, COYOTE, Comp, DEER, ELK, FramePlan, RACCOON, SPECIES, VisitContext, binomial, normal, poisson,
    unit_normal, weighted,
};
use super::truth::*;
use super::{DemoConfig, GENERATOR};
use crate::model::*;
use crate::solar;
use crate::store::Batch;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// Probability that a routine animal walks its route on a given day.
const ROUTE_P: f64 = 0.92;
/// Herds scatter around the migration front with this sd, km.
const HERD_SPREAD_KM: f64 = 0.9;

/// Who labelled human-classified events.
const VOLUNTEERS: &[&str] = &["A. Moreno", "J. Whitfield", "K. Tsosie", "R. Lindqvist", "M. Okafor"];
const DETECTOR: &str = "MegaDetector v5a";
const CLASSIFIER: &str = "SpeciesNet 4.0.1a";

#[derive(Debug, Clone)]
struct DepPlan {
    id: String,
    cam: usize,
    start: i64,
    end: i64,
    note: Option<String>,
}

#[derive(Debug, Clone)]
struct MalPlan {
    id: String,
    dep: usize,
    start: i64,
    end: i64,
    reason: String,
}

#[derive(Debug, Clone)]
struct Leg {
    anchor: DielAnchor,
    offset_h: f64,
    nodes: Vec<usize>,
}

#[derive(Debug, Clone)]
enum Mode {
    Ranging { home: usize, range_km: f64 },
    Migrating { offset_km: f64 },
    Routine { legs: Vec<Leg> },
}

#[derive(Debug, Clone)]
struct Agent {
    id: String,
    sp: usize,
    marked: bool,
    sex: Option<Sex>,
    adults: u32,
    juveniles: u32,
    /// A group that takes part in breeding behaviour (no young in tow).
    breeder: bool,
    mode: Mode,
    cur: usize,
    prev: Option<usize>,
    present: bool,
    target_axis: f64,
    busy_until: i64,
    path: Vec<PathStep>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Animal(usize),
    Human,
    Vehicle,
    Blank(&'static str),
}

/// A recorded visit, waiting to become an event.
#[derive(Debug, Clone)]
struct Visit {
    seq: u64,
    t: i64,
    cam: usize,
    dep: usize,
    kind: Kind,
    agent: Option<usize>,
    path_idx: Option<usize>,
    adults: u32,
    juveniles: u32,
    behaviours: Vec<Behaviour>,
    plan: FramePlan,
    bearing: Option<f64>,
    from: Option<usize>,
    to: Option<usize>,
}

/// The migration front: position `p0 + v * days` along the axis.
#[derive(Debug, Clone, Copy)]
struct Front {
    p0: f64,
    v: f64,
    lo: f64,
    hi: f64,
}

impl Front {
    fn at(&self, days: f64) -> f64 {
        self.p0 + self.v * days
    }
}

/// The whole simulation state; produces the study chunk by chunk.
#[derive(Debug)]
pub(super) struct Simulation {
    cfg: DemoConfig,
    days: u32,
    scale: f64,
    chunk_days: u32,
    rng: ChaCha8Rng,
    adj: Vec<Vec<(usize, f64)>>,
    latlon: Vec<(f64, f64)>,
    axis: Vec<f64>,
    start_ms: i64,
    /// Sunrise and sunset (ms) per camera for local dates -1 ..= days + 1.
    sun: Vec<Vec<(i64, i64)>>,
    deployments: Vec<DepPlan>,
    malfunctions: Vec<MalPlan>,
    /// Operating windows per camera: [start, end) with the deployment index.
    windows: Vec<Vec<(i64, i64, usize)>>,
    stolen: Option<usize>,
    agents: Vec<Agent>,
    front: Front,
    next_day: u32,
    visit_seq: u64,
    event_seq: u64,
    media_counter: Vec<u64>,
    events: Vec<EventTruth>,
    totals: Totals,
}

fn local_date(t: i64) -> NaiveDate {
    from_ms(t + i64::from(UTC_OFFSET_MIN) * 60_000).date_naive()
}

impl Simulation {
    pub(super) fn new(cfg: &DemoConfig) -> Self {
        let days = cfg.days.max(1);
        let scale = if cfg.scale.is_finite() {
            cfg.scale.clamp(0.01, 10_000.0)
        } else {
            1.0
        };
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let start_ms = to_ms(chrono::Utc.from_utc_datetime(&cfg.start.and_hms_opt(0, 0, 0).expect("midnight")))
            - i64::from(UTC_OFFSET_MIN) * 60_000;
        let latlon: Vec<(f64, f64)> = CAMS.iter().map(|c| landscape::lat_lon(c.x, c.y)).collect();
        let axis: Vec<f64> = CAMS.iter().map(|c| axis_km(c.x, c.y)).collect();
        let sun = latlon
            .iter()
            .map(|&(lat, lon)| {
                (-1..=i64::from(days) + 1)
                    .map(|d| {
                        let date = cfg.start + Duration::days(d);
                        match solar::sunrise_sunset(date, lat, lon) {
                            solar::RiseSet::Normal { rise, set } => (to_ms(rise), to_ms(set)),
                            _ => {
                                let noon = to_ms(solar::solar_noon(date, lat, lon));
                                (noon - 6 * HOUR_MS, noon + 6 * HOUR_MS)
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        let (deployments, malfunctions, stolen) = plan_deployments(days, start_ms, &mut rng);
        let mut windows = vec![Vec::new(); CAMS.len()];
        for (di, dep) in deployments.iter().enumerate() {
            let mut cuts: Vec<(i64, i64)> = malfunctions
                .iter()
                .filter(|m| m.dep == di)
                .map(|m| (m.start, m.end))
                .collect();
            cuts.sort();
            let mut from = dep.start;
            for (s, e) in cuts {
                if s > from {
                    windows[dep.cam].push((from, s, di));
                }
                from = from.max(e);
            }
            if dep.end > from {
                windows[dep.cam].push((from, dep.end, di));
            }
        }
        // Elk use cameras whose habitat they like at least moderately.
        let elk_axis: Vec<f64> = (0..CAMS.len())
            .filter(|&c| SPECIES[ELK].pref[CAMS[c].hab as usize] >= 1.0)
            .map(|c| axis[c])
            .collect();
        let amin = elk_axis.iter().copied().fold(f64::INFINITY, f64::min);
        let amax = elk_axis.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let p0 = amin - 1.5;
        let front = Front {
            p0,
            v: (amax + 1.5 - p0) / (0.8 * f64::from(days)),
            lo: amin - 0.6,
            hi: amax + 0.6,
        };
        let chunk_days = cfg.chunk_days();
        let mut sim = Simulation {
            cfg: cfg.clone(),
            days,
            scale,
            chunk_days,
            rng,
            adj: adjacency(),
            latlon,
            axis,
            start_ms,
            sun,
            deployments,
            malfunctions,
            windows,
            stolen,
            agents: Vec::new(),
            front,
            next_day: 0,
            visit_seq: 0,
            event_seq: 0,
            media_counter: vec![0; CAMS.len()],
            events: Vec::new(),
            totals: Totals::default(),
        };
        sim.create_agents();
        sim
    }

    /// Days simulated per chunk.
    pub(super) fn chunk_days(&self) -> u32 {
        self.chunk_days
    }

    /// True once every day has been simulated.
    pub(super) fn done(&self) -> bool {
        self.next_day >= self.days
    }

    fn local_time(&self, day: i64, hour: f64) -> i64 {
        self.start_ms + day * DAY_MS + (hour * HOUR_MS as f64).round() as i64
    }

    fn sun_at(&self, cam: usize, day: i64) -> (i64, i64) {
        let i = (day + 1).clamp(0, self.sun[cam].len() as i64 - 1) as usize;
        self.sun[cam][i]
    }

    fn create_agents(&mut self) {
        let c = cam_index;
        let ranging = |home: &str, range_km: f64| Mode::Ranging {
            home: c(home),
            range_km,
        };
        // Marked individuals: (id, species, sex, adults, young, mode).
        let marked: Vec<(&str, usize, Sex, u32, u32, Mode)> = vec![
            ("bear-F1", BEAR, Sex::Female, 1, 2, ranging("MEADOW-02", 2.5)),
            ("bear-M1", BEAR, Sex::Male, 1, 0, ranging("CREEK-04", 6.0)),
            ("elk-F12", ELK, Sex::Female, 7, 2, Mode::Migrating { offset_km: 0.3 }),
            ("elk-M3", ELK, Sex::Male, 2, 0, Mode::Migrating { offset_km: -0.8 }),
            ("deer-F2", DEER, Sex::Female, 1, 1, ranging("CREEK-03", 2.0)),
            (
                "deer-F5",
                DEER,
                Sex::Female,
                1,
                0,
                Mode::Routine {
                    legs: vec![
                        Leg {
                            anchor: DielAnchor::Sunrise,
                            offset_h: 0.3,
                            nodes: vec![c("MEADOW-01"), c("CREEK-03"), c("SPRING-01")],
                        },
                        Leg {
                            anchor: DielAnchor::Sunset,
                            offset_h: -0.4,
                            nodes: vec![c("SPRING-01"), c("CREEK-03"), c("MEADOW-01")],
                        },
                    ],
                },
            ),
            ("deer-M1", DEER, Sex::Male, 1, 0, ranging("RIDGE-02", 3.0)),
            (
                "raccoon-R1",
                RACCOON,
                Sex::Female,
                1,
                0,
                Mode::Routine {
                    legs: vec![Leg {
                        anchor: DielAnchor::Sunset,
                        offset_h: 3.0,
                        nodes: vec![c("CREEK-02"), c("SPRING-01"), c("CREEK-03"), c("CREEK-02")],
                    }],
                },
            ),
            ("coyote-C1", COYOTE, Sex::Male, 1, 0, ranging("MEADOW-01", 5.0)),
        ];
        for (id, sp, sex, adults, juveniles, mode) in marked {
            let cur = match &mode {
                Mode::Ranging { home, .. } => *home,
                Mode::Routine { legs } => legs[0].nodes[0],
                Mode::Migrating { .. } => 0,
            };
            self.agents.push(Agent {
                id: id.to_string(),
                sp,
                marked: true,
                sex: Some(sex),
                adults,
                juveniles,
                breeder: juveniles == 0,
                present: !matches!(mode, Mode::Migrating { .. }),
                mode,
                cur,
                prev: None,
                target_axis: 0.0,
                busy_until: i64::MIN / 2,
                path: Vec::new(),
            });
        }
        for (sp, spec) in SPECIES.iter().enumerate() {
            let n = ((f64::from(spec.unmarked) * self.scale).round() as u32).max(1);
            let weights: Vec<f64> = CAMS.iter().map(|c| spec.pref[c.hab as usize].powf(1.5)).collect();
            for k in 0..n {
                let (adults, juveniles) = species::sample_group(sp, &mut self.rng);
                let home = weighted(&mut self.rng, &weights);
                let mode = if sp == ELK {
                    Mode::Migrating {
                        offset_km: (HERD_SPREAD_KM * normal(&mut self.rng)).clamp(-2.5, 2.5),
                    }
                } else {
                    Mode::Ranging {
                        home,
                        range_km: spec.range_km * self.rng.random_range(0.7..1.4),
                    }
                };
                self.agents.push(Agent {
                    id: format!("{}-u{:03}", spec.code, k + 1),
                    sp,
                    marked: false,
                    sex: None,
                    adults,
                    juveniles,
                    breeder: juveniles == 0,
                    present: sp != ELK,
                    mode,
                    cur: home,
                    prev: None,
                    target_axis: 0.0,
                    busy_until: i64::MIN / 2,
                    path: Vec::new(),
                });
            }
        }
    }

    /// Simulates the next chunk of days and returns its rows (the first chunk also carries
    /// species, cameras, deployments and malfunctions).
    pub(super) fn next_chunk(&mut self) -> Option<Batch> {
        if self.done() {
            return None;
        }
        let first = self.next_day;
        let last = (first + self.chunk_days).min(self.days);
        let mut batch = Batch::default();
        if first == 0 {
            self.static_rows(&mut batch);
        }
        let mut visits = Vec::new();
        for d in first..last {
            self.simulate_day(i64::from(d), &mut visits);
            self.people_day(i64::from(d), &mut visits);
        }
        visits.sort_by(|a, b| a.t.cmp(&b.t).then(a.cam.cmp(&b.cam)).then(a.seq.cmp(&b.seq)));
        for v in visits {
            self.emit(v, &mut batch);
        }
        self.next_day = last;
        Some(batch)
    }

    fn static_rows(&mut self, batch: &mut Batch) {
        batch.species = SPECIES
            .iter()
            .map(|s| Species {
                scientific_name: s.scientific.to_string(),
                common_name: Some(s.common.to_string()),
                taxon_rank: Some("species".to_string()),
            })
            .collect();
        batch.cameras = CAMS
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (lat, lon) = self.latlon[i];
                let stolen = self.stolen == Some(i);
                Camera {
                    id: c.id.to_string(),
                    name: c.name.to_string(),
                    latitude: Some(lat),
                    longitude: Some(lon),
                    site: Some(c.site.to_string()),
                    habitat: Some(c.habitat.to_string()),
                    feature_type: Some(c.feature),
                    model: Some(c.model.to_string()),
                    height_m: Some(c.height_m),
                    heading_deg: Some(c.heading_deg),
                    detection_distance_m: Some(c.detection_distance_m),
                    status: if stolen {
                        CameraStatus::Retired
                    } else {
                        CameraStatus::Active
                    },
                    battery_pct: if stolen { None } else { c.battery_pct },
                    notes: stolen.then(|| "stolen from its post; deployment ended".to_string()),
                }
            })
            .collect();
        batch.deployments = self
            .deployments
            .iter()
            .map(|d| {
                let c = &CAMS[d.cam];
                let (lat, lon) = self.latlon[d.cam];
                Deployment {
                    id: d.id.clone(),
                    camera_id: c.id.to_string(),
                    location_id: Some(format!("LOC-{}", c.id)),
                    location_name: Some(c.name.to_string()),
                    latitude: Some(lat),
                    longitude: Some(lon),
                    start: from_ms(d.start),
                    end: from_ms(d.end),
                    utc_offset_min: UTC_OFFSET_MIN,
                    feature_type: Some(c.feature),
                    habitat: Some(c.habitat.to_string()),
                    camera_height: Some(c.height_m),
                    camera_tilt: Some(c.tilt_deg),
                    camera_heading: Some(c.heading_deg),
                    detection_distance: Some(c.detection_distance_m),
                    bait_use: Some(false),
                    timestamp_issues: Some(false),
                    setup_by: Some("Cedar Creek field crew".to_string()),
                    tags: Some(format!("site:{} | habitat:{}", c.site, HAB_NAMES[c.hab as usize])),
                    comments: d.note.clone(),
                }
            })
            .collect();
        batch.malfunctions = self
            .malfunctions
            .iter()
            .map(|m| Malfunction {
                id: m.id.clone(),
                deployment_id: self.deployments[m.dep].id.clone(),
                start: from_ms(m.start),
                end: from_ms(m.end),
                reason: m.reason.clone(),
            })
            .collect();
        self.totals.species = batch.species.len() as u64;
        self.totals.cameras = batch.cameras.len() as u64;
        self.totals.deployments = batch.deployments.len() as u64;
        self.totals.malfunctions = batch.malfunctions.len() as u64;
    }

    /// The deployment operating over the whole of [t0, t1], if any.
    fn operating(&self, cam: usize, t0: i64, t1: i64) -> Option<usize> {
        self.windows[cam].iter().find(|w| w.0 <= t0 && t1 < w.1).map(|w| w.2)
    }

    /// A bout time drawn from the species' diel mixture at a camera on a day.
    fn sample_diel(&mut self, sp: usize, cam: usize, day: i64) -> i64 {
        let mix = SPECIES[sp].diel;
        let weights: Vec<f64> = mix.iter().map(|m| m.0).collect();
        let comp = mix[weighted(&mut self.rng, &weights)].1;
        let (rise, set) = self.sun_at(cam, day);
        let (next_rise, _) = self.sun_at(cam, day + 1);
        let hours = |h: f64| (h * HOUR_MS as f64).round() as i64;
        match comp {
            Comp::Sunrise { offset, sd } => rise + hours(offset + sd * normal(&mut self.rng)),
            Comp::Sunset { offset, sd } => set + hours(offset + sd * normal(&mut self.rng)),
            Comp::Night { peak, spread } => {
                let f = unit_normal(&mut self.rng, peak, spread);
                set + ((next_rise - set) as f64 * f).round() as i64
            }
            Comp::Day { peak, spread } => {
                let f = unit_normal(&mut self.rng, peak, spread);
                rise + ((set - rise) as f64 * f).round() as i64
            }
            Comp::Anytime => (rise + set) / 2 - 12 * HOUR_MS + hours(self.rng.random_range(0.0..24.0)),
        }
    }

    fn simulate_day(&mut self, day: i64, visits: &mut Vec<Visit>) {
        for ai in 0..self.agents.len() {
            let sp = self.agents[ai].sp;
            if let Mode::Migrating { offset_km } = self.agents[ai].mode {
                let target = self.front.at(day as f64 + 0.5) + offset_km;
                if target < self.front.lo || target > self.front.hi {
                    self.agents[ai].present = false;
                    continue;
                }
                if !self.agents[ai].present {
                    // The herd walks in at the camera nearest its place on the axis.
                    let entry = (0..CAMS.len())
                        .filter(|&c| SPECIES[ELK].pref[CAMS[c].hab as usize] >= 1.0)
                        .min_by(|&a, &b| (self.axis[a] - target).abs().total_cmp(&(self.axis[b] - target).abs()))
                        .expect("elk cameras exist");
                    let agent = &mut self.agents[ai];
                    agent.present = true;
                    agent.cur = entry;
                    agent.prev = None;
                }
                self.agents[ai].target_axis = target;
            }
            if let Mode::Routine { legs } = &self.agents[ai].mode {
                let legs = legs.clone();
                for leg in legs {
                    if self.agents[ai].cur != leg.nodes[0] || !self.rng.random_bool(ROUTE_P) {
                        continue;
                    }
                    let (rise, set) = self.sun_at(leg.nodes[0], day);
                    let anchor = if leg.anchor == DielAnchor::Sunrise { rise } else { set };
                    let jitter = 0.35 * normal(&mut self.rng);
                    let center = anchor + ((leg.offset_h + jitter) * HOUR_MS as f64).round() as i64;
                    self.bout(ai, center, leg.nodes, visits);
                }
                continue;
            }
            let spec = &SPECIES[sp];
            let n = poisson(&mut self.rng, spec.bouts_per_day);
            let cur = self.agents[ai].cur;
            let mut centers: Vec<i64> = (0..n).map(|_| self.sample_diel(sp, cur, day)).collect();
            centers.sort_unstable();
            for center in centers {
                let steps = self.rng.random_range(spec.steps.0..=spec.steps.1);
                let nodes = self.walk(ai, steps);
                self.bout(ai, center, nodes, visits);
            }
        }
    }

    /// A walk of `steps` corridor steps from the agent's camera, by habitat preference and
    /// attraction to home (or to the migration front).
    fn walk(&mut self, ai: usize, steps: u32) -> Vec<usize> {
        let a = &self.agents[ai];
        let spec = &SPECIES[a.sp];
        let mut nodes = vec![a.cur];
        let (mut cur, mut prev) = (a.cur, a.prev);
        for _ in 0..steps {
            let a = &self.agents[ai];
            let weights: Vec<f64> = self.adj[cur]
                .iter()
                .map(|&(v, _)| {
                    let attraction = match &a.mode {
                        Mode::Ranging { home, range_km } => (-landscape::straight_km(v, *home) / range_km).exp(),
                        Mode::Migrating { .. } => (-(self.axis[v] - a.target_axis).abs() / spec.range_km).exp(),
                        Mode::Routine { .. } => 1.0,
                    };
                    let back = if Some(v) == prev { 0.25 } else { 1.0 };
                    spec.pref[CAMS[v].hab as usize] * attraction * back
                })
                .collect();
            let next = self.adj[cur][weighted(&mut self.rng, &weights)].0;
            prev = Some(cur);
            cur = next;
            nodes.push(cur);
        }
        nodes
    }

    /// One activity bout: the agent visits `nodes` in order, centred on `center`.
    fn bout(&mut self, ai: usize, center: i64, nodes: Vec<usize>, visits: &mut Vec<Visit>) {
        let (sp, adults, juveniles, breeder) = {
            let a = &self.agents[ai];
            (a.sp, a.adults, a.juveniles, a.breeder)
        };
        let spec = &SPECIES[sp];
        let date = local_date(center);
        let breeding = breeder && spec.breeding.is_some_and(|b| b.window.contains(date));
        let young_out = juveniles > 0
            && spec
                .young_from
                .is_some_and(|(m, d)| date >= NaiveDate::from_ymd_opt(date.year(), m, d).expect("valid date"));
        struct Stop {
            adults: u32,
            juveniles: u32,
            behaviours: Vec<Behaviour>,
            plan: FramePlan,
            linger_ms: i64,
            transit_ms: i64,
            bearing: Option<f64>,
        }
        let mut stops = Vec::with_capacity(nodes.len());
        for (i, &n) in nodes.iter().enumerate() {
            let last = i + 1 == nodes.len();
            let a_v = adults - binomial(&mut self.rng, adults.saturating_sub(1), 0.12);
            let j_v = if young_out {
                juveniles - binomial(&mut self.rng, juveniles, 0.2)
            } else {
                0
            };
            let ctx = VisitContext {
                sp,
                hab: CAMS[n].hab,
                stop: last,
                count: a_v + j_v,
                young_visible: j_v > 0,
                breeding,
            };
            let behaviours = species::decide_behaviours(ctx, &mut self.rng);
            let plan = species::plan_frames(
                behaviours.first().copied(),
                spec.bbox.0,
                spec.travel_fw_s,
                &mut self.rng,
            );
            let linger_ms = if !last && !plan.directed {
                self.rng.random_range(2..=20) * 60_000
            } else {
                0
            };
            let (transit_ms, bearing) = if last {
                (
                    0,
                    if i > 0 {
                        Some(bearing_deg(nodes[i - 1], n))
                    } else {
                        None
                    },
                )
            } else {
                let next = nodes[i + 1];
                let speed = spec.max_speed_kmh * self.rng.random_range(0.45..0.95);
                let hours = corridor_km(n, next) / speed;
                (((hours * 3600.0).ceil() as i64) * 1000, Some(bearing_deg(n, next)))
            };
            stops.push(Stop {
                adults: a_v,
                juveniles: j_v,
                behaviours,
                plan,
                linger_ms,
                transit_ms,
                bearing,
            });
        }
        let total: i64 = stops
            .iter()
            .map(|s| s.plan.duration_ms() + s.linger_ms + s.transit_ms)
            .sum();
        let last_total = stops
            .last()
            .map_or(0, |s| s.plan.duration_ms() + s.linger_ms + s.transit_ms);
        let mut t = (center - (total - last_total) / 2).max(self.agents[ai].busy_until + 10 * 60_000);
        t = t.div_euclid(1000) * 1000;
        for (i, s) in stops.into_iter().enumerate() {
            let cam = nodes[i];
            let duration = s.plan.duration_ms();
            let step = duration + s.linger_ms + s.transit_ms;
            self.totals.animal_visits += 1;
            let dep = self.operating(cam, t, t + duration);
            let triggered = self.rng.random_bool(spec.p_detect);
            let missed = match (dep, triggered) {
                (None, _) => Some(MissReason::NotOperating),
                (Some(_), false) => Some(MissReason::NotTriggered),
                _ => None,
            };
            match missed {
                Some(MissReason::NotOperating) => self.totals.missed_not_operating += 1,
                Some(MissReason::NotTriggered) => self.totals.missed_not_triggered += 1,
                None => {}
            }
            let agent = &mut self.agents[ai];
            let path_idx = if agent.marked {
                agent.path.push(PathStep {
                    camera_id: CAMS[cam].id.to_string(),
                    arrival: from_ms(t),
                    event_id: None,
                    missed,
                });
                Some(agent.path.len() - 1)
            } else {
                None
            };
            if let (Some(dep), None) = (dep, missed) {
                self.visit_seq += 1;
                visits.push(Visit {
                    seq: self.visit_seq,
                    t,
                    cam,
                    dep,
                    kind: Kind::Animal(sp),
                    agent: Some(ai),
                    path_idx,
                    adults: s.adults,
                    juveniles: s.juveniles,
                    plan: s.plan,
                    bearing: if s.plan.directed { s.bearing } else { None },
                    from: if i > 0 { Some(nodes[i - 1]) } else { None },
                    to: nodes.get(i + 1).copied(),
                    behaviours: s.behaviours,
                });
            }
            if i + 1 == nodes.len() {
                let rest = self.rng.random_range(10..=60) * 60_000;
                let agent = &mut self.agents[ai];
                agent.busy_until = t + duration + rest;
            } else {
                t += step;
            }
        }
        let agent = &mut self.agents[ai];
        if nodes.len() >= 2 {
            agent.prev = Some(nodes[nodes.len() - 2]);
        }
        agent.cur = *nodes.last().expect("a bout visits at least one camera");
    }

    /// Hikers, a vehicle now and then, and false triggers.
    fn people_day(&mut self, day: i64, visits: &mut Vec<Visit>) {
        let date = self.cfg.start + Duration::days(day);
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let trail = cam_index("TRAIL-01");
        let creek = cam_index("CREEK-01");
        let groups = poisson(&mut self.rng, if weekend { 5.0 } else { 1.8 });
        for _ in 0..groups {
            let people = [1, 2, 3, 4][weighted(&mut self.rng, &[0.4, 0.38, 0.14, 0.08])];
            let hour = self.rng.random_range(7.0..18.5);
            let t = self.local_time(day, hour);
            // In along the trail, on to the creek or the ridge, back out hours later.
            let onward = match weighted(&mut self.rng, &[0.55, 0.3, 0.15]) {
                0 => None,
                1 => Some(creek),
                _ => Some(cam_index("RIDGE-01")),
            };
            let inward = onward.unwrap_or(creek);
            self.person_visit(Kind::Human, trail, t, people, Some((inward, true)), visits);
            if let Some(o) = onward {
                let t2 = t + (corridor_km(trail, o) / 3.5 * HOUR_MS as f64) as i64;
                self.person_visit(Kind::Human, o, t2, people, Some((trail, false)), visits);
            }
            if self.rng.random_bool(0.6) {
                let back = t + self.rng.random_range(2 * HOUR_MS..5 * HOUR_MS);
                self.person_visit(Kind::Human, trail, back, people, Some((inward, false)), visits);
            }
        }
        let road = cam_index("ROAD-01");
        for _ in 0..poisson(&mut self.rng, 0.45) {
            let hour = self.rng.random_range(8.0..18.0);
            let t = self.local_time(day, hour);
            self.person_visit(Kind::Vehicle, road, t, 1, Some((creek, true)), visits);
        }
        for (cam, spec) in CAMS.iter().enumerate() {
            let rate = match spec.hab {
                Hab::Meadow | Hab::Creek | Hab::Berries => 0.35,
                _ => 0.2,
            };
            for _ in 0..poisson(&mut self.rng, rate) {
                let (hour, reason) = if self.rng.random_bool(0.7) {
                    (self.rng.random_range(11.0..18.5), "wind-blown vegetation")
                } else {
                    (
                        self.rng.random_range(0.0..24.0),
                        "heat shimmer or an insect on the lens",
                    )
                };
                let t = self.local_time(day, hour);
                self.person_visit(Kind::Blank(reason), cam, t, 0, None, visits);
            }
        }
    }

    /// A visit by people, a vehicle, or nothing (a false trigger). `toward` is the camera
    /// they head to and whether they walk toward it (else they come from it).
    fn person_visit(
        &mut self,
        kind: Kind,
        cam: usize,
        t: i64,
        count: u32,
        toward: Option<(usize, bool)>,
        visits: &mut Vec<Visit>,
    ) {
        let t = t.div_euclid(1000) * 1000;
        let plan = match kind {
            Kind::Blank(_) => FramePlan {
                frames: self.rng.random_range(1..=3),
                gap_ms: 1000,
                speed: 0.0,
                directed: false,
            },
            Kind::Vehicle => species::plan_frames(None, 0.45, (0.15, 0.25), &mut self.rng),
            _ => species::plan_frames(None, 0.09, (0.1, 0.22), &mut self.rng),
        };
        let Some(dep) = self.operating(cam, t, t + plan.duration_ms()) else {
            return;
        };
        let (bearing, from, to) = match toward {
            Some((o, true)) if o != cam => (Some(bearing_deg(cam, o)), None, Some(o)),
            Some((o, false)) if o != cam => (Some(bearing_deg(o, cam)), Some(o), None),
            _ if !matches!(kind, Kind::Blank(_)) => (Some(self.rng.random_range(0.0..360.0)), None, None),
            _ => (None, None, None),
        };
        self.visit_seq += 1;
        visits.push(Visit {
            seq: self.visit_seq,
            t,
            cam,
            dep,
            kind,
            agent: None,
            path_idx: None,
            adults: count,
            juveniles: 0,
            behaviours: Vec::new(),
            plan,
            bearing,
            from,
            to,
        });
    }

    /// Turns a recorded visit into an event with media, tracks and detections.
    fn emit(&mut self, v: Visit, batch: &mut Batch) {
        self.event_seq += 1;
        let event_id = format!("evt-{:06}", self.event_seq);
        let cam = &CAMS[v.cam];
        let dep_id = self.deployments[v.dep].id.clone();
        let (lat, lon) = self.latlon[v.cam];
        let dark = solar::solar_elevation(from_ms(v.t), lat, lon) < solar::SUNRISE_ELEVATION_DEG;
        // Media: the burst (or re-triggers) of this visit.
        let first_media = batch.media.len();
        for f in 0..v.plan.frames {
            self.media_counter[v.cam] += 1;
            let n = self.media_counter[v.cam];
            let ts = v.t + i64::from(f) * v.plan.gap_ms;
            let file_name = format!("IMG_{n:05}.JPG");
            batch.media.push(Media {
                id: format!("med-{}-{n:06}", cam.id),
                deployment_id: dep_id.clone(),
                camera_id: cam.id.to_string(),
                timestamp: from_ms(ts),
                timestamp_source: TimestampSource::Imported,
                file_path: format!("media/{}/{}/{file_name}", cam.id, local_date(ts)),
                file_name: Some(file_name),
                media_type: "image/jpeg".to_string(),
                capture_method: Some(CaptureMethod::ActivityDetection),
                file_public: !matches!(v.kind, Kind::Human),
                favorite: None,
                frame_rate: None,
                comments: None,
            });
        }
        let media_ids: Vec<String> = batch.media[first_media..].iter().map(|m| m.id.clone()).collect();
        let end_ms = v.t + v.plan.duration_ms();
        let (obs_type, species_name, bbox_base, is_animal) = match v.kind {
            Kind::Animal(sp) => (
                ObservationType::Animal,
                Some(SPECIES[sp].scientific),
                SPECIES[sp].bbox,
                true,
            ),
            Kind::Human => (ObservationType::Human, None, (0.09, 0.38), false),
            Kind::Vehicle => (ObservationType::Vehicle, None, (0.45, 0.32), false),
            Kind::Blank(_) => (ObservationType::Blank, None, (0.0, 0.0), false),
        };
        let count = v.adults + v.juveniles;
        let marked_id = v
            .agent
            .filter(|&a| self.agents[a].marked)
            .map(|a| self.agents[a].id.clone());
        // How the batch labels it: a volunteer (with behaviour) or the classifier (species
        // only, now and then not even that).
        let human_label = self.rng.random_bool(if is_animal { 0.65 } else { 0.5 });
        let identified = human_label || !is_animal || !self.rng.random_bool(0.03);
        let head_down = matches!(v.behaviours.first(), Some(Behaviour::Feeding | Behaviour::Drinking));
        let mut conf_sum = vec![0.0f64; v.plan.frames as usize];
        if !matches!(v.kind, Kind::Blank(_)) {
            let secs = v.plan.duration_ms() as f64 / 1000.0;
            for k in 0..count {
                let juvenile = k >= v.adults;
                let track_id = format!("{event_id}-t{}", k + 1);
                let individual = if k == 0 { marked_id.clone() } else { None };
                let heading = match (v.plan.directed, v.bearing) {
                    (true, Some(b)) => (b - cam.heading_deg + 6.0 * normal(&mut self.rng)).rem_euclid(360.0),
                    _ => self.rng.random_range(0.0..360.0),
                };
                let size = self.rng.random_range(0.6..1.45) * if juvenile { 0.6 } else { 1.0 };
                let w = (bbox_base.0 * size).min(0.7);
                let h = (bbox_base.1 * size * if head_down { 0.8 } else { 1.0 }).min(0.8);
                let mut speed = v.plan.speed * self.rng.random_range(0.9..1.1);
                let hr = heading.to_radians();
                let (mut dx, mut dy) = (speed * hr.sin() * secs, -speed * hr.cos() * secs);
                let (room_x, room_y) = (1.0 - w - 0.03, 1.0 - h - 0.03);
                let fit = (room_x / dx.abs().max(1e-9)).min(room_y / dy.abs().max(1e-9)).min(1.0);
                if fit < 1.0 {
                    speed *= fit;
                    dx *= fit;
                    dy *= fit;
                }
                let x0 = self
                    .rng
                    .random_range(0.01 + (-dx).max(0.0)..=(1.0 - w - 0.01 - dx.max(0.0)).max(0.01 + (-dx).max(0.0)));
                let ylo = 0.01 + (-dy).max(0.0);
                let yhi = (1.0 - h - 0.01 - dy.max(0.0)).max(ylo);
                let y0 = ylo + (yhi - ylo) * (0.35 + 0.65 * self.rng.random::<f64>());
                let frames = v.plan.frames;
                for f in 0..frames {
                    let p = if frames > 1 {
                        f64::from(f) / f64::from(frames - 1)
                    } else {
                        0.0
                    };
                    let bw = (w * (1.0 + 0.01 * normal(&mut self.rng))).clamp(0.005, 0.95);
                    let bh = (h * (1.0 + 0.01 * normal(&mut self.rng))).clamp(0.005, 0.95);
                    let x = (x0 + dx * p + 0.002 * normal(&mut self.rng)).clamp(0.0, 1.0 - bw);
                    let y = (y0 + dy * p + 0.002 * normal(&mut self.rng)).clamp(0.0, 1.0 - bh);
                    let small = bw * bh < 0.004;
                    let conf = (self.rng.random_range(0.68..0.97)
                        - if dark { 0.08 } else { 0.0 }
                        - if small { 0.07 } else { 0.0 }
                        + 0.02 * normal(&mut self.rng))
                    .clamp(0.5, 0.99);
                    let conf = (conf * 1000.0).round() / 1000.0;
                    conf_sum[f as usize] += conf;
                    let media = &batch.media[first_media + f as usize];
                    batch.detections.push(Detection {
                        id: format!("{}-d{}", media.id, k + 1),
                        media_id: media.id.clone(),
                        camera_id: cam.id.to_string(),
                        deployment_id: dep_id.clone(),
                        timestamp: media.timestamp,
                        frame_number: None,
                        observation_type: obs_type,
                        scientific_name: if identified {
                            species_name.map(str::to_string)
                        } else {
                            None
                        },
                        count: Some(1),
                        life_stage: if is_animal && v.juveniles > 0 {
                            Some(if juvenile {
                                LifeStage::Juvenile
                            } else {
                                LifeStage::Adult
                            })
                        } else {
                            None
                        },
                        sex: None,
                        behavior: None,
                        individual_id: individual.clone(),
                        confidence: Some(conf),
                        bbox: Some(BBox {
                            x: round4(x),
                            y: round4(y),
                            width: round4(bw),
                            height: round4(bh),
                        }),
                        classification_method: Some(ClassificationMethod::Machine),
                        classified_by: Some(if is_animal {
                            format!("{DETECTOR} + {CLASSIFIER}")
                        } else {
                            DETECTOR.to_string()
                        }),
                        classification_probability: Some(if identified {
                            (self.rng.random_range(0.6..0.99) * 1000.0f64).round() / 1000.0
                        } else {
                            (self.rng.random_range(0.2..0.5) * 1000.0f64).round() / 1000.0
                        }),
                        event_id: Some(event_id.clone()),
                        track_id: Some(track_id.clone()),
                    });
                }
                batch.tracks.push(Track {
                    id: track_id,
                    event_id: event_id.clone(),
                    camera_id: cam.id.to_string(),
                    start: from_ms(v.t),
                    end: from_ms(end_ms),
                    scientific_name: if identified {
                        species_name.map(str::to_string)
                    } else {
                        None
                    },
                    individual_id: individual,
                    heading_deg: (frames > 1).then_some((heading * 10.0).round() / 10.0),
                    speed: (frames > 1).then_some((speed * 1e6).round() / 1e6),
                    frames: i64::from(frames),
                });
            }
        }
        let best = conf_sum
            .iter()
            .enumerate()
            .fold((0usize, f64::MIN), |acc, (i, &c)| if c > acc.1 { (i, c) } else { acc })
            .0;
        let description = describe(&v, cam.name, count, human_label, identified);
        let (method, by, prob) = if human_label {
            (
                ClassificationMethod::Human,
                VOLUNTEERS[self.rng.random_range(0..VOLUNTEERS.len())].to_string(),
                None,
            )
        } else if is_animal {
            let p = if identified {
                self.rng.random_range(0.6..0.99)
            } else {
                self.rng.random_range(0.2..0.5)
            };
            (
                ClassificationMethod::Machine,
                CLASSIFIER.to_string(),
                Some((p * 1000.0f64).round() / 1000.0),
            )
        } else {
            let p = self.rng.random_range(0.8..0.99);
            (
                ClassificationMethod::Machine,
                DETECTOR.to_string(),
                Some((p * 1000.0f64).round() / 1000.0),
            )
        };
        let sex = marked_id
            .as_ref()
            .and_then(|_| v.agent.and_then(|a| self.agents[a].sex))
            .filter(|_| count == 1);
        batch.events.push(Event {
            id: event_id.clone(),
            deployment_id: dep_id.clone(),
            camera_id: cam.id.to_string(),
            start: from_ms(v.t),
            end: from_ms(end_ms),
            observation_type: obs_type,
            scientific_name: if identified {
                species_name.map(str::to_string)
            } else {
                None
            },
            count: (!matches!(v.kind, Kind::Blank(_))).then_some(i64::from(count)),
            life_stage: None,
            sex,
            behavior: if human_label {
                behaviour_string(&v.behaviours)
            } else {
                None
            },
            individual_id: marked_id.clone(),
            classification_method: Some(method),
            classified_by: Some(by),
            classification_probability: prob,
            best_media_id: media_ids.get(best).cloned(),
            description: Some(description),
        });
        // Ground truth and totals.
        if let (Some(a), Some(i)) = (v.agent, v.path_idx) {
            self.agents[a].path[i].event_id = Some(event_id.clone());
        }
        let t = &mut self.totals;
        t.events += 1;
        t.media += u64::from(v.plan.frames);
        match v.kind {
            Kind::Animal(sp) => {
                t.animal_events += 1;
                let name = SPECIES[sp].scientific.to_string();
                *t.events_per_species.entry(name.clone()).or_default() += 1;
                *t.events_per_species_camera
                    .entry(name)
                    .or_default()
                    .entry(cam.id.to_string())
                    .or_default() += 1;
            }
            Kind::Human => t.human_events += 1,
            Kind::Vehicle => t.vehicle_events += 1,
            Kind::Blank(_) => t.blank_events += 1,
        }
        if !matches!(v.kind, Kind::Blank(_)) {
            t.tracks += u64::from(count);
            t.detections += u64::from(count) * u64::from(v.plan.frames);
        }
        self.events.push(EventTruth {
            event_id,
            camera_id: cam.id.to_string(),
            deployment_id: dep_id,
            start: from_ms(v.t),
            end: from_ms(end_ms),
            observation_type: obs_type,
            scientific_name: species_name.map(str::to_string),
            identified,
            count,
            juveniles: v.juveniles,
            behaviours: v.behaviours,
            individual_id: marked_id,
            agent_id: v.agent.map(|a| self.agents[a].id.clone()),
            from_camera: v.from.map(|c| CAMS[c].id.to_string()),
            to_camera: v.to.map(|c| CAMS[c].id.to_string()),
            bearing_deg: v.bearing.map(|b| (b * 10.0).round() / 10.0),
        });
    }

    /// The ground truth, once every chunk has been taken.
    pub(super) fn finish(mut self) -> GroundTruth {
        while self.next_chunk().is_some() {}
        let study_end = self.start_ms + i64::from(self.days) * DAY_MS;
        let cameras = CAMS
            .iter()
            .enumerate()
            .map(|(i, c)| CameraTruth {
                id: c.id.to_string(),
                name: c.name.to_string(),
                site: c.site.to_string(),
                habitat: c.habitat.to_string(),
                feature_type: c.feature,
                latitude: self.latlon[i].0,
                longitude: self.latlon[i].1,
                x_km: c.x,
                y_km: c.y,
                axis_km: (self.axis[i] * 1000.0).round() / 1000.0,
                heading_deg: c.heading_deg,
            })
            .collect();
        let corridors = CORRIDORS
            .iter()
            .map(|(a, b, kind)| CorridorTruth {
                from: a.to_string(),
                to: b.to_string(),
                distance_km: corridor_km(cam_index(a), cam_index(b)),
                kind: kind.to_string(),
            })
            .collect();
        let deployments = self
            .deployments
            .iter()
            .enumerate()
            .map(|(di, d)| {
                let down: i64 = self
                    .malfunctions
                    .iter()
                    .filter(|m| m.dep == di)
                    .map(|m| m.end - m.start)
                    .sum();
                DeploymentTruth {
                    id: d.id.clone(),
                    camera_id: CAMS[d.cam].id.to_string(),
                    start: from_ms(d.start),
                    end: from_ms(d.end),
                    operating_days: ((d.end - d.start - down) as f64 / DAY_MS as f64 * 10_000.0).round() / 10_000.0,
                    note: d.note.clone(),
                }
            })
            .collect();
        let malfunctions = self
            .malfunctions
            .iter()
            .map(|m| MalfunctionTruth {
                id: m.id.clone(),
                camera_id: CAMS[self.deployments[m.dep].cam].id.to_string(),
                deployment_id: self.deployments[m.dep].id.clone(),
                start: from_ms(m.start),
                end: from_ms(m.end),
                reason: m.reason.clone(),
            })
            .collect();
        let year = self.cfg.start.year();
        let mid_day = i64::from(self.days / 2);
        let centre = cam_index("CREEK-03");
        let species = SPECIES
            .iter()
            .enumerate()
            .map(|(sp, s)| {
                let (rise, set) = self.sun_at(centre, mid_day);
                let (next_rise, _) = self.sun_at(centre, mid_day + 1);
                let clock = |t: f64| {
                    Some(
                        from_ms(t as i64 + i64::from(UTC_OFFSET_MIN) * 60_000)
                            .format("%H:%M")
                            .to_string(),
                    )
                };
                let peaks = s
                    .diel
                    .iter()
                    .map(|&(weight, comp)| {
                        let mut p = DielPeak {
                            anchor: comp.anchor(),
                            weight,
                            offset_hours: None,
                            sd_hours: None,
                            fraction: None,
                            spread: None,
                            local_time_mid_study: None,
                        };
                        match comp {
                            Comp::Sunrise { offset, sd } => {
                                (p.offset_hours, p.sd_hours) = (Some(offset), Some(sd));
                                p.local_time_mid_study = clock(rise as f64 + offset * HOUR_MS as f64);
                            }
                            Comp::Sunset { offset, sd } => {
                                (p.offset_hours, p.sd_hours) = (Some(offset), Some(sd));
                                p.local_time_mid_study = clock(set as f64 + offset * HOUR_MS as f64);
                            }
                            Comp::Night { peak, spread } => {
                                (p.fraction, p.spread) = (Some(peak), Some(spread));
                                p.local_time_mid_study = clock(set as f64 + peak * (next_rise - set) as f64);
                            }
                            Comp::Day { peak, spread } => {
                                (p.fraction, p.spread) = (Some(peak), Some(spread));
                                p.local_time_mid_study = clock(rise as f64 + peak * (set - rise) as f64);
                            }
                            Comp::Anytime => {}
                        }
                        p
                    })
                    .collect();
                SpeciesTruth {
                    scientific_name: s.scientific.to_string(),
                    common_name: s.common.to_string(),
                    diel_class: s.class,
                    peaks,
                    group_size_min: s.group_min,
                    group_size_max: s.group_max,
                    max_speed_kmh: s.max_speed_kmh,
                    detection_probability: s.p_detect,
                    bouts_per_day: s.bouts_per_day,
                    habitat_preference: HAB_NAMES.iter().zip(s.pref).map(|(h, p)| (h.to_string(), p)).collect(),
                    breeding: s.breeding.map(|b| {
                        let (start, end) = b.window.dates(year);
                        SeasonWindow {
                            start,
                            end,
                            behaviours: b.behaviours.to_vec(),
                            note: b.note.to_string(),
                        }
                    }),
                    young_from: s.young_from.and_then(|(m, d)| NaiveDate::from_ymd_opt(year, m, d)),
                    unmarked_groups: self.agents.iter().filter(|a| a.sp == sp && !a.marked).count() as u32,
                    marked_individuals: self
                        .agents
                        .iter()
                        .filter(|a| a.sp == sp && a.marked)
                        .map(|a| a.id.clone())
                        .collect(),
                }
            })
            .collect();
        let herds = self
            .agents
            .iter()
            .filter(|a| matches!(a.mode, Mode::Migrating { .. }))
            .count() as u32;
        let mut fronts: Vec<FrontTruth> = (0..CAMS.len())
            .map(|c| {
                let days = (self.axis[c] - self.front.p0) / self.front.v;
                let t = self.start_ms + (days * DAY_MS as f64).round() as i64;
                FrontTruth {
                    camera_id: CAMS[c].id.to_string(),
                    axis_km: (self.axis[c] * 1000.0).round() / 1000.0,
                    front_time: from_ms(t),
                    front_date: local_date(t),
                }
            })
            .collect();
        fronts.sort_by(|a, b| a.axis_km.total_cmp(&b.axis_km).then(a.camera_id.cmp(&b.camera_id)));
        let migration = MigrationTruth {
            scientific_name: SPECIES[ELK].scientific.to_string(),
            axis_bearing_deg: AXIS_BEARING_DEG,
            origin_latitude: ORIGIN_LAT,
            origin_longitude: ORIGIN_LON,
            speed_km_per_day: (self.front.v * 10_000.0).round() / 10_000.0,
            front_start_axis_km: (self.front.p0 * 1000.0).round() / 1000.0,
            herd_spread_km: HERD_SPREAD_KM,
            herds,
            fronts,
        };
        let individuals = self
            .agents
            .iter_mut()
            .filter(|a| a.marked)
            .map(|a| {
                let (home, range, routes) = match &a.mode {
                    Mode::Ranging { home, range_km } => (Some(CAMS[*home].id.to_string()), Some(*range_km), Vec::new()),
                    Mode::Migrating { .. } => (None, None, Vec::new()),
                    Mode::Routine { legs } => (
                        None,
                        None,
                        legs.iter()
                            .map(|l| RouteTruth {
                                anchor: l.anchor,
                                offset_hours: l.offset_h,
                                cameras: l.nodes.iter().map(|&n| CAMS[n].id.to_string()).collect(),
                                daily_probability: ROUTE_P,
                            })
                            .collect(),
                    ),
                };
                IndividualTruth {
                    individual_id: a.id.clone(),
                    scientific_name: SPECIES[a.sp].scientific.to_string(),
                    sex: a.sex,
                    group_size: a.adults + a.juveniles,
                    juveniles: a.juveniles,
                    home_camera: home,
                    range_km: range,
                    migrates: matches!(a.mode, Mode::Migrating { .. }),
                    daily_routes: routes,
                    path: std::mem::take(&mut a.path),
                }
            })
            .collect();
        GroundTruth {
            generator: GENERATOR.to_string(),
            config: self.cfg.clone(),
            area: "Cedar Creek valley, Rocky Mountain foothills south of Bozeman, Montana (synthetic)".to_string(),
            study_start: from_ms(self.start_ms),
            study_end: from_ms(study_end),
            utc_offset_min: UTC_OFFSET_MIN,
            cameras,
            corridors,
            deployments,
            malfunctions,
            species,
            individuals,
            migration,
            events: std::mem::take(&mut self.events),
            totals: std::mem::take(&mut self.totals),
        }
    }
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// Sixteen-point compass name of a bearing.
fn compass(bearing: f64) -> &'static str {
    const NAMES: [&str; 16] = [
        "north",
        "north-northeast",
        "northeast",
        "east-northeast",
        "east",
        "east-southeast",
        "southeast",
        "south-southeast",
        "south",
        "south-southwest",
        "southwest",
        "west-southwest",
        "west",
        "west-northwest",
        "northwest",
        "north-northwest",
    ];
    NAMES[((bearing.rem_euclid(360.0) + 11.25) / 22.5) as usize % 16]
}

/// A readable description of an event, as its labeller would write it: a volunteer names
/// the behaviour; the classifier only the species (if that) and the direction of travel.
fn describe(v: &Visit, cam_name: &str, count: u32, human_label: bool, identified: bool) -> String {
    match v.kind {
        Kind::Animal(sp) if !human_label => {
            let s = &SPECIES[sp];
            let what = match (identified, count) {
                (false, 1) => "animal (species unknown)".to_string(),
                (false, n) => format!("{n} animals (species unknown)"),
                (true, 1) => s.common.to_string(),
                (true, n) => format!("{n} {}", s.plural),
            };
            match v.bearing {
                Some(b) => format!("{what} heading {} at {cam_name}", compass(b)),
                None => format!("{what} at {cam_name}"),
            }
        }
        Kind::Animal(sp) => {
            let s = &SPECIES[sp];
            let what = if count == 1 {
                s.common.to_string()
            } else {
                format!("{count} {}", s.plural)
            };
            let young = if v.juveniles > 0 {
                format!(" ({} young)", v.juveniles)
            } else {
                String::new()
            };
            let doing = v.behaviours.first().map_or("passing", |b| match b {
                Behaviour::Feeding => "feeding",
                Behaviour::Drinking => "drinking",
                Behaviour::Travelling | Behaviour::GroupMovement => "travelling",
                Behaviour::Running => "running",
                Behaviour::Resting => "resting",
                Behaviour::Vigilance => "standing alert",
                Behaviour::Grooming => "grooming",
                Behaviour::Courtship => "courting",
                Behaviour::Mating => "mating",
                Behaviour::Marking => "scent marking",
                Behaviour::Nursing => "nursing",
                Behaviour::Play => "playing",
                Behaviour::Fighting => "fighting",
            });
            match v.bearing {
                Some(b) => format!("{what}{young} {doing} {} past {cam_name}", compass(b)),
                None => format!("{what}{young} {doing} at {cam_name}"),
            }
        }
        Kind::Human => {
            let who = if count == 1 {
                "1 hiker".to_string()
            } else {
                format!("{count} hikers")
            };
            format!("{who} on the trail at {cam_name}")
        }
        Kind::Vehicle => format!("a vehicle at {cam_name}"),
        Kind::Blank(reason) => format!("no animal at {cam_name}: false trigger ({reason})"),
    }
}

/// A malfunction to place: camera, when (fraction of the study), jitter (days), length
/// range (days), reason.
type MalfunctionSpec = (&'static str, f64, f64, (f64, f64), &'static str);

/// Deployments (with the late starts, early ends and one bear-damaged camera that was
/// re-set as a new deployment) and malfunction windows.
fn plan_deployments(days: u32, start_ms: i64, rng: &mut ChaCha8Rng) -> (Vec<DepPlan>, Vec<MalPlan>, Option<usize>) {
    let days_i = i64::from(days);
    // Whole minutes, as a field crew's notes have them.
    let local = |day: i64, hour: f64| start_ms + day * DAY_MS + (hour * 60.0).round() as i64 * 60_000;
    let last = days_i - 1;
    let frac_day = |f: f64| ((days as f64 * f).floor() as i64).clamp(0, last);
    let mut deps = Vec::new();
    let mut stolen = None;
    for (i, c) in CAMS.iter().enumerate() {
        let (setup_day, k) = if i < 9 { (0, i) } else { (1.min(last), i - 9) };
        let mut start = local(setup_day, 9.0 + 0.6 * k as f64);
        let mut end = local(last, 11.0 + 0.4 * i as f64).max(start + 2 * HOUR_MS);
        let mut note = None;
        match c.id {
            "FOREST-02" => {
                start = local(frac_day(0.07), 11.0);
                note = Some("set late: the crew reached the dark timber a few days after the rest".to_string());
            }
            "MEADOW-03" => {
                start = local(frac_day(0.12), 12.5);
                note = Some("set late: the access trail was closed by a snowdrift".to_string());
            }
            "ROAD-01" => {
                let e = local(frac_day(0.8) + rng.random_range(0..3), rng.random_range(0.0..24.0));
                if e > start + DAY_MS && e < end {
                    end = e;
                    stolen = Some(i);
                    note = Some("ended early: the camera was stolen".to_string());
                }
            }
            "CREEK-05" => {
                let e = local(frac_day(0.85), 15.0);
                if e > start + DAY_MS && e < end {
                    end = e;
                    note = Some("retrieved early: the culvert flooded after a thunderstorm".to_string());
                }
            }
            "RIDGE-02" => {
                let knock_day = frac_day(0.4) + rng.random_range(0..2);
                let knocked = local(knock_day, rng.random_range(20.0..28.0));
                let reset = local(knock_day + rng.random_range(4..=6), 13.0);
                if knocked > start + DAY_MS && reset + DAY_MS < end {
                    deps.push(DepPlan {
                        id: format!("dep-{}-1", c.id),
                        cam: i,
                        start,
                        end: knocked,
                        note: Some("ended: knocked over by a black bear".to_string()),
                    });
                    deps.push(DepPlan {
                        id: format!("dep-{}-2", c.id),
                        cam: i,
                        start: reset,
                        end,
                        note: Some("re-set after the bear damage (new deployment at the same location)".to_string()),
                    });
                    continue;
                }
            }
            _ => {}
        }
        end = end.max(start + 2 * HOUR_MS);
        deps.push(DepPlan {
            id: format!("dep-{}-1", c.id),
            cam: i,
            start,
            end,
            note,
        });
    }
    // Malfunctions: (camera, when as a fraction of the study, jitter days, length in days, reason).
    let plans: &[MalfunctionSpec] = &[
        ("CREEK-02", 0.25, 4.0, (5.0, 9.0), "battery dead"),
        ("SPRING-01", 0.15, 10.0, (1.0, 1.6), "lens fogged (condensation)"),
        (
            "MEADOW-01",
            0.55,
            5.0,
            (3.0, 6.0),
            "knocked over by elk (facing the ground)",
        ),
        ("CREEK-04", 0.6, 4.0, (4.0, 7.0), "memory card full"),
        ("RIDGE-03", 0.3, 5.0, (5.0, 8.0), "lens obscured by growing vegetation"),
        ("TRAIL-01", 0.7, 3.0, (2.0, 4.0), "battery dead"),
    ];
    let mut mals = Vec::new();
    for &(cam_id, frac, jitter, (lo, hi), reason) in plans {
        let cam = cam_index(cam_id);
        let at = days as f64 * frac + rng.random_range(0.0..jitter);
        let s = start_ms + (at * DAY_MS as f64).round() as i64;
        let len = (rng.random_range(lo..hi) * DAY_MS as f64).round() as i64;
        let Some(di) = deps.iter().position(|d| d.cam == cam && d.start < s && s < d.end) else {
            continue;
        };
        let e = (s + len).min(deps[di].end - HOUR_MS);
        if e - s < 6 * HOUR_MS {
            continue;
        }
        let n = mals.iter().filter(|m: &&MalPlan| deps[m.dep].cam == cam).count() + 1;
        mals.push(MalPlan {
            id: format!("mal-{cam_id}-{n}"),
            dep: di,
            start: s.div_euclid(60_000) * 60_000,
            end: e.div_euclid(60_000) * 60_000,
            reason: reason.to_string(),
        });
    }
    (deps, mals, stolen)
}
