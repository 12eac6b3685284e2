//! trailmesh vision: frames -> motion gate -> detector -> tracker -> event segmenter -> store.
//!
//! - [`runtime`]: finds or provisions ONNX Runtime (the library from the PyPI `onnxruntime`
//!   wheel, checksum-verified, cached) and holds the one process-wide ONNX Runtime environment.
//! - [`detector`]: MegadetectorLite (YOLOX-tiny, one class "animal") through `ort`: letterbox,
//!   batched inference, decoding, NMS.
//! - [`onnx_graph`]: frees the detector's input from its square (less padding, less work on
//!   frames that are not square).
//! - [`batcher`]: one detector shared by live cameras, running frames of several cameras in
//!   one batch when they are busy at once.
//! - [`motion`]: a cheap frame-differencing gate with a noise-adaptive threshold.
//! - [`tracker`]: IoU association of boxes into tracks (SORT/ByteTrack style).
//! - [`segment`]: joins tracks on one camera into events.
//! - [`pipeline`]: frame sources (image folders, video files) through all of the above into a
//!   store [`trailmesh_core::store::Batch`].
//!
//! The detector only says "animal": species stay unknown unless something else classifies
//! them.

pub mod batcher;
pub mod config;
pub mod detector;
pub mod motion;
pub mod onnx_graph;
pub mod pipeline;
pub mod runtime;
pub mod segment;
pub mod tracker;

pub use batcher::{Detect, SharedDetector};
pub use config::{ExecutionProvider, Letterbox, VisionConfig};
pub use detector::{Detector, PixelBox};

use std::path::PathBuf;

/// What can go wrong in the vision pipeline. Every message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    /// ONNX Runtime is not installed where we look, and could not be provisioned.
    #[error("{0}")]
    RuntimeMissing(String),
    /// ONNX Runtime refused something (loading the library, the model, or running it).
    #[error("ONNX Runtime: {0}")]
    Ort(String),
    /// The model file is missing or not what we expect.
    #[error("model {path}: {message}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A frame could not be read or decoded.
    #[error("{path}: {message}")]
    Frame {
        /// The image or video file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A configuration value is out of range.
    #[error("vision config: {0}")]
    Config(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The store refused the results.
    #[error(transparent)]
    Import(#[from] trailmesh_core::import::ImportError),
}

impl VisionError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        VisionError::Io {
            path: path.into(),
            source,
        }
    }
}

impl<T> From<ort::Error<T>> for VisionError {
    fn from(e: ort::Error<T>) -> Self {
        VisionError::Ort(e.to_string())
    }
}

/// Result of the vision crate.
pub type Result<T, E = VisionError> = std::result::Result<T, E>;
