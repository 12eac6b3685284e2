//! `trailmesh mcp <skill>`: a skill's MCP server on stdio or Streamable HTTP.
//!
//! On stdio nothing but MCP goes to stdout: messages and logs go to stderr.

use crate::config::Config;
use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::Path;
use trailmesh_mcp_kit::{HttpOptions, Transport};

/// Which skill to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum McpSkill {
    /// Cameras: list, search, health, add/update/retire, coverage.
    CameraInventory,
    /// Events: find, describe, summarise, independent detections.
    EventAnalyzer,
    /// Behaviour labels and ecology statistics (RAI, occupancy, diel activity, overlap).
    BehaviorAnalytics,
    /// Trails, transitions, routes, sightings, movement.
    TrailBuilder,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("transport").required(true).args(["stdio", "http"])))]
pub struct McpArgs {
    /// The skill whose server to run.
    #[arg(value_enum)]
    pub skill: McpSkill,
    /// Speak MCP on stdin/stdout (how desktop clients start a server).
    #[arg(long)]
    pub stdio: bool,
    /// Serve Streamable HTTP at http://ADDR/mcp, e.g. 127.0.0.1:8765 (loopback unless --token).
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// Require 'Authorization: Bearer TOKEN' on HTTP (needed to listen beyond loopback).
    #[arg(long, env = "TRAILMESH_MCP_TOKEN", value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Runs the server until the client leaves (stdio) or Ctrl-C / SIGTERM.
pub async fn run(config: &Config, data_dir: &Path, args: McpArgs) -> Result<()> {
    let transport = match (args.stdio, args.http) {
        (true, _) => Transport::Stdio,
        (false, Some(addr)) => {
            let opts = HttpOptions::new(addr)
                .with_token(args.token.clone())
                .with_resource_name(format!("trailmesh {}", skill_name(args.skill)));
            opts.check()?;
            Transport::Http(opts)
        }
        (false, None) => bail!("choose a transport: --stdio or --http 127.0.0.1:PORT"),
    };
    let store = crate::open_store(config, data_dir).await?;
    let result = match args.skill {
        McpSkill::CameraInventory => {
            let server = trailmesh_mcp_camera_inventory::CameraInventoryServer::new(store.clone());
            trailmesh_mcp_kit::run(move || server.clone(), transport).await
        }
        McpSkill::EventAnalyzer => {
            let server = trailmesh_mcp_event_analyzer::EventAnalyzerServer::new(store.clone());
            trailmesh_mcp_kit::run(move || server.clone(), transport).await
        }
        McpSkill::BehaviorAnalytics => {
            let server = trailmesh_mcp_behavior_analytics::BehaviorAnalyticsServer::new(store.clone());
            trailmesh_mcp_kit::run(move || server.clone(), transport).await
        }
        McpSkill::TrailBuilder => {
            let server = trailmesh_mcp_trail_builder::TrailBuilderServer::new(store.clone());
            trailmesh_mcp_kit::run(move || server.clone(), transport).await
        }
    };
    store.close().await;
    result
}

fn skill_name(skill: McpSkill) -> &'static str {
    match skill {
        McpSkill::CameraInventory => "camera-inventory",
        McpSkill::EventAnalyzer => "event-analyzer",
        McpSkill::BehaviorAnalytics => "behavior-analytics",
        McpSkill::TrailBuilder => "trail-builder",
    }
}
