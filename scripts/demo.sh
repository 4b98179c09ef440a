#!/usr/bin/env bash
# The README's main command: installs what is missing, builds runner, and runs the FAQ
# fine-tune on the small default model (SmolLM2-135M-Instruct).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product runner
exec .build/release/runner apply recipes/smollm2-faq.yaml "$@"
