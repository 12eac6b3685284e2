//! # a2a-protocol
//!
//! The Agent2Agent (A2A) protocol, version 1.0.1, for trailmesh and anyone else: it knows
//! nothing about cameras.
//!
//! Layers, bottom up:
//! - [`types`] and [`card`]: the data model with its exact wire JSON (ProtoJSON of
//!   `a2a.proto`) and JSON schemas;
//! - [`error`]: every A2A error with its JSON-RPC code, HTTP status and `ErrorInfo`;
//! - [`jsonrpc`]: the JSON-RPC envelope and the request decoder;
//! - [`executor`]: the [`AgentExecutor`] trait an agent implements;
//! - [`store`]: the [`TaskStore`] trait and [`InMemoryTaskStore`];
//! - [`server`]: [`A2aServer`], an axum `Router` serving the card, the JSON-RPC and the
//!   HTTP+JSON bindings, SSE streams, resubscription and push notifications ([`push`]) behind
//!   optional authentication ([`auth`]);
//! - [`client`]: [`A2aClient`], card discovery and both bindings.

pub mod auth;
pub mod card;
pub mod client;
pub mod error;
pub mod executor;
pub mod jsonrpc;
pub mod push;
pub mod server;
pub mod store;
pub mod types;

pub use auth::AuthConfig;
pub use card::{AgentCapabilities, AgentCard, AgentInterface, AgentSkill};
pub use client::{A2aClient, ClientError};
pub use error::A2aError;
pub use executor::{AgentEvent, AgentExecutor, EventSink, RequestContext};
pub use push::PushConfig;
pub use server::A2aServer;
pub use store::{InMemoryTaskStore, TaskStore};
pub use types::{
    Artifact, Message, Part, PartContent, Role, SendMessageRequest, SendMessageResponse, StreamResponse, Task,
    TaskState, TaskStatus,
};

/// Re-exported so executors can implement the trait without naming the dependency.
pub use async_trait::async_trait;
