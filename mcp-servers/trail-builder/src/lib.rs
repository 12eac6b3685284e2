//! MCP server for the trail-builder skill (`trailmesh mcp trail-builder`).
//!
//! Tools: trails, the transition graph, corridors, daily routes, first/last sightings, net
//! movement, timespan activity and trails as GeoJSON. Resource template: a species' trails as
//! GeoJSON. Prompt: a movement report for a species.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::*;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use std::sync::Arc;
use trailmesh_core::Store;
use trailmesh_mcp_kit::{
    Json, LIST_TTL_MS, Portable, json_resource, patch_output_schema, portable_router, skill_error_data, skill_json,
};
use trailmesh_trail_builder::*;

const TRAIL_TEMPLATE: &str = "trailmesh://trails/{species}.geojson";

/// The trail-builder MCP server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TrailBuilderServer {
    skill: TrailBuilder,
    tool_router: Arc<ToolRouter<Self>>,
}

#[tool_router]
impl TrailBuilderServer {
    /// A server over a store.
    pub fn new(store: Store) -> Self {
        TrailBuilderServer {
            skill: TrailBuilder::new(store),
            tool_router: Arc::new(tool_router()),
        }
    }

    /// The tools, as listed.
    pub fn tools(&self) -> Vec<Tool> {
        self.tool_router.list_all()
    }

    #[tool(
        description = "Trails of a species or a marked individual across the cameras over a time span: time-ordered stops (camera, arrival, departure, events), length, duration, net bearing. Give species or individual. Without individual ids, trails are reconstructed by linking sightings no further apart than maxGapHours (default 12) and reachable at maxSpeedKmh (default 6); the answer says which. Paginated (limit, offset), most stops first.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn trails(
        &self,
        Parameters(input): Parameters<TrailInput>,
    ) -> Result<Json<Portable<Trails>>, CallToolResult> {
        skill_json(self.skill.trails(input).await)
    }

    #[tool(
        description = "Transition graph between cameras for a species or individual: directed edges A -> B with how often the move was seen, distance, transit-time distribution (min, median, p90, max, mean hours), the count expected by chance and whether the edge is a corridor; nodes with sightings and degrees. Same arguments as trails.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn transition_graph(
        &self,
        Parameters(input): Parameters<TrailInput>,
    ) -> Result<Json<Portable<TransitionGraph>>, CallToolResult> {
        skill_json(self.skill.transition_graph(input).await)
    }

    #[tool(
        description = "Corridors: the transition-graph edges used far more than chance (at least 3 moves, at least twice the expected count, one-sided Poisson p < 0.05). Same arguments as trails.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn corridors(
        &self,
        Parameters(input): Parameters<TrailInput>,
    ) -> Result<Json<Portable<TransitionGraph>>, CallToolResult> {
        skill_json(self.skill.corridors(input).await)
    }

    #[tool(
        description = "Daily routes of an individual (or reconstructed trails of a species): the camera sequences walked within one day, most frequent first, with the dates and typical start time. dayStartsAtHour 12 (default) keeps a night together for nocturnal animals; 0 uses calendar days.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn daily_routes(
        &self,
        Parameters(input): Parameters<RoutesInput>,
    ) -> Result<Json<Portable<DailyRoutes>>, CallToolResult> {
        skill_json(self.skill.daily_routes(input).await)
    }

    #[tool(
        description = "First and last sightings of a species (required), overall and per camera, with event counts; optionally within a time range.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn sightings(
        &self,
        Parameters(input): Parameters<SightingsInput>,
    ) -> Result<Json<Portable<Sightings>>, CallToolResult> {
        skill_json(self.skill.sightings(input).await)
    }

    #[tool(
        description = "Net movement of a species (required): weekly centres of activity (event-weighted camera positions), the bearing, compass direction and distance from the first week's centre to the last, and the speed in km/day, with a one-line summary.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn net_movement(
        &self,
        Parameters(input): Parameters<SightingsInput>,
    ) -> Result<Json<Portable<NetMovement>>, CallToolResult> {
        skill_json(self.skill.net_movement(input).await)
    }

    #[tool(
        description = "What happened when, per camera: animal events per camera and time bucket (bucket \"hour\" or \"day\", default day) with per-species counts, between from and to (both required, at most 92 days apart), plus totals per camera.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn timespan_activity(
        &self,
        Parameters(input): Parameters<TimespanInput>,
    ) -> Result<Json<Portable<TimespanActivity>>, CallToolResult> {
        skill_json(self.skill.timespan_activity(input).await)
    }

    #[tool(
        description = "Trails as a GeoJSON FeatureCollection for a map: a LineString per trail and a Point per camera on a trail. Same arguments as trails (the page of trails is drawn). For large exports read the resource trailmesh://trails/{species}.geojson instead.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn trails_geojson(
        &self,
        Parameters(input): Parameters<TrailInput>,
    ) -> Result<Json<Portable<TrailGeoJson>>, CallToolResult> {
        skill_json(self.skill.trails_geojson(input).await)
    }
}

/// The tools with portable schemas; GeoJSON features (`serde_json::Value` in the skill)
/// declared as the objects they are.
fn tool_router() -> ToolRouter<TrailBuilderServer> {
    let mut router = portable_router(TrailBuilderServer::tool_router());
    let patched = patch_output_schema(
        &mut router,
        "trails_geojson",
        "/properties/features/items",
        serde_json::json!({
            "type": "object",
            "description": "A GeoJSON Feature: a LineString per trail (properties: trail id, species, method) or a Point per camera",
            "additionalProperties": true
        }),
    );
    debug_assert!(
        patched,
        "the TrailGeoJson schema changed shape: update the features patch"
    );
    router
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for TrailBuilderServer {
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
            "How animals move across the trail cameras of a wildlife study: trails, transitions between cameras, \
                 corridors, daily routes, first and last sightings, net movement. Trails without marked individuals \
                 are reconstructions; say so when reporting them.",
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
                ResourceTemplate::new(TRAIL_TEMPLATE, "species trails as GeoJSON")
                    .with_description(
                        "The trails of a species (up to 500) as a GeoJSON FeatureCollection; {species} is a common or scientific name",
                    )
                    .with_mime_type("application/geo+json"),
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
        let species = uri
            .strip_prefix("trailmesh://trails/")
            .and_then(|s| s.strip_suffix(".geojson"))
            .map(percent_decode)
            .filter(|s| !s.is_empty() && !s.contains('/'));
        let Some(species) = species else {
            return Err(ErrorData::resource_not_found(
                format!("no resource '{uri}'; this server has {TRAIL_TEMPLATE}"),
                Some(serde_json::json!({ "uri": uri })),
            ));
        };
        let input = TrailInput {
            species: Some(species),
            limit: Some(trailmesh_core::skill::MAX_LIMIT),
            ..Default::default()
        };
        let geojson = self
            .skill
            .trails_geojson(input)
            .await
            .map_err(|e| skill_error_data(&e, Some(uri)))?;
        let mut contents = json_resource(uri, &geojson)?;
        if let ResourceContents::TextResourceContents { mime_type, .. } = &mut contents {
            *mime_type = Some("application/geo+json".into());
        }
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
                "movement_report",
                Some("How a species moves across the cameras: trails, corridors, routes and net direction."),
                Some(vec![
                    PromptArgument::new("species")
                        .with_description("Species, common or scientific name, e.g. \"elk\"")
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
        if request.name != "movement_report" {
            return Err(trailmesh_mcp_kit::unknown_prompt(&request.name, &["movement_report"]));
        }
        let args = request.arguments.unwrap_or_default();
        let species = trailmesh_mcp_kit::prompt_arg(&args, "species", ", e.g. \"elk\"")?;
        let text = format!(
            "Report how {species} moves across the camera network.\n\
             1. sightings and net_movement for species=\"{species}\": where it was first and last seen, and its drift.\n\
             2. transition_graph and corridors: the moves between cameras and which are used more than chance.\n\
             3. daily_routes: the routes it repeats.\n\
             Say whether trails follow marked individuals or are reconstructions, and give distances in km."
        );
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).into())
    }
}

/// `%20` and friends in a species name taken from a URI.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn species_names_in_uris_are_decoded() {
        assert_eq!(super::percent_decode("mule%20deer"), "mule deer");
        assert_eq!(super::percent_decode("elk"), "elk");
        assert_eq!(super::percent_decode("bad%2"), "bad%2");
    }
}
