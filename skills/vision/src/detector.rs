//! MegadetectorLite (YOLOX-tiny, one class "animal") through ONNX Runtime.
//!
//! Input `images`: float32 `[N, 3, H, W]`, RGB, raw 0..255 (no scaling, no mean/std),
//! letterboxed: resized so the long side is `S` (640 or 416), placed top-left, black padding
//! right and bottom. The shipped file takes only `H = W = S` and outputs `[N, A, 6]` = cx, cy,
//! w, h (input pixels, already decoded), objectness, p(animal). By default
//! (`vision.letterbox = "rect"`) the detector loads it through
//! [`crate::onnx_graph::open_input`], which frees `H` and `W` and cuts the decoding off, so an
//! image is padded only up to the next multiple of the largest stride (a 4:3 frame at 640 runs
//! as 640 x 480, a quarter less work) and the rows are decoded here ([`decode_raw`]).
//! Score = objectness x p(animal); boxes are divided by the resize ratio, clipped to the
//! image, filtered by score and suppressed by NMS.

use crate::config::{Letterbox, VisionConfig};
use crate::{Result, VisionError};
use crate::{onnx_graph, runtime};
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

/// The height and width of one image's slot of the model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputShape {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

impl InputShape {
    /// A square input.
    pub fn square(size: usize) -> InputShape {
        InputShape {
            height: size,
            width: size,
        }
    }

    /// Values in one slot (`3 x height x width`).
    pub fn slot(&self) -> usize {
        3 * self.height * self.width
    }

    /// The larger of each side: a shape holding both.
    pub fn max(self, o: InputShape) -> InputShape {
        InputShape {
            height: self.height.max(o.height),
            width: self.width.max(o.width),
        }
    }
}

/// The resize ratio and resized width and height of a `w` x `h` image whose long side
/// becomes `size`.
fn fit(w: usize, h: usize, size: usize) -> (f32, usize, usize) {
    let ratio = (size as f32 / w as f32).min(size as f32 / h as f32);
    let nw = ((w as f32 * ratio) as usize).clamp(1, size);
    let nh = ((h as f32 * ratio) as usize).clamp(1, size);
    (ratio, nw, nh)
}

/// Letterboxes an RGB image into one `[3, height, width]` slot of the input tensor and
/// returns the resize ratio: resized so its long side is `size`, bilinear, pixel centres
/// aligned (as OpenCV's `INTER_LINEAR`). The image sits top left and the rest of the slot is
/// written black, so a slot can be reused without clearing it first. The slot must hold the
/// resized image.
pub fn letterbox_into(img: &RgbImage, size: usize, shape: InputShape, out: &mut [f32]) -> f32 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    assert_eq!(out.len(), shape.slot(), "one letterbox slot");
    if w == 0 || h == 0 {
        out.fill(0.0);
        return 1.0;
    }
    let (ratio, nw, nh) = fit(w, h, size);
    assert!(
        nw <= shape.width && nh <= shape.height,
        "the slot holds the resized image"
    );
    let src = img.as_raw();
    let (stride, plane) = (shape.width, shape.height * shape.width);
    for p in out.chunks_exact_mut(plane) {
        for row in p[..nh * stride].chunks_exact_mut(stride) {
            row[nw..].fill(0.0);
        }
        p[nh * stride..].fill(0.0);
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
        let base = y * stride;
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

/// A box from its centre and size in input pixels, in image pixels (divided by the resize
/// ratio, clipped to the image); `None` when nothing of it is left.
fn image_box(c: [f32; 4], score: f32, ratio: f32, w: f32, h: f32) -> Option<PixelBox> {
    let (cx, cy, bw, bh) = (c[0] / ratio, c[1] / ratio, c[2] / ratio, c[3] / ratio);
    let b = PixelBox {
        x0: (cx - bw / 2.0).clamp(0.0, w),
        y0: (cy - bh / 2.0).clamp(0.0, h),
        x1: (cx + bw / 2.0).clamp(0.0, w),
        y1: (cy + bh / 2.0).clamp(0.0, h),
        score,
    };
    (b.area() > 0.0).then_some(b)
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
            image_box([r[0], r[1], r[2], r[3]], score, ratio, w, h)
        })
        .collect()
}

/// Anchors of a YOLOX head with these strides on an input of this shape.
pub fn anchors(strides: &[usize], shape: InputShape) -> usize {
    strides.iter().map(|s| (shape.height / s) * (shape.width / s)).sum()
}

/// Decodes one image's raw head rows (`anchors x 6`: x and y offsets in cells, log width and
/// height in cells, objectness, p(animal)), as YOLOX does in its graph: level by level
/// (`strides`), cells row by row, centre = (offset + cell) x stride, size = exp(log) x
/// stride. Then as [`decode`].
pub fn decode_raw(
    rows: &[f32],
    strides: &[usize],
    shape: InputShape,
    ratio: f32,
    width: u32,
    height: u32,
    confidence: f32,
) -> Vec<PixelBox> {
    let (w, h) = (width as f32, height as f32);
    let mut out = Vec::new();
    let mut rows = rows.chunks_exact(6);
    for &s in strides {
        let (cols, lines) = (shape.width / s, shape.height / s);
        let sf = s as f32;
        for cy in 0..lines {
            for cx in 0..cols {
                let Some(r) = rows.next() else { return out };
                let score = r[4] * r[5];
                if score < confidence || !score.is_finite() {
                    continue;
                }
                let c = [
                    (r[0] + cx as f32) * sf,
                    (r[1] + cy as f32) * sf,
                    r[2].exp() * sf,
                    r[3].exp() * sf,
                ];
                out.extend(image_box(c, score, ratio, w, h));
            }
        }
    }
    out
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
    /// The head's strides when the input was freed from its square ([`onnx_graph`]); the
    /// output rows are then raw and decoded by [`decode_raw`].
    strides: Option<Vec<usize>>,
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
        let model_error = |message: String| VisionError::Model {
            path: path.clone(),
            message,
        };
        if !path.is_file() {
            return Err(model_error(
                "no such file (set vision.model, or vision.input_size to 640 or 416 for the shipped models)".into(),
            ));
        }
        let bytes = std::fs::read(&path).map_err(|e| model_error(e.to_string()))?;
        let opened = match cfg.letterbox {
            Letterbox::Square => None,
            Letterbox::Rect => match onnx_graph::open_input(&bytes) {
                Ok(o) => Some(o),
                Err(why) => {
                    tracing::info!(model = %path.display(), "letterboxing to a square: {why}");
                    None
                }
            },
        };
        let (count, threads) = cfg.parallelism();
        let mut sessions = Vec::with_capacity(count);
        for _ in 0..count {
            let mut builder = Session::builder(env)?
                .with_optimization_level(GraphOptimizationLevel::All)?
                .with_intra_threads(threads)?;
            let model = opened.as_ref().map_or(&bytes[..], |o| &o.model[..]);
            let session = builder
                .commit_from_memory(model)
                .map_err(|e| model_error(e.to_string()))?;
            sessions.push(session);
        }
        let session = &sessions[0];
        let size = cfg.input_size as usize;
        let input = session
            .inputs()
            .first()
            .ok_or_else(|| model_error("the model has no input".into()))?;
        let mut dynamic_batch = false;
        if let ValueType::Tensor { shape, .. } = input.dtype() {
            let dims: &[i64] = shape;
            let spatial_ok = dims.len() == 4
                && dims[1] == 3
                && (dims[2] == -1 || dims[2] == size as i64)
                && (dims[3] == -1 || dims[3] == size as i64);
            if !spatial_ok {
                return Err(model_error(format!(
                    "input shape {dims:?} does not take [N, 3, {size}, {size}] (check vision.input_size)"
                )));
            }
            dynamic_batch = dims[0] == -1;
        }
        Ok(Detector {
            sessions: sessions.into_iter().map(Mutex::new).collect(),
            size,
            strides: opened.map(|o| o.strides),
            confidence: cfg.confidence,
            nms_iou: cfg.nms_iou,
            batch_size: if dynamic_batch { cfg.effective_batch_size() } else { 1 },
            name: cfg.detector_name(),
        })
    }

    /// Input size, pixels: the long side of a letterboxed image.
    pub fn input_size(&self) -> usize {
        self.size
    }

    /// Whether images go in as the smallest padded rectangle holding them (`true`) or as
    /// squares.
    pub fn rect_input(&self) -> bool {
        self.strides.is_some()
    }

    /// How images are padded, in words.
    pub fn padding(&self) -> &'static str {
        if self.rect_input() {
            "rect: padded to a multiple of 32"
        } else {
            "square"
        }
    }

    /// The input slot a `width` x `height` image is letterboxed into: the resized image
    /// padded up to a multiple of the largest stride, or the square.
    pub fn input_shape(&self, width: u32, height: u32) -> InputShape {
        let Some(step) = self.strides.as_ref().and_then(|s| s.last().copied()) else {
            return InputShape::square(self.size);
        };
        if width == 0 || height == 0 {
            return InputShape::square(step);
        }
        let (_, nw, nh) = fit(width as usize, height as usize, self.size);
        InputShape {
            height: nh.next_multiple_of(step),
            width: nw.next_multiple_of(step),
        }
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

    /// Letterboxes `imgs` into one input of a shape holding them all; returns the shape and
    /// each image's resize ratio. `input` is resized to fit and every value of it written.
    pub fn letterbox(&self, imgs: &[&RgbImage], input: &mut Vec<f32>) -> (InputShape, Vec<f32>) {
        let shape = imgs
            .iter()
            .map(|i| self.input_shape(i.width(), i.height()))
            .reduce(InputShape::max)
            .unwrap_or(InputShape::square(self.size));
        input.resize(shape.slot() * imgs.len(), 0.0);
        let ratios = imgs
            .iter()
            .zip(input.chunks_exact_mut(shape.slot()))
            .map(|(img, out)| letterbox_into(img, self.size, shape, out))
            .collect();
        (shape, ratios)
    }

    fn detect_on(&self, session: usize, imgs: &[&RgbImage]) -> Result<Vec<Vec<PixelBox>>> {
        let mut all = Vec::with_capacity(imgs.len());
        let mut input = Vec::new();
        // Runs of images with the same input shape, a batch at most.
        let mut at = 0;
        while at < imgs.len() {
            let shape = self.input_shape(imgs[at].width(), imgs[at].height());
            let mut end = at + 1;
            while end < imgs.len()
                && end - at < self.batch_size
                && self.input_shape(imgs[end].width(), imgs[end].height()) == shape
            {
                end += 1;
            }
            let chunk = &imgs[at..end];
            let (shape, ratios) = self.letterbox(chunk, &mut input);
            let output = self.run_raw_on(session, &input, chunk.len(), shape)?;
            let per = output.len() / chunk.len();
            for (i, img) in chunk.iter().enumerate() {
                let rows = &output[i * per..(i + 1) * per];
                all.push(self.postprocess(rows, ratios[i], img.width(), img.height(), shape));
            }
            at = end;
        }
        Ok(all)
    }

    /// Runs the model on `n` letterboxed images (`[n, 3, H, W]` of `shape`) and returns the
    /// output rows (`n x anchors x 6`), for [`Detector::postprocess`].
    pub fn run_raw(&self, input: &[f32], n: usize, shape: InputShape) -> Result<Vec<f32>> {
        self.run_raw_on(0, input, n, shape)
    }

    pub(crate) fn run_raw_on(&self, session: usize, input: &[f32], n: usize, shape: InputShape) -> Result<Vec<f32>> {
        let (h, w) = (shape.height as i64, shape.width as i64);
        let tensor = TensorRef::from_array_view(([n as i64, 3, h, w], input))?;
        let mut session = self.sessions[session].lock().unwrap_or_else(|p| p.into_inner());
        let outputs = session.run(ort::inputs![tensor])?;
        let (got, data) = outputs[0].try_extract_tensor::<f32>()?;
        let anchors_ok = match &self.strides {
            Some(strides) => got.get(1) == Some(&(anchors(strides, shape) as i64)),
            None => true,
        };
        if got.len() != 3 || got[2] != 6 || got[0] != n as i64 || !anchors_ok {
            return Err(VisionError::Ort(format!(
                "unexpected output shape {:?} for input [{n}, 3, {h}, {w}] (expected [{n}, anchors, 6])",
                &got[..]
            )));
        }
        Ok(data.to_vec())
    }

    /// Decodes and suppresses one image's rows of a [`Detector::run_raw`] output; `shape` is
    /// the input the image was letterboxed into.
    pub fn postprocess(&self, rows: &[f32], ratio: f32, width: u32, height: u32, shape: InputShape) -> Vec<PixelBox> {
        let boxes = match &self.strides {
            Some(strides) => decode_raw(rows, strides, shape, ratio, width, height, self.confidence),
            None => decode(rows, ratio, width, height, self.confidence),
        };
        nms(boxes, self.nms_iou)
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
        let sq = InputShape::square(size);
        let r = letterbox_into(&img, size, sq, &mut out);
        assert!((r - 0.32).abs() < 1e-6);
        // Inside the image (row 10 of 32) the colour is kept per plane; below it is black.
        assert!((out[10 * size + 5] - 10.0).abs() < 1e-4);
        assert!((out[size * size + 10 * size + 5] - 20.0).abs() < 1e-4);
        assert!((out[2 * size * size + 10 * size + 63] - 30.0).abs() < 1e-4);
        assert_eq!(out[40 * size + 5], 0.0);
        // A slot that held another image (here: all 255) gets the same values: the padding
        // is written, not assumed zero.
        let mut dirty = vec![255f32; 3 * size * size];
        assert_eq!(letterbox_into(&img, size, sq, &mut dirty), r);
        assert_eq!(dirty, out);
        // A tall image pads on the right.
        let tall = RgbImage::from_pixel(50, 100, image::Rgb([10, 20, 30]));
        let mut clean = vec![0f32; 3 * size * size];
        let mut dirty = vec![-1f32; 3 * size * size];
        letterbox_into(&tall, size, sq, &mut clean);
        letterbox_into(&tall, size, sq, &mut dirty);
        assert_eq!(dirty, clean);
        assert_eq!(clean[10 * size + 40], 0.0);
        // Into a rectangle: the same pixels row by row, padding only what the slot adds.
        let rect = InputShape {
            height: 40,
            width: size,
        };
        let mut narrow = vec![7f32; rect.slot()];
        assert_eq!(letterbox_into(&img, size, rect, &mut narrow), r);
        for plane in 0..3 {
            for y in 0..40 {
                let (a, b) = (plane * 40 * size + y * size, plane * size * size + y * size);
                assert_eq!(narrow[a..a + size], out[b..b + size], "plane {plane} row {y}");
            }
        }
    }

    #[test]
    fn raw_rows_decode_level_by_level_and_row_by_row() {
        // Strides 8 and 16 on a 32 x 16 input: 4 x 2 cells, then 2 x 1.
        let shape = InputShape { height: 16, width: 32 };
        let strides = [8, 16];
        assert_eq!(anchors(&strides, shape), 10);
        let mut rows = vec![0f32; 10 * 6];
        // Anchor 6 is row 1, column 2 of the first level; anchor 9 the second cell of the
        // second level. Offsets in cells, sizes as logs of cells.
        rows[6 * 6..7 * 6].copy_from_slice(&[0.5, 0.25, 0.0, 2f32.ln(), 0.9, 1.0]);
        rows[9 * 6..10 * 6].copy_from_slice(&[0.0, 0.5, 1f32.ln(), 0.0, 1.0, 0.8]);
        let got = decode_raw(&rows, &strides, shape, 0.5, 1000, 1000, 0.25);
        assert_eq!(got.len(), 2);
        // Centre ((2 + 0.5) * 8, (1 + 0.25) * 8) = (20, 10), size 8 x 16; divided by 0.5.
        let (a, b) = (got[0], got[1]);
        assert_eq!((a.x0, a.y0, a.x1, a.y1), (32.0, 4.0, 48.0, 36.0));
        assert!((a.score - 0.9).abs() < 1e-6);
        // Centre ((1 + 0) * 16, (0 + 0.5) * 16) = (16, 8), size 16 x 16; divided by 0.5.
        assert_eq!((b.x0, b.y0, b.x1, b.y1), (16.0, 0.0, 48.0, 32.0));
        // The same rows as a square decode sees them, once the graph has decoded them.
        let mut decoded = rows.clone();
        decoded[6 * 6..6 * 6 + 4].copy_from_slice(&[20.0, 10.0, 8.0, 16.0]);
        decoded[9 * 6..9 * 6 + 4].copy_from_slice(&[16.0, 8.0, 16.0, 16.0]);
        assert_eq!(decode(&decoded, 0.5, 1000, 1000, 0.25), got);
        // Rows cut short decode what is there.
        assert_eq!(
            decode_raw(&rows[..7 * 6], &strides, shape, 0.5, 1000, 1000, 0.25).len(),
            1
        );
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
