#!/usr/bin/env python3
"""Gradient fixtures for the training tests, produced by transformers + PEFT (the reference), f32 on CPU.

For each case: the loss and gradients of one forward/backward on a fixed batch.
  Tests/ModelsTests/Fixtures/grad/<case>.json   loss, tokens, labels, LoRA settings, tensor index
  Tests/ModelsTests/Fixtures/grad/<case>.bin    f32 LE gradients, concatenated in index order

LoRA A and B are NOT PEFT's random init (B = 0 would make dA vanish): every adapter tensor is filled with
`pattern(name, shape, bound)`, a SplitMix64 hash of (FNV-1a of the PEFT tensor name, element index),
which the Swift tests recompute exactly — so no adapter weights need to be stored.

Tiny models reuse the committed checkpoints under Tests/ModelsTests/Fixtures/tiny (read as f32).
The QLoRA case quantizes the tiny Llama's Linear weights with bitsandbytes NF4 (CPU).
SmolLM2 comes from models/SmolLM2-135M-Instruct.Q4_1.gguf (transformers dequantizes to f32).

Run from the package root:  .venv/bin/python tools/reference/grad_fixtures.py [--skip-smollm2 | --only-smollm2]
"""
import argparse
import json
import os

import numpy as np
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures")
OUT = os.path.join(FIXTURES, "grad")
torch.set_num_threads(2)
MASK = (1 << 64) - 1


def fnv1a(text):
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return h


def pattern(name, shape, bound):
    """Uniform in [-bound, bound): SplitMix64 of (fnv1a(name) + (i + 1)·golden), top 24 bits."""
    count = int(np.prod(shape))
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a(name)) + (np.arange(count, dtype=np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    return ((u * 2 - 1) * bound).astype(np.float32).reshape(shape)


def export_name(name):
    """PEFT's in-memory parameter name → its saved adapter name (adapter name dropped)."""
    return name.replace(".lora_A.default.", ".lora_A.").replace(".lora_B.default.", ".lora_B.") \
        .replace(".modules_to_save.default.", ".")


def fill_adapters(model, b_bound=0.2):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".lora_A." in name:
                p.copy_(torch.from_numpy(pattern(export_name(name), tuple(p.shape), 1 / p.shape[1] ** 0.5)))
            elif ".lora_B." in name:
                p.copy_(torch.from_numpy(pattern(export_name(name), tuple(p.shape), b_bound)))


def batch(vocab, lengths=(12, 12), seed=5):
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, vocab, (len(lengths), lengths[0]), generator=gen)
    labels = ids.clone()
    labels[0, :4] = -100          # a prompt that is not trained on
    labels[1, -3:] = -100         # and a masked tail
    labels[1, 5] = -100
    return ids, labels


def write_case(case, loss, tokens, ids, labels, grads, extra):
    index, offset = [], 0
    with open(os.path.join(OUT, case + ".bin"), "wb") as f:
        for name, g in grads:
            data = g.detach().float().contiguous().numpy().astype("<f4")
            f.write(data.tobytes())
            index.append({"name": name, "shape": list(data.shape), "offset": offset})
            offset += data.size
    meta = dict(loss=loss, tokens=tokens, input_ids=ids.tolist(), labels=labels.tolist(), tensors=index, **extra)
    with open(os.path.join(OUT, case + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(case, "loss", loss, "tensors", len(index), "bytes", offset * 4)


def lora_case(case, model_dir, rslora=False, modules_to_save=None):
    model = AutoModelForCausalLM.from_pretrained(os.path.join(FIXTURES, "tiny", model_dir), dtype=torch.float32,
                                                 attn_implementation="eager")
    config = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear", bias="none",
                        use_rslora=rslora, modules_to_save=modules_to_save, task_type="CAUSAL_LM")
    model = get_peft_model(model, config)
    fill_adapters(model)
    ids, labels = batch(model.config.vocab_size)
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    grads = [(export_name(n), p.grad) for n, p in model.named_parameters() if p.requires_grad]
    tokens = int((labels[:, 1:] != -100).sum())
    write_case(case, out.loss.item(), tokens, ids, labels, grads,
               dict(model=model_dir, r=8, alpha=16, rslora=rslora, modules_to_save=modules_to_save or [], b_bound=0.2))


def qlora_case(case, model_dir):
    """QLoRA: the base's Linear weights quantized by bitsandbytes to NF4 (block 64, double quant).

    bitsandbytes' CPU 4-bit matmul does not compute in exact f32 (its Linear4bit output differs from
    x·dequant(W)ᵀ by ~0.3%), so the reference is PEFT on a f32 model whose Linear weights are bitsandbytes'
    own dequantized NF4 values — QLoRA's arithmetic done in f32. The bnb-native loss is kept for information.
    """
    import bitsandbytes.functional as bnbf
    from transformers import BitsAndBytesConfig
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=torch.float32)
    path = os.path.join(FIXTURES, "tiny", model_dir)
    quantized = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, quantization_config=quant,
                                                     device_map="cpu", attn_implementation="eager")
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    dense = dict(model.named_modules())
    with torch.no_grad():
        for name, module in quantized.named_modules():
            if type(module).__name__ == "Linear4bit":
                weight = bnbf.dequantize_4bit(module.weight.data, module.weight.quant_state).float()
                dense[name].weight.copy_(weight)
                if name == "model.layers.0.self_attn.q_proj":  # lets the Swift test check its dequantization
                    weight.numpy().astype("<f4").tofile(os.path.join(OUT, case + ".q_proj0.bin"))
    config = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear", bias="none", task_type="CAUSAL_LM")
    ids, labels = batch(model.config.vocab_size)
    native = get_peft_model(quantized, config)
    fill_adapters(native)
    native_loss = native(input_ids=ids, labels=labels).loss.item()
    model = get_peft_model(model, config)
    fill_adapters(model)
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    grads = [(export_name(n), p.grad) for n, p in model.named_parameters() if p.requires_grad]
    tokens = int((labels[:, 1:] != -100).sum())
    write_case(case, out.loss.item(), tokens, ids, labels, grads,
               dict(model=model_dir, r=8, alpha=16, rslora=False, modules_to_save=[], b_bound=0.2,
                    bnb_native_loss=native_loss, four_bit=dict(type="nf4", block_size=64, double_quant=True)))


def full_case(case, model_dir):
    model = AutoModelForCausalLM.from_pretrained(os.path.join(FIXTURES, "tiny", model_dir), dtype=torch.float32,
                                                 attn_implementation="eager")
    ids, labels = batch(model.config.vocab_size)
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    grads = [(n, p.grad) for n, p in model.named_parameters()]
    tokens = int((labels[:, 1:] != -100).sum())
    write_case(case, out.loss.item(), tokens, ids, labels, grads, dict(model=model_dir))


def smollm2_case(sampled=("model.layers.0.self_attn.q_proj", "model.layers.14.self_attn.v_proj",
                          "model.layers.29.mlp.down_proj")):
    path = os.path.join(ROOT, "models")
    model = AutoModelForCausalLM.from_pretrained(path, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf", dtype=torch.float32,
                                                 attn_implementation="eager")
    config = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear", bias="none",
                        task_type="CAUSAL_LM")
    model = get_peft_model(model, config)
    fill_adapters(model, b_bound=0.02)  # 30 layers: a small B keeps the model near the base (loss ≈ base loss)
    gen = torch.Generator().manual_seed(11)
    ids = torch.randint(0, model.config.vocab_size, (1, 64), generator=gen)
    labels = ids.clone()
    labels[0, :16] = -100
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    grads, norms = [], {}
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        name = export_name(n)
        norms[name] = p.grad.double().norm().item()
        if any(f".{s}.lora_" in name for s in sampled):
            grads.append((name, p.grad))
    tokens = int((labels[:, 1:] != -100).sum())
    write_case("smollm2_lora", out.loss.item(), tokens, ids, labels, grads,
               dict(model="SmolLM2-135M-Instruct.Q4_1.gguf", r=8, alpha=16, rslora=False, modules_to_save=[],
                    b_bound=0.02, grad_norms=norms))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-smollm2", action="store_true")
    parser.add_argument("--only-smollm2", action="store_true")
    parser.add_argument("--only-qlora", action="store_true")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    if args.only_qlora:
        qlora_case("llama_qlora_nf4", "llama_tied_bf16")
        raise SystemExit
    if args.only_smollm2:
        smollm2_case()
        raise SystemExit
    lora_case("llama_lora", "llama_tied_bf16")
    lora_case("llama_rslora", "llama_tied_bf16", rslora=True)
    lora_case("qwen2_lora", "qwen2_bias_bf16")
    lora_case("llama3_lora_save_lm_head", "llama3_untied_f16", modules_to_save=["lm_head"])
    qlora_case("llama_qlora_nf4", "llama_tied_bf16")
    full_case("qwen2_full", "qwen2_bias_bf16")
    full_case("llama3_full", "llama3_untied_f16")
    if not args.skip_smollm2:
        smollm2_case()
