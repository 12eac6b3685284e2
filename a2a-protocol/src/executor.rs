//! What an agent implements: [`AgentExecutor`] turns a message into events on an
//! [`EventSink`]; the server turns those events into tasks, responses, streams and webhooks.
//!
//! ```
//! use a2a_protocol::{AgentExecutor, EventSink, RequestContext, A2aError};
//!
//! #[derive(Debug)]
//! struct Echo;
//!
//! #[a2a_protocol::async_trait]
//! impl AgentExecutor for Echo {
//!     async fn execute(&self, ctx: RequestContext, events: EventSink) -> Result<(), A2aError> {
//!         events.complete(Some(format!("you said: {}", ctx.message.text())));
//!         Ok(())
//!     }
//! }
//! ```

use async_trait::async_trait;
use tokio::sync::{mpsc, watch};

use crate::error::A2aError;
use crate::server::core::SinkItem;
use crate::types::{Artifact, Message, Metadata, Part, Role, SendMessageConfiguration, Task, TaskState, TaskStatus};

/// Everything an executor knows about the request it handles.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The task id (new or continued).
    pub task_id: String,
    /// The context id.
    pub context_id: String,
    /// The incoming message (taskId and contextId filled in).
    pub message: Message,
    /// The task before this message, when the message continues one.
    pub task: Option<Task>,
    /// SendMessage options.
    pub configuration: Option<SendMessageConfiguration>,
    /// Request metadata.
    pub metadata: Option<Metadata>,
    /// Extensions the client declared in `A2A-Extensions`.
    pub extensions: Vec<String>,
    /// True when the client asked for a stream.
    pub streaming: bool,
    pub(crate) cancel: watch::Receiver<bool>,
}

impl RequestContext {
    /// A context for a new task started by `message` (for testing executors).
    pub fn for_message(message: Message) -> Self {
        let task_id = uuid::Uuid::new_v4().to_string();
        let context_id = message
            .context_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let (_, cancel) = watch::channel(false);
        Self {
            task_id,
            context_id,
            message,
            task: None,
            configuration: None,
            metadata: None,
            extensions: Vec::new(),
            streaming: false,
            cancel,
        }
    }

    /// Resolves when the client canceled the task; use it in `select!` around long work.
    pub async fn cancelled(&self) {
        let mut rx = self.cancel.clone();
        let _ = rx.wait_for(|c| *c).await;
    }

    /// True once the task was canceled.
    pub fn is_cancelled(&self) -> bool {
        *self.cancel.borrow()
    }
}

/// An event from an executor, in the order it was emitted.
#[derive(Debug, Clone)]
pub enum AgentEvent {
    /// Answer with a message instead of a task (only as the first event).
    Message(Message),
    /// A status change.
    Status(TaskStatus),
    /// An artifact or artifact chunk.
    Artifact {
        /// The artifact.
        artifact: Artifact,
        /// Append to an existing artifact with the same id.
        append: bool,
        /// Last chunk of this artifact.
        last_chunk: bool,
    },
}

/// Where an executor sends its events. Cheap to clone; sending never blocks and fails
/// silently once the task is over.
#[derive(Debug, Clone)]
pub struct EventSink {
    pub(crate) tx: mpsc::UnboundedSender<SinkItem>,
    task_id: String,
    context_id: String,
}

/// The receiving end of [`EventSink::channel`], for testing executors without a server.
#[derive(Debug)]
pub struct EventReceiver(mpsc::UnboundedReceiver<SinkItem>);

impl EventReceiver {
    /// The next event; `None` once every sink is dropped.
    pub async fn recv(&mut self) -> Option<AgentEvent> {
        loop {
            match self.0.recv().await? {
                SinkItem::Event(ev) => return Some(ev),
                SinkItem::Failed(_) => continue,
            }
        }
    }
}

impl EventSink {
    /// A sink and its receiving end (for testing executors).
    pub fn channel(task_id: impl Into<String>, context_id: impl Into<String>) -> (Self, EventReceiver) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Self::from_internal(tx, task_id.into(), context_id.into()),
            EventReceiver(rx),
        )
    }

    pub(crate) fn from_internal(tx: mpsc::UnboundedSender<SinkItem>, task_id: String, context_id: String) -> Self {
        Self {
            tx,
            task_id,
            context_id,
        }
    }

    /// The task id events are about.
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// Sends a raw event.
    pub fn send(&self, event: AgentEvent) {
        let _ = self.tx.send(SinkItem::Event(event));
    }

    /// An agent message bound to this task and context.
    pub fn agent_message(&self, text: impl Into<String>) -> Message {
        let mut m = Message::new(Role::Agent, vec![Part::text(text)]);
        m.task_id = Some(self.task_id.clone());
        m.context_id = Some(self.context_id.clone());
        m
    }

    /// Answers with a direct message: no task is created. Only valid as the first event.
    pub fn reply(&self, mut message: Message) {
        message.role = Role::Agent;
        message.context_id.get_or_insert_with(|| self.context_id.clone());
        self.send(AgentEvent::Message(message));
    }

    /// Sets the task state, with an optional agent message.
    pub fn status(&self, state: TaskState, text: Option<String>) {
        let mut status = TaskStatus::new(state);
        status.message = text.map(|t| self.agent_message(t));
        self.send(AgentEvent::Status(status));
    }

    /// `TASK_STATE_WORKING`.
    pub fn working(&self) {
        self.status(TaskState::Working, None);
    }

    /// `TASK_STATE_COMPLETED` (terminal).
    pub fn complete(&self, text: Option<String>) {
        self.status(TaskState::Completed, text);
    }

    /// `TASK_STATE_FAILED` (terminal).
    pub fn fail(&self, text: impl Into<String>) {
        self.status(TaskState::Failed, Some(text.into()));
    }

    /// `TASK_STATE_REJECTED` (terminal).
    pub fn reject(&self, text: impl Into<String>) {
        self.status(TaskState::Rejected, Some(text.into()));
    }

    /// `TASK_STATE_CANCELED` (terminal).
    pub fn canceled(&self) {
        self.status(TaskState::Canceled, None);
    }

    /// `TASK_STATE_INPUT_REQUIRED` (interrupted): asks the client for more.
    pub fn input_required(&self, question: impl Into<String>) {
        self.status(TaskState::InputRequired, Some(question.into()));
    }

    /// `TASK_STATE_AUTH_REQUIRED` (interrupted).
    pub fn auth_required(&self, explanation: impl Into<String>) {
        self.status(TaskState::AuthRequired, Some(explanation.into()));
    }

    /// Adds a whole artifact.
    pub fn artifact(&self, artifact: Artifact) {
        self.send(AgentEvent::Artifact {
            artifact,
            append: false,
            last_chunk: true,
        });
    }

    /// Adds a chunk of an artifact (`append`: add the parts to the one with the same id).
    pub fn artifact_chunk(&self, artifact: Artifact, append: bool, last_chunk: bool) {
        self.send(AgentEvent::Artifact {
            artifact,
            append,
            last_chunk,
        });
    }
}

/// The agent logic behind an A2A server.
#[async_trait]
pub trait AgentExecutor: Send + Sync + std::fmt::Debug + 'static {
    /// Handles one message: emit events on `events` (at least one terminal or interrupted
    /// status, or one `reply`). Returning an error fails the task (or the request, when
    /// nothing was emitted yet).
    async fn execute(&self, ctx: RequestContext, events: EventSink) -> Result<(), A2aError>;

    /// Cancels a running task; the default emits `TASK_STATE_CANCELED`. `ctx.cancelled()`
    /// has already fired for the running `execute`.
    async fn cancel(&self, ctx: RequestContext, events: EventSink) -> Result<(), A2aError> {
        let _ = ctx;
        events.canceled();
        Ok(())
    }
}
