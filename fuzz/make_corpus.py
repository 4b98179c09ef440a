#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/: small valid inputs (made with the reference
`gguf` and `safetensors` packages or copied from test fixtures) and the hostile shapes, named
`bad-*`. The bad-* files are also regression inputs: HostileCorpusTests run each one through its
loader and compare the error with docs/RELIABILITY.md. Run: .venv/bin/python fuzz/make_corpus.py"""
import json, os, struct, shutil, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
corpus = root / "fuzz" / "corpus"

def write(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)

# ---------------------------------------------------------------- GGUF
def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b

def gguf(kvs=b"", kv_count=0, tensors=b"", tensor_count=0, data=b"", version=3, align=32, pad=True):
    head = b"GGUF" + struct.pack("<IQQ", version, tensor_count, kv_count) + kvs + tensors
    if pad:
        head += b"\0" * ((-len(head)) % align)
    return head + data

def kv_u32(key, v): return gstr(key) + struct.pack("<II", 4, v)
def kv_str(key, v): return gstr(key) + struct.pack("<I", 8) + gstr(v)
def tinfo(name, dims, ggml_type, offset): return gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ggml_type, offset)

def valid_gguf():
    import numpy as np, gguf as G, tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tiny.gguf")
        w = G.GGUFWriter(path, "llama")
        w.add_uint32("llama.context_length", 64)
        w.add_string("tokenizer.ggml.model", "gpt2")
        w.add_array("tokenizer.ggml.tokens", ["a", "b", "<s>"])
        w.add_array("tokenizer.ggml.scores", [0.0, -1.0, -2.0])
        w.add_string("tokenizer.chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}")
        w.add_tensor("f32", np.arange(8, dtype=np.float32).reshape(2, 4) + 0.5)
        w.add_tensor("f16", np.array([1, -2, 3, 0.25], dtype=np.float16))
        q = G.quants.quantize(np.linspace(-1, 1, 32, dtype=np.float32).reshape(1, 32), G.GGMLQuantizationType.Q8_0)
        w.add_tensor("q8", q, raw_dtype=G.GGMLQuantizationType.Q8_0)
        w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
        return Path(path).read_bytes()

def gguf_corpus():
    t = "gguf"
    write(t, "valid-tiny.gguf", valid_gguf())
    one = tinfo("w", [4], 0, 0)
    write(t, "valid-handmade.gguf", gguf(kv_str("general.architecture", "llama"), 1, one, 1, struct.pack("<4f", 1, 2, 3, 4)))
    write(t, "bad-tensor-count-huge.gguf", gguf(tensor_count=2**63))
    write(t, "bad-kv-count-huge.gguf", gguf(kv_count=2**64 - 1))
    write(t, "bad-key-length-huge.gguf", gguf(struct.pack("<Q", 2**64 - 1) + b"k", 1))
    write(t, "bad-string-length-overflow.gguf", gguf(gstr("s") + struct.pack("<IQ", 8, 2**63 + 5), 1))
    write(t, "bad-array-count-huge.gguf", gguf(gstr("a") + struct.pack("<IIQ", 9, 0, 2**62), 1))
    nested = gstr("n") + struct.pack("<I", 9) + struct.pack("<IQ", 9, 1) * 2000 + struct.pack("<IQ", 0, 1) + b"\1"
    write(t, "bad-nested-arrays-deep.gguf", gguf(nested, 1))
    write(t, "bad-unknown-value-type.gguf", gguf(gstr("x") + struct.pack("<I", 99) + b"\0" * 8, 1))
    write(t, "bad-dims-product-overflow.gguf", gguf(tensors=tinfo("w", [2**32, 2**32, 2**32], 0, 0), tensor_count=1, data=b"\0" * 32))
    write(t, "bad-dim-zero.gguf", gguf(tensors=tinfo("w", [0, 4], 0, 0), tensor_count=1, data=b"\0" * 32))
    write(t, "bad-ndims-huge.gguf", gguf(tensors=gstr("w") + struct.pack("<I", 2**31) + struct.pack("<Q", 1) * 4, tensor_count=1, pad=False))
    write(t, "bad-offset-past-end.gguf", gguf(tensors=tinfo("w", [4], 0, 2**40), tensor_count=1, data=b"\0" * 16))
    write(t, "bad-offset-overflow.gguf", gguf(tensors=tinfo("w", [4], 0, 2**64 - 32), tensor_count=1, data=b"\0" * 16))
    write(t, "bad-offset-misaligned.gguf", gguf(tensors=tinfo("w", [4], 0, 3), tensor_count=1, data=b"\0" * 32))
    write(t, "bad-unknown-tensor-type.gguf", gguf(tensors=tinfo("w", [4], 9999, 0), tensor_count=1, data=b"\0" * 32))
    write(t, "bad-overlapping-tensors.gguf", gguf(tensors=tinfo("a", [8], 0, 0) + tinfo("b", [8], 0, 0), tensor_count=2, data=b"\0" * 32))
    write(t, "bad-duplicate-tensor-name.gguf", gguf(tensors=tinfo("a", [4], 0, 0) + tinfo("a", [4], 0, 32), tensor_count=2, data=b"\0" * 64))
    write(t, "bad-duplicate-key.gguf", gguf(kv_u32("k", 1) + kv_u32("k", 2), 2))
    write(t, "bad-alignment-zero.gguf", gguf(gstr("general.alignment") + struct.pack("<II", 4, 0), 1))
    write(t, "bad-alignment-not-power-of-two.gguf", gguf(gstr("general.alignment") + struct.pack("<II", 4, 48), 1))
    write(t, "bad-truncated-header.gguf", valid_gguf()[:40])
    write(t, "bad-version-1.gguf", gguf(version=1))
    write(t, "bad-big-endian.gguf", b"GGUF" + struct.pack(">IQQ", 3, 0, 0))
    write(t, "bad-not-utf8-key.gguf", gguf(gstr(b"\xff\xfe") + struct.pack("<II", 4, 1), 1))

# ---------------------------------------------------------------- safetensors
def st(header, data=b"", length=None):
    h = json.dumps(header, separators=(",", ":")).encode() if not isinstance(header, bytes) else header
    h += b" " * ((-len(h)) % 8)
    return struct.pack("<Q", len(h) if length is None else length) + h + data

def safetensors_corpus():
    t = "safetensors"
    import numpy as np
    from safetensors.numpy import save
    write(t, "valid-tiny.safetensors", save({"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, 2], dtype=np.float16),
                                             "c": np.array([3], dtype=np.int64)}, metadata={"format": "pt"}))
    write(t, "valid-empty-tensor.safetensors", save({"e": np.zeros((0, 4), dtype=np.float32)}))
    f4 = lambda n: {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}
    write(t, "bad-header-length-huge.safetensors", struct.pack("<Q", 2**63) + b"{}")
    write(t, "bad-header-length-past-end.safetensors", st({"a": f4(1)}, b"\0" * 4, length=4096))
    write(t, "bad-header-length-over-limit.safetensors", struct.pack("<Q", 100_000_001) + b"{}")
    write(t, "bad-offsets-out-of-range.safetensors", st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8000]}}, b"\0" * 8))
    write(t, "bad-offsets-overlap.safetensors", st({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                                    "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12))
    write(t, "bad-offsets-reversed.safetensors", st({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}, b"\0" * 8))
    write(t, "bad-offsets-negative.safetensors", st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}, b"\0" * 8))
    write(t, "bad-offset-huge.safetensors", st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [18446744073709551612, 18446744073709551616]}}, b"\0" * 4))
    write(t, "bad-duplicate-names.safetensors", st(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8))
    write(t, "bad-dtype-shape-mismatch.safetensors", st({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8))
    write(t, "bad-shape-product-overflow.safetensors", st({"a": {"dtype": "F32", "shape": [2**32, 2**32, 2**32], "data_offsets": [0, 8]}}, b"\0" * 8))
    write(t, "bad-shape-negative.safetensors", st({"a": {"dtype": "F32", "shape": [-2, -1], "data_offsets": [0, 8]}}, b"\0" * 8))
    write(t, "bad-unknown-dtype.safetensors", st({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, b"\0" * 16))
    write(t, "bad-metadata-not-string.safetensors", st({"__metadata__": {"x": 1}}))
    write(t, "bad-header-deep-nesting.safetensors", st(b"[" * 20_000 + b"]" * 20_000))
    write(t, "bad-trailing-bytes.safetensors", st({"a": f4(1)}, b"\0" * 12))
    write(t, "bad-gap-between-tensors.safetensors", st({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                                                        "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}, b"\0" * 12))
    write(t, "bad-header-not-json.safetensors", st(b"{\"a\": ", b""))
    write(t, "bad-header-not-utf8.safetensors", st(b'{"\xff":1}'))
    write(t, "bad-file-shorter-than-length.safetensors", b"\x10\0\0")

# ---------------------------------------------------------------- tokenizer.json
def tokenizer_corpus():
    t = "tokenizer"
    vocab = {c: i for i, c in enumerate(["h", "e", "l", "o", "Ġ", "w", "r", "d", "he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "ld", "Ġworld"])}
    merges = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"]
    base = {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": 17, "content": "<|im_start|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
                      "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": merges}}
    write(t, "valid-tiny-bytelevel.json", json.dumps(base))
    def variant(name, **model):
        doc = json.loads(json.dumps(base)); doc["model"].update(model); write(t, name, json.dumps(doc))
    variant("valid-merges-as-pairs.json", merges=[m.split(" ") for m in merges])
    variant("bad-merge-unknown-token.json", merges=merges + ["x y"])
    variant("bad-huge-id.json", vocab=dict(vocab, big=2**31 - 1))
    variant("bad-id-beyond-int32.json", vocab=dict(vocab, big=2**40))
    variant("bad-negative-id.json", vocab=dict(vocab, neg=-1))
    variant("bad-duplicate-id.json", vocab=dict(vocab, dup=0))
    variant("bad-model-type.json", type="Unigram")
    doc = json.loads(json.dumps(base)); doc["added_tokens"][0]["id"] = 2**31 - 1
    write(t, "bad-added-token-huge-id.json", json.dumps(doc))
    write(t, "bad-deep-nesting.json", "[" * 20_000 + "]" * 20_000)
    write(t, "bad-lone-surrogate.json", json.dumps(base).replace('"h":', '"\\ud800":', 1))
    write(t, "bad-number-overflow.json", json.dumps(base).replace('"h": 0', '"h": 1e999', 1))
    write(t, "bad-truncated.json", json.dumps(base)[:300])
    write(t, "bad-not-utf8.json", b'{"model": "\xff\xfe"}')
    doc = json.loads(json.dumps(base)); doc["pre_tokenizer"] = {"type": "Split", "pattern": {"Regex": "(a+)+$"}, "behavior": "Isolated", "invert": False}
    write(t, "bad-unsupported-regex.json", json.dumps(doc))

# ---------------------------------------------------------------- chat templates
def chat_template_corpus():
    t = "chat_template"
    fixtures = root / "Tests" / "ChatTemplateTests" / "Fixtures" / "templates"
    for name in ["chatml-generation.jinja", "llama3.1-instruct.jinja", "mistral-v0.3-instruct.jinja", "qwen2.5-instruct.jinja", "zephyr-7b-beta.jinja"]:
        shutil.copy(fixtures / name, corpus / t / ("valid-" + name))
    bad = {
        "bad-huge-range.jinja": "{% for i in range(1000000000) %}x{% endfor %}",
        "bad-nested-loops.jinja": "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
        "bad-string-multiply.jinja": "{{ 'ab' * 1000000000000 }}",
        "bad-string-doubling.jinja": "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        "bad-list-multiply.jinja": "{{ ([1, 2] * 1000000000000)|length }}",
        "bad-macro-recursion.jinja": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "bad-macro-fanout.jinja": "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}x{% endmacro %}{{ f(40) }}",
        "bad-deep-parentheses.jinja": "{{ " + "(" * 10000 + "1" + ")" * 10000 + " }}",
        "bad-deep-blocks.jinja": "{% if true %}" * 5000 + "{% endif %}" * 5000,
        "bad-integer-overflow-add.jinja": "{{ 9223372036854775807 + 1 }}",
        "bad-integer-overflow-multiply.jinja": "{{ 9223372036854775807 * 3 }}",
        "bad-integer-min-floordiv.jinja": "{{ (-9223372036854775807 - 1) // -1 }}",
        "bad-integer-min-modulo.jinja": "{{ (-9223372036854775807 - 1) % -1 }}",
        "bad-integer-literal-huge.jinja": "{{ 99999999999999999999999999 }}",
        "bad-division-by-zero.jinja": "{{ 1 // 0 }}",
        "bad-power-huge.jinja": "{{ 2 ** 100000 }}",
        "bad-center-huge.jinja": "{{ 'a'|center(1000000000000) }}",
        "bad-indent-huge.jinja": "{{ 'a\nb'|indent(1000000000000) }}",
        "bad-slice-step-zero.jinja": "{{ 'abc'[::0] }}",
        "bad-slice-huge.jinja": "{{ 'abc'[-9223372036854775807 - 1:9223372036854775807] }}",
        "bad-underscore-attribute.jinja": "{{ messages.__class__ }}",
        "bad-unclosed-block.jinja": "{% for m in messages %}{{ m.content }}",
        "bad-unsupported-tag.jinja": "{% include 'other.jinja' %}",
        "bad-raise-exception.jinja": "{{ raise_exception('Conversation roles must alternate') }}",
        "bad-unterminated-string.jinja": "{{ 'abc }}",
        "bad-replace-amplify.jinja": "{% set ns = namespace(s='aaaaaaaaaaaaaaaa') %}{% for i in range(8) %}{% set ns.s = ns.s|replace('a', ns.s) %}{% endfor %}{{ ns.s|length }}",
        "bad-join-amplify.jinja": "{% set ns = namespace(l=['ab']) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|join('x')|length }}",
        "bad-tojson-indent-huge.jinja": "{{ messages|tojson(indent=1000000000000) }}",
        "bad-format-width.jinja": "{{ '%1000000000000d' % 1 }}",
    }
    for name, text in bad.items():
        write(t, name, text)

# ---------------------------------------------------------------- recipes
def recipe_corpus():
    t = "recipe"
    for src in [root / "recipes" / "smollm2-qlora.yaml", root / "recipes" / "smollm2-lora-variants.json",
                root / "Tests" / "RecipeTests" / "Fixtures" / "recipes" / "bad" / "unknown_key_every_depth.yaml",
                root / "Tests" / "RecipeTests" / "Fixtures" / "recipes" / "bad" / "warnings_only.yaml"]:
        shutil.copy(src, corpus / t / ("valid-" + src.name if "recipes/bad" not in str(src) else "seed-" + src.name))
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)) + "version: 1\nname: laughs\nstages: *i\n"
    bad = {
        "bad-alias-bomb.yaml": laughs,
        "bad-deep-nesting.yaml": "version: 1\nname: deep\nstages: " + "[" * 5000 + "]" * 5000 + "\n",
        "bad-deep-block-nesting.yaml": "version: 1\nname: deep\nstages:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(200)),
        "bad-deep-nesting.json": '{"version": 1, "name": "deep", "stages": ' + "{\"a\": " * 5000 + "1" + "}" * 5000 + "}",
        "bad-merge-key-cycle.yaml": "base: &b\n  <<: *b\nversion: 1\nname: m\nstages: {}\n",
        "bad-merge-key-bomb.yaml": "a: &a {x: 1}\n" + "".join(f"m{i}: &m{i}\n  <<: [*a" + "".join(f", *m{j}" for j in range(i)) + "]\n" for i in range(12)) + "version: 1\nname: m\nstages: {}\n",
        "bad-integer-huge.yaml": "version: 99999999999999999999999999999\nname: big\nseed: -99999999999999999999\nstages: {}\n",
        "bad-extends-dev-zero.yaml": "extends: /dev/zero\nversion: 1\nname: z\nstages: {}\n",
        "bad-extends-self.yaml": "extends: bad-extends-self.yaml\nversion: 1\nname: self\nstages: {}\n",
        "bad-extends-directory.yaml": "extends: /\nversion: 1\nname: d\nstages: {}\n",
        "bad-not-utf8.yaml": b"version: 1\nname: \xff\xfe\nstages: {}\n",
        "bad-tabs-and-garbage.yaml": "version: 1\n\tname: x\n: : :\n",
        "bad-duplicate-keys.json": '{"version": 1, "version": 2, "name": "d", "stages": {}}',
        "bad-root-scalar.yaml": "just a string\n",
        "bad-stage-cycle.yaml": "version: 1\nname: c\nstages:\n  a: {kind: lora, from: b, r: 8}\n  b: {kind: lora, from: a, r: 8}\n",
        "bad-float-specials.yaml": "version: 1\nname: f\nstages:\n  m: {kind: load, path: ../gguf/valid-tiny.gguf}\n  l: {kind: lora, from: m, r: 8, alpha: .inf, dropout: .nan}\n",
        "bad-many-documents.yaml": "---\nversion: 1\n" * 2000,
        "bad-key-huge-count.yaml": "version: 1\nname: k\nstages:\n" + "".join(f"  s{i}: {{kind: load, path: m{i}.gguf}}\n" for i in range(1000)),
    }
    for name, text in bad.items():
        write(t, name, text)

if __name__ == "__main__":
    if corpus.exists():
        shutil.rmtree(corpus)
    (corpus / "chat_template").mkdir(parents=True)
    (corpus / "recipe").mkdir(parents=True)
    gguf_corpus(); safetensors_corpus(); tokenizer_corpus(); chat_template_corpus(); recipe_corpus()
    total = sum(f.stat().st_size for f in corpus.rglob("*") if f.is_file())
    print(f"wrote {sum(1 for f in corpus.rglob('*') if f.is_file())} files, {total} bytes under {corpus.relative_to(root)}")
