//! The live vision pipeline of one stream: sampled frames -> `CameraRun` -> events in the
//! database. Runs on its own thread (the detector is CPU-bound).
//!
//! A run is closed and written when the scene has been quiet (no box) for
//! `vision.events.gap_s` of stream time or wall time, and when the stream ends (publisher gone
//! or killed): a restart loses at most the open event.

use crate::decode::Sample;
use crate::describe::{DescribeJob, Describer};
use crate::health::Counters;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use trailmesh_core::import::place_media;
use trailmesh_core::model::{Media, TimestampSource, to_ms};
use trailmesh_core::{Batch, Store};
use trailmesh_vision::pipeline::{CameraRun, FrameInfo, event_frames, to_batch};
use trailmesh_vision::{SharedDetector, VisionConfig};

/// Where one stream's events go.
#[derive(Debug, Clone)]
pub struct LiveSink {
    /// The database.
    pub store: Store,
    /// The runtime the store lives on (this thread is not one of its workers).
    pub handle: tokio::runtime::Handle,
    /// Event thumbnails directory, if any.
    pub thumbnails: Option<PathBuf>,
    /// The stream's live deployment (extended to now before each write, so the segment's
    /// media fall inside it).
    pub deployment: Option<String>,
    /// Where stored events go to be described (`vision.describe`), if anywhere.
    pub describer: Option<Describer>,
}

/// A run with no box for this many frames is restarted, so an empty stream holds no
/// growing frame list.
const RESTART_EMPTY_AFTER: u64 = 3_000;

/// Runs the pipeline over `rx` until it closes, writing events as they finish.
#[allow(clippy::too_many_arguments)]
pub fn vision_loop(
    rx: Receiver<Sample>,
    detector: Arc<SharedDetector>,
    cfg: VisionConfig,
    camera_id: String,
    session_id: String,
    sink: LiveSink,
    counters: Arc<Counters>,
    still_after_s: f64,
) {
    let gap = cfg.events.gap_s;
    let mut last_motion: Option<DateTime<Utc>> = None;
    let mut segment = 0u32;
    let mut run = CameraRun::new(detector.as_ref(), &cfg);
    let mut boxes_seen = 0u64;
    let mut last_box: Option<(DateTime<Utc>, Instant)> = None;
    let media_of = |segment: u32| format!("live-{session_id}-{segment}");
    let close = |run: CameraRun<'_>, segment: &mut u32, why: &str| {
        let media_id = media_of(*segment);
        *segment += 1;
        match write_run(run, &camera_id, &media_id, &detector, &cfg, &sink) {
            Ok((n, last_end)) => {
                if n > 0 {
                    tracing::info!("camera {camera_id}: {n} event(s) written ({why})");
                    counters.events.fetch_add(n as u64, Ordering::Relaxed);
                    if let Some(end) = last_end {
                        counters.last_event_ms.fetch_max(to_ms(end), Ordering::Relaxed);
                    }
                }
            }
            Err(e) => tracing::error!("camera {camera_id}: could not write events ({why}): {e:#}"),
        }
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(s) => {
                let info = FrameInfo {
                    media_id: media_of(segment),
                    time: trailmesh_core::model::from_ms(to_ms(s.time)),
                    video_frame: Some(s.frame),
                };
                let gated_before = run.stats().gated_in;
                if let Err(e) = run.push(info, s.image, true) {
                    tracing::error!("camera {camera_id}: detector failed: {e}");
                    continue;
                }
                if run.stats().gated_in > gated_before || last_motion.is_none() {
                    last_motion = Some(s.time);
                    if counters.still.swap(false, Ordering::Relaxed) {
                        tracing::debug!("camera {camera_id}: motion, decoding every frame again");
                    }
                } else if still_after_s > 0.0
                    && last_box.is_none()
                    && last_motion.is_some_and(|t| (s.time - t).num_milliseconds() as f64 / 1000.0 > still_after_s)
                    && !counters.still.swap(true, Ordering::Relaxed)
                {
                    tracing::debug!("camera {camera_id}: still for {still_after_s} s, decoding keyframes only");
                }
                let stats = run.stats();
                if stats.boxes > boxes_seen {
                    boxes_seen = stats.boxes;
                    last_box = Some((s.time, Instant::now()));
                } else if let Some((t, _)) = last_box {
                    if (s.time - t).num_milliseconds() as f64 / 1000.0 > gap {
                        // Quiet as far as the detector has looked: let it look at the frames
                        // still batched before closing, or an animal just entering would be
                        // split off into an event of its own.
                        if let Err(e) = run.flush() {
                            tracing::error!("camera {camera_id}: detector failed: {e}");
                        }
                        if run.stats().boxes > boxes_seen {
                            boxes_seen = run.stats().boxes;
                            last_box = Some((s.time, Instant::now()));
                        } else {
                            let done = std::mem::replace(&mut run, CameraRun::new(detector.as_ref(), &cfg));
                            close(done, &mut segment, "quiet");
                            boxes_seen = 0;
                            last_box = None;
                        }
                    }
                } else if stats.frames >= RESTART_EMPTY_AFTER {
                    run = CameraRun::new(detector.as_ref(), &cfg);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Some((_, wall)) = last_box
                    && wall.elapsed().as_secs_f64() > gap
                {
                    if let Err(e) = run.flush() {
                        tracing::error!("camera {camera_id}: detector failed: {e}");
                    }
                    if run.stats().boxes > boxes_seen {
                        boxes_seen = run.stats().boxes;
                        last_box = Some((chrono::Utc::now(), Instant::now()));
                    } else {
                        let done = std::mem::replace(&mut run, CameraRun::new(detector.as_ref(), &cfg));
                        close(done, &mut segment, "no frames");
                        boxes_seen = 0;
                        last_box = None;
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                counters.still.store(false, Ordering::Relaxed);
                close(run, &mut segment, "stream ended");
                return;
            }
        }
    }
}

/// Finishes a run and writes its events (with one media row standing for the stream
/// segment). Returns how many events were written and the newest event end.
fn write_run(
    run: CameraRun<'_>,
    camera_id: &str,
    media_id: &str,
    detector: &SharedDetector,
    cfg: &VisionConfig,
    sink: &LiveSink,
) -> anyhow::Result<(usize, Option<DateTime<Utc>>)> {
    let result = run.finish(cfg.events.gap_s)?;
    if result.events.is_empty() && result.untracked.is_empty() {
        return Ok((0, None));
    }
    let rows = to_batch(
        camera_id,
        &result,
        detector.detector().name(),
        cfg,
        sink.thumbnails.as_deref(),
    )?;
    let used: BTreeSet<String> = rows.detections.iter().map(|d| d.media_id.clone()).collect();
    let first = result
        .frames
        .iter()
        .find(|f| f.media_id == media_id)
        .map(|f| f.time)
        .unwrap_or_else(Utc::now);
    let mut batch = Batch {
        events: rows.events,
        tracks: rows.tracks,
        detections: rows.detections,
        ..Batch::default()
    };
    for id in used {
        batch.media.push(Media {
            id: id.to_string(),
            deployment_id: String::new(),
            camera_id: camera_id.to_string(),
            timestamp: first,
            timestamp_source: TimestampSource::Live,
            file_path: format!("whip://{camera_id}/{id}"),
            file_name: None,
            media_type: "video/h264".to_string(),
            capture_method: None,
            file_public: false,
            favorite: None,
            frame_rate: Some(cfg.video_fps),
            comments: Some("live stream segment received by the camera gateway".to_string()),
        });
    }
    let n = batch.events.len();
    let last_end = batch.events.iter().map(|e| e.end).max();
    sink.handle.block_on(async {
        if let Some(d) = &sink.deployment {
            sink.store.extend_deployment(d, Utc::now()).await?;
        }
        let (cameras, deployments) = place_media(
            &sink.store,
            &mut batch.media,
            &mut batch.detections,
            0,
            &Default::default(),
        )
        .await?;
        batch.cameras = cameras;
        // A deployment made here spans the segment's events, not only its first frame.
        batch.deployments = deployments
            .into_iter()
            .map(|mut d| {
                if let Some(end) = last_end {
                    d.end = d.end.max(end);
                }
                d
            })
            .collect();
        let dep = |media: &str| {
            batch
                .media
                .iter()
                .find(|m| m.id == media)
                .map(|m| m.deployment_id.clone())
                .unwrap_or_default()
        };
        let deps: Vec<String> = batch
            .events
            .iter()
            .map(|e| dep(e.best_media_id.as_deref().unwrap_or(media_id)))
            .collect();
        for (e, d) in batch.events.iter_mut().zip(deps) {
            e.deployment_id = d;
        }
        sink.store.ingest(&batch, None).await?;
        anyhow::Ok(())
    })?;
    if let Some(describer) = &sink.describer {
        let d = &cfg.describe;
        let frames = event_frames(&result, d.frames, d.image_side).unwrap_or_else(|e| {
            tracing::warn!("camera {camera_id}: event frames for the description: {e}");
            vec![Vec::new(); batch.events.len()]
        });
        for (event, frames) in batch.events.into_iter().zip(frames) {
            let tracks = batch
                .tracks
                .iter()
                .filter(|t| t.event_id == event.id)
                .cloned()
                .collect();
            describer.offer(DescribeJob { event, tracks, frames });
        }
    }
    Ok((n, last_end))
}
