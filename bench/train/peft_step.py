"""The reference training step for bench/train/run.sh: transformers + PEFT LoRA on SmolLM2-135M.

Loads the same GGUF file runner trains (dequantized to f32 by transformers), puts LoRA on every
linear layer, and times forward + backward on a fixed random batch. Prints one JSON line:
tokens/s (median over the timed steps), each step's seconds, and the process's peak RSS.

    .venv/bin/python bench/train/peft_step.py --mode fp32|nf4 [--batch 4] [--seq 256] [--rank 16]
        [--steps 3] [--warmup 1] [--no-checkpointing]

`nf4` quantizes the base's Linear weights with bitsandbytes (NF4, double quant, bf16 compute), as
QLoRA does; the embeddings and LM head stay f32. transformers refuses to quantize while reading a
GGUF file, so the dequantized model is first saved once as safetensors (under .build/bench-train/)
and the nf4 run loads that: the same weights.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch


def dense_copy(gguf_path):
    """The GGUF model dequantized to f32 safetensors, made once by a child process so that its memory
    never counts towards the measured peak."""
    target = os.path.join(".build", "bench-train", os.path.basename(gguf_path) + ".f32")
    if not os.path.exists(os.path.join(target, "model.safetensors")):
        import subprocess
        subprocess.run([sys.executable, __file__, "--write-dense", target, "--model", gguf_path], check=True)
    return target


def write_dense(gguf_path, target):
    # save_pretrained refuses a model read from GGUF, so write config + tensors directly.
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["fp32", "nf4"], default="fp32")
    parser.add_argument("--model", default="models/SmolLM2-135M-Instruct.Q4_1.gguf")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--no-checkpointing", action="store_true")
    parser.add_argument("--write-dense", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_dense:
        return write_dense(args.model, args.write_dense)

    import transformers
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    transformers.logging.set_verbosity_error()
    directory, name = os.path.split(os.path.abspath(args.model))
    load = dict(gguf_file=name, dtype=torch.float32)
    if args.mode == "nf4":
        from transformers import BitsAndBytesConfig
        directory = dense_copy(args.model)
        load = dict(dtype=torch.float32)
        load["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                         bnb_4bit_use_double_quant=True,
                                                         bnb_4bit_compute_dtype=torch.bfloat16)
        load["device_map"] = "cpu"
    model = AutoModelForCausalLM.from_pretrained(directory, **load)
    if args.mode == "nf4":
        from peft import prepare_model_for_kbit_training
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=not args.no_checkpointing)
    elif not args.no_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model.config.use_cache = False
    config = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.0, target_modules="all-linear",
                        bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(model, config)
    model.train()

    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (args.batch, args.seq), generator=generator)
    times = []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        elapsed = time.perf_counter() - start
        model.zero_grad(set_to_none=True)
        if step >= args.warmup:
            times.append(elapsed)
    median = statistics.median(times)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(json.dumps(dict(
        side="peft-" + args.mode, batch=args.batch, sequence=args.seq, lora_rank=args.rank,
        checkpointing=not args.no_checkpointing, trainable_parameters=trainable, threads=torch.get_num_threads(),
        step_seconds=times, tokens_per_second=args.batch * args.seq / median, loss=loss.item(),
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        versions=dict(torch=torch.__version__, transformers=transformers.__version__)), sort_keys=True))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
