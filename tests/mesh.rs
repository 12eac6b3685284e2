//! The mesh as people run it, in real processes on loopback: `trailmesh up` with a
//! third-party Python A2A agent in its configuration, asked through the HTTP API and with
//! the official Python A2A client; then one process per agent, where killing the event agent
//! gives a partial answer naming it and restarting it restores full answers.
//!
//! Needs `A2A_PYTHON` (a Python with a2a-sdk[http-server]==1.3.0, installed by
//! `tests/run-all.sh`); fails without it.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HOW: &str = "run `bash tests/run-all.sh` (its \"A2A peers\" step installs a2a-sdk)";

fn python() -> String {
    let py = std::env::var("A2A_PYTHON").unwrap_or_else(|_| panic!("A2A_PYTHON is not set: {HOW}"));
    let ok = Command::new(&py)
        .args(["-c", "import a2a.client, a2a.server.routes, uvicorn"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{py} lacks a2a-sdk[http-server]: {HOW}");
    py
}

fn peers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    fn signal(&self, sig: &str) {
        let _ = Command::new("kill").args([sig, &self.0.id().to_string()]).status();
    }
}

/// Starts a process and reads its stdout up to the first line containing `until`; returns
/// the lines read.
fn start(mut cmd: Command, until: &str) -> (Proc, Vec<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start process");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let done = line.contains(until);
                got.push(line);
                if done {
                    break;
                }
            }
            Err(_) => panic!("no {until:?} line from {cmd:?} (got {got:?})"),
        }
    }
    (Proc(child), got)
}

fn trailmesh(data: &Path, config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trailmesh"));
    c.arg("--data-dir").arg(data).arg("--config").arg(config);
    c.env_remove("TRAILMESH_API_KEY").env("RUST_LOG", "warn");
    c
}

fn url_in(line: &str) -> String {
    line.split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_string()
}

fn base_of(url: &str) -> String {
    url.trim_end_matches("/.well-known/agent-card.json")
        .trim_end_matches("/v1/chat")
        .to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn seed(data: &Path, config: &Path) -> Value {
    let out = trailmesh(data, config)
        .args(["demo", "seed", "--days", "10", "--scale", "0.3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&std::fs::read(data.join("demo-truth.json")).unwrap()).unwrap()
}

fn ask(base: &str, message: &str) -> Value {
    let client = reqwest::blocking::Client::new();
    let r = client
        .post(format!("{base}/v1/chat"))
        .json(&json!({ "message": message }))
        .timeout(Duration::from_secs(60))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().unwrap()
}

/// Identified events of a species, from the ground truth.
fn truth_count(truth: &Value, species: &str) -> usize {
    truth["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["observation_type"] == "animal" && e["identified"] == true && e["scientific_name"] == species)
        .count()
}

#[test]
fn up_serves_the_mesh_with_a_third_party_python_agent_and_python_clients() {
    let py = python();
    let dir = tempfile::tempdir().unwrap();
    let (weather, lines) = start(
        {
            let mut c = Command::new(&py);
            c.arg(peers().join("weather_agent.py")).arg("0");
            c
        },
        "listening on",
    );
    let weather_url = format!("http://{}", lines[0].trim().trim_start_matches("listening on ").trim());
    let config = dir.path().join("mesh.toml");
    std::fs::write(
        &config,
        format!("[demo]\nseed_on_first_start = false\n\n[orchestrator]\nagents = [\"{weather_url}/.well-known/agent-card.json\"]\n"),
    )
    .unwrap();
    let truth = seed(dir.path(), &config);
    let port = free_port();
    let (up, lines) = start(
        {
            let mut c = trailmesh(dir.path(), &config);
            c.args(["up", "--listen", &format!("127.0.0.1:{port}")]);
            c
        },
        "press Ctrl-C",
    );
    let api = lines
        .iter()
        .find(|l| l.trim_start().starts_with("API:"))
        .map(|l| base_of(&url_in(l)))
        .unwrap();
    let event_agent = lines
        .iter()
        .find(|l| l.trim_start().starts_with("event-analyzer"))
        .map(|l| base_of(&url_in(l)))
        .unwrap_or_else(|| panic!("no event-analyzer line in {lines:?}"));
    assert!(
        lines.iter().any(|l| l.contains("/mcp")),
        "MCP endpoints printed: {lines:?}"
    );

    // Every skill through the HTTP API.
    let elk = truth_count(&truth, "Cervus canadensis");
    let a = ask(&api, "What is the RAI of elk?");
    assert!(
        a["answer"].as_str().unwrap().contains(&format!("of {elk} events")),
        "{a}"
    );
    let a = ask(&api, "list the cameras");
    let cams = truth["cameras"].as_array().unwrap().len();
    assert!(
        a["answer"].as_str().unwrap().starts_with(&format!("{cams} camera(s)")),
        "{a}"
    );
    let a = ask(&api, "How many elk events?");
    assert!(
        a["answer"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{elk} elk event(s)")),
        "{a}"
    );
    let a = ask(&api, "where was the elk seen?");
    assert_eq!(a["agents"][0]["agent"], "trailmesh trail-builder", "{a}");
    // The third-party Python agent, found by its card's tags.
    let a = ask(&api, "Will there be rain at the cameras?");
    assert!(a["answer"].as_str().unwrap().contains("Python weather agent"), "{a}");
    let agents: Value = reqwest::blocking::get(format!("{api}/v1/agents"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(agents["agents"].as_array().unwrap().len(), 5, "{agents}");

    // The official Python client: the orchestrator, and the event agent with a data part.
    let out = Command::new(&py)
        .arg(peers().join("mesh_client.py"))
        .arg(&api)
        .arg(&event_agent)
        .arg("How many elk events?")
        .arg(json!({"operation": "find_events", "arguments": {"species": "elk", "limit": 3}}).to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(report["orchestrator_state"], "TASK_STATE_COMPLETED", "{report}");
    assert!(
        report["answer"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{elk} elk event(s)")),
        "{report}"
    );
    assert_eq!(
        // protobuf Struct numbers are doubles.
        report["data"]["page"]["total"]
            .as_f64()
            .unwrap_or_else(|| panic!("{report}")) as usize,
        elk,
        "{report}"
    );
    assert_eq!(report["get_task_state"], "TASK_STATE_COMPLETED");

    // Ctrl-C stops everything cleanly.
    up.signal("-INT");
    let mut up = up;
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = up.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "trailmesh up did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    drop(weather);
}

#[test]
fn one_process_per_agent_survives_a_killed_agent() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mesh.toml");
    std::fs::write(&config, "[demo]\nseed_on_first_start = false\n").unwrap();
    let truth = seed(dir.path(), &config);
    let mut skills = Vec::new();
    let mut urls = Vec::new();
    let mut event_port = 0;
    for name in [
        "camera-inventory",
        "event-analyzer",
        "behavior-analytics",
        "trail-builder",
    ] {
        let port = free_port();
        if name == "event-analyzer" {
            event_port = port;
        }
        let (p, _) = start(
            {
                let mut c = trailmesh(dir.path(), &config);
                c.args(["agent", name, "--listen", &format!("127.0.0.1:{port}")]);
                c
            },
            "MCP:",
        );
        urls.push(format!("http://127.0.0.1:{port}"));
        skills.push((name, p));
    }
    let api_port = free_port();
    let mut cmd = trailmesh(dir.path(), &config);
    cmd.args(["agent", "orchestrator", "--listen", &format!("127.0.0.1:{api_port}")]);
    for u in &urls {
        cmd.args(["--agent-url", u]);
    }
    let (_orch, _) = start(cmd, "API:");
    let api = format!("http://127.0.0.1:{api_port}");
    let elk = truth_count(&truth, "Cervus canadensis");
    let a = ask(&api, "How many elk events?");
    assert!(
        a["answer"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{elk} elk event(s)")),
        "{a}"
    );

    // Kill -9 the event agent: a partial answer naming it, quickly.
    let i = skills.iter().position(|(n, _)| *n == "event-analyzer").unwrap();
    let (_, p) = skills.remove(i);
    p.signal("-KILL");
    drop(p);
    let started = Instant::now();
    let a = ask(&api, "How many elk events? Which cameras are online?");
    let text = a["answer"].as_str().unwrap();
    assert!(text.contains("could not reach trailmesh event-analyzer"), "{text}");
    assert!(text.contains("camera(s) online"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // Restart it on the same port: full answers again.
    let (_back, _) = start(
        {
            let mut c = trailmesh(dir.path(), &config);
            c.args([
                "agent",
                "event-analyzer",
                "--listen",
                &format!("127.0.0.1:{event_port}"),
            ]);
            c
        },
        "MCP:",
    );
    let a = ask(&api, "How many elk events?");
    assert!(
        a["answer"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{elk} elk event(s)")),
        "{a}"
    );
}
