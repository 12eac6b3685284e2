//! RTSP pull: cameras configured with `rtsp_url` are played by the gateway (the `retina`
//! client, RTP over the RTSP connection by default), their H.264 frames fed to the same
//! decoder and detector threads as a WHIP publisher's. A dropped or refused stream is
//! retried with exponential backoff (1 s doubling to 30 s, back to 1 s after a stream that
//! lasted a minute); each session's open event is closed when its stream ends.

use crate::Inner;
use crate::config::{CameraConfig, redact};
use crate::decode::EncodedFrame;
use crate::health::Source;
use crate::session::{RelaySource, Workers};
use anyhow::{Context, Result, anyhow};
use futures::StreamExt;
use retina::client::{Credentials, PlayOptions, Session, SessionOptions, SetupOptions, Transport};
use retina::codec::{CodecItem, FrameFormat};
use rtc::rtp;
use rtc::rtp::codec::h264::H264Payloader;
use rtc::rtp::packetizer::Payloader;
use rtc::rtp_transceiver::rtp_sender::RTCRtpCodec;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// First and longest wait between reconnection attempts.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A stream that lasted this long resets the backoff.
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// DESCRIBE, SETUP and PLAY together must finish within this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Pulls one camera until the gateway shuts down.
pub(crate) async fn pull(inner: Arc<Inner>, camera: CameraConfig) {
    let Some(url) = camera.rtsp_url.clone() else { return };
    let shown = redact(&url);
    let mut backoff = BACKOFF_MIN;
    loop {
        let started = Instant::now();
        // Not raced against shutdown: the session sees it and closes its open event first.
        let outcome = stream_once(&inner, &camera, &url).await;
        match outcome {
            Ok(why) => tracing::info!("camera {}: RTSP {shown}: stream ended ({why})", camera.id),
            Err(e) => tracing::warn!("camera {}: RTSP {shown}: {e:#}", camera.id),
        }
        if inner.shutdown.is_cancelled() {
            return;
        }
        if started.elapsed() > STABLE_AFTER {
            backoff = BACKOFF_MIN;
        }
        tracing::info!(
            "camera {}: reconnecting to {shown} in {} s",
            camera.id,
            backoff.as_secs()
        );
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = inner.shutdown.cancelled() => return,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// Credentials from the URL's user info, and the URL without them.
fn split_credentials(url: &str) -> Result<(url::Url, Option<Credentials>)> {
    let mut u = url::Url::parse(url).with_context(|| format!("rtsp_url {} is not a URL", redact(url)))?;
    let creds = (!u.username().is_empty()).then(|| Credentials {
        username: percent_decode(u.username()),
        password: percent_decode(u.password().unwrap_or("")),
    });
    let _ = u.set_username("");
    let _ = u.set_password(None);
    Ok((u, creds))
}

/// Decodes `%XX` escapes in URL user info.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// One RTSP session: connect, play, feed frames until the stream ends. Returns why it ended;
/// an error when it could not start or broke.
async fn stream_once(inner: &Arc<Inner>, camera: &CameraConfig, url: &str) -> Result<&'static str> {
    let (url, creds) = split_credentials(url)?;
    let transport: Transport = camera
        .rtsp_transport
        .as_deref()
        .unwrap_or("tcp")
        .parse()
        .map_err(|e| anyhow!("rtsp_transport: {e}"))?;
    let connect = async {
        let options = SessionOptions::default()
            .creds(creds)
            .user_agent(format!("trailmesh-camera-gateway/{}", env!("CARGO_PKG_VERSION")));
        let mut session = Session::describe(url, options).await.context("DESCRIBE failed")?;
        let found: Vec<String> = session
            .streams()
            .iter()
            .map(|s| format!("{}/{}", s.media(), s.encoding_name()))
            .collect();
        let video = session
            .streams()
            .iter()
            .position(|s| s.media() == "video" && s.encoding_name().eq_ignore_ascii_case("h264"))
            .ok_or_else(|| {
                anyhow!(
                    "the source offers no H.264 video (it offers: {}); the gateway decodes H.264 only",
                    if found.is_empty() {
                        "nothing".to_string()
                    } else {
                        found.join(", ")
                    }
                )
            })?;
        session
            .setup(
                video,
                SetupOptions::default()
                    .transport(transport)
                    .frame_format(FrameFormat::SIMPLE),
            )
            .await
            .context("SETUP failed")?;
        let playing = session.play(PlayOptions::default()).await.context("PLAY failed")?;
        playing.demuxed().context("the stream cannot be depacketized")
    };
    let mut frames = tokio::select! {
        r = tokio::time::timeout(CONNECT_TIMEOUT, connect) => {
            r.map_err(|_| anyhow!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))??
        }
        _ = inner.shutdown.cancelled() => return Ok("gateway shutting down"),
    };

    let counters = inner.counters[&camera.id].clone();
    let session_id = uuid::Uuid::new_v4().simple().to_string();
    let pipeline = inner.pipeline(&camera.id).await?;
    // RTSP has no keyframe request: an IP camera sends keyframes on its own schedule.
    let no_keyframe_requests = Arc::new(tokio::sync::Notify::new());
    let mut workers = Workers::start(&camera.id, &session_id, &inner.options, pipeline, no_keyframe_requests);
    *counters.codec.lock().expect("codec lock") = Some("video/H264".to_string());
    *counters.source.lock().expect("source lock") = Some(Source::Rtsp);
    counters.connected.store(true, Ordering::Relaxed);
    tracing::info!("camera {}: RTSP session {session_id} playing", camera.id);
    // WHEP viewers get the frames packetized again (RFC 6184), once the first keyframe told
    // the profile.
    let relay_ended = inner.shutdown.child_token();
    let mut relay = Repacketizer::new();
    let (rtp_tx, _) = tokio::sync::broadcast::channel::<rtp::Packet>(512);
    let mut relayed = false;
    let idle = inner.options.idle_timeout;
    let ended = loop {
        let item = tokio::select! {
            item = tokio::time::timeout(idle, frames.next()) => item,
            _ = inner.shutdown.cancelled() => break Ok("gateway shutting down"),
        };
        match item {
            Err(_) => break Ok("no frames (camera gone)"),
            Ok(None) => break Ok("the camera ended the stream"),
            Ok(Some(Err(e))) => break Err(anyhow!(e).context("the stream broke")),
            Ok(Some(Ok(CodecItem::VideoFrame(f)))) => {
                counters.frames.fetch_add(1, Ordering::Relaxed);
                counters
                    .last_frame_ms
                    .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
                if f.loss() > 0 {
                    workers.lost();
                }
                let keyframe = f.is_random_access_point();
                let rtp_ts = f.timestamp().timestamp() as u32;
                let data = bytes::Bytes::from(f.into_data());
                counters.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                if keyframe && !relayed {
                    relayed = true;
                    inner.rtsp_relays.lock().expect("relays lock").insert(
                        camera.id.clone(),
                        RelaySource {
                            camera_id: camera.id.clone(),
                            rtp: rtp_tx.clone(),
                            codec: h264_codec(&data),
                            ended: relay_ended.clone(),
                            want_keyframe: Arc::new(tokio::sync::Notify::new()),
                        },
                    );
                }
                if rtp_tx.receiver_count() > 0 {
                    for p in relay.packets(&data, rtp_ts) {
                        let _ = rtp_tx.send(p);
                    }
                }
                workers.offer(EncodedFrame {
                    data,
                    rtp_ts,
                    keyframe,
                    codec: crate::decode::Codec::H264,
                });
            }
            Ok(Some(Ok(_))) => {}
        }
    };
    counters.connected.store(false, Ordering::Relaxed);
    relay_ended.cancel();
    if relayed {
        inner.rtsp_relays.lock().expect("relays lock").remove(&camera.id);
    }
    drop(frames);
    // The decoder and the detector finish; the open event is written now.
    workers.finish().await;
    ended
}

/// The codec WHEP viewers are offered: H.264 with the stream's own profile-level-id.
fn h264_codec(keyframe: &[u8]) -> RTCRtpCodec {
    let profile = crate::decode::h264_sps(keyframe)
        .filter(|s| s.len() >= 4)
        .map(|s| format!("{:02x}{:02x}{:02x}", s[1], s[2], s[3]))
        .unwrap_or_else(|| "42e01f".to_string());
    RTCRtpCodec {
        mime_type: rtc::peer_connection::configuration::media_engine::MIME_TYPE_H264.to_string(),
        clock_rate: 90000,
        channels: 0,
        sdp_fmtp_line: format!("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id={profile}"),
        rtcp_feedback: Vec::new(),
    }
}

/// Packetizes whole frames into RTP (payload type and SSRC are rewritten per viewer).
struct Repacketizer {
    payloader: H264Payloader,
    sequence: u16,
}

impl Repacketizer {
    fn new() -> Repacketizer {
        Repacketizer {
            payloader: H264Payloader::default(),
            sequence: 0,
        }
    }

    fn packets(&mut self, frame: &bytes::Bytes, timestamp: u32) -> Vec<rtp::Packet> {
        let payloads = match self.payloader.payload(1200, frame) {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!("cannot packetize a frame for viewers: {e}");
                return Vec::new();
            }
        };
        let last = payloads.len().saturating_sub(1);
        payloads
            .into_iter()
            .enumerate()
            .map(|(i, payload)| {
                self.sequence = self.sequence.wrapping_add(1);
                rtp::Packet {
                    header: rtp::header::Header {
                        version: 2,
                        marker: i == last,
                        payload_type: 96,
                        sequence_number: self.sequence,
                        timestamp,
                        ..Default::default()
                    },
                    payload,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_viewers_codec_carries_the_streams_profile() {
        let au = [
            0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0, 0, 0, 1, 0x68, 0xee, 0, 0, 1, 0x65, 0x88,
        ];
        assert_eq!(crate::decode::h264_sps(&au).unwrap()[..4], [0x67, 0x64, 0x00, 0x1f]);
        assert!(h264_codec(&au).sdp_fmtp_line.ends_with("profile-level-id=64001f"));
        assert!(h264_codec(&[0, 0, 1, 0x65, 1]).sdp_fmtp_line.ends_with("42e01f"));
        let mut r = Repacketizer::new();
        let big: Vec<u8> = [0u8, 0, 0, 1, 0x65]
            .into_iter()
            .chain(std::iter::repeat_n(7u8, 5000))
            .collect();
        let packets = r.packets(&bytes::Bytes::from(big), 9000);
        assert!(packets.len() >= 5, "fragmented to the MTU");
        assert!(
            packets
                .iter()
                .all(|p| p.header.timestamp == 9000 && p.payload.len() <= 1200)
        );
        assert_eq!(packets.iter().filter(|p| p.header.marker).count(), 1);
        assert!(packets.last().unwrap().header.marker);
    }

    #[test]
    fn credentials_come_out_of_the_url_decoded() {
        let (u, c) = split_credentials("rtsp://ad%40min:p%3Ass@192.0.2.7:554/s?x=1").unwrap();
        assert_eq!(u.as_str(), "rtsp://192.0.2.7:554/s?x=1");
        let c = c.unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("ad@min", "p:ss"));
        let (u, c) = split_credentials("rtsp://192.0.2.7/s").unwrap();
        assert_eq!(u.as_str(), "rtsp://192.0.2.7/s");
        assert!(c.is_none());
        assert_eq!(percent_decode("100%"), "100%");
    }
}
