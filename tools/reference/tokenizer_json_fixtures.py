#!/usr/bin/env python3
"""Reference ids for the tokenizer.json runner writes from a GGUF vocabulary (merge of a GGUF-sourced
model), checked against `tokenizers` and transformers. Writes Tests/ModelsTests/Fixtures/tokenizer_json/reference.json.

Run from the package root (the Swift test keeps the files it writes under $RUNNER_TOKENIZER_JSON_OUT):
    RUNNER_TOKENIZER_JSON_OUT=/tmp/tokjson swift test -c release --filter HuggingFaceTokenizerFilesTests
    .venv/bin/python tools/reference/tokenizer_json_fixtures.py /tmp/tokjson

For each case (smollm2: models/SmolLM2-135M-Instruct.Q4_1.gguf, byte-level BPE; llama_spm: llama.cpp's
Llama SentencePiece vocabulary Tests/TokenizerTests/Fixtures/ggml-vocab-llama-spm.gguf) it asserts:
- `tokenizers.Tokenizer.from_file(<ours>/tokenizer.json)` encodes a corpus of tricky strings (digits,
  unicode, emoji, whitespace runs, code, special tokens inside text, chat-template output) to the ids
  of transformers' own GGUF tokenizer (`AutoTokenizer.from_pretrained(..., gguf_file=)`), with and
  without special tokens, and decodes them alike. For smollm2 the reference gets SmolLM2's real
  pre-tokenizer (Digits(individual_digits) + ByteLevel): transformers' GGUF loader drops the Digits step
  for `tokenizer.ggml.pre = smollm`, llama.cpp and the Hub's tokenizer.json keep it, and so do runner's
  Tokenizer and the file we write (see tokenizer_fixtures.py). The unmodified GGUF tokenizer is checked
  to agree on every text without digits, so that step is the only difference.
- `AutoTokenizer.from_pretrained(<ours>)` loads without a warning, gives the same ids, and its
  `apply_chat_template` renders and tokenizes conversations exactly as the GGUF tokenizer does.
The fixture records the texts, ids, decoded strings, rendered chats and the sha256 of each tokenizer.json,
so the Swift test knows it still writes the file checked here.
"""
import hashlib
import io
import json
import logging
import sys
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import tokenizers
import transformers
from tokenizers import Tokenizer, pre_tokenizers
from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/ModelsTests/Fixtures/tokenizer_json/reference.json"
SMOLLM2 = ROOT / "models/SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA_SPM = ROOT / "Tests/TokenizerTests/Fixtures/ggml-vocab-llama-spm.gguf"

CORPUS = [
    "",
    " ",
    "Hello world",
    "  123 4567 89012345678901234567890",
    "3.14159 1e10 -42 +7 0x1F 1,000,000 2024-11-22",
    "٣٤٥ ½ ² Ⅻ",
    "I'm you're he's we've they'll I'd can't DON'T It'S",
    "你好，世界！日本語のテキスト 한국어",
    "emoji 😀😃 family 👨‍👩‍👧‍👦 flag 🇫🇷 thumbs 👍🏽 heart ❤️",
    "combining: e\u0301 a\u0308 — precomposed: é ä ñ",
    "RTL: مرحبا بالعالم שלום",
    "two  spaces   three    four\t\ttabs \n\n\n  newlines\r\nwindows\rmac",
    "   leading and trailing   ",
    "\n",
    "def f(x):\n    return x ** 2  # square\n\nprint(f(3))",
    "for (int i = 0; i < n; ++i) { a[i] = b[i] + c[i]; }",
    '{"key": [1, 2, 3], "nested": {"a": null}}',
    "<|im_start|>user\nHi there!<|im_end|>\n<|im_start|>assistant\n",
    "text<|endoftext|>more text <|endoftext|> spaced",
    "almost special <|im_star|> and <|im_start",
    "<s>Hello</s> world <unk> <s> again",
    "\u2581already \u2581marked",
    "\x00\x01 control \x7f bytes",
    "ǅ ǈ ǋ ǲ — ﬁ ﬂ — ＡＢＣ１２３",
]

CHATS = [
    ([{"role": "user", "content": "What is 2+2?"}], True),
    ([{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name a colour."},
      {"role": "assistant", "content": "Teal."}, {"role": "user", "content": "Another, with 3 emoji 🎨🎨🎨"}], True),
    ([{"role": "user", "content": "  spaced\n\ninput  "}, {"role": "assistant", "content": "ok <|im_end|> inside"}], False),
]


def smollm2_reference():
    tok = AutoTokenizer.from_pretrained(str(SMOLLM2.parent), gguf_file=SMOLLM2.name)
    raw = AutoTokenizer.from_pretrained(str(SMOLLM2.parent), gguf_file=SMOLLM2.name)
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    return tok, raw


def llama_reference():
    tok = AutoTokenizer.from_pretrained(str(LLAMA_SPM.parent), gguf_file=LLAMA_SPM.name)
    return tok, tok


def clean_auto_tokenizer(directory):
    """AutoTokenizer.from_pretrained(directory), failing on any warning or log line."""
    transformers.utils.logging.set_verbosity_warning()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    hf_logger = logging.getLogger("transformers")
    hf_logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught, redirect_stderr(stream), redirect_stdout(stream):
            warnings.simplefilter("always")
            tok = AutoTokenizer.from_pretrained(str(directory))
    finally:
        hf_logger.removeHandler(handler)
    messages = [str(w.message) for w in caught] + [line for line in stream.getvalue().splitlines() if line.strip()]
    assert not messages, f"{directory}: AutoTokenizer.from_pretrained was not clean:\n" + "\n".join(messages)
    return tok


def check_case(name, directory, reference, raw, chats):
    ours = Tokenizer.from_file(str(directory / "tokenizer.json"))
    loaded = clean_auto_tokenizer(directory)
    cases = []
    for text in CORPUS:
        plain = ours.encode(text, add_special_tokens=False).ids
        special = ours.encode(text, add_special_tokens=True).ids
        want_plain = reference(text, add_special_tokens=False)["input_ids"]
        want_special = reference(text, add_special_tokens=True)["input_ids"]
        assert plain == want_plain, f"{name}: {text!r}: ours {plain[:16]} transformers {want_plain[:16]}"
        assert special == want_special, f"{name}: {text!r} (special): ours {special[:16]} transformers {want_special[:16]}"
        assert loaded(text, add_special_tokens=True)["input_ids"] == want_special, f"{name}: AutoTokenizer(dir) on {text!r}"
        if not any(c.isnumeric() for c in text):
            assert raw(text, add_special_tokens=False)["input_ids"] == plain, f"{name}: unmodified GGUF tokenizer on {text!r}"
        decoded = ours.decode(plain, skip_special_tokens=False)
        assert decoded == reference.decode(want_plain, skip_special_tokens=False), f"{name}: decode {text!r}"
        cases.append({"text": text, "ids": plain, "ids_with_special": special, "decoded": decoded})

    rendered = []
    for messages, add_generation_prompt in chats:
        want_text = reference.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
        got_text = loaded.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
        assert got_text == want_text, f"{name}: chat template renders differently:\n{got_text!r}\n{want_text!r}"
        # apply_chat_template's tokenize does not add BOS/EOS itself (the template writes them).
        ids = ours.encode(want_text, add_special_tokens=False).ids
        assert ids == reference(want_text, add_special_tokens=False)["input_ids"], f"{name}: chat ids"
        rendered.append({"text": want_text, "ids": ids})

    digest = hashlib.sha256((directory / "tokenizer.json").read_bytes()).hexdigest()
    return {"tokenizer_json_sha256": digest, "cases": cases, "chats": rendered}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    written = Path(sys.argv[1])
    for path in [SMOLLM2, written / "smollm2/tokenizer.json", written / "llama_spm/tokenizer.json"]:
        if not path.exists():
            sys.exit(f"{path} is missing (run scripts/bootstrap.sh, then the Swift test as the docstring says)")
    tok, raw = smollm2_reference()
    smollm2 = check_case("smollm2", written / "smollm2", tok, raw, CHATS)
    tok, raw = llama_reference()
    llama = check_case("llama_spm", written / "llama_spm", tok, raw, [])
    reference = {"source": "tools/reference/tokenizer_json_fixtures.py",
                 "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__},
                 "smollm2": smollm2, "llama_spm": llama}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(reference, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
