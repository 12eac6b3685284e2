//! # trailmesh orchestrator
//!
//! Answers people's questions by delegating to A2A agents it discovers from their cards:
//!
//! 1. [`registry`]: the agents (card URLs from the configuration), re-read with ETag, called
//!    with a per-call timeout; "who offers skill X?" is asked of the cards.
//! 2. [`understand`] and [`time`]: the built-in, rule-based reading of a question (species,
//!    cameras and sites learned from the agents, time expressions, comparisons, follow-ups).
//! 3. [`plan`]: the delegated calls of a question, run in parallel, and the answer composed
//!    from the numbers they return, naming the agents and the events relied on.
//! 4. [`llm`]: optional help from a language model (OpenAI-compatible endpoint) that routes
//!    questions under a JSON Schema and writes prose; every output is validated and any
//!    failure falls back to the built-in router, saying why.
//! 5. [`api`]: the HTTP API (`/v1/chat` with SSE, conversations, cameras, events, agents,
//!    reports, health, OpenAPI) and the orchestrator's own A2A endpoint, on one port.
//!
//! It never links a skill library: every skill is reached over A2A, so any agent can live on
//! another machine and a third-party agent plugs in through the configuration.

mod a2a;
pub mod api;
pub mod config;
pub mod llm;
pub mod plan;
pub mod registry;
pub mod report;
pub mod time;
pub mod understand;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use a2a_protocol::types::Part;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use trailmesh_core::Store;

pub use config::OrchestratorConfig;
use plan::{BUILT_IN_OPERATIONS, StepOutput};
use registry::{CallFailure, Registry};
use understand::{CameraName, Query, SpeciesName, Vocabulary};

/// One delegated call, as reported with an answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentUse {
    /// Agent name (from its card).
    pub agent: String,
    /// Operation (A2A skill id) asked for.
    pub operation: String,
    /// `ok`, `unreachable`, `failed` or `no-agent`.
    pub status: String,
    /// The A2A task id at the agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// What went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Milliseconds the call took.
    pub ms: u64,
}

/// The typed result of one call, as returned with an answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataItem {
    /// Agent name.
    pub agent: String,
    /// Operation.
    pub operation: String,
    /// Arguments sent.
    pub arguments: Value,
    /// What the agent returned (its data part), or its text.
    pub result: Value,
}

/// The answer to one message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatAnswer {
    /// The conversation (pass it back for follow-ups).
    pub conversation_id: String,
    /// The answer in words, with numbers and sources.
    pub answer: String,
    /// The data the answer rests on.
    pub data: Vec<DataItem>,
    /// The agents asked.
    pub agents: Vec<AgentUse>,
    /// Event ids the answer relied on.
    pub events: Vec<String>,
    /// Who planned and wrote the answer (the built-in router or the language model).
    #[serde(default)]
    pub router: RouterUse,
}

/// Who planned and wrote an answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RouterUse {
    /// `built-in`, `llm`, or `mixed` (some parts each way).
    pub planner: String,
    /// `built-in` or `llm` (the prose).
    pub writer: String,
    /// Why the language model's output was not used, when one is configured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallbacks: Vec<String>,
    /// The routes the model gave (as it gave them), for the parts it planned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Value>,
}

impl Default for RouterUse {
    fn default() -> Self {
        Self {
            planner: "built-in".into(),
            writer: "built-in".into(),
            fallbacks: Vec::new(),
            routes: Vec::new(),
        }
    }
}

/// Progress of an answer, for streaming.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ChatEvent {
    /// The plan: what will be asked of whom.
    Plan {
        /// The question part.
        question: String,
        /// Operations to call.
        steps: Vec<plan::Step>,
    },
    /// A call went out.
    AgentCall {
        /// Agent.
        agent: String,
        /// Operation.
        operation: String,
    },
    /// A call came back.
    AgentResult(AgentUse),
    /// The language model was asked (`stage`: `plan` or `write`; `status`: `ok` or
    /// `fallback`, with the reason in `detail`).
    Model {
        /// `plan` or `write`.
        stage: String,
        /// `ok` or `fallback`.
        status: String,
        /// The route given, or why it was not used.
        detail: Value,
    },
    /// The answer.
    Answer(ChatAnswer),
}

/// One turn of a conversation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Turn {
    /// What was asked.
    pub question: String,
    /// What was answered.
    pub answer: String,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// What was understood (the context of follow-ups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<Query>,
    /// Agents asked.
    #[serde(default)]
    pub agents: Vec<AgentUse>,
}

/// A conversation, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// Its id.
    pub id: String,
    /// Turns, oldest first.
    pub turns: Vec<Turn>,
}

impl Conversation {
    fn last_query(&self) -> Option<&Query> {
        self.turns.iter().rev().find_map(|t| t.query.as_ref())
    }
}

#[derive(Debug, Default)]
struct Learned {
    vocab: Vocabulary,
    now_override: Option<DateTime<FixedOffset>>,
    offset: Option<FixedOffset>,
}

/// The orchestrator: registry, learned vocabulary, conversations.
#[derive(Debug, Clone)]
pub struct Orchestrator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    store: Store,
    config: OrchestratorConfig,
    learned: RwLock<Learned>,
    learning: tokio::sync::Mutex<()>,
    llm: Option<llm::Llm>,
}

/// Is the question too long to be a question?
pub const MAX_MESSAGE_CHARS: usize = 4000;

impl Orchestrator {
    /// An orchestrator using the agents at `agent_urls` (plus the configured ones), keeping
    /// conversations in `store`.
    pub fn new(store: Store, config: OrchestratorConfig, agent_urls: &[String]) -> Self {
        let registry = Registry::new(Duration::from_millis(config.agent_timeout_ms.max(1)));
        for url in agent_urls.iter().chain(config.agents.iter()) {
            registry.add(url);
        }
        Self {
            inner: Arc::new(Inner {
                registry,
                store,
                learned: RwLock::new(Learned::default()),
                learning: tokio::sync::Mutex::new(()),
                llm: config.llm.clone().map(llm::Llm::new),
                config,
            }),
        }
    }

    /// The agents.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The configuration.
    pub fn config(&self) -> &OrchestratorConfig {
        &self.inner.config
    }

    /// Reads every card and learns the vocabulary (species, cameras) and "now".
    pub async fn refresh(&self) {
        self.inner.registry.refresh_all().await;
        self.learn().await;
    }

    /// Re-reads cards and vocabulary every `refresh_seconds` until `stop` fires.
    pub fn spawn_refresher(&self, stop: tokio_util::sync::CancellationToken) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        let every = Duration::from_secs(self.inner.config.refresh_seconds.max(1));
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(every) => me.refresh().await,
                }
            }
        })
    }

    /// Calls `operation` on whichever agent offers it.
    pub async fn delegate(&self, operation: &str, arguments: Value) -> (AgentUse, Option<Value>) {
        let started = Instant::now();
        let Some(entry) = self.inner.registry.offering(operation) else {
            return (
                AgentUse {
                    agent: "none".into(),
                    operation: operation.into(),
                    status: "no-agent".into(),
                    task_id: None,
                    error: Some(format!("no known agent offers '{operation}'")),
                    ms: 0,
                },
                None,
            );
        };
        let part = Part::data(json!({"operation": operation, "arguments": arguments}));
        let result = self.inner.registry.call(&entry, vec![part], None).await;
        let ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(out) => (
                AgentUse {
                    agent: entry.name(),
                    operation: operation.into(),
                    status: "ok".into(),
                    task_id: out.task_id,
                    error: None,
                    ms,
                },
                Some(out.data.unwrap_or(Value::String(out.text))),
            ),
            Err(e) => (
                AgentUse {
                    agent: entry.name(),
                    operation: operation.into(),
                    status: match e {
                        CallFailure::Unreachable { .. } => "unreachable",
                        CallFailure::Failed { .. } => "failed",
                    }
                    .into(),
                    task_id: None,
                    error: Some(e.to_string()),
                    ms,
                },
                None,
            ),
        }
    }

    async fn learn(&self) {
        let _guard = self.inner.learning.lock().await;
        let (cams, species, newest) = tokio::join!(
            self.delegate("list_cameras", json!({"limit": 500})),
            // Every species detected in the study, with common names.
            self.delegate("rai", json!({"limit": 1})),
            self.delegate("find_events", json!({"limit": 1})),
        );
        let mut learned = Learned::default();
        if let Some(d) = cams.1 {
            learned.vocab.cameras = d
                .get("cameras")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    Some(CameraName {
                        id: c.get("id")?.as_str()?.to_string(),
                        name: c.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                        site: c.get("site").and_then(Value::as_str).map(String::from),
                    })
                })
                .collect();
        }
        if let Some(d) = species.1 {
            learned.vocab.species = d
                .get("species")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| {
                    let scientific = s.get("species")?.as_str()?.to_string();
                    if scientific == "unknown" {
                        return None;
                    }
                    let common = s
                        .get("common_name")
                        .and_then(Value::as_str)
                        .unwrap_or(&scientific)
                        .to_lowercase();
                    Some(SpeciesName { scientific, common })
                })
                .collect();
        }
        if let Some(d) = newest.1
            && let Some(local) = d.pointer("/events/0/localStart").and_then(Value::as_str)
            && let Ok(t) = DateTime::parse_from_rfc3339(local)
        {
            learned.offset = Some(*t.offset());
            // A past study: relative times are read from its last event, not from today.
            if t.with_timezone(&Utc) < Utc::now() - chrono::Duration::days(1) {
                learned.now_override = Some(t);
            }
        }
        let mut current = self.inner.learned.write().unwrap_or_else(|e| e.into_inner());
        // Keep what an unreachable agent taught us before.
        if learned.vocab.cameras.is_empty() {
            learned.vocab.cameras = std::mem::take(&mut current.vocab.cameras);
        }
        if learned.vocab.species.is_empty() {
            learned.vocab.species = std::mem::take(&mut current.vocab.species);
        }
        if learned.offset.is_none() {
            learned.offset = current.offset;
            learned.now_override = current.now_override;
        }
        *current = learned;
    }

    /// "Now" for relative times: the configured reference time, else the newest event's time
    /// for a past study, else the real now in the cameras' offset.
    pub fn now(&self) -> DateTime<FixedOffset> {
        if let Some(t) = self
            .inner
            .config
            .reference_time
            .as_deref()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        {
            return t;
        }
        let learned = self.inner.learned.read().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = learned.now_override {
            return t;
        }
        let offset = learned
            .offset
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
        Utc::now().with_timezone(&offset)
    }

    /// The vocabulary learned from the agents.
    pub fn vocabulary(&self) -> Vocabulary {
        self.inner.learned.read().map(|l| l.vocab.clone()).unwrap_or_default()
    }

    /// Loads a conversation.
    pub async fn conversation(&self, id: &str) -> anyhow::Result<Option<Conversation>> {
        Ok(match self.inner.store.conversation(id).await? {
            Some(body) => Some(serde_json::from_str(&body)?),
            None => None,
        })
    }

    async fn save(&self, c: &Conversation) -> anyhow::Result<()> {
        let body = serde_json::to_string(c)?;
        self.inner
            .store
            .put_conversation(&c.id, Utc::now().timestamp_millis(), &body)
            .await?;
        Ok(())
    }

    /// Skills of third-party agents (agents offering none of the built-in operations).
    fn other_skills(&self) -> Vec<llm::OtherSkill> {
        let mut out: Vec<llm::OtherSkill> = Vec::new();
        for e in self.inner.registry.all() {
            let Some(card) = e.card() else { continue };
            if card.skills.iter().any(|s| BUILT_IN_OPERATIONS.contains(&s.id.as_str())) {
                continue;
            }
            for s in &card.skills {
                if !out.iter().any(|o| o.id == s.id) {
                    out.push(llm::OtherSkill {
                        id: s.id.clone(),
                        description: format!("{} (agent {}; tags: {})", s.description, card.name, s.tags.join(", ")),
                    });
                }
            }
        }
        out
    }

    /// Third-party agents whose card tags appear in the question.
    fn third_party_for(&self, text: &str) -> Option<Arc<registry::AgentEntry>> {
        let lower = format!(
            " {} ",
            text.to_lowercase()
                .replace(|c: char| !c.is_alphanumeric() && c != '-', " ")
        );
        self.inner.registry.all().into_iter().find(|e| {
            let Some(card) = e.card() else { return false };
            let ours = card.skills.iter().any(|s| BUILT_IN_OPERATIONS.contains(&s.id.as_str()));
            !ours
                && card.skills.iter().any(|s| {
                    s.tags
                        .iter()
                        .chain(std::iter::once(&s.id))
                        .any(|t| t.len() >= 3 && lower.contains(&format!(" {} ", t.to_lowercase())))
                })
        })
    }

    /// Answers one message in a conversation (a new one when `conversation_id` is `None` or
    /// unknown), streaming progress to `events` when given.
    pub async fn ask(
        &self,
        message: &str,
        conversation_id: Option<&str>,
        events: Option<mpsc::UnboundedSender<ChatEvent>>,
    ) -> anyhow::Result<ChatAnswer> {
        let needs_learning = {
            let l = self.inner.learned.read().unwrap_or_else(|e| e.into_inner());
            l.vocab.cameras.is_empty() || l.vocab.species.is_empty()
        };
        if needs_learning {
            self.refresh().await;
        }
        let mut conversation = match conversation_id {
            Some(id) => self.conversation(id).await?.unwrap_or_else(|| Conversation {
                id: id.to_string(),
                turns: Vec::new(),
            }),
            None => Conversation {
                id: uuid::Uuid::new_v4().to_string(),
                turns: Vec::new(),
            },
        };
        let vocab = self.vocabulary();
        let now = self.now();
        let parts = understand::split_parts(message);
        let mut previous = conversation.last_query().cloned();
        let send = |e: ChatEvent| {
            if let Some(tx) = &events {
                let _ = tx.send(e);
            }
        };
        let mut router = RouterUse::default();
        let mut by_model = 0;
        let others = if self.inner.llm.is_some() {
            self.other_skills()
        } else {
            Vec::new()
        };
        // Understand the parts in order (a later part may lean on an earlier one), then run
        // them all in parallel.
        let mut jobs = Vec::new();
        for part in &parts {
            if let Some(model) = &self.inner.llm {
                let ctx = llm::RouteContext {
                    vocab: &vocab,
                    now,
                    previous_question: conversation.turns.last().map(|t| t.question.as_str()),
                    others: &others,
                };
                let follow = previous.is_some() && understand::is_follow_up(part);
                match model.route(part, &ctx, previous.as_ref(), follow).await {
                    Ok((route, raw)) => {
                        let job = match route {
                            llm::Route::Query(mut q) => {
                                default_summary_window(&mut q, now);
                                previous = Some(q.clone());
                                Some(Job::Query(q))
                            }
                            llm::Route::Other(id) => self.inner.registry.offering(&id).map(Job::ThirdParty),
                        };
                        if let Some(job) = job {
                            send(ChatEvent::Model {
                                stage: "plan".into(),
                                status: "ok".into(),
                                detail: raw.clone(),
                            });
                            router.routes.push(raw);
                            by_model += 1;
                            jobs.push((part.clone(), job));
                            continue;
                        }
                        router.fallbacks.push(format!("no agent offers {raw}"));
                    }
                    Err(e) => {
                        tracing::info!(error = %e, "language model route not used");
                        send(ChatEvent::Model {
                            stage: "plan".into(),
                            status: "fallback".into(),
                            detail: json!(e.to_string()),
                        });
                        router.fallbacks.push(e.to_string());
                    }
                }
            }
            if let Some(agent) = self.third_party_for(part) {
                jobs.push((part.clone(), Job::ThirdParty(agent)));
                continue;
            }
            match understand::understand(part, &vocab, now, previous.as_ref()) {
                Some(mut q) => {
                    default_summary_window(&mut q, now);
                    previous = Some(q.clone());
                    jobs.push((part.clone(), Job::Query(q)));
                }
                None => jobs.push((part.clone(), Job::NotUnderstood)),
            }
        }
        router.planner = match by_model {
            0 => "built-in",
            n if n == parts.len() => "llm",
            _ => "mixed",
        }
        .into();
        let context_id = conversation.id.clone();
        let results = futures::future::join_all(
            jobs.iter()
                .map(|(text, job)| self.answer_part(text, job, &context_id, events.clone())),
        )
        .await;
        let mut answer_lines = Vec::new();
        let mut facts = Vec::new();
        let mut sources = Vec::new();
        let mut data = Vec::new();
        let mut agents = Vec::new();
        let mut relied = Vec::new();
        for r in results {
            answer_lines.push(match &r.source {
                Some(s) => format!("{} {s}", r.text),
                None => r.text.clone(),
            });
            facts.push(r.text);
            sources.extend(r.source);
            data.extend(r.data);
            agents.extend(r.agents);
            relied.extend(r.events);
        }
        let mut text = answer_lines.join("\n\n");
        if let Some(model) = &self.inner.llm
            && model.config().prose
            && agents.iter().any(|a: &AgentUse| a.status == "ok")
        {
            match model.write(message, &facts.join("\n")).await {
                Ok(prose) => {
                    send(ChatEvent::Model {
                        stage: "write".into(),
                        status: "ok".into(),
                        detail: json!(prose),
                    });
                    router.writer = "llm".into();
                    text = if sources.is_empty() {
                        prose
                    } else {
                        format!("{prose}\n\n{}", sources.join("\n"))
                    };
                }
                Err(e) => {
                    tracing::info!(error = %e, "language model prose not used");
                    send(ChatEvent::Model {
                        stage: "write".into(),
                        status: "fallback".into(),
                        detail: json!(e.to_string()),
                    });
                    router.fallbacks.push(e.to_string());
                }
            }
        }
        let answer = ChatAnswer {
            conversation_id: conversation.id.clone(),
            answer: text,
            data,
            agents,
            events: relied,
            router,
        };
        conversation.turns.push(Turn {
            question: message.to_string(),
            answer: answer.answer.clone(),
            at: Utc::now(),
            query: previous,
            agents: answer.agents.clone(),
        });
        self.save(&conversation).await?;
        send(ChatEvent::Answer(answer.clone()));
        Ok(answer)
    }

    async fn answer_part(
        &self,
        text: &str,
        job: &Job,
        context_id: &str,
        events: Option<mpsc::UnboundedSender<ChatEvent>>,
    ) -> PartAnswer {
        let send = |e: ChatEvent| {
            if let Some(tx) = &events {
                let _ = tx.send(e);
            }
        };
        match job {
            Job::NotUnderstood => PartAnswer::text(format!(
                "I did not understand \"{text}\". Ask about events (\"what were the deer doing at the creek camera last night?\"), \
                 cameras (\"which cameras are offline?\"), summaries (\"weekly report for the north ridge\"), \
                 abundance (\"RAI of elk\"), activity times (\"when are coyotes active?\"), overlap, occupancy, \
                 trails (\"where did bear-F1 go?\") or sightings."
            )),
            Job::ThirdParty(entry) => {
                send(ChatEvent::AgentCall {
                    agent: entry.name(),
                    operation: "message".into(),
                });
                let started = Instant::now();
                let result = self
                    .inner
                    .registry
                    .call(entry, vec![Part::text(text)], Some(context_id.to_string()))
                    .await;
                let ms = started.elapsed().as_millis() as u64;
                let (use_, line, item) = match result {
                    Ok(out) => (
                        AgentUse {
                            agent: entry.name(),
                            operation: "message".into(),
                            status: "ok".into(),
                            task_id: out.task_id.clone(),
                            error: None,
                            ms,
                        },
                        format!("{} (from {})", out.text.trim(), entry.name()),
                        Some(DataItem {
                            agent: entry.name(),
                            operation: "message".into(),
                            arguments: json!({"text": text}),
                            result: out.data.unwrap_or(Value::String(out.text)),
                        }),
                    ),
                    Err(e) => (
                        AgentUse {
                            agent: entry.name(),
                            operation: "message".into(),
                            status: match e {
                                CallFailure::Unreachable { .. } => "unreachable",
                                CallFailure::Failed { .. } => "failed",
                            }
                            .into(),
                            task_id: None,
                            error: Some(e.to_string()),
                            ms,
                        },
                        format!("Could not answer this part: {e}."),
                        None,
                    ),
                };
                send(ChatEvent::AgentResult(use_.clone()));
                PartAnswer {
                    text: line,
                    source: None,
                    data: item.into_iter().collect(),
                    agents: vec![use_],
                    events: Vec::new(),
                }
            }
            Job::Query(q) => {
                let plan = match plan::plan(q) {
                    Ok(p) => p,
                    Err(why) => return PartAnswer::text(why),
                };
                send(ChatEvent::Plan {
                    question: text.to_string(),
                    steps: plan.steps.clone(),
                });
                let calls = plan.steps.iter().map(|s| {
                    let send = &send;
                    async move {
                        if let Some(e) = self.inner.registry.offering(&s.operation) {
                            send(ChatEvent::AgentCall {
                                agent: e.name(),
                                operation: s.operation.clone(),
                            });
                        }
                        let r = self.delegate(&s.operation, s.arguments.clone()).await;
                        send(ChatEvent::AgentResult(r.0.clone()));
                        r
                    }
                });
                let results = futures::future::join_all(calls).await;
                let outputs: Vec<StepOutput<'_>> = plan
                    .steps
                    .iter()
                    .zip(&results)
                    .map(|(step, (_, data))| StepOutput {
                        step,
                        data: data.as_ref().filter(|d| !d.is_string()),
                    })
                    .collect();
                let (mut lines, relied) = plan::compose(q, &plan, &outputs);
                // Sources and failures.
                let mut by_agent: Vec<(String, String, usize)> = Vec::new();
                let mut problems: Vec<String> = Vec::new();
                for (u, _) in &results {
                    if u.status == "ok" {
                        match by_agent.iter_mut().find(|(a, o, _)| *a == u.agent && *o == u.operation) {
                            Some(entry) => entry.2 += 1,
                            None => by_agent.push((u.agent.clone(), u.operation.clone(), 1)),
                        }
                    } else if let Some(e) = &u.error
                        && !problems.contains(e)
                    {
                        problems.push(e.clone());
                    }
                }
                if lines.is_empty() && !problems.is_empty() {
                    lines.push("I could not answer this.".into());
                }
                if !problems.is_empty() {
                    lines.push(format!("Partial answer: {}.", problems.join("; ")));
                }
                let mut source = None;
                if !by_agent.is_empty() {
                    let src: Vec<String> = by_agent
                        .iter()
                        .map(|(a, o, n)| {
                            if *n > 1 {
                                format!("{a} ({o} x{n})")
                            } else {
                                format!("{a} ({o})")
                            }
                        })
                        .collect();
                    let mut s = format!("Source: {}", src.join(", "));
                    if !relied.is_empty() {
                        let shown: Vec<&str> = relied.iter().take(8).map(String::as_str).collect();
                        s.push_str(&format!(
                            "; events {}{}",
                            shown.join(", "),
                            if relied.len() > shown.len() {
                                format!(" and {} more", relied.len() - shown.len())
                            } else {
                                String::new()
                            }
                        ));
                    }
                    s.push('.');
                    source = Some(s);
                }
                let data = plan
                    .steps
                    .iter()
                    .zip(&results)
                    .filter_map(|(s, (u, d))| {
                        d.as_ref().map(|d| DataItem {
                            agent: u.agent.clone(),
                            operation: s.operation.clone(),
                            arguments: s.arguments.clone(),
                            result: d.clone(),
                        })
                    })
                    .collect();
                PartAnswer {
                    text: lines.join(" "),
                    source,
                    data,
                    agents: results.into_iter().map(|(u, _)| u).collect(),
                    events: relied,
                }
            }
        }
    }
}

/// A summary needs a period: the last seven days when the question names none.
fn default_summary_window(q: &mut Query, now: DateTime<FixedOffset>) {
    if q.intent == understand::Intent::Summary && q.window.is_none() {
        let end = time::parse("today", now, None).map(|w| w.to).unwrap_or(now);
        q.window = Some(time::Window {
            from: end - chrono::Duration::days(7),
            to: end,
            label: "in the last 7 days".into(),
        });
    }
}

#[derive(Debug)]
enum Job {
    Query(Query),
    ThirdParty(Arc<registry::AgentEntry>),
    NotUnderstood,
}

struct PartAnswer {
    text: String,
    /// "Source: agent (operation); events ...", kept apart from the facts.
    source: Option<String>,
    data: Vec<DataItem>,
    agents: Vec<AgentUse>,
    events: Vec<String>,
}

impl PartAnswer {
    fn text(text: String) -> Self {
        Self {
            text,
            source: None,
            data: Vec::new(),
            agents: Vec::new(),
            events: Vec::new(),
        }
    }
}
