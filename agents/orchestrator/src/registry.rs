//! The agents the orchestrator knows: discovered from their cards, re-read with ETag, and
//! called over A2A with a per-call timeout. Routing asks "who offers skill X?" of the cards,
//! so an agent can move, be replaced, or be a third party, with no code change.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use a2a_protocol::card::AGENT_CARD_PATH;
use a2a_protocol::client::CardResolver;
use a2a_protocol::types::{Part, PartContent, Role};
use a2a_protocol::{A2aClient, AgentCard, Message, SendMessageRequest, SendMessageResponse, TaskState};
use serde::Serialize;
use serde_json::Value;

/// Reachability of an agent, as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentStatus {
    /// Never reached yet.
    Unknown,
    /// Card read and last call answered.
    Up,
    /// Could not be reached.
    Down,
}

/// One agent as the orchestrator sees it.
#[derive(Debug)]
pub struct AgentEntry {
    /// Base URL (card at `BASE/.well-known/agent-card.json`).
    pub base_url: String,
    resolver: CardResolver,
    state: RwLock<EntryState>,
}

#[derive(Debug)]
struct EntryState {
    card: Option<AgentCard>,
    client: Option<Arc<A2aClient>>,
    status: AgentStatus,
    last_error: Option<String>,
}

/// What `/v1/agents` shows of an agent.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentInfo {
    /// Card name (or the URL while unknown).
    pub name: String,
    /// Card URL.
    pub card_url: String,
    /// up, down or unknown.
    pub status: AgentStatus,
    /// Skill ids the card advertises.
    pub skills: Vec<String>,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The answer of one delegated call.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// Data parts of the answer (artifacts first, then the status message).
    pub data: Option<Value>,
    /// Text of the answer.
    pub text: String,
    /// Task id, when the agent made a task.
    pub task_id: Option<String>,
    /// Final state.
    pub state: Option<TaskState>,
}

/// Why a delegated call gave nothing usable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallFailure {
    /// Not reachable (connection refused, reset, timeout).
    #[error("could not reach {agent}: {reason}")]
    Unreachable {
        /// Agent name.
        agent: String,
        /// Why.
        reason: String,
    },
    /// Reached, but it failed or rejected the task.
    #[error("{agent} could not answer: {reason}")]
    Failed {
        /// Agent name.
        agent: String,
        /// Its words.
        reason: String,
    },
}

impl AgentEntry {
    fn new(http: reqwest::Client, url: &str) -> Self {
        let base = url
            .trim_end_matches('/')
            .trim_end_matches(AGENT_CARD_PATH)
            .trim_end_matches("/.well-known/agent.json")
            .trim_end_matches('/')
            .to_string();
        Self {
            resolver: CardResolver::new(http, &base),
            base_url: base,
            state: RwLock::new(EntryState {
                card: None,
                client: None,
                status: AgentStatus::Unknown,
                last_error: None,
            }),
        }
    }

    /// The card URL.
    pub fn card_url(&self) -> String {
        format!("{}{AGENT_CARD_PATH}", self.base_url)
    }

    /// Card name, or the base URL while the card is unknown.
    pub fn name(&self) -> String {
        self.state
            .read()
            .ok()
            .and_then(|s| s.card.as_ref().map(|c| c.name.clone()))
            .unwrap_or_else(|| self.base_url.clone())
    }

    /// The last card read.
    pub fn card(&self) -> Option<AgentCard> {
        self.state.read().ok().and_then(|s| s.card.clone())
    }

    /// Current status.
    pub fn status(&self) -> AgentStatus {
        self.state.read().map(|s| s.status).unwrap_or(AgentStatus::Unknown)
    }

    /// True when the card advertises a skill with this id.
    pub fn offers(&self, skill_id: &str) -> bool {
        self.state
            .read()
            .ok()
            .and_then(|s| s.card.as_ref().map(|c| c.skills.iter().any(|k| k.id == skill_id)))
            .unwrap_or(false)
    }

    fn mark(&self, status: AgentStatus, error: Option<String>) {
        if let Ok(mut s) = self.state.write() {
            s.status = status;
            s.last_error = error;
        }
    }

    /// Re-reads the card (`If-None-Match`); rebuilds the client when the card changed.
    pub async fn refresh(&self, http: &reqwest::Client, timeout: Duration) {
        let result = tokio::time::timeout(timeout, self.resolver.card()).await;
        let mut s = match self.state.write() {
            Ok(s) => s,
            Err(_) => return,
        };
        match result {
            Ok(Ok(card)) => {
                if s.card.as_ref() != Some(&card) || s.client.is_none() {
                    match A2aClient::from_card(http.clone(), card.clone(), None) {
                        Ok(c) => s.client = Some(Arc::new(c.with_timeout(timeout))),
                        Err(e) => {
                            s.status = AgentStatus::Down;
                            s.last_error = Some(e.to_string());
                            s.card = Some(card);
                            return;
                        }
                    }
                    s.card = Some(card);
                }
                s.status = AgentStatus::Up;
                s.last_error = None;
            }
            Ok(Err(e)) => {
                s.status = AgentStatus::Down;
                s.last_error = Some(e.to_string());
            }
            Err(_) => {
                s.status = AgentStatus::Down;
                s.last_error = Some(format!("no card within {timeout:?}"));
            }
        }
    }

    /// What `/v1/agents` shows.
    pub fn info(&self) -> AgentInfo {
        let s = self.state.read();
        let (skills, status, error) = match &s {
            Ok(s) => (
                s.card
                    .as_ref()
                    .map(|c| c.skills.iter().map(|k| k.id.clone()).collect())
                    .unwrap_or_default(),
                s.status,
                s.last_error.clone(),
            ),
            Err(_) => (Vec::new(), AgentStatus::Unknown, None),
        };
        AgentInfo {
            name: self.name(),
            card_url: self.card_url(),
            status,
            skills,
            error,
        }
    }
}

/// All known agents.
#[derive(Debug, Clone)]
pub struct Registry {
    http: reqwest::Client,
    entries: Arc<RwLock<Vec<Arc<AgentEntry>>>>,
    timeout: Duration,
}

impl Registry {
    /// A registry calling agents with `timeout` per call.
    pub fn new(timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .tcp_nodelay(true)
            .pool_max_idle_per_host(64)
            .build()
            .unwrap_or_default();
        Self {
            http,
            entries: Arc::new(RwLock::new(Vec::new())),
            timeout,
        }
    }

    /// Adds an agent by base or card URL (no-op when already known).
    pub fn add(&self, url: &str) -> Arc<AgentEntry> {
        let entry = Arc::new(AgentEntry::new(self.http.clone(), url));
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = entries.iter().find(|e| e.base_url == entry.base_url) {
            return existing.clone();
        }
        entries.push(entry.clone());
        entry
    }

    /// Every agent, in the order added.
    pub fn all(&self) -> Vec<Arc<AgentEntry>> {
        self.entries.read().map(|e| e.clone()).unwrap_or_default()
    }

    /// Re-reads every card, in parallel.
    pub async fn refresh_all(&self) {
        let entries = self.all();
        futures::future::join_all(entries.iter().map(|e| e.refresh(&self.http, self.timeout))).await;
    }

    /// The agent offering `skill_id`: an up one first, else the last one known to offer it.
    pub fn offering(&self, skill_id: &str) -> Option<Arc<AgentEntry>> {
        let all = self.all();
        let offering: Vec<_> = all.into_iter().filter(|e| e.offers(skill_id)).collect();
        offering
            .iter()
            .find(|e| e.status() == AgentStatus::Up)
            .or_else(|| offering.first())
            .cloned()
    }

    /// Sends `parts` to `entry` and waits (at most the per-call timeout) for the answer.
    /// An agent that was down is re-discovered first, so a restarted agent is used again.
    pub async fn call(
        &self,
        entry: &AgentEntry,
        parts: Vec<Part>,
        context_id: Option<String>,
    ) -> Result<CallOutcome, CallFailure> {
        let needs_refresh = {
            let s = entry.state.read().map_err(|_| unreachable(entry, "lock poisoned"))?;
            s.client.is_none() || s.status != AgentStatus::Up
        };
        if needs_refresh {
            entry.refresh(&self.http, self.timeout).await;
        }
        let client = entry.state.read().ok().and_then(|s| {
            if s.status == AgentStatus::Up {
                s.client.clone()
            } else {
                None
            }
        });
        let Some(client) = client else {
            let why = entry
                .state
                .read()
                .ok()
                .and_then(|s| s.last_error.clone())
                .unwrap_or_else(|| "no agent card".into());
            return Err(unreachable(entry, &why));
        };
        let mut message = Message::new(Role::User, parts);
        message.context_id = context_id;
        let result = tokio::time::timeout(self.timeout, client.send_message(SendMessageRequest::new(message))).await;
        let response = match result {
            Err(_) => {
                entry.mark(AgentStatus::Down, Some(format!("no answer within {:?}", self.timeout)));
                return Err(unreachable(entry, &format!("no answer within {:?}", self.timeout)));
            }
            Ok(Err(a2a_protocol::ClientError::Agent(e))) => {
                return Err(CallFailure::Failed {
                    agent: entry.name(),
                    reason: e.to_string(),
                });
            }
            Ok(Err(e)) => {
                let why = e.to_string();
                entry.mark(AgentStatus::Down, Some(why.clone()));
                return Err(unreachable(entry, &why));
            }
            Ok(Ok(r)) => r,
        };
        entry.mark(AgentStatus::Up, None);
        let outcome = outcome_of(response);
        match outcome.state {
            Some(TaskState::Failed) | Some(TaskState::Rejected) | Some(TaskState::Canceled) => {
                Err(CallFailure::Failed {
                    agent: entry.name(),
                    reason: outcome.text,
                })
            }
            _ => Ok(outcome),
        }
    }
}

fn unreachable(entry: &AgentEntry, why: &str) -> CallFailure {
    CallFailure::Unreachable {
        agent: entry.name(),
        reason: why.to_string(),
    }
}

fn collect(parts: &[Part], data: &mut Option<Value>, text: &mut Vec<String>) {
    for p in parts {
        match &p.content {
            PartContent::Data(v) if data.is_none() => *data = Some(v.clone()),
            PartContent::Text(t) if !t.trim().is_empty() => text.push(t.clone()),
            _ => {}
        }
    }
}

fn outcome_of(response: SendMessageResponse) -> CallOutcome {
    let mut data = None;
    let mut text = Vec::new();
    match response {
        SendMessageResponse::Message(m) => {
            collect(&m.parts, &mut data, &mut text);
            CallOutcome {
                data,
                text: text.join(" "),
                task_id: m.task_id,
                state: None,
            }
        }
        SendMessageResponse::Task(t) => {
            for a in &t.artifacts {
                collect(&a.parts, &mut data, &mut text);
            }
            if text.is_empty()
                && let Some(m) = &t.status.message
            {
                collect(&m.parts, &mut data, &mut text);
            }
            if data.is_none()
                && let Some(m) = &t.status.message
            {
                let mut ignore = Vec::new();
                collect(&m.parts, &mut data, &mut ignore);
            }
            CallOutcome {
                data,
                text: text.join(" "),
                task_id: Some(t.id),
                state: Some(t.status.state),
            }
        }
    }
}
