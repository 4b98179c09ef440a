#!/usr/bin/env python3
"""safetensors golden fixtures for Tests/FormatsTests, produced with the `safetensors` package
(Rust reference implementation) and huggingface_hub's sharded checkpoint writer.

Writes into Tests/FormatsTests/Fixtures/safetensors/:
  several.safetensors + several.json   every dtype (incl. BF16, F8, BOOL, scalars, empty tensors);
                                       the JSON has each tensor's dtype, shape, raw bytes (hex) and
                                       its values as f32 where it is a float tensor
  layout.safetensors + layout.json     a file the Swift writer must reproduce byte for byte from
                                       the f32 values in the JSON
  sharded/                             huggingface_hub.save_torch_state_dict with a small
                                       max_shard_size: shards + model.safetensors.index.json;
                                       sharded.json lists the tensors (in state-dict order) with
                                       dtype, shape, values, and the max_shard_size used
Run from the package root:  .venv/bin/python tools/reference/safetensors_fixtures.py
"""
import json
import pathlib
import shutil

import torch
from safetensors.torch import save_file
from huggingface_hub import save_torch_state_dict

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/FormatsTests/Fixtures/safetensors"
torch.manual_seed(20261122)

DTYPE_NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.uint16: "U16", torch.uint32: "U32", torch.uint64: "U64", torch.bool: "BOOL",
    torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2",
}


def describe(t):
    entry = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
             "hex": t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes().hex() if t.numel() else ""}
    if t.dtype in (torch.float64, torch.float32, torch.float16, torch.bfloat16):
        entry["values"] = [float(v) for v in t.float().reshape(-1)]
    return entry


def several():
    g = torch.randn
    tensors = {
        "model.embed.weight": g(4, 3, dtype=torch.float32),
        "half": g(2, 5).half(),
        "brain": g(3, 2).bfloat16(),
        "double": g(3, dtype=torch.float64),
        "ids": torch.tensor([1, -2, 1 << 40], dtype=torch.int64),
        "i32": torch.tensor([[7, -8], [9, 2**31 - 1]], dtype=torch.int32),
        "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([-128, 5, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
        "u16": torch.tensor([65535, 1], dtype=torch.uint16),
        "mask": torch.tensor([True, False, True]),
        "f8": g(4).to(torch.float8_e4m3fn),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
    }
    save_file(tensors, OUT / "several.safetensors", metadata={"format": "pt", "note": "fixtures ✓"})
    (OUT / "several.json").write_text(json.dumps(
        {"metadata": {"format": "pt", "note": "fixtures ✓"}, "tensors": {k: describe(v) for k, v in tensors.items()}},
        indent=1) + "\n")


def layout():
    tensors = {
        "b.weight": torch.randn(2, 3),
        "a.weight": torch.randn(4).bfloat16(),
        "c": torch.randn(2, 2).half(),
        "z": torch.tensor(-1.5),
        "e": torch.zeros(0, 3),
        "\"quoted\"/name\n": torch.randn(1),
    }
    save_file(tensors, OUT / "layout.safetensors", metadata={"format": "pt"})
    (OUT / "layout.json").write_text(json.dumps(
        {"metadata": {"format": "pt"}, "tensors": [dict(name=k, **describe(v)) for k, v in tensors.items()]},
        indent=1) + "\n")


def sharded():
    directory = OUT / "sharded"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    state = {
        "model.embed_tokens.weight": torch.randn(16, 8),          # 512 bytes
        "model.layers.0.self_attn.q_proj.weight": torch.randn(8, 8),  # 256
        "model.layers.0.mlp.up_proj.weight": torch.randn(8, 8).bfloat16(),  # 128
        "model.layers.0.input_layernorm.weight": torch.randn(8),  # 32
        "lm_head.weight": torch.randn(20, 8),                     # 640: over the limit, own shard
        "model.norm.weight": torch.randn(8),                      # 32
    }
    max_shard_size = 600
    save_torch_state_dict(state, directory, max_shard_size=max_shard_size, metadata={"source": "runner fixtures"})
    (OUT / "sharded.json").write_text(json.dumps(
        {"max_shard_size": max_shard_size, "metadata": {"source": "runner fixtures"},
         "tensors": [dict(name=k, **describe(v)) for k, v in state.items()]}, indent=1) + "\n")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    several()
    layout()
    sharded()
    print("wrote", OUT)
