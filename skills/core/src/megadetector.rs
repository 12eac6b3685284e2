//! MegaDetector batch output, format 1.6: import and export.
//!
//! The format (MegaDetector's `api/batch_processing` "batch processing format" page, also
//! what SpeciesNet writes): `{info{format_version, detector, ...}, detection_categories,
//! classification_categories?, images[{file, detections[{category, conf,
//! bbox:[x_min, y_min, width, height] normalised, classifications?[[id, conf]],
//! frame_number?}], failure?, frame_rate?, frames_processed?}]}`.
//!
//! The format has no camera, deployment or time. On import:
//! - the camera is `--camera`, else the image's `camera` (or `location`) field, else the
//!   folder the file is in (`cam03/IMG_0001.JPG` -> `cam03`), else the results file's name;
//! - the time is the image's `datetime` field, else the file's EXIF / name / modification
//!   time when the file is found under the media root (default: the results file's folder);
//!   an image with no time at all is an error that names it;
//! - deployments come from [`crate::import::place_media`].
//!
//! On export we write format 1.6 plus the optional per-image fields `datetime` (ISO 8601
//! with offset) and `camera`, which readers of the format ignore and our importer uses, so an
//! exported file imports back to the same media and detections.

use crate::import::{
    ImportError, ImportSummary, InputError, Progress, commit, parse_camera_datetime, place_media, sha256_hex,
};
use crate::media_folder::media_timestamp;
use crate::model::*;
use crate::store::{Batch, DetectionQuery, MediaQuery, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The MegaDetector format version we read and write.
pub const FORMAT_VERSION: &str = "1.6";

/// The whole results file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MdFile {
    /// Run information.
    pub info: MdInfo,
    /// Category id -> name (`"1": "animal"`, `"2": "person"`, `"3": "vehicle"`).
    pub detection_categories: BTreeMap<String, String>,
    /// Classifier category id -> label, when a species classifier ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification_categories: Option<BTreeMap<String, String>>,
    /// One entry per image or video.
    pub images: Vec<MdImage>,
}

/// `info` block.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MdInfo {
    /// Must be `1.x`; we write `1.6`.
    pub format_version: String,
    /// Detector name, e.g. `md_v5a.0.0.pt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    /// When detection finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_completion_time: Option<String>,
    /// Classifier name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier: Option<String>,
    /// Detector metadata (thresholds, version), kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector_metadata: Option<serde_json::Value>,
}

/// One image (or video) entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MdImage {
    /// Path relative to the image folder.
    pub file: String,
    /// Detections; absent when the image failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detections: Option<Vec<MdDetection>>,
    /// Why processing failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Video frame rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<f64>,
    /// Video frames that were processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frames_processed: Option<Vec<i64>>,
    /// Capture time (optional extension; ISO 8601, zone recommended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datetime: Option<String>,
    /// Camera identifier (optional extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// Location identifier (used as camera when `camera` is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// One box.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MdDetection {
    /// Category id (a key of `detection_categories`).
    pub category: String,
    /// Confidence 0..1.
    pub conf: f64,
    /// `[x_min, y_min, width, height]`, normalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    /// `[[classification category id, confidence], ...]`, best first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifications: Option<Vec<(String, f64)>>,
    /// Frame number, for videos.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_number: Option<i64>,
}

/// What [`parse`] returns: media and detections, warnings, and the clock offset of each
/// camera whose times carry a zone.
pub type Parsed = (Batch, Vec<String>, BTreeMap<String, i32>);

/// Options for [`import_file`].
#[derive(Debug, Clone, Default)]
pub struct MdImportOptions {
    /// Put every image on this camera.
    pub camera: Option<String>,
    /// Offset of the camera clocks from UTC, minutes, for times written without a zone.
    pub utc_offset_min: i32,
    /// Where the images are (to read times from the files); default: the results file's folder.
    pub media_root: Option<PathBuf>,
    /// Keep only detections with at least this confidence (default: keep all).
    pub min_confidence: f64,
}

/// Reads, validates and imports a results file in one transaction.
pub async fn import_file(
    store: &Store,
    path: &Path,
    opts: &MdImportOptions,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    let bytes = crate::import::read_file(path)?;
    let sha = sha256_hex(&bytes);
    let (mut batch, warnings, offsets) = parse(path, &bytes, opts, progress)?;
    let (cameras, deployments) = place_media(
        store,
        &mut batch.media,
        &mut batch.detections,
        opts.utc_offset_min,
        &offsets,
    )
    .await?;
    batch.cameras = cameras;
    batch.deployments = deployments;
    commit(store, "megadetector", path, sha, &batch, warnings, progress).await
}

/// Parses and validates a results file into media and detections (deployments not yet
/// assigned), warnings, and the clock offset of each camera whose times carry a zone.
/// Nothing is written.
pub fn parse(
    path: &Path,
    bytes: &[u8],
    opts: &MdImportOptions,
    progress: &dyn Progress,
) -> Result<Parsed, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| InputError::file(path, format!("not a MegaDetector results file: not UTF-8 text ({e})")))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let file: MdFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        let field = e.path().to_string();
        let message = if inner.is_eof() {
            format!("the JSON ends early (truncated file?): {inner}")
        } else if inner.is_syntax() {
            format!("not valid JSON: {inner}")
        } else {
            format!("not a MegaDetector 1.x results file: {inner}")
        };
        let mut err = InputError::at(path, inner.line() as u64, None, message);
        if field != "." && !field.is_empty() {
            err = err.with_field(field);
        }
        err
    })?;
    if !file.info.format_version.starts_with("1.") {
        return Err(InputError::file(
            path,
            format!(
                "format_version '{}' is not supported; expected 1.x (we write {FORMAT_VERSION})",
                file.info.format_version
            ),
        )
        .with_field("info.format_version")
        .into());
    }
    let root = opts
        .media_root
        .clone()
        .unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default());
    let fallback_camera = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "camera".to_string());
    let locate = |file: &str, detection: Option<usize>| -> Option<u64> { line_of_image(text, file, detection) };
    let classified_by = file.info.detector.clone();
    let classifier = file.info.classifier.clone().or_else(|| classified_by.clone());
    let species_of: BTreeMap<String, (String, Option<String>)> = file
        .classification_categories
        .iter()
        .flatten()
        .map(|(id, label)| (id.clone(), species_from_label(label)))
        .collect();

    let mut batch = Batch::default();
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let mut species: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut offsets: BTreeMap<String, i32> = BTreeMap::new();
    progress.phase("reading MegaDetector results", file.images.len() as u64);
    for (idx, image) in file.images.iter().enumerate() {
        progress.advance(1);
        let field = |f: &str| format!("images[{idx}].{f}");
        if let Some(failure) = &image.failure {
            warnings.push(format!(
                "{}: skipped, the detector failed on it ({failure})",
                image.file
            ));
            continue;
        }
        let camera_id = opts
            .camera
            .clone()
            .or_else(|| image.camera.clone())
            .or_else(|| image.location.clone())
            .or_else(|| {
                Path::new(&image.file)
                    .parent()
                    .and_then(|p| p.file_name())
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| fallback_camera.clone());
        let (timestamp, source) = match &image.datetime {
            Some(dt) => match parse_camera_datetime(dt, opts.utc_offset_min) {
                Some((t, zoned)) => {
                    if zoned && let Ok((_, off)) = parse_zoned(dt) {
                        offsets.entry(camera_id.clone()).or_insert(off);
                    }
                    (t, TimestampSource::Imported)
                }
                None => {
                    errors.push(InputError {
                        file: path.to_path_buf(),
                        line: locate(&image.file, None),
                        field: Some(field("datetime")),
                        message: format!(
                            "'{dt}' is not a datetime (expected ISO 8601, e.g. 2024-05-01T06:12:00-06:00)"
                        ),
                    });
                    continue;
                }
            },
            None => match media_timestamp(&root.join(&image.file), opts.utc_offset_min) {
                Some((t, src)) => {
                    if src == TimestampSource::FileModified {
                        warnings.push(format!(
                            "{}: no EXIF time or date in the name; used the file's modification time",
                            image.file
                        ));
                    }
                    (t, src)
                }
                None => {
                    errors.push(InputError {
                        file: path.to_path_buf(),
                        line: locate(&image.file, None),
                        field: Some(field("file")),
                        message: format!(
                            "no time for '{}': no 'datetime' field, the file is not under {} and its name holds no date; pass --media-root DIR",
                            image.file,
                            root.display()
                        ),
                    });
                    continue;
                }
            },
        };
        let media_id = crate::import::stable_id("m-", &format!("{camera_id}|{}", image.file));
        let is_video = image.frame_rate.is_some() || media_type_of(&image.file).starts_with("video/");
        batch.media.push(Media {
            id: media_id.clone(),
            deployment_id: String::new(),
            camera_id: camera_id.clone(),
            timestamp,
            timestamp_source: source,
            file_path: image.file.clone(),
            file_name: Path::new(&image.file)
                .file_name()
                .map(|s| s.to_string_lossy().into_owned()),
            media_type: media_type_of(&image.file).to_string(),
            capture_method: Some(CaptureMethod::ActivityDetection),
            file_public: false,
            favorite: None,
            frame_rate: image.frame_rate,
            comments: None,
        });
        for (n, d) in image.detections.iter().flatten().enumerate() {
            let dfield = |f: &str| field(&format!("detections[{n}].{f}"));
            let Some(category) = file.detection_categories.get(&d.category) else {
                errors.push(InputError {
                    file: path.to_path_buf(),
                    line: locate(&image.file, Some(n)),
                    field: Some(dfield("category")),
                    message: format!(
                        "category '{}' is not in detection_categories ({})",
                        d.category,
                        file.detection_categories.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                });
                continue;
            };
            if !(0.0..=1.0).contains(&d.conf) {
                errors.push(InputError {
                    file: path.to_path_buf(),
                    line: locate(&image.file, Some(n)),
                    field: Some(dfield("conf")),
                    message: format!("confidence {} is outside 0..1", d.conf),
                });
                continue;
            }
            if d.conf < opts.min_confidence {
                continue;
            }
            let bbox = match d.bbox {
                Some([x, y, width, height]) => {
                    let b = BBox { x, y, width, height };
                    if let Err(m) = b.validate() {
                        errors.push(InputError {
                            file: path.to_path_buf(),
                            line: locate(&image.file, Some(n)),
                            field: Some(dfield("bbox")),
                            message: m,
                        });
                        continue;
                    }
                    Some(b)
                }
                None => None,
            };
            let top = d.classifications.iter().flatten().max_by(|a, b| a.1.total_cmp(&b.1));
            let (scientific_name, probability) = match top {
                Some((cid, p)) => match species_of.get(cid) {
                    Some((name, common)) => {
                        species.entry(name.clone()).or_insert_with(|| common.clone());
                        (Some(name.clone()), Some(*p))
                    }
                    None => {
                        errors.push(InputError {
                            file: path.to_path_buf(),
                            line: locate(&image.file, Some(n)),
                            field: Some(dfield("classifications")),
                            message: format!("classification category '{cid}' is not in classification_categories"),
                        });
                        continue;
                    }
                },
                None => (None, None),
            };
            let frame_number = if is_video { d.frame_number } else { None };
            let ts = match (frame_number, image.frame_rate) {
                (Some(f), Some(rate)) if rate > 0.0 => {
                    timestamp + chrono::Duration::milliseconds((f as f64 * 1000.0 / rate) as i64)
                }
                _ => timestamp,
            };
            batch.detections.push(Detection {
                id: format!("{media_id}-d{n}"),
                media_id: media_id.clone(),
                camera_id: camera_id.clone(),
                deployment_id: String::new(),
                timestamp: ts,
                frame_number,
                observation_type: match category.as_str() {
                    "animal" => ObservationType::Animal,
                    "person" | "human" => ObservationType::Human,
                    "vehicle" => ObservationType::Vehicle,
                    _ => ObservationType::Unknown,
                },
                scientific_name,
                count: Some(1),
                life_stage: None,
                sex: None,
                behavior: None,
                individual_id: None,
                confidence: Some(d.conf),
                bbox,
                classification_method: Some(ClassificationMethod::Machine),
                classified_by: if probability.is_some() {
                    classifier.clone()
                } else {
                    classified_by.clone()
                },
                classification_probability: probability,
                event_id: None,
                track_id: None,
            });
        }
    }
    if !errors.is_empty() {
        return Err(if errors.len() == 1 {
            ImportError::Input(errors.remove(0))
        } else {
            ImportError::Inputs(errors)
        });
    }
    batch.species = species
        .into_iter()
        .map(|(scientific_name, common_name)| Species {
            scientific_name,
            common_name,
            taxon_rank: None,
        })
        .collect();
    Ok((batch, warnings, offsets))
}

/// A classifier label -> (name we store, common name). SpeciesNet labels are
/// `uuid;class;order;family;genus;species;common name`: we store `Genus species` (or the
/// most specific rank given) with the common name; any other label is kept as given.
pub fn species_from_label(label: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = label.split(';').collect();
    if parts.len() == 7 {
        let common = Some(parts[6].trim().to_string()).filter(|s| !s.is_empty());
        let genus = parts[4].trim();
        let epithet = parts[5].trim();
        let name = if !genus.is_empty() && !epithet.is_empty() {
            let mut g = genus.to_string();
            if let Some(first) = g.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            format!("{g} {epithet}")
        } else {
            parts[1..5]
                .iter()
                .rev()
                .map(|s| s.trim())
                .find(|s| !s.is_empty())
                .map(str::to_string)
                .or_else(|| common.clone())
                .unwrap_or_else(|| label.to_string())
        };
        (name, common)
    } else {
        (label.to_string(), None)
    }
}

/// The IANA media type for a file name, from its extension.
pub fn media_type_of(file: &str) -> &'static str {
    let ext = Path::new(file)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "tif" | "tiff" => "image/tiff",
        "bmp" => "image/bmp",
        "webp" => "image/webp",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "avi" => "video/x-msvideo",
        "mkv" => "video/x-matroska",
        "3gp" => "video/3gpp",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

/// Byte offset of an image entry's `file` value in the raw text (the first entry with that
/// file name).
fn offset_of_image(text: &str, file: &str) -> Option<usize> {
    let needle = serde_json::to_string(file).ok()?;
    let mut from = 0;
    while let Some(pos) = text[from..].find(&needle) {
        let at = from + pos;
        let before = text[..at].trim_end();
        if let Some(key) = before.strip_suffix(':')
            && key.trim_end().ends_with("\"file\"")
        {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

fn line_at(text: &str, offset: usize) -> u64 {
    text[..offset].bytes().filter(|&b| b == b'\n').count() as u64 + 1
}

/// 1-based line of an image entry, or of its `n`-th detection when `detection` is given.
fn line_of_image(text: &str, file: &str, detection: Option<usize>) -> Option<u64> {
    let at = offset_of_image(text, file)?;
    let Some(n) = detection else {
        return Some(line_at(text, at));
    };
    // The image's detections follow its "detections" key; count "category" keys from there
    // (stopping at the next image's "file" key).
    let start = at + text[at..].find("\"detections\"")?;
    let end = text[at + 1..]
        .find("\"file\"")
        .map(|e| at + 1 + e)
        .unwrap_or(text.len());
    let mut from = start;
    for i in 0..=n {
        let pos = from + text[from..end].find("\"category\"")?;
        if i == n {
            return Some(line_at(text, pos));
        }
        from = pos + 1;
    }
    None
}

/// Builds a results file from the store: every media file with its detections.
pub async fn export(store: &Store, progress: &dyn Progress) -> Result<MdFile, ImportError> {
    let deployments = store.deployments(None).await?;
    let offsets: BTreeMap<String, i32> = deployments.iter().map(|d| (d.id.clone(), d.utc_offset_min)).collect();
    let species = store.species().await?;
    let mut class_ids: BTreeMap<String, String> = BTreeMap::new();
    for (i, s) in species.iter().enumerate() {
        class_ids.insert(s.scientific_name.clone(), (i + 1).to_string());
    }
    let media = store.media(&MediaQuery::default()).await?;
    progress.phase("exporting MegaDetector results", media.len() as u64);
    let mut by_media: BTreeMap<String, Vec<Detection>> = BTreeMap::new();
    for d in store.detections(&DetectionQuery::default()).await? {
        by_media.entry(d.media_id.clone()).or_default().push(d);
    }
    let mut detectors = std::collections::BTreeSet::new();
    let mut images = Vec::with_capacity(media.len());
    for m in media {
        progress.advance(1);
        let dets = by_media.remove(&m.id).unwrap_or_default();
        let mut out = Vec::new();
        for d in dets {
            let (Some(b), category) = (d.bbox, category_of(d.observation_type)) else {
                continue;
            };
            let Some(category) = category else { continue };
            if let Some(by) = &d.classified_by
                && d.classification_probability.is_none()
            {
                detectors.insert(by.clone());
            }
            let classifications = match (&d.scientific_name, d.classification_probability) {
                (Some(name), p) => class_ids
                    .get(name)
                    .map(|id| vec![(id.clone(), round6(p.unwrap_or(1.0)))]),
                _ => None,
            };
            out.push(MdDetection {
                category: category.to_string(),
                conf: round6(d.confidence.or(d.classification_probability).unwrap_or(1.0)),
                bbox: Some([round6(b.x), round6(b.y), round6(b.width), round6(b.height)]),
                classifications,
                frame_number: d.frame_number,
            });
        }
        let offset = offsets.get(&m.deployment_id).copied().unwrap_or(0);
        images.push(MdImage {
            file: m.file_path.clone(),
            detections: Some(out),
            failure: None,
            frame_rate: m.frame_rate,
            frames_processed: None,
            datetime: Some(format_with_offset(m.timestamp, offset)),
            camera: Some(m.camera_id.clone()),
            location: None,
        });
    }
    let classification_categories = if class_ids.is_empty() {
        None
    } else {
        Some(class_ids.into_iter().map(|(name, id)| (id, name)).collect())
    };
    Ok(MdFile {
        info: MdInfo {
            format_version: FORMAT_VERSION.to_string(),
            detector: Some(if detectors.len() == 1 {
                detectors.into_iter().next().unwrap_or_default()
            } else {
                "trailmesh".to_string()
            }),
            detection_completion_time: None,
            classifier: None,
            detector_metadata: None,
        },
        detection_categories: [("1", "animal"), ("2", "person"), ("3", "vehicle")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        classification_categories,
        images,
    })
}

/// Writes [`export`] to a file (pretty JSON, one key per line).
pub async fn export_file(store: &Store, out: &Path, progress: &dyn Progress) -> Result<usize, ImportError> {
    let file = export(store, progress).await?;
    let n = file.images.len();
    let text = serde_json::to_string_pretty(&file).map_err(|e| ImportError::io(out, std::io::Error::other(e)))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| ImportError::io(dir, e))?;
    }
    std::fs::write(out, text + "\n").map_err(|e| ImportError::io(out, e))?;
    progress.finish();
    Ok(n)
}

fn category_of(t: ObservationType) -> Option<&'static str> {
    match t {
        ObservationType::Animal => Some("1"),
        ObservationType::Human => Some("2"),
        ObservationType::Vehicle => Some("3"),
        _ => None,
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speciesnet_labels_become_binomials() {
        let (n, c) =
            species_from_label("5c7ce479;mammalia;cetartiodactyla;cervidae;odocoileus;virginianus;white-tailed deer");
        assert_eq!(n, "Odocoileus virginianus");
        assert_eq!(c.as_deref(), Some("white-tailed deer"));
        let (n, _) = species_from_label("abc;mammalia;carnivora;canidae;;;canine family");
        assert_eq!(n, "canidae");
        assert_eq!(species_from_label("deer").0, "deer");
    }

    #[test]
    fn media_types_follow_extensions() {
        assert_eq!(media_type_of("a/B.JPG"), "image/jpeg");
        assert_eq!(media_type_of("clip.MP4"), "video/mp4");
    }

    #[test]
    fn image_lines_are_found() {
        let text = "{\n \"images\": [\n  {\"file\": \"a.jpg\"},\n  {\"file\": \"b.jpg\"}\n ]\n}";
        assert_eq!(line_of_image(text, "b.jpg", None), Some(4));
        assert_eq!(line_of_image(text, "a.jpg", None), Some(3));
        let text = "{\"images\": [\n{\"file\": \"a.jpg\", \"detections\": [\n{\"category\": \"1\"},\n{\"category\": \"2\"}]},\n{\"file\": \"b.jpg\"}]}";
        assert_eq!(line_of_image(text, "a.jpg", Some(1)), Some(4));
        assert_eq!(line_of_image(text, "a.jpg", Some(2)), None);
    }
}
