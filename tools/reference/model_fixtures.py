#!/usr/bin/env python3
"""Golden fixtures for ModelsTests, produced by Hugging Face transformers (the reference).

Tiny random checkpoints (Llama tied/bf16, Llama 3 rope scaling untied/f16, Qwen2 with q/k/v biases/bf16,
Mistral untied with head_dim ≠ hidden/heads and a sliding window/bf16):
  Tests/ModelsTests/Fixtures/tiny/<name>/{config.json, model.safetensors}
  Tests/ModelsTests/Fixtures/tiny/<name>/reference.json   token sequences, greedy continuations
  Tests/ModelsTests/Fixtures/tiny/<name>/logits.bin       f32 LE, all positions of every sequence, concatenated
SmolLM2-135M-Instruct from models/SmolLM2-135M-Instruct.Q4_1.gguf (transformers dequantizes to f32):
  Tests/ModelsTests/Fixtures/smollm2/reference.json       prompts (token ids), logit slices, greedy 64 tokens

Run from the package root:  .venv/bin/python tools/reference/model_fixtures.py [--skip-smollm2]
Deterministic: fixed seeds; rerunning reproduces the same files.
"""
import argparse
import json
import os
import shutil

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, MistralConfig, Qwen2Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
torch.set_num_threads(2)


def randomize(model, seed):
    """Replaces HF's tiny init with weights large enough that logits differ meaningfully."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            elif p.ndim == 1:  # biases
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(torch.randn(p.shape, generator=gen) / p.shape[-1] ** 0.5 * 1.5)


TINY = {
    "llama_tied_bf16": (LlamaConfig, dict(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-5, rope_theta=10000.0,
        tie_word_embeddings=True, bos_token_id=1, eos_token_id=2), torch.bfloat16),
    "llama3_untied_f16": (LlamaConfig, dict(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=1, max_position_embeddings=128, rms_norm_eps=1e-5, rope_theta=500000.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 16},
        tie_word_embeddings=False, bos_token_id=1, eos_token_id=[2, 3]), torch.float16),
    "qwen2_bias_bf16": (Qwen2Config, dict(
        vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-6, rope_theta=1000000.0,
        tie_word_embeddings=True, bos_token_id=1, eos_token_id=2), torch.bfloat16),
    "mistral_untied_bf16": (MistralConfig, dict(
        vocab_size=256, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=8,
        num_key_value_heads=4, head_dim=16, max_position_embeddings=128, rms_norm_eps=1e-5, rope_theta=10000.0,
        sliding_window=64, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2), torch.bfloat16),
}


def tiny_fixtures():
    for index, (name, (config_class, kwargs, dtype)) in enumerate(TINY.items()):
        out = os.path.join(FIXTURES, "tiny", name)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        torch.manual_seed(index)
        model = config_class(**kwargs)
        model = AutoModelForCausalLM.from_config(model)
        randomize(model, seed=100 + index)
        model.to(dtype).save_pretrained(out, safe_serialization=True)
        for extra in ("generation_config.json",):
            path = os.path.join(out, extra)
            if os.path.exists(path):
                os.remove(path)
        # The reference runs in f32 on exactly the stored (rounded) weights.
        model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
        gen = torch.Generator().manual_seed(7 + index)
        sequences = [torch.randint(4, 256, (n,), generator=gen).tolist() for n in (5, 9, 12)]
        logits, continuations = [], []
        with torch.no_grad():
            for seq in sequences:
                ids = torch.tensor([seq])
                logits.append(model(ids).logits[0].float().numpy())
                generated = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                           max_new_tokens=16, pad_token_id=0)
                continuations.append(generated[0, len(seq):].tolist())
        np.concatenate(logits).astype("<f4").tofile(os.path.join(out, "logits.bin"))
        with open(os.path.join(out, "reference.json"), "w") as f:
            json.dump({"sequences": sequences, "greedy16": continuations, "vocab_size": kwargs["vocab_size"],
                       "torch_dtype": str(dtype).removeprefix("torch.")}, f, indent=1)
        sizes = {f: os.path.getsize(os.path.join(out, f)) for f in os.listdir(out)}
        print(name, sizes)


def smollm2_fixtures(stride=1009, last_stride=61, topk=32):
    path = os.path.join(ROOT, "models")
    gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
    tokenizer = AutoTokenizer.from_pretrained(path, gguf_file=gguf)
    model = AutoModelForCausalLM.from_pretrained(path, gguf_file=gguf, dtype=torch.float32).eval()
    chats = ["What is the capital of France?", "Write a short poem about the sea.", "Explain what a CPU cache is."]
    prompts = [tokenizer.apply_chat_template([{"role": "user", "content": c}], add_generation_prompt=True, tokenize=False)
               for c in chats]
    prompts.append("The history of the Roman Empire begins")
    records = []
    sample = list(range(0, model.config.vocab_size, stride))
    last_sample = list(range(0, model.config.vocab_size, last_stride))

    def rounded(values):  # 5 decimals: far below the 1e-3 × range tolerance, keeps the JSON small
        return [round(float(v), 5) for v in values]
    with torch.no_grad():
        for text in prompts:
            ids = tokenizer(text, return_tensors="pt").input_ids
            logits = model(ids).logits[0]                      # (T, V)
            last = logits[-1]
            top = torch.topk(last, topk)
            generated = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                       max_new_tokens=64, pad_token_id=tokenizer.eos_token_id)
            records.append({
                "text": text,
                "tokens": ids[0].tolist(),
                "sample_vocab_stride": stride,
                "sampled_logits": [rounded(row) for row in logits[:, sample]],  # (T, ceil(V/stride)): every position
                "last_sample_vocab_stride": last_stride,
                "last_sampled_logits": rounded(last[last_sample]),
                "last_top_ids": top.indices.tolist(),
                "last_top_logits": rounded(top.values),
                "last_min": last.min().item(),
                "last_max": last.max().item(),
                "greedy64": generated[0, ids.shape[1]:].tolist(),
            })
            print(repr(text[:40]), len(records[-1]["tokens"]), "→", repr(tokenizer.decode(records[-1]["greedy64"])[:60]))
    out = os.path.join(FIXTURES, "smollm2")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump({"model": gguf, "eos_token_id": tokenizer.eos_token_id, "records": records}, f)
    print("smollm2 reference.json", os.path.getsize(os.path.join(out, "reference.json")))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-smollm2", action="store_true")
    parser.add_argument("--only-smollm2", action="store_true")
    args = parser.parse_args()
    if not args.only_smollm2:
        tiny_fixtures()
    if not args.skip_smollm2:
        smollm2_fixtures()
