//! Shared fixtures: an echo agent on 127.0.0.1:0 and a webhook receiver.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use a2a_protocol::types::{Artifact, Part};
use a2a_protocol::{A2aError, A2aServer, AgentCard, AgentExecutor, EventSink, Message, PushConfig, RequestContext};
use axum::http::HeaderMap;
use axum::routing::post;

/// Any text: working, artifact "echo: <text>", completed. "slow": working until canceled.
/// "later": working, completed after 1 s. "ask": input required. "message": a direct reply.
#[derive(Debug)]
pub struct Echo;

#[a2a_protocol::async_trait]
impl AgentExecutor for Echo {
    async fn execute(&self, ctx: RequestContext, events: EventSink) -> Result<(), A2aError> {
        let text = ctx.message.text();
        match text.as_str() {
            "message" => events.reply(Message::agent_text("direct")),
            "ask" => events.input_required("which camera?"),
            "slow" => {
                events.working();
                ctx.cancelled().await;
            }
            "later" => {
                events.working();
                tokio::time::sleep(Duration::from_secs(1)).await;
                events.complete(None);
            }
            _ => {
                events.working();
                events.artifact(Artifact::new(vec![Part::text(format!("echo: {text}"))]));
                events.complete(Some("done".into()));
            }
        }
        Ok(())
    }
}

/// The echo agent's card for `base`.
pub fn card(base: &str) -> AgentCard {
    AgentCard::new("echo", "echo agent for tests", "1.0.0").with_http_interfaces(base)
}

/// Starts `build(base_url)`'s router on 127.0.0.1:0; returns the base URL.
pub async fn serve_with(build: impl FnOnce(&str) -> A2aServer) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let router = build(&base).router();
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    base
}

/// The echo agent with push notifications to loopback allowed.
pub async fn serve_echo() -> String {
    serve_with(|base| {
        A2aServer::new(card(base), Echo)
            .push_notifications(PushConfig {
                allow_loopback: true,
                ..PushConfig::default()
            })
            .max_body_bytes(64 * 1024)
    })
    .await
}

/// One webhook call as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub authorization: Option<String>,
    pub token: Option<String>,
    pub content_type: Option<String>,
    pub body: serde_json::Value,
}

/// A webhook receiver on 127.0.0.1:0 recording what it gets.
pub async fn webhook() -> (String, Arc<Mutex<Vec<Delivery>>>) {
    let got: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(String::from);
                let d = Delivery {
                    authorization: h("authorization"),
                    token: h("x-a2a-notification-token"),
                    content_type: h("content-type"),
                    body: serde_json::from_slice(&body).unwrap_or_default(),
                };
                sink.lock().expect("lock").push(d);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}/hook"), got)
}

/// Waits until `cond` holds (up to 10 s).
pub async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
