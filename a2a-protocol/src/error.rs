//! A2A errors and their JSON-RPC and HTTP+JSON representations (spec 1.0.1 §5.4, §9.5,
//! §11.6).

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The `domain` of every `google.rpc.ErrorInfo` this crate emits.
pub const ERROR_DOMAIN: &str = "a2a-protocol.org";

/// Every error an A2A operation can end with. Messages are safe to show to clients: they
/// never carry internal details (those go to the log).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum A2aError {
    /// The body is not JSON (-32700).
    #[error("invalid JSON payload: {0}")]
    Parse(String),
    /// The body is JSON but not a valid request (-32600).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No such method (-32601).
    #[error("method not found: {0}")]
    MethodNotFound(String),
    /// The parameters do not fit the method (-32602).
    #[error("invalid parameters: {0}")]
    InvalidParams(String),
    /// Something broke on our side (-32603); the detail is logged, not sent.
    #[error("internal error")]
    Internal,
    /// No task with that id (-32001, 404).
    #[error("task not found: {0}")]
    TaskNotFound(String),
    /// The task cannot be canceled in its state (-32002).
    #[error("task {task_id} cannot be canceled in state {state}")]
    TaskNotCancelable {
        /// The task.
        task_id: String,
        /// Its state.
        state: &'static str,
    },
    /// This agent does not do push notifications (-32003).
    #[error("push notifications are not supported")]
    PushNotificationNotSupported,
    /// The operation is not supported here or in this state (-32004).
    #[error("unsupported operation: {0}")]
    UnsupportedOperation(String),
    /// A media type is not accepted (-32005).
    #[error("content type not supported: {0}")]
    ContentTypeNotSupported(String),
    /// A peer agent answered something that is not A2A (-32006).
    #[error("invalid agent response: {0}")]
    InvalidAgentResponse(String),
    /// There is no extended card (-32007).
    #[error("extended agent card is not configured")]
    ExtendedAgentCardNotConfigured,
    /// A required extension was not declared by the client (-32008).
    #[error("extension support required: {0}")]
    ExtensionSupportRequired(String),
    /// The requested A2A version is not spoken here (-32009).
    #[error("A2A version not supported: {0}")]
    VersionNotSupported(String),
    /// Missing or wrong credentials (HTTP 401).
    #[error("authentication required")]
    Unauthenticated,
    /// The request body is larger than the configured limit (HTTP 413).
    #[error("request body too large (limit {0} bytes)")]
    PayloadTooLarge(usize),
}

impl A2aError {
    /// The JSON-RPC error code.
    pub fn code(&self) -> i32 {
        match self {
            Self::Parse(_) => -32700,
            Self::InvalidRequest(_) | Self::Unauthenticated | Self::PayloadTooLarge(_) => -32600,
            Self::MethodNotFound(_) => -32601,
            Self::InvalidParams(_) => -32602,
            Self::Internal => -32603,
            Self::TaskNotFound(_) => -32001,
            Self::TaskNotCancelable { .. } => -32002,
            Self::PushNotificationNotSupported => -32003,
            Self::UnsupportedOperation(_) => -32004,
            Self::ContentTypeNotSupported(_) => -32005,
            Self::InvalidAgentResponse(_) => -32006,
            Self::ExtendedAgentCardNotConfigured => -32007,
            Self::ExtensionSupportRequired(_) => -32008,
            Self::VersionNotSupported(_) => -32009,
        }
    }

    /// The HTTP status of the HTTP+JSON binding (spec 1.0.1 §5.4).
    pub fn http_status(&self) -> StatusCode {
        match self {
            Self::TaskNotFound(_) | Self::MethodNotFound(_) => StatusCode::NOT_FOUND,
            Self::Internal | Self::InvalidAgentResponse(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The `google.rpc.Code` name for the REST `error.status` field.
    pub fn rpc_status(&self) -> &'static str {
        match self {
            Self::TaskNotFound(_) | Self::MethodNotFound(_) => "NOT_FOUND",
            Self::Internal | Self::InvalidAgentResponse(_) => "INTERNAL",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::PayloadTooLarge(_) => "RESOURCE_EXHAUSTED",
            Self::Parse(_) | Self::InvalidRequest(_) | Self::InvalidParams(_) | Self::ContentTypeNotSupported(_) => {
                "INVALID_ARGUMENT"
            }
            Self::TaskNotCancelable { .. }
            | Self::PushNotificationNotSupported
            | Self::UnsupportedOperation(_)
            | Self::ExtendedAgentCardNotConfigured
            | Self::ExtensionSupportRequired(_)
            | Self::VersionNotSupported(_) => "FAILED_PRECONDITION",
        }
    }

    /// The `ErrorInfo.reason` of A2A-specific errors.
    pub fn reason(&self) -> Option<&'static str> {
        Some(match self {
            Self::TaskNotFound(_) => "TASK_NOT_FOUND",
            Self::TaskNotCancelable { .. } => "TASK_NOT_CANCELABLE",
            Self::PushNotificationNotSupported => "PUSH_NOTIFICATION_NOT_SUPPORTED",
            Self::UnsupportedOperation(_) => "UNSUPPORTED_OPERATION",
            Self::ContentTypeNotSupported(_) => "CONTENT_TYPE_NOT_SUPPORTED",
            Self::InvalidAgentResponse(_) => "INVALID_AGENT_RESPONSE",
            Self::ExtendedAgentCardNotConfigured => "EXTENDED_AGENT_CARD_NOT_CONFIGURED",
            Self::ExtensionSupportRequired(_) => "EXTENSION_SUPPORT_REQUIRED",
            Self::VersionNotSupported(_) => "VERSION_NOT_SUPPORTED",
            _ => return None,
        })
    }

    /// The error details array (`google.rpc.ErrorInfo` for A2A errors,
    /// `google.rpc.BadRequest` for invalid parameters).
    pub fn details(&self) -> Vec<Value> {
        let mut out = Vec::new();
        if let Some(reason) = self.reason() {
            let mut metadata = serde_json::Map::new();
            match self {
                Self::TaskNotFound(id) | Self::TaskNotCancelable { task_id: id, .. } => {
                    metadata.insert("taskId".into(), Value::String(id.clone()));
                }
                _ => {}
            }
            metadata.insert("timestamp".into(), Value::String(chrono::Utc::now().to_rfc3339()));
            out.push(json!({
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": ERROR_DOMAIN,
                "metadata": metadata,
            }));
        }
        if let Self::InvalidParams(msg) = self {
            out.push(json!({
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": "params", "description": msg}],
            }));
        }
        out
    }

    /// The JSON-RPC `error` object.
    pub fn to_jsonrpc(&self) -> JsonRpcError {
        let details = self.details();
        JsonRpcError {
            code: self.code(),
            message: self.to_string(),
            data: if details.is_empty() {
                None
            } else {
                Some(Value::Array(details))
            },
        }
    }

    /// The HTTP+JSON error body (`{"error": {code, status, message, details}}`).
    pub fn to_rest_body(&self) -> Value {
        json!({
            "error": {
                "code": self.http_status().as_u16(),
                "status": self.rpc_status(),
                "message": self.to_string(),
                "details": self.details(),
            }
        })
    }

    /// Rebuilds an error from a JSON-RPC error object (client side).
    pub fn from_jsonrpc(err: &JsonRpcError) -> Self {
        let msg = err.message.clone();
        match err.code {
            -32700 => Self::Parse(msg),
            -32600 => Self::InvalidRequest(msg),
            -32601 => Self::MethodNotFound(msg),
            -32602 => Self::InvalidParams(msg),
            -32603 => Self::Internal,
            -32001 => Self::TaskNotFound(msg),
            -32002 => Self::TaskNotCancelable {
                task_id: msg,
                state: "unknown",
            },
            -32003 => Self::PushNotificationNotSupported,
            -32004 => Self::UnsupportedOperation(msg),
            -32005 => Self::ContentTypeNotSupported(msg),
            -32007 => Self::ExtendedAgentCardNotConfigured,
            -32008 => Self::ExtensionSupportRequired(msg),
            -32009 => Self::VersionNotSupported(msg),
            _ => Self::InvalidAgentResponse(format!("error {}: {msg}", err.code)),
        }
    }

    /// Rebuilds an error from an HTTP+JSON error response (client side).
    pub fn from_rest(status: u16, body: &Value) -> Self {
        let message = body["error"]["message"].as_str().unwrap_or("").to_string();
        let reason = body["error"]["details"]
            .as_array()
            .and_then(|d| d.iter().find_map(|x| x["reason"].as_str()))
            .unwrap_or("");
        match reason {
            "TASK_NOT_FOUND" => Self::TaskNotFound(message),
            "TASK_NOT_CANCELABLE" => Self::TaskNotCancelable {
                task_id: message,
                state: "unknown",
            },
            "PUSH_NOTIFICATION_NOT_SUPPORTED" => Self::PushNotificationNotSupported,
            "UNSUPPORTED_OPERATION" => Self::UnsupportedOperation(message),
            "CONTENT_TYPE_NOT_SUPPORTED" => Self::ContentTypeNotSupported(message),
            "EXTENDED_AGENT_CARD_NOT_CONFIGURED" => Self::ExtendedAgentCardNotConfigured,
            "EXTENSION_SUPPORT_REQUIRED" => Self::ExtensionSupportRequired(message),
            "VERSION_NOT_SUPPORTED" => Self::VersionNotSupported(message),
            _ => match status {
                400 => Self::InvalidParams(message),
                401 | 403 => Self::Unauthenticated,
                404 => Self::TaskNotFound(message),
                _ => Self::InvalidAgentResponse(format!("HTTP {status}: {message}")),
            },
        }
    }
}

/// The JSON-RPC 2.0 error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonRpcError {
    /// Error code.
    pub code: i32,
    /// Human-readable message.
    pub message: String,
    /// Details (an array of `@type`d objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_statuses_and_reasons() {
        let cases: [(A2aError, i32, u16, Option<&str>); 6] = [
            (A2aError::TaskNotFound("t".into()), -32001, 404, Some("TASK_NOT_FOUND")),
            (
                A2aError::TaskNotCancelable {
                    task_id: "t".into(),
                    state: "x",
                },
                -32002,
                400,
                Some("TASK_NOT_CANCELABLE"),
            ),
            (
                A2aError::ContentTypeNotSupported("x".into()),
                -32005,
                400,
                Some("CONTENT_TYPE_NOT_SUPPORTED"),
            ),
            (A2aError::InvalidParams("x".into()), -32602, 400, None),
            (A2aError::MethodNotFound("x".into()), -32601, 404, None),
            (A2aError::PayloadTooLarge(1), -32600, 413, None),
        ];
        for (err, code, status, reason) in cases {
            assert_eq!(err.code(), code, "{err}");
            assert_eq!(err.http_status().as_u16(), status, "{err}");
            assert_eq!(err.reason(), reason, "{err}");
            let rpc = err.to_jsonrpc();
            if let Some(reason) = reason {
                let data = rpc.data.unwrap();
                assert_eq!(data[0]["reason"], reason);
                assert_eq!(data[0]["domain"], ERROR_DOMAIN);
            }
            assert_eq!(A2aError::from_jsonrpc(&err.to_jsonrpc()).code(), code);
        }
    }

    #[test]
    fn internal_error_says_nothing_inside() {
        assert_eq!(A2aError::Internal.to_rest_body()["error"]["message"], "internal error");
    }
}
