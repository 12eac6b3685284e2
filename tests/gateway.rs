//! The camera gateway end to end: `trailmesh gateway` as a real process, an independent
//! WebRTC stack (aiortc, `agents/camera-gateway/tests/peers/whip_peer.py`) publishing a clip
//! over WHIP in which a real animal photo (the grey horse of the vision fixtures) walks across
//! a grass photo, and a WHEP viewer (aiortc too). The events are read back from the database
//! the gateway wrote.
//!
//! The same clip is also served by GStreamer's RTSP server
//! (`agents/camera-gateway/tests/peers/rtsp_server.py`) to a camera the gateway pulls, and
//! played as the fake camera of a headless Chromium publishing from the gateway's `/publish`
//! page.
//!
//! Needs: the Python named by `GATEWAY_PYTHON` with aiortc (tests/run-all.sh makes the venv),
//! a Python with GStreamer's RTSP server bindings (`RTSP_PYTHON`, default the system
//! `/usr/bin/python3` with Debian's python3-gi and gir1.2-gst-rtsp-server-1.0, installed by
//! tests/run-all.sh), Debian's Chromium (`CHROMIUM`, default `chromium`), and ONNX Runtime for the detector (`trailmesh vision setup`). Fails,
//! never skips, without them.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use trailmesh_core::Store;
use trailmesh_core::model::{from_ms, to_ms};
use trailmesh_core::store::EventQuery;

#[path = "../agents/orchestrator/tests/llm/server.rs"]
mod llm_server;

/// The tests run the detector on the two shared cores: one at a time, also when a runner
/// (nextest) puts each test in its own process.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> (std::sync::MutexGuard<'static, ()>, std::fs::File) {
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let file = std::fs::File::create(std::env::temp_dir().join("trailmesh-gateway-tests.lock")).unwrap();
    file.lock().unwrap();
    (guard, file)
}

const TOKEN_A: &str = "token-for-camera-a";
const TOKEN_B: &str = "token-for-camera-b";

fn python() -> PathBuf {
    let py = std::env::var("GATEWAY_PYTHON").unwrap_or_else(|_| {
        panic!(
            "GATEWAY_PYTHON is not set: it must name a Python with aiortc (tests/run-all.sh creates \
             agents/camera-gateway/.venv from agents/camera-gateway/tests/peers/requirements.txt)"
        )
    });
    let ok = Command::new(&py)
        .args(["-c", "import aiortc, aiohttp, av, PIL"])
        .status()
        .unwrap_or_else(|e| panic!("cannot run GATEWAY_PYTHON {py}: {e}"));
    assert!(ok.success(), "GATEWAY_PYTHON {py} lacks aiortc, aiohttp, av or Pillow");
    PathBuf::from(py)
}

fn peer_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("agents/camera-gateway/tests/peers/whip_peer.py")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("skills/vision/tests/fixtures")
}

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Gateway {
    proc: Proc,
    url: String,
    db: PathBuf,
    _dir: tempfile::TempDir,
}

fn start_gateway() -> Gateway {
    start_gateway_with(10.0, "")
}

/// A gateway whose still scenes decode keyframes only after `still_after_s`, with `extra`
/// appended to its configuration (more cameras).
fn start_gateway_with(still_after_s: f64, extra: &str) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gateway.db");
    let token_b_sha = {
        use std::fmt::Write;
        let out = Command::new("sha256sum")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write as _;
                c.stdin.take().unwrap().write_all(TOKEN_B.as_bytes())?;
                c.wait_with_output()
            })
            .expect("sha256sum");
        let mut s = String::new();
        write!(
            s,
            "{}",
            String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap()
        )
        .unwrap();
        s
    };
    let config = dir.path().join("trailmesh.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[storage]
database = "{db}"

[vision]
input_size = 416
video_fps = 5.0

[vision.events]
gap_s = 3.0

[gateway]
listen = "127.0.0.1:0"
idle_timeout_s = 3.0
health_interval_s = 0.5
still_keyframes_after_s = {still_after_s}

[[gateway.cameras]]
id = "TEST-A"
name = "Test camera A"
token = "{TOKEN_A}"

[[gateway.cameras]]
id = "TEST-B"
token_sha256 = "{token_b_sha}"
detect_fps = 3.0
{extra}
"#,
            db = db.display()
        ),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailmesh"));
    for (k, _) in std::env::vars() {
        if k.starts_with("TRAILMESH") && k != "TRAILMESH_CACHE_DIR" {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
            "gateway",
        ])
        .env("RUST_LOG", "warn,trailmesh_camera_gateway=info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start trailmesh gateway");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    let mut detection_off = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(u) = line.strip_prefix("camera gateway listening on ") {
            url = Some(u.trim().to_string());
        }
        if line.contains("detection: off") {
            detection_off = Some(line.clone());
        }
        if line.contains("press Ctrl-C") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let proc = Proc(child);
    assert!(
        detection_off.is_none(),
        "the gateway runs without its detector ({}): run `trailmesh vision setup`",
        detection_off.unwrap_or_default()
    );
    Gateway {
        proc,
        url: url.expect("the gateway printed its URL"),
        db,
        _dir: dir,
    }
}

fn make_clip(dir: &Path, name: &str, still: f64, cross: f64, after: f64) -> PathBuf {
    make_clip_as(dir, name, still, cross, after, "baseline")
}

/// A clip in an H.264 `profile` (`baseline`; `main` or `high` with B-frames).
fn make_clip_as(dir: &Path, name: &str, still: f64, cross: f64, after: f64, profile: &str) -> PathBuf {
    let out = dir.join(name);
    let status = Command::new(python())
        .arg(peer_script())
        .args([
            "clip",
            out.to_str().unwrap(),
            "--fixtures",
            fixtures().to_str().unwrap(),
        ])
        .args([
            "--still",
            &still.to_string(),
            "--cross",
            &cross.to_string(),
            "--after",
            &after.to_string(),
            "--profile",
            profile,
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "making the clip failed");
    out
}

/// A publisher process and its JSON lines.
struct Publisher {
    proc: Proc,
    out: Box<dyn Iterator<Item = String>>,
}

impl Publisher {
    fn start(url: &str, token: &str, clip: &Path, keep: bool) -> Publisher {
        Self::start_with(url, token, clip, keep, &[])
    }

    /// A publisher with more `whip_peer.py publish` flags (`--codec vp8`).
    fn start_with(url: &str, token: &str, clip: &Path, keep: bool, flags: &[&str]) -> Publisher {
        let mut cmd = Command::new(python());
        cmd.arg(peer_script())
            .args(["publish", url, token, clip.to_str().unwrap()])
            .args(flags);
        if keep {
            cmd.arg("--keep");
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        let out = Box::new(
            BufReader::new(child.stdout.take().unwrap())
                .lines()
                .map_while(Result::ok),
        );
        Publisher { proc: Proc(child), out }
    }

    /// The next JSON line, which must be `step`.
    fn expect(&mut self, step: &str) -> Value {
        let line = self
            .out
            .next()
            .unwrap_or_else(|| panic!("the publisher exited before '{step}'"));
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert_eq!(v["step"], step, "{v}");
        v
    }
}

fn view(url: &str, seconds: f64) -> std::thread::JoinHandle<Value> {
    view_with(url, seconds, &[])
}

/// A WHEP viewer with more `whip_peer.py view` flags (`--codec vp8`).
fn view_with(url: &str, seconds: f64, flags: &[&str]) -> std::thread::JoinHandle<Value> {
    let url = url.to_string();
    let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
    std::thread::spawn(move || {
        let out = Command::new(python())
            .arg(peer_script())
            .args(["view", &url, &seconds.to_string()])
            .args(&flags)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "viewer failed: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(text.lines().last().unwrap_or("")).unwrap_or_else(|_| panic!("viewer said: {text}"))
    })
}

fn health(url: &str, camera: &str) -> Value {
    let v: Value = reqwest::blocking::get(format!("{url}/cameras"))
        .unwrap()
        .json()
        .unwrap();
    v["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["cameraId"] == camera)
        .cloned()
        .unwrap_or_else(|| panic!("no {camera} in {v}"))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Waits (up to `timeout`) for the camera's events in the database.
fn events_of(db: &Path, camera: &str, timeout: Duration) -> Vec<trailmesh_core::Event> {
    let rt = rt();
    rt.block_on(async {
        let store = Store::open(db.to_str().unwrap()).await.unwrap();
        let t0 = Instant::now();
        loop {
            let q = EventQuery {
                camera_id: Some(camera.to_string()),
                ..Default::default()
            };
            let events = store.events(&q).await.unwrap();
            if !events.is_empty() || t0.elapsed() > timeout {
                store.close().await;
                return events;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
}

fn deployments_of(db: &Path, camera: &str) -> Vec<trailmesh_core::model::Deployment> {
    rt().block_on(async {
        let store = Store::open(db.to_str().unwrap()).await.unwrap();
        let d = store.deployments(Some(camera)).await.unwrap();
        store.close().await;
        d
    })
}

fn tracks_of(db: &Path, event_id: &str) -> Vec<trailmesh_core::Track> {
    rt().block_on(async {
        let store = Store::open(db.to_str().unwrap()).await.unwrap();
        let t = store.tracks(Some(event_id)).await.unwrap();
        store.close().await;
        t
    })
}

/// The event's longest track is the horse walking right (90 degrees), over at least
/// `min_frames` sampled frames.
fn assert_walks_right(db: &Path, event_id: &str, min_frames: i64) {
    let tracks = tracks_of(db, event_id);
    let longest = tracks.iter().max_by_key(|t| t.frames).expect("a track");
    assert!(
        longest.frames >= min_frames,
        "tracked across the crossing at 5 fps: {longest:?}"
    );
    let heading = longest.heading_deg.expect("a heading");
    assert!((heading - 90.0).abs() < 25.0, "walking right (90 deg), not {heading}");
}

/// What a 4 s WHEP viewer (`view`) reports: at least 20 frames (4 s at 15 fps), 640x480.
fn assert_watched_640x480(seen: &Value, viewer: &str) {
    assert!(
        seen["frames"].as_u64().unwrap() >= 20 && seen["span"].as_f64().unwrap() >= 2.0,
        "{viewer} got frames for 4 s at 15 fps: {seen}"
    );
    assert_eq!(
        (seen["width"].as_u64(), seen["height"].as_u64()),
        (Some(640), Some(480)),
        "{seen}"
    );
}

/// The event lasts about the 4 s crossing: 2 s to `max_s`.
fn assert_lasts(e: &trailmesh_core::Event, max_s: f64) {
    let length = (e.end - e.start).num_milliseconds() as f64 / 1000.0;
    assert!(
        (2.0..=max_s).contains(&length),
        "the crossing takes 4 s, the event {length} s"
    );
}

fn secs(t: f64) -> chrono::DateTime<chrono::Utc> {
    from_ms((t * 1000.0) as i64)
}

#[test]
fn a_clip_published_over_whip_becomes_one_event_with_a_track_heading_right_and_a_whep_viewer_sees_it() {
    let _one = one_at_a_time();
    let gw = start_gateway();
    let work = tempfile::tempdir().unwrap();
    // 2 s of empty grass, the horse crossing in 4 s, 4 s of empty grass.
    let clip = make_clip(work.path(), "crossing.ts", 2.0, 4.0, 4.0);
    let mut publisher = Publisher::start(&format!("{}/whip/TEST-A", gw.url), TOKEN_A, &clip, false);
    let published = publisher.expect("published");
    let t0 = published["t"].as_f64().unwrap();
    assert!(
        published["location"].as_str().unwrap().starts_with("/whip/TEST-A/"),
        "{published}"
    );
    let viewer = view(&format!("{}/whep/TEST-A", gw.url), 4.0);
    std::thread::sleep(Duration::from_secs(3));
    let live = health(&gw.url, "TEST-A");
    assert_eq!(live["connected"], true, "{live}");
    assert!(live["fps"].as_f64().unwrap() > 5.0, "about 15 fps arrive: {live}");
    assert!(live["bitrateBps"].as_f64().unwrap() > 10_000.0, "{live}");
    assert_eq!(live["source"], "whip", "{live}");
    assert!(
        live["packets"].as_u64().unwrap() > live["frames"].as_u64().unwrap(),
        "a 640x480 keyframe spans several RTP packets: {live}"
    );
    assert_eq!(
        (live["width"].as_u64(), live["height"].as_u64()),
        (Some(640), Some(480)),
        "{live}"
    );
    assert_watched_640x480(&viewer.join().unwrap(), "the WHEP viewer");
    let ended = publisher.expect("ended");
    let deleted = publisher.expect("deleted");
    assert_eq!(deleted["status"], 200, "{deleted}");
    let t_end = ended["t"].as_f64().unwrap();

    let events = events_of(&gw.db, "TEST-A", Duration::from_secs(20));
    assert_eq!(events.len(), 1, "one crossing, one event: {events:#?}");
    let e = &events[0];
    assert_eq!(e.camera_id, "TEST-A");
    assert_eq!(e.count, Some(1), "one horse: {:#?}", tracks_of(&gw.db, &e.id));
    // The horse is in frame from 2 s to 6 s of the clip.
    assert!(
        e.start >= secs(t0 + 1.0) && e.end <= secs(t_end + 1.0),
        "event {}..{} outside the clip's crossing (published {}, ended {})",
        e.start,
        e.end,
        secs(t0),
        secs(t_end)
    );
    assert_lasts(e, 6.5);
    // Effort is connected time: one live deployment from the WHIP request to the stream's
    // end, holding the event.
    let deps = deployments_of(&gw.db, "TEST-A");
    assert_eq!(deps.len(), 1, "{deps:#?}");
    let d = &deps[0];
    assert_eq!(e.deployment_id, d.id);
    assert!(d.start <= secs(t0) && d.start >= secs(t0 - 5.0), "{d:?}");
    assert!(
        d.end >= secs(t_end - 0.5) && d.end <= secs(t_end + 10.0),
        "{d:?} (clip ended {t_end})"
    );
    assert!(d.start <= e.start && e.end <= d.end, "the event lies in its deployment");
    assert_walks_right(&gw.db, &e.id, 8);

    // The health the gateway recorded is what the camera-inventory skill reports.
    std::thread::sleep(Duration::from_secs(1));
    let details = rt().block_on(async {
        let store = Store::open(gw.db.to_str().unwrap()).await.unwrap();
        let inv = trailmesh_camera_inventory::CameraInventory::new(store.clone());
        let d = inv
            .camera_details(trailmesh_camera_inventory::CameraRef {
                id: "TEST-A".into(),
                as_of: None,
            })
            .await
            .unwrap();
        store.close().await;
        d
    });
    let live = details.live.expect("camera-inventory reports the live health");
    assert!(!live.connected, "the publisher left: {live:?}");
    let last_frame = live.last_frame.expect("a last frame");
    assert!(last_frame >= secs(t0) && last_frame <= secs(t_end + 2.0), "{live:?}");
    assert_eq!(live.last_event.map(to_ms), Some(to_ms(e.end)), "{live:?}");
    drop(gw.proc);
}

#[test]
fn bad_requests_get_4xx_without_touching_a_live_stream_and_killing_the_publisher_closes_its_event() {
    let _one = one_at_a_time();
    let gw = start_gateway();
    let work = tempfile::tempdir().unwrap();
    // 2 s of grass, then a slow crossing (12 s) that the kill interrupts half way.
    let clip = make_clip(work.path(), "slow.ts", 2.0, 12.0, 2.0);
    let mut publisher = Publisher::start(&format!("{}/whip/TEST-B", gw.url), TOKEN_B, &clip, false);
    let t0 = publisher.expect("published")["t"].as_f64().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let before = health(&gw.url, "TEST-B");
    assert_eq!(before["connected"], true, "{before}");

    let http = reqwest::blocking::Client::new();
    let post = |camera: &str, ctype: Option<&str>, token: Option<&str>, body: &str| {
        let mut r = http.post(format!("{}/whip/{camera}", gw.url)).body(body.to_string());
        if let Some(c) = ctype {
            r = r.header("Content-Type", c);
        }
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        let r = r.send().unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\n";
    let (s, m) = post(
        "TEST-A",
        Some("application/sdp"),
        Some(TOKEN_A),
        "this is not an SDP offer",
    );
    assert_eq!(s, 400, "{m}");
    assert!(m.contains("not a valid SDP offer"), "{m}");
    let (s, m) = post("NO-SUCH-CAMERA", Some("application/sdp"), Some(TOKEN_A), offer);
    assert_eq!(s, 404, "{m}");
    assert!(m.contains("NO-SUCH-CAMERA"), "{m}");
    let (s, m) = post("TEST-A", Some("application/sdp"), Some(TOKEN_B), offer);
    assert_eq!(s, 401, "camera B's token is not camera A's: {m}");
    let (s, m) = post("TEST-A", Some("application/sdp"), None, offer);
    assert_eq!(s, 401, "{m}");
    assert!(m.contains("Bearer"), "{m}");
    let (s, m) = post("TEST-A", Some("text/plain"), Some(TOKEN_A), offer);
    assert_eq!(s, 415, "{m}");
    let (s, m) = post("TEST-B", Some("application/sdp"), Some(TOKEN_B), offer);
    assert_eq!(s, 409, "camera B is already publishing: {m}");

    // Camera B kept streaming through all of that.
    std::thread::sleep(Duration::from_millis(1500));
    let after = health(&gw.url, "TEST-B");
    assert_eq!(after["connected"], true, "{after}");
    assert!(
        after["frames"].as_u64().unwrap() >= before["frames"].as_u64().unwrap() + 10,
        "frames kept arriving: {before} -> {after}"
    );

    // Kill the publisher while the horse is in the middle of the frame: no DELETE, no goodbye.
    std::thread::sleep(Duration::from_secs(2));
    let mut publisher_proc = publisher.proc;
    publisher_proc.0.kill().unwrap();
    let killed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let events = events_of(&gw.db, "TEST-B", Duration::from_secs(30));
    assert_eq!(
        events.len(),
        1,
        "the interrupted crossing is one closed event: {events:#?}"
    );
    let e = &events[0];
    assert_eq!(e.count, Some(1));
    assert!(
        e.start >= secs(t0 + 1.0) && e.end <= secs(killed + 0.5),
        "event {}..{} not between the horse's entry and the kill at {}",
        e.start,
        e.end,
        secs(killed)
    );
    let tracks = tracks_of(&gw.db, &e.id);
    let longest = tracks.iter().max_by_key(|t| t.frames).expect("a track");
    let heading = longest.heading_deg.expect("a heading");
    assert!((heading - 90.0).abs() < 25.0, "walking right (90 deg), not {heading}");
    std::thread::sleep(Duration::from_secs(1));
    let last = health(&gw.url, "TEST-B");
    assert_eq!(last["connected"], false, "the killed publisher is gone");
    // Camera B is sampled at its own detect_fps (3 of the clip's 15 frames per second), not
    // at vision.video_fps (5).
    let share = last["sampled"].as_f64().unwrap() / last["frames"].as_f64().unwrap();
    assert!(
        (0.12..0.27).contains(&share),
        "sampled {share:.2} of the frames: {last}"
    );
    drop(publisher_proc);
}

#[test]
fn a_still_scene_decodes_keyframes_only_until_an_animal_moves_in() {
    let _one = one_at_a_time();
    let gw = start_gateway_with(2.0, "");
    let work = tempfile::tempdir().unwrap();
    // 9 s of grass, the horse crossing in 5 s, 2 s of grass.
    let clip = make_clip(work.path(), "late.ts", 9.0, 5.0, 2.0);
    let mut publisher = Publisher::start(&format!("{}/whip/TEST-A", gw.url), TOKEN_A, &clip, false);
    publisher.expect("published");
    std::thread::sleep(Duration::from_millis(4500));
    let a = health(&gw.url, "TEST-A");
    std::thread::sleep(Duration::from_secs(3));
    let b = health(&gw.url, "TEST-A");
    assert_eq!(b["keyframesOnly"], true, "grass only for 7 s: {b}");
    let frames = b["frames"].as_u64().unwrap() - a["frames"].as_u64().unwrap();
    let decoded = b["decoded"].as_u64().unwrap() - a["decoded"].as_u64().unwrap();
    assert!(frames >= 30, "frames kept arriving: {a} -> {b}");
    assert!(decoded <= 4, "{decoded} of {frames} frames decoded while still");
    publisher.expect("ended");
    publisher.expect("deleted");
    let events = events_of(&gw.db, "TEST-A", Duration::from_secs(20));
    assert_eq!(
        events.len(),
        1,
        "the horse woke the decoder and was tracked: {events:#?}"
    );
    let tracks = tracks_of(&gw.db, &events[0].id);
    let longest = tracks.iter().max_by_key(|t| t.frames).expect("a track");
    assert!(longest.frames >= 4, "tracked after waking: {longest:?}");
    let heading = longest.heading_deg.expect("a heading");
    assert!((heading - 90.0).abs() < 25.0, "walking right (90 deg), not {heading}");
    drop(gw.proc);
}

/// GStreamer's RTSP server playing a clip (a process, killed when dropped).
struct RtspServer {
    _proc: Proc,
    /// `rtsp://127.0.0.1:PORT/cam` (no credentials).
    url: String,
}

impl RtspServer {
    fn start(clip: &Path, user: &str, password: &str) -> RtspServer {
        let py = std::env::var("RTSP_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".to_string());
        let probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer";
        let ok = Command::new(&py).args(["-c", probe]).status();
        assert!(
            ok.is_ok_and(|s| s.success()),
            "RTSP_PYTHON {py} cannot load GStreamer's RTSP server: install Debian's python3-gi, \
             gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good and gstreamer1.0-plugins-bad \
             (tests/run-all.sh does)"
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("agents/camera-gateway/tests/peers/rtsp_server.py");
        let mut child = Command::new(&py)
            .arg(script)
            .arg(clip)
            .args(["--user", user, "--password", password])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the RTSP server");
        let line = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .next()
            .expect("the RTSP server printed nothing")
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert_eq!(v["step"], "serving", "{v}");
        RtspServer {
            _proc: Proc(child),
            url: v["url"].as_str().unwrap().to_string(),
        }
    }

    /// The URL with credentials, as a camera's `rtsp_url`.
    fn url_with(&self, user: &str, password: &str) -> String {
        self.url.replacen("rtsp://", &format!("rtsp://{user}:{password}@"), 1)
    }
}

#[test]
fn an_rtsp_camera_is_pulled_into_events_and_a_wrong_password_leaves_it_and_others_alone() {
    let _one = one_at_a_time();
    let work = tempfile::tempdir().unwrap();
    // 2 s of empty grass, the horse crossing in 4 s, 4 s of empty grass; served once per
    // connection, so every reconnection plays one more crossing.
    let clip = make_clip(work.path(), "rtsp.ts", 2.0, 4.0, 4.0);
    let server = RtspServer::start(&clip, "ranger", "s3cret");
    let extra = format!(
        r#"
[[gateway.cameras]]
id = "TEST-R"
name = "RTSP trail camera"
rtsp_url = "{good}"

[[gateway.cameras]]
id = "TEST-W"
rtsp_url = "{bad}"
rtsp_transport = "tcp"
"#,
        good = server.url_with("ranger", "s3cret"),
        bad = server.url_with("ranger", "wrong"),
    );
    let gw = start_gateway_with(10.0, &extra);
    let t0 = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    std::thread::sleep(Duration::from_secs(2));
    // A browser-side WHEP viewer of the RTSP camera: its frames packetized again, not re-encoded.
    let viewer = view(&format!("{}/whep/TEST-R", gw.url), 4.0);
    std::thread::sleep(Duration::from_secs(2));
    let live = health(&gw.url, "TEST-R");
    assert_eq!(live["connected"], true, "{live}");
    assert_eq!(live["codec"], "video/H264", "{live}");
    assert_eq!(live["source"], "rtsp", "{live}");
    assert!(
        live.get("packets").is_none(),
        "RTSP delivers frames, not packets: {live}"
    );
    assert!(live["frames"].as_u64().unwrap() > 0, "{live}");
    assert!(live["fps"].as_f64().unwrap() > 5.0, "about 15 fps arrive: {live}");
    assert_eq!(
        (live["width"].as_u64(), live["height"].as_u64()),
        (Some(640), Some(480)),
        "{live}"
    );
    assert_eq!(live["decoder"], "openh264", "constrained baseline: {live}");
    assert_watched_640x480(&viewer.join().unwrap(), "the WHEP viewer of the RTSP camera");
    let refused = health(&gw.url, "TEST-W");
    assert_eq!(refused["connected"], false, "a wrong password plays nothing: {refused}");
    assert_eq!(refused["frames"], 0, "{refused}");

    let events = events_of(&gw.db, "TEST-R", Duration::from_secs(25));
    let t1 = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    assert!(!events.is_empty(), "the crossing became an event");
    let e = &events[0];
    assert_eq!(e.count, Some(1), "one horse: {e:?}");
    assert!(
        e.start >= secs(t0) && e.end <= secs(t1),
        "event {}..{} outside the stream ({}..{})",
        e.start,
        e.end,
        secs(t0),
        secs(t1)
    );
    assert_lasts(e, 6.5);
    assert_walks_right(&gw.db, &e.id, 8);

    // The clip ends, the camera's stream with it; the gateway reconnects (backoff 1 s) and
    // the next play is a second crossing, a second event.
    let t_wait = Instant::now();
    let second = loop {
        let events = events_of(&gw.db, "TEST-R", Duration::from_secs(1));
        if events.len() >= 2 || t_wait.elapsed() > Duration::from_secs(40) {
            break events;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(second.len(), 2, "reconnected and saw the horse again: {second:#?}");
    assert!(second.iter().all(|e| e.camera_id == "TEST-R" && e.count == Some(1)));
    // A reconnection a second later continues the same live deployment, which spans both plays.
    let deps = deployments_of(&gw.db, "TEST-R");
    assert_eq!(deps.len(), 1, "{deps:#?}");
    assert!(second.iter().all(|e| e.deployment_id == deps[0].id), "{second:#?}");
    let span = (deps[0].end - deps[0].start).num_milliseconds() as f64 / 1000.0;
    assert!(span >= 18.0, "two 10 s plays, one deployment of {span} s");
    let refused = health(&gw.url, "TEST-W");
    assert_eq!(refused["frames"], 0, "still refused: {refused}");
    assert!(events_of(&gw.db, "TEST-W", Duration::ZERO).is_empty());
    drop(gw.proc);
}

/// The browser publisher: Debian's Chromium (`CHROMIUM`, default `chromium`), headless, its
/// fake camera fed from a y4m clip, opening the gateway's `/publish` page.
fn start_chromium(page: &str, y4m: &Path, profile: &Path, log: &Path) -> Proc {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_string());
    let child = Command::new(&chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            "--allow-loopback-in-peer-connection",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--use-file-for-fake-video-capture={}", y4m.display()))
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(page)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {chromium} ({e}): install Debian's chromium (tests/run-all.sh does) or set CHROMIUM")
        });
    Proc(child)
}

/// What the publish page said (its `trailmesh-publish:` console lines).
fn page_said(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            l.split_once("trailmesh-publish: ")
                .map(|(_, m)| m.trim_end_matches(['"', ',']).to_string())
        })
        .collect()
}

#[test]
fn headless_chromium_publishes_its_fake_camera_from_the_publish_page_and_the_crossing_becomes_an_event() {
    let _one = one_at_a_time();
    let gw = start_gateway();
    let work = tempfile::tempdir().unwrap();
    // Chromium loops the file: 2 s of grass, the horse crossing in 4 s, 4 s of grass, again.
    let clip = make_clip(work.path(), "crossing.y4m", 2.0, 4.0, 4.0);
    let log = work.path().join("chromium.log");
    let page = format!("{}/publish?camera=TEST-A#token={TOKEN_A}", gw.url);
    let t0 = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let browser = start_chromium(&page, &clip, &work.path().join("profile"), &log);

    let t_wait = Instant::now();
    let live = loop {
        let live = health(&gw.url, "TEST-A");
        if live["connected"] == true && live["frames"].as_u64().unwrap_or(0) > 15 {
            break live;
        }
        assert!(
            t_wait.elapsed() < Duration::from_secs(30),
            "Chromium did not publish within 30 s; the page said {:?}; health {live}",
            page_said(&log)
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(live["codec"], "video/H264", "{live}");
    assert!(
        page_said(&log).iter().any(|m| m.starts_with("published /whip/TEST-A/")),
        "the page says {:?}",
        page_said(&log)
    );
    // Chromium lowers its frame rate when the machine is busy (its encoder's CPU overuse
    // detection), so the relay is judged by a steady flow, not by the clip's 15 fps.
    let seen = view(&format!("{}/whep/TEST-A", gw.url), 5.0).join().unwrap();
    assert!(
        seen["frames"].as_u64().unwrap() >= 10 && seen["span"].as_f64().unwrap() >= 2.5,
        "the WHEP viewer got Chromium's frames for most of 5 s: {seen}"
    );
    assert!(seen["width"].as_u64().unwrap_or(0) >= 320, "{seen}");

    let events = events_of(&gw.db, "TEST-A", Duration::from_secs(40));
    let t1 = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    assert!(
        !events.is_empty(),
        "no event from Chromium's stream; health {}",
        health(&gw.url, "TEST-A")
    );
    let e = &events[0];
    assert_eq!(e.count, Some(1), "one horse: {e:?}");
    assert!(
        e.start >= secs(t0) && e.end <= secs(t1),
        "event {}..{} outside the stream",
        e.start,
        e.end
    );
    assert_lasts(e, 7.0);
    assert_walks_right(&gw.db, &e.id, 8);

    // The browser goes away without a DELETE: the session ends on its own.
    drop(browser);
    let t_gone = Instant::now();
    loop {
        let live = health(&gw.url, "TEST-A");
        if live["connected"] == false {
            break;
        }
        assert!(
            t_gone.elapsed() < Duration::from_secs(15),
            "still connected after the browser died: {live}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    drop(gw.proc);
}

/// Built with `--features ffmpeg`, as tests/run-all.sh does.
#[cfg(feature = "ffmpeg")]
#[test]
fn an_ip_camera_sending_high_profile_with_b_frames_is_decoded_by_ffmpeg_into_the_same_event() {
    let _one = one_at_a_time();
    let work = tempfile::tempdir().unwrap();
    // High profile, two B-frames between references: frames arrive out of display order.
    let clip = make_clip_as(work.path(), "high.ts", 2.0, 4.0, 4.0, "high");
    let server = RtspServer::start(&clip, "ranger", "s3cret");
    let extra = format!(
        "\n[[gateway.cameras]]\nid = \"TEST-H\"\nrtsp_url = \"{}\"\n",
        server.url_with("ranger", "s3cret")
    );
    let gw = start_gateway_with(10.0, &extra);
    let t0 = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let events = events_of(&gw.db, "TEST-H", Duration::from_secs(25));
    let t1 = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let live = health(&gw.url, "TEST-H");
    assert_eq!(live["decoder"], "ffmpeg", "{live}");
    assert_eq!(live["decodeErrors"].as_u64().unwrap_or(0), 0, "{live}");
    assert!(!events.is_empty(), "the crossing became an event: {live}");
    let e = &events[0];
    assert_eq!(e.count, Some(1), "one horse: {e:?}");
    assert!(
        e.start >= secs(t0 - 1.0) && e.end <= secs(t1),
        "event {}..{} outside the stream",
        e.start,
        e.end
    );
    assert_lasts(e, 6.5);
    // Pictures in display order: a track from decode-order frames would zigzag.
    assert_walks_right(&gw.db, &e.id, 8);
    drop(gw.proc);
}

/// Built with `--features ffmpeg`, as tests/run-all.sh does.
#[cfg(feature = "ffmpeg")]
#[test]
fn a_vp8_publisher_is_decoded_by_ffmpeg_into_an_event_and_relayed_to_a_vp8_viewer() {
    let _one = one_at_a_time();
    let gw = start_gateway();
    let work = tempfile::tempdir().unwrap();
    let clip = make_clip(work.path(), "vp8.ts", 2.0, 4.0, 4.0);
    // aiortc decodes the clip and encodes VP8 itself (libvpx).
    let mut publisher = Publisher::start_with(
        &format!("{}/whip/TEST-A", gw.url),
        TOKEN_A,
        &clip,
        false,
        &["--codec", "vp8"],
    );
    let t0 = publisher.expect("published")["t"].as_f64().unwrap();
    let viewer = view_with(&format!("{}/whep/TEST-A", gw.url), 4.0, &["--codec", "vp8"]);
    std::thread::sleep(Duration::from_secs(3));
    let live = health(&gw.url, "TEST-A");
    assert_eq!(live["codec"], "video/VP8", "{live}");
    assert_eq!(live["decoder"], "ffmpeg", "{live}");
    assert!(live["decoded"].as_u64().unwrap() > 10, "{live}");
    let seen = viewer.join().unwrap();
    assert!(
        seen["frames"].as_u64().unwrap() >= 20,
        "the VP8 viewer got frames: {seen}"
    );
    assert_eq!(seen["width"].as_u64(), Some(640), "{seen}");
    publisher.expect("ended");
    let t_end = publisher.expect("deleted")["t"].as_f64().unwrap();
    let events = events_of(&gw.db, "TEST-A", Duration::from_secs(20));
    assert_eq!(events.len(), 1, "one crossing, one event: {events:#?}");
    let e = &events[0];
    assert_eq!(e.count, Some(1), "one horse: {:#?}", tracks_of(&gw.db, &e.id));
    assert!(
        e.start >= secs(t0) && e.end <= secs(t_end + 1.0),
        "event {}..{}",
        e.start,
        e.end
    );
    assert_walks_right(&gw.db, &e.id, 8);
    drop(gw.proc);
}

/// Waits (up to `timeout`) until the event's description is no longer the detector's.
fn described(db: &Path, event_id: &str, timeout: Duration) -> trailmesh_core::Event {
    rt().block_on(async {
        let store = Store::open(db.to_str().unwrap()).await.unwrap();
        let t0 = Instant::now();
        loop {
            let e = store.event(event_id).await.unwrap().expect("the event");
            let placeholder = e
                .description
                .as_deref()
                .is_some_and(|d| d.starts_with("animal, species unknown"));
            if !placeholder || t0.elapsed() > timeout {
                store.close().await;
                return e;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
}

#[test]
fn a_language_model_describes_each_stored_event_after_it_is_written_and_images_it_cannot_take_are_refused_cleanly() {
    use trailmesh_camera_gateway::describe::{DescribeJob, DescribeStats, describe};
    let _one = one_at_a_time();
    // llama.cpp's server with a small text model (no vision model fits in a PyPI package):
    // the gateway describes from the track facts (`images = false`), under the schema.
    let server = llm_server::model_server();
    let gw = start_gateway_with(
        10.0,
        &format!(
            "\n[vision.describe]\nenabled = true\nurl = \"{}\"\nmodel = \"smollm2\"\nimages = false\ntimeout_s = 120.0\n",
            server.base_url
        ),
    );
    let work = tempfile::tempdir().unwrap();
    let clip = make_clip(work.path(), "crossing.ts", 2.0, 4.0, 2.0);
    let mut publisher = Publisher::start(&format!("{}/whip/TEST-A", gw.url), TOKEN_A, &clip, false);
    publisher.expect("published");
    publisher.expect("ended");
    // The event is stored as the detector saw it, whatever the model is doing.
    let events = events_of(&gw.db, "TEST-A", Duration::from_secs(20));
    assert_eq!(events.len(), 1, "{events:#?}");
    let e = described(&gw.db, &events[0].id, Duration::from_secs(120));
    let sentence = e.description.clone().unwrap_or_default();
    assert!(
        !sentence.starts_with("animal, species unknown") && sentence.len() >= 3,
        "the model's sentence replaced the placeholder: {e:?}"
    );
    // Without pictures the species stays unknown; behaviours are the known labels only.
    assert_eq!(e.scientific_name, None, "{e:?}");
    let labels = e.behavior.as_deref().map(|b| b.split('|').count()).unwrap_or(0);
    assert_eq!(e.behaviours().len(), labels, "every label is one we know: {e:?}");
    assert_eq!(e.count, Some(1), "the detector's count is kept: {e:?}");
    assert_walks_right(&gw.db, &e.id, 8);
    drop(gw.proc);

    // A frame sent to a server without a vision model is refused (llama.cpp answers 500
    // "image input is not supported"), and the refusal is reported with the server's reason.
    let frame = std::fs::read(fixtures().join("horses.jpg")).unwrap();
    let cfg = trailmesh_vision::config::DescribeConfig {
        enabled: true,
        url: server.base_url.clone(),
        model: "smollm2".into(),
        images: true,
        timeout_s: 120.0,
        ..Default::default()
    };
    let job = DescribeJob {
        event: e.clone(),
        tracks: tracks_of(&gw.db, &e.id),
        frames: vec![frame],
    };
    let stats = DescribeStats::default();
    let client = reqwest::Client::new();
    let refused = rt()
        .block_on(describe(&client, &cfg, &job, &stats))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("image"), "the server's reason is kept: {refused}");
    assert_eq!(stats.invalid_answers.load(std::sync::atomic::Ordering::Relaxed), 0);
}
