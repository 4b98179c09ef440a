#!/usr/bin/env python3
"""Writes an FAQ-style JSONL corpus for the dataset bench: data/faq.json's question/answer pairs,
repeated with a numbered variation so no two rows are identical.

usage: make_corpus.py OUT.jsonl ROWS
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out, rows = sys.argv[1], int(sys.argv[2])
pairs = json.load(open(os.path.join(ROOT, "data", "faq.json")))["questions"]
with open(out, "w") as f:
    for i in range(rows):
        p = pairs[i % len(pairs)]
        f.write(json.dumps({"question": f"{p['question']} (ticket {i})", "answer": p["answer"]}) + "\n")
