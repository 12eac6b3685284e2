//! A skill agent on real loopback HTTP, checked against the demo study's ground truth: the
//! card, data-part and text requests, the MCP endpoint on the same port, and durable tasks
//! (a restarted agent answers GetTask for a task of the agent before it).

use a2a_protocol::types::{Part, PartContent, Role};
use a2a_protocol::{A2aClient, Message, SendMessageRequest, SendMessageResponse, TaskState};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use trailmesh_core::demo::{self, DemoConfig, GroundTruth};
use trailmesh_core::model::ObservationType;
use trailmesh_core::{NoProgress, Store};
use trailmesh_skill_agent::{AgentOptions, SkillKind, serve};

async fn study(dir: &std::path::Path) -> (Store, GroundTruth) {
    let store = Store::open(&dir.join("t.db").display().to_string()).await.unwrap();
    let cfg = DemoConfig {
        days: 14,
        scale: 0.3,
        ..DemoConfig::default()
    };
    let (_, truth) = demo::seed(&store, &cfg, &NoProgress).await.unwrap();
    (store, truth)
}

fn data_message(operation: &str, arguments: Value) -> SendMessageRequest {
    SendMessageRequest::new(Message::new(
        Role::User,
        vec![Part::data(json!({"operation": operation, "arguments": arguments}))],
    ))
}

fn data_of(resp: &SendMessageResponse) -> (String, Value, TaskState) {
    let SendMessageResponse::Task(t) = resp else {
        panic!("expected a task, got {resp:?}")
    };
    let parts = &t.artifacts.first().expect("an artifact").parts;
    let data = parts
        .iter()
        .find_map(|p| match &p.content {
            PartContent::Data(v) => Some(v.clone()),
            _ => None,
        })
        .expect("a data part");
    assert!(parts.iter().any(|p| p.as_text().is_some()), "and a short text");
    (t.id.clone(), data, t.status.state)
}

#[tokio::test]
async fn event_agent_answers_from_the_data_and_keeps_tasks_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let (store, truth) = study(dir.path()).await;
    let stop = CancellationToken::new();
    let agent = serve(
        SkillKind::EventAnalyzer,
        store.clone(),
        AgentOptions::new("127.0.0.1:0".parse().unwrap()),
        stop.clone(),
    )
    .await
    .unwrap();
    let client = A2aClient::discover(&agent.base_url).await.unwrap();
    let card = client.card();
    assert_eq!(card.name, "trailmesh event-analyzer");
    assert!(card.capabilities.streaming == Some(true));
    let find = card
        .skills
        .iter()
        .find(|s| s.id == "find_events")
        .expect("find_events skill");
    assert!(!find.examples.is_empty() && find.tags.iter().any(|t| t == "events"));
    assert!(find.description.contains("newest first"), "the MCP tool's description");

    // Elk events at the camera that saw most of them, from the ground truth.
    let elk: Vec<_> = truth
        .events
        .iter()
        .filter(|e| {
            e.observation_type == ObservationType::Animal
                && e.identified
                && e.scientific_name.as_deref() == Some("Cervus canadensis")
        })
        .collect();
    let mut per_cam = std::collections::BTreeMap::<&str, usize>::new();
    for e in &elk {
        *per_cam.entry(e.camera_id.as_str()).or_default() += 1;
    }
    let (cam, want) = per_cam.iter().max_by_key(|(_, n)| **n).map(|(c, n)| (*c, *n)).unwrap();
    let resp = client
        .send_message(data_message(
            "find_events",
            json!({"species": "elk", "camera": cam, "limit": 5}),
        ))
        .await
        .unwrap();
    let (task_id, data, state) = data_of(&resp);
    assert_eq!(state, TaskState::Completed);
    assert_eq!(data["page"]["total"].as_u64().unwrap() as usize, want);
    assert_eq!(data["events"].as_array().unwrap().len(), want.min(5));

    // Text picks an operation; bad arguments fail with the field named; unknown operations
    // are rejected listing what exists.
    let text = client
        .send_message(SendMessageRequest::new(Message::user_text("find events")))
        .await
        .unwrap();
    let (_, data, _) = data_of(&text);
    assert_eq!(
        data["page"]["total"].as_u64().unwrap() as usize,
        truth
            .events
            .iter()
            .filter(|e| e.observation_type == ObservationType::Animal)
            .count()
    );
    let bad = client
        .send_message(data_message("find_events", json!({"limit": "many"})))
        .await
        .unwrap();
    let SendMessageResponse::Task(bad) = bad else { panic!() };
    assert_eq!(bad.status.state, TaskState::Failed);
    assert!(bad.status.message.unwrap().text().contains("limit"));
    let unknown = client.send_message(data_message("teleport", json!({}))).await.unwrap();
    let SendMessageResponse::Task(unknown) = unknown else {
        panic!()
    };
    assert_eq!(unknown.status.state, TaskState::Rejected);
    assert!(unknown.status.message.unwrap().text().contains("find_events"));

    // The MCP endpoint shares the port.
    let http = reqwest::Client::new();
    let mcp = http
        .post(format!("{}/mcp", agent.base_url))
        .header("Accept", "application/json, text/event-stream")
        .header("Content-Type", "application/json")
        .header("MCP-Protocol-Version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}}))
        .send()
        .await
        .unwrap();
    assert!(mcp.status().is_success(), "MCP initialize: {}", mcp.status());
    let body = mcp.text().await.unwrap();
    assert!(body.contains("trailmesh-mcp-event-analyzer"), "{body}");

    // Restart on the same database: the task is still there.
    let base = agent.base_url.clone();
    agent.stop().await.unwrap();
    assert!(A2aClient::discover(&base).await.is_err(), "stopped");
    let again = serve(
        SkillKind::EventAnalyzer,
        store.clone(),
        AgentOptions::new("127.0.0.1:0".parse().unwrap()),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let client = A2aClient::discover(&again.base_url).await.unwrap();
    let task = client.get_task(&task_id, None).await.unwrap();
    assert_eq!(task.status.state, TaskState::Completed);
    assert_eq!(task.artifacts.len(), 1);
    again.stop().await.unwrap();
}

#[tokio::test]
async fn every_skill_agent_serves_its_card_and_an_operation() {
    let dir = tempfile::tempdir().unwrap();
    let (store, truth) = study(dir.path()).await;
    let cases = [
        (SkillKind::CameraInventory, "list_cameras", json!({"limit": 500})),
        (SkillKind::BehaviorAnalytics, "effort", json!({})),
        (SkillKind::TrailBuilder, "sightings", json!({"species": "elk"})),
    ];
    for (kind, op, args) in cases {
        let agent = serve(
            kind,
            store.clone(),
            AgentOptions::new("127.0.0.1:0".parse().unwrap()),
            CancellationToken::new(),
        )
        .await
        .unwrap();
        let client = A2aClient::discover(&agent.base_url).await.unwrap();
        assert_eq!(client.card().skills.len(), kind.operations().len());
        let (_, data, state) = data_of(&client.send_message(data_message(op, args)).await.unwrap());
        assert_eq!(state, TaskState::Completed, "{op}");
        match op {
            "list_cameras" => assert_eq!(data["cameras"].as_array().unwrap().len(), truth.cameras.len()),
            "effort" => assert!(data["total_trap_nights"].as_f64().unwrap() > 0.0),
            _ => {
                let mut cams: Vec<&str> = truth
                    .events
                    .iter()
                    .filter(|e| e.identified && e.scientific_name.as_deref() == Some("Cervus canadensis"))
                    .map(|e| e.camera_id.as_str())
                    .collect();
                cams.sort();
                cams.dedup();
                assert_eq!(data["cameras"].as_array().unwrap().len(), cams.len());
            }
        }
        agent.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_non_loopback_agent_needs_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db").display().to_string())
        .await
        .unwrap();
    let err = serve(
        SkillKind::TrailBuilder,
        store,
        AgentOptions::new("0.0.0.0:0".parse().unwrap()),
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("API key"), "{err}");
}
