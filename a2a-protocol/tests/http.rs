//! The server over real loopback HTTP: bad input, the card, auth, push, and our own client
//! on both bindings.

mod common;

use a2a_protocol::client::{Binding, ClientError};
use a2a_protocol::types::{AuthenticationInfo, ListTasksRequest, TaskPushNotificationConfig};
use a2a_protocol::{
    A2aClient, A2aError, A2aServer, AuthConfig, Message, SendMessageRequest, SendMessageResponse, StreamResponse,
    TaskState,
};
use futures::StreamExt as _;
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn rpc(base: &str, body: &str, content_type: &str) -> (u16, Value) {
    let r = http()
        .post(format!("{base}/"))
        .header("content-type", content_type)
        .header("A2A-Version", "1.0")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn jsonrpc_bad_input_gets_the_right_codes() {
    let base = common::serve_echo().await;
    let cases = [
        ("{not json", -32700),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":7}}"#,
            -32602,
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"role":"ROLE_USER"}}}"#,
            -32602,
        ),
        (r#"{"jsonrpc":"2.0","id":1,"method":"DoSomething","params":{}}"#, -32601),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"no-such-task"}}"#,
            -32001,
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"CancelTask","params":{"id":"no-such-task"}}"#,
            -32001,
        ),
        (r#"[1,2]"#, -32600),
    ];
    for (body, code) in cases {
        let (status, v) = rpc(&base, body, "application/json").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(v["error"]["code"], code, "{body} -> {v}");
        assert_eq!(v["jsonrpc"], "2.0");
    }
    let (_, v) = rpc(
        &base,
        r#"{"jsonrpc":"2.0","id":"x","method":"GetTask","params":{"id":"nope"}}"#,
        "application/json",
    )
    .await;
    assert_eq!(v["id"], "x");
    assert_eq!(v["error"]["data"][0]["reason"], "TASK_NOT_FOUND");
    assert_eq!(v["error"]["data"][0]["domain"], "a2a-protocol.org");

    let (_, v) = rpc(
        &base,
        r#"{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"a"}}"#,
        "text/plain",
    )
    .await;
    assert_eq!(v["error"]["code"], -32005);

    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{{"message":{{"messageId":"m","role":"ROLE_USER","parts":[{{"text":"{}"}}]}}}}}}"#,
        "x".repeat(100_000)
    );
    let (status, v) = rpc(&base, &big, "application/json").await;
    assert_eq!(status, 413);
    assert_eq!(v["error"]["code"], -32600);

    let r = http()
        .post(format!("{base}/"))
        .header("A2A-Version", "99.0")
        .json(&json!({"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"a"}}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], -32009);
}

#[tokio::test]
async fn rest_bad_input_gets_the_right_statuses() {
    let base = common::serve_echo().await;
    let r = http().get(format!("{base}/tasks/no-such-task")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["status"], "NOT_FOUND");
    assert_eq!(v["error"]["details"][0]["reason"], "TASK_NOT_FOUND");

    let r = http()
        .post(format!("{base}/message:send"))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http()
        .post(format!("{base}/message:send"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["details"][0]["reason"], "CONTENT_TYPE_NOT_SUPPORTED");
    let r = http().get(format!("{base}/tasks?pageSize=abc")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = http().get(format!("{base}/no/such/route")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = http()
        .post(format!("{base}/message:send"))
        .header("content-type", "application/json")
        .body(vec![b' '; 70_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let text = r.text().await.unwrap();
    assert!(!text.contains("panicked") && !text.contains("src/"), "{text}");
}

#[tokio::test]
async fn card_has_etag_and_cache_control() {
    let base = common::serve_echo().await;
    let r = http()
        .get(format!("{base}/.well-known/agent-card.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let card: Value = r.json().await.unwrap();
    assert_eq!(card["supportedInterfaces"][0]["protocolBinding"], "JSONRPC");
    assert_eq!(card["capabilities"]["pushNotifications"], true);
    let r = http()
        .get(format!("{base}/.well-known/agent-card.json"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
}

#[tokio::test]
async fn sse_events_end_with_a_blank_line_and_start_with_the_task() {
    let base = common::serve_echo().await;
    let body = http()
        .post(format!("{base}/message:stream"))
        .json(&json!({"message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "hi"}]}}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events: Vec<&str> = body.split_terminator("\n\n").collect();
    assert!(body.ends_with("\n\n"), "{body:?}");
    assert_eq!(events.len(), 4, "{body}");
    assert!(events.iter().all(|e| e.starts_with("data: ")));
    assert!(events[0].starts_with("data: {\"task\""), "{}", events[0]);
    assert!(events[3].contains("TASK_STATE_COMPLETED"));
}

async fn client(base: &str, binding: Binding) -> A2aClient {
    A2aClient::discover(base).await.unwrap().with_binding(binding).unwrap()
}

async fn exercise_client(binding: Binding) {
    let base = common::serve_echo().await;
    let c = client(&base, binding).await;
    assert_eq!(c.binding(), binding);

    let SendMessageResponse::Task(t) = c
        .send_message(SendMessageRequest::new(Message::user_text("hi")))
        .await
        .unwrap()
    else {
        panic!("expected a task")
    };
    assert_eq!(t.status.state, TaskState::Completed);
    assert_eq!(t.artifacts[0].parts[0].as_text(), Some("echo: hi"));

    let got = c.get_task(&t.id, Some(0)).await.unwrap();
    assert!(got.history.is_empty());
    assert_eq!(got.status.state, TaskState::Completed);

    let reply = c
        .send_message(SendMessageRequest::new(Message::user_text("message")))
        .await
        .unwrap();
    assert!(matches!(reply, SendMessageResponse::Message(m) if m.text() == "direct"));

    let events: Vec<StreamResponse> = c
        .send_streaming_message(SendMessageRequest::new(Message::user_text("s")))
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(matches!(events.first(), Some(StreamResponse::Task(_))));
    assert!(matches!(events.last(), Some(StreamResponse::StatusUpdate(s)) if s.status.state == TaskState::Completed));

    let listed = c.list_tasks(&ListTasksRequest::default()).await.unwrap();
    assert!(listed.tasks.iter().any(|x| x.id == t.id));
    assert!(
        listed.tasks.iter().all(|x| x.artifacts.is_empty()),
        "artifacts only on request"
    );

    let mut slow = SendMessageRequest::new(Message::user_text("slow"));
    slow.configuration = Some(a2a_protocol::types::SendMessageConfiguration {
        return_immediately: true,
        ..Default::default()
    });
    let SendMessageResponse::Task(s) = c.send_message(slow).await.unwrap() else {
        panic!()
    };
    assert_eq!(c.cancel_task(&s.id).await.unwrap().status.state, TaskState::Canceled);
    let err = c.cancel_task(&s.id).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Agent(A2aError::TaskNotCancelable { .. })),
        "{err}"
    );

    let mut later = SendMessageRequest::new(Message::user_text("later"));
    later.configuration = Some(a2a_protocol::types::SendMessageConfiguration {
        return_immediately: true,
        ..Default::default()
    });
    let SendMessageResponse::Task(l) = c.send_message(later).await.unwrap() else {
        panic!()
    };
    let events: Vec<StreamResponse> = c
        .subscribe_to_task(&l.id)
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(matches!(events.first(), Some(StreamResponse::Task(_))));
    assert!(matches!(events.last(), Some(StreamResponse::StatusUpdate(s)) if s.status.state == TaskState::Completed));
    let err = c.subscribe_to_task(&l.id).await.err().unwrap();
    assert!(
        matches!(err, ClientError::Agent(A2aError::UnsupportedOperation(_))),
        "{err}"
    );

    let cfg = TaskPushNotificationConfig {
        tenant: None,
        id: None,
        task_id: t.id.clone(),
        url: "https://hooks.example.com/a2a".into(),
        token: None,
        authentication: Some(AuthenticationInfo {
            scheme: "Bearer".into(),
            credentials: Some("s3cret".into()),
        }),
    };
    let created = c.create_push_config(&cfg).await.unwrap();
    let id = created.id.clone().unwrap();
    assert_eq!(
        created.authentication.as_ref().unwrap().credentials,
        None,
        "credentials are never echoed"
    );
    let got = c.get_push_config(&t.id, &id).await.unwrap();
    assert_eq!(got.authentication.unwrap().credentials, None);
    assert_eq!(c.list_push_configs(&t.id).await.unwrap().configs.len(), 1);
    c.delete_push_config(&t.id, &id).await.unwrap();
    c.delete_push_config(&t.id, &id).await.unwrap();
    assert!(c.list_push_configs(&t.id).await.unwrap().configs.is_empty());

    let err = c.get_task("no-such-task", None).await.unwrap_err();
    assert!(matches!(err, ClientError::Agent(A2aError::TaskNotFound(_))), "{err}");
    let err = c.get_extended_agent_card().await.unwrap_err();
    assert!(
        matches!(err, ClientError::Agent(A2aError::UnsupportedOperation(_))),
        "{err}"
    );
}

#[tokio::test]
async fn our_client_on_jsonrpc() {
    exercise_client(Binding::JsonRpc).await;
}

#[tokio::test]
async fn our_client_on_http_json() {
    exercise_client(Binding::HttpJson).await;
}

#[tokio::test]
async fn input_required_then_continue_in_context() {
    let base = common::serve_echo().await;
    let c = client(&base, Binding::JsonRpc).await;
    let SendMessageResponse::Task(t) = c
        .send_message(SendMessageRequest::new(Message::user_text("ask")))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(t.status.state, TaskState::InputRequired);
    let mut next = Message::user_text("north ridge");
    next.task_id = Some(t.id.clone());
    let SendMessageResponse::Task(done) = c.send_message(SendMessageRequest::new(next.clone())).await.unwrap() else {
        panic!()
    };
    assert_eq!(done.id, t.id);
    assert_eq!(done.context_id, t.context_id);
    assert_eq!(done.status.state, TaskState::Completed);
    assert!(done.history.len() >= 2);
    let err = c.send_message(SendMessageRequest::new(next)).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Agent(A2aError::UnsupportedOperation(_))),
        "terminal task: {err}"
    );
    let mut wrong = Message::user_text("x");
    wrong.task_id = Some("no-such-task".into());
    let err = c.send_message(SendMessageRequest::new(wrong)).await.unwrap_err();
    assert!(matches!(err, ClientError::Agent(A2aError::TaskNotFound(_))), "{err}");
}

#[tokio::test]
async fn push_notifications_carry_auth_and_ssrf_is_refused() {
    let base = common::serve_echo().await;
    let (hook, got) = common::webhook().await;
    let c = client(&base, Binding::JsonRpc).await;
    let mut req = SendMessageRequest::new(Message::user_text("push me"));
    req.configuration = Some(a2a_protocol::types::SendMessageConfiguration {
        task_push_notification_config: Some(TaskPushNotificationConfig {
            tenant: None,
            id: None,
            task_id: String::new(),
            url: hook,
            token: Some("tok".into()),
            authentication: Some(AuthenticationInfo {
                scheme: "Bearer".into(),
                credentials: Some("s3cret".into()),
            }),
        }),
        ..Default::default()
    });
    c.send_message(req).await.unwrap();
    assert!(
        common::eventually(|| got
            .lock()
            .unwrap()
            .iter()
            .any(|d| d.body.to_string().contains("TASK_STATE_COMPLETED")))
        .await,
        "no completed notification"
    );
    let deliveries = got.lock().unwrap().clone();
    assert!(
        deliveries[0].body.get("task").is_some(),
        "first notification is the task"
    );
    for d in &deliveries {
        assert_eq!(d.authorization.as_deref(), Some("Bearer s3cret"));
        assert_eq!(d.token.as_deref(), Some("tok"));
        assert_eq!(d.content_type.as_deref(), Some("application/a2a+json"));
        assert_eq!(d.body.as_object().unwrap().len(), 1, "a StreamResponse has one field");
    }

    let SendMessageResponse::Task(t) = c
        .send_message(SendMessageRequest::new(Message::user_text("x")))
        .await
        .unwrap()
    else {
        panic!()
    };
    for url in [
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
    ] {
        let cfg = TaskPushNotificationConfig {
            tenant: None,
            id: None,
            task_id: t.id.clone(),
            url: url.into(),
            token: None,
            authentication: None,
        };
        let err = c.create_push_config(&cfg).await.unwrap_err();
        assert!(
            matches!(err, ClientError::Agent(A2aError::InvalidParams(_))),
            "{url}: {err}"
        );
    }
    // Loopback is refused unless allowed.
    let strict = common::serve_with(|b| {
        A2aServer::new(common::card(b), common::Echo).push_notifications(a2a_protocol::PushConfig::default())
    })
    .await;
    let c = client(&strict, Binding::HttpJson).await;
    let SendMessageResponse::Task(t) = c
        .send_message(SendMessageRequest::new(Message::user_text("x")))
        .await
        .unwrap()
    else {
        panic!()
    };
    let cfg = TaskPushNotificationConfig {
        tenant: None,
        id: None,
        task_id: t.id,
        url: "http://127.0.0.1:9/hook".into(),
        token: None,
        authentication: None,
    };
    assert!(c.create_push_config(&cfg).await.is_err());
}

#[tokio::test]
async fn auth_hooks_guard_everything_but_the_card() {
    let base = common::serve_with(|b| {
        A2aServer::new(common::card(b), common::Echo).auth(AuthConfig {
            api_keys: vec!["key-1".into()],
            bearer_tokens: vec!["tok-1".into()],
            ..Default::default()
        })
    })
    .await;
    let card: Value = http()
        .get(format!("{base}/.well-known/agent-card.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        card["securitySchemes"]["apiKey"]["apiKeySecurityScheme"].is_object(),
        "{card}"
    );
    assert!(
        card["securitySchemes"]["bearer"]["httpAuthSecurityScheme"].is_object(),
        "{card}"
    );
    let r = http().get(format!("{base}/tasks")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let (status, _) = rpc(
        &base,
        r#"{"jsonrpc":"2.0","id":1,"method":"ListTasks","params":{}}"#,
        "application/json",
    )
    .await;
    assert_eq!(status, 401);
    let r = http()
        .get(format!("{base}/tasks"))
        .header("X-API-Key", "key-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http()
        .get(format!("{base}/tasks"))
        .bearer_auth("tok-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http()
        .get(format!("{base}/tasks"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let c = client(&base, Binding::JsonRpc)
        .await
        .with_header("X-API-Key", "key-1")
        .unwrap();
    assert!(
        c.send_message(SendMessageRequest::new(Message::user_text("hi")))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn subscribers_all_get_the_same_events_in_order() {
    let base = common::serve_echo().await;
    let c = client(&base, Binding::JsonRpc).await;
    let mut later = SendMessageRequest::new(Message::user_text("later"));
    later.configuration = Some(a2a_protocol::types::SendMessageConfiguration {
        return_immediately: true,
        ..Default::default()
    });
    let SendMessageResponse::Task(t) = c.send_message(later).await.unwrap() else {
        panic!()
    };
    let a = c.subscribe_to_task(&t.id).await.unwrap();
    let b = c.subscribe_to_task(&t.id).await.unwrap();
    let (a, b): (Vec<_>, Vec<_>) = tokio::join!(a.map(Result::unwrap).collect(), b.map(Result::unwrap).collect());
    let tail = |v: &Vec<StreamResponse>| v.iter().skip(1).cloned().collect::<Vec<_>>();
    assert_eq!(tail(&a), tail(&b));
    assert!(a.last().unwrap().is_final());
}

#[tokio::test]
async fn card_resolver_revalidates_with_etag() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let base = common::serve_echo().await;
    // A proxy in front of the card that counts 304 answers.
    let not_modified = Arc::new(AtomicUsize::new(0));
    let counter = not_modified.clone();
    let upstream = base.clone();
    let app = axum::Router::new().route(
        "/.well-known/agent-card.json",
        axum::routing::get(move |headers: axum::http::HeaderMap| {
            let counter = counter.clone();
            let upstream = upstream.clone();
            async move {
                let mut req = http().get(format!("{upstream}/.well-known/agent-card.json"));
                if let Some(v) = headers.get("if-none-match") {
                    req = req.header("if-none-match", v.to_str().unwrap());
                }
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                if status == 304 {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                let etag = r
                    .headers()
                    .get("etag")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                let body = r.bytes().await.unwrap();
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    [("etag", etag)],
                    body,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let resolver = a2a_protocol::client::CardResolver::new(http(), &proxy);
    let first = resolver.card().await.unwrap();
    let second = resolver.card().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(
        not_modified.load(Ordering::SeqCst),
        1,
        "the second fetch revalidated with If-None-Match"
    );
}

#[tokio::test]
async fn client_calls_time_out_with_a_clear_error() {
    let base = common::serve_echo().await;
    let card = A2aClient::discover(&base).await.unwrap().card().clone();
    // A server that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut card = card;
    card.supported_interfaces = vec![a2a_protocol::AgentInterface::new(
        &silent,
        a2a_protocol::card::BINDING_JSONRPC,
    )];
    let c = A2aClient::from_card(http(), card, None)
        .unwrap()
        .with_timeout(std::time::Duration::from_millis(300));
    let err = c.get_task("t", None).await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("did not answer"), "{err}");
}
