//! The mathematics, on plain numbers (no store): each function is testable on fixed data.

pub mod behaviour;
pub mod diel;
pub mod effort;
pub mod migration;
pub mod occupancy;
pub mod overlap;
