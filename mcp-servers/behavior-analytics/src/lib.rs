//! MCP server for the behavior-analytics skill (`trailmesh mcp behavior-analytics`).
//!
//! Tools: behaviour labels with evidence, and the camera-trap statistics (effort, RAI, naive
//! and modelled occupancy, detection histories, diel activity, activity overlap, migration).
//! Prompt: a species profile built from them. Every statistic is computed by the skill,
//! which cites its sources; this crate only puts it on the wire.

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::*;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use std::sync::Arc;
use trailmesh_behavior_analytics::*;
use trailmesh_core::Store;
use trailmesh_mcp_kit::{Json, LIST_TTL_MS, Portable, portable_router, skill_json};

/// The behavior-analytics MCP server. Cheap to clone (the skill's event cache is shared).
#[derive(Debug, Clone)]
pub struct BehaviorAnalyticsServer {
    skill: BehaviorAnalytics,
    tool_router: Arc<ToolRouter<Self>>,
}

#[tool_router]
impl BehaviorAnalyticsServer {
    /// A server over a store.
    pub fn new(store: Store) -> Self {
        BehaviorAnalyticsServer {
            skill: BehaviorAnalytics::new(store),
            tool_router: Arc::new(portable_router(Self::tool_router())),
        }
    }

    /// The tools, as listed.
    pub fn tools(&self) -> Vec<Tool> {
        self.tool_router.list_all()
    }

    #[tool(
        description = "Behaviour labels per event (feeding, travelling, resting, vigilance, courtship/breeding, group movement, ...) inferred from track features, time of day and season, each with a confidence and the evidence in words. Scope by time window (from/to), cameras or site; optionally one species or a list of event ids. Paginated (limit, offset).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn behaviours(
        &self,
        Parameters(input): Parameters<BehavioursInput>,
    ) -> Result<Json<Portable<BehavioursOutput>>, CallToolResult> {
        skill_json(self.skill.behaviours(input).await)
    }

    #[tool(
        description = "Sampling effort per camera: trap-nights (camera-days deployed) minus malfunction days, within the scope (from/to, cameras, site). The denominator of RAI and occupancy. Paginated (limit, offset).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn effort(
        &self,
        Parameters(input): Parameters<EffortInput>,
    ) -> Result<Json<Portable<EffortOutput>>, CallToolResult> {
        skill_json(self.skill.effort(input).await)
    }

    #[tool(
        description = "Relative abundance index (RAI): independent detections per 100 trap-nights, per species and camera (O'Brien et al. 2003). Optionally only some species; independenceMin sets the independence interval in minutes; malfunctions are excluded from effort unless excludeMalfunctions is false. Paginated (limit, offset).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn rai(&self, Parameters(input): Parameters<RaiInput>) -> Result<Json<Portable<RaiOutput>>, CallToolResult> {
        skill_json(self.skill.rai(input).await)
    }

    #[tool(
        description = "Naive occupancy of a species (required): the share of operating camera stations that detected it at least once in the scope. Not corrected for imperfect detection; see occupancy for that.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn occupancy_naive(
        &self,
        Parameters(input): Parameters<NaiveOccupancyInput>,
    ) -> Result<Json<Portable<NaiveOccupancyOutput>>, CallToolResult> {
        skill_json(self.skill.occupancy_naive(input).await)
    }

    #[tool(
        description = "Detection history of a species (required): a station x occasion matrix of 1 (detected), 0 (operating, not detected) and NA (not operating), with occasions of occasionDays days (camtrapR's detectionHistory convention). Rows are paginated (limit, offset).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn detection_history(
        &self,
        Parameters(input): Parameters<DetectionHistoryInput>,
    ) -> Result<Json<Portable<DetectionHistoryOutput>>, CallToolResult> {
        skill_json(self.skill.detection_history(input).await)
    }

    #[tool(
        description = "Diel activity of a species (required): a circular kernel density of detection times over the day (von Mises kernel, Ridout & Linkie 2009) on clock time or sun time (timeScale), with the peak hours. gridPoints and adjust tune the curve.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn diel_activity(
        &self,
        Parameters(input): Parameters<DielInput>,
    ) -> Result<Json<Portable<DielOutput>>, CallToolResult> {
        skill_json(self.skill.diel_activity(input).await)
    }

    #[tool(
        description = "Activity overlap between two species (speciesA, speciesB): the coefficient of overlapping Dhat1 or Dhat4 (chosen by sample size, Ridout & Linkie 2009) with a bootstrap confidence interval (bootstrap rounds, seed, confidence level).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn activity_overlap(
        &self,
        Parameters(input): Parameters<OverlapInput>,
    ) -> Result<Json<Portable<OverlapOutput>>, CallToolResult> {
        skill_json(self.skill.activity_overlap(input).await)
    }

    #[tool(
        description = "Single-season occupancy of a species (required) by maximum likelihood (MacKenzie et al. 2002): occupancy psi and detection probability p with standard errors, from detection histories with occasions of occasionDays days.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn occupancy(
        &self,
        Parameters(input): Parameters<OccupancyInput>,
    ) -> Result<Json<Portable<OccupancyOutput>>, CallToolResult> {
        skill_json(self.skill.occupancy(input).await)
    }

    #[tool(
        description = "Migration of a species (required): median detection date against camera position along an axis (bearingDeg, default the best-fitting one), giving direction, speed and a confidence; says when there is no evidence of movement.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn migration(
        &self,
        Parameters(input): Parameters<MigrationInput>,
    ) -> Result<Json<Portable<MigrationOutput>>, CallToolResult> {
        skill_json(self.skill.migration(input).await)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for BehaviorAnalyticsServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_prompts().build())
            .with_server_info(Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Camera-trap ecology statistics over a wildlife study: behaviour labels, effort, RAI, occupancy, \
                 detection histories, diel activity, activity overlap, migration. Every tool takes a scope: from/to, \
                 cameras, site. Report the method and sample size with each number.",
            )
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let result = ListPromptsResult {
            prompts: vec![Prompt::new(
                "species_profile",
                Some("Ecological profile of one species: abundance, occupancy, daily activity, behaviour."),
                Some(vec![
                    PromptArgument::new("species")
                        .with_description("Species, common or scientific name, e.g. \"coyote\"")
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
        let species = trailmesh_mcp_kit::prompt_arg(&args, "species", ", e.g. \"coyote\"")?;
        let text = format!(
            "Write an ecological profile of {species}.\n\
             1. rai with species [\"{species}\"]: relative abundance per camera.\n\
             2. occupancy_naive and occupancy: how widespread it is, with and without imperfect detection.\n\
             3. diel_activity: when in the day it is active (peak hours; nocturnal, diurnal or crepuscular).\n\
             4. behaviours with species \"{species}\": what it is mostly doing.\n\
             Give each number with its method, sample size and uncertainty."
        );
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).into())
    }
}
