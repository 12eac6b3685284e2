//! Demo data: a deterministic synthetic camera-trap study with its ground truth. (Being written.)
