#!/usr/bin/env python3
"""DoRA fixtures (Tests/ModelsTests/Fixtures/dora/) from transformers + PEFT 0.21 (`use_dora=True`), CPU, float32,
on the tiny random models of Tests/ModelsTests/Fixtures/tiny.

1. grad_<case>.{json,bin}: the loss and every DoRA gradient (lora_A, lora_B, lora_magnitude_vector) of one
   forward/backward, plus PEFT's initial magnitudes (‖W‖ per output row). LoRA A/B are not PEFT's init (B = 0 would
   make dA vanish): they are filled with grad_fixtures.pattern(name, shape, bound), which the Swift tests recompute;
   the magnitude is PEFT's own init, so ‖W + s·B·A‖ ≠ m and every term of DoRA's formula is exercised.
     llama_dora                  llama_tied_bf16, r=4, alpha=8, all-linear, no dropout
     qwen2_dora_rslora_dropout   qwen2_bias_bf16 (q/k/v biases), rsLoRA, lora_dropout 0.1 — PEFT's dropout replaced by
                                 runner's mask (SplitMix64 of (seed ^ fnv1a("dropout/<step>/<layer>/<module>"), index)),
                                 so PEFT's dropout branch (base on the un-dropped x, (m/‖·‖ − 1)·W·drop(x)) is compared
     llama_qdora_nf4             the base's Linear weights quantized by bitsandbytes (nf4, block 64, double quant):
                                 magnitudes from PEFT on the bnb model (norms of the dequantized weight); gradients on
                                 a float32 model holding bnb's dequantized weights (bnb's CPU matmul is not exact f32)
2. trajectory.{json,bin}: 5 AdamW steps (torch AdamW lr 1e-2, wd 0.01, clip 1.0, constant lr) of DoRA from PEFT's own
   init (A kaiming from torch's seeded generator, B = 0, m = ‖W‖); the initial A is stored.
3. peft_made/: a DoRA adapter PEFT made (all-linear, random nonzero B, magnitudes perturbed), saved by save_pretrained;
   peft_made.bin holds PEFT's logits (T, V) on INPUT_IDS in eval mode, peft_made.json its loss on the grad batch.
4. ours/: a DoRA adapter runner trained (`runner apply`: lora use_dora → train → save, plus a merge), loaded by
   PeftModel.from_pretrained: PEFT's logits in ours.bin. The script also checks that runner's merged checkpoint gives
   PEFT's logits (DoRA merge: (m/‖W+sBA‖)·(W+sBA)).

Run from the package root after building runner (`swift build --product runner`, debug or -c release):
    .venv/bin/python tools/reference/dora_fixtures.py [--skip-runner | --only-runner]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grad_fixtures import MASK, batch, fnv1a, pattern  # noqa: E402
from adapter_fixtures import INPUT_IDS, byte_tokenizer_json  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "Tests/ModelsTests/Fixtures/tiny"
OUT = ROOT / "Tests/ModelsTests/Fixtures/dora"
torch.set_num_threads(2)
R, ALPHA = 4, 8


def export_name(name):
    """PEFT's in-memory parameter name → its saved name (adapter name dropped)."""
    return name.replace(".lora_A.default.", ".lora_A.").replace(".lora_B.default.", ".lora_B.") \
        .replace(".lora_magnitude_vector.default.weight", ".lora_magnitude_vector")


def load(model_dir, **kwargs):
    from transformers import AutoModelForCausalLM
    return AutoModelForCausalLM.from_pretrained(TINY / model_dir, dtype=torch.float32, attn_implementation="eager", **kwargs)


def dora_model(base, rslora=False, dropout=0.0):
    from peft import LoraConfig, get_peft_model
    config = LoraConfig(r=R, lora_alpha=ALPHA, lora_dropout=dropout, target_modules="all-linear", bias="none",
                        use_rslora=rslora, use_dora=True, task_type="CAUSAL_LM")
    return get_peft_model(base, config)


def fill_ab(model, b_bound=0.2):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".lora_A." in name:
                p.copy_(torch.from_numpy(pattern(export_name(name), tuple(p.shape), 1 / p.shape[1] ** 0.5)))
            elif ".lora_B." in name:
                p.copy_(torch.from_numpy(pattern(export_name(name), tuple(p.shape), b_bound)))


def magnitudes(model):
    return [(export_name(n), p.detach().clone()) for n, p in model.named_parameters() if "lora_magnitude_vector" in n]


def runner_mask(seed, count, p):
    """runner's CPU dropout mask (DropoutMask.keeps): element i kept when SplitMix64(seed, i) ≥ p (24-bit uniform)."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (np.arange(count, dtype=np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    uniform = (z >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / (1 << 24))
    return uniform >= np.float32(p)


class RunnerDropout(nn.Module):
    """Dropout with runner's deterministic mask for (lora seed, step, layer, module)."""

    def __init__(self, p, seed):
        super().__init__()
        self.p, self.seed = p, seed

    def forward(self, x):
        keep = torch.from_numpy(runner_mask(self.seed, x.numel(), self.p)).reshape(x.shape)
        scale = np.float32(1) / (np.float32(1) - np.float32(self.p))
        return torch.where(keep, x * float(scale), torch.zeros_like(x))


def use_runner_dropout(model, p, lora_seed, step=0):
    for name, module in model.named_modules():
        if hasattr(module, "lora_dropout") and "default" in getattr(module, "lora_dropout", {}):
            parts = name.split(".")
            layer, leaf = int(parts[parts.index("layers") + 1]), parts[-1]
            seed = (lora_seed ^ fnv1a(f"dropout/{step}/{layer}/{leaf}")) & MASK
            module.lora_dropout["default"] = RunnerDropout(p, seed)


def write_tensors(path, tensors):
    index, offset = [], 0
    with open(path, "wb") as f:
        for name, t in tensors:
            data = t.detach().float().contiguous().numpy().astype("<f4")
            f.write(data.tobytes())
            index.append({"name": name, "shape": list(data.shape), "offset": offset})
            offset += data.size
    return index


def grad_case(case, model, model_dir, meta):
    ids, labels = batch(model.config.vocab_size)
    model.train()
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    grads = [(export_name(n), p.grad) for n, p in model.named_parameters() if p.requires_grad]
    assert all(g is not None and g.abs().sum() > 0 for _, g in grads), "a gradient is zero"
    initial = meta.pop("initial_magnitudes")
    index = write_tensors(OUT / f"grad_{case}.bin", grads + [(n + "#initial", t) for n, t in initial])
    tokens = int((labels[:, 1:] != -100).sum())
    record = dict(model=model_dir, loss=out.loss.item(), tokens=tokens, input_ids=ids.tolist(), labels=labels.tolist(),
                  r=R, alpha=ALPHA, b_bound=0.2, tensors=index, **meta)
    (OUT / f"grad_{case}.json").write_text(json.dumps(record, indent=1) + "\n")
    print(case, "loss", record["loss"], "tensors", len(index))


def grad_cases():
    model = dora_model(load("llama_tied_bf16"))
    initial = magnitudes(model)
    fill_ab(model)
    grad_case("llama_dora", model, "llama_tied_bf16", dict(rslora=False, dropout=0.0, initial_magnitudes=initial))

    model = dora_model(load("qwen2_bias_bf16"), rslora=True, dropout=0.1)
    initial = magnitudes(model)
    fill_ab(model)
    use_runner_dropout(model, 0.1, lora_seed=7)
    grad_case("qwen2_dora_rslora_dropout", model, "qwen2_bias_bf16",
              dict(rslora=True, dropout=0.1, seed=7, step=0, initial_magnitudes=initial))

    import bitsandbytes.functional as bnbf
    from transformers import BitsAndBytesConfig
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=torch.float32)
    native = dora_model(load("llama_tied_bf16", quantization_config=quant, device_map="cpu"))
    initial = magnitudes(native)   # PEFT's DoRA init on the bnb model: ‖dequantize_4bit(W)‖ per row
    dense = load("llama_tied_bf16")
    modules = dict(dense.named_modules())
    with torch.no_grad():
        for name, module in native.base_model.model.named_modules():
            if type(module).__name__ == "Linear4bit":
                modules[name.replace(".base_layer", "")].weight.copy_(bnbf.dequantize_4bit(module.weight.data, module.weight.quant_state).float())
    model = dora_model(dense)
    for (n1, m1), (n2, m2) in zip(initial, magnitudes(model)):
        assert n1 == n2 and torch.allclose(m1, m2, rtol=1e-6), f"{n1}: magnitude of bnb and dense-dequantized differ"
    fill_ab(model)
    grad_case("llama_qdora_nf4", model, "llama_tied_bf16",
              dict(rslora=False, dropout=0.0, four_bit=dict(type="nf4", block_size=64, double_quant=True), initial_magnitudes=initial))


def trajectory():
    from trajectory_fixtures import batches
    data = batches()[:5]
    torch.manual_seed(0)
    model = dora_model(load("llama_tied_bf16"))
    params = {export_name(n): p for n, p in model.named_parameters() if p.requires_grad}
    initial = [(n, p.detach().clone()) for n, p in params.items() if ".lora_A." in n]
    assert all(not p.any() for n, p in params.items() if ".lora_B." in n)
    optimizer = torch.optim.AdamW(list(params.values()), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    model.train()
    losses, norms = [], []
    for ids, labels in data:
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        norms.append(torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0).item())
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    index = write_tensors(OUT / "trajectory.bin", initial)
    meta = dict(model="llama_tied_bf16", r=R, alpha=ALPHA, learning_rate=1e-2, beta1=0.9, beta2=0.999, epsilon=1e-8,
                weight_decay=0.01, max_grad_norm=1.0, scheduler="constant", losses=losses, grad_norms=norms,
                batches=[dict(input_ids=ids.tolist(), labels=labels.tolist()) for ids, labels in data], tensors=index)
    (OUT / "trajectory.json").write_text(json.dumps(meta) + "\n")
    print("trajectory", losses)


@torch.no_grad()
def eval_logits(model):
    model.eval()
    return model(torch.tensor([INPUT_IDS])).logits[0].float()


def peft_made():
    torch.manual_seed(1234)
    model = dora_model(load("llama_tied_bf16"))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.2)
            elif "lora_magnitude_vector" in name:
                p.mul_(1 + 0.1 * torch.randn_like(p))
    target = OUT / "peft_made"
    shutil.rmtree(target, ignore_errors=True)
    model.save_pretrained(target)
    (target / "README.md").unlink(missing_ok=True)
    config = json.loads((target / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = None   # a path on this machine means nothing elsewhere
    (target / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    eval_logits(model).numpy().astype("<f4").tofile(OUT / "peft_made.bin")
    ids, labels = batch(model.config.vocab_size)
    with torch.no_grad():
        loss = model(input_ids=ids, labels=labels).loss.item()
    (OUT / "peft_made.json").write_text(json.dumps(dict(input_ids=INPUT_IDS, loss=loss, batch_input_ids=ids.tolist(),
                                                         batch_labels=labels.tolist())) + "\n")
    print("peft_made loss", loss)


RECIPE = """\
version: 1
name: dora-fixtures
seed: 11
stages:
  base: {kind: load, path: model, dtype: f32}
  adapters: {kind: lora, from: base, r: 4, alpha: 8, dropout: 0.1, use_dora: true}
  data: {kind: dataset, path: data.jsonl, tokenizer: base, format: prompt_completion, max_seq_len: 64}
  tune: {kind: train, model: adapters, data: data, max_steps: 6, batch_size: 2, learning_rate: 0.02, scheduler: constant}
  out: {kind: save, from: tune, path: adapter}
  merged: {kind: merge, adapter: out, base: base, dtype: f32, path: merged}
"""


def runner_binary():
    for build in ["release", "debug"]:
        path = ROOT / ".build" / build / "runner"
        if path.exists():
            return path
    sys.exit("build runner first: swift build --product runner")


def ours():
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "model").mkdir()
        for name in ["config.json", "model.safetensors"]:
            shutil.copy(TINY / "llama_tied_bf16" / name, project / "model" / name)
        (project / "model/tokenizer.json").write_text(json.dumps(byte_tokenizer_json(), sort_keys=True))
        colors = ["red", "green", "blue", "black", "white", "amber", "violet", "grey"]
        lines = [{"prompt": "Say %s:" % c, "completion": " %s %s" % (c, c)} for c in colors]
        (project / "data.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
        (project / "recipe.yaml").write_text(RECIPE)
        result = subprocess.run([str(runner_binary()), "apply", "recipe.yaml"], cwd=project, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit("runner apply failed:\n" + result.stdout + result.stderr)
        target = OUT / "ours"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        for name in ["adapter_config.json", "adapter_model.safetensors"]:
            shutil.copy(project / "adapter" / name, target / name)
        config = json.loads((target / "adapter_config.json").read_text())
        assert config["use_dora"] is True, "runner's adapter_config.json lacks use_dora: true"
        model = PeftModel.from_pretrained(load("llama_tied_bf16"), target)
        trained = [p for n, p in model.named_parameters() if "lora_magnitude_vector" in n]
        assert len(trained) == 14, "PEFT found no DoRA magnitudes in runner's adapter"
        logits = eval_logits(model)
        merged = AutoModelForCausalLM.from_pretrained(project / "merged", dtype=torch.float32)
        merged_logits = eval_logits(merged)
        worst = float((merged_logits - logits).abs().max() / logits.abs().max())
        assert worst < 1e-5, f"runner's DoRA merge differs from PEFT's DoRA forward by {worst}"
        base = eval_logits(load("llama_tied_bf16"))
        assert float((base - logits).abs().max()) > 1e-3, "runner's adapter changes nothing"
    logits.numpy().astype("<f4").tofile(OUT / "ours.bin")
    print("ours: merged vs PEFT relative", worst)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    if "--only-runner" not in sys.argv:
        grad_cases()
        trajectory()
        peft_made()
    if "--skip-runner" not in sys.argv:
        ours()
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print("fixtures:", total, "bytes")


if __name__ == "__main__":
    main()
