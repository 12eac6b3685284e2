//! Sunrise and sunset. (Being written.)
