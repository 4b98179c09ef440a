#!/usr/bin/env python3
"""Golden token ids for Tests/TokenizerTests, produced by Hugging Face `tokenizers`/`transformers`.

Run from the package root:  .venv/bin/python tools/reference/tokenizer_fixtures.py
Writes Tests/TokenizerTests/Fixtures/{smollm2,llama_spm,llama_spm_legacy,splits}.json.

Tokenizers used:
- smollm2: SmolLM2-135M-Instruct, built by transformers from models/SmolLM2-135M-Instruct.Q4_1.gguf,
  with the pre-tokenizer of SmolLM2's real tokenizer.json (Digits(individual_digits) + ByteLevel).
  transformers' GGUF loader drops the Digits step for `tokenizer.ggml.pre = smollm`; llama.cpp and
  the Hub's tokenizer.json keep it, so we follow them (the ids differ e.g. on "  123").
- llama_spm: Llama's SentencePiece vocabulary (llama.cpp's models/ggml-vocab-llama-spm.gguf, vendored
  in the llama-cpp-python sdist, committed as a fixture), built by transformers (`gguf_file=`):
  Metaspace(prepend_scheme="first"), merges derived from the scores, byte fallback.
- llama_spm_legacy: the same vocabulary with the pipeline of Llama 2's own tokenizer.json
  (normalizer Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer).
- tiny_*: small BPE tokenizers trained here with `tokenizers` (their tokenizer.json is committed), to
  test the tokenizer.json path with files HF itself wrote: Qwen2 split + NFC normalizer + added tokens
  with lstrip/rstrip/single_word/normalized flags + TemplateProcessing; Llama 3 split with
  ignore_merges; Metaspace(split, always) with byte fallback, an unknown token and a Metaspace decoder.
- splits: the pieces HF's `Split(Regex(...), behavior="isolated")` cuts for the GPT-2, Llama 3 and
  Qwen2 pre-tokenizer regexes, which the Swift matchers reimplement by hand.
"""

import json
import os
import random
import sys

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "TokenizerTests", "Fixtures")

GPT2_SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def corpus():
    """Hand-picked edge cases, then seeded random mixtures of characters from every class."""
    texts = [
        "",
        " ",
        "Hello world",
        "Hello, world! How are you today?",
        " leading space",
        "trailing space ",
        "two  spaces   three    four",
        "   ",
        "\n",
        "line one\nline two\n\nline four\r\nwindows\rmac",
        "\t\ttabs\tand  \t mixed \n\t whitespace",
        "  123 4567 89012345678901234567890",
        "3.14159 1e10 -42 +7 0x1F 1,000,000",
        "٣٤٥ ½ ² Ⅻ",
        "I'm you're he's we've they'll I'd can't DON'T It'S 'ſ 'K",
        "'s 're 'x '  ' trailing'",
        "你好，世界！这是一个测试。",
        "日本語のテキストとカタカナ、ひらがな。",
        "한국어 텍스트입니다",
        "emoji 😀😃 family 👨‍👩‍👧‍👦 flag 🇫🇷 thumbs 👍🏽 heart ❤️",
        "combining: e\u0301 a\u0308 n\u0303 — precomposed: é ä ñ",
        "RTL: مرحبا بالعالم שלום עולם",
        "Ελληνικά και русский текст",
        "def f(x):\n    return x ** 2  # square\n\nprint(f(3))",
        "for (int i = 0; i < n; ++i) { a[i] = b[i] + c[i]; }",
        '{"key": [1, 2, 3], "nested": {"a": null}}',
        "<|im_start|>user\nHi there!<|im_end|>\n<|im_start|>assistant\n",
        "text<|endoftext|>more text <|endoftext|> spaced",
        "<|im_start|><|im_end|><|im_start|>",
        "almost special <|im_star|> and <|im_start",
        "<s>Hello</s> world <unk> <s> again",
        "email@example.com https://example.org/path?q=1&r=2#frag",
        "\u00a0nbsp\u2003em space\u3000ideographic\u2028line sep\u0085nel",
        "zero\u200bwidth\u200djoiner\ufeffbom",
        "mixed123abc456def ABC123 abc_def-ghi",
        "!!!??? ... --- *** ### $$$ %%% ^^^",
        "Supercalifragilisticexpialidocious " * 3,
        "a" * 700,
        "1234567890" * 40,
        "x" + " " * 300 + "y",
        "ÀÉÎÕÜ àéîõü ÇçŒœß",
        "ﬁ ﬂ ligatures and ｆｕｌｌｗｉｄｔｈ ＡＢＣ１２３",
        "\x00\x01\x1f control chars \x7f",
        "math: ∀x∈ℝ, x² ≥ 0 ⇒ √(x²) = |x|",
    ]
    pool = (
        list("abcXYZ") + list("0123") + list(" ") * 6 + list("\n\t\r") + list(".,;'!?-_()[]{}<>\"/\\")
        + list("éüßЖж中文字日本ひカ한글") + ["\u0301", "\u200d", "😀", "👍", "🏽", "١", "٢", "½", "\u00a0", "\u3000"]
        + ["'s", "'T", "'re", "'LL", "<|im_start|>", "<|endoftext|>"]
    )
    rng = random.Random(20260522)
    for _ in range(40):
        texts.append("".join(rng.choice(pool) for _ in range(rng.randint(5, 60))))
    return texts


PARTIAL_DECODE_TEXTS = ("你好，世界！这是一个测试。", "emoji 😀😃 family 👨‍👩‍👧‍👦 flag 🇫🇷 thumbs 👍🏽 heart ❤️")


def cases(tok, texts):
    """ids with and without special tokens, and both decodings, straight from the Rust tokenizer.
    For a few texts, also the decoding of every prefix of the ids (cut UTF-8 sequences)."""
    out = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=True).ids
        plain = tok.encode(text, add_special_tokens=False).ids
        case = {
            "text": text,
            "ids": ids,
            "ids_no_special": plain,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        }
        if text in PARTIAL_DECODE_TEXTS:
            case["prefix_decodes"] = [tok.decode(plain[:n], skip_special_tokens=False) for n in range(1, len(plain) + 1)]
        out.append(case)
    return out


def write(name, payload):
    path = os.path.join(FIXTURES, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


TRAINING_TEXT = [
    "The quick brown fox jumps over the lazy dog. Hello world, hello again! It's a test; we're testing.",
    "Tokenizers split text into pieces: words, numbers like 12345 and 2026, punctuation... and spaces.",
    "def hello(name):\n    return f'hello {name}'\n\nprint(hello('world'))",
    "Café, naïve, résumé — über straße. 你好世界。こんにちは。",
] * 20


def tiny_tokenizers(texts):
    """Three small trained tokenizers exercising the tokenizer.json features real models use."""
    alphabet = pre_tokenizers.ByteLevel.alphabet()

    qwen = Tokenizer(models.BPE())
    qwen.normalizer = normalizers.NFC()
    qwen.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    )
    qwen.decoder = decoders.ByteLevel()
    qwen.train_from_iterator(TRAINING_TEXT + texts, trainers.BpeTrainer(vocab_size=420, initial_alphabet=alphabet, special_tokens=["<|endoftext|>"], show_progress=False))
    qwen.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=True, normalized=False, special=True), "<|im_start|>", "<|im_end|>"])
    qwen.add_tokens([AddedToken("hello", single_word=True, normalized=True), AddedToken("é", normalized=True), AddedToken(" sp ", normalized=False)])
    qwen.post_processor = processors.TemplateProcessing(single="<|endoftext|> $A <|endoftext|>", special_tokens=[("<|endoftext|>", 0)])

    llama3 = Tokenizer(models.BPE(ignore_merges=True))
    llama3.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    )
    llama3.decoder = decoders.ByteLevel()
    llama3.train_from_iterator(TRAINING_TEXT + texts, trainers.BpeTrainer(vocab_size=450, initial_alphabet=alphabet, special_tokens=["<|begin_of_text|>"], show_progress=False))
    # With ignore_merges a whole pre-token in the vocabulary wins even without a merge path to it.
    llama3.add_tokens(["<|im_start|>"])
    llama3.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", 0)])

    meta = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    meta.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    meta.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    meta.train_from_iterator(
        TRAINING_TEXT,
        trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)], show_progress=False),
    )
    meta.add_special_tokens(["<s>", "</s>"])
    return {"tiny_qwen2": qwen, "tiny_llama3": llama3, "tiny_metaspace": meta}


def main():
    texts = corpus()
    versions = {"tokenizers": __import__("tokenizers").__version__, "transformers": __import__("transformers").__version__}

    smol = AutoTokenizer.from_pretrained(os.path.join(ROOT, "models"), gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    backend = smol.backend_tokenizer
    gguf_default = cases(backend, texts)
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    real = cases(backend, texts)
    differing = sum(a["ids"] != b["ids"] for a, b in zip(gguf_default, real))
    print(f"smollm2: {differing} texts differ between the Digits+ByteLevel and plain ByteLevel pre-tokenizers")
    write("smollm2.json", {"source": "SmolLM2-135M-Instruct.Q4_1.gguf + Digits(individual)+ByteLevel", "versions": versions, "cases": real})

    spm = AutoTokenizer.from_pretrained(FIXTURES, gguf_file="ggml-vocab-llama-spm.gguf")
    spm_backend = spm.backend_tokenizer
    print("llama_spm pipeline:", json.loads(spm_backend.to_str())["pre_tokenizer"], json.loads(spm_backend.to_str())["decoder"])
    write("llama_spm.json", {"source": "ggml-vocab-llama-spm.gguf via transformers gguf_file=", "versions": versions, "cases": cases(spm_backend, texts)})

    spm_backend.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    spm_backend.pre_tokenizer = None
    write("llama_spm_legacy.json", {"source": "ggml-vocab-llama-spm.gguf, Llama 2 tokenizer.json pipeline", "versions": versions, "cases": cases(spm_backend, texts)})

    for name, tok in tiny_tokenizers(texts).items():
        tok.save(os.path.join(FIXTURES, f"{name}.tokenizer.json"))
        write(f"{name}.json", {"source": f"{name}.tokenizer.json, trained by tools/reference/tokenizer_fixtures.py", "versions": versions, "cases": cases(tok, texts)})

    splits = []
    for name, pattern in (("gpt2", GPT2_SPLIT), ("llama3", LLAMA3_SPLIT), ("qwen2", QWEN2_SPLIT)):
        splitter = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
        splits.append({"pattern": name, "pieces": [[p for p, _ in splitter.pre_tokenize_str(t)] for t in texts]})
    write("splits.json", {"texts": texts, "versions": versions, "patterns": splits})


if __name__ == "__main__":
    sys.exit(main())
