//! The orchestrator as an A2A agent: a text question in, the answer (text plus a data part
//! with the delegated results) out. The A2A contextId is the conversation id, so follow-ups
//! sent in the same context keep their context.

use a2a_protocol::card::{AgentProvider, AgentSkill};
use a2a_protocol::types::{Artifact, Part};
use a2a_protocol::{A2aError, AgentCard, AgentExecutor, EventSink, RequestContext};

use crate::Orchestrator;

/// Executes questions.
#[derive(Debug)]
pub(crate) struct ChatExecutor {
    pub orchestrator: Orchestrator,
}

#[a2a_protocol::async_trait]
impl AgentExecutor for ChatExecutor {
    async fn execute(&self, ctx: RequestContext, events: EventSink) -> Result<(), A2aError> {
        let text = ctx.message.text();
        if text.trim().is_empty() {
            events.reject("send the question as a text part");
            return Ok(());
        }
        if text.chars().count() > crate::MAX_MESSAGE_CHARS {
            events.reject(format!(
                "the question is longer than {} characters",
                crate::MAX_MESSAGE_CHARS
            ));
            return Ok(());
        }
        events.working();
        match self.orchestrator.ask(&text, Some(&ctx.context_id), None).await {
            Ok(answer) => {
                let data = serde_json::to_value(&answer).unwrap_or_default();
                events.artifact(
                    Artifact::new(vec![Part::text(answer.answer.clone()), Part::data(data)]).with_name("answer"),
                );
                events.complete(Some(answer.answer));
            }
            Err(e) => events.fail(format!("could not answer: {e}")),
        }
        Ok(())
    }
}

/// The orchestrator's card.
pub(crate) fn card(base_url: &str) -> AgentCard {
    let mut card = AgentCard::new(
        "trailmesh orchestrator",
        "Answers questions about wildlife trail cameras (events, species, cameras, activity, abundance, trails) by delegating to the trailmesh skill agents and any other A2A agent it is configured with.",
        env!("CARGO_PKG_VERSION"),
    )
    .with_http_interfaces(base_url);
    card.capabilities.streaming = Some(true);
    card.provider = Some(AgentProvider {
        url: "https://example.invalid/trailmesh".into(),
        organization: "trailmesh".into(),
    });
    card.default_input_modes = vec!["text/plain".into()];
    card.default_output_modes = vec!["text/plain".into(), "application/json".into()];
    card.skills.push(AgentSkill {
        id: "ask".into(),
        name: "Ask about the wildlife cameras".into(),
        description: "A question in plain English; follow-ups in the same context keep its context.".into(),
        tags: vec![
            "wildlife".into(),
            "camera trap".into(),
            "chat".into(),
            "orchestrator".into(),
        ],
        examples: vec![
            "What were the deer doing at the creek camera last night?".into(),
            "Weekly report for the north ridge".into(),
            "Which cameras are offline?".into(),
            "When are coyotes active?".into(),
        ],
        input_modes: vec!["text/plain".into()],
        output_modes: vec!["text/plain".into(), "application/json".into()],
        security_requirements: Vec::new(),
    });
    card
}
