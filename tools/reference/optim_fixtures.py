#!/usr/bin/env python3
"""Golden fixtures for the optimizer part of Tests/TrainingTests, from the real references:
torch.optim.AdamW / SGD, torch.nn.utils.clip_grad_norm_, transformers.get_scheduler and
bitsandbytes' AdamW8bit (its CPU backend runs here, so nothing is transliterated).

Writes Tests/TrainingTests/Fixtures/optim_fixtures.{json,bin}: a JSON index of named little-endian
arrays (offset, dtype, shape) in one binary blob, plus per-case metadata. Every input is seeded
random (never zeros). Run: .venv/bin/python tools/reference/optim_fixtures.py
"""
import json
import math
import os
import warnings

import numpy as np
import torch
import bitsandbytes as bnb
from transformers import get_scheduler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "TrainingTests", "Fixtures")


class Blob:
    """Collects named arrays into one little-endian byte blob with a JSON index."""

    def __init__(self):
        self.data = bytearray()
        self.index = {}

    def add(self, name, t):
        assert name not in self.index, name
        arr = t.detach().contiguous().cpu().numpy() if isinstance(t, torch.Tensor) else np.ascontiguousarray(t)
        dtype = {np.float32: "f32", np.uint8: "u8"}[arr.dtype.type]
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        self.index[name] = {"offset": len(self.data), "byteCount": len(raw), "dtype": dtype, "shape": list(arr.shape)}
        self.data += raw
        return name


def randn(gen, n, scale=1.0):
    return torch.randn(n, generator=gen) * scale


def adamw_case(blob, cases):
    """torch.optim.AdamW, 20 steps, two parameter groups (weight decay on / off)."""
    gen = torch.Generator().manual_seed(1)
    sizes = {"w_decay_a": 37, "w_decay_b": 300, "w_nodecay": 64}
    hyper = dict(lr=3e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    params = {n: torch.nn.Parameter(randn(gen, k)) for n, k in sizes.items()}
    for n, p in params.items():
        blob.add(f"adamw/{n}/initial", p)
    opt = torch.optim.AdamW(
        [{"params": [params["w_decay_a"], params["w_decay_b"]]},
         {"params": [params["w_nodecay"]], "weight_decay": 0.0}], **hyper)
    steps = 20
    lrs = [hyper["lr"] * (0.5 + 0.5 * math.cos(k / steps)) for k in range(steps)]  # vary lr per step
    for k in range(steps):
        for g in opt.param_groups:
            g["lr"] = lrs[k]
        for n, p in params.items():
            p.grad = randn(gen, sizes[n], 0.1)
            blob.add(f"adamw/{n}/grad{k}", p.grad)
        opt.step()
        if k == 0:
            for n, p in params.items():
                blob.add(f"adamw/{n}/after1", p)
    for n, p in params.items():
        st = opt.state[p]
        blob.add(f"adamw/{n}/final", p)
        blob.add(f"adamw/{n}/exp_avg", st["exp_avg"])
        blob.add(f"adamw/{n}/exp_avg_sq", st["exp_avg_sq"])
    cases["adamw"] = {"steps": steps, "lrs": lrs, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1,
                      "params": [{"name": n, "count": k, "decay": n != "w_nodecay"} for n, k in sizes.items()]}


def adamw8bit_case(blob, cases):
    """bitsandbytes AdamW8bit on its CPU backend, 10 steps: one tensor below min_8bit_size (32-bit
    states), one exactly at it and one with a partial last block (8-bit states, blocks of 256)."""
    gen = torch.Generator().manual_seed(2)
    sizes = {"big_decay": 4500, "edge_nodecay": 4096, "small_decay": 100}
    hyper = dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    params = {n: torch.nn.Parameter(randn(gen, k)) for n, k in sizes.items()}
    for n, p in params.items():
        blob.add(f"adamw8bit/{n}/initial", p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = bnb.optim.PagedAdamW8bit(
            [{"params": [params["big_decay"], params["small_decay"]]},
             {"params": [params["edge_nodecay"]], "weight_decay": 0.0}], **hyper)
        steps = 10
        lrs = [hyper["lr"] * (1 - k / 20) for k in range(steps)]
        for k in range(steps):
            for g in opt.param_groups:
                g["lr"] = lrs[k]
            for n, p in params.items():
                p.grad = randn(gen, sizes[n], 0.05)
                blob.add(f"adamw8bit/{n}/grad{k}", p.grad)
            opt.step()
            if k == 0:
                for n, p in params.items():
                    blob.add(f"adamw8bit/{n}/after1", p)
                    st = opt.state[p]
                    if st["state1"].dtype == torch.uint8:
                        blob.add(f"adamw8bit/{n}/state1_after1", st["state1"])
                        blob.add(f"adamw8bit/{n}/state2_after1", st["state2"])
    for n, p in params.items():
        st = opt.state[p]
        blob.add(f"adamw8bit/{n}/final", p)
        blob.add(f"adamw8bit/{n}/state1", st["state1"])
        blob.add(f"adamw8bit/{n}/state2", st["state2"])
        if st["state1"].dtype == torch.uint8:
            blob.add(f"adamw8bit/{n}/absmax1", st["absmax1"])
            blob.add(f"adamw8bit/{n}/absmax2", st["absmax2"])
            blob.add("adamw8bit/qmap1", st["qmap1"]) if "adamw8bit/qmap1" not in blob.index else None
            blob.add("adamw8bit/qmap2", st["qmap2"]) if "adamw8bit/qmap2" not in blob.index else None
    cases["adamw8bit"] = {"steps": steps, "lrs": lrs, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01,
                          "implementation": f"bitsandbytes {bnb.__version__} PagedAdamW8bit, CPU backend",
                          "params": [{"name": n, "count": k, "decay": n != "edge_nodecay"} for n, k in sizes.items()]}


def sgd_cases(blob, cases):
    """torch.optim.SGD variants, 20 steps each on one tensor."""
    variants = {
        "plain_wd": dict(lr=0.05, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.01),
        "momentum": dict(lr=0.05, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0),
        "nesterov_wd": dict(lr=0.02, momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.01),
        "dampening_wd": dict(lr=0.03, momentum=0.5, dampening=0.1, nesterov=False, weight_decay=0.001),
    }
    out = []
    for i, (name, hyper) in enumerate(variants.items()):
        gen = torch.Generator().manual_seed(10 + i)
        p = torch.nn.Parameter(randn(gen, 67))
        blob.add(f"sgd/{name}/initial", p)
        opt = torch.optim.SGD([p], **hyper)
        steps = 20
        for k in range(steps):
            p.grad = randn(gen, 67, 0.1)
            blob.add(f"sgd/{name}/grad{k}", p.grad)
            opt.step()
        blob.add(f"sgd/{name}/final", p)
        if hyper["momentum"] != 0:
            blob.add(f"sgd/{name}/momentum_buffer", opt.state[p]["momentum_buffer"])
        out.append({"name": name, "steps": steps, **hyper})
    cases["sgd"] = out


def clip_cases(blob, cases):
    """torch.nn.utils.clip_grad_norm_ over three gradients: once clipping, once not."""
    out = []
    for name, max_norm in [("clips", 1.0), ("keeps", 1000.0)]:
        gen = torch.Generator().manual_seed(20)
        params = [torch.nn.Parameter(torch.zeros(k)) for k in (33, 128, 1000)]
        for j, p in enumerate(params):
            p.grad = randn(gen, p.numel(), 0.2)
            blob.add(f"clip/{name}/grad{j}", p.grad)
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        for j, p in enumerate(params):
            blob.add(f"clip/{name}/clipped{j}", p.grad)
        out.append({"name": name, "max_norm": max_norm, "total_norm": total.item(), "count": len(params)})
    cases["clip"] = out


def schedule_cases(cases):
    """transformers.get_scheduler: the lr the optimizer uses at each of 100 steps."""
    total = 100
    configs = [
        ("constant", "constant", None, {}),
        ("constant_with_warmup", "constant_with_warmup", 0.1, {}),
        ("linear_r005", "linear", 0.05, {}),
        ("linear_r010", "linear", 0.1, {}),
        ("linear_s7", "linear", 7, {}),
        ("cosine_r005", "cosine", 0.05, {}),
        ("cosine_r010", "cosine", 0.1, {}),
        ("cosine_min_lr_rate", "cosine_with_min_lr", 0.1, {"min_lr_rate": 0.1}),
        ("cosine_min_lr", "cosine_with_min_lr", 0.03, {"min_lr": 1e-5}),
    ]
    out = []
    for name, kind, warmup, kwargs in configs:
        base_lr = 2e-4
        p = torch.nn.Parameter(torch.ones(1))
        opt = torch.optim.SGD([p], lr=base_lr)
        # As TrainingArguments.get_warmup_steps: >= 1 is a step count, < 1 a ratio (ceil).
        warmup_steps = None if warmup is None else (int(warmup) if warmup >= 1 else math.ceil(total * warmup))
        sched = get_scheduler(kind, opt, num_warmup_steps=warmup_steps, num_training_steps=total,
                              scheduler_specific_kwargs=kwargs)
        lrs = []
        for _ in range(total):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        out.append({"name": name, "kind": kind, "warmup": warmup, "warmup_steps": warmup_steps,
                    "base_lr": base_lr, "total": total, "kwargs": kwargs, "lrs": lrs})
    cases["schedules"] = out


def main():
    torch.set_num_threads(1)
    blob, cases = Blob(), {}
    adamw_case(blob, cases)
    adamw8bit_case(blob, cases)
    sgd_cases(blob, cases)
    clip_cases(blob, cases)
    schedule_cases(cases)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "optim_fixtures.bin"), "wb") as f:
        f.write(blob.data)
    meta = {"generator": "tools/reference/optim_fixtures.py", "torch": torch.__version__,
            "bitsandbytes": bnb.__version__, "cases": cases, "arrays": blob.index}
    with open(os.path.join(OUT, "optim_fixtures.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    print(f"wrote {len(blob.data)} bytes of arrays, {len(blob.index)} arrays")


if __name__ == "__main__":
    main()
