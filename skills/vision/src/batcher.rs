//! One detector shared by many live cameras, batching their frames together.
//!
//! A camera's run hands each frame that passed its motion gate to [`SharedDetector::submit`]
//! as soon as it has it and carries on; it picks the boxes up, in order, when it needs them
//! ([`Ticket::wait`]). Letterboxing happens on the submitting camera's thread (so it runs in
//! parallel across cameras); the model runs on one worker thread per ONNX Runtime session.
//! A worker takes the oldest waiting request and then every other request already waiting,
//! from any camera, up to `batch_size` frames, and runs them as one batch. Nothing waits for a
//! batch to fill: one busy camera gets each frame run as soon as a session is free (low
//! latency), and when several cameras are busy the frames that queued while the model was
//! running go in together (throughput).

use crate::detector::{Detector, InputShape, PixelBox};
use crate::{Result, VisionError};
use image::RgbImage;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, TryLockError};

/// What a camera's run needs from a detector: start detection on some frames and get their
/// boxes back in order.
pub trait Detect: std::fmt::Debug + Send + Sync {
    /// Starts detection on `imgs` (one camera's frames, in order).
    fn submit(&self, imgs: Vec<Arc<RgbImage>>) -> Result<Ticket>;
    /// Frames a run collects before submitting them.
    fn frames_per_submit(&self) -> usize;
    /// Submissions a run may have outstanding before it waits for the oldest.
    fn in_flight(&self) -> usize;
}

/// Boxes that are ready, or will be.
#[derive(Debug)]
pub struct Ticket(TicketState);

#[derive(Debug)]
enum TicketState {
    Done(Result<Vec<Vec<PixelBox>>>),
    Waiting {
        reply: Receiver<Result<Vec<f32>>>,
        /// Resize ratio and size of each frame, for decoding.
        frames: Vec<(f32, u32, u32)>,
        /// The input shape the frames were letterboxed into.
        shape: InputShape,
        detector: Arc<Detector>,
    },
}

fn worker_gone() -> VisionError {
    VisionError::Ort("the inference workers stopped".into())
}

/// Decodes the raw model rows of a submission's frames into boxes.
fn decode_rows(
    raw: Result<Vec<f32>>,
    frames: &[(f32, u32, u32)],
    shape: InputShape,
    detector: &Detector,
) -> Result<Vec<Vec<PixelBox>>> {
    let raw = raw?;
    let per = raw.len() / frames.len().max(1);
    Ok(frames
        .iter()
        .enumerate()
        .map(|(i, &(ratio, w, h))| detector.postprocess(&raw[i * per..(i + 1) * per], ratio, w, h, shape))
        .collect())
}

impl Ticket {
    /// Boxes already computed.
    pub fn ready(boxes: Vec<Vec<PixelBox>>) -> Ticket {
        Ticket(TicketState::Done(Ok(boxes)))
    }

    /// Whether [`Ticket::wait`] would return at once.
    pub fn is_ready(&mut self) -> bool {
        let TicketState::Waiting {
            reply,
            frames,
            shape,
            detector,
        } = &self.0
        else {
            return true;
        };
        let raw = match reply.try_recv() {
            Ok(r) => r,
            Err(std::sync::mpsc::TryRecvError::Empty) => return false,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Err(worker_gone()),
        };
        self.0 = TicketState::Done(decode_rows(raw, frames, *shape, detector));
        true
    }

    /// The boxes of each submitted frame, blocking until they are computed.
    pub fn wait(self) -> Result<Vec<Vec<PixelBox>>> {
        match self.0 {
            TicketState::Done(r) => r,
            TicketState::Waiting {
                reply,
                frames,
                shape,
                detector,
            } => decode_rows(
                reply.recv().unwrap_or_else(|_| Err(worker_gone())),
                &frames,
                shape,
                &detector,
            ),
        }
    }
}

impl Detect for Detector {
    fn submit(&self, imgs: Vec<Arc<RgbImage>>) -> Result<Ticket> {
        let refs: Vec<&RgbImage> = imgs.iter().map(|i| i.as_ref()).collect();
        Ok(Ticket::ready(self.detect_batch(&refs)?))
    }

    fn frames_per_submit(&self) -> usize {
        self.batch_size() * self.sessions()
    }

    fn in_flight(&self) -> usize {
        1
    }
}

struct Job {
    input: Vec<f32>,
    /// Only jobs of the same input shape run together.
    shape: InputShape,
    frames: usize,
    reply: Sender<Result<Vec<f32>>>,
}

/// Counters of a [`SharedDetector`].
#[derive(Debug, Default)]
pub struct BatchStats {
    /// Model runs.
    pub runs: AtomicU64,
    /// Frames run.
    pub frames: AtomicU64,
    /// Runs that held frames of more than one submission (several cameras, or one camera's
    /// frames that queued up).
    pub combined_runs: AtomicU64,
}

/// A detector shared by live cameras; see the module documentation.
#[derive(Debug)]
pub struct SharedDetector {
    detector: Arc<Detector>,
    queue: Mutex<Sender<Job>>,
    stats: Arc<BatchStats>,
    /// Input tensors handed back by the workers for the next submissions: a slot is 2-5 MB,
    /// and a fresh one per frame cost page faults and zeroing.
    spare: Arc<Spare>,
}

/// Most input buffers kept for reuse.
const SPARE_BUFFERS: usize = 8;

/// Input buffers waiting for reuse.
type Spare = Mutex<Vec<Vec<f32>>>;

impl SharedDetector {
    /// Starts one worker thread per session of `detector`.
    pub fn start(detector: Arc<Detector>) -> Result<SharedDetector> {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let stats = Arc::new(BatchStats::default());
        let spare = Arc::new(Spare::default());
        for session in 0..detector.sessions() {
            let (rx, detector, stats, spare) = (rx.clone(), detector.clone(), stats.clone(), spare.clone());
            std::thread::Builder::new()
                .name(format!("inference-{session}"))
                .spawn(move || worker(session, &rx, &detector, &stats, &spare))
                .map_err(|e| VisionError::Ort(format!("cannot start an inference thread: {e}")))?;
        }
        Ok(SharedDetector {
            detector,
            queue: Mutex::new(tx),
            stats,
            spare,
        })
    }

    /// The detector underneath.
    pub fn detector(&self) -> &Arc<Detector> {
        &self.detector
    }

    /// Counters since the start.
    pub fn stats(&self) -> &BatchStats {
        &self.stats
    }
}

impl Detect for SharedDetector {
    fn submit(&self, imgs: Vec<Arc<RgbImage>>) -> Result<Ticket> {
        // A used buffer when one is spare: letterboxing writes every value of a slot.
        let mut input = self.spare.lock().ok().and_then(|mut s| s.pop()).unwrap_or_default();
        let refs: Vec<&RgbImage> = imgs.iter().map(|i| i.as_ref()).collect();
        let (shape, ratios) = self.detector.letterbox(&refs, &mut input);
        let frames: Vec<(f32, u32, u32)> = imgs
            .iter()
            .zip(ratios)
            .map(|(img, ratio)| (ratio, img.width(), img.height()))
            .collect();
        let (reply, rx) = channel();
        let job = Job {
            input,
            shape,
            frames: imgs.len(),
            reply,
        };
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job)
            .map_err(|_| worker_gone())?;
        Ok(Ticket(TicketState::Waiting {
            reply: rx,
            frames,
            shape,
            detector: self.detector.clone(),
        }))
    }

    fn frames_per_submit(&self) -> usize {
        1
    }

    fn in_flight(&self) -> usize {
        self.detector.batch_size().max(self.detector.sessions()).max(1)
    }
}

/// One session's loop: the oldest job plus whatever else of its input shape is waiting, up
/// to a batch.
fn worker(session: usize, rx: &Mutex<Receiver<Job>>, detector: &Detector, stats: &BatchStats, spare: &Spare) {
    let max = detector.batch_size().max(1);
    let mut carry: Option<Job> = None;
    loop {
        let mut jobs = Vec::new();
        {
            // A job carried over from the last round runs now, with whatever else is waiting
            // if the queue is free: another worker may be holding it while it waits for work,
            // and waiting for that worker here would leave the carried job stuck.
            let rx = match carry.take() {
                Some(j) => {
                    jobs.push(j);
                    match rx.try_lock() {
                        Ok(g) => Some(g),
                        Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
                        Err(TryLockError::WouldBlock) => None,
                    }
                }
                None => {
                    let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
                    match rx.recv() {
                        Ok(j) => jobs.push(j),
                        Err(_) => return,
                    }
                    Some(rx)
                }
            };
            let mut frames = jobs[0].frames;
            while let Some(rx) = rx.as_ref()
                && frames < max
            {
                match rx.try_recv() {
                    Ok(j) if frames + j.frames <= max && j.shape == jobs[0].shape => {
                        frames += j.frames;
                        jobs.push(j);
                    }
                    Ok(j) => {
                        carry = Some(j);
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
        let frames: usize = jobs.iter().map(|j| j.frames).sum();
        let shape = jobs[0].shape;
        let result = if jobs.len() == 1 {
            detector.run_raw_on(session, &jobs[0].input, frames, shape)
        } else {
            let mut input = Vec::with_capacity(jobs.iter().map(|j| j.input.len()).sum());
            for j in &jobs {
                input.extend_from_slice(&j.input);
            }
            detector.run_raw_on(session, &input, frames, shape)
        };
        stats.runs.fetch_add(1, Ordering::Relaxed);
        stats.frames.fetch_add(frames as u64, Ordering::Relaxed);
        if jobs.len() > 1 {
            stats.combined_runs.fetch_add(1, Ordering::Relaxed);
        }
        // The inputs go back to the spare buffers; the replies stay.
        let mut replies = Vec::with_capacity(jobs.len());
        for j in jobs {
            if let Ok(mut s) = spare.lock()
                && s.len() < SPARE_BUFFERS
            {
                s.push(j.input);
            }
            replies.push((j.reply, j.frames));
        }
        match result {
            // One submission: its output as is, not a copy.
            Ok(out) if replies.len() == 1 => {
                if let Some((reply, _)) = replies.into_iter().next() {
                    let _ = reply.send(Ok(out));
                }
            }
            Ok(out) => {
                let per = out.len() / frames.max(1);
                let mut at = 0;
                for (reply, frames) in replies {
                    let end = at + per * frames;
                    let _ = reply.send(Ok(out[at..end].to_vec()));
                    at = end;
                }
            }
            Err(e) => {
                let message = e.to_string();
                for (reply, _) in replies {
                    let _ = reply.send(Err(VisionError::Ort(message.clone())));
                }
            }
        }
    }
}
