//! The server: an axum [`Router`] serving the agent card, the JSON-RPC binding (`POST /`)
//! and the HTTP+JSON binding (`/message:send`, `/tasks/...`, optionally under `/{tenant}`),
//! all on one executor and one task store.

pub(crate) mod core;
mod http;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use bytes::Bytes;

use crate::auth::AuthConfig;
use crate::card::{AGENT_CARD_PATH, AgentCard};
use crate::executor::AgentExecutor;
use crate::push::{PushConfig, PushSender};
use crate::store::{InMemoryTaskStore, TaskStore};

/// Default request body limit (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Builds the A2A router of one agent.
#[derive(Debug)]
pub struct A2aServer {
    card: AgentCard,
    extended_card: Option<AgentCard>,
    executor: Arc<dyn AgentExecutor>,
    store: Arc<dyn TaskStore>,
    push: Option<PushConfig>,
    auth: AuthConfig,
    max_body_bytes: usize,
}

/// Shared state of the HTTP handlers.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub core: Arc<core::Core>,
    pub auth: Arc<AuthConfig>,
    pub card_body: Bytes,
    pub card_etag: Arc<str>,
    /// When the card was built (its `Last-Modified`).
    pub card_modified: Arc<str>,
    pub max_body_bytes: usize,
}

impl A2aServer {
    /// A server for `card` (its `supportedInterfaces` should point at where the router is
    /// mounted) running `executor`, with an in-memory store, no push, no auth.
    pub fn new(card: AgentCard, executor: impl AgentExecutor) -> Self {
        Self {
            card,
            extended_card: None,
            executor: Arc::new(executor),
            store: Arc::new(InMemoryTaskStore::new()),
            push: None,
            auth: AuthConfig::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Uses another task store (a durable one, say).
    pub fn store(mut self, store: Arc<dyn TaskStore>) -> Self {
        self.store = store;
        self
    }

    /// Turns push notifications on (declared in the card).
    pub fn push_notifications(mut self, config: PushConfig) -> Self {
        self.push = Some(config);
        self
    }

    /// Requires credentials for every A2A operation (declared in the card).
    pub fn auth(mut self, auth: AuthConfig) -> Self {
        self.auth = auth;
        self
    }

    /// Serves `card` from GetExtendedAgentCard (declared in the card).
    pub fn extended_card(mut self, card: AgentCard) -> Self {
        self.extended_card = Some(card);
        self
    }

    /// Limits request bodies (larger ones get 413).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The card as served (capabilities and security filled in).
    pub fn card(&self) -> AgentCard {
        let mut card = self.card.clone();
        if card.capabilities.streaming.is_none() {
            card.capabilities.streaming = Some(true);
        }
        card.capabilities.push_notifications = Some(self.push.is_some());
        if self.extended_card.is_some() {
            card.capabilities.extended_agent_card = Some(true);
        }
        if self.auth.enabled() && card.security_schemes.is_empty() {
            self.auth.describe(&mut card);
        }
        card
    }

    /// The router to mount (at the root of the agent's base URL).
    pub fn router(self) -> Router {
        let card = self.card();
        let card_body = Bytes::from(serde_json::to_vec(&card).unwrap_or_default());
        let card_etag: Arc<str> = crate::card::etag_of(&card_body).into();
        let push = self.push.map(PushSender::new);
        let core = Arc::new(core::Core::new(
            card,
            self.extended_card,
            self.executor,
            self.store,
            push,
        ));
        let state = AppState {
            core,
            auth: Arc::new(self.auth),
            card_body,
            card_etag,
            card_modified: chrono::Utc::now()
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
                .into(),
            max_body_bytes: self.max_body_bytes,
        };
        Router::new()
            .route(AGENT_CARD_PATH, get(http::agent_card))
            .route("/.well-known/agent.json", get(http::agent_card))
            .route("/", post(http::jsonrpc))
            .fallback(http::rest)
            .with_state(state)
    }
}
