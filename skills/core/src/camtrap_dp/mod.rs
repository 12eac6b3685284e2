//! Camtrap DP 1.0.2: import, export and validation.
//!
//! Camtrap DP (Camera Trap Data Package, TDWG, version 1.0.2,
//! <https://camtrap-dp.tdwg.org>) is a Frictionless Data Package: a folder with
//! `datapackage.json` (metadata, checked against `camtrap-dp-profile.json`) and three CSV
//! tables, `deployments.csv`, `media.csv` and `observations.csv` (checked against
//! `deployments-table-schema.json`, `media-table-schema.json` and
//! `observations-table-schema.json`). GBIF, Agouti, Trapper, Wildlife Insights, camtrapR and
//! the `camtrapdp` R package read and write it.
//!
//! - [`validate_package`] checks a package against every rule of the profile and of the
//!   three table schemas ([`schema`] holds them as data): required properties and fields,
//!   types (numbers, integers, booleans, datetimes with a zone), enums, minimums and maximums,
//!   the `filePath` and `fileMediatype` patterns, unique primary keys, foreign keys
//!   (media and observations to deployments, observations to media), the header (every
//!   field, in schema order), and the rules the schemas state in words (a media-level
//!   observation names its `mediaID`; `eventStart <= eventEnd`; `deploymentStart <=
//!   deploymentEnd`). Each [`Violation`] names file, line (the CSV header is line 1) and
//!   field.
//! - [`read_package`] / [`import_package`] run the same checks and refuse a package with any
//!   error, writing nothing. Three kinds of rule break are imported with a warning instead,
//!   because their meaning is clear: a missing *optional* column or an unknown extra column,
//!   columns out of schema order, and fractional seconds in a datetime. Importing the same
//!   package twice adds nothing.
//! - [`export_package`] writes the whole database as a package and checks the result with
//!   [`validate_package`] before reporting success.
//!
//! # Mapping
//!
//! | Camtrap DP | trailmesh |
//! |---|---|
//! | `deployments.csv` row | [`Deployment`](crate::model::Deployment); `cameraID` is its camera (the deployment id when empty) |
//! | distinct `cameraID` | [`Camera`](crate::model::Camera): name = id; location, model, feature type, habitat, height, heading and detection distance from its earliest deployment |
//! | `media.csv` row | [`Media`](crate::model::Media) (`timestamp_source` = `imported`) |
//! | `observations.csv`, `observationLevel` = `event` | [`Event`](crate::model::Event): `observationID` = `eventID` = event id; description in `observationComments`; best frame as the tag `trailmesh:bestMedia=<mediaID>` |
//! | `observations.csv`, `observationLevel` = `media` | [`Detection`](crate::model::Detection): `observationID` = detection id, frame time in `eventStart` = `eventEnd`, box in `bbox*` |
//! | `taxonomic[]` in `datapackage.json` | [`Species`](crate::model::Species) (`vernacularNames.eng` is the common name) |
//!
//! Deployment times are written in the deployment's UTC offset; its offset on import is the
//! one `deploymentStart` was written in. Media and observation times are written in their
//! deployment's offset.
//!
//! **Malfunctions.** Camtrap DP has no field for a window when a camera was not working; the
//! way to say it in Camtrap DP is to end the deployment when the camera stopped and start a
//! new one when it worked again, so that effort computed from deployments is true. On export a
//! deployment with malfunctions is therefore split into pieces `{id}`, `{id}~2`, `{id}~3`,
//! ..., each tagged in `deploymentTags` with `trailmesh:deployment={id}`; a piece after the
//! first also carries `trailmesh:malfunction={reason}` for the outage before it (tag values
//! are percent-encoded where they contain `%`, `|` or edge spaces; the deployment's own tags
//! come first, `" | "`-separated). Media and observations go to the piece that contains
//! their time. Malfunction windows are clipped to their deployment, and overlapping ones
//! merged (reasons joined with `; `). On import, pieces that share a `trailmesh:deployment`
//! tag are merged back into one deployment, with a malfunction for each gap (id:
//! [`malfunction_id`]). So export, import into an empty database, and export again gives
//! the same bytes, and the database content after the import equals the original (for
//! everything Camtrap DP can carry, see below).
//!
//! **Events of other tools.** Our event-level observations have `observationID` =
//! `eventID`. Packages from other tools often give several event-level observations one
//! `eventID` (one per species or life stage): each becomes an event keyed by its
//! `observationID`, and a media-level observation's `eventID` is resolved to the event-level
//! observation of that `eventID` with the same `scientificName` (else the first one).
//!
//! **What Camtrap DP cannot carry** (and so does not survive export and import):
//! a detection's detector confidence (MegaDetector `conf`: Camtrap DP's
//! `classificationProbability` is the certainty of the *classification*, which we export as
//! such; the MegaDetector export keeps the detector score), frame number and track id;
//! tracks; a media file's frame rate and timestamp source; a camera's name, site, status,
//! battery and notes; fractions of seconds (times are written in whole seconds, rounded
//! down); non-integer camera tilt and heading (written rounded, the schema wants integers);
//! taxon ranks outside the profile's list (omitted); counts below 1 (omitted); empty strings
//! and the strings `NA`, `NaN` and `nan` (the schemas' missing values). On import, columns we
//! have no field for (`coordinateUncertainty`, `cameraDelay`, `cameraDepth`,
//! `deploymentGroups`, `exifData`, `cameraSetupType`, `individualPosition*`,
//! `individualSpeed`, `classificationTimestamp`, other tags, comments of media-level
//! observations) are dropped with a warning that counts them.
//!
//! Cameras without a deployment are not exported (Camtrap DP has no camera table).
//!
//! **Paths.** Absolute local paths, which the `filePath` pattern forbids, are written as
//! `file://` URLs and read back as paths.

mod check;
mod cols;
mod encoding;
mod export;
mod read;
pub mod schema;

use crate::import::{ImportError, ImportSummary, InputError, Progress, commit, stable_id};
use crate::model::{Timestamp, to_ms};
use crate::store::{Batch, Store};
use serde::Serialize;
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

pub use schema::{PROFILE_URL, VERSION};

/// Options of [`export_package`].
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Project title (`project.title` and the package `title`); default `"trailmesh export"`.
    pub title: Option<String>,
    /// The package's `created` time, fixed for reproducible output; default now.
    pub created: Option<Timestamp>,
}

/// What [`export_package`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Rows of `deployments.csv` (a deployment with malfunctions is several rows).
    pub deployments: usize,
    /// Rows of `media.csv`.
    pub media: usize,
    /// Rows of `observations.csv` (events and detections).
    pub observations: usize,
    /// The package folder.
    pub dir: PathBuf,
}

/// One broken Camtrap DP rule, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// File name inside the package (`datapackage.json`, `media.csv`, ...).
    pub file: String,
    /// 1-based line (the CSV header is line 1); `None` for the JSON descriptor and for
    /// whole-file problems.
    pub line: Option<u64>,
    /// The field: a CSV column (`timestamp`) or a JSON path (`project.samplingDesign`).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field '{field}'")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The id of the malfunction that starts at `start` in deployment `deployment_id` (how the
/// importer names the gaps between the pieces of a split deployment).
pub fn malfunction_id(deployment_id: &str, start: Timestamp) -> String {
    stable_id("mal-", &format!("{deployment_id}|{}", to_ms(start)))
}

/// Checks the package in `dir` (its folder, or its `datapackage.json`) against every rule of
/// Camtrap DP 1.0.2. An empty list means the package is valid.
pub fn validate_package(dir: &Path) -> Vec<Violation> {
    let pkg = check::load(dir, &crate::import::NoProgress);
    let order = pkg.file_order();
    let dir = pkg.dir.clone();
    pkg.problems
        .finish(&order)
        .into_iter()
        .map(|p| Violation {
            file: p.short_file(&dir),
            line: p.line,
            field: p.field,
            message: p.message,
        })
        .collect()
}

fn input_errors(problems: Vec<check::Problem>) -> ImportError {
    let mut errors: Vec<InputError> = problems
        .into_iter()
        .filter(|p| p.level == check::Level::Error)
        .map(|p| InputError {
            file: p.file,
            line: p.line,
            field: p.field,
            message: p.message,
        })
        .collect();
    if errors.len() == 1 {
        ImportError::Input(errors.remove(0))
    } else {
        ImportError::Inputs(errors)
    }
}

/// Reads and checks a package (its folder, or its `datapackage.json`) without touching a
/// database. Returns the batch to write, the warnings (`file, line N, field 'x': ...`), and
/// the SHA-256 over `datapackage.json` and the three CSV files.
///
/// Any broken rule other than those listed in the module docs is an error: the result is
/// [`ImportError::Input`] (one problem) or [`ImportError::Inputs`] (several, in file and
/// line order), each naming file, line and field.
pub fn read_package(path: &Path, progress: &dyn Progress) -> Result<(Batch, Vec<String>, String), ImportError> {
    let mut pkg = check::load(path, progress);
    let order = pkg.file_order();
    let has_errors = pkg.problems.has_errors();
    let problems = std::mem::take(&mut pkg.problems).finish(&order);
    if has_errors {
        return Err(input_errors(problems));
    }
    progress.phase("building the import", 1);
    match read::build(&pkg) {
        Ok((batch, more)) => {
            let mut warnings = read::describe_all(&problems, &pkg.dir);
            warnings.extend(read::describe_all(&more, &pkg.dir));
            progress.advance(1);
            Ok((batch, warnings, pkg.sha256))
        }
        Err(mut errors) => {
            errors.sort_by_key(|p| (order.iter().position(|o| *o == p.file), p.line));
            Err(input_errors(errors))
        }
    }
}

/// Imports a package (its folder, or its `datapackage.json`) in one transaction: refused
/// with nothing written when it breaks a rule (see [`read_package`]); importing the same
/// package again inserts nothing.
///
/// Rows are keyed by the package's identifiers, so rows already in the database are left
/// as they are. Malfunctions rebuilt from split deployments get the id [`malfunction_id`];
/// one whose deployment, start and end are already recorded (under whatever id) is not
/// added again, so importing our own export back into the database it came from adds
/// nothing.
pub async fn import_package(
    store: &Store,
    dir_or_datapackage_json: &Path,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    let (mut batch, warnings, sha256) = read_package(dir_or_datapackage_json, progress)?;
    if !batch.malfunctions.is_empty() {
        let known: HashSet<(String, i64, i64)> = store
            .malfunctions(None)
            .await?
            .into_iter()
            .map(|m| (m.deployment_id, to_ms(m.start), to_ms(m.end)))
            .collect();
        batch
            .malfunctions
            .retain(|m| !known.contains(&(m.deployment_id.clone(), to_ms(m.start), to_ms(m.end))));
    }
    commit(
        store,
        "camtrap-dp",
        dir_or_datapackage_json,
        sha256,
        &batch,
        warnings,
        progress,
    )
    .await
}

/// Writes the whole database as a Camtrap DP 1.0.2 package into `out_dir` (created if
/// needed; `datapackage.json`, `deployments.csv`, `media.csv`, `observations.csv` are
/// overwritten). Output is deterministic: deployments by id (pieces after their
/// deployment), media by time then id, observations by `eventStart` then `observationID`;
/// numbers in their shortest exact form; with [`ExportOptions::created`] fixed, the same
/// database gives the same bytes.
///
/// Fails, before writing anything, when a deployment has no coordinates (Camtrap DP requires
/// them) or the database is empty; fails after writing when the result does not pass
/// [`validate_package`] (the files are left for inspection).
pub async fn export_package(
    store: &Store,
    out_dir: &Path,
    opts: &ExportOptions,
    progress: &dyn Progress,
) -> Result<ExportSummary, ImportError> {
    export::export(store, out_dir, opts, progress).await
}
