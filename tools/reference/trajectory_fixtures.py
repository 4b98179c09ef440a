#!/usr/bin/env python3
"""Training-trajectory fixtures for Tests/TrainingTests (TrajectoryParityTests): 20 optimizer steps of LoRA by
transformers + PEFT (+ bitsandbytes NF4 for QLoRA) on CPU in float32, the reference runner's training must follow.

Model: the tiny random Llama of Tests/ModelsTests/Fixtures/tiny/llama_tied_bf16, read as float32.
LoRA: r=8, alpha=16, dropout 0, all-linear, PEFT's own init (A kaiming-uniform from torch's seeded generator, B = 0);
the initial A and B are exported so runner starts from the same point.
Optimizer: torch.optim.AdamW (transformers' adamw_torch) lr 1e-2, betas (0.9, 0.999), eps 1e-8, weight decay 0.01
(every LoRA tensor decays, as transformers' Trainer groups them); gradients clipped to global norm 1.0; linear schedule
with 2 warmup steps (get_linear_schedule_with_warmup). 20 fixed batches of 2 × 16 tokens (arithmetic progressions) with some labels masked.
Loss: the mean cross-entropy over the batch's target tokens (transformers' causal-LM loss).

Cases:
  lora        the f32 base
  qlora_nf4   the base quantized by bitsandbytes (load_in_4bit, nf4, block 64, double quant, compute float32), in
              training mode (bnb's general path: dequantize, then a float32 linear)
Writes Tests/TrainingTests/Fixtures/trajectory/trajectory.{json,bin}: batches, per-step loss / grad norm / learning
rate per case, and the initial adapter tensors (f32 LE, index in the JSON).

Run from the package root:  .venv/bin/python tools/reference/trajectory_fixtures.py
"""
import json
import os

import numpy as np
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, BitsAndBytesConfig, get_linear_schedule_with_warmup

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = os.path.join(ROOT, "Tests", "ModelsTests", "Fixtures", "tiny", "llama_tied_bf16")
OUT = os.path.join(ROOT, "Tests", "TrainingTests", "Fixtures", "trajectory")
STEPS, BATCH, SEQ = 20, 2, 16
HYPER = dict(r=8, alpha=16, learning_rate=1e-2, beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=0.01,
             max_grad_norm=1.0, warmup_steps=2, steps=STEPS, scheduler="linear")
torch.set_num_threads(2)


def export_name(name):
    """PEFT's in-memory parameter name → its saved adapter name (adapter name dropped)."""
    return name.replace(".lora_A.default.", ".lora_A.").replace(".lora_B.default.", ".lora_B.")


def batches():
    """Learnable sequences (arithmetic progressions mod 252, seeded starts and strides), so the loss falls."""
    gen = torch.Generator().manual_seed(1234)
    out = []
    for step in range(STEPS):
        start = torch.randint(0, 252, (BATCH, 1), generator=gen)
        stride = torch.randint(1, 4, (BATCH, 1), generator=gen)
        ids = 4 + (start + stride * torch.arange(SEQ)) % 252
        labels = ids.clone()
        labels[0, : 2 + step % 5] = -100       # a prompt of varying length
        labels[1, -(1 + step % 3):] = -100     # and a masked tail
        out.append((ids, labels))
    return out


def lora_model(quantized):
    kwargs = dict(dtype=torch.float32, attn_implementation="eager")
    if quantized:
        kwargs.update(quantization_config=BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=torch.float32),
            device_map="cpu")
    model = AutoModelForCausalLM.from_pretrained(TINY, **kwargs)
    config = LoraConfig(r=HYPER["r"], lora_alpha=HYPER["alpha"], lora_dropout=0.0, target_modules="all-linear", bias="none",
                        task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def train(model, data, initial=None):
    params = {export_name(n): p for n, p in model.named_parameters() if p.requires_grad}
    with torch.no_grad():
        if initial is not None:
            for name, p in params.items():
                p.copy_(initial[name])
    init = {name: p.detach().clone() for name, p in params.items()}
    optimizer = torch.optim.AdamW(list(params.values()), lr=HYPER["learning_rate"], betas=(HYPER["beta1"], HYPER["beta2"]),
                                  eps=HYPER["epsilon"], weight_decay=HYPER["weight_decay"])
    schedule = get_linear_schedule_with_warmup(optimizer, HYPER["warmup_steps"], STEPS)
    model.train()
    losses, norms, rates = [], [], []
    for ids, labels in data:
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), HYPER["max_grad_norm"])
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        norms.append(norm.item())
    return init, dict(losses=losses, grad_norms=norms, learning_rates=rates)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)   # PEFT draws A from torch's global generator
    data = batches()
    init, lora = train(lora_model(False), data)
    assert all(not t.any() for n, t in init.items() if ".lora_B." in n), "PEFT initializes B to zero"
    _, qlora = train(lora_model(True), data, initial=init)

    index, offset = [], 0
    with open(os.path.join(OUT, "trajectory.bin"), "wb") as f:
        for name in sorted(init):
            data32 = init[name].float().contiguous().numpy().astype("<f4")
            f.write(data32.tobytes())
            index.append(dict(name=name, shape=list(data32.shape), offset=offset))
            offset += data32.size
    meta = dict(model="llama_tied_bf16", hyper=HYPER,
                batches=[dict(input_ids=ids.tolist(), labels=labels.tolist()) for ids, labels in data],
                cases=dict(lora=lora, qlora_nf4=dict(qlora, four_bit=dict(type="nf4", block_size=64, double_quant=True))),
                tensors=index)
    with open(os.path.join(OUT, "trajectory.json"), "w") as f:
        json.dump(meta, f)
    for case, record in meta["cases"].items():
        print(case, "loss", record["losses"][0], "→", record["losses"][-1])
    print("bytes", offset * 4, os.path.getsize(os.path.join(OUT, "trajectory.json")))


if __name__ == "__main__":
    main()
