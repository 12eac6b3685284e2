//! MCP server for the event-analyzer skill (`trailmesh mcp event-analyzer`).
//!
//! Tools: find events, one event's details, describe an event, summarise a period,
//! independent detections. Resources: an event's best frame (the image when the file is on
//! this machine) and its description, by template. Prompt: a species profile.

use base64::Engine;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::*;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use std::sync::Arc;
use trailmesh_core::Store;
use trailmesh_event_analyzer::*;
use trailmesh_mcp_kit::{Json, LIST_TTL_MS, Portable, json_resource, portable_router, skill_error_data, skill_json};

const BEST_FRAME_TEMPLATE: &str = "trailmesh://events/{id}/best-frame";
const DESCRIPTION_TEMPLATE: &str = "trailmesh://events/{id}/description";
/// Largest image file served as a resource.
const MAX_IMAGE_BYTES: u64 = 8 * 1024 * 1024;

/// The event-analyzer MCP server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct EventAnalyzerServer {
    skill: EventAnalyzer,
    tool_router: Arc<ToolRouter<Self>>,
}

#[tool_router]
impl EventAnalyzerServer {
    /// A server over a store.
    pub fn new(store: Store) -> Self {
        EventAnalyzerServer {
            skill: EventAnalyzer::new(store),
            tool_router: Arc::new(portable_router(Self::tool_router())),
        }
    }

    /// The tools, as listed.
    pub fn tools(&self) -> Vec<Tool> {
        self.tool_router.list_all()
    }

    #[tool(
        description = "Find camera-trap events (a visit of animals, people or vehicles in front of one camera), newest first. Filter by time range (from/to: ISO 8601 with zone or a date), camera id, species (common or scientific name), behaviour label, minimum group size, marked individual, or observation type. Paginated: limit (default 50, max 500) and offset; page.nextOffset gives the next page.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn find_events(
        &self,
        Parameters(input): Parameters<FindEventsInput>,
    ) -> Result<Json<Portable<EventList>>, CallToolResult> {
        skill_json(self.skill.find_events(input).await)
    }

    #[tool(
        description = "Everything stored about one event: the event, its local start time, the camera's name, tracks, detections (at most 200, oldest first) and the best frame's media record. Use an id from find_events.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn event_details(
        &self,
        Parameters(input): Parameters<EventRef>,
    ) -> Result<Json<Portable<EventDetails>>, CallToolResult> {
        skill_json(self.skill.event_details(input).await)
    }

    #[tool(
        description = "Describe what the animals in one event were doing, as data plus one readable sentence: species, count, behaviours with confidence and evidence, movement (direction across the frame, compass bearing when the lens heading is known, speed), dwell time, and time of day relative to sunrise and sunset.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn describe_event(
        &self,
        Parameters(input): Parameters<EventRef>,
    ) -> Result<Json<Portable<EventDescription>>, CallToolResult> {
        skill_json(self.skill.describe_event(input).await)
    }

    #[tool(
        description = "Summarise a period (from and to are required): events and independent detections per species and per camera, the busiest hours, and notable events. Optionally one camera or one site; independenceMinutes sets the interval for the independent counts (default 30).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn summarize_period(
        &self,
        Parameters(input): Parameters<SummarizeInput>,
    ) -> Result<Json<Portable<PeriodSummary>>, CallToolResult> {
        skill_json(self.skill.summarize_period(input).await)
    }

    #[tool(
        description = "Count independent detections per species and camera: an event counts only if it starts at least intervalMinutes (default 30) after the previous counted event of the same species at the same camera. Optionally one species, one camera, a time range. Rows are paginated (limit, offset); totals cover all rows.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn independent_detections(
        &self,
        Parameters(input): Parameters<IndependentInput>,
    ) -> Result<Json<Portable<IndependentDetections>>, CallToolResult> {
        skill_json(self.skill.independent_detections(input).await)
    }
}

impl EventAnalyzerServer {
    async fn best_frame(&self, uri: &str, id: &str) -> Result<ResourceContents, ErrorData> {
        let details = self
            .skill
            .event_details(EventRef { id: id.to_string() })
            .await
            .map_err(|e| skill_error_data(&e, Some(uri)))?;
        let Some(media) = details.best_frame else {
            return Err(ErrorData::resource_not_found(
                format!("event '{id}' has no best frame"),
                Some(serde_json::json!({ "uri": uri })),
            ));
        };
        let path = std::path::Path::new(&media.file_path);
        let readable = media.media_type.starts_with("image/")
            && std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= MAX_IMAGE_BYTES);
        if readable {
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|e| ErrorData::internal_error(format!("cannot read {}: {e}", media.file_path), None))?;
            return Ok(ResourceContents::BlobResourceContents {
                uri: uri.into(),
                mime_type: Some(media.media_type.clone()),
                blob: base64::engine::general_purpose::STANDARD.encode(bytes),
                meta: None,
            });
        }
        // The record, when the image itself is not on this machine (demo data, a URL).
        json_resource(
            uri,
            &serde_json::json!({
                "note": "the image file is not on this machine (or not an image); this is its media record",
                "media": media,
            }),
        )
    }
}

fn event_id<'a>(uri: &'a str, suffix: &str) -> Option<&'a str> {
    uri.strip_prefix("trailmesh://events/")
        .and_then(|rest| rest.strip_suffix(suffix))
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for EventAnalyzerServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_server_info(Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "Events recorded by the trail cameras of a wildlife study: find them, describe what the animals did, \
                 summarise a period. Start with find_events or summarize_period; times are ISO 8601.",
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let result = ListResourcesResult::default();
        Ok(trailmesh_mcp_kit::with_cache_hints!(&cx, result, LIST_TTL_MS))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let result = ListResourceTemplatesResult {
            resource_templates: vec![
                ResourceTemplate::new(BEST_FRAME_TEMPLATE, "event best frame").with_description(
                    "The best frame of an event: the image when its file is on this machine, else its media record as JSON; {id} is an event id",
                ),
                ResourceTemplate::new(DESCRIPTION_TEMPLATE, "event description")
                    .with_description("What the animals of an event did, as JSON (describe_event); {id} is an event id")
                    .with_mime_type("application/json"),
            ],
            ..Default::default()
        };
        Ok(trailmesh_mcp_kit::with_cache_hints!(&cx, result, LIST_TTL_MS))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.as_str();
        let contents = if let Some(id) = event_id(uri, "/best-frame") {
            self.best_frame(uri, id).await?
        } else if let Some(id) = event_id(uri, "/description") {
            let d = self
                .skill
                .describe_event(EventRef { id: id.to_string() })
                .await
                .map_err(|e| skill_error_data(&e, Some(uri)))?;
            json_resource(uri, &d)?
        } else {
            return Err(ErrorData::resource_not_found(
                format!("no resource '{uri}'; this server has {BEST_FRAME_TEMPLATE} and {DESCRIPTION_TEMPLATE}"),
                Some(serde_json::json!({ "uri": uri })),
            ));
        };
        let result = ReadResourceResult::new(vec![contents]);
        Ok(trailmesh_mcp_kit::with_cache_hints!(&cx, result, 0).into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let result = ListPromptsResult {
            prompts: vec![Prompt::new(
                "species_profile",
                Some("Profile of one species from its events: when, where, in what groups and doing what."),
                Some(vec![
                    PromptArgument::new("species")
                        .with_description("Species, common or scientific name, e.g. \"mule deer\"")
                        .with_required(true),
                ]),
            )],
            ..Default::default()
        };
        Ok(trailmesh_mcp_kit::with_cache_hints!(&cx, result, LIST_TTL_MS))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if request.name != "species_profile" {
            return Err(trailmesh_mcp_kit::unknown_prompt(&request.name, &["species_profile"]));
        }
        let args = request.arguments.unwrap_or_default();
        let species = trailmesh_mcp_kit::prompt_arg(&args, "species", ", e.g. \"mule deer\"")?;
        let text = format!(
            "Write a profile of {species} from the camera-trap events.\n\
             1. Call independent_detections with species=\"{species}\" for how often and where it was detected.\n\
             2. Call find_events with species=\"{species}\" (limit 20) and describe_event on three typical events: \
             group sizes, behaviours, time of day.\n\
             3. Call summarize_period over the whole span for its busiest hours.\n\
             Give numbers with their units and cite event ids for examples."
        );
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).into())
    }
}
