//! The client: discover an agent card (honouring ETag), then call the agent over JSON-RPC or
//! HTTP+JSON, stream, cancel and subscribe, with timeouts and clear errors.
//!
//! ```no_run
//! # async fn demo() -> Result<(), a2a_protocol::ClientError> {
//! use a2a_protocol::{A2aClient, Message, SendMessageRequest};
//! let client = A2aClient::discover("http://127.0.0.1:8080").await?;
//! let answer = client.send_message(SendMessageRequest::new(Message::user_text("hello"))).await?;
//! # let _ = answer; Ok(()) }
//! ```

use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::card::{AGENT_CARD_PATH, AgentCard, BINDING_HTTP_JSON, BINDING_JSONRPC, PROTOCOL_VERSION};
use crate::error::{A2aError, JsonRpcError};
use crate::jsonrpc::Method;
use crate::types::{
    ListTaskPushNotificationConfigsResponse, ListTasksRequest, ListTasksResponse, SendMessageRequest,
    SendMessageResponse, StreamResponse, Task, TaskPushNotificationConfig,
};

/// Default timeout of a unary call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What can go wrong talking to an agent.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The agent answered with an A2A error.
    #[error("agent error: {0}")]
    Agent(#[from] A2aError),
    /// The agent could not be reached, or the connection broke.
    #[error("cannot reach {url}: {reason}")]
    Transport {
        /// Where.
        url: String,
        /// Why.
        reason: String,
    },
    /// No answer in time.
    #[error("{url} did not answer within {timeout:?}")]
    Timeout {
        /// Where.
        url: String,
        /// The limit.
        timeout: Duration,
    },
    /// The answer is not A2A.
    #[error("unexpected answer from {url}: {detail}")]
    Protocol {
        /// Where.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The card lists no interface this client speaks.
    #[error("the agent card offers neither a JSONRPC nor an HTTP+JSON interface")]
    NoUsableInterface,
}

/// Which binding a client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// JSON-RPC 2.0 over HTTP POST.
    JsonRpc,
    /// HTTP+JSON (REST).
    HttpJson,
}

/// A stream of events from SendStreamingMessage or SubscribeToTask.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamResponse, ClientError>> + Send>>;

/// Fetches an agent card and re-validates it with `If-None-Match`.
#[derive(Debug)]
pub struct CardResolver {
    http: reqwest::Client,
    url: String,
    cached: Mutex<Option<(String, AgentCard)>>,
}

impl CardResolver {
    /// A resolver for the card of the agent at `base_url`.
    pub fn new(http: reqwest::Client, base_url: &str) -> Self {
        Self {
            http,
            url: format!("{}{AGENT_CARD_PATH}", base_url.trim_end_matches('/')),
            cached: Mutex::new(None),
        }
    }

    /// The current card: fetched, or the cached one when the server says 304.
    pub async fn card(&self) -> Result<AgentCard, ClientError> {
        let etag = self.cached.lock().ok().and_then(|c| c.as_ref().map(|(e, _)| e.clone()));
        let mut req = self.http.get(&self.url).timeout(DEFAULT_TIMEOUT);
        if let Some(e) = &etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, e);
        }
        let resp = req.send().await.map_err(|e| transport(&self.url, e))?;
        if resp.status() == reqwest::StatusCode::NOT_MODIFIED
            && let Some((_, card)) = self.cached.lock().ok().and_then(|c| c.clone())
        {
            return Ok(card);
        }
        if !resp.status().is_success() {
            return Err(ClientError::Protocol {
                url: self.url.clone(),
                detail: format!("HTTP {}", resp.status()),
            });
        }
        let new_etag = resp
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let card: AgentCard = resp.json().await.map_err(|e| ClientError::Protocol {
            url: self.url.clone(),
            detail: format!("not an agent card: {e}"),
        })?;
        if let (Some(e), Ok(mut c)) = (new_etag, self.cached.lock()) {
            *c = Some((e, card.clone()));
        }
        Ok(card)
    }
}

fn transport(url: &str, e: reqwest::Error) -> ClientError {
    if e.is_timeout() {
        ClientError::Timeout {
            url: url.to_string(),
            timeout: DEFAULT_TIMEOUT,
        }
    } else {
        ClientError::Transport {
            url: url.to_string(),
            reason: e.without_url().to_string(),
        }
    }
}

/// A client of one agent.
#[derive(Debug)]
pub struct A2aClient {
    http: reqwest::Client,
    card: AgentCard,
    binding: Binding,
    url: String,
    timeout: Duration,
    headers: reqwest::header::HeaderMap,
    next_id: AtomicU64,
}

impl A2aClient {
    /// Fetches the card at `base_url` and picks its preferred binding.
    pub async fn discover(base_url: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ClientError::Transport {
                url: base_url.into(),
                reason: e.to_string(),
            })?;
        let card = CardResolver::new(http.clone(), base_url).card().await?;
        Self::from_card(http, card, None)
    }

    /// A client for `card`; `binding` forces one, else the first supported interface wins.
    pub fn from_card(http: reqwest::Client, card: AgentCard, binding: Option<Binding>) -> Result<Self, ClientError> {
        let pick = card
            .supported_interfaces
            .iter()
            .filter_map(|i| {
                let b = if i.protocol_binding.eq_ignore_ascii_case(BINDING_JSONRPC) {
                    Binding::JsonRpc
                } else if i.protocol_binding.eq_ignore_ascii_case(BINDING_HTTP_JSON) {
                    Binding::HttpJson
                } else {
                    return None;
                };
                binding
                    .is_none_or(|want| want == b)
                    .then(|| (b, i.url.trim_end_matches('/').to_string()))
            })
            .next()
            .ok_or(ClientError::NoUsableInterface)?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "A2A-Version",
            reqwest::header::HeaderValue::from_static(PROTOCOL_VERSION),
        );
        Ok(Self {
            http,
            card,
            binding: pick.0,
            url: pick.1,
            timeout: DEFAULT_TIMEOUT,
            headers,
            next_id: AtomicU64::new(1),
        })
    }

    /// Uses the given binding of the same card.
    pub fn with_binding(self, binding: Binding) -> Result<Self, ClientError> {
        let headers = self.headers.clone();
        let mut c = Self::from_card(self.http, self.card, Some(binding))?;
        c.headers = headers;
        c.timeout = self.timeout;
        Ok(c)
    }

    /// Sets the timeout of unary calls.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Adds a header to every request (`Authorization`, `X-API-Key`, `A2A-Extensions`).
    pub fn with_header(mut self, name: &'static str, value: &str) -> Result<Self, ClientError> {
        let v = reqwest::header::HeaderValue::from_str(value).map_err(|e| ClientError::Protocol {
            url: self.url.clone(),
            detail: format!("bad header value: {e}"),
        })?;
        self.headers.insert(name, v);
        Ok(self)
    }

    /// The card this client was built from.
    pub fn card(&self) -> &AgentCard {
        &self.card
    }

    /// The binding in use.
    pub fn binding(&self) -> Binding {
        self.binding
    }

    /// SendMessage.
    pub async fn send_message(&self, req: SendMessageRequest) -> Result<SendMessageResponse, ClientError> {
        self.call(Method::SendMessage, to_value(&req)?).await
    }

    /// SendStreamingMessage.
    pub async fn send_streaming_message(&self, req: SendMessageRequest) -> Result<EventStream, ClientError> {
        self.stream(Method::SendStreamingMessage, to_value(&req)?).await
    }

    /// GetTask.
    pub async fn get_task(&self, id: &str, history_length: Option<i32>) -> Result<Task, ClientError> {
        let mut p = json!({"id": id});
        if let Some(h) = history_length {
            p["historyLength"] = h.into();
        }
        self.call(Method::GetTask, p).await
    }

    /// ListTasks.
    pub async fn list_tasks(&self, req: &ListTasksRequest) -> Result<ListTasksResponse, ClientError> {
        self.call(Method::ListTasks, to_value(req)?).await
    }

    /// CancelTask.
    pub async fn cancel_task(&self, id: &str) -> Result<Task, ClientError> {
        self.call(Method::CancelTask, json!({"id": id})).await
    }

    /// SubscribeToTask.
    pub async fn subscribe_to_task(&self, id: &str) -> Result<EventStream, ClientError> {
        self.stream(Method::SubscribeToTask, json!({"id": id})).await
    }

    /// CreateTaskPushNotificationConfig.
    pub async fn create_push_config(
        &self,
        config: &TaskPushNotificationConfig,
    ) -> Result<TaskPushNotificationConfig, ClientError> {
        self.call(Method::CreateTaskPushNotificationConfig, to_value(config)?)
            .await
    }

    /// GetTaskPushNotificationConfig.
    pub async fn get_push_config(&self, task_id: &str, id: &str) -> Result<TaskPushNotificationConfig, ClientError> {
        self.call(
            Method::GetTaskPushNotificationConfig,
            json!({"taskId": task_id, "id": id}),
        )
        .await
    }

    /// ListTaskPushNotificationConfigs.
    pub async fn list_push_configs(
        &self,
        task_id: &str,
    ) -> Result<ListTaskPushNotificationConfigsResponse, ClientError> {
        self.call(Method::ListTaskPushNotificationConfigs, json!({"taskId": task_id}))
            .await
    }

    /// DeleteTaskPushNotificationConfig.
    pub async fn delete_push_config(&self, task_id: &str, id: &str) -> Result<(), ClientError> {
        let _: Value = self
            .call(
                Method::DeleteTaskPushNotificationConfig,
                json!({"taskId": task_id, "id": id}),
            )
            .await?;
        Ok(())
    }

    /// GetExtendedAgentCard.
    pub async fn get_extended_agent_card(&self) -> Result<AgentCard, ClientError> {
        self.call(Method::GetExtendedAgentCard, json!({})).await
    }

    fn protocol(&self, detail: impl Into<String>) -> ClientError {
        ClientError::Protocol {
            url: self.url.clone(),
            detail: detail.into(),
        }
    }

    /// Builds the HTTP request of an operation for the current binding.
    fn request(&self, method: Method, params: Value) -> reqwest::RequestBuilder {
        match self.binding {
            Binding::JsonRpc => {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                self.http
                    .post(format!("{}/", self.url))
                    .headers(self.headers.clone())
                    .json(&json!({"jsonrpc": "2.0", "id": id, "method": method.name(), "params": params}))
            }
            Binding::HttpJson => {
                let s = |k: &str| params.get(k).and_then(Value::as_str).map(enc).unwrap_or_default();
                let base = &self.url;
                let b = match method {
                    Method::SendMessage => self.http.post(format!("{base}/message:send")).json(&params),
                    Method::SendStreamingMessage => self.http.post(format!("{base}/message:stream")).json(&params),
                    Method::GetTask => self
                        .http
                        .get(format!("{base}/tasks/{}", s("id")))
                        .query(&query(&params, &["id"])),
                    Method::ListTasks => self.http.get(format!("{base}/tasks")).query(&query(&params, &[])),
                    Method::CancelTask => self
                        .http
                        .post(format!("{base}/tasks/{}:cancel", s("id")))
                        .json(&json!({})),
                    Method::SubscribeToTask => self
                        .http
                        .post(format!("{base}/tasks/{}:subscribe", s("id")))
                        .json(&json!({})),
                    Method::CreateTaskPushNotificationConfig => self
                        .http
                        .post(format!("{base}/tasks/{}/pushNotificationConfigs", s("taskId")))
                        .json(&params),
                    Method::GetTaskPushNotificationConfig => self.http.get(format!(
                        "{base}/tasks/{}/pushNotificationConfigs/{}",
                        s("taskId"),
                        s("id")
                    )),
                    Method::ListTaskPushNotificationConfigs => self
                        .http
                        .get(format!("{base}/tasks/{}/pushNotificationConfigs", s("taskId"))),
                    Method::DeleteTaskPushNotificationConfig => self.http.delete(format!(
                        "{base}/tasks/{}/pushNotificationConfigs/{}",
                        s("taskId"),
                        s("id")
                    )),
                    Method::GetExtendedAgentCard => self.http.get(format!("{base}/extendedAgentCard")),
                };
                b.headers(self.headers.clone())
            }
        }
    }

    async fn call<T: DeserializeOwned>(&self, method: Method, params: Value) -> Result<T, ClientError> {
        let resp = self
            .request(method, params)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    ClientError::Timeout {
                        url: self.url.clone(),
                        timeout: self.timeout,
                    }
                } else {
                    transport(&self.url, e)
                }
            })?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .await
            .map_err(|e| self.protocol(format!("HTTP {status}, body is not JSON: {e}")))?;
        let result = self.unwrap_body(status.as_u16(), body)?;
        serde_json::from_value(result).map_err(|e| self.protocol(format!("{}: {e}", method.name())))
    }

    /// The result of a JSON-RPC envelope or REST body, or its error.
    fn unwrap_body(&self, status: u16, body: Value) -> Result<Value, ClientError> {
        match self.binding {
            Binding::JsonRpc => {
                if let Some(err) = body.get("error") {
                    let err: JsonRpcError = serde_json::from_value(err.clone())
                        .map_err(|e| self.protocol(format!("bad error object: {e}")))?;
                    return Err(A2aError::from_jsonrpc(&err).into());
                }
                body.get("result")
                    .cloned()
                    .ok_or_else(|| self.protocol("neither result nor error"))
            }
            Binding::HttpJson if status >= 400 => Err(A2aError::from_rest(status, &body).into()),
            Binding::HttpJson => Ok(body),
        }
    }

    async fn stream(&self, method: Method, params: Value) -> Result<EventStream, ClientError> {
        let resp = self
            .request(method, params)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|e| transport(&self.url, e))?;
        let status = resp.status();
        let is_sse = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_sse {
            let body: Value = resp
                .json()
                .await
                .map_err(|e| self.protocol(format!("HTTP {status}: {e}")))?;
            self.unwrap_body(status.as_u16(), body)?;
            return Err(self.protocol("expected an event stream"));
        }
        let url = self.url.clone();
        let binding = self.binding;
        let bytes = resp.bytes_stream();
        let events = futures::stream::unfold((bytes, Vec::<u8>::new(), false), move |(mut bytes, mut buf, done)| {
            let url = url.clone();
            async move {
                if done {
                    return None;
                }
                loop {
                    if let Some(data) = take_event(&mut buf) {
                        if data.is_empty() {
                            continue;
                        }
                        let parsed = parse_event(binding, &url, &data);
                        let stop = parsed.is_err();
                        return Some((parsed, (bytes, buf, stop)));
                    }
                    match bytes.next().await {
                        Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                        Some(Err(e)) => return Some((Err(transport(&url, e)), (bytes, buf, true))),
                        None => return None,
                    }
                }
            }
        });
        Ok(Box::pin(events))
    }
}

/// Takes one complete SSE event from `buf`, returning its joined `data:` lines.
fn take_event(buf: &mut Vec<u8>) -> Option<String> {
    let text = std::str::from_utf8(buf).ok()?;
    let normalized = text.replace("\r\n", "\n");
    let end = normalized.find("\n\n")?;
    let event: String = normalized[..end]
        .lines()
        .filter_map(|l| l.strip_prefix("data:").map(|d| d.strip_prefix(' ').unwrap_or(d)))
        .collect::<Vec<_>>()
        .join("\n");
    let rest = normalized.as_bytes()[end + 2..].to_vec();
    *buf = rest;
    Some(event)
}

fn parse_event(binding: Binding, url: &str, data: &str) -> Result<StreamResponse, ClientError> {
    let protocol = |d: String| ClientError::Protocol {
        url: url.to_string(),
        detail: d,
    };
    let v: Value = serde_json::from_str(data).map_err(|e| protocol(format!("bad SSE data: {e}")))?;
    let payload = match binding {
        Binding::JsonRpc => {
            if let Some(err) = v.get("error") {
                let err: JsonRpcError = serde_json::from_value(err.clone()).map_err(|e| protocol(e.to_string()))?;
                return Err(A2aError::from_jsonrpc(&err).into());
            }
            v.get("result")
                .cloned()
                .ok_or_else(|| protocol("SSE event without result".into()))?
        }
        Binding::HttpJson => {
            if v.get("error").is_some() {
                return Err(A2aError::from_rest(500, &v).into());
            }
            v
        }
    };
    serde_json::from_value(payload).map_err(|e| protocol(format!("not a StreamResponse: {e}")))
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ClientError> {
    serde_json::to_value(v).map_err(|e| ClientError::Protocol {
        url: String::new(),
        detail: e.to_string(),
    })
}

/// Query pairs of a params object (scalars only), minus path fields.
fn query(params: &Value, skip: &[&str]) -> Vec<(String, String)> {
    params
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| !skip.contains(&k.as_str()))
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Number(n) => Some((k.clone(), n.to_string())),
                    Value::Bool(b) => Some((k.clone(), b.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Percent-encodes a path segment.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_framing() {
        let mut buf = b"data: {\"a\":1}\n\ndata: {\"b\"".to_vec();
        assert_eq!(take_event(&mut buf).as_deref(), Some("{\"a\":1}"));
        assert_eq!(take_event(&mut buf), None);
        buf.extend_from_slice(b":2}\r\n\r\n");
        assert_eq!(take_event(&mut buf).as_deref(), Some("{\"b\":2}"));
        assert_eq!(enc("a b/c"), "a%20b%2Fc");
    }
}
