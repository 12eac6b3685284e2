//! # trailmesh behaviour analytics
//!
//! The field biologist's statistics over a trailmesh [`Store`](trailmesh_core::store::Store),
//! as a plain library (no transport): the MCP server and the A2A agent wrap it.
//!
//! [`BehaviorAnalytics`] has one async method per operation, each taking an input struct
//! and returning an output struct from [`types`] (serde + JSON Schema, every field
//! documented); failures are [`SkillError`](trailmesh_core::skill::SkillError)s that name
//! the argument and what would be right.
//!
//! | operation | what | source |
//! | --- | --- | --- |
//! | [`behaviours`](BehaviorAnalytics::behaviours) | behaviour labels per event with evidence | rules in [`stats::behaviour`] |
//! | [`effort`](BehaviorAnalytics::effort) | trap-nights minus malfunctions | DOMAIN.md 1 |
//! | [`rai`](BehaviorAnalytics::rai) | detections per 100 trap-nights | O'Brien et al. 2003 |
//! | [`occupancy_naive`](BehaviorAnalytics::occupancy_naive) | stations detected / operating | DOMAIN.md 3 |
//! | [`detection_history`](BehaviorAnalytics::detection_history) | 1/0/NA matrix | camtrapR::detectionHistory |
//! | [`diel_activity`](BehaviorAnalytics::diel_activity) | von Mises KDE, clock or sun time | Ridout & Linkie 2009; overlap |
//! | [`activity_overlap`](BehaviorAnalytics::activity_overlap) | Dhat1/Dhat4 + bootstrap CI | Ridout & Linkie 2009; overlap |
//! | [`occupancy`](BehaviorAnalytics::occupancy) | psi, p by ML | MacKenzie et al. 2002 |
//! | [`migration`](BehaviorAnalytics::migration) | median date vs axis position | DOMAIN.md 10 |
//!
//! The mathematics lives in [`stats`], on plain numbers, tested on fixed data, against
//! independent Python implementations (`tests/reference/*.py`) and against the R package
//! overlap's own test values (see README.md).

mod ops;
pub mod stats;
pub mod types;

pub use ops::BehaviorAnalytics;
pub use types::*;
