#!/usr/bin/env python3
"""Hugging Face `tokenizers` on the same corpus and tokenizer as tokenizer-bench (one thread).

usage: bench_hf.py <models dir> <gguf file name> <corpus.txt> [repeats]
"""
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tokenizers import pre_tokenizers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

models, gguf, corpus = sys.argv[1:4]
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
tok = AutoTokenizer.from_pretrained(models, gguf_file=gguf).backend_tokenizer
# SmolLM2's tokenizer.json pre-tokenizer (transformers' GGUF loader drops the Digits step).
tok.pre_tokenizer = pre_tokenizers.Sequence(
    [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
)
text = open(corpus, encoding="utf-8").read()
documents = text.split("\n\n")
best, tokens, id_sum, id_square_sum = float("inf"), 0, 0, 0
for round_ in range(repeats):
    start = time.perf_counter()
    count = 0
    for document in documents:
        ids = tok.encode(document, add_special_tokens=False).ids
        count += len(ids)
        if round_ == 0:
            id_sum += sum(ids)
            id_square_sum += sum(i * i for i in ids)
    best = min(best, time.perf_counter() - start)
    tokens = count
# encode_batch on one thread, for the library's best case.
start = time.perf_counter()
batch = sum(len(e.ids) for e in tok.encode_batch(documents, add_special_tokens=False))
batch_seconds = time.perf_counter() - start
print(f"hf     {len(documents)} documents, {len(text.encode()) / 1e6:.1f} MB, {tokens} tokens | best of {repeats}: "
      f"{best:.3f} s = {tokens / best / 1e6:.2f} M tokens/s (encode) | encode_batch: {batch / batch_seconds / 1e6:.2f} M tokens/s"
      f" | id sums {id_sum} {id_square_sum}")
