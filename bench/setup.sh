#!/usr/bin/env bash
# Installs the Python side of `runner bench` suites (transformers + PEFT + bitsandbytes over torch)
# into .venv, idempotently: a package that already imports is left alone, so re-running is instant.
#   bench/setup.sh            # then: runner bench bench/suites/smollm2-lora.yaml
# Env: PYTHON (default python3) creates .venv when missing; TORCH_INDEX_URL picks a torch wheel index
# (e.g. https://download.pytorch.org/whl/cpu for the CPU-only wheel; default: PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "${PYTHON:-python3}" -m venv "$venv"
fi
py="$venv/bin/python"

missing=()
have() { "$py" -c "import $1" >/dev/null 2>&1; }
have torch || {
    echo "installing torch${TORCH_INDEX_URL:+ from $TORCH_INDEX_URL}"
    "$py" -m pip install --quiet ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} torch
}
for pair in transformers:transformers peft:peft bitsandbytes:bitsandbytes safetensors:safetensors gguf:gguf accelerate:accelerate; do
    have "${pair%%:*}" || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    "$py" -m pip install --quiet "${missing[@]}"
fi
"$py" - <<'PY'
import bitsandbytes, peft, torch, transformers
print(f"bench python side ready: torch {torch.__version__}, transformers {transformers.__version__}, "
      f"peft {peft.__version__}, bitsandbytes {bitsandbytes.__version__}")
PY
