//! Camtrap DP 1.0.2 import, export and validation, on real SQLite files.
//!
//! - our export is valid (our validator finds nothing) and its headers are the official
//!   field lists; our validator's rules match the official schema files (copied, MIT
//!   licence, under `tests/fixtures/camtrap-dp/official/`);
//! - export -> import into an empty database -> export gives the same database content and
//!   the same bytes (malfunction windows survive as split deployments);
//! - importing the same package twice adds nothing;
//! - bad input is refused with nothing written and an error naming file, line and field;
//! - a hand-written third-party style package imports as expected.

use serde_json::Value;
use std::path::{Path, PathBuf};
use trailmesh_core::camtrap_dp::{self, ExportOptions, Violation, malfunction_id, schema};
use trailmesh_core::store::{Counts, DetectionQuery, EventQuery, MediaQuery};
use trailmesh_core::*;

// ---------------------------------------------------------------------------------------
// helpers

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/camtrap-dp")
}

async fn store_in(dir: &Path, name: &str) -> Store {
    Store::open(&dir.join(name).display().to_string())
        .await
        .expect("open SQLite")
}

fn t(s: &str) -> Timestamp {
    parse_zoned(s).expect("test timestamp").0
}

fn opts() -> ExportOptions {
    ExportOptions {
        title: Some("Yellowstone trail study".to_string()),
        created: Some(t("2024-08-01T12:00:00Z")),
    }
}

const FILES: [&str; 4] = ["datapackage.json", "deployments.csv", "media.csv", "observations.csv"];

fn copy_package(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for f in FILES {
        std::fs::copy(from.join(f), to.join(f)).expect("copy fixture");
    }
}

/// Rows of a CSV file, header included.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("open csv");
    r.records()
        .map(|rec| rec.expect("csv record").iter().map(str::to_string).collect())
        .collect()
}

fn write_csv(path: &Path, rows: &[Vec<String>]) {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)
        .expect("create csv");
    for r in rows {
        w.write_record(r).expect("write csv");
    }
    w.flush().expect("flush csv");
}

/// Sets one cell: `line` is the 1-based line in the file (the header is line 1).
fn set_cell(dir: &Path, file: &str, line: usize, column: &str, value: &str) {
    let path = dir.join(file);
    let mut rows = read_csv(&path);
    let col = rows[0].iter().position(|h| h == column).expect("column");
    rows[line - 1][col] = value.to_string();
    write_csv(&path, &rows);
}

fn drop_column(dir: &Path, file: &str, column: &str) {
    let path = dir.join(file);
    let mut rows = read_csv(&path);
    let col = rows[0].iter().position(|h| h == column).expect("column");
    for r in &mut rows {
        r.remove(col);
    }
    write_csv(&path, &rows);
}

fn edit_json(dir: &Path, f: impl FnOnce(&mut Value)) {
    let path = dir.join("datapackage.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).expect("read json")).expect("parse json");
    f(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("json")).expect("write json");
}

fn input_errors(e: &ImportError) -> Vec<InputError> {
    match e {
        ImportError::Input(e) => vec![e.clone()],
        ImportError::Inputs(v) => v.clone(),
        other => panic!("expected an input error, got {other}"),
    }
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    species: Vec<Species>,
    cameras: Vec<Camera>,
    deployments: Vec<Deployment>,
    malfunctions: Vec<Malfunction>,
    media: Vec<Media>,
    events: Vec<Event>,
    detections: Vec<Detection>,
    tracks: Vec<Track>,
}

async fn snapshot(store: &Store) -> Snapshot {
    Snapshot {
        species: store.species().await.unwrap(),
        cameras: store.cameras().await.unwrap(),
        deployments: store.deployments(None).await.unwrap(),
        malfunctions: store.malfunctions(None).await.unwrap(),
        media: store.media(&MediaQuery::default()).await.unwrap(),
        events: store.events(&EventQuery::default()).await.unwrap(),
        detections: store.detections(&DetectionQuery::default()).await.unwrap(),
        tracks: store.tracks(None).await.unwrap(),
    }
}

// ---------------------------------------------------------------------------------------
// the study

fn deployment(id: &str, camera: &str, lat: f64, lon: f64, start: &str, end: &str) -> Deployment {
    let (s, offset) = parse_zoned(start).expect("start");
    Deployment {
        id: id.to_string(),
        camera_id: camera.to_string(),
        location_id: None,
        location_name: None,
        latitude: Some(lat),
        longitude: Some(lon),
        start: s,
        end: t(end),
        utc_offset_min: offset,
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

/// A camera as Camtrap DP describes it: named by its id, placed and described by its
/// earliest deployment (the only camera facts the format carries).
fn camera(first: &Deployment, model: Option<&str>) -> Camera {
    Camera {
        latitude: first.latitude,
        longitude: first.longitude,
        habitat: first.habitat.clone(),
        feature_type: first.feature_type,
        model: model.map(str::to_string),
        height_m: first.camera_height,
        heading_deg: first.camera_heading,
        detection_distance_m: first.detection_distance,
        ..Camera::new(first.camera_id.clone(), first.camera_id.clone())
    }
}

fn malfunction(dep: &str, start: &str, end: &str, reason: &str) -> Malfunction {
    Malfunction {
        id: malfunction_id(dep, t(start)),
        deployment_id: dep.to_string(),
        start: t(start),
        end: t(end),
        reason: reason.to_string(),
    }
}

fn media(id: &str, dep: &Deployment, at: &str, path: &str, media_type: &str) -> Media {
    Media {
        id: id.to_string(),
        deployment_id: dep.id.clone(),
        camera_id: dep.camera_id.clone(),
        timestamp: t(at),
        timestamp_source: TimestampSource::Imported,
        file_path: path.to_string(),
        file_name: path.rsplit('/').next().map(str::to_string),
        media_type: media_type.to_string(),
        capture_method: Some(CaptureMethod::ActivityDetection),
        file_public: true,
        favorite: None,
        frame_rate: None,
        comments: None,
    }
}

fn event(id: &str, dep: &Deployment, start: &str, end: &str, kind: ObservationType, name: Option<&str>) -> Event {
    Event {
        id: id.to_string(),
        deployment_id: dep.id.clone(),
        camera_id: dep.camera_id.clone(),
        start: t(start),
        end: t(end),
        observation_type: kind,
        scientific_name: name.map(str::to_string),
        count: None,
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

fn detection(id: &str, m: &Media, event: Option<&str>, name: Option<&str>, bbox: Option<[f64; 4]>) -> Detection {
    Detection {
        id: id.to_string(),
        media_id: m.id.clone(),
        camera_id: m.camera_id.clone(),
        deployment_id: m.deployment_id.clone(),
        timestamp: m.timestamp,
        frame_number: None,
        observation_type: if name.is_some() {
            ObservationType::Animal
        } else {
            ObservationType::Unknown
        },
        scientific_name: name.map(str::to_string),
        count: Some(1),
        life_stage: None,
        sex: None,
        behavior: None,
        individual_id: None,
        confidence: None,
        bbox: bbox.map(|[x, y, width, height]| BBox { x, y, width, height }),
        classification_method: Some(ClassificationMethod::Machine),
        classified_by: Some("MegaDetector v5a + SpeciesNet 4.0".to_string()),
        classification_probability: Some(0.93),
        event_id: event.map(str::to_string),
        track_id: None,
    }
}

const DEER: &str = "Odocoileus virginianus";
const BOBCAT: &str = "Lynx rufus";
const COYOTE: &str = "Canis latrans";

/// Three cameras, four deployments (one with two malfunction windows, one broken from its
/// very start), media in several zones and path styles, events and detections with boxes,
/// an individual, species with and without observations.
fn study() -> Batch {
    let mut a1 = deployment(
        "DEP-A1",
        "CAM-A",
        44.428,
        -110.5885,
        "2024-05-01T08:00:00-06:00",
        "2024-06-01T10:00:00-06:00",
    );
    a1.location_id = Some("LOC-A".to_string());
    a1.location_name = Some("North trail, upper bend".to_string());
    a1.feature_type = Some(FeatureType::TrailGame);
    a1.habitat = Some("lodgepole pine".to_string());
    a1.camera_height = Some(0.8);
    a1.camera_tilt = Some(-10.0);
    a1.camera_heading = Some(225.0);
    a1.detection_distance = Some(9.5);
    a1.bait_use = Some(false);
    a1.timestamp_issues = Some(false);
    a1.setup_by = Some("R. Ranger".to_string());
    a1.tags = Some("season:spring | grid:A1".to_string());
    a1.comments = Some("strapped to a \"leaning\" pine, facing SW".to_string());
    let mut a2 = deployment(
        "DEP-A2",
        "CAM-A",
        44.4281,
        -110.5886,
        "2024-06-02T09:00:00-06:00",
        "2024-07-01T09:00:00-06:00",
    );
    a2.feature_type = Some(FeatureType::TrailGame);
    a2.tags = Some("season:summer".to_string());
    let mut b1 = deployment(
        "DEP-B1",
        "CAM-B",
        44.4512,
        -110.6021,
        "2024-05-02T07:30:00-05:00",
        "2024-06-15T18:45:30-05:00",
    );
    b1.feature_type = Some(FeatureType::WaterSource);
    b1.camera_height = Some(1.25);
    b1.bait_use = Some(true);
    b1.habitat = Some("willow flats".to_string());
    let c1 = deployment(
        "DEP-C1",
        "CAM-C",
        44.4105,
        -110.5702,
        "2024-05-03T00:00:00Z",
        "2024-05-31T23:59:59Z",
    );

    let malfunctions = vec![
        malfunction(
            "DEP-A1",
            "2024-05-10T00:00:00-06:00",
            "2024-05-12T12:00:00-06:00",
            "battery dead",
        ),
        malfunction(
            "DEP-A1",
            "2024-05-20T06:00:00-06:00",
            "2024-05-21T06:00:00-06:00",
            "lens fogged | knocked over, 100% blind",
        ),
        malfunction(
            "DEP-C1",
            "2024-05-03T00:00:00Z",
            "2024-05-04T00:00:00Z",
            "snow on the lens",
        ),
    ];

    let mut m = vec![
        media(
            "M-A1-001",
            &a1,
            "2024-05-05T06:12:00-06:00",
            "/data/traps/CAM-A/IMG 0001.JPG",
            "image/jpeg",
        ),
        media(
            "M-A1-002",
            &a1,
            "2024-05-05T06:12:02-06:00",
            "/data/traps/CAM-A/IMG 0002.JPG",
            "image/jpeg",
        ),
        media(
            "M-A1-003",
            &a1,
            "2024-05-15T21:40:00-06:00",
            "CAM-A/VID_0003.MP4",
            "video/mp4",
        ),
        media(
            "M-A1-004",
            &a1,
            "2024-05-25T12:00:00-06:00",
            "CAM-A/TL_0004.JPG",
            "image/jpeg",
        ),
        media(
            "M-A2-001",
            &a2,
            "2024-06-10T05:00:00-06:00",
            "CAM-A/IMG_0101.JPG",
            "image/jpeg",
        ),
        media(
            "M-B1-001",
            &b1,
            "2024-05-09T19:03:10-05:00",
            "https://media.example.org/b1/0001.jpg",
            "image/jpeg",
        ),
        media(
            "M-B1-002",
            &b1,
            "2024-05-09T19:03:11-05:00",
            "https://media.example.org/b1/0002.jpg",
            "image/jpeg",
        ),
        media(
            "M-C1-001",
            &c1,
            "2024-05-10T03:00:00Z",
            "CAM-C/IMG_0001.JPG",
            "image/jpeg",
        ),
    ];
    m[0].favorite = Some(true);
    m[2].comments = Some("night, \"eyes\" only".to_string());
    m[3].capture_method = Some(CaptureMethod::TimeLapse);
    m[3].file_public = false;
    m[7].favorite = Some(false);
    m[7].capture_method = None;

    let mut e1 = event(
        "EV-1",
        &a1,
        "2024-05-05T06:12:00-06:00",
        "2024-05-05T06:12:02-06:00",
        ObservationType::Animal,
        Some(DEER),
    );
    e1.count = Some(2);
    e1.life_stage = Some(LifeStage::Adult);
    e1.sex = Some(Sex::Female);
    e1.behavior = Some("feeding|vigilance".to_string());
    e1.classification_method = Some(ClassificationMethod::Human);
    e1.classified_by = Some("R. Ranger".to_string());
    e1.best_media_id = Some("M-A1-002".to_string());
    e1.description = Some("Two does browsing; one looks up, then both walk off".to_string());
    let mut e2 = event(
        "EV-2",
        &a1,
        "2024-05-15T21:40:00-06:00",
        "2024-05-15T21:40:00-06:00",
        ObservationType::Animal,
        Some(BOBCAT),
    );
    e2.count = Some(1);
    e2.classification_method = Some(ClassificationMethod::Machine);
    e2.classified_by = Some("SpeciesNet 4.0".to_string());
    e2.classification_probability = Some(0.87);
    let mut e3 = event(
        "EV-3",
        &b1,
        "2024-05-09T19:03:10-05:00",
        "2024-05-09T19:03:11-05:00",
        ObservationType::Animal,
        Some(COYOTE),
    );
    e3.count = Some(1);
    e3.individual_id = Some("COY-7".to_string());
    e3.sex = Some(Sex::Male);
    e3.life_stage = Some(LifeStage::Adult);
    e3.behavior = Some("travelling".to_string());
    let e4 = event(
        "EV-4",
        &c1,
        "2024-05-10T03:00:00Z",
        "2024-05-10T03:00:00Z",
        ObservationType::Blank,
        None,
    );

    let mut d = vec![
        detection("DET-1", &m[0], Some("EV-1"), Some(DEER), Some([0.1, 0.2, 0.3, 0.4])),
        detection("DET-2", &m[0], Some("EV-1"), Some(DEER), Some([0.55, 0.25, 0.2, 0.35])),
        detection(
            "DET-3",
            &m[1],
            Some("EV-1"),
            Some(DEER),
            Some([0.125, 0.0625, 0.333, 0.5]),
        ),
        detection("DET-4", &m[2], Some("EV-2"), Some(BOBCAT), Some([0.4, 0.4, 0.125, 0.2])),
        detection(
            "DET-5",
            &m[5],
            Some("EV-3"),
            Some(COYOTE),
            Some([0.0, 0.61, 0.25, 0.39]),
        ),
        detection("DET-6", &m[6], None, None, None),
        detection("DET-7", &m[7], Some("EV-4"), None, None),
    ];
    d[1].classification_probability = Some(0.88);
    d[4].individual_id = Some("COY-7".to_string());
    d[4].sex = Some(Sex::Male);
    d[4].life_stage = Some(LifeStage::Adult);
    d[4].behavior = Some("travelling".to_string());
    d[6].observation_type = ObservationType::Blank;
    d[6].count = None;
    d[6].classification_probability = None;

    let species = vec![
        Species {
            scientific_name: DEER.to_string(),
            common_name: Some("white-tailed deer".to_string()),
            taxon_rank: Some("species".to_string()),
        },
        Species {
            scientific_name: BOBCAT.to_string(),
            common_name: Some("bobcat".to_string()),
            taxon_rank: Some("species".to_string()),
        },
        Species {
            scientific_name: COYOTE.to_string(),
            common_name: Some("coyote".to_string()),
            taxon_rank: Some("species".to_string()),
        },
        Species {
            scientific_name: "Cervidae".to_string(),
            common_name: None,
            taxon_rank: Some("family".to_string()),
        },
        Species {
            scientific_name: "Ursus arctos".to_string(),
            common_name: Some("grizzly bear".to_string()),
            taxon_rank: None,
        },
    ];

    let cameras = vec![
        camera(&a1, Some("Reconyx-HyperFire2")),
        camera(&b1, Some("Browning-BTC-8E")),
        camera(&c1, None),
    ];
    Batch {
        species,
        cameras,
        deployments: vec![a1, a2, b1, c1],
        malfunctions,
        media: m,
        events: vec![e1, e2, e3, e4],
        tracks: Vec::new(),
        detections: d,
    }
}

/// A store holding the study, in `dir`.
async fn study_store(dir: &Path) -> Store {
    let store = store_in(dir, "study.db").await;
    store.ingest(&study(), None).await.expect("ingest the study");
    store
}

// ---------------------------------------------------------------------------------------
// 1. the export is valid and matches the official schemas

fn official(name: &str) -> Value {
    let path = fixtures().join("official").join(name);
    serde_json::from_slice(&std::fs::read(&path).expect("official schema")).expect("official JSON")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[test]
fn our_rules_match_the_official_schema_files() {
    for table in schema::TABLES {
        let o = official(&format!("{}-table-schema.json", table.name));
        assert_eq!(o["name"], table.name);
        let fields = o["fields"].as_array().expect("fields");
        let names: Vec<&str> = fields.iter().filter_map(|f| f["name"].as_str()).collect();
        assert_eq!(names, table.header(), "{}: field names and order", table.name);
        for (ours, theirs) in table.fields.iter().zip(fields) {
            let c = &theirs["constraints"];
            let what = format!("{}.{}", table.name, ours.name);
            assert_eq!(theirs["type"], ours.field_type.as_str(), "{what}: type");
            assert_eq!(
                c["required"].as_bool().unwrap_or(false),
                ours.required,
                "{what}: required"
            );
            assert_eq!(c["unique"].as_bool().unwrap_or(false), ours.unique, "{what}: unique");
            assert_eq!(strings(&c["enum"]), ours.enum_values, "{what}: enum");
            assert_eq!(c["minimum"].as_f64(), ours.minimum, "{what}: minimum");
            assert_eq!(c["maximum"].as_f64(), ours.maximum, "{what}: maximum");
            assert_eq!(c["pattern"].as_str(), ours.pattern, "{what}: pattern");
            assert_eq!(theirs["format"].as_str(), ours.format, "{what}: format");
        }
        assert_eq!(o["primaryKey"], table.primary_key, "{}: primary key", table.name);
        let fks: Vec<(String, String, String)> = o["foreignKeys"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|fk| {
                        (
                            fk["fields"].as_str().unwrap_or_default().to_string(),
                            fk["reference"]["resource"].as_str().unwrap_or_default().to_string(),
                            fk["reference"]["fields"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let ours: Vec<(String, String, String)> = table
            .foreign_keys
            .iter()
            .map(|fk| {
                (
                    fk.field.to_string(),
                    fk.resource.to_string(),
                    fk.reference_field.to_string(),
                )
            })
            .collect();
        assert_eq!(fks, ours, "{}: foreign keys", table.name);
        assert_eq!(
            strings(&o["missingValues"]),
            schema::MISSING_VALUES,
            "{}: missing values",
            table.name
        );
    }

    let p = official("camtrap-dp-profile.json");
    let rules = &p["allOf"][1];
    let props = &rules["properties"];
    use schema::profile as our;
    assert_eq!(strings(&rules["required"]), our::REQUIRED);
    let res = &props["resources"];
    assert_eq!(res["minItems"].as_u64(), Some(our::RESOURCES_MIN_ITEMS as u64));
    let camtrap_res = &res["items"]["oneOf"][0];
    assert_eq!(strings(&camtrap_res["required"]), our::RESOURCE_REQUIRED);
    assert_eq!(strings(&camtrap_res["properties"]["name"]["enum"]), our::RESOURCE_NAMES);
    assert_eq!(
        strings(&camtrap_res["properties"]["profile"]["enum"]),
        our::RESOURCE_PROFILES
    );
    assert_eq!(p["$defs"]["version"]["pattern"], our::SCHEMA_VERSION_PATTERN);
    assert_eq!(
        strings(&props["contributors"]["items"]["properties"]["role"]["enum"]),
        our::CONTRIBUTOR_ROLES
    );
    let project = &props["project"];
    assert_eq!(strings(&project["required"]), our::PROJECT_REQUIRED);
    assert_eq!(
        strings(&project["properties"]["samplingDesign"]["enum"]),
        our::SAMPLING_DESIGNS
    );
    assert_eq!(
        strings(&project["properties"]["captureMethod"]["items"]["enum"]),
        our::CAPTURE_METHODS
    );
    assert_eq!(project["properties"]["captureMethod"]["minItems"].as_u64(), Some(1));
    assert_eq!(
        strings(&project["properties"]["observationLevel"]["items"]["enum"]),
        our::OBSERVATION_LEVELS
    );
    assert_eq!(strings(&props["temporal"]["required"]), our::TEMPORAL_REQUIRED);
    let taxon = &props["taxonomic"]["items"];
    assert_eq!(strings(&taxon["required"]), our::TAXON_REQUIRED);
    assert_eq!(strings(&taxon["properties"]["taxonRank"]["enum"]), our::TAXON_RANKS);
    let vernacular = taxon["properties"]["vernacularNames"]["patternProperties"]
        .as_object()
        .expect("vernacular names");
    assert_eq!(vernacular.keys().collect::<Vec<_>>(), vec![our::VERNACULAR_KEY_PATTERN]);
    let licenses = &props["licenses"];
    assert_eq!(licenses["minItems"].as_u64(), Some(our::LICENSES_MIN_ITEMS as u64));
    assert_eq!(
        strings(&licenses["items"]["properties"]["scope"]["enum"]),
        our::LICENSE_SCOPES
    );
    let related = &props["relatedIdentifiers"]["items"];
    assert_eq!(strings(&related["required"]), our::RELATED_IDENTIFIER_REQUIRED);
    assert_eq!(
        strings(&related["properties"]["relationType"]["enum"]),
        our::RELATION_TYPES
    );
    assert_eq!(
        strings(&related["properties"]["resourceTypeGeneral"]["enum"]),
        our::RESOURCE_TYPES_GENERAL
    );
    assert_eq!(
        strings(&related["properties"]["relatedIdentifierType"]["enum"]),
        our::RELATED_IDENTIFIER_TYPES
    );
}

#[tokio::test]
async fn the_export_is_valid_camtrap_dp() {
    let tmp = tempfile::tempdir().unwrap();
    let store = study_store(tmp.path()).await;
    let out = tmp.path().join("package");
    let summary = camtrap_dp::export_package(&store, &out, &opts(), &NoProgress)
        .await
        .expect("export");
    // DEP-A1 is split in three at its two malfunctions, DEP-C1 in two.
    assert_eq!((summary.deployments, summary.media, summary.observations), (7, 8, 11));
    assert_eq!(summary.dir, out);

    let violations = camtrap_dp::validate_package(&out);
    assert!(violations.is_empty(), "{violations:#?}");

    // Headers are exactly the official field lists, in order.
    for table in ["deployments", "media", "observations"] {
        let o = official(&format!("{table}-table-schema.json"));
        let official_names: Vec<String> = o["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect();
        let rows = read_csv(&out.join(format!("{table}.csv")));
        assert_eq!(rows[0], official_names, "{table}.csv header");
    }

    // Malfunctions became deployment boundaries, tagged so that we can merge them back.
    let deployments = read_csv(&out.join("deployments.csv"));
    let col = |name: &str| deployments[0].iter().position(|h| h == name).unwrap();
    let ids: Vec<&str> = deployments[1..]
        .iter()
        .map(|r| r[col("deploymentID")].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "DEP-A1", "DEP-A1~2", "DEP-A1~3", "DEP-A2", "DEP-B1", "DEP-C1", "DEP-C1~2"
        ]
    );
    let row = |id: &str| deployments.iter().find(|r| r[col("deploymentID")] == id).unwrap();
    assert_eq!(row("DEP-A1")[col("deploymentStart")], "2024-05-01T08:00:00-06:00");
    assert_eq!(row("DEP-A1")[col("deploymentEnd")], "2024-05-10T00:00:00-06:00");
    assert_eq!(row("DEP-A1~2")[col("deploymentStart")], "2024-05-12T12:00:00-06:00");
    assert_eq!(row("DEP-A1~3")[col("deploymentEnd")], "2024-06-01T10:00:00-06:00");
    assert_eq!(
        row("DEP-A1")[col("deploymentTags")],
        "season:spring | grid:A1 | trailmesh:deployment=DEP-A1"
    );
    assert_eq!(
        row("DEP-A1~3")[col("deploymentTags")],
        "season:spring | grid:A1 | trailmesh:deployment=DEP-A1 | trailmesh:malfunction=lens fogged %7C knocked over, 100%25 blind"
    );
    assert_eq!(row("DEP-A2")[col("deploymentTags")], "season:summer");
    assert_eq!(row("DEP-C1")[col("deploymentEnd")], "2024-05-03T00:00:00+00:00");
    assert_eq!(row("DEP-A1")[col("cameraModel")], "Reconyx-HyperFire2");
    assert_eq!(row("DEP-A1")[col("cameraTilt")], "-10");
    assert_eq!(row("DEP-B1")[col("deploymentStart")], "2024-05-02T07:30:00-05:00");

    // Media and observations sit in the piece that contains their time.
    let media = read_csv(&out.join("media.csv"));
    let mcol = |name: &str| media[0].iter().position(|h| h == name).unwrap();
    let m = |id: &str| media.iter().find(|r| r[mcol("mediaID")] == id).unwrap().clone();
    assert_eq!(m("M-A1-001")[mcol("deploymentID")], "DEP-A1");
    assert_eq!(m("M-A1-003")[mcol("deploymentID")], "DEP-A1~2");
    assert_eq!(m("M-A1-004")[mcol("deploymentID")], "DEP-A1~3");
    assert_eq!(m("M-C1-001")[mcol("deploymentID")], "DEP-C1~2");
    assert_eq!(
        m("M-A1-001")[mcol("filePath")],
        "file:///data/traps/CAM-A/IMG%200001.JPG"
    );
    assert_eq!(m("M-A1-001")[mcol("timestamp")], "2024-05-05T06:12:00-06:00");
    assert_eq!(m("M-A1-004")[mcol("filePublic")], "false");
    let observations = read_csv(&out.join("observations.csv"));
    let ocol = |name: &str| observations[0].iter().position(|h| h == name).unwrap();
    let o = |id: &str| {
        observations
            .iter()
            .find(|r| r[ocol("observationID")] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(o("EV-1")[ocol("observationLevel")], "event");
    assert_eq!(o("EV-1")[ocol("eventID")], "EV-1");
    assert_eq!(o("EV-1")[ocol("mediaID")], "");
    assert_eq!(o("EV-1")[ocol("observationTags")], "trailmesh:bestMedia=M-A1-002");
    assert_eq!(o("EV-2")[ocol("deploymentID")], "DEP-A1~2");
    assert_eq!(o("DET-5")[ocol("observationLevel")], "media");
    assert_eq!(o("DET-5")[ocol("bboxY")], "0.61");
    assert_eq!(o("DET-5")[ocol("individualID")], "COY-7");
    assert_eq!(o("DET-7")[ocol("deploymentID")], "DEP-C1~2");
    let order: Vec<&str> = observations[1..]
        .iter()
        .map(|r| r[ocol("observationID")].as_str())
        .collect();
    assert_eq!(
        order,
        [
            "DET-1", "DET-2", "EV-1", "DET-3", "DET-5", "EV-3", "DET-6", "DET-7", "EV-4", "DET-4", "EV-2"
        ]
    );

    // The descriptor carries every required property.
    let dp: Value = serde_json::from_slice(&std::fs::read(out.join("datapackage.json")).unwrap()).unwrap();
    assert_eq!(dp["profile"], camtrap_dp::PROFILE_URL);
    assert_eq!(dp["created"], "2024-08-01T12:00:00Z");
    assert_eq!(
        dp["resources"][2]["schema"],
        "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/observations-table-schema.json"
    );
    assert_eq!(dp["contributors"][0]["title"], "trailmesh");
    assert_eq!(dp["project"]["title"], "Yellowstone trail study");
    assert_eq!(dp["project"]["samplingDesign"], "opportunistic");
    assert_eq!(
        strings(&dp["project"]["captureMethod"]),
        ["activityDetection", "timeLapse"]
    );
    assert_eq!(dp["project"]["individualAnimals"], true);
    assert_eq!(strings(&dp["project"]["observationLevel"]), ["media", "event"]);
    assert_eq!(dp["temporal"]["start"], "2024-05-01");
    assert_eq!(dp["temporal"]["end"], "2024-07-01");
    assert_eq!(dp["spatial"]["type"], "Polygon");
    assert_eq!(
        dp["spatial"]["bbox"],
        serde_json::json!([-110.6021, 44.4105, -110.5702, 44.4512])
    );
    let taxa: Vec<&str> = dp["taxonomic"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["scientificName"].as_str().unwrap())
        .collect();
    assert_eq!(taxa, [COYOTE, "Cervidae", BOBCAT, DEER, "Ursus arctos"]);
    assert_eq!(dp["taxonomic"][3]["vernacularNames"]["eng"], "white-tailed deer");
    assert_eq!(dp["taxonomic"][1]["taxonRank"], "family");
}

// ---------------------------------------------------------------------------------------
// 2. round trip

#[tokio::test]
async fn export_import_export_is_lossless_and_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let original = study_store(tmp.path()).await;
    let first = tmp.path().join("first");
    camtrap_dp::export_package(&original, &first, &opts(), &NoProgress)
        .await
        .expect("first export");

    let copy = store_in(tmp.path(), "copy.db").await;
    let summary = camtrap_dp::import_package(&copy, &first, &NoProgress)
        .await
        .expect("import");
    assert!(summary.warnings.is_empty(), "{:#?}", summary.warnings);
    assert_eq!(summary.kind, "camtrap-dp");
    assert_eq!(summary.report.malfunctions.inserted, 3);

    let before = snapshot(&original).await;
    let after = snapshot(&copy).await;
    assert_eq!(after.species, before.species);
    assert_eq!(after.cameras, before.cameras);
    assert_eq!(after.deployments, before.deployments);
    assert_eq!(after.malfunctions, before.malfunctions);
    assert_eq!(after.media, before.media);
    assert_eq!(after.events, before.events);
    assert_eq!(after.detections, before.detections);
    assert_eq!(after, before);

    let second = tmp.path().join("second");
    camtrap_dp::export_package(&copy, &second, &opts(), &NoProgress)
        .await
        .expect("second export");
    for f in FILES {
        let a = std::fs::read(first.join(f)).unwrap();
        let b = std::fs::read(second.join(f)).unwrap();
        assert!(a == b, "{f} differs after export -> import -> export");
    }
}

#[tokio::test]
async fn what_camtrap_dp_cannot_carry_is_dropped_as_documented() {
    let tmp = tempfile::tempdir().unwrap();
    let mut batch = study();
    batch.cameras[0].name = "Upper bend".to_string();
    batch.cameras[0].site = Some("North Ridge".to_string());
    batch.cameras[0].battery_pct = Some(81.0);
    batch.media[2].frame_rate = Some(30.0);
    batch.media[0].timestamp_source = TimestampSource::Exif;
    batch.detections[0].confidence = Some(0.97);
    batch.detections[3].frame_number = Some(12);
    batch.detections[3].track_id = Some("TR-9".to_string());
    let store = store_in(tmp.path(), "a.db").await;
    store.ingest(&batch, None).await.unwrap();
    let out = tmp.path().join("pkg");
    camtrap_dp::export_package(&store, &out, &opts(), &NoProgress)
        .await
        .unwrap();
    let copy = store_in(tmp.path(), "b.db").await;
    camtrap_dp::import_package(&copy, &out, &NoProgress).await.unwrap();

    // Exactly the documented fields differ.
    let expected = snapshot(&{
        let s = store_in(tmp.path(), "c.db").await;
        s.ingest(&study(), None).await.unwrap();
        s
    })
    .await;
    assert_eq!(snapshot(&copy).await, expected);
}

#[tokio::test]
async fn export_refuses_a_deployment_without_coordinates() {
    let tmp = tempfile::tempdir().unwrap();
    let mut batch = study();
    batch.deployments[2].latitude = None;
    batch.deployments[2].longitude = None;
    let store = store_in(tmp.path(), "a.db").await;
    store.ingest(&batch, None).await.unwrap();
    let out = tmp.path().join("pkg");
    let err = camtrap_dp::export_package(&store, &out, &opts(), &NoProgress)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("DEP-B1") && msg.contains("latitude"), "{msg}");
    assert!(!out.join("deployments.csv").exists(), "nothing is written");

    let empty = store_in(tmp.path(), "empty.db").await;
    let err = camtrap_dp::export_package(&empty, &out, &opts(), &NoProgress)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no deployments"), "{err}");
}

// ---------------------------------------------------------------------------------------
// 3. idempotency

#[tokio::test]
async fn importing_the_same_package_twice_adds_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path(), "a.db").await;
    let sample = fixtures().join("sample");
    let first = camtrap_dp::import_package(&store, &sample, &NoProgress)
        .await
        .expect("first import");
    assert!(first.report.inserted() > 0);
    let counts = store.counts().await.unwrap();
    let second = camtrap_dp::import_package(&store, &sample.join("datapackage.json"), &NoProgress)
        .await
        .expect("second import");
    assert_eq!(second.report.inserted(), 0, "{:?}", second.report);
    assert_eq!(store.counts().await.unwrap(), counts);
    assert_eq!(counts.imports, 1);

    // Also for our own export, with split deployments and malfunctions.
    let study = study_store(tmp.path()).await;
    let out = tmp.path().join("pkg");
    camtrap_dp::export_package(&study, &out, &opts(), &NoProgress)
        .await
        .unwrap();
    let copy = store_in(tmp.path(), "b.db").await;
    camtrap_dp::import_package(&copy, &out, &NoProgress).await.unwrap();
    let counts = copy.counts().await.unwrap();
    let again = camtrap_dp::import_package(&copy, &out, &NoProgress).await.unwrap();
    assert_eq!(again.report.inserted(), 0);
    assert_eq!(copy.counts().await.unwrap(), counts);
}

#[tokio::test]
async fn importing_an_export_into_its_own_database_adds_nothing() {
    // Malfunctions named by some other scheme than ours still are not doubled.
    let tmp = tempfile::tempdir().unwrap();
    let mut batch = study();
    for (i, m) in batch.malfunctions.iter_mut().enumerate() {
        m.id = format!("mal-field-note-{i}");
    }
    let store = store_in(tmp.path(), "a.db").await;
    store.ingest(&batch, None).await.unwrap();
    let out = tmp.path().join("pkg");
    camtrap_dp::export_package(&store, &out, &opts(), &NoProgress)
        .await
        .unwrap();
    let before = snapshot(&store).await;
    let summary = camtrap_dp::import_package(&store, &out, &NoProgress).await.unwrap();
    assert_eq!(summary.report.inserted(), 0, "{:?}", summary.report);
    assert_eq!(snapshot(&store).await, before);
}

// ---------------------------------------------------------------------------------------
// 4. bad input

/// Copies the sample package, breaks it, imports it into a store that already holds data,
/// checks that nothing changed and returns the errors.
async fn refused(break_it: impl FnOnce(&Path)) -> (Vec<InputError>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("pkg");
    copy_package(&fixtures().join("sample"), &pkg);
    break_it(&pkg);
    let store = study_store(tmp.path()).await;
    let before: Counts = store.counts().await.unwrap();
    let err = camtrap_dp::import_package(&store, &pkg, &NoProgress)
        .await
        .expect_err("a broken package is refused");
    assert_eq!(store.counts().await.unwrap(), before, "the database is unchanged");
    // validate_package reports the same problems.
    assert!(!camtrap_dp::validate_package(&pkg).is_empty());
    (input_errors(&err), err.to_string())
}

fn find<'a>(errors: &'a [InputError], file: &str, line: Option<u64>, field: Option<&str>) -> &'a InputError {
    errors
        .iter()
        .find(|e| e.file.ends_with(file) && e.line == line && e.field.as_deref() == field)
        .unwrap_or_else(|| panic!("no error for {file} line {line:?} field {field:?} in {errors:#?}"))
}

#[tokio::test]
async fn a_truncated_datapackage_json_is_refused_with_its_line_and_column() {
    let (errors, msg) = refused(|dir| {
        let p = dir.join("datapackage.json");
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() * 2 / 5]).unwrap();
    })
    .await;
    let e = errors
        .iter()
        .find(|e| e.file.ends_with("datapackage.json"))
        .expect("json error");
    assert!(e.line.is_some_and(|l| l > 1), "{e}");
    assert!(e.message.contains("column") && e.message.contains("truncated"), "{e}");
    assert!(msg.contains("datapackage.json") && msg.contains("line"), "{msg}");
}

#[tokio::test]
async fn a_missing_required_column_is_refused() {
    let (errors, msg) = refused(|dir| drop_column(dir, "observations.csv", "observationType")).await;
    let e = find(&errors, "observations.csv", Some(1), Some("observationType"));
    assert!(e.message.contains("required column"), "{e}");
    assert!(
        msg.contains("observations.csv, line 1, field 'observationType'"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_wrong_enum_value_is_refused_at_its_line() {
    let (errors, msg) = refused(|dir| set_cell(dir, "observations.csv", 5, "observationType", "animall")).await;
    let e = find(&errors, "observations.csv", Some(5), Some("observationType"));
    assert!(
        e.message.contains("'animall'") && e.message.contains("animal, human, vehicle"),
        "{e}"
    );
    assert!(
        msg.contains("observations.csv, line 5, field 'observationType'"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_deployment_start_without_a_zone_is_refused() {
    let (errors, msg) =
        refused(|dir| set_cell(dir, "deployments.csv", 3, "deploymentStart", "2023-06-02T10:00:00")).await;
    let e = find(&errors, "deployments.csv", Some(3), Some("deploymentStart"));
    assert!(e.message.contains("no time zone"), "{e}");
    assert!(
        msg.contains("deployments.csv, line 3, field 'deploymentStart'"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_media_csv_that_is_json_is_refused() {
    let (errors, msg) = refused(|dir| {
        std::fs::write(
            dir.join("media.csv"),
            "\n[{\"mediaID\": \"m-001\", \"deploymentID\": \"dep-north\"}]\n",
        )
        .unwrap();
    })
    .await;
    let e = find(&errors, "media.csv", Some(2), None);
    assert!(e.message.contains("JSON, not CSV"), "{e}");
    assert!(msg.contains("media.csv, line 2"), "{msg}");
}

#[tokio::test]
async fn a_binary_file_is_refused() {
    let (errors, _) =
        refused(|dir| std::fs::write(dir.join("deployments.csv"), [0x89, b'P', b'N', b'G', 0, 0, 1, 2]).unwrap()).await;
    let e = errors
        .iter()
        .find(|e| e.file.ends_with("deployments.csv"))
        .expect("error");
    assert!(e.message.contains("binary"), "{e}");
}

#[tokio::test]
async fn a_foreign_key_to_an_unknown_deployment_is_refused() {
    let (errors, msg) = refused(|dir| set_cell(dir, "media.csv", 4, "deploymentID", "dep-nowhere")).await;
    let e = find(&errors, "media.csv", Some(4), Some("deploymentID"));
    assert!(
        e.message
            .contains("'dep-nowhere' is not a deploymentID in deployments.csv"),
        "{e}"
    );
    assert!(msg.contains("media.csv, line 4, field 'deploymentID'"), "{msg}");
}

#[tokio::test]
async fn a_duplicate_media_id_is_refused() {
    let (errors, msg) = refused(|dir| set_cell(dir, "media.csv", 3, "mediaID", "m-001")).await;
    let e = find(&errors, "media.csv", Some(3), Some("mediaID"));
    assert!(
        e.message.contains("duplicate mediaID 'm-001' (already on line 2)"),
        "{e}"
    );
    // obs-m2 pointed at m-002, which is now gone.
    find(&errors, "observations.csv", Some(4), Some("mediaID"));
    assert!(msg.starts_with("2 problems in the input"), "{msg}");
    assert!(msg.contains("media.csv, line 3, field 'mediaID'"), "{msg}");
}

// ---------------------------------------------------------------------------------------
// 5. a third-party style package

#[tokio::test]
async fn a_third_party_package_imports() {
    let sample = fixtures().join("sample");
    assert_eq!(camtrap_dp::validate_package(&sample), Vec::<Violation>::new());

    let tmp = tempfile::tempdir().unwrap();
    let store = store_in(tmp.path(), "a.db").await;
    let summary = camtrap_dp::import_package(&store, &sample, &NoProgress)
        .await
        .expect("import");
    let counts = store.counts().await.unwrap();
    assert_eq!(
        (counts.species, counts.cameras, counts.deployments, counts.malfunctions),
        (3, 2, 2, 0)
    );
    assert_eq!(
        (counts.media, counts.events, counts.detections, counts.imports),
        (5, 4, 4, 1)
    );

    // Columns without a place in our model are reported, not silently lost.
    let warnings = summary.warnings.join("\n");
    for w in [
        "deployments.csv, line 2, field 'coordinateUncertainty'",
        "deployments.csv, line 2, field 'cameraDelay'",
        "deployments.csv, line 2, field 'deploymentGroups'",
        "media.csv, line 5, field 'exifData'",
        "observations.csv, line 2, field 'individualSpeed'",
        "observations.csv, line 2, field 'classificationTimestamp'",
        "observations.csv, line 6, field 'observationTags'",
    ] {
        assert!(warnings.contains(w), "missing warning {w} in\n{warnings}");
    }

    let deployments = store.deployments(None).await.unwrap();
    let north = deployments.iter().find(|d| d.id == "dep-north").unwrap();
    assert_eq!(north.camera_id, "SN-2001");
    assert_eq!(north.utc_offset_min, -420);
    assert_eq!(north.start, t("2023-06-01T16:30:00Z"));
    assert_eq!(north.latitude, Some(46.8523));
    assert_eq!(north.camera_tilt, Some(-10.0));
    assert_eq!(north.feature_type, Some(FeatureType::TrailGame));
    assert_eq!(north.tags.as_deref(), Some("forest edge | bait:none"));
    let creek = deployments.iter().find(|d| d.id == "dep-creek").unwrap();
    assert_eq!(
        creek.camera_id, "dep-creek",
        "no cameraID: the deployment id names the camera"
    );
    assert_eq!(creek.bait_use, Some(true));
    assert_eq!(creek.comments.as_deref(), Some("Bait: apple, replaced weekly"));

    let cameras = store.cameras().await.unwrap();
    let sn = cameras.iter().find(|c| c.id == "SN-2001").unwrap();
    assert_eq!(sn.model.as_deref(), Some("Reconyx-HF2X"));
    assert_eq!(sn.latitude, Some(46.8523));
    assert_eq!(sn.detection_distance_m, Some(8.5));

    let media = store.media(&MediaQuery::default()).await.unwrap();
    let m4 = media.iter().find(|m| m.id == "m-004").unwrap();
    assert_eq!(m4.file_path, "https://media.example.org/creek/0004.mp4");
    assert_eq!(m4.media_type, "video/mp4");
    assert!(!m4.file_public);
    assert_eq!(m4.camera_id, "dep-creek");
    assert_eq!(m4.timestamp_source, TimestampSource::Imported);
    let m2 = media.iter().find(|m| m.id == "m-002").unwrap();
    assert_eq!((m2.favorite, m2.comments.as_deref()), (Some(true), Some("best shot")));
    assert_eq!(
        media.iter().find(|m| m.id == "m-003").unwrap().capture_method,
        Some(CaptureMethod::TimeLapse)
    );

    let events = store.events(&EventQuery::default()).await.unwrap();
    let e1 = events.iter().find(|e| e.id == "obs-e1").unwrap();
    assert_eq!(e1.scientific_name.as_deref(), Some("Vulpes vulpes"));
    assert_eq!(e1.description.as_deref(), Some("night visit"));
    assert_eq!(e1.classification_method, Some(ClassificationMethod::Human));
    assert_eq!(e1.end, t("2023-06-04T04:14:06Z"));
    let e3 = events.iter().find(|e| e.id == "obs-e3").unwrap();
    assert_eq!((e3.count, e3.sex), (Some(3), Some(Sex::Female)));
    assert_eq!(e3.behaviours(), vec![Behaviour::Drinking, Behaviour::Vigilance]);
    assert_eq!(
        events.iter().find(|e| e.id == "obs-e2").unwrap().observation_type,
        ObservationType::Blank
    );

    let detections = store.detections(&DetectionQuery::default()).await.unwrap();
    let d = |id: &str| detections.iter().find(|d| d.id == id).unwrap();
    // The package's eventIDs (seq-1, seq-3) are resolved to our event ids (observationIDs).
    assert_eq!(d("obs-m1").event_id.as_deref(), Some("obs-e1"));
    assert_eq!(d("obs-m3").event_id.as_deref(), Some("obs-e3"));
    assert_eq!(d("obs-m4").event_id, None);
    assert_eq!(
        d("obs-m1").bbox,
        Some(BBox {
            x: 0.41,
            y: 0.52,
            width: 0.2,
            height: 0.18
        })
    );
    assert_eq!(d("obs-m1").classification_probability, Some(0.91));
    assert_eq!(d("obs-m1").confidence, None);
    assert_eq!(d("obs-m4").observation_type, ObservationType::Human);
    assert_eq!(d("obs-m3").deployment_id, "dep-creek");
    assert_eq!(d("obs-m3").timestamp, t("2023-06-10T12:42:40Z"));

    let species = store.species().await.unwrap();
    let names: Vec<(&str, Option<&str>)> = species
        .iter()
        .map(|s| (s.scientific_name.as_str(), s.common_name.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("Canis lupus", Some("gray wolf")),
            ("Cervus canadensis", Some("wapiti")),
            ("Vulpes vulpes", Some("red fox"))
        ]
    );

    // And it exports again as valid Camtrap DP.
    let out = tmp.path().join("out");
    camtrap_dp::export_package(&store, &out, &opts(), &NoProgress)
        .await
        .expect("export");
    assert_eq!(camtrap_dp::validate_package(&out), Vec::<Violation>::new());
}

#[test]
fn read_package_parses_without_a_database() {
    let (batch, warnings, sha) = camtrap_dp::read_package(&fixtures().join("sample"), &NoProgress).expect("read");
    assert_eq!(
        (
            batch.deployments.len(),
            batch.media.len(),
            batch.events.len(),
            batch.detections.len()
        ),
        (2, 5, 4, 4)
    );
    assert!(!warnings.is_empty());
    assert_eq!(sha.len(), 64);
    let (_, _, again) = camtrap_dp::read_package(&fixtures().join("sample/datapackage.json"), &NoProgress).unwrap();
    assert_eq!(sha, again, "the hash is of the content, not of the path");
}

// ---------------------------------------------------------------------------------------
// the validator, rule by rule

#[test]
fn the_validator_locates_every_kind_of_broken_rule() {
    type Break = Box<dyn Fn(&Path)>;
    /// How to break the sample; then the violation expected: file, line, field, text.
    type Case = (Break, &'static str, Option<u64>, Option<&'static str>, &'static str);
    let cases: Vec<Case> = vec![
        (
            Box::new(|d| set_cell(d, "deployments.csv", 2, "latitude", "91")),
            "deployments.csv",
            Some(2),
            Some("latitude"),
            "between -90 and 90",
        ),
        (
            Box::new(|d| set_cell(d, "deployments.csv", 3, "longitude", "east")),
            "deployments.csv",
            Some(3),
            Some("longitude"),
            "not a number",
        ),
        (
            Box::new(|d| set_cell(d, "deployments.csv", 2, "cameraTilt", "12.5")),
            "deployments.csv",
            Some(2),
            Some("cameraTilt"),
            "not an integer",
        ),
        (
            Box::new(|d| set_cell(d, "deployments.csv", 2, "cameraHeading", "361")),
            "deployments.csv",
            Some(2),
            Some("cameraHeading"),
            "between 0 and 360",
        ),
        (
            Box::new(|d| set_cell(d, "deployments.csv", 3, "featureType", "river")),
            "deployments.csv",
            Some(3),
            Some("featureType"),
            "'river' is not an allowed value",
        ),
        (
            Box::new(|d| set_cell(d, "deployments.csv", 2, "baitUse", "yes")),
            "deployments.csv",
            Some(2),
            Some("baitUse"),
            "not a boolean",
        ),
        (
            Box::new(|d| set_cell(d, "deployments.csv", 2, "deploymentEnd", "2023-05-01T00:00:00Z")),
            "deployments.csv",
            Some(2),
            Some("deploymentEnd"),
            "before deploymentStart",
        ),
        (
            Box::new(|d| set_cell(d, "deployments.csv", 3, "deploymentID", "")),
            "deployments.csv",
            Some(3),
            Some("deploymentID"),
            "required but empty",
        ),
        (
            Box::new(|d| set_cell(d, "media.csv", 2, "filePath", "/home/ana/IMG_0001.JPG")),
            "media.csv",
            Some(2),
            Some("filePath"),
            "not a valid filePath",
        ),
        (
            Box::new(|d| set_cell(d, "media.csv", 2, "fileMediatype", "text/plain")),
            "media.csv",
            Some(2),
            Some("fileMediatype"),
            "not an image, video or audio",
        ),
        (
            Box::new(|d| set_cell(d, "media.csv", 2, "filePublic", "NA")),
            "media.csv",
            Some(2),
            Some("filePublic"),
            "required but empty",
        ),
        (
            Box::new(|d| set_cell(d, "media.csv", 3, "captureMethod", "motionDetection")),
            "media.csv",
            Some(3),
            Some("captureMethod"),
            "activityDetection, timeLapse",
        ),
        (
            Box::new(|d| set_cell(d, "media.csv", 2, "timestamp", "2023-06-03T21:14:05.250-07:00")),
            "media.csv",
            Some(2),
            Some("timestamp"),
            "fractional seconds",
        ),
        (
            Box::new(|d| drop_column(d, "media.csv", "favorite")),
            "media.csv",
            Some(1),
            Some("favorite"),
            "column 'favorite' is missing",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 3, "bboxX", "1.5")),
            "observations.csv",
            Some(3),
            Some("bboxX"),
            "between 0 and 1",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 3, "bboxWidth", "0")),
            "observations.csv",
            Some(3),
            Some("bboxWidth"),
            "between 0.000000000000001 and 1",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 3, "count", "0")),
            "observations.csv",
            Some(3),
            Some("count"),
            "at least 1",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 3, "classificationProbability", "1.2")),
            "observations.csv",
            Some(3),
            Some("classificationProbability"),
            "between 0 and 1",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 3, "mediaID", "")),
            "observations.csv",
            Some(3),
            Some("mediaID"),
            "media-based observation",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 3, "mediaID", "m-999")),
            "observations.csv",
            Some(3),
            Some("mediaID"),
            "not a mediaID in media.csv",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 2, "eventEnd", "2023-06-03T21:14:00-07:00")),
            "observations.csv",
            Some(2),
            Some("eventEnd"),
            "before eventStart",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 6, "sex", "f")),
            "observations.csv",
            Some(6),
            Some("sex"),
            "female, male",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 7, "lifeStage", "calf")),
            "observations.csv",
            Some(7),
            Some("lifeStage"),
            "adult, subadult, juvenile",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 3, "classificationMethod", "ai")),
            "observations.csv",
            Some(3),
            Some("classificationMethod"),
            "human, machine",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 2, "cameraSetupType", "test")),
            "observations.csv",
            Some(2),
            Some("cameraSetupType"),
            "setup, calibration",
        ),
        (
            Box::new(|d| set_cell(d, "observations.csv", 2, "observationLevel", "sequence")),
            "observations.csv",
            Some(2),
            Some("observationLevel"),
            "media, event",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["project"]["samplingDesign"] = "random".into())),
            "datapackage.json",
            None,
            Some("project.samplingDesign"),
            "opportunistic",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["project"]["captureMethod"] = serde_json::json!([]))),
            "datapackage.json",
            None,
            Some("project.captureMethod"),
            "at least one",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["project"]["individualAnimals"] = "no".into())),
            "datapackage.json",
            None,
            Some("project.individualAnimals"),
            "true or false",
        ),
        (
            Box::new(|d| edit_json(d, |v| _ = v.as_object_mut().unwrap().remove("temporal"))),
            "datapackage.json",
            None,
            Some("temporal"),
            "required property",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["temporal"]["end"] = "30/06/2023".into())),
            "datapackage.json",
            None,
            Some("temporal.end"),
            "YYYY-MM-DD",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["created"] = "last summer".into())),
            "datapackage.json",
            None,
            Some("created"),
            "ISO 8601",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["contributors"][1]["role"] = "author".into())),
            "datapackage.json",
            None,
            Some("contributors[1].role"),
            "principalInvestigator",
        ),
        (
            Box::new(|d| {
                edit_json(d, |v| {
                    v["resources"][0]["schema"] =
                        "https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0/deployments-table-schema.json".into()
                })
            }),
            "datapackage.json",
            None,
            Some("resources[0].schema"),
            "not a Camtrap DP 1.0.2 table schema",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["resources"][1]["profile"] = "data-resource".into())),
            "datapackage.json",
            None,
            Some("resources[1].profile"),
            "tabular-data-resource",
        ),
        (
            Box::new(|d| edit_json(d, |v| _ = v["resources"].as_array_mut().unwrap().remove(1))),
            "datapackage.json",
            None,
            Some("resources"),
            "the 'media' resource is missing",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["taxonomic"][1]["vernacularNames"]["en"] = "fox".into())),
            "datapackage.json",
            None,
            Some("taxonomic[1].vernacularNames.en"),
            "three-letter",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["taxonomic"][0]["taxonRank"] = "species group".into())),
            "datapackage.json",
            None,
            Some("taxonomic[0].taxonRank"),
            "subspecies",
        ),
        (
            Box::new(|d| {
                edit_json(d, |v| {
                    _ = v["taxonomic"][2].as_object_mut().unwrap().remove("scientificName")
                })
            }),
            "datapackage.json",
            None,
            Some("taxonomic[2].scientificName"),
            "required property",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["spatial"]["type"] = "Box".into())),
            "datapackage.json",
            None,
            Some("spatial.type"),
            "not a GeoJSON type",
        ),
        (
            Box::new(|d| {
                edit_json(d, |v| {
                    v["licenses"] = serde_json::json!([{"name": "CC0-1.0", "scope": "everything"}])
                })
            }),
            "datapackage.json",
            None,
            Some("licenses[0].scope"),
            "data, media",
        ),
        (
            Box::new(|d| edit_json(d, |v| v["relatedIdentifiers"][0]["relationType"] = "Mentions".into())),
            "datapackage.json",
            None,
            Some("relatedIdentifiers[0].relationType"),
            "IsDerivedFrom",
        ),
    ];
    for (i, (break_it, file, line, field, text)) in cases.into_iter().enumerate() {
        let tmp = tempfile::tempdir().unwrap();
        copy_package(&fixtures().join("sample"), tmp.path());
        break_it(tmp.path());
        let violations = camtrap_dp::validate_package(tmp.path());
        let hit = violations
            .iter()
            .find(|v| v.file == file && v.line == line && v.field.as_deref() == field && v.message.contains(text));
        assert!(
            hit.is_some(),
            "case {i}: no violation {file} {line:?} {field:?} containing '{text}' in {violations:#?}"
        );
    }
}

#[test]
fn violations_read_like_file_line_field_message() {
    let tmp = tempfile::tempdir().unwrap();
    copy_package(&fixtures().join("sample"), tmp.path());
    set_cell(tmp.path(), "media.csv", 6, "timestamp", "2023-06-10T05:42:40");
    let v = camtrap_dp::validate_package(tmp.path());
    assert_eq!(v.len(), 1, "{v:#?}");
    let text = v[0].to_string();
    assert!(
        text.starts_with("media.csv, line 6, field 'timestamp': timestamp '2023-06-10T05:42:40' has no time zone"),
        "{text}"
    );
    let missing = camtrap_dp::validate_package(&tmp.path().join("nowhere"));
    assert!(
        !missing.is_empty() && missing[0].message.contains("cannot read"),
        "{missing:#?}"
    );
}
