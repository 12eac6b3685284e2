//! Serving a [`ServerHandler`]: stdio or Streamable HTTP.
//!
//! HTTP: one endpoint `/mcp`. rmcp's [`StreamableHttpService`] speaks both protocol eras with
//! its default (`legacy_session_mode`) configuration: a 2025-11-25 client gets a session
//! (`Mcp-Session-Id`, and 404 for an unknown id so clients re-initialise after a restart),
//! a 2026-07-28 request is served statelessly. Around it we add what rmcp leaves to us:
//! - Origin validation with an explicit allow-list (an empty list would switch it off),
//!   loopback origins by default; rmcp's Host check stays on (loopback hosts).
//! - A loopback bind unless a bearer token is configured.
//! - Optional bearer-token auth: a 401 with `WWW-Authenticate: Bearer
//!   resource_metadata="<absolute url>"` and RFC 9728 protected-resource metadata at
//!   `/.well-known/oauth-protected-resource` and `/.well-known/oauth-protected-resource/mcp`.
//! - Graceful shutdown: one cancellation token stops accepting, ends sessions and streams.

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ServerHandler, ServiceExt};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Origins a browser page may call us from by default: pages served from this machine.
pub const LOOPBACK_ORIGINS: &[&str] = &[
    "http://localhost:*",
    "http://127.0.0.1:*",
    "http://[::1]:*",
    "https://localhost:*",
    "https://127.0.0.1:*",
    "https://[::1]:*",
];

/// How a server is reached.
#[derive(Debug, Clone)]
pub enum Transport {
    /// JSON-RPC over stdin/stdout; logs go to stderr.
    Stdio,
    /// Streamable HTTP at `/mcp`.
    Http(HttpOptions),
}

/// Streamable HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Address to listen on; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Bearer token every `/mcp` request must carry; `None` for no auth (loopback only).
    pub token: Option<String>,
    /// Browser origins allowed to call (requests without an Origin header always pass).
    pub allowed_origins: Vec<String>,
    /// Name reported in the protected-resource metadata.
    pub resource_name: String,
}

impl HttpOptions {
    /// Loopback origins, no token.
    pub fn new(addr: SocketAddr) -> Self {
        HttpOptions {
            addr,
            token: None,
            allowed_origins: LOOPBACK_ORIGINS.iter().map(|s| s.to_string()).collect(),
            resource_name: "trailmesh".to_string(),
        }
    }

    /// Requires this bearer token.
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token.filter(|t| !t.is_empty());
        self
    }

    /// Names the resource in the protected-resource metadata.
    pub fn with_resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = name.into();
        self
    }

    /// Refuses settings that would expose the server: a non-loopback bind without a token.
    pub fn check(&self) -> Result<()> {
        if !self.addr.ip().is_loopback() && self.token.is_none() {
            bail!(
                "refusing to listen on {} without a token: anyone on the network could call the tools; \
                 bind 127.0.0.1, or pass --token",
                self.addr
            );
        }
        if self.allowed_origins.is_empty() {
            bail!("the allowed origins list is empty, which would switch Origin checks off");
        }
        Ok(())
    }
}

/// Logging for servers: to stderr only (stdout is the stdio transport), `RUST_LOG` or `warn`.
pub fn init_stderr_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Runs a server until it ends (stdio: the client closes stdin) or Ctrl-C / SIGTERM.
pub async fn run<S, F>(factory: F, transport: Transport) -> Result<()>
where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        on_signal.cancel();
    });
    match transport {
        Transport::Stdio => serve_stdio(factory(), shutdown).await,
        Transport::Http(opts) => {
            let running = serve_http(factory, opts, shutdown.clone()).await?;
            eprintln!("MCP server listening on {}", running.url);
            running.finished().await
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Serves one client on stdin/stdout until it disconnects or `shutdown` fires.
pub async fn serve_stdio<S: ServerHandler>(server: S, shutdown: CancellationToken) -> Result<()> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .context("the MCP client did not complete the handshake on stdio")?;
    let ct = running.cancellation_token();
    tokio::select! {
        r = running.waiting() => { r.context("stdio server task failed")?; }
        _ = shutdown.cancelled() => { ct.cancel(); }
    }
    Ok(())
}

/// A Streamable HTTP server that is running.
#[derive(Debug)]
pub struct RunningHttp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The endpoint, `http://ADDR/mcp`.
    pub url: String,
    /// Cancel to stop it.
    pub shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningHttp {
    /// Waits until the server has stopped.
    pub async fn finished(self) -> Result<()> {
        self.task
            .await
            .context("HTTP server task panicked")?
            .context("HTTP server failed")
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) -> Result<()> {
        self.shutdown.cancel();
        self.finished().await
    }
}

/// Binds `opts.addr` and serves; returns once listening.
pub async fn serve_http<S, F>(factory: F, opts: HttpOptions, shutdown: CancellationToken) -> Result<RunningHttp>
where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    opts.check()?;
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .with_context(|| format!("cannot listen on {}", opts.addr))?;
    let addr = listener.local_addr()?;
    let app = http_app(factory, &opts, shutdown.clone());
    let stop = shutdown.clone();
    // No Nagle delay: SSE responses go out in several small writes.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
    });
    Ok(RunningHttp {
        addr,
        url: format!("http://{addr}/mcp"),
        shutdown,
        task,
    })
}

/// The axum app: `/mcp` (behind the bearer check when a token is set) and, with a token, the
/// protected-resource metadata.
pub fn http_app<S, F>(factory: F, opts: &HttpOptions, shutdown: CancellationToken) -> Router
where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    // json_response: a plain request-response call (every 2026-07-28 request, served
    // statelessly) gets `application/json`; rmcp falls back to SSE when the handler sends
    // notifications first, so progress and logs are never lost.
    let mut config = StreamableHttpServerConfig::default()
        .with_json_response(true)
        .with_allowed_origins(opts.allowed_origins.clone())
        .with_cancellation_token(shutdown.child_token());
    if !opts.addr.ip().is_loopback() {
        // Reached by a name we cannot know; the bearer token guards it (see `check`).
        config = config.disable_allowed_hosts();
    }
    let service = StreamableHttpService::new(move || Ok(factory()), Arc::new(LocalSessionManager::default()), config);
    let mcp = Router::new().nest_service("/mcp", service);
    match &opts.token {
        None => mcp,
        Some(token) => {
            let auth = Arc::new(Auth {
                token: token.clone(),
                fallback_base: format!("http://{}", opts.addr),
                resource_name: opts.resource_name.clone(),
            });
            let metadata = Router::new()
                .route(
                    "/.well-known/oauth-protected-resource",
                    axum::routing::get(resource_metadata),
                )
                .route(
                    "/.well-known/oauth-protected-resource/mcp",
                    axum::routing::get(resource_metadata),
                )
                .with_state(auth.clone());
            mcp.layer(middleware::from_fn_with_state(auth, require_bearer))
                .merge(metadata)
        }
    }
}

#[derive(Debug)]
struct Auth {
    token: String,
    fallback_base: String,
    resource_name: String,
}

impl Auth {
    /// `http://HOST` as the client addressed us (absolute URLs in headers and metadata).
    fn base(&self, headers: &axum::http::HeaderMap) -> String {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c)))
            .map(|h| format!("http://{h}"))
            .unwrap_or_else(|| self.fallback_base.clone())
    }
}

async fn require_bearer(State(auth): State<Arc<Auth>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    if presented.is_some_and(|t| constant_time_eq(t.as_bytes(), auth.token.as_bytes())) {
        return next.run(request).await;
    }
    let base = auth.base(request.headers());
    let challenge = format!(
        "Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"{}",
        if presented.is_some() {
            ", error=\"invalid_token\""
        } else {
            ""
        }
    );
    let mut response = (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({
            "error": "unauthorized",
            "message": "this MCP server needs 'Authorization: Bearer <token>' (the token given to the server with --token)"
        })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

async fn resource_metadata(State(auth): State<Arc<Auth>>, headers: axum::http::HeaderMap) -> Response {
    let base = auth.base(&headers);
    axum::Json(serde_json::json!({
        "resource": format!("{base}/mcp"),
        "resource_name": auth.resource_name,
        "bearer_methods_supported": ["header"],
        "authorization_servers": [],
    }))
    .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_an_open_non_loopback_bind() {
        let open = HttpOptions::new("0.0.0.0:8080".parse().unwrap());
        assert!(open.check().unwrap_err().to_string().contains("--token"));
        assert!(open.with_token(Some("s3cret".into())).check().is_ok());
        assert!(HttpOptions::new("127.0.0.1:0".parse().unwrap()).check().is_ok());
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
