//! A folder of images and videos, as copied off an SD card: one media record per file.
//! (Detection runs in the vision pipeline; this importer records what is there and when.)
//!
//! Time of each file, best source first: EXIF `DateTimeOriginal` (with `OffsetTimeOriginal`
//! when the camera wrote one), a date and time in the file name (`IMG_20240501_061200.JPG`,
//! `2024-05-01 06-12-00.mp4`, ...), else the file's modification time, which is flagged as
//! such (`timestamp_source = fileModified`) and reported as a warning.
//!
//! A file whose content is not what its extension says (a `.JPG` that is not a JPEG) is an
//! error naming the file; by default nothing is imported then (`skip_bad` imports the rest).

use crate::import::{ImportError, ImportSummary, InputError, Progress, commit, place_media, sha256_hex, stable_id};
use crate::megadetector::media_type_of;
use crate::model::*;
use crate::store::{Batch, Store};
use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Options for [`import_folder`].
#[derive(Debug, Clone, Default)]
pub struct FolderImportOptions {
    /// Camera the files come from; default: the folder's name.
    pub camera: Option<String>,
    /// Offset of the camera clock from UTC, minutes (EXIF and file names carry no zone).
    pub utc_offset_min: i32,
    /// Skip files that are not what their name says, instead of refusing the whole folder.
    pub skip_bad: bool,
}

/// Lists, checks and imports a folder in one transaction.
pub async fn import_folder(
    store: &Store,
    dir: &Path,
    opts: &FolderImportOptions,
    progress: &dyn Progress,
) -> Result<ImportSummary, ImportError> {
    let (mut batch, warnings, sha) = scan_folder(dir, opts, progress)?;
    let (cameras, deployments) = place_media(
        store,
        &mut batch.media,
        &mut batch.detections,
        opts.utc_offset_min,
        &Default::default(),
    )
    .await?;
    batch.cameras = cameras;
    batch.deployments = deployments;
    commit(store, "media-folder", dir, sha, &batch, warnings, progress).await
}

/// Lists and checks the media files under `dir` (recursively, in name order). Returns the
/// media records (deployments not yet assigned), warnings, and a fingerprint of the listing.
pub fn scan_folder(
    dir: &Path,
    opts: &FolderImportOptions,
    progress: &dyn Progress,
) -> Result<(Batch, Vec<String>, String), ImportError> {
    if !dir.is_dir() {
        return Err(InputError::file(dir, "not a folder").into());
    }
    let camera_id = match &opts.camera {
        Some(c) => c.clone(),
        None => dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "camera".to_string()),
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| dir.to_path_buf());
            ImportError::io(path, std::io::Error::other(e.to_string()))
        })?;
        let name = entry.file_name().to_string_lossy();
        if !entry.file_type().is_file() || name.starts_with('.') {
            continue;
        }
        if media_type_of(&name) != "application/octet-stream" {
            files.push(entry.into_path());
        }
    }
    progress.phase("reading media files", files.len() as u64);
    let mut batch = Batch::default();
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let mut fingerprint = String::new();
    for path in &files {
        progress.advance(1);
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let media_type = media_type_of(&rel);
        if let Err(message) = check_magic(path, media_type) {
            let err = InputError::file(path, message);
            if opts.skip_bad {
                warnings.push(format!("skipped {err}"));
            } else {
                errors.push(err);
            }
            continue;
        }
        let Some((timestamp, source)) = media_timestamp(path, opts.utc_offset_min) else {
            errors.push(InputError::file(
                path,
                "cannot tell when this file was taken (no EXIF time, no date in the name, no modification time)",
            ));
            continue;
        };
        if source == TimestampSource::FileModified {
            warnings.push(format!(
                "{rel}: no EXIF time or date in the name; used the file's modification time"
            ));
        }
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or_default();
        fingerprint.push_str(&format!("{rel}\t{size}\t{}\n", to_ms(timestamp)));
        batch.media.push(Media {
            id: stable_id("m-", &format!("{camera_id}|{rel}")),
            deployment_id: String::new(),
            camera_id: camera_id.clone(),
            timestamp,
            timestamp_source: source,
            file_path: path
                .canonicalize()
                .unwrap_or_else(|_| path.clone())
                .display()
                .to_string(),
            file_name: path.file_name().map(|s| s.to_string_lossy().into_owned()),
            media_type: media_type.to_string(),
            capture_method: Some(CaptureMethod::ActivityDetection),
            file_public: false,
            favorite: None,
            frame_rate: None,
            comments: None,
        });
    }
    if !errors.is_empty() {
        return Err(if errors.len() == 1 {
            ImportError::Input(errors.remove(0))
        } else {
            ImportError::Inputs(errors)
        });
    }
    if batch.media.is_empty() {
        return Err(InputError::file(
            dir,
            "no image or video files found (looked for .jpg, .jpeg, .png, .tif, .mp4, .mov, .avi, ...)",
        )
        .into());
    }
    Ok((batch, warnings, sha256_hex(fingerprint.as_bytes())))
}

/// When a media file was taken, and how we know: EXIF, else the file name, else the
/// modification time. `None` when the file does not exist and its name holds no date.
pub fn media_timestamp(path: &Path, utc_offset_min: i32) -> Option<(Timestamp, TimestampSource)> {
    media_timestamp_exact(path, utc_offset_min).map(|(t, s)| (truncate_ms(t), s))
}

fn media_timestamp_exact(path: &Path, utc_offset_min: i32) -> Option<(Timestamp, TimestampSource)> {
    if let Some(t) = exif_time(path, utc_offset_min) {
        return Some((t, TimestampSource::Exif));
    }
    let name = path.file_name()?.to_string_lossy();
    if let Some(t) = time_from_name(&name, utc_offset_min) {
        return Some((t, TimestampSource::FileName));
    }
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some((chrono::DateTime::<Utc>::from(modified), TimestampSource::FileModified))
}

fn exif_time(path: &Path, utc_offset_min: i32) -> Option<Timestamp> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = std::io::BufReader::new(file);
    let exif = exif::Reader::new().read_from_container(&mut reader).ok()?;
    let field = exif
        .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
        .or_else(|| exif.get_field(exif::Tag::DateTime, exif::In::PRIMARY))?;
    let exif::Value::Ascii(ref v) = field.value else {
        return None;
    };
    let mut dt = exif::DateTime::from_ascii(v.first()?).ok()?;
    if let Some(off) = exif.get_field(exif::Tag::OffsetTimeOriginal, exif::In::PRIMARY)
        && let exif::Value::Ascii(ref o) = off.value
        && let Some(o) = o.first()
    {
        let _ = dt.parse_offset(o);
    }
    let offset_min = dt.offset.map(i32::from).unwrap_or(utc_offset_min);
    let date = NaiveDate::from_ymd_opt(i32::from(dt.year), u32::from(dt.month), u32::from(dt.day))?;
    let naive = date.and_hms_opt(u32::from(dt.hour), u32::from(dt.minute), u32::from(dt.second))?;
    let local = FixedOffset::east_opt(offset_min * 60)?
        .from_local_datetime(&naive)
        .single()?;
    Some(local.with_timezone(&Utc))
}

/// Finds `YYYY MM DD HH MM SS` in a file name, with or without separators between the
/// parts (`IMG_20240501_061200`, `2024-05-01 06-12-00`, `20240501061200`).
pub fn time_from_name(name: &str, utc_offset_min: i32) -> Option<Timestamp> {
    let bytes = name.as_bytes();
    for start in 0..bytes.len() {
        if !bytes[start].is_ascii_digit() || (start > 0 && bytes[start - 1].is_ascii_digit()) {
            continue;
        }
        // Read 14 digits allowing single separators between the groups 4,2,2,2,2,2.
        let mut digits = String::new();
        let mut i = start;
        let groups = [4usize, 2, 2, 2, 2, 2];
        let mut ok = true;
        for (g, len) in groups.iter().enumerate() {
            if g > 0 && i < bytes.len() && matches!(bytes[i], b'-' | b'_' | b' ' | b'.' | b':' | b'T') {
                // A separator is allowed between groups.
                if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    ok = false;
                    break;
                }
                i += 1;
            }
            for _ in 0..*len {
                match bytes.get(i) {
                    Some(b) if b.is_ascii_digit() => {
                        digits.push(*b as char);
                        i += 1;
                    }
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                break;
            }
        }
        if !ok || bytes.get(i).is_some_and(u8::is_ascii_digit) {
            continue;
        }
        let n = |a: usize, b: usize| digits[a..b].parse::<u32>().ok();
        let (y, mo, d, h, mi, s) = (n(0, 4)?, n(4, 6)?, n(6, 8)?, n(8, 10)?, n(10, 12)?, n(12, 14)?);
        if !(1990..=2100).contains(&y) {
            continue;
        }
        let Some(naive) = NaiveDate::from_ymd_opt(y as i32, mo, d).and_then(|d| d.and_hms_opt(h, mi, s)) else {
            continue;
        };
        let local = FixedOffset::east_opt(utc_offset_min * 60)?
            .from_local_datetime(&naive)
            .single()?;
        return Some(local.with_timezone(&Utc));
    }
    None
}

/// Checks the first bytes of a file against what its media type promises.
fn check_magic(path: &Path, media_type: &str) -> Result<(), String> {
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| format!("cannot read: {e}"))?;
    let head = &head[..n];
    let ok = match media_type {
        "image/jpeg" => head.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/tiff" => head.starts_with(b"II*\0") || head.starts_with(b"MM\0*"),
        "image/bmp" => head.starts_with(b"BM"),
        "image/webp" | "video/x-msvideo" => head.starts_with(b"RIFF"),
        "video/mp4" | "video/quicktime" | "video/3gpp" => head
            .get(4..8)
            .is_some_and(|t| t == b"ftyp" || t == b"mdat" || t == b"moov" || t == b"wide"),
        "video/x-matroska" | "video/webm" => head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]),
        _ => true,
    };
    if ok {
        Ok(())
    } else if n == 0 {
        Err(format!("the file is empty, not {media_type}"))
    } else {
        let shown: String = head
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        Err(format!(
            "the name says {media_type} but the content is not (it starts with {shown})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_found_in_common_camera_file_names() {
        let t = time_from_name("IMG_20240501_061200.JPG", -360).unwrap();
        assert_eq!(format_with_offset(t, -360), "2024-05-01T06:12:00-06:00");
        let t = time_from_name("2024-05-01 06-12-00.mp4", 0).unwrap();
        assert_eq!(format_with_offset(t, 0), "2024-05-01T06:12:00+00:00");
        assert!(time_from_name("RCNX0001.JPG", 0).is_none());
        assert!(time_from_name("IMG_0001.JPG", 0).is_none());
        assert!(
            time_from_name("IMG_20241399_061200.JPG", 0).is_none(),
            "month 13 is no date"
        );
    }
}
