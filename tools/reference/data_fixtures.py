#!/usr/bin/env python3
"""Golden input ids and labels for Tests/DataTests, produced by TRL's SFT preprocessing.

Run from the package root:  .venv/bin/python tools/reference/data_fixtures.py
Writes Tests/DataTests/Fixtures/sft_parity.json.

Eight rows of data/faq.json (question/answer), tokenized with SmolLM2-135M-Instruct's tokenizer as
transformers builds it from models/SmolLM2-135M-Instruct.Q4_1.gguf, with the pre-tokenizer of
SmolLM2's real tokenizer.json (Digits(individual_digits) + ByteLevel; transformers' GGUF loader drops
the Digits step — see tokenizer_fixtures.py). Cases:

- template_completion: TRL prompt–completion, `completion_only_loss=True`, prompt
  "<human>: {question}\n<assistant>: ", completion "{answer}" (TRL appends the EOS token).
- alpaca_completion: the same with the Stanford Alpaca prompt (no input) around the question.
- chat_completion: TRL conversational prompt–completion (system + user prompt, assistant completion)
  through SmolLM2's own ChatML template, `completion_only_loss=True`.
- chat_assistant_generation: TRL `assistant_only_loss=True` on multi-turn conversations through a
  ChatML template with `{% generation %}` markers (TRL requires them).
- chat_assistant_prefix_diff: expected assistant masks for SmolLM2's own template (no markers), computed
  by transformers' `return_assistant_tokens_mask` with a marked copy of that template whose rendering
  is asserted identical: the assistant's content and its `<|im_end|>` are trained, the newline after it is not.
"""

import json
import os
import tempfile

import torch
from datasets import Dataset
from tokenizers import pre_tokenizers
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
from trl import SFTConfig, SFTTrainer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "DataTests", "Fixtures")
SYSTEM = "You are the support assistant of Fernhollow Outfitters."

ALPACA = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)

# ChatML with generation markers around what the assistant writes (content and end-of-turn token).
GENERATION_CHATML = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}"
    "{% else %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def tokenizer():
    tok = AutoTokenizer.from_pretrained(os.path.join(ROOT, "models"), gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    return tok


def tiny_model(vocab_size):
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1)
    return LlamaForCausalLM(config)


def trl_preprocess(tok, rows, **config):
    """Runs TRL's SFTTrainer dataset preparation and returns its input_ids and labels."""
    with tempfile.TemporaryDirectory() as out:
        args = SFTConfig(output_dir=out, report_to=[], use_cpu=True, max_length=None, **config)
        trainer = SFTTrainer(model=tiny_model(len(tok)), args=args, train_dataset=Dataset.from_list(rows), processing_class=tok)
        data = trainer.train_dataset
        return [{"input_ids": list(r["input_ids"]), "labels": list(r["labels"])} for r in data]


def main():
    faq = json.load(open(os.path.join(ROOT, "data", "faq.json")))["questions"][:8]
    rows = [{"question": q["question"], "answer": q["answer"]} for q in faq]
    tok = tokenizer()
    smol_template = tok.chat_template
    print("eos:", tok.eos_token, tok.eos_token_id, "bos:", tok.bos_token)
    cases = {}

    cases["template_completion"] = trl_preprocess(
        tok, [{"prompt": f"<human>: {r['question']}\n<assistant>: ", "completion": r["answer"]} for r in rows],
        completion_only_loss=True)
    cases["alpaca_completion"] = trl_preprocess(
        tok, [{"prompt": ALPACA.format(instruction=r["question"]), "completion": r["answer"]} for r in rows],
        completion_only_loss=True)
    cases["chat_completion"] = trl_preprocess(
        tok, [{"prompt": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": r["question"]}],
               "completion": [{"role": "assistant", "content": r["answer"]}]} for r in rows],
        completion_only_loss=True)

    # Multi-turn conversations: rows paired up, second pair's question follows the first answer.
    conversations = []
    for a, b in zip(rows[0::2], rows[1::2]):
        conversations.append({"messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": a["question"]}, {"role": "assistant", "content": a["answer"]},
            {"role": "user", "content": b["question"]}, {"role": "assistant", "content": b["answer"]}]})
    tok.chat_template = GENERATION_CHATML
    cases["chat_assistant_generation"] = trl_preprocess(tok, conversations, assistant_only_loss=True)

    # Prefix-diff expectation on SmolLM2's own template: a marked copy must render identically.
    marked = smol_template.replace(
        "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}",
        "{% if message['role'] == 'assistant' %}{{'<|im_start|>assistant\n'}}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{'\n'}}"
        "{% else %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endif %}")
    assert marked != smol_template, "SmolLM2's template changed; update the marked copy"
    expected = []
    for conversation in conversations:
        messages = conversation["messages"][1:]  # without a system message: the template adds its default one
        plain = tok.apply_chat_template(messages, chat_template=smol_template, tokenize=False)
        assert plain == tok.apply_chat_template(messages, chat_template=marked, tokenize=False)
        out = tok.apply_chat_template(messages, chat_template=marked, tokenize=True, return_dict=True,
                                      return_assistant_tokens_mask=True)
        ids = out["input_ids"]
        assert ids == tok(plain, add_special_tokens=False)["input_ids"]
        expected.append({"input_ids": ids, "labels": [t if m else -100 for t, m in zip(ids, out["assistant_masks"])]})
    cases["chat_assistant_prefix_diff"] = expected

    for name, examples in cases.items():
        trained = sum(sum(1 for l in e["labels"] if l != -100) for e in examples)
        total = sum(len(e["input_ids"]) for e in examples)
        assert 0 < trained < total, name
        print(f"{name}: {len(examples)} examples, {total} tokens, {trained} trained")

    versions = {k: __import__(k).__version__ for k in ("transformers", "trl", "tokenizers")}
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, "sft_parity.json"), "w") as f:
        json.dump({"source": "TRL SFTTrainer preprocessing, SmolLM2-135M-Instruct tokenizer (GGUF + Digits)",
                   "versions": versions, "system_prompt": SYSTEM, "generation_template": GENERATION_CHATML,
                   "rows": rows, "conversations": conversations, "cases": cases}, f, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
