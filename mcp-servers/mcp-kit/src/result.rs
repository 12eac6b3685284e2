//! A skill's result as an MCP tool result.
//!
//! `Ok` becomes structured content plus the same JSON as a text block ([`Json`], in place
//! of rmcp's); the tool's outputSchema comes from the same type. `Err` becomes a result with
//! `isError: true` and a message that says what to fix, never a JSON-RPC error: models read
//! tool results, and clients hide protocol errors.

use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use schemars::JsonSchema;
use serde::Serialize;
use std::borrow::Cow;
use trailmesh_core::skill::{SkillError, SkillResult};

/// A tool's output as clients see it: `T` serialised without `null` members, so it matches
/// the [`portable`](crate::schema::portable) outputSchema (nullable fields made optional).
/// Its JSON Schema is `T`'s; write tools as `-> Result<Json<Portable<T>>, CallToolResult>` so
/// rmcp derives the outputSchema from the return type.
#[derive(Debug, Clone, PartialEq)]
pub struct Portable<T>(pub T);

impl<T: Serialize> Serialize for Portable<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        crate::schema::portable_value(&self.0)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl<T: JsonSchema> JsonSchema for Portable<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// A tool's structured output, in place of rmcp's `Json` (write tools as
/// `-> Result<Json<Portable<T>>, CallToolResult>`; rmcp's `#[tool]` macro knows the wrapper
/// by its name and derives the outputSchema from `Portable<T>` as before). rmcp's own builds
/// the JSON value tree of the answer twice (its `to_value` of `Portable`, which serialises
/// through a tree of its own); this one builds it once and writes its text with serde_json's
/// writer.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T>(pub T);

impl<T: Serialize + JsonSchema + 'static> IntoCallToolResult for Json<Portable<T>> {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        let cannot = |e: serde_json::Error| {
            rmcp::ErrorData::internal_error(format!("cannot serialise the structured content: {e}"), None)
        };
        let value = crate::schema::portable_value(&self.0.0).map_err(cannot)?;
        // The same JSON as text, for clients that read only `content`. serde_json's writer, not
        // `Value`'s `Display` (which rmcp's `CallToolResult::structured` uses): that one goes
        // through `fmt::Formatter` a token at a time and cost twice as much here.
        let text = serde_json::to_string(&value).map_err(cannot)?;
        let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
        result.structured_content = Some(value);
        Ok(result.into())
    }
}

/// Turns a skill's result into what a `#[tool]` returns. In debug builds (and so in tests)
/// the value is first checked against the tool's portable outputSchema; a mismatch is
/// reported as an error result rather than sent as content that breaks the contract.
pub fn skill_json<T>(result: SkillResult<T>) -> Result<Json<Portable<T>>, CallToolResult>
where
    T: Serialize + JsonSchema + 'static,
{
    match result {
        Ok(value) => {
            #[cfg(debug_assertions)]
            if let Err(problem) = check_output(&value) {
                tracing::error!(%problem, "tool output does not match its outputSchema");
                return Err(CallToolResult::error(vec![ContentBlock::text(format!(
                    "internal error: the result does not match the tool's outputSchema ({problem}); please report this"
                ))]));
            }
            Ok(Json(Portable(value)))
        }
        Err(error) => Err(tool_error(&error)),
    }
}

/// An `isError` tool result for a skill error, worded so a model can correct the call.
pub fn tool_error(error: &SkillError) -> CallToolResult {
    let text = match error {
        SkillError::InvalidInput { .. } => format!("{error}. Fix this argument and call the tool again."),
        SkillError::NotFound { .. } => error.to_string(),
        SkillError::Store(e) => {
            tracing::error!(error = %e, "database error in a tool call");
            format!("the database failed ({e}); this is not caused by the arguments, try again later")
        }
    };
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// Checks a value against the portable outputSchema of its type.
pub fn check_output<T: Serialize + JsonSchema + 'static>(value: &T) -> Result<(), String> {
    let schema = crate::schema::portable(&rmcp::handler::server::common::schema_for_output::<T>());
    let json = serde_json::to_value(Portable(value)).map_err(|e| format!("cannot serialise: {e}"))?;
    let errors = crate::validate::validate(&serde_json::Value::Object(schema), &json);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, JsonSchema)]
    struct Out {
        /// A count.
        n: u32,
        /// Maybe a name.
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    }

    #[derive(Serialize, JsonSchema)]
    struct Nullable {
        /// Serialised as null when absent.
        note: Option<String>,
    }

    #[test]
    fn json_is_structured_content_and_the_same_json_as_text() {
        let answer = Json(Portable(Nullable { note: None })).into_call_tool_result().unwrap();
        let rmcp::model::CallToolResponse::Complete(result) = answer else {
            panic!("a complete result was expected");
        };
        assert_eq!(result.is_error, Some(false));
        // No null member: the portable outputSchema made `note` optional, not nullable.
        assert_eq!(result.structured_content, Some(serde_json::json!({})));
        let Out { n, name } = Out {
            n: 7,
            name: Some("a \"quoted\" name".into()),
        };
        let answer = Json(Portable(Out { n, name })).into_call_tool_result().unwrap();
        let rmcp::model::CallToolResponse::Complete(result) = answer else {
            panic!("a complete result was expected");
        };
        let structured = result.structured_content.clone().unwrap();
        assert_eq!(structured, serde_json::json!({"n": 7, "name": "a \"quoted\" name"}));
        let [block] = result.content.as_slice() else {
            panic!("one text block was expected, got {:?}", result.content);
        };
        let text = &block.as_text().expect("a text block").text;
        assert_eq!(serde_json::from_str::<serde_json::Value>(text).unwrap(), structured);
    }

    #[test]
    fn ok_is_structured_and_errors_say_what_to_fix() {
        let ok = skill_json(Ok(Out { n: 3, name: None }));
        assert!(ok.is_ok());
        assert!(check_output(&Nullable { note: None }).is_ok());
        let Err(err) = skill_json::<Out>(Err(SkillError::invalid("limit", "must be at least 1"))) else {
            panic!("an error result was expected");
        };
        assert_eq!(err.is_error, Some(true));
        let text = serde_json::to_string(&err.content).unwrap();
        assert!(text.contains("limit") && text.contains("Fix this argument"), "{text}");
    }
}
