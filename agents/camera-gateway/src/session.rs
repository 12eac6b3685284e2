//! WebRTC sessions: a publisher (WHIP, receive-only) per camera, and viewers (WHEP,
//! send-only) relaying the publisher's RTP packets without re-encoding.

use crate::decode::{Codec, EncodedFrame, FrameGate, Offered, decode_loop, is_h264_keyframe, is_vp8_keyframe};
use crate::health::{Counters, Source};
use crate::live::{LiveSink, vision_loop};
use rtc::interceptor::Registry;
use rtc::media::io::sample_builder::SampleBuilder;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_H264, MIME_TYPE_VP8, MediaEngine};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp;
use rtc::rtp::codec::h264::H264Packet;
use rtc::rtp::codec::vp8::Vp8Packet;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;
use trailmesh_vision::{SharedDetector, VisionConfig};
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionState,
};

/// Why an offer could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    /// The offer is not SDP we can use (the client's fault).
    #[error("{0}")]
    BadOffer(String),
    /// Something on our side failed.
    #[error("{0}")]
    Internal(String),
}

/// What every session needs to know.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Address the media socket binds (port 0).
    pub media_host: String,
    /// Encoded-frame queue length.
    pub frame_queue: usize,
    /// Sampled-frame queue length.
    pub detect_queue: usize,
    /// No packet for this long ends a publisher.
    pub idle_timeout: Duration,
    /// Keyframe request period.
    pub keyframe_interval: Duration,
    /// Still scenes decode keyframes only after this many seconds (0: never).
    pub still_keyframes_after_s: f64,
}

/// Whether this build decodes VP8 (FFmpeg's decoder, the `ffmpeg` feature).
const VP8: bool = cfg!(feature = "ffmpeg");

/// The codecs we accept: H.264 with packetization mode 1 (constrained baseline and baseline,
/// what browsers and aiortc send; Main), and VP8 when FFmpeg is built in.
fn video_codecs() -> Vec<RTCRtpCodecParameters> {
    let feedback = vec![
        RTCPFeedback {
            typ: "goog-remb".to_owned(),
            parameter: String::new(),
        },
        RTCPFeedback {
            typ: "ccm".to_owned(),
            parameter: "fir".to_owned(),
        },
        RTCPFeedback {
            typ: "nack".to_owned(),
            parameter: String::new(),
        },
        RTCPFeedback {
            typ: "nack".to_owned(),
            parameter: "pli".to_owned(),
        },
    ];
    [(102u8, "42e01f"), (106, "42001f"), (127, "4d001f")]
        .into_iter()
        .map(|(pt, profile)| RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: MIME_TYPE_H264.to_owned(),
                clock_rate: 90000,
                channels: 0,
                sdp_fmtp_line: format!("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id={profile}"),
                rtcp_feedback: feedback.clone(),
            },
            payload_type: pt,
        })
        .chain(VP8.then(|| RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: MIME_TYPE_VP8.to_owned(),
                clock_rate: 90000,
                channels: 0,
                sdp_fmtp_line: String::new(),
                rtcp_feedback: feedback.clone(),
            },
            payload_type: 96,
        }))
        .collect()
}

/// Parses an SDP offer and checks it offers H.264 video we can take.
pub fn parse_offer(sdp: &str, want: &str) -> Result<RTCSessionDescription, OfferError> {
    if sdp.trim().is_empty() {
        return Err(OfferError::BadOffer(
            "the request body is empty: send the SDP offer".into(),
        ));
    }
    let desc = RTCSessionDescription::offer(sdp.to_string())
        .map_err(|e| OfferError::BadOffer(format!("the body is not a valid SDP offer: {e}")))?;
    let parsed = desc
        .unmarshal()
        .map_err(|e| OfferError::BadOffer(format!("the body is not a valid SDP offer: {e}")))?;
    let video: Vec<_> = parsed
        .media_descriptions
        .iter()
        .filter(|m| m.media_name.media == "video")
        .collect();
    if video.is_empty() {
        return Err(OfferError::BadOffer(format!(
            "the SDP offer has no video section ({want})"
        )));
    }
    let offers = |codec: &str| {
        video.iter().any(|m| {
            m.attributes.iter().any(|a| {
                a.key == "rtpmap"
                    && a.value
                        .as_deref()
                        .is_some_and(|v| v.to_ascii_uppercase().contains(codec))
            })
        })
    };
    let usable = offers("H264/90000") || (VP8 && offers("VP8/90000"));
    if !usable {
        return Err(OfferError::BadOffer(if VP8 {
            "the SDP offer's video section offers neither H264 nor VP8 (the codecs the gateway decodes)".into()
        } else {
            "the SDP offer's video section offers no H264 (this gateway decodes H.264 only; VP8 needs the ffmpeg feature)"
                .into()
        }));
    }
    Ok(desc)
}

/// What a publisher does with its remote track.
type OnTrack = Box<dyn Fn(Arc<dyn TrackRemote>) + Send + Sync>;

/// Ends a session when its connection fails or closes; tells when ICE gathering is done.
struct Handler {
    gathered: Arc<Notify>,
    connected: Arc<Notify>,
    ended: CancellationToken,
    on_track: Option<OnTrack>,
    label: String,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathered.notify_one();
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        tracing::debug!("{}: connection {state}", self.label);
        if state == RTCPeerConnectionState::Connected {
            self.connected.notify_one();
        }
        if matches!(state, RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed) {
            self.ended.cancel();
        }
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        if let Some(f) = &self.on_track {
            f(track);
        }
    }
}

/// Builds a peer connection that speaks only H.264 video, with host candidates on
/// `media_host` and no mDNS.
async fn peer_connection(media_host: &str, handler: Handler) -> Result<Arc<dyn PeerConnection>, OfferError> {
    let internal = |e: webrtc::error::Error| OfferError::Internal(format!("WebRTC: {e}"));
    let mut media = MediaEngine::default();
    for c in video_codecs() {
        media
            .register_codec(c, RtpCodecKind::Video)
            .map_err(|e| OfferError::Internal(e.to_string()))?;
    }
    let registry =
        register_default_interceptors(Registry::new(), &mut media).map_err(|e| OfferError::Internal(e.to_string()))?;
    let loopback = media_host
        .parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false);
    let settings = SettingEngineBuilder::new()
        .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
        .with_include_loopback_candidate(loopback)
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_media_engine(media)
        .with_setting_engine(settings)
        .with_interceptor_registry(registry)
        .with_handler(Arc::new(handler) as Arc<dyn PeerConnectionEventHandler>)
        .with_udp_addrs(vec![format!("{media_host}:0")])
        .build()
        .await
        .map_err(internal)?;
    Ok(Arc::new(pc))
}

/// Applies the offer, makes the answer and waits (up to 5 s) for ICE gathering.
async fn answer(
    pc: &Arc<dyn PeerConnection>,
    offer: RTCSessionDescription,
    gathered: &Notify,
) -> Result<String, OfferError> {
    pc.set_remote_description(offer)
        .await
        .map_err(|e| OfferError::BadOffer(format!("the SDP offer was refused: {e}")))?;
    let answer = pc
        .create_answer(None)
        .await
        .map_err(|e| OfferError::BadOffer(format!("no answer to this offer: {e}")))?;
    pc.set_local_description(answer)
        .await
        .map_err(|e| OfferError::Internal(format!("WebRTC: {e}")))?;
    let _ = tokio::time::timeout(Duration::from_secs(5), gathered.notified()).await;
    pc.local_description()
        .await
        .map(|d| d.sdp)
        .ok_or_else(|| OfferError::Internal("WebRTC made no local description".into()))
}

/// A connected (or connecting) publisher of one camera.
pub struct Publisher {
    /// Session id (the last part of the WHIP Location).
    pub id: String,
    /// Camera id.
    pub camera_id: String,
    /// The connection.
    pub pc: Arc<dyn PeerConnection>,
    /// RTP packets as received, for viewers.
    pub rtp: broadcast::Sender<rtp::Packet>,
    /// The publisher's video codec, once its track arrived.
    pub codec: std::sync::Mutex<Option<RTCRtpCodec>>,
    /// Cancelled when the session ends (DELETE, failure, idle, shutdown).
    pub ended: CancellationToken,
    /// Asks the stream task to send a keyframe request now.
    pub want_keyframe: Arc<Notify>,
    /// Finished when the stream task, decoder and detector threads are done.
    pub done: tokio::sync::watch::Receiver<bool>,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("id", &self.id)
            .field("camera_id", &self.camera_id)
            .finish()
    }
}

/// What a WHEP viewer relays: one live stream's RTP packets and codec (a WHIP publisher's
/// packets as received, or an RTSP camera's frames packetized again).
#[derive(Debug, Clone)]
pub struct RelaySource {
    /// Camera id.
    pub camera_id: String,
    /// The stream's RTP packets.
    pub rtp: broadcast::Sender<rtp::Packet>,
    /// Their codec.
    pub codec: RTCRtpCodec,
    /// Cancelled when the stream ends.
    pub ended: CancellationToken,
    /// Asks the source for a keyframe (a no-op where the source cannot be asked, RTSP).
    pub want_keyframe: Arc<Notify>,
}

impl Publisher {
    /// What viewers relay; none before the publisher's track (and codec) arrived.
    pub fn relay(&self) -> Option<RelaySource> {
        let codec = self.codec.lock().expect("codec lock").clone()?;
        Some(RelaySource {
            camera_id: self.camera_id.clone(),
            rtp: self.rtp.clone(),
            codec,
            ended: self.ended.clone(),
            want_keyframe: self.want_keyframe.clone(),
        })
    }
}

/// What a publisher's stream feeds.
#[derive(Debug)]
pub struct Pipeline {
    /// The detector (none: decode only for health, no events).
    pub detector: Option<Arc<SharedDetector>>,
    /// Vision settings.
    pub vision: VisionConfig,
    /// Where events go.
    pub sink: LiveSink,
    /// The camera's counters.
    pub counters: Arc<Counters>,
}

/// Answers a WHIP offer: a receive-only peer connection whose video track is decoded and
/// run through the pipeline, and relayed to viewers.
pub async fn start_publisher(
    camera_id: &str,
    offer: RTCSessionDescription,
    opts: &SessionOptions,
    pipeline: Pipeline,
    shutdown: CancellationToken,
) -> Result<(Arc<Publisher>, String), OfferError> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let ended = shutdown.child_token();
    let gathered = Arc::new(Notify::new());
    let (rtp_tx, _) = broadcast::channel::<rtp::Packet>(512);
    let want_keyframe = Arc::new(Notify::new());
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let slot: Arc<std::sync::Mutex<Option<Arc<Publisher>>>> = Arc::new(std::sync::Mutex::new(None));
    let track_started = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pipeline = Arc::new(std::sync::Mutex::new(Some((pipeline, done_tx))));
    let on_track = {
        let slot = slot.clone();
        let opts = opts.clone();
        let track_started = track_started.clone();
        let pipeline = pipeline.clone();
        move |track: Arc<dyn TrackRemote>| {
            let Some(publisher) = slot.lock().expect("slot lock").clone() else {
                return;
            };
            if track_started.swap(true, Ordering::SeqCst) {
                return; // one video track per publisher
            }
            let Some((pipeline, done_tx)) = pipeline.lock().expect("pipeline lock").take() else {
                return;
            };
            let opts = opts.clone();
            tokio::spawn(async move {
                run_stream(publisher, track, opts, pipeline).await;
                let _ = done_tx.send(true);
            });
        }
    };
    let handler = Handler {
        gathered: gathered.clone(),
        connected: Arc::new(Notify::new()),
        ended: ended.clone(),
        on_track: Some(Box::new(on_track)),
        label: format!("publisher {camera_id}/{id}"),
    };
    let pc = peer_connection(&opts.media_host, handler).await?;
    pc.add_transceiver_from_kind(
        RtpCodecKind::Video,
        Some(RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Recvonly,
            ..Default::default()
        }),
    )
    .await
    .map_err(|e| OfferError::Internal(format!("WebRTC: {e}")))?;
    let publisher = Arc::new(Publisher {
        id,
        camera_id: camera_id.to_string(),
        pc: pc.clone(),
        rtp: rtp_tx,
        codec: std::sync::Mutex::new(None),
        ended: ended.clone(),
        want_keyframe,
        done: done_rx,
    });
    *slot.lock().expect("slot lock") = Some(publisher.clone());
    let sdp = match answer(&pc, offer, &gathered).await {
        Ok(sdp) => sdp,
        Err(e) => {
            ended.cancel();
            let _ = pc.close().await;
            return Err(e);
        }
    };
    // A publisher whose track never arrives is closed after the idle timeout; its pipeline
    // (never started) is released so the camera reads as disconnected.
    {
        let publisher = publisher.clone();
        let idle = opts.idle_timeout;
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(idle + Duration::from_secs(5)) => {}
                _ = publisher.ended.cancelled() => {}
            }
            if !track_started.load(Ordering::SeqCst) {
                publisher.ended.cancel();
                if let Some((_, done_tx)) = pipeline.lock().expect("pipeline lock").take() {
                    let _ = done_tx.send(true);
                }
                let _ = publisher.pc.close().await;
            }
        });
    }
    Ok((publisher, sdp))
}

/// The decoder and detector threads behind one stream (WHIP or RTSP), and the gate in front
/// of them.
pub(crate) struct Workers {
    /// None without a detector: nothing needs pictures, so frames are counted, not decoded.
    gate: Option<FrameGate>,
    counters: Arc<Counters>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// The live deployment, extended to the stream's end when it finishes.
    deployment: Option<(trailmesh_core::Store, String)>,
}

impl Workers {
    /// Starts the threads of one stream session.
    pub(crate) fn start(
        camera: &str,
        session: &str,
        opts: &SessionOptions,
        pipeline: Pipeline,
        want_keyframe: Arc<Notify>,
    ) -> Workers {
        let counters = pipeline.counters.clone();
        let deployment = pipeline
            .sink
            .deployment
            .clone()
            .map(|d| (pipeline.sink.store.clone(), d));
        let Some(detector) = pipeline.detector.clone() else {
            return Workers {
                gate: None,
                counters,
                threads: Vec::new(),
                deployment,
            };
        };
        let (frame_tx, frame_rx) = std::sync::mpsc::sync_channel::<EncodedFrame>(opts.frame_queue);
        let (sample_tx, sample_rx) = std::sync::mpsc::sync_channel(opts.detect_queue);
        let mut threads = Vec::new();
        let spawned = {
            let vision = pipeline.vision.clone();
            let sink = pipeline.sink.clone();
            let counters = counters.clone();
            let (camera, session) = (camera.to_string(), session.to_string());
            let still_after = opts.still_keyframes_after_s;
            std::thread::Builder::new()
                .name(format!("detect-{camera}"))
                .spawn(move || {
                    vision_loop(
                        sample_rx,
                        detector,
                        vision,
                        camera,
                        session,
                        sink,
                        counters,
                        still_after,
                    )
                })
        };
        threads.extend(spawned.map_err(|e| tracing::error!("camera {camera}: no detector thread: {e}")));
        let fps = pipeline.vision.video_fps;
        let decode_counters = counters.clone();
        let still_every = opts.keyframe_interval;
        let spawned = std::thread::Builder::new()
            .name(format!("decode-{camera}"))
            .spawn(move || {
                decode_loop(
                    frame_rx,
                    fps,
                    Some(sample_tx),
                    decode_counters,
                    want_keyframe,
                    still_every,
                )
            });
        threads.extend(spawned.map_err(|e| tracing::error!("camera {camera}: no decoder thread: {e}")));
        Workers {
            gate: Some(FrameGate::new(frame_tx)),
            counters,
            threads,
            deployment,
        }
    }

    /// The stream lost packets: frames are dropped until a keyframe.
    pub(crate) fn lost(&mut self) {
        if let Some(g) = &mut self.gate {
            g.lost();
        }
    }

    /// Offers one whole frame to the decoder; true when it was dropped (a keyframe is
    /// needed).
    pub(crate) fn offer(&mut self, frame: EncodedFrame) -> bool {
        let Some(gate) = &mut self.gate else { return false };
        match gate.offer(frame) {
            Offered::Queued | Offered::Closed => false,
            Offered::DroppedFull | Offered::DroppedWaiting => {
                self.counters.frames_dropped.fetch_add(1, Ordering::Relaxed);
                true
            }
        }
    }

    /// Closes the queue and waits for the decoder and the detector to finish (the open event
    /// is written then).
    pub(crate) async fn finish(mut self) {
        self.gate = None;
        let threads = std::mem::take(&mut self.threads);
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
        if let Some((store, d)) = self.deployment.take()
            && let Err(e) = store.extend_deployment(&d, chrono::Utc::now()).await
        {
            tracing::warn!("could not extend deployment {d} to the stream's end: {e}");
        }
    }
}

/// Assembles whole frames from a track's RTP packets.
enum Assembler {
    H264(Box<SampleBuilder<H264Packet>>),
    Vp8(Box<SampleBuilder<Vp8Packet>>),
}

impl Assembler {
    fn new(kind: Option<Codec>) -> Assembler {
        match kind {
            Some(Codec::Vp8) => Assembler::Vp8(Box::new(SampleBuilder::new(256, Vp8Packet::default(), 90000))),
            _ => Assembler::H264(Box::new(SampleBuilder::new(256, H264Packet::default(), 90000))),
        }
    }

    fn push(&mut self, now: Instant, packet: rtp::Packet) {
        match self {
            Assembler::H264(b) => b.push(now, packet),
            Assembler::Vp8(b) => b.push(now, packet),
        }
    }

    fn pop(&mut self, now: Instant) -> Option<rtc::media::Sample> {
        match self {
            Assembler::H264(b) => b.pop(now),
            Assembler::Vp8(b) => b.pop(now),
        }
    }
}

/// Reads the publisher's track until it ends: relays packets, assembles frames, feeds the
/// decoder through the frame gate, asks for keyframes.
async fn run_stream(publisher: Arc<Publisher>, track: Arc<dyn TrackRemote>, opts: SessionOptions, pipeline: Pipeline) {
    let camera = publisher.camera_id.clone();
    let counters = pipeline.counters.clone();
    let ssrc = track.ssrcs().await.first().copied().unwrap_or(0);
    let codec = track.codec(ssrc).await;
    if let Some(c) = &codec {
        *counters.codec.lock().expect("codec lock") = Some(c.mime_type.clone());
    }
    *counters.source.lock().expect("source lock") = Some(Source::Whip);
    *publisher.codec.lock().expect("codec lock") = codec.clone();
    let kind = match &codec {
        Some(c) if c.mime_type.eq_ignore_ascii_case(MIME_TYPE_VP8) => Some(Codec::Vp8),
        Some(c) if !c.mime_type.eq_ignore_ascii_case(MIME_TYPE_H264) => None,
        _ => Some(Codec::H264),
    };
    counters.connected.store(true, Ordering::Relaxed);
    tracing::info!("camera {camera}: publisher {} streaming", publisher.id);

    let mut workers = Workers::start(&camera, &publisher.id, &opts, pipeline, publisher.want_keyframe.clone());
    let mut builder = Assembler::new(kind);
    let pli = |track: Arc<dyn TrackRemote>| async move {
        let _ = track
            .write_rtcp(vec![Box::new(PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc: ssrc,
            })])
            .await;
    };
    pli(track.clone()).await;
    let mut keyframe_timer = tokio::time::interval(opts.keyframe_interval);
    keyframe_timer.tick().await;
    let mut last_packet = Instant::now();
    let mut last_pli = Instant::now();
    let mut idle_check = tokio::time::interval(Duration::from_millis(250));
    let why = loop {
        tokio::select! {
            ev = track.poll() => match ev {
                Some(TrackRemoteEvent::OnRtpPacket(packet)) => {
                    last_packet = Instant::now();
                    counters.packets.fetch_add(1, Ordering::Relaxed);
                    counters.bytes.fetch_add(packet.payload.len() as u64, Ordering::Relaxed);
                    if publisher.rtp.receiver_count() > 0 {
                        let _ = publisher.rtp.send(packet.clone());
                    }
                    let Some(kind) = kind else { continue };
                    builder.push(last_packet, packet);
                    let mut lost = false;
                    while let Some(sample) = builder.pop(Instant::now()) {
                        counters.frames.fetch_add(1, Ordering::Relaxed);
                        counters.last_frame_ms.store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
                        if sample.prev_dropped_packets > 0 {
                            workers.lost();
                        }
                        let keyframe = match kind {
                            Codec::H264 => is_h264_keyframe(&sample.data),
                            Codec::Vp8 => is_vp8_keyframe(&sample.data),
                        };
                        let frame = EncodedFrame { data: sample.data, rtp_ts: sample.packet_timestamp, keyframe, codec: kind };
                        lost |= workers.offer(frame);
                    }
                    if lost && last_pli.elapsed() > Duration::from_millis(500) {
                        last_pli = Instant::now();
                        pli(track.clone()).await;
                    }
                }
                Some(TrackRemoteEvent::OnEnded) | None => break "track ended",
                Some(_) => {}
            },
            _ = keyframe_timer.tick() => {
                last_pli = Instant::now();
                pli(track.clone()).await;
            }
            _ = publisher.want_keyframe.notified() => {
                last_pli = Instant::now();
                pli(track.clone()).await;
            }
            _ = idle_check.tick() => {
                if last_packet.elapsed() > opts.idle_timeout {
                    break "no packets (publisher gone)";
                }
            }
            _ = publisher.ended.cancelled() => break "session ended",
        }
    };
    tracing::info!("camera {camera}: publisher {} stopped: {why}", publisher.id);
    publisher.ended.cancel();
    counters.connected.store(false, Ordering::Relaxed);
    // Let the decoder and the detector finish (the open event is written now).
    workers.finish().await;
    let _ = publisher.pc.close().await;
}

/// A WHEP viewer of one camera.
pub struct Viewer {
    /// Session id.
    pub id: String,
    /// The connection.
    pub pc: Arc<dyn PeerConnection>,
    /// Cancelled when the viewer leaves or the publisher ends.
    pub ended: CancellationToken,
}

impl std::fmt::Debug for Viewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Viewer").field("id", &self.id).finish()
    }
}

/// The payload type our answer gives the first codec named `codec` (`H264`, `VP8`; the
/// viewer's numbering).
fn payload_type(sdp: &str, codec: &str) -> Option<u8> {
    let prefix = format!("{}/", codec.to_ascii_uppercase());
    let mut order: Vec<u8> = Vec::new();
    let mut h264: Vec<u8> = Vec::new();
    for line in sdp.lines() {
        if let Some(m) = line.strip_prefix("m=video ") {
            order = m.split_whitespace().skip(2).filter_map(|p| p.parse().ok()).collect();
        } else if let Some(r) = line.strip_prefix("a=rtpmap:") {
            let mut it = r.splitn(2, ' ');
            if let (Some(pt), Some(codec)) = (it.next(), it.next())
                && codec.to_ascii_uppercase().starts_with(&prefix)
                && let Ok(pt) = pt.parse()
            {
                h264.push(pt);
            }
        }
    }
    order.into_iter().find(|pt| h264.contains(pt))
}

/// Answers a WHEP offer with a send-only track fed from a live stream's packets.
pub async fn start_viewer(
    publisher: RelaySource,
    offer: RTCSessionDescription,
    opts: &SessionOptions,
) -> Result<(Arc<Viewer>, String), OfferError> {
    let codec = publisher.codec.clone();
    let vp8 = codec.mime_type.eq_ignore_ascii_case(MIME_TYPE_VP8);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let ended = publisher.ended.child_token();
    let gathered = Arc::new(Notify::new());
    let connected = Arc::new(Notify::new());
    let handler = Handler {
        gathered: gathered.clone(),
        connected: connected.clone(),
        ended: ended.clone(),
        on_track: None,
        label: format!("viewer {}/{id}", publisher.camera_id),
    };
    let pc = peer_connection(&opts.media_host, handler).await?;
    let ssrc = (uuid::Uuid::new_v4().as_u128() & 0xffff_ffff) as u32;
    let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        format!("trailmesh-{}", publisher.camera_id),
        format!("video-{id}"),
        format!("camera {}", publisher.camera_id),
        RtpCodecKind::Video,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec,
            ..Default::default()
        }],
    )));
    pc.add_track(track.clone() as Arc<dyn TrackLocal>)
        .await
        .map_err(|e| OfferError::Internal(format!("WebRTC: {e}")))?;
    let sdp = match answer(&pc, offer, &gathered).await {
        Ok(sdp) => sdp,
        Err(e) => {
            let _ = pc.close().await;
            return Err(e);
        }
    };
    let name = if vp8 { "VP8" } else { "H264" };
    let pt = payload_type(&sdp, name)
        .ok_or_else(|| OfferError::BadOffer(format!("the WHEP offer accepts no {name} video, the camera's codec")))?;
    let viewer = Arc::new(Viewer {
        id,
        pc: pc.clone(),
        ended: ended.clone(),
    });
    tokio::spawn(async move {
        // Packets sent before DTLS is up are lost, the first keyframe with them: start
        // relaying once connected, at a keyframe asked for then.
        tokio::select! {
            _ = connected.notified() => {}
            _ = ended.cancelled() => {
                let _ = pc.close().await;
                return;
            }
        }
        let mut rx = publisher.rtp.subscribe();
        publisher.want_keyframe.notify_one();
        let mut waiting_for_keyframe = true;
        loop {
            tokio::select! {
                r = rx.recv() => match r {
                    Ok(mut p) => {
                        // Start at a keyframe so the viewer can decode the first picture.
                        if waiting_for_keyframe {
                            let starts = if vp8 { starts_vp8_keyframe(&p.payload) } else { starts_keyframe(&p.payload) };
                            if !starts {
                                continue;
                            }
                            waiting_for_keyframe = false;
                        }
                        p.header.ssrc = ssrc;
                        p.header.payload_type = pt;
                        p.header.extension = false;
                        p.header.extensions.clear();
                        p.header.extensions_padding = 0;
                        let _ = track.write_rtp(p).await;
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        waiting_for_keyframe = true;
                        publisher.want_keyframe.notify_one();
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = ended.cancelled() => break,
            }
        }
        let _ = pc.close().await;
    });
    Ok((viewer, sdp))
}

/// Whether an RTP payload (RFC 6184) starts an IDR picture or its parameter sets.
fn starts_keyframe(payload: &[u8]) -> bool {
    let Some(&b0) = payload.first() else { return false };
    match b0 & 0x1f {
        5 | 7 => true,
        // STAP-A: first aggregated NAL's header after the 2-byte size.
        24 => payload.get(3).is_some_and(|b| matches!(b & 0x1f, 5 | 7)),
        // FU-A: start bit and the original NAL type.
        28 => payload.get(1).is_some_and(|b| b & 0x80 != 0 && b & 0x1f == 5),
        _ => false,
    }
}

/// Whether an RTP payload (RFC 7741) starts a VP8 keyframe: the first packet of a frame
/// (S set, partition 0) whose VP8 header has the P bit clear.
fn starts_vp8_keyframe(payload: &[u8]) -> bool {
    let Some(&b0) = payload.first() else { return false };
    if b0 & 0x10 == 0 || b0 & 0x07 != 0 {
        return false;
    }
    let mut i = 1;
    if b0 & 0x80 != 0 {
        let Some(&x) = payload.get(1) else { return false };
        i = 2;
        if x & 0x80 != 0 {
            // PictureID: 7 or 15 bits (M flag).
            let Some(&p) = payload.get(i) else { return false };
            i += if p & 0x80 != 0 { 2 } else { 1 };
        }
        if x & 0x40 != 0 {
            i += 1; // TL0PICIDX
        }
        if x & 0x30 != 0 {
            i += 1; // TID / KEYIDX
        }
    }
    payload.get(i).is_some_and(|h| h & 1 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vp8_keyframe_starts_are_seen_behind_the_payload_descriptor() {
        // S=1, PID 0, no extension; VP8 header P=0.
        assert!(starts_vp8_keyframe(&[0x10, 0x00, 0x9d]));
        // P=1: an interframe.
        assert!(!starts_vp8_keyframe(&[0x10, 0x01]));
        // Not the start of a partition.
        assert!(!starts_vp8_keyframe(&[0x00, 0x00]));
        // X with a 15-bit PictureID and TL0PICIDX, then a keyframe.
        assert!(starts_vp8_keyframe(&[0x90, 0xc0, 0x81, 0x23, 0x05, 0x00]));
        assert!(!starts_vp8_keyframe(&[0x90, 0xc0, 0x81, 0x23, 0x05, 0x01]));
    }

    #[test]
    fn malformed_or_unusable_offers_are_refused_with_the_reason() {
        let e = parse_offer("", "").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = parse_offer("hello, this is not SDP", "").unwrap_err().to_string();
        assert!(e.contains("not a valid SDP offer"), "{e}");
        let audio_only = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n";
        let e = parse_offer(audio_only, "").unwrap_err().to_string();
        assert!(e.contains("no video section"), "{e}");
        let vp8 = audio_only
            .replace("m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=video 9 UDP/TLS/RTP/SAVPF 96")
            .replace("111 opus/48000/2", "96 VP8/90000");
        if VP8 {
            assert!(parse_offer(&vp8, "").is_ok(), "FFmpeg decodes VP8");
            let vp9 = vp8.replace("VP8", "VP9");
            let e = parse_offer(&vp9, "").unwrap_err().to_string();
            assert!(e.contains("neither H264 nor VP8"), "{e}");
        } else {
            let e = parse_offer(&vp8, "").unwrap_err().to_string();
            assert!(e.contains("no H264"), "{e}");
        }
        let h264 = vp8.replace("VP8", "H264");
        assert!(parse_offer(&h264, "").is_ok());
    }

    #[test]
    fn the_answer_payload_type_is_the_first_h264_in_m_line_order() {
        let sdp = "m=video 9 UDP/TLS/RTP/SAVPF 97 98 99\r\na=rtpmap:97 VP8/90000\r\na=rtpmap:99 H264/90000\r\na=rtpmap:98 h264/90000\r\n";
        assert_eq!(payload_type(sdp, "H264"), Some(98));
        assert_eq!(payload_type(sdp, "VP8"), Some(97));
        assert_eq!(
            payload_type("m=video 9 X 97\r\na=rtpmap:97 VP8/90000\r\n", "H264"),
            None
        );
    }

    #[test]
    fn keyframe_starts_are_seen_in_single_stap_a_and_fu_a_payloads() {
        assert!(starts_keyframe(&[0x65, 1]));
        assert!(starts_keyframe(&[0x78, 0, 5, 0x67, 1, 2, 3]));
        assert!(starts_keyframe(&[0x7c, 0x85, 1]));
        assert!(!starts_keyframe(&[0x7c, 0x05, 1]), "not the first fragment");
        assert!(!starts_keyframe(&[0x41, 1]));
    }
}
