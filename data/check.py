#!/usr/bin/env python3
"""Validate data/faq.json and data/faq-heldout.json.

Run from anywhere: python3 data/check.py
Exits 0 when both files are valid, 1 (after listing every problem) otherwise.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRAIN_PATH = HERE / "faq.json"
HELDOUT_PATH = HERE / "faq-heldout.json"

MIN_TRAIN = 110
MIN_HELDOUT = 40
MIN_NOT_OFFERED = 5
CATEGORIES = [
    "accounts", "orders", "shipping", "returns", "refunds", "payments",
    "promotions", "warranty", "privacy", "support", "loyalty", "products",
]
KINDS = {"answerable", "not_offered"}
# Typographic characters that would break plain substring matching of facts.
NON_ASCII_PUNCT = re.compile("[\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00a0]")
ABBREVIATIONS = re.compile(r"\b(a\.m\.|p\.m\.|e\.g\.|i\.e\.|U\.S\.)")
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\"?\s+(?=[A-Z])")

problems = []


def problem(msg):
    problems.append(msg)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        problem(f"{path.name}: cannot load: {e}")
        return None


def norm(text):
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def sentences(text):
    return [s for s in SENTENCE_BREAK.split(ABBREVIATIONS.sub("ABBR", text)) if s.strip()]


def nonempty_str(value):
    return isinstance(value, str) and value.strip() == value and value != ""


def check_train(doc):
    if not isinstance(doc, dict) or set(doc) != {"store", "questions"}:
        problem("faq.json: top level must be an object with exactly 'store' and 'questions'")
        return {}
    store = doc["store"]
    if not isinstance(store, dict) or not nonempty_str(store.get("name", "")):
        problem("faq.json: 'store' must be an object with a 'name'")
    questions = doc["questions"]
    if not isinstance(questions, list):
        problem("faq.json: 'questions' must be a list")
        return {}
    if len(questions) < MIN_TRAIN:
        problem(f"faq.json: {len(questions)} questions, need at least {MIN_TRAIN}")

    by_id, seen_q, seen_a = {}, {}, {}
    per_cat = Counter()
    for n, item in enumerate(questions):
        where = f"faq.json questions[{n}]"
        if not isinstance(item, dict) or set(item) != {"id", "category", "question", "answer"}:
            problem(f"{where}: keys must be exactly id, category, question, answer")
            continue
        if not all(nonempty_str(item[k]) for k in item):
            problem(f"{where}: every field must be a non-empty string without surrounding whitespace")
            continue
        qid, cat, q, a = item["id"], item["category"], item["question"], item["answer"]
        where = f"faq.json {qid}"
        if cat not in CATEGORIES:
            problem(f"{where}: unknown category {cat!r}")
        per_cat[cat] += 1
        if not re.fullmatch(re.escape(cat) + r"-\d{3}", qid):
            problem(f"{where}: id must be '<category>-NNN'")
        if qid in by_id:
            problem(f"{where}: duplicate id")
        by_id[qid] = item
        if norm(q) in seen_q:
            problem(f"{where}: duplicate question (same as {seen_q[norm(q)]})")
        seen_q[norm(q)] = qid
        if norm(a) in seen_a:
            problem(f"{where}: duplicate answer (same as {seen_a[norm(a)]})")
        seen_a[norm(a)] = qid
        count = len(sentences(a))
        if not 1 <= count <= 3:
            problem(f"{where}: answer has {count} sentences, want 1-3")
        if NON_ASCII_PUNCT.search(q + a):
            problem(f"{where}: use ASCII quotes, apostrophes, hyphens and spaces")
    for cat in CATEGORIES:
        if per_cat[cat] == 0:
            problem(f"faq.json: no questions in category {cat!r}")
    return by_id


def check_heldout(doc, train):
    if not isinstance(doc, dict) or set(doc) != {"questions"}:
        problem("faq-heldout.json: top level must be an object with exactly 'questions'")
        return []
    items = doc["questions"]
    if not isinstance(items, list):
        problem("faq-heldout.json: 'questions' must be a list")
        return []
    if len(items) < MIN_HELDOUT:
        problem(f"faq-heldout.json: {len(items)} questions, need at least {MIN_HELDOUT}")
    train_questions = {norm(t["question"]) for t in train.values()}
    keys = {"id", "source_id", "kind", "question", "reference_answer", "required_facts"}
    ids, seen_q = set(), set()
    kinds = Counter()
    for n, item in enumerate(items):
        where = f"faq-heldout.json questions[{n}]"
        if not isinstance(item, dict) or set(item) != keys:
            problem(f"{where}: keys must be exactly {sorted(keys)}")
            continue
        hid = item["id"]
        where = f"faq-heldout.json {hid}"
        if not re.fullmatch(r"heldout-\d{3}", str(hid)):
            problem(f"{where}: id must be 'heldout-NNN'")
        if hid in ids:
            problem(f"{where}: duplicate id")
        ids.add(hid)
        if item["kind"] not in KINDS:
            problem(f"{where}: kind must be one of {sorted(KINDS)}")
        kinds[item["kind"]] += 1
        q, ref, facts = item["question"], item["reference_answer"], item["required_facts"]
        if not (nonempty_str(q) and nonempty_str(ref)):
            problem(f"{where}: question and reference_answer must be non-empty strings")
            continue
        if norm(q) in train_questions:
            problem(f"{where}: question is identical to a training question")
        if norm(q) in seen_q:
            problem(f"{where}: duplicate held-out question")
        seen_q.add(norm(q))
        source = train.get(item["source_id"])
        if source is None:
            problem(f"{where}: source_id {item['source_id']!r} not in faq.json")
            continue
        if not (isinstance(facts, list) and 1 <= len(facts) <= 3 and all(nonempty_str(f) for f in facts)):
            problem(f"{where}: required_facts must be a list of 1-3 non-empty strings")
            continue
        for fact in facts:
            if fact.lower() not in source["answer"].lower():
                problem(f"{where}: fact {fact!r} not in answer of {source['id']}")
            if fact.lower() not in ref.lower():
                problem(f"{where}: fact {fact!r} not in its reference_answer")
    if kinds["not_offered"] < MIN_NOT_OFFERED:
        problem(f"faq-heldout.json: {kinds['not_offered']} not_offered questions, need at least {MIN_NOT_OFFERED}")
    return items


def main():
    train_doc, heldout_doc = load(TRAIN_PATH), load(HELDOUT_PATH)
    train = check_train(train_doc) if train_doc is not None else {}
    heldout = check_heldout(heldout_doc, train) if heldout_doc is not None else []
    covered = Counter(train[h["source_id"]]["category"] for h in heldout
                      if isinstance(h, dict) and h.get("source_id") in train)
    print(f"training pairs: {len(train)} in {len({t['category'] for t in train.values()})} categories")
    print(f"held-out questions: {len(heldout)} covering {len(covered)} categories: "
          + ", ".join(f"{c} {covered[c]}" for c in CATEGORIES if covered[c]))
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
