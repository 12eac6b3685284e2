//! Optional event descriptions by a vision-language model (`[vision.describe]`).
//!
//! After an event is stored, its first, best and last frames and the track facts go to an
//! OpenAI-compatible chat-completions endpoint, asking for JSON under a schema (species,
//! count, behaviours, one sentence; constrained decoding where the server supports
//! `response_format: json_schema`). The answer is checked against that schema and then for
//! sense (a scientific name that looks like one, known behaviour labels); an invalid answer
//! or a failed call is tried again up to `attempts` times, then dropped with a log line. A
//! valid one goes to [`Store::describe_event`], which fills in the species and behaviours only
//! where nothing else labelled the event.
//!
//! Nothing here can slow the pipeline: [`Describer::offer`] never waits (a full queue drops
//! the event and counts it), and one worker task sends one request at a time, so a slow
//! model costs descriptions, not detections.

use anyhow::{Context, Result, anyhow};
use base64::Engine as _;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use trailmesh_core::Store;
use trailmesh_core::model::{Behaviour, Event, Species, Track};
use trailmesh_core::store::EventDescription;
use trailmesh_vision::config::DescribeConfig;
use trailmesh_vision::pipeline::EventFrames;

/// One stored event to describe.
#[derive(Debug, Clone)]
pub struct DescribeJob {
    /// The event as stored.
    pub event: Event,
    /// Its tracks (heading and speed).
    pub tracks: Vec<Track>,
    /// Its first, best and last frames as JPEGs (none when `images` is off).
    pub frames: EventFrames,
}

/// Counters of a [`Describer`].
#[derive(Debug, Default)]
pub struct DescribeStats {
    /// Events described and stored.
    pub described: AtomicU64,
    /// Events given up on (the server refused, failed or answered invalidly every time).
    pub failed: AtomicU64,
    /// Events dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Answers that failed validation (each one retried or given up on).
    pub invalid_answers: AtomicU64,
    /// The last failure, for the log and the tests.
    pub last_error: std::sync::Mutex<Option<String>>,
}

/// The describing worker's front: cheap to clone, never blocks.
#[derive(Debug, Clone)]
pub struct Describer {
    tx: tokio::sync::mpsc::Sender<DescribeJob>,
    stats: Arc<DescribeStats>,
}

impl Describer {
    /// Starts the worker on the current Tokio runtime.
    pub fn start(cfg: DescribeConfig, store: Store) -> Result<Describer> {
        let client = http_client(&cfg)?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<DescribeJob>(cfg.queue);
        let stats = Arc::new(DescribeStats::default());
        let worker_stats = stats.clone();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                describe_and_store(&client, &cfg, &store, &job, &worker_stats).await;
            }
        });
        Ok(Describer { tx, stats })
    }

    /// Queues an event; drops it (and counts it) when the queue is full.
    pub fn offer(&self, job: DescribeJob) -> bool {
        match self.tx.try_send(job) {
            Ok(()) => true,
            Err(e) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                let why = match e {
                    tokio::sync::mpsc::error::TrySendError::Full(_) => "the queue is full",
                    tokio::sync::mpsc::error::TrySendError::Closed(_) => "the describer stopped",
                };
                tracing::warn!("an event was not described: {why} (vision.describe.queue)");
                false
            }
        }
    }

    /// Counters since the start.
    pub fn stats(&self) -> &DescribeStats {
        &self.stats
    }
}

/// Describes the events of an import, one request at a time (an import can wait for the
/// model; a live stream cannot), skipping those already described (an import repeated).
/// Failures are counted and logged, never fatal: the import itself is already in.
pub async fn describe_imported(
    store: &Store,
    cfg: &DescribeConfig,
    events: Vec<(String, EventFrames)>,
    progress: &dyn trailmesh_core::import::Progress,
) -> Result<Arc<DescribeStats>> {
    let client = http_client(cfg)?;
    let stats = Arc::new(DescribeStats::default());
    progress.phase(&format!("describing events with {}", cfg.model), events.len() as u64);
    for (id, frames) in events {
        progress.advance(1);
        let Some(event) = store.event(&id).await? else { continue };
        let undescribed = event
            .description
            .as_deref()
            .is_none_or(|d| d.starts_with(trailmesh_vision::pipeline::UNDESCRIBED));
        if !undescribed {
            continue;
        }
        let tracks = store.tracks(Some(&id)).await?;
        let job = DescribeJob { event, tracks, frames };
        describe_and_store(&client, cfg, store, &job, &stats).await;
    }
    progress.finish();
    Ok(stats)
}

fn http_client(cfg: &DescribeConfig) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs_f64(cfg.timeout_s))
        .build()
        .context("building the HTTP client for vision.describe")
}

/// Describes one event and stores the description; a failure is counted and logged.
async fn describe_and_store(
    client: &reqwest::Client,
    cfg: &DescribeConfig,
    store: &Store,
    job: &DescribeJob,
    stats: &DescribeStats,
) {
    let id = &job.event.id;
    match describe(client, cfg, job, stats).await {
        Ok(d) => match store.describe_event(&d).await {
            Ok(_) => {
                stats.described.fetch_add(1, Ordering::Relaxed);
                tracing::info!("event {id} described by {}: {}", cfg.model, d.sentence);
            }
            Err(e) => fail(stats, format!("event {id}: storing the description failed: {e}")),
        },
        Err(e) => fail(stats, format!("event {id}: no description from {}: {e:#}", cfg.model)),
    }
}

fn fail(stats: &DescribeStats, message: String) {
    tracing::warn!("{message}");
    stats.failed.fetch_add(1, Ordering::Relaxed);
    *stats.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(message);
}

/// The JSON Schema the model answers under (portable: no `$ref`, no nullable types).
pub fn answer_schema() -> Value {
    let behaviours: Vec<&str> = Behaviour::ALL.iter().map(|b| b.as_str()).collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["species", "common_name", "count", "behaviours", "sentence"],
        "properties": {
            "species": {
                "type": "string",
                "maxLength": 80,
                "description": "Scientific name (Genus species), or \"unknown\" when it cannot be told from the pictures."
            },
            "common_name": {"type": "string", "maxLength": 80, "description": "English common name, or \"unknown\"."},
            "count": {"type": "integer", "minimum": 0, "maximum": 500, "description": "Animals visible at once."},
            "behaviours": {
                "type": "array",
                "maxItems": 4,
                "items": {"type": "string", "enum": behaviours},
                "description": "What the animals are doing, dominant first."
            },
            "sentence": {"type": "string", "minLength": 3, "maxLength": 300, "description": "One plain sentence describing the event."}
        }
    })
}

/// Why an answer was not accepted.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidAnswer(String);

/// Checks a model's answer text: JSON (bare or fenced) that validates against
/// [`answer_schema`], a species that reads as a scientific name (or "unknown"). Without
/// images the species is not believed and left unknown.
pub fn parse_answer(text: &str, images_sent: bool) -> Result<(Option<Species>, Vec<Behaviour>, String), InvalidAnswer> {
    let start = text.find('{');
    let end = text.rfind('}');
    let (Some(start), Some(end)) = (start, end) else {
        return Err(InvalidAnswer(format!(
            "no JSON object in the answer: {:.120}",
            text.trim()
        )));
    };
    if end < start {
        return Err(InvalidAnswer("no JSON object in the answer".into()));
    }
    let value: Value = serde_json::from_str(&text[start..=end])
        .map_err(|e| InvalidAnswer(format!("the answer is not valid JSON: {e}")))?;
    let schema = answer_schema();
    let validator = jsonschema::validator_for(&schema).map_err(|e| InvalidAnswer(format!("schema: {e}")))?;
    if let Some(e) = validator.iter_errors(&value).next() {
        return Err(InvalidAnswer(format!(
            "the answer does not fit the schema at '{}': {e}",
            e.instance_path()
        )));
    }
    let sentence = value["sentence"].as_str().unwrap_or_default().trim().to_string();
    if sentence.len() < 3 {
        return Err(InvalidAnswer("the sentence is empty".into()));
    }
    let behaviours: Vec<Behaviour> = value["behaviours"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b.as_str()?.parse().ok())
        .fold(Vec::new(), |mut v, b| {
            if !v.contains(&b) {
                v.push(b);
            }
            v
        });
    let name = value["species"].as_str().unwrap_or_default().trim();
    let species = if !images_sent || name.is_empty() || name.eq_ignore_ascii_case("unknown") {
        None
    } else if looks_scientific(name) {
        let common = value["common_name"].as_str().unwrap_or_default().trim();
        Some(Species {
            scientific_name: name.to_string(),
            common_name: (!common.is_empty() && !common.eq_ignore_ascii_case("unknown")).then(|| common.to_string()),
            taxon_rank: Some(if name.contains(' ') { "species" } else { "genus" }.to_string()),
        })
    } else {
        return Err(InvalidAnswer(format!(
            "species '{name}' is not a scientific name (Genus species) or \"unknown\""
        )));
    };
    Ok((species, behaviours, sentence))
}

/// `Genus` or `Genus species` (optionally a subspecies): letters only, the genus capitalised.
fn looks_scientific(name: &str) -> bool {
    let words: Vec<&str> = name.split(' ').collect();
    let lower = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    (1..=3).contains(&words.len())
        && words[0].len() >= 2
        && words[0].chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && lower(&words[0][1..])
        && words[1..].iter().all(|w| lower(w))
}

/// What the detector and tracker know, in words the model can use.
fn facts(job: &DescribeJob, images: usize) -> String {
    let e = &job.event;
    let secs = (e.end - e.start).num_milliseconds() as f64 / 1000.0;
    let mut text = format!(
        "A trail camera ({}) recorded an event from {} to {} UTC ({secs:.1} s). The detector saw up to {} animal(s) at once, in {} track(s).",
        e.camera_id,
        e.start.format("%Y-%m-%d %H:%M:%S"),
        e.end.format("%H:%M:%S"),
        e.count.unwrap_or(1),
        job.tracks.len().max(1),
    );
    for (i, t) in job.tracks.iter().enumerate().take(6) {
        if let (Some(h), Some(s)) = (t.heading_deg, t.speed) {
            text.push_str(&format!(
                " Track {}: {} frames, heading {h:.0} degrees (0 = up the frame, 90 = right), speed {s:.2} frame widths per second.",
                i + 1,
                t.frames
            ));
        }
    }
    if images > 0 {
        text.push_str(&format!(
            " {images} frame(s) of the event follow (first, best, last). Name the species only if you can see it."
        ));
    } else {
        text.push_str(" No pictures are available: describe the movement only and answer \"unknown\" for the species.");
    }
    text
}

fn jpeg_data_url(jpeg: &[u8]) -> String {
    format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    )
}

/// The chat-completions request for one event.
pub fn request(cfg: &DescribeConfig, job: &DescribeJob) -> Value {
    let frames: &[Vec<u8>] = if cfg.images { &job.frames } else { &[] };
    let mut content = vec![json!({"type": "text", "text": facts(job, frames.len())})];
    for f in frames {
        content.push(json!({"type": "image_url", "image_url": {"url": jpeg_data_url(f)}}));
    }
    json!({
        "model": cfg.model,
        "temperature": 0,
        "max_tokens": 300,
        "messages": [
            {"role": "system", "content": "You describe wildlife camera-trap events for field biologists. Answer with one JSON object only, with the keys species, common_name, count, behaviours and sentence."},
            {"role": "user", "content": content}
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "event_description", "strict": true, "schema": answer_schema()}
        }
    })
}

/// Asks the model about one event, retrying failed calls and invalid answers.
pub async fn describe(
    client: &reqwest::Client,
    cfg: &DescribeConfig,
    job: &DescribeJob,
    stats: &DescribeStats,
) -> Result<EventDescription> {
    let body = request(cfg, job);
    let url = format!("{}/chat/completions", cfg.url.trim_end_matches('/'));
    let key = cfg.api_key_env.as_deref().and_then(|v| std::env::var(v).ok());
    let images_sent = cfg.images && !job.frames.is_empty();
    let mut last = anyhow!("no attempt made");
    for attempt in 1..=cfg.attempts {
        let mut req = client.post(&url).json(&body);
        if let Some(k) = &key {
            req = req.bearer_auth(k);
        }
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                last = anyhow!("{url}: {e}");
                continue;
            }
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| text.chars().take(200).collect());
            last = anyhow!("{url} answered {status}: {message}");
            if status.is_client_error() {
                // The request itself is wrong for this server (e.g. images to a text-only
                // model): asking again gets the same answer.
                break;
            }
            continue;
        }
        let content = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["choices"][0]["message"]["content"].as_str().map(str::to_string))
            .unwrap_or_default();
        match parse_answer(&content, images_sent) {
            Ok((species, behaviours, sentence)) => {
                return Ok(EventDescription {
                    event_id: job.event.id.clone(),
                    species,
                    behaviours,
                    sentence,
                    model: cfg.model.clone(),
                    confidence: None,
                });
            }
            Err(e) => {
                stats.invalid_answers.fetch_add(1, Ordering::Relaxed);
                tracing::debug!("event {}: attempt {attempt}: {e}", job.event.id);
                last = anyhow!("invalid answer: {e}");
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_answers_are_taken_and_invalid_ones_say_why() {
        let ok = r#"```json
{"species": "Odocoileus virginianus", "common_name": "white-tailed deer", "count": 1,
 "behaviours": ["travelling", "vigilance", "travelling"], "sentence": "A deer walks right."}
```"#;
        let (species, behaviours, sentence) = parse_answer(ok, true).unwrap();
        assert_eq!(species.unwrap().scientific_name, "Odocoileus virginianus");
        assert_eq!(behaviours, vec![Behaviour::Travelling, Behaviour::Vigilance]);
        assert_eq!(sentence, "A deer walks right.");
        // Without pictures the species is not believed.
        assert!(parse_answer(ok, false).unwrap().0.is_none());

        let bad = |text: &str, needle: &str| {
            let e = parse_answer(text, true).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        };
        bad("a deer, probably", "no JSON object");
        bad("{\"species\": \"x\"", "no JSON object");
        bad(
            r#"{"species": "Vulpes vulpes", "common_name": "fox", "count": 1, "behaviours": ["dancing"], "sentence": "A fox."}"#,
            "/behaviours/0",
        );
        bad(
            r#"{"species": "Vulpes vulpes", "common_name": "fox", "count": -2, "behaviours": [], "sentence": "A fox."}"#,
            "/count",
        );
        bad(
            r#"{"species": "Vulpes vulpes", "common_name": "fox", "count": 1, "behaviours": []}"#,
            "sentence",
        );
        bad(
            r#"{"species": "red fox!", "common_name": "fox", "count": 1, "behaviours": [], "sentence": "A fox."}"#,
            "not a scientific name",
        );
        let unknown = r#"{"species": "unknown", "common_name": "unknown", "count": 1, "behaviours": [], "sentence": "Something moved."}"#;
        assert!(parse_answer(unknown, true).unwrap().0.is_none());
    }

    #[test]
    fn scientific_names_are_told_from_other_text() {
        for ok in ["Vulpes", "Vulpes vulpes", "Canis lupus familiaris", "Procyon lotor"] {
            assert!(looks_scientific(ok), "{ok}");
        }
        for bad in [
            "vulpes vulpes",
            "Red Fox",
            "V",
            "Vulpes vulpes vulpes x",
            "Vulpes 2",
            "",
        ] {
            assert!(!looks_scientific(bad), "{bad}");
        }
    }
}
