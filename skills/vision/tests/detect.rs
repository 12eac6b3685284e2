//! The detector and the whole pipeline on real photos, with the real model and ONNX Runtime.
//!
//! Needs ONNX Runtime 1.31 (`trailmesh vision setup`, or ORT_DYLIB_PATH; `tests/run-all.sh`
//! provisions it) and, for the video test, the `ffmpeg` program. Fails, never skips, when
//! either is missing.

use image::RgbImage;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use trailmesh_core::import::NoProgress;
use trailmesh_core::media_folder::FolderImportOptions;
use trailmesh_core::store::{DetectionQuery, EventQuery, Store};
use trailmesh_vision::detector::{InputShape, PixelBox};
use trailmesh_vision::onnx_graph;
use trailmesh_vision::pipeline::{self, CameraRun, DetectImportOptions, FrameInfo};
use trailmesh_vision::{Detector, Letterbox, VisionConfig};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn detector(size: u32) -> &'static Arc<Detector> {
    static D640: OnceLock<Arc<Detector>> = OnceLock::new();
    static D416: OnceLock<Arc<Detector>> = OnceLock::new();
    let cell = if size == 640 { &D640 } else { &D416 };
    cell.get_or_init(|| {
        let cfg = VisionConfig {
            input_size: size,
            ..Default::default()
        };
        Arc::new(Detector::load(&cfg).unwrap_or_else(|e| panic!("the detector must load for these tests: {e}")))
    })
}

fn iou(a: &PixelBox, b: &[f64]) -> f64 {
    let other = PixelBox {
        x0: b[0] as f32,
        y0: b[1] as f32,
        x1: b[2] as f32,
        y1: b[3] as f32,
        score: 0.0,
    };
    f64::from(a.iou(&other))
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap()
}

fn check_photos(size: u32) {
    let d = detector(size);
    let exp = expected();
    for (file, boxes) in exp["animals"].as_object().unwrap() {
        let img = pipeline::read_image(&fixtures().join(file)).unwrap();
        let found = d.detect(&img).unwrap();
        for want in boxes.as_array().unwrap() {
            let want: Vec<f64> = want.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            let best = found.iter().map(|f| iou(f, &want)).fold(0.0, f64::max);
            assert!(
                best >= 0.5,
                "{file} at {size}: no detection matches {want:?} (best IoU {best:.2}); found {found:?}"
            );
        }
    }
    for file in exp["empty"].as_array().unwrap() {
        let file = file.as_str().unwrap();
        let img = pipeline::read_image(&fixtures().join(file)).unwrap();
        let found = d.detect(&img).unwrap();
        assert!(found.is_empty(), "{file} at {size} has no animal, found {found:?}");
    }
}

#[test]
fn animals_in_real_photos_are_found_at_640_and_empty_scenes_give_nothing() {
    check_photos(640);
}

#[test]
fn animals_in_real_photos_are_found_at_416() {
    check_photos(416);
}

/// The default letterbox pads only to a multiple of 32; the boxes must be those of the model
/// run on the full square, as exported.
fn check_rect_against_square(size: u32) {
    let rect = detector(size);
    assert!(rect.rect_input(), "the shipped model's input is freed from its square");
    let square = Detector::load(&VisionConfig {
        input_size: size,
        letterbox: Letterbox::Square,
        sessions: 1,
        ..Default::default()
    })
    .unwrap();
    assert!(!square.rect_input());
    let mut saved = 0.0;
    let mut matched = Vec::new();
    for file in ["horses.jpg", "person.jpg", "chelsea.png", "grass.png", "gravel.png"] {
        let img = pipeline::read_image(&fixtures().join(file)).unwrap();
        let shape = rect.input_shape(img.width(), img.height());
        let s = size as usize;
        assert!(
            shape.width <= s && shape.height <= s && shape.width.is_multiple_of(32) && shape.height.is_multiple_of(32)
        );
        assert_eq!(square.input_shape(img.width(), img.height()), InputShape::square(s));
        saved += 1.0 - (shape.width * shape.height) as f64 / (s * s) as f64;
        let (r, q) = (rect.detect(&img).unwrap(), square.detect(&img).unwrap());
        // Every clear box of the square run is found again, in about the same place, with
        // about the same score. The padding the rectangle drops is below the image, so boxes
        // reaching its bottom edge move most.
        for w in q.iter().filter(|b| b.score >= 0.35) {
            let best = r.iter().max_by(|a, b| a.iou(w).total_cmp(&b.iou(w))).copied();
            let best = best.unwrap_or_else(|| panic!("{file} at {size}: {w:?} lost; rect {r:?}"));
            matched.push((file, best.iou(w), (best.score - w.score).abs()));
        }
        assert!(
            r.iter().filter(|b| b.score >= 0.35).count() <= q.len(),
            "{file}: {r:?} vs {q:?}"
        );
    }
    let worst = matched.iter().map(|m| m.1).fold(1.0, f32::min);
    let mean = matched.iter().map(|m| m.1).sum::<f32>() / matched.len() as f32;
    let score = matched.iter().map(|m| m.2).fold(0.0, f32::max);
    assert!(
        matched.len() >= 6 && worst >= 0.7 && mean >= 0.9 && score < 0.1,
        "at {size}, IoU and score change of each box: {matched:?}"
    );
    // horses, person and chelsea are 3:2 (640 x 448 or 416 x 288 instead of a square).
    assert!(saved > 0.8, "input area saved over the five photos: {saved}");
}

#[test]
fn a_rectangular_input_finds_the_boxes_of_the_square_one_at_640() {
    check_rect_against_square(640);
    let d = detector(640);
    // Image width and height, then the input's height and width.
    for (w, h, height, width) in [
        (773, 512, 448, 640),
        (640, 480, 480, 640),
        (1920, 1080, 384, 640),
        (480, 640, 640, 480),
    ] {
        assert_eq!(d.input_shape(w, h), InputShape { height, width }, "{w} x {h}");
    }
}

#[test]
fn a_rectangular_input_finds_the_boxes_of_the_square_one_at_416() {
    check_rect_against_square(416);
}

#[test]
fn the_shipped_models_open_and_an_opened_one_is_not_opened_twice() {
    for size in [640, 416] {
        let path = VisionConfig {
            input_size: size,
            ..Default::default()
        }
        .model_path();
        let bytes = std::fs::read(&path).unwrap();
        let opened = onnx_graph::open_input(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(opened.strides, [8, 16, 32]);
        assert!(opened.model.len() < bytes.len(), "the decoding's constants are gone");
        // Its input is free now and its output the raw rows: nothing is left to open.
        let again = onnx_graph::open_input(&opened.model).unwrap_err();
        assert!(again.contains("not [N, 3, S, S]"), "{again}");
    }
}

#[test]
fn a_batch_gives_the_same_boxes_as_single_images() {
    let cfg = VisionConfig {
        batch_size: 4,
        sessions: 1,
        ..Default::default()
    };
    let batched = Detector::load(&cfg).unwrap();
    assert_eq!(batched.batch_size(), 4);
    let d = detector(640);
    let a = pipeline::read_image(&fixtures().join("horses.jpg")).unwrap();
    let b = pipeline::read_image(&fixtures().join("person.jpg")).unwrap();
    // A square photo between them has another input shape: it runs on its own.
    let g = pipeline::read_image(&fixtures().join("grass.png")).unwrap();
    assert_ne!(
        batched.input_shape(a.width(), a.height()),
        batched.input_shape(g.width(), g.height())
    );
    let batch = batched.detect_batch(&[&a, &b, &g, &a]).unwrap();
    let single = [d.detect(&a).unwrap(), d.detect(&b).unwrap(), d.detect(&g).unwrap()];
    assert_eq!(batch.len(), 4);
    for (got, want) in batch.iter().zip([&single[0], &single[1], &single[2], &single[0]]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want.iter()) {
            assert!(g.iou(w) > 0.99 && (g.score - w.score).abs() < 1e-3, "{g:?} vs {w:?}");
        }
    }
}

/// A clip: the grey horse of `horses.jpg` walking left to right across the grass photo.
fn moving_horse_frames(n: u32) -> Vec<RgbImage> {
    let horses = pipeline::read_image(&fixtures().join("horses.jpg")).unwrap();
    let horse = image::imageops::crop_imm(&horses, 420, 208, 180, 143).to_image();
    let grass = pipeline::read_image(&fixtures().join("grass.png")).unwrap();
    let background = image::imageops::resize(&grass, 640, 480, image::imageops::FilterType::Triangle);
    (0..n)
        .map(|i| {
            let mut frame = background.clone();
            let x = 20 + i64::from(i) * 400 / i64::from(n.max(2) - 1);
            image::imageops::overlay(&mut frame, &horse, x, 200);
            frame
        })
        .collect()
}

#[test]
fn an_animal_crossing_the_frame_makes_one_event_with_a_track_heading_right() {
    let d = detector(640);
    let cfg = VisionConfig::default();
    let mut run = CameraRun::new(d.as_ref(), &cfg);
    let t0 = trailmesh_core::model::from_ms(1_717_200_000_000);
    // Two still frames of empty grass, then the horse crosses in 12 frames at 5 fps.
    let grass = pipeline::read_image(&fixtures().join("grass.png")).unwrap();
    let empty = image::imageops::resize(&grass, 640, 480, image::imageops::FilterType::Triangle);
    let mut frames = vec![empty.clone(), empty];
    frames.extend(moving_horse_frames(12));
    for (i, f) in frames.into_iter().enumerate() {
        let info = FrameInfo {
            media_id: "m-clip".into(),
            time: t0 + chrono::Duration::milliseconds(i as i64 * 200),
            video_frame: Some(i as i64),
        };
        run.push(info, f, true).unwrap();
    }
    let result = run.finish(cfg.events.gap_s).unwrap();
    assert!(
        result.stats.gated_in < result.stats.frames,
        "the gate let every frame through: {:?}",
        result.stats
    );
    assert_eq!(result.events.len(), 1, "{:#?}", result.events);
    let e = &result.events[0];
    assert_eq!(e.max_count, 1);
    let longest = e.tracks.iter().max_by_key(|t| t.points.len()).unwrap();
    assert!(
        longest.points.len() >= 10,
        "the horse is tracked across the clip: {longest:?}"
    );
    let heading = longest.heading_deg().unwrap();
    assert!((heading - 90.0).abs() < 20.0, "moving right, heading {heading}");
    assert!(longest.speed().unwrap() > 0.1, "about 0.28 frame widths per second");
}

/// Three cameras' runs with the horse crossing, through one shared detector at once.
#[test]
fn busy_cameras_share_model_runs_and_each_gets_its_own_boxes_and_event() {
    use std::sync::atomic::Ordering::Relaxed;
    use trailmesh_vision::batcher::{Detect, SharedDetector};
    let cfg = VisionConfig {
        input_size: 416,
        // Up to 4 frames per run (the CPU default is 1, which never combines).
        batch_size: 4,
        ..Default::default()
    };
    let shared = SharedDetector::start(Arc::new(Detector::load(&cfg).unwrap())).unwrap();

    // Submissions of different pictures, all waiting at once, come back as their own boxes.
    let direct = detector(416);
    let pictures: Vec<Arc<RgbImage>> = ["horses.jpg", "person.jpg", "grass.png", "horses.jpg", "gravel.png"]
        .iter()
        .map(|f| Arc::new(pipeline::read_image(&fixtures().join(f)).unwrap()))
        .collect();
    let tickets: Vec<_> = pictures
        .iter()
        .map(|p| shared.submit(vec![p.clone()]).unwrap())
        .collect();
    for (p, t) in pictures.iter().zip(tickets) {
        let got = t.wait().unwrap().pop().unwrap();
        let want = direct.detect(p).unwrap();
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(&want) {
            assert!(g.iou(w) > 0.99 && (g.score - w.score).abs() < 1e-3, "{g:?} vs {w:?}");
        }
    }

    let t0 = trailmesh_core::model::from_ms(1_717_200_000_000);
    let grass = pipeline::read_image(&fixtures().join("grass.png")).unwrap();
    let empty = image::imageops::resize(&grass, 640, 480, image::imageops::FilterType::Triangle);
    let runs_before = shared.stats().runs.load(Relaxed);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|cam| {
                let (shared, empty) = (&shared, empty.clone());
                let mut cfg = cfg.clone();
                // One camera keeps what a vision-language model would be shown.
                cfg.describe.enabled = cam == 0;
                s.spawn(move || {
                    let mut run = CameraRun::new(shared, &cfg);
                    let mut frames = vec![empty.clone(), empty];
                    frames.extend(moving_horse_frames(12));
                    for (i, f) in frames.into_iter().enumerate() {
                        let info = FrameInfo {
                            media_id: format!("m-cam{cam}"),
                            time: t0 + chrono::Duration::milliseconds(i as i64 * 200),
                            video_frame: Some(i as i64),
                        };
                        run.push(info, f, true).unwrap();
                    }
                    run.finish(cfg.events.gap_s).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let gated: u64 = results.iter().map(|r| r.stats.gated_in).sum();
    for (cam, r) in results.iter().enumerate() {
        assert_eq!(r.events.len(), 1, "camera {cam}: {:#?}", r.events);
        let longest = r.events[0].tracks.iter().max_by_key(|t| t.points.len()).unwrap();
        assert!(longest.points.len() >= 10, "camera {cam}: {longest:?}");
        assert!((longest.heading_deg().unwrap() - 90.0).abs() < 20.0, "camera {cam}");
        let frames = pipeline::event_frames(r, 3, 256).unwrap();
        if cam == 0 {
            assert_eq!(frames[0].len(), 3, "first, best and last frames");
            for jpeg in &frames[0] {
                let f = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg).unwrap();
                assert_eq!((f.width(), f.height()), (256, 192), "scaled to the longest side");
            }
            assert_eq!(pipeline::event_frames(r, 1, 256).unwrap()[0].len(), 1);
        } else {
            assert!(frames[0].is_empty(), "frames are kept only for descriptions");
        }
    }
    let stats = shared.stats();
    let runs = stats.runs.load(Relaxed) - runs_before;
    assert!(
        runs < gated,
        "{gated} frames in {runs} runs: frames of busy cameras share runs"
    );
    assert!(stats.combined_runs.load(Relaxed) > 0);
}

#[tokio::test]
async fn a_folder_of_photos_and_a_video_imports_with_detections_tracks_and_events() {
    let d = detector(640);
    let mut cfg = VisionConfig::default();
    // Keep the frames a vision-language model would be shown (no model is called here).
    cfg.describe.enabled = true;
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("CREEK-01");
    std::fs::create_dir_all(&card).unwrap();
    // Photos with times in their names, and a video made from the moving-horse clip.
    std::fs::copy(fixtures().join("horses.jpg"), card.join("IMG_20240501_061200.jpg")).unwrap();
    std::fs::copy(fixtures().join("horses.jpg"), card.join("IMG_20240501_061201.jpg")).unwrap();
    std::fs::copy(fixtures().join("grass.png"), card.join("IMG_20240501_090000.png")).unwrap();
    let frames_dir = dir.path().join("frames");
    std::fs::create_dir_all(&frames_dir).unwrap();
    for (i, f) in moving_horse_frames(15).iter().enumerate() {
        f.save(frames_dir.join(format!("{i:03}.png"))).unwrap();
    }
    let video = card.join("VID_20240501_120000.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-framerate", "5", "-i"])
        .arg(frames_dir.join("%03d.png"))
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .arg(&video)
        .status()
        .expect("ffmpeg must be installed for this test (Debian: apt-get install ffmpeg)");
    assert!(status.success());

    let store = Store::open_sqlite_file(&dir.path().join("t.db")).await.unwrap();
    let thumbs = dir.path().join("thumbnails");
    let opts = DetectImportOptions {
        folder: FolderImportOptions::default(),
        thumbnails: Some(thumbs.clone()),
    };
    let (summary, stats, to_describe) =
        pipeline::import_folder_with_detection(&store, d.clone(), &cfg, &card, &opts, &NoProgress)
            .await
            .unwrap();
    assert_eq!(summary.kind, "media-folder+detector");
    let events = store.events(&EventQuery::default()).await.unwrap();
    // Morning photos (one burst), and the video three hours later: two events.
    assert_eq!(events.len(), 2, "{events:#?}\n{stats:?}");
    let photo_event = &events[0];
    assert!(
        photo_event.count.unwrap() >= 3,
        "several horses at once: {photo_event:?}"
    );
    assert!(photo_event.scientific_name.is_none());
    assert!(
        photo_event
            .description
            .as_deref()
            .unwrap()
            .starts_with(pipeline::UNDESCRIBED)
    );
    let mut described: Vec<&str> = to_describe.iter().map(|(id, _)| id.as_str()).collect();
    described.sort();
    let mut ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    assert_eq!(described, ids, "every event has its frames for a description");
    for (id, frames) in &to_describe {
        assert!((1..=3).contains(&frames.len()), "{id}: {}", frames.len());
        for f in frames {
            let img = image::load_from_memory_with_format(f, image::ImageFormat::Jpeg).unwrap();
            assert!(img.width().max(img.height()) <= cfg.describe.image_side);
        }
    }
    for e in &events {
        let thumb = image::open(thumbs.join(format!("{}.jpg", e.id))).expect("thumbnail of the event");
        assert!(thumb.width() <= cfg.events.thumbnail_width, "{}", thumb.width());
        assert!(!e.deployment_id.is_empty());
    }
    let video_event = &events[1];
    assert_eq!(video_event.count, Some(1));
    let tracks = store.tracks(Some(&video_event.id)).await.unwrap();
    let main = tracks.iter().max_by_key(|t| t.frames).unwrap();
    assert!(main.frames >= 10, "{tracks:?}");
    assert!((main.heading_deg.unwrap() - 90.0).abs() < 20.0, "{main:?}");
    // Nothing on the grass photo.
    let media = store.media(&Default::default()).await.unwrap();
    let grass = media
        .iter()
        .find(|m| m.file_name.as_deref() == Some("IMG_20240501_090000.png"))
        .unwrap();
    let on_grass = store
        .detections(&DetectionQuery {
            media_id: Some(grass.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(on_grass.is_empty(), "{on_grass:?}");
    // The same folder again adds nothing.
    let (again, _, _) = pipeline::import_folder_with_detection(&store, d.clone(), &cfg, &card, &opts, &NoProgress)
        .await
        .unwrap();
    assert_eq!(again.report.inserted(), 0, "{:?}", again.report);
    // The results export as MegaDetector JSON with the boxes.
    let md = trailmesh_core::megadetector::export(&store, &NoProgress).await.unwrap();
    let json = serde_json::to_value(&md).unwrap();
    let boxes: usize = json["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["detections"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(boxes >= 8 + 10, "photo and video boxes exported: {boxes}");
}

#[test]
fn boxes_match_the_independent_python_pipeline() {
    let python = std::env::var("VISION_PYTHON")
        .expect("VISION_PYTHON must name a Python with onnxruntime, numpy and Pillow (tests/run-all.sh sets it)");
    let d = detector(640);
    let files = ["horses.jpg", "person.jpg", "chelsea.png", "grass.png"];
    let out = std::process::Command::new(&python)
        .arg(fixtures().join("../reference/detect.py"))
        .arg(VisionConfig::default().model_path())
        .arg("640")
        .args(files.iter().map(|f| fixtures().join(f)))
        .output()
        .expect("run the Python reference");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let reference: Value = serde_json::from_slice(&out.stdout).unwrap();
    for file in files {
        let img = pipeline::read_image(&fixtures().join(file)).unwrap();
        let ours = d.detect(&img).unwrap();
        let theirs = reference[file].as_array().unwrap();
        // Boxes the reference finds with a clear score must be ours too (resampling differs
        // slightly between Pillow and our letterbox, so borderline boxes may come and go).
        for t in theirs {
            let t: Vec<f64> = t.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            if t[4] < 0.35 {
                continue;
            }
            let best = ours
                .iter()
                .map(|o| (iou(o, &t), o.score))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .unwrap_or((0.0, 0.0));
            assert!(
                best.0 >= 0.8,
                "{file}: reference box {t:?} not found (best IoU {:.2}); ours {ours:?}",
                best.0
            );
            assert!(
                (f64::from(best.1) - t[4]).abs() < 0.1,
                "{file}: score {} vs reference {}",
                best.1,
                t[4]
            );
        }
    }
}
