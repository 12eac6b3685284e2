//! The binding-independent request handler: one executor, one store, live runs.
//!
//! Each message starts a *run*: the executor's events arrive on a channel, one driver task
//! applies them in order to the task snapshot, fans them out to every subscriber (the
//! requester, resubscribers), saves the task and queues push notifications. A run ends at a
//! terminal or interrupted state, or when the executor drops its sink.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::Stream;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::card::AgentCard;
use crate::error::A2aError;
use crate::executor::{AgentEvent, AgentExecutor, EventSink, RequestContext};
use crate::jsonrpc::Request;
use crate::push::PushSender;
use crate::store::{StoreError, TaskStore};
use crate::types::{
    CancelTaskRequest, GetTaskRequest, ListTaskPushNotificationConfigsResponse, ListTasksRequest, Message,
    SendMessageRequest, SendMessageResponse, StreamResponse, SubscribeToTaskRequest, Task, TaskArtifactUpdateEvent,
    TaskPushNotificationConfig, TaskState, TaskStatus, TaskStatusUpdateEvent,
};

/// One item of an event stream: an event, or the error that ends it.
pub(crate) type StreamItem = Result<StreamResponse, A2aError>;
/// An event stream handed to a binding.
pub(crate) type EventStream = Pin<Box<dyn Stream<Item = StreamItem> + Send>>;

/// What an operation produced.
pub(crate) enum Reply {
    /// A JSON result (the JSON-RPC `result`, the REST body), serialized once.
    Json(Box<serde_json::value::RawValue>),
    /// An SSE stream.
    Stream(EventStream),
    /// No content (REST DELETE).
    Empty,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Json(v) => f.debug_tuple("Json").field(v).finish(),
            Self::Stream(_) => f.write_str("Stream"),
            Self::Empty => f.write_str("Empty"),
        }
    }
}

/// Per-call facts taken from the HTTP request.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallMeta {
    /// Extensions declared in `A2A-Extensions`.
    pub extensions: Vec<String>,
}

/// Message for items sent by an executor sink.
#[derive(Debug)]
pub(crate) enum SinkItem {
    Event(AgentEvent),
    Failed(A2aError),
}

/// Someone reading a task's events.
#[derive(Debug)]
struct Subscriber {
    tx: mpsc::UnboundedSender<StreamItem>,
    /// SubscribeToTask streams stay open through interrupted states; message streams do not.
    until_terminal: bool,
}

/// What subscribers of a run see: the task as last published (already saved).
#[derive(Debug)]
struct RunState {
    /// The published task, once it exists.
    task: Option<Task>,
    subscribers: Vec<Subscriber>,
    /// The run published its last event; a new message may start the next run.
    done: bool,
}

/// The driver's own view of a run, ahead of what is published.
#[derive(Debug)]
struct Working {
    /// The task, once it exists.
    task: Option<Task>,
    /// The task to create on the first task event (new tasks only).
    pending: Option<Task>,
    /// A terminal or interrupted state (or a direct message) was reached.
    finished: bool,
}

/// Live runs, and subscribers of tasks that wait (interrupted) with no run.
#[derive(Debug, Default)]
struct Live {
    runs: HashMap<String, Arc<Run>>,
    watchers: HashMap<String, Vec<Subscriber>>,
}

#[derive(Debug)]
struct Run {
    state: Mutex<RunState>,
    cancel: watch::Sender<bool>,
    sink: mpsc::WeakUnboundedSender<SinkItem>,
    ctx: RequestContext,
}

impl Run {
    /// Adds a subscriber; it first gets the current task snapshot (if the task exists).
    fn subscribe(&self, with_snapshot: bool, until_terminal: bool) -> Option<mpsc::UnboundedReceiver<StreamItem>> {
        let mut st = self.state.lock().ok()?;
        if st.done {
            return None;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        if with_snapshot && let Some(task) = &st.task {
            let _ = tx.send(Ok(StreamResponse::Task(task.clone())));
        }
        st.subscribers.push(Subscriber { tx, until_terminal });
        Some(rx)
    }
}

/// The handler shared by both bindings.
#[derive(Debug)]
pub(crate) struct Core {
    pub card: AgentCard,
    pub extended_card: Option<AgentCard>,
    pub executor: Arc<dyn AgentExecutor>,
    pub store: Arc<dyn TaskStore>,
    pub push: Option<PushSender>,
    live: Mutex<Live>,
}

fn store_err(e: StoreError) -> A2aError {
    match e {
        StoreError::InvalidPageToken => A2aError::InvalidParams("invalid pageToken".into()),
        StoreError::Backend(detail) => {
            tracing::error!(error = %detail, "task store failed");
            A2aError::Internal
        }
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<Reply, A2aError> {
    serde_json::value::to_raw_value(v).map(Reply::Json).map_err(|e| {
        tracing::error!(error = %e, "serializing a result failed");
        A2aError::Internal
    })
}

/// Does `media_type` match one of `modes` (exact, `type/*` or `*/*`)?
fn media_type_accepted(media_type: &str, modes: &[String]) -> bool {
    let mt = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    modes.iter().any(|m| {
        let m = m.to_ascii_lowercase();
        m == mt || m == "*/*" || (m.ends_with("/*") && mt.starts_with(&m[..m.len() - 1]))
    })
}

impl Core {
    pub fn new(
        card: AgentCard,
        extended_card: Option<AgentCard>,
        executor: Arc<dyn AgentExecutor>,
        store: Arc<dyn TaskStore>,
        push: Option<PushSender>,
    ) -> Self {
        Self {
            card,
            extended_card,
            executor,
            store,
            push,
            live: Mutex::new(Live::default()),
        }
    }

    fn streaming(&self) -> bool {
        self.card.capabilities.streaming == Some(true)
    }

    fn run(&self, task_id: &str) -> Option<Arc<Run>> {
        self.live.lock().ok()?.runs.get(task_id).cloned()
    }

    /// The run of a task that still accepts events.
    fn active_run(&self, task_id: &str) -> Option<Arc<Run>> {
        self.run(task_id).filter(|r| r.state.lock().is_ok_and(|s| !s.done))
    }

    /// The task as stored: runs save before they publish, so the store is never behind
    /// what a client has seen.
    async fn load(&self, id: &str) -> Result<Task, A2aError> {
        self.store
            .get(id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| A2aError::TaskNotFound(id.to_string()))
    }

    /// Handles one decoded request.
    pub async fn handle(self: &Arc<Self>, req: Request, meta: CallMeta) -> Result<Reply, A2aError> {
        match req {
            Request::SendMessage(r) => {
                let history = r.configuration.as_ref().and_then(|c| c.history_length);
                match self.send(r, meta).await? {
                    SendMessageResponse::Task(mut t) => {
                        t.truncate_history(history);
                        json(&SendMessageResponse::Task(t))
                    }
                    m => json(&m),
                }
            }
            Request::SendStreamingMessage(r) => {
                if !self.streaming() {
                    return Err(A2aError::UnsupportedOperation("streaming is not supported".into()));
                }
                let rx = self.start(r, meta, true).await?;
                Ok(Reply::Stream(Box::pin(UnboundedReceiverStream::new(rx))))
            }
            Request::GetTask(GetTaskRequest { id, history_length, .. }) => {
                let mut t = self.load(&id).await?;
                t.truncate_history(history_length);
                json(&t)
            }
            Request::ListTasks(q) => self.list(q).await,
            Request::CancelTask(CancelTaskRequest { id, .. }) => json(&self.cancel(&id).await?),
            Request::SubscribeToTask(SubscribeToTaskRequest { id, .. }) => {
                if !self.streaming() {
                    return Err(A2aError::UnsupportedOperation("streaming is not supported".into()));
                }
                self.subscribe(&id).await.map(Reply::Stream)
            }
            Request::CreatePushConfig(c) => {
                let push = self.push.as_ref().ok_or(A2aError::PushNotificationNotSupported)?;
                self.load(&c.task_id).await?;
                let saved = self.save_push_config(push, c).await?;
                json(&saved.redacted())
            }
            Request::GetPushConfig(r) => {
                self.push.as_ref().ok_or(A2aError::PushNotificationNotSupported)?;
                self.load(&r.task_id).await?;
                let c = self.store.get_push_config(&r.task_id, &r.id).await.map_err(store_err)?;
                let c = c.ok_or_else(|| A2aError::InvalidParams(format!("no push notification config {:?}", r.id)))?;
                json(&c.redacted())
            }
            Request::ListPushConfigs(r) => {
                self.push.as_ref().ok_or(A2aError::PushNotificationNotSupported)?;
                self.load(&r.task_id).await?;
                let configs = self.store.list_push_configs(&r.task_id).await.map_err(store_err)?;
                json(&ListTaskPushNotificationConfigsResponse {
                    configs: configs.iter().map(TaskPushNotificationConfig::redacted).collect(),
                    next_page_token: String::new(),
                })
            }
            Request::DeletePushConfig(r) => {
                self.push.as_ref().ok_or(A2aError::PushNotificationNotSupported)?;
                self.load(&r.task_id).await?;
                self.store
                    .delete_push_config(&r.task_id, &r.id)
                    .await
                    .map_err(store_err)?;
                Ok(Reply::Empty)
            }
            Request::GetExtendedAgentCard(_) => {
                if self.card.capabilities.extended_agent_card != Some(true) {
                    return Err(A2aError::UnsupportedOperation(
                        "this agent has no extended agent card".into(),
                    ));
                }
                let card = self
                    .extended_card
                    .as_ref()
                    .ok_or(A2aError::ExtendedAgentCardNotConfigured)?;
                json(card)
            }
        }
    }

    async fn save_push_config(
        &self,
        push: &PushSender,
        mut c: TaskPushNotificationConfig,
    ) -> Result<TaskPushNotificationConfig, A2aError> {
        push.check_url_syntax(&c.url)?;
        if c.id.as_deref().is_none_or(str::is_empty) {
            c.id = Some(uuid::Uuid::new_v4().to_string());
        }
        self.store.save_push_config(&c).await.map_err(store_err)?;
        Ok(c)
    }

    async fn list(&self, q: ListTasksRequest) -> Result<Reply, A2aError> {
        let mut page = self.store.list(&q).await.map_err(store_err)?;
        for t in &mut page.tasks {
            t.truncate_history(q.history_length);
            if q.include_artifacts != Some(true) {
                t.artifacts.clear();
            }
        }
        json(&page)
    }

    /// SendMessage: waits for a terminal or interrupted state (or the first task event with
    /// `returnImmediately`).
    async fn send(self: &Arc<Self>, r: SendMessageRequest, meta: CallMeta) -> Result<SendMessageResponse, A2aError> {
        let immediately = r
            .configuration
            .as_ref()
            .is_some_and(|c| c.return_immediately || c.blocking == Some(false));
        let mut rx = self.start(r, meta, false).await?;
        let mut task: Option<Task> = None;
        while let Some(item) = rx.recv().await {
            match item? {
                StreamResponse::Message(m) if task.is_none() => return Ok(SendMessageResponse::Message(m)),
                StreamResponse::Message(m) => {
                    if let Some(t) = &mut task {
                        t.history.push(m);
                    }
                }
                StreamResponse::Task(t) => {
                    let stop = immediately;
                    task = Some(t);
                    if stop {
                        break;
                    }
                }
                ev @ (StreamResponse::StatusUpdate(_) | StreamResponse::ArtifactUpdate(_)) => {
                    if let Some(t) = &mut task {
                        apply(t, &ev);
                    }
                    if ev.is_final() {
                        break;
                    }
                }
            }
        }
        task.map(SendMessageResponse::Task).ok_or_else(|| {
            A2aError::InvalidAgentResponse("the agent ended without producing a task or a message".into())
        })
    }

    /// Validates a message, sets up its run and returns the requester's event receiver.
    async fn start(
        self: &Arc<Self>,
        r: SendMessageRequest,
        meta: CallMeta,
        streaming: bool,
    ) -> Result<mpsc::UnboundedReceiver<StreamItem>, A2aError> {
        for ext in self.card.capabilities.extensions.iter().filter(|e| e.required) {
            if !meta.extensions.iter().any(|e| e == &ext.uri) {
                return Err(A2aError::ExtensionSupportRequired(ext.uri.clone()));
            }
        }
        let mut accepted: Vec<String> = self.card.default_input_modes.clone();
        for s in &self.card.skills {
            accepted.extend(s.input_modes.iter().cloned());
        }
        for p in &r.message.parts {
            if let Some(mt) = &p.media_type
                && !media_type_accepted(mt, &accepted)
            {
                return Err(A2aError::ContentTypeNotSupported(format!(
                    "media type {mt:?} is not accepted"
                )));
            }
        }
        let push_config = r
            .configuration
            .as_ref()
            .and_then(|c| c.task_push_notification_config.clone());
        if push_config.is_some() && self.push.is_none() {
            return Err(A2aError::PushNotificationNotSupported);
        }

        let mut message = r.message;
        let (task_id, context_id, existing) = match message.task_id.clone().filter(|t| !t.is_empty()) {
            Some(task_id) => {
                let task = self.load(&task_id).await?;
                if task.status.state.is_terminal() {
                    return Err(A2aError::UnsupportedOperation(format!(
                        "task {task_id} is in terminal state {}",
                        task.status.state.as_str()
                    )));
                }
                if let Some(ctx) = message.context_id.as_ref().filter(|c| !c.is_empty())
                    && ctx != &task.context_id
                {
                    return Err(A2aError::InvalidParams(format!(
                        "contextId {ctx:?} does not match the context of task {task_id}"
                    )));
                }
                if self.active_run(&task_id).is_some() {
                    return Err(A2aError::UnsupportedOperation(format!(
                        "task {task_id} is still being processed"
                    )));
                }
                (task_id, task.context_id.clone(), Some(task))
            }
            None => {
                let ctx = message
                    .context_id
                    .clone()
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                (uuid::Uuid::new_v4().to_string(), ctx, None)
            }
        };
        message.task_id = Some(task_id.clone());
        message.context_id = Some(context_id.clone());

        if let (Some(push), Some(mut c)) = (&self.push, push_config) {
            c.task_id = task_id.clone();
            self.save_push_config(push, c).await?;
        }

        let (cancel_tx, cancel_rx) = watch::channel(false);
        let ctx = RequestContext {
            task_id: task_id.clone(),
            context_id: context_id.clone(),
            message: message.clone(),
            task: existing.clone(),
            configuration: r.configuration,
            metadata: r.metadata,
            extensions: meta.extensions,
            streaming,
            cancel: cancel_rx,
        };
        let (tx, rx_events) = mpsc::unbounded_channel();
        let (mut task, pending) = match existing {
            Some(mut t) => {
                // The new message is accepted and waits for the executor.
                if let Some(previous) = t.status.message.take() {
                    t.history.push(previous);
                }
                t.status = TaskStatus::new(TaskState::Submitted);
                t.history.push(message);
                (Some(t), None)
            }
            None => (
                None,
                Some(Task {
                    id: task_id.clone(),
                    context_id: context_id.clone(),
                    status: TaskStatus::new(TaskState::Submitted),
                    artifacts: Vec::new(),
                    history: vec![message],
                    metadata: None,
                }),
            ),
        };
        if let Some(t) = &mut task {
            self.store.save(t).await.map_err(store_err)?;
        }
        let (sub_tx, sub_rx) = mpsc::unbounded_channel();
        if let Some(t) = &task {
            let _ = sub_tx.send(Ok(StreamResponse::Task(t.clone())));
        }
        let run = {
            let mut live = self.live.lock().map_err(|_| A2aError::Internal)?;
            let mut subscribers = vec![Subscriber {
                tx: sub_tx,
                until_terminal: false,
            }];
            if let Some(previous) = live.runs.get(&task_id) {
                let Ok(mut prev) = previous.state.lock() else {
                    return Err(A2aError::Internal);
                };
                if !prev.done {
                    return Err(A2aError::UnsupportedOperation(format!(
                        "task {task_id} is still being processed"
                    )));
                }
                // The previous run is over but still winding down: its SubscribeToTask
                // streams follow the task into this run.
                let (keep, _): (Vec<_>, Vec<_>) = std::mem::take(&mut prev.subscribers)
                    .into_iter()
                    .partition(|s| s.until_terminal);
                subscribers.extend(keep);
            }
            subscribers.extend(live.watchers.remove(&task_id).unwrap_or_default());
            let working = Working {
                task: task.clone(),
                pending,
                finished: false,
            };
            let run = Arc::new(Run {
                state: Mutex::new(RunState {
                    task,
                    subscribers,
                    done: false,
                }),
                cancel: cancel_tx,
                sink: tx.downgrade(),
                ctx: ctx.clone(),
            });
            live.runs.insert(task_id.clone(), run.clone());
            (run, working)
        };
        let (run, working) = run;
        let sink = EventSink::from_internal(tx, task_id.clone(), context_id);
        let core = self.clone();
        tokio::spawn(async move { core.drive(run, working, ctx, sink, rx_events).await });
        Ok(sub_rx)
    }

    /// Runs the executor and applies its events in order until the run ends. The execute
    /// future lives in this task and is dropped when the run ends (terminal or interrupted
    /// state), which is also how a canceled executor stops.
    async fn drive(
        self: Arc<Self>,
        run: Arc<Run>,
        mut working: Working,
        ctx: RequestContext,
        sink: EventSink,
        mut rx: mpsc::UnboundedReceiver<SinkItem>,
    ) {
        let task_id = run.ctx.task_id.clone();
        let push = self
            .push
            .as_ref()
            .map(|p| p.worker(self.store.clone(), task_id.clone()));
        let executor = self.executor.clone();
        let fail = sink.clone();
        let exec = async move {
            if let Err(e) = executor.execute(ctx, sink).await {
                fail.fail_internal(e);
            }
        };
        tokio::pin!(exec);
        let mut exec_done = false;
        let mut batch = Vec::new();
        while !working.finished {
            tokio::select! {
                biased;
                () = &mut exec, if !exec_done => {
                    exec_done = true;
                    continue;
                }
                item = rx.recv() => match item {
                    Some(item) => batch.push(item),
                    None => break,
                },
            }
            while let Ok(item) = rx.try_recv() {
                batch.push(item);
            }
            // Apply the batch to the driver's copy, save, then publish: whoever sees an
            // event can read the task it produced.
            let mut events: Vec<StreamItem> = Vec::new();
            for item in batch.drain(..) {
                if working.finished {
                    break;
                }
                match item {
                    SinkItem::Event(ev) => events.extend(Self::apply_event(&mut working, ev).into_iter().map(Ok)),
                    SinkItem::Failed(err) if working.task.is_none() => {
                        working.finished = true;
                        events.push(Err(err));
                    }
                    SinkItem::Failed(err) => {
                        tracing::warn!(task_id = %task_id, error = %err, "executor failed");
                        let mut status = TaskStatus::new(TaskState::Failed);
                        status.message = Some(Message::agent_text(err.to_string()));
                        events.extend(
                            Self::apply_event(&mut working, AgentEvent::Status(status))
                                .into_iter()
                                .map(Ok),
                        );
                    }
                }
            }
            if let Some(t) = &working.task
                && !events.is_empty()
                && let Err(e) = self.store.save(t).await
            {
                tracing::error!(task_id = %task_id, error = %e, "saving task failed");
            }
            if let Ok(mut st) = run.state.lock() {
                st.task.clone_from(&working.task);
                st.subscribers
                    .retain(|s| events.iter().all(|e| s.tx.send(e.clone()).is_ok()));
                st.done = working.finished;
            }
            if let (Some(p), true) = (&push, working.task.is_some()) {
                for ev in events.into_iter().flatten() {
                    p.send(ev);
                }
            }
        }
        let (subscribers, terminal) = match run.state.lock() {
            Ok(mut st) => {
                st.done = true;
                let terminal = st.task.as_ref().is_none_or(|t| t.status.state.is_terminal());
                (std::mem::take(&mut st.subscribers), terminal)
            }
            Err(_) => (Vec::new(), true),
        };
        if let Ok(mut live) = self.live.lock()
            && live.runs.get(&task_id).is_some_and(|r| Arc::ptr_eq(r, &run))
        {
            live.runs.remove(&task_id);
            if !terminal {
                let keep: Vec<Subscriber> = subscribers.into_iter().filter(|s| s.until_terminal).collect();
                if !keep.is_empty() {
                    live.watchers.entry(task_id.clone()).or_default().extend(keep);
                }
            }
        }
        tracing::debug!(task_id = %task_id, "run ended");
    }

    /// Applies one executor event to the driver's copy; returns the stream events it produces.
    fn apply_event(w: &mut Working, ev: AgentEvent) -> Vec<StreamResponse> {
        let mut out = Vec::with_capacity(2);
        if let AgentEvent::Message(m) = &ev
            && w.task.is_none()
        {
            out.push(StreamResponse::Message(m.clone()));
            w.finished = true;
            return out;
        }
        if w.task.is_none() {
            let Some(t) = w.pending.take() else { return out };
            out.push(StreamResponse::Task(t.clone()));
            w.task = Some(t);
        }
        let Some(task) = w.task.as_mut() else { return out };
        let stream_ev = match ev {
            AgentEvent::Message(m) => StreamResponse::Message(m),
            AgentEvent::Status(status) => StreamResponse::StatusUpdate(TaskStatusUpdateEvent {
                task_id: task.id.clone(),
                context_id: task.context_id.clone(),
                status,
                metadata: None,
            }),
            AgentEvent::Artifact {
                artifact,
                append,
                last_chunk,
            } => StreamResponse::ArtifactUpdate(TaskArtifactUpdateEvent {
                task_id: task.id.clone(),
                context_id: task.context_id.clone(),
                artifact,
                append,
                last_chunk,
                metadata: None,
            }),
        };
        apply(task, &stream_ev);
        w.finished |= stream_ev.is_final();
        out.push(stream_ev);
        out
    }

    async fn subscribe(&self, id: &str) -> Result<EventStream, A2aError> {
        if let Some(run) = self.active_run(id)
            && let Some(rx) = run.subscribe(true, true)
        {
            return Ok(Box::pin(UnboundedReceiverStream::new(rx)));
        }
        let task = self.load(id).await?;
        if task.status.state.is_terminal() {
            return Err(A2aError::UnsupportedOperation(format!(
                "task {id} is in terminal state {}; nothing to subscribe to",
                task.status.state.as_str()
            )));
        }
        // Idle (interrupted) task: the snapshot now, the next run's events later.
        let (tx, rx) = mpsc::unbounded_channel();
        let _ = tx.send(Ok(StreamResponse::Task(task)));
        let mut live = self.live.lock().map_err(|_| A2aError::Internal)?;
        if let Some(run) = live.runs.get(id).cloned()
            && let Some(rx) = run.subscribe(true, true)
        {
            return Ok(Box::pin(UnboundedReceiverStream::new(rx)));
        }
        let watchers = live.watchers.entry(id.to_string()).or_default();
        watchers.retain(|w| !w.tx.is_closed());
        watchers.push(Subscriber {
            tx,
            until_terminal: true,
        });
        Ok(Box::pin(UnboundedReceiverStream::new(rx)))
    }

    async fn cancel(self: &Arc<Self>, id: &str) -> Result<Task, A2aError> {
        let not_cancelable = |t: &Task| A2aError::TaskNotCancelable {
            task_id: t.id.clone(),
            state: t.status.state.as_str(),
        };
        if let Some(run) = self.run(id)
            && let Some(sender) = run.sink.upgrade()
            && let Some(mut rx) = run.subscribe(false, false)
        {
            let _ = run.cancel.send(true);
            let sink = EventSink::from_internal(sender, id.to_string(), run.ctx.context_id.clone());
            if let Err(e) = self.executor.cancel(run.ctx.clone(), sink).await {
                tracing::warn!(task_id = %id, error = %e, "executor cancel failed");
            }
            let wait = async {
                while let Some(Ok(ev)) = rx.recv().await {
                    if ev.is_final() {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), wait).await;
            let task = self.load(id).await?;
            return if task.status.state == TaskState::Canceled {
                Ok(task)
            } else {
                Err(not_cancelable(&task))
            };
        }
        let mut task = self.load(id).await?;
        if task.status.state.is_terminal() {
            return Err(not_cancelable(&task));
        }
        // No live run (interrupted task): cancel it here.
        let ev = StreamResponse::StatusUpdate(TaskStatusUpdateEvent {
            task_id: task.id.clone(),
            context_id: task.context_id.clone(),
            status: TaskStatus::new(TaskState::Canceled),
            metadata: None,
        });
        apply(&mut task, &ev);
        self.store.save(&task).await.map_err(store_err)?;
        let watchers = self
            .live
            .lock()
            .ok()
            .and_then(|mut l| l.watchers.remove(id))
            .unwrap_or_default();
        for w in watchers {
            let _ = w.tx.send(Ok(ev.clone()));
        }
        if let Some(p) = &self.push {
            p.worker(self.store.clone(), task.id.clone()).send(ev);
        }
        Ok(task)
    }
}

/// Applies a stream event to a task snapshot.
pub(crate) fn apply(task: &mut Task, ev: &StreamResponse) {
    match ev {
        StreamResponse::Task(t) => *task = t.clone(),
        StreamResponse::Message(m) => task.history.push(m.clone()),
        StreamResponse::StatusUpdate(s) => {
            if let Some(previous) = task.status.message.take() {
                task.history.push(previous);
            }
            task.status = s.status.clone();
        }
        StreamResponse::ArtifactUpdate(a) => task.apply_artifact(a),
    }
}

impl EventSink {
    /// Reports an executor error to the driver.
    pub(crate) fn fail_internal(&self, err: A2aError) {
        let _ = self.tx.send(SinkItem::Failed(err));
    }
}

/// Collects a stream into a `Vec` (tests).
#[cfg(test)]
pub(crate) async fn collect(mut s: EventStream) -> Vec<StreamItem> {
    use tokio_stream::StreamExt as _;
    let mut out = Vec::new();
    while let Some(i) = s.next().await {
        out.push(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::InMemoryTaskStore;
    use crate::types::{Artifact, Part};

    #[derive(Debug)]
    struct Script;

    #[async_trait::async_trait]
    impl AgentExecutor for Script {
        async fn execute(&self, ctx: RequestContext, events: EventSink) -> Result<(), A2aError> {
            match ctx.message.text().as_str() {
                "message" => events.reply(Message::agent_text("hi")),
                "ask" => events.input_required("more?"),
                "boom" => return Err(A2aError::UnsupportedOperation("no".into())),
                "slow" => {
                    events.working();
                    ctx.cancelled().await;
                }
                _ => {
                    events.working();
                    events.artifact(Artifact::new(vec![Part::text("a")]));
                    events.complete(Some("done".into()));
                }
            }
            Ok(())
        }
    }

    fn core() -> Arc<Core> {
        let mut card = AgentCard::new("t", "t", "1");
        card.capabilities.streaming = Some(true);
        Arc::new(Core::new(
            card,
            None,
            Arc::new(Script),
            Arc::new(InMemoryTaskStore::new()),
            None,
        ))
    }

    fn send(text: &str) -> SendMessageRequest {
        SendMessageRequest::new(Message::user_text(text))
    }

    #[tokio::test]
    async fn stream_starts_with_task_and_ends_at_terminal() {
        let c = core();
        let Reply::Stream(s) = c
            .handle(Request::SendStreamingMessage(send("go")), CallMeta::default())
            .await
            .unwrap()
        else {
            panic!("not a stream")
        };
        let events: Vec<_> = collect(s).await.into_iter().map(Result::unwrap).collect();
        assert!(matches!(&events[0], StreamResponse::Task(t) if t.status.state == TaskState::Submitted));
        assert!(matches!(&events[1], StreamResponse::StatusUpdate(s) if s.status.state == TaskState::Working));
        assert!(matches!(&events[2], StreamResponse::ArtifactUpdate(_)));
        assert!(matches!(&events[3], StreamResponse::StatusUpdate(s) if s.status.state == TaskState::Completed));
        assert_eq!(events.len(), 4);
    }

    #[tokio::test]
    async fn blocking_send_returns_final_task_and_message_replies() {
        let c = core();
        let SendMessageResponse::Task(t) = c.send(send("go"), CallMeta::default()).await.unwrap() else {
            panic!()
        };
        assert_eq!(t.status.state, TaskState::Completed);
        assert_eq!(t.artifacts.len(), 1);
        assert_eq!(c.load(&t.id).await.unwrap().status.state, TaskState::Completed);
        assert!(matches!(
            c.send(send("message"), CallMeta::default()).await.unwrap(),
            SendMessageResponse::Message(_)
        ));
        assert_eq!(
            c.send(send("boom"), CallMeta::default()).await.unwrap_err(),
            A2aError::UnsupportedOperation("no".into())
        );
    }

    #[tokio::test]
    async fn continue_cancel_and_terminal_rules() {
        let c = core();
        let SendMessageResponse::Task(t) = c.send(send("ask"), CallMeta::default()).await.unwrap() else {
            panic!()
        };
        assert_eq!(t.status.state, TaskState::InputRequired);
        let mut follow = send("go");
        follow.message.task_id = Some(t.id.clone());
        let SendMessageResponse::Task(t2) = c.send(follow.clone(), CallMeta::default()).await.unwrap() else {
            panic!()
        };
        assert_eq!(t2.id, t.id);
        assert_eq!(t2.status.state, TaskState::Completed);
        assert!(matches!(
            c.send(follow, CallMeta::default()).await,
            Err(A2aError::UnsupportedOperation(_))
        ));
        assert!(matches!(c.cancel(&t.id).await, Err(A2aError::TaskNotCancelable { .. })));
        assert!(matches!(c.cancel("nope").await, Err(A2aError::TaskNotFound(_))));

        let mut slow = send("slow");
        slow.configuration = Some(crate::types::SendMessageConfiguration {
            return_immediately: true,
            ..Default::default()
        });
        let SendMessageResponse::Task(t3) = c.send(slow, CallMeta::default()).await.unwrap() else {
            panic!()
        };
        assert!(!t3.status.state.is_terminal());
        let canceled = c.cancel(&t3.id).await.unwrap();
        assert_eq!(canceled.status.state, TaskState::Canceled);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_interrupted_task_can_be_continued_at_once() {
        let c = core();
        for _ in 0..200 {
            let SendMessageResponse::Task(t) = c.send(send("ask"), CallMeta::default()).await.unwrap() else {
                panic!()
            };
            let mut follow = send("go");
            follow.message.task_id = Some(t.id.clone());
            let SendMessageResponse::Task(done) = c.send(follow, CallMeta::default()).await.unwrap() else {
                panic!()
            };
            assert_eq!(done.status.state, TaskState::Completed);
            assert_eq!(c.load(&t.id).await.unwrap().status.state, TaskState::Completed);
        }
    }

    #[tokio::test]
    async fn a_subscription_follows_an_interrupted_task_to_its_end() {
        let c = core();
        let SendMessageResponse::Task(t) = c.send(send("ask"), CallMeta::default()).await.unwrap() else {
            panic!()
        };
        let sub = c.subscribe(&t.id).await.unwrap();
        let mut follow = send("go");
        follow.message.task_id = Some(t.id.clone());
        c.send(follow, CallMeta::default()).await.unwrap();
        let events: Vec<_> = collect(sub).await.into_iter().map(Result::unwrap).collect();
        assert!(matches!(&events[0], StreamResponse::Task(t) if t.status.state == TaskState::InputRequired));
        assert!(
            matches!(events.last(), Some(StreamResponse::StatusUpdate(s)) if s.status.state == TaskState::Completed)
        );
    }
}
