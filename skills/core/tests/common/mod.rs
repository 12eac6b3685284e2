//! Shared test support: real databases for the storage suite.
//!
//! SQLite: a file in a fresh temporary folder. PostgreSQL: a fresh schema in the database
//! named by `TRAILMESH_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/test`, the
//! server `tests/run-all.sh` makes sure is running). A PostgreSQL that cannot be reached
//! fails the test: it is not skipped.
#![allow(dead_code)]

use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;
use trailmesh_core::Store;

/// The PostgreSQL URL tests use.
pub fn pg_url() -> String {
    std::env::var("TRAILMESH_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A store on a fresh SQLite file; keep the TempDir alive as long as the store.
pub async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("trailmesh.db").display().to_string())
        .await
        .expect("open SQLite");
    (store, dir)
}

/// A store on a fresh PostgreSQL schema (dropped by [`PgSchema::drop`]).
pub async fn postgres() -> (Store, PgSchema) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let schema = format!(
        "tm_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let url = pg_url();
    let admin = sqlx::PgPool::connect(&url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} is not reachable ({e}); run tests through tests/run-all.sh, which starts it")
    });
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("create schema");
    let opts = PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let store = Store::open_postgres(opts).await.expect("open PostgreSQL");
    (store, PgSchema { admin, schema })
}

/// A throwaway schema.
pub struct PgSchema {
    admin: sqlx::PgPool,
    schema: String,
}

impl PgSchema {
    /// A second store (its own pool) on the same schema.
    pub async fn open_again(&self) -> Store {
        let opts = PgConnectOptions::from_str(&pg_url())
            .unwrap()
            .options([("search_path", self.schema.as_str())]);
        Store::open_postgres(opts).await.expect("open PostgreSQL again")
    }

    /// Drops the schema and everything in it.
    pub async fn drop(self) {
        let _ = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .execute(&self.admin)
            .await;
        self.admin.close().await;
    }
}

use trailmesh_core::model::*;
use trailmesh_core::store::Batch;

/// `2024-06-01T00:00:00Z` plus `minutes`.
pub fn t(minutes: i64) -> Timestamp {
    from_ms(1_717_200_000_000 + minutes * 60_000)
}

/// A small, hand-made study: two cameras, one malfunction, two events with tracks,
/// media and detections, a blank image, a person.
#[allow(clippy::field_reassign_with_default)] // reads better as a list of tables
pub fn small_study() -> Batch {
    let mut b = Batch::default();
    b.species = vec![
        Species {
            scientific_name: "Odocoileus hemionus".into(),
            common_name: Some("mule deer".into()),
            taxon_rank: Some("species".into()),
        },
        Species {
            scientific_name: "Vulpes vulpes".into(),
            common_name: Some("red fox".into()),
            taxon_rank: Some("species".into()),
        },
    ];
    let mut creek = Camera::new("CREEK-01", "Creek crossing");
    creek.latitude = Some(45.61);
    creek.longitude = Some(-111.02);
    creek.feature_type = Some(FeatureType::TrailGame);
    creek.habitat = Some("riparian woodland".into());
    creek.battery_pct = Some(81.0);
    let mut ridge = Camera::new("RIDGE-02", "North ridge saddle");
    ridge.latitude = Some(45.63);
    ridge.longitude = Some(-111.00);
    ridge.feature_type = Some(FeatureType::WaterSource);
    b.cameras = vec![creek, ridge];
    let dep = |id: &str, cam: &str, lat: f64, lon: f64| Deployment {
        id: id.into(),
        camera_id: cam.into(),
        location_id: Some(cam.into()),
        location_name: Some(format!("{cam} location")),
        latitude: Some(lat),
        longitude: Some(lon),
        start: t(0),
        end: t(60 * 24 * 10),
        utc_offset_min: -360,
        feature_type: Some(FeatureType::TrailGame),
        habitat: Some("forest".into()),
        camera_height: Some(0.9),
        camera_tilt: Some(-5.0),
        camera_heading: Some(180.0),
        detection_distance: Some(12.0),
        bait_use: Some(false),
        timestamp_issues: Some(false),
        setup_by: Some("field crew".into()),
        tags: None,
        comments: None,
    };
    b.deployments = vec![
        dep("dep-creek", "CREEK-01", 45.61, -111.02),
        dep("dep-ridge", "RIDGE-02", 45.63, -111.0),
    ];
    b.malfunctions = vec![Malfunction {
        id: "mal-1".into(),
        deployment_id: "dep-ridge".into(),
        start: t(60 * 24 * 3),
        end: t(60 * 24 * 5),
        reason: "battery dead".into(),
    }];
    let media = |id: &str, dep: &str, cam: &str, minute: i64| Media {
        id: id.into(),
        deployment_id: dep.into(),
        camera_id: cam.into(),
        timestamp: t(minute),
        timestamp_source: TimestampSource::Imported,
        file_path: format!("media/{cam}/{id}.JPG"),
        file_name: Some(format!("{id}.JPG")),
        media_type: "image/jpeg".into(),
        capture_method: Some(CaptureMethod::ActivityDetection),
        file_public: false,
        favorite: None,
        frame_rate: None,
        comments: None,
    };
    b.media = vec![
        media("m1", "dep-creek", "CREEK-01", 100),
        media("m2", "dep-creek", "CREEK-01", 101),
        media("m3", "dep-ridge", "RIDGE-02", 2000),
        media("m4", "dep-ridge", "RIDGE-02", 3000),
        media("m5", "dep-creek", "CREEK-01", 5000),
    ];
    let event = |id: &str, dep: &str, cam: &str, a: i64, z: i64, sp: &str, count: i64, beh: &str| Event {
        id: id.into(),
        deployment_id: dep.into(),
        camera_id: cam.into(),
        start: t(a),
        end: t(z),
        observation_type: ObservationType::Animal,
        scientific_name: Some(sp.into()),
        count: Some(count),
        life_stage: Some(LifeStage::Adult),
        sex: None,
        behavior: Some(beh.into()),
        individual_id: None,
        classification_method: Some(ClassificationMethod::Human),
        classified_by: Some("A. Ranger".into()),
        classification_probability: None,
        best_media_id: Some("m1".into()),
        description: Some("two deer cross the creek".into()),
    };
    b.events = vec![
        event(
            "e1",
            "dep-creek",
            "CREEK-01",
            100,
            101,
            "Odocoileus hemionus",
            2,
            "travelling|vigilance",
        ),
        event("e2", "dep-ridge", "RIDGE-02", 2000, 2000, "Vulpes vulpes", 1, "feeding"),
    ];
    b.tracks = vec![Track {
        id: "tr1".into(),
        event_id: "e1".into(),
        camera_id: "CREEK-01".into(),
        start: t(100),
        end: t(101),
        scientific_name: Some("Odocoileus hemionus".into()),
        individual_id: Some("deer-M1".into()),
        heading_deg: Some(90.0),
        speed: Some(0.4),
        frames: 2,
    }];
    let det = |id: &str,
               media: &str,
               dep: &str,
               cam: &str,
               minute: i64,
               ty: ObservationType,
               sp: Option<&str>,
               x: f64,
               ev: Option<&str>| Detection {
        id: id.into(),
        media_id: media.into(),
        camera_id: cam.into(),
        deployment_id: dep.into(),
        timestamp: t(minute),
        frame_number: None,
        observation_type: ty,
        scientific_name: sp.map(str::to_string),
        count: Some(1),
        life_stage: None,
        sex: None,
        behavior: None,
        individual_id: None,
        confidence: Some(0.91),
        bbox: Some(BBox {
            x,
            y: 0.3,
            width: 0.2,
            height: 0.25,
        }),
        classification_method: Some(ClassificationMethod::Machine),
        classified_by: Some("MegaDetector v5a".into()),
        classification_probability: Some(0.88),
        event_id: ev.map(str::to_string),
        track_id: ev.map(|_| "tr1".to_string()),
    };
    b.detections = vec![
        det(
            "d1",
            "m1",
            "dep-creek",
            "CREEK-01",
            100,
            ObservationType::Animal,
            Some("Odocoileus hemionus"),
            0.1,
            Some("e1"),
        ),
        det(
            "d2",
            "m1",
            "dep-creek",
            "CREEK-01",
            100,
            ObservationType::Animal,
            Some("Odocoileus hemionus"),
            0.5,
            Some("e1"),
        ),
        det(
            "d3",
            "m2",
            "dep-creek",
            "CREEK-01",
            101,
            ObservationType::Animal,
            Some("Odocoileus hemionus"),
            0.3,
            Some("e1"),
        ),
        det(
            "d4",
            "m3",
            "dep-ridge",
            "RIDGE-02",
            2000,
            ObservationType::Animal,
            Some("Vulpes vulpes"),
            0.6,
            None,
        ),
        det(
            "d5",
            "m5",
            "dep-creek",
            "CREEK-01",
            5000,
            ObservationType::Human,
            None,
            0.2,
            None,
        ),
    ];
    b
}

/// A minimal JPEG whose EXIF says it was taken at `datetime` (`YYYY:MM:DD HH:MM:SS`),
/// optionally with an `OffsetTimeOriginal` (`-06:00`).
pub fn jpeg_with_exif(datetime: &str, offset: Option<&str>) -> Vec<u8> {
    let mut writer = exif::experimental::Writer::new();
    let taken = exif::Field {
        tag: exif::Tag::DateTimeOriginal,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Ascii(vec![datetime.as_bytes().to_vec()]),
    };
    writer.push_field(&taken);
    let offset_field = offset.map(|o| exif::Field {
        tag: exif::Tag::OffsetTimeOriginal,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Ascii(vec![o.as_bytes().to_vec()]),
    });
    if let Some(f) = &offset_field {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("write EXIF");
    let tiff = tiff.into_inner();
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
    let len = (2 + 6 + tiff.len()) as u16;
    jpeg.extend_from_slice(&len.to_be_bytes());
    jpeg.extend_from_slice(b"Exif\0\0");
    jpeg.extend_from_slice(&tiff);
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}
