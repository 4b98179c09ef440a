#!/usr/bin/env python3
"""SmolLM2-135M prefill and decode speed: runner's CPU backend vs transformers, same machine, same run.

Both run f32 on the same dequantized GGUF weights and the same deterministic 512-token prompt:
prefill = one forward over the prompt filling the KV cache (last-position logits only, as generation does);
decode = 64 greedy single-token steps from the cache.

Usage (package root):  .venv/bin/python bench/smollm2_speed.py [--prompt 512] [--decode 64] [--threads 2]
Builds with `swift build -c release --product ModelBench` first unless --no-build.
"""
import argparse
import json
import os
import subprocess
import time

import torch
from transformers import AutoModelForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def transformers_speed(prompt_length, decode_steps):
    model = AutoModelForCausalLM.from_pretrained(os.path.join(ROOT, "models"), gguf_file=GGUF, dtype=torch.float32).eval()
    vocab = model.config.vocab_size
    prompt = torch.tensor([[(i * 7919 + 13) % vocab for i in range(prompt_length)]])
    with torch.inference_mode():
        model(prompt[:, :16], use_cache=True, logits_to_keep=1)  # warm-up
        start = time.perf_counter()
        out = model(prompt, use_cache=True, logits_to_keep=1)
        prefill = time.perf_counter() - start
        cache, token = out.past_key_values, out.logits[0, -1].argmax().view(1, 1)
        start = time.perf_counter()
        for _ in range(decode_steps):
            out = model(token, past_key_values=cache, use_cache=True, logits_to_keep=1)
            cache, token = out.past_key_values, out.logits[0, -1].argmax().view(1, 1)
        decode = time.perf_counter() - start
    return {"prefill_s": prefill, "prefill_tok_s": prompt_length / prefill, "decode_s": decode,
            "decode_tok_s": decode_steps / decode, "last_token": int(token)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", type=int, default=512)
    parser.add_argument("--decode", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "ModelBench"], cwd=ROOT, check=True)
    binary = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    ours = json.loads(subprocess.run([os.path.join(binary, "ModelBench"), os.path.join(ROOT, "models", GGUF),
                                      "--prompt", str(args.prompt), "--decode", str(args.decode)],
                                     cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    theirs = transformers_speed(args.prompt, args.decode)
    print(f"torch {torch.__version__}, {args.threads} threads; prompt {args.prompt}, decode {args.decode}")
    print(f"{'':10} {'runner':>12} {'transformers':>14} {'ratio':>8}")
    for key, label in (("prefill_tok_s", "prefill"), ("decode_tok_s", "decode")):
        print(f"{label:10} {ours[key]:10.1f}/s {theirs[key]:12.1f}/s {ours[key] / theirs[key]:7.2f}×")
    print(f"prefill linear layers: {ours['prefill_linear_gflops']:.1f} GFLOP/s; sgemm peak (2048³) "
          f"{ours['sgemm_peak_gflops_2048']:.1f} GFLOP/s, MLP shape {ours['sgemm_gflops_mlp_shape']:.1f} GFLOP/s "
          f"→ {100 * ours['prefill_linear_gflops'] / ours['sgemm_peak_gflops_2048']:.0f}% of peak")
    print(f"greedy last token: runner {ours['last_token']}, transformers {theirs['last_token']}")
    print(json.dumps({"runner": ours, "transformers": theirs}))


if __name__ == "__main__":
    main()
