//! Live counters of one camera, and the health summary built from them.

use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

/// Counters of one camera, updated by its stream, decoder and detector threads.
#[derive(Debug)]
pub struct Counters {
    /// A publisher is connected.
    pub connected: AtomicBool,
    /// The scene has been still long enough that only keyframes are decoded.
    pub still: AtomicBool,
    /// RTP packets received (WHIP only: an RTSP camera's stream reaches us as whole
    /// frames, its packets never counted).
    pub packets: AtomicU64,
    /// Bytes of RTP payload received.
    pub bytes: AtomicU64,
    /// Whole encoded frames assembled from the packets.
    pub frames: AtomicU64,
    /// Encoded frames dropped (queue full or waiting for a keyframe).
    pub frames_dropped: AtomicU64,
    /// Frames decoded.
    pub decoded: AtomicU64,
    /// Frames the decoder could not decode.
    pub decode_errors: AtomicU64,
    /// Sampled frames handed to the detector.
    pub sampled: AtomicU64,
    /// Sampled frames skipped because the detector was behind.
    pub samples_skipped: AtomicU64,
    /// Events written to the database.
    pub events: AtomicU64,
    /// Epoch ms of the newest frame (0: none yet).
    pub last_frame_ms: AtomicI64,
    /// Epoch ms of the newest event's end (0: none yet).
    pub last_event_ms: AtomicI64,
    /// Frame width and height of the newest decoded frame.
    pub size: Mutex<Option<(u32, u32)>>,
    /// The codec the publisher negotiated.
    pub codec: Mutex<Option<String>>,
    /// How the current (or last) stream arrived.
    pub source: Mutex<Option<Source>>,
    /// The decoder decoding it (`openh264`, or `ffmpeg` for H.264 beyond baseline).
    pub decoder: Mutex<Option<&'static str>>,
    /// The live deployment the current (or last) stream extends.
    pub deployment: Mutex<Option<String>>,
    /// Rate window: (when, frames, bytes) at the start of the current window.
    window: Mutex<(Instant, u64, u64, f64, f64)>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            connected: AtomicBool::new(false),
            still: AtomicBool::new(false),
            packets: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            frames_dropped: AtomicU64::new(0),
            decoded: AtomicU64::new(0),
            decode_errors: AtomicU64::new(0),
            sampled: AtomicU64::new(0),
            samples_skipped: AtomicU64::new(0),
            events: AtomicU64::new(0),
            last_frame_ms: AtomicI64::new(0),
            last_event_ms: AtomicI64::new(0),
            size: Mutex::new(None),
            codec: Mutex::new(None),
            source: Mutex::new(None),
            decoder: Mutex::new(None),
            deployment: Mutex::new(None),
            window: Mutex::new((Instant::now(), 0, 0, 0.0, 0.0)),
        }
    }
}

/// How a camera's stream reaches the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A WebRTC publisher over WHIP: RTP packets, counted one by one.
    Whip,
    /// Pulled from the camera over RTSP: whole frames (the RTSP client reassembles them).
    Rtsp,
}

/// One camera's health as the gateway sees it now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CameraHealth {
    /// Camera id.
    pub camera_id: String,
    /// A publisher is connected.
    pub connected: bool,
    /// Frames per second received over the last window.
    pub fps: f64,
    /// Bits per second received over the last window.
    pub bitrate_bps: f64,
    /// Newest frame (RFC 3339), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_frame: Option<String>,
    /// End of the newest event written (RFC 3339), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event: Option<String>,
    /// Frame size of the newest decoded frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Frame height.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Negotiated codec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// How the current (or last) stream arrived; none before the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Totals since the gateway started: RTP packets received, for streams that arrive as
    /// packets (WHIP); none when only RTSP streams were seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packets: Option<u64>,
    /// Encoded frames received.
    pub frames: u64,
    /// Encoded frames dropped before decoding.
    pub frames_dropped: u64,
    /// Frames decoded.
    pub decoded: u64,
    /// Frames the decoder refused (corrupt or missing references).
    pub decode_errors: u64,
    /// Only keyframes are being decoded (the scene is still).
    pub keyframes_only: bool,
    /// Frames sent to the detector.
    pub sampled: u64,
    /// Samples skipped because the detector was behind.
    pub samples_skipped: u64,
    /// Events written.
    pub events: u64,
    /// The decoder in use (`openh264` for constrained baseline, `ffmpeg` for Main/High
    /// profiles, B-frames included); none before the first keyframe.
    pub decoder: Option<&'static str>,
}

fn rfc3339(ms: i64) -> Option<String> {
    (ms > 0)
        .then(|| chrono::DateTime::from_timestamp_millis(ms))
        .flatten()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

impl Counters {
    /// The health now; rates are over the time since the previous call (at least 1 s).
    pub fn health(&self, camera_id: &str) -> CameraHealth {
        let frames = self.frames.load(Ordering::Relaxed);
        let bytes = self.bytes.load(Ordering::Relaxed);
        let connected = self.connected.load(Ordering::Relaxed);
        let (fps, bitrate_bps) = {
            let mut w = self.window.lock().expect("health window lock");
            let dt = w.0.elapsed().as_secs_f64();
            if dt >= 1.0 {
                let fps = (frames - w.1) as f64 / dt;
                let bps = (bytes - w.2) as f64 * 8.0 / dt;
                *w = (Instant::now(), frames, bytes, fps, bps);
            }
            if connected { (w.3, w.4) } else { (0.0, 0.0) }
        };
        let size = *self.size.lock().expect("size lock");
        let packets = self.packets.load(Ordering::Relaxed);
        let source = *self.source.lock().expect("source lock");
        CameraHealth {
            camera_id: camera_id.to_string(),
            connected,
            fps: (fps * 100.0).round() / 100.0,
            bitrate_bps: bitrate_bps.round(),
            last_frame: rfc3339(self.last_frame_ms.load(Ordering::Relaxed)),
            last_event: rfc3339(self.last_event_ms.load(Ordering::Relaxed)),
            width: size.map(|s| s.0),
            height: size.map(|s| s.1),
            codec: self.codec.lock().expect("codec lock").clone(),
            source,
            packets: (packets > 0 || source == Some(Source::Whip)).then_some(packets),
            frames,
            frames_dropped: self.frames_dropped.load(Ordering::Relaxed),
            decoded: self.decoded.load(Ordering::Relaxed),
            decode_errors: self.decode_errors.load(Ordering::Relaxed),
            keyframes_only: connected && self.still.load(Ordering::Relaxed),
            sampled: self.sampled.load(Ordering::Relaxed),
            samples_skipped: self.samples_skipped.load(Ordering::Relaxed),
            events: self.events.load(Ordering::Relaxed),
            decoder: *self.decoder.lock().expect("decoder lock"),
        }
    }
}
