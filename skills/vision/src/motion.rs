//! The motion gate: decides, cheaply and per frame, whether a frame is worth the detector.
//!
//! Each frame is shrunk to a small grey image (box average) and compared with a running
//! background. The per-pixel threshold adapts to the scene's noise: it is `noise_factor`
//! times the median absolute difference of the frame (sensor noise, compression, swaying
//! grass move most pixels a little; an animal moves some pixels a lot), but never below
//! `min_pixel_delta`. Motion is declared when the share of changed pixels reaches `min_area`.
//! The first frame always passes (there is nothing to compare it with).

use crate::config::MotionConfig;
use image::RgbImage;

/// What the gate saw in one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotionReport {
    /// Whether the frame should go to the detector.
    pub motion: bool,
    /// Share of pixels that changed (0..1).
    pub changed: f32,
    /// The per-pixel threshold used, grey levels.
    pub threshold: f32,
}

/// Frame-differencing gate for one camera.
#[derive(Debug, Clone)]
pub struct MotionGate {
    cfg: MotionConfig,
    background: Vec<f32>,
    dims: (usize, usize),
    grey: Vec<f32>,
}

impl MotionGate {
    /// A gate with no background yet.
    pub fn new(cfg: MotionConfig) -> Self {
        MotionGate {
            cfg,
            background: Vec::new(),
            dims: (0, 0),
            grey: Vec::new(),
        }
    }

    /// Looks at one frame and updates the background.
    pub fn observe(&mut self, frame: &RgbImage) -> MotionReport {
        let (gw, gh) = shrink_grey(frame, self.cfg.width as usize, &mut self.grey);
        if self.background.len() != self.grey.len() || self.dims != (gw, gh) {
            self.background = self.grey.clone();
            self.dims = (gw, gh);
            return MotionReport {
                motion: true,
                changed: 1.0,
                threshold: 0.0,
            };
        }
        let mut hist = [0u32; 256];
        for (g, b) in self.grey.iter().zip(&self.background) {
            hist[((g - b).abs() as usize).min(255)] += 1;
        }
        let n = self.grey.len() as u32;
        let mut seen = 0;
        let mut median = 0usize;
        for (v, c) in hist.iter().enumerate() {
            seen += c;
            if seen * 2 >= n {
                median = v;
                break;
            }
        }
        let threshold = (self.cfg.noise_factor * (median as f32 + 0.5)).max(f32::from(self.cfg.min_pixel_delta));
        let changed = hist[(threshold.ceil() as usize).min(256)..].iter().sum::<u32>() as f32 / n as f32;
        let a = self.cfg.background_rate;
        for (b, g) in self.background.iter_mut().zip(&self.grey) {
            *b += (g - *b) * a;
        }
        MotionReport {
            motion: changed >= self.cfg.min_area,
            changed,
            threshold,
        }
    }
}

/// Shrinks a frame to `width` columns of grey by box averaging; returns the grey size.
fn shrink_grey(frame: &RgbImage, width: usize, out: &mut Vec<f32>) -> (usize, usize) {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let gw = width.min(w).max(1);
    let gh = ((h * gw) / w.max(1)).max(1);
    out.clear();
    out.resize(gw * gh, 0.0);
    let mut counts = vec![0u32; gw * gh];
    let src = frame.as_raw();
    for y in 0..h {
        let gy = (y * gh / h).min(gh - 1);
        let row = &src[y * w * 3..(y + 1) * w * 3];
        for x in 0..w {
            let gx = (x * gw / w).min(gw - 1);
            let p = &row[x * 3..x * 3 + 3];
            // ITU-R BT.601 luma.
            let l = 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
            out[gy * gw + gx] += l;
            counts[gy * gw + gx] += 1;
        }
    }
    for (v, c) in out.iter_mut().zip(&counts) {
        *v /= (*c).max(1) as f32;
    }
    (gw, gh)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured background with deterministic per-frame noise of about +-`noise`.
    fn scene(seed: u32, noise: i32, square_at: Option<u32>) -> RgbImage {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        RgbImage::from_fn(320, 240, |x, y| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let n = (state % (2 * noise as u32 + 1)) as i32 - noise;
            let base = 80 + ((x / 8 + y / 8) % 4) as i32 * 20;
            let v = match square_at {
                Some(sx) if (sx..sx + 40).contains(&x) && (100..140).contains(&y) => 230,
                _ => base,
            };
            let v = (v + n).clamp(0, 255) as u8;
            image::Rgb([v, v, v])
        })
    }

    #[test]
    fn a_static_noisy_scene_does_not_trigger_but_a_moving_object_does() {
        let mut gate = MotionGate::new(MotionConfig::default());
        assert!(gate.observe(&scene(1, 12, None)).motion, "first frame passes");
        for i in 2..20 {
            let r = gate.observe(&scene(i, 12, None));
            assert!(!r.motion, "noise only, frame {i}: {r:?}");
        }
        let mut hits = 0;
        for (i, x) in (20..30).zip((0..).step_by(25)) {
            if gate.observe(&scene(i, 12, Some(x))).motion {
                hits += 1;
            }
        }
        assert!(hits >= 9, "moving square seen in {hits} of 10 frames");
    }

    #[test]
    fn the_threshold_rises_with_the_noise() {
        let mut quiet = MotionGate::new(MotionConfig::default());
        let mut loud = MotionGate::new(MotionConfig::default());
        quiet.observe(&scene(1, 2, None));
        loud.observe(&scene(1, 40, None));
        let q = quiet.observe(&scene(2, 2, None));
        let l = loud.observe(&scene(2, 40, None));
        assert!(l.threshold > q.threshold, "{l:?} vs {q:?}");
        assert!(!l.motion, "heavy noise alone is not motion: {l:?}");
    }
}
