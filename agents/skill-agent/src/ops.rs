//! One skill's operations behind one call: `call(operation, arguments)` parses the arguments
//! into the skill's typed input, runs the skill method and returns the same JSON the MCP tool
//! returns as structured content (no `null` members). Operation names are the MCP tool names.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use trailmesh_behavior_analytics::BehaviorAnalytics;
use trailmesh_camera_inventory::CameraInventory;
use trailmesh_core::Store;
use trailmesh_core::skill::{SkillError, SkillResult};
use trailmesh_event_analyzer::EventAnalyzer;
use trailmesh_trail_builder::TrailBuilder;

use crate::SkillKind;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No such operation on this skill.
    #[error("unknown operation '{operation}'; this agent offers: {offered}")]
    UnknownOperation {
        /// What was asked.
        operation: String,
        /// What exists, comma-separated.
        offered: String,
    },
    /// The arguments do not fit the operation's input.
    #[error("invalid arguments for '{operation}': {message}")]
    BadArguments {
        /// The operation.
        operation: String,
        /// serde's account, naming the field.
        message: String,
    },
    /// The skill refused or failed.
    #[error(transparent)]
    Skill(#[from] SkillError),
}

/// Whole numbers written as floats (`3.0`) become integers: clients built on protobuf (the
/// Python and JS A2A SDKs) send every number in a data part as a double, and the skills'
/// integer arguments (`limit`, `offset`) must still accept them. Float arguments accept
/// integers, so nothing is lost.
fn integral_numbers(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n
                .as_f64()
                .filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15)
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral_numbers),
        Value::Object(o) => o.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

fn parse<T: DeserializeOwned>(operation: &str, mut arguments: Value) -> Result<T, CallError> {
    integral_numbers(&mut arguments);
    let arguments = if arguments.is_null() {
        Value::Object(Default::default())
    } else {
        arguments
    };
    // The path names the argument: "limit: invalid type: string \"many\", expected u32".
    serde_path_to_error::deserialize(arguments).map_err(|e| CallError::BadArguments {
        operation: operation.to_string(),
        message: if e.path().to_string() == "." {
            e.inner().to_string()
        } else {
            format!("{}: {}", e.path(), e.inner())
        },
    })
}

fn to_json<T: Serialize>(result: SkillResult<T>) -> Result<Value, CallError> {
    let value = result?;
    Ok(trailmesh_mcp_kit::schema::portable_value(&value).map_err(|e| SkillError::invalid("result", e.to_string()))?)
}

/// `match` from operation names to skill methods; the input type is inferred from the method.
macro_rules! dispatch {
    ($skill:expr, $op:expr, $args:expr, $kind:expr, { $($name:literal => $method:ident),* $(,)? }) => {
        match $op {
            $($name => to_json($skill.$method(parse($name, $args)?).await),)*
            other => Err(CallError::UnknownOperation {
                operation: other.to_string(),
                offered: $kind.operations().iter().map(|o| o.name).collect::<Vec<_>>().join(", "),
            }),
        }
    };
}

/// The skill library behind an agent.
#[derive(Debug, Clone)]
pub enum SkillLibrary {
    /// camera-inventory.
    CameraInventory(CameraInventory),
    /// event-analyzer.
    EventAnalyzer(EventAnalyzer),
    /// behavior-analytics.
    BehaviorAnalytics(BehaviorAnalytics),
    /// trail-builder.
    TrailBuilder(TrailBuilder),
}

impl SkillLibrary {
    /// The library of `kind` over `store`.
    pub fn new(kind: SkillKind, store: Store) -> Self {
        match kind {
            SkillKind::CameraInventory => Self::CameraInventory(CameraInventory::new(store)),
            SkillKind::EventAnalyzer => Self::EventAnalyzer(EventAnalyzer::new(store)),
            SkillKind::BehaviorAnalytics => Self::BehaviorAnalytics(BehaviorAnalytics::new(store)),
            SkillKind::TrailBuilder => Self::TrailBuilder(TrailBuilder::new(store)),
        }
    }

    /// Runs one operation.
    pub async fn call(&self, operation: &str, arguments: Value) -> Result<Value, CallError> {
        match self {
            Self::CameraInventory(s) => dispatch!(s, operation, arguments, SkillKind::CameraInventory, {
                "list_cameras" => list_cameras,
                "camera_details" => camera_details,
                "add_camera" => add_camera,
                "update_camera" => update_camera,
                "retire_camera" => retire_camera,
                "camera_coverage" => coverage,
            }),
            Self::EventAnalyzer(s) => dispatch!(s, operation, arguments, SkillKind::EventAnalyzer, {
                "find_events" => find_events,
                "event_details" => event_details,
                "describe_event" => describe_event,
                "summarize_period" => summarize_period,
                "independent_detections" => independent_detections,
            }),
            Self::BehaviorAnalytics(s) => dispatch!(s, operation, arguments, SkillKind::BehaviorAnalytics, {
                "behaviours" => behaviours,
                "effort" => effort,
                "rai" => rai,
                "occupancy_naive" => occupancy_naive,
                "detection_history" => detection_history,
                "diel_activity" => diel_activity,
                "activity_overlap" => activity_overlap,
                "occupancy" => occupancy,
                "migration" => migration,
            }),
            Self::TrailBuilder(s) => dispatch!(s, operation, arguments, SkillKind::TrailBuilder, {
                "trails" => trails,
                "transition_graph" => transition_graph,
                "corridors" => corridors,
                "daily_routes" => daily_routes,
                "sightings" => sightings,
                "net_movement" => net_movement,
                "timespan_activity" => timespan_activity,
                "trails_geojson" => trails_geojson,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_floats_become_integers() {
        let mut v = serde_json::json!({"limit": 3.0, "radius": 2.5, "list": [1.0, 7]});
        integral_numbers(&mut v);
        assert_eq!(v, serde_json::json!({"limit": 3, "radius": 2.5, "list": [1, 7]}));
    }
}
