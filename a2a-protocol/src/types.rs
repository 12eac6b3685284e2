//! The A2A 1.0 data model: tasks, messages, parts, artifacts, events and the request and
//! response shapes of every operation.
//!
//! The wire form is ProtoJSON of `specification/a2a.proto`: camelCase field names,
//! SCREAMING_SNAKE enum values, default values (empty lists, `None`) left out. Deserializing
//! is lenient where it costs nothing (unknown fields are ignored; the 0.3 spellings of roles,
//! states and parts are accepted), serializing is always the 1.0 form.

use std::borrow::Cow;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Free-form metadata (`google.protobuf.Struct`).
pub type Metadata = Map<String, Value>;

/// Who sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Role {
    /// Not set; invalid on the wire.
    #[serde(rename = "ROLE_UNSPECIFIED")]
    Unspecified,
    /// The client side.
    #[serde(rename = "ROLE_USER", alias = "user")]
    User,
    /// The agent side.
    #[serde(rename = "ROLE_AGENT", alias = "agent")]
    Agent,
}

/// The lifecycle state of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum TaskState {
    /// Not set; invalid on the wire.
    #[serde(rename = "TASK_STATE_UNSPECIFIED", alias = "unknown")]
    Unspecified,
    /// Accepted, not started.
    #[serde(rename = "TASK_STATE_SUBMITTED", alias = "submitted")]
    Submitted,
    /// Being worked on.
    #[serde(rename = "TASK_STATE_WORKING", alias = "working")]
    Working,
    /// Finished successfully (terminal).
    #[serde(rename = "TASK_STATE_COMPLETED", alias = "completed")]
    Completed,
    /// Finished with an error (terminal).
    #[serde(rename = "TASK_STATE_FAILED", alias = "failed")]
    Failed,
    /// Canceled by the client (terminal).
    #[serde(rename = "TASK_STATE_CANCELED", alias = "canceled")]
    Canceled,
    /// Waiting for the client to send more input (interrupted).
    #[serde(rename = "TASK_STATE_INPUT_REQUIRED", alias = "input-required")]
    InputRequired,
    /// The agent declined the task (terminal).
    #[serde(rename = "TASK_STATE_REJECTED", alias = "rejected")]
    Rejected,
    /// Waiting for credentials obtained out of band (interrupted).
    #[serde(rename = "TASK_STATE_AUTH_REQUIRED", alias = "auth-required")]
    AuthRequired,
}

impl TaskState {
    /// Completed, failed, canceled or rejected: nothing more will happen to the task.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Canceled | Self::Rejected)
    }

    /// Input or auth required: the task waits for the client.
    pub fn is_interrupted(self) -> bool {
        matches!(self, Self::InputRequired | Self::AuthRequired)
    }

    /// The wire name (`TASK_STATE_WORKING`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "TASK_STATE_UNSPECIFIED",
            Self::Submitted => "TASK_STATE_SUBMITTED",
            Self::Working => "TASK_STATE_WORKING",
            Self::Completed => "TASK_STATE_COMPLETED",
            Self::Failed => "TASK_STATE_FAILED",
            Self::Canceled => "TASK_STATE_CANCELED",
            Self::InputRequired => "TASK_STATE_INPUT_REQUIRED",
            Self::Rejected => "TASK_STATE_REJECTED",
            Self::AuthRequired => "TASK_STATE_AUTH_REQUIRED",
        }
    }
}

/// The content of a [`Part`]: exactly one of text, raw bytes, a URL or structured data.
#[derive(Debug, Clone, PartialEq)]
pub enum PartContent {
    /// Plain text.
    Text(String),
    /// Inline bytes (base64 on the wire).
    Raw(Vec<u8>),
    /// A URL pointing at the content.
    Url(String),
    /// Any JSON value.
    Data(Value),
}

/// One piece of a message or artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PartWire", into = "PartWire")]
pub struct Part {
    /// What the part holds.
    pub content: PartContent,
    /// The media type of the content (`text/plain`, `image/jpeg`, ...).
    pub media_type: Option<String>,
    /// A file name for raw or URL content.
    pub filename: Option<String>,
    /// Free-form metadata.
    pub metadata: Option<Metadata>,
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(PartContent::Text(text.into()))
    }

    /// A structured data part.
    pub fn data(data: Value) -> Self {
        Self::new(PartContent::Data(data)).with_media_type("application/json")
    }

    /// A raw bytes part.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Self {
        Self::new(PartContent::Raw(bytes.into()))
    }

    /// A URL part.
    pub fn url(url: impl Into<String>) -> Self {
        Self::new(PartContent::Url(url.into()))
    }

    /// A part with the given content and nothing else.
    pub fn new(content: PartContent) -> Self {
        Self {
            content,
            media_type: None,
            filename: None,
            metadata: None,
        }
    }

    /// Sets the media type.
    pub fn with_media_type(mut self, media_type: impl Into<String>) -> Self {
        self.media_type = Some(media_type.into());
        self
    }

    /// Sets the file name.
    pub fn with_filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }

    /// The text, when this is a text part.
    pub fn as_text(&self) -> Option<&str> {
        match &self.content {
            PartContent::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// A 0.3 file part (`{"kind":"file","file":{"bytes"|"uri", "mimeType", "name"}}`), read only.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyFile {
    bytes: Option<String>,
    uri: Option<String>,
    #[serde(alias = "mime_type")]
    mime_type: Option<String>,
    name: Option<String>,
}

/// The wire form of [`Part`]; exactly one content field must be set.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Part", description = "Exactly one of text, raw, url or data.")]
struct PartWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// Base64 (standard alphabet, padded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    raw: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "media_type")]
    media_type: Option<String>,
    /// 0.3 file content.
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    file: Option<Value>,
}

impl TryFrom<PartWire> for Part {
    type Error = String;

    fn try_from(w: PartWire) -> Result<Self, Self::Error> {
        let mut media_type = w.media_type;
        let mut filename = w.filename;
        let mut contents = Vec::with_capacity(1);
        if let Some(t) = w.text {
            contents.push(PartContent::Text(t));
        }
        if let Some(r) = w.raw {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(r.as_bytes())
                .map_err(|e| format!("part.raw is not valid base64: {e}"))?;
            contents.push(PartContent::Raw(bytes));
        }
        if let Some(u) = w.url {
            contents.push(PartContent::Url(u));
        }
        if let Some(file) = w.file {
            let f: LegacyFile = serde_json::from_value(file).map_err(|e| format!("part.file: {e}"))?;
            media_type = media_type.or(f.mime_type);
            filename = filename.or(f.name);
            match (f.bytes, f.uri) {
                (Some(b), None) => contents.push(PartContent::Raw(
                    base64::engine::general_purpose::STANDARD
                        .decode(b.as_bytes())
                        .map_err(|e| format!("part.file.bytes is not valid base64: {e}"))?,
                )),
                (None, Some(u)) => contents.push(PartContent::Url(u)),
                _ => return Err("part.file needs exactly one of bytes or uri".into()),
            }
        }
        if let Some(d) = w.data {
            contents.push(PartContent::Data(d));
        }
        if contents.len() != 1 {
            return Err(format!(
                "a part needs exactly one of text, raw, url or data (found {})",
                contents.len()
            ));
        }
        let content = contents.pop().ok_or_else(|| "empty part".to_string())?;
        Ok(Part {
            content,
            media_type,
            filename,
            metadata: w.metadata,
        })
    }
}

impl From<Part> for PartWire {
    fn from(p: Part) -> Self {
        let mut w = PartWire {
            metadata: p.metadata,
            filename: p.filename,
            media_type: p.media_type,
            ..PartWire::default()
        };
        match p.content {
            PartContent::Text(t) => w.text = Some(t),
            PartContent::Raw(b) => w.raw = Some(base64::engine::general_purpose::STANDARD.encode(b)),
            PartContent::Url(u) => w.url = Some(u),
            PartContent::Data(d) => w.data = Some(d),
        }
        w
    }
}

impl JsonSchema for Part {
    fn schema_name() -> Cow<'static, str> {
        "Part".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        PartWire::json_schema(generator)
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Unique id chosen by the sender.
    #[serde(default)]
    #[serde(alias = "message_id")]
    pub message_id: String,
    /// The conversation this message belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "context_id")]
    pub context_id: Option<String>,
    /// The task this message continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "task_id")]
    pub task_id: Option<String>,
    /// Who sent it.
    pub role: Role,
    /// The content.
    #[serde(default)]
    pub parts: Vec<Part>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// URIs of the extensions used in this message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<String>,
    /// Other tasks this message refers to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[serde(alias = "reference_task_ids")]
    pub reference_task_ids: Vec<String>,
}

impl Message {
    /// A message with a fresh id.
    pub fn new(role: Role, parts: Vec<Part>) -> Self {
        Self {
            message_id: uuid::Uuid::new_v4().to_string(),
            context_id: None,
            task_id: None,
            role,
            parts,
            metadata: None,
            extensions: Vec::new(),
            reference_task_ids: Vec::new(),
        }
    }

    /// A user message holding one text part.
    pub fn user_text(text: impl Into<String>) -> Self {
        Self::new(Role::User, vec![Part::text(text)])
    }

    /// An agent message holding one text part.
    pub fn agent_text(text: impl Into<String>) -> Self {
        Self::new(Role::Agent, vec![Part::text(text)])
    }

    /// The concatenated text of all text parts.
    pub fn text(&self) -> String {
        self.parts.iter().filter_map(Part::as_text).collect::<Vec<_>>().join("")
    }
}

/// The current status of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    /// The state.
    pub state: TaskState,
    /// An optional message from the agent explaining the state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// When the status was set (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<DateTime<Utc>>,
}

impl TaskStatus {
    /// A status with the given state, stamped now.
    pub fn new(state: TaskState) -> Self {
        Self {
            state,
            message: None,
            timestamp: Some(Utc::now()),
        }
    }

    /// Adds an agent message.
    pub fn with_message(mut self, message: Message) -> Self {
        self.message = Some(message);
        self
    }
}

/// An output of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Unique within the task.
    #[serde(default)]
    #[serde(alias = "artifact_id")]
    pub artifact_id: String,
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The content.
    #[serde(default)]
    pub parts: Vec<Part>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// URIs of the extensions used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<String>,
}

impl Artifact {
    /// An artifact with a fresh id and the given parts.
    pub fn new(parts: Vec<Part>) -> Self {
        Self {
            artifact_id: uuid::Uuid::new_v4().to_string(),
            name: None,
            description: None,
            parts,
            metadata: None,
            extensions: Vec::new(),
        }
    }

    /// Sets the name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

/// A unit of work, its status, outputs and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Server-generated unique id.
    pub id: String,
    /// The conversation the task belongs to.
    #[serde(default)]
    #[serde(alias = "context_id")]
    pub context_id: String,
    /// Current status.
    pub status: TaskStatus,
    /// Outputs so far.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
    /// Messages exchanged, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Message>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

impl Task {
    /// Keeps only the last `n` history messages (`None`: keep all; `0`: none).
    pub fn truncate_history(&mut self, n: Option<i32>) {
        if let Some(n) = n {
            let keep = usize::try_from(n.max(0)).unwrap_or(0);
            if self.history.len() > keep {
                self.history.drain(..self.history.len() - keep);
            }
        }
    }

    /// Applies an artifact update the way a stream consumer would (append or replace).
    pub fn apply_artifact(&mut self, ev: &TaskArtifactUpdateEvent) {
        match self
            .artifacts
            .iter_mut()
            .find(|a| a.artifact_id == ev.artifact.artifact_id)
        {
            Some(existing) if ev.append => existing.parts.extend(ev.artifact.parts.iter().cloned()),
            Some(existing) => *existing = ev.artifact.clone(),
            None => self.artifacts.push(ev.artifact.clone()),
        }
    }
}

/// A change of a task's status, sent on streams and to webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatusUpdateEvent {
    /// The task.
    #[serde(alias = "task_id")]
    pub task_id: String,
    /// Its context.
    #[serde(default)]
    #[serde(alias = "context_id")]
    pub context_id: String,
    /// The new status.
    pub status: TaskStatus,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// A new or grown artifact, sent on streams and to webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskArtifactUpdateEvent {
    /// The task.
    #[serde(alias = "task_id")]
    pub task_id: String,
    /// Its context.
    #[serde(default)]
    #[serde(alias = "context_id")]
    pub context_id: String,
    /// The artifact (or the chunk of it).
    pub artifact: Artifact,
    /// Append these parts to an artifact with the same id instead of replacing it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub append: bool,
    /// This is the last chunk of the artifact.
    #[serde(default, skip_serializing_if = "is_false")]
    #[serde(alias = "last_chunk")]
    pub last_chunk: bool,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The result of SendMessage: a task or a direct message (`{"task":..}` / `{"message":..}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SendMessageResponse {
    /// The agent started (or finished) a task.
    Task(Task),
    /// The agent answered directly.
    Message(Message),
}

/// One event of a stream or webhook (`{"task"}`, `{"message"}`, `{"statusUpdate"}`,
/// `{"artifactUpdate"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum StreamResponse {
    /// A task snapshot (always the first event of a task stream).
    Task(Task),
    /// A direct message (the only event of a message stream).
    Message(Message),
    /// A status change.
    StatusUpdate(TaskStatusUpdateEvent),
    /// An artifact change.
    ArtifactUpdate(TaskArtifactUpdateEvent),
}

impl StreamResponse {
    /// True when a stream must close after this event.
    pub fn is_final(&self) -> bool {
        match self {
            Self::Task(t) => t.status.state.is_terminal() || t.status.state.is_interrupted(),
            Self::Message(_) => true,
            Self::StatusUpdate(s) => s.status.state.is_terminal() || s.status.state.is_interrupted(),
            Self::ArtifactUpdate(_) => false,
        }
    }

    /// The id of the task this event is about, if any.
    pub fn task_id(&self) -> Option<&str> {
        match self {
            Self::Task(t) => Some(&t.id),
            Self::Message(m) => m.task_id.as_deref(),
            Self::StatusUpdate(s) => Some(&s.task_id),
            Self::ArtifactUpdate(a) => Some(&a.task_id),
        }
    }
}

/// How to authenticate to a webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationInfo {
    /// HTTP authentication scheme (`Bearer`, `Basic`, ...).
    pub scheme: String,
    /// The credentials; write-only: never returned by Get/List.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
}

/// Where and how to send push notifications for a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskPushNotificationConfig {
    /// Tenant, when the agent is multi-tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Config id (generated when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The task.
    #[serde(default)]
    #[serde(alias = "task_id")]
    pub task_id: String,
    /// The webhook URL.
    #[serde(default)]
    pub url: String,
    /// A token the webhook can check (sent as `X-A2A-Notification-Token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// How to authenticate to the webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<AuthenticationInfo>,
}

impl TaskPushNotificationConfig {
    /// A copy safe to return to clients: stored credentials are removed.
    pub fn redacted(&self) -> Self {
        let mut c = self.clone();
        if let Some(auth) = &mut c.authentication {
            auth.credentials = None;
        }
        c
    }
}

/// Options of SendMessage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageConfiguration {
    /// Media types the client accepts in the answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[serde(alias = "accepted_output_modes")]
    pub accepted_output_modes: Vec<String>,
    /// A webhook to register for the new task.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "pushNotificationConfig")]
    #[serde(alias = "task_push_notification_config")]
    pub task_push_notification_config: Option<TaskPushNotificationConfig>,
    /// How many history messages to return (`0`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "history_length")]
    pub history_length: Option<i32>,
    /// Return as soon as the task exists instead of waiting for a terminal or interrupted state.
    #[serde(default, skip_serializing_if = "is_false")]
    #[serde(alias = "return_immediately")]
    pub return_immediately: bool,
    /// 0.3 spelling of the inverse of `returnImmediately`.
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    pub blocking: Option<bool>,
}

/// SendMessage and SendStreamingMessage parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageRequest {
    /// Tenant, when the agent is multi-tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The message.
    pub message: Message,
    /// Options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<SendMessageConfiguration>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

impl SendMessageRequest {
    /// A request for `message` with no options.
    pub fn new(message: Message) -> Self {
        Self {
            tenant: None,
            message,
            configuration: None,
            metadata: None,
        }
    }
}

/// GetTask parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetTaskRequest {
    /// Tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The task id.
    pub id: String,
    /// How many history messages to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "history_length")]
    pub history_length: Option<i32>,
}

/// ListTasks parameters (all filters optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListTasksRequest {
    /// Tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Only tasks of this context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "context_id")]
    pub context_id: Option<String>,
    /// Only tasks in this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskState>,
    /// Page size, 1 to 100 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "page_size")]
    pub page_size: Option<i32>,
    /// Cursor from a previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "page_token")]
    pub page_token: Option<String>,
    /// How many history messages per task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "history_length")]
    pub history_length: Option<i32>,
    /// Only tasks whose status changed after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "status_timestamp_after")]
    pub status_timestamp_after: Option<DateTime<Utc>>,
    /// Include artifacts (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "include_artifacts")]
    pub include_artifacts: Option<bool>,
}

/// ListTasks result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListTasksResponse {
    /// The page, most recently updated first.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Cursor of the next page; empty on the last page.
    #[serde(default)]
    #[serde(alias = "next_page_token")]
    pub next_page_token: String,
    /// The page size used.
    #[serde(default)]
    #[serde(alias = "page_size")]
    pub page_size: i32,
    /// How many tasks match the filters in all.
    #[serde(default)]
    #[serde(alias = "total_size")]
    pub total_size: i32,
}

/// CancelTask parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelTaskRequest {
    /// Tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The task id.
    pub id: String,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// SubscribeToTask parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeToTaskRequest {
    /// Tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The task id.
    pub id: String,
}

/// Get/DeleteTaskPushNotificationConfig parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskPushNotificationConfigRequest {
    /// Tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The task id.
    #[serde(alias = "task_id")]
    pub task_id: String,
    /// The config id.
    pub id: String,
}

/// ListTaskPushNotificationConfigs parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListTaskPushNotificationConfigsRequest {
    /// Tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The task id.
    #[serde(alias = "task_id")]
    pub task_id: String,
    /// Page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "page_size")]
    pub page_size: Option<i32>,
    /// Cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(alias = "page_token")]
    pub page_token: Option<String>,
}

/// ListTaskPushNotificationConfigs result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListTaskPushNotificationConfigsResponse {
    /// The configs (credentials removed).
    #[serde(default)]
    pub configs: Vec<TaskPushNotificationConfig>,
    /// Cursor of the next page; empty on the last page.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[serde(alias = "next_page_token")]
    pub next_page_token: String,
}

/// GetExtendedAgentCard parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetExtendedAgentCardRequest {
    /// Tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn part_is_exactly_one_of() {
        let p: Part = serde_json::from_value(json!({"text": "hi", "mediaType": "text/plain"})).unwrap();
        assert_eq!(p.as_text(), Some("hi"));
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"text": "hi", "mediaType": "text/plain"})
        );
        assert!(serde_json::from_value::<Part>(json!({"text": "a", "url": "http://x"})).is_err());
        assert!(serde_json::from_value::<Part>(json!({"mediaType": "text/plain"})).is_err());
        let raw: Part = serde_json::from_value(json!({"raw": "aGk="})).unwrap();
        assert_eq!(raw.content, PartContent::Raw(b"hi".to_vec()));
        assert_eq!(serde_json::to_value(&raw).unwrap(), json!({"raw": "aGk="}));
    }

    #[test]
    fn legacy_parts_and_enums_are_read() {
        let m: Message = serde_json::from_value(json!({
            "messageId": "m", "role": "user", "kind": "message",
            "parts": [{"kind": "text", "text": "a"}, {"kind": "file", "file": {"uri": "http://f", "mimeType": "image/png"}}]
        }))
        .unwrap();
        assert_eq!(m.role, Role::User);
        assert_eq!(m.parts[1].content, PartContent::Url("http://f".into()));
        assert_eq!(m.parts[1].media_type.as_deref(), Some("image/png"));
        let s: TaskState = serde_json::from_value(json!("input-required")).unwrap();
        assert_eq!(s, TaskState::InputRequired);
    }

    #[test]
    fn results_and_events_are_wrapped() {
        let task = Task {
            id: "t".into(),
            context_id: "c".into(),
            status: TaskStatus {
                state: TaskState::Working,
                message: None,
                timestamp: None,
            },
            artifacts: vec![],
            history: vec![],
            metadata: None,
        };
        assert_eq!(
            serde_json::to_value(SendMessageResponse::Task(task.clone())).unwrap(),
            json!({"task": {"id": "t", "contextId": "c", "status": {"state": "TASK_STATE_WORKING"}}})
        );
        let ev = StreamResponse::StatusUpdate(TaskStatusUpdateEvent {
            task_id: "t".into(),
            context_id: "c".into(),
            status: TaskStatus {
                state: TaskState::Completed,
                message: None,
                timestamp: None,
            },
            metadata: None,
        });
        assert!(ev.is_final());
        assert_eq!(
            serde_json::to_value(&ev).unwrap(),
            json!({"statusUpdate": {"taskId": "t", "contextId": "c", "status": {"state": "TASK_STATE_COMPLETED"}}})
        );
    }

    #[test]
    fn history_truncates_from_the_front() {
        let mut t = Task {
            id: "t".into(),
            context_id: "c".into(),
            status: TaskStatus::new(TaskState::Working),
            artifacts: vec![],
            history: vec![
                Message::user_text("1"),
                Message::user_text("2"),
                Message::user_text("3"),
            ],
            metadata: None,
        };
        t.truncate_history(Some(2));
        assert_eq!(t.history.iter().map(Message::text).collect::<Vec<_>>(), ["2", "3"]);
        t.truncate_history(Some(0));
        assert!(t.history.is_empty());
    }

    #[test]
    fn json_schemas_describe_the_wire_form() {
        let req = serde_json::to_value(schemars::schema_for!(SendMessageRequest))
            .unwrap()
            .to_string();
        for field in [
            "messageId",
            "contextId",
            "referenceTaskIds",
            "returnImmediately",
            "mediaType",
            "raw",
        ] {
            assert!(req.contains(&format!("\"{field}\"")), "{field} missing from the schema");
        }
        assert!(req.contains("ROLE_USER"));
        let ev = serde_json::to_value(schemars::schema_for!(StreamResponse))
            .unwrap()
            .to_string();
        for field in [
            "statusUpdate",
            "artifactUpdate",
            "lastChunk",
            "TASK_STATE_INPUT_REQUIRED",
        ] {
            assert!(ev.contains(field), "{field} missing from the schema");
        }
        let card = serde_json::to_value(schemars::schema_for!(crate::card::AgentCard))
            .unwrap()
            .to_string();
        assert!(card.contains("supportedInterfaces") && card.contains("apiKeySecurityScheme"));
    }

    #[test]
    fn push_config_redaction_drops_credentials() {
        let c = TaskPushNotificationConfig {
            tenant: None,
            id: Some("p".into()),
            task_id: "t".into(),
            url: "http://h".into(),
            token: None,
            authentication: Some(AuthenticationInfo {
                scheme: "Bearer".into(),
                credentials: Some("s3cret".into()),
            }),
        };
        let v = serde_json::to_string(&c.redacted()).unwrap();
        assert!(!v.contains("s3cret"), "{v}");
    }
}
