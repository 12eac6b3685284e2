//! MegaDetector 1.6 import and export, and the SD-card folder import, on real SQLite files.

mod common;

use std::path::{Path, PathBuf};
use trailmesh_core::import::{ImportError, NoProgress};
use trailmesh_core::media_folder::{FolderImportOptions, import_folder};
use trailmesh_core::megadetector::{self, MdImportOptions, import_file};
use trailmesh_core::model::*;
use trailmesh_core::store::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/megadetector")
        .join(name)
}

fn opts() -> MdImportOptions {
    MdImportOptions::default()
}

#[tokio::test]
async fn a_speciesnet_results_file_imports_with_cameras_times_species_and_video_frames() {
    let (store, _dir) = common::sqlite().await;
    let summary = import_file(&store, &fixture("speciesnet-1.6.json"), &opts(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(summary.report.media.inserted, 5, "the failed image is skipped");
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.contains("RCNX0102") && w.contains("failed")),
        "{:?}",
        summary.warnings
    );
    assert_eq!(summary.report.detections.inserted, 7);

    let cams: Vec<String> = store.cameras().await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(cams, ["CREEK-01", "RIDGE-02"], "cameras come from the folders");
    let deps = store.deployments(None).await.unwrap();
    assert_eq!(deps.len(), 2);
    let creek = deps.iter().find(|d| d.camera_id == "CREEK-01").unwrap();
    assert_eq!(format_with_offset(creek.start, -360), "2024-05-01T06:12:00-06:00");
    assert_eq!(format_with_offset(creek.end, -360), "2024-05-01T13:40:00-06:00");
    assert_eq!(creek.latitude, None, "MegaDetector files carry no coordinates");

    let species: Vec<(String, Option<String>)> = store
        .species()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.scientific_name, s.common_name))
        .collect();
    assert_eq!(
        species,
        [
            ("Odocoileus hemionus".to_string(), Some("mule deer".to_string())),
            ("Vulpes vulpes".to_string(), Some("red fox".to_string()))
        ]
    );

    let dets = store
        .detections(&DetectionQuery {
            camera_id: Some("RIDGE-02".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let person = dets
        .iter()
        .find(|d| d.observation_type == ObservationType::Human)
        .unwrap();
    assert_eq!(
        person.confidence,
        Some(0.012),
        "low-confidence boxes are kept unless asked otherwise"
    );
    let fox = dets
        .iter()
        .find(|d| d.scientific_name.as_deref() == Some("Vulpes vulpes"))
        .unwrap();
    assert_eq!(fox.classification_probability, Some(0.77));
    assert_eq!(fox.classified_by.as_deref(), Some("speciesnet-4.0.1a"));
    let bbox = fox.bbox.unwrap();
    assert_eq!((bbox.x, bbox.y, bbox.width, bbox.height), (0.42, 0.55, 0.12, 0.1));

    let video_frames: Vec<(Option<i64>, String)> = dets
        .iter()
        .filter(|d| d.frame_number.is_some())
        .map(|d| (d.frame_number, format_with_offset(d.timestamp, -360)))
        .collect();
    assert_eq!(
        video_frames,
        [
            (Some(30), "2024-05-03T05:30:01-06:00".to_string()),
            (Some(60), "2024-05-03T05:30:02-06:00".to_string())
        ],
        "frame times are the video's start plus frame / frame rate"
    );
    let video = store
        .media(&MediaQuery {
            camera_id: Some("RIDGE-02".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        video
            .iter()
            .any(|m| m.media_type == "video/mp4" && m.frame_rate == Some(30.0))
    );
}

#[tokio::test]
async fn importing_the_same_file_twice_adds_nothing() {
    let (store, _dir) = common::sqlite().await;
    import_file(&store, &fixture("speciesnet-1.6.json"), &opts(), &NoProgress)
        .await
        .unwrap();
    let before = store.counts().await.unwrap();
    let again = import_file(&store, &fixture("speciesnet-1.6.json"), &opts(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(again.report.inserted(), 0);
    assert_eq!(store.counts().await.unwrap(), before);
}

#[tokio::test]
async fn min_confidence_drops_weak_boxes() {
    let (store, _dir) = common::sqlite().await;
    let o = MdImportOptions {
        min_confidence: 0.2,
        ..opts()
    };
    let s = import_file(&store, &fixture("speciesnet-1.6.json"), &o, &NoProgress)
        .await
        .unwrap();
    assert_eq!(s.report.detections.inserted, 6);
}

#[tokio::test]
async fn export_then_import_gives_back_the_same_media_and_detections() {
    let (store, dir) = common::sqlite().await;
    store.ingest(&common::small_study(), None).await.unwrap();
    let out = dir.path().join("out/results.json");
    let n = megadetector::export_file(&store, &out, &NoProgress).await.unwrap();
    assert_eq!(n, 5);
    let text = std::fs::read_to_string(&out).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["info"]["format_version"], "1.6");
    assert_eq!(json["detection_categories"]["1"], "animal");
    assert_eq!(
        json["images"][0]["detections"][0]["bbox"],
        serde_json::json!([0.1, 0.3, 0.2, 0.25])
    );

    let (fresh, fresh_dir) = common::sqlite().await;
    import_file(&fresh, &out, &opts(), &NoProgress).await.unwrap();
    let before: Vec<(String, String, i64)> = store
        .media(&MediaQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.camera_id, m.file_path, to_ms(m.timestamp)))
        .collect();
    let after: Vec<(String, String, i64)> = fresh
        .media(&MediaQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.camera_id, m.file_path, to_ms(m.timestamp)))
        .collect();
    assert_eq!(before, after);
    type Boxes = Vec<(String, Option<String>, ObservationType, Option<[f64; 4]>)>;
    let boxes = |v: Vec<Detection>| -> Boxes {
        let mut v: Vec<_> = v
            .into_iter()
            .map(|d| {
                (
                    d.camera_id,
                    d.scientific_name,
                    d.observation_type,
                    d.bbox.map(|b| [b.x, b.y, b.width, b.height]),
                )
            })
            .collect();
        v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        v
    };
    assert_eq!(
        boxes(store.detections(&DetectionQuery::default()).await.unwrap()),
        boxes(fresh.detections(&DetectionQuery::default()).await.unwrap())
    );
    // And the export of the re-imported data is the same file.
    let out2 = fresh_dir.path().join("again.json");
    megadetector::export_file(&fresh, &out2, &NoProgress).await.unwrap();
    assert_eq!(text, std::fs::read_to_string(&out2).unwrap());
}

/// Writes `text` as a results file and imports it, expecting a refusal that leaves the
/// database as it was. Returns the error text.
async fn refused(text: &str) -> String {
    let (store, dir) = common::sqlite().await;
    import_file(&store, &fixture("speciesnet-1.6.json"), &opts(), &NoProgress)
        .await
        .unwrap();
    let before = store.counts().await.unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, text).unwrap();
    let err = import_file(&store, &path, &opts(), &NoProgress).await.unwrap_err();
    assert_eq!(store.counts().await.unwrap(), before, "the database is unchanged");
    assert!(matches!(err, ImportError::Input(_) | ImportError::Inputs(_)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("bad.json"), "names the file: {msg}");
    msg
}

#[tokio::test]
async fn a_truncated_file_is_refused_with_its_line() {
    let full = std::fs::read_to_string(fixture("speciesnet-1.6.json")).unwrap();
    let cut = &full[..full.len() / 2];
    let msg = refused(cut).await;
    let lines = cut.lines().count();
    assert!(
        msg.contains(&format!("line {lines}")) && msg.contains("truncated"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_wrong_type_names_the_field() {
    let text = std::fs::read_to_string(fixture("speciesnet-1.6.json"))
        .unwrap()
        .replacen("\"conf\": 0.93", "\"conf\": \"high\"", 1);
    let msg = refused(&text).await;
    assert!(
        msg.contains("images[0].detections[0].conf") && msg.contains("line 27"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_box_outside_the_frame_names_line_and_field() {
    let text = std::fs::read_to_string(fixture("speciesnet-1.6.json"))
        .unwrap()
        .replacen("[0.42, 0.55, 0.12, 0.1]", "[0.42, 1.55, 0.12, 0.1]", 1);
    let msg = refused(&text).await;
    assert!(
        msg.contains("images[3].detections[0].bbox") && msg.contains("line 47") && msg.contains("normalised"),
        "{msg}"
    );
}

#[tokio::test]
async fn an_unknown_category_is_refused() {
    let text = std::fs::read_to_string(fixture("speciesnet-1.6.json"))
        .unwrap()
        .replacen("\"category\": \"2\"", "\"category\": \"7\"", 1);
    let msg = refused(&text).await;
    assert!(
        msg.contains("category '7'") && msg.contains("detections[1].category"),
        "{msg}"
    );
}

#[tokio::test]
async fn an_image_without_any_time_is_refused_with_a_hint() {
    let text = std::fs::read_to_string(fixture("speciesnet-1.6.json"))
        .unwrap()
        .replacen("\"datetime\": \"2024-05-01T13:40:00-06:00\",", "", 1);
    let msg = refused(&text).await;
    assert!(
        msg.contains("RCNX0003.JPG") && msg.contains("--media-root") && msg.contains("line 39"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_file_that_is_not_json_is_refused() {
    let jpeg = common::jpeg_with_exif("2024:05:01 06:12:00", None);
    let msg = refused(&String::from_utf8_lossy(&jpeg)).await;
    assert!(msg.contains("not valid JSON") || msg.contains("not UTF-8"), "{msg}");
    let msg = refused("{\"images\": []}").await;
    assert!(msg.contains("missing field `info`"), "{msg}");
}

#[tokio::test]
async fn times_are_read_from_the_images_when_the_file_has_none() {
    let (store, dir) = common::sqlite().await;
    let root = dir.path().join("card");
    std::fs::create_dir_all(root.join("CREEK-01")).unwrap();
    std::fs::write(
        root.join("CREEK-01/RCNX0001.JPG"),
        common::jpeg_with_exif("2024:05:01 06:12:00", None),
    )
    .unwrap();
    let results = dir.path().join("results.json");
    std::fs::write(
        &results,
        r#"{"info": {"format_version": "1.4", "detector": "md_v5a.0.0.pt"},
            "detection_categories": {"1": "animal"},
            "images": [{"file": "CREEK-01/RCNX0001.JPG", "detections": [{"category": "1", "conf": 0.9, "bbox": [0.1, 0.1, 0.2, 0.2]}]}]}"#,
    )
    .unwrap();
    let o = MdImportOptions {
        media_root: Some(root),
        utc_offset_min: -360,
        ..opts()
    };
    import_file(&store, &results, &o, &NoProgress).await.unwrap();
    let m = store.media(&MediaQuery::default()).await.unwrap();
    assert_eq!(m[0].timestamp_source, TimestampSource::Exif);
    assert_eq!(format_with_offset(m[0].timestamp, -360), "2024-05-01T06:12:00-06:00");
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test]
async fn an_sd_card_folder_imports_with_exif_name_and_file_times() {
    let (store, dir) = common::sqlite().await;
    let card = dir.path().join("MEADOW-03");
    write(
        &card.join("DCIM/100MEDIA/IMG_0001.JPG"),
        &common::jpeg_with_exif("2024:05:01 06:12:00", None),
    );
    write(
        &card.join("DCIM/100MEDIA/IMG_0002.JPG"),
        &common::jpeg_with_exif("2024:05:01 07:00:00", Some("-05:00")),
    );
    write(
        &card.join("DCIM/100MEDIA/VID_20240502_053000.MP4"),
        b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom",
    );
    write(
        &card.join("DCIM/100MEDIA/PICT0003.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    );
    write(&card.join("notes.txt"), b"battery swapped");
    write(&card.join(".hidden.jpg"), b"junk");
    let o = FolderImportOptions {
        camera: None,
        utc_offset_min: -360,
        skip_bad: false,
    };
    let s = import_folder(&store, &card, &o, &NoProgress).await.unwrap();
    assert_eq!(s.report.media.inserted, 4);
    assert_eq!(s.report.cameras.inserted, 1);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("PICT0003.png") && w.contains("modification time")),
        "{:?}",
        s.warnings
    );
    let media = store.media(&MediaQuery::default()).await.unwrap();
    let by_name = |n: &str| media.iter().find(|m| m.file_name.as_deref() == Some(n)).unwrap();
    assert_eq!(by_name("IMG_0001.JPG").camera_id, "MEADOW-03");
    assert_eq!(by_name("IMG_0001.JPG").timestamp_source, TimestampSource::Exif);
    assert_eq!(
        format_with_offset(by_name("IMG_0001.JPG").timestamp, -360),
        "2024-05-01T06:12:00-06:00"
    );
    assert_eq!(
        format_with_offset(by_name("IMG_0002.JPG").timestamp, -360),
        "2024-05-01T06:00:00-06:00",
        "OffsetTimeOriginal wins over the configured offset"
    );
    assert_eq!(
        by_name("VID_20240502_053000.MP4").timestamp_source,
        TimestampSource::FileName
    );
    assert_eq!(by_name("VID_20240502_053000.MP4").media_type, "video/mp4");
    assert_eq!(by_name("PICT0003.png").timestamp_source, TimestampSource::FileModified);
    // Twice: nothing new.
    let again = import_folder(&store, &card, &o, &NoProgress).await.unwrap();
    assert_eq!(again.report.inserted(), 0, "{:?}", again.report);
}

#[tokio::test]
async fn a_file_that_is_not_what_its_name_says_stops_the_folder_import() {
    let (store, dir) = common::sqlite().await;
    let card = dir.path().join("CARD");
    write(
        &card.join("IMG_0001.JPG"),
        &common::jpeg_with_exif("2024:05:01 06:12:00", None),
    );
    write(&card.join("IMG_0002.JPG"), b"<html>this is a web page</html>");
    let o = FolderImportOptions {
        camera: Some("CREEK-01".into()),
        utc_offset_min: 0,
        skip_bad: false,
    };
    let before = store.counts().await.unwrap();
    let err = import_folder(&store, &card, &o, &NoProgress).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("IMG_0002.JPG") && msg.contains("image/jpeg") && msg.contains("3c 68 74 6d"),
        "{msg}"
    );
    assert_eq!(store.counts().await.unwrap(), before);
    let o = FolderImportOptions { skip_bad: true, ..o };
    let s = import_folder(&store, &card, &o, &NoProgress).await.unwrap();
    assert_eq!(s.report.media.inserted, 1);
    assert!(s.warnings.iter().any(|w| w.contains("IMG_0002.JPG")));
}
