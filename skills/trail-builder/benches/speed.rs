//! Speed of the trail builder on a demo study of about a million events (a bench binary that
//! prints figures; not a test).
//!
//! `CARGO_TARGET_DIR=/work/target cargo bench -p trailmesh-trail-builder --bench speed`
//!
//! Seeds the demo study at `DEMO_SCALE` (default 40, about 1M events) into an SQLite file once
//! and keeps it (`<target>/tmp/demo-bench/demo-scale-<scale>.db`, shared with the
//! behavior-analytics bench; a file without its import record is re-seeded), then times, 5 runs
//! each (target < 200 ms): the transition graph of one species (mule deer) over one month, and
//! for information the trails and the timespan activity of that month.
//! `cargo test --benches` runs it without `--bench` at scale 0.5 in a temporary file.

use std::time::{Duration, Instant};
use trailmesh_core::demo::{self, DemoConfig};
use trailmesh_trail_builder::*;

async fn time<T, F: std::future::Future<Output = T>>(name: &str, mut f: impl FnMut() -> F) {
    let mut runs: Vec<Duration> = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let _ = f().await;
        runs.push(t.elapsed());
    }
    runs.sort();
    println!(
        "{name}: median {:.1} ms, best {:.1} ms, worst {:.1} ms",
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
    let skill = TrailBuilder::new(store.clone());
    // The demo's second month (the study starts 2026-06-01).
    let month = || TrailInput {
        species: Some("mule deer".to_string()),
        from: Some("2026-07-01".to_string()),
        to: Some("2026-08-01".to_string()),
        ..TrailInput::default()
    };
    let g = skill.transition_graph(month()).await.expect("graph");
    println!(
        "transition graph, mule deer, July: {} edges, {} transitions",
        g.edges.len(),
        g.transitions
    );
    time("transition graph (mule deer, one month)", || {
        skill.transition_graph(month())
    })
    .await;
    time("trails (mule deer, one month, first page)", || skill.trails(month())).await;
    time("timespan activity (all cameras, one month)", || {
        skill.timespan_activity(TimespanInput {
            from: "2026-07-01".to_string(),
            to: "2026-08-01".to_string(),
            ..TimespanInput::default()
        })
    })
    .await;
}
