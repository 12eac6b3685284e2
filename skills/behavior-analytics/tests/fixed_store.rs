//! The operations on a tiny hand-made study whose answers are computed by hand.
//!
//! Three cameras, UTC clocks, window 2026-06-01 .. 2026-06-11 (10 days):
//! - A: deployed the whole window, a malfunction 06-03 12:00 .. 06-05 00:00 (1.5 days)
//!   -> 8.5 trap-nights. Fox at 06-01 00:00, 00:10, 00:35, 00:50, 01:10 (T = 30 min:
//!   counted 00:00, 00:35, 01:10 -> 3), and one at 06-04 06:00 inside the malfunction
//!   (an imported error; excluded by default).
//! - B: deployed 06-06 00:00 .. 06-11 00:00 -> 5 trap-nights. Fox at 06-07 22:00 -> 1.
//! - C: deployed the whole window, 10 trap-nights, no fox; a deer at 06-02 10:00.
//!
//! Each test runs on an SQLite file and on a fresh schema of the PostgreSQL named by
//! `TRAILMESH_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/test`, which
//! tests/run-all.sh starts); an unreachable PostgreSQL fails the test.

use trailmesh_behavior_analytics::*;
use trailmesh_core::model::*;
use trailmesh_core::store::{Batch, Store};

fn t(s: &str) -> Timestamp {
    parse_zoned(s).unwrap().0
}

fn deployment(id: &str, cam: &str, start: &str, end: &str) -> Deployment {
    Deployment {
        id: id.into(),
        camera_id: cam.into(),
        location_id: None,
        location_name: None,
        latitude: Some(45.6),
        longitude: Some(-111.0),
        start: t(start),
        end: t(end),
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

fn event(id: &str, dep: &str, cam: &str, sp: &str, at: &str) -> Event {
    Event {
        id: id.into(),
        deployment_id: dep.into(),
        camera_id: cam.into(),
        start: t(at),
        end: t(at),
        observation_type: ObservationType::Animal,
        scientific_name: Some(sp.into()),
        count: Some(1),
        life_stage: None,
        sex: None,
        behavior: None,
        individual_id: None,
        classification_method: None,
        classified_by: None,
        classification_probability: None,
        best_media_id: None,
        description: None,
    }
}

/// Keeps a backend alive: the SQLite folder or the PostgreSQL schema (dropped at the end).
enum Guard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(sqlx::PgPool, String),
}

impl Guard {
    async fn drop(self) {
        if let Guard::Postgres(admin, schema) = self {
            let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&admin)
                .await;
            admin.close().await;
        }
    }
}

async fn backends() -> Vec<(Guard, BehaviorAnalytics)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&dir.path().join("fixed.db").display().to_string())
        .await
        .unwrap();
    let url = std::env::var("TRAILMESH_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = sqlx::PgPool::connect(&url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {url} is not reachable ({e}); run the tests through tests/run-all.sh, which starts it")
    });
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let schema = format!(
        "tm_ba_{}_{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    let opts = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let pg = Store::open_postgres(opts).await.unwrap();
    let mut out = Vec::new();
    for (guard, store) in [(Guard::Sqlite(dir), sqlite), (Guard::Postgres(admin, schema), pg)] {
        fill(&store).await;
        out.push((guard, BehaviorAnalytics::new(store)));
    }
    out
}

async fn fill(store: &Store) {
    let mut b = Batch::default();
    for (sp, common) in [("Vulpes vulpes", "red fox"), ("Odocoileus hemionus", "mule deer")] {
        b.species.push(Species {
            scientific_name: sp.into(),
            common_name: Some(common.into()),
            taxon_rank: None,
        });
    }
    for (id, site) in [("A", "North"), ("B", "North"), ("C", "South")] {
        let mut c = Camera::new(id, id);
        c.site = Some(site.into());
        b.cameras.push(c);
    }
    b.deployments
        .push(deployment("dA", "A", "2026-06-01T00:00:00Z", "2026-06-11T00:00:00Z"));
    b.deployments
        .push(deployment("dB", "B", "2026-06-06T00:00:00Z", "2026-06-11T00:00:00Z"));
    b.deployments
        .push(deployment("dC", "C", "2026-06-01T00:00:00Z", "2026-06-11T00:00:00Z"));
    b.malfunctions.push(Malfunction {
        id: "mA".into(),
        deployment_id: "dA".into(),
        start: t("2026-06-03T12:00:00Z"),
        end: t("2026-06-05T00:00:00Z"),
        reason: "battery dead".into(),
    });
    for (i, at) in ["00:00", "00:10", "00:35", "00:50", "01:10"].iter().enumerate() {
        b.events.push(event(
            &format!("a{i}"),
            "dA",
            "A",
            "Vulpes vulpes",
            &format!("2026-06-01T{at}:00Z"),
        ));
    }
    b.events
        .push(event("a-broken", "dA", "A", "Vulpes vulpes", "2026-06-04T06:00:00Z"));
    b.events
        .push(event("b0", "dB", "B", "Vulpes vulpes", "2026-06-07T22:00:00Z"));
    b.events
        .push(event("c0", "dC", "C", "Odocoileus hemionus", "2026-06-02T10:00:00Z"));
    store.ingest(&b, None).await.unwrap();
}

fn close(a: f64, b: f64) {
    // Outputs are rounded to 6 decimals.
    assert!((a - b).abs() < 1e-6, "{a} != {b}");
}

#[tokio::test]
async fn effort_is_trap_nights_minus_malfunctions() {
    for (guard, s) in backends().await {
        let out = s.effort(EffortInput::default()).await.unwrap();
        close(out.total_trap_nights, 8.5 + 5.0 + 10.0);
        let a = out.deployments.iter().find(|d| d.deployment_id == "dA").unwrap();
        close(a.deployed_days, 10.0);
        close(a.malfunction_days, 1.5);
        close(a.trap_nights, 8.5);
        assert_eq!(a.malfunctions[0].reason, "battery dead");
        // Clipped to 06-04 .. 06-08: A operates 06-05..06-08 = 3 days (1 of its 4 lost),
        // B 06-06..06-08 = 2, C 4.
        let clipped = s
            .effort(EffortInput {
                scope: Scope {
                    from: Some("2026-06-04".into()),
                    to: Some("2026-06-08".into()),
                    ..Scope::default()
                },
                ..EffortInput::default()
            })
            .await
            .unwrap();
        close(clipped.total_trap_nights, 3.0 + 2.0 + 4.0);
        let a = clipped.deployments.iter().find(|d| d.deployment_id == "dA").unwrap();
        close(a.malfunctions[0].days, 1.0);
        assert_eq!(a.malfunctions[0].start, "2026-06-04T00:00:00+00:00");
        guard.drop().await;
    }
}

#[tokio::test]
async fn rai_uses_the_independence_rule_and_the_effort() {
    for (guard, s) in backends().await {
        let out = s.rai(RaiInput::default()).await.unwrap();
        assert_eq!(out.excluded_in_malfunction, 1);
        let fox = out.species.iter().find(|x| x.species == "Vulpes vulpes").unwrap();
        assert_eq!((fox.events, fox.independent, fox.cameras_detected), (6, 4, 2));
        close(fox.rai, 100.0 * 4.0 / 23.5);
        let at_a = out.per_camera.iter().find(|x| x.camera_id == "A").unwrap();
        assert_eq!(at_a.independent, 3);
        close(at_a.rai.unwrap(), 100.0 * 3.0 / 8.5);
        // Keeping events inside malfunctions adds the broken one.
        let keep = s
            .rai(RaiInput {
                exclude_malfunctions: Some(false),
                independence_min: Some(1.0),
                species: Some(vec!["red fox".into()]),
                ..RaiInput::default()
            })
            .await
            .unwrap();
        assert_eq!(keep.species.len(), 1);
        assert_eq!(keep.species[0].independent, 7);
        // The in-memory event cache notices new events.
        let mut more = Batch::default();
        more.events
            .push(event("c1", "dC", "C", "Vulpes vulpes", "2026-06-09T03:00:00Z"));
        s.store().ingest(&more, None).await.unwrap();
        let after = s.rai(RaiInput::default()).await.unwrap();
        let fox = after.species.iter().find(|x| x.species == "Vulpes vulpes").unwrap();
        assert_eq!((fox.independent, fox.cameras_detected), (5, 3));
        guard.drop().await;
    }
}

#[tokio::test]
async fn naive_occupancy_and_the_detection_history() {
    for (guard, s) in backends().await {
        let naive = s
            .occupancy_naive(NaiveOccupancyInput {
                species: "Vulpes vulpes".into(),
                ..NaiveOccupancyInput::default()
            })
            .await
            .unwrap();
        assert_eq!((naive.operating_stations, naive.stations_detected), (3, 2));
        close(naive.naive_occupancy.unwrap(), 2.0 / 3.0);
        // Site "South" is camera C only: 0 of 1.
        let south = s
            .occupancy_naive(NaiveOccupancyInput {
                species: "Vulpes vulpes".into(),
                scope: Scope {
                    site: Some("south".into()),
                    ..Scope::default()
                },
            })
            .await
            .unwrap();
        assert_eq!(south.naive_occupancy, Some(0.0));
        // Two-day occasions from 06-01. A: 1 (fox on 06-01); NA (06-03..05 operates only
        // 06-03 00:00..12:00 = 25%); 0; 0; 0. B: NA; NA; 0 (06-05..07 operates 06-06..07 = 50%,
        // enough); 1 (fox 06-07 22:00); 0. C: all 0. "fox" alone is no species name here.
        let h = s
            .detection_history(DetectionHistoryInput {
                species: "fox".into(),
                occasion_days: Some(2),
                ..DetectionHistoryInput::default()
            })
            .await;
        let err = h.unwrap_err().to_string();
        assert!(err.contains("red fox"), "{err}");
        let h = s
            .detection_history(DetectionHistoryInput {
                species: "red fox".into(),
                occasion_days: Some(2),
                ..DetectionHistoryInput::default()
            })
            .await
            .unwrap();
        assert_eq!(
            h.occasion_starts,
            ["2026-06-01", "2026-06-03", "2026-06-05", "2026-06-07", "2026-06-09"]
        );
        let row = |c: &str| h.stations.iter().find(|s| s.camera_id == c).unwrap().compact.clone();
        assert_eq!(row("A"), "1.000");
        assert_eq!(row("B"), "..010");
        assert_eq!(row("C"), "00000");
        guard.drop().await;
    }
}
