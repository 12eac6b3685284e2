//! Benchmark: a folder of images end to end (decode, letterbox, infer, decode + NMS, track,
//! store) through our import, then the independent Python ONNX Runtime pipeline
//! (`tests/reference/detect.py --bench`) on the same images and model in the same run.
//!
//! ```text
//! vision-bench [--dir DIR] [--size 640|416] [--letterbox rect|square] [--rounds N]
//!              [--repeats N] [--threads N] [--batch N] [--sessions N] [--python PY]
//! ```
//! Prints images per second for both, their ratio, and our time outside the model as a
//! share of inference time.

/// The allocator of the `trailmesh` binary, whose import this times.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use trailmesh_core::import::NoProgress;
use trailmesh_core::media_folder::FolderImportOptions;
use trailmesh_core::model::*;
use trailmesh_core::store::{Batch, Store};
use trailmesh_vision::pipeline::{DetectImportOptions, import_folder_with_detection, read_image};
use trailmesh_vision::{Detector, Letterbox, VisionConfig, onnx_graph};

struct Args {
    dir: PathBuf,
    size: u32,
    letterbox: Letterbox,
    rounds: usize,
    threads: usize,
    batch: usize,
    sessions: usize,
    repeats: usize,
    python: Option<String>,
}

fn parse() -> Result<Args, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut a = Args {
        dir: manifest.join("tests/fixtures"),
        size: 640,
        letterbox: Letterbox::Rect,
        rounds: 4,
        threads: 0,
        batch: 0,
        sessions: 0,
        repeats: 3,
        python: std::env::var("VISION_PYTHON").ok(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--dir" => a.dir = PathBuf::from(value()?),
            "--size" => a.size = value()?.parse().map_err(|e| format!("--size: {e}"))?,
            "--letterbox" => a.letterbox = value()?.parse().map_err(|e| format!("--letterbox: {e}"))?,
            "--rounds" => a.rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--threads" => a.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--batch" => a.batch = value()?.parse().map_err(|e| format!("--batch: {e}"))?,
            "--repeats" => a.repeats = value()?.parse().map_err(|e| format!("--repeats: {e}"))?,
            "--sessions" => a.sessions = value()?.parse().map_err(|e| format!("--sessions: {e}"))?,
            "--python" => a.python = Some(value()?),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

fn images(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                    .as_deref(),
                Some("jpg" | "jpeg" | "png")
            )
        })
        .collect();
    files.sort();
    files
}

#[derive(Default)]
struct Phases {
    decode: Duration,
    letterbox: Duration,
    infer: Duration,
    post: Duration,
    store: Duration,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("vision-bench: {e}");
            std::process::exit(2);
        }
    };
    let cfg = VisionConfig {
        input_size: args.size,
        letterbox: args.letterbox,
        threads: args.threads,
        batch_size: args.batch,
        sessions: args.sessions,
        ..Default::default()
    };
    let detector = Arc::new(Detector::load(&cfg).unwrap_or_else(|e| {
        eprintln!("vision-bench: {e}");
        std::process::exit(1);
    }));
    let files = images(&args.dir);
    assert!(!files.is_empty(), "no images in {}", args.dir.display());
    let tmp = std::env::temp_dir().join(format!("vision-bench-{}", std::process::id()));
    let store = Store::open_sqlite_file(&tmp.join("bench.db"))
        .await
        .expect("open store");
    let mut input = Vec::new();
    let mut ph = Phases::default();
    let mut boxes_total = 0usize;

    // Warm-up run (first inference allocates and plans).
    let warm = read_image(&files[0]).unwrap();
    detector.detect(&warm).unwrap();

    let started = Instant::now();
    let mut n = 0usize;
    let work: Vec<(usize, &PathBuf)> = (0..args.rounds)
        .flat_map(|r| files.iter().map(move |f| (r, f)))
        .collect();
    for chunk in work.chunks(detector.batch_size()) {
        let t = Instant::now();
        let imgs: Vec<_> = chunk.iter().map(|(_, f)| read_image(f).unwrap()).collect();
        ph.decode += t.elapsed();

        let t = Instant::now();
        let refs: Vec<&image::RgbImage> = imgs.iter().collect();
        let (shape, ratios) = detector.letterbox(&refs, &mut input);
        ph.letterbox += t.elapsed();

        let t = Instant::now();
        let out = detector.run_raw(&input, imgs.len(), shape).unwrap();
        ph.infer += t.elapsed();

        let t = Instant::now();
        let per = out.len() / imgs.len();
        let found: Vec<_> = imgs
            .iter()
            .enumerate()
            .map(|(i, img)| {
                let rows = &out[i * per..(i + 1) * per];
                detector.postprocess(rows, ratios[i], img.width(), img.height(), shape)
            })
            .collect();
        ph.post += t.elapsed();

        let t = Instant::now();
        let batch = rows(chunk, &imgs, &found, detector.name(), "p");
        boxes_total += found.iter().map(Vec::len).sum::<usize>();
        store.ingest(&batch, None).await.expect("ingest");
        ph.store += t.elapsed();
        n += imgs.len();
    }
    let secs = started.elapsed().as_secs_f64();
    let phased = n as f64 / secs;

    // End to end as `trailmesh import --detect` runs it: a folder holding every image
    // `rounds` times (hard links under new names), imported into a fresh database by
    // `import_folder_with_detection` (scan, decode, letterbox, infer on every session, NMS,
    // track, segment, store in one transaction), alternating with the Python pipeline so
    // both see the same machine load.
    let card = tmp.join("card");
    std::fs::create_dir_all(&card).expect("bench folder");
    for (round, file) in &work {
        let name = format!("r{round}-{}", file.file_name().unwrap().to_string_lossy());
        let to = card.join(name);
        if std::fs::hard_link(file, &to).is_err() {
            std::fs::copy(file, &to).expect("copy a bench image");
        }
    }
    let opts = DetectImportOptions {
        folder: FolderImportOptions {
            camera: Some("BENCH".into()),
            ..Default::default()
        },
        thumbnails: None,
    };
    // The Python pipeline as MODELS.md describes it (square letterbox, the shipped model), and,
    // when ours runs rectangles, the same pipeline padding as little as ours does (the opened
    // model written out, rows decoded in numpy).
    let opened = detector.rect_input().then(|| {
        let path = tmp.join("opened.onnx");
        let bytes = std::fs::read(cfg.model_path()).expect("read the model");
        let o = onnx_graph::open_input(&bytes).expect("the model opened for the detector");
        std::fs::write(&path, o.model).expect("write the opened model");
        path
    });
    let (mut ours_n, mut ours_s) = (0usize, 0f64);
    let (mut py, mut py_rect) = (Tally::default(), Tally::default());
    let mut repeats = Vec::new();
    for rep in 0..args.repeats.max(1) {
        let db = Store::open_sqlite_file(&tmp.join(format!("import-{rep}.db")))
            .await
            .expect("open store");
        let started = Instant::now();
        let (summary, stats, _) = import_folder_with_detection(&db, detector.clone(), &cfg, &card, &opts, &NoProgress)
            .await
            .expect("import");
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(stats.frames as usize, work.len(), "{summary:?}");
        db.close().await;
        ours_n += work.len();
        ours_s += secs;
        let square = py.add(python_bench(&args, &cfg, &cfg.model_path(), false));
        let rect = opened
            .as_ref()
            .and_then(|m| py_rect.add(python_bench(&args, &cfg, m, true)));
        repeats.push((work.len() as f64 / secs, square, rect));
    }
    let ours = ours_n as f64 / ours_s;
    let non_model = (ph.decode + ph.letterbox + ph.post + ph.store).as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / n as f64;
    println!(
        "images: {} files x {} rounds = {n}, input {} ({}), threads per session {}, batch {}, sessions {}",
        files.len(),
        args.rounds,
        args.size,
        detector.padding(),
        cfg.parallelism().1,
        detector.batch_size(),
        detector.sessions()
    );
    println!(
        "ours:   {ours:.2} images/s end to end (the folder import with detection); one session, timed by phase: {phased:.2} images/s ({boxes_total} boxes)"
    );
    println!(
        "        per image: decode {:.1} ms, letterbox {:.1} ms, infer {:.1} ms, decode+NMS {:.2} ms, store {:.2} ms",
        ms(ph.decode),
        ms(ph.letterbox),
        ms(ph.infer),
        ms(ph.post),
        ms(ph.store)
    );
    println!(
        "        non-model time: {:.1}% of inference time",
        100.0 * non_model / ph.infer.as_secs_f64()
    );
    let rate = |r: Option<f64>| r.map_or("failed".to_string(), |r| format!("{r:.2} images/s"));
    for (i, (o, p, r)) in repeats.iter().enumerate() {
        let rect = if opened.is_some() {
            format!(", python rect {}", rate(*r))
        } else {
            String::new()
        };
        println!("  repeat {}: ours {o:.2} images/s, python {}{rect}", i + 1, rate(*p));
    }
    if let Some(p) = py.rate() {
        println!(
            "python: {p:.2} images/s over all repeats (onnxruntime + Pillow + numpy, same threads, square letterbox)"
        );
        println!("ratio:  {:.2}x", ours / p);
    }
    if let Some(p) = py_rect.rate() {
        println!("python, padding as little as ours (rect, rows decoded in numpy): {p:.2} images/s");
        println!("ratio:  {:.2}x", ours / p);
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Store rows for one chunk of benchmark images: media and their detections.
fn rows(
    chunk: &[(usize, &PathBuf)],
    imgs: &[image::RgbImage],
    found: &[Vec<trailmesh_vision::PixelBox>],
    detector: &str,
    pass: &str,
) -> Batch {
    let mut batch = Batch::default();
    batch.cameras.push(Camera::new("BENCH", "bench"));
    let now = from_ms(1_717_200_000_000);
    batch.deployments.push(bench_deployment(now));
    {
        for (((round, file), img), boxes) in chunk.iter().zip(imgs).zip(found) {
            let media_id = format!("m-{pass}{round}-{}", file.display());
            batch.media.push(Media {
                id: media_id.clone(),
                deployment_id: "dep-bench".into(),
                camera_id: "BENCH".into(),
                timestamp: now,
                timestamp_source: TimestampSource::Imported,
                file_path: file.display().to_string(),
                file_name: None,
                media_type: "image/jpeg".into(),
                capture_method: None,
                file_public: false,
                favorite: None,
                frame_rate: None,
                comments: None,
            });
            for (k, b) in boxes.iter().enumerate() {
                batch.detections.push(Detection {
                    id: format!("{media_id}-{k}"),
                    media_id: media_id.clone(),
                    camera_id: "BENCH".into(),
                    deployment_id: "dep-bench".into(),
                    timestamp: now,
                    frame_number: None,
                    observation_type: ObservationType::Animal,
                    scientific_name: None,
                    count: Some(1),
                    life_stage: None,
                    sex: None,
                    behavior: None,
                    individual_id: None,
                    confidence: Some(f64::from(b.score)),
                    bbox: Some(b.normalised(img.width(), img.height())),
                    classification_method: Some(ClassificationMethod::Machine),
                    classified_by: Some(detector.to_string()),
                    classification_probability: None,
                    event_id: None,
                    track_id: None,
                });
            }
        }
    }
    batch
}

/// Images and seconds of the Python runs.
#[derive(Default)]
struct Tally {
    images: f64,
    seconds: f64,
}

impl Tally {
    /// Adds a run; returns its rate.
    fn add(&mut self, run: Option<(f64, f64)>) -> Option<f64> {
        let (images, seconds) = run?;
        self.images += images;
        self.seconds += seconds;
        Some(images / seconds)
    }

    fn rate(&self) -> Option<f64> {
        (self.seconds > 0.0).then(|| self.images / self.seconds)
    }
}

/// One run of the Python pipeline on `model` (`rect`: the opened model, padding to a multiple
/// of 32): images and seconds, or `None` (the reason is printed).
fn python_bench(args: &Args, cfg: &VisionConfig, model: &Path, rect: bool) -> Option<(f64, f64)> {
    let python = args.python.clone().unwrap_or_else(|| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/detect.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg("--bench")
        .arg(model)
        .env("BENCH_RECT", if rect { "1" } else { "0" })
        .arg(args.size.to_string())
        .arg(&args.dir)
        .arg(args.rounds.to_string())
        // The same thread budget as ours: sessions x threads.
        .env("BENCH_THREADS", {
            let (sessions, threads) = cfg.parallelism();
            (sessions * threads).to_string()
        })
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("python bench JSON");
            Some((v["images"].as_f64()?, v["seconds"].as_f64()?))
        }
        Ok(o) => {
            println!(
                "python: failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            println!(
                "python: cannot run {python} ({e}); set VISION_PYTHON to a Python with onnxruntime, numpy, Pillow"
            );
            None
        }
    }
}

fn bench_deployment(t: Timestamp) -> Deployment {
    Deployment {
        id: "dep-bench".into(),
        camera_id: "BENCH".into(),
        location_id: None,
        location_name: None,
        latitude: None,
        longitude: None,
        start: t,
        end: t,
        utc_offset_min: 0,
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
    }
}
