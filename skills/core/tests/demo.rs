//! The demo study: deterministic, the right size, internally consistent, and its ground
//! truth (diel rhythms, the migration wave, corridors, behaviours) visible in the data.
//! Test names start with `demo_` so that `cargo test -p trailmesh-core demo` runs them.

use chrono::Duration;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Instant;
use trailmesh_core::demo::{self, DemoConfig, DemoStudy, GroundTruth};
use trailmesh_core::model::*;
use trailmesh_core::solar;
use trailmesh_core::{NoProgress, Store};

/// The standard study, generated once for all tests of this file (`TRAILMESH_DEMO_SEED`
/// runs them on another seed).
fn standard() -> &'static DemoStudy {
    static STUDY: OnceLock<DemoStudy> = OnceLock::new();
    STUDY.get_or_init(|| {
        let t = Instant::now();
        let mut cfg = DemoConfig::default();
        if let Some(seed) = std::env::var("TRAILMESH_DEMO_SEED").ok().and_then(|s| s.parse().ok()) {
            cfg.seed = seed;
        }
        let study = demo::generate(&cfg);
        eprintln!(
            "generated the standard demo study in {:.2} s",
            t.elapsed().as_secs_f64()
        );
        study
    })
}

fn small(seed: u64) -> DemoConfig {
    DemoConfig {
        seed,
        days: 20,
        ..DemoConfig::default()
    }
}

fn truth_json(t: &GroundTruth) -> String {
    serde_json::to_string(t).expect("truth serialises")
}

fn assert_same(a: &DemoStudy, b: &DemoStudy) {
    assert_eq!(a.batch.species, b.batch.species);
    assert_eq!(a.batch.cameras, b.batch.cameras);
    assert_eq!(a.batch.deployments, b.batch.deployments);
    assert_eq!(a.batch.malfunctions, b.batch.malfunctions);
    assert_eq!(a.batch.media, b.batch.media);
    assert_eq!(a.batch.events, b.batch.events);
    assert_eq!(a.batch.tracks, b.batch.tracks);
    assert_eq!(a.batch.detections, b.batch.detections);
    assert_eq!(truth_json(&a.truth), truth_json(&b.truth));
}

#[test]
fn demo_same_seed_gives_identical_output_and_another_seed_does_not() {
    let a = demo::generate(&small(7));
    let b = demo::generate(&small(7));
    assert_same(&a, &b);
    let c = demo::generate(&small(8));
    assert_ne!(a.batch.events, c.batch.events);
    assert_ne!(truth_json(&a.truth), truth_json(&c.truth));
    // The landscape does not depend on the seed; the animals do.
    assert_eq!(a.batch.cameras.len(), c.batch.cameras.len());
}

#[test]
fn demo_chunks_add_up_to_the_whole_study_and_only_refer_backwards() {
    let cfg = DemoConfig {
        days: 12,
        scale: 20.0,
        ..DemoConfig::default()
    };
    assert_eq!(cfg.chunk_days(), 4);
    let whole = demo::generate(&cfg);
    let mut chunks = Vec::new();
    let truth = demo::generate_chunked(&cfg, |b| chunks.push(b));
    assert_eq!(chunks.len(), 3);
    assert_eq!(truth_json(&truth), truth_json(&whole.truth));
    let mut deployments = BTreeSet::new();
    let mut events_seen = 0;
    for (i, c) in chunks.iter().enumerate() {
        if i == 0 {
            assert!(!c.cameras.is_empty() && !c.deployments.is_empty() && !c.species.is_empty());
        } else {
            assert!(c.cameras.is_empty() && c.deployments.is_empty() && c.species.is_empty());
        }
        deployments.extend(c.deployments.iter().map(|d| d.id.clone()));
        let events: BTreeSet<&str> = c.events.iter().map(|e| e.id.as_str()).collect();
        let media: BTreeSet<&str> = c.media.iter().map(|m| m.id.as_str()).collect();
        assert!(c.events.iter().all(|e| deployments.contains(&e.deployment_id)));
        assert!(c.media.iter().all(|m| deployments.contains(&m.deployment_id)));
        assert!(c.tracks.iter().all(|t| events.contains(t.event_id.as_str())));
        assert!(c.detections.iter().all(|d| media.contains(d.media_id.as_str())));
        assert_eq!(
            &whole.batch.events[events_seen..events_seen + c.events.len()],
            &c.events[..]
        );
        events_seen += c.events.len();
    }
    assert_eq!(events_seen, whole.batch.events.len());
}

#[test]
fn demo_standard_study_has_the_target_size() {
    let s = standard();
    let b = &s.batch;
    eprintln!(
        "cameras {} deployments {} malfunctions {} species {} events {} media {} tracks {} detections {}",
        b.cameras.len(),
        b.deployments.len(),
        b.malfunctions.len(),
        b.species.len(),
        b.events.len(),
        b.media.len(),
        b.tracks.len(),
        b.detections.len()
    );
    eprintln!("events per species: {:?}", s.truth.totals.events_per_species);
    eprintln!(
        "humans {} vehicles {} blanks {} visits {} missed (not operating {}, not triggered {})",
        s.truth.totals.human_events,
        s.truth.totals.vehicle_events,
        s.truth.totals.blank_events,
        s.truth.totals.animal_visits,
        s.truth.totals.missed_not_operating,
        s.truth.totals.missed_not_triggered
    );
    assert!(b.cameras.len() >= 14);
    assert!(b.deployments.len() > b.cameras.len(), "one camera has two deployments");
    assert!(b.malfunctions.len() >= 4);
    assert_eq!(b.species.len(), 9);
    assert!((20_000..=40_000).contains(&b.events.len()), "{} events", b.events.len());
    assert!(b.media.len() >= b.events.len() && b.media.len() <= 5 * b.events.len());
    assert!(b.tracks.len() >= b.events.len() / 2);
    assert!(b.detections.len() >= b.tracks.len());
    // Totals in the truth match what was generated.
    let t = &s.truth.totals;
    assert_eq!(t.events as usize, b.events.len());
    assert_eq!(t.media as usize, b.media.len());
    assert_eq!(t.tracks as usize, b.tracks.len());
    assert_eq!(t.detections as usize, b.detections.len());
    assert!(t.human_events > 50 && t.vehicle_events > 5 && t.blank_events > 50);
    assert!(t.missed_not_operating > 0 && t.missed_not_triggered > 0);
    let per_species: u64 = t.events_per_species.values().sum();
    assert_eq!(per_species, t.animal_events);
    // Every species is there in numbers, and some cameras know their battery.
    assert!(
        t.events_per_species.values().all(|&n| n >= 300),
        "{:?}",
        t.events_per_species
    );
    assert!(b.cameras.iter().filter(|c| c.battery_pct.is_some()).count() >= 4);
    assert!(b.species.iter().all(|s| s.common_name.is_some()));
}

#[test]
fn demo_nothing_happens_outside_deployments_or_inside_malfunctions() {
    let b = &standard().batch;
    let deps: BTreeMap<&str, &Deployment> = b.deployments.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut outages: BTreeMap<&str, Vec<(Timestamp, Timestamp)>> = BTreeMap::new();
    for m in &b.malfunctions {
        let d = deps[m.deployment_id.as_str()];
        assert!(d.start <= m.start && m.end <= d.end && m.start < m.end, "{m:?}");
        outages
            .entry(m.deployment_id.as_str())
            .or_default()
            .push((m.start, m.end));
    }
    let check = |what: &str, dep: &str, start: Timestamp, end: Timestamp| {
        let d = deps
            .get(dep)
            .unwrap_or_else(|| panic!("{what}: unknown deployment {dep}"));
        assert!(d.start <= start && end <= d.end, "{what} outside its deployment {dep}");
        for (s, e) in outages.get(dep).into_iter().flatten() {
            assert!(end < *s || start >= *e, "{what} inside a malfunction of {dep}");
        }
    };
    for e in &b.events {
        check(&e.id, &e.deployment_id, e.start, e.end);
    }
    for m in &b.media {
        check(&m.id, &m.deployment_id, m.timestamp, m.timestamp);
    }
    for d in &b.detections {
        check(&d.id, &d.deployment_id, d.timestamp, d.timestamp);
    }
    // Deployments: some start late, some end early, all use the study's clock offset.
    let starts: BTreeSet<_> = b.deployments.iter().map(|d| d.start.date_naive()).collect();
    let ends: BTreeSet<_> = b.deployments.iter().map(|d| d.end.date_naive()).collect();
    assert!(starts.len() >= 3 && ends.len() >= 3, "{starts:?} {ends:?}");
    assert!(b.deployments.iter().all(|d| d.utc_offset_min == -360));
}

fn unique<'a>(ids: Vec<&'a str>, what: &str) -> BTreeSet<&'a str> {
    let n = ids.len();
    let set: BTreeSet<&str> = ids.into_iter().collect();
    assert_eq!(set.len(), n, "duplicate {what} ids");
    set
}

#[test]
fn demo_every_reference_points_at_an_existing_row() {
    let s = standard();
    let b = &s.batch;
    let cameras = unique(b.cameras.iter().map(|c| c.id.as_str()).collect(), "camera");
    let deps: BTreeMap<&str, &Deployment> = b.deployments.iter().map(|d| (d.id.as_str(), d)).collect();
    let media: BTreeMap<&str, &Media> = b.media.iter().map(|m| (m.id.as_str(), m)).collect();
    let events: BTreeMap<&str, &Event> = b.events.iter().map(|e| (e.id.as_str(), e)).collect();
    let tracks: BTreeMap<&str, &Track> = b.tracks.iter().map(|t| (t.id.as_str(), t)).collect();
    let species: BTreeSet<&str> = b.species.iter().map(|s| s.scientific_name.as_str()).collect();
    unique(b.media.iter().map(|m| m.id.as_str()).collect(), "media");
    unique(b.media.iter().map(|m| m.file_path.as_str()).collect(), "file path");
    unique(b.events.iter().map(|e| e.id.as_str()).collect(), "event");
    unique(b.tracks.iter().map(|t| t.id.as_str()).collect(), "track");
    unique(b.detections.iter().map(|d| d.id.as_str()).collect(), "detection");
    for d in &b.deployments {
        assert!(cameras.contains(d.camera_id.as_str()));
        assert!(d.latitude.is_some() && d.longitude.is_some());
    }
    for m in &b.media {
        assert_eq!(deps[m.deployment_id.as_str()].camera_id, m.camera_id);
        assert_eq!(m.media_type, "image/jpeg");
        assert_eq!(m.timestamp_source, TimestampSource::Imported);
        assert_eq!(m.capture_method, Some(CaptureMethod::ActivityDetection));
        assert!(m.file_path.starts_with(&format!("media/{}/", m.camera_id)) && m.file_path.ends_with(".JPG"));
    }
    for e in &b.events {
        assert_eq!(deps[e.deployment_id.as_str()].camera_id, e.camera_id);
        let best = e.best_media_id.as_deref().expect("every event has a best frame");
        assert_eq!(media[best].camera_id, e.camera_id);
        assert!(e.start <= media[best].timestamp && media[best].timestamp <= e.end);
        if let Some(name) = &e.scientific_name {
            assert!(species.contains(name.as_str()));
        }
        assert!(e.classification_method.is_some() && e.description.is_some());
    }
    for t in &b.tracks {
        let e = events[t.event_id.as_str()];
        assert_eq!(t.camera_id, e.camera_id);
        assert!(e.start <= t.start && t.end <= e.end);
    }
    let mut per_event_tracks: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &b.tracks {
        *per_event_tracks.entry(t.event_id.as_str()).or_default() += 1;
    }
    for e in &b.events {
        let n = per_event_tracks.get(e.id.as_str()).copied().unwrap_or(0) as i64;
        assert_eq!(e.count.unwrap_or(0), n, "event {} count vs tracks", e.id);
    }
    for d in &b.detections {
        let m = media[d.media_id.as_str()];
        assert_eq!(
            (m.camera_id.as_str(), m.deployment_id.as_str(), m.timestamp),
            (d.camera_id.as_str(), d.deployment_id.as_str(), d.timestamp)
        );
        let e = events[d.event_id.as_deref().expect("event id")];
        let t = tracks[d.track_id.as_deref().expect("track id")];
        assert_eq!(t.event_id, e.id);
        assert_eq!(d.observation_type, e.observation_type);
        let bbox = d.bbox.expect("box");
        bbox.validate().unwrap();
        assert!(
            bbox.width > 0.0
                && bbox.height > 0.0
                && bbox.x + bbox.width <= 1.0 + 1e-9
                && bbox.y + bbox.height <= 1.0 + 1e-9
        );
        let c = d.confidence.expect("confidence");
        assert!((0.5..=0.99).contains(&c), "{c}");
    }
    // The truth describes exactly the generated events, in order.
    assert_eq!(s.truth.events.len(), b.events.len());
    for (t, e) in s.truth.events.iter().zip(&b.events) {
        assert_eq!(t.event_id, e.id);
        assert_eq!(t.camera_id, e.camera_id);
        assert_eq!(Some(i64::from(t.count)), e.count.or(Some(0)));
        assert_eq!(t.individual_id, e.individual_id);
        if e.scientific_name.is_some() {
            assert_eq!(t.scientific_name, e.scientific_name);
        }
        if e.behavior.is_some() {
            assert_eq!(e.behaviours(), t.behaviours);
        }
    }
    // Blanks have media but no detections; people and vehicles are there too.
    let types: BTreeSet<ObservationType> = b.events.iter().map(|e| e.observation_type).collect();
    for ty in [
        ObservationType::Animal,
        ObservationType::Human,
        ObservationType::Vehicle,
        ObservationType::Blank,
    ] {
        assert!(types.contains(&ty), "no {ty} events");
    }
}

/// Latitude and longitude of every camera.
fn positions(b: &trailmesh_core::Batch) -> BTreeMap<&str, (f64, f64)> {
    b.cameras
        .iter()
        .map(|c| (c.id.as_str(), (c.latitude.unwrap(), c.longitude.unwrap())))
        .collect()
}

/// Share of a species' events for which `f(event start, lat, lon)` holds.
fn share(study: &DemoStudy, species: &str, f: impl Fn(Timestamp, f64, f64) -> bool) -> f64 {
    let pos = positions(&study.batch);
    let events: Vec<&EventTruthRef> = study
        .truth
        .events
        .iter()
        .filter(|e| e.scientific_name.as_deref() == Some(species))
        .collect();
    assert!(!events.is_empty(), "no {species} events");
    let hits = events
        .iter()
        .filter(|e| {
            let (lat, lon) = pos[e.camera_id.as_str()];
            f(e.start, lat, lon)
        })
        .count();
    hits as f64 / events.len() as f64
}

type EventTruthRef = trailmesh_core::demo::EventTruth;

#[test]
fn demo_diel_rhythms_show_in_solar_time() {
    let s = standard();
    let dark = |t, lat, lon| solar::solar_phase(t, lat, lon).is_dark();
    let day = |t, lat, lon| solar::solar_phase(t, lat, lon).is_day();
    let twilight_2h = |t, lat, lon| {
        let r = solar::hours_from_sunrise(t, lat, lon).unwrap().abs();
        let s = solar::hours_from_sunset(t, lat, lon).unwrap().abs();
        r.min(s) <= 2.0
    };
    let fox = share(s, "Vulpes vulpes", dark);
    let raccoon = share(s, "Procyon lotor", dark);
    let squirrel = share(s, "Tamiasciurus hudsonicus", day);
    let turkey = share(s, "Meleagris gallopavo", day);
    let jay = share(s, "Cyanocitta stelleri", day);
    let deer = share(s, "Odocoileus hemionus", twilight_2h);
    let elk = share(s, "Cervus canadensis", twilight_2h);
    let bear_dark = share(s, "Ursus americanus", dark);
    eprintln!(
        "fox dark {fox:.2}, raccoon dark {raccoon:.2}, squirrel day {squirrel:.2}, turkey day {turkey:.2}, jay day {jay:.2}, deer twilight {deer:.2}, elk twilight {elk:.2}, bear dark {bear_dark:.2}"
    );
    assert!(fox > 0.7 && raccoon > 0.7, "nocturnal: fox {fox}, raccoon {raccoon}");
    assert!(
        squirrel > 0.7 && turkey > 0.7 && jay > 0.7,
        "diurnal: {squirrel} {turkey} {jay}"
    );
    // Within 2 h of sunrise or sunset is about a third of a summer day at 45.6 N.
    assert!(deer > 0.6 && elk > 0.6, "crepuscular: deer {deer}, elk {elk}");
    assert!((0.15..0.6).contains(&bear_dark), "cathemeral bear: {bear_dark}");
    // The truth names the classes.
    let class = |name: &str| {
        s.truth
            .species
            .iter()
            .find(|x| x.scientific_name == name)
            .unwrap()
            .diel_class
    };
    assert_eq!(class("Vulpes vulpes"), demo::DielClass::Nocturnal);
    assert_eq!(class("Odocoileus hemionus"), demo::DielClass::Crepuscular);
    assert_eq!(class("Tamiasciurus hudsonicus"), demo::DielClass::Diurnal);
    assert_eq!(class("Ursus americanus"), demo::DielClass::Cathemeral);
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        for k in i..=j {
            r[idx[k]] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    r
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

#[test]
fn demo_migration_wave_is_visible_in_median_elk_dates() {
    let s = standard();
    let m = &s.truth.migration;
    assert_eq!(m.scientific_name, "Cervus canadensis");
    assert!(
        m.speed_km_per_day > 0.1 && m.speed_km_per_day < 1.0,
        "{}",
        m.speed_km_per_day
    );
    assert!(
        m.fronts
            .windows(2)
            .all(|w| w[0].axis_km <= w[1].axis_km && w[0].front_time <= w[1].front_time)
    );
    let axis: BTreeMap<&str, f64> = s.truth.cameras.iter().map(|c| (c.id.as_str(), c.axis_km)).collect();
    let mut dates: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for e in &s.batch.events {
        if e.scientific_name.as_deref() == Some("Cervus canadensis") {
            dates.entry(e.camera_id.as_str()).or_default().push(e.start.timestamp());
        }
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (cam, mut d) in dates {
        if d.len() < 10 {
            continue;
        }
        d.sort_unstable();
        let median = d[d.len() / 2] as f64 / 86_400.0;
        x.push(axis[cam]);
        y.push(median);
        let front = m.fronts.iter().find(|f| f.camera_id == cam).unwrap();
        let off = median - front.front_time.timestamp() as f64 / 86_400.0;
        eprintln!(
            "{cam:10} axis {:6.2} km  median elk day offset from the front {off:+6.1} d",
            axis[cam]
        );
    }
    assert!(x.len() >= 8, "elk at {} cameras", x.len());
    let rho = pearson(&ranks(&x), &ranks(&y));
    let slope_days_per_km = {
        let n = x.len() as f64;
        let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>()
            / x.iter().map(|a| (a - mx).powi(2)).sum::<f64>()
    };
    eprintln!(
        "Spearman rho {rho:.3}; regression speed {:.3} km/day vs true {:.3}",
        1.0 / slope_days_per_km,
        m.speed_km_per_day
    );
    assert!(rho > 0.8, "Spearman {rho}");
    let speed = 1.0 / slope_days_per_km;
    assert!(
        (speed / m.speed_km_per_day - 1.0).abs() < 0.35,
        "estimated {speed} vs {}",
        m.speed_km_per_day
    );
}

#[test]
fn demo_individual_paths_use_corridors_with_plausible_transit_times() {
    let s = standard();
    let mut edges: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for c in &s.truth.corridors {
        edges.insert((c.from.as_str(), c.to.as_str()), c.distance_km);
        edges.insert((c.to.as_str(), c.from.as_str()), c.distance_km);
    }
    let events: BTreeMap<&str, &Event> = s.batch.events.iter().map(|e| (e.id.as_str(), e)).collect();
    assert!(s.truth.individuals.len() >= 6);
    for ind in &s.truth.individuals {
        let vmax = s
            .truth
            .species
            .iter()
            .find(|x| x.scientific_name == ind.scientific_name)
            .unwrap()
            .max_speed_kmh;
        assert!(ind.path.len() > 20, "{} has a short path", ind.individual_id);
        let recorded = ind.path.iter().filter(|p| p.event_id.is_some()).count();
        assert!(recorded * 2 > ind.path.len(), "{} mostly missed", ind.individual_id);
        for w in ind.path.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            assert!(a.arrival <= b.arrival, "{}: path out of order", ind.individual_id);
            if a.camera_id != b.camera_id {
                let d = edges
                    .get(&(a.camera_id.as_str(), b.camera_id.as_str()))
                    .unwrap_or_else(|| {
                        panic!(
                            "{}: {} -> {} is no corridor",
                            ind.individual_id, a.camera_id, b.camera_id
                        )
                    });
                let hours = (b.arrival - a.arrival).num_milliseconds() as f64 / 3.6e6;
                assert!(hours >= d / vmax, "{}: {d} km in {hours} h", ind.individual_id);
            }
        }
        for p in &ind.path {
            if let Some(id) = &p.event_id {
                let e = events[id.as_str()];
                assert_eq!(e.camera_id, p.camera_id);
                assert_eq!(e.individual_id.as_deref(), Some(ind.individual_id.as_str()));
                assert_eq!(e.start, p.arrival);
            } else {
                assert!(p.missed.is_some());
            }
        }
    }
    // The raccoon's nightly round: creek -> spring -> creek, dark, most nights.
    let r = s
        .truth
        .individuals
        .iter()
        .find(|i| i.individual_id == "raccoon-R1")
        .unwrap();
    assert_eq!(
        r.daily_routes[0].cameras,
        ["CREEK-02", "SPRING-01", "CREEK-03", "CREEK-02"]
    );
    let spring_nights: BTreeSet<_> = r
        .path
        .iter()
        .filter(|p| p.camera_id == "SPRING-01")
        .map(|p| (p.arrival + Duration::hours(-12)).date_naive())
        .collect();
    assert!(
        spring_nights.len() as f64 > 0.8 * 75.0,
        "{} nights at the spring",
        spring_nights.len()
    );
    // Elk migrate: the marked cow's path moves north.
    let cow = s
        .truth
        .individuals
        .iter()
        .find(|i| i.individual_id == "elk-F12")
        .unwrap();
    assert!(cow.migrates);
    let axis: BTreeMap<&str, f64> = s.truth.cameras.iter().map(|c| (c.id.as_str(), c.axis_km)).collect();
    let n = cow.path.len();
    let first: f64 = cow.path[..n / 4]
        .iter()
        .map(|p| axis[p.camera_id.as_str()])
        .sum::<f64>()
        / (n / 4) as f64;
    let last: f64 = cow.path[n - n / 4..]
        .iter()
        .map(|p| axis[p.camera_id.as_str()])
        .sum::<f64>()
        / (n / 4) as f64;
    assert!(last > first + 5.0, "elk-F12 from {first} km to {last} km");
}

#[test]
fn demo_behaviours_and_tracks_carry_signal() {
    let s = standard();
    let features: BTreeMap<&str, FeatureType> = s
        .batch
        .cameras
        .iter()
        .map(|c| (c.id.as_str(), c.feature_type.unwrap()))
        .collect();
    let headings: BTreeMap<&str, f64> = s
        .batch
        .cameras
        .iter()
        .map(|c| (c.id.as_str(), c.heading_deg.unwrap()))
        .collect();
    let truth: BTreeMap<&str, &demo::EventTruth> = s.truth.events.iter().map(|e| (e.event_id.as_str(), e)).collect();
    let mut speeds: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut heading_errors = Vec::new();
    for t in &s.batch.tracks {
        let e = truth[t.event_id.as_str()];
        let Some(primary) = e.behaviours.first() else { continue };
        let Some(speed) = t.speed else { continue };
        let key = match primary {
            Behaviour::Travelling => "travelling",
            Behaviour::Feeding | Behaviour::Drinking => "feeding",
            Behaviour::Resting => "resting",
            _ => continue,
        };
        speeds.entry(key).or_default().push(speed);
        if let (Behaviour::Travelling, Some(b), Some(h)) = (primary, e.bearing_deg, t.heading_deg) {
            let expected = (b - headings[e.camera_id.as_str()]).rem_euclid(360.0);
            let diff = (h - expected + 540.0).rem_euclid(360.0) - 180.0;
            heading_errors.push(diff.abs());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let travelling = median(speeds.get_mut("travelling").unwrap());
    let feeding = median(speeds.get_mut("feeding").unwrap());
    let resting = median(speeds.get_mut("resting").unwrap());
    eprintln!(
        "median track speed: travelling {travelling:.4}, feeding {feeding:.5}, resting {resting:.5} frame-widths/s"
    );
    assert!(travelling > 20.0 * feeding && feeding > resting);
    let err = median(&mut heading_errors);
    assert!(err < 10.0, "median heading error {err} degrees");
    // Drinking happens at water; herds travel as groups; bears court in June and July.
    let mut labels: BTreeMap<Behaviour, usize> = BTreeMap::new();
    for e in &s.truth.events {
        for b in &e.behaviours {
            *labels.entry(*b).or_default() += 1;
        }
        if e.behaviours.first() == Some(&Behaviour::Drinking) {
            assert_eq!(
                features[e.camera_id.as_str()],
                FeatureType::WaterSource,
                "{}",
                e.event_id
            );
        }
        if e.behaviours.contains(&Behaviour::GroupMovement) {
            assert!(e.count >= 3);
        }
        if e.behaviours.contains(&Behaviour::Courtship) {
            assert_eq!(
                e.scientific_name.as_deref(),
                Some("Ursus americanus"),
                "only bears breed in June-August"
            );
        }
    }
    eprintln!("behaviour labels: {labels:?}");
    for b in [
        Behaviour::Feeding,
        Behaviour::Drinking,
        Behaviour::Travelling,
        Behaviour::Resting,
        Behaviour::Vigilance,
        Behaviour::GroupMovement,
        Behaviour::Courtship,
        Behaviour::Nursing,
    ] {
        assert!(labels.get(&b).copied().unwrap_or(0) > 10, "too few {b}");
    }
    // Human-labelled events carry behaviour in the batch; machine-labelled ones do not.
    let labelled = s.batch.events.iter().filter(|e| e.behavior.is_some()).count();
    assert!(labelled > s.batch.events.len() / 2);
    // Group sizes per species stay within the truth's bounds.
    for sp in &s.truth.species {
        let max = s
            .truth
            .events
            .iter()
            .filter(|e| e.scientific_name.as_deref() == Some(sp.scientific_name.as_str()))
            .map(|e| e.count)
            .max()
            .unwrap();
        assert!(max <= sp.group_size_max && max >= 1, "{}: {max}", sp.scientific_name);
    }
}

#[test]
fn demo_truth_round_trips_through_json() {
    let s = demo::generate(&small(3));
    let json = serde_json::to_string_pretty(&s.truth).unwrap();
    let back: GroundTruth = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s.truth);
    assert!(json.contains("\"diel_class\": \"nocturnal\""));
}

#[tokio::test]
async fn demo_seeding_twice_inserts_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("demo.db").display().to_string())
        .await
        .unwrap();
    let cfg = DemoConfig {
        days: 30,
        ..DemoConfig::default()
    };
    let t = Instant::now();
    let (first, truth) = demo::seed(&store, &cfg, &NoProgress).await.unwrap();
    eprintln!(
        "seeded {} rows in {:.2} s",
        first.report.inserted(),
        t.elapsed().as_secs_f64()
    );
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.events as u64, truth.totals.events);
    assert_eq!(counts.detections as u64, truth.totals.detections);
    assert_eq!(counts.imports, 1);
    assert_eq!(
        first.report.inserted(),
        first.report.events.inserted
            + first.report.media.inserted
            + first.report.tracks.inserted
            + first.report.detections.inserted
            + first.report.species.inserted
            + first.report.cameras.inserted
            + first.report.deployments.inserted
            + first.report.malfunctions.inserted
    );
    let (second, truth2) = demo::seed(&store, &cfg, &NoProgress).await.unwrap();
    assert_eq!(second.report.inserted(), 0);
    assert_eq!(second.report.events.existing, truth.totals.events);
    assert_eq!(truth2, truth);
    assert_eq!(store.counts().await.unwrap(), counts);
    // Chunked seeding (several transactions) is just as idempotent.
    let big = DemoConfig {
        days: 4,
        scale: 40.0,
        ..DemoConfig::default()
    };
    assert!(big.chunk_days() < big.days);
    store.close().await;
    let store = Store::open(&dir.path().join("big.db").display().to_string())
        .await
        .unwrap();
    let (a, t) = demo::seed(&store, &big, &NoProgress).await.unwrap();
    assert!(a.report.events.inserted > 0);
    assert_eq!(a.report.events.inserted, t.totals.events);
    assert_eq!(a.report.detections.inserted, t.totals.detections);
    let (b, _) = demo::seed(&store, &big, &NoProgress).await.unwrap();
    assert_eq!(b.report.inserted(), 0);
    assert_eq!(store.counts().await.unwrap().imports, 1);
    store.close().await;
}

#[tokio::test]
async fn demo_seed_refuses_a_bad_config() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let cfg = DemoConfig {
        days: 0,
        ..DemoConfig::default()
    };
    let err = demo::seed(&store, &cfg, &NoProgress).await.unwrap_err();
    assert!(err.to_string().contains("days"), "{err}");
}
