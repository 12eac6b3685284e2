//! Decoding: one thread per live stream, fed by a bounded queue of whole encoded frames.
//!
//! The stream task never waits on the decoder: when the queue is full it drops the frame and
//! every frame after it until the next keyframe (a P-frame without its reference decodes to
//! garbage). The decoder converts to RGB only the frames sampled for the detector.

use crate::health::Counters;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use image::RgbImage;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

/// A video codec the gateway takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Codec {
    /// H.264 (any profile; Main/High need the `ffmpeg` feature).
    #[default]
    H264,
    /// VP8 (needs the `ffmpeg` feature).
    Vp8,
}

/// Whether a VP8 frame is a keyframe (the frame tag's P bit is 0, RFC 6386 9.1).
pub fn is_vp8_keyframe(data: &[u8]) -> bool {
    data.first().is_some_and(|b| b & 1 == 0)
}

/// One whole encoded frame (an H.264 Annex-B access unit, or a VP8 frame).
#[derive(Debug, Clone)]
pub struct EncodedFrame {
    /// The frame's bytes.
    pub data: Bytes,
    /// RTP timestamp (90 kHz).
    pub rtp_ts: u32,
    /// Holds an IDR picture (a VP8 keyframe).
    pub keyframe: bool,
    /// The codec.
    pub codec: Codec,
}

/// A decoded frame sampled for the detector.
#[derive(Debug)]
pub struct Sample {
    /// Frame time (the stream's first frame's arrival plus RTP time since).
    pub time: DateTime<Utc>,
    /// Number of the frame in the stream (decoded frames, from 0).
    pub frame: i64,
    /// The picture.
    pub image: RgbImage,
}

/// Whether an Annex-B access unit holds an IDR slice (NAL type 5).
pub fn is_h264_keyframe(data: &[u8]) -> bool {
    nal_types(data).any(|t| t == 5)
}

/// The NAL unit types of an Annex-B byte stream.
pub fn nal_types(data: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut i = 0usize;
    std::iter::from_fn(move || {
        while i + 3 < data.len() {
            let three = data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1;
            if three {
                let t = data[i + 3] & 0x1f;
                i += 4;
                return Some(t);
            }
            i += 1;
        }
        None
    })
}

/// Gatekeeper in front of the decoder queue: drops whole frames when the queue is full and
/// then waits for a keyframe.
#[derive(Debug)]
pub struct FrameGate {
    tx: SyncSender<EncodedFrame>,
    need_keyframe: bool,
}

/// What [`FrameGate::offer`] did with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    /// Queued for decoding.
    Queued,
    /// Dropped: the queue was full (a keyframe should be requested).
    DroppedFull,
    /// Dropped: waiting for a keyframe.
    DroppedWaiting,
    /// The decoder is gone.
    Closed,
}

impl FrameGate {
    /// A gate in front of `tx`; the first frame queued must be a keyframe.
    pub fn new(tx: SyncSender<EncodedFrame>) -> Self {
        FrameGate {
            tx,
            need_keyframe: true,
        }
    }

    /// Marks the stream as broken (lost packets): frames are dropped until a keyframe.
    pub fn lost(&mut self) {
        self.need_keyframe = true;
    }

    /// Offers one frame.
    pub fn offer(&mut self, frame: EncodedFrame) -> Offered {
        if self.need_keyframe && !frame.keyframe {
            return Offered::DroppedWaiting;
        }
        match self.tx.try_send(frame) {
            Ok(()) => {
                self.need_keyframe = false;
                Offered::Queued
            }
            Err(TrySendError::Full(_)) => {
                self.need_keyframe = true;
                Offered::DroppedFull
            }
            Err(TrySendError::Disconnected(_)) => Offered::Closed,
        }
    }
}

/// The largest step between two frames' RTP timestamps taken at face value (5 s at 90 kHz).
const MAX_STEP: i64 = 5 * 90_000;
/// The largest step back taken as frame reordering (B-frames arrive before the frames they
/// are shown after), not as a jump of the sender's clock (1 s at 90 kHz).
const MAX_REORDER: i64 = 90_000;

/// The H.264 profile of an access unit's SPS (`profile_idc`), if it carries one.
pub fn h264_profile(data: &[u8]) -> Option<u8> {
    h264_sps(data)?.get(1).copied()
}

/// The NAL units of an Annex-B byte stream, each from its header byte to the next start
/// code (trailing zero bytes of a 4-byte start code dropped).
pub fn nal_units(data: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    (0..starts.len()).map(move |k| {
        let s = starts[k];
        let end = starts.get(k + 1).map(|&n| n - 3).unwrap_or(data.len()).max(s);
        let nal = &data[s..end];
        nal.strip_suffix(&[0]).unwrap_or(nal)
    })
}

/// The SPS NAL unit (header byte first) of an Annex-B access unit.
pub fn h264_sps(data: &[u8]) -> Option<&[u8]> {
    nal_units(data).find(|n| n.first().is_some_and(|h| h & 0x1f == 7))
}

/// The decoder a stream gets, chosen at its first keyframe: openh264 for (constrained)
/// baseline, what browsers and WebRTC stacks send; FFmpeg for Main, High and the rest, whose
/// B-frames openh264 cannot decode.
enum VideoDecoder {
    OpenH264(Box<openh264::decoder::Decoder>),
    #[cfg(feature = "ffmpeg")]
    Ffmpeg(Box<crate::ffdecode::FfDecoder>),
}

impl VideoDecoder {
    fn for_keyframe(codec: Codec, data: &[u8]) -> Result<VideoDecoder, String> {
        if codec == Codec::Vp8 {
            #[cfg(feature = "ffmpeg")]
            return crate::ffdecode::FfDecoder::vp8().map(|d| VideoDecoder::Ffmpeg(Box::new(d)));
            #[cfg(not(feature = "ffmpeg"))]
            return Err("VP8 needs the gateway built with `--features ffmpeg`".to_string());
        }
        let openh264 = || {
            openh264::decoder::Decoder::new()
                .map(|d| VideoDecoder::OpenH264(Box::new(d)))
                .map_err(|e| format!("cannot start the H.264 decoder: {e}"))
        };
        match h264_profile(data) {
            None | Some(66) => openh264(),
            #[cfg(feature = "ffmpeg")]
            Some(_) => crate::ffdecode::FfDecoder::h264().map(|d| VideoDecoder::Ffmpeg(Box::new(d))),
            #[cfg(not(feature = "ffmpeg"))]
            Some(profile) => {
                tracing::warn!(
                    "this stream is H.264 profile {profile} (Main/High may carry B-frames, which openh264 \
                     cannot decode): trying openh264; build with `--features ffmpeg` for FFmpeg's decoder"
                );
                openh264()
            }
        }
    }

    fn name(&self) -> &'static str {
        match self {
            VideoDecoder::OpenH264(_) => "openh264",
            #[cfg(feature = "ffmpeg")]
            VideoDecoder::Ffmpeg(_) => "ffmpeg",
        }
    }
}

/// Hands decoded pictures to the detector, one every `1/sample_fps` seconds of stream time.
struct Sampler {
    period: f64,
    next_sample: f64,
    frame_no: i64,
    t0: DateTime<Utc>,
    rgb: Vec<u8>,
    samples: Option<SyncSender<Sample>>,
    counters: Arc<Counters>,
}

impl Sampler {
    /// One decoded picture shown at `pts` (90 kHz since the stream's start); `convert`
    /// writes its RGB. False when the detector is gone.
    fn picture(&mut self, pts: i64, w: u32, h: u32, convert: &mut dyn FnMut(&mut Vec<u8>) -> bool) -> bool {
        self.counters.decoded.fetch_add(1, Ordering::Relaxed);
        let seconds = pts as f64 / 90_000.0;
        let this = self.frame_no;
        self.frame_no += 1;
        let Some(tx) = &self.samples else { return true };
        if seconds + 1e-6 < self.next_sample {
            return true;
        }
        self.next_sample = if seconds - self.next_sample > self.period {
            seconds + self.period
        } else {
            self.next_sample + self.period
        };
        *self.counters.size.lock().expect("size lock") = Some((w, h));
        self.rgb.resize(w as usize * h as usize * 3, 0);
        if !convert(&mut self.rgb) {
            return true;
        }
        let Some(image) = RgbImage::from_raw(w, h, self.rgb.clone()) else {
            return true;
        };
        let sample = Sample {
            time: self.t0 + chrono::Duration::microseconds((seconds * 1e6) as i64),
            frame: this,
            image,
        };
        match tx.try_send(sample) {
            Ok(()) => {
                self.counters.sampled.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Full(_)) => {
                self.counters.samples_skipped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }
}

/// Decodes frames until the queue closes; sends one frame every `1/sample_fps` seconds of
/// stream time to `samples` (skipping when the detector is behind). While the scene is still
/// it decodes one keyframe per `still_every` and nothing else.
pub fn decode_loop(
    rx: Receiver<EncodedFrame>,
    sample_fps: f64,
    samples: Option<SyncSender<Sample>>,
    counters: Arc<Counters>,
    want_keyframe: Arc<tokio::sync::Notify>,
    still_every: std::time::Duration,
) {
    let mut decoder: Option<VideoDecoder> = None;
    let mut last_still_decode: Option<std::time::Instant> = None;
    let mut origin: Option<(DateTime<Utc>, u32)> = None;
    let mut unwrapped: i64 = 0;
    let mut last_ts: Option<u32> = None;
    let mut sampler = Sampler {
        period: 1.0 / sample_fps.max(0.01),
        next_sample: 0.0,
        frame_no: 0,
        t0: Utc::now(),
        rgb: Vec::new(),
        samples,
        counters: counters.clone(),
    };
    let (mut need_keyframe, mut asked) = (false, false);
    for f in rx {
        let (t0, _) = *origin.get_or_insert((Utc::now(), f.rtp_ts));
        sampler.t0 = t0;
        if let Some(prev) = last_ts {
            let step = i64::from(f.rtp_ts.wrapping_sub(prev) as i32);
            if (-MAX_REORDER..=MAX_STEP).contains(&step) {
                unwrapped += step;
            } else {
                // The sender's clock jumped (a looping file, a restarted encoder): go on from
                // the wall clock so frame times never run backwards.
                let wall = (Utc::now() - t0).num_microseconds().unwrap_or(0) * 9 / 100;
                unwrapped = wall.max(unwrapped + 1);
            }
        }
        last_ts = Some(f.rtp_ts);
        // A still scene (the detector thread says so) needs keyframes only; a skipped frame
        // leaves the next P-frames without their reference, so after one, decoding resumes
        // at a keyframe (asked for at once when the scene moves again).
        let still = counters.still.load(Ordering::Relaxed);
        if !f.keyframe && (still || need_keyframe) {
            if !still && !asked {
                want_keyframe.notify_one();
                asked = true;
            }
            need_keyframe = true;
            continue;
        }
        // Still, one keyframe per `still_every` is enough (cameras and encoders may send one
        // every second): the rest are skipped like the P-frames.
        if f.keyframe && still && last_still_decode.is_some_and(|t| t.elapsed() < still_every) {
            need_keyframe = true;
            continue;
        }
        if f.keyframe {
            need_keyframe = false;
            asked = false;
            last_still_decode = still.then(std::time::Instant::now);
        }
        if decoder.is_none() {
            if !f.keyframe {
                continue;
            }
            match VideoDecoder::for_keyframe(f.codec, &f.data) {
                Ok(d) => {
                    tracing::debug!("decoding with {}", d.name());
                    *counters.decoder.lock().expect("decoder lock") = Some(d.name());
                    decoder = Some(d);
                }
                Err(e) => {
                    tracing::error!("{e}");
                    return;
                }
            }
        }
        let Some(dec) = decoder.as_mut() else { continue };
        let mut go_on = true;
        match dec {
            VideoDecoder::OpenH264(d) => match d.decode(&f.data) {
                Ok(Some(yuv)) => {
                    use openh264::formats::YUVSource;
                    let (w, h) = yuv.dimensions();
                    go_on = sampler.picture(unwrapped, w as u32, h as u32, &mut |out| {
                        yuv.write_rgb8(out);
                        true
                    });
                }
                Ok(None) => {}
                Err(e) => {
                    counters.decode_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!("H.264 decode error: {e}");
                }
            },
            #[cfg(feature = "ffmpeg")]
            VideoDecoder::Ffmpeg(d) => {
                if let Err(e) = d.send(&f.data, unwrapped) {
                    counters.decode_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!("{e}");
                }
                while let Some((pts, w, h)) = d.receive() {
                    go_on &= sampler.picture(pts, w, h, &mut |out| match d.rgb(out) {
                        Ok(()) => true,
                        Err(e) => {
                            tracing::debug!("{e}");
                            false
                        }
                    });
                }
            }
        }
        if !go_on {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(keyframe: bool) -> EncodedFrame {
        EncodedFrame {
            data: Bytes::new(),
            rtp_ts: 0,
            keyframe,
            codec: Codec::H264,
        }
    }

    #[test]
    fn the_sps_tells_the_profile() {
        let high = [0, 0, 0, 1, 0x67, 100, 0, 40, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 9];
        assert_eq!(h264_profile(&high), Some(100));
        let baseline = [0, 0, 1, 0x67, 66, 0xc0, 30];
        assert_eq!(h264_profile(&baseline), Some(66));
        assert_eq!(h264_profile(&[0, 0, 0, 1, 0x65, 1, 2]), None);
    }

    #[test]
    fn finds_idr_slices_in_annex_b() {
        // SPS, PPS, IDR with 4- and 3-byte start codes.
        let au = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 9, 9];
        assert_eq!(nal_types(&au).collect::<Vec<_>>(), vec![7, 8, 5]);
        assert!(is_h264_keyframe(&au));
        let p = [0, 0, 0, 1, 0x41, 7, 7, 7];
        assert!(!is_h264_keyframe(&p));
    }

    #[test]
    fn a_full_queue_drops_whole_frames_until_a_keyframe() {
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        let mut gate = FrameGate::new(tx);
        assert_eq!(
            gate.offer(frame(false)),
            Offered::DroppedWaiting,
            "starts at a keyframe"
        );
        assert_eq!(gate.offer(frame(true)), Offered::Queued);
        assert_eq!(gate.offer(frame(false)), Offered::Queued);
        assert_eq!(gate.offer(frame(false)), Offered::DroppedFull);
        // Room again, but the next P-frame has lost its reference.
        rx.recv().unwrap();
        rx.recv().unwrap();
        assert_eq!(gate.offer(frame(false)), Offered::DroppedWaiting);
        assert_eq!(gate.offer(frame(true)), Offered::Queued);
        assert_eq!(gate.offer(frame(false)), Offered::Queued);
        drop(rx);
        assert_eq!(gate.offer(frame(false)), Offered::Closed);
    }
}
