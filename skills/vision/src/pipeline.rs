//! Frame sources through the whole pipeline into the store.
//!
//! - Still images: every photo goes to the detector (the camera's own sensor already decided
//!   it was worth taking), in time order per camera, batched.
//! - Video files: decoded by the `ffmpeg` program (Debian package `ffmpeg`) at
//!   `vision.video_fps`; each frame passes the motion gate before the detector.
//!
//! Boxes are tracked per camera, tracks are segmented into events, and [`to_batch`] turns the
//! result into store rows (detections with their track and event, tracks with speed and
//! heading, events with count and best frame) plus a JPEG thumbnail per event.

use crate::batcher::{Detect, SharedDetector, Ticket};
use crate::config::VisionConfig;
use crate::detector::{Detector, PixelBox};
use crate::motion::MotionGate;
use crate::segment::{EventGroup, segment};
use crate::tracker::Tracker;
use crate::{Result, VisionError};
use image::RgbImage;
use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use trailmesh_core::import::{ImportSummary, Progress, commit, place_media, stable_id};
use trailmesh_core::media_folder::{FolderImportOptions, scan_folder};
use trailmesh_core::model::*;
use trailmesh_core::store::{Batch, Store};

/// Where a frame came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameInfo {
    /// The media file.
    pub media_id: String,
    /// Frame time.
    pub time: Timestamp,
    /// Frame number in the video (`None` for a still image).
    pub video_frame: Option<i64>,
}

/// Counters of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisionStats {
    /// Frames read.
    pub frames: u64,
    /// Frames the motion gate let through (stills always pass).
    pub gated_in: u64,
    /// Boxes the detector found.
    pub boxes: u64,
    /// Tracks.
    pub tracks: u64,
    /// Events.
    pub events: u64,
}

/// Frames by sequence number.
type Frames = Vec<(usize, Arc<RgbImage>)>;

/// The first and last frame of a track.
pub type TrackEnds = (Arc<RgbImage>, Arc<RgbImage>);

/// One camera's frames through gate, detector and tracker.
#[derive(Debug)]
pub struct CameraRun<'d> {
    detector: &'d dyn Detect,
    gate: MotionGate,
    tracker: Tracker,
    /// Frames not yet handed to the detector.
    pending: Frames,
    /// Frames handed to the detector, oldest first, with their coming boxes.
    in_flight: VecDeque<(Frames, Ticket)>,
    frames: Vec<FrameInfo>,
    best_image: HashMap<u64, (f32, Arc<RgbImage>)>,
    /// First and last frame of each track (thumbnail size), kept for event descriptions.
    track_ends: Option<HashMap<u64, TrackEnds>>,
    thumbnail_width: u32,
    untracked: Vec<(usize, PixelBox, u32, u32)>,
    stats: VisionStats,
}

/// The result of one camera's run.
#[derive(Debug)]
pub struct CameraResult {
    /// Events with their tracks (track points' `frame` indexes [`CameraResult::frames`]).
    pub events: Vec<EventGroup>,
    /// Every frame seen, by sequence number.
    pub frames: Vec<FrameInfo>,
    /// Boxes that joined no track (low score, nothing to extend): frame, box, frame size.
    pub untracked: Vec<(usize, PixelBox, u32, u32)>,
    /// The best frame of each track, by track id, shrunk to the thumbnail width (a long
    /// run over many full-size photos holds only these small copies).
    pub best_image: HashMap<u64, Arc<RgbImage>>,
    /// The first and last frame of each track, thumbnail size, by track id (kept only when
    /// `vision.describe` is on: they are what a vision-language model is shown).
    pub track_ends: HashMap<u64, TrackEnds>,
    /// Counters.
    pub stats: VisionStats,
}

impl<'d> CameraRun<'d> {
    /// A run for one camera.
    pub fn new(detector: &'d dyn Detect, cfg: &VisionConfig) -> Self {
        CameraRun {
            detector,
            gate: MotionGate::new(cfg.motion.clone()),
            tracker: Tracker::new(cfg.tracker.clone()),
            pending: Vec::new(),
            in_flight: VecDeque::new(),
            frames: Vec::new(),
            best_image: HashMap::new(),
            track_ends: (cfg.describe.enabled && cfg.describe.images).then(HashMap::new),
            thumbnail_width: cfg.events.thumbnail_width,
            untracked: Vec::new(),
            stats: VisionStats::default(),
        }
    }

    /// Feeds one frame (in time order). `gated` frames go through the motion gate first.
    pub fn push(&mut self, info: FrameInfo, image: RgbImage, gated: bool) -> Result<()> {
        self.stats.frames += 1;
        let seq = self.frames.len();
        self.frames.push(info);
        if gated && !self.gate.observe(&image).motion {
            // Nothing moved: the frame still tells the tracker that time passed.
            self.flush()?;
            let t = self.frames[seq].time;
            self.tracker.update(t, seq as i64, image.width(), image.height(), &[]);
            return Ok(());
        }
        self.stats.gated_in += 1;
        self.pending.push((seq, Arc::new(image)));
        if self.pending.len() >= self.detector.frames_per_submit() {
            self.submit()?;
        }
        self.collect(false)
    }

    /// The counters so far (boxes count only frames the detector has run on).
    pub fn stats(&self) -> VisionStats {
        self.stats
    }

    /// Hands the pending frames to the detector.
    fn submit(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let ticket = self.detector.submit(pending.iter().map(|(_, i)| i.clone()).collect())?;
        self.in_flight.push_back((pending, ticket));
        Ok(())
    }

    /// Feeds the tracker the boxes of submitted frames, oldest first: those already computed,
    /// then (blocking) as many as keep the frames outstanding within the detector's limit, or
    /// all of them with `all`.
    fn collect(&mut self, all: bool) -> Result<()> {
        loop {
            let must = all || self.in_flight.len() > self.detector.in_flight();
            let Some((_, ticket)) = self.in_flight.front_mut() else {
                break;
            };
            if !must && !ticket.is_ready() {
                break;
            }
            let (frames, ticket) = self.in_flight.pop_front().expect("a front entry");
            let results = ticket.wait()?;
            self.track(frames, results);
        }
        Ok(())
    }

    /// Runs the detector on the pending frames and feeds the tracker with everything submitted.
    pub fn flush(&mut self) -> Result<()> {
        self.submit()?;
        self.collect(true)
    }

    fn track(&mut self, frames: Frames, results: Vec<Vec<PixelBox>>) {
        for ((seq, img), boxes) in frames.into_iter().zip(results) {
            self.stats.boxes += boxes.len() as u64;
            let t = self.frames[seq].time;
            let ids = self.tracker.update(t, seq as i64, img.width(), img.height(), &boxes);
            let mut small: Option<Arc<RgbImage>> = None;
            for (b, id) in boxes.iter().zip(ids) {
                match id {
                    Some(id) => {
                        let width = self.thumbnail_width;
                        let better = self.best_image.get(&id).is_none_or(|(s, _)| b.score > *s);
                        if better {
                            let thumb = small.get_or_insert_with(|| Arc::new(shrink(&img, width))).clone();
                            self.best_image.insert(id, (b.score, thumb));
                        }
                        if let Some(ends) = &mut self.track_ends {
                            let thumb = small.get_or_insert_with(|| Arc::new(shrink(&img, width))).clone();
                            ends.entry(id)
                                .and_modify(|e| e.1 = thumb.clone())
                                .or_insert_with(|| (thumb.clone(), thumb));
                        }
                    }
                    None => self.untracked.push((seq, *b, img.width(), img.height())),
                }
            }
        }
    }

    /// Ends the run: flushes, ends all tracks and segments them into events.
    pub fn finish(mut self, gap_s: f64) -> Result<CameraResult> {
        self.flush()?;
        let tracks = self.tracker.finish();
        let mut stats = self.stats;
        stats.tracks = tracks.len() as u64;
        let events = segment(tracks, gap_s);
        stats.events = events.len() as u64;
        Ok(CameraResult {
            events,
            frames: self.frames,
            untracked: self.untracked,
            best_image: self.best_image.into_iter().map(|(k, (_, v))| (k, v)).collect(),
            track_ends: self.track_ends.unwrap_or_default(),
            stats,
        })
    }
}

/// Decodes an image file into RGB.
pub fn read_image(path: &Path) -> Result<RgbImage> {
    let reader = image::ImageReader::open(path)
        .map_err(|e| VisionError::io(path, e))?
        .with_guessed_format()
        .map_err(|e| VisionError::io(path, e))?;
    let img = reader.decode().map_err(|e| VisionError::Frame {
        path: path.to_path_buf(),
        message: format!("cannot decode the image: {e}"),
    })?;
    Ok(img.into_rgb8())
}

/// Frames of a video file, decoded by `ffmpeg` at a fixed rate.
#[derive(Debug)]
pub struct VideoFrames {
    child: std::process::Child,
    path: PathBuf,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// The video's own frame rate.
    pub source_fps: f64,
    /// The rate frames are taken at.
    pub fps: f64,
    index: i64,
}

fn ffmpeg_missing(program: &str, e: std::io::Error) -> String {
    format!("cannot run `{program}` ({e}); video files need FFmpeg: install it (Debian: apt-get install ffmpeg)")
}

impl VideoFrames {
    /// Starts decoding `path` at `fps` frames per second.
    pub fn open(path: &Path, fps: f64) -> Result<VideoFrames> {
        let frame_err = |message: String| VisionError::Frame {
            path: path.to_path_buf(),
            message,
        };
        let probe = Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", "v:0"])
            .args(["-show_entries", "stream=width,height,r_frame_rate", "-of", "csv=p=0"])
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| frame_err(ffmpeg_missing("ffprobe", e)))?;
        let text = String::from_utf8_lossy(&probe.stdout);
        let parts: Vec<&str> = text.trim().split(',').collect();
        let (width, height, rate) = match parts.as_slice() {
            [w, h, r, ..] => (w.parse::<u32>().ok(), h.parse::<u32>().ok(), *r),
            _ => (None, None, ""),
        };
        let (Some(width), Some(height)) = (width, height) else {
            return Err(frame_err(format!(
                "no video stream found ({})",
                String::from_utf8_lossy(&probe.stderr).trim()
            )));
        };
        let source_fps = match rate.split_once('/') {
            Some((n, d)) => n.parse::<f64>().unwrap_or(0.0) / d.parse::<f64>().unwrap_or(1.0).max(1e-9),
            None => rate.parse().unwrap_or(0.0),
        };
        let child = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-i"])
            .arg(path)
            .args([
                "-an",
                "-vf",
                &format!("fps={fps}"),
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "pipe:1",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| frame_err(ffmpeg_missing("ffmpeg", e)))?;
        Ok(VideoFrames {
            child,
            path: path.to_path_buf(),
            width,
            height,
            source_fps,
            fps,
            index: 0,
        })
    }

    /// The next frame: its number in the source video and its offset from the start.
    pub fn next_frame(&mut self) -> Result<Option<(i64, chrono::Duration, RgbImage)>> {
        let len = self.width as usize * self.height as usize * 3;
        let mut buf = vec![0u8; len];
        let out = self.child.stdout.as_mut().expect("piped stdout");
        let mut filled = 0;
        while filled < len {
            match out.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(VisionError::io(&self.path, e)),
            }
        }
        if filled < len {
            let status = self.child.wait().map_err(|e| VisionError::io(&self.path, e))?;
            if !status.success() {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return Err(VisionError::Frame {
                    path: self.path.clone(),
                    message: format!("ffmpeg failed to decode it: {}", err.trim()),
                });
            }
            return Ok(None);
        }
        let i = self.index;
        self.index += 1;
        let offset_ms = (i as f64 * 1000.0 / self.fps).round() as i64;
        let source_frame = (i as f64 * self.source_fps / self.fps).round() as i64;
        let img = RgbImage::from_raw(self.width, self.height, buf).expect("buffer of the frame size");
        Ok(Some((source_frame, chrono::Duration::milliseconds(offset_ms), img)))
    }
}

impl Drop for VideoFrames {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs every media file of one camera (sorted by time) through the pipeline.
pub fn analyse_camera(
    detector: &dyn Detect,
    cfg: &VisionConfig,
    media: &[&Media],
    progress: &dyn Progress,
) -> Result<CameraResult> {
    let mut run = CameraRun::new(detector, cfg);
    for m in media {
        let path = Path::new(&m.file_path);
        if m.media_type.starts_with("video/") {
            let mut video = VideoFrames::open(path, cfg.video_fps)?;
            while let Some((frame, offset, img)) = video.next_frame()? {
                let info = FrameInfo {
                    media_id: m.id.clone(),
                    time: truncate_ms(m.timestamp + offset),
                    video_frame: Some(frame),
                };
                run.push(info, img, true)?;
            }
        } else {
            let img = read_image(path)?;
            let info = FrameInfo {
                media_id: m.id.clone(),
                time: m.timestamp,
                video_frame: None,
            };
            run.push(info, img, false)?;
        }
        progress.advance(1);
    }
    run.finish(cfg.events.gap_s)
}

/// Turns one camera's result into store rows and writes the event thumbnails into
/// `thumbnails` (`<event id>.jpg`). Deployment ids are left empty for [`place_media`].
pub fn to_batch(
    camera_id: &str,
    result: &CameraResult,
    detector_name: &str,
    cfg: &VisionConfig,
    thumbnails: Option<&Path>,
) -> Result<Batch> {
    let mut batch = Batch::default();
    let detection = |seq: usize, b: &PixelBox, w: u32, h: u32, event: Option<&str>, track: Option<&str>| {
        let f = &result.frames[seq];
        let key = format!(
            "{}|{}|{:.1},{:.1},{:.1},{:.1}",
            f.media_id,
            f.video_frame.unwrap_or(-1),
            b.x0,
            b.y0,
            b.x1,
            b.y1
        );
        Detection {
            id: stable_id("det-", &key),
            media_id: f.media_id.clone(),
            camera_id: camera_id.to_string(),
            deployment_id: String::new(),
            timestamp: f.time,
            frame_number: f.video_frame,
            observation_type: ObservationType::Animal,
            scientific_name: None,
            count: Some(1),
            life_stage: None,
            sex: None,
            behavior: None,
            individual_id: None,
            confidence: Some(f64::from(b.score)),
            bbox: Some(b.normalised(w, h)),
            classification_method: Some(ClassificationMethod::Machine),
            classified_by: Some(detector_name.to_string()),
            classification_probability: None,
            event_id: event.map(str::to_string),
            track_id: track.map(str::to_string),
        }
    };
    for e in &result.events {
        let first = &e.tracks[0].points[0];
        let first_media = &result.frames[first.frame as usize].media_id;
        let event_id = stable_id("ev-", &format!("{camera_id}|{}|{first_media}", to_ms(e.start)));
        let best = e.best().expect("an event has a box");
        let best_media = result.frames[best.frame as usize].media_id.clone();
        let tracks = e.tracks.len();
        batch.events.push(Event {
            id: event_id.clone(),
            deployment_id: String::new(),
            camera_id: camera_id.to_string(),
            start: e.start,
            end: e.end,
            observation_type: ObservationType::Animal,
            scientific_name: None,
            count: Some(e.max_count as i64),
            life_stage: None,
            sex: None,
            behavior: None,
            individual_id: None,
            classification_method: Some(ClassificationMethod::Machine),
            classified_by: Some(detector_name.to_string()),
            classification_probability: Some(f64::from(best.bbox.score)),
            best_media_id: Some(best_media),
            description: Some(format!(
                "{UNDESCRIBED}: {tracks} track{}, up to {} at once",
                if tracks == 1 { "" } else { "s" },
                e.max_count
            )),
        });
        for (i, t) in e.tracks.iter().enumerate() {
            let track_id = stable_id("trk-", &format!("{event_id}|{i}"));
            batch.tracks.push(Track {
                id: track_id.clone(),
                event_id: event_id.clone(),
                camera_id: camera_id.to_string(),
                start: t.start(),
                end: t.end(),
                scientific_name: None,
                individual_id: None,
                heading_deg: t.heading_deg(),
                speed: t.speed(),
                frames: t.points.len() as i64,
            });
            for p in &t.points {
                batch.detections.push(detection(
                    p.frame as usize,
                    &p.bbox,
                    p.width,
                    p.height,
                    Some(&event_id),
                    Some(&track_id),
                ));
            }
        }
        if let Some(dir) = thumbnails {
            let best_track = e
                .tracks
                .iter()
                .find(|t| t.points.iter().any(|p| p == best))
                .map(|t| t.id);
            if let Some(img) = best_track.and_then(|id| result.best_image.get(&id)) {
                write_thumbnail(img, cfg.events.thumbnail_width, &dir.join(format!("{event_id}.jpg")))?;
            }
        }
    }
    for (seq, b, w, h) in &result.untracked {
        batch.detections.push(detection(*seq, b, *w, *h, None, None));
    }
    Ok(batch)
}

/// A copy of a frame at most `width` pixels wide.
fn shrink(img: &RgbImage, width: u32) -> RgbImage {
    if img.width() <= width {
        return img.clone();
    }
    let w = width.max(1);
    let h = ((u64::from(img.height()) * u64::from(w)) / u64::from(img.width().max(1))).max(1) as u32;
    image::imageops::thumbnail(img, w, h)
}

/// What the detector's events say until something describes them (the start of their
/// description).
pub const UNDESCRIBED: &str = "animal, species unknown";

/// An event's frames for a vision-language model, as JPEG files.
pub type EventFrames = Vec<Vec<u8>>;

/// The frames a vision-language model is shown for each event of `result`, in the order of
/// [`to_batch`]'s events: the event's first frame, its best and its last (without repeats),
/// at most `n` (one: the best; two: first and last), as JPEGs whose longest side is at most
/// `side`. Empty lists unless the run kept track ends (`vision.describe` on).
pub fn event_frames(result: &CameraResult, n: usize, side: u32) -> Result<Vec<EventFrames>> {
    result
        .events
        .iter()
        .map(|e| {
            if result.track_ends.is_empty() {
                return Ok(Vec::new());
            }
            let first = e
                .tracks
                .first()
                .and_then(|t| result.track_ends.get(&t.id))
                .map(|x| x.0.clone());
            let last = e
                .tracks
                .iter()
                .max_by_key(|t| t.end())
                .and_then(|t| result.track_ends.get(&t.id))
                .map(|x| x.1.clone());
            let best = e
                .best()
                .and_then(|b| e.tracks.iter().find(|t| t.points.iter().any(|p| p == b)))
                .and_then(|t| result.best_image.get(&t.id))
                .cloned();
            let wanted = match n {
                0 => vec![],
                1 => vec![best],
                2 => vec![first, last],
                _ => vec![first, best, last],
            };
            let mut frames: Vec<Arc<RgbImage>> = Vec::new();
            for f in wanted.into_iter().flatten() {
                if !frames.iter().any(|g| Arc::ptr_eq(g, &f)) {
                    frames.push(f);
                }
            }
            frames.iter().map(|f| jpeg(f, side)).collect()
        })
        .collect()
}

/// A frame as a JPEG (quality 85) whose longest side is at most `side`.
pub fn jpeg(img: &RgbImage, side: u32) -> Result<Vec<u8>> {
    let (w, h) = (img.width(), img.height());
    let longest = w.max(h).max(1);
    let small;
    let img = if longest > side {
        let scale = |v: u32| ((u64::from(v) * u64::from(side)) / u64::from(longest)).max(1) as u32;
        small = image::imageops::thumbnail(img, scale(w), scale(h));
        &small
    } else {
        img
    };
    let mut out = Vec::new();
    encode_jpeg(img, &mut out).map_err(|e| VisionError::Frame {
        path: PathBuf::from("(frame)"),
        message: format!("cannot encode as JPEG: {e}"),
    })?;
    Ok(out)
}

/// Writes a frame, scaled to `width` pixels wide, as a JPEG.
pub fn write_thumbnail(img: &RgbImage, width: u32, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| VisionError::io(dir, e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| VisionError::io(path, e))?;
    encode_jpeg(&shrink(img, width), std::io::BufWriter::new(file)).map_err(|e| VisionError::Frame {
        path: path.to_path_buf(),
        message: format!("cannot write the thumbnail: {e}"),
    })
}

/// JPEG at quality 85, the one encoding of thumbnails and of frames for descriptions.
fn encode_jpeg(img: &RgbImage, mut out: impl std::io::Write) -> std::result::Result<(), image::ImageError> {
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(img)
}

/// Options of [`import_folder_with_detection`].
#[derive(Debug, Clone, Default)]
pub struct DetectImportOptions {
    /// The folder import's own options (camera, clock offset, skip bad files).
    pub folder: FolderImportOptions,
    /// Where event thumbnails go (`<event id>.jpg`); `None` writes none.
    pub thumbnails: Option<PathBuf>,
}

/// Imports an SD-card folder like [`trailmesh_core::media_folder::import_folder`] and runs
/// the detector, tracker and segmenter over it; media, detections, tracks and events are
/// written in one transaction. Files are read and letterboxed on the calling thread while
/// the model runs on one worker thread per session ([`SharedDetector`], a few images
/// outstanding), so decoding overlaps inference. With `vision.describe` on, also returns
/// each event's frames for a vision-language model (by event id; see [`event_frames`]), for
/// the caller to describe once the import is in.
pub async fn import_folder_with_detection(
    store: &Store,
    detector: Arc<Detector>,
    cfg: &VisionConfig,
    dir: &Path,
    opts: &DetectImportOptions,
    progress: &dyn Progress,
) -> Result<(ImportSummary, VisionStats, Vec<(String, EventFrames)>)> {
    let (mut batch, warnings, listing_sha) = scan_folder(dir, &opts.folder, progress)?;
    let mut media = batch.media.clone();
    media.sort_by(|a, b| (&a.camera_id, a.timestamp, &a.file_path).cmp(&(&b.camera_id, b.timestamp, &b.file_path)));
    progress.phase("detecting animals", media.len() as u64);
    let mut stats = VisionStats::default();
    let mut to_describe = Vec::new();
    let mut cameras: Vec<&str> = media.iter().map(|m| m.camera_id.as_str()).collect();
    cameras.dedup();
    let shared = SharedDetector::start(detector.clone())?;
    for camera in cameras {
        let of_camera: Vec<&Media> = media.iter().filter(|m| m.camera_id == camera).collect();
        let result = analyse_camera(&shared, cfg, &of_camera, progress)?;
        let s = result.stats;
        stats.frames += s.frames;
        stats.gated_in += s.gated_in;
        stats.boxes += s.boxes;
        stats.tracks += s.tracks;
        stats.events += s.events;
        let rows = to_batch(camera, &result, detector.name(), cfg, opts.thumbnails.as_deref())?;
        if cfg.describe.enabled {
            let frames = event_frames(&result, cfg.describe.frames, cfg.describe.image_side)?;
            to_describe.extend(rows.events.iter().map(|e| e.id.clone()).zip(frames));
        }
        batch.events.extend(rows.events);
        batch.tracks.extend(rows.tracks);
        batch.detections.extend(rows.detections);
    }
    drop(shared);
    let (cameras, deployments) = place_media(
        store,
        &mut batch.media,
        &mut batch.detections,
        opts.folder.utc_offset_min,
        &Default::default(),
    )
    .await?;
    batch.cameras = cameras;
    batch.deployments = deployments;
    let deployment_of: HashMap<&str, &str> = batch
        .media
        .iter()
        .map(|m| (m.id.as_str(), m.deployment_id.as_str()))
        .collect();
    for e in &mut batch.events {
        let media_id = e.best_media_id.as_deref().unwrap_or_default();
        e.deployment_id = deployment_of.get(media_id).copied().unwrap_or_default().to_string();
    }
    // A different detector or threshold is a different import of the same files.
    let sha = trailmesh_core::import::sha256_hex(
        format!(
            "{listing_sha}|{}|{}|{}|{}",
            detector.name(),
            cfg.confidence,
            cfg.nms_iou,
            cfg.events.gap_s
        )
        .as_bytes(),
    );
    let summary = commit(store, "media-folder+detector", dir, sha, &batch, warnings, progress).await?;
    Ok((summary, stats, to_describe))
}
