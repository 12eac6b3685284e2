//! From a checked Camtrap DP package to a [`Batch`] of our model (see the module docs of
//! [`super`] for the mapping).

use super::check::{Cell, Level, Package, Problem, Row, Table};
use super::cols::{dep, med, obs};
use super::encoding::{SplitTags, import_file_path, split_tags};
use super::malfunction_id;
use crate::model::*;
use crate::store::Batch;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Collects problems (errors refuse the import, the rest are warnings).
struct Out {
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl Out {
    fn error(&mut self, table: &Table, line: u64, field: &str, message: impl Into<String>) {
        self.errors
            .push(problem(table, Some(line), Some(field), message, Level::Error));
    }

    fn warn(&mut self, table: &Table, line: Option<u64>, field: Option<&str>, message: impl Into<String>) {
        self.warnings.push(problem(table, line, field, message, Level::Soft));
    }
}

fn problem(table: &Table, line: Option<u64>, field: Option<&str>, message: impl Into<String>, level: Level) -> Problem {
    Problem {
        file: table.path.clone(),
        line,
        field: field.map(str::to_string),
        message: message.into(),
        level,
    }
}

/// A parsed enum cell (already checked against the schema's enum, so parsing succeeds).
fn parsed<T: std::str::FromStr>(cell: &Cell) -> Option<T> {
    cell.str().and_then(|s| s.parse().ok())
}

/// One row of deployments.csv, a piece of one of our deployments.
struct Piece<'a> {
    row: &'a Row,
    id: &'a str,
    start: Timestamp,
    offset: i32,
    end: Timestamp,
    tags: SplitTags,
}

/// Builds the batch. `Err` holds the errors; `Ok` the batch and the warnings.
pub(crate) fn build(pkg: &Package) -> Result<(Batch, Vec<Problem>), Vec<Problem>> {
    let [Some(deployments), Some(media), Some(observations)] = &pkg.tables else {
        // Load problems were reported already; nothing to build from.
        return Err(Vec::new());
    };
    let mut out = Out {
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let mut batch = Batch::default();

    // Deployments: pieces sharing a `trailmesh:deployment=` tag merge into one deployment,
    // with a malfunction for each gap between consecutive pieces.
    let mut groups: BTreeMap<String, Vec<Piece<'_>>> = BTreeMap::new();
    for row in &deployments.rows {
        let (Some(id), Some((start, offset)), Some((end, _))) = (
            row.cells[dep::ID].str(),
            row.cells[dep::START].time(),
            row.cells[dep::END].time(),
        ) else {
            continue;
        };
        let tags = split_tags(row.cells[dep::TAGS].str());
        let key = tags.deployment.clone().unwrap_or_else(|| id.to_string());
        groups.entry(key).or_default().push(Piece {
            row,
            id,
            start,
            offset,
            end,
            tags,
        });
    }
    let mut piece_to_deployment: HashMap<&str, String> = HashMap::new();
    let mut by_id: HashMap<String, (Deployment, Option<String>)> = HashMap::new();
    for (id, mut pieces) in groups {
        pieces.sort_by_key(|p| (p.start, p.end, p.row.line));
        let first = &pieces[0];
        let last = &pieces[pieces.len() - 1];
        for w in pieces.windows(2) {
            if w[1].start < w[0].end {
                out.error(
                    deployments,
                    w[1].row.line,
                    "deploymentStart",
                    format!(
                        "deployment '{}' overlaps '{}' (line {}), another piece of deployment '{id}' (trailmesh:deployment tag)",
                        w[1].id, w[0].id, w[0].row.line
                    ),
                );
            } else {
                let reason = w[1]
                    .tags
                    .malfunction
                    .clone()
                    .unwrap_or_else(|| format!("not operating between deployments {} and {}", w[0].id, w[1].id));
                batch.malfunctions.push(Malfunction {
                    id: malfunction_id(&id, w[0].end),
                    deployment_id: id.clone(),
                    start: w[0].end,
                    end: w[1].start,
                    reason,
                });
            }
        }
        let r = first.row;
        let camera_id = r.cells[dep::CAMERA_ID].string().unwrap_or_else(|| id.clone());
        let d = Deployment {
            id: id.clone(),
            camera_id,
            location_id: r.cells[dep::LOCATION_ID].string(),
            location_name: r.cells[dep::LOCATION_NAME].string(),
            latitude: r.cells[dep::LATITUDE].num(),
            longitude: r.cells[dep::LONGITUDE].num(),
            start: first.start,
            end: last.end,
            utc_offset_min: first.offset,
            feature_type: parsed(&r.cells[dep::FEATURE_TYPE]),
            habitat: r.cells[dep::HABITAT].string(),
            camera_height: r.cells[dep::CAMERA_HEIGHT].num(),
            camera_tilt: r.cells[dep::CAMERA_TILT].num(),
            camera_heading: r.cells[dep::CAMERA_HEADING].num(),
            detection_distance: r.cells[dep::DETECTION_DISTANCE].num(),
            bait_use: r.cells[dep::BAIT_USE].bool(),
            timestamp_issues: r.cells[dep::TIMESTAMP_ISSUES].bool(),
            setup_by: r.cells[dep::SETUP_BY].string(),
            tags: first.tags.others.clone(),
            comments: r.cells[dep::COMMENTS].string(),
        };
        for p in &pieces {
            piece_to_deployment.insert(p.id, id.clone());
        }
        by_id.insert(id, (d, r.cells[dep::CAMERA_MODEL].string()));
    }
    let mut merged: Vec<&(Deployment, Option<String>)> = by_id.values().collect();
    merged.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    batch.deployments = merged.iter().map(|(d, _)| d.clone()).collect();

    // Cameras: one per camera id, described by its earliest deployment.
    let mut cameras: BTreeMap<&str, &(Deployment, Option<String>)> = BTreeMap::new();
    for entry in &merged {
        let c = cameras.entry(entry.0.camera_id.as_str()).or_insert(entry);
        if (entry.0.start, &entry.0.id) < (c.0.start, &c.0.id) {
            *c = entry;
        }
    }
    batch.cameras = cameras
        .into_iter()
        .map(|(id, (d, model))| Camera {
            latitude: d.latitude,
            longitude: d.longitude,
            habitat: d.habitat.clone(),
            feature_type: d.feature_type,
            model: model.clone(),
            height_m: d.camera_height,
            heading_deg: d.camera_heading,
            detection_distance_m: d.detection_distance,
            ..Camera::new(id, id)
        })
        .collect();
    dropped_columns(deployments, dep::DROPPED, &mut out);

    // Media.
    let mut media_deployment: HashMap<&str, &str> = HashMap::new();
    let mut outside = Outside::default();
    for row in &media.rows {
        let (Some(id), Some(piece), Some((timestamp, _)), Some(path), Some(file_public), Some(mediatype)) = (
            row.cells[med::ID].str(),
            row.cells[med::DEPLOYMENT_ID].str(),
            row.cells[med::TIMESTAMP].time(),
            row.cells[med::FILE_PATH].str(),
            row.cells[med::FILE_PUBLIC].bool(),
            row.cells[med::MEDIATYPE].str(),
        ) else {
            continue;
        };
        let Some((d, _)) = piece_to_deployment.get(piece).and_then(|id| by_id.get(id)) else {
            continue;
        };
        media_deployment.insert(id, d.id.as_str());
        outside.check(d, timestamp, timestamp, row.line);
        batch.media.push(Media {
            id: id.to_string(),
            deployment_id: d.id.clone(),
            camera_id: d.camera_id.clone(),
            timestamp,
            timestamp_source: TimestampSource::Imported,
            file_path: import_file_path(path),
            file_name: row.cells[med::FILE_NAME].string(),
            media_type: mediatype.to_string(),
            capture_method: parsed(&row.cells[med::CAPTURE_METHOD]),
            file_public,
            favorite: row.cells[med::FAVORITE].bool(),
            frame_rate: None,
            comments: row.cells[med::COMMENTS].string(),
        });
    }
    outside.report(media, "timestamp", "media file lies", "media files lie", &mut out);
    dropped_columns(media, med::DROPPED, &mut out);

    // Observations: event level -> events, media level -> detections.
    let mut events_by_event_id: HashMap<&str, Vec<(&str, Option<&str>)>> = HashMap::new();
    for row in &observations.rows {
        if row.cells[obs::LEVEL].str() == Some("event")
            && let (Some(event_id), Some(id)) = (row.cells[obs::EVENT_ID].str(), row.cells[obs::ID].str())
        {
            events_by_event_id
                .entry(event_id)
                .or_default()
                .push((id, row.cells[obs::SCIENTIFIC_NAME].str()));
        }
    }
    let mut outside = Outside::default();
    let mut event_media = Vec::new();
    let mut dropped_tags = Vec::new();
    let mut dropped_comments = Vec::new();
    for row in &observations.rows {
        let c = &row.cells;
        let (Some(id), Some(piece), Some((start, _)), Some((end, _)), Some(level), Some(observation_type)) = (
            c[obs::ID].str(),
            c[obs::DEPLOYMENT_ID].str(),
            c[obs::START].time(),
            c[obs::END].time(),
            c[obs::LEVEL].str(),
            parsed::<ObservationType>(&c[obs::TYPE]),
        ) else {
            continue;
        };
        let Some((d, _)) = piece_to_deployment.get(piece).and_then(|id| by_id.get(id)) else {
            continue;
        };
        outside.check(d, start, end, row.line);
        let tags = split_tags(c[obs::TAGS].str());
        if tags.others.is_some() {
            dropped_tags.push(row.line);
        }
        if level == "event" {
            if !c[obs::MEDIA_ID].is_null() {
                event_media.push(row.line);
            }
            batch.events.push(Event {
                id: id.to_string(),
                deployment_id: d.id.clone(),
                camera_id: d.camera_id.clone(),
                start,
                end,
                observation_type,
                scientific_name: c[obs::SCIENTIFIC_NAME].string(),
                count: c[obs::COUNT].int(),
                life_stage: parsed(&c[obs::LIFE_STAGE]),
                sex: parsed(&c[obs::SEX]),
                behavior: c[obs::BEHAVIOR].string(),
                individual_id: c[obs::INDIVIDUAL_ID].string(),
                classification_method: parsed(&c[obs::METHOD]),
                classified_by: c[obs::CLASSIFIED_BY].string(),
                classification_probability: c[obs::PROBABILITY].num(),
                best_media_id: tags.best_media,
                description: c[obs::COMMENTS].string(),
            });
            continue;
        }
        if !c[obs::COMMENTS].is_null() {
            dropped_comments.push(row.line);
        }
        let Some(media_id) = c[obs::MEDIA_ID].str() else {
            continue;
        };
        if let Some(media_dep) = media_deployment.get(media_id)
            && *media_dep != d.id
        {
            out.error(
                observations,
                row.line,
                "deploymentID",
                format!("deployment '{piece}' is not the deployment of media '{media_id}' (which is in '{media_dep}')"),
            );
            continue;
        }
        let boxes = [obs::BBOX_X, obs::BBOX_Y, obs::BBOX_WIDTH, obs::BBOX_HEIGHT].map(|i| c[i].num());
        let bbox = match boxes {
            [Some(x), Some(y), Some(width), Some(height)] => Some(BBox { x, y, width, height }),
            [None, None, None, None] => None,
            _ => {
                let names = ["bboxX", "bboxY", "bboxWidth", "bboxHeight"];
                let missing = names
                    .iter()
                    .zip(boxes)
                    .find(|(_, v)| v.is_none())
                    .map_or("bboxX", |(n, _)| *n);
                out.error(
                    observations,
                    row.line,
                    missing,
                    "a bounding box needs all of bboxX, bboxY, bboxWidth and bboxHeight",
                );
                continue;
            }
        };
        let event_id = c[obs::EVENT_ID].str().map(|e| {
            // Our events are keyed by observationID; find the event-level observation of
            // this eventID (of the same species when there are several).
            match events_by_event_id.get(e) {
                Some(candidates) => candidates
                    .iter()
                    .find(|(_, name)| *name == c[obs::SCIENTIFIC_NAME].str())
                    .unwrap_or(&candidates[0])
                    .0
                    .to_string(),
                None => e.to_string(),
            }
        });
        batch.detections.push(Detection {
            id: id.to_string(),
            media_id: media_id.to_string(),
            camera_id: d.camera_id.clone(),
            deployment_id: d.id.clone(),
            timestamp: start,
            frame_number: None,
            observation_type,
            scientific_name: c[obs::SCIENTIFIC_NAME].string(),
            count: c[obs::COUNT].int(),
            life_stage: parsed(&c[obs::LIFE_STAGE]),
            sex: parsed(&c[obs::SEX]),
            behavior: c[obs::BEHAVIOR].string(),
            individual_id: c[obs::INDIVIDUAL_ID].string(),
            confidence: None,
            bbox,
            classification_method: parsed(&c[obs::METHOD]),
            classified_by: c[obs::CLASSIFIED_BY].string(),
            classification_probability: c[obs::PROBABILITY].num(),
            event_id,
            track_id: None,
        });
    }
    outside.report(
        observations,
        "eventStart",
        "observation lies",
        "observations lie",
        &mut out,
    );
    dropped_columns(observations, obs::DROPPED, &mut out);
    if let Some(&line) = event_media.first() {
        out.warn(
            observations,
            Some(line),
            Some("mediaID"),
            format!(
                "{} a mediaID, which only media-level observations should have; it was ignored",
                plural(
                    event_media.len(),
                    "event-level observation has",
                    "event-level observations have"
                )
            ),
        );
    }
    if let Some(&line) = dropped_tags.first() {
        out.warn(
            observations,
            Some(line),
            Some("observationTags"),
            format!(
                "{} tags; trailmesh has no field for observation tags, so they were not imported",
                plural(dropped_tags.len(), "observation has", "observations have")
            ),
        );
    }
    if let Some(&line) = dropped_comments.first() {
        out.warn(
            observations,
            Some(line),
            Some("observationComments"),
            format!(
                "{} comments; trailmesh keeps comments on events only, so they were not imported",
                plural(
                    dropped_comments.len(),
                    "media-level observation has",
                    "media-level observations have"
                )
            ),
        );
    }

    // Species: the taxonomic coverage, plus any name observed but not listed there.
    let mut species: BTreeMap<String, Species> = BTreeMap::new();
    if let Some(Value::Array(taxa)) = pkg.descriptor.as_ref().and_then(|d| d.get("taxonomic")) {
        for t in taxa {
            let Some(name) = t.get("scientificName").and_then(Value::as_str) else {
                continue;
            };
            species.entry(name.to_string()).or_insert_with(|| Species {
                scientific_name: name.to_string(),
                common_name: t
                    .get("vernacularNames")
                    .and_then(|v| v.get("eng"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                taxon_rank: t.get("taxonRank").and_then(Value::as_str).map(str::to_string),
            });
        }
    }
    let mut unlisted: BTreeMap<String, u64> = BTreeMap::new();
    for row in &observations.rows {
        if let Some(name) = row.cells[obs::SCIENTIFIC_NAME].str()
            && !species.contains_key(name)
        {
            unlisted.entry(name.to_string()).or_insert(row.line);
        }
    }
    if let Some((_, &line)) = unlisted.iter().next() {
        let names: Vec<&str> = unlisted.keys().map(String::as_str).collect();
        out.warn(
            observations,
            Some(line),
            Some("scientificName"),
            format!(
                "{} not in the package's taxonomic list ({}); added as species without rank or common name",
                plural(names.len(), "scientific name is", "scientific names are"),
                names.join(", ")
            ),
        );
    }
    for name in unlisted.into_keys() {
        species.insert(
            name.clone(),
            Species {
                scientific_name: name,
                common_name: None,
                taxon_rank: None,
            },
        );
    }
    batch.species = species.into_values().collect();

    batch
        .malfunctions
        .sort_by(|a, b| (&a.deployment_id, a.start).cmp(&(&b.deployment_id, b.start)));
    batch
        .media
        .sort_by(|a, b| (a.timestamp, &a.id).cmp(&(b.timestamp, &b.id)));
    batch.events.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
    batch
        .detections
        .sort_by(|a, b| (a.timestamp, &a.id).cmp(&(b.timestamp, &b.id)));

    if out.errors.is_empty() {
        Ok((batch, out.warnings))
    } else {
        Err(out.errors)
    }
}

/// Counts rows whose time falls outside their deployment.
#[derive(Default)]
struct Outside {
    count: usize,
    first_line: Option<u64>,
}

impl Outside {
    fn check(&mut self, d: &Deployment, start: Timestamp, end: Timestamp, line: u64) {
        if start < d.start || end > d.end {
            self.count += 1;
            self.first_line.get_or_insert(line);
        }
    }

    fn report(&self, table: &Table, field: &str, one: &str, many: &str, out: &mut Out) {
        if self.count > 0 {
            out.warn(
                table,
                self.first_line,
                Some(field),
                format!(
                    "{} outside the start and end of their deployment (kept as they are)",
                    plural(self.count, one, many)
                ),
            );
        }
    }
}

/// Warns about columns that hold values our model has no field for.
fn dropped_columns(table: &Table, columns: &[&str], out: &mut Out) {
    for name in columns {
        let Some(i) = table.schema.index_of(name) else {
            continue;
        };
        let mut rows = table.rows.iter().filter(|r| !r.cells[i].is_null());
        if let Some(first) = rows.next() {
            let n = 1 + rows.count();
            out.warn(
                table,
                Some(first.line),
                Some(name),
                format!(
                    "{} a value in column '{name}'; trailmesh has no field for it, so it was not imported",
                    rows_have(n)
                ),
            );
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn rows_have(n: usize) -> String {
    plural(n, "row has", "rows have")
}

/// `file, line, field: message` for warnings.
pub(crate) fn describe_all(problems: &[Problem], dir: &Path) -> Vec<String> {
    problems.iter().map(|p| p.describe(dir)).collect()
}
