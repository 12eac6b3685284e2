//! Camtrap DP 1.0.2: import, export and validation. (Being written.)
