//! The trailmesh camera gateway: live cameras in, events out.
//!
//! - WHIP ingest (`POST /whip/{camera_id}`, RFC 9725): an `application/sdp` offer with the
//!   camera's bearer token in, `201 Created` + `Location: /whip/{camera_id}/{session}` + the
//!   SDP answer out; `DELETE` on the Location ends the session.
//! - Each stream's H.264 frames go through a bounded queue (whole frames dropped when full,
//!   resuming at a keyframe) to a decoder thread, which samples `vision.video_fps` frames per
//!   second for a detector thread running `trailmesh_vision::pipeline::CameraRun`; finished
//!   events are written after `vision.events.gap_s` of quiet and when the stream ends.
//! - RTSP pull: cameras with an `rtsp_url` are played by the gateway itself (reconnecting
//!   with backoff) and go through the same decoder and detector threads.
//! - WHEP relay (`POST /whep/{camera_id}`): viewers get the publisher's RTP packets, not
//!   re-encoded (an RTSP camera's frames are packetized again, not re-encoded either).
//! - Health per camera (connected, fps, bitrate, last frame, last event) at `GET /cameras`
//!   and in the database (`camera_live`), which the camera-inventory skill reports.
//!
//! This is the only crate that links WebRTC (`webrtc`, `rtc`) and an H.264 decoder
//! (`openh264`).

pub mod config;
pub mod decode;
pub mod describe;
#[cfg(feature = "ffmpeg")]
mod ffdecode;
pub mod health;
mod http;
pub mod live;
mod rtsp;
pub mod session;

pub use config::{CameraConfig, GatewayConfig};
pub use health::CameraHealth;

use anyhow::{Context, Result};
use health::Counters;
use session::{Publisher, RelaySource, SessionOptions, Viewer};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use trailmesh_core::Store;
use trailmesh_vision::{Detector, SharedDetector, VisionConfig};

/// Shared state of a running gateway.
pub(crate) struct Inner {
    pub(crate) config: GatewayConfig,
    pub(crate) vision: VisionConfig,
    pub(crate) detector: Option<Arc<SharedDetector>>,
    /// Event descriptions by a vision-language model (`vision.describe`), when on.
    pub(crate) describer: Option<describe::Describer>,
    pub(crate) store: Store,
    pub(crate) thumbnails: Option<PathBuf>,
    pub(crate) options: SessionOptions,
    pub(crate) counters: HashMap<String, Arc<Counters>>,
    pub(crate) publishers: Mutex<HashMap<String, Arc<Publisher>>>,
    /// RTSP cameras playing now, for WHEP viewers.
    pub(crate) rtsp_relays: Mutex<HashMap<String, RelaySource>>,
    pub(crate) viewers: Mutex<HashMap<String, (String, Arc<Viewer>)>>,
    pub(crate) shutdown: CancellationToken,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("listen", &self.config.listen).finish()
    }
}

impl Inner {
    /// What one camera's stream feeds: the detector, the database (with the camera's live
    /// deployment), its counters. Called on the runtime (the sink keeps its handle for the
    /// detector thread).
    pub(crate) async fn pipeline(&self, camera_id: &str) -> Result<session::Pipeline> {
        let counters = self.counters[camera_id].clone();
        let deployment = self.live_deployment(camera_id).await?;
        *counters.deployment.lock().expect("deployment lock") = Some(deployment.clone());
        let mut vision = self.vision.clone();
        if let Some(fps) = self
            .config
            .cameras
            .iter()
            .find(|c| c.id == camera_id)
            .and_then(|c| c.detect_fps)
        {
            vision.video_fps = fps;
        }
        Ok(session::Pipeline {
            detector: self.detector.clone(),
            vision,
            sink: live::LiveSink {
                store: self.store.clone(),
                handle: tokio::runtime::Handle::current(),
                thumbnails: self.thumbnails.clone(),
                deployment: Some(deployment),
                describer: self.describer.clone(),
            },
            counters,
        })
    }

    /// The deployment a live stream of this camera belongs to: the one covering now, or
    /// ended less than a minute ago (a reconnection), extended to now; else a new one
    /// starting now. It grows while the camera streams (the health writer extends it), so
    /// the effort the statistics count is the time the camera was connected.
    async fn live_deployment(&self, camera_id: &str) -> Result<String> {
        let now = chrono::Utc::now();
        let resume_after = now - chrono::Duration::seconds(60);
        let existing = self.store.deployments(Some(camera_id)).await?;
        if let Some(d) = existing
            .iter()
            .filter(|d| d.start <= now && d.end >= resume_after)
            .max_by_key(|d| d.end)
        {
            self.store.extend_deployment(&d.id, now).await?;
            return Ok(d.id.clone());
        }
        let camera = self.store.camera(camera_id).await?;
        // Whole milliseconds, as the database keeps them.
        let start = trailmesh_core::model::from_ms(trailmesh_core::model::to_ms(now));
        let id = format!("dep-{camera_id}-live-{}", now.format("%Y%m%dT%H%M%SZ"));
        let mut d = trailmesh_core::import::deployment_at(camera_id, camera.as_ref(), id, start, start, 0);
        d.tags = Some("live".to_string());
        d.comments = Some("live stream received by the camera gateway".to_string());
        let id = d.id.clone();
        let batch = trailmesh_core::Batch {
            deployments: vec![d],
            ..Default::default()
        };
        self.store.ingest(&batch, None).await?;
        Ok(id)
    }

    /// Health of every configured camera.
    pub(crate) fn health(&self) -> Vec<CameraHealth> {
        self.config
            .cameras
            .iter()
            .map(|c| self.counters[&c.id].health(&c.id))
            .collect()
    }
}

/// What `serve` needs besides the database.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// The `[gateway]` section.
    pub gateway: GatewayConfig,
    /// The `[vision]` section.
    pub vision: VisionConfig,
    /// Where event thumbnails go (`<event id>.jpg`).
    pub thumbnails: Option<PathBuf>,
    /// Address to listen on instead of `gateway.listen`.
    pub listen: Option<SocketAddr>,
}

/// A gateway serving in the background.
#[derive(Debug)]
pub struct RunningGateway {
    /// `http://host:port`.
    pub base_url: String,
    /// The bound address.
    pub addr: SocketAddr,
    /// Why detection is off, when it is.
    pub detection_off: Option<String>,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl RunningGateway {
    /// Every configured camera's health now (what `GET /cameras` returns).
    pub fn health(&self) -> Vec<CameraHealth> {
        self.inner.health()
    }

    /// The event describer's counters (none when `vision.describe` is off).
    pub fn descriptions(&self) -> Option<&describe::DescribeStats> {
        self.inner.describer.as_ref().map(describe::Describer::stats)
    }

    /// The shared detector's batching counters (none when detection is off).
    pub fn inference(&self) -> Option<&trailmesh_vision::batcher::BatchStats> {
        self.inner.detector.as_deref().map(SharedDetector::stats)
    }

    /// Waits until the gateway has stopped (after its shutdown token is cancelled), every
    /// stream closed and its open events written.
    pub async fn finished(self) -> Result<()> {
        self.task.await.context("gateway task panicked")?
    }
}

/// Starts the gateway: loads the detector (when `gateway.detect`), makes sure every
/// configured camera is in the database, binds, and serves until `shutdown` is cancelled.
pub async fn serve(store: Store, opts: GatewayOptions, shutdown: CancellationToken) -> Result<RunningGateway> {
    opts.gateway.validate().map_err(anyhow::Error::msg)?;
    let addr: SocketAddr = match opts.listen {
        Some(a) => a,
        None => opts.gateway.listen.parse().with_context(|| {
            format!(
                "gateway.listen '{}' is not an address like 127.0.0.1:8090",
                opts.gateway.listen
            )
        })?,
    };
    let (detector, detection_off) = if opts.gateway.cameras.is_empty() {
        (None, Some("no cameras are configured in [gateway] cameras".to_string()))
    } else if opts.gateway.detect {
        let vision = opts.vision.clone();
        let loaded = tokio::task::spawn_blocking(move || SharedDetector::start(Arc::new(Detector::load(&vision)?)));
        match loaded.await? {
            Ok(d) => (Some(Arc::new(d)), None),
            Err(e) => (None, Some(format!("the detector could not be loaded: {e}"))),
        }
    } else {
        (None, Some("gateway.detect is false".to_string()))
    };
    if let Some(why) = &detection_off {
        tracing::warn!("camera gateway: detection is off ({why}); streams are received and relayed only");
    }
    for c in &opts.gateway.cameras {
        if store.camera(&c.id).await?.is_none() {
            let name = c.name.clone().unwrap_or_else(|| c.id.clone());
            store
                .upsert_camera(&trailmesh_core::Camera::new(c.id.clone(), name))
                .await?;
        }
    }
    let describer = match (&detector, opts.vision.describe.enabled) {
        (Some(_), true) => {
            let d = &opts.vision.describe;
            tracing::info!("camera gateway: events are described by {} at {}", d.model, d.url);
            Some(describe::Describer::start(d.clone(), store.clone())?)
        }
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("camera gateway: cannot listen on {addr}"))?;
    let addr = listener.local_addr()?;
    let g = &opts.gateway;
    let inner = Arc::new(Inner {
        options: SessionOptions {
            media_host: g.media_host.clone(),
            frame_queue: g.frame_queue,
            detect_queue: g.detect_queue,
            idle_timeout: Duration::from_secs_f64(g.idle_timeout_s),
            keyframe_interval: Duration::from_secs_f64(g.keyframe_interval_s),
            still_keyframes_after_s: g.still_keyframes_after_s,
        },
        counters: g
            .cameras
            .iter()
            .map(|c| (c.id.clone(), Arc::new(Counters::default())))
            .collect(),
        config: opts.gateway.clone(),
        vision: opts.vision.clone(),
        detector,
        describer,
        store: store.clone(),
        thumbnails: opts.thumbnails.clone(),
        publishers: Mutex::new(HashMap::new()),
        rtsp_relays: Mutex::new(HashMap::new()),
        viewers: Mutex::new(HashMap::new()),
        shutdown: shutdown.clone(),
    });
    let app = http::router(inner.clone());
    let handle = inner.clone();
    let health_task = tokio::spawn(health_writer(inner.clone()));
    let pullers: Vec<_> = opts
        .gateway
        .rtsp_cameras()
        .map(|c| tokio::spawn(rtsp::pull(inner.clone(), c.clone())))
        .collect();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned())
            .await;
        // Close every stream and wait for its open event to be written.
        let publishers: Vec<Arc<Publisher>> = inner
            .publishers
            .lock()
            .expect("publishers lock")
            .values()
            .cloned()
            .collect();
        for p in publishers {
            p.ended.cancel();
            let mut done = p.done.clone();
            let _ = tokio::time::timeout(Duration::from_secs(30), done.wait_for(|d| *d)).await;
        }
        for p in pullers {
            let _ = tokio::time::timeout(Duration::from_secs(30), p).await;
        }
        let _ = health_task.await;
        served.context("camera gateway HTTP server")
    });
    Ok(RunningGateway {
        base_url: format!("http://{addr}"),
        addr,
        detection_off,
        inner: handle,
        task,
    })
}

/// Writes every camera's health to the database every `health_interval_s`, and once more
/// at shutdown.
async fn health_writer(inner: Arc<Inner>) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(inner.config.health_interval_s));
    loop {
        let stop = tokio::select! {
            _ = tick.tick() => false,
            _ = inner.shutdown.cancelled() => true,
        };
        if stop {
            // Give stream tasks a moment to mark themselves disconnected.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for h in inner.health() {
            if let Err(e) = write_health(&inner.store, &h).await {
                tracing::warn!("camera {}: could not record health: {e}", h.camera_id);
            }
            // A streaming camera's deployment grows with it: effort is connected time.
            let deployment = inner.counters[&h.camera_id]
                .deployment
                .lock()
                .expect("deployment lock")
                .clone();
            if h.connected
                && let Some(d) = deployment
                && let Err(e) = inner.store.extend_deployment(&d, chrono::Utc::now()).await
            {
                tracing::warn!("camera {}: could not extend deployment {d}: {e}", h.camera_id);
            }
        }
        if stop {
            return;
        }
    }
}

async fn write_health(store: &Store, h: &CameraHealth) -> Result<()> {
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    store
        .upsert_camera_live(&trailmesh_core::store::CameraLive {
            camera_id: h.camera_id.clone(),
            connected: h.connected,
            fps: h.fps,
            bitrate_bps: h.bitrate_bps,
            last_frame: parse(&h.last_frame),
            last_event: parse(&h.last_event),
            updated: chrono::Utc::now(),
        })
        .await?;
    Ok(())
}
