//! Conformance fixture: the tools, resources and prompts that the MCP conformance suite's
//! server scenarios call by name (`npx conformance list`), served by the same plumbing as the
//! trailmesh skill servers (`trailmesh-mcp-kit`). It exists so the suite tests our transport,
//! Origin checks, sessions and both protocol eras honestly; it has no domain logic.
//!
//! `trailmesh-mcp-fixture --http 127.0.0.1:0` prints `MCP server listening on URL` on stderr.

// Logging (notifications/message, logging/setLevel) is deprecated in 2026-07-28 but the
// 2025-11-25 scenarios still exercise it.
#![allow(deprecated)]

use anyhow::Result;
use clap::Parser;
use rmcp::model::*;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use trailmesh_mcp_kit::{HttpOptions, Transport};

/// A 1x1 PNG and a short silent WAV, base64.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const WAV: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=";
const TTL_MS: u64 = 60_000;

#[derive(Debug, Parser)]
#[command(name = "trailmesh-mcp-fixture", about = "MCP conformance fixture server")]
struct Args {
    /// Serve on stdin/stdout.
    #[arg(long, conflicts_with = "http")]
    stdio: bool,
    /// Serve Streamable HTTP at http://ADDR/mcp.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3001")]
    http: std::net::SocketAddr,
    /// Require this bearer token.
    #[arg(long)]
    token: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct Fixture {
    subscriptions: Arc<Mutex<HashSet<String>>>,
    log_level: Arc<Mutex<Option<LoggingLevel>>>,
}

fn object(v: Value) -> JsonObject {
    match v {
        Value::Object(m) => m,
        _ => JsonObject::new(),
    }
}

fn empty_input() -> JsonObject {
    object(json!({"type": "object", "properties": {}}))
}

fn tools() -> Vec<Tool> {
    let simple = |name: &'static str, description: &'static str| Tool::new(name, description, empty_input());
    let mut tools = vec![
        simple("test_simple_text", "Returns a simple text block."),
        simple("test_image_content", "Returns an image block."),
        simple("test_audio_content", "Returns an audio block."),
        simple("test_embedded_resource", "Returns an embedded resource."),
        simple(
            "test_multiple_content_types",
            "Returns text, image and resource blocks.",
        ),
        simple("test_tool_with_logging", "Sends log notifications while running."),
        simple("test_error_handling", "Always fails with a tool error."),
        simple("test_tool_with_progress", "Sends progress notifications while running."),
        Tool::new(
            "json_schema_2020_12_tool",
            "Has an input schema using JSON Schema 2020-12 keywords (kept as written).",
            object(json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": {
                    "address": {
                        "$anchor": "address",
                        "type": "object",
                        "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
                    }
                },
                "properties": {
                    "name": {"type": "string"},
                    "address": {"$ref": "#/$defs/address"}
                },
                "allOf": [{"anyOf": [{"required": ["name"]}, {"required": ["address"]}]}],
                "if": {"required": ["address"]},
                "then": {"properties": {"address": {"required": ["street"]}}},
                "else": {"required": ["name"]},
                "additionalProperties": false
            })),
        ),
        Tool::new(
            "test_sampling",
            "Asks the client's model to answer 'prompt' (sampling) and returns the answer.",
            object(
                json!({"type": "object", "properties": {"prompt": {"type": "string", "description": "The prompt"}}, "required": ["prompt"]}),
            ),
        ),
        Tool::new(
            "test_elicitation",
            "Asks the user for a username and an email (form elicitation).",
            object(
                json!({"type": "object", "properties": {"message": {"type": "string", "description": "What to ask"}}, "required": ["message"]}),
            ),
        ),
        simple(
            "test_elicitation_sep1034_defaults",
            "Elicitation whose fields all have defaults (SEP-1034).",
        ),
        simple(
            "test_elicitation_sep1330_enums",
            "Elicitation with titled and untitled enums (SEP-1330).",
        ),
        simple(
            "test_missing_capability",
            "Needs the client's sampling capability; fails with -32021 without it.",
        ),
        simple(
            "test_streaming_elicitation",
            "2026-07-28: asks for input with an InputRequiredResult, never a request on the stream.",
        ),
        simple(
            "test_logging_tool",
            "Logs once, only when the request asked for a log level.",
        ),
        Tool::new(
            "test_custom_header",
            "Echoes 'value', which clients also send as the Mcp-Param-Value header.",
            object(json!({
                "type": "object",
                "properties": {"value": {"type": "string", "x-mcp-header": "Value"}},
                "required": ["value"]
            })),
        ),
    ];
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    tools
}

fn text_resource(uri: &str, mime: &str, text: &str) -> ResourceContents {
    ResourceContents::TextResourceContents {
        uri: uri.into(),
        mime_type: Some(mime.into()),
        text: text.into(),
        meta: None,
    }
}

fn action(a: &ElicitationAction) -> &'static str {
    match a {
        ElicitationAction::Accept => "accept",
        ElicitationAction::Decline => "decline",
        ElicitationAction::Cancel => "cancel",
        _ => "unknown",
    }
}

async fn elicit(cx: &RequestContext<RoleServer>, message: &str, schema: Value) -> CallToolResult {
    let schema: ElicitationSchema = match serde_json::from_value(schema) {
        Ok(s) => s,
        Err(e) => return CallToolResult::error(vec![ContentBlock::text(format!("bad elicitation schema: {e}"))]),
    };
    let request = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: message.into(),
        requested_schema: schema,
    };
    match cx.peer.create_elicitation(request).await {
        Ok(r) => CallToolResult::success(vec![ContentBlock::text(format!(
            "User response: action={}, content={}",
            action(&r.action),
            r.content.map(|c| c.to_string()).unwrap_or_default()
        ))]),
        Err(e) => CallToolResult::error(vec![ContentBlock::text(format!("Elicitation error: {e}"))]),
    }
}

impl Fixture {
    async fn log(&self, cx: &RequestContext<RoleServer>, message: &str) {
        // 2026-07-28: log only when the request asked for it (_meta logLevel).
        if trailmesh_mcp_kit::is_modern(cx) && cx.meta.log_level().is_none() {
            return;
        }
        let _ = cx
            .peer
            .notify_logging_message(
                LoggingMessageNotificationParam::new(LoggingLevel::Info, json!(message)).with_logger("fixture"),
            )
            .await;
    }
}

impl ServerHandler for Fixture {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .enable_resources_subscribe()
                .enable_logging()
                .enable_completions()
                .build(),
        )
        .with_server_info(Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")))
        .with_instructions("trailmesh MCP conformance fixture")
    }

    fn accepted_subscription_filter(&self, requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        Some(requested.supported_by(&self.get_info().capabilities))
    }

    async fn listen(&self, context: rmcp::service::SubscriptionContext) -> Result<(), ErrorData> {
        context.cancelled().await;
        Ok(())
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools().into_iter().find(|t| t.name == name)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult {
            tools: tools(),
            ..Default::default()
        }
        .with_ttl_ms(TTL_MS)
        .with_cache_scope(CacheScope::Public))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let result = match request.name.as_ref() {
            "test_simple_text" => CallToolResult::success(vec![ContentBlock::text("This is a simple text response for testing.")]),
            "test_image_content" => CallToolResult::success(vec![ContentBlock::image(PNG, "image/png")]),
            "test_audio_content" => CallToolResult::success(vec![ContentBlock::Audio(AudioContent::new(WAV, "audio/wav"))]),
            "test_embedded_resource" => CallToolResult::success(vec![ContentBlock::resource(text_resource(
                "test://embedded-resource",
                "text/plain",
                "This is an embedded resource content.",
            ))]),
            "test_multiple_content_types" => CallToolResult::success(vec![
                ContentBlock::text("Multiple content types test:"),
                ContentBlock::image(PNG, "image/png"),
                ContentBlock::resource(text_resource(
                    "test://mixed-content-resource",
                    "application/json",
                    r#"{"test":"data","value":123}"#,
                )),
            ]),
            "test_tool_with_logging" => {
                for message in ["Tool execution started", "Tool processing data", "Tool execution completed"] {
                    self.log(&cx, message).await;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                CallToolResult::success(vec![ContentBlock::text("Logging test completed")])
            }
            "test_error_handling" => {
                CallToolResult::error(vec![ContentBlock::text("This tool intentionally returns an error for testing")])
            }
            "test_tool_with_progress" => {
                let token = cx.meta.get_progress_token();
                for (progress, message) in [(0.0, "Starting"), (50.0, "Halfway"), (100.0, "Complete")] {
                    if let Some(token) = &token {
                        let _ = cx
                            .peer
                            .notify_progress(
                                ProgressNotificationParam::new(token.clone(), progress)
                                    .with_total(100.0)
                                    .with_message(message),
                            )
                            .await;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                CallToolResult::success(vec![ContentBlock::text("Progress test completed")])
            }
            "test_sampling" => {
                let prompt = request
                    .arguments
                    .as_ref()
                    .and_then(|a| a.get("prompt"))
                    .and_then(Value::as_str)
                    .unwrap_or("Hello")
                    .to_string();
                match cx
                    .peer
                    .create_message(CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], 100))
                    .await
                {
                    Ok(r) => {
                        let text = r
                            .message
                            .content
                            .first()
                            .and_then(|c| c.as_text())
                            .map(|t| t.text.clone())
                            .unwrap_or_else(|| "No text response".into());
                        CallToolResult::success(vec![ContentBlock::text(format!("LLM response: {text}"))])
                    }
                    Err(e) => CallToolResult::error(vec![ContentBlock::text(format!("Sampling error: {e}"))]),
                }
            }
            "test_elicitation" => {
                let message = request
                    .arguments
                    .as_ref()
                    .and_then(|a| a.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("Please provide your information")
                    .to_string();
                elicit(
                    &cx,
                    &message,
                    json!({"type": "object", "properties": {
                        "username": {"type": "string", "description": "User's response"},
                        "email": {"type": "string", "description": "User's email address"}
                    }, "required": ["username", "email"]}),
                )
                .await
            }
            "test_elicitation_sep1034_defaults" => {
                elicit(
                    &cx,
                    "Please provide values (all have defaults)",
                    json!({"type": "object", "properties": {
                        "name": {"type": "string", "description": "User's name", "default": "John Doe"},
                        "age": {"type": "integer", "description": "User's age", "default": 30},
                        "score": {"type": "number", "description": "User's score", "default": 95.5},
                        "status": {"type": "string", "description": "User's status", "enum": ["active", "inactive", "pending"], "default": "active"},
                        "verified": {"type": "boolean", "description": "Whether user is verified", "default": true}
                    }}),
                )
                .await
            }
            "test_elicitation_sep1330_enums" => {
                let titled = |kind: &str| {
                    json!([
                        {"const": "value1", "title": format!("First {kind}")},
                        {"const": "value2", "title": format!("Second {kind}")},
                        {"const": "value3", "title": format!("Third {kind}")}
                    ])
                };
                elicit(
                    &cx,
                    "Test enum schema improvements",
                    json!({"type": "object", "properties": {
                        "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
                        "titledSingle": {"type": "string", "oneOf": titled("Option")},
                        "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"]},
                        "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
                        "titledMulti": {"type": "array", "items": {"anyOf": titled("Choice")}}
                    }}),
                )
                .await
            }
            "test_missing_capability" => {
                let declared = cx.meta.client_capabilities().unwrap_or_default();
                if declared.sampling.is_none() {
                    return Err(ErrorData::missing_required_client_capability(
                        ClientCapabilities::builder().enable_sampling().build(),
                    ));
                }
                CallToolResult::success(vec![ContentBlock::text("Required capability declared")])
            }
            "test_streaming_elicitation" => {
                let mut requests = InputRequests::new();
                requests.insert(
                    "streaming_elicitation".into(),
                    InputRequest::Elicitation(ElicitRequest::new(ElicitRequestParams::FormElicitationParams {
                        meta: None,
                        message: "Provide a value".into(),
                        requested_schema: serde_json::from_value(json!({
                            "type": "object",
                            "properties": {"value": {"type": "string"}},
                            "required": ["value"]
                        }))
                        .map_err(|e| ErrorData::internal_error(e.to_string(), None))?,
                    })),
                );
                return Ok(InputRequiredResult::from_input_requests(requests).into());
            }
            "test_logging_tool" => {
                if let Some(level) = cx.meta.log_level() {
                    let _ = cx
                        .peer
                        .notify_logging_message(
                            LoggingMessageNotificationParam::new(level, json!("logLevel was requested")).with_logger("fixture"),
                        )
                        .await;
                }
                CallToolResult::success(vec![ContentBlock::text("Logging tool completed")])
            }
            "json_schema_2020_12_tool" => {
                let args = Value::Object(request.arguments.unwrap_or_default());
                CallToolResult::success(vec![ContentBlock::text(format!("received {args}"))])
            }
            "test_custom_header" => {
                let value = request
                    .arguments
                    .as_ref()
                    .and_then(|a| a.get("value"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                CallToolResult::success(vec![ContentBlock::text(value)])
            }
            other => {
                return Err(ErrorData::invalid_params(
                    format!("unknown tool '{other}'; tools/list names the tools"),
                    None,
                ));
            }
        };
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult {
            resources: vec![
                Resource::new("test://static-text", "Static Text Resource")
                    .with_description("A static text resource")
                    .with_mime_type("text/plain"),
                Resource::new("test://static-binary", "Static Binary Resource")
                    .with_description("A static binary resource")
                    .with_mime_type("image/png"),
            ],
            ..Default::default()
        }
        .with_ttl_ms(TTL_MS)
        .with_cache_scope(CacheScope::Public))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult {
            resource_templates: vec![
                ResourceTemplate::new("test://template/{id}/data", "Dynamic Resource")
                    .with_description("A resource whose URI names an id")
                    .with_mime_type("application/json"),
            ],
            ..Default::default()
        }
        .with_ttl_ms(TTL_MS)
        .with_cache_scope(CacheScope::Public))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.as_str();
        let contents = match uri {
            "test://static-text" => {
                text_resource(uri, "text/plain", "This is the content of the static text resource.")
            }
            "test://static-binary" => ResourceContents::BlobResourceContents {
                uri: uri.into(),
                mime_type: Some("image/png".into()),
                blob: PNG.into(),
                meta: None,
            },
            _ => match uri
                .strip_prefix("test://template/")
                .and_then(|s| s.strip_suffix("/data"))
            {
                Some(id) => text_resource(
                    uri,
                    "application/json",
                    &json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")}).to_string(),
                ),
                None => {
                    return Err(ErrorData::resource_not_found(
                        format!("no resource '{uri}'; resources/list and resources/templates/list name them"),
                        Some(json!({"uri": uri})),
                    ));
                }
            },
        };
        Ok(ReadResourceResult::new(vec![contents])
            .with_ttl_ms(TTL_MS)
            .with_cache_scope(CacheScope::Public)
            .into())
    }

    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if let Ok(mut subs) = self.subscriptions.lock() {
            subs.insert(request.uri.to_string());
        }
        Ok(())
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if let Ok(mut subs) = self.subscriptions.lock() {
            subs.remove(request.uri.as_str());
        }
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult {
            prompts: vec![
                Prompt::new("test_simple_prompt", Some("A prompt without arguments"), None),
                Prompt::new(
                    "test_prompt_with_arguments",
                    Some("A prompt with arguments"),
                    Some(vec![
                        PromptArgument::new("arg1")
                            .with_description("First argument")
                            .with_required(true),
                        PromptArgument::new("arg2")
                            .with_description("Second argument")
                            .with_required(false),
                    ]),
                ),
                Prompt::new(
                    "test_prompt_with_embedded_resource",
                    Some("A prompt with an embedded resource"),
                    None,
                ),
                Prompt::new("test_prompt_with_image", Some("A prompt with an image"), None),
            ],
            ..Default::default()
        }
        .with_ttl_ms(TTL_MS)
        .with_cache_scope(CacheScope::Public))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let result = match request.name.as_str() {
            "test_simple_prompt" => GetPromptResult::new(vec![PromptMessage::new_text(
                Role::User,
                "This is a simple test prompt.",
            )]),
            "test_prompt_with_arguments" => {
                let args = request.arguments.unwrap_or_default();
                let arg = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                GetPromptResult::new(vec![PromptMessage::new_text(
                    Role::User,
                    format!("Prompt with arguments: arg1='{}', arg2='{}'", arg("arg1"), arg("arg2")),
                )])
            }
            "test_prompt_with_embedded_resource" => GetPromptResult::new(vec![
                PromptMessage::new_text(Role::User, "Here is a resource:"),
                PromptMessage::new_resource(
                    Role::User,
                    "test://static-text".into(),
                    Some("text/plain".into()),
                    Some("Resource content for prompt".into()),
                    None,
                    None,
                    None,
                ),
            ]),
            "test_prompt_with_image" => GetPromptResult::new(vec![
                PromptMessage::new_text(Role::User, "Here is an image:"),
                PromptMessage::new(Role::User, ContentBlock::Image(ImageContent::new(PNG, "image/png"))),
            ]),
            other => {
                return Err(ErrorData::invalid_params(
                    format!("unknown prompt '{other}'; prompts/list names the prompts"),
                    None,
                ));
            }
        };
        Ok(result.into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let values: Vec<String> = match &request.r#ref {
            Reference::Resource(_) if request.argument.name == "id" => vec!["1".into(), "2".into(), "3".into()],
            Reference::Prompt(_) => vec!["value".into()],
            _ => vec![],
        };
        let prefix = request.argument.value.clone();
        let values = values.into_iter().filter(|v| v.starts_with(&prefix)).collect();
        Ok(CompleteResult::new(
            CompletionInfo::new(values).map_err(|e| ErrorData::internal_error(e, None))?,
        ))
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if let Ok(mut level) = self.log_level.lock() {
            *level = Some(request.level);
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    trailmesh_mcp_kit::init_stderr_logging();
    let args = Args::parse();
    let transport = if args.stdio {
        Transport::Stdio
    } else {
        Transport::Http(
            HttpOptions::new(args.http)
                .with_token(args.token)
                .with_resource_name("trailmesh MCP fixture"),
        )
    };
    let fixture = Fixture::default();
    trailmesh_mcp_kit::run(move || fixture.clone(), transport).await
}
