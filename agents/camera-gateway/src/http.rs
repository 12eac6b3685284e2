//! The HTTP side: WHIP, WHEP, health.

use crate::Inner;
use crate::session::{OfferError, parse_offer, start_publisher, start_viewer};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use std::sync::Arc;

type Shared = Arc<Inner>;

pub(crate) fn router(inner: Shared) -> Router {
    Router::new()
        .route("/whip/{camera_id}", post(whip_post))
        .route("/whip/{camera_id}/{session}", delete(whip_delete))
        .route("/whep/{camera_id}", post(whep_post))
        .route("/whep/{camera_id}/{session}", delete(whep_delete))
        .route("/cameras", get(cameras))
        .route("/publish", get(publish_page))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(inner)
}

/// A page that publishes the browser's camera over WHIP (`/publish?camera=ID#token=TOKEN`):
/// a phone or a laptop as a camera, and the browser end of the Chromium test. Static; the
/// token stays in the URL fragment, which browsers never send.
async fn publish_page() -> Response {
    let mut r = axum::response::Html(include_str!("web/publish.html")).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; media-src 'self' blob: mediastream:",
        ),
    );
    r
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let mut r = (status, format!("{}\n", message.into())).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn unauthorized(message: String) -> Response {
    let mut r = error(StatusCode::UNAUTHORIZED, message);
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// The request must carry an SDP offer (`Content-Type: application/sdp`); the WHIP and WHEP
/// endpoints both check this first.
fn sdp_content_type(headers: &HeaderMap) -> Result<(), Box<Response>> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/sdp")
    {
        return Err(Box::new(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type must be application/sdp (the SDP offer), not '{}'",
                if ctype.is_empty() { "none" } else { ctype }
            ),
        )));
    }
    Ok(())
}

/// The offer's text, once the caller is known to be allowed to send one.
fn sdp_text(body: &Bytes) -> Result<String, Box<Response>> {
    String::from_utf8(body.to_vec())
        .map_err(|_| Box::new(error(StatusCode::BAD_REQUEST, "the SDP offer is not UTF-8 text")))
}

/// Checks content type, camera and token; returns the offer text.
fn check_publish(inner: &Inner, camera_id: &str, headers: &HeaderMap, body: &Bytes) -> Result<String, Box<Response>> {
    let error = |s, m: String| Box::new(error(s, m));
    let unauthorized = |m: String| Box::new(unauthorized(m));
    sdp_content_type(headers)?;
    let Some(camera) = inner.config.camera(camera_id) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            format!("no camera '{camera_id}' is configured in [gateway] cameras"),
        ));
    };
    match bearer(headers) {
        None => {
            return Err(unauthorized(format!(
                "camera '{camera_id}' needs its token: send 'Authorization: Bearer <token>'"
            )));
        }
        Some(t) if !camera.accepts(t) => {
            return Err(unauthorized(format!("the token is not camera '{camera_id}''s")));
        }
        Some(_) => {}
    }
    sdp_text(body)
}

fn offer_error(e: OfferError) -> Response {
    match e {
        OfferError::BadOffer(m) => error(StatusCode::BAD_REQUEST, m),
        OfferError::Internal(m) => error(StatusCode::INTERNAL_SERVER_ERROR, m),
    }
}

fn created(location: String, sdp: String) -> Response {
    let mut r = (StatusCode::CREATED, sdp).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/sdp"));
    if let Ok(v) = HeaderValue::from_str(&location) {
        h.insert(header::LOCATION, v);
    }
    r
}

async fn whip_post(
    State(inner): State<Shared>,
    Path(camera_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sdp = match check_publish(&inner, &camera_id, &headers, &body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if let Some(p) = inner.publishers.lock().expect("publishers lock").get(&camera_id)
        && !p.ended.is_cancelled()
    {
        return error(
            StatusCode::CONFLICT,
            format!(
                "camera '{camera_id}' already has a publisher (session {}); DELETE /whip/{camera_id}/{} first",
                p.id, p.id
            ),
        );
    }
    let offer = match parse_offer(&sdp, "a WHIP publisher sends video") {
        Ok(o) => o,
        Err(e) => return offer_error(e),
    };
    let pipeline = match inner.pipeline(&camera_id).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("camera {camera_id}: no live deployment: {e:#}");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the gateway could not record the stream in its database; see its log",
            );
        }
    };
    match start_publisher(&camera_id, offer, &inner.options, pipeline, inner.shutdown.clone()).await {
        Ok((publisher, answer)) => {
            let location = format!("/whip/{camera_id}/{}", publisher.id);
            inner
                .publishers
                .lock()
                .expect("publishers lock")
                .insert(camera_id.clone(), publisher);
            tracing::info!("camera {camera_id}: WHIP session {location}");
            created(location, answer)
        }
        Err(e) => offer_error(e),
    }
}

async fn whip_delete(
    State(inner): State<Shared>,
    Path((camera_id, session)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(camera) = inner.config.camera(&camera_id) else {
        return error(StatusCode::NOT_FOUND, format!("no camera '{camera_id}' is configured"));
    };
    if !bearer(&headers).is_some_and(|t| camera.accepts(t)) {
        return unauthorized(format!("ending camera '{camera_id}''s session needs its token"));
    }
    let publisher = {
        let mut map = inner.publishers.lock().expect("publishers lock");
        match map.get(&camera_id) {
            Some(p) if p.id == session => map.remove(&camera_id),
            _ => None,
        }
    };
    match publisher {
        Some(p) => {
            p.ended.cancel();
            // The open event is written before we answer.
            let mut done = p.done.clone();
            let _ = tokio::time::timeout(std::time::Duration::from_secs(30), done.wait_for(|d| *d)).await;
            StatusCode::OK.into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            format!("no session '{session}' for camera '{camera_id}'"),
        ),
    }
}

async fn whep_post(
    State(inner): State<Shared>,
    Path(camera_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = sdp_content_type(&headers) {
        return *response;
    }
    if inner.config.camera(&camera_id).is_none() {
        return error(StatusCode::NOT_FOUND, format!("no camera '{camera_id}' is configured"));
    }
    if let Some(want) = &inner.config.viewer_token
        && bearer(&headers) != Some(want.as_str())
    {
        return unauthorized("viewers need the viewer token: send 'Authorization: Bearer <token>'".into());
    }
    let sdp = match sdp_text(&body) {
        Ok(sdp) => sdp,
        Err(response) => return *response,
    };
    let offer = match parse_offer(&sdp, "a WHEP viewer receives video") {
        Ok(o) => o,
        Err(e) => return offer_error(e),
    };
    let publisher = inner
        .publishers
        .lock()
        .expect("publishers lock")
        .get(&camera_id)
        .filter(|p| !p.ended.is_cancelled())
        .cloned();
    let source = match publisher {
        Some(p) => match p.relay() {
            Some(source) => source,
            None => {
                return offer_error(OfferError::Internal(
                    "the camera's stream has not started yet; retry in a moment".into(),
                ));
            }
        },
        None => {
            let pulled = inner
                .rtsp_relays
                .lock()
                .expect("relays lock")
                .get(&camera_id)
                .filter(|r| !r.ended.is_cancelled())
                .cloned();
            match pulled {
                Some(source) => source,
                None => {
                    return error(
                        StatusCode::NOT_FOUND,
                        format!("camera '{camera_id}' is not streaming now"),
                    );
                }
            }
        }
    };
    match start_viewer(source, offer, &inner.options).await {
        Ok((viewer, answer)) => {
            let location = format!("/whep/{camera_id}/{}", viewer.id);
            let mut viewers = inner.viewers.lock().expect("viewers lock");
            viewers.retain(|_, (_, v)| !v.ended.is_cancelled());
            viewers.insert(viewer.id.clone(), (camera_id, viewer));
            created(location, answer)
        }
        Err(e) => offer_error(e),
    }
}

async fn whep_delete(State(inner): State<Shared>, Path((camera_id, session)): Path<(String, String)>) -> Response {
    let viewer = {
        let mut map = inner.viewers.lock().expect("viewers lock");
        match map.get(&session) {
            Some((c, _)) if *c == camera_id => map.remove(&session),
            _ => None,
        }
    };
    match viewer {
        Some((_, v)) => {
            v.ended.cancel();
            StatusCode::OK.into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            format!("no viewer session '{session}' for camera '{camera_id}'"),
        ),
    }
}

async fn cameras(State(inner): State<Shared>) -> Response {
    axum::Json(serde_json::json!({ "cameras": inner.health() })).into_response()
}
