#!/usr/bin/env python3
"""A deterministic ~8 MB benchmark corpus from text installed in the virtual environment: the Python
sources (code + English docstrings) and Markdown/RST/TXT documentation of transformers and friends.

usage: make_corpus.py <out.txt> [megabytes]
"""
import os
import sys
import sysconfig

out = sys.argv[1]
limit = int(float(sys.argv[2]) * 1e6) if len(sys.argv) > 2 else 8_000_000
root = sysconfig.get_paths()["purelib"]
paths = []
for package in ("transformers", "tokenizers", "peft", "trl", "numpy", "jsonschema"):
    for directory, _, files in os.walk(os.path.join(root, package)):
        paths += [os.path.join(directory, f) for f in files if f.endswith((".py", ".md", ".rst", ".txt"))]
paths.sort()
size = 0
with open(out, "w", encoding="utf-8") as f:
    for path in paths:
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        f.write(text + "\n\n")
        size += len(text.encode()) + 2
        if size >= limit:
            break
print(f"wrote {out}: {size / 1e6:.1f} MB from {len(paths)} candidate files")
