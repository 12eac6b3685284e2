//! `trailmesh up` (the whole mesh in one process) and `trailmesh agent <name>` (one agent).

use crate::config::Config;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;
use trailmesh_core::Store;
use trailmesh_orchestrator::Orchestrator;
use trailmesh_skill_agent::{AgentOptions, RunningAgent, SkillKind};

/// Which agent to run alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgentName {
    /// The camera-inventory skill agent (A2A + MCP).
    CameraInventory,
    /// The event-analyzer skill agent (A2A + MCP).
    EventAnalyzer,
    /// The behavior-analytics skill agent (A2A + MCP).
    BehaviorAnalytics,
    /// The trail-builder skill agent (A2A + MCP).
    TrailBuilder,
    /// The orchestrator (HTTP API + A2A), using the agents of `[orchestrator] agents`.
    Orchestrator,
}

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The agent to run.
    #[arg(value_enum)]
    pub name: AgentName,
    /// Address to listen on (default: skill agents from [agents], the orchestrator from [server]).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// More agents for the orchestrator, by base or card URL (repeatable).
    #[arg(long = "agent-url", value_name = "URL")]
    pub agent_urls: Vec<String>,
}

fn skill_of(name: AgentName) -> Option<SkillKind> {
    match name {
        AgentName::CameraInventory => Some(SkillKind::CameraInventory),
        AgentName::EventAnalyzer => Some(SkillKind::EventAnalyzer),
        AgentName::BehaviorAnalytics => Some(SkillKind::BehaviorAnalytics),
        AgentName::TrailBuilder => Some(SkillKind::TrailBuilder),
        AgentName::Orchestrator => None,
    }
}

fn skill_addr(config: &Config, kind: SkillKind) -> Result<SocketAddr> {
    let host = &config.agents.host;
    let port = config.agents.port_of(kind.name());
    format!("{host}:{port}")
        .parse()
        .or_else(|_| format!("[{host}]:{port}").parse())
        .with_context(|| format!("agents.host '{host}' is not an IP address"))
}

fn api_key(config: &Config) -> Option<String> {
    config.orchestrator.api_keys.first().cloned()
}

/// Starts the four skill agents.
pub async fn start_skill_agents(
    config: &Config,
    store: &Store,
    shutdown: &CancellationToken,
) -> Result<Vec<RunningAgent>> {
    let mut running = Vec::new();
    for kind in SkillKind::ALL {
        let opts = AgentOptions {
            api_key: api_key(config),
            ..AgentOptions::new(skill_addr(config, kind)?)
        };
        running.push(trailmesh_skill_agent::serve(kind, store.clone(), opts, shutdown.child_token()).await?);
    }
    Ok(running)
}

/// Starts the skill agents and the orchestrator; prints where they are.
pub async fn start_mesh(
    config: &Config,
    store: &Store,
    listen: SocketAddr,
    shutdown: &CancellationToken,
) -> Result<(Vec<RunningAgent>, trailmesh_orchestrator::api::RunningApi)> {
    let agents = start_skill_agents(config, store, shutdown).await?;
    let urls: Vec<String> = agents.iter().map(|a| a.base_url.clone()).collect();
    let orchestrator = Orchestrator::new(store.clone(), config.orchestrator.clone(), &urls);
    let api = trailmesh_orchestrator::api::serve(orchestrator, listen, shutdown.child_token()).await?;
    Ok((agents, api))
}

/// Prints the URLs of a running mesh.
pub fn print_urls(agents: &[RunningAgent], api_url: &str) {
    println!("  API:       {api_url}/v1/chat  (docs: {api_url}/openapi.json, agents: {api_url}/v1/agents)");
    println!("  A2A:       {api_url}/.well-known/agent-card.json (the orchestrator)");
    for a in agents {
        println!("  {:<19} A2A {}  MCP {}", a.kind.name(), a.card_url(), a.mcp_url());
    }
}

/// `trailmesh agent <name>`.
pub async fn run(config: &Config, data_dir: &std::path::Path, args: AgentArgs) -> Result<()> {
    let store = crate::open_store(config, data_dir).await?;
    let shutdown = CancellationToken::new();
    let signal = crate::ShutdownSignal::install()?;
    let result = match skill_of(args.name) {
        Some(kind) => {
            let addr = match args.listen {
                Some(a) => a,
                None => skill_addr(config, kind)?,
            };
            let opts = AgentOptions {
                api_key: api_key(config),
                ..AgentOptions::new(addr)
            };
            let agent = trailmesh_skill_agent::serve(kind, store.clone(), opts, shutdown.clone()).await?;
            println!("{} agent listening on {}", kind.name(), agent.base_url);
            println!("  A2A card: {}", agent.card_url());
            println!("  MCP:      {}", agent.mcp_url());
            signal.wait().await;
            shutdown.cancel();
            agent.finished().await
        }
        None => {
            let addr = match args.listen {
                Some(a) => a,
                None => config
                    .server
                    .listen
                    .parse()
                    .with_context(|| format!("server.listen '{}'", config.server.listen))?,
            };
            let orchestrator = Orchestrator::new(store.clone(), config.orchestrator.clone(), &args.agent_urls);
            let api = trailmesh_orchestrator::api::serve(orchestrator, addr, shutdown.clone()).await?;
            println!("orchestrator listening on {}", api.base_url);
            println!("  API: {}/v1/chat", api.base_url);
            signal.wait().await;
            shutdown.cancel();
            api.finished().await
        }
    };
    store.close().await;
    result
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// Address to listen on for WHIP and WHEP (default: `[gateway] listen`).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

/// Starts the camera gateway (event thumbnails in `DATA_DIR/thumbnails`).
pub async fn start_gateway(
    config: &Config,
    store: &Store,
    data_dir: &std::path::Path,
    listen: Option<SocketAddr>,
    shutdown: &CancellationToken,
) -> Result<trailmesh_camera_gateway::RunningGateway> {
    let opts = trailmesh_camera_gateway::GatewayOptions {
        gateway: config.gateway.clone(),
        vision: config.vision.clone(),
        thumbnails: Some(data_dir.join("thumbnails")),
        listen,
    };
    trailmesh_camera_gateway::serve(store.clone(), opts, shutdown.child_token()).await
}

/// Prints where the gateway listens.
pub fn print_gateway(config: &Config, g: &trailmesh_camera_gateway::RunningGateway) {
    println!(
        "  gateway:   {}/whip/{{camera_id}} (WHIP), {}/whep/{{camera_id}} (WHEP), {}/cameras ({} camera{} configured)",
        g.base_url,
        g.base_url,
        g.base_url,
        config.gateway.cameras.len(),
        if config.gateway.cameras.len() == 1 { "" } else { "s" }
    );
    if let Some(why) = &g.detection_off {
        println!("  detection: off ({why})");
    }
}

/// `trailmesh gateway`.
pub async fn run_gateway(config: &Config, data_dir: &std::path::Path, args: GatewayArgs) -> Result<()> {
    let store = crate::open_store(config, data_dir).await?;
    let shutdown = CancellationToken::new();
    let signal = crate::ShutdownSignal::install()?;
    let gateway = start_gateway(config, &store, data_dir, args.listen, &shutdown).await?;
    println!("camera gateway listening on {}", gateway.base_url);
    print_gateway(config, &gateway);
    println!("press Ctrl-C to stop");
    signal.wait().await;
    shutdown.cancel();
    let result = gateway.finished().await;
    store.close().await;
    result
}
