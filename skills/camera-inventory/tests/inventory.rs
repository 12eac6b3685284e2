//! The camera inventory on the demo study, checked against the study's ground truth.

use std::collections::BTreeSet;
use trailmesh_camera_inventory::*;
use trailmesh_core::demo::{self, DemoConfig, GroundTruth};
use trailmesh_core::model::*;
use trailmesh_core::skill::SkillError;
use trailmesh_core::{NoProgress, Store};

async fn study() -> (CameraInventory, GroundTruth, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db").display().to_string())
        .await
        .unwrap();
    let cfg = DemoConfig {
        days: 30,
        scale: 0.2,
        ..DemoConfig::default()
    };
    let (_, truth) = demo::seed(&store, &cfg, &NoProgress).await.unwrap();
    (CameraInventory::new(store), truth, dir)
}

fn all() -> ListCamerasInput {
    ListCamerasInput {
        limit: Some(500),
        ..Default::default()
    }
}

#[tokio::test]
async fn lists_every_camera_and_filters_by_site_feature_and_text() {
    let (inv, truth, _d) = study().await;
    let list = inv.list_cameras(all()).await.unwrap();
    let got: BTreeSet<String> = list.cameras.iter().map(|c| c.id.clone()).collect();
    let want: BTreeSet<String> = truth.cameras.iter().map(|c| c.id.clone()).collect();
    assert_eq!(got, want);
    assert_eq!(list.page.total as usize, truth.cameras.len());
    assert!(list.note.is_some(), "a past study is judged at its end, and says so");
    // At the end of a past study, cameras are judged at the end of their own deployments:
    // the retired (stolen) one is retired, the others mostly online or sleeping.
    let working = list
        .cameras
        .iter()
        .filter(|c| matches!(c.health, HealthState::Online | HealthState::Sleeping))
        .count();
    assert!(
        working * 2 > list.cameras.len(),
        "{:?}",
        list.cameras.iter().map(|c| (&c.id, c.health)).collect::<Vec<_>>()
    );

    let site = truth.cameras[0].site.clone();
    let list = inv
        .list_cameras(ListCamerasInput {
            site: Some(site.to_uppercase()),
            ..all()
        })
        .await
        .unwrap();
    let want: BTreeSet<String> = truth
        .cameras
        .iter()
        .filter(|c| c.site == site)
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(list.cameras.iter().map(|c| c.id.clone()).collect::<BTreeSet<_>>(), want);

    let list = inv
        .list_cameras(ListCamerasInput {
            feature_type: Some(FeatureType::WaterSource),
            ..all()
        })
        .await
        .unwrap();
    let want: BTreeSet<String> = truth
        .cameras
        .iter()
        .filter(|c| c.feature_type == FeatureType::WaterSource)
        .map(|c| c.id.clone())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(list.cameras.iter().map(|c| c.id.clone()).collect::<BTreeSet<_>>(), want);

    let word = truth.cameras[1].name.split_whitespace().next().unwrap().to_lowercase();
    let list = inv
        .list_cameras(ListCamerasInput {
            text: Some(word.clone()),
            ..all()
        })
        .await
        .unwrap();
    assert!(
        list.cameras.iter().any(|c| c.id == truth.cameras[1].id),
        "text search finds '{word}'"
    );
}

#[tokio::test]
async fn near_a_point_returns_the_cameras_inside_the_radius_nearest_first() {
    let (inv, truth, _d) = study().await;
    let centre = &truth.cameras[0];
    // Flat-earth distance from the truth's local kilometre grid: independent of haversine.
    let dist = |c: &trailmesh_core::demo::CameraTruth| {
        ((c.x_km - centre.x_km).powi(2) + (c.y_km - centre.y_km).powi(2)).sqrt()
    };
    let radius = 2.5;
    let want: BTreeSet<String> = truth
        .cameras
        .iter()
        .filter(|c| dist(c) < radius * 0.98)
        .map(|c| c.id.clone())
        .collect();
    let near = Near {
        latitude: centre.latitude,
        longitude: centre.longitude,
        radius_km: radius,
    };
    let list = inv
        .list_cameras(ListCamerasInput {
            near: Some(near),
            ..all()
        })
        .await
        .unwrap();
    let got: BTreeSet<String> = list.cameras.iter().map(|c| c.id.clone()).collect();
    assert!(want.is_subset(&got), "{want:?} within {radius} km, got {got:?}");
    assert_eq!(list.cameras[0].id, centre.id);
    let d: Vec<f64> = list.cameras.iter().map(|c| c.distance_km.unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "nearest first: {d:?}");
    assert!(d.iter().all(|&x| x <= radius));
}

#[tokio::test]
async fn health_reports_malfunctions_with_their_reason_and_effort_matches_the_truth() {
    let (inv, truth, _d) = study().await;
    let m = truth
        .malfunctions
        .iter()
        .find(|m| m.start > truth.study_start)
        .expect("the study has malfunctions");
    let mid = m.start + (m.end - m.start) / 2;
    let details = inv
        .camera_details(CameraRef {
            id: m.camera_id.clone(),
            as_of: Some(mid.to_rfc3339()),
        })
        .await
        .unwrap();
    assert_eq!(details.health.state, HealthState::Faulty);
    assert!(details.health.reason.contains(&m.reason), "{}", details.health.reason);
    let truth_effort: f64 = truth
        .deployments
        .iter()
        .filter(|d| d.camera_id == m.camera_id)
        .map(|d| d.operating_days)
        .sum();
    assert!(
        (details.effort_days - truth_effort).abs() < 0.01,
        "effort {} vs truth {truth_effort}",
        details.effort_days
    );
    assert!(details.malfunctions.iter().any(|x| x.reason == m.reason));
    let up = details.health.uptime_pct.unwrap();
    assert!(up < 100.0 && up > 0.0, "{up}");

    // The same camera after the outage, during its deployment: working again.
    let after = m.end + chrono::Duration::hours(1);
    let d = truth.deployments.iter().find(|d| d.id == m.deployment_id).unwrap();
    if after < d.end {
        let details = inv
            .camera_details(CameraRef {
                id: m.camera_id.clone(),
                as_of: Some(after.to_rfc3339()),
            })
            .await
            .unwrap();
        assert_ne!(details.health.state, HealthState::Faulty, "{}", details.health.reason);
    }
    // Before the study: not deployed.
    let before = truth.study_start - chrono::Duration::days(3);
    let details = inv
        .camera_details(CameraRef {
            id: m.camera_id.clone(),
            as_of: Some(before.to_rfc3339()),
        })
        .await
        .unwrap();
    assert_eq!(details.health.state, HealthState::NotDeployed);
}

#[tokio::test]
async fn cameras_are_added_updated_and_retired_with_clear_errors() {
    let (inv, _truth, _d) = study().await;
    let add = AddCameraInput {
        id: "SPRING-99".into(),
        name: "New spring".into(),
        latitude: 45.6,
        longitude: -111.05,
        feature_type: Some(FeatureType::WaterSource),
        ..Default::default()
    };
    let c = inv.add_camera(add.clone()).await.unwrap();
    assert_eq!(c.status, CameraStatus::Active);
    let err = inv.add_camera(add.clone()).await.unwrap_err().to_string();
    assert!(err.contains("exists already") && err.contains("update_camera"), "{err}");
    let err = inv
        .add_camera(AddCameraInput {
            id: "X 1".into(),
            ..add.clone()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("'id'"), "{err}");
    let err = inv
        .add_camera(AddCameraInput {
            id: "X1".into(),
            latitude: 95.0,
            ..add.clone()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("latitude") && err.contains("-90..90"), "{err}");

    let c = inv
        .update_camera(UpdateCameraInput {
            id: "SPRING-99".into(),
            battery_pct: Some(5.0),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (c.battery_pct, c.name.as_str()),
        (Some(5.0), "New spring"),
        "other fields keep their values"
    );
    let c = inv
        .retire_camera(RetireCameraInput {
            id: "SPRING-99".into(),
            reason: Some("stolen".into()),
        })
        .await
        .unwrap();
    assert_eq!(c.status, CameraStatus::Retired);
    assert!(c.notes.unwrap().contains("stolen"));
    let list = inv
        .list_cameras(ListCamerasInput {
            health: Some(HealthState::Retired),
            ..all()
        })
        .await
        .unwrap();
    assert!(list.cameras.iter().any(|c| c.id == "SPRING-99"));

    match inv
        .camera_details(CameraRef {
            id: "NOPE".into(),
            as_of: None,
        })
        .await
    {
        Err(SkillError::NotFound { hint, .. }) => assert!(hint.contains("known cameras"), "{hint}"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let err = inv
        .list_cameras(ListCamerasInput {
            limit: Some(100_000),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("limit"));
}

#[tokio::test]
async fn coverage_is_geojson_with_a_point_per_camera_and_the_surveyed_area() {
    let (inv, truth, _d) = study().await;
    let cov = inv
        .coverage(CoverageInput {
            include_retired: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    let json = serde_json::to_value(&cov).unwrap();
    assert_eq!(json["type"], "FeatureCollection");
    let points: Vec<&serde_json::Value> = json["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["geometry"]["type"] == "Point")
        .collect();
    assert_eq!(points.len(), truth.cameras.len());
    let first = truth
        .cameras
        .iter()
        .find(|c| c.id == points[0]["properties"]["id"])
        .unwrap();
    assert_eq!(
        points[0]["geometry"]["coordinates"],
        serde_json::json!([first.longitude, first.latitude]),
        "GeoJSON is [lon, lat]"
    );
    let polygon = json["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["geometry"]["type"] == "Polygon")
        .unwrap();
    let ring = polygon["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.first(), ring.last(), "closed ring");
    assert!(ring.len() >= 4);
}
