//! SendMessage round trips over loopback HTTP (JSON-RPC) at 100 concurrent clients: our
//! server against the Python SDK's reference server, same executor shape (working, one
//! artifact, completed), same load generator, same run.
//!
//! ```text
//! A2A_PYTHON=.venv/bin/python cargo bench -p a2a-protocol --bench send_message
//! ```
//! `A2A_BENCH_SECONDS` (default 5) per server; `A2A_BENCH_CLIENTS` (default 100).

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use a2a_protocol::types::{Artifact, Part};
use a2a_protocol::{A2aError, A2aServer, AgentCard, AgentExecutor, EventSink, RequestContext};
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Debug)]
struct Trivial;

#[a2a_protocol::async_trait]
impl AgentExecutor for Trivial {
    async fn execute(&self, ctx: RequestContext, events: EventSink) -> Result<(), A2aError> {
        events.working();
        events.artifact(Artifact::new(vec![Part::text(format!("echo: {}", ctx.message.text()))]));
        events.complete(None);
        Ok(())
    }
}

/// Throughput and latency of one run.
struct Figures {
    requests: usize,
    errors: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// One keep-alive HTTP/1.1 connection: POST, read the response by Content-Length.
struct Conn {
    stream: tokio::io::BufReader<tokio::net::TcpStream>,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> std::io::Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: tokio::io::BufReader::new(stream),
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends `request` and returns whether the body reports a completed task.
    async fn round_trip(&mut self, request: &[u8]) -> std::io::Result<bool> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.stream.get_mut().write_all(request).await?;
        let mut length = None;
        let mut status_ok = false;
        let mut line = String::new();
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if l.starts_with("HTTP/1.1 ") {
                status_ok = l.as_bytes().get(9) == Some(&b'2');
            } else if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse::<usize>().ok();
            }
        }
        let length = length.ok_or_else(|| std::io::Error::other("no content-length"))?;
        self.buf.resize(length, 0);
        self.stream.read_exact(&mut self.buf).await?;
        Ok(status_ok && self.buf.windows(20).any(|w| w == b"TASK_STATE_COMPLETED"))
    }
}

async fn load(url: String, clients: usize, duration: Duration) -> Figures {
    let rest = url.strip_prefix("http://").expect("http url");
    let (addr, path) = rest
        .split_once('/')
        .map(|(a, p)| (a.to_string(), format!("/{p}")))
        .unwrap_or((rest.to_string(), "/".into()));
    let request = |i: usize| {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{i},"method":"SendMessage","params":{{"message":{{"messageId":"bench-{i}","role":"ROLE_USER","parts":[{{"text":"hello"}}]}}}}}}"#
        );
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nA2A-Version: 1.0\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let mut conns = Vec::new();
    for i in 0..clients {
        let mut c = Conn::open(&addr).await.expect("connect");
        let _ = c.round_trip(&request(i)).await; // warm up
        conns.push(c);
    }
    let start = Instant::now();
    let deadline = start + duration;
    let mut workers = Vec::new();
    for (w, mut conn) in conns.into_iter().enumerate() {
        let req = request(w);
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                match conn.round_trip(&req).await {
                    Ok(true) => lat.push(t.elapsed()),
                    Ok(false) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (lat, e) = w.await.expect("worker");
        all.extend(lat);
        errors += e;
    }
    let elapsed = start.elapsed();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Figures {
        requests: all.len(),
        errors,
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

/// `wrk` on PATH (or `A2A_BENCH_WRK`), the C load generator the brief names: it costs the
/// server far less CPU than an in-process client would.
fn wrk_path() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("A2A_BENCH_WRK") {
        return Some(p.into());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("wrk"))
        .find(|p| p.is_file())
}

/// The same load from `wrk` (`A2A_BENCH_WRK_THREADS` threads, default 1; `clients` connections); a Lua `response` hook counts
/// answers that are not HTTP 200 with a completed task as errors.
async fn load_with_wrk(wrk: &std::path::Path, url: &str, clients: usize, duration: Duration) -> Figures {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"bench-%d","role":"ROLE_USER","parts":[{"text":"hello"}]}}}"#;
    let lua = format!(
        r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["A2A-Version"] = "1.0"
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; n = 0 end
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format([[{body}]], n))
end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, "TASK_STATE_COMPLETED", 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  io.write(string.format("trailmesh: %d %d %d %d %d\n", summary.requests, b + summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, latency:percentile(50), latency:percentile(99), summary.duration))
end
"#
    );
    let script = std::env::temp_dir().join(format!("a2a-bench-{}.lua", std::process::id()));
    std::fs::write(&script, lua).expect("write wrk script");
    let out = tokio::process::Command::new(wrk)
        .args([
            "-t2",
            &format!("-c{clients}"),
            &format!("-d{}s", duration.as_secs()),
            "-s",
        ])
        .arg(&script)
        .arg(url)
        .output()
        .await
        .expect("run wrk");
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout);
    let nums: Vec<u64> = text
        .lines()
        .find_map(|l| l.strip_prefix("trailmesh: "))
        .unwrap_or_else(|| {
            panic!(
                "wrk printed no summary:\n{text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
        .split_whitespace()
        .map(|n| n.parse().expect("number"))
        .collect();
    let (requests, errors, p50, p99, micros) = (nums[0], nums[1], nums[2], nums[3], nums[4]);
    Figures {
        requests: (requests - errors.min(requests)) as usize,
        errors: errors as usize,
        per_second: requests as f64 / (micros as f64 / 1e6),
        p50: Duration::from_micros(p50),
        p99: Duration::from_micros(p99),
    }
}

async fn measure(url: String, clients: usize, duration: Duration) -> Figures {
    match wrk_path() {
        Some(wrk) => load_with_wrk(&wrk, &url, clients, duration).await,
        None => load(url, clients, duration).await,
    }
}

fn print(name: &str, f: &Figures) {
    println!(
        "{name:<28} {:>9.0} req/s  p50 {:>8.2} ms  p99 {:>8.2} ms  ({} ok, {} errors)",
        f.per_second,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.requests,
        f.errors
    );
}

async fn python_server(py: &str) -> Option<(tokio::process::Child, String)> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/py_server.py");
    let mut child = tokio::process::Command::new(py)
        .arg(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let mut lines = BufReader::new(child.stdout.take()?).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .ok()?
        .ok()??;
    let base = format!("http://{}", line.strip_prefix("listening on ")?);
    for _ in 0..100 {
        if reqwest::get(format!("{base}/.well-known/agent-card.json"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Some((child, format!("{base}/")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

fn main() {
    let secs = std::env::var("A2A_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let clients = std::env::var("A2A_BENCH_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let duration = Duration::from_secs(secs);
    // Server worker threads (`A2A_BENCH_SERVER_THREADS`, default: one per core). With wrk on
    // the same two cores, one worker leaves wrk a core of its own instead of time-slicing.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = std::env::var("A2A_BENCH_SERVER_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        builder.worker_threads(n);
    }
    let rt = builder.enable_all().build().expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let card = AgentCard::new("bench", "trivial agent", "1").with_http_interfaces(&base);
        let router = A2aServer::new(card, Trivial).router();
        tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
        println!(
            "SendMessage over loopback HTTP (JSON-RPC), {clients} concurrent clients, {secs} s each, load from {}",
            wrk_path().map_or("in-process clients (no wrk on PATH)".to_string(), |w| w
                .display()
                .to_string())
        );
        let ours = Arc::new(measure(format!("{base}/"), clients, duration).await);
        print("a2a-protocol (Rust)", &ours);
        match std::env::var("A2A_PYTHON").ok() {
            Some(py) => match python_server(&py).await {
                Some((_child, url)) => {
                    let theirs = measure(url, clients, duration).await;
                    print("a2a-sdk 1.3.0 (Python)", &theirs);
                    if theirs.per_second > 0.0 {
                        println!(
                            "ratio: {:.0}x the Python SDK's throughput",
                            ours.per_second / theirs.per_second
                        );
                    }
                }
                None => println!("the Python reference server did not start ({py})"),
            },
            None => println!("A2A_PYTHON is not set: the Python reference server was not measured"),
        }
    });
}
