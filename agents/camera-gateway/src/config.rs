//! The `[gateway]` section of the configuration.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `[gateway]`: where the camera gateway listens, its cameras and their tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// HTTP address for WHIP and WHEP (loopback by default; port 0 picks a free port).
    pub listen: String,
    /// Address the WebRTC media sockets bind (one UDP socket per session; loopback by default).
    pub media_host: String,
    /// Encoded frames queued between a stream and its decoder; when full, whole frames are
    /// dropped and decoding resumes at the next keyframe.
    pub frame_queue: usize,
    /// Sampled frames queued between the decoder and the detector; when full, a sample is
    /// skipped (the decoder never waits for the detector).
    pub detect_queue: usize,
    /// Seconds without a packet after which a publisher counts as gone (its event is closed).
    pub idle_timeout_s: f64,
    /// Seconds between keyframe requests (PLI) sent to a publisher.
    pub keyframe_interval_s: f64,
    /// Seconds between camera-health writes to the database.
    pub health_interval_s: f64,
    /// After this many seconds without motion, decode only keyframes (one per
    /// `keyframe_interval_s`, asked for) until the motion gate fires again; 0: always decode
    /// every frame. Saves most of an idle stream's cost; motion is then seen up to one
    /// keyframe interval late.
    pub still_keyframes_after_s: f64,
    /// Run the detector on live streams (needs ONNX Runtime: `trailmesh vision setup`).
    pub detect: bool,
    /// Token that WHEP viewers must send as `Authorization: Bearer <token>` (none: viewers
    /// need no token, which is only sensible on loopback).
    pub viewer_token: Option<String>,
    /// The cameras allowed to publish.
    pub cameras: Vec<CameraConfig>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: "127.0.0.1:0".to_string(),
            media_host: "127.0.0.1".to_string(),
            frame_queue: 30,
            detect_queue: 4,
            idle_timeout_s: 5.0,
            keyframe_interval_s: 3.0,
            health_interval_s: 2.0,
            still_keyframes_after_s: 10.0,
            detect: true,
            viewer_token: None,
            cameras: Vec::new(),
        }
    }
}

/// `[[gateway.cameras]]`: one camera allowed to publish over WHIP.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraConfig {
    /// Camera id (the `{camera_id}` of `/whip/{camera_id}`), e.g. `CREEK-01`.
    pub id: String,
    /// Human name, used when the camera is new to the database.
    pub name: Option<String>,
    /// The bearer token, in clear (prefer `token_sha256`).
    pub token: Option<String>,
    /// SHA-256 of the bearer token, lowercase hex (`printf %s TOKEN | sha256sum`).
    pub token_sha256: Option<String>,
    /// Pull this camera's H.264 video from an RTSP URL (`rtsp://user:password@host:554/path`)
    /// instead of waiting for it to publish; reconnects with backoff when the stream drops.
    /// Such a camera has no token: it is pulled, it does not publish over WHIP (one stream, one
    /// set of counters per camera).
    pub rtsp_url: Option<String>,
    /// RTP transport for `rtsp_url`: `tcp` (interleaved on the RTSP connection; default,
    /// works through NAT and firewalls) or `udp`.
    pub rtsp_transport: Option<String>,
    /// Frames per second this camera's stream is sampled at for the motion gate and the
    /// detector (default: `vision.video_fps`, 5). Lower it for cameras that only see slow
    /// animals, raise it for fast ones.
    pub detect_fps: Option<f64>,
}

impl CameraConfig {
    /// Whether `presented` is this camera's token (compared as SHA-256 digests).
    pub fn accepts(&self, presented: &str) -> bool {
        let digest = sha256_hex(presented);
        let want = match (&self.token_sha256, &self.token) {
            (Some(h), _) => h.to_ascii_lowercase(),
            (None, Some(t)) => sha256_hex(t),
            (None, None) => return false,
        };
        constant_time_eq(digest.as_bytes(), want.as_bytes())
    }
}

/// SHA-256 of a token as lowercase hex.
pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl GatewayConfig {
    /// Checks the section; every message names the setting to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.frame_queue == 0 {
            return Err("gateway.frame_queue must be at least 1".into());
        }
        if self.detect_queue == 0 {
            return Err("gateway.detect_queue must be at least 1".into());
        }
        for (name, v) in [
            ("idle_timeout_s", self.idle_timeout_s),
            ("keyframe_interval_s", self.keyframe_interval_s),
            ("health_interval_s", self.health_interval_s),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("gateway.{name} must be a positive number of seconds, not {v}"));
            }
        }
        if !(self.still_keyframes_after_s.is_finite() && self.still_keyframes_after_s >= 0.0) {
            return Err(format!(
                "gateway.still_keyframes_after_s must be 0 (off) or a positive number of seconds, not {}",
                self.still_keyframes_after_s
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.cameras {
            if c.id.is_empty() || !c.id.chars().all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch)) {
                return Err(format!(
                    "gateway.cameras: camera id '{}' must be letters, digits, '-', '_' or '.'",
                    c.id
                ));
            }
            if !seen.insert(c.id.as_str()) {
                return Err(format!("gateway.cameras: camera '{}' is listed twice", c.id));
            }
            if let Some(url) = &c.rtsp_url {
                check_rtsp_url(&c.id, url)?;
            }
            if let Some(t) = &c.rtsp_transport
                && !matches!(t.as_str(), "tcp" | "udp")
            {
                return Err(format!(
                    "gateway.cameras: camera '{}': rtsp_transport must be \"tcp\" or \"udp\", not \"{t}\"",
                    c.id
                ));
            }
            if let Some(fps) = c.detect_fps
                && !(fps.is_finite() && fps > 0.0 && fps <= 60.0)
            {
                return Err(format!(
                    "gateway.cameras: camera '{}': detect_fps must be in (0, 60], not {fps}",
                    c.id
                ));
            }
            if c.rtsp_url.is_some() && (c.token.is_some() || c.token_sha256.is_some()) {
                return Err(format!(
                    "gateway.cameras: camera '{}' has both rtsp_url and a token: a camera is either pulled over RTSP (rtsp_url) or publishes over WHIP (token), not both",
                    c.id
                ));
            }
            match (&c.token, &c.token_sha256) {
                (None, None) if c.rtsp_url.is_some() => {}
                (None, None) => {
                    return Err(format!(
                        "gateway.cameras: camera '{}' has no token (set token_sha256 or token to let it publish, or rtsp_url to pull it)",
                        c.id
                    ));
                }
                (_, Some(h)) if h.len() != 64 || !h.chars().all(|ch| ch.is_ascii_hexdigit()) => {
                    return Err(format!(
                        "gateway.cameras: camera '{}': token_sha256 must be 64 hex digits",
                        c.id
                    ));
                }
                (Some(t), _) if t.is_empty() => {
                    return Err(format!("gateway.cameras: camera '{}': token is empty", c.id));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The cameras pulled over RTSP.
    pub fn rtsp_cameras(&self) -> impl Iterator<Item = &CameraConfig> {
        self.cameras.iter().filter(|c| c.rtsp_url.is_some())
    }

    /// The configured camera with this id.
    pub fn camera(&self, id: &str) -> Option<&CameraConfig> {
        self.cameras.iter().find(|c| c.id == id)
    }
}

/// An RTSP URL we can pull: `rtsp://`, with a host.
fn check_rtsp_url(camera: &str, url: &str) -> Result<(), String> {
    let parsed =
        url::Url::parse(url).map_err(|e| format!("gateway.cameras: camera '{camera}': rtsp_url is not a URL ({e})"))?;
    if parsed.scheme() != "rtsp" {
        return Err(format!(
            "gateway.cameras: camera '{camera}': rtsp_url must start with rtsp:// (RTSP over TLS is not supported yet), not {}://",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("gateway.cameras: camera '{camera}': rtsp_url has no host"));
    }
    Ok(())
}

/// A URL with its password replaced by `***`, for logs and errors.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(unparsable URL)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_in_clear_or_hashed_and_nothing_else() {
        let clear = CameraConfig {
            id: "A".into(),
            token: Some("s3cret".into()),
            ..Default::default()
        };
        assert!(clear.accepts("s3cret"));
        assert!(!clear.accepts("s3cret "));
        assert!(!clear.accepts(""));
        let hashed = CameraConfig {
            id: "B".into(),
            token_sha256: Some(sha256_hex("other").to_uppercase()),
            ..Default::default()
        };
        assert!(hashed.accepts("other"));
        assert!(!hashed.accepts("s3cret"));
        let none = CameraConfig {
            id: "C".into(),
            ..Default::default()
        };
        assert!(!none.accepts(""));
    }

    #[test]
    fn validation_names_the_bad_setting() {
        let mut cfg = GatewayConfig::default();
        cfg.cameras.push(CameraConfig {
            id: "CAM 1".into(),
            token: Some("t".into()),
            ..Default::default()
        });
        assert!(cfg.validate().unwrap_err().contains("'CAM 1'"));
        cfg.cameras[0].id = "CAM-1".into();
        assert!(cfg.validate().is_ok());
        cfg.cameras.push(cfg.cameras[0].clone());
        assert!(cfg.validate().unwrap_err().contains("listed twice"));
        cfg.cameras.pop();
        cfg.cameras[0].token = None;
        assert!(cfg.validate().unwrap_err().contains("no token"));
        // A pulled camera needs no token; its URL and transport are checked.
        cfg.cameras[0].rtsp_url = Some("rtsp://u:p@192.0.2.7:554/stream1".into());
        assert!(cfg.validate().is_ok());
        cfg.cameras[0].token = Some("t".into());
        assert!(cfg.validate().unwrap_err().contains("both rtsp_url and a token"));
        cfg.cameras[0].token = None;
        cfg.cameras[0].rtsp_transport = Some("quic".into());
        assert!(cfg.validate().unwrap_err().contains("rtsp_transport"));
        cfg.cameras[0].rtsp_transport = Some("udp".into());
        cfg.cameras[0].rtsp_url = Some("http://192.0.2.7/stream1".into());
        assert!(cfg.validate().unwrap_err().contains("rtsp://"));
        cfg.cameras[0].rtsp_url = Some("not a url".into());
        assert!(cfg.validate().unwrap_err().contains("rtsp_url is not a URL"));
        cfg.cameras[0].rtsp_url = Some("rtsp://u:p@192.0.2.7:554/stream1".into());
        cfg.cameras[0].detect_fps = Some(0.0);
        assert!(cfg.validate().unwrap_err().contains("detect_fps"));
        cfg.cameras[0].detect_fps = Some(2.5);
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact("rtsp://admin:hunter2@192.0.2.7/s"),
            "rtsp://admin:***@192.0.2.7/s"
        );
        assert_eq!(redact("rtsp://192.0.2.7/s"), "rtsp://192.0.2.7/s");
        assert!(!redact("rtsp://a:b c@/").contains("b c"));
    }
}
