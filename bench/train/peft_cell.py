"""The reference side of a `runner bench` cell: transformers + PEFT (+ bitsandbytes NF4 for QLoRA).

Reads the cell spec runner wrote (see Sources/Bench/CellSpec.swift), trains exactly that cell on the
same token batches from the same initial adapter — LoRA on every linear layer, dropout 0, AdamW
(torch defaults, no weight decay) with the spec's learning rate and gradient clipping — and prints one
JSON line: each timed step's seconds, every step's loss (computed before that step's update), the
trainable parameter count and thread count.

    .venv/bin/python bench/train/peft_cell.py --spec CELL.json [--bnb --dense DIR]
    .venv/bin/python bench/train/peft_cell.py --write-dense MODEL.gguf DIR   # once, before --bnb cells

`--bnb` quantizes the base's Linear weights with bitsandbytes (NF4, double quant; compute dtype f32
or bf16 from the cell's precision) as QLoRA does. transformers refuses to quantize while reading a
GGUF file, so `--write-dense` first saves the GGUF model dequantized to f32 safetensors (the same
weights) and `--bnb` loads that. bf16 precision without bnb runs the step under CPU autocast.
"""
import argparse
import json
import os
import struct
import sys
import time

import torch


def write_dense(gguf_path, target):
    """The GGUF model as f32 safetensors + config.json (save_pretrained refuses a GGUF-loaded model)."""
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM
    if os.path.exists(os.path.join(target, "model.safetensors")):
        return
    directory, name = os.path.split(os.path.abspath(gguf_path))
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32)
    os.makedirs(target, exist_ok=True)
    if hasattr(model.config, "quantization_config"):   # the GGUF marker: these weights are plain f32 now
        del model.config.quantization_config
    model.config.save_pretrained(target)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    save_file(state, os.path.join(target, "model.safetensors"), metadata={"format": "pt"})


def load_model(spec, bnb, dense):
    from transformers import AutoModelForCausalLM
    path = spec["model"]
    if bnb:
        from transformers import BitsAndBytesConfig
        if not dense or not os.path.exists(os.path.join(dense, "model.safetensors")):
            sys.exit(f"--bnb needs --dense DIR written by --write-dense (missing {dense}/model.safetensors)")
        compute = torch.bfloat16 if spec["cell"]["precision"] == "bf16" else torch.float32
        quantization = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                          bnb_4bit_compute_dtype=compute)
        return AutoModelForCausalLM.from_pretrained(dense, dtype=torch.float32, quantization_config=quantization, device_map="cpu")
    if os.path.isdir(path):
        return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    directory, name = os.path.split(path)
    return AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32)


def read_batches(spec):
    cell = spec["cell"]
    steps, batch, length = spec["warmup_steps"] + spec["steps"], cell["batch"], cell["seq_len"]
    data = open(spec["batches_file"], "rb").read()
    if len(data) != steps * batch * length * 4:
        sys.exit(f"{spec['batches_file']}: {len(data)} bytes, expected {steps * batch * length * 4}")
    tokens = torch.tensor(struct.unpack(f"<{steps * batch * length}i", data), dtype=torch.long)
    return tokens.view(steps, batch, length)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec")
    parser.add_argument("--bnb", action="store_true")
    parser.add_argument("--dense")
    parser.add_argument("--write-dense", nargs=2, metavar=("MODEL", "DIR"))
    args = parser.parse_args()
    if args.write_dense:
        return write_dense(*args.write_dense)
    spec = json.load(open(args.spec))
    cell = spec["cell"]

    import transformers
    transformers.logging.set_verbosity_error()
    torch.manual_seed(spec["seed"])
    model = load_model(spec, args.bnb, args.dense)
    model.config.use_cache = False
    checkpointing = cell["gradient_checkpointing"]
    if cell["method"] == "full":
        if args.bnb:
            sys.exit("full fine-tuning of a 4-bit base is not supported")
        if checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    else:
        from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
        from safetensors.torch import load_file
        if args.bnb:
            from peft import prepare_model_for_kbit_training
            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=checkpointing,
                                                    gradient_checkpointing_kwargs={"use_reentrant": False})
        elif checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            model.enable_input_require_grads()
        config = LoraConfig(r=cell["r"], lora_alpha=spec["lora_alpha"], lora_dropout=0.0, target_modules="all-linear",
                            bias="none", task_type="CAUSAL_LM")
        model = get_peft_model(model, config)
        result = set_peft_model_state_dict(model, load_file(spec["initial_adapter"]))
        missing = [k for k in result.missing_keys if "lora_" in k]
        if missing or result.unexpected_keys:
            sys.exit(f"initial adapter does not fit: missing {missing[:3]}, unexpected {result.unexpected_keys[:3]}")
    model.train()

    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=spec["learning_rate"], weight_decay=0.0)
    autocast = cell["precision"] == "bf16" and not args.bnb
    batches = read_batches(spec)
    losses, seconds = [], []
    for step, ids in enumerate(batches):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        if spec["max_grad_norm"] > 0:
            torch.nn.utils.clip_grad_norm_(parameters, spec["max_grad_norm"])
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        elapsed = time.perf_counter() - start
        losses.append(loss.item())
        if step >= spec["warmup_steps"]:
            seconds.append(elapsed)
    import peft
    notes = dict(engine="transformers + PEFT" + (" + bitsandbytes NF4" if args.bnb else ""), torch=torch.__version__,
                 transformers=transformers.__version__, peft=peft.__version__)
    if args.bnb:
        import bitsandbytes
        notes["bitsandbytes"] = bitsandbytes.__version__
    print(json.dumps(dict(step_seconds=seconds, losses=losses, trainable_parameters=sum(p.numel() for p in parameters),
                          threads=torch.get_num_threads(), notes=notes), sort_keys=True))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
