//! Storage benchmarks (a bench binary that prints figures; not a test).
//!
//! `cargo bench -p trailmesh-core --bench storage`
//!
//! 1. Bulk insert of detections into an SQLite file (target: >= 200,000 rows/s).
//! 2. Time-range query for one camera (one day) over that database (target: < 20 ms).
//! 3. Import of a 100,000-image MegaDetector 1.6 file (target: < 5 s).
//!
//! Sizes: `TM_BENCH_DETECTIONS` (default 10,000,000), `TM_BENCH_MD_IMAGES` (default 100,000).
//! Set `TM_BENCH_PG=postgres://...` to also time the bulk insert on PostgreSQL, and
//! `TM_BENCH_DB=/path/bench.db` to keep the detection database for later runs.

use std::time::{Duration, Instant};
use trailmesh_core::import::NoProgress;
use trailmesh_core::megadetector::{MdImportOptions, import_file};
use trailmesh_core::model::*;
use trailmesh_core::store::*;

const CAMERAS: usize = 50;
const DAYS: i64 = 90;
const CHUNK: usize = 100_000;
const T0: i64 = 1_717_200_000_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn setup_batch() -> Batch {
    let mut b = Batch::default();
    for c in 0..CAMERAS {
        let id = format!("CAM-{c:02}");
        b.cameras.push(Camera::new(id.clone(), id.clone()));
        b.deployments.push(Deployment {
            id: format!("dep-{c:02}"),
            camera_id: id.clone(),
            location_id: None,
            location_name: None,
            latitude: Some(45.6),
            longitude: Some(-111.0),
            start: from_ms(T0),
            end: from_ms(T0 + DAYS * 86_400_000),
            utc_offset_min: -360,
            feature_type: None,
            habitat: None,
            camera_height: None,
            camera_tilt: None,
            camera_heading: None,
            detection_distance: None,
            bait_use: None,
            timestamp_issues: None,
            setup_by: None,
            tags: None,
            comments: None,
        });
        b.media.push(Media {
            id: format!("media-{c:02}"),
            deployment_id: format!("dep-{c:02}"),
            camera_id: id,
            timestamp: from_ms(T0),
            timestamp_source: TimestampSource::Imported,
            file_path: format!("m/{c}.jpg"),
            file_name: None,
            media_type: "image/jpeg".into(),
            capture_method: None,
            file_public: false,
            favorite: None,
            frame_rate: None,
            comments: None,
        });
    }
    b
}

fn detection(i: usize, total: usize) -> Detection {
    let c = i % CAMERAS;
    let ts = T0 + (i as i64) * (DAYS * 86_400_000 / total as i64);
    Detection {
        id: format!("d{i:09}"),
        media_id: format!("media-{c:02}"),
        camera_id: format!("CAM-{c:02}"),
        deployment_id: format!("dep-{c:02}"),
        timestamp: from_ms(ts),
        frame_number: None,
        observation_type: ObservationType::Animal,
        scientific_name: Some(
            [
                "Odocoileus hemionus",
                "Vulpes vulpes",
                "Procyon lotor",
                "Cervus canadensis",
            ][i % 4]
                .to_string(),
        ),
        count: Some(1),
        life_stage: None,
        sex: None,
        behavior: None,
        individual_id: None,
        confidence: Some(0.5 + (i % 50) as f64 / 100.0),
        bbox: Some(BBox {
            x: 0.1,
            y: 0.2,
            width: 0.3,
            height: 0.25,
        }),
        classification_method: Some(ClassificationMethod::Machine),
        classified_by: Some("bench".into()),
        classification_probability: Some(0.9),
        event_id: Some(format!("e{:08}", i / 4)),
        track_id: None,
    }
}

async fn bulk_insert(store: &Store, total: usize) -> Duration {
    store.ingest(&setup_batch(), None).await.expect("setup");
    let mut spent = Duration::ZERO;
    let mut done = 0;
    while done < total {
        let n = CHUNK.min(total - done);
        let batch = Batch {
            detections: (done..done + n).map(|i| detection(i, total)).collect(),
            ..Default::default()
        };
        let start = Instant::now();
        store.ingest(&batch, None).await.expect("ingest");
        spent += start.elapsed();
        done += n;
        if done % 1_000_000 == 0 {
            eprintln!(
                "  ... {done} rows, {:.0} rows/s so far",
                done as f64 / spent.as_secs_f64()
            );
        }
    }
    spent
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn md_file(images: usize) -> String {
    let mut s = String::with_capacity(images * 260);
    s.push_str("{\"info\": {\"format_version\": \"1.6\", \"detector\": \"md_v5a.0.0.pt\"},\n");
    s.push_str(
        "\"detection_categories\": {\"1\": \"animal\", \"2\": \"person\", \"3\": \"vehicle\"},\n\"images\": [\n",
    );
    for i in 0..images {
        let cam = i % 40;
        let ts = from_ms(T0 + i as i64 * 60_000);
        let dets = match i % 3 {
            0 => String::new(),
            1 => "{\"category\": \"1\", \"conf\": 0.91, \"bbox\": [0.1, 0.2, 0.3, 0.25]}".to_string(),
            _ => "{\"category\": \"1\", \"conf\": 0.91, \"bbox\": [0.1, 0.2, 0.3, 0.25]}, {\"category\": \"1\", \"conf\": 0.42, \"bbox\": [0.5, 0.5, 0.1, 0.1]}".to_string(),
        };
        s.push_str(&format!(
            "{{\"file\": \"CAM-{cam:02}/IMG_{i:07}.JPG\", \"datetime\": \"{}\", \"detections\": [{dets}]}}{}\n",
            format_with_offset(ts, -360),
            if i + 1 < images { "," } else { "" }
        ));
    }
    s.push_str("]}\n");
    s
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing useful: run small.
    let quick = std::env::args().any(|a| a == "--quick") || !std::env::args().any(|a| a == "--bench");
    let total = if quick {
        200_000
    } else {
        env_usize("TM_BENCH_DETECTIONS", 10_000_000)
    };
    let md_images = if quick {
        10_000
    } else {
        env_usize("TM_BENCH_MD_IMAGES", 100_000)
    };
    let dir = tempfile::tempdir().expect("tempdir");

    // TM_BENCH_DB=path keeps the detection database between runs (the insert is skipped
    // when the file already exists), so the query can be timed again without the insert.
    let kept = std::env::var("TM_BENCH_DB").ok();
    let db_path = kept
        .clone()
        .unwrap_or_else(|| dir.path().join("bench.db").display().to_string());
    let reuse = kept.is_some() && std::path::Path::new(&db_path).exists();
    let store = Store::open(&db_path).await.expect("open");
    if reuse {
        println!("== reusing {db_path} (bulk insert not timed)");
    } else {
        println!("== bulk insert of detections into SQLite ({total} rows, {CHUNK} per transaction)");
        let spent = bulk_insert(&store, total).await;
        println!(
            "bulk insert: {total} rows in {:.2} s = {:.0} rows/s (target >= 200000)",
            spent.as_secs_f64(),
            total as f64 / spent.as_secs_f64()
        );
    }

    println!("== time-range query, one camera, one day, over {total} detections");
    let mut times = Vec::new();
    let mut rows = 0;
    for q in 0..200 {
        let cam = (q * 7) % CAMERAS;
        let day = (q as i64 * 13) % (DAYS - 1);
        let query = DetectionQuery {
            camera_id: Some(format!("CAM-{cam:02}")),
            time: TimeRange {
                from: Some(from_ms(T0 + day * 86_400_000)),
                to: Some(from_ms(T0 + (day + 1) * 86_400_000)),
            },
            ..Default::default()
        };
        let start = Instant::now();
        rows += store.detections(&query).await.expect("query").len();
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "range query: median {:.2} ms, p99 {:.2} ms, {} rows per query on average (target < 20 ms)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        rows / times.len()
    );
    store.close().await;

    println!("== MegaDetector import ({md_images} images)");
    let md_path = dir.path().join("results.json");
    std::fs::write(&md_path, md_file(md_images)).expect("write md");
    let md_store = Store::open(&dir.path().join("md.db").display().to_string())
        .await
        .expect("open");
    let start = Instant::now();
    let summary = import_file(&md_store, &md_path, &MdImportOptions::default(), &NoProgress)
        .await
        .expect("import");
    let spent = start.elapsed();
    println!(
        "megadetector import: {md_images} images, {} detections in {:.2} s (target < 5 s)",
        summary.report.detections.inserted,
        spent.as_secs_f64()
    );
    md_store.close().await;

    if let Ok(url) = std::env::var("TM_BENCH_PG") {
        let pg_total = total.min(1_000_000);
        println!("== bulk insert of detections into PostgreSQL ({pg_total} rows)");
        let pg = Store::open(&url).await.expect("open PostgreSQL");
        let spent = bulk_insert(&pg, pg_total).await;
        println!(
            "bulk insert (PostgreSQL): {:.0} rows/s",
            pg_total as f64 / spent.as_secs_f64()
        );
        pg.close().await;
    }
}
