//! From the database to a Camtrap DP 1.0.2 package (see the module docs of [`super`]).

use super::cols::{dep, med, obs};
use super::encoding::{TAG_BEST_MEDIA, TAG_DEPLOYMENT, TAG_MALFUNCTION, encode_tag_value, export_file_path, join_tags};
use super::schema::{CAPTURE_METHODS, DEPLOYMENTS, MEDIA, OBSERVATIONS, PROFILE_URL, TABLES, TableSchema, profile};
use super::{ExportOptions, ExportSummary, validate_package};
use crate::import::{ImportError, InputError, Progress};
use crate::model::*;
use crate::store::{DetectionQuery, EventQuery, MediaQuery, Store};
use chrono::{FixedOffset, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

/// One row of deployments.csv: a whole deployment, or the part of one between malfunctions.
struct Piece<'a> {
    id: String,
    deployment: &'a Deployment,
    start: Timestamp,
    end: Timestamp,
    tags: Option<String>,
}

/// Whole seconds: the Camtrap DP datetime format has no fractions. Flooring keeps order
/// (`a <= b` stays true), so windows still contain what they contained.
fn floor_second(t: Timestamp) -> Timestamp {
    from_ms(to_ms(t).div_euclid(1000) * 1000)
}

fn time(t: Timestamp, offset_min: i32) -> String {
    format_with_offset(floor_second(t), offset_min)
}

fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

fn integer(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{}", v.round() as i64),
        _ => String::new(),
    }
}

fn boolean(v: Option<bool>) -> String {
    v.map(|b| if b { "true" } else { "false" }.to_string())
        .unwrap_or_default()
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn name<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Splits a deployment at its malfunction windows (clipped to the deployment; overlapping
/// windows are merged).
fn pieces<'a>(d: &'a Deployment, malfunctions: &[&Malfunction]) -> Vec<Piece<'a>> {
    let mut windows: Vec<(Timestamp, Timestamp, String)> = malfunctions
        .iter()
        .filter_map(|m| {
            let (s, e) = (m.start.max(d.start), m.end.min(d.end));
            (s <= e).then(|| (s, e, m.reason.clone()))
        })
        .collect();
    windows.sort_by_key(|w| (w.0, w.1));
    let mut merged: Vec<(Timestamp, Timestamp, String)> = Vec::new();
    for w in windows {
        match merged.last_mut() {
            Some(last) if w.0 < last.1 => {
                last.1 = last.1.max(w.1);
                last.2 = format!("{}; {}", last.2, w.2);
            }
            _ => merged.push(w),
        }
    }
    if merged.is_empty() {
        return vec![Piece {
            id: d.id.clone(),
            deployment: d,
            start: d.start,
            end: d.end,
            tags: d.tags.clone(),
        }];
    }
    let whole = format!("{TAG_DEPLOYMENT}{}", encode_tag_value(&d.id));
    (0..=merged.len())
        .map(|k| {
            let mut ours = vec![whole.clone()];
            if k > 0 {
                ours.push(format!("{TAG_MALFUNCTION}{}", encode_tag_value(&merged[k - 1].2)));
            }
            Piece {
                id: if k == 0 {
                    d.id.clone()
                } else {
                    format!("{}~{}", d.id, k + 1)
                },
                deployment: d,
                start: if k == 0 { d.start } else { merged[k - 1].1 },
                end: if k == merged.len() { d.end } else { merged[k].0 },
                tags: join_tags(d.tags.as_deref(), &ours),
            }
        })
        .collect()
}

/// The piece of a deployment a time belongs to: the last one starting at or before it
/// (the first piece for times before the deployment).
fn piece_at<'p, 'd>(pieces: &'p [Piece<'d>], t: Timestamp) -> &'p Piece<'d> {
    let i = pieces.partition_point(|p| p.start <= t);
    &pieces[i.saturating_sub(1)]
}

fn db_error(out_dir: &Path, table: &TableSchema, field: Option<&str>, message: String) -> InputError {
    InputError {
        file: out_dir.join(table.file_name()),
        line: None,
        field: field.map(str::to_string),
        message,
    }
}

fn write_csv(path: &Path, schema: &TableSchema, rows: &[Vec<String>]) -> Result<(), ImportError> {
    let file = std::fs::File::create(path).map_err(|e| ImportError::io(path, e))?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(std::io::BufWriter::new(file));
    let io = |e: csv::Error| ImportError::io(path, std::io::Error::other(e));
    w.write_record(schema.header()).map_err(io)?;
    for r in rows {
        w.write_record(r).map_err(io)?;
    }
    let mut inner = w
        .into_inner()
        .map_err(|e| ImportError::io(path, std::io::Error::other(e.to_string())))?;
    inner.flush().map_err(|e| ImportError::io(path, e))
}

#[derive(Serialize)]
struct Descriptor {
    resources: Vec<Resource>,
    profile: &'static str,
    created: String,
    title: String,
    contributors: Vec<Contributor>,
    project: Project,
    spatial: Spatial,
    temporal: Temporal,
    taxonomic: Vec<Taxon>,
}

#[derive(Serialize)]
struct Resource {
    name: &'static str,
    path: String,
    profile: &'static str,
    format: &'static str,
    mediatype: &'static str,
    encoding: &'static str,
    schema: String,
}

#[derive(Serialize)]
struct Contributor {
    title: &'static str,
    role: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Project {
    title: String,
    sampling_design: &'static str,
    capture_method: Vec<&'static str>,
    individual_animals: bool,
    observation_level: Vec<&'static str>,
}

#[derive(Serialize)]
struct Spatial {
    #[serde(rename = "type")]
    kind: &'static str,
    bbox: [f64; 4],
    coordinates: Vec<Vec<[f64; 2]>>,
}

#[derive(Serialize)]
struct Temporal {
    start: String,
    end: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Taxon {
    scientific_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    taxon_rank: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vernacular_names: Option<BTreeMap<&'static str, String>>,
}

fn local_date(t: Timestamp, offset_min: i32) -> String {
    let offset = FixedOffset::east_opt(offset_min * 60).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
    t.with_timezone(&offset).format("%Y-%m-%d").to_string()
}

pub(crate) async fn export(
    store: &Store,
    out_dir: &Path,
    opts: &ExportOptions,
    progress: &dyn Progress,
) -> Result<ExportSummary, ImportError> {
    progress.phase("reading the database", 7);
    let deployments = store.deployments(None).await?;
    let malfunctions = store.malfunctions(None).await?;
    let cameras = store.cameras().await?;
    progress.advance(3);
    let media = store.media(&MediaQuery::default()).await?;
    let events = store.events(&EventQuery::default()).await?;
    let detections = store.detections(&DetectionQuery::default()).await?;
    let species = store.species().await?;
    progress.advance(4);

    let mut errors: Vec<InputError> = Vec::new();
    if deployments.is_empty() {
        return Err(ImportError::Input(db_error(
            out_dir,
            &DEPLOYMENTS,
            None,
            "the database has no deployments, so there is nothing to export (Camtrap DP needs at least one, with its location and dates)".to_string(),
        )));
    }
    for d in &deployments {
        if d.latitude.is_none() || d.longitude.is_none() {
            errors.push(db_error(
                out_dir,
                &DEPLOYMENTS,
                Some(if d.latitude.is_none() { "latitude" } else { "longitude" }),
                format!(
                    "deployment '{}' (camera '{}') has no location; Camtrap DP requires latitude and longitude: set them before exporting",
                    d.id, d.camera_id
                ),
            ));
        }
    }

    // Deployments, split at their malfunctions.
    let camera_model: HashMap<&str, Option<&str>> =
        cameras.iter().map(|c| (c.id.as_str(), c.model.as_deref())).collect();
    let mut by_deployment: HashMap<&str, Vec<&Malfunction>> = HashMap::new();
    for m in &malfunctions {
        by_deployment.entry(m.deployment_id.as_str()).or_default().push(m);
    }
    let mut sorted: Vec<&Deployment> = deployments.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let mut pieces_of: HashMap<&str, Vec<Piece<'_>>> = HashMap::new();
    let mut piece_ids = HashSet::new();
    let mut deployment_rows = Vec::new();
    for d in &sorted {
        let ps = pieces(d, by_deployment.get(d.id.as_str()).map_or(&[][..], |v| &v[..]));
        for p in &ps {
            if !piece_ids.insert(p.id.clone()) {
                errors.push(db_error(
                    out_dir,
                    &DEPLOYMENTS,
                    Some("deploymentID"),
                    format!(
                        "deployment id '{}' is used twice (a deployment is split at malfunctions into '<id>', '<id>~2', ...; rename the deployment that is called '{}')",
                        p.id, p.id
                    ),
                ));
            }
            let mut r = vec![String::new(); DEPLOYMENTS.fields.len()];
            r[dep::ID] = p.id.clone();
            r[dep::LOCATION_ID] = text(&d.location_id);
            r[dep::LOCATION_NAME] = text(&d.location_name);
            r[dep::LATITUDE] = num(d.latitude);
            r[dep::LONGITUDE] = num(d.longitude);
            r[dep::START] = time(p.start, d.utc_offset_min);
            r[dep::END] = time(p.end, d.utc_offset_min);
            r[dep::SETUP_BY] = text(&d.setup_by);
            r[dep::CAMERA_ID] = d.camera_id.clone();
            r[dep::CAMERA_MODEL] = camera_model
                .get(d.camera_id.as_str())
                .copied()
                .flatten()
                .unwrap_or_default()
                .to_string();
            r[dep::CAMERA_HEIGHT] = num(d.camera_height);
            r[dep::CAMERA_TILT] = integer(d.camera_tilt);
            r[dep::CAMERA_HEADING] = integer(d.camera_heading);
            r[dep::DETECTION_DISTANCE] = num(d.detection_distance);
            r[dep::TIMESTAMP_ISSUES] = boolean(d.timestamp_issues);
            r[dep::BAIT_USE] = boolean(d.bait_use);
            r[dep::FEATURE_TYPE] = name(d.feature_type);
            r[dep::HABITAT] = text(&d.habitat);
            r[dep::TAGS] = text(&p.tags);
            r[dep::COMMENTS] = text(&d.comments);
            deployment_rows.push(r);
        }
        pieces_of.insert(d.id.as_str(), ps);
    }

    // Media, each in the piece of its deployment that contains its time.
    let mut media_sorted: Vec<&Media> = media.iter().collect();
    media_sorted.sort_by(|a, b| (floor_second(a.timestamp), &a.id).cmp(&(floor_second(b.timestamp), &b.id)));
    let mut media_piece: HashMap<&str, (&str, i32)> = HashMap::new();
    let mut media_rows = Vec::with_capacity(media.len());
    let mut capture: BTreeSet<usize> = BTreeSet::new();
    for m in media_sorted {
        let Some(ps) = pieces_of.get(m.deployment_id.as_str()) else {
            errors.push(db_error(
                out_dir,
                &MEDIA,
                Some("deploymentID"),
                format!(
                    "media '{}' belongs to deployment '{}', which is not in the database",
                    m.id, m.deployment_id
                ),
            ));
            continue;
        };
        let p = piece_at(ps, m.timestamp);
        let offset = p.deployment.utc_offset_min;
        media_piece.insert(m.id.as_str(), (p.id.as_str(), offset));
        if let Some(c) = m.capture_method {
            capture.extend(CAPTURE_METHODS.iter().position(|x| *x == c.as_str()));
        }
        let mut r = vec![String::new(); MEDIA.fields.len()];
        r[med::ID] = m.id.clone();
        r[med::DEPLOYMENT_ID] = p.id.clone();
        r[med::CAPTURE_METHOD] = name(m.capture_method);
        r[med::TIMESTAMP] = time(m.timestamp, offset);
        r[med::FILE_PATH] = export_file_path(&m.file_path);
        r[med::FILE_PUBLIC] = boolean(Some(m.file_public));
        r[med::FILE_NAME] = text(&m.file_name);
        r[med::MEDIATYPE] = m.media_type.clone();
        r[med::FAVORITE] = boolean(m.favorite);
        r[med::COMMENTS] = text(&m.comments);
        media_rows.push(r);
    }

    // Observations: events (event level) and detections (media level).
    let mut observation_rows: Vec<(Timestamp, String, Vec<String>)> =
        Vec::with_capacity(events.len() + detections.len());
    let mut observation_ids: HashSet<&str> = HashSet::new();
    let mut names: BTreeSet<&str> = BTreeSet::new();
    let mut individuals = false;
    for e in &events {
        let Some(ps) = pieces_of.get(e.deployment_id.as_str()) else {
            errors.push(db_error(
                out_dir,
                &OBSERVATIONS,
                Some("deploymentID"),
                format!(
                    "event '{}' belongs to deployment '{}', which is not in the database",
                    e.id, e.deployment_id
                ),
            ));
            continue;
        };
        observation_ids.insert(e.id.as_str());
        let p = piece_at(ps, e.start);
        let offset = p.deployment.utc_offset_min;
        names.extend(e.scientific_name.as_deref());
        individuals |= e.individual_id.is_some();
        let mut r = vec![String::new(); OBSERVATIONS.fields.len()];
        r[obs::ID] = e.id.clone();
        r[obs::DEPLOYMENT_ID] = p.id.clone();
        r[obs::EVENT_ID] = e.id.clone();
        r[obs::START] = time(e.start, offset);
        r[obs::END] = time(e.end, offset);
        r[obs::LEVEL] = "event".to_string();
        r[obs::TYPE] = e.observation_type.to_string();
        r[obs::SCIENTIFIC_NAME] = text(&e.scientific_name);
        r[obs::COUNT] = e.count.filter(|c| *c >= 1).map(|c| c.to_string()).unwrap_or_default();
        r[obs::LIFE_STAGE] = name(e.life_stage);
        r[obs::SEX] = name(e.sex);
        r[obs::BEHAVIOR] = text(&e.behavior);
        r[obs::INDIVIDUAL_ID] = text(&e.individual_id);
        r[obs::METHOD] = name(e.classification_method);
        r[obs::CLASSIFIED_BY] = text(&e.classified_by);
        r[obs::PROBABILITY] = num(e.classification_probability);
        r[obs::TAGS] = e
            .best_media_id
            .as_deref()
            .map(|m| format!("{TAG_BEST_MEDIA}{}", encode_tag_value(m)))
            .unwrap_or_default();
        r[obs::COMMENTS] = text(&e.description);
        observation_rows.push((floor_second(e.start), e.id.clone(), r));
    }
    for d in &detections {
        let Some(&(piece, offset)) = media_piece.get(d.media_id.as_str()) else {
            errors.push(db_error(
                out_dir,
                &OBSERVATIONS,
                Some("mediaID"),
                format!(
                    "detection '{}' is on media '{}', which is not in the database",
                    d.id, d.media_id
                ),
            ));
            continue;
        };
        if !observation_ids.insert(d.id.as_str()) {
            errors.push(db_error(
                out_dir,
                &OBSERVATIONS,
                Some("observationID"),
                format!(
                    "detection '{}' has the id of an event; Camtrap DP needs one id per observation",
                    d.id
                ),
            ));
            continue;
        }
        names.extend(d.scientific_name.as_deref());
        individuals |= d.individual_id.is_some();
        let mut r = vec![String::new(); OBSERVATIONS.fields.len()];
        r[obs::ID] = d.id.clone();
        r[obs::DEPLOYMENT_ID] = piece.to_string();
        r[obs::MEDIA_ID] = d.media_id.clone();
        r[obs::EVENT_ID] = text(&d.event_id);
        r[obs::START] = time(d.timestamp, offset);
        r[obs::END] = time(d.timestamp, offset);
        r[obs::LEVEL] = "media".to_string();
        r[obs::TYPE] = d.observation_type.to_string();
        r[obs::SCIENTIFIC_NAME] = text(&d.scientific_name);
        r[obs::COUNT] = d.count.filter(|c| *c >= 1).map(|c| c.to_string()).unwrap_or_default();
        r[obs::LIFE_STAGE] = name(d.life_stage);
        r[obs::SEX] = name(d.sex);
        r[obs::BEHAVIOR] = text(&d.behavior);
        r[obs::INDIVIDUAL_ID] = text(&d.individual_id);
        if let Some(b) = d.bbox {
            r[obs::BBOX_X] = num(Some(b.x));
            r[obs::BBOX_Y] = num(Some(b.y));
            r[obs::BBOX_WIDTH] = num(Some(b.width));
            r[obs::BBOX_HEIGHT] = num(Some(b.height));
        }
        r[obs::METHOD] = name(d.classification_method);
        r[obs::CLASSIFIED_BY] = text(&d.classified_by);
        r[obs::PROBABILITY] = num(d.classification_probability);
        observation_rows.push((floor_second(d.timestamp), d.id.clone(), r));
    }
    if !errors.is_empty() {
        return Err(if errors.len() == 1 {
            ImportError::Input(errors.remove(0))
        } else {
            ImportError::Inputs(errors)
        });
    }
    observation_rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let observation_rows: Vec<Vec<String>> = observation_rows.into_iter().map(|(_, _, r)| r).collect();

    // Write the tables.
    progress.phase("writing the Camtrap DP package", 4);
    std::fs::create_dir_all(out_dir).map_err(|e| ImportError::io(out_dir, e))?;
    write_csv(&out_dir.join(DEPLOYMENTS.file_name()), &DEPLOYMENTS, &deployment_rows)?;
    progress.advance(1);
    write_csv(&out_dir.join(MEDIA.file_name()), &MEDIA, &media_rows)?;
    progress.advance(1);
    write_csv(
        &out_dir.join(OBSERVATIONS.file_name()),
        &OBSERVATIONS,
        &observation_rows,
    )?;
    progress.advance(1);

    // The descriptor.
    let lats = deployments.iter().filter_map(|d| d.latitude);
    let lons = deployments.iter().filter_map(|d| d.longitude);
    let (min_lat, max_lat) = lats.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (min_lon, max_lon) = lons.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let first = deployments.iter().min_by_key(|d| (d.start, d.id.clone()));
    let last = deployments.iter().max_by_key(|d| (d.end, d.id.clone()));
    let (Some(first), Some(last)) = (first, last) else {
        return Err(ImportError::Input(db_error(
            out_dir,
            &DEPLOYMENTS,
            None,
            "no deployments".to_string(),
        )));
    };
    let mut taxa: BTreeMap<String, Taxon> = BTreeMap::new();
    for s in &species {
        taxa.insert(
            s.scientific_name.clone(),
            Taxon {
                scientific_name: s.scientific_name.clone(),
                taxon_rank: s
                    .taxon_rank
                    .clone()
                    .filter(|r| profile::TAXON_RANKS.contains(&r.as_str())),
                vernacular_names: s.common_name.clone().map(|c| BTreeMap::from([("eng", c)])),
            },
        );
    }
    for n in names {
        taxa.entry(n.to_string()).or_insert_with(|| Taxon {
            scientific_name: n.to_string(),
            taxon_rank: None,
            vernacular_names: None,
        });
    }
    let mut observation_level = Vec::new();
    if !detections.is_empty() {
        observation_level.push("media");
    }
    if !events.is_empty() {
        observation_level.push("event");
    }
    let capture_method: Vec<&'static str> = if capture.is_empty() {
        vec!["activityDetection"]
    } else {
        capture.into_iter().map(|i| CAPTURE_METHODS[i]).collect()
    };
    let title = opts.title.clone().unwrap_or_else(|| "trailmesh export".to_string());
    let created = opts.created.unwrap_or_else(Utc::now);
    let descriptor = Descriptor {
        resources: TABLES
            .iter()
            .map(|t| Resource {
                name: t.name,
                path: t.file_name(),
                profile: "tabular-data-resource",
                format: "csv",
                mediatype: "text/csv",
                encoding: "utf-8",
                schema: t.schema_url(),
            })
            .collect(),
        profile: PROFILE_URL,
        created: floor_second(created).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        title: title.clone(),
        contributors: vec![Contributor {
            title: "trailmesh",
            role: "contributor",
        }],
        project: Project {
            title,
            sampling_design: "opportunistic",
            capture_method,
            individual_animals: individuals,
            observation_level,
        },
        spatial: Spatial {
            kind: "Polygon",
            bbox: [min_lon, min_lat, max_lon, max_lat],
            coordinates: vec![vec![
                [min_lon, min_lat],
                [max_lon, min_lat],
                [max_lon, max_lat],
                [min_lon, max_lat],
                [min_lon, min_lat],
            ]],
        },
        temporal: Temporal {
            start: local_date(first.start, first.utc_offset_min),
            end: local_date(last.end, last.utc_offset_min),
        },
        taxonomic: taxa.into_values().collect(),
    };
    let json_path = out_dir.join("datapackage.json");
    let mut json =
        serde_json::to_string_pretty(&descriptor).map_err(|e| ImportError::io(&json_path, std::io::Error::other(e)))?;
    json.push('\n');
    std::fs::write(&json_path, json).map_err(|e| ImportError::io(&json_path, e))?;
    progress.advance(1);

    // What we wrote must pass our own validator.
    let violations = validate_package(out_dir);
    if !violations.is_empty() {
        let errors: Vec<InputError> = violations
            .into_iter()
            .map(|v| InputError {
                file: out_dir.join(&v.file),
                line: v.line,
                field: v.field,
                message: format!(
                    "the exported package breaks a Camtrap DP rule (the files are left for inspection): {}",
                    v.message
                ),
            })
            .collect();
        return Err(ImportError::Inputs(errors));
    }
    progress.finish();
    Ok(ExportSummary {
        deployments: deployment_rows.len(),
        media: media_rows.len(),
        observations: observation_rows.len(),
        dir: out_dir.to_path_buf(),
    })
}
