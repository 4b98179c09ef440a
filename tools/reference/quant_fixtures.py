#!/usr/bin/env python3
"""Golden fixtures for Tests/QuantTests from bitsandbytes (CPU) and transformers.

Writes Tests/QuantTests/Fixtures/quant_fixtures.{json,bin}: a JSON index of named little-endian
arrays (offset, dtype, shape) in one binary blob, plus per-case metadata. Inputs are seeded random
(never all zeros). Run: .venv/bin/python tools/reference/quant_fixtures.py
"""
import json
import os
import struct
import tempfile

import numpy as np
import torch
import bitsandbytes as bnb
import bitsandbytes.functional as F
from bitsandbytes.backends.default.ops import _get_4bit_quantize_bounds

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "QuantTests", "Fixtures")


class Blob:
    """Collects named arrays into one little-endian byte blob with a JSON index."""

    def __init__(self):
        self.data = bytearray()
        self.index = {}

    def add(self, name, t):
        assert name not in self.index, name
        if isinstance(t, torch.Tensor):
            t = t.detach().contiguous().cpu()
            if t.dtype == torch.bfloat16:
                arr, dtype = t.view(torch.int16).numpy().view(np.uint16), "bf16"
            elif t.dtype == torch.float16:
                arr, dtype = t.view(torch.int16).numpy().view(np.uint16), "f16"
            else:
                arr = t.numpy()
                dtype = {np.float32: "f32", np.uint8: "u8", np.int8: "i8", np.int32: "i32", np.int64: "i64"}[arr.dtype.type]
        else:
            arr = np.ascontiguousarray(t)
            dtype = {np.float32: "f32", np.uint8: "u8", np.int8: "i8"}[arr.dtype.type]
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        self.index[name] = {"offset": len(self.data), "byteCount": len(raw), "dtype": dtype, "shape": list(arr.shape)}
        self.data += raw
        return name


def torch_dtype(name):
    return {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[name]


def random_weights(shape, dtype, seed, scale=0.05):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(*shape, generator=g) * scale
    # A few outliers so that block maxima vary.
    w.view(-1)[:: 97] *= 6
    return w.to(torch_dtype(dtype))


def midpoint_input(quant_type, n_blocks, blocksize):
    """Values at the 4-bit code midpoints (and one ulp either side), scaled so absmax is exact."""
    bounds, _ = _get_4bit_quantize_bounds(quant_type, torch.device("cpu"))
    b = bounds.numpy().astype(np.float32)
    vals = [np.float32(1.0), np.float32(-1.0)]
    for m in b:
        vals += [m, np.nextafter(m, np.float32(2)), np.nextafter(m, np.float32(-2))]
    vals += [np.float32(1e-7), np.float32(-1e-7), np.float32(0.0015), np.float32(-0.0015)]
    row = np.array(vals, dtype=np.float32)
    out = np.resize(row, n_blocks * blocksize).reshape(n_blocks, blocksize).copy()
    out[:, 0] = 1.0  # absmax exactly 1 in each block: scaled value == input value
    scales = np.array([1.0, 0.5, 2.0, 0.25][:n_blocks], dtype=np.float32)  # powers of two stay exact
    return torch.from_numpy((out * scales[:, None]).astype(np.float32))


def main():
    torch.manual_seed(0)
    blob = Blob()
    meta = {"bitsandbytes": bnb.__version__, "torch": torch.__version__, "fourBit": [], "blockwise": [],
            "int8": [], "nested": []}

    # Code tables exactly as bitsandbytes builds them.
    blob.add("code.nf4", F.get_4bit_type("nf4", device="cpu"))
    blob.add("code.fp4", F.get_4bit_type("fp4", device="cpu"))
    blob.add("code.dynamic_signed", F.create_dynamic_map(signed=True))
    blob.add("code.dynamic_unsigned", F.create_dynamic_map(signed=False))

    # 4-bit quantization (quantize_4bit / dequantize_4bit), plain and nested absmax.
    cases = [
        ("nf4_f32_64x64_b64", "nf4", 64, "f32", (64, 64), False),
        ("nf4_f32_37x50_b64", "nf4", 64, "f32", (37, 50), False),
        ("fp4_f32_3x33_b32", "fp4", 32, "f32", (3, 33), False),
        ("fp4_f32_40x96_b128", "fp4", 128, "f32", (40, 96), False),
        ("nf4_bf16_48x64_b64_dq", "nf4", 64, "bf16", (48, 64), True),
        ("fp4_f16_20x40_b128_dq", "fp4", 128, "f16", (20, 40), True),
        ("nf4_f32_16x544_b32_dq", "nf4", 32, "f32", (16, 544), True),
        ("nf4_bf16_2x4100_b4096", "nf4", 4096, "bf16", (2, 4100), False),
        ("nf4_f32_7x9_b32_dq", "nf4", 32, "f32", (7, 9), True),
    ]
    for i, (name, qt, bs, dt, shape, nested) in enumerate(cases):
        w = random_weights(shape, dt, 100 + i)
        add_4bit_case(blob, meta, name, qt, bs, dt, w, nested)
    for qt in ("nf4", "fp4"):
        w = midpoint_input(qt, 4, 64)
        add_4bit_case(blob, meta, f"{qt}_midpoints_b64", qt, 64, "f32", w, False)
    # A remainder block of zeros: bitsandbytes clamps only that block's absmax to 1e-38.
    w = random_weights((1, 100), "f32", 7)
    w[0, 64:] = 0
    add_4bit_case(blob, meta, "nf4_zero_tail_b64", "nf4", 64, "f32", w, False)

    # Nested (double) quantization of an absmax vector alone: offset = mean, blocks of 256.
    for i, n in enumerate([300, 1152, 4099]):
        g = torch.Generator().manual_seed(500 + i)
        absmax = torch.rand(n, generator=g) * 0.2 + 0.01
        offset = absmax.mean()
        q, st = F.quantize_blockwise(absmax - offset, blocksize=256)
        deq = F.dequantize_blockwise(q, st) + offset
        p = f"nested{n}"
        blob.add(p + ".absmax", absmax)
        blob.add(p + ".q", q)
        blob.add(p + ".nested_absmax", st.absmax)
        blob.add(p + ".offset", offset.reshape(1))
        blob.add(p + ".dequant", deq)
        meta["nested"].append({"name": p, "count": n})

    # Blockwise 8-bit dynamic quantization (what 8-bit AdamW uses for its moments).
    bcases = [
        ("signed_f32_5000_b256", True, 256, "f32", 5000),
        ("signed_f32_4500_b2048", True, 2048, "f32", 4500),
        ("unsigned_f32_3000_b256", False, 256, "f32", 3000),
        ("signed_bf16_1000_b256", True, 256, "bf16", 1000),
        ("unsigned_f16_700_b2048", False, 2048, "f16", 700),
        ("signed_f32_4096_b4096", True, 4096, "f32", 4096),
    ]
    for i, (name, signed, bs, dt, n) in enumerate(bcases):
        g = torch.Generator().manual_seed(300 + i)
        x = torch.randn(n, generator=g) * 1e-3
        x[:: 53] *= 40
        if not signed:
            x = x * x  # second moments: non-negative
        x = x.to(torch_dtype(dt))
        code = F.create_dynamic_map(signed=signed)
        q, st = F.quantize_blockwise(x, code=code, blocksize=bs)
        p = "blockwise." + name
        blob.add(p + ".input", x)
        blob.add(p + ".q", q)
        blob.add(p + ".absmax", st.absmax)
        blob.add(p + ".dequant_f32", F.dequantize_blockwise(q, absmax=st.absmax, code=code, blocksize=bs))
        st.dtype = torch.bfloat16
        blob.add(p + ".dequant_bf16", F.dequantize_blockwise(q, st))
        meta["blockwise"].append({"name": name, "signed": signed, "blocksize": bs, "dtype": dt, "count": n})

    # LLM.int8 row-wise absmax quantization.
    icases = [("f16_12x40", "f16", (12, 40), 0.0), ("f32_9x33", "f32", (9, 33), 0.0),
              ("bf16_6x64", "bf16", (6, 64), 0.0), ("f16_8x24_t3", "f16", (8, 24), 3.0)]
    for i, (name, dt, shape, thr) in enumerate(icases):
        g = torch.Generator().manual_seed(400 + i)
        a = torch.randn(*shape, generator=g)
        a[2, 5] = 7.5
        a = a.to(torch_dtype(dt))
        q, stats, cols = F.int8_vectorwise_quant(a.clone(), threshold=thr)
        p = "int8." + name
        blob.add(p + ".input", a)
        blob.add(p + ".q", q)
        blob.add(p + ".stats", stats)
        blob.add(p + ".dequant", F.int8_vectorwise_dequant(q, stats))
        meta["int8"].append({"name": name, "dtype": dt, "shape": list(shape), "threshold": thr,
                             "outlierColumns": [] if cols is None else cols.tolist()})

    meta["hf"] = hf_layout_case(blob)

    # Python float repr, which bitsandbytes' quant_state JSON uses for nested_offset.
    g = torch.Generator().manual_seed(600)
    samples = [1e-05, 1.5e-07, 0.0001, 0.1, 2.5, 100.0, 1e16, 1.2345678901234567e16, 123456789012345.0,
               -0.00012, 3.0e-300, 6.02e23] + [float(v) for v in torch.rand(8, generator=g) * 0.3]
    # Bits as hex: JSON number parsers need not round exactly.
    meta["pythonRepr"] = [["%016x" % struct.unpack("<Q", struct.pack("<d", v))[0], repr(v)] for v in samples]

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "quant_fixtures.bin"), "wb") as f:
        f.write(blob.data)
    with open(os.path.join(OUT, "quant_fixtures.json"), "w") as f:
        json.dump({"meta": meta, "arrays": blob.index}, f, indent=1, sort_keys=True)
    print(f"wrote {len(blob.data)} bytes, {len(blob.index)} arrays")


def add_4bit_case(blob, meta, name, qt, bs, dt, w, nested):
    packed, st = F.quantize_4bit(w, blocksize=bs, compress_statistics=nested, quant_type=qt)
    p = "fourbit." + name
    blob.add(p + ".input", w)
    blob.add(p + ".packed", packed)
    if nested:
        blob.add(p + ".qabsmax", st.absmax)
        blob.add(p + ".nested_absmax", st.state2.absmax)
        blob.add(p + ".offset", st.offset.reshape(1))
    else:
        blob.add(p + ".absmax", st.absmax)
    # Reference dequantization: bitsandbytes' portable PyTorch implementation (what CUDA computes
    # too). Its CPU C kernel can differ: the AVX-512 path indexes absmax by (row, column block), wrong
    # when a row is not a whole number of blocks, and the scalar path returns -0.0 for FP4 nibble 8.
    # `cpuKernelMatches` records, bit for bit, whether the C kernel agreed on this case.
    from bitsandbytes.backends.default.ops import _dequantize_4bit_compute
    from bitsandbytes.backends.utils import _get_4bit_code
    portable = getattr(_dequantize_4bit_compute, "__wrapped__", _dequantize_4bit_compute)
    scales = F.dequantize_blockwise(st.absmax, st.state2) + st.offset if nested else st.absmax
    code = _get_4bit_code(qt, torch.device("cpu"))
    matches = {}
    for out_dtype in ["f32"] + ([dt] if dt != "f32" else []):
        td = torch_dtype(out_dtype)
        ref = portable(packed.reshape(-1), scales, code, bs, tuple(st.shape), td)
        kernel = F.dequantize_4bit(packed, F.QuantState(absmax=scales, shape=st.shape, blocksize=bs, quant_type=qt,
                                                        dtype=td, code=st.code))
        as_int = (lambda t: t.view(torch.int32)) if out_dtype == "f32" else (lambda t: t.view(torch.int16))
        matches[out_dtype] = bool(torch.equal(as_int(ref), as_int(kernel)))
        blob.add(p + (".dequant_f32" if out_dtype == "f32" else ".dequant"), ref)
    if nested:
        blob.add(p + ".absmax", scales)
    meta["fourBit"].append({"name": name, "quantType": qt, "blocksize": bs, "dtype": dt, "shape": list(w.shape),
                            "nested": nested, "cpuKernelMatches": matches})


def hf_layout_case(blob):
    """Save a tiny Llama as a bitsandbytes-4bit checkpoint and record q_proj's tensors + JSON."""
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(1)
    cfg = LlamaConfig(vocab_size=64, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=32)
    model = LlamaForCausalLM(cfg).to(torch.bfloat16)
    prefix = "model.layers.0.self_attn.q_proj"
    weight = model.model.layers[0].self_attn.q_proj.weight.detach().clone()
    with tempfile.TemporaryDirectory() as d:
        model.save_pretrained(d + "/fp")
        qcfg = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                  bnb_4bit_compute_dtype=torch.bfloat16)
        q = AutoModelForCausalLM.from_pretrained(d + "/fp", quantization_config=qcfg, device_map="cpu",
                                                 dtype=torch.bfloat16)
        q.save_pretrained(d + "/q")
        with open(d + "/q/config.json") as f:
            quantization_config = json.load(f)["quantization_config"]
        tensors = []
        with safe_open(d + "/q/model.safetensors", "pt") as f:
            for k in sorted(f.keys()):
                if k.startswith(prefix + "."):
                    t = f.get_tensor(k)
                    blob.add("hf." + k, t)
                    tensors.append({"name": k, "dtype": blob.index["hf." + k]["dtype"], "shape": list(t.shape)})
    blob.add("hf.input", weight)
    return {"prefix": prefix, "shape": list(weight.shape), "tensors": tensors,
            "quantizationConfig": quantization_config}


if __name__ == "__main__":
    main()
