//! The event analyzer on the demo study, checked against the study's ground truth.

use chrono::Duration;
use std::collections::BTreeMap;
use trailmesh_core::demo::{self, DemoConfig, EventTruth, GroundTruth};
use trailmesh_core::model::*;
use trailmesh_core::{NoProgress, Store};
use trailmesh_event_analyzer::*;

async fn study() -> (EventAnalyzer, GroundTruth, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db").display().to_string())
        .await
        .unwrap();
    let cfg = DemoConfig {
        days: 21,
        scale: 0.4,
        ..DemoConfig::default()
    };
    let (_, truth) = demo::seed(&store, &cfg, &NoProgress).await.unwrap();
    (EventAnalyzer::new(store), truth, dir)
}

fn identified<'a>(truth: &'a GroundTruth, species: &'a str) -> impl Iterator<Item = &'a EventTruth> + 'a {
    truth.events.iter().filter(move |e| {
        e.observation_type == ObservationType::Animal && e.identified && e.scientific_name.as_deref() == Some(species)
    })
}

#[tokio::test]
async fn find_events_matches_the_truth_for_a_camera_species_and_window() {
    let (ea, truth, _d) = study().await;
    // The camera with the most fox events.
    let mut per_cam: BTreeMap<&str, usize> = BTreeMap::new();
    for e in identified(&truth, "Vulpes vulpes") {
        *per_cam.entry(e.camera_id.as_str()).or_default() += 1;
    }
    let (cam, _) = per_cam.iter().max_by_key(|(_, n)| **n).unwrap();
    let from = truth.study_start + Duration::days(5);
    let to = truth.study_start + Duration::days(15);
    let want: Vec<&str> = identified(&truth, "Vulpes vulpes")
        .filter(|e| e.camera_id == *cam && e.start >= from && e.start < to)
        .map(|e| e.event_id.as_str())
        .collect();
    let mut got = Vec::new();
    let mut offset = 0;
    loop {
        let page = ea
            .find_events(FindEventsInput {
                camera: Some(cam.to_string()),
                species: Some("red FOX".into()),
                from: Some(from.to_rfc3339()),
                to: Some(to.to_rfc3339()),
                limit: Some(7),
                offset: Some(offset),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.page.total as usize, want.len());
        got.extend(page.events.iter().map(|e| e.id.clone()));
        match page.page.next_offset {
            Some(n) => offset = n,
            None => break,
        }
    }
    let mut want_newest_first: Vec<&str> = want.clone();
    want_newest_first.reverse();
    assert_eq!(got, want_newest_first, "newest first, across pages");
}

#[tokio::test]
async fn filters_by_individual_and_group_size_follow_the_truth() {
    let (ea, truth, _d) = study().await;
    let marked = truth
        .events
        .iter()
        .find_map(|e| e.individual_id.clone())
        .expect("marked individuals");
    let want = truth
        .events
        .iter()
        .filter(|e| e.individual_id.as_deref() == Some(&marked))
        .count();
    let got = ea
        .find_events(FindEventsInput {
            individual: Some(marked.clone()),
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got.page.total as usize, want, "{marked}");
    let want = truth
        .events
        .iter()
        .filter(|e| e.observation_type == ObservationType::Animal && e.count >= 6)
        .count();
    let got = ea
        .find_events(FindEventsInput {
            min_count: Some(6),
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got.page.total as usize, want);
    let humans = truth
        .events
        .iter()
        .filter(|e| e.observation_type == ObservationType::Human)
        .count();
    let got = ea
        .find_events(FindEventsInput {
            observation_type: Some(ObservationType::Human),
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got.page.total as usize, humans);
}

#[tokio::test]
async fn descriptions_infer_travel_and_its_direction_from_tracks() {
    let (ea, truth, _d) = study().await;
    // Events the batch carries no behaviour for (machine-classified), where the animals truly travelled.
    let travelling: Vec<&EventTruth> = truth
        .events
        .iter()
        .filter(|e| {
            e.observation_type == ObservationType::Animal
                && e.behaviours.first() == Some(&Behaviour::Travelling)
                && e.bearing_deg.is_some()
        })
        .collect();
    let mut checked = 0;
    let (mut right_label, mut right_direction, mut with_bearing) = (0, 0, 0);
    for t in travelling.iter().take(400) {
        let d = ea.describe_event(EventRef { id: t.event_id.clone() }).await.unwrap();
        if d.behaviours.first().is_some_and(|b| b.source != "inferred") {
            continue; // labelled by a person: not a test of inference
        }
        checked += 1;
        if d.behaviours
            .first()
            .is_some_and(|b| matches!(b.label, Behaviour::Travelling | Behaviour::Running))
        {
            right_label += 1;
        }
        if let (Some(got), Some(want)) = (d.movement.as_ref().and_then(|m| m.bearing_deg), t.bearing_deg) {
            with_bearing += 1;
            let diff = ((got - want).rem_euclid(360.0)).min((want - got).rem_euclid(360.0));
            if diff <= 45.0 {
                right_direction += 1;
            }
        }
        assert!(!d.sentence.is_empty() && d.sentence.ends_with('.'));
    }
    assert!(checked >= 30, "enough unlabelled travelling events: {checked}");
    let label_rate = right_label as f64 / checked as f64;
    assert!(label_rate >= 0.8, "travelling inferred for {right_label}/{checked}");
    assert!(with_bearing >= 30, "{with_bearing}");
    let dir_rate = right_direction as f64 / with_bearing as f64;
    assert!(
        dir_rate >= 0.8,
        "direction within 45 degrees for {right_direction}/{with_bearing}"
    );
}

#[tokio::test]
async fn a_labelled_event_is_described_in_one_sentence_with_its_labels() {
    let (ea, truth, _d) = study().await;
    let e = identified(&truth, "Odocoileus hemionus")
        .find(|e| !e.behaviours.is_empty() && e.count >= 2)
        .unwrap();
    let d = ea.describe_event(EventRef { id: e.event_id.clone() }).await.unwrap();
    assert_eq!(d.count, i64::from(e.count));
    assert_eq!(d.common_name.as_deref(), Some("mule deer"));
    if let Some(first) = d.behaviours.first()
        && first.source == "human"
    {
        assert_eq!(first.label, e.behaviours[0]);
    }
    assert!(
        d.sentence.starts_with(&format!("{} mule deer", e.count)),
        "{}",
        d.sentence
    );
    assert!(d.time_of_day.is_some());
    let details = ea.event_details(EventRef { id: e.event_id.clone() }).await.unwrap();
    assert_eq!(details.event.id, e.event_id);
    assert!(!details.tracks.is_empty() && !details.detections.is_empty());
    assert!(details.best_frame.is_some());
}

#[tokio::test]
async fn period_summary_and_independent_detections_agree_with_the_truth() {
    let (ea, truth, _d) = study().await;
    let from = truth.study_start + Duration::days(2);
    let to = truth.study_start + Duration::days(9);
    let s = ea
        .summarize_period(SummarizeInput {
            from: from.to_rfc3339(),
            to: to.to_rfc3339(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for e in truth
        .events
        .iter()
        .filter(|e| e.observation_type == ObservationType::Animal && e.start >= from && e.start < to)
    {
        let name = if e.identified {
            e.scientific_name.clone().unwrap_or_default()
        } else {
            "unknown".into()
        };
        *want.entry(name).or_default() += 1;
    }
    let got: BTreeMap<String, u64> = s
        .species
        .iter()
        .map(|x| (x.scientific_name.clone(), x.events))
        .collect();
    assert_eq!(got, want);
    assert_eq!(s.busiest_hours.len(), 3);
    assert!(
        s.species.windows(2).all(|w| w[0].events >= w[1].events),
        "most events first"
    );

    // Independent detections, recomputed here from the truth with a plain loop.
    let mut events: Vec<&EventTruth> = truth
        .events
        .iter()
        .filter(|e| e.observation_type == ObservationType::Animal && e.identified && e.scientific_name.is_some())
        .collect();
    events.sort_by_key(|e| (e.start, e.event_id.clone()));
    for minutes in [1u32, 30, 60] {
        let mut last: BTreeMap<(String, String), Timestamp> = BTreeMap::new();
        let mut n = 0u64;
        for e in &events {
            let key = (e.scientific_name.clone().unwrap(), e.camera_id.clone());
            if last
                .get(&key)
                .is_none_or(|p| e.start - *p >= Duration::minutes(i64::from(minutes)))
            {
                last.insert(key, e.start);
                n += 1;
            }
        }
        let got = ea
            .independent_detections(IndependentInput {
                interval_minutes: Some(minutes),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(got.total_independent, n, "interval {minutes} min");
        assert_eq!(got.total_events as usize, events.len());
    }
}

#[tokio::test]
async fn bad_arguments_say_what_to_fix() {
    let (ea, _truth, _d) = study().await;
    let err = ea
        .find_events(FindEventsInput {
            species: Some("unicorn".into()),
            ..Default::default()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("species") && err.contains("mule deer"), "{err}");
    let err = ea
        .find_events(FindEventsInput {
            from: Some("last tuesday".into()),
            ..Default::default()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("'from'") && err.contains("ISO 8601"), "{err}");
    let err = ea
        .find_events(FindEventsInput {
            from: Some("2026-06-05".into()),
            to: Some("2026-06-01".into()),
            ..Default::default()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("after"), "{err}");
    let err = ea
        .find_events(FindEventsInput {
            camera: Some("NOPE".into()),
            ..Default::default()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("known cameras"), "{err}");
    let err = ea
        .describe_event(EventRef { id: "evt-nope".into() })
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("find_events"), "{err}");
}
