//! Live benchmark of the camera gateway on this machine: how many 640x480 cameras with an
//! animal in frame it sustains, and what an idle connected stream costs.
//!
//! The gateway runs in this process (real WHIP over loopback, real decoder and detector, a
//! temporary SQLite database); the cameras are aiortc publishers (`GATEWAY_PYTHON`, see
//! `tests/peers/whip_peer.py`) sending a clip's H.264 packets without re-encoding, looped:
//! 4 s of grass, then the horse of the vision fixtures crossing in 4 s, so each loop should
//! end as one stored event. CPU is this process's (the gateway), from /proc/self/stat.
//!
//!     cargo run --release -p trailmesh-camera-gateway --bin gateway-bench -- \
//!         [--cameras 1,2,3,4] [--idle 4] [--seconds 40] [--input-size 416] [--batch 0]
//!         [--letterbox rect|square]
//!
//! Needs ONNX Runtime (`trailmesh vision setup`).

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use trailmesh_camera_gateway::{CameraConfig, GatewayConfig, GatewayOptions, serve};
use trailmesh_core::Store;
use trailmesh_core::store::EventQuery;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 (1-based) = 11 and 12 after the name; USER_HZ 100.
    (ticks(11) + ticks(12)) / 100.0
}

struct Peers(Vec<Child>);

impl Drop for Peers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn make_clip(py: &Path, script: &Path, out: &Path, still: f64, cross: f64) -> Result<()> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../skills/vision/tests/fixtures");
    let ok = Command::new(py)
        .arg(script)
        .args(["clip", out.to_str().unwrap(), "--fixtures", fixtures.to_str().unwrap()])
        .args([
            "--still",
            &still.to_string(),
            "--cross",
            &cross.to_string(),
            "--after",
            "0",
        ])
        .stdout(Stdio::null())
        .status()?;
    if !ok.success() {
        bail!("making the clip {} failed", out.display());
    }
    Ok(())
}

fn publish(py: &Path, script: &Path, url: &str, clip: &Path) -> Result<Child> {
    Ok(Command::new(py)
        .arg(script)
        .args(["publish", url, "bench", clip.to_str().unwrap(), "--loop", "--copy"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let counts: Vec<usize> = arg(&args, "--cameras")
        .unwrap_or_else(|| "1,2,3,4".into())
        .split(',')
        .map(|s| s.trim().parse().context("--cameras takes numbers like 1,2,4"))
        .collect::<Result<_>>()?;
    let idle: usize = arg(&args, "--idle").unwrap_or_else(|| "4".into()).parse()?;
    let seconds: f64 = arg(&args, "--seconds").unwrap_or_else(|| "40".into()).parse()?;
    let input_size: u32 = arg(&args, "--input-size").unwrap_or_else(|| "416".into()).parse()?;
    // Frames per model run at most (0: the default, 1 on the CPU).
    let batch_size: usize = arg(&args, "--batch").unwrap_or_else(|| "0".into()).parse()?;
    // Frames padded to a multiple of 32 (the default: 640x480 runs as it is) or to the square.
    let letterbox: trailmesh_vision::Letterbox = arg(&args, "--letterbox")
        .unwrap_or_else(|| "rect".into())
        .parse()
        .map_err(|e| anyhow::anyhow!("--letterbox: {e}"))?;
    let py = PathBuf::from(std::env::var("GATEWAY_PYTHON").context(
        "GATEWAY_PYTHON must name a Python with aiortc (agents/camera-gateway/tests/peers/requirements.txt)",
    )?);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/whip_peer.py");
    let work = tempfile::tempdir()?;
    let motion = work.path().join("motion.ts");
    let still = work.path().join("still.ts");
    make_clip(&py, &script, &motion, 4.0, 4.0)?;
    make_clip(&py, &script, &still, 8.0, 0.0)?;

    let max = counts.iter().copied().max().unwrap_or(1).max(idle);
    let store = Store::open(work.path().join("bench.db").to_str().unwrap()).await?;
    let mut vision = trailmesh_vision::VisionConfig {
        input_size,
        letterbox,
        batch_size,
        ..Default::default()
    };
    vision.events.gap_s = 3.0;
    let gateway = GatewayConfig {
        cameras: (0..max)
            .map(|i| CameraConfig {
                id: format!("BENCH-{i}"),
                token: Some("bench".into()),
                ..Default::default()
            })
            .collect(),
        ..GatewayConfig::default()
    };
    let stop = CancellationToken::new();
    let gw = serve(
        store.clone(),
        GatewayOptions {
            gateway,
            vision: vision.clone(),
            thumbnails: None,
            listen: None,
        },
        stop.clone(),
    )
    .await?;
    if let Some(why) = &gw.detection_off {
        bail!("detection is off ({why}): run `trailmesh vision setup`");
    }
    println!(
        "camera gateway bench: 640x480 H.264 at 15 fps per camera, detection at {} fps, input {input_size} ({letterbox:?}), up to {} frames per model run, {seconds} s per run",
        vision.video_fps,
        vision.effective_batch_size()
    );
    let totals = |gw: &trailmesh_camera_gateway::RunningGateway, n: usize| {
        let h = gw.health();
        let pick = |f: fn(&trailmesh_camera_gateway::CameraHealth) -> u64| h.iter().take(n).map(f).sum::<u64>();
        (
            pick(|c| c.frames),
            pick(|c| c.frames_dropped),
            pick(|c| c.sampled),
            pick(|c| c.samples_skipped),
        )
    };

    // Idle streams first: grass only, the motion gate keeps the detector asleep.
    if idle > 0 {
        let peers = Peers(
            (0..idle)
                .map(|i| publish(&py, &script, &format!("{}/whip/BENCH-{i}", gw.base_url), &still))
                .collect::<Result<_>>()?,
        );
        // Past `still_keyframes_after_s`, so the steady cost of a still stream is measured.
        tokio::time::sleep(Duration::from_secs(15)).await;
        let (c0, t0) = (cpu_seconds(), Instant::now());
        tokio::time::sleep(Duration::from_secs_f64(seconds.min(30.0))).await;
        let cpu = (cpu_seconds() - c0) / t0.elapsed().as_secs_f64();
        let connected = gw.health().iter().filter(|c| c.connected).count();
        let keyframes_only = gw.health().iter().filter(|c| c.keyframes_only).count();
        println!(
            "idle: {idle} streams ({connected} connected, {keyframes_only} decoding keyframes only): {:.1}% of one core in all, {:.2}% per stream",
            cpu * 100.0,
            cpu * 100.0 / idle as f64
        );
        drop(peers);
        tokio::time::sleep(Duration::from_secs(8)).await;
    }

    println!(
        "cameras | CPU (% of one core) | frames in | dropped before decode | sampled | skipped (detector behind) | model runs | frames per run | runs holding several submissions | events stored / crossings"
    );
    let inference = |gw: &trailmesh_camera_gateway::RunningGateway| {
        use std::sync::atomic::Ordering::Relaxed;
        gw.inference()
            .map(|s| {
                (
                    s.runs.load(Relaxed),
                    s.frames.load(Relaxed),
                    s.combined_runs.load(Relaxed),
                )
            })
            .unwrap_or_default()
    };
    for &n in &counts {
        let before: Vec<i64> = {
            let mut v = Vec::new();
            for i in 0..n {
                v.push(
                    store
                        .count_events(&EventQuery {
                            camera_id: Some(format!("BENCH-{i}")),
                            ..Default::default()
                        })
                        .await?,
                );
            }
            v
        };
        let (f0, d0, s0, k0) = totals(&gw, n);
        let (r0, rf0, c0_runs) = inference(&gw);
        let peers = Peers(
            (0..n)
                .map(|i| publish(&py, &script, &format!("{}/whip/BENCH-{i}", gw.base_url), &motion))
                .collect::<Result<_>>()?,
        );
        let started = Instant::now();
        let (c0, t0) = (cpu_seconds(), Instant::now());
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        let cpu = (cpu_seconds() - c0) / t0.elapsed().as_secs_f64();
        let (f1, d1, s1, k1) = totals(&gw, n);
        let (r1, rf1, c1_runs) = inference(&gw);
        let streamed = started.elapsed().as_secs_f64();
        drop(peers);
        // Idle timeout, then the open events are written.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let mut events = 0;
        for (i, b) in before.iter().enumerate() {
            events += store
                .count_events(&EventQuery {
                    camera_id: Some(format!("BENCH-{i}")),
                    ..Default::default()
                })
                .await?
                - b;
        }
        // A crossing starts 4 s into every 8 s loop; count those that began before the kill.
        let crossings = n as f64 * ((streamed - 4.0) / 8.0).ceil().max(0.0);
        let runs = r1 - r0;
        println!(
            "{n:>7} | {:>19.0} | {:>9} | {:>21} | {:>7} | {:>25} | {runs:>10} | {:>14.2} | {:>33} | {events} / {crossings}",
            cpu * 100.0,
            f1 - f0,
            d1 - d0,
            s1 - s0,
            k1 - k0,
            (rf1 - rf0) as f64 / runs.max(1) as f64,
            c1_runs - c0_runs
        );
    }
    stop.cancel();
    gw.finished().await?;
    store.close().await;
    Ok(())
}
