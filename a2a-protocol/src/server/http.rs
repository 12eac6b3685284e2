//! HTTP handlers: agent card, JSON-RPC endpoint, HTTP+JSON dispatcher, SSE framing.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method as HttpMethod, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt as _;
use serde_json::{Map, Value};

use super::AppState;
use super::core::{CallMeta, EventStream, Reply};
use crate::error::A2aError;
use crate::jsonrpc::{JsonRpcResponse, Method, Request, decode_request};
use crate::types::StreamResponse;

/// The header naming the A2A version a client speaks.
pub const VERSION_HEADER: &str = "A2A-Version";
/// The header listing the extensions a client supports.
pub const EXTENSIONS_HEADER: &str = "A2A-Extensions";

const JSON: &str = "application/json";

/// GET the agent card, with ETag / If-None-Match and Cache-Control.
pub(crate) async fn agent_card(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&state.card_etag).unwrap_or(HeaderValue::from_static("\"0\""));
    let cache = HeaderValue::from_static("public, max-age=300");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == &*state.card_etag || t.trim() == "*"));
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    let modified = HeaderValue::from_str(&state.card_modified).unwrap_or(HeaderValue::from_static(""));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(JSON)),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
            (header::LAST_MODIFIED, modified),
        ],
        state.card_body.clone(),
    )
        .into_response()
}

/// Checks `A2A-Version`: absent or empty means 0.3; 0.3 and 1.x (any patch) are served.
fn check_version(headers: &HeaderMap) -> Result<(), A2aError> {
    let Some(raw) = headers.get(VERSION_HEADER) else {
        return Ok(());
    };
    let v = raw.to_str().unwrap_or("?").trim();
    if v.is_empty() {
        return Ok(());
    }
    let mut parts = v.split('.');
    let major = parts.next().unwrap_or("");
    let minor = parts.next().unwrap_or("0");
    match (major, minor) {
        ("1", "0") | ("0", "3") => Ok(()),
        _ => Err(A2aError::VersionNotSupported(format!("{v} (supported: 1.0, 0.3)"))),
    }
}

fn call_meta(headers: &HeaderMap) -> CallMeta {
    let extensions = headers
        .get_all(EXTENSIONS_HEADER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    CallMeta { extensions }
}

/// Accepts `application/json`, `application/a2a+json` (any `+json`), or no content type.
fn check_content_type(headers: &HeaderMap) -> Result<(), A2aError> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let ct = ct
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if ct == JSON || (ct.starts_with("application/") && ct.ends_with("+json")) {
        Ok(())
    } else {
        Err(A2aError::ContentTypeNotSupported(format!(
            "request content type {ct:?}; use application/json"
        )))
    }
}

async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, A2aError> {
    let limit = state.max_body_bytes;
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        && len > limit
    {
        return Err(A2aError::PayloadTooLarge(limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if format!("{e:?}").contains("LengthLimit") || e.to_string().contains("length limit") {
            A2aError::PayloadTooLarge(limit)
        } else {
            A2aError::InvalidRequest("could not read the request body".into())
        }
    })
}

fn unauthorized(state: &AppState) -> HeaderValue {
    if state.auth.bearer_tokens.is_empty() {
        HeaderValue::from_static("ApiKey")
    } else {
        HeaderValue::from_static("Bearer")
    }
}

fn json_response<T: serde::Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, HeaderValue::from_static(JSON))], bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn sse_response(frames: impl futures::Stream<Item = Bytes> + Send + 'static) -> Response {
    let body = Body::from_stream(frames.map(Ok::<_, Infallible>));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// One SSE event: `data: <json>` and a blank line.
fn sse_frame(v: &impl serde::Serialize) -> Bytes {
    let mut out = b"data: ".to_vec();
    if serde_json::to_writer(&mut out, v).is_err() {
        out.truncate(6);
        out.extend_from_slice(b"{}");
    }
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// A JSON-RPC success envelope around a result serialized once.
#[derive(serde::Serialize)]
struct RpcOk<'a, T: serde::Serialize + ?Sized> {
    jsonrpc: &'static str,
    id: &'a Value,
    result: &'a T,
}

/// Frames each event; the stream ends after the first error.
fn frames(
    events: EventStream,
    frame: impl Fn(Result<StreamResponse, A2aError>) -> Bytes + Send + 'static,
) -> impl futures::Stream<Item = Bytes> + Send {
    events
        .scan(false, |ended, item| {
            if *ended {
                return std::future::ready(None);
            }
            *ended = item.is_err();
            std::future::ready(Some(item))
        })
        .map(frame)
}

/// The JSON-RPC endpoint.
pub(crate) async fn jsonrpc(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let rpc_error = |status: StatusCode, id: Value, e: &A2aError| {
        let mut r = json_response(status, &JsonRpcResponse::err(id, e));
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, unauthorized(&state));
        }
        r
    };
    if !state.auth.check(&headers) {
        return rpc_error(StatusCode::UNAUTHORIZED, Value::Null, &A2aError::Unauthenticated);
    }
    if let Err(e) = check_content_type(&headers) {
        return rpc_error(StatusCode::OK, Value::Null, &e);
    }
    let bytes = match read_body(&state, &headers, body).await {
        Ok(b) => b,
        Err(e) => return rpc_error(e.http_status(), Value::Null, &e),
    };
    let (id, req) = match decode_request(&bytes) {
        Ok(ok) => ok,
        Err(d) => {
            tracing::debug!(code = d.error.code(), "bad JSON-RPC request");
            return rpc_error(StatusCode::OK, d.id, &d.error);
        }
    };
    if let Err(e) = check_version(&headers) {
        return rpc_error(StatusCode::OK, id, &e);
    }
    match state.core.handle(req, call_meta(&headers)).await {
        Ok(Reply::Json(v)) => json_response(
            StatusCode::OK,
            &RpcOk {
                jsonrpc: "2.0",
                id: &id,
                result: &*v,
            },
        ),
        Ok(Reply::Empty) => json_response(StatusCode::OK, &JsonRpcResponse::ok(id, Value::Object(Map::new()))),
        Ok(Reply::Stream(events)) => sse_response(frames(events, move |item| match item {
            Ok(ev) => sse_frame(&RpcOk {
                jsonrpc: "2.0",
                id: &id,
                result: &ev,
            }),
            Err(e) => sse_frame(&JsonRpcResponse::err(id.clone(), &e)),
        })),
        Err(e) => {
            tracing::debug!(code = e.code(), error = %e, "JSON-RPC call failed");
            rpc_error(StatusCode::OK, id, &e)
        }
    }
}

fn rest_error(state: &AppState, e: &A2aError) -> Response {
    let mut r = json_response(e.http_status(), &e.to_rest_body());
    if matches!(e, A2aError::Unauthenticated) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, unauthorized(state));
    }
    r
}

/// Query string to a JSON params object, typing the numeric and boolean fields.
fn query_params(uri: &Uri) -> Result<Map<String, Value>, A2aError> {
    let mut out = Map::new();
    let Some(q) = uri.query() else { return Ok(out) };
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(k)?;
        let v = percent_decode(v)?;
        let value = match k.as_str() {
            "pageSize" | "historyLength" => Value::from(
                v.parse::<i32>()
                    .map_err(|_| A2aError::InvalidParams(format!("{k} must be an integer")))?,
            ),
            "includeArtifacts" => Value::from(match v.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(A2aError::InvalidParams(format!("{k} must be true or false"))),
            }),
            _ => Value::String(v),
        };
        out.insert(k, value);
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Result<String, A2aError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = bytes
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| A2aError::InvalidParams("bad percent-encoding in query".into()))?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| A2aError::InvalidParams("query is not UTF-8".into()))
}

/// Which operation a REST request is, and its params from the path.
fn route(method: &HttpMethod, segments: &[String]) -> Option<(Method, Map<String, Value>)> {
    let mut p = Map::new();
    let m = match (method.as_str(), segments) {
        ("POST", [s]) if s == "message:send" => Method::SendMessage,
        ("POST", [s]) if s == "message:stream" => Method::SendStreamingMessage,
        ("GET", [s]) if s == "tasks" => Method::ListTasks,
        ("GET", [s]) if s == "extendedAgentCard" || s == "card" => Method::GetExtendedAgentCard,
        (verb, [t, id]) if t == "tasks" => {
            if let Some(id) = id.strip_suffix(":cancel") {
                p.insert("id".into(), id.into());
                if verb != "POST" {
                    return None;
                }
                Method::CancelTask
            } else if let Some(id) = id.strip_suffix(":subscribe") {
                p.insert("id".into(), id.into());
                if verb != "POST" && verb != "GET" {
                    return None;
                }
                Method::SubscribeToTask
            } else {
                p.insert("id".into(), id.clone().into());
                if verb != "GET" {
                    return None;
                }
                Method::GetTask
            }
        }
        (verb, [t, id, c]) if t == "tasks" && c == "pushNotificationConfigs" => {
            p.insert("taskId".into(), id.clone().into());
            match verb {
                "POST" => Method::CreateTaskPushNotificationConfig,
                "GET" => Method::ListTaskPushNotificationConfigs,
                _ => return None,
            }
        }
        (verb, [t, id, c, cid]) if t == "tasks" && c == "pushNotificationConfigs" => {
            p.insert("taskId".into(), id.clone().into());
            p.insert("id".into(), cid.clone().into());
            match verb {
                "GET" => Method::GetTaskPushNotificationConfig,
                "DELETE" => Method::DeleteTaskPushNotificationConfig,
                _ => return None,
            }
        }
        _ => return None,
    };
    Some((m, p))
}

/// The HTTP+JSON binding (every path but the card and `POST /`).
pub(crate) async fn rest(
    State(state): State<AppState>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut segments: Vec<String> = Vec::new();
    for s in uri.path().split('/').filter(|s| !s.is_empty()) {
        match percent_decode(s) {
            Ok(s) => segments.push(s),
            Err(e) => return rest_error(&state, &e),
        }
    }
    let mut routed = route(&method, &segments);
    let mut tenant = None;
    if routed.is_none() && segments.len() > 1 {
        routed = route(&method, &segments[1..]);
        tenant = Some(segments[0].clone());
    }
    let Some((op, path_params)) = routed else {
        let known = route(&HttpMethod::GET, &segments).is_some() || route(&HttpMethod::POST, &segments).is_some();
        return if known {
            rest_error(
                &state,
                &A2aError::UnsupportedOperation(format!("{method} is not allowed here")),
            )
            .with_status(StatusCode::METHOD_NOT_ALLOWED)
        } else {
            rest_error(&state, &A2aError::MethodNotFound(format!("{method} {}", uri.path())))
        };
    };
    if !state.auth.check(&headers) {
        return rest_error(&state, &A2aError::Unauthenticated);
    }
    if let Err(e) = check_version(&headers) {
        return rest_error(&state, &e);
    }
    let mut params = match query_params(&uri) {
        Ok(q) => q,
        Err(e) => return rest_error(&state, &e),
    };
    if method == HttpMethod::POST {
        if let Err(e) = check_content_type(&headers) {
            // HTTP semantics: a body in a media type we cannot read is 415.
            return rest_error(&state, &e).with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        }
        let bytes = match read_body(&state, &headers, body).await {
            Ok(b) => b,
            Err(e) => return rest_error(&state, &e),
        };
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(b)) => params.extend(b),
                Ok(_) => {
                    return rest_error(
                        &state,
                        &A2aError::InvalidParams("the body must be a JSON object".into()),
                    );
                }
                Err(e) => return rest_error(&state, &A2aError::Parse(e.to_string())),
            }
        }
    }
    params.extend(path_params);
    if let Some(t) = tenant {
        params.insert("tenant".into(), Value::String(t));
    }
    let req = match Request::from_params(op, Value::Object(params)) {
        Ok(r) => r,
        Err(e) => return rest_error(&state, &e),
    };
    match state.core.handle(req, call_meta(&headers)).await {
        Ok(Reply::Json(v)) => json_response(StatusCode::OK, &*v),
        Ok(Reply::Empty) => json_response(StatusCode::OK, &Value::Object(Map::new())),
        Ok(Reply::Stream(events)) => sse_response(frames(events, |item| match item {
            Ok(ev) => sse_frame(&ev),
            Err(e) => sse_frame(&e.to_rest_body()),
        })),
        Err(e) => {
            tracing::debug!(status = e.http_status().as_u16(), error = %e, "REST call failed");
            rest_error(&state, &e)
        }
    }
}

trait WithStatus {
    fn with_status(self, status: StatusCode) -> Response;
}

impl WithStatus for Response {
    fn with_status(mut self, status: StatusCode) -> Response {
        *self.status_mut() = status;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let mut h = HeaderMap::new();
        assert!(check_version(&h).is_ok());
        for ok in ["1.0", "1.0.1", "0.3", ""] {
            h.insert(VERSION_HEADER, ok.parse().unwrap());
            assert!(check_version(&h).is_ok(), "{ok}");
        }
        for bad in ["99.0", "2.0", "1.1", "abc"] {
            h.insert(VERSION_HEADER, bad.parse().unwrap());
            assert_eq!(check_version(&h).unwrap_err().code(), -32009, "{bad}");
        }
    }

    #[test]
    fn rest_routes() {
        let seg = |p: &str| {
            p.split('/')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            route(&HttpMethod::POST, &seg("/message:send")).unwrap().0,
            Method::SendMessage
        );
        assert_eq!(
            route(&HttpMethod::POST, &seg("/tasks/abc:cancel")).unwrap().1["id"],
            "abc"
        );
        assert_eq!(route(&HttpMethod::GET, &seg("/tasks/abc")).unwrap().0, Method::GetTask);
        assert_eq!(
            route(&HttpMethod::DELETE, &seg("/tasks/a/pushNotificationConfigs/c"))
                .unwrap()
                .0,
            Method::DeleteTaskPushNotificationConfig
        );
        assert!(route(&HttpMethod::DELETE, &seg("/tasks/a")).is_none());
        assert_eq!(percent_decode("a%20b+c").unwrap(), "a b c");
        assert!(percent_decode("%zz").is_err());
        assert!(percent_decode("%2").is_err());
    }
}
