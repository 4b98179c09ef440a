#!/usr/bin/env python3
"""The dataset bench's reference: TRL-style prompt–completion tokenization of the same corpus with
Hugging Face `tokenizers` (SmolLM2's tokenizer from the GGUF, Digits + ByteLevel as in its
tokenizer.json), one thread: encode(prompt) and encode(prompt + completion + EOS) per row.

usage: bench_hf.py MODELS_DIR GGUF_NAME CORPUS.jsonl [repeats]
"""
import json
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
from tokenizers import pre_tokenizers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

models, gguf, corpus = sys.argv[1:4]
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
tok = AutoTokenizer.from_pretrained(models, gguf_file=gguf)
backend = tok.backend_tokenizer
backend.pre_tokenizer = pre_tokenizers.Sequence(
    [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
rows = [json.loads(line) for line in open(corpus)]
prompts = [f"<human>: {r['question']}\n<assistant>: " for r in rows]
fulls = [p + r["answer"] + tok.eos_token for p, r in zip(prompts, rows)]
best, tokens = float("inf"), 0
for _ in range(repeats):
    start = time.perf_counter()
    prompt_ids = backend.encode_batch(prompts)
    full_ids = backend.encode_batch(fulls)
    seconds = time.perf_counter() - start
    best = min(best, seconds)
    tokens = sum(len(e.ids) for e in full_ids)
print(f"hf tokenizers  {len(rows)} rows, {tokens} tokens | best of {repeats}: {best:.3f} s = {tokens / best / 1e6:.2f} M tokens/s (prompt + prompt+completion encodes, 1 thread)")
