//! The orchestrator over the four skill agents on real loopback HTTP, asked through its HTTP
//! API; every expected number is computed from the demo study's ground truth, not from the
//! skills.

use std::collections::BTreeMap;

use a2a_protocol::card::AgentSkill;
use a2a_protocol::{A2aError, A2aServer, AgentCard, AgentExecutor, EventSink, RequestContext};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use trailmesh_core::demo::{self, DemoConfig, EventTruth, GroundTruth};
use trailmesh_core::model::ObservationType;
use trailmesh_core::{NoProgress, Store};
use trailmesh_orchestrator::config::{LlmConfig, LlmMode};
use trailmesh_orchestrator::{Orchestrator, OrchestratorConfig, api};
use trailmesh_skill_agent::{AgentOptions, RunningAgent, SkillKind};

#[path = "llm/server.rs"]
mod llm_server;
use llm_server::model_server;

const ELK: &str = "Cervus canadensis";
const DEER: &str = "Odocoileus hemionus";

/// A third-party agent: answers weather questions, knows nothing of cameras.
#[derive(Debug)]
struct Weather;

#[a2a_protocol::async_trait]
impl AgentExecutor for Weather {
    async fn execute(&self, _ctx: RequestContext, events: EventSink) -> Result<(), A2aError> {
        events.complete(Some("Clear skies, 14 degrees at the study area.".into()));
        Ok(())
    }
}

async fn weather_agent() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut card = AgentCard::new("weather station", "Local weather", "1.0").with_http_interfaces(&base);
    card.skills.push(AgentSkill {
        id: "forecast".into(),
        name: "Weather".into(),
        description: "Current weather".into(),
        tags: vec!["weather".into(), "forecast".into()],
        examples: vec![],
        input_modes: vec![],
        output_modes: vec![],
        security_requirements: vec![],
    });
    let app = A2aServer::new(card, Weather).router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

struct Mesh {
    _dir: tempfile::TempDir,
    store: Store,
    truth: GroundTruth,
    agents: Vec<RunningAgent>,
    base: String,
    http: reqwest::Client,
}

impl Mesh {
    async fn start() -> Mesh {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db").display().to_string())
            .await
            .unwrap();
        let cfg = DemoConfig {
            days: 14,
            scale: 0.3,
            ..DemoConfig::default()
        };
        let (_, truth) = demo::seed(&store, &cfg, &NoProgress).await.unwrap();
        let mut agents = Vec::new();
        for kind in SkillKind::ALL {
            agents.push(
                trailmesh_skill_agent::serve(
                    kind,
                    store.clone(),
                    AgentOptions::new("127.0.0.1:0".parse().unwrap()),
                    CancellationToken::new(),
                )
                .await
                .unwrap(),
            );
        }
        let urls: Vec<String> = agents.iter().map(|a| a.base_url.clone()).collect();
        let config = OrchestratorConfig {
            agents: vec![format!("{}/.well-known/agent-card.json", weather_agent().await)],
            // Generous: debug builds under a full parallel test run are slow (the overlap
            // bootstrap takes seconds); a stopped agent still fails at once (refused).
            agent_timeout_ms: 30_000,
            ..OrchestratorConfig::default()
        };
        let o = Orchestrator::new(store.clone(), config, &urls);
        let running = api::serve(o, "127.0.0.1:0".parse().unwrap(), CancellationToken::new())
            .await
            .unwrap();
        Mesh {
            _dir: dir,
            store,
            truth,
            agents,
            base: running.base_url.clone(),
            http: reqwest::Client::new(),
        }
    }

    async fn ask(&self, message: &str, conversation: Option<&str>) -> Value {
        let mut body = json!({ "message": message });
        if let Some(c) = conversation {
            body["conversationId"] = json!(c);
        }
        let r = self
            .http
            .post(format!("{}/v1/chat", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{message}");
        r.json().await.unwrap()
    }

    /// Another orchestrator over the same agents, with `config`; its API base URL.
    async fn orchestrator(&self, config: OrchestratorConfig) -> String {
        let urls: Vec<String> = self.agents.iter().map(|a| a.base_url.clone()).collect();
        let o = Orchestrator::new(self.store.clone(), config, &urls);
        let running = api::serve(o, "127.0.0.1:0".parse().unwrap(), CancellationToken::new())
            .await
            .unwrap();
        running.base_url.clone()
    }

    async fn ask_at(&self, base: &str, message: &str) -> Value {
        let r = self
            .http
            .post(format!("{base}/v1/chat"))
            .json(&json!({ "message": message }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{message}");
        r.json().await.unwrap()
    }

    fn tz(&self) -> FixedOffset {
        FixedOffset::east_opt(self.truth.utc_offset_min * 60).unwrap()
    }

    fn day(&self, d: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let tz = self.tz();
        let start = tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap()).unwrap();
        (
            start.with_timezone(&Utc),
            (start + Duration::days(1)).with_timezone(&Utc),
        )
    }

    /// The (key, local day) with the most events passing `f`, and how many it had.
    fn busiest(
        &self,
        f: impl Fn(&EventTruth) -> bool,
        key: impl Fn(&EventTruth) -> String,
    ) -> (String, NaiveDate, usize) {
        let tz = self.tz();
        let mut by: BTreeMap<(String, NaiveDate), usize> = BTreeMap::new();
        for e in self.truth.events.iter().filter(|e| f(e)) {
            *by.entry((key(e), e.start.with_timezone(&tz).date_naive())).or_default() += 1;
        }
        let ((k, day), n) = by.into_iter().max_by_key(|(_, n)| *n).unwrap();
        (k, day, n)
    }

    fn count(&self, f: impl Fn(&EventTruth) -> bool) -> usize {
        self.truth.events.iter().filter(|e| f(e)).count()
    }
}

fn animal(e: &EventTruth) -> bool {
    e.observation_type == ObservationType::Animal
}

fn of(e: &EventTruth, species: &str) -> bool {
    animal(e) && e.identified && e.scientific_name.as_deref() == Some(species)
}

fn answer(v: &Value) -> String {
    v["answer"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn questions_through_the_http_api_match_the_ground_truth() {
    let m = Mesh::start().await;
    let tz = m.tz();
    // The camera and local day with the most elk events.
    let (cam, date, n) = m.busiest(|e| of(e, ELK), |e| e.camera_id.clone());
    let (from, to) = m.day(date);
    assert_eq!(
        n,
        m.count(|e| of(e, ELK) && e.camera_id == cam && e.start >= from && e.start < to)
    );

    // 1. A count, with sources.
    let a = m.ask(&format!("How many elk at {cam} on {date}?"), None).await;
    let text = answer(&a);
    assert!(text.starts_with(&format!("{n} elk event(s)")), "{text}");
    assert!(text.contains("trailmesh event-analyzer (find_events)"), "{text}");
    assert!(a["events"].as_array().unwrap().len() == n.min(50));
    let conv = a["conversationId"].as_str().unwrap().to_string();

    // 2. Follow-ups keep species and place, or time.
    let (f2, t2) = m.day(date - Duration::days(1));
    let want = m.count(|e| of(e, ELK) && e.camera_id == cam && e.start >= f2 && e.start < t2);
    let text = answer(&m.ask("and the day before?", Some(&conv)).await);
    assert!(text.starts_with(&format!("{want} elk event(s) at {cam}")), "{text}");
    let other = m.truth.cameras.iter().find(|c| c.id != cam).unwrap().id.clone();
    let want = m.count(|e| of(e, ELK) && e.camera_id == other && e.start >= f2 && e.start < t2);
    let text = answer(&m.ask(&format!("and at {other}?"), Some(&conv)).await);
    assert!(text.starts_with(&format!("{want} elk event(s) at {other}")), "{text}");
    let stored: Value = m
        .http
        .get(format!("{}/v1/conversations/{conv}", m.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["turns"].as_array().unwrap().len(), 3);

    // 3. A comparison of two species.
    let deer = m.count(|e| of(e, DEER) && e.camera_id == cam && e.start >= from && e.start < to);
    let text = answer(
        &m.ask(&format!("compare elk and mule deer at {cam} on {date}"), None)
            .await,
    );
    assert!(
        text.contains(&format!("{n} elk event(s)")) && text.contains(&format!("{deer} mule deer event(s)")),
        "{text}"
    );
    assert!(text.contains("more than") || text.contains("same number"), "{text}");

    // 3b. A comparison of two days.
    let prev = m.count(|e| of(e, ELK) && e.camera_id == cam && e.start >= f2 && e.start < t2);
    let yesterday = date - Duration::days(1);
    let text = answer(
        &m.ask(&format!("How many elk at {cam} on {date} vs {yesterday}?"), None)
            .await,
    );
    assert!(
        text.contains(&format!("{n} elk event(s) at {cam}")) && text.contains(&format!("{prev} elk event(s) at {cam}")),
        "{text}"
    );

    // 4. Cameras (inventory agent).
    let text = answer(&m.ask("list the cameras", None).await);
    assert!(
        text.starts_with(&format!("{} camera(s)", m.truth.cameras.len())),
        "{text}"
    );

    // 5. A site summary (event agent), counting unidentified animals too.
    let site = m.truth.cameras.iter().find(|c| c.id == cam).unwrap().site.clone();
    let site_cams: Vec<&str> = m
        .truth
        .cameras
        .iter()
        .filter(|c| c.site == site)
        .map(|c| c.id.as_str())
        .collect();
    let want = m.count(|e| animal(e) && site_cams.contains(&e.camera_id.as_str()) && e.start >= from && e.start < to);
    let text = answer(&m.ask(&format!("summary for {site} on {date}"), None).await);
    assert!(text.contains(&format!("{want} animal events")), "{text}");

    // 6. Statistics (behaviour agent): event counts behind RAI and diel activity.
    let elk_all = m.count(|e| of(e, ELK));
    let text = answer(&m.ask("What is the RAI of elk?", None).await);
    assert!(text.contains(&format!("of {elk_all} events")), "{text}");
    assert!(text.contains("trailmesh behavior-analytics (rai)"), "{text}");
    let deer_all = m.count(|e| of(e, DEER));
    let text = answer(&m.ask("when are mule deer active?", None).await);
    assert!(text.contains(&format!("({deer_all} events)")), "{text}");

    // 7. Movement (trail agent).
    let fox = "Vulpes vulpes";
    let mut fox_cams: Vec<&str> = m
        .truth
        .events
        .iter()
        .filter(|e| of(e, fox))
        .map(|e| e.camera_id.as_str())
        .collect();
    fox_cams.sort();
    fox_cams.dedup();
    let text = answer(&m.ask("where was the red fox seen?", None).await);
    assert!(
        text.contains(&format!("seen at {} camera(s)", fox_cams.len())),
        "{text}"
    );
    let individual = m.truth.individuals.first().unwrap().individual_id.clone();
    let a = m.ask(&format!("where did {individual} go?"), None).await;
    assert!(
        answer(&a).contains(&format!("trail(s) of {individual}")),
        "{}",
        answer(&a)
    );
    assert_eq!(a["agents"][0]["agent"], "trailmesh trail-builder");

    // 8. A multi-part question reaches two agents in parallel.
    let a = m
        .ask(
            &format!("How many elk at {cam} on {date}? Which cameras are faulty?"),
            None,
        )
        .await;
    let agents: Vec<&str> = a["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["operation"].as_str().unwrap())
        .collect();
    assert!(
        agents.contains(&"find_events") && agents.contains(&"list_cameras"),
        "{agents:?}"
    );
    assert!(answer(&a).contains("\n\n"));

    // 9. "last night", relative to the study's last event.
    let newest = m
        .truth
        .events
        .iter()
        .filter(|e| animal(e))
        .map(|e| e.start)
        .max()
        .unwrap();
    let today = newest.with_timezone(&tz).date_naive();
    let ln_from = tz
        .from_local_datetime(&(today - Duration::days(1)).and_hms_opt(18, 0, 0).unwrap())
        .unwrap();
    let ln_to = tz.from_local_datetime(&today.and_hms_opt(6, 0, 0).unwrap()).unwrap();
    let want = m.count(|e| animal(e) && e.start >= ln_from && e.start < ln_to);
    let text = answer(&m.ask("How many animal events last night?", None).await);
    assert!(
        text.starts_with(&format!("{want} animal event(s) last night")),
        "{text}"
    );

    // 10. A third-party agent from the configuration, chosen by its card's tags.
    let a = m.ask("what is the weather like?", None).await;
    assert!(answer(&a).contains("Clear skies"), "{}", answer(&a));
    assert_eq!(a["agents"][0]["agent"], "weather station");

    // 11. /v1/events and /v1/cameras pass through to the agents.
    let ev: Value = m
        .http
        .get(format!("{}/v1/events", m.base))
        .query(&[
            ("species", "elk"),
            ("camera", cam.as_str()),
            ("from", &from.to_rfc3339()),
            ("to", &to.to_rfc3339()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ev["page"]["total"].as_u64().unwrap() as usize, n);
    let agents: Value = m
        .http
        .get(format!("{}/v1/agents", m.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = agents["agents"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    assert!(list.iter().all(|a| a["status"] == "up"), "{agents}");

    // 12. A weekly site report with charts.
    let r: Value = m
        .http
        .post(format!("{}/v1/reports", m.base))
        .json(&json!({"kind": "site", "site": site, "from": from.to_rfc3339(), "to": (to + Duration::days(6)).to_rfc3339()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["html"].as_str().unwrap().contains("<svg"), "{r}");
    assert!(r["markdown"].as_str().unwrap().contains("animal events"));
    let r: Value = m
        .http
        .post(format!("{}/v1/reports", m.base))
        .json(&json!({"kind": "species", "species": "elk"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let md = r["markdown"].as_str().unwrap();
    assert!(md.contains(&format!("({elk_all} events)")), "{md}");
    assert!(r["html"].as_str().unwrap().contains("<svg"));
    let _ = &m.store;
}

#[tokio::test]
async fn a_stopped_agent_gives_a_partial_answer_and_a_restart_restores_it() {
    let mut m = Mesh::start().await;
    let i = m
        .agents
        .iter()
        .position(|a| a.kind == SkillKind::EventAnalyzer)
        .unwrap();
    let agent = m.agents.remove(i);
    let addr = agent.addr;
    agent.stop().await.unwrap();
    let started = std::time::Instant::now();
    let a = m
        .ask("How many elk in the last 3 days? Which cameras are online?", None)
        .await;
    let text = answer(&a);
    assert!(text.contains("could not reach trailmesh event-analyzer"), "{text}");
    assert!(
        text.contains("camera(s) online"),
        "the inventory part still answers: {text}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "never hangs");
    let agents: Value = m
        .http
        .get(format!("{}/v1/agents", m.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        agents["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["status"] == "down")
    );

    let back = trailmesh_skill_agent::serve(
        SkillKind::EventAnalyzer,
        m.store.clone(),
        AgentOptions::new(addr),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let text = answer(&m.ask("How many elk in the last 3 days?", None).await);
    assert!(!text.contains("could not reach"), "{text}");
    assert!(text.contains("elk event(s)"), "{text}");
    m.agents.push(back);
}

#[tokio::test]
async fn the_api_streams_checks_input_and_guards_access() {
    let m = Mesh::start().await;
    let sse = m
        .http
        .post(format!("{}/v1/chat", m.base))
        .header("Accept", "text/event-stream")
        .json(&json!({"message": "How many elk last week?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    let body = sse.text().await.unwrap();
    for ev in ["event: plan", "event: agentCall", "event: agentResult", "event: answer"] {
        assert!(body.contains(ev), "{ev} missing from {body}");
    }
    let post = |body: String| {
        m.http
            .post(format!("{}/v1/chat", m.base))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(post("{\"message\": \"\"}".into()).await.unwrap().status(), 400);
    let bad = post("{not json".into()).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("invalid_json"));
    assert_eq!(
        post(format!("{{\"message\": \"{}\"}}", "x".repeat(100_000)))
            .await
            .unwrap()
            .status(),
        413
    );
    let missing = m
        .http
        .get(format!("{}/v1/conversations/nope", m.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let health: Value = m
        .http
        .get(format!("{}/healthz", m.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let doc: Value = m
        .http
        .get(format!("{}/openapi.json", m.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/v1/chat"].is_object());
    // The orchestrator is an A2A agent too: a card, and questions over JSON-RPC.
    let client = a2a_protocol::A2aClient::discover(&m.base).await.unwrap();
    assert_eq!(client.card().name, "trailmesh orchestrator");
    let resp = client
        .send_message(a2a_protocol::SendMessageRequest::new(a2a_protocol::Message::user_text(
            "list the cameras",
        )))
        .await
        .unwrap();
    let a2a_protocol::SendMessageResponse::Task(t) = resp else {
        panic!()
    };
    assert!(t.status.message.unwrap().text().contains("camera(s)"));

    // With keys: 401 without one, 200 with one; beyond loopback a key is required.
    let keyed = Orchestrator::new(
        m.store.clone(),
        OrchestratorConfig {
            api_keys: vec!["s3cret".into()],
            cors_origins: vec!["http://localhost:3000".into()],
            ..OrchestratorConfig::default()
        },
        &m.agents.iter().map(|a| a.base_url.clone()).collect::<Vec<_>>(),
    );
    let running = api::serve(keyed.clone(), "127.0.0.1:0".parse().unwrap(), CancellationToken::new())
        .await
        .unwrap();
    let url = format!("{}/v1/agents", running.base_url);
    assert_eq!(m.http.get(&url).send().await.unwrap().status(), 401);
    let ok = m
        .http
        .get(&url)
        .bearer_auth("s3cret")
        .header("Origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["access-control-allow-origin"], "http://localhost:3000");
    let foreign = m
        .http
        .get(&url)
        .header("X-API-Key", "s3cret")
        .header("Origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let open = Orchestrator::new(m.store.clone(), OrchestratorConfig::default(), &[]);
    let err = api::serve(open, "0.0.0.0:0".parse().unwrap(), CancellationToken::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("API key"), "{err}");
}

fn llm(base_url: &str, mode: LlmMode, max_tokens: u32, prose: bool) -> OrchestratorConfig {
    OrchestratorConfig {
        agent_timeout_ms: 20_000,
        llm: Some(LlmConfig {
            base_url: base_url.into(),
            model: "smollm2".into(),
            mode,
            max_tokens,
            prose,
            timeout_ms: 120_000,
            ..LlmConfig::default()
        }),
        ..OrchestratorConfig::default()
    }
}

#[tokio::test]
async fn a_real_local_model_routes_and_the_built_in_router_covers_its_failures() {
    let server = model_server();
    let m = Mesh::start().await;
    let question = "What is the RAI of elk?";
    let built_in = m.ask(question, None).await;
    assert_eq!(built_in["router"]["planner"], "built-in");
    let elk_all = m.count(|e| of(e, ELK));
    assert!(answer(&built_in).contains(&format!("of {elk_all} events")));

    // 1. JSON-Schema routing: the model's route is validated and planned; the numbers still
    //    come from the agents, and prose keeps to them.
    let base = m
        .orchestrator(llm(&server.base_url, LlmMode::JsonSchema, 160, true))
        .await;
    let a = m.ask_at(&base, question).await;
    let router = &a["router"];
    eprintln!("model route and writer: {router}\nanswer: {}", answer(&a));
    assert_eq!(router["planner"], "llm", "{a:#}");
    let route = &router["routes"][0];
    let op = route["name"].as_str().unwrap();
    let agents = a["agents"].as_array().unwrap();
    assert!(!agents.is_empty(), "{a:#}");
    for u in agents {
        assert_eq!(u["operation"], op, "the plan follows the model's route: {a:#}");
    }
    let facts = answer(&built_in);
    match router["writer"].as_str().unwrap() {
        "llm" => {
            // Every number in the prose is one the agents (or the question) gave.
            for n in trailmesh_orchestrator::llm::numbers_in(&answer(&a)) {
                assert!(
                    trailmesh_orchestrator::llm::numbers_in(&facts).contains(&n) || a["data"].to_string().contains(&n),
                    "invented {n}: {a:#}"
                );
            }
        }
        "built-in" => assert!(
            router["fallbacks"][0].as_str().unwrap().contains("prose was rejected"),
            "{a:#}"
        ),
        other => panic!("writer {other}"),
    }
    assert!(answer(&a).contains("Source: "), "{a:#}");

    // The stream shows the model's steps.
    let sse = m
        .http
        .post(format!("{base}/v1/chat"))
        .header("Accept", "text/event-stream")
        .json(&json!({"message": question}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sse.contains("event: model"), "{sse}");

    // 2. Tool calling with a model whose template has no tools: it writes prose instead of a
    //    call (real malformed output), and the built-in router answers, saying why.
    let base = m.orchestrator(llm(&server.base_url, LlmMode::Tools, 60, false)).await;
    let a = m.ask_at(&base, question).await;
    assert_eq!(a["router"]["planner"], "built-in", "{a:#}");
    let why = a["router"]["fallbacks"][0].as_str().unwrap();
    assert!(why.contains("malformed"), "{why}");
    assert_eq!(answer(&a), answer(&built_in));

    // 3. A reply cut off at the token limit is malformed JSON: the built-in router answers.
    let base = m
        .orchestrator(llm(&server.base_url, LlmMode::JsonSchema, 6, false))
        .await;
    let a = m.ask_at(&base, question).await;
    assert_eq!(a["router"]["planner"], "built-in", "{a:#}");
    let why = a["router"]["fallbacks"][0].as_str().unwrap();
    assert!(why.contains("cut off at the token limit"), "{why}");
    assert_eq!(answer(&a), answer(&built_in));

    // 4. No server: the built-in router answers at once.
    let dead = format!("http://127.0.0.1:{}/v1", {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    });
    let base = m.orchestrator(llm(&dead, LlmMode::JsonSchema, 160, true)).await;
    let started = std::time::Instant::now();
    let a = m.ask_at(&base, question).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(a["router"]["planner"], "built-in");
    assert_eq!(a["router"]["writer"], "built-in");
    assert!(
        a["router"]["fallbacks"][0]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{a:#}"
    );
    assert_eq!(answer(&a), answer(&built_in));
    drop(server);
}

/// One question and the facts its answer must state, computed from the ground truth.
struct Check {
    question: String,
    facts: Vec<String>,
}

fn check(question: impl Into<String>, facts: &[String]) -> Check {
    Check {
        question: question.into(),
        facts: facts.to_vec(),
    }
}

/// The official Python A2A client (a2a-sdk 1.3.0, under `A2A_PYTHON`) asks the orchestrator
/// every question; the answers in order.
fn ask_with_python_a2a(base: &str, questions: &[String]) -> Vec<Value> {
    use std::io::Write;
    let py = std::env::var("A2A_PYTHON").unwrap_or_else(|_| {
        panic!("A2A_PYTHON is not set: run `bash tests/run-all.sh` (its \"A2A peers\" step installs a2a-sdk)")
    });
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/ask_many.py");
    let mut child = std::process::Command::new(&py)
        .arg(&script)
        .arg(base)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{py} {}: {e}", script.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(questions).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "ask_many.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array().unwrap().clone()
}

#[tokio::test]
async fn thirty_questions_over_every_skill_through_the_api_and_the_python_a2a_client() {
    let m = Mesh::start().await;
    let t = &m.truth;
    let animal_events = |sci: &str| m.count(|e| of(e, sci));
    let cams_of = |sci: &str| {
        let mut c: Vec<&str> = t
            .events
            .iter()
            .filter(|e| of(e, sci))
            .map(|e| e.camera_id.as_str())
            .collect();
        c.sort();
        c.dedup();
        c
    };
    let mut checks = Vec::new();
    // Per species with enough data: a count on its busiest camera-day (event analyzer),
    // RAI and diel activity (behaviour analytics), where it was seen (trail builder).
    let species: Vec<_> = t
        .species
        .iter()
        .filter(|s| animal_events(&s.scientific_name) >= 5)
        .collect();
    assert!(species.len() >= 5, "the demo study has too few species with data");
    for s in &species {
        let sci = s.scientific_name.as_str();
        let common = s.common_name.to_lowercase();
        let (cam, date, n) = m.busiest(|e| of(e, sci), |e| e.camera_id.clone());
        checks.push(check(
            format!("How many {common} at {cam} on {date}?"),
            &[format!("{n} {common} event(s) at {cam}")],
        ));
        let total = animal_events(sci);
        checks.push(check(
            format!("What is the RAI of {common}?"),
            &[format!("of {total} events")],
        ));
        checks.push(check(
            format!("When is the {common} active?"),
            &[format!("({total} events)")],
        ));
        let cams = cams_of(sci);
        checks.push(check(
            format!("Where was the {common} seen?"),
            &[format!("seen at {} camera(s)", cams.len()), cams[0].to_string()],
        ));
    }
    // Occupancy, overlap, effort (behaviour analytics).
    let (a, b) = (&species[0], &species[1]);
    let (ca, cb) = (a.common_name.to_lowercase(), b.common_name.to_lowercase());
    checks.push(check(
        format!("What is the naive occupancy of {ca}?"),
        &[format!("detected at {} of", cams_of(&a.scientific_name).len())],
    ));
    checks.push(check(
        format!("How much does the activity of {ca} and {cb} overlap?"),
        &[
            format!("({} events) and", animal_events(&a.scientific_name)),
            format!("({} events):", animal_events(&b.scientific_name)),
        ],
    ));
    let deployed: std::collections::BTreeSet<&str> = t.deployments.iter().map(|d| d.camera_id.as_str()).collect();
    checks.push(check(
        "What was the sampling effort?",
        &[format!("over {} camera(s)", deployed.len())],
    ));
    // A marked individual's trail (trail builder): its first recorded camera starts a trail.
    let ind = &t.individuals[0];
    checks.push(check(
        format!("Where did {} go?", ind.individual_id),
        &[format!("trail(s) of {}", ind.individual_id)],
    ));
    // The inventory.
    checks.push(check("list the cameras", &[format!("{} camera(s)", t.cameras.len())]));
    // A site summary on the busiest day for animals.
    let (site, day, n) = m.busiest(animal, |e| {
        t.cameras.iter().find(|c| c.id == e.camera_id).unwrap().site.clone()
    });
    checks.push(check(
        format!("summary for {site} on {day}"),
        &[format!("{n} animal events")],
    ));
    // Two species compared on one day everywhere.
    let (from, to) = m.day(day);
    let na = m.count(|e| of(e, &a.scientific_name) && e.start >= from && e.start < to);
    let nb = m.count(|e| of(e, &b.scientific_name) && e.start >= from && e.start < to);
    checks.push(check(
        format!("compare {ca} and {cb} on {day}"),
        &[format!("{na} {ca} event(s)"), format!("{nb} {cb} event(s)")],
    ));
    // A third-party agent.
    checks.push(check("what is the weather like?", &["Clear skies".to_string()]));
    assert!(checks.len() >= 30, "only {} questions", checks.len());

    let questions: Vec<String> = checks.iter().map(|c| c.question.clone()).collect();
    let mut failures = Vec::new();
    for c in &checks {
        let got = answer(&m.ask(&c.question, None).await);
        for f in &c.facts {
            if !got.contains(f.as_str()) {
                failures.push(format!("HTTP: \"{}\" lacks \"{f}\": {got}", c.question));
            }
        }
    }
    let base = m.base.clone();
    let a2a = tokio::task::spawn_blocking(move || ask_with_python_a2a(&base, &questions))
        .await
        .unwrap();
    assert_eq!(a2a.len(), checks.len());
    for (c, got) in checks.iter().zip(&a2a) {
        assert_eq!(got["state"], "TASK_STATE_COMPLETED", "{got}");
        let text = got["answer"].as_str().unwrap();
        for f in &c.facts {
            if !text.contains(f.as_str()) {
                failures.push(format!("A2A: \"{}\" lacks \"{f}\": {text}", c.question));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} questions:\n{}",
        failures.len(),
        checks.len(),
        failures.join("\n")
    );

    // The migration wave: the direction the skill finds is the simulated one.
    let migrant = t
        .species
        .iter()
        .find(|s| s.scientific_name == t.migration.scientific_name)
        .unwrap()
        .common_name
        .to_lowercase();
    let text = answer(&m.ask(&format!("Is the {migrant} migrating?"), None).await);
    let deg: f64 = text
        .split("heads ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no direction in {text}"));
    let off = ((deg - t.migration.axis_bearing_deg).rem_euclid(360.0))
        .min((t.migration.axis_bearing_deg - deg).rem_euclid(360.0));
    assert!(
        off < 45.0,
        "found {deg} degrees, simulated {}: {text}",
        t.migration.axis_bearing_deg
    );
    eprintln!(
        "{} questions, each through the HTTP API and the Python a2a-sdk client",
        checks.len()
    );
}
