//! # trailmesh skill agents
//!
//! Each of the four skills as an A2A agent: an agent card (one A2A skill per operation, with
//! tags and example questions), an executor that runs the skill library, a durable task store
//! in the trailmesh database, and the skill's MCP server — all on one port:
//!
//! ```text
//! GET  /.well-known/agent-card.json   the card (ETag, Cache-Control)
//! POST /                              A2A JSON-RPC
//! POST /message:send, GET /tasks/..   A2A HTTP+JSON
//! POST /mcp                           MCP Streamable HTTP (the skill's MCP server)
//! ```
//!
//! A message is either a data part naming an operation,
//! `{"operation": "rai", "arguments": {"species": "elk"}}`, or a text question (the operation
//! is picked by keywords, with no arguments). The answer is an artifact holding a data part —
//! the same JSON the MCP tool returns as structured content — and a short text.

pub mod catalog;
mod executor;
pub mod ops;

use std::net::SocketAddr;
use std::sync::Arc;

use a2a_protocol::card::{AgentProvider, AgentSkill};
use a2a_protocol::{A2aServer, AgentCard, AuthConfig};
use anyhow::{Context, Result, bail};
use axum::Router;
use tokio_util::sync::CancellationToken;
use trailmesh_core::Store;
use trailmesh_mcp_kit::HttpOptions;
use trailmesh_mcp_kit::serve::http_app;

pub use executor::{SkillExecutor, summarize};
pub use ops::{CallError, SkillLibrary};
pub use trailmesh_agent_store::SqlTaskStore;

/// The four skills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkillKind {
    /// Cameras: list, search, health, edits, coverage.
    CameraInventory,
    /// Events: find, describe, summarise, independent detections.
    EventAnalyzer,
    /// Behaviour labels and ecology statistics.
    BehaviorAnalytics,
    /// Trails, transitions, routes, sightings, movement.
    TrailBuilder,
}

impl SkillKind {
    /// All four, in a stable order.
    pub const ALL: [SkillKind; 4] = [
        SkillKind::CameraInventory,
        SkillKind::EventAnalyzer,
        SkillKind::BehaviorAnalytics,
        SkillKind::TrailBuilder,
    ];

    /// The skill's name, e.g. `event-analyzer`.
    pub fn name(self) -> &'static str {
        match self {
            SkillKind::CameraInventory => "camera-inventory",
            SkillKind::EventAnalyzer => "event-analyzer",
            SkillKind::BehaviorAnalytics => "behavior-analytics",
            SkillKind::TrailBuilder => "trail-builder",
        }
    }

    /// The skill of that name.
    pub fn from_name(name: &str) -> Option<SkillKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// What the agent does, for its card.
    pub fn description(self) -> &'static str {
        match self {
            SkillKind::CameraInventory => {
                "The trail-camera inventory: cameras, sites, habitats, positions, health (online, sleeping, faulty), deployments, malfunctions and coverage."
            }
            SkillKind::EventAnalyzer => {
                "Camera-trap events: find them by time, camera, species, behaviour, group size or individual; describe one; summarise a period; count independent detections."
            }
            SkillKind::BehaviorAnalytics => {
                "Behaviour and ecology statistics: behaviour labels, sampling effort, relative abundance (RAI), occupancy, detection histories, diel activity, activity overlap and migration."
            }
            SkillKind::TrailBuilder => {
                "Animal movement between cameras: trails of individuals and species, transitions, corridors, daily routes, sightings, net movement and activity over time."
            }
        }
    }

    /// The MCP tools of this skill (names and descriptions).
    pub fn tools(self, store: &Store) -> Vec<(String, String)> {
        let tools = match self {
            SkillKind::CameraInventory => {
                trailmesh_mcp_camera_inventory::CameraInventoryServer::new(store.clone()).tools()
            }
            SkillKind::EventAnalyzer => trailmesh_mcp_event_analyzer::EventAnalyzerServer::new(store.clone()).tools(),
            SkillKind::BehaviorAnalytics => {
                trailmesh_mcp_behavior_analytics::BehaviorAnalyticsServer::new(store.clone()).tools()
            }
            SkillKind::TrailBuilder => trailmesh_mcp_trail_builder::TrailBuilderServer::new(store.clone()).tools(),
        };
        tools
            .into_iter()
            .map(|t| {
                (
                    t.name.to_string(),
                    t.description.map(|d| d.to_string()).unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// The agent card of `kind` served at `base_url`.
pub fn card(kind: SkillKind, store: &Store, base_url: &str) -> AgentCard {
    let tools = kind.tools(store);
    let mut card = AgentCard::new(
        format!("trailmesh {}", kind.name()),
        kind.description(),
        env!("CARGO_PKG_VERSION"),
    )
    .with_http_interfaces(base_url);
    card.capabilities.streaming = Some(true);
    card.provider = Some(AgentProvider {
        url: "https://example.invalid/trailmesh".into(),
        organization: "trailmesh".into(),
    });
    card.default_input_modes = vec!["text/plain".into(), "application/json".into()];
    card.default_output_modes = vec!["application/json".into(), "text/plain".into()];
    for op in kind.operations() {
        let description = tools
            .iter()
            .find(|(name, _)| name == op.name)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| op.title.to_string());
        let mut tags = vec![kind.name().to_string(), op.name.to_string()];
        tags.extend(op.tags.iter().map(|t| t.to_string()));
        card.skills.push(AgentSkill {
            id: op.name.into(),
            name: op.title.into(),
            description,
            tags,
            examples: op.examples.iter().map(|e| e.to_string()).collect(),
            input_modes: vec!["application/json".into(), "text/plain".into()],
            output_modes: vec!["application/json".into(), "text/plain".into()],
            security_requirements: Vec::new(),
        });
    }
    card
}

/// How one agent is served.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Base URL announced in the card (default `http://ADDR`).
    pub public_url: Option<String>,
    /// Key required on A2A (`X-API-Key` or bearer) and MCP (bearer); required off loopback.
    pub api_key: Option<String>,
}

impl AgentOptions {
    /// Loopback, no key.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            public_url: None,
            api_key: None,
        }
    }
}

/// The axum app of one skill agent: A2A at the root, MCP at `/mcp`.
pub fn router(
    kind: SkillKind,
    store: Store,
    base_url: &str,
    opts: &AgentOptions,
    shutdown: CancellationToken,
) -> Router {
    let card = card(kind, &store, base_url);
    let executor = SkillExecutor::new(kind, SkillLibrary::new(kind, store.clone()));
    let mut a2a = A2aServer::new(card, executor).store(Arc::new(SqlTaskStore::new(store.clone(), kind.name())));
    if let Some(key) = &opts.api_key {
        a2a = a2a.auth(AuthConfig {
            api_keys: vec![key.clone()],
            bearer_tokens: vec![key.clone()],
            ..AuthConfig::default()
        });
    }
    let mcp_opts = HttpOptions::new(opts.addr)
        .with_token(opts.api_key.clone())
        .with_resource_name(format!("trailmesh {}", kind.name()));
    let mcp = match kind {
        SkillKind::CameraInventory => {
            let s = trailmesh_mcp_camera_inventory::CameraInventoryServer::new(store);
            http_app(move || s.clone(), &mcp_opts, shutdown)
        }
        SkillKind::EventAnalyzer => {
            let s = trailmesh_mcp_event_analyzer::EventAnalyzerServer::new(store);
            http_app(move || s.clone(), &mcp_opts, shutdown)
        }
        SkillKind::BehaviorAnalytics => {
            let s = trailmesh_mcp_behavior_analytics::BehaviorAnalyticsServer::new(store);
            http_app(move || s.clone(), &mcp_opts, shutdown)
        }
        SkillKind::TrailBuilder => {
            let s = trailmesh_mcp_trail_builder::TrailBuilderServer::new(store);
            http_app(move || s.clone(), &mcp_opts, shutdown)
        }
    };
    mcp.merge(a2a.router())
}

/// A skill agent that is running.
#[derive(Debug)]
pub struct RunningAgent {
    /// Which skill.
    pub kind: SkillKind,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its base URL (the card is at `BASE/.well-known/agent-card.json`).
    pub base_url: String,
    /// Cancel to stop it.
    pub shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningAgent {
    /// The MCP endpoint.
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base_url)
    }

    /// The agent card URL.
    pub fn card_url(&self) -> String {
        format!("{}{}", self.base_url, a2a_protocol::card::AGENT_CARD_PATH)
    }

    /// Waits until the server has stopped.
    pub async fn finished(self) -> Result<()> {
        self.task
            .await
            .context("agent task panicked")?
            .context("agent server failed")
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) -> Result<()> {
        self.shutdown.cancel();
        self.finished().await
    }
}

/// Binds and serves one skill agent; returns once listening. Cancel `shutdown` (or call
/// [`RunningAgent::stop`]) to stop it.
pub async fn serve(
    kind: SkillKind,
    store: Store,
    opts: AgentOptions,
    shutdown: CancellationToken,
) -> Result<RunningAgent> {
    if !opts.addr.ip().is_loopback() && opts.api_key.is_none() {
        bail!(
            "refusing to serve the {} agent on {} without an API key: bind 127.0.0.1, or set one",
            kind.name(),
            opts.addr
        );
    }
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .with_context(|| format!("cannot listen on {}", opts.addr))?;
    let addr = listener.local_addr()?;
    let opts = AgentOptions { addr, ..opts };
    let base_url = opts.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let app = router(kind, store, &base_url, &opts, shutdown.clone());
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let stop = shutdown.clone();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
    });
    tracing::info!(agent = kind.name(), url = %base_url, "skill agent listening");
    Ok(RunningAgent {
        kind,
        addr,
        base_url,
        shutdown,
        task,
    })
}
