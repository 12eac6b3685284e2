//! What every importer shares: the error that names file, line and field; progress
//! reporting; content hashing; and the import entry point that detects the format.
//!
//! Every importer first parses and validates the whole input into a [`Batch`] (nothing is
//! written while parsing), then writes it with one [`Store::ingest`] transaction. So bad
//! input changes nothing, and importing the same thing twice adds nothing (rows are keyed
//! by identifiers derived from the input).

use crate::store::{Batch, ImportRecord, IngestReport, Store, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// An input problem, located as precisely as the format allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file that is wrong.
    pub file: PathBuf,
    /// 1-based line number, when known.
    pub line: Option<u64>,
    /// The field (column, JSON path), when known.
    pub field: Option<String>,
    /// What is wrong, and where possible how to fix it.
    pub message: String,
}

impl InputError {
    /// An error about a whole file.
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: None,
            field: None,
            message: message.into(),
        }
    }

    /// An error at a line of a file.
    pub fn at(file: impl Into<PathBuf>, line: u64, field: Option<&str>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: Some(line),
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// Sets the field.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field '{field}'")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// Why an import or export failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is wrong; nothing was written.
    #[error("{0}")]
    Input(#[from] InputError),
    /// Several input problems (the first few are shown); nothing was written.
    #[error("{} problems in the input, nothing was imported; the first: {}", .0.len(), .0.first().map(|e| e.to_string()).unwrap_or_default())]
    Inputs(Vec<InputError>),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database failed; the transaction was rolled back.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ImportError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Progress of a long import or export. The CLI draws a bar; tests and servers pass
/// [`NoProgress`].
pub trait Progress: Send + Sync {
    /// A new phase begins with `total` units of work (0 when unknown).
    fn phase(&self, name: &str, total: u64);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The work is finished.
    fn finish(&self) {}
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn phase(&self, _name: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A short stable identifier derived from some text (first 16 hex digits of its SHA-256).
pub fn stable_id(prefix: &str, key: &str) -> String {
    format!("{prefix}{}", &sha256_hex(key.as_bytes())[..16])
}

/// Reads a whole file, naming it on failure.
pub fn read_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|e| ImportError::io(path, e))
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportSummary {
    /// Which importer ran.
    pub kind: String,
    /// What was imported.
    pub source: String,
    /// Rows inserted and already present, per table.
    pub report: IngestReport,
    /// Warnings that did not stop the import (e.g. timestamps taken from file times).
    pub warnings: Vec<String>,
}

/// Writes a parsed batch in one transaction and records the import.
pub async fn commit(
    store: &Store,
    kind: &str,
    source: &Path,
    sha256: String,
    batch: &Batch,
    warnings: Vec<String>,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    progress.phase("writing to the database", batch.len() as u64);
    let now = chrono::Utc::now();
    let source_text = source.display().to_string();
    // The record is written in the same transaction and keyed by kind and content, so the
    // same content imported twice leaves one record (and adds nothing else either).
    let record = ImportRecord {
        id: stable_id("imp-", &format!("{kind}|{sha256}")),
        kind: kind.to_string(),
        source: source_text.clone(),
        sha256,
        imported: now,
        summary: format!("{} rows offered", batch.len()),
    };
    let report = store.ingest(batch, Some(&record)).await?;
    progress.advance(batch.len() as u64);
    progress.finish();
    Ok(ImportSummary {
        kind: kind.to_string(),
        source: source_text,
        report,
        warnings,
    })
}

/// A deployment of `camera_id` from `start` to `end`, its place and set-up taken from the
/// camera record when there is one (a deployment nobody described: made by an import or by
/// a live stream).
pub fn deployment_at(
    camera_id: &str,
    camera: Option<&crate::model::Camera>,
    id: String,
    start: crate::model::Timestamp,
    end: crate::model::Timestamp,
    utc_offset_min: i32,
) -> crate::model::Deployment {
    crate::model::Deployment {
        id,
        camera_id: camera_id.to_string(),
        location_id: Some(camera_id.to_string()),
        location_name: camera.map(|c| c.name.clone()),
        latitude: camera.and_then(|c| c.latitude),
        longitude: camera.and_then(|c| c.longitude),
        start,
        end,
        utc_offset_min,
        feature_type: camera.and_then(|c| c.feature_type),
        habitat: camera.and_then(|c| c.habitat.clone()),
        camera_height: camera.and_then(|c| c.height_m),
        camera_tilt: None,
        camera_heading: camera.and_then(|c| c.heading_deg),
        detection_distance: camera.and_then(|c| c.detection_distance_m),
        bait_use: None,
        timestamp_issues: None,
        setup_by: None,
        tags: None,
        comments: None,
    }
}

/// Gives every media file a deployment, for sources that know cameras but not deployments
/// (MegaDetector files, SD cards): a media file goes to the deployment of its camera whose
/// window contains its time; the files left over make one new deployment per camera,
/// spanning them (`dep-{camera}-{yyyymmdd}`). Unknown cameras are created without a
/// location. A new deployment's clock offset is the camera's in `camera_offsets` (seen in
/// zoned times), else `utc_offset_min`. Returns the new cameras and deployments; sets `deployment_id` on each media
/// and on each detection (matched by media id).
pub async fn place_media(
    store: &Store,
    media: &mut [crate::model::Media],
    detections: &mut [crate::model::Detection],
    utc_offset_min: i32,
    camera_offsets: &std::collections::BTreeMap<String, i32>,
) -> Result<(Vec<crate::model::Camera>, Vec<crate::model::Deployment>), ImportError> {
    use crate::model::Camera;
    use std::collections::{BTreeMap, BTreeSet};

    let cameras: BTreeSet<String> = media.iter().map(|m| m.camera_id.clone()).collect();
    let mut new_cameras = Vec::new();
    let mut new_deployments = Vec::new();
    for camera_id in cameras {
        let camera = store.camera(&camera_id).await?;
        let existing = store.deployments(Some(&camera_id)).await?;
        if camera.is_none() {
            new_cameras.push(Camera::new(camera_id.clone(), camera_id.clone()));
        }
        let mut leftovers: Vec<usize> = Vec::new();
        for (i, m) in media.iter_mut().enumerate().filter(|(_, m)| m.camera_id == camera_id) {
            match existing.iter().find(|d| d.start <= m.timestamp && m.timestamp <= d.end) {
                Some(d) => m.deployment_id = d.id.clone(),
                None => leftovers.push(i),
            }
        }
        if leftovers.is_empty() {
            continue;
        }
        let utc_offset_min = camera_offsets.get(&camera_id).copied().unwrap_or(utc_offset_min);
        let start = leftovers.iter().map(|&i| media[i].timestamp).min().unwrap_or_default();
        let end = leftovers.iter().map(|&i| media[i].timestamp).max().unwrap_or_default();
        let local = start.with_timezone(
            &chrono::FixedOffset::east_opt(utc_offset_min * 60)
                .unwrap_or(chrono::FixedOffset::east_opt(0).expect("zero")),
        );
        let mut id = format!("dep-{camera_id}-{}", local.format("%Y%m%d"));
        if existing.iter().any(|d| d.id == id) {
            id = format!("dep-{camera_id}-{}", local.format("%Y%m%d-%H%M%S"));
        }
        for &i in &leftovers {
            media[i].deployment_id = id.clone();
        }
        let mut d = deployment_at(&camera_id, camera.as_ref(), id, start, end, utc_offset_min);
        d.comments = Some("created by import from media timestamps".to_string());
        new_deployments.push(d);
    }
    let by_media: BTreeMap<&str, &str> = media
        .iter()
        .map(|m| (m.id.as_str(), m.deployment_id.as_str()))
        .collect();
    for d in detections.iter_mut() {
        if let Some(dep) = by_media.get(d.media_id.as_str()) {
            d.deployment_id = (*dep).to_string();
        }
    }
    Ok((new_cameras, new_deployments))
}

/// Parses a camera-clock datetime: ISO 8601 with a zone, or without one (ISO or the EXIF
/// form `2024:05:01 06:12:00`), which is then read in `utc_offset_min`.
/// Returns the instant and whether a zone was given.
pub fn parse_camera_datetime(s: &str, utc_offset_min: i32) -> Option<(crate::model::Timestamp, bool)> {
    if let Ok((t, _)) = crate::model::parse_zoned(s) {
        return Some((t, true));
    }
    let s = s.trim();
    let formats = [
        "%Y:%m:%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
    ];
    let naive = formats
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())?;
    let offset = chrono::FixedOffset::east_opt(utc_offset_min * 60)?;
    let local = naive.and_local_timezone(offset).single()?;
    Some((crate::model::truncate_ms(local.with_timezone(&chrono::Utc)), false))
}
