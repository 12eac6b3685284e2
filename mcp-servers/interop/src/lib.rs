//! Test-only crate: `tests/peers.rs` drives the trailmesh MCP servers (through the
//! `trailmesh` binary) and the conformance fixture with real MCP peers. The peers are
//! installed by `tests/run-all.sh` (step "MCP peers"), which exports:
//!
//! - `TRAILMESH_BIN`: the `trailmesh` binary; `MCP_FIXTURE_BIN`: `trailmesh-mcp-fixture`;
//! - `MCP_PYTHON`: a Python with the `mcp` SDK 2.3.0 and `jsonschema` (tests/py/requirements.txt);
//! - `MCP_JS_DIR`: `tests/js` with `node_modules` installed (conformance suite, Inspector CLI,
//!   Node 22).
//!
//! Without them the tests fail with a message saying what to run; they never skip.
