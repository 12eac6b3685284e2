//! A bounded, deterministic fuzz run of the JSON-RPC request decoder that works on stable
//! Rust (the libFuzzer target in `fuzz/` needs nightly): mutated valid requests and random
//! JSON must yield a request or a -32700/-32600/-32601/-32602 error, never a panic, and
//! every decoded SendMessage must survive a serialize/decode round trip.
//!
//! `A2A_FUZZ_SECONDS` (default 5) bounds the run; `A2A_FUZZ_SEED` changes the sequence.

use std::time::{Duration, Instant};

use a2a_protocol::SendMessageRequest;
use a2a_protocol::jsonrpc::{Request, decode_request};
use serde_json::{Value, json};

/// xorshift64*: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let msg = json!({"messageId": "m", "role": "ROLE_USER", "parts": [
        {"text": "hi", "mediaType": "text/plain"}, {"raw": "aGk=", "filename": "a.bin"},
        {"url": "https://x/y"}, {"data": {"k": [1, 2.5, null, true]}}
    ], "contextId": "c", "metadata": {"a": 1}, "referenceTaskIds": ["t0"]});
    let calls = [
        (
            "SendMessage",
            json!({"message": msg, "configuration": {"historyLength": 2, "returnImmediately": true,
            "acceptedOutputModes": ["text/plain"], "taskPushNotificationConfig": {"url": "https://h/w", "token": "t"}}}),
        ),
        ("SendStreamingMessage", json!({"message": msg})),
        (
            "message/send",
            json!({"message": {"messageId": "m", "role": "user", "kind": "message",
            "parts": [{"kind": "text", "text": "x"}, {"kind": "file", "file": {"bytes": "aGk=", "mimeType": "a/b"}}]}}),
        ),
        ("GetTask", json!({"id": "t", "historyLength": 3})),
        (
            "ListTasks",
            json!({"contextId": "c", "status": "TASK_STATE_WORKING", "pageSize": 10, "pageToken": "MTAwfHQ",
            "statusTimestampAfter": "2026-01-01T00:00:00Z", "includeArtifacts": true}),
        ),
        ("CancelTask", json!({"id": "t"})),
        ("SubscribeToTask", json!({"id": "t"})),
        (
            "CreateTaskPushNotificationConfig",
            json!({"taskId": "t", "url": "https://h/w",
            "authentication": {"scheme": "Bearer", "credentials": "c"}}),
        ),
        ("GetTaskPushNotificationConfig", json!({"taskId": "t", "id": "p"})),
        ("ListTaskPushNotificationConfigs", json!({"taskId": "t"})),
        ("DeleteTaskPushNotificationConfig", json!({"taskId": "t", "id": "p"})),
        (
            "tasks/pushNotificationConfig/get",
            json!({"id": "t", "pushNotificationConfigId": "p"}),
        ),
        ("GetExtendedAgentCard", json!({})),
    ];
    calls
        .iter()
        .map(|(m, p)| serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": 1, "method": m, "params": p})).unwrap())
        .collect()
}

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"null",
    b"true",
    b"-1",
    b"1e999",
    b"\\u0000",
    b"\"raw\":\"!!\"",
    b"\"text\":\"a\"",
    b"\"role\":\"ROLE_UNSPECIFIED\"",
    b"\"parts\":[]",
    b"\xff",
    b"\"id\":[]",
    b"99999999999",
];

fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = at.min(v.len() - 1);
                v[i] ^= 1 << rng.below(8);
            }
            1 => v
                .splice(at..at, TOKENS[rng.below(TOKENS.len())].iter().copied())
                .for_each(drop),
            2 if at < v.len() => {
                let end = (at + rng.below(16)).min(v.len());
                v.drain(at..end);
            }
            3 => v.truncate(at),
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len());
                let to = (from + rng.below(64)).min(other.len());
                v.splice(at..at, other[from..to].iter().copied()).for_each(drop);
            }
            _ => {}
        }
    }
    v
}

fn random_json(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 4 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => json!(rng.next() as i64 as f64 / 7.0),
        3 => Value::String(["", "ROLE_USER", "TASK_STATE_WORKING", "x", "aGk="][rng.below(5)].to_string()),
        4 | 5 => {
            let keys = [
                "message",
                "messageId",
                "role",
                "parts",
                "text",
                "raw",
                "url",
                "data",
                "id",
                "taskId",
                "configuration",
                "historyLength",
                "pageSize",
            ];
            (0..rng.below(5))
                .map(|_| (keys[rng.below(keys.len())].to_string(), random_json(rng, depth + 1)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        }
        _ => Value::Array((0..rng.below(4)).map(|_| random_json(rng, depth + 1)).collect()),
    }
}

fn check(input: &[u8]) {
    match decode_request(input) {
        Ok((_, Request::SendMessage(req) | Request::SendStreamingMessage(req))) => {
            let again = serde_json::to_value(&req).expect("a decoded request serializes");
            let back: SendMessageRequest = serde_json::from_value(again).expect("and decodes again");
            assert_eq!(
                back.message.parts,
                req.message.parts,
                "part round trip of {:?}",
                String::from_utf8_lossy(input)
            );
        }
        Ok(_) => {}
        Err(e) => {
            let code = e.error.code();
            assert!(
                matches!(code, -32700 | -32600 | -32601 | -32602),
                "code {code} for {:?}",
                String::from_utf8_lossy(input)
            );
            let body = serde_json::to_string(&e.error.to_jsonrpc()).unwrap();
            assert!(!body.contains("panicked"));
        }
    }
}

#[test]
fn decoder_survives_mutated_and_random_input() {
    let secs = std::env::var("A2A_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let seed = std::env::var("A2A_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_a2a0_u64);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let seeds = seeds();
    for s in &seeds {
        assert!(
            decode_request(s).is_ok(),
            "seed must decode: {}",
            String::from_utf8_lossy(s)
        );
    }
    let mut rng = Rng(seed | 1);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        for _ in 0..256 {
            let input = if rng.below(4) == 0 {
                let params = random_json(&mut rng, 0);
                let methods = [
                    "SendMessage",
                    "GetTask",
                    "ListTasks",
                    "CreateTaskPushNotificationConfig",
                    "message/send",
                ];
                serde_json::to_vec(&json!({"jsonrpc": "2.0", "id": runs, "method": methods[rng.below(methods.len())], "params": params})).unwrap()
            } else {
                let base = &seeds[rng.below(seeds.len())];
                mutate(&mut rng, base, &seeds)
            };
            check(&input);
            runs += 1;
        }
    }
    assert!(runs > 1000, "only {runs} inputs in {secs} s");
    eprintln!("decoder fuzz: {runs} inputs, no failure");
}
