//! The optional language-model router: an OpenAI-compatible chat-completions endpoint plans
//! a question (which operation, which species, places and time) and writes the answer's
//! prose. Nothing it says is trusted:
//!
//! - the route is asked for under a JSON Schema whose enums are the operations the agents'
//!   cards offer and the species, cameras and sites the agents know (constrained decoding
//!   where the server supports it, `mode = "json_schema"`), or as a native tool call
//!   (`mode = "tools"`); a reply that came as JSON in the text, bare or fenced, is accepted
//!   too;
//! - the route is validated against that schema and then against the vocabulary and the
//!   calendar before it becomes a [`Query`]; the plan and the numbers still come from
//!   [`crate::plan`] and the agents;
//! - prose may use only numbers that the facts contain.
//!
//! Any failure (unreachable server, timeout, malformed or invalid output) is a
//! [`LlmError`]; the caller then answers with the built-in router and says why.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::{LlmConfig, LlmMode};
use crate::time::{self, Window};
use crate::understand::{Intent, Place, Query, Vocabulary};

/// The built-in operations a route may name, with the intent each one is.
pub const ROUTES: &[(&str, Intent, &str)] = &[
    (
        "find_events",
        Intent::Events,
        "Count or list animal events (visits) and what the animals were doing, by species, place and time.",
    ),
    (
        "summarize_period",
        Intent::Summary,
        "Summary or report of a period: events per species and camera, busiest hours.",
    ),
    (
        "list_cameras",
        Intent::Cameras,
        "The cameras and their health (online, sleeping, faulty, retired).",
    ),
    (
        "rai",
        Intent::Rai,
        "Relative abundance index (events per 100 trap-nights) of a species per camera.",
    ),
    (
        "diel_activity",
        Intent::Diel,
        "When in the day a species is active (diel activity, peak hours).",
    ),
    (
        "activity_overlap",
        Intent::Overlap,
        "How much the daily activity of two species overlaps.",
    ),
    (
        "occupancy_naive",
        Intent::Occupancy,
        "Naive occupancy: share of cameras where a species was detected.",
    ),
    (
        "effort",
        Intent::Effort,
        "Sampling effort: trap-nights per camera minus malfunctions.",
    ),
    (
        "migration",
        Intent::Migration,
        "Seasonal migration of a species across the cameras: direction, speed.",
    ),
    (
        "trails",
        Intent::Trails,
        "Trails: where a species or a marked individual moved between cameras.",
    ),
    (
        "sightings",
        Intent::Sightings,
        "Where and when a species was seen: first and last sightings per camera.",
    ),
];

/// Relative time phrases a route may use (each one is understood by [`time::parse`]).
pub const WHEN: &[&str] = &[
    "any time",
    "today",
    "yesterday",
    "last night",
    "this week",
    "last week",
    "this month",
    "last month",
    "in the last 3 days",
    "in the last 7 days",
    "in the last 30 days",
];

/// Camera health states a route may ask about.
pub const HEALTH: &[&str] = &["online", "sleeping", "faulty", "retired", "notDeployed"];

/// Largest enum of names put into a schema; beyond it names are free strings, checked after.
const MAX_ENUM: usize = 400;

/// Why the model's help was not used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// No answer from the server (connection, timeout, HTTP status).
    #[error("the language model could not be reached: {0}")]
    Unreachable(String),
    /// The reply was not JSON or had no route in it.
    #[error("the language model's reply was malformed: {0}")]
    Malformed(String),
    /// The route was JSON but broke the schema or named something that does not exist.
    #[error("the language model's route was invalid: {0}")]
    Invalid(String),
    /// The prose changed or invented numbers, or was empty.
    #[error("the language model's prose was rejected: {0}")]
    Prose(String),
}

/// A third-party skill the model may route to.
#[derive(Debug, Clone, Serialize)]
pub struct OtherSkill {
    /// Skill id (the route name).
    pub id: String,
    /// Its card's description.
    pub description: String,
}

/// What the model knows when it routes one question.
#[derive(Debug, Clone)]
pub struct RouteContext<'a> {
    /// Names of species, cameras and sites.
    pub vocab: &'a Vocabulary,
    /// "Now", in the study's zone.
    pub now: DateTime<FixedOffset>,
    /// The question before, for follow-ups.
    pub previous_question: Option<&'a str>,
    /// Third-party skills (routes by id, asked with the question's text).
    pub others: &'a [OtherSkill],
}

/// A validated route.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// A question the built-in plan answers.
    Query(Query),
    /// A third-party skill, by id.
    Other(String),
}

/// The client.
#[derive(Debug, Clone)]
pub struct Llm {
    cfg: LlmConfig,
    http: reqwest::Client,
}

fn sites(vocab: &Vocabulary) -> Vec<String> {
    let mut s: Vec<String> = vocab.cameras.iter().filter_map(|c| c.site.clone()).collect();
    s.sort();
    s.dedup();
    s
}

fn string_enum(values: Vec<String>) -> Value {
    if values.is_empty() || values.len() > MAX_ENUM {
        json!({"type": "string", "maxLength": 120})
    } else {
        json!({"type": "string", "enum": values})
    }
}

/// The JSON Schema of a route's arguments, with the known names as enums.
pub fn arguments_schema(vocab: &Vocabulary) -> Value {
    let species: Vec<String> = vocab.species.iter().map(|s| s.common.clone()).collect();
    let mut places: Vec<String> = vocab.cameras.iter().map(|c| c.id.clone()).collect();
    places.extend(sites(vocab));
    json!({
        "type": "object",
        "properties": {
            "species": {"type": "array", "items": string_enum(species), "maxItems": 4,
                "description": "Species named in the question (common names)."},
            "places": {"type": "array", "items": string_enum(places), "maxItems": 4,
                "description": "Camera ids or site names named in the question."},
            "when": {"type": "string", "enum": WHEN, "description": "A relative time the question names."},
            "from": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                "description": "First local date asked about (YYYY-MM-DD), when the question names dates."},
            "to": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                "description": "Last local date asked about (YYYY-MM-DD), inclusive."},
            "individual": {"type": "string", "maxLength": 64, "description": "A marked individual's id, e.g. bear-F1."},
            "health": {"type": "string", "enum": HEALTH, "description": "A camera health state asked about."},
            "compare": {"type": "boolean", "description": "True when the question compares species or places."}
        },
        "additionalProperties": false
    })
}

/// The JSON Schema of a whole route: `{"name": operation, "arguments": {...}}`.
pub fn route_schema(ctx: &RouteContext<'_>) -> Value {
    let mut names: Vec<String> = ROUTES.iter().map(|(n, _, _)| (*n).to_string()).collect();
    names.extend(ctx.others.iter().map(|o| o.id.clone()));
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "enum": names},
            "arguments": arguments_schema(ctx.vocab)
        },
        "required": ["name", "arguments"],
        "additionalProperties": false
    })
}

fn system_prompt(ctx: &RouteContext<'_>) -> String {
    let mut s = String::from(
        "You route questions about wildlife trail-camera data to one operation. Reply only with JSON \
         {\"name\": operation, \"arguments\": {...}}.\nOperations:\n",
    );
    for (name, _, what) in ROUTES {
        s.push_str(&format!("- {name}: {what}\n"));
    }
    for o in ctx.others {
        s.push_str(&format!("- {}: {}\n", o.id, o.description));
    }
    let species: Vec<&str> = ctx.vocab.species.iter().map(|s| s.common.as_str()).collect();
    s.push_str(&format!("Species: {}.\n", species.join(", ")));
    let cams: Vec<&str> = ctx.vocab.cameras.iter().take(60).map(|c| c.id.as_str()).collect();
    s.push_str(&format!("Cameras: {}.\n", cams.join(", ")));
    s.push_str(&format!("Sites: {}.\n", sites(ctx.vocab).join(", ")));
    s.push_str(&format!(
        "Now is {} local time. Put relative times in \"when\"; dates as \"from\"/\"to\" (YYYY-MM-DD).",
        ctx.now.format("%Y-%m-%d %H:%M (%A)")
    ));
    s
}

/// Pulls `(name, arguments)` out of a chat-completions reply: a native tool call, else JSON in
/// the text (bare or in a code fence; `arguments` may also be called `parameters`).
pub fn extract_call(reply: &Value) -> Result<(String, Value), LlmError> {
    let message = reply
        .pointer("/choices/0/message")
        .ok_or_else(|| LlmError::Malformed("no choices[0].message in the reply".into()))?;
    if let Some(call) = message.pointer("/tool_calls/0/function") {
        let name = call["name"]
            .as_str()
            .ok_or_else(|| LlmError::Malformed("a tool call without a name".into()))?;
        let args = match &call["arguments"] {
            Value::String(s) if s.trim().is_empty() => json!({}),
            Value::String(s) => serde_json::from_str(s)
                .map_err(|e| LlmError::Malformed(format!("tool call arguments are not JSON ({e})")))?,
            Value::Object(_) => call["arguments"].clone(),
            Value::Null => json!({}),
            other => return Err(LlmError::Malformed(format!("tool call arguments are {other}"))),
        };
        return Ok((name.to_string(), args));
    }
    let text = message["content"].as_str().unwrap_or("");
    let finish = reply.pointer("/choices/0/finish_reason").and_then(Value::as_str);
    let v = json_in_text(text).map_err(|e| {
        if finish == Some("length") {
            LlmError::Malformed(format!("the reply was cut off at the token limit ({e})"))
        } else {
            LlmError::Malformed(e)
        }
    })?;
    let name = v
        .get("name")
        .or_else(|| v.get("tool"))
        .or_else(|| v.get("operation"))
        .and_then(Value::as_str)
        .ok_or_else(|| LlmError::Malformed(format!("no \"name\" in {}", clip(&v.to_string()))))?;
    let args = v
        .get("arguments")
        .or_else(|| v.get("parameters"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    Ok((name.to_string(), args))
}

fn clip(s: &str) -> String {
    if s.chars().count() > 160 {
        format!("{}...", s.chars().take(160).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The JSON object in a model's text: all of it, or the first ```json fence, or the span
/// from the first `{` to the last `}`.
fn json_in_text(text: &str) -> Result<Value, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the reply was empty".into());
    }
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(t) {
        return Ok(v);
    }
    let fenced = t.find("```").and_then(|start| {
        let body = &t[start + 3..];
        let body = body.strip_prefix("json").unwrap_or(body);
        body.find("```").map(|end| &body[..end])
    });
    if let Some(body) = fenced
        && let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(body.trim())
    {
        return Ok(v);
    }
    if let (Some(a), Some(b)) = (t.find('{'), t.rfind('}'))
        && a < b
        && let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&t[a..=b])
    {
        return Ok(v);
    }
    Err(format!("no JSON object in \"{}\"", clip(t)))
}

fn local_day(now: DateTime<FixedOffset>, d: NaiveDate) -> Result<DateTime<FixedOffset>, LlmError> {
    now.offset()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .ok_or_else(|| LlmError::Invalid(format!("no local midnight on {d}")))
}

/// Turns a route into a checked [`Route`]: the schema first, then every name against the
/// vocabulary and every date against the calendar. `previous` fills what a follow-up leaves
/// out.
pub fn validate(
    name: &str,
    args: &Value,
    ctx: &RouteContext<'_>,
    previous: Option<&Query>,
    follow_up: bool,
) -> Result<Route, LlmError> {
    let route = json!({"name": name, "arguments": args});
    let schema = route_schema(ctx);
    let validator = jsonschema::validator_for(&schema).map_err(|e| LlmError::Invalid(format!("route schema: {e}")))?;
    let problems: Vec<String> = validator
        .iter_errors(&route)
        .take(3)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if !problems.is_empty() {
        return Err(LlmError::Invalid(problems.join("; ")));
    }
    if ctx.others.iter().any(|o| o.id == name) {
        return Ok(Route::Other(name.to_string()));
    }
    let intent = ROUTES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, i, _)| *i)
        .ok_or_else(|| LlmError::Invalid(format!("unknown operation {name}")))?;
    let mut species = Vec::new();
    for s in args["species"].as_array().into_iter().flatten() {
        let s = s.as_str().unwrap_or_default().to_lowercase();
        let found = ctx
            .vocab
            .species
            .iter()
            .find(|k| k.common.to_lowercase() == s || k.scientific.to_lowercase() == s)
            .ok_or_else(|| LlmError::Invalid(format!("unknown species \"{s}\"")))?;
        if !species.contains(found) {
            species.push(found.clone());
        }
    }
    let mut places: Vec<Place> = Vec::new();
    for p in args["places"].as_array().into_iter().flatten() {
        let p = p.as_str().unwrap_or_default();
        let found = ctx.vocab.places_in(p);
        let exact = found.into_iter().find(|f| {
            f.site.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(p))
                || (f.site.is_none() && f.cameras.iter().any(|c| c.eq_ignore_ascii_case(p)))
        });
        match exact {
            Some(place) if !places.contains(&place) => places.push(place),
            Some(_) => {}
            None => return Err(LlmError::Invalid(format!("unknown camera or site \"{p}\""))),
        }
    }
    let prev_window = previous.and_then(|p| p.window.as_ref());
    let date = |key: &str| -> Result<Option<NaiveDate>, LlmError> {
        match args[key].as_str() {
            None => Ok(None),
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| LlmError::Invalid(format!("\"{key}\": {s} is not a date"))),
        }
    };
    let (from, to) = (date("from")?, date("to")?);
    let window = match (from, to) {
        (Some(f), t) => {
            let t = t.unwrap_or(f);
            if t < f {
                return Err(LlmError::Invalid(format!("\"to\" {t} is before \"from\" {f}")));
            }
            if (t - f).num_days() > 3660 {
                return Err(LlmError::Invalid(format!("{f} to {t} spans more than ten years")));
            }
            Some(Window {
                from: local_day(ctx.now, f)?,
                to: local_day(ctx.now, t + chrono::Duration::days(1))?,
                label: if f == t {
                    format!("on {f}")
                } else {
                    format!("from {f} to {t}")
                },
            })
        }
        (None, Some(t)) => Some(Window {
            from: local_day(ctx.now, t)?,
            to: local_day(ctx.now, t + chrono::Duration::days(1))?,
            label: format!("on {t}"),
        }),
        (None, None) => match args["when"].as_str() {
            None | Some("any time") => None,
            Some(w) => Some(
                time::parse(w, ctx.now, prev_window)
                    .ok_or_else(|| LlmError::Invalid(format!("\"when\": cannot read \"{w}\"")))?,
            ),
        },
    };
    let individual = args["individual"]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let health = args["health"].as_str().map(str::to_string);
    let compare = args["compare"].as_bool().unwrap_or(false) && (species.len() >= 2 || places.len() >= 2);
    let keep = follow_up.then_some(previous).flatten();
    let q = Query {
        intent,
        species: if species.is_empty() {
            keep.map(|p| p.species.clone()).unwrap_or_default()
        } else {
            species
        },
        places: if places.is_empty() {
            keep.map(|p| p.places.clone()).unwrap_or_default()
        } else {
            places
        },
        window: window.or_else(|| keep.and_then(|p| p.window.clone())),
        individual: individual.or_else(|| keep.and_then(|p| p.individual.clone())),
        health,
        compare,
        compare_windows: Vec::new(),
    };
    // What the plan needs, asked for here so the built-in router can take over.
    if matches!(
        intent,
        Intent::Rai | Intent::Diel | Intent::Occupancy | Intent::Migration
    ) && q.species.is_empty()
    {
        return Err(LlmError::Invalid(format!(
            "{name} needs a species and the route named none"
        )));
    }
    if intent == Intent::Overlap && q.species.len() < 2 {
        return Err(LlmError::Invalid("activity_overlap needs two species".into()));
    }
    Ok(Route::Query(q))
}

/// Numbers in a text ("12", "3.5", "1,204" as 1204), for checking prose against facts.
pub fn numbers_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() || (!cur.is_empty() && (c == '.' || c == ',') && next_digit) {
            if c != ',' {
                cur.push(c);
            }
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Prose may say only numbers that the facts or the question contain, and must say
/// something.
pub fn check_prose(prose: &str, facts: &str, question: &str) -> Result<String, LlmError> {
    let p = prose.trim();
    if p.is_empty() {
        return Err(LlmError::Prose("it was empty".into()));
    }
    if p.chars().count() > 2000 {
        return Err(LlmError::Prose("it was longer than 2000 characters".into()));
    }
    if p.contains("```") || p.starts_with('{') {
        return Err(LlmError::Prose("it was code or JSON, not prose".into()));
    }
    let known: Vec<String> = numbers_in(facts).into_iter().chain(numbers_in(question)).collect();
    let invented: Vec<String> = numbers_in(p).into_iter().filter(|n| !known.contains(n)).collect();
    if !invented.is_empty() {
        return Err(LlmError::Prose(format!(
            "it gave numbers the agents did not: {}",
            invented.join(", ")
        )));
    }
    Ok(p.to_string())
}

impl Llm {
    /// A client for `cfg`.
    pub fn new(cfg: LlmConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(cfg.timeout_ms.max(1)))
            .build()
            .unwrap_or_default();
        Self { cfg, http }
    }

    /// The configuration.
    pub fn config(&self) -> &LlmConfig {
        &self.cfg
    }

    async fn complete(&self, body: Value) -> Result<Value, LlmError> {
        let url = format!("{}/chat/completions", self.cfg.base_url.trim_end_matches('/'));
        let mut req = self.http.post(&url).json(&body);
        if let Some(key) = &self.cfg.api_key {
            req = req.bearer_auth(key);
        }
        let resp = req.send().await.map_err(|e| {
            LlmError::Unreachable(if e.is_timeout() {
                format!("no reply from {url} within {} ms", self.cfg.timeout_ms)
            } else {
                format!("{url}: {e}")
            })
        })?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            return Err(LlmError::Unreachable(format!(
                "{url} answered {status}: {}",
                clip(&text)
            )));
        }
        resp.json::<Value>()
            .await
            .map_err(|e| LlmError::Malformed(format!("the reply body was not JSON ({e})")))
    }

    /// Asks the model for a route, then validates it.
    pub async fn route(
        &self,
        question: &str,
        ctx: &RouteContext<'_>,
        previous: Option<&Query>,
        follow_up: bool,
    ) -> Result<(Route, Value), LlmError> {
        let mut messages = vec![json!({"role": "system", "content": system_prompt(ctx)})];
        if let Some(prev) = ctx.previous_question {
            messages.push(json!({"role": "user", "content": format!("(Earlier question: {prev})")}));
        }
        messages.push(json!({"role": "user", "content": question}));
        let mut body = json!({
            "model": self.cfg.model,
            "messages": messages,
            "max_tokens": self.cfg.max_tokens,
            "temperature": 0,
            "seed": 7,
        });
        match self.cfg.mode {
            LlmMode::JsonSchema => {
                body["response_format"] = json!({
                    "type": "json_schema",
                    "json_schema": {"name": "route", "strict": true, "schema": route_schema(ctx)}
                });
            }
            LlmMode::Tools => {
                let params = arguments_schema(ctx.vocab);
                let mut tools: Vec<Value> = ROUTES
                    .iter()
                    .map(|(n, _, what)| json!({"type": "function", "function": {"name": n, "description": what, "parameters": params}}))
                    .collect();
                tools.extend(ctx.others.iter().map(|o| {
                    json!({"type": "function", "function": {"name": o.id, "description": o.description,
                        "parameters": {"type": "object", "properties": {}}}})
                }));
                body["tools"] = Value::Array(tools);
                body["tool_choice"] = json!("required");
            }
        }
        let reply = self.complete(body).await?;
        let (name, args) = extract_call(&reply)?;
        let route = validate(&name, &args, ctx, previous, follow_up)?;
        Ok((route, json!({"name": name, "arguments": args})))
    }

    /// Asks the model to say the facts as prose, then checks it.
    pub async fn write(&self, question: &str, facts: &str) -> Result<String, LlmError> {
        let body = json!({
            "model": self.cfg.model,
            "messages": [
                {"role": "system", "content": "Answer the question in one to three plain sentences, using only the facts given. \
                    Copy every number exactly as written in the facts; add no other numbers."},
                {"role": "user", "content": format!("Question: {question}\nFacts:\n{facts}")}
            ],
            "max_tokens": self.cfg.max_tokens,
            "temperature": 0,
            "seed": 7,
        });
        let reply = self.complete(body).await?;
        let text = reply
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .ok_or_else(|| LlmError::Malformed("no choices[0].message.content in the reply".into()))?;
        check_prose(text, facts, question)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::understand::{CameraName, SpeciesName};

    fn vocab() -> Vocabulary {
        Vocabulary {
            species: vec![
                SpeciesName {
                    scientific: "Cervus canadensis".into(),
                    common: "elk".into(),
                },
                SpeciesName {
                    scientific: "Odocoileus hemionus".into(),
                    common: "mule deer".into(),
                },
            ],
            cameras: vec![
                CameraName {
                    id: "CREEK-01".into(),
                    name: "Creek crossing".into(),
                    site: Some("Willow Creek".into()),
                },
                CameraName {
                    id: "RIDGE-02".into(),
                    name: "Saddle".into(),
                    site: Some("North Ridge".into()),
                },
            ],
        }
    }

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-07-15T10:00:00-06:00").unwrap()
    }

    fn ctx<'a>(v: &'a Vocabulary, others: &'a [OtherSkill]) -> RouteContext<'a> {
        RouteContext {
            vocab: v,
            now: now(),
            previous_question: None,
            others,
        }
    }

    fn reply_with_text(text: &str) -> Value {
        json!({"choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})
    }

    #[test]
    fn every_when_phrase_is_understood() {
        for w in WHEN.iter().filter(|w| **w != "any time") {
            assert!(time::parse(w, now(), None).is_some(), "{w}");
        }
    }

    #[test]
    fn calls_come_from_tool_calls_bare_json_and_fences() {
        let native = json!({"choices": [{"message": {"role": "assistant", "content": null,
            "tool_calls": [{"type": "function", "function": {"name": "rai", "arguments": "{\"species\":[\"elk\"]}"}}]}}]});
        assert_eq!(
            extract_call(&native).unwrap(),
            ("rai".into(), json!({"species": ["elk"]}))
        );
        let bare = reply_with_text("{\"name\": \"rai\", \"arguments\": {\"species\": [\"elk\"]}}");
        assert_eq!(extract_call(&bare).unwrap().0, "rai");
        let fenced = reply_with_text(
            "Sure!\n```json\n{\"name\": \"trails\", \"parameters\": {\"individual\": \"bear-F1\"}}\n```",
        );
        assert_eq!(
            extract_call(&fenced).unwrap(),
            ("trails".into(), json!({"individual": "bear-F1"}))
        );
        let cut = json!({"choices": [{"message": {"content": "{\"name\": \"ra"}, "finish_reason": "length"}]});
        let e = extract_call(&cut).unwrap_err();
        assert!(e.to_string().contains("cut off at the token limit"), "{e}");
        assert!(matches!(
            extract_call(&reply_with_text("I think elk")),
            Err(LlmError::Malformed(_))
        ));
        assert!(matches!(
            extract_call(&json!({"error": "x"})),
            Err(LlmError::Malformed(_))
        ));
    }

    #[test]
    fn routes_are_checked_against_schema_vocabulary_and_calendar() {
        let v = vocab();
        let c = ctx(&v, &[]);
        let Route::Query(q) = validate(
            "find_events",
            &json!({"species": ["elk"], "places": ["CREEK-01"], "from": "2026-07-01", "to": "2026-07-03"}),
            &c,
            None,
            false,
        )
        .unwrap() else {
            panic!("not a query")
        };
        assert_eq!(q.intent, Intent::Events);
        assert_eq!(q.species[0].scientific, "Cervus canadensis");
        assert_eq!(q.places[0].cameras, vec!["CREEK-01".to_string()]);
        let w = q.window.unwrap();
        assert_eq!(w.from.to_rfc3339(), "2026-07-01T00:00:00-06:00");
        assert_eq!(w.to.to_rfc3339(), "2026-07-04T00:00:00-06:00");
        let Route::Query(q) = validate(
            "sightings",
            &json!({"places": ["North Ridge"], "when": "last week"}),
            &c,
            None,
            false,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(q.places[0].site.as_deref(), Some("North Ridge"));
        assert_eq!(q.window.unwrap().label, "last week");
        for (name, args, says) in [
            ("find_events", json!({"species": ["wolf"]}), "wolf"),
            ("drop_tables", json!({}), "drop_tables"),
            ("find_events", json!({"places": ["MOON-9"]}), "MOON-9"),
            ("find_events", json!({"from": "2026-02-30"}), "2026-02-30"),
            (
                "find_events",
                json!({"from": "2026-07-05", "to": "2026-07-01"}),
                "before",
            ),
            ("find_events", json!({"colour": "red"}), "colour"),
            ("rai", json!({}), "needs a species"),
            ("activity_overlap", json!({"species": ["elk"]}), "two species"),
        ] {
            let e = validate(name, &args, &c, None, false).unwrap_err();
            assert!(matches!(e, LlmError::Invalid(_)), "{name} {args}: {e}");
            assert!(e.to_string().contains(says), "{name} {args}: {e}");
        }
    }

    #[test]
    fn a_follow_up_keeps_what_it_does_not_replace() {
        let v = vocab();
        let c = ctx(&v, &[]);
        let Route::Query(prev) = validate(
            "find_events",
            &json!({"species": ["elk"], "places": ["CREEK-01"]}),
            &c,
            None,
            false,
        )
        .unwrap() else {
            panic!()
        };
        let Route::Query(q) = validate("find_events", &json!({"when": "yesterday"}), &c, Some(&prev), true).unwrap()
        else {
            panic!()
        };
        assert_eq!(q.species, prev.species);
        assert_eq!(q.places, prev.places);
        assert_eq!(q.window.unwrap().label, "yesterday");
    }

    #[test]
    fn third_party_skills_are_routes() {
        let v = vocab();
        let others = [OtherSkill {
            id: "weather".into(),
            description: "Weather at the cameras".into(),
        }];
        let c = ctx(&v, &others);
        assert_eq!(
            validate("weather", &json!({}), &c, None, false).unwrap(),
            Route::Other("weather".into())
        );
        let names = route_schema(&c)["properties"]["name"]["enum"].clone();
        assert!(names.as_array().unwrap().contains(&json!("weather")));
    }

    #[test]
    fn prose_may_not_invent_numbers() {
        let facts = "12 elk event(s) at CREEK-01 on 2026-07-01; busiest hour 6.";
        assert!(check_prose("There were 12 elk visits at CREEK-01 on 2026-07-01.", facts, "q").is_ok());
        let e = check_prose("There were 13 elk visits.", facts, "q").unwrap_err();
        assert!(e.to_string().contains("13"), "{e}");
        assert!(check_prose("  ", facts, "q").is_err());
        assert!(check_prose("{\"a\": 12}", facts, "q").is_err());
        assert_eq!(
            numbers_in("1,204 events, 3.5 per 100; RIDGE-02"),
            vec!["1204", "3.5", "100", "02"]
        );
    }
}
