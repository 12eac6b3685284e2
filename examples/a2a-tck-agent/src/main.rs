//! A test-fixture A2A agent for the A2A TCK: it reacts to the messageId prefixes of the
//! TCK's `scenarios/*.feature` and serves both bindings from one base URL.
//!
//! ```text
//! a2a-tck-agent --listen 127.0.0.1:9999
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use a2a_protocol::card::AgentSkill;
use a2a_protocol::types::{Artifact, Part};
use a2a_protocol::{
    A2aError, A2aServer, AgentCard, AgentExecutor, AuthConfig, EventSink, Message, PushConfig, RequestContext,
};
use anyhow::Context as _;
use clap::Parser;

/// Command line.
#[derive(Debug, Parser)]
#[command(version, about = "A2A TCK fixture agent (JSON-RPC and HTTP+JSON on one base URL)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9999")]
    listen: SocketAddr,
    /// Base URL announced in the agent card (default: http://<listen>).
    #[arg(long)]
    public_url: Option<String>,
    /// Do not offer push notifications.
    #[arg(long)]
    no_push: bool,
    /// Do not serve an extended agent card.
    #[arg(long)]
    no_extended_card: bool,
    /// Require this API key (header X-API-Key) on every A2A call.
    #[arg(long, env = "A2A_TCK_API_KEY")]
    api_key: Option<String>,
}

/// How long the resubscription scenario stays working (twice the TCK's stream timeout).
const RESUBSCRIBE_WORK: Duration = Duration::from_secs(4);

/// Plays the TCK scenarios; an unknown prefix completes the task.
#[derive(Debug)]
struct TckExecutor;

fn text_artifact(text: &str) -> Artifact {
    Artifact::new(vec![Part::text(text)])
}

fn file_artifact() -> Artifact {
    Artifact::new(vec![
        Part::raw(b"tck".to_vec())
            .with_media_type("text/plain")
            .with_filename("output.txt"),
    ])
}

/// Working, one artifact, completed: the shape of most streaming scenarios.
fn work_then_complete(events: &EventSink, artifact: Artifact) {
    events.working();
    events.artifact(artifact);
    events.complete(None);
}

#[a2a_protocol::async_trait]
impl AgentExecutor for TckExecutor {
    async fn execute(&self, ctx: RequestContext, events: EventSink) -> Result<(), A2aError> {
        let id = ctx.message.message_id.as_str();
        tracing::debug!(message_id = %id, task_id = %ctx.task_id, "scenario");
        let has = |prefix: &str| id.starts_with(prefix);
        if has("tck-stream-artifact-chunked") {
            events.working();
            let mut chunk = text_artifact("chunk-1 ");
            events.artifact_chunk(chunk.clone(), false, false);
            chunk.parts = vec![Part::text("chunk-2")];
            events.artifact_chunk(chunk, true, true);
            events.complete(None);
        } else if has("test-resubscribe-message-id") {
            events.working();
            tokio::select! {
                () = tokio::time::sleep(RESUBSCRIBE_WORK) => events.complete(None),
                () = ctx.cancelled() => {}
            }
        } else if has("tck-stream-artifact-text") {
            work_then_complete(&events, text_artifact("Streamed text content"));
        } else if has("tck-stream-artifact-file") {
            work_then_complete(&events, file_artifact());
        } else if has("tck-stream-ordering-001") {
            work_then_complete(&events, text_artifact("Ordered output"));
        } else if has("tck-stream-001") {
            work_then_complete(&events, text_artifact("Stream hello from TCK"));
        } else if has("tck-stream-002") {
            events.complete(None);
        } else if has("tck-stream-003") {
            work_then_complete(&events, text_artifact("Stream task lifecycle"));
        } else if has("tck-artifact-file-url") {
            events.artifact(Artifact::new(vec![
                Part::url("https://example.com/output.txt")
                    .with_media_type("text/plain")
                    .with_filename("output.txt"),
            ]));
            events.complete(None);
        } else if has("tck-artifact-file") {
            events.artifact(file_artifact());
            events.complete(None);
        } else if has("tck-artifact-text") {
            events.artifact(text_artifact("Generated text content"));
            events.complete(None);
        } else if has("tck-artifact-data") {
            events.artifact(Artifact::new(vec![Part::data(
                serde_json::json!({"key": "value", "count": 42}),
            )]));
            events.complete(None);
        } else if has("tck-message-response") {
            events.reply(Message::agent_text("Direct message response"));
        } else if has("tck-input-required") {
            events.input_required("Please provide more input");
        } else if has("tck-reject-task") {
            events.reject("rejected");
        } else if has("tck-complete-task") {
            events.complete(Some("Hello from TCK".into()));
        } else {
            events.complete(Some(format!("Unhandled messageId prefix: {id}")));
        }
        Ok(())
    }
}

/// The fixture's card.
fn card(base_url: &str) -> AgentCard {
    let mut card = AgentCard::new(
        "trailmesh A2A TCK agent",
        "Test fixture playing the A2A TCK scenarios on the a2a-protocol crate",
        env!("CARGO_PKG_VERSION"),
    )
    .with_http_interfaces(base_url);
    card.default_input_modes = vec![
        "text/plain".into(),
        "application/json".into(),
        "application/octet-stream".into(),
    ];
    card.default_output_modes = vec!["text/plain".into(), "application/json".into()];
    card.skills.push(AgentSkill {
        id: "tck".into(),
        name: "TCK conformance".into(),
        description: "Reacts to the TCK's messageId prefixes".into(),
        tags: vec!["tck".into()],
        examples: vec!["tck-complete-task".into()],
        input_modes: Vec::new(),
        output_modes: Vec::new(),
        security_requirements: Vec::new(),
    });
    card
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let local = listener.local_addr()?;
    let base = args.public_url.unwrap_or_else(|| format!("http://{local}"));
    let public = card(&base);
    let mut server = A2aServer::new(public.clone(), TckExecutor);
    if !args.no_extended_card {
        // What authenticated clients get (every client, unless --api-key is set).
        let mut extended = public;
        extended.capabilities.extended_agent_card = Some(true);
        extended.skills.push(AgentSkill {
            id: "tck-extended".into(),
            name: "Extended TCK skill".into(),
            description: "Only listed in the extended agent card".into(),
            tags: vec!["tck".into()],
            examples: Vec::new(),
            input_modes: Vec::new(),
            output_modes: Vec::new(),
            security_requirements: Vec::new(),
        });
        server = server.extended_card(extended);
    }
    if !args.no_push {
        // A fixture: the TCK's webhook receiver listens on loopback.
        server = server.push_notifications(PushConfig {
            allow_loopback: true,
            ..PushConfig::default()
        });
    }
    if let Some(key) = args.api_key {
        server = server.auth(AuthConfig {
            api_keys: vec![key],
            ..AuthConfig::default()
        });
    }
    tracing::info!(url = %base, "A2A TCK agent listening");
    // Printed for scripts that start the agent on port 0.
    println!("listening on {local}");
    axum::serve(listener, server.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use a2a_protocol::types::{PartContent, TaskState};
    use a2a_protocol::{AgentEvent, AgentExecutor, EventSink, Message, RequestContext};

    use super::TckExecutor;

    /// The events the executor emits for a message id.
    async fn play(message_id: &str) -> Vec<AgentEvent> {
        let mut message = Message::user_text("tck");
        message.message_id = message_id.into();
        let ctx = RequestContext::for_message(message);
        let (sink, mut rx) = EventSink::channel(ctx.task_id.clone(), ctx.context_id.clone());
        TckExecutor.execute(ctx, sink).await.expect("execute");
        let mut out = Vec::new();
        while let Some(ev) = rx.recv().await {
            out.push(ev);
        }
        out
    }

    fn states(events: &[AgentEvent]) -> Vec<TaskState> {
        events
            .iter()
            .filter_map(|e| {
                if let AgentEvent::Status(s) = e {
                    Some(s.state)
                } else {
                    None
                }
            })
            .collect()
    }

    #[tokio::test]
    async fn scenarios_follow_the_feature_files() {
        let done = play("tck-complete-task-abc").await;
        assert_eq!(states(&done), [TaskState::Completed]);
        let ordered = play("tck-stream-ordering-001-x").await;
        assert_eq!(states(&ordered), [TaskState::Working, TaskState::Completed]);
        assert!(
            matches!(&ordered[1], AgentEvent::Artifact { artifact, .. } if artifact.parts[0].as_text() == Some("Ordered output"))
        );
        let url = play("tck-artifact-file-url-1").await;
        assert!(matches!(&url[0], AgentEvent::Artifact { artifact, .. }
            if artifact.parts[0].content == PartContent::Url("https://example.com/output.txt".into())));
        assert!(
            matches!(&play("tck-message-response-1").await[0], AgentEvent::Message(m) if m.text() == "Direct message response")
        );
        assert_eq!(states(&play("tck-input-required-1").await), [TaskState::InputRequired]);
        assert_eq!(states(&play("tck-reject-task-1").await), [TaskState::Rejected]);
        let chunks = play("tck-stream-artifact-chunked-1").await;
        assert!(matches!(
            &chunks[2],
            AgentEvent::Artifact {
                append: true,
                last_chunk: true,
                ..
            }
        ));
    }
}
