//! The storage suite: every check runs against a real SQLite file and a real PostgreSQL.

mod common;

use common::{small_study, t};
use std::sync::Arc;
use trailmesh_core::model::*;
use trailmesh_core::store::*;

/// Runs `check` against SQLite and PostgreSQL, in that order.
macro_rules! on_both {
    ($check:ident) => {
        mod $check {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (store, _dir) = super::common::sqlite().await;
                super::$check(&store).await;
                store.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let (store, schema) = super::common::postgres().await;
                super::$check(&store).await;
                store.close().await;
                schema.drop().await;
            }
        }
    };
}

on_both!(everything_written_reads_back_equal);
on_both!(a_deployment_is_extended_never_shortened);
on_both!(a_description_fills_in_and_never_replaces_labels);
on_both!(a_tally_counts_what_the_events_hold_per_camera_bucket_and_species);
async fn everything_written_reads_back_equal(store: &Store) {
    let b = small_study();
    let report = store.ingest(&b, None).await.unwrap();
    assert_eq!(
        report.detections,
        TableCount {
            inserted: 5,
            existing: 0
        }
    );
    assert_eq!(report.inserted(), b.len() as u64);

    assert_eq!(store.species().await.unwrap(), b.species);
    assert_eq!(store.cameras().await.unwrap(), b.cameras);
    assert_eq!(store.deployments(None).await.unwrap(), b.deployments);
    assert_eq!(store.malfunctions(None).await.unwrap(), b.malfunctions);
    assert_eq!(store.media(&MediaQuery::default()).await.unwrap(), b.media);
    assert_eq!(store.events(&EventQuery::default()).await.unwrap(), b.events);
    assert_eq!(store.tracks(None).await.unwrap(), b.tracks);
    assert_eq!(
        store.detections(&DetectionQuery::default()).await.unwrap(),
        b.detections
    );
    assert_eq!(store.camera("CREEK-01").await.unwrap().as_ref(), b.cameras.first());
    assert_eq!(store.camera("nope").await.unwrap(), None);
}

on_both!(ingesting_twice_adds_nothing);
async fn ingesting_twice_adds_nothing(store: &Store) {
    let b = small_study();
    store.ingest(&b, None).await.unwrap();
    let before = store.counts().await.unwrap();
    let again = store.ingest(&b, None).await.unwrap();
    assert_eq!(again.inserted(), 0);
    assert_eq!(
        again.detections,
        TableCount {
            inserted: 0,
            existing: 5
        }
    );
    assert_eq!(store.counts().await.unwrap(), before);
}

on_both!(a_failing_batch_writes_nothing);
async fn a_failing_batch_writes_nothing(store: &Store) {
    let before = store.counts().await.unwrap();
    let mut b = small_study();
    // The last media row points at a deployment that does not exist: the foreign key
    // fails after cameras, deployments and other media were already sent.
    let mut orphan = b.media[0].clone();
    orphan.id = "orphan".into();
    orphan.deployment_id = "no-such-deployment".into();
    b.media.push(orphan);
    let err = store.ingest(&b, None).await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("foreign key"), "{err}");
    assert_eq!(store.counts().await.unwrap(), before, "nothing half-written");
}

on_both!(detection_queries_filter_by_camera_species_event_and_time);
async fn detection_queries_filter_by_camera_species_event_and_time(store: &Store) {
    store.ingest(&small_study(), None).await.unwrap();
    let q = DetectionQuery {
        camera_id: Some("CREEK-01".into()),
        time: TimeRange {
            from: Some(t(100)),
            to: Some(t(101)),
        },
        ..Default::default()
    };
    let ids: Vec<String> = store.detections(&q).await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(ids, ["d1", "d2"], "from is inclusive, to exclusive");

    let q = DetectionQuery {
        scientific_name: Some("Vulpes vulpes".into()),
        ..Default::default()
    };
    let ids: Vec<String> = store.detections(&q).await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(ids, ["d4"]);

    let q = DetectionQuery {
        event_id: Some("e1".into()),
        limit: Some(2),
        ..Default::default()
    };
    let ids: Vec<String> = store.detections(&q).await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(ids, ["d1", "d2"]);

    let q = DetectionQuery {
        media_id: Some("m5".into()),
        ..Default::default()
    };
    let found = store.detections(&q).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].observation_type, ObservationType::Human);
}

on_both!(event_queries_page_newest_first);
async fn event_queries_page_newest_first(store: &Store) {
    store.ingest(&small_study(), None).await.unwrap();
    let page = |offset| EventQuery {
        newest_first: true,
        limit: Some(1),
        offset: Some(offset),
        ..Default::default()
    };
    assert_eq!(store.events(&page(0)).await.unwrap()[0].id, "e2");
    assert_eq!(store.events(&page(1)).await.unwrap()[0].id, "e1");
    assert!(store.events(&page(2)).await.unwrap().is_empty());
    let q = EventQuery {
        scientific_name: Some("Odocoileus hemionus".into()),
        ..Default::default()
    };
    let e = store.events(&q).await.unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].behaviours(), vec![Behaviour::Travelling, Behaviour::Vigilance]);
    let q = EventQuery {
        camera_id: Some("RIDGE-02".into()),
        time: TimeRange {
            from: Some(t(0)),
            to: Some(t(1999)),
        },
        ..Default::default()
    };
    assert!(store.events(&q).await.unwrap().is_empty());
}

on_both!(indexes_fit_the_skills_queries);
async fn indexes_fit_the_skills_queries(store: &Store) {
    let names = store.indexes().await.unwrap();
    // On SQLite the detections table is itself ordered by (camera, time): its primary key
    // is the camera-time index, and the identifier has a unique index of its own.
    let camera_time = match store.backend() {
        Backend::Sqlite => "detections_id",
        Backend::Postgres => "detections_camera_time",
    };
    for wanted in [
        camera_time,
        "detections_event",
        "events_camera_time",
        "events_species_time",
        "media_camera_time",
        "deployments_camera_time",
    ] {
        assert!(names.iter().any(|n| n == wanted), "index {wanted} missing: {names:?}");
    }
    if store.backend() == Backend::Sqlite {
        let plan = store.explain_detection_range_query().await.unwrap();
        assert!(
            plan.contains("USING PRIMARY KEY (camera_id=? AND ts_ms>? AND ts_ms<?)"),
            "the per-camera range query must search the clustered primary key: {plan}"
        );
    }
}

on_both!(import_records_are_kept_once_per_content);
async fn import_records_are_kept_once_per_content(store: &Store) {
    let record = ImportRecord {
        id: "imp-1".into(),
        kind: "megadetector".into(),
        source: "/x/results.json".into(),
        sha256: "ab".repeat(32),
        imported: t(0),
        summary: "{}".into(),
    };
    store.ingest(&Batch::default(), Some(&record)).await.unwrap();
    store.ingest(&Batch::default(), Some(&record)).await.unwrap();
    assert_eq!(store.imports().await.unwrap(), vec![record]);
}

on_both!(concurrent_writers_all_land);
async fn concurrent_writers_all_land(store: &Store) {
    store.ingest(&small_study(), None).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut b = Batch::default();
            for i in 0..200 {
                let mut d = small_study().detections[0].clone();
                d.id = format!("w{w}-{i}");
                b.detections.push(d);
            }
            store.ingest(&b, None).await.unwrap()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().detections.inserted, 200);
    }
    assert_eq!(store.counts().await.unwrap().detections, 5 + 800);
}

#[tokio::test]
async fn sqlite_file_is_wal_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data/trailmesh.db");
    let store = Store::open(&path.display().to_string()).await.unwrap();
    store.ingest(&small_study(), None).await.unwrap();
    store.close().await;
    let reopened = Store::open(&format!("sqlite://{}", path.display())).await.unwrap();
    assert_eq!(reopened.counts().await.unwrap().detections, 5);
    reopened.close().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode").fetch_one(&pool).await.unwrap();
    assert_eq!(mode, "wal");
    pool.close().await;
}

#[tokio::test]
async fn unsupported_urls_are_named() {
    let err = Store::open("mysql://root@127.0.0.1/test").await.unwrap_err();
    assert!(err.to_string().contains("mysql://"), "{err}");
}

on_both!(event_filters_cover_type_behaviour_count_and_individual);
async fn event_filters_cover_type_behaviour_count_and_individual(store: &Store) {
    let mut b = small_study();
    b.events[1].individual_id = Some("fox-F1".into());
    b.events[1].behavior = Some("feeding|vigilance-ish".into());
    store.ingest(&b, None).await.unwrap();
    let ids = |q: EventQuery| {
        let store = store.clone();
        async move {
            store
                .events(&q)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        ids(EventQuery {
            behaviour: Some(Behaviour::Vigilance),
            ..Default::default()
        })
        .await,
        ["e1"],
        "whole labels only"
    );
    assert_eq!(
        ids(EventQuery {
            behaviour: Some(Behaviour::Feeding),
            ..Default::default()
        })
        .await,
        ["e2"]
    );
    assert_eq!(
        ids(EventQuery {
            min_count: Some(2),
            ..Default::default()
        })
        .await,
        ["e1"]
    );
    assert_eq!(
        ids(EventQuery {
            individual_id: Some("fox-F1".into()),
            ..Default::default()
        })
        .await,
        ["e2"]
    );
    assert!(
        ids(EventQuery {
            observation_type: Some(ObservationType::Human),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    let q = EventQuery {
        observation_type: Some(ObservationType::Animal),
        newest_first: true,
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(store.count_events(&q).await.unwrap(), 2, "count ignores the page");
    let briefs = store.event_briefs(&q).await.unwrap();
    assert_eq!(briefs.len(), 1);
    assert_eq!((briefs[0].id.as_str(), briefs[0].count), ("e2", Some(1)));
    assert_eq!(store.event("e1").await.unwrap().unwrap(), b.events[0]);
    assert_eq!(store.event("nope").await.unwrap(), None);
    assert_eq!(store.media_item("m3").await.unwrap().unwrap(), b.media[2]);
}

on_both!(cameras_can_be_edited_and_report_their_activity);
async fn cameras_can_be_edited_and_report_their_activity(store: &Store) {
    store.ingest(&small_study(), None).await.unwrap();
    let mut cam = store.camera("RIDGE-02").await.unwrap().unwrap();
    cam.status = CameraStatus::Retired;
    cam.battery_pct = Some(12.0);
    store.upsert_camera(&cam).await.unwrap();
    assert_eq!(store.camera("RIDGE-02").await.unwrap().unwrap(), cam);
    let new = Camera::new("SPRING-09", "Spring seep");
    store.upsert_camera(&new).await.unwrap();
    let activity = store.camera_activity().await.unwrap();
    let ids: Vec<&str> = activity.iter().map(|a| a.camera_id.as_str()).collect();
    assert_eq!(ids, ["CREEK-01", "RIDGE-02", "SPRING-09"]);
    assert_eq!((activity[0].media_count, activity[0].event_count), (3, 1));
    assert_eq!(activity[0].last_media, Some(t(5000)));
    assert_eq!(activity[1].last_event, Some(t(2000)));
    assert_eq!((activity[2].media_count, activity[2].last_media), (0, None));
}

on_both!(detection_reals_and_text_come_back_bit_for_bit);
/// Detections travel packed (JSON on SQLite, in both directions): every `f64` and every
/// awkward string must come back exactly as written.
async fn detection_reals_and_text_come_back_bit_for_bit(store: &Store) {
    use rand::{Rng, SeedableRng};
    let mut b = small_study();
    let template = b.detections[0].clone();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let real = |rng: &mut rand_chacha::ChaCha8Rng| -> f64 {
        match rng.random_range(0..4) {
            0 => rng.random::<f64>(),
            1 => f64::from_bits(rng.random_range(0x3C00_0000_0000_0000u64..0x3FF0_0000_0000_0000)),
            2 => (rng.random_range(0..10_000) as f64) / 10_000.0,
            _ => 1.0 - f64::EPSILON * rng.random_range(1..1000) as f64,
        }
    };
    b.detections = (0..2_000)
        .map(|i| {
            let mut d = template.clone();
            d.id = format!("bits-{i:05}");
            d.timestamp = t(i as i64);
            d.confidence = Some(real(&mut rng));
            d.classification_probability = if i % 3 == 0 { None } else { Some(real(&mut rng)) };
            d.bbox = Some(BBox {
                x: real(&mut rng),
                y: real(&mut rng),
                width: real(&mut rng),
                height: real(&mut rng),
            });
            d.behavior = Some(["say \"hi\"\n\t\\", "é ✓ 🦌", "", "null"][i % 4].to_string());
            d.count = Some(i as i64 * 1_000_000_007);
            d
        })
        .collect();
    b.detections
        .sort_by(|a, c| (a.timestamp, &a.id).cmp(&(c.timestamp, &c.id)));
    store.ingest(&b, None).await.unwrap();
    let back = store.detections(&DetectionQuery::default()).await.unwrap();
    let back: Vec<_> = back.into_iter().filter(|d| d.id.starts_with("bits-")).collect();
    assert_eq!(back.len(), b.detections.len());
    for (got, want) in back.iter().zip(&b.detections) {
        assert_eq!(got, want);
        let bits = |d: &Detection| {
            d.bbox
                .map(|b| [b.x.to_bits(), b.y.to_bits(), b.width.to_bits(), b.height.to_bits()])
        };
        assert_eq!(bits(got), bits(want));
        assert_eq!(got.confidence.map(f64::to_bits), want.confidence.map(f64::to_bits));
    }
}

on_both!(live_camera_health_is_replaced_not_appended);
/// The camera gateway records each live camera's health every few seconds: the newest record
/// replaces the previous one, per camera.
async fn live_camera_health_is_replaced_not_appended(store: &Store) {
    assert!(store.camera_live(None).await.unwrap().is_empty());
    let t = |ms: i64| trailmesh_core::model::from_ms(1_780_000_000_000 + ms);
    let mut a = CameraLive {
        camera_id: "LIVE-A".into(),
        connected: true,
        fps: 14.9,
        bitrate_bps: 812_345.0,
        last_frame: Some(t(900)),
        last_event: None,
        updated: t(1_000),
    };
    store.upsert_camera_live(&a).await.unwrap();
    let b = CameraLive {
        camera_id: "LIVE-B".into(),
        connected: false,
        fps: 0.0,
        bitrate_bps: 0.0,
        last_frame: None,
        last_event: None,
        updated: t(1_000),
    };
    store.upsert_camera_live(&b).await.unwrap();
    a.connected = false;
    a.fps = 0.0;
    a.last_event = Some(t(800));
    a.updated = t(3_000);
    store.upsert_camera_live(&a).await.unwrap();
    assert_eq!(store.camera_live(None).await.unwrap(), vec![a.clone(), b.clone()]);
    assert_eq!(store.camera_live(Some("LIVE-B")).await.unwrap(), vec![b]);
    assert!(store.camera_live(Some("NOPE")).await.unwrap().is_empty());
}

async fn a_deployment_is_extended_never_shortened(store: &Store) {
    let study = small_study();
    store.ingest(&study, None).await.unwrap();
    let d = &study.deployments[0];
    let later = d.end + chrono::Duration::hours(5);
    assert!(store.extend_deployment(&d.id, later).await.unwrap());
    // An earlier end leaves it as it was.
    assert!(store.extend_deployment(&d.id, d.start).await.unwrap());
    let now = store.deployments(Some(&d.camera_id)).await.unwrap();
    let got = now.iter().find(|x| x.id == d.id).unwrap();
    assert_eq!((got.start, got.end), (d.start, later));
    assert!(!store.extend_deployment("no-such-deployment", later).await.unwrap());
}

async fn a_description_fills_in_and_never_replaces_labels(store: &Store) {
    let mut study = small_study();
    // e2 as the detector leaves it: no species, no behaviour, a placeholder sentence.
    let e2 = study.events.iter_mut().find(|e| e.id == "e2").unwrap();
    e2.scientific_name = None;
    e2.behavior = None;
    e2.classification_method = Some(ClassificationMethod::Machine);
    e2.classified_by = Some("detector".into());
    e2.classification_probability = Some(0.8);
    let d4 = study.detections.iter_mut().find(|d| d.id == "d4").unwrap();
    d4.event_id = Some("e2".into());
    d4.scientific_name = None;
    let e2_detections = study
        .detections
        .iter()
        .filter(|d| d.event_id.as_deref() == Some("e2"))
        .count();
    assert!(e2_detections > 0);
    store.ingest(&study, None).await.unwrap();
    let events = study.events.len() as i64;
    assert_eq!(store.events_fingerprint().await.unwrap(), (events, events - 1));
    let fox = Species {
        scientific_name: "Urocyon cinereoargenteus".into(),
        common_name: Some("gray fox".into()),
        taxon_rank: Some("species".into()),
    };
    let described = |id: &str, species: Option<Species>| EventDescription {
        event_id: id.into(),
        species,
        behaviours: vec![Behaviour::Feeding, Behaviour::Vigilance],
        sentence: format!("a fox sniffs the ground at {id}"),
        model: "test-vlm".into(),
        confidence: Some(0.7),
    };
    assert!(store.describe_event(&described("e2", Some(fox.clone()))).await.unwrap());
    // Caches of event summaries must see that an event gained a species.
    assert_eq!(store.events_fingerprint().await.unwrap(), (events, events));
    let got = store.event("e2").await.unwrap().unwrap();
    assert_eq!(got.scientific_name.as_deref(), Some("Urocyon cinereoargenteus"));
    assert_eq!(got.behavior.as_deref(), Some("feeding|vigilance"));
    assert_eq!(got.description.as_deref(), Some("a fox sniffs the ground at e2"));
    assert_eq!(got.classified_by.as_deref(), Some("test-vlm"));
    assert_eq!(got.classification_probability, Some(0.7));
    assert!(store.species().await.unwrap().contains(&fox));
    let dets = store
        .detections(&DetectionQuery {
            event_id: Some("e2".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dets.len(), e2_detections);
    assert!(
        dets.iter()
            .all(|d| d.scientific_name.as_deref() == Some("Urocyon cinereoargenteus"))
    );

    // A second description replaces the sentence only: the labels are kept.
    let other = Species {
        scientific_name: "Vulpes vulpes".into(),
        common_name: None,
        taxon_rank: None,
    };
    let mut again = described("e2", Some(other));
    again.behaviours = vec![Behaviour::Resting];
    assert!(store.describe_event(&again).await.unwrap());
    let got = store.event("e2").await.unwrap().unwrap();
    assert_eq!(got.scientific_name.as_deref(), Some("Urocyon cinereoargenteus"));
    assert_eq!(got.behavior.as_deref(), Some("feeding|vigilance"));
    assert_eq!(got.classified_by.as_deref(), Some("test-vlm"));

    // A person's labels (e1) stay; its description is replaced.
    assert!(store.describe_event(&described("e1", Some(fox))).await.unwrap());
    let e1 = store.event("e1").await.unwrap().unwrap();
    assert_eq!(e1.scientific_name.as_deref(), Some("Odocoileus hemionus"));
    assert_eq!(e1.behavior.as_deref(), Some("travelling|vigilance"));
    assert_eq!(e1.classified_by.as_deref(), Some("A. Ranger"));
    assert_eq!(e1.description.as_deref(), Some("a fox sniffs the ground at e1"));
    assert!(!store.describe_event(&described("no-such-event", None)).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_connections_commit_is_seen_and_reads_change_nothing_sqlite() {
    let (store, dir) = common::sqlite().await;
    let other = Store::open(&dir.path().join("trailmesh.db").display().to_string())
        .await
        .unwrap();
    another_connections_commit_is_seen_and_reads_change_nothing(&store, &other).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_connections_commit_is_seen_and_reads_change_nothing_postgres() {
    let (store, schema) = common::postgres().await;
    let other = schema.open_again().await;
    another_connections_commit_is_seen_and_reads_change_nothing(&store, &other).await;
    store.close().await;
    schema.drop().await;
}

/// The cameras table is served from memory between commits; a commit by any other
/// connection (here a second store on the same database) must be seen on the next call.
async fn another_connections_commit_is_seen_and_reads_change_nothing(store: &Store, other: &Store) {
    store.ingest(&small_study(), None).await.unwrap();
    let before = store.data_version().await;
    let cams = store.cameras().await.unwrap();
    assert_eq!(cams.len(), 2);
    assert_eq!(store.camera_activity().await.unwrap().len(), 2);
    if store.backend() == Backend::Sqlite {
        // Reads commit nothing. (PostgreSQL's snapshot also moves with other databases'
        // writes, and the suite runs in parallel, so only SQLite is asked to stand still.)
        store.counts().await.unwrap();
        assert_eq!(store.data_version().await, before);
        assert!(Arc::ptr_eq(
            &store.cameras_shared().await.unwrap(),
            &store.cameras_shared().await.unwrap()
        ));
    }
    other.upsert_camera(&Camera::new("POND-03", "Pond")).await.unwrap();
    assert_ne!(store.data_version().await, before);
    let ids: Vec<String> = store.cameras().await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["CREEK-01", "POND-03", "RIDGE-02"]);
    let active: Vec<String> = store
        .camera_activity()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.camera_id)
        .collect();
    assert_eq!(active, ids);
    // Deployments and malfunctions of every camera are kept between commits too.
    let before = store.deployments(None).await.unwrap().len();
    let mut extra = store.deployments(None).await.unwrap()[0].clone();
    extra.id = "dep-pond".into();
    extra.camera_id = "POND-03".into();
    let outage = Malfunction {
        id: "mf-pond".into(),
        deployment_id: "dep-pond".into(),
        start: extra.start,
        end: extra.start,
        reason: "lens fogged".into(),
    };
    let malfunctions = store.malfunctions(None).await.unwrap().len();
    let batch = Batch {
        deployments: vec![extra],
        malfunctions: vec![outage],
        ..Default::default()
    };
    other.ingest(&batch, None).await.unwrap();
    assert_eq!(store.deployments(None).await.unwrap().len(), before + 1);
    assert_eq!(store.malfunctions(None).await.unwrap().len(), malfunctions + 1);
    let mut renamed = other.camera("POND-03").await.unwrap().unwrap();
    renamed.name = "Beaver pond".into();
    other.upsert_camera(&renamed).await.unwrap();
    assert_eq!(store.camera("POND-03").await.unwrap().unwrap().name, "Beaver pond");
    let cams = store.cameras().await.unwrap();
    assert_eq!(cams[1].name, "Beaver pond");
    other.close().await;
}

/// A commit by another process (Python's sqlite3 module, SQLite's own code, not ours)
/// reaches the in-memory copy of the cameras table.
#[tokio::test]
async fn another_processs_commit_reaches_the_cached_cameras() {
    let (store, dir) = common::sqlite().await;
    store.ingest(&small_study(), None).await.unwrap();
    assert_eq!(store.cameras().await.unwrap().len(), 2);
    // The fast path: the wal-index header, not a query.
    assert!(format!("{:?}", store.data_version().await).contains("WalIndex"));
    let db = dir.path().join("trailmesh.db");
    for (i, sql) in [
        "INSERT INTO cameras (id, name) VALUES ('FEN-07', 'Fen edge')",
        "UPDATE cameras SET name = 'Fen edge, north' WHERE id = 'FEN-07'",
        "DELETE FROM cameras WHERE id = 'FEN-07'",
    ]
    .into_iter()
    .enumerate()
    {
        let version = store.data_version().await;
        let script = format!(
            "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1])\ndb.execute(\"{sql}\")\ndb.commit()\ndb.close()\n"
        );
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(&script)
            .arg(&db)
            .output()
            .expect("python3 runs (tests/run-all.sh needs it anyway)");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_ne!(store.data_version().await, version, "step {i}: {sql}");
        let names: Vec<String> = store.cameras().await.unwrap().into_iter().map(|c| c.name).collect();
        let want: &[&str] = match i {
            0 => &["Creek crossing", "Fen edge", "North ridge saddle"],
            1 => &["Creek crossing", "Fen edge, north", "North ridge saddle"],
            _ => &["Creek crossing", "North ridge saddle"],
        };
        assert_eq!(names, want, "after: {sql}");
    }
    store.close().await;
}

/// Runs `sql` (one transaction) on the database file from another process: Python's sqlite3.
fn commit_from_another_process(db: &std::path::Path, sql: &str) {
    let script = format!(
        "import sqlite3, sys\ndb = sqlite3.connect(sys.argv[1], isolation_level=None)\ndb.executescript(\"\"\"BEGIN; {sql}; COMMIT;\"\"\")\ndb.close()\n"
    );
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(&script)
        .arg(db)
        .output()
        .expect("python3 runs (tests/run-all.sh needs it anyway)");
    assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn quiet_commits_keep_what_the_store_holds_and_any_other_commit_empties_it() {
    let (store, dir) = common::sqlite().await;
    let db = dir.path().join("trailmesh.db");
    let study = small_study();
    store.ingest(&study, None).await.unwrap();
    let kept = store.cameras_shared().await.unwrap();
    let fingerprint = store.events_fingerprint().await.unwrap();
    let same = |a: &Arc<Vec<Camera>>, b: &Arc<Vec<Camera>>| Arc::ptr_eq(a, b);

    // The agents' and the gateway's bookkeeping: the database changes, the kept cameras stay.
    let before = store.data_version().await;
    store
        .upsert_camera_live(&CameraLive {
            camera_id: study.cameras[0].id.clone(),
            connected: true,
            fps: 5.0,
            bitrate_bps: 1e6,
            last_frame: Some(t(3)),
            last_event: None,
            updated: t(3),
        })
        .await
        .unwrap();
    store.put_a2a_task("agent-a", "t1", "c1", 1, "{}").await.unwrap();
    store.put_conversation("c1", 1, "{}").await.unwrap();
    assert_ne!(store.data_version().await, before, "three commits were made");
    assert!(
        same(&kept, &store.cameras_shared().await.unwrap()),
        "kept across bookkeeping"
    );
    assert_eq!(store.events_fingerprint().await.unwrap(), fingerprint);

    // A deployment's end: the deployments are read again, the cameras stay.
    let d = &study.deployments[0];
    store.deployments(None).await.unwrap();
    let later = d.end + chrono::Duration::hours(5);
    assert!(store.extend_deployment(&d.id, later).await.unwrap());
    let all = store.deployments(None).await.unwrap();
    assert_eq!(all.iter().find(|x| x.id == d.id).unwrap().end, later);
    assert!(
        same(&kept, &store.cameras_shared().await.unwrap()),
        "kept across a deployment end"
    );

    // Another process's commit to a bookkeeping table that does not count itself as quiet
    // empties them (the cameras are read again: equal, not the same list).
    commit_from_another_process(&db, "UPDATE camera_live SET fps = 4.0 WHERE camera_id IS NOT NULL");
    let reread = store.cameras_shared().await.unwrap();
    assert!(!same(&kept, &reread), "an uncounted commit must empty the memo");
    assert_eq!(*kept, *reread);

    // One that counts itself, as the store's own writes do, keeps them, from any process.
    commit_from_another_process(
        &db,
        "INSERT INTO conversations (id, updated_ms, body) VALUES ('c2', 2, '{}'); \
         UPDATE quiet_commits SET n = n + 1 WHERE kind = 'bookkeeping'",
    );
    assert!(
        same(&reread, &store.cameras_shared().await.unwrap()),
        "a counted commit keeps it"
    );

    // A quiet commit and a real one between two reads: the real one is seen.
    store.put_conversation("c3", 3, "{}").await.unwrap();
    commit_from_another_process(&db, "INSERT INTO cameras (id, name) VALUES ('FEN-07', 'Fen edge')");
    let names: Vec<String> = store.cameras().await.unwrap().into_iter().map(|c| c.name).collect();
    assert!(names.contains(&"Fen edge".to_string()), "{names:?}");

    // A deployment end is not quiet for the deployments, even with a bookkeeping commit
    // around it (the counts are kept per kind).
    store.put_conversation("c4", 4, "{}").await.unwrap();
    let later_still = later + chrono::Duration::hours(1);
    assert!(store.extend_deployment(&d.id, later_still).await.unwrap());
    store.put_conversation("c5", 5, "{}").await.unwrap();
    let all = store.deployments(None).await.unwrap();
    assert_eq!(all.iter().find(|x| x.id == d.id).unwrap().end, later_still);
    store.close().await;
}

/// `event_tally` against the same events counted one by one: every origin and bucket size,
/// with and without a filter, and events before the origin left out.
async fn a_tally_counts_what_the_events_hold_per_camera_bucket_and_species(store: &Store) {
    use std::collections::BTreeMap;
    let b = small_study();
    store.ingest(&b, None).await.unwrap();
    let first = b.events.iter().map(|e| e.start).min().unwrap();
    for (origin, bucket) in [
        (first - chrono::Duration::minutes(30), chrono::Duration::hours(1)),
        (first + chrono::Duration::seconds(1), chrono::Duration::minutes(7)),
        (first - chrono::Duration::days(3), chrono::Duration::days(1)),
    ] {
        for filter in [
            EventQuery::default(),
            EventQuery {
                observation_type: Some(ObservationType::Animal),
                ..EventQuery::default()
            },
        ] {
            let mut want: BTreeMap<(String, i64, Option<String>), u64> = BTreeMap::new();
            for e in store.events(&filter).await.unwrap() {
                if e.start >= origin {
                    let k = (e.start - origin).num_milliseconds() / bucket.num_milliseconds();
                    *want.entry((e.camera_id, k, e.scientific_name)).or_default() += 1;
                }
            }
            let got: BTreeMap<(String, i64, Option<String>), u64> = store
                .event_tally(&filter, origin, bucket)
                .await
                .unwrap()
                .into_iter()
                .map(|t| ((t.camera_id, t.bucket, t.scientific_name), t.events))
                .collect();
            assert!(!want.is_empty());
            assert_eq!(got, want, "origin {origin}, bucket {bucket}, {filter:?}");
        }
    }
}
