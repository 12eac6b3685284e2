//! The A2A executor of a skill agent: message in, skill call, data part plus text out.

use a2a_protocol::types::{Artifact, Part, PartContent};
use a2a_protocol::{A2aError, AgentExecutor, EventSink, Message, RequestContext};
use serde_json::{Map, Value};

use crate::SkillKind;
use crate::ops::{CallError, SkillLibrary};

/// Runs one skill's operations for A2A requests.
#[derive(Debug)]
pub struct SkillExecutor {
    kind: SkillKind,
    library: SkillLibrary,
}

impl SkillExecutor {
    /// An executor over `library`.
    pub fn new(kind: SkillKind, library: SkillLibrary) -> Self {
        Self { kind, library }
    }
}

/// What a message asks for: an operation and its arguments.
fn request_of(kind: SkillKind, message: &Message) -> Result<(String, Value), String> {
    for part in &message.parts {
        if let PartContent::Data(Value::Object(obj)) = &part.content {
            let name = ["operation", "skill", "tool"]
                .iter()
                .find_map(|k| obj.get(*k).and_then(Value::as_str));
            let Some(name) = name else {
                return Err(
                    "a data part must name an operation: {\"operation\": \"...\", \"arguments\": {...}}".to_string(),
                );
            };
            let args = obj.get("arguments").cloned().unwrap_or(Value::Object(Map::new()));
            return Ok((name.to_string(), args));
        }
    }
    let text = message.text();
    if text.trim().is_empty() {
        return Err(format!(
            "send a question as text, or a data part {{\"operation\": ..., \"arguments\": ...}}; operations: {}",
            kind.operations().iter().map(|o| o.name).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok((
        kind.operation_for_text(&text).name.to_string(),
        Value::Object(Map::new()),
    ))
}

/// A short text for a result: its counts and headline numbers.
pub fn summarize(operation: &str, value: &Value) -> String {
    let mut bits = Vec::new();
    if let Some(total) = value.pointer("/page/total").and_then(Value::as_u64) {
        bits.push(format!("{total} in total"));
    }
    if let Value::Object(obj) = value {
        for (k, v) in obj {
            match v {
                Value::Array(a) => bits.push(format!("{} {k}", a.len())),
                Value::Number(n) if bits.len() < 6 => bits.push(format!("{k} {n}")),
                Value::String(s) if s.len() <= 40 && bits.len() < 6 => bits.push(format!("{k} {s}")),
                _ => {}
            }
        }
    }
    if bits.is_empty() {
        format!("{operation}: done")
    } else {
        format!("{operation}: {}", bits.join(", "))
    }
}

#[a2a_protocol::async_trait]
impl AgentExecutor for SkillExecutor {
    async fn execute(&self, ctx: RequestContext, events: EventSink) -> Result<(), A2aError> {
        let (operation, arguments) = match request_of(self.kind, &ctx.message) {
            Ok(r) => r,
            Err(why) => {
                events.reject(why);
                return Ok(());
            }
        };
        events.working();
        match self.library.call(&operation, arguments).await {
            Ok(value) => {
                let text = summarize(&operation, &value);
                let artifact =
                    Artifact::new(vec![Part::data(value), Part::text(text.clone())]).with_name(operation.clone());
                events.artifact(artifact);
                events.complete(Some(text));
            }
            Err(e @ CallError::UnknownOperation { .. }) => events.reject(e.to_string()),
            Err(e) => {
                if let CallError::Skill(trailmesh_core::skill::SkillError::Store(s)) = &e {
                    tracing::error!(error = %s, operation = %operation, "database error in an A2A call");
                }
                events.fail(e.to_string());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_parts_name_operations_and_text_picks_one() {
        let mut m = Message::user_text("");
        m.parts = vec![Part::data(
            serde_json::json!({"operation": "rai", "arguments": {"species": "elk"}}),
        )];
        let (op, args) = request_of(SkillKind::BehaviorAnalytics, &m).unwrap();
        assert_eq!(op, "rai");
        assert_eq!(args["species"], "elk");
        let t = Message::user_text("when are coyotes most active during the day?");
        assert_eq!(request_of(SkillKind::BehaviorAnalytics, &t).unwrap().0, "diel_activity");
        assert!(request_of(SkillKind::BehaviorAnalytics, &Message::user_text(" ")).is_err());
        let bad = {
            let mut m = Message::user_text("");
            m.parts = vec![Part::data(serde_json::json!({"arguments": {}}))];
            m
        };
        assert!(
            request_of(SkillKind::EventAnalyzer, &bad)
                .unwrap_err()
                .contains("operation")
        );
    }

    #[test]
    fn summaries_name_counts() {
        let v = serde_json::json!({"events": [1, 2], "page": {"total": 7}});
        let s = summarize("find_events", &v);
        assert!(s.contains("7 in total") && s.contains("2 events"), "{s}");
    }
}
