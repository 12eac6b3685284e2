//! What each skill agent advertises: per operation, tags and example questions for the agent
//! card (the description is the MCP tool's), and the words that pick it from a text question.

use crate::SkillKind;

/// One operation of a skill, as advertised.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// Operation name (= the MCP tool name = the A2A skill id).
    pub name: &'static str,
    /// Short human name.
    pub title: &'static str,
    /// Card tags: what the orchestrator routes on.
    pub tags: &'static [&'static str],
    /// Example questions for the card.
    pub examples: &'static [&'static str],
    /// Words that pick this operation from a plain-text question.
    pub keywords: &'static [&'static str],
}

const fn op(
    name: &'static str,
    title: &'static str,
    tags: &'static [&'static str],
    examples: &'static [&'static str],
    keywords: &'static [&'static str],
) -> Operation {
    Operation {
        name,
        title,
        tags,
        examples,
        keywords,
    }
}

const INVENTORY: &[Operation] = &[
    op(
        "list_cameras",
        "List cameras",
        &["cameras", "inventory", "health", "sites"],
        &["which cameras are offline?", "list the cameras at North Ridge"],
        &[
            "list",
            "cameras",
            "offline",
            "faulty",
            "health",
            "online",
            "which cameras",
        ],
    ),
    op(
        "camera_details",
        "Camera details",
        &["cameras", "inventory", "deployments", "malfunctions"],
        &["tell me about CREEK-01", "when was RIDGE-02 down?"],
        &["details", "about", "deployment", "malfunction", "battery"],
    ),
    op(
        "add_camera",
        "Add a camera",
        &["cameras", "inventory", "edit"],
        &["add a camera"],
        &["add"],
    ),
    op(
        "update_camera",
        "Update a camera",
        &["cameras", "inventory", "edit"],
        &["rename CREEK-01"],
        &["update", "rename", "move"],
    ),
    op(
        "retire_camera",
        "Retire a camera",
        &["cameras", "inventory", "edit"],
        &["retire ROAD-01"],
        &["retire"],
    ),
    op(
        "camera_coverage",
        "Camera coverage map",
        &["cameras", "map", "coverage", "geojson"],
        &["map of the cameras"],
        &["coverage", "map", "geojson"],
    ),
];

const EVENTS: &[Operation] = &[
    op(
        "find_events",
        "Find events",
        &["events", "species", "detections", "time"],
        &[
            "what were the deer doing at the creek camera last night?",
            "elk events this week",
        ],
        &["find", "events", "visits", "show", "seen"],
    ),
    op(
        "event_details",
        "Event details",
        &["events", "detections", "tracks"],
        &["details of evt-000123"],
        &["details"],
    ),
    op(
        "describe_event",
        "Describe an event",
        &["events", "behaviour", "description"],
        &["describe event evt-000123"],
        &["describe", "doing"],
    ),
    op(
        "summarize_period",
        "Summarise a period",
        &["events", "summary", "report", "species"],
        &["summarise last week at Cedar Creek"],
        &["summary", "summarise", "summarize", "happened", "report"],
    ),
    op(
        "independent_detections",
        "Independent detections",
        &["events", "independent detections", "counts"],
        &["independent detections of red fox"],
        &["independent"],
    ),
];

const BEHAVIOUR: &[Operation] = &[
    op(
        "behaviours",
        "Behaviours",
        &["behaviour", "behavior", "events"],
        &["what behaviours did elk show?"],
        &["behaviour", "behavior", "behaviours"],
    ),
    op(
        "effort",
        "Sampling effort",
        &["effort", "trap-nights", "statistics"],
        &["trap-nights per camera"],
        &["effort", "trap-nights", "trap nights"],
    ),
    op(
        "rai",
        "Relative abundance index",
        &["rai", "relative abundance", "statistics", "species"],
        &["RAI of mule deer by camera"],
        &["rai", "abundance", "relative"],
    ),
    op(
        "occupancy_naive",
        "Naive occupancy",
        &["occupancy", "statistics"],
        &["naive occupancy of black bear"],
        &["naive occupancy", "stations"],
    ),
    op(
        "detection_history",
        "Detection history",
        &["occupancy", "detection history", "statistics"],
        &["detection history of elk"],
        &["history", "matrix"],
    ),
    op(
        "diel_activity",
        "Diel activity",
        &["diel", "activity pattern", "time of day", "statistics"],
        &["when are coyotes active?"],
        &["diel", "active", "time of day", "activity pattern"],
    ),
    op(
        "activity_overlap",
        "Activity overlap",
        &["overlap", "diel", "statistics"],
        &["overlap between coyote and mule deer"],
        &["overlap"],
    ),
    op(
        "occupancy",
        "Occupancy model",
        &["occupancy", "statistics", "model"],
        &["occupancy of elk"],
        &["occupancy", "psi"],
    ),
    op(
        "migration",
        "Migration",
        &["migration", "season", "statistics"],
        &["is there a migration?"],
        &["migration", "migrate"],
    ),
];

const TRAILS: &[Operation] = &[
    op(
        "trails",
        "Trails",
        &["trails", "movement", "individuals"],
        &["trail of bear-F1"],
        &["trail", "path", "walked"],
    ),
    op(
        "transition_graph",
        "Transition graph",
        &["trails", "movement", "graph"],
        &["moves between cameras"],
        &["transition", "graph", "between cameras"],
    ),
    op(
        "corridors",
        "Corridors",
        &["trails", "corridors", "movement"],
        &["main corridors"],
        &["corridor"],
    ),
    op(
        "daily_routes",
        "Daily routes",
        &["trails", "routes", "movement"],
        &["routes of elk on 2026-06-10"],
        &["route"],
    ),
    op(
        "sightings",
        "Sightings",
        &["trails", "sightings", "where"],
        &["where was bear-F1 seen?"],
        &["sightings", "where"],
    ),
    op(
        "net_movement",
        "Net movement",
        &["trails", "movement", "migration"],
        &["net movement of elk"],
        &["net movement", "drift", "direction"],
    ),
    op(
        "timespan_activity",
        "Activity by camera and time",
        &["trails", "activity", "time"],
        &["activity by camera this month"],
        &["timespan", "by week", "by day"],
    ),
    op(
        "trails_geojson",
        "Trails map (GeoJSON)",
        &["trails", "map", "geojson"],
        &["map of trails"],
        &["geojson", "map"],
    ),
];

impl SkillKind {
    /// The operations this skill's agent offers.
    pub fn operations(self) -> &'static [Operation] {
        match self {
            SkillKind::CameraInventory => INVENTORY,
            SkillKind::EventAnalyzer => EVENTS,
            SkillKind::BehaviorAnalytics => BEHAVIOUR,
            SkillKind::TrailBuilder => TRAILS,
        }
    }

    /// The operation a plain-text question most likely asks for: the one with the most
    /// keyword hits (ties: the first listed), or the skill's first operation.
    pub fn operation_for_text(self, text: &str) -> &'static Operation {
        let lower = text.to_lowercase();
        let ops = self.operations();
        ops.iter()
            .enumerate()
            .map(|(i, o)| {
                (
                    o.keywords.iter().filter(|k| lower.contains(*k)).count(),
                    usize::MAX - i,
                    o,
                )
            })
            .max_by_key(|(hits, order, _)| (*hits, *order))
            .map(|(_, _, o)| o)
            .unwrap_or(&ops[0])
    }
}
