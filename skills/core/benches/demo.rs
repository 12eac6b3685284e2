//! Demo generator at benchmark sizes (a bench binary that prints figures).
//!
//! `cargo bench -p trailmesh-core --bench demo` (`DEMO_SCALE` sets the scale, default 40:
//! about a million events): generation time, rows, largest chunk, then seeding into SQLite.

use std::time::Instant;
use trailmesh_core::demo::{self, DemoConfig};
use trailmesh_core::{NoProgress, Store};

#[tokio::main]
async fn main() {
    // `cargo test --benches` runs this without --bench: keep that run small.
    let default_scale = if std::env::args().any(|a| a == "--bench") {
        40.0
    } else {
        0.5
    };
    let scale = std::env::var("DEMO_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_scale);
    let cfg = DemoConfig {
        scale,
        ..DemoConfig::default()
    };
    let t = Instant::now();
    let (mut rows, mut biggest, mut chunks) = (0usize, 0usize, 0usize);
    let truth = demo::generate_chunked(&cfg, |b| {
        rows += b.len();
        biggest = biggest.max(b.len());
        chunks += 1;
    });
    let totals = &truth.totals;
    println!(
        "demo scale {scale}: generated {rows} rows in {chunks} chunks (largest {biggest}) in {:.1} s: {} events, {} media, {} tracks, {} detections",
        t.elapsed().as_secs_f64(),
        totals.events,
        totals.media,
        totals.tracks,
        totals.detections
    );
    drop(truth);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("bench.db").display().to_string())
        .await
        .expect("open");
    let t = Instant::now();
    let (summary, truth) = demo::seed(&store, &cfg, &NoProgress).await.expect("seed");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "demo scale {scale}: seeded {} rows into SQLite in {secs:.1} s ({:.0} rows/s, generation included)",
        summary.report.inserted(),
        summary.report.inserted() as f64 / secs
    );
    assert_eq!(summary.report.events.inserted, truth.totals.events);
    store.close().await;
}
