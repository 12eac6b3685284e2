//! Chat latency over real loopback HTTP: the orchestrator and the four skill agents in one
//! process on the standard demo study (75 days, scale 1), questions through `POST /v1/chat`.
//!
//! ```text
//! cargo bench -p trailmesh-orchestrator --bench chat
//! ```
//!
//! Prints the median and 95th percentile of a one-agent question (target: median < 20 ms), a
//! three-agent question (target: < 60 ms), and 200 concurrent sessions.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio_util::sync::CancellationToken;
use trailmesh_core::demo::{self, DemoConfig};
use trailmesh_core::{NoProgress, Store};
use trailmesh_orchestrator::{Orchestrator, OrchestratorConfig, api};
use trailmesh_skill_agent::{AgentOptions, SkillKind};

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(v[v.len() / 2]), ms(v[(v.len() * 95 / 100).min(v.len() - 1)]))
}

async fn ask(http: &reqwest::Client, base: &str, q: &str) -> Duration {
    let t = Instant::now();
    let r = http
        .post(format!("{base}/v1/chat"))
        .json(&json!({ "message": q }))
        .send()
        .await
        .expect("chat");
    assert!(r.status().is_success());
    let body: serde_json::Value = r.json().await.expect("json");
    assert!(
        body["agents"]
            .as_array()
            .is_some_and(|a| a.iter().all(|u| u["status"] == "ok")),
        "{body}"
    );
    t.elapsed()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("bench.db").display().to_string())
        .await
        .expect("db");
    let cfg = DemoConfig::default();
    demo::seed(&store, &cfg, &NoProgress).await.expect("seed");
    let counts = store.counts().await.expect("counts");
    let mut urls = Vec::new();
    let mut agents = Vec::new();
    for kind in SkillKind::ALL {
        let a = trailmesh_skill_agent::serve(
            kind,
            store.clone(),
            AgentOptions::new("127.0.0.1:0".parse().expect("addr")),
            CancellationToken::new(),
        )
        .await
        .expect("agent");
        urls.push(a.base_url.clone());
        agents.push(a);
    }
    let o = Orchestrator::new(store.clone(), OrchestratorConfig::default(), &urls);
    let running = api::serve(o, "127.0.0.1:0".parse().expect("addr"), CancellationToken::new())
        .await
        .expect("api");
    let base = running.base_url.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    println!("demo study: {} events, {} cameras", counts.events, counts.cameras);

    let one = "How many elk at CREEK-02 on 2026-06-05?";
    let three = "How many elk at CREEK-02 on 2026-06-05? Which cameras are faulty? What is the RAI of elk at CREEK-02?";
    for q in [one, three] {
        for _ in 0..10 {
            ask(&http, &base, q).await;
        }
    }
    let mut v = Vec::new();
    for _ in 0..200 {
        v.push(ask(&http, &base, one).await);
    }
    let (p50, p95) = stats(v);
    println!("one-agent question:   median {p50:.2} ms, p95 {p95:.2} ms (target median < 20 ms)");
    let mut v = Vec::new();
    for _ in 0..100 {
        v.push(ask(&http, &base, three).await);
    }
    let (p50, p95) = stats(v);
    println!("three-agent question: median {p50:.2} ms, p95 {p95:.2} ms (target median < 60 ms)");

    let started = Instant::now();
    // Latency of a session counts from the common start: queueing behind the others is part
    // of it.
    let sessions = (0..200).map(|_| {
        let http = http.clone();
        let base = base.clone();
        tokio::spawn(async move {
            ask(&http, &base, one).await;
            started.elapsed()
        })
    });
    let mut v = Vec::new();
    for s in sessions {
        v.push(s.await.expect("session"));
    }
    let wall = started.elapsed();
    let (p50, p95) = stats(v);
    println!(
        "200 concurrent sessions: all answered in {:.0} ms ({:.0} questions/s), median {p50:.1} ms, p95 {p95:.1} ms",
        wall.as_secs_f64() * 1000.0,
        200.0 / wall.as_secs_f64()
    );
    drop(agents);
}
