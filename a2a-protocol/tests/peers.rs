//! Interop with the official SDKs, installed from the registries by `tests/run-all.sh`:
//! the Python `a2a-sdk` 1.3.0 client drives our server, our client drives the Python SDK's
//! reference server, and the JS `@a2a-js/sdk` 1.3.0 client drives our server.
//!
//! `A2A_PYTHON` names a Python with `a2a-sdk[http-server]==1.3.0`; the JS SDK is expected in
//! `a2a-protocol/tests/js/node_modules` (`npm ci` there); `A2A_NODE` overrides `node`.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use a2a_protocol::client::Binding;
use a2a_protocol::types::SendMessageConfiguration;
use a2a_protocol::{A2aClient, Message, SendMessageRequest, SendMessageResponse, StreamResponse, TaskState};
use futures::StreamExt as _;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const HOW: &str = "run `bash tests/run-all.sh` (its \"A2A peers\" step installs them)";

fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

fn python() -> String {
    let py = std::env::var("A2A_PYTHON").unwrap_or_else(|_| panic!("A2A_PYTHON is not set: {HOW}"));
    let ok = std::process::Command::new(&py)
        .args(["-c", "import a2a.client, a2a.server.routes, uvicorn"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{py} lacks a2a-sdk[http-server]==1.3.0: {HOW}");
    py
}

fn node() -> String {
    let node = std::env::var("A2A_NODE").unwrap_or_else(|_| "node".into());
    let sdk = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js/node_modules/@a2a-js/sdk/package.json");
    assert!(
        sdk.exists(),
        "@a2a-js/sdk is not installed in a2a-protocol/tests/js: {HOW}"
    );
    assert!(
        std::process::Command::new(&node)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "no node at {node:?}: {HOW}"
    );
    node
}

/// Runs a peer script; returns its JSON report (the last stdout line).
async fn run_peer(program: &str, args: &[&str]) -> Value {
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("peer timed out")
    .expect("peer did not start");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("no report from {args:?} ({e}); stdout: {stdout}\nstderr: {stderr}"))
}

fn assert_all_ok(report: &Value, steps: &[&str]) {
    for step in steps {
        assert_eq!(report[step], "ok", "step {step} failed: {report}");
    }
}

async fn python_client_drives_our_server(binding: &str) {
    let py = python();
    let base = common::serve_echo().await;
    let (hook, got) = common::webhook().await;
    let script = peers_dir().join("py_client.py");
    let report = run_peer(&py, &[script.to_str().unwrap(), &base, binding, &hook]).await;
    assert_all_ok(
        &report,
        &[
            "send",
            "stream",
            "get",
            "list",
            "cancel",
            "resubscribe",
            "push_config",
            "push_delivery",
        ],
    );
    let pushed = report["pushed_task_id"].as_str().unwrap().to_string();
    assert!(
        common::eventually(|| {
            got.lock()
                .unwrap()
                .iter()
                .any(|d| d.body.to_string().contains(&pushed) && d.body.to_string().contains("TASK_STATE_COMPLETED"))
        })
        .await,
        "no push notification for {pushed}"
    );
    assert!(
        got.lock()
            .unwrap()
            .iter()
            .all(|d| d.authorization.as_deref() == Some("Bearer s3cret"))
    );
}

#[tokio::test]
async fn python_sdk_client_on_jsonrpc() {
    python_client_drives_our_server("JSONRPC").await;
}

#[tokio::test]
async fn python_sdk_client_on_http_json() {
    python_client_drives_our_server("HTTP+JSON").await;
}

async fn js_client_drives_our_server(binding: &str) {
    let node = node();
    let base = common::serve_echo().await;
    let script = peers_dir().join("js_client.mjs");
    let report = run_peer(&node, &[script.to_str().unwrap(), &base, binding]).await;
    assert_all_ok(&report, &["send", "stream", "get"]);
}

#[tokio::test]
async fn js_sdk_client_on_jsonrpc() {
    js_client_drives_our_server("JSONRPC").await;
}

#[tokio::test]
async fn js_sdk_client_on_http_json() {
    js_client_drives_our_server("HTTP+JSON").await;
}

/// The Python SDK's reference server, started on a free port.
#[derive(Debug)]
pub struct PythonServer {
    _child: tokio::process::Child,
    /// Its base URL.
    pub base: String,
}

/// Starts `py_server.py` and waits for its card.
pub async fn start_python_server(py: &str, port: u16) -> PythonServer {
    let script = peers_dir().join("py_server.py");
    let mut child = tokio::process::Command::new(py)
        .arg(script)
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start py_server.py");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("py_server.py did not start in 60 s")
        .expect("read")
        .expect("py_server.py exited");
    let addr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected: {line}"))
        .to_string();
    let base = format!("http://{addr}");
    for _ in 0..100 {
        if reqwest::get(format!("{base}/.well-known/agent-card.json"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return PythonServer { _child: child, base };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("py_server.py never served its card");
}

async fn our_client_drives_python_server(binding: Binding) {
    let py = python();
    let server = start_python_server(&py, 0).await;
    let c = A2aClient::discover(&server.base)
        .await
        .unwrap()
        .with_binding(binding)
        .unwrap();

    let SendMessageResponse::Task(t) = c
        .send_message(SendMessageRequest::new(Message::user_text("hi")))
        .await
        .unwrap()
    else {
        panic!("expected a task")
    };
    assert_eq!(t.status.state, TaskState::Completed);
    assert_eq!(t.artifacts[0].parts[0].as_text(), Some("py echo: hi"));

    let got = c.get_task(&t.id, None).await.unwrap();
    assert_eq!(got.id, t.id);

    let reply = c
        .send_message(SendMessageRequest::new(Message::user_text("message")))
        .await
        .unwrap();
    assert!(
        matches!(reply, SendMessageResponse::Message(m) if m.text() == "py direct"),
        "direct reply"
    );

    let events: Vec<StreamResponse> = c
        .send_streaming_message(SendMessageRequest::new(Message::user_text("s")))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(matches!(events.first(), Some(StreamResponse::Task(_))), "{events:?}");
    assert!(events.iter().any(|e| matches!(e, StreamResponse::ArtifactUpdate(_))));
    assert!(events.last().unwrap().is_final(), "{events:?}");

    let mut slow = SendMessageRequest::new(Message::user_text("slow"));
    slow.configuration = Some(SendMessageConfiguration {
        return_immediately: true,
        ..Default::default()
    });
    let SendMessageResponse::Task(s) = c.send_message(slow).await.unwrap() else {
        panic!()
    };
    let sub = c.subscribe_to_task(&s.id).await.unwrap();
    let canceled = c.cancel_task(&s.id).await.unwrap();
    assert_eq!(canceled.status.state, TaskState::Canceled);
    let events: Vec<StreamResponse> = tokio::time::timeout(Duration::from_secs(10), sub.map(Result::unwrap).collect())
        .await
        .expect("subscription ended");
    assert!(matches!(events.first(), Some(StreamResponse::Task(_))));

    let listed = c.list_tasks(&Default::default()).await.unwrap();
    assert!(listed.tasks.iter().any(|x| x.id == t.id));

    let err = c.get_task("no-such-task", None).await.unwrap_err();
    assert!(
        matches!(
            err,
            a2a_protocol::ClientError::Agent(a2a_protocol::A2aError::TaskNotFound(_))
        ),
        "{err}"
    );
}

#[tokio::test]
async fn our_client_on_python_server_jsonrpc() {
    our_client_drives_python_server(Binding::JsonRpc).await;
}

#[tokio::test]
async fn our_client_on_python_server_http_json() {
    our_client_drives_python_server(Binding::HttpJson).await;
}
