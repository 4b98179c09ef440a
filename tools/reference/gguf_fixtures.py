#!/usr/bin/env python3
"""GGUF golden fixtures for Tests/FormatsTests, produced with the `gguf` Python package (0.19).

Writes into Tests/FormatsTests/Fixtures/gguf/:
  quant/<TYPE>.blocks   raw ggml blocks (quantized by gguf.quants.quantize, or random valid
                        blocks for K-quants, which the package cannot quantize)
  quant/<TYPE>.f32      gguf.quants.dequantize of those blocks (little-endian f32)
  quant/<TYPE>.source   the f32 input that was quantized (types the package can quantize)
  quant/index.json      type, value count, whether .source exists
  small.gguf            a GGUFWriter file: metadata of every value type (nested arrays too),
                        tensors of several ggml types
  small.json            what gguf.GGUFReader reads back from small.gguf
  smollm2.json / smollm2-values.f32
                        header facts of models/SmolLM2-135M-Instruct.Q4_1.gguf and the first
                        64 dequantized values of a few tensors (reference for the real model)
Run from the package root:  .venv/bin/python tools/reference/gguf_fixtures.py
"""
import json
import pathlib
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import quantize, dequantize

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/FormatsTests/Fixtures/gguf"
QUANT = OUT / "quant"
MODEL = ROOT / "models/SmolLM2-135M-Instruct.Q4_1.gguf"

rng = np.random.default_rng(20261122)


def random_f16_scales(n, scale):
    """Finite, non-zero f16 scale values (as raw little-endian bytes)."""
    v = (rng.standard_normal(n) * scale).astype(np.float16)
    v[v == 0] = np.float16(scale)
    return v.view(np.uint8).reshape(n, 2)


def k_quant_blocks(qtype, n_blocks):
    """Random bytes with finite f16 scales at the positions ggml puts them."""
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    if qtype in (T.Q4_K, T.Q5_K):          # d, dmin at bytes 0..3
        blocks[:, 0:2] = random_f16_scales(n_blocks, 0.01)
        blocks[:, 2:4] = random_f16_scales(n_blocks, 0.01)
    elif qtype == T.Q6_K:                    # d at bytes 208..209
        blocks[:, 208:210] = random_f16_scales(n_blocks, 0.01)
    else:
        raise ValueError(qtype)
    return blocks


def write_quant_fixtures():
    QUANT.mkdir(parents=True, exist_ok=True)
    index = []
    quantizable = [T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0]
    for qtype in quantizable:
        count = 512
        source = (rng.standard_normal(count) * rng.uniform(0.01, 2.0, size=count // 32).repeat(32)).astype(np.float32)
        source[5] = 0.0                      # exercise exact zero inside a block
        blocks = quantize(source.reshape(4, -1), qtype)
        values = dequantize(blocks, qtype).astype("<f4").reshape(-1)
        blocks.tofile(QUANT / f"{qtype.name}.blocks")
        values.tofile(QUANT / f"{qtype.name}.f32")
        source.astype("<f4").tofile(QUANT / f"{qtype.name}.source")
        index.append({"type": qtype.name, "count": count, "source": True})
    for qtype in [T.Q4_K, T.Q5_K, T.Q6_K]:
        n_blocks = 4
        blocks = k_quant_blocks(qtype, n_blocks)
        values = dequantize(blocks, qtype).astype("<f4").reshape(-1)
        blocks.tofile(QUANT / f"{qtype.name}.blocks")
        values.tofile(QUANT / f"{qtype.name}.f32")
        index.append({"type": qtype.name, "count": n_blocks * 256, "source": False})
    (QUANT / "index.json").write_text(json.dumps(index, indent=1) + "\n")


def write_small_gguf():
    path = OUT / "small.gguf"
    w = gguf.GGUFWriter(str(path), arch="llama")
    V = gguf.GGUFValueType
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 3.25)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo ✓ {{ bos_token }}")
    w.add_uint64("test.u64", 18000000000000000000)
    w.add_int64("test.i64", -9000000000000000000)
    w.add_float64("test.f64", -2.5e-300)
    w.add_key_value("test.array.i32", [1, -2, 3], V.ARRAY, sub_type=V.INT32)
    w.add_key_value("test.array.u8", [0, 255, 7], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("test.array.f32", [0.5, -1.25], V.ARRAY, sub_type=V.FLOAT32)
    w.add_key_value("test.array.string", ["a", "", "ĠHello"], V.ARRAY, sub_type=V.STRING)
    w.add_key_value("test.array.bool", [True, False], V.ARRAY, sub_type=V.BOOL)
    w.add_key_value("test.array.nested", [[1, 2], [3]], V.ARRAY, sub_type=V.ARRAY)
    w.add_uint32("llama.block_count", 2)

    tensors = {}
    a = rng.standard_normal((3, 64)).astype(np.float32)        # PyTorch shape (3, 64)
    w.add_tensor("t.f32", a); tensors["t.f32"] = dequantize(a, T.F32)
    b = rng.standard_normal((2, 4, 8)).astype(np.float16)
    w.add_tensor("t.f16", b); tensors["t.f16"] = b.astype(np.float32)
    c = rng.standard_normal((2, 64)).astype(np.float32)
    cq = quantize(c, T.Q8_0)
    w.add_tensor("t.q8_0", cq, raw_dtype=T.Q8_0); tensors["t.q8_0"] = dequantize(cq, T.Q8_0)
    d = rng.standard_normal((4, 32)).astype(np.float32)
    dq = quantize(d, T.Q4_1)
    w.add_tensor("t.q4_1", dq, raw_dtype=T.Q4_1); tensors["t.q4_1"] = dequantize(dq, T.Q4_1)
    e = rng.standard_normal((5,)).astype(np.float32)
    w.add_tensor("t.vec", e); tensors["t.vec"] = e
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    r = gguf.GGUFReader(str(path))
    fields = {}
    for name, field in r.fields.items():
        if name.startswith("GGUF."):
            continue
        kinds = [gguf.GGUFValueType(t).name for t in field.types]
        fields[name] = {"types": kinds, "value": to_json(field.contents())}
    # GGUFReader.contents() flattens nested arrays; record the structure that was written instead.
    fields["test.array.nested"]["value"] = [[1, 2], [3]]
    infos = []
    for t in r.tensors:
        infos.append({
            "name": t.name, "type": t.tensor_type.name,
            "dims": [int(x) for x in t.shape],             # GGUF order (ne[0] first)
            "offset": int(t.data_offset),                  # absolute file offset
            "values": [float(x) for x in tensors[t.name].reshape(-1)],
        })
    (OUT / "small.json").write_text(json.dumps({"alignment": r.alignment, "fields": fields, "tensors": infos}, indent=1) + "\n")


def to_json(value):
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (bytes, np.ndarray)):
        return to_json(list(value))
    return value


def write_model_fixtures():
    if not MODEL.exists():
        sys.exit(f"{MODEL} is missing: run scripts/bootstrap.sh")
    r = gguf.GGUFReader(str(MODEL))
    f = r.fields
    facts = {
        "architecture": f["general.architecture"].contents(),
        "block_count": int(f["llama.block_count"].contents()),
        "embedding_length": int(f["llama.embedding_length"].contents()),
        "vocab_size": len(f["tokenizer.ggml.tokens"].contents()),
        "tokenizer_model": f["tokenizer.ggml.model"].contents(),
        "chat_template_prefix": f["tokenizer.chat_template"].contents()[:40],
        "kv_count": len([k for k in f if not k.startswith("GGUF.")]),
        "alignment": r.alignment,
        "tensors": [{"name": t.name, "type": t.tensor_type.name, "dims": [int(x) for x in t.shape],
                     "offset": int(t.data_offset)} for t in r.tensors],
    }
    picks = ["token_embd.weight", "blk.0.attn_q.weight", "blk.17.ffn_down.weight", "output_norm.weight", "blk.29.attn_k.weight"]
    chunks, spot = [], []
    for name in picks:
        t = next(t for t in r.tensors if t.name == name)
        values = dequantize(np.asarray(t.data), t.tensor_type).reshape(-1)
        # first 64 values and 64 values from the last row (catches row-stride mistakes)
        last = values[-64:]
        chunks += [values[:64].astype("<f4"), last.astype("<f4")]
        spot.append({"name": name, "count": int(values.size)})
    np.concatenate(chunks).tofile(OUT / "smollm2-values.f32")
    facts["spot_checks"] = spot
    (OUT / "smollm2.json").write_text(json.dumps(facts, indent=1) + "\n")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    write_quant_fixtures()
    write_small_gguf()
    write_model_fixtures()
    print("wrote", OUT)
