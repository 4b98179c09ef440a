#!/usr/bin/env bash
# Dataset build throughput: runner's whole `dataset` pipeline vs Hugging Face `tokenizers` doing the
# tokenization alone (TRL-style), one core each, same FAQ-style corpus. From the package root:
#   bench/data/run.sh [rows]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=.build/data-bench-corpus.jsonl
mkdir -p .build
.venv/bin/python bench/data/make_corpus.py "$corpus" "${1:-50000}"
swift build -c release --product data-bench >/dev/null
taskset -c 0 .build/release/data-bench models/SmolLM2-135M-Instruct.Q4_1.gguf "$corpus" 3
taskset -c 0 .venv/bin/python bench/data/bench_hf.py models SmolLM2-135M-Instruct.Q4_1.gguf "$corpus" 3 2>/dev/null
