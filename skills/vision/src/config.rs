//! The `[vision]` configuration: model, runtime, thresholds, gate, tracker and events.

use crate::{Result, VisionError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where inference runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionProvider {
    /// ONNX Runtime's CPU provider (the default; works everywhere).
    #[default]
    Cpu,
    /// NVIDIA CUDA (needs a build with the `cuda` feature and the onnxruntime-gpu library).
    Cuda,
}

/// How an image is padded into the detector's input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Letterbox {
    /// Only up to the next multiple of the model's largest stride (32): a 4:3 image at 640
    /// runs as 640 x 480, a 16:9 one as 640 x 384, with the same boxes (the default). Needs a
    /// YOLOX model that decodes its boxes in the graph, as the shipped ones do; any other
    /// model gets squares.
    #[default]
    Rect,
    /// To the full `input_size` square, as the model was exported.
    Square,
}

impl std::str::FromStr for Letterbox {
    type Err = String;

    /// `rect` or `square`, as in the configuration.
    fn from_str(s: &str) -> std::result::Result<Letterbox, String> {
        match s {
            "rect" => Ok(Letterbox::Rect),
            "square" => Ok(Letterbox::Square),
            other => Err(format!("letterbox is rect or square, not '{other}'")),
        }
    }
}

/// `[vision]`: everything the pipeline can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VisionConfig {
    /// Detector input size, pixels: 640 (more accurate) or 416 (about 2.5x faster).
    pub input_size: u32,
    /// `rect` (pad an image only to a multiple of 32: less work on frames that are not
    /// square) or `square`.
    pub letterbox: Letterbox,
    /// The ONNX model file; default: the MegadetectorLite file for `input_size` shipped in
    /// `skills/vision/models/` (or in `$TRAILMESH_MODEL_DIR`).
    pub model: Option<PathBuf>,
    /// The ONNX Runtime library (`libonnxruntime.so.1.31.1`); default: `$ORT_DYLIB_PATH`, else
    /// the copy `trailmesh vision setup` provisions in the cache directory.
    pub onnxruntime: Option<PathBuf>,
    /// `cpu` or `cuda`.
    pub execution_provider: ExecutionProvider,
    /// Threads ONNX Runtime uses inside one inference; 0 = the cores shared out among the
    /// sessions.
    pub threads: usize,
    /// Inference sessions running batches in parallel (each with `threads` threads);
    /// 0 = one per core, up to 8, on the CPU (1 on CUDA). For this small model, sessions
    /// side by side beat threads inside one run (see the benchmark in `skills/vision`).
    pub sessions: usize,
    /// Frames per inference run at most (images of an import; frames of busy live cameras,
    /// gathered across cameras); 0 = automatic: 1 on the CPU, where one image per run was
    /// fastest (`vision-bench`, 640: 115-118 ms per image at 1, 120 at 2, 127 at 4, 130 at 8),
    /// 4 on CUDA.
    pub batch_size: usize,
    /// Keep boxes whose score (objectness x p(animal)) is at least this.
    pub confidence: f32,
    /// Non-maximum suppression: drop a box overlapping a better one by more than this IoU.
    pub nms_iou: f32,
    /// Frames per second taken from video files for the gate and the detector.
    pub video_fps: f64,
    /// Motion gate (video only; still photos were triggered by the camera's own sensor).
    pub motion: MotionConfig,
    /// Tracker.
    pub tracker: TrackerConfig,
    /// Event segmenter.
    pub events: EventConfig,
    /// Optional event descriptions by a vision-language model (off by default).
    pub describe: DescribeConfig,
}

impl Default for VisionConfig {
    fn default() -> Self {
        VisionConfig {
            input_size: 640,
            letterbox: Letterbox::Rect,
            model: None,
            onnxruntime: None,
            execution_provider: ExecutionProvider::Cpu,
            threads: 0,
            sessions: 0,
            batch_size: 0,
            confidence: 0.25,
            nms_iou: 0.45,
            video_fps: 5.0,
            motion: MotionConfig::default(),
            tracker: TrackerConfig::default(),
            events: EventConfig::default(),
            describe: DescribeConfig::default(),
        }
    }
}

/// `[vision.motion]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MotionConfig {
    /// Width of the grey frame the gate compares, pixels.
    pub width: u32,
    /// A pixel has changed when it differs from the background by more than
    /// `noise_factor` x the frame's noise level (median absolute difference)...
    pub noise_factor: f32,
    /// ...and by at least this many grey levels (0..255).
    pub min_pixel_delta: u8,
    /// Motion when at least this share of pixels changed (0..1).
    pub min_area: f32,
    /// How fast the background follows the scene (0..1 per frame).
    pub background_rate: f32,
}

impl Default for MotionConfig {
    fn default() -> Self {
        MotionConfig {
            width: 160,
            noise_factor: 6.0,
            min_pixel_delta: 10,
            min_area: 0.002,
            background_rate: 0.05,
        }
    }
}

/// `[vision.tracker]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// A box joins a track when it overlaps the track's predicted box by at least this IoU.
    pub iou: f32,
    /// Boxes at or above this score start tracks and are matched first (ByteTrack's
    /// high-score pass); lower ones only extend existing tracks.
    pub high_score: f32,
    /// A track unseen for longer than this ends, seconds.
    pub max_gap_s: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            iou: 0.2,
            high_score: 0.4,
            max_gap_s: 5.0,
        }
    }
}

/// `[vision.events]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventConfig {
    /// Tracks on one camera belong to one event while the gap between them is shorter than
    /// this, seconds.
    pub gap_s: f64,
    /// Width of the JPEG thumbnail of an event's best frame, pixels.
    pub thumbnail_width: u32,
}

impl Default for EventConfig {
    fn default() -> Self {
        EventConfig {
            gap_s: 60.0,
            thumbnail_width: 480,
        }
    }
}

/// `[vision.describe]`: after an event is stored, a few of its frames go to a
/// vision-language model behind an OpenAI-compatible chat-completions endpoint (llama.cpp's
/// `llama-server` with an mmproj, Ollama, vLLM, LM Studio), which answers with a structured
/// description (species, count, behaviours, one sentence). The answer is validated against a
/// JSON Schema; invalid answers are retried, then dropped. Describing never delays detection
/// or storage: events wait in a bounded queue and are dropped (and counted) when it is full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DescribeConfig {
    /// Turn it on.
    pub enabled: bool,
    /// Base URL of the OpenAI-compatible API (the part before `/chat/completions`).
    pub url: String,
    /// Model name, as the server knows it.
    pub model: String,
    /// Environment variable holding an API key (sent as a bearer token), if the server wants one.
    pub api_key_env: Option<String>,
    /// Frames of an event sent to the model (its first, best and last, up to this many).
    pub frames: usize,
    /// Longest side of a frame sent, pixels.
    pub image_side: u32,
    /// Send the frames (false: describe from the track facts alone, for text-only models;
    /// the species then stays unknown).
    pub images: bool,
    /// Seconds to wait for one answer.
    pub timeout_s: f64,
    /// Tries per event (an invalid or failed answer is retried until this many).
    pub attempts: u32,
    /// Events waiting to be described; more are dropped.
    pub queue: usize,
}

impl Default for DescribeConfig {
    fn default() -> Self {
        DescribeConfig {
            enabled: false,
            url: "http://127.0.0.1:8080/v1".into(),
            model: String::new(),
            api_key_env: None,
            frames: 3,
            image_side: 512,
            images: true,
            timeout_s: 60.0,
            attempts: 2,
            queue: 16,
        }
    }
}

impl VisionConfig {
    /// Checks values serde cannot check.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(VisionError::Config(m));
        if !matches!(self.input_size, 416 | 640) && self.model.is_none() {
            return bad(format!(
                "input_size must be 640 or 416 for the shipped models, not {}",
                self.input_size
            ));
        }
        if self.input_size < 32 || !self.input_size.is_multiple_of(32) {
            return bad(format!("input_size must be a multiple of 32, not {}", self.input_size));
        }
        if !(0.0..=1.0).contains(&self.confidence) {
            return bad(format!("confidence must be in 0..1, not {}", self.confidence));
        }
        if !(0.0..=1.0).contains(&self.nms_iou) {
            return bad(format!("nms_iou must be in 0..1, not {}", self.nms_iou));
        }
        if self.sessions > 16 {
            return bad(format!(
                "sessions must be in 0..16 (0 = one per core), not {}",
                self.sessions
            ));
        }
        if self.batch_size > 64 {
            return bad(format!(
                "batch_size must be in 0..64 (0 = automatic), not {}",
                self.batch_size
            ));
        }
        if !(self.video_fps > 0.0 && self.video_fps <= 60.0) {
            return bad(format!("video_fps must be in (0, 60], not {}", self.video_fps));
        }
        if self.motion.width < 16 {
            return bad(format!("motion.width must be at least 16, not {}", self.motion.width));
        }
        if !(0.0..=1.0).contains(&self.motion.min_area) || !(0.0..=1.0).contains(&self.motion.background_rate) {
            return bad("motion.min_area and motion.background_rate must be in 0..1".into());
        }
        if !(0.0..=1.0).contains(&self.tracker.iou) {
            return bad(format!("tracker.iou must be in 0..1, not {}", self.tracker.iou));
        }
        if !(self.tracker.max_gap_s > 0.0 && self.events.gap_s > 0.0) {
            return bad("tracker.max_gap_s and events.gap_s must be positive".into());
        }
        let d = &self.describe;
        if d.enabled {
            if !(d.url.starts_with("http://") || d.url.starts_with("https://")) {
                return bad(format!(
                    "describe.url must be an http:// or https:// URL, not '{}'",
                    d.url
                ));
            }
            if d.model.trim().is_empty() {
                return bad("describe.model must name the model (describe.enabled is true)".into());
            }
            if !(1..=8).contains(&d.frames) {
                return bad(format!("describe.frames must be in 1..8, not {}", d.frames));
            }
            if !(64..=2048).contains(&d.image_side) {
                return bad(format!("describe.image_side must be in 64..2048, not {}", d.image_side));
            }
            if !(d.timeout_s > 0.0 && d.timeout_s <= 600.0) {
                return bad(format!("describe.timeout_s must be in (0, 600], not {}", d.timeout_s));
            }
            if !(1..=5).contains(&d.attempts) || !(1..=1000).contains(&d.queue) {
                return bad("describe.attempts must be in 1..5 and describe.queue in 1..1000".into());
            }
        }
        Ok(())
    }

    /// Frames per inference run after resolving the automatic (0) value.
    pub fn effective_batch_size(&self) -> usize {
        match (self.batch_size, self.execution_provider) {
            (0, ExecutionProvider::Cpu) => 1,
            (0, ExecutionProvider::Cuda) => 4,
            (n, _) => n,
        }
    }

    /// Sessions and threads per session after resolving the automatic (0) values.
    pub fn parallelism(&self) -> (usize, usize) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let sessions = match (self.sessions, self.execution_provider) {
            (0, ExecutionProvider::Cuda) => 1,
            (0, ExecutionProvider::Cpu) => cores.min(8),
            (n, _) => n,
        };
        let threads = if self.threads == 0 {
            (cores / sessions).max(1)
        } else {
            self.threads
        };
        (sessions, threads)
    }

    /// The model file to load.
    pub fn model_path(&self) -> PathBuf {
        if let Some(p) = &self.model {
            return p.clone();
        }
        let dir = std::env::var_os("TRAILMESH_MODEL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"));
        dir.join(format!("mdlite_yolox_tiny_{}.onnx", self.input_size))
    }

    /// The name written as `classified_by` on detections.
    pub fn detector_name(&self) -> String {
        match &self.model {
            None => format!("MegadetectorLite YOLOX-tiny {}", self.input_size),
            Some(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "detector".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letterbox_names_parse_and_a_wrong_one_is_named() {
        assert_eq!("rect".parse::<Letterbox>(), Ok(Letterbox::Rect));
        assert_eq!("square".parse::<Letterbox>(), Ok(Letterbox::Square));
        assert!("round".parse::<Letterbox>().unwrap_err().contains("'round'"));
    }

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        VisionConfig::default().validate().unwrap();
        let c = VisionConfig {
            input_size: 500,
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("input_size"));
        let c = VisionConfig {
            confidence: 1.5,
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("confidence"));
        let mut c = VisionConfig {
            batch_size: 65,
            ..Default::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("batch_size"));
        c.batch_size = 0;
        assert_eq!(c.effective_batch_size(), 1, "one image per run on the CPU");
        c.execution_provider = ExecutionProvider::Cuda;
        assert_eq!(c.effective_batch_size(), 4);
        c.batch_size = 8;
        assert_eq!(c.effective_batch_size(), 8);
        let mut c = VisionConfig::default();
        c.describe.enabled = true;
        assert!(c.validate().unwrap_err().to_string().contains("describe.model"));
        c.describe.model = "qwen2.5vl:3b".into();
        c.validate().unwrap();
        c.describe.url = "ftp://x".into();
        assert!(c.validate().unwrap_err().to_string().contains("describe.url"));
        assert!(VisionConfig::default().model_path().is_file(), "shipped 640 model");
    }
}
