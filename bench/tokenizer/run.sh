#!/usr/bin/env bash
# Tokenizer throughput: runner's Swift tokenizer vs Hugging Face `tokenizers`, one core each, same
# SmolLM2 tokenizer and corpus. Run from the package root:  bench/tokenizer/run.sh [megabytes]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=.build/tokenizer-bench-corpus.txt
mkdir -p .build
.venv/bin/python bench/tokenizer/make_corpus.py "$corpus" "${1:-8}"
swift build -c release --product tokenizer-bench | tail -1
taskset -c 0 .build/release/tokenizer-bench models/SmolLM2-135M-Instruct.Q4_1.gguf "$corpus" 3
taskset -c 0 .venv/bin/python bench/tokenizer/bench_hf.py models SmolLM2-135M-Instruct.Q4_1.gguf "$corpus" 3 2>/dev/null
