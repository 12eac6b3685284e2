//! MCP server for the camera-inventory skill (`trailmesh mcp camera-inventory`).
//!
//! Tools: one per skill operation. Resources: the camera list, coverage as GeoJSON, and one
//! camera's details by template. Prompts: a weekly site report and a species profile.
//! The skill does the work; this crate only puts it on the wire.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::*;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use std::sync::Arc;
use trailmesh_camera_inventory::*;
use trailmesh_core::Store;
use trailmesh_core::model::Camera;
use trailmesh_mcp_kit::{
    Json, LIST_TTL_MS, Portable, json_resource, patch_output_schema, portable_router, skill_error_data, skill_json,
};

const CAMERAS_URI: &str = "trailmesh://cameras";
const COVERAGE_URI: &str = "trailmesh://cameras/coverage.geojson";
const CAMERA_TEMPLATE: &str = "trailmesh://cameras/{id}";

/// The camera-inventory MCP server. Cheap to clone: one per HTTP session or request.
#[derive(Debug, Clone)]
pub struct CameraInventoryServer {
    skill: CameraInventory,
    tool_router: Arc<ToolRouter<Self>>,
}

#[tool_router]
impl CameraInventoryServer {
    /// A server over a store.
    pub fn new(store: Store) -> Self {
        CameraInventoryServer {
            skill: CameraInventory::new(store),
            tool_router: Arc::new(tool_router()),
        }
    }

    /// The tools, as listed (for tests and docs).
    pub fn tools(&self) -> Vec<Tool> {
        self.tool_router.list_all()
    }

    #[tool(
        description = "List and search the trail cameras: filter by words in id/name/site/habitat, by site, habitat, feature type (e.g. waterSource, trailGame), health state (online, sleeping, faulty, notDeployed, retired), or distance from a point (then nearest first). Each camera comes with its health and event count. Paginated: limit (default 50, max 500) and offset; page.nextOffset is the offset of the next page.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_cameras(
        &self,
        Parameters(input): Parameters<ListCamerasInput>,
    ) -> Result<Json<Portable<CameraList>>, CallToolResult> {
        skill_json(self.skill.list_cameras(input).await)
    }

    #[tool(
        description = "One camera in full: stored fields, health at a reference time (state, reason, last seen, battery, uptime), deployments, malfunction windows and effort in working days. Use the id from list_cameras, e.g. \"CREEK-01\".",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn camera_details(
        &self,
        Parameters(input): Parameters<CameraRef>,
    ) -> Result<Json<Portable<CameraDetails>>, CallToolResult> {
        skill_json(self.skill.camera_details(input).await)
    }

    #[tool(
        description = "Add a new camera to the inventory: id (letters, digits, '-', '_', '.'), name and WGS84 position are required; site, habitat, feature type, model, height, heading, detection distance and notes are optional. Fails if the id is taken.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn add_camera(
        &self,
        Parameters(input): Parameters<AddCameraInput>,
    ) -> Result<Json<Portable<Camera>>, CallToolResult> {
        skill_json(self.skill.add_camera(input).await)
    }

    #[tool(
        description = "Change fields of an existing camera; only the fields given change (e.g. a new battery reading, a moved position, notes). Returns the camera as stored.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn update_camera(
        &self,
        Parameters(input): Parameters<UpdateCameraInput>,
    ) -> Result<Json<Portable<Camera>>, CallToolResult> {
        skill_json(self.skill.update_camera(input).await)
    }

    #[tool(
        description = "Retire a camera (stolen, removed, moved for good): it stays in the records with its history, marked retired; the reason is kept in its notes. Returns the camera as stored.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn retire_camera(
        &self,
        Parameters(input): Parameters<RetireCameraInput>,
    ) -> Result<Json<Portable<Camera>>, CallToolResult> {
        skill_json(self.skill.retire_camera(input).await)
    }

    #[tool(
        description = "Camera coverage as a GeoJSON FeatureCollection: a Point per camera (id, name, site, feature type, health, detection distance) and the convex hull of the cameras as the surveyed area. Optionally one site only; retired cameras are left out unless includeRetired is true.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn camera_coverage(
        &self,
        Parameters(input): Parameters<CoverageInput>,
    ) -> Result<Json<Portable<Coverage>>, CallToolResult> {
        skill_json(self.skill.coverage(input).await)
    }
}

/// The tools with portable schemas; GeoJSON coordinates (a `serde_json::Value` in the skill)
/// declared as the arrays they are.
fn tool_router() -> ToolRouter<CameraInventoryServer> {
    let mut router = portable_router(CameraInventoryServer::tool_router());
    let patched = patch_output_schema(
        &mut router,
        "camera_coverage",
        "/properties/features/items/properties/geometry/properties/coordinates",
        serde_json::json!({
            "type": "array",
            "description": "[longitude, latitude] for a Point; a list of rings of [longitude, latitude] for a Polygon"
        }),
    );
    debug_assert!(
        patched,
        "the Coverage schema changed shape: update the coordinates patch"
    );
    router
}

fn prompts() -> Vec<Prompt> {
    vec![
        Prompt::new(
            "species_profile",
            Some(
                "Profile of one species across the camera network: where and when it is seen, and which cameras see it most.",
            ),
            Some(vec![
                PromptArgument::new("species")
                    .with_description("Species, common or scientific name, e.g. \"white-tailed deer\"")
                    .with_required(true),
            ]),
        ),
        Prompt::new(
            "weekly_site_report",
            Some("Weekly report for one site: camera health, outages and what the cameras recorded."),
            Some(vec![
                PromptArgument::new("site")
                    .with_description("Site name as in list_cameras, e.g. \"North Ridge\"")
                    .with_required(true),
                PromptArgument::new("week_start")
                    .with_description("First day of the week, YYYY-MM-DD (default: the last 7 days)")
                    .with_required(false),
            ]),
        ),
    ]
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for CameraInventoryServer {
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
            "Trail-camera inventory of a wildlife study: which cameras exist, where, and whether they work. \
                 Start with list_cameras; camera_details explains one camera's health. Times are ISO 8601.",
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let result = ListResourcesResult {
            resources: vec![
                Resource::new(CAMERAS_URI, "camera list")
                    .with_description("All cameras (first 500) with site, position, health and event count, as JSON")
                    .with_mime_type("application/json"),
                Resource::new(COVERAGE_URI, "camera coverage")
                    .with_description("Cameras and surveyed area as a GeoJSON FeatureCollection")
                    .with_mime_type("application/geo+json"),
            ],
            ..Default::default()
        };
        Ok(trailmesh_mcp_kit::with_cache_hints!(&cx, result, LIST_TTL_MS))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let result = ListResourceTemplatesResult {
            resource_templates: vec![
                ResourceTemplate::new(CAMERA_TEMPLATE, "camera details")
                    .with_description(
                        "One camera's details, health, deployments and malfunctions, as JSON; {id} is a camera id",
                    )
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
        let contents = match uri {
            CAMERAS_URI => {
                let list = self
                    .skill
                    .list_cameras(ListCamerasInput {
                        limit: Some(trailmesh_core::skill::MAX_LIMIT),
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| skill_error_data(&e, Some(uri)))?;
                json_resource(uri, &list)?
            }
            COVERAGE_URI => {
                let coverage = self
                    .skill
                    .coverage(CoverageInput::default())
                    .await
                    .map_err(|e| skill_error_data(&e, Some(uri)))?;
                let mut c = json_resource(uri, &coverage)?;
                if let ResourceContents::TextResourceContents { mime_type, .. } = &mut c {
                    *mime_type = Some("application/geo+json".into());
                }
                c
            }
            _ => match uri.strip_prefix("trailmesh://cameras/") {
                Some(id) if !id.is_empty() && !id.contains('/') => {
                    let details = self
                        .skill
                        .camera_details(CameraRef {
                            id: id.to_string(),
                            as_of: None,
                        })
                        .await
                        .map_err(|e| skill_error_data(&e, Some(uri)))?;
                    json_resource(uri, &details)?
                }
                _ => {
                    return Err(ErrorData::resource_not_found(
                        format!(
                            "no resource '{uri}'; this server has {CAMERAS_URI}, {COVERAGE_URI} and {CAMERA_TEMPLATE}"
                        ),
                        Some(serde_json::json!({ "uri": uri })),
                    ));
                }
            },
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
            prompts: prompts(),
            ..Default::default()
        };
        Ok(trailmesh_mcp_kit::with_cache_hints!(&cx, result, LIST_TTL_MS))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        let arg = |k: &str| {
            args.get(k)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let text = match request.name.as_str() {
            "weekly_site_report" => {
                let site = trailmesh_mcp_kit::prompt_arg(&args, "site", ": a site name as list_cameras shows it")?;
                let week = match arg("week_start") {
                    Some(d) => {
                        trailmesh_core::skill::parse_time_arg("week_start", d)
                            .map_err(|e| skill_error_data(&e, None))?;
                        format!("the week starting {d}")
                    }
                    None => "the last 7 days".to_string(),
                };
                format!(
                    "Write a weekly report for the site \"{site}\" covering {week}.\n\
                     1. Call list_cameras with site=\"{site}\" to get its cameras and their health.\n\
                     2. For every camera that is faulty or not deployed, call camera_details and say why and since when.\n\
                     3. Summarise: cameras working / total, outages (malfunction windows in the week), effort in working days, \
                     and which cameras recorded the most events.\n\
                     4. End with the maintenance to do on the next visit (batteries below 20 %, silent cameras).\n\
                     Keep it to one page; use a table for the cameras."
                )
            }
            "species_profile" => {
                let species = trailmesh_mcp_kit::prompt_arg(&args, "species", ", e.g. \"white-tailed deer\"")?;
                format!(
                    "Write a profile of {species} as seen by this camera network.\n\
                     1. Call list_cameras to know the cameras, their sites and habitats.\n\
                     2. Using the event tools of the event-analyzer and behavior-analytics servers where available, find where \
                     and when {species} was recorded: cameras with the most detections, habitats and feature types, \
                     time of day (diel activity) and group sizes.\n\
                     3. Say what the camera coverage (camera_coverage) can and cannot tell about its range.\n\
                     Cite camera ids for every claim."
                )
            }
            other => {
                return Err(trailmesh_mcp_kit::unknown_prompt(
                    other,
                    &["weekly_site_report", "species_profile"],
                ));
            }
        };
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).into())
    }
}
