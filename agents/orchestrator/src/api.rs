//! The HTTP API and the orchestrator's A2A endpoint, on one port.
//!
//! ```text
//! POST /v1/chat                 {"message", "conversationId"?} -> answer JSON, or SSE with
//!                               Accept: text/event-stream (plan, agentCall, agentResult, answer)
//! GET  /v1/conversations/{id}   the stored conversation
//! POST /v1/reports              {"kind": "site"|"species", ...} -> Markdown and HTML
//! GET  /v1/cameras              cameras (via the inventory agent)
//! GET  /v1/events               events (via the event agent)
//! GET  /v1/agents               known agents and their status
//! GET  /healthz, /openapi.json
//! /.well-known/agent-card.json, POST /, /message:send, /tasks/...   A2A (the orchestrator)
//! ```
//!
//! `/v1/*` needs an API key when keys are configured (always beyond loopback); CORS answers
//! the configured origins only; bodies are limited; errors are JSON `{"error": {code, message}}`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use a2a_protocol::{A2aServer, AuthConfig};
use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::{MAX_MESSAGE_CHARS, Orchestrator};

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChatRequest {
    message: String,
    #[serde(default)]
    conversation_id: Option<String>,
}

#[allow(clippy::result_large_err)]
fn parse_json<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.is_empty() && !ct.starts_with("application/json") {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send JSON with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not the expected JSON: {e}"),
        )
    })
}

async fn chat(State(o): State<Orchestrator>, headers: HeaderMap, body: Bytes) -> Response {
    let req: ChatRequest = match parse_json(&headers, &body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if req.message.trim().is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "empty_message",
            "'message' is empty: ask a question",
        );
    }
    if req.message.chars().count() > MAX_MESSAGE_CHARS {
        return error(
            StatusCode::BAD_REQUEST,
            "message_too_long",
            format!("'message' is longer than {MAX_MESSAGE_CHARS} characters"),
        );
    }
    if let Some(id) = &req.conversation_id
        && (id.is_empty() || id.len() > 100 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_conversation_id",
            "'conversationId' must be 1-100 letters, digits, '-' or '_'",
        );
    }
    let wants_sse = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    if wants_sse {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let o2 = o.clone();
        let errors = tx.clone();
        tokio::spawn(async move {
            if let Err(e) = o2.ask(&req.message, req.conversation_id.as_deref(), Some(tx)).await {
                let _ = errors.send(crate::ChatEvent::AgentResult(crate::AgentUse {
                    agent: "orchestrator".into(),
                    operation: "ask".into(),
                    status: "failed".into(),
                    task_id: None,
                    error: Some(e.to_string()),
                    ms: 0,
                }));
            }
        });
        let stream = tokio_stream::wrappers::UnboundedReceiverStream::new(rx);
        let stream = futures::StreamExt::map(stream, |ev| {
            let name = match &ev {
                crate::ChatEvent::Plan { .. } => "plan",
                crate::ChatEvent::AgentCall { .. } => "agentCall",
                crate::ChatEvent::AgentResult(_) => "agentResult",
                crate::ChatEvent::Model { .. } => "model",
                crate::ChatEvent::Answer(_) => "answer",
            };
            let data = match &ev {
                crate::ChatEvent::Answer(a) => serde_json::to_string(a),
                other => serde_json::to_string(other),
            }
            .unwrap_or_default();
            Ok::<_, Infallible>(Event::default().event(name).data(data))
        });
        return Sse::new(stream).keep_alive(KeepAlive::default()).into_response();
    }
    match o.ask(&req.message, req.conversation_id.as_deref(), None).await {
        Ok(answer) => axum::Json(answer).into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("could not answer: {e}"),
        ),
    }
}

async fn conversation(State(o): State<Orchestrator>, Path(id): Path<String>) -> Response {
    match o.conversation(&id).await {
        Ok(Some(c)) => axum::Json(c).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", format!("no conversation '{id}'")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn proxy(o: &Orchestrator, operation: &str, arguments: Value) -> Response {
    let (use_, data) = o.delegate(operation, arguments).await;
    match (use_.status.as_str(), data) {
        ("ok", Some(d)) => axum::Json(d).into_response(),
        ("failed", _) => error(StatusCode::BAD_REQUEST, "agent_refused", use_.error.unwrap_or_default()),
        _ => error(
            StatusCode::BAD_GATEWAY,
            "agent_unreachable",
            use_.error.unwrap_or_default(),
        ),
    }
}

/// Query parameters as skill arguments (numbers for paging).
#[allow(clippy::result_large_err)]
fn args_from(q: HashMap<String, String>, allowed: &[&str]) -> Result<Value, Response> {
    let mut out = serde_json::Map::new();
    for (k, v) in q {
        if !allowed.contains(&k.as_str()) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "unknown_parameter",
                format!("unknown query parameter '{k}'; allowed: {}", allowed.join(", ")),
            ));
        }
        let value = match k.as_str() {
            "limit" | "offset" | "minCount" => match v.parse::<u64>() {
                Ok(n) => json!(n),
                Err(_) => {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        "invalid_parameter",
                        format!("'{k}' must be a whole number"),
                    ));
                }
            },
            _ => json!(v),
        };
        out.insert(k, value);
    }
    Ok(Value::Object(out))
}

async fn cameras(State(o): State<Orchestrator>, Query(q): Query<HashMap<String, String>>) -> Response {
    match args_from(q, &["text", "site", "habitat", "health", "asOf", "limit", "offset"]) {
        Ok(args) => proxy(&o, "list_cameras", args).await,
        Err(r) => r,
    }
}

async fn events(State(o): State<Orchestrator>, Query(q): Query<HashMap<String, String>>) -> Response {
    match args_from(
        q,
        &[
            "from",
            "to",
            "camera",
            "species",
            "behaviour",
            "minCount",
            "individual",
            "observationType",
            "limit",
            "offset",
        ],
    ) {
        Ok(args) => proxy(&o, "find_events", args).await,
        Err(r) => r,
    }
}

async fn agents(State(o): State<Orchestrator>) -> Response {
    let list: Vec<_> = o.registry().all().iter().map(|e| e.info()).collect();
    axum::Json(json!({ "agents": list })).into_response()
}

async fn healthz(State(o): State<Orchestrator>) -> Response {
    let all = o.registry().all();
    let up = all
        .iter()
        .filter(|e| e.status() == crate::registry::AgentStatus::Up)
        .count();
    axum::Json(json!({"status": "ok", "agents": {"known": all.len(), "up": up}})).into_response()
}

async fn reports(State(o): State<Orchestrator>, headers: HeaderMap, body: Bytes) -> Response {
    let req: crate::report::ReportRequest = match parse_json(&headers, &body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    match crate::report::build(&o, req).await {
        Ok(r) => axum::Json(r).into_response(),
        Err(crate::report::ReportError::BadRequest(m)) => error(StatusCode::BAD_REQUEST, "invalid_report", m),
        Err(crate::report::ReportError::Agent(m)) => error(StatusCode::BAD_GATEWAY, "agent_unreachable", m),
    }
}

async fn openapi() -> Response {
    let doc: Value = serde_json::from_str(include_str!("openapi.json")).unwrap_or_default();
    axum::Json(doc).into_response()
}

#[derive(Debug)]
struct Guard {
    keys: Vec<String>,
    cors: Vec<String>,
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn guard(State(g): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let allowed_origin = origin
        .as_ref()
        .filter(|o| g.cors.iter().any(|c| c == "*" || c == *o))
        .cloned();
    let cors = |mut r: Response| {
        if let Some(o) = &allowed_origin
            && let Ok(v) = HeaderValue::from_str(o)
        {
            let h = r.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            h.insert(header::VARY, HeaderValue::from_static("Origin"));
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type, x-api-key, accept"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, OPTIONS"),
            );
        }
        r
    };
    if request.method() == Method::OPTIONS {
        return cors(StatusCode::NO_CONTENT.into_response());
    }
    if origin.is_some() && allowed_origin.is_none() && !g.cors.is_empty() {
        return error(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this Origin may not call the API",
        );
    }
    if !g.keys.is_empty() {
        let h = request.headers();
        let presented = h
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .or_else(|| h.get("x-api-key").and_then(|v| v.to_str().ok()));
        let ok = presented.is_some_and(|p| g.keys.iter().any(|k| constant_time_eq(k.as_bytes(), p.as_bytes())));
        if !ok {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this API needs 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return cors(r);
        }
    }
    cors(next.run(request).await)
}

/// The whole app: `/v1/*`, `/healthz`, `/openapi.json` and the orchestrator's A2A endpoint.
pub fn router(o: Orchestrator, base_url: &str) -> Router {
    let cfg = o.config().clone();
    let g = Arc::new(Guard {
        keys: cfg.api_keys.clone(),
        cors: cfg.cors_origins.clone(),
    });
    let v1 = Router::new()
        .route("/v1/chat", post(chat))
        .route("/v1/conversations/{id}", get(conversation))
        .route("/v1/reports", post(reports))
        .route("/v1/cameras", get(cameras))
        .route("/v1/events", get(events))
        .route("/v1/agents", get(agents))
        .layer(middleware::from_fn_with_state(g, guard))
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .with_state(o.clone());
    let open = Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi))
        .with_state(o.clone());
    let mut a2a = A2aServer::new(
        crate::a2a::card(base_url),
        crate::a2a::ChatExecutor {
            orchestrator: o.clone(),
        },
    )
    .store(Arc::new(trailmesh_agent_store::SqlTaskStore::new(
        o.inner.store.clone(),
        "orchestrator",
    )))
    .max_body_bytes(cfg.max_body_bytes);
    if !cfg.api_keys.is_empty() {
        a2a = a2a.auth(AuthConfig {
            api_keys: cfg.api_keys.clone(),
            bearer_tokens: cfg.api_keys.clone(),
            ..AuthConfig::default()
        });
    }
    v1.merge(open).merge(a2a.router())
}

/// The API, running.
#[derive(Debug)]
pub struct RunningApi {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its base URL.
    pub base_url: String,
    /// Cancel to stop it.
    pub shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningApi {
    /// Waits until it has stopped.
    pub async fn finished(self) -> Result<()> {
        self.task
            .await
            .context("API task panicked")?
            .context("API server failed")
    }
}

/// Discovers the agents, then binds `addr` and serves until `shutdown`.
pub async fn serve(o: Orchestrator, addr: SocketAddr, shutdown: CancellationToken) -> Result<RunningApi> {
    if !addr.ip().is_loopback() && o.config().api_keys.is_empty() {
        bail!(
            "refusing to serve the API on {addr} without an API key: anyone on the network could use it; \
             bind 127.0.0.1, or set [orchestrator] api_keys (or TRAILMESH_API_KEY)"
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    o.refresh().await;
    let _refresher = o.spawn_refresher(shutdown.clone());
    let app = router(o, &base_url);
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let stop = shutdown.clone();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
    });
    Ok(RunningApi {
        addr,
        base_url,
        shutdown,
        task,
    })
}
