//! # trailmesh-core
//!
//! The ground every skill stands on, with no transport in it:
//!
//! - [`model`]: cameras, deployments, malfunctions, media, detections, tracks, events,
//!   species and behaviour labels;
//! - [`store`]: one async storage API over SQLite (default) and PostgreSQL;
//! - [`megadetector`], [`camtrap_dp`], [`media_folder`]: import and export of the formats
//!   camera-trap people already have;
//! - [`demo`]: a deterministic synthetic study, with its ground truth.
//!
//! Skills (`skills/*`) depend on this crate; this crate depends on no skill, no MCP, no A2A
//! and no HTTP server (checked by `tests/architecture.rs`).

pub mod model;
pub mod store;

pub use model::*;
pub use store::{Batch, Store, StoreError};
pub mod import;

pub use import::{ImportError, ImportSummary, InputError, NoProgress, Progress};
pub mod camtrap_dp;
pub mod demo;
pub mod geo;
pub mod media_folder;
pub mod megadetector;
pub mod skill;
pub mod solar;
