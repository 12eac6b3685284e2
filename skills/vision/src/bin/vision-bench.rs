//! Benchmark: a folder of images end to end (decode, letterbox, infer, decode + NMS, track,
//! store) through our import, then the independent Python ONNX Runtime pipeline
//! (`tests/reference/detect.py --bench`) on the same images and model in the same run.
//!
//! ```text
//! vision-bench [--dir DIR] [--size 640|416] [--rounds N] [--repeats N] [--threads N]
//!              [--batch N] [--sessions N] [--python PY]
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
use trailmesh_vision::detector::letterbox_into;
use trailmesh_vision::pipeline::{DetectImportOptions, import_folder_with_detection, read_image};
use trailmesh_vision::{Detector, VisionConfig};

struct Args {
    dir: PathBuf,
    size: u32,
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
    let size = args.size as usize;
    let slot = 3 * size * size;
    let mut input = vec![0f32; slot * detector.batch_size()];
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
        let input = &mut input[..slot * imgs.len()];
        input.fill(0.0);
        let ratios: Vec<f32> = imgs
            .iter()
            .zip(input.chunks_exact_mut(slot))
            .map(|(img, out)| letterbox_into(img, size, out))
            .collect();
        ph.letterbox += t.elapsed();

        let t = Instant::now();
        let out = detector.run_raw(input, imgs.len()).unwrap();
        ph.infer += t.elapsed();

        let t = Instant::now();
        let per = out.len() / imgs.len();
        let found: Vec<_> = imgs
            .iter()
            .enumerate()
            .map(|(i, img)| detector.postprocess(&out[i * per..(i + 1) * per], ratios[i], img.width(), img.height()))
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
    let (mut ours_n, mut ours_s, mut py_n, mut py_s) = (0usize, 0f64, 0f64, 0f64);
    let mut pairs = Vec::new();
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
        let py = python_bench(&args, &cfg);
        if let Some((images, seconds)) = py {
            py_n += images;
            py_s += seconds;
        }
        pairs.push((work.len() as f64 / secs, py.map(|(i, s)| i / s)));
    }
    let ours = ours_n as f64 / ours_s;
    let non_model = (ph.decode + ph.letterbox + ph.post + ph.store).as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / n as f64;
    println!(
        "images: {} files x {} rounds = {n}, input {size}, threads per session {}, batch {}, sessions {}",
        files.len(),
        args.rounds,
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
    for (i, (o, p)) in pairs.iter().enumerate() {
        match p {
            Some(p) => println!("  repeat {}: ours {o:.2} images/s, python {p:.2} images/s", i + 1),
            None => println!("  repeat {}: ours {o:.2} images/s, python failed", i + 1),
        }
    }
    if py_s > 0.0 {
        let py = py_n / py_s;
        println!("python: {py:.2} images/s over all repeats (onnxruntime + Pillow + numpy, same threads)");
        println!("ratio:  {:.2}x", ours / py);
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

/// One run of the Python pipeline: images and seconds, or `None` (the reason is printed).
fn python_bench(args: &Args, cfg: &VisionConfig) -> Option<(f64, f64)> {
    let python = args.python.clone().unwrap_or_else(|| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/detect.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg("--bench")
        .arg(cfg.model_path())
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
