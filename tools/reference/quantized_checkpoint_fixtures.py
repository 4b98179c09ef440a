#!/usr/bin/env python3
"""Quantized-checkpoint fixtures for Tests/StagesTests (QuantizeArtifactTests), from transformers + bitsandbytes on CPU.

For the tiny random Llama of Tests/ModelsTests/Fixtures/tiny/llama_tied_bf16 (read as float32), each case
quantizes it the way `runner`'s `quantize` stage does and keeps what transformers' own `save_pretrained` writes:
  Tests/StagesTests/Fixtures/quantize/<case>/model.safetensors   bnb's saved tensors (the Swift test compares ours byte for byte)
  Tests/StagesTests/Fixtures/quantize/<case>/config.json         bnb's saved config (quantization_config compared)
  Tests/StagesTests/Fixtures/quantize/<case>/logits.bin          f32 logits (T, V) of the quantized model on `input_ids`
  Tests/StagesTests/Fixtures/quantize/<case>/reference.json      input_ids, settings, and how native bnb inference compares

Cases: nf4 (block 64, double quant, compute float32) and int8 (LLM.int8 `load_in_8bit`), llm_int8_skip_modules [lm_head]
(the recipe default).

Logits: for 4-bit, bnb's own Linear4bit forward in its general path (dequantize_4bit, then a float32 linear). On CPUs
with AVX512-BF16, bnb's inference fast path instead runs a fused kernel in bf16 (a ~2% different answer that depends on
the machine), so it is switched off; the bf16 answer is recorded in reference.json for information. For int8, bnb's
inference matmul quantizes the activations to int8 too; runner trains on the dequantized weight (CB·SCB/127), so the
reference logits are the model transformers loaded, with each Linear8bitLt weight dequantized that way.

Check mode: `--check DIR` loads a quantize artifact written by runner with AutoModelForCausalLM.from_pretrained(DIR),
asserts that its tensors equal bnb's own save (of the case named by DIR's quantization_config) and its logits equal the
fixture's. The Swift test keeps the artifacts it makes when RUNNER_KEEP_QUANTIZED=<dir> is set:
  RUNNER_KEEP_QUANTIZED=/tmp/q swift test --filter QuantizeArtifactTests
  .venv/bin/python tools/reference/quantized_checkpoint_fixtures.py --check /tmp/q/nf4 --check /tmp/q/int8

Run from the package root:  .venv/bin/python tools/reference/quantized_checkpoint_fixtures.py
"""
import argparse
import json
import os
import shutil
import tempfile

import numpy as np
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, BitsAndBytesConfig

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures", "tiny", "llama_tied_bf16")
OUT = os.path.join(ROOT, "Tests", "StagesTests", "Fixtures", "quantize")
INPUT_IDS = [[5, 17, 200, 33, 90, 1, 77, 250, 3, 9, 128, 64]]
torch.set_num_threads(2)

CASES = {
    "nf4": BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.float32, llm_int8_skip_modules=["lm_head"]),
    "int8": BitsAndBytesConfig(load_in_8bit=True, llm_int8_skip_modules=["lm_head"]),
}


def reference_logits(model):
    """Logits (T, V) with every quantized Linear computed as runner does (see the module docstring)."""
    dense = AutoModelForCausalLM.from_pretrained(TINY, dtype=torch.float32)
    modules = dict(dense.named_modules())
    with torch.no_grad():
        for name, module in model.named_modules():
            kind = type(module).__name__
            if kind == "Linear8bitLt":
                cb, scb = module.weight.data, module.weight.SCB
                modules[name].weight.copy_(cb.float() * scb.float().view(-1, 1) * 7.874015718698502e-3)
            elif kind == "Linear4bit":
                module.support_avx512bf16_for_cpu = False   # bnb's general path: dequantize, then linear
        ids = torch.tensor(INPUT_IDS)
        if any(type(m).__name__ == "Linear8bitLt" for m in model.modules()):
            return dense(ids).logits[0].float()
        return model(ids).logits[0].float()


def native_logits(model):
    """bnb's inference as it runs on this machine (fused bf16 kernel where the CPU has AVX512-BF16)."""
    with torch.no_grad():
        return model(torch.tensor(INPUT_IDS)).logits[0].float()


def make_case(name):
    quant = CASES[name]
    out = os.path.join(OUT, name)
    os.makedirs(out, exist_ok=True)
    model = AutoModelForCausalLM.from_pretrained(TINY, dtype=torch.float32, quantization_config=quant, device_map="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        for file in ("model.safetensors", "config.json"):
            shutil.copy(os.path.join(tmp, file), os.path.join(out, file))
    # Reload what was saved, as a user would.
    loaded = AutoModelForCausalLM.from_pretrained(out, device_map="cpu")
    logits = reference_logits(loaded)
    # A fresh copy: the fused path repacks the weights in place (and then ignores the switch above).
    native = native_logits(AutoModelForCausalLM.from_pretrained(out, device_map="cpu")) if name == "nf4" else None
    logits.numpy().astype("<f4").tofile(os.path.join(out, "logits.bin"))
    meta = dict(input_ids=INPUT_IDS, vocab_size=loaded.config.vocab_size, source="llama_tied_bf16 as float32",
                quantization_config=loaded.config.quantization_config.to_dict()
                if hasattr(loaded.config.quantization_config, "to_dict") else loaded.config.quantization_config)
    if native is not None:
        meta["bnb_native_inference_max_abs_diff"] = (native - logits).abs().max().item()
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1, default=str)
    print(name, "logits range", (logits.max() - logits.min()).item(), "files",
          {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out))})


def check(directory):
    """transformers loads runner's artifact; tensors equal bnb's save; logits equal the fixture's."""
    with open(os.path.join(directory, "config.json")) as f:
        qc = json.load(f)["quantization_config"]
    name = "int8" if qc["load_in_8bit"] else qc["bnb_4bit_quant_type"]
    expected_dir = os.path.join(OUT, name)
    ours, theirs = load_file(os.path.join(directory, "model.safetensors")), load_file(os.path.join(expected_dir, "model.safetensors"))
    assert set(ours) == set(theirs), sorted(set(ours) ^ set(theirs))
    for key in theirs:
        assert ours[key].dtype == theirs[key].dtype and ours[key].shape == theirs[key].shape, key
        assert torch.equal(ours[key].view(torch.uint8) if ours[key].dim() else ours[key], theirs[key].view(torch.uint8)
                           if theirs[key].dim() else theirs[key]), key
    model = AutoModelForCausalLM.from_pretrained(directory, device_map="cpu")
    logits = reference_logits(model)
    expected = torch.from_numpy(np.fromfile(os.path.join(expected_dir, "logits.bin"), dtype="<f4")).view(logits.shape)
    diff = (logits - expected).abs().max().item()
    assert diff == 0.0, diff
    print(directory, "OK:", len(theirs), "tensors equal bnb's save_pretrained; transformers' logits equal the fixture's")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="append", default=[], help="a runner quantize artifact directory")
    args = parser.parse_args()
    if args.check:
        for d in args.check:
            check(d)
    else:
        for case in CASES:
            make_case(case)
