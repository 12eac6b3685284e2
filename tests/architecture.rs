//! The dependency-direction invariants of ARCHITECTURE.md, checked on the real dependency
//! graph (`cargo metadata`):
//!
//! - skills (`skills/*`) know no transport: no rmcp, axum, hyper, tower-http, tonic, webrtc,
//!   and no crate of `a2a-protocol/`, `mcp-servers/` or `agents/`;
//! - `skills/core` depends on no other skill;
//! - `a2a-protocol/` knows no skill, MCP server or agent;
//! - `mcp-servers/*` do not depend on `agents/*`;
//! - the orchestrator (`agents/orchestrator`) reaches skills only over A2A: it links no skill
//!   library (`skills/*` but `skills/core`), no MCP server and no skill agent;
//! - only the camera gateway (`agents/camera-gateway`, and the binary that runs it) links
//!   WebRTC (`webrtc`, `rtc`), the RTSP client (`retina`) and the H.264 decoders (`openh264`,
//!   `ffmpeg-next`).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates that are transports: a skill may not reach them, even indirectly.
const TRANSPORTS: &[&str] = &[
    "rmcp",
    "axum",
    "hyper",
    "tower-http",
    "tonic",
    "webrtc",
    "retina",
    "tokio-tungstenite",
];

/// The package that must reach skills only over A2A.
const ORCHESTRATOR: &str = "trailmesh-orchestrator";

/// Heavy media crates: only the camera gateway (and the root binary through it) may link them.
const MEDIA: &[&str] = &["webrtc", "rtc", "retina", "openh264", "ffmpeg-next"];

/// The package that owns WebRTC and video decoding.
const GATEWAY: &str = "trailmesh-camera-gateway";

/// A workspace package: its name and the folder layer it lives in.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    layer: String,
}

/// The graph: package id -> (name, normal-dependency ids).
struct Graph {
    names: BTreeMap<String, String>,
    deps: BTreeMap<String, Vec<String>>,
    members: BTreeMap<String, Member>,
}

fn layer_of(manifest: &Path, root: &Path) -> String {
    let rel = manifest.strip_prefix(root).unwrap_or(manifest);
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    match parts.first().map(String::as_str) {
        Some("skills") if parts.get(1).map(String::as_str) == Some("core") => "skills/core".into(),
        Some("skills") => "skills".into(),
        Some("mcp-servers") => "mcp-servers".into(),
        Some("agents") => "agents".into(),
        Some("a2a-protocol") => "a2a-protocol".into(),
        Some("examples") => "examples".into(),
        _ => "root".into(),
    }
}

fn load() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(cargo)
        // Every feature on, so optional crates (ffmpeg-next) are in the graph too.
        .args(["metadata", "--format-version", "1", "--locked", "--all-features"])
        .current_dir(&root)
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let mut names = BTreeMap::new();
    let mut members = BTreeMap::new();
    let workspace: BTreeSet<String> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    for p in meta["packages"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap().to_string();
        let name = p["name"].as_str().unwrap().to_string();
        if workspace.contains(&id) {
            let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap());
            members.insert(
                id.clone(),
                Member {
                    name: name.clone(),
                    layer: layer_of(&manifest, &root),
                },
            );
        }
        names.insert(id, name);
    }
    let mut deps = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap().to_string();
        let normal: Vec<String> = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null()))
            .map(|d| d["pkg"].as_str().unwrap().to_string())
            .collect();
        deps.insert(id, normal);
    }
    Graph { names, deps, members }
}

/// Everything `id` reaches through normal dependencies, with the path that reaches it.
fn reachable(g: &Graph, id: &str) -> BTreeMap<String, Vec<String>> {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stack = vec![(id.to_string(), vec![g.names[id].clone()])];
    while let Some((cur, path)) = stack.pop() {
        for d in g.deps.get(&cur).into_iter().flatten() {
            if !seen.contains_key(d) {
                let mut p = path.clone();
                p.push(g.names[d].clone());
                seen.insert(d.clone(), p.clone());
                stack.push((d.clone(), p));
            }
        }
    }
    seen
}

/// Every broken rule, as "who -> ... -> what".
fn violations(g: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for (id, m) in &g.members {
        let reach = reachable(g, id);
        for (dep, path) in &reach {
            let dep_name = &g.names[dep];
            let dep_layer = g.members.get(dep).map(|d| d.layer.as_str());
            let broken = match m.layer.as_str() {
                "skills/core" | "skills" => {
                    TRANSPORTS.contains(&dep_name.as_str())
                        || matches!(dep_layer, Some("a2a-protocol" | "mcp-servers" | "agents"))
                        || (m.layer == "skills/core" && dep_layer == Some("skills"))
                }
                "a2a-protocol" => matches!(dep_layer, Some("skills/core" | "skills" | "mcp-servers" | "agents")),
                "mcp-servers" => dep_layer == Some("agents"),
                "agents" if m.name == ORCHESTRATOR => {
                    matches!(dep_layer, Some("skills" | "mcp-servers"))
                        || (dep_layer == Some("agents") && dep_name != "trailmesh-agent-store")
                }
                _ => false,
            } || (MEDIA.contains(&dep_name.as_str()) && m.name != GATEWAY && m.layer != "root");
            if broken {
                out.push(format!(
                    "{} ({}) must not depend on {}: {}",
                    m.name,
                    m.layer,
                    dep_name,
                    path.join(" -> ")
                ));
            }
        }
    }
    out
}

#[test]
fn dependencies_point_one_way() {
    let g = load();
    assert!(
        g.members.values().any(|m| m.layer == "skills/core"),
        "skills/core is a workspace member"
    );
    let v = violations(&g);
    assert!(
        v.is_empty(),
        "dependency-direction invariants broken:\n{}",
        v.join("\n")
    );
}

#[test]
fn the_check_catches_a_skill_that_reaches_a_transport() {
    // A made-up graph: a skill that pulls in axum through a helper crate, and an
    // a2a-protocol that links a skill. Both must be reported.
    let mut names = BTreeMap::new();
    let mut deps = BTreeMap::new();
    let mut members = BTreeMap::new();
    for (id, layer) in [
        ("skill", Some("skills")),
        ("helper", None),
        ("axum", None),
        ("a2a", Some("a2a-protocol")),
        ("core", Some("skills/core")),
        ("trailmesh-orchestrator", Some("agents")),
        ("events-skill", Some("skills")),
        ("trailmesh-skill-agent", Some("agents")),
        ("openh264", None),
    ] {
        names.insert(id.to_string(), id.to_string());
        if let Some(layer) = layer {
            members.insert(
                id.to_string(),
                Member {
                    name: id.to_string(),
                    layer: layer.to_string(),
                },
            );
        }
    }
    deps.insert("skill".into(), vec!["helper".into(), "core".into()]);
    deps.insert("helper".into(), vec!["axum".into()]);
    deps.insert("a2a".into(), vec!["core".into()]);
    deps.insert(
        "trailmesh-orchestrator".into(),
        vec!["core".into(), "events-skill".into()],
    );
    deps.insert("trailmesh-skill-agent".into(), vec!["openh264".into()]);
    let v = violations(&Graph { names, deps, members });
    assert!(v.iter().any(|l| l.contains("skill -> helper -> axum")), "{v:?}");
    assert!(
        v.iter()
            .any(|l| l.starts_with("a2a (a2a-protocol) must not depend on core")),
        "{v:?}"
    );
    assert!(
        v.iter()
            .any(|l| l.starts_with("trailmesh-orchestrator (agents) must not depend on events-skill")),
        "{v:?}"
    );
    assert!(
        v.iter()
            .any(|l| l.starts_with("trailmesh-skill-agent (agents) must not depend on openh264")),
        "{v:?}"
    );
    assert_eq!(v.len(), 4, "{v:?}");
}
