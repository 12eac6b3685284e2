//! MegadetectorLite (YOLOX-tiny, one class "animal") through ONNX Runtime.
//!
//! Input `images`: float32 `[N, 3, S, S]`, RGB, raw 0..255 (no scaling, no mean/std),
//! letterboxed: resized so the long side is `S`, placed top-left, black padding right and
//! bottom. Output `output`: `[N, A, 6]` = cx, cy, w, h (input pixels, already decoded),
//! objectness, p(animal). Score = objectness x p(animal); boxes are divided by the resize
//! ratio, clipped to the image, filtered by score and suppressed by NMS.

use crate::config::VisionConfig;
use crate::runtime;
use crate::{Result, VisionError};
use image::RgbImage;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::{TensorRef, ValueType};
use std::sync::Mutex;

/// A box in image pixels with its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelBox {
    /// Left edge.
    pub x0: f32,
    /// Top edge.
    pub y0: f32,
    /// Right edge.
    pub x1: f32,
    /// Bottom edge.
    pub y1: f32,
    /// Detector score (0..1).
    pub score: f32,
}

impl PixelBox {
    /// Width times height.
    pub fn area(&self) -> f32 {
        (self.x1 - self.x0).max(0.0) * (self.y1 - self.y0).max(0.0)
    }

    /// Intersection over union with another box.
    pub fn iou(&self, o: &PixelBox) -> f32 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0.0);
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0.0);
        let inter = w * h;
        let union = self.area() + o.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }

    /// Centre of the box.
    pub fn center(&self) -> (f32, f32) {
        ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }

    /// The box normalised by the image size (top-left, width, height in 0..1).
    pub fn normalised(&self, width: u32, height: u32) -> trailmesh_core::model::BBox {
        let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
        let c = |v: f64| v.clamp(0.0, 1.0);
        let x = c(f64::from(self.x0) / w);
        let y = c(f64::from(self.y0) / h);
        trailmesh_core::model::BBox {
            x,
            y,
            width: c(f64::from(self.x1 - self.x0) / w).min(1.0 - x),
            height: c(f64::from(self.y1 - self.y0) / h).min(1.0 - y),
        }
    }
}

/// Letterboxes an RGB image into one `[3, size, size]` slot of the input tensor and returns
/// the resize ratio. Bilinear, pixel centres aligned (as OpenCV's `INTER_LINEAR`); the image
/// sits top left and the rest of the slot is written black, so a slot can be reused without
/// clearing it first.
pub fn letterbox_into(img: &RgbImage, size: usize, out: &mut [f32]) -> f32 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    assert_eq!(out.len(), 3 * size * size, "one letterbox slot");
    if w == 0 || h == 0 {
        out.fill(0.0);
        return 1.0;
    }
    let ratio = (size as f32 / w as f32).min(size as f32 / h as f32);
    let nw = ((w as f32 * ratio) as usize).clamp(1, size);
    let nh = ((h as f32 * ratio) as usize).clamp(1, size);
    let src = img.as_raw();
    let plane = size * size;
    for p in out.chunks_exact_mut(plane) {
        for row in p[..nh * size].chunks_exact_mut(size) {
            row[nw..].fill(0.0);
        }
        p[nh * size..].fill(0.0);
    }
    let (sx, sy) = (w as f32 / nw as f32, h as f32 / nh as f32);
    let xs: Vec<(usize, usize, f32)> = (0..nw)
        .map(|x| {
            let fx = ((x as f32 + 0.5) * sx - 0.5).max(0.0);
            let x0 = (fx as usize).min(w - 1);
            let x1 = (x0 + 1).min(w - 1);
            (x0 * 3, x1 * 3, fx - x0 as f32)
        })
        .collect();
    let (r_plane, rest) = out.split_at_mut(plane);
    let (g_plane, b_plane) = rest.split_at_mut(plane);
    for y in 0..nh {
        let fy = ((y as f32 + 0.5) * sy - 0.5).max(0.0);
        let y0 = (fy as usize).min(h - 1);
        let y1 = (y0 + 1).min(h - 1);
        let wy = fy - y0 as f32;
        let row0 = &src[y0 * w * 3..(y0 + 1) * w * 3];
        let row1 = &src[y1 * w * 3..(y1 + 1) * w * 3];
        let base = y * size;
        let r = &mut r_plane[base..base + nw];
        let g = &mut g_plane[base..base + nw];
        let b = &mut b_plane[base..base + nw];
        for (x, &(a, c, wx)) in xs.iter().enumerate() {
            let px = |row: &[u8], k: usize| {
                let p = f32::from(row[a + k]);
                p + (f32::from(row[c + k]) - p) * wx
            };
            let mix = |k: usize| {
                let top = px(row0, k);
                top + (px(row1, k) - top) * wy
            };
            r[x] = mix(0);
            g[x] = mix(1);
            b[x] = mix(2);
        }
    }
    ratio
}

/// Decodes one image's rows of the output (`anchors x 6`) into boxes in image pixels that
/// score at least `confidence` (before NMS).
pub fn decode(rows: &[f32], ratio: f32, width: u32, height: u32, confidence: f32) -> Vec<PixelBox> {
    let (w, h) = (width as f32, height as f32);
    rows.chunks_exact(6)
        .filter_map(|r| {
            let score = r[4] * r[5];
            if score < confidence || !score.is_finite() {
                return None;
            }
            let (cx, cy, bw, bh) = (r[0] / ratio, r[1] / ratio, r[2] / ratio, r[3] / ratio);
            let b = PixelBox {
                x0: (cx - bw / 2.0).clamp(0.0, w),
                y0: (cy - bh / 2.0).clamp(0.0, h),
                x1: (cx + bw / 2.0).clamp(0.0, w),
                y1: (cy + bh / 2.0).clamp(0.0, h),
                score,
            };
            (b.area() > 0.0).then_some(b)
        })
        .collect()
}

/// Greedy non-maximum suppression: best first, dropping boxes that overlap a kept one by
/// more than `iou`.
pub fn nms(mut boxes: Vec<PixelBox>, iou: f32) -> Vec<PixelBox> {
    boxes.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<PixelBox> = Vec::with_capacity(boxes.len().min(32));
    for b in boxes {
        if kept.iter().all(|k| k.iou(&b) <= iou) {
            kept.push(b);
        }
    }
    kept
}

/// The detector: `sessions` ONNX Runtime sessions of the same model. Each runs one batch at
/// a time with `threads` threads inside; several sessions run different batches at once.
#[derive(Debug)]
pub struct Detector {
    sessions: Vec<Mutex<Session>>,
    size: usize,
    confidence: f32,
    nms_iou: f32,
    batch_size: usize,
    name: String,
}

impl Detector {
    /// Loads the model named by the configuration on the configured execution provider.
    pub fn load(cfg: &VisionConfig) -> Result<Detector> {
        cfg.validate()?;
        let cache = runtime::cache_dir();
        let lib = runtime::find_library(cfg.onnxruntime.as_deref(), &cache)?;
        let env = runtime::environment(&lib, cfg.execution_provider)?;
        let path = cfg.model_path();
        if !path.is_file() {
            return Err(VisionError::Model {
                path,
                message: "no such file (set vision.model, or vision.input_size to 640 or 416 for the shipped models)"
                    .into(),
            });
        }
        let (count, threads) = cfg.parallelism();
        let mut sessions = Vec::with_capacity(count);
        for _ in 0..count {
            let mut builder = Session::builder(env)?
                .with_optimization_level(GraphOptimizationLevel::All)?
                .with_intra_threads(threads)?;
            let session = builder.commit_from_file(&path).map_err(|e| VisionError::Model {
                path: path.clone(),
                message: e.to_string(),
            })?;
            sessions.push(session);
        }
        let session = &sessions[0];
        let size = cfg.input_size as usize;
        let input = session.inputs().first().ok_or_else(|| VisionError::Model {
            path: path.clone(),
            message: "the model has no input".into(),
        })?;
        let mut dynamic_batch = false;
        if let ValueType::Tensor { shape, .. } = input.dtype() {
            let dims: &[i64] = shape;
            let spatial_ok = dims.len() == 4
                && dims[1] == 3
                && (dims[2] == -1 || dims[2] == size as i64)
                && (dims[3] == -1 || dims[3] == size as i64);
            if !spatial_ok {
                return Err(VisionError::Model {
                    path,
                    message: format!(
                        "input shape {dims:?} does not take [N, 3, {size}, {size}] (check vision.input_size)"
                    ),
                });
            }
            dynamic_batch = dims[0] == -1;
        }
        Ok(Detector {
            sessions: sessions.into_iter().map(Mutex::new).collect(),
            size,
            confidence: cfg.confidence,
            nms_iou: cfg.nms_iou,
            batch_size: if dynamic_batch { cfg.effective_batch_size() } else { 1 },
            name: cfg.detector_name(),
        })
    }

    /// Input size, pixels.
    pub fn input_size(&self) -> usize {
        self.size
    }

    /// Frames per inference run (1 when the model has a fixed batch dimension).
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The model's name, as written in `classified_by`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Boxes on one image.
    pub fn detect(&self, img: &RgbImage) -> Result<Vec<PixelBox>> {
        Ok(self.detect_batch(&[img])?.pop().unwrap_or_default())
    }

    /// Number of parallel sessions.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// Boxes on several images, run in batches of at most `batch_size`, spread over the
    /// sessions (each session takes every n-th batch, in parallel).
    pub fn detect_batch(&self, imgs: &[&RgbImage]) -> Result<Vec<Vec<PixelBox>>> {
        let n = self.sessions.len();
        if n == 1 || imgs.len() < 2 {
            return self.detect_on(0, imgs);
        }
        let per = imgs.len().div_ceil(n).min(self.batch_size).max(1);
        let chunks: Vec<&[&RgbImage]> = imgs.chunks(per).collect();
        let mut results: Vec<Option<Result<Vec<Vec<PixelBox>>>>> = Vec::new();
        results.resize_with(chunks.len(), || None);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..n.min(chunks.len()))
                .map(|w| {
                    let chunks = &chunks;
                    s.spawn(move || {
                        (w..chunks.len())
                            .step_by(n)
                            .map(|c| (c, self.detect_on(w, chunks[c])))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                for (c, r) in h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)) {
                    results[c] = Some(r);
                }
            }
        });
        let mut all = Vec::with_capacity(imgs.len());
        for r in results {
            all.extend(r.expect("every chunk ran")?);
        }
        Ok(all)
    }

    fn detect_on(&self, session: usize, imgs: &[&RgbImage]) -> Result<Vec<Vec<PixelBox>>> {
        let slot = 3 * self.size * self.size;
        let mut all = Vec::with_capacity(imgs.len());
        let mut input = vec![0f32; slot * self.batch_size.min(imgs.len().max(1))];
        for chunk in imgs.chunks(self.batch_size) {
            let input = &mut input[..slot * chunk.len()];
            input.fill(0.0);
            let ratios: Vec<f32> = chunk
                .iter()
                .zip(input.chunks_exact_mut(slot))
                .map(|(img, out)| letterbox_into(img, self.size, out))
                .collect();
            let output = self.run_raw_on(session, input, chunk.len())?;
            let per = output.len() / chunk.len();
            for (i, img) in chunk.iter().enumerate() {
                let boxes = decode(
                    &output[i * per..(i + 1) * per],
                    ratios[i],
                    img.width(),
                    img.height(),
                    self.confidence,
                );
                all.push(nms(boxes, self.nms_iou));
            }
        }
        Ok(all)
    }

    /// Runs the model on `n` letterboxed images (`[n, 3, S, S]`) and returns the raw output
    /// (`n x anchors x 6`).
    pub fn run_raw(&self, input: &[f32], n: usize) -> Result<Vec<f32>> {
        self.run_raw_on(0, input, n)
    }

    pub(crate) fn run_raw_on(&self, session: usize, input: &[f32], n: usize) -> Result<Vec<f32>> {
        let s = self.size as i64;
        let tensor = TensorRef::from_array_view(([n as i64, 3, s, s], input))?;
        let mut session = self.sessions[session].lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session.run(ort::inputs![tensor])?;
        let (shape, data) = outputs[0].try_extract_tensor::<f32>()?;
        if shape.len() != 3 || shape[2] != 6 || shape[0] != n as i64 {
            return Err(VisionError::Ort(format!(
                "unexpected output shape {:?} (expected [{n}, anchors, 6])",
                &shape[..]
            )));
        }
        Ok(data.to_vec())
    }

    /// Decodes and suppresses one image's rows of a [`Detector::run_raw`] output.
    pub fn postprocess(&self, rows: &[f32], ratio: f32, width: u32, height: u32) -> Vec<PixelBox> {
        nms(decode(rows, ratio, width, height, self.confidence), self.nms_iou)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x0: f32, y0: f32, x1: f32, y1: f32, score: f32) -> PixelBox {
        PixelBox { x0, y0, x1, y1, score }
    }

    #[test]
    fn letterbox_keeps_aspect_and_pads_black() {
        let img = RgbImage::from_pixel(200, 100, image::Rgb([10, 20, 30]));
        let size = 64;
        let mut out = vec![0f32; 3 * size * size];
        let r = letterbox_into(&img, size, &mut out);
        assert!((r - 0.32).abs() < 1e-6);
        // Inside the image (row 10 of 32) the colour is kept per plane; below it is black.
        assert!((out[10 * size + 5] - 10.0).abs() < 1e-4);
        assert!((out[size * size + 10 * size + 5] - 20.0).abs() < 1e-4);
        assert!((out[2 * size * size + 10 * size + 63] - 30.0).abs() < 1e-4);
        assert_eq!(out[40 * size + 5], 0.0);
        // A slot that held another image (here: all 255) gets the same values: the padding
        // is written, not assumed zero.
        let mut dirty = vec![255f32; 3 * size * size];
        assert_eq!(letterbox_into(&img, size, &mut dirty), r);
        assert_eq!(dirty, out);
        // A tall image pads on the right.
        let tall = RgbImage::from_pixel(50, 100, image::Rgb([10, 20, 30]));
        let mut clean = vec![0f32; 3 * size * size];
        let mut dirty = vec![-1f32; 3 * size * size];
        letterbox_into(&tall, size, &mut clean);
        letterbox_into(&tall, size, &mut dirty);
        assert_eq!(dirty, clean);
        assert_eq!(clean[10 * size + 40], 0.0);
    }

    #[test]
    fn decoding_scales_boxes_back_and_applies_the_threshold() {
        // Two anchors: one confident box at (100, 50) size 40x20 in input pixels, one weak.
        let rows = [100.0, 50.0, 40.0, 20.0, 0.9, 0.9, 10.0, 10.0, 5.0, 5.0, 0.3, 0.5];
        let boxes = decode(&rows, 0.5, 1000, 1000, 0.25);
        assert_eq!(boxes.len(), 1);
        let d = boxes[0];
        assert!((d.x0 - 160.0).abs() < 1e-3 && (d.x1 - 240.0).abs() < 1e-3);
        assert!((d.y0 - 80.0).abs() < 1e-3 && (d.y1 - 120.0).abs() < 1e-3);
        assert!((d.score - 0.81).abs() < 1e-6);
    }

    #[test]
    fn nms_keeps_the_best_of_overlapping_boxes_and_separate_ones() {
        let kept = nms(
            vec![
                b(0.0, 0.0, 10.0, 10.0, 0.6),
                b(1.0, 1.0, 11.0, 11.0, 0.9),
                b(50.0, 50.0, 60.0, 60.0, 0.3),
            ],
            0.45,
        );
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
        assert_eq!(kept[1].score, 0.3);
    }
}
