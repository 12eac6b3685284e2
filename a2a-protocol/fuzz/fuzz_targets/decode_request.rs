//! Any bytes into the JSON-RPC request decoder: it must answer (a request or the right
//! error), never panic; a decoded SendMessage must survive a serialize/decode round trip.
#![no_main]

use a2a_protocol::jsonrpc::{Request, decode_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match decode_request(data) {
        Ok((_, Request::SendMessage(req))) => {
            let again = serde_json::to_value(&req).expect("serializes");
            let back: a2a_protocol::SendMessageRequest = serde_json::from_value(again).expect("round trip");
            assert_eq!(back.message.parts, req.message.parts);
        }
        Ok(_) => {}
        Err(e) => assert!(matches!(e.error.code(), -32700 | -32600 | -32601 | -32602)),
    }
});
