#!/usr/bin/env python3
"""Parity fixtures for runner's `export` stage (Tests/StagesTests/Export*.swift).

Three steps, because the files under test are written by runner itself:

  1. `--make-model` writes a tiny random Llama checkpoint with a tiny byte-level BPE tokenizer
     (SmolLM2-style digit splitting, ChatML specials, SmolLM2's chat template) to
     Tests/StagesTests/Fixtures/export/tiny/ (config.json, model.safetensors, tokenizer.json,
     tokenizer_config.json). Deterministic.
  2. `RUNNER_UPDATE_EXPORT_FIXTURES=1 swift test --filter ExportParityTests` has runner export it
     as tiny.<type>.gguf for every type (f32 f16 bf16 q8_0 q4_0) into the same folder.
  3. Without flags, this script reads those GGUFs with the references and records what they say:
     - the `gguf` package's GGUFReader: metadata values and tensor names/types/shapes; every tensor's
       bytes must equal what gguf.quants.quantize makes of the source weight (Q/K rows permuted the
       way llama.cpp's convert_hf_to_gguf permutes them), else this script fails;
     - transformers' GGUF loader (AutoModelForCausalLM / AutoTokenizer with gguf_file=): logits at
       every position of a few sequences, and token ids of a few texts;
     - transformers on the source checkpoint: the same logits and ids.
     Output: reference.json (ids, metadata, tensor table) and logits.bin (f32 LE: source logits, then
     each type's in `types` order, every sequence's positions concatenated).

K-quants (`tiny256/`, a second tiny model whose hidden size 256 makes rows whole K-quant
super-blocks): `--make-kquant-model` writes it (bf16, one layer, intermediate 32 so ffn_down takes
llama-quantize's fallback); runner exports it as tiny256.<type>.gguf for KQUANT_TYPES (q4_k_m, q6_k);
step 3 records in kquant_reference.json / kquant_logits.bin, for each file: the tensor table, the
SHA-256 of every tensor as gguf.quants.dequantize reads it (f32 LE) — the gguf package has no K-quant
quantizer, so runner's dequantizer must agree with its dequantizer bit for bit — and transformers'
logits on the GGUF (after the source checkpoint's own logits).

Run from the package root:  .venv/bin/python tools/reference/export_fixtures.py [--make-model | --make-kquant-model]
"""
import hashlib
import argparse
import json
import os
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "StagesTests", "Fixtures", "export")
MODEL = os.path.join(OUT, "tiny")
SMOLLM2 = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0"]
KQUANT_MODEL = os.path.join(OUT, "tiny256")
KQUANT_TYPES = ["q4_k_m", "q6_k"]
torch.set_num_threads(2)

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Fine-tuning a language model on 1000 examples takes 12 minutes.",
    "Hello, how are you today? I'm fine, thanks for asking!",
    "def add(a, b):\n    return a + b\n",
    "Caches are keyed by content: the same inputs give the same output.",
    "Recipes are small, explicit files that live in git.",
] * 20

TEXTS = [
    "Hello world! The fox is quick.",
    "In 2024 we trained 3 models; each took 45 minutes.",
    "<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n",
]


def make_model():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM

    os.makedirs(MODEL, exist_ok=True)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    tok.save(os.path.join(MODEL, "tokenizer.json"))
    vocab = tok.get_vocab_size()

    from gguf import GGUFReader
    reader = GGUFReader(SMOLLM2)
    field = reader.fields["tokenizer.chat_template"]
    template = bytes(field.parts[field.data[0]]).decode("utf-8")
    with open(os.path.join(MODEL, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|im_end|>",
                   "unk_token": "<|endoftext|>", "add_prefix_space": False, "model_max_length": 64,
                   "tokenizer_class": "GPT2Tokenizer", "chat_template": template}, f, indent=2)

    # Hidden 32 with 4 heads of 8 (2 KV heads); intermediate 48 so ffn_down rows (48) are not a
    # multiple of 32 and quantized exports must fall back to F16 there; vocab padded past the tokenizer.
    config = LlamaConfig(vocab_size=vocab + 16, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True,
                         bos_token_id=1, eos_token_id=2, pad_token_id=2)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(torch.float32)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(torch.randn(p.shape, generator=gen) / p.shape[-1] ** 0.5 * 1.5)
    model.save_pretrained(MODEL, safe_serialization=True)
    for extra in ["generation_config.json"]:
        path = os.path.join(MODEL, extra)
        if os.path.exists(path):
            os.remove(path)
    print(f"wrote {MODEL}: vocab {vocab} (+16 padding)")


def make_kquant_model():
    """The same tokenizer; hidden 256 (4 heads of 64, 1 KV head) so rows are whole 256-value
    super-blocks; intermediate 32 so ffn_down's rows are not; one layer; stored as bf16 to stay small."""
    import shutil
    from tokenizers import Tokenizer
    from transformers import LlamaConfig, LlamaForCausalLM

    vocab = Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json")).get_vocab_size()
    os.makedirs(KQUANT_MODEL, exist_ok=True)
    for name in ["tokenizer.json", "tokenizer_config.json"]:
        shutil.copy(os.path.join(MODEL, name), os.path.join(KQUANT_MODEL, name))
    config = LlamaConfig(vocab_size=vocab + 16, hidden_size=256, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=4, num_key_value_heads=1, max_position_embeddings=64,
                         rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True,
                         bos_token_id=1, eos_token_id=2, pad_token_id=2)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(torch.float32)
    gen = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                # Heavy-ish tails (Student-t, 4 dof) as real weights have, scaled to keep logits lively.
                w = torch.randn(p.shape, generator=gen) / (torch.rand(p.shape, generator=gen) * 0.9 + 0.1).sqrt()
                p.copy_(w / p.shape[-1] ** 0.5 * 1.5)
    model.to(torch.bfloat16).save_pretrained(KQUANT_MODEL, safe_serialization=True)
    path = os.path.join(KQUANT_MODEL, "generation_config.json")
    if os.path.exists(path):
        os.remove(path)
    print(f"wrote {KQUANT_MODEL}")


def llama_permute(w, n_head):
    """convert_hf_to_gguf's LlamaModel.permute: rows (head, half, i) → (head, i, half)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def field_value(reader, key):
    from gguf import GGUFValueType
    field = reader.fields[key]
    kind = field.types[0]
    if kind == GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8")
    if kind == GGUFValueType.ARRAY:
        if field.types[1] == GGUFValueType.STRING:
            return [bytes(field.parts[i]).decode("utf-8") for i in field.data]
        return [field.parts[i].tolist()[0] for i in field.data]
    return field.parts[field.data[0]].tolist()[0]


def check_tensors(reader, state, config, gtype):
    """Every tensor's bytes must be what the gguf package's quantizer makes of the source weight."""
    from gguf import GGMLQuantizationType as Q, quants
    names = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight"}
    suffix = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
              "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
              "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
    table = []
    for t in reader.tensors:
        if t.name in names:
            hf = names[t.name]
        else:
            _, layer, part, _ = t.name.split(".")
            hf = f"model.layers.{layer}.{suffix[part]}.weight"
        w = state[hf].float().numpy()
        if t.name.endswith("attn_q.weight"):
            w = llama_permute(w, config.num_attention_heads)
        if t.name.endswith("attn_k.weight"):
            w = llama_permute(w, config.num_key_value_heads)
        qtype = Q(int(t.tensor_type))
        expected = quants.quantize(w.astype(np.float32), qtype)
        got = np.asarray(t.data)
        same = expected.tobytes() == got.tobytes()
        if not same:
            sys.exit(f"{gtype}: tensor {t.name} ({qtype.name}) differs from gguf.quants.quantize of {hf}")
        table.append({"name": t.name, "type": qtype.name, "shape": [int(d) for d in t.shape]})
    return table


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--make-model", action="store_true")
    parser.add_argument("--make-kquant-model", action="store_true")
    args = parser.parse_args()
    if args.make_model:
        make_model()
        return
    if args.make_kquant_model:
        make_kquant_model()
        return

    from gguf import GGUFReader
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig

    config = LlamaConfig.from_pretrained(MODEL)
    state = load_file(os.path.join(MODEL, "model.safetensors"))
    source_tok = AutoTokenizer.from_pretrained(MODEL)
    sequences = [source_tok.encode(t, add_special_tokens=False)[:12] for t in TEXTS[:2]]
    chat = source_tok.apply_chat_template([{"role": "user", "content": "Hi!"}], add_generation_prompt=True, tokenize=False)
    sequences.append(source_tok.encode(chat, add_special_tokens=False)[:16])

    def logits_of(model):
        with torch.no_grad():
            return [model(torch.tensor([s])).logits[0].float().numpy() for s in sequences]

    source = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.float32)
    blobs = logits_of(source)
    reference = {"texts": TEXTS, "sequences": sequences, "chat_text": chat,
                 "source_ids": [source_tok.encode(t) for t in TEXTS], "types": TYPES, "exports": {}}

    metadata_keys = ["general.architecture", "general.name", "general.file_type", "llama.block_count",
                     "llama.context_length", "llama.embedding_length", "llama.feed_forward_length",
                     "llama.attention.head_count", "llama.attention.head_count_kv", "llama.rope.freq_base",
                     "llama.attention.layer_norm_rms_epsilon", "llama.vocab_size", "llama.rope.dimension_count",
                     "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.bos_token_id",
                     "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id", "tokenizer.ggml.add_bos_token",
                     "general.quantization_version"]
    for gtype in TYPES:
        name = f"tiny.{gtype}.gguf"
        path = os.path.join(OUT, name)
        reader = GGUFReader(path)
        if reader.alignment != 32 and "general.alignment" not in reader.fields:
            sys.exit(f"{name}: unexpected alignment")
        meta = {k: field_value(reader, k) for k in metadata_keys if k in reader.fields}
        tokens = field_value(reader, "tokenizer.ggml.tokens")
        template = field_value(reader, "tokenizer.chat_template")
        entry = {"metadata": meta, "token_count": len(tokens),
                 "token_types": field_value(reader, "tokenizer.ggml.token_type"),
                 "merge_count": len(field_value(reader, "tokenizer.ggml.merges")),
                 "chat_template_matches": template == source_tok.chat_template,
                 "tensors": check_tensors(reader, state, config, gtype)}
        gguf_tok = AutoTokenizer.from_pretrained(OUT, gguf_file=name)
        entry["gguf_ids"] = [gguf_tok.encode(t) for t in TEXTS]
        model = AutoModelForCausalLM.from_pretrained(OUT, gguf_file=name, dtype=torch.float32)
        got = logits_of(model)
        entry["max_abs_vs_source"] = float(max(np.abs(a - b).max() for a, b in zip(got, blobs[:len(sequences)])))
        blobs += got
        reference["exports"][gtype] = entry
        print(f"{gtype}: {len(entry['tensors'])} tensors byte-identical to gguf.quants; "
              f"logits max |Δ| vs source {entry['max_abs_vs_source']:.3g}; ids {'match' if entry['gguf_ids'] == reference['source_ids'] else 'DIFFER'}")

    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1, ensure_ascii=False)
        f.write("\n")
    np.concatenate([b.reshape(-1) for b in blobs]).astype("<f4").tofile(os.path.join(OUT, "logits.bin"))
    kquant_references(sequences, logits_of)


def kquant_references(sequences, logits_of):
    """tiny256.<type>.gguf: tensor table, gguf's dequantized values (SHA-256 per tensor), transformers' logits."""
    from gguf import GGMLQuantizationType as Q, GGUFReader, quants
    from transformers import AutoModelForCausalLM

    source = AutoModelForCausalLM.from_pretrained(KQUANT_MODEL, dtype=torch.float32)
    blobs = logits_of(source)
    reference = {"sequences": sequences, "types": KQUANT_TYPES, "exports": {}}
    for gtype in KQUANT_TYPES:
        name = f"tiny256.{gtype}.gguf"
        reader = GGUFReader(os.path.join(OUT, name))
        tensors = []
        for t in reader.tensors:
            qtype = Q(int(t.tensor_type))
            values = quants.dequantize(np.asarray(t.data), qtype).astype("<f4").reshape(-1)
            if not np.isfinite(values).all():
                sys.exit(f"{name}: {t.name} dequantizes to non-finite values")
            tensors.append({"name": t.name, "type": qtype.name, "shape": [int(d) for d in t.shape],
                            "dequantized_sha256": hashlib.sha256(values.tobytes()).hexdigest()})
        model = AutoModelForCausalLM.from_pretrained(OUT, gguf_file=name, dtype=torch.float32)
        got = logits_of(model)
        error = float(max(np.abs(a - b).max() for a, b in zip(got, blobs[:len(sequences)])))
        blobs += got
        reference["exports"][gtype] = {"file_type": field_value(reader, "general.file_type"), "tensors": tensors,
                                       "max_abs_vs_source": error}
        kinds = sorted({t["type"] for t in tensors})
        print(f"{name}: {len(tensors)} tensors ({', '.join(kinds)}); logits max |Δ| vs source {error:.3g}")
    with open(os.path.join(OUT, "kquant_reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    np.concatenate([b.reshape(-1) for b in blobs]).astype("<f4").tofile(os.path.join(OUT, "kquant_logits.bin"))


if __name__ == "__main__":
    main()
