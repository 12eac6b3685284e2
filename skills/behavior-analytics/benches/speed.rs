//! Speed of the heavy operations on a demo study of about a million events (a bench
//! binary that prints figures; not a test).
//!
//! `CARGO_TARGET_DIR=/work/target cargo bench -p trailmesh-behavior-analytics --bench speed`
//!
//! Seeds the demo study at `DEMO_SCALE` (default 40, about 1M events) into an SQLite file
//! once and keeps it (`<target>/tmp/demo-bench/demo-scale-<scale>.db`, shared with the trail-builder bench; a file
//! without its import record is re-seeded), then times, 5 runs each (target < 200 ms):
//! RAI for all species across all cameras; a diel density for one species (mule deer,
//! clock time); and, for information, the same density in solar time, a naive occupancy and
//! the store queries underneath. The first call loads the skill's in-memory event cache
//! (printed separately); the timed runs reuse it.
//! `cargo test --benches` runs it without `--bench` at scale 0.5 in a temporary file.

use std::time::{Duration, Instant};
use trailmesh_behavior_analytics::*;
use trailmesh_core::demo::{self, DemoConfig};

async fn time<T, F: std::future::Future<Output = T>>(name: &str, mut f: impl FnMut() -> F) {
    let mut runs: Vec<Duration> = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let _ = f().await;
        runs.push(t.elapsed());
    }
    runs.sort();
    println!(
        "{name}: median {:.3} ms, best {:.3} ms, worst {:.3} ms",
        runs[2].as_secs_f64() * 1e3,
        runs[0].as_secs_f64() * 1e3,
        runs[4].as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let scale: f64 = std::env::var("DEMO_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if bench { 40.0 } else { 0.5 });
    let cfg = DemoConfig {
        scale,
        ..DemoConfig::default()
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = if bench {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-bench");
        std::fs::create_dir_all(&dir).expect("bench dir");
        dir.join(format!("demo-scale-{scale}.db"))
    } else {
        tmp.path().join("bench.db")
    };
    let t = Instant::now();
    let (store, seeded) = demo::open_or_seed(&path, &cfg).await.expect("open or seed");
    if seeded {
        println!(
            "seeded demo scale {scale} into {} in {:.1} s",
            path.display(),
            t.elapsed().as_secs_f64()
        );
    }
    let counts = store.counts().await.expect("counts");
    println!(
        "database {}: {} events, {} cameras",
        path.display(),
        counts.events,
        counts.cameras
    );
    let skill = BehaviorAnalytics::new(store.clone());
    // The first call loads the in-memory event cache (every animal event's camera,
    // deployment, species and start) through Store::event_briefs; later calls reuse it
    // until the number of events changes.
    let t = Instant::now();
    let rai = skill.rai(RaiInput::default()).await.expect("rai");
    println!(
        "rai, first call (loads the event cache): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "RAI: {} species, {} trap-nights, top {} = {:.1} per 100 trap-nights",
        rai.species.len(),
        rai.total_trap_nights,
        rai.species[0].species,
        rai.species[0].rai
    );
    time("rai (all species, all cameras)", || skill.rai(RaiInput::default())).await;
    let diel = |scale| DielInput {
        species: "Odocoileus hemionus".to_string(),
        time_scale: Some(scale),
        ..DielInput::default()
    };
    let d = skill.diel_activity(diel(TimeScale::Clock)).await.expect("diel");
    println!("diel: mule deer n = {}, class {}", d.n, d.activity_class);
    time("diel density (mule deer, clock time)", || {
        skill.diel_activity(diel(TimeScale::Clock))
    })
    .await;
    time("diel density (mule deer, solar time)", || {
        skill.diel_activity(diel(TimeScale::Solar))
    })
    .await;
    time("occupancy_naive (mule deer)", || {
        skill.occupancy_naive(NaiveOccupancyInput {
            species: "Odocoileus hemionus".to_string(),
            ..NaiveOccupancyInput::default()
        })
    })
    .await;
    // Where the time goes: the raw event_briefs query the RAI reads.
    let all_animals = trailmesh_core::store::EventQuery {
        observation_type: Some(trailmesh_core::model::ObservationType::Animal),
        ..Default::default()
    };
    time(
        "store.events_fingerprint (the cache's freshness check, in every call)",
        || store.events_fingerprint(),
    )
    .await;
    let everything = trailmesh_core::store::EventQuery::default();
    time(
        "store.count_events (what that check costs after a commit, about)",
        || store.count_events(&everything),
    )
    .await;
    time("store.event_briefs (all animal events, for reference)", || {
        store.event_briefs(&all_animals)
    })
    .await;
    let deer = trailmesh_core::store::EventQuery {
        scientific_name: Some("Odocoileus hemionus".to_string()),
        observation_type: Some(trailmesh_core::model::ObservationType::Animal),
        ..Default::default()
    };
    time("store.event_briefs (mule deer, for reference)", || {
        store.event_briefs(&deer)
    })
    .await;
    store.close().await;
}
