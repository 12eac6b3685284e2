//! `[orchestrator]` in the trailmesh configuration.

use serde::{Deserialize, Serialize};

/// Settings of the orchestrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrchestratorConfig {
    /// Agents to use besides the built-in skill agents `trailmesh up` starts: base URLs or
    /// agent-card URLs (`http://host:port` or `http://host:port/.well-known/agent-card.json`).
    pub agents: Vec<String>,
    /// How often agent cards are re-read (with ETag), seconds.
    pub refresh_seconds: u64,
    /// How long one delegated call may take before the answer goes on without it, ms.
    pub agent_timeout_ms: u64,
    /// API keys accepted on `/v1/*` (`Authorization: Bearer KEY` or `X-API-Key: KEY`). Required
    /// when the API listens beyond loopback.
    pub api_keys: Vec<String>,
    /// Browser origins allowed to call the API (CORS); empty: no CORS headers.
    pub cors_origins: Vec<String>,
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// "Now" for relative times ("last night"), ISO 8601 with zone. Default: the real now,
    /// or the start of the newest event when the data ends before today (a past study).
    pub reference_time: Option<String>,
}

impl Default for OrchestratorConfig {
    fn default() -> Self {
        Self {
            agents: Vec::new(),
            refresh_seconds: 30,
            agent_timeout_ms: 10_000,
            api_keys: Vec::new(),
            cors_origins: Vec::new(),
            max_body_bytes: 64 * 1024,
            reference_time: None,
        }
    }
}
