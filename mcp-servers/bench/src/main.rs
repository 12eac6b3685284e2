//! MCP tool-call speed over Streamable HTTP, in one run on one SQLite database:
//!
//! - `same query`: a `list_cameras` tool that answers the first page of the cameras table
//!   (the Python server's columns) through `trailmesh_core::Store` (which re-reads the table
//!   after any commit, by anyone), served by our plumbing (rmcp + axum + `trailmesh-mcp-kit`, in this
//!   process), against the official Python SDK's `MCPServer` answering the same query
//!   (py/bench_server.py, sqlite3);
//! - `skill tool`: the real camera-inventory server's `list_cameras` (health judged for every
//!   camera: four queries and the health rules), and the same skill call without MCP.
//!
//! Reports median and p99 latency of sequential calls and calls/s with concurrent clients.
//! The comparison with Python runs in rounds (`--rounds`, default 3), each measuring both
//! servers in both eras one after the other, and ends with each era's median and lowest
//! ratio. Not a test.
//!
//! ```text
//! cargo run --release -p trailmesh-mcp-bench -- --data-dir /tmp/bench --python .venv/bin/python
//! ```

/// The allocator of the `trailmesh` binary, whose MCP servers this stands for.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result, bail};
use clap::Parser;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use trailmesh_core::Store;
use trailmesh_mcp_kit::{HttpOptions, Json, Portable, portable_router, skill_json};

/// The benchmark's query as a tool: the first page of the cameras table, nothing else.
#[derive(Debug, Clone)]
struct CameraQuery {
    store: Store,
    tool_router: Arc<ToolRouter<Self>>,
}

/// Arguments of the query.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct PageArgs {
    /// Page size.
    limit: Option<u32>,
}

/// Its answer: the columns the Python server selects (py/bench_server.py).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
struct CameraPage {
    /// The cameras.
    cameras: Vec<CameraRow>,
    /// How many.
    total: usize,
}

/// One camera, as the Python server's `SELECT id, name, site, latitude, longitude, status`.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
struct CameraRow {
    /// Identifier.
    id: String,
    /// Name.
    name: String,
    /// Site.
    site: Option<String>,
    /// Latitude, degrees.
    latitude: Option<f64>,
    /// Longitude, degrees.
    longitude: Option<f64>,
    /// Status.
    status: String,
}

#[tool_router]
impl CameraQuery {
    fn new(store: Store) -> Self {
        CameraQuery {
            store,
            tool_router: Arc::new(portable_router(Self::tool_router() + Self::noop_router())),
        }
    }

    #[tool(description = "First page of the cameras table.")]
    async fn list_cameras(
        &self,
        Parameters(args): Parameters<PageArgs>,
    ) -> Result<Json<Portable<CameraPage>>, CallToolResult> {
        let limit = args.limit.unwrap_or(50) as usize;
        // Served from the store's copy of the cameras table while the database is unchanged
        // (checked on every call against what SQLite has committed; see Store::data_version).
        let result = self.store.cameras_shared().await.map_err(Into::into).map(|all| {
            let cameras: Vec<CameraRow> = all
                .iter()
                .take(limit)
                .map(|c| CameraRow {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    site: c.site.clone(),
                    latitude: c.latitude,
                    longitude: c.longitude,
                    status: c.status.as_str().to_string(),
                })
                .collect();
            CameraPage {
                total: cameras.len(),
                cameras,
            }
        });
        skill_json(result)
    }
}

/// The answer of the no-op tool.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
struct Nothing {
    /// Always true.
    ok: bool,
}

#[tool_router(router = noop_router)]
impl CameraQuery {
    #[tool(description = "Does nothing: times the MCP plumbing alone.")]
    async fn noop(&self, Parameters(_args): Parameters<PageArgs>) -> Result<Json<Portable<Nothing>>, CallToolResult> {
        skill_json(Ok(Nothing { ok: true }))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CameraQuery {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")))
    }
}

#[derive(Debug, Parser)]
struct Args {
    /// Data directory holding trailmesh.db (seeded with a small demo study when absent).
    #[arg(long)]
    data_dir: PathBuf,
    /// Python with the `mcp` SDK; omit to measure trailmesh only.
    #[arg(long)]
    python: Option<PathBuf>,
    /// Sequential calls for the latency figures.
    #[arg(long, default_value_t = 2000)]
    calls: usize,
    /// Concurrent clients for the throughput figure.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Length of the throughput run, seconds.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Drive the throughput run with this `wrk` (a C load generator that costs the
    /// servers far less CPU than an in-process client); default: `wrk` on PATH if present.
    #[arg(long)]
    wrk: Option<PathBuf>,
    /// Rounds of the comparison with Python: each measures trailmesh and then Python in
    /// each era, so that a drift of the machine's speed falls on both sides alike.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

/// `wrk` to use, if any.
fn wrk_path(args: &Args) -> Option<PathBuf> {
    args.wrk.clone().or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("wrk"))
                .find(|p| p.is_file())
        })
    })
}

/// Throughput and latency under `concurrency` connections, measured by `wrk` (one
/// thread; JSON-RPC ids counted up per request so that sessions never see a repeat).
fn measure_with_wrk(wrk: &std::path::Path, t: &Target, args: &Args) -> Result<(f64, f64, f64)> {
    let body = serde_json::to_string(&call_body(0, t.modern))?.replace("\"id\":0", "\"id\":%d");
    let mut headers = vec![
        ("Content-Type", "application/json".to_string()),
        ("Accept", "application/json, text/event-stream".to_string()),
        ("Mcp-Method", "tools/call".to_string()),
        ("Mcp-Name", tool_name().to_string()),
        (
            "MCP-Protocol-Version",
            if t.modern { "2026-07-28" } else { "2025-11-25" }.to_string(),
        ),
    ];
    if let Some(s) = &t.session {
        headers.push(("Mcp-Session-Id", s.clone()));
    }
    let mut lua = String::from("wrk.method = \"POST\"\n");
    for (k, v) in &headers {
        lua.push_str(&format!("wrk.headers[\"{k}\"] = \"{v}\"\n"));
    }
    lua.push_str(&format!(
        "local n = 0\nlocal fmt = [[{body}]]\nrequest = function()\n  n = n + 1\n  return wrk.format(nil, nil, nil, string.format(fmt, n))\nend\n"
    ));
    let script = std::env::temp_dir().join(format!("trailmesh-mcp-bench-{}.lua", std::process::id()));
    std::fs::write(&script, lua)?;
    let out = std::process::Command::new(wrk)
        .args(["-t1", "--latency"])
        .arg(format!("-c{}", args.concurrency))
        .arg(format!("-d{}s", args.seconds))
        .arg("-s")
        .arg(&script)
        .arg(&t.url)
        .output()
        .with_context(|| format!("running {}", wrk.display()))?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() || text.contains("Non-2xx") || text.contains("Socket errors") {
        bail!(
            "{}: wrk reports failures:\n{text}{}",
            t.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let value = |prefix: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.trim_start().starts_with(prefix))?;
        let raw = line.trim_start().trim_start_matches(prefix).trim();
        let (num, unit) = raw.split_at(raw.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(raw.len()));
        let num: f64 = num.trim().parse().ok()?;
        Some(match unit.trim() {
            "us" => num,
            "ms" => num * 1e3,
            "s" => num * 1e6,
            _ => num,
        })
    };
    let per_s = value("Requests/sec:").context("wrk printed no Requests/sec")?;
    let p50 = value("50%").context("wrk printed no 50% latency")?;
    let p99 = value("99%").context("wrk printed no 99% latency")?;
    Ok((per_s, p50, p99))
}

/// How a client talks to a server.
#[derive(Debug, Clone)]
struct Target {
    name: &'static str,
    url: String,
    /// 2026-07-28 stateless requests, or a 2025-11-25 session.
    modern: bool,
    session: Option<String>,
}

/// The tool every call names (`list_cameras`; `noop` to time the plumbing alone).
static NOOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn tool_name() -> &'static str {
    if NOOP.load(std::sync::atomic::Ordering::Relaxed) {
        "noop"
    } else {
        "list_cameras"
    }
}

fn call_body(id: u64, modern: bool) -> Value {
    let mut params = json!({"name": tool_name(), "arguments": {"limit": 50}});
    if modern {
        params["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}
        });
    }
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
}

async fn post(client: &reqwest::Client, t: &Target, body: &Value, method: &str) -> Result<(Value, Option<String>)> {
    let mut req = client
        .post(&t.url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("Mcp-Method", method);
    if method == "tools/call" {
        req = req.header("Mcp-Name", tool_name());
    }
    req = req.header(
        "MCP-Protocol-Version",
        if t.modern { "2026-07-28" } else { "2025-11-25" },
    );
    if let Some(s) = &t.session {
        req = req.header("Mcp-Session-Id", s);
    }
    let resp = req.json(body).send().await?;
    let status = resp.status();
    let session = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = resp.text().await?;
    if !status.is_success() {
        bail!("{}: HTTP {status}: {text}", t.name);
    }
    // JSON, or SSE whose last data line is the response.
    let payload = if text.trim_start().starts_with('{') {
        text
    } else {
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or_default()
            .to_string()
    };
    let v: Value = serde_json::from_str(&payload).with_context(|| format!("{}: not JSON-RPC: {payload}", t.name))?;
    if v.get("result").is_none() {
        bail!("{}: error response: {v}", t.name);
    }
    Ok((v, session))
}

/// A target ready for calls: a session opened for the legacy era.
async fn connect(client: &reqwest::Client, mut t: Target) -> Result<Target> {
    if !t.modern {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "trailmesh-mcp-bench", "version": "0"}}});
        let (_, session) = post(client, &t, &init, "initialize").await?;
        t.session = session;
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let mut req = client
            .post(&t.url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-11-25");
        if let Some(s) = &t.session {
            req = req.header("Mcp-Session-Id", s);
        }
        req.json(&note).send().await?;
    }
    let (v, _) = post(client, &t, &call_body(1, t.modern), "tools/call").await?;
    // structuredContent (ours) or the JSON text block (the Python server's dict result).
    let text = v["result"]["content"][0]["text"].as_str().unwrap_or_default();
    let from_text: Value = serde_json::from_str(text).unwrap_or_default();
    let cams = [&v["result"]["structuredContent"], &from_text]
        .iter()
        .filter_map(|c| c["cameras"].as_array().map(Vec::len))
        .max()
        .unwrap_or(0);
    if cams == 0 && tool_name() == "list_cameras" {
        bail!("{}: the answer has no cameras: {v}", t.name);
    }
    Ok(t)
}

#[derive(Debug)]
struct Figures {
    median_us: f64,
    p99_us: f64,
    calls_per_s: f64,
}

async fn measure(t: &Target, args: &Args) -> Result<Figures> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let t = connect(&client, t.clone()).await?;
    for i in 0..50 {
        post(&client, &t, &call_body(i, t.modern), "tools/call").await?;
    }
    let mut lat = Vec::with_capacity(args.calls);
    for i in 0..args.calls as u64 {
        let start = Instant::now();
        post(&client, &t, &call_body(i, t.modern), "tools/call").await?;
        lat.push(start.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let median_us = lat[lat.len() / 2];
    let p99_us = lat[(lat.len() * 99 / 100).min(lat.len() - 1)];

    if let Some(wrk) = wrk_path(args) {
        let (calls_per_s, _, _) = measure_with_wrk(&wrk, &t, args)?;
        return Ok(Figures {
            median_us,
            p99_us,
            calls_per_s,
        });
    }
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for w in 0..args.concurrency {
        let client = client.clone();
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                post(
                    &client,
                    &t,
                    &call_body(w as u64 * 1_000_000 + n, t.modern),
                    "tools/call",
                )
                .await?;
                n += 1;
            }
            anyhow::Ok(n)
        }));
    }
    let started = Instant::now();
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    let calls_per_s = total as f64 / started.elapsed().as_secs_f64();
    Ok(Figures {
        median_us,
        p99_us,
        calls_per_s,
    })
}

fn era(modern: bool) -> &'static str {
    if modern { "2026-07-28" } else { "2025-11-25" }
}

/// A Python SDK server on the benchmark's database (stateless for the 2026-07-28 era,
/// sessions for 2025-11-25, as ours), killed when dropped.
struct PythonServer {
    child: std::process::Child,
    url: String,
}

impl PythonServer {
    async fn start(python: &std::path::Path, db: &std::path::Path, stateless: bool) -> Result<Self> {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py/bench_server.py");
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut cmd = std::process::Command::new(python);
        cmd.arg(&script).arg("--db").arg(db).arg("--port").arg(port.to_string());
        if stateless {
            cmd.arg("--stateless");
        }
        let child = cmd
            .stdout(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", python.display()))?;
        let server = PythonServer {
            child,
            url: format!("http://127.0.0.1:{port}/mcp"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if Instant::now() > deadline {
                bail!("the Python server did not start within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The same query against the Python SDK's server, in rounds; prints each round's ratio and,
/// per era, the median and the lowest.
async fn compare_with_python(python: &std::path::Path, db: &std::path::Path, ours: &str, args: &Args) -> Result<()> {
    let modern_py = PythonServer::start(python, db, true).await?;
    let legacy_py = PythonServer::start(python, db, false).await?;
    let mut ratios: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 1..=args.rounds.max(1) {
        for (i, modern) in [true, false].into_iter().enumerate() {
            let ours_t = Target {
                name: "trailmesh, same query",
                url: ours.to_string(),
                modern,
                session: None,
            };
            let py_t = Target {
                name: "Python SDK MCPServer",
                url: if modern { &modern_py.url } else { &legacy_py.url }.clone(),
                modern,
                session: None,
            };
            let a = measure(&ours_t, args).await?;
            report(ours_t.name, era(modern), &a);
            let b = measure(&py_t, args).await?;
            report(py_t.name, era(modern), &b);
            let ratio = a.calls_per_s / b.calls_per_s;
            println!(
                "round {round}, {}: trailmesh / Python {ratio:.1}x calls/s, {:.1}x lower median latency",
                era(modern),
                b.median_us / a.median_us
            );
            ratios[i].push(ratio);
        }
    }
    for (i, modern) in [true, false].into_iter().enumerate() {
        let mut r = ratios[i].clone();
        r.sort_by(|a, b| a.total_cmp(b));
        println!(
            "same query, {}, trailmesh / Python over {} rounds: median {:.1}x, lowest {:.1}x",
            era(modern),
            r.len(),
            r[r.len() / 2],
            r[0]
        );
    }
    Ok(())
}

/// Measures the server at `url` in both eras and prints each.
async fn report_both_eras(name: &'static str, url: &str, args: &Args) -> Result<()> {
    for modern in [true, false] {
        let t = Target {
            name,
            url: url.to_string(),
            modern,
            session: None,
        };
        report(name, era(modern), &measure(&t, args).await?);
    }
    Ok(())
}

fn report(name: &str, era: &str, f: &Figures) {
    println!(
        "{name:<28} {era:<11} median {:>8.1} us   p99 {:>8.1} us   {:>9.0} calls/s",
        f.median_us, f.p99_us, f.calls_per_s
    );
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let db = args.data_dir.join("trailmesh.db");
    let fresh = !db.exists();
    let store = trailmesh_core::Store::open(&db.display().to_string()).await?;
    if fresh {
        // The demo study (7 days, scale 0.2) so that the bench needs nothing prepared.
        let cfg = trailmesh_core::demo::DemoConfig {
            days: 7,
            scale: 0.2,
            ..Default::default()
        };
        trailmesh_core::demo::seed(&store, &cfg, &trailmesh_core::import::NoProgress).await?;
        println!("seeded the demo study into {}", db.display());
    }
    let shutdown = CancellationToken::new();
    let query = CameraQuery::new(store.clone());
    let same_query = trailmesh_mcp_kit::serve_http(
        move || query.clone(),
        HttpOptions::new("127.0.0.1:0".parse()?),
        shutdown.clone(),
    )
    .await?;
    let server = trailmesh_mcp_camera_inventory::CameraInventoryServer::new(store.clone());
    let skill_tool = trailmesh_mcp_kit::serve_http(
        move || server.clone(),
        HttpOptions::new("127.0.0.1:0".parse()?),
        shutdown.clone(),
    )
    .await?;
    println!(
        "tools/call list_cameras (limit 50), {} sequential calls, then {} clients for {} s ({})",
        args.calls,
        args.concurrency,
        args.seconds,
        match wrk_path(&args) {
            Some(w) => format!("load from {}", w.display()),
            None => "load from in-process clients".to_string(),
        }
    );
    report_both_eras("trailmesh, skill tool", &skill_tool.url, &args).await?;
    NOOP.store(true, std::sync::atomic::Ordering::Relaxed);
    let t = Target {
        name: "trailmesh, no query (noop)",
        url: same_query.url.clone(),
        modern: true,
        session: None,
    };
    let f = measure(&t, &args).await?;
    report(t.name, "2026-07-28", &f);
    NOOP.store(false, std::sync::atomic::Ordering::Relaxed);
    let mut lat = Vec::new();
    for _ in 0..args.calls.min(1000) {
        let start = Instant::now();
        store.cameras().await?;
        lat.push(start.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{:<28} {:<11} median {:>8.1} us   (the query alone, no MCP)",
        "Store::cameras",
        "-",
        lat[lat.len() / 2]
    );
    let skill = trailmesh_camera_inventory::CameraInventory::new(store.clone());
    for (name, live) in [("camera-inventory skill", false), ("  after a health write", true)] {
        let mut lat = Vec::new();
        for i in 0..args.calls.min(1000) {
            if live {
                // What a live gateway does every few seconds (a camera id of its own, which
                // no report shows): a quiet commit, which leaves the kept answers in place.
                store
                    .upsert_camera_live(&trailmesh_core::store::CameraLive {
                        camera_id: "mcp-bench-probe".into(),
                        connected: true,
                        fps: 5.0,
                        bitrate_bps: i as f64,
                        last_frame: None,
                        last_event: None,
                        updated: chrono::Utc::now(),
                    })
                    .await?;
            }
            let start = Instant::now();
            skill
                .list_cameras(trailmesh_camera_inventory::ListCamerasInput {
                    limit: Some(50),
                    ..Default::default()
                })
                .await?;
            lat.push(start.elapsed().as_secs_f64() * 1e6);
        }
        lat.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{name:<28} {:<11} median {:>8.1} us   (the skill call alone, no MCP)",
            "-",
            lat[lat.len() / 2]
        );
    }

    match &args.python {
        Some(python) => compare_with_python(python, &db, &same_query.url, &args).await?,
        None => report_both_eras("trailmesh, same query", &same_query.url, &args).await?,
    }
    shutdown.cancel();
    same_query.finished().await?;
    skill_tool.finished().await?;
    Ok(())
}
