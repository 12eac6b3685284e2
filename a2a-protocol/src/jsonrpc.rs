//! JSON-RPC 2.0 envelope and the request decoder shared by the server and the fuzz target.
//!
//! [`decode_request`] turns raw bytes into a typed [`Request`] or the exact error the
//! binding must answer with; it never panics, whatever the input.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{A2aError, JsonRpcError};
use crate::types::{
    CancelTaskRequest, GetExtendedAgentCardRequest, GetTaskRequest, ListTaskPushNotificationConfigsRequest,
    ListTasksRequest, SendMessageRequest, SubscribeToTaskRequest, TaskPushNotificationConfig,
    TaskPushNotificationConfigRequest,
};

/// An A2A operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// SendMessage (0.3: message/send).
    SendMessage,
    /// SendStreamingMessage (0.3: message/stream).
    SendStreamingMessage,
    /// GetTask (0.3: tasks/get).
    GetTask,
    /// ListTasks (0.3: tasks/list).
    ListTasks,
    /// CancelTask (0.3: tasks/cancel).
    CancelTask,
    /// SubscribeToTask (0.3: tasks/resubscribe).
    SubscribeToTask,
    /// CreateTaskPushNotificationConfig (0.3: tasks/pushNotificationConfig/set).
    CreateTaskPushNotificationConfig,
    /// GetTaskPushNotificationConfig (0.3: tasks/pushNotificationConfig/get).
    GetTaskPushNotificationConfig,
    /// ListTaskPushNotificationConfigs (0.3: tasks/pushNotificationConfig/list).
    ListTaskPushNotificationConfigs,
    /// DeleteTaskPushNotificationConfig (0.3: tasks/pushNotificationConfig/delete).
    DeleteTaskPushNotificationConfig,
    /// GetExtendedAgentCard (0.3: agent/getAuthenticatedExtendedCard).
    GetExtendedAgentCard,
}

impl Method {
    /// Looks a method up by its 1.0 or 0.3 name.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "SendMessage" | "message/send" => Self::SendMessage,
            "SendStreamingMessage" | "message/stream" => Self::SendStreamingMessage,
            "GetTask" | "tasks/get" => Self::GetTask,
            "ListTasks" | "tasks/list" => Self::ListTasks,
            "CancelTask" | "tasks/cancel" => Self::CancelTask,
            "SubscribeToTask" | "tasks/resubscribe" => Self::SubscribeToTask,
            "CreateTaskPushNotificationConfig" | "tasks/pushNotificationConfig/set" => {
                Self::CreateTaskPushNotificationConfig
            }
            "GetTaskPushNotificationConfig" | "tasks/pushNotificationConfig/get" => Self::GetTaskPushNotificationConfig,
            "ListTaskPushNotificationConfigs"
            | "ListTaskPushNotificationConfig"
            | "tasks/pushNotificationConfig/list" => Self::ListTaskPushNotificationConfigs,
            "DeleteTaskPushNotificationConfig" | "tasks/pushNotificationConfig/delete" => {
                Self::DeleteTaskPushNotificationConfig
            }
            "GetExtendedAgentCard" | "agent/getAuthenticatedExtendedCard" => Self::GetExtendedAgentCard,
            _ => return None,
        })
    }

    /// The 1.0 method name.
    pub fn name(self) -> &'static str {
        match self {
            Self::SendMessage => "SendMessage",
            Self::SendStreamingMessage => "SendStreamingMessage",
            Self::GetTask => "GetTask",
            Self::ListTasks => "ListTasks",
            Self::CancelTask => "CancelTask",
            Self::SubscribeToTask => "SubscribeToTask",
            Self::CreateTaskPushNotificationConfig => "CreateTaskPushNotificationConfig",
            Self::GetTaskPushNotificationConfig => "GetTaskPushNotificationConfig",
            Self::ListTaskPushNotificationConfigs => "ListTaskPushNotificationConfigs",
            Self::DeleteTaskPushNotificationConfig => "DeleteTaskPushNotificationConfig",
            Self::GetExtendedAgentCard => "GetExtendedAgentCard",
        }
    }
}

/// A decoded, validated request of any operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// SendMessage.
    SendMessage(SendMessageRequest),
    /// SendStreamingMessage.
    SendStreamingMessage(SendMessageRequest),
    /// GetTask.
    GetTask(GetTaskRequest),
    /// ListTasks.
    ListTasks(ListTasksRequest),
    /// CancelTask.
    CancelTask(CancelTaskRequest),
    /// SubscribeToTask.
    SubscribeToTask(SubscribeToTaskRequest),
    /// CreateTaskPushNotificationConfig.
    CreatePushConfig(TaskPushNotificationConfig),
    /// GetTaskPushNotificationConfig.
    GetPushConfig(TaskPushNotificationConfigRequest),
    /// ListTaskPushNotificationConfigs.
    ListPushConfigs(ListTaskPushNotificationConfigsRequest),
    /// DeleteTaskPushNotificationConfig.
    DeletePushConfig(TaskPushNotificationConfigRequest),
    /// GetExtendedAgentCard.
    GetExtendedAgentCard(GetExtendedAgentCardRequest),
}

impl Request {
    /// Decodes and validates the params of `method`.
    pub fn from_params(method: Method, params: Value) -> Result<Self, A2aError> {
        let params = normalize_legacy(method, params);
        let req = match method {
            Method::SendMessage => Self::SendMessage(parse(params)?),
            Method::SendStreamingMessage => Self::SendStreamingMessage(parse(params)?),
            Method::GetTask => Self::GetTask(parse(params)?),
            Method::ListTasks => Self::ListTasks(parse(params)?),
            Method::CancelTask => Self::CancelTask(parse(params)?),
            Method::SubscribeToTask => Self::SubscribeToTask(parse(params)?),
            Method::CreateTaskPushNotificationConfig => Self::CreatePushConfig(parse(params)?),
            Method::GetTaskPushNotificationConfig => Self::GetPushConfig(parse(params)?),
            Method::ListTaskPushNotificationConfigs => Self::ListPushConfigs(parse(params)?),
            Method::DeleteTaskPushNotificationConfig => Self::DeletePushConfig(parse(params)?),
            Method::GetExtendedAgentCard => Self::GetExtendedAgentCard(parse(params)?),
        };
        req.validate()?;
        Ok(req)
    }

    /// Checks what serde cannot: required strings not empty, enums set, sizes in range.
    pub fn validate(&self) -> Result<(), A2aError> {
        let bad = |m: &str| Err(A2aError::InvalidParams(m.to_string()));
        match self {
            Self::SendMessage(r) | Self::SendStreamingMessage(r) => {
                let m = &r.message;
                if m.message_id.is_empty() {
                    return bad("message.messageId is required");
                }
                if m.role == crate::types::Role::Unspecified {
                    return bad("message.role must be ROLE_USER or ROLE_AGENT");
                }
                if m.parts.is_empty() {
                    return bad("message.parts must hold at least one part");
                }
                if let Some(h) = r.configuration.as_ref().and_then(|c| c.history_length)
                    && h < 0
                {
                    return bad("configuration.historyLength must not be negative");
                }
            }
            Self::GetTask(r) => {
                if r.id.is_empty() {
                    return bad("id is required");
                }
                if r.history_length.is_some_and(|h| h < 0) {
                    return bad("historyLength must not be negative");
                }
            }
            Self::ListTasks(r) => {
                if r.page_size.is_some_and(|s| !(1..=100).contains(&s)) {
                    return bad("pageSize must be between 1 and 100");
                }
                if r.history_length.is_some_and(|h| h < 0) {
                    return bad("historyLength must not be negative");
                }
                if r.status == Some(crate::types::TaskState::Unspecified) {
                    return bad("status must be a valid TaskState");
                }
            }
            Self::CancelTask(CancelTaskRequest { id, .. })
            | Self::SubscribeToTask(SubscribeToTaskRequest { id, .. }) => {
                if id.is_empty() {
                    return bad("id is required");
                }
            }
            Self::CreatePushConfig(c) => {
                if c.task_id.is_empty() {
                    return bad("taskId is required");
                }
                if c.url.is_empty() {
                    return bad("url is required");
                }
            }
            Self::GetPushConfig(r) | Self::DeletePushConfig(r) => {
                if r.task_id.is_empty() || r.id.is_empty() {
                    return bad("taskId and id are required");
                }
            }
            Self::ListPushConfigs(r) => {
                if r.task_id.is_empty() {
                    return bad("taskId is required");
                }
            }
            Self::GetExtendedAgentCard(_) => {}
        }
        Ok(())
    }
}

/// Accepts the 0.3 parameter shapes of the push-config methods.
fn normalize_legacy(method: Method, mut params: Value) -> Value {
    let Some(obj) = params.as_object_mut() else {
        return params;
    };
    match method {
        Method::CreateTaskPushNotificationConfig => {
            if let Some(Value::Object(inner)) = obj.remove("pushNotificationConfig") {
                for (k, v) in inner {
                    obj.entry(k).or_insert(v);
                }
            }
        }
        Method::GetTaskPushNotificationConfig | Method::DeleteTaskPushNotificationConfig => {
            if let Some(cfg) = obj.remove("pushNotificationConfigId") {
                if let Some(task) = obj.remove("id") {
                    obj.insert("taskId".into(), task);
                }
                obj.insert("id".into(), cfg);
            }
        }
        Method::ListTaskPushNotificationConfigs => {
            if !obj.contains_key("taskId")
                && let Some(task) = obj.remove("id")
            {
                obj.insert("taskId".into(), task);
            }
        }
        _ => {}
    }
    params
}

fn parse<T: DeserializeOwned>(params: Value) -> Result<T, A2aError> {
    let params = if params.is_null() {
        Value::Object(Default::default())
    } else {
        params
    };
    if !params.is_object() {
        return Err(A2aError::InvalidParams("params must be an object".into()));
    }
    serde_json::from_value(params).map_err(|e| A2aError::InvalidParams(e.to_string()))
}

/// A JSON-RPC response envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JsonRpcResponse {
    /// Always "2.0".
    pub jsonrpc: String,
    /// The request id (null when it could not be read).
    pub id: Value,
    /// The result, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The error, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<JsonRpcError>,
}

impl JsonRpcResponse {
    /// A success response.
    pub fn ok(id: Value, result: Value) -> Self {
        Self {
            jsonrpc: "2.0".into(),
            id,
            result: Some(result),
            error: None,
        }
    }

    /// An error response.
    pub fn err(id: Value, err: &A2aError) -> Self {
        Self {
            jsonrpc: "2.0".into(),
            id,
            result: None,
            error: Some(err.to_jsonrpc()),
        }
    }
}

/// A decode failure: the id to answer with (null if unknown) and the error.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    /// The request id, when it could be read.
    pub id: Value,
    /// What was wrong.
    pub error: A2aError,
}

/// The envelope as the common case has it, borrowing `params` unparsed.
#[derive(Deserialize)]
struct FastEnvelope<'a> {
    #[serde(borrow)]
    jsonrpc: std::borrow::Cow<'a, str>,
    #[serde(default)]
    id: Value,
    #[serde(borrow)]
    method: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    params: Option<&'a serde_json::value::RawValue>,
}

/// One pass from bytes to a typed request for well-formed input; `None` sends the input
/// through the slow path, which names the exact error.
fn decode_fast(body: &[u8]) -> Option<(Value, Request)> {
    let env: FastEnvelope<'_> = serde_json::from_slice(body).ok()?;
    if env.jsonrpc != "2.0" || !matches!(env.id, Value::String(_) | Value::Number(_) | Value::Null) {
        return None;
    }
    let method = Method::from_name(&env.method)?;
    let params = env
        .params
        .map(|p| p.get())
        .filter(|p| p.trim() != "null")
        .unwrap_or("{}");
    fn typed<T: DeserializeOwned>(params: &str) -> Option<T> {
        serde_json::from_str(params).ok()
    }
    let req = match method {
        Method::SendMessage => Request::SendMessage(typed(params)?),
        Method::SendStreamingMessage => Request::SendStreamingMessage(typed(params)?),
        Method::GetTask => Request::GetTask(typed(params)?),
        Method::ListTasks => Request::ListTasks(typed(params)?),
        Method::CancelTask => Request::CancelTask(typed(params)?),
        Method::SubscribeToTask => Request::SubscribeToTask(typed(params)?),
        // The push-config methods have 0.3 parameter shapes to normalize: slow path.
        _ => return None,
    };
    req.validate().ok()?;
    Some((env.id, req))
}

/// Decodes a JSON-RPC request body: -32700 for bad JSON, -32600 for a bad envelope,
/// -32601 for an unknown method, -32602 for bad params.
pub fn decode_request(body: &[u8]) -> Result<(Value, Request), DecodeError> {
    if let Some(decoded) = decode_fast(body) {
        return Ok(decoded);
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| DecodeError {
        id: Value::Null,
        error: A2aError::Parse(e.to_string()),
    })?;
    let Value::Object(mut obj) = value else {
        return Err(DecodeError {
            id: Value::Null,
            error: A2aError::InvalidRequest("the request must be a JSON object (batches are not supported)".into()),
        });
    };
    let id = match obj.remove("id") {
        Some(v @ (Value::String(_) | Value::Number(_) | Value::Null)) => v,
        None => Value::Null,
        Some(_) => {
            return Err(DecodeError {
                id: Value::Null,
                error: A2aError::InvalidRequest("id must be a string, a number or null".into()),
            });
        }
    };
    let fail = |error| DecodeError { id: id.clone(), error };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(fail(A2aError::InvalidRequest("jsonrpc must be \"2.0\"".into())));
    }
    let method_name = match obj.get("method") {
        Some(Value::String(m)) => m.clone(),
        _ => return Err(fail(A2aError::InvalidRequest("method must be a string".into()))),
    };
    let method = Method::from_name(&method_name).ok_or_else(|| fail(A2aError::MethodNotFound(method_name)))?;
    let params = obj.remove("params").unwrap_or(Value::Null);
    let req = Request::from_params(method, params).map_err(fail)?;
    Ok((id, req))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> i32 {
        decode_request(body.as_bytes()).unwrap_err().error.code()
    }

    #[test]
    fn decoder_errors() {
        assert_eq!(code("{"), -32700);
        assert_eq!(code("[]"), -32600);
        assert_eq!(code(r#"{"jsonrpc":"1.0","id":1,"method":"GetTask"}"#), -32600);
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":"Nope"}"#), -32601);
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":5}}"#),
            -32602
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":[]}"#),
            -32602
        );
        assert_eq!(
            code(
                r#"{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m","role":"ROLE_USER","parts":[]}}}"#
            ),
            -32602
        );
        let e = decode_request(br#"{"jsonrpc":"2.0","id":"x","method":"Nope"}"#).unwrap_err();
        assert_eq!(e.id, Value::String("x".into()));
    }

    #[test]
    fn decodes_both_eras() {
        let (id, req) =
            decode_request(br#"{"jsonrpc":"2.0","id":7,"method":"tasks/get","params":{"id":"t","historyLength":2}}"#)
                .unwrap();
        assert_eq!(id, Value::from(7));
        assert!(matches!(req, Request::GetTask(GetTaskRequest { ref id, history_length: Some(2), .. }) if id == "t"));
        let (_, req) = decode_request(
            br#"{"jsonrpc":"2.0","id":1,"method":"tasks/pushNotificationConfig/set","params":{"taskId":"t","pushNotificationConfig":{"url":"http://h"}}}"#,
        )
        .unwrap();
        assert!(matches!(req, Request::CreatePushConfig(ref c) if c.url == "http://h" && c.task_id == "t"));
    }
}
