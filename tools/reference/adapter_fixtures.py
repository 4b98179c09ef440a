#!/usr/bin/env python3
"""Golden fixtures for adapter loading and merging (Tests/StagesTests/Fixtures/adapters/), from PEFT,
transformers and bitsandbytes on the tiny Llama of Tests/ModelsTests/Fixtures/tiny/llama_tied_bf16.

1. peft_made/: an adapter PEFT creates (rsLoRA, random nonzero B, a trained `lm_head` copy on a
   tied model) with PEFT's logits and greedy tokens — runner must load it and agree.
2. ours/: an adapter runner trained (`runner apply` on a small recipe, `save` stage), loaded by
   `PeftModel.from_pretrained` — PEFT's logits with it are recorded; runner must agree.
3. merged: runner's `merge` checkpoints (f32; bf16 sharded; f32 from a QLoRA adapter on an NF4
   base) loaded by transformers: `from_pretrained` must log no warning, and its logits are
   recorded, with the checkpoint's sha256 so the Swift test knows it rebuilt the same bytes. The
   QLoRA merge is also checked here against bitsandbytes' dequantize(quantize_4bit(W)) + scale·B·A.
4. smollm2/: a small PEFT adapter (q_proj/v_proj of three layers, `layers_to_transform`) on the real
   SmolLM2-135M-Instruct GGUF as transformers loads it, with PEFT's top logits and greedy tokens.

Run from the package root after `swift build --product runner`:
    .venv/bin/python tools/reference/adapter_fixtures.py
"""
import hashlib
import io
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "Tests/ModelsTests/Fixtures/tiny/llama_tied_bf16"
OUT = ROOT / "Tests/StagesTests/Fixtures/adapters"
RUNNER = ROOT / ".build/debug/runner"
INPUT_IDS = list(b"Say red: ")   # what the byte tokenizer gives `runner generate --prompt "Say red: "`
GREEDY_NEW = 8


def byte_tokenizer_json():
    """One token per byte (id = byte), GPT-2's bytes_to_unicode characters; as CLITests writes it."""
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    chars = list(printable)
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    vocab = {chr(c): b for b, c in zip(printable, chars)}
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {"version": "1.0", "added_tokens": [], "normalizer": None, "pre_tokenizer": byte_level,
            "post_processor": None, "decoder": byte_level,
            "model": {"type": "BPE", "vocab": vocab, "merges": [], "ignore_merges": False, "byte_fallback": False,
                      "fuse_unk": False}}


def load_base(dtype=torch.float32):
    from transformers import AutoModelForCausalLM
    return AutoModelForCausalLM.from_pretrained(TINY, dtype=dtype).eval()


@torch.no_grad()
def logits_and_greedy(model):
    ids = torch.tensor([INPUT_IDS])
    logits = model(ids).logits[0].float()
    tokens = list(INPUT_IDS)
    for _ in range(GREEDY_NEW):   # greedy by hand: no generation config, no eos stop
        tokens.append(int(model(torch.tensor([tokens])).logits[0, -1].argmax()))
    return [round(float(x), 7) for x in logits.flatten()], tokens[len(INPUT_IDS):]


def peft_made_case():
    from peft import LoraConfig, get_peft_model
    torch.manual_seed(1234)
    config = LoraConfig(r=4, lora_alpha=6, target_modules=["q_proj", "v_proj", "o_proj", "down_proj"], use_rslora=True,
                        modules_to_save=["lm_head"], lora_dropout=0.0, task_type="CAUSAL_LM")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # tied lm_head in modules_to_save: exactly the case we test
        model = get_peft_model(load_base(), config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.2)   # nonzero B, or the adapter would do nothing
            elif "modules_to_save" in name:
                p.add_(torch.randn_like(p) * 0.05)
    model.eval()
    target = OUT / "peft_made"
    shutil.rmtree(target, ignore_errors=True)
    model.save_pretrained(target)
    (target / "README.md").unlink(missing_ok=True)
    logits, greedy = logits_and_greedy(model)
    return {"logits": logits, "greedy": greedy}


RECIPE = """\
version: 1
name: adapter-fixtures
seed: 11
stages:
  base: {kind: load, path: model, dtype: f32}
  adapters: {kind: lora, from: base, r: 4, alpha: 8, dropout: 0}
  data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 64}
  tune: {kind: train, model: adapters, data: data, max_steps: 6, batch_size: 2, learning_rate: 0.02, scheduler: constant}
  out: {kind: save, from: tune, path: adapter}
  merged32: {kind: merge, adapter: out, base: base, dtype: f32, path: merged-f32}
  merged16: {kind: merge, adapter: tune, base: base, dtype: bf16, max_shard_size: 100KB, path: merged-bf16}
  quant: {kind: quantize, from: base, method: nf4, block_size: 64, double_quant: true}
  qadapters: {kind: lora, from: quant, r: 4, alpha: 8, dropout: 0, target_modules: [q_proj, v_proj, up_proj]}
  qtune: {kind: train, model: qadapters, data: data, max_steps: 6, batch_size: 2, learning_rate: 0.02, scheduler: constant}
  qout: {kind: save, from: qtune, path: qadapter}
  qmerged: {kind: merge, adapter: qout, base: quant, dtype: f32, path: merged-qlora}
"""


def run_runner(project):
    (project / "model").mkdir()
    for name in ["config.json", "model.safetensors"]:
        shutil.copy(TINY / name, project / "model" / name)
    (project / "model/tokenizer.json").write_text(json.dumps(byte_tokenizer_json(), sort_keys=True))
    colors = ["red", "green", "blue", "black", "white", "amber", "violet", "grey"]
    lines = [{"prompt": "Say %s:" % c, "completion": " %s %s" % (c, c)} for c in colors]
    (project / "data.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
    (project / "recipe.yaml").write_text(RECIPE)
    if not RUNNER.exists():
        sys.exit("build runner first: swift build --product runner")
    result = subprocess.run([str(RUNNER), "apply", "recipe.yaml"], cwd=project, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("runner apply failed:\n" + result.stdout + result.stderr)


def ours_case(project):
    from peft import PeftModel
    target = OUT / "ours"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in ["adapter_config.json", "adapter_model.safetensors"]:
        shutil.copy(project / "adapter" / name, target / name)
    model = PeftModel.from_pretrained(load_base(), target).eval()
    b_norm = sum(float(p.abs().sum()) for n, p in model.named_parameters() if "lora_B" in n)
    assert b_norm > 0, "runner's trained adapter has zero B"
    logits, greedy = logits_and_greedy(model)
    return {"logits": logits, "greedy": greedy}


def clean_load(directory, dtype):
    """transformers' from_pretrained on `directory`, failing on any warning or log line it prints."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_warning()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    hf_logger = logging.getLogger("transformers")
    hf_logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught, redirect_stderr(stream), redirect_stdout(stream):
            warnings.simplefilter("always")
            model = AutoModelForCausalLM.from_pretrained(directory, dtype=dtype).eval()
            AutoTokenizer.from_pretrained(directory)
    finally:
        hf_logger.removeHandler(handler)
    messages = [str(w.message) for w in caught] + [l for l in stream.getvalue().splitlines() if l.strip()]
    messages = [m for m in messages if "Loading weights" not in m and "it/s]" not in m]
    assert not messages, f"{directory}: from_pretrained was not clean:\n" + "\n".join(messages)
    return model


def checkpoint_digest(directory):
    """sha256 over the safetensors files (and index), in name order."""
    h = hashlib.sha256()
    for path in sorted(Path(directory).glob("model*.safetensors*")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def merged_case(project, name):
    """Loads cleanly as stored (dtype="auto"); logits with the stored weights computed in f32, as runner does."""
    directory = project / name
    clean_load(directory, "auto")
    model = clean_load(directory, torch.float32)
    logits, greedy = logits_and_greedy(model)
    return {"digest": checkpoint_digest(directory), "files": sorted(p.name for p in directory.iterdir()),
            "logits": logits, "greedy": greedy}


def qlora_reference_check(project):
    """runner's QLoRA merge == bitsandbytes round trip of each adapted weight + scale·B·A (and the
    round trip alone where no adapter applies); returns the largest difference."""
    import bitsandbytes.functional as F
    from bitsandbytes.backends.default.ops import _dequantize_4bit_compute
    from bitsandbytes.backends.utils import _get_4bit_code
    portable = getattr(_dequantize_4bit_compute, "__wrapped__", _dequantize_4bit_compute)
    base = load_file(TINY / "model.safetensors")
    adapter = load_file(project / "qadapter/adapter_model.safetensors")
    config = json.loads((project / "qadapter/adapter_config.json").read_text())
    scale = config["lora_alpha"] / config["r"]
    merged = load_file(project / "merged-qlora/model.safetensors")
    worst = 0.0
    for name, w in base.items():
        w = w.float()
        if any(m in name for m in ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]):
            packed, state = F.quantize_4bit(w, blocksize=64, quant_type="nf4", compress_statistics=True)
            scales = F.dequantize_blockwise(state.absmax, state.state2) + state.offset
            w = portable(packed.reshape(-1), scales, _get_4bit_code("nf4", torch.device("cpu")), 64, tuple(w.shape), torch.float32)
            module = name[: -len(".weight")]
            a_name = f"base_model.model.{module}.lora_A.weight"
            if a_name in adapter:
                b = adapter[f"base_model.model.{module}.lora_B.weight"]
                w = w + (b @ adapter[a_name]) * scale
        worst = max(worst, float((merged[name].float() - w).abs().max()))
    assert worst < 1e-5, f"QLoRA merge differs from bitsandbytes + PEFT math by {worst}"
    return worst


SMOLLM2 = ROOT / "models/SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_PROMPT = "The capital of France is"


def smollm2_case():
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(SMOLLM2.parent, gguf_file=SMOLLM2.name)
    base = AutoModelForCausalLM.from_pretrained(SMOLLM2.parent, gguf_file=SMOLLM2.name, dtype=torch.float32).eval()
    torch.manual_seed(99)
    config = LoraConfig(r=2, lora_alpha=16, target_modules=["q_proj", "v_proj"], layers_to_transform=[0, 15, 29],
                        lora_dropout=0.0, task_type="CAUSAL_LM")
    model = get_peft_model(base, config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.05)
    model.eval()
    target = OUT / "smollm2"
    shutil.rmtree(target, ignore_errors=True)
    model.save_pretrained(target)
    (target / "README.md").unlink(missing_ok=True)
    ids = tokenizer(SMOLLM2_PROMPT)["input_ids"]
    with torch.no_grad():
        last = model(torch.tensor([ids])).logits[0, -1].float()
        tokens = list(ids)
        for _ in range(GREEDY_NEW):
            tokens.append(int(model(torch.tensor([tokens])).logits[0, -1].argmax()))
    top = torch.topk(last, 32)
    return {"prompt": SMOLLM2_PROMPT, "input_ids": ids, "top_ids": [int(i) for i in top.indices],
            "top_logits": [round(float(v), 6) for v in top.values], "greedy": tokens[len(ids):]}


def main():
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    import peft
    import transformers
    import bitsandbytes
    reference = {"generator": "tools/reference/adapter_fixtures.py", "peft": peft.__version__,
                 "transformers": transformers.__version__, "bitsandbytes": bitsandbytes.__version__,
                 "torch": torch.__version__, "base": "Tests/ModelsTests/Fixtures/tiny/llama_tied_bf16",
                 "input_ids": INPUT_IDS, "vocab": 256}
    reference["peft_made"] = peft_made_case()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        run_runner(project)
        reference["ours"] = ours_case(project)
        reference["merged_f32"] = merged_case(project, "merged-f32")
        reference["merged_bf16"] = merged_case(project, "merged-bf16")
        reference["merged_qlora"] = merged_case(project, "merged-qlora")
        reference["merged_qlora"]["max_difference_from_bitsandbytes"] = qlora_reference_check(project)
        qtarget = OUT / "ours_qlora"
        shutil.rmtree(qtarget, ignore_errors=True)
        qtarget.mkdir()
        for name in ["adapter_config.json", "adapter_model.safetensors"]:
            shutil.copy(project / "qadapter" / name, qtarget / name)
    if SMOLLM2.exists():
        reference["smollm2"] = smollm2_case()
    else:
        print("models/SmolLM2-135M-Instruct.Q4_1.gguf is missing (scripts/bootstrap.sh): skipping the SmolLM2 case")
    (OUT / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
