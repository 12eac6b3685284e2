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
    /// An optional language model (OpenAI-compatible endpoint) that plans and writes the
    /// answer; the built-in router answers whenever it is off, fails or is wrong.
    pub llm: Option<LlmConfig>,
}

/// How the model is asked for a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LlmMode {
    /// `response_format: json_schema` (constrained decoding; reliable with small models).
    JsonSchema,
    /// Native tool calling (`tools`, `tool_choice: required`); JSON in the text is accepted too.
    Tools,
}

/// `[orchestrator.llm]`: an OpenAI-compatible chat-completions endpoint (llama.cpp's
/// `llama-server`, Ollama, vLLM, LM Studio).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Base URL up to and including `/v1`, e.g. `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// Model name as the server knows it.
    pub model: String,
    /// Bearer token, when the server wants one.
    pub api_key: Option<String>,
    /// How routes are asked for.
    pub mode: LlmMode,
    /// One model call may take this long before the built-in router answers instead, ms.
    pub timeout_ms: u64,
    /// Most tokens one model reply may have.
    pub max_tokens: u32,
    /// Let the model write the answer's prose (checked: it may use only the numbers the
    /// agents returned).
    pub prose: bool,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8081/v1".into(),
            model: "default".into(),
            api_key: None,
            mode: LlmMode::JsonSchema,
            timeout_ms: 30_000,
            max_tokens: 200,
            prose: true,
        }
    }
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
            llm: None,
        }
    }
}
