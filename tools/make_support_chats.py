"""Builds recipes/data/support-chats.jsonl, the chat-format example's data, from data/faq.json:
two-turn support conversations pairing consecutive FAQ entries of one category (run from the repo
root: python3 tools/make_support_chats.py). Deterministic; the output is committed."""
import json
from itertools import groupby

faq = json.load(open("data/faq.json"))["questions"]
with open("recipes/data/support-chats.jsonl", "w") as out:
    for _, group in groupby(faq, key=lambda q: q["category"]):
        entries = list(group)
        for first, second in zip(entries[0::2], entries[1::2]):
            messages = []
            for entry in (first, second):
                messages.append({"role": "user", "content": entry["question"]})
                messages.append({"role": "assistant", "content": entry["answer"]})
            out.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")
