"""ROUGE-L reference values for the eval stage's scorer (Sources/Reports/RougeL.swift).

Scores (target, prediction) pairs with Google's `rouge-score` package (PyPI `rouge-score`,
`RougeScorer(["rougeL"])`, default tokenizer, no stemming) and writes its tokens and
precision/recall/F-measure to Tests/ReportsTests/Fixtures/rouge.json.

    .venv/bin/pip install rouge-score
    .venv/bin/python tools/reference/rouge_fixtures.py
"""
import json
import pathlib
import random

from rouge_score import rouge_scorer, tokenize

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/ReportsTests/Fixtures/rouge.json"

HAND_WRITTEN = [
    ("The cat sat on the mat.", "The cat was sitting on the mat!"),
    ("Returns are accepted within 30 days of delivery.", "You can return unworn items within 30 days."),
    ("Standard shipping costs $5.95 and is free on orders of $75 or more.",
     "Shipping is $5.95, FREE over $75 (standard, 3-5 business days)."),
    ("Orders placed by 2 p.m. Pacific ship the same day.", "If you order before 2pm PT it ships today."),
    ("Café crème brûlée — naïve façade", "cafe creme brulee naive facade"),
    ("İstanbul KELVIN \u212a ß straße", "istanbul kelvin k ss strasse"),
    ("don't can't won't", "dont cant wont"),
    ("a a a a b", "a b a b a"),
    ("", "something"),
    ("something", ""),
    ("!!! ??? ...", "nothing alphanumeric on the other side either"),
    ("12 345 6789", "12345 6789 12 345"),
    ("Tabs\tand\nnewlines\r\nand   spaces", "tabs and newlines and spaces"),
    ("UPPER lower MiXeD 123abc", "upper LOWER mixed 123ABC"),
    ("emoji 🙂 between 🚀 words", "emoji between words"),
]


def faq_pairs(rng):
    """Held-out reference answers scored against other answers from the same file."""
    data = json.loads((ROOT / "data/faq-heldout.json").read_text())["questions"]
    refs = [q["reference_answer"] for q in data]
    pairs = []
    for i in rng.sample(range(len(refs)), 12):
        j = rng.randrange(len(refs))
        words = refs[i].split()
        shuffled = words[:]
        rng.shuffle(shuffled)
        pairs.append((refs[i], refs[j]))
        pairs.append((refs[i], " ".join(words[: max(1, len(words) // 2)])))
        pairs.append((refs[i], " ".join(shuffled)))
    return pairs


def main():
    rng = random.Random(20261122)
    scorer = rouge_scorer.RougeScorer(["rougeL"])  # use_stemmer=False is the default
    cases = []
    for target, prediction in HAND_WRITTEN + faq_pairs(rng):
        score = scorer.score(target, prediction)["rougeL"]
        cases.append({
            "target": target,
            "prediction": prediction,
            "target_tokens": tokenize.tokenize(target, None),
            "prediction_tokens": tokenize.tokenize(prediction, None),
            "precision": score.precision,
            "recall": score.recall,
            "fmeasure": score.fmeasure,
        })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"generator": "rouge-score RougeScorer(['rougeL']), no stemmer", "cases": cases},
                              indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
