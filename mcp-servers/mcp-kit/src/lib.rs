//! What the trailmesh MCP servers share, so each skill's server is a thin crate of `#[tool]`s.
//!
//! Layers, outside in:
//! - [`serve`]: run a [`rmcp::ServerHandler`] over stdio (logs to stderr only) or Streamable
//!   HTTP at `/mcp` (both protocol eras, loopback by default, Origin allow-list, optional
//!   bearer token with RFC 9728 protected-resource metadata, graceful shutdown).
//! - [`schema`]: tool schemas every major client accepts (no `$ref`/`$defs`, no nullable
//!   type arrays, no exotic `format`s, an object at the root).
//! - [`result`]: a skill's `SkillResult<T>` as a tool result: structured content plus the same
//!   JSON as text, or an `isError` result that says what to fix.
//! - [`validate`]: the small JSON Schema checker behind the debug-build output check.
//!
//! Invariant: no domain logic here, and nothing about any one skill.

pub mod result;
pub mod schema;
pub mod serve;
pub mod validate;

pub use result::{Json, Portable, skill_json, tool_error};
pub use schema::{patch_output_schema, portable, portable_router};
pub use serve::{HttpOptions, Transport, init_stderr_logging, run, serve_http, serve_stdio};

use rmcp::RoleServer;
use rmcp::service::RequestContext;

/// How long clients may cache list results (tools, prompts, resources), milliseconds.
pub const LIST_TTL_MS: u64 = 60_000;

/// Whether this request speaks 2026-07-28 or later, where list and read results carry
/// `ttlMs` and `cacheScope`.
pub fn is_modern(cx: &RequestContext<RoleServer>) -> bool {
    cx.protocol_version()
        .is_some_and(|v| v >= rmcp::model::ProtocolVersion::V_2026_07_28)
}

/// `result` with the 2026-07-28 cache hints (`ttlMs`, public `cacheScope`) when the request
/// speaks that era, else unchanged (older clients reject unknown result fields less kindly).
#[macro_export]
macro_rules! with_cache_hints {
    ($cx:expr, $result:expr, $ttl_ms:expr) => {{
        let result = $result;
        if $crate::is_modern($cx) {
            result
                .with_ttl_ms($ttl_ms)
                .with_cache_scope(::rmcp::model::CacheScope::Public)
        } else {
            result
        }
    }};
}

/// A prompt's required text argument, trimmed; an invalid-params error naming it otherwise.
pub fn prompt_arg(
    args: &serde_json::Map<String, serde_json::Value>,
    name: &str,
    hint: &str,
) -> Result<String, rmcp::ErrorData> {
    args.get(name)
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| rmcp::ErrorData::invalid_params(format!("argument '{name}' is required{hint}"), None))
}

/// The error for a prompt name this server does not have.
pub fn unknown_prompt(name: &str, known: &[&str]) -> rmcp::ErrorData {
    rmcp::ErrorData::invalid_params(
        format!("no prompt '{name}'; prompts/list names them ({})", known.join(", ")),
        None,
    )
}

/// A JSON text resource (`application/json`), pretty-printed.
pub fn json_resource(
    uri: &str,
    value: &impl serde::Serialize,
) -> Result<rmcp::model::ResourceContents, rmcp::ErrorData> {
    let text = serde_json::to_string_pretty(value).map_err(|e| rmcp::ErrorData::internal_error(e.to_string(), None))?;
    Ok(rmcp::model::ResourceContents::TextResourceContents {
        uri: uri.into(),
        mime_type: Some("application/json".into()),
        text,
        meta: None,
    })
}

/// A skill error met while reading a resource or getting a prompt, as the JSON-RPC error
/// those methods use (resource-not-found is -32602 with the uri).
pub fn skill_error_data(error: &trailmesh_core::skill::SkillError, uri: Option<&str>) -> rmcp::ErrorData {
    use trailmesh_core::skill::SkillError;
    match error {
        SkillError::NotFound { .. } => {
            rmcp::ErrorData::resource_not_found(error.to_string(), uri.map(|u| serde_json::json!({ "uri": u })))
        }
        SkillError::InvalidInput { .. } => rmcp::ErrorData::invalid_params(error.to_string(), None),
        SkillError::Store(e) => rmcp::ErrorData::internal_error(format!("the database failed: {e}"), None),
    }
}
