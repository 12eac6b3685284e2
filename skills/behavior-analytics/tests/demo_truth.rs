//! The operations against the demo study's ground truth (`demo::generate`, 30 days at
//! scale 0.5, ingested into a temporary SQLite file shared by the tests of this binary).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use trailmesh_behavior_analytics::*;
use trailmesh_core::demo::{DemoConfig, GroundTruth, generate};
use trailmesh_core::model::Behaviour;
use trailmesh_core::skill::SkillError;
use trailmesh_core::store::Store;

struct Demo {
    _dir: tempfile::TempDir,
    path: PathBuf,
    truth: GroundTruth,
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let cfg = DemoConfig {
            days: 30,
            scale: 0.5,
            ..DemoConfig::default()
        };
        let study = generate(&cfg);
        let truth = study.truth.clone();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        // Seeded on a thread of its own: the tests call this from inside their runtimes.
        let url = path.display().to_string();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let store = Store::open(&url).await.unwrap();
                store.ingest(&study.batch, None).await.unwrap();
                store.close().await;
            });
        })
        .join()
        .unwrap();
        Demo { _dir: dir, path, truth }
    })
}

async fn skill() -> BehaviorAnalytics {
    let store = Store::open(&demo().path.display().to_string()).await.unwrap();
    BehaviorAnalytics::new(store)
}

#[tokio::test]
async fn effort_matches_the_true_operating_days() {
    let truth = &demo().truth;
    let out = skill().await.effort(EffortInput::default()).await.unwrap();
    assert_eq!(out.page.total as usize, truth.deployments.len());
    let all = skill()
        .await
        .effort(EffortInput {
            limit: Some(500),
            ..EffortInput::default()
        })
        .await
        .unwrap();
    for d in &truth.deployments {
        let ours = all.deployments.iter().find(|x| x.deployment_id == d.id).unwrap();
        assert!(
            (ours.trap_nights - d.operating_days).abs() < 1e-3,
            "{}: {} vs truth {}",
            d.id,
            ours.trap_nights,
            d.operating_days
        );
    }
    let listed: usize = all.deployments.iter().map(|d| d.malfunctions.len()).sum();
    assert_eq!(listed, truth.malfunctions.len());
    let total: f64 = truth.deployments.iter().map(|d| d.operating_days).sum();
    assert!((out.total_trap_nights - total).abs() < 1e-2);
}

#[tokio::test]
async fn diel_classes_match_the_simulated_rhythms() {
    let s = skill().await;
    for (species, class) in [
        ("Vulpes vulpes", "nocturnal"),
        ("raccoon", "nocturnal"),
        ("Tamiasciurus hudsonicus", "diurnal"),
        ("Odocoileus hemionus", "crepuscular"),
        ("Cervus canadensis", "crepuscular"),
        ("Ursus americanus", "cathemeral"),
        ("Canis latrans", "nocturnal"),
        ("Meleagris gallopavo", "diurnal"),
        ("Steller's jay", "diurnal"),
    ] {
        for scale in [TimeScale::Clock, TimeScale::Solar] {
            let out = s
                .diel_activity(DielInput {
                    species: species.to_string(),
                    time_scale: Some(scale),
                    ..DielInput::default()
                })
                .await
                .unwrap();
            println!(
                "{species} {scale:?}: {} {:?} peaks {:?}",
                out.activity_class, out.shares, out.peak_hours
            );
            assert_eq!(out.activity_class, class, "{species} {scale:?}: {:?}", out.shares);
            // The density integrates to 1 over 24 h.
            let step = 24.0 / out.density.len() as f64;
            let mass: f64 = out.density.iter().map(|p| p.density * step).sum();
            assert!((mass - 1.0).abs() < 1e-3, "{species}: mass {mass}");
            if scale == TimeScale::Solar && class == "crepuscular" {
                // Peaks near sun time 06:00 and 18:00 (sunrise and sunset).
                assert!(
                    out.peak_hours
                        .iter()
                        .take(2)
                        .all(|h| (h - 6.5).abs() < 1.5 || (h - 17.5).abs() < 1.5),
                    "{:?}",
                    out.peak_hours
                );
            }
        }
    }
}

#[tokio::test]
async fn overlap_is_high_for_similar_rhythms_and_low_for_opposite_ones() {
    let s = skill().await;
    let run = |a: &str, b: &str| OverlapInput {
        species_a: a.to_string(),
        species_b: b.to_string(),
        bootstrap: Some(199),
        ..OverlapInput::default()
    };
    let fox_raccoon = s.activity_overlap(run("Vulpes vulpes", "Procyon lotor")).await.unwrap();
    let fox_squirrel = s
        .activity_overlap(run("Vulpes vulpes", "Tamiasciurus hudsonicus"))
        .await
        .unwrap();
    assert!(fox_raccoon.delta > 0.6, "{fox_raccoon:?}");
    assert!(fox_squirrel.delta < 0.25, "{fox_squirrel:?}");
    assert_eq!(fox_raccoon.estimator, "Dhat4");
    let ci = fox_raccoon.ci.unwrap();
    assert!(ci.lower < ci.upper && ci.lower <= fox_raccoon.delta + 0.05 && fox_raccoon.delta - 0.05 <= ci.upper);
    // Seeded: the same call gives the same interval.
    let again = s.activity_overlap(run("Vulpes vulpes", "Procyon lotor")).await.unwrap();
    assert_eq!(again.ci.unwrap().lower, ci.lower);
}

#[tokio::test]
async fn migration_recovers_the_simulated_elk_wave() {
    let truth = &demo().truth.migration;
    let s = skill().await;
    let fitted = s
        .migration(MigrationInput {
            species: "elk".to_string(),
            ..MigrationInput::default()
        })
        .await
        .unwrap();
    let diff = ((fitted.direction_deg - truth.axis_bearing_deg + 540.0) % 360.0 - 180.0).abs();
    assert!(
        diff <= 20.0,
        "direction {} vs truth {}",
        fitted.direction_deg,
        truth.axis_bearing_deg
    );
    let given = s
        .migration(MigrationInput {
            species: "elk".to_string(),
            bearing_deg: Some(truth.axis_bearing_deg),
            ..MigrationInput::default()
        })
        .await
        .unwrap();
    for out in [&fitted, &given] {
        let speed = out.speed_km_per_day.unwrap();
        assert!(
            (speed / truth.speed_km_per_day - 1.0).abs() <= 0.25,
            "speed {speed} vs truth {} ({:?})",
            truth.speed_km_per_day,
            out.summary
        );
        assert_ne!(out.confidence, "weak", "{}", out.summary);
    }
    // The median dates follow the true front dates (a herd lingers a few days at a camera
    // it likes, so single cameras can be off by a week; on average within 3 days).
    let mut off = Vec::new();
    for c in &given.cameras {
        let front = truth.fronts.iter().find(|f| f.camera_id == c.camera_id).unwrap();
        let median: chrono::NaiveDate = c.median_date.parse().unwrap();
        off.push((median - front.front_date).num_days().abs() as f64);
        println!("{}: median {} front {}", c.camera_id, median, front.front_date);
    }
    let mean_off = off.iter().sum::<f64>() / off.len() as f64;
    assert!(
        mean_off <= 3.0,
        "median dates are {mean_off} days from the front on average"
    );
    println!("fitted: {}\ngiven: {}", fitted.summary, given.summary);
}

#[tokio::test]
async fn rai_ranks_species_like_the_simulated_abundance() {
    let truth = &demo().truth;
    let out = skill().await.rai(RaiInput::default()).await.unwrap();
    assert_eq!(out.independence_min, 30.0);
    let ours: BTreeMap<&str, f64> = out.species.iter().map(|s| (s.species.as_str(), s.rai)).collect();
    let events = &truth.totals.events_per_species;
    // Spearman rank correlation between our RAI and the true event counts per species.
    let names: Vec<&str> = events.keys().map(String::as_str).collect();
    let rank = |v: Vec<f64>| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|a, b| v[*a].total_cmp(&v[*b]));
        let mut r = vec![0.0; v.len()];
        for (k, i) in idx.into_iter().enumerate() {
            r[i] = k as f64;
        }
        r
    };
    let ra = rank(names.iter().map(|n| ours.get(n).copied().unwrap_or(0.0)).collect());
    let rb = rank(names.iter().map(|n| events[*n] as f64).collect());
    let n = names.len() as f64;
    let d2: f64 = ra.iter().zip(&rb).map(|(a, b)| (a - b).powi(2)).sum();
    let rho = 1.0 - 6.0 * d2 / (n * (n * n - 1.0));
    assert!(rho >= 0.8, "Spearman {rho}: {:?} vs {events:?}", out.species);
    // Independent detections never exceed events, and RAI = 100 N / E.
    for s in &out.species {
        assert!(s.independent <= s.events);
        assert!((s.rai - 100.0 * s.independent as f64 / out.total_trap_nights).abs() < 1e-4);
    }
    // A longer interval never counts more.
    let hour = skill()
        .await
        .rai(RaiInput {
            independence_min: Some(60.0),
            ..RaiInput::default()
        })
        .await
        .unwrap();
    for s in &hour.species {
        let half = out.species.iter().find(|x| x.species == s.species).unwrap();
        assert!(s.independent <= half.independent);
    }
}

#[tokio::test]
async fn occupancy_and_histories_are_consistent() {
    let s = skill().await;
    let naive = s
        .occupancy_naive(NaiveOccupancyInput {
            species: "Procyon lotor".to_string(),
            ..NaiveOccupancyInput::default()
        })
        .await
        .unwrap();
    assert_eq!(naive.operating_stations, 17);
    let hist = s
        .detection_history(DetectionHistoryInput {
            species: "Procyon lotor".to_string(),
            occasion_days: Some(3),
            limit: Some(100),
            ..DetectionHistoryInput::default()
        })
        .await
        .unwrap();
    assert_eq!(hist.occasion_starts.len(), 10);
    assert_eq!(hist.occasion_starts[0], "2026-06-01");
    let detected = hist.stations.iter().filter(|h| h.detections > 0).count() as u32;
    assert_eq!(detected, naive.stations_detected);
    // Late-set cameras have NA occasions at the start.
    let late = hist.stations.iter().find(|h| h.camera_id == "MEADOW-03").unwrap();
    assert_eq!(late.history[0], None, "{}", late.compact);
    let occ = s
        .occupancy(OccupancyInput {
            species: "Procyon lotor".to_string(),
            occasion_days: Some(3),
            ..OccupancyInput::default()
        })
        .await
        .unwrap();
    assert!(occ.psi.estimate >= naive.naive_occupancy.unwrap() - 1e-6, "{occ:?}");
    assert!(occ.p.estimate > 0.0 && occ.p.estimate < 1.0);
}

#[tokio::test]
async fn bad_arguments_name_the_field_and_the_valid_values() {
    let s = skill().await;
    let err = s
        .diel_activity(DielInput {
            species: "unicorn".to_string(),
            ..DielInput::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, SkillError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("Vulpes vulpes (red fox)"), "{err}");
    let err = s
        .effort(EffortInput {
            scope: Scope {
                cameras: Some(vec!["CREEK-99".to_string()]),
                ..Scope::default()
            },
            ..EffortInput::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("CREEK-01"), "{err}");
    let err = s
        .rai(RaiInput {
            scope: Scope {
                from: Some("last week".to_string()),
                ..Scope::default()
            },
            ..RaiInput::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("'from'"), "{err}");
    let err = s
        .rai(RaiInput {
            independence_min: Some(-5.0),
            ..RaiInput::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("independence_min"), "{err}");
    let err = s
        .migration(MigrationInput {
            species: "elk".to_string(),
            scope: Scope {
                cameras: Some(vec!["CREEK-01".to_string(), "CREEK-02".to_string()]),
                ..Scope::default()
            },
            ..MigrationInput::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at least 4"), "{err}");
}

#[tokio::test]
async fn behaviour_inference_separates_the_true_behaviours() {
    let truth = &demo().truth;
    let primary: BTreeMap<&str, Behaviour> = truth
        .events
        .iter()
        .filter_map(|e| e.behaviours.first().map(|b| (e.event_id.as_str(), *b)))
        .collect();
    let s = skill().await;
    // (true label, inferred label) -> events.
    let mut confusion: BTreeMap<(Behaviour, Behaviour), u32> = BTreeMap::new();
    let mut human_checked = 0;
    let mut offset = 0u64;
    loop {
        let page = s
            .behaviours(BehavioursInput {
                limit: Some(500),
                offset: Some(offset),
                ..BehavioursInput::default()
            })
            .await
            .unwrap();
        for e in &page.events {
            let Some(t) = primary.get(e.event_id.as_str()) else {
                continue;
            };
            let inferred = e.inferred[0].label;
            *confusion.entry((*t, inferred)).or_default() += 1;
            assert!(!e.inferred[0].evidence.is_empty());
            if e.labels[0].source == "human" {
                // Human labels win, and they are the truth.
                assert_eq!(e.labels[0].label, *t);
                human_checked += 1;
            }
        }
        match page.page.next_offset {
            Some(n) => offset = n,
            None => break,
        }
    }
    assert!(human_checked > 100);
    let labels = [
        Behaviour::Travelling,
        Behaviour::Feeding,
        Behaviour::Drinking,
        Behaviour::Resting,
        Behaviour::Vigilance,
        Behaviour::Running,
        Behaviour::Courtship,
    ];
    let mut report = String::new();
    let mut pr = BTreeMap::new();
    for l in labels {
        let tp = confusion.get(&(l, l)).copied().unwrap_or(0) as f64;
        let predicted: u32 = confusion.iter().filter(|((_, p), _)| *p == l).map(|(_, n)| *n).sum();
        let actual: u32 = confusion.iter().filter(|((t, _), _)| *t == l).map(|(_, n)| *n).sum();
        let precision = tp / f64::from(predicted.max(1));
        let recall = tp / f64::from(actual.max(1));
        report.push_str(&format!(
            "{l}: precision {precision:.3} recall {recall:.3} (true {actual}, inferred {predicted})\n"
        ));
        pr.insert(l, (precision, recall));
    }
    println!("{report}");
    let floor = |l: Behaviour, p: f64, r: f64| {
        let (pp, rr) = pr[&l];
        assert!(
            pp >= p && rr >= r,
            "{l}: precision {pp:.3} (floor {p}), recall {rr:.3} (floor {r})\n{report}"
        );
    };
    floor(Behaviour::Travelling, 0.9, 0.9);
    floor(Behaviour::Feeding, 0.6, 0.6);
    floor(Behaviour::Drinking, 0.5, 0.5);
    floor(Behaviour::Resting, 0.5, 0.4);
    floor(Behaviour::Vigilance, 0.5, 0.5);
}
