#!/usr/bin/env python3
"""Golden renders of real chat templates by transformers' own Jinja renderer.

For every template in Tests/ChatTemplateTests/Fixtures/templates/*.jinja this renders a set of
conversations (with and without a system prompt, single and multi-turn, with and without
add_generation_prompt, tool calls, unicode and whitespace, and conversations the template
rejects) through `transformers.utils.chat_template_utils.render_jinja_template` — the function
`tokenizer.apply_chat_template(..., tokenize=False)` calls — and writes the text, the
`{% generation %}` indices, or the error message to Fixtures/chat_template_cases.json.

Run: .venv/bin/python tools/reference/chat_template_fixtures.py
"""
import datetime as _dt
import json
import re
import pathlib

import transformers
from transformers.utils import chat_template_utils as ctu

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "ChatTemplateTests" / "Fixtures"
TEMPLATES = FIXTURES / "templates"

# strftime_now reads the wall clock; pin it so the fixtures are reproducible (local time).
FIXED_NOW = _dt.datetime(2024, 7, 26, 12, 0, 0)


class _FixedDatetime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED_NOW


ctu.datetime = _FixedDatetime

TOKENS = {
    "llama2-chat": ("<s>", "</s>"),
    "llama3-instruct": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama3.1-instruct": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama3.2-instruct": ("<|begin_of_text|>", "<|eot_id|>"),
    "mistral-v0.1-instruct": ("<s>", "</s>"),
    "mistral-v0.2-instruct": ("<s>", "</s>"),
    "mistral-v1-system": ("<s>", "</s>"),
    "mistral-v0.3-instruct": ("<s>", "</s>"),
    "mistral-nemo-instruct": ("<s>", "</s>"),
    "qwen2-instruct": (None, "<|im_end|>"),
    "qwen2.5-instruct": (None, "<|im_end|>"),
    "zephyr-7b-beta": ("<s>", "</s>"),
    "phi3-mini-instruct": ("<s>", "<|endoftext|>"),
    "phi3.5-mini-instruct": ("<s>", "<|endoftext|>"),
    "smollm2-instruct": ("<|im_start|>", "<|im_end|>"),
    "hermes2-pro-llama3-tool-use": ("<|begin_of_text|>", "<|im_end|>"),
    "chatml-generation": (None, "<|im_end|>"),
    "qwen3-instruct": (None, "<|im_end|>"),
}

SYSTEM = {"role": "system", "content": "You are a terse assistant. Answer in one line."}
U1 = {"role": "user", "content": "What is the capital of France?"}
A1 = {"role": "assistant", "content": "Paris."}
U2 = {"role": "user", "content": "And of Japan?"}
A2 = {"role": "assistant", "content": "Tokyo."}
SPACEY = [
    {"role": "user", "content": "  Héllo, wörld! 👋\n\nTabs\tand CJK 你好 "},
    {"role": "assistant", "content": "\n  Bonjour — ça va? \"quoted\" 'single' \\backslash\n"},
    {"role": "user", "content": "ok"},
]

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. \"Paris\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
TOOL_CALL_TURNS = [
    {"role": "user", "content": "Weather in Paris?"},
    {
        "role": "assistant",
        "content": None,  # dropped before rendering, as apply_chat_template does
        "tool_calls": [
            {"id": "call12345", "type": "function",
             "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}
        ],
    },
    {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "22.5"},
    {"role": "assistant", "content": "It is 22.5 °C in Paris."},
]

CONVERSATIONS = {
    "single": [U1],
    "system_single": [SYSTEM, U1],
    "multi": [U1, A1, U2],
    "system_multi": [SYSTEM, U1, A1, U2, A2],
    "ends_with_assistant": [U1, A1],
    "unicode_whitespace": SPACEY,
    "bad_alternation": [U1, U2],
    "assistant_first": [A1, U1],
    "unknown_role": [{"role": "narrator", "content": "Once upon a time."}, U1],
}
REASONING_TURNS = [
    U1,
    {"role": "assistant", "reasoning_content": "The user asks about France. Its capital is Paris.", "content": "Paris."},
    U2,
    {"role": "assistant", "thinking": "Japan's capital: Tokyo.", "content": "Tokyo."},
]
def random_conversations(seed, count):
    """Seeded random conversations: odd whitespace, unicode, empty content, roles in and out of order."""
    import random
    rng = random.Random(seed)
    pieces = ["", " ", "\n", "\t", "  ", "hello", "Grüße", "你好", "🙂", "a\r\nb", "{{ not jinja }}", "<|im_end|>", "'\"",
              "\\n", "x" * 40, "end.\n\n"]
    out = []
    for _ in range(count):
        turns = []
        if rng.random() < 0.5:
            turns.append({"role": "system", "content": "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))})
        for i in range(rng.randint(1, 6)):
            role = ["user", "assistant"][i % 2] if rng.random() < 0.9 else rng.choice(["user", "assistant", "system"])
            turns.append({"role": role, "content": "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))})
        out.append(turns)
    return out


RANDOM_TEMPLATES = {"llama2-chat", "llama3-instruct", "mistral-v1-system", "zephyr-7b-beta", "smollm2-instruct",
                    "phi3-mini-instruct", "qwen2.5-instruct", "chatml-generation"}

TOOL_TEMPLATES = {"qwen3-instruct", "llama3.1-instruct", "llama3.2-instruct", "qwen2.5-instruct", "mistral-v0.3-instruct",
                  "mistral-nemo-instruct", "hermes2-pro-llama3-tool-use"}
EXTRA = {"llama3.1-instruct": {"date_string": "26 Jul 2024"}}


def render(template, messages, add_generation_prompt, bos, eos, tools, extra, mask):
    # apply_chat_template drops None-valued message keys before rendering.
    messages = [{k: v for k, v in m.items() if v is not None} for m in messages]
    kwargs = dict(extra)
    if bos is not None:
        kwargs["bos_token"] = bos
    if eos is not None:
        kwargs["eos_token"] = eos
    rendered, indices = ctu.render_jinja_template(
        conversations=[messages], tools=tools, chat_template=template,
        add_generation_prompt=add_generation_prompt, return_assistant_tokens_mask=mask, **kwargs)
    return rendered[0], (indices[0] if indices else [])


# Small templates exercising one construct each, rendered with `SNIPPET_CONTEXT` as extra variables.
SNIPPET_CONTEXT = {
    "s": "  Hello, World!  ", "n": 7, "f": 2.5, "items": [3, 1, 2], "words": ["b", "a", "c"],
    "d": {"z": 1, "a": [1, 2.0, "x", None, True], "k": {"nested": "v"}},
    "msgs": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"},
             {"role": "assistant", "content": "A", "tool_calls": [{"function": {"name": "f"}}]}],
    "text": "line one\nline two\n\nline four",
}
SNIPPETS = [
    "{{ s | trim }}|{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.strip(' !H') }}",
    "{{ s | upper }}|{{ s | lower }}|{{ 'hello wORLD-x (y)' | title }}|{{ 'hello wORLD-x (y)'.title() }}|{{ 'hELLO' | capitalize }}",
    "{{ s.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}",
    "{{ s.startswith('  He') }}{{ s.endswith(('x', '  ')) }}{{ s.replace('l', 'L') }}{{ s | replace('l', 'L', 1) }}",
    "{{ items | length }}{{ s | length }}{{ d | length }}{{ items | count }}{{ items | first }}{{ items | last }}{{ 'abc' | last }}",
    "{{ items | join(', ') }}|{{ words | join }}|{{ msgs | map(attribute='role') | join('/') }}",
    "{{ items | sort }}{{ words | sort(reverse=true) }}{{ items | reverse | list }}{{ items | sum }}{{ items | min }}{{ items | max }}",
    "{{ items[0] }}{{ items[-1] }}{{ items[1:] }}{{ items[:-1] }}{{ items[::-1] }}{{ s[2:7] }}{{ s[::2] }}{{ items[5] }}",
    "{{ d.z }}{{ d['z'] }}{{ d.k.nested }}{{ d.missing }}{{ d.get('z') }}{{ d.get('q', 'dflt') }}{{ d.get('q') }}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{{ d.keys() | list }}",
    "{% for k, v in d | items %}{{ k }}:{{ v }} {% endfor %}|{{ d | tojson }}|{{ d | tojson(indent=2) }}",
    "{{ msgs | tojson(sort_keys=true) }}|{{ 'é\"\\\n' | tojson }}|{{ [1.0, 1e-7, 1e20, -0.5] | tojson }}",
    "{{ [1, 2.0, 'x', none, true, {'k': [1]}] }}|{{ none }}|{{ true }}|{{ 3.0 }}|{{ 1e16 }}|{{ 0.0001 }}|{{ 1/3 }}",
    "{{ 7 // 2 }}{{ -7 // 2 }}{{ -7 % 3 }}{{ 7 % -3 }}{{ 7 / 2 }}{{ 2 ** 10 }}{{ 2 ** -1 }}{{ 1 + 2 * 3 - 4 }}{{ 'ab' * 3 }}{{ [0] * 3 }}",
    "{{ 'a' ~ 1 ~ none ~ true }}|{{ 'a' + 'b' }}|{{ [1] + [2] }}|{{ n + f }}|{{ -n }}|{{ not n }}",
    "{{ 1 < 2 < 3 }}{{ 1 < 3 < 2 }}{{ 'a' in 'cat' }}{{ 'x' not in words }}{{ 'z' in d }}{{ 2 in items }}{{ 1 == 1.0 }}{{ true == 1 }}",
    "{{ n is even }}{{ n is odd }}{{ n is divisibleby 7 }}{{ n is number }}{{ s is string }}{{ d is mapping }}{{ items is iterable }}",
    "{{ x is defined }}{{ x is undefined }}{{ none is none }}{{ true is true }}{{ false is false }}{{ items is sequence }}{{ n is integer }}{{ f is float }}",
    "{{ 'yes' if n > 3 else 'no' }}|{{ 'yes' if n < 3 }}|{{ n and s }}|{{ 0 or 'fallback' }}|{{ '' or none }}",
    "{{ x | default('dflt') }}|{{ '' | default('dflt') }}|{{ '' | default('dflt', true) }}|{{ x | length }}|{{ x }}|{{ x == y }}",
    "{{ '42' | int }}{{ '4.7' | int }}{{ 'x' | int }}{{ 'x' | int(5) }}{{ 4.7 | int }}{{ '2.5' | float }}{{ 3 | float }}{{ -3 | abs }}{{ n | string }}",
    "{{ msgs | selectattr('role', 'equalto', 'user') | list | length }}{{ msgs | rejectattr('role', 'eq', 'user') | map(attribute='content') | list }}",
    "{{ msgs | selectattr('tool_calls', 'defined') | list | length }}{{ msgs | selectattr('tool_calls', 'undefined') | map(attribute='role') | join(',') }}",
    "{{ items | select('odd') | list }}{{ items | reject('even') | list }}{{ words | map('upper') | list }}{{ [1, 1, 2] | unique | list }}",
    "{% for m in msgs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
    "{% for m in msgs if m.role != 'system' %}{{ loop.index }}:{{ m.role }} {% else %}empty{% endfor %}|{% for x in [] %}x{% else %}empty{% endfor %}",
    "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}|{{ range(3) | list }}{{ range(1, 10, 3) | list }}",
    "{% set ns = namespace(count=0, found=false) %}{% for m in msgs %}{% set ns.count = ns.count + 1 %}{% if m.role == 'user' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }}{{ ns.found }}",
    "{% set x = 5 %}{% for i in [1, 2] %}{{ x }}{% set x = i %}{{ x }}{% endfor %}{{ x }}|{% if true %}{% set y = 3 %}{% endif %}{{ y }}",
    "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', '?') }} {{ greet(name='Cy', punct='.') }}",
    "{% macro fact(k) %}{% if k <= 1 %}1{% else %}{{ k }}*{{ fact(k - 1) }}{% endif %}{% endmacro %}{{ fact(5) }}",
    "{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}inside {{ n }}{% endcall %}",
    "{% set block %}  captured {{ n }}  {% endset %}[{{ block }}]{% set t | trim %}  trimmed  {% endset %}[{{ t }}]",
    "{% filter upper %}shout {{ s }}{% endfilter %}|{{ text | indent(2) }}|{{ text | indent(4, true) }}|{{ text | indent(2, blank=true) }}",
    "a  \n  {% if true %}\n    b\n  {% endif %}\n  c\n{# comment #}\n  d {#- trimmed -#}   e\n",
    "{%- for i in items -%}\n  {{ i }}\n{%- endfor %}\n{{- ' end' -}}\n  \n",
    "x {%+ if true %}y{% endif %} z\n    {%+ if true %}kept{% endif +%}\nafter\n    {% raw %}{{ not parsed }}{% endraw %}\n",
    "{{ '<b>&\\'\"</b>' | e }}|{{ '<b>' | safe }}|{{ 'a\tb\x41\u00e9' }}|{{ \"dq's\" }}|{{ 'con' 'cat' }}",
    "{{ text.splitlines() }}{{ 'abcabc'.find('c') }}{{ 'abcabc'.count('b') }}{{ ', '.join(words) }}{{ s.upper().lower().strip() }}",
    "{{ strftime_now('%d %b %Y, %A %H:%M') }}|{{ dict(a=1, b='x') | tojson }}|{{ {'k': n, 'l': [n]} }}",
    "crlf\r\n{% if true %}\r\n  yes\r\n{% endif %}\r\nend\r\n\r\n",
    "\t{% if true %}\ttab-indented tag\n\t{%- endif %}|text {% if true %}mid-line tag keeps space{% endif %}\n",
    "{% for i in items %}\n    {% if i > 1 %}\n        {{ i }},\n    {% endif %}\n{% endfor %}\n",
    "{{- '  a  ' -}}   {{ 'b' }}   {#- c -#}   d   {%- if true -%}   e   {%- endif -%}   f",
    "{{ d | tojson(separators=(',', ':')) }}|{{ 'é😀' | tojson(ensure_ascii=true) }}|{{ [] | tojson(indent=2) }}|{{ {} | tojson }}",
    "{% for m in msgs %}{{ loop.previtem.role if loop.previtem is defined else '-' }}>{{ m.role }}>{{ loop.nextitem.role if not loop.last else '-' }} {% endfor %}",
    "{% set a, b = [1, 2] %}{{ a }}{{ b }}{% for x, y in [[1, 2], [3, 4]] %}{{ x + y }}{% endfor %}{{ (1, 2) | list }}",
    "{{ 'Ünïcödé ß' | upper }}|{{ 'ÀÉ' | lower }}|{{ 'ﬁx' | length }}|{{ '👋🏽' | length }}|{{ 'añb'[1] }}|{{ 'x' * 0 }}",
    "{{ none | string }}|{{ none | default('d') }}|{{ none is defined }}|{{ [] | first }}|{{ {} | items | list }}|{{ 0.1 + 0.2 }}|{{ 3 * 1.5 }}",
    "{{ '{}-{}-{name}-{{literal}}'.format('a', 'b', name='n') }}|{{ '{1}{0}{1}'.format('x', 'y') }}",
    "{{ '{}{0}'.format('a') }}",
    "{% set m = {0: 'zero', 512: 'x', 'k': 1} %}{{ m[512] }}{{ m[0] }}{{ m }}|{{ m | tojson }}|{% for k, v in m.items() %}{{ k }}={{ v }} {% endfor %}|{% for k in m %}{{ k }},{% endfor %}|{{ 512 in m }}{{ m.get(0) }}{{ m[true] }}",
    "{{ {3: 'c', 1: 'a'} | tojson(sort_keys=true) }}|{% for k, v in {2: 'b', 1: 'a'} | dictsort %}{{ k }}{{ v }}{% endfor %}",
    "{{ d.items() | list }}|{{ d | items | list }}|{{ (1,) }}|{{ (1, 'a') }}|{{ () }}|{{ {2: 'b', 1: 'a'} | dictsort }}|{{ (1, 2) + (3,) }}|{{ (1, 2) * 2 }}|{{ (1, 2) == [1, 2] }}|{{ (1, 2) | tojson }}|{{ (3, 1) | sort }}|{{ (1, 2)[1] }}|{{ (1, 2, 3)[1:] }}",
    "{{ x.y }}",
    "{{ 'a' + 1 }}",
    "{{ n + x }}",
    "{% for i in none %}{% endfor %}",
    "{{ raise_exception('custom rejection: ' ~ n) }}",
    "{{ items | tojson | length }}{{ (items | tojson)[1:3] }}{{ d.a[1:3] }}{{ msgs[-1].tool_calls[0].function.name }}",
]


def render_snippets():
    env = ctu._compile_jinja_template
    out = []
    for template in SNIPPETS:
        case = {"template": template}
        try:
            case["text"] = env(template).render(**SNIPPET_CONTEXT)
        except Exception as error:
            case["error"] = str(error)
            case["error_type"] = type(error).__name__
        out.append(case)
    return out


def refresh_smollm2_template():
    """smollm2-instruct.jinja is `tokenizer.chat_template` of the project's real model (GGUF metadata)."""
    path = ROOT / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.exists():
        print(f"note: {path} missing (run scripts/bootstrap.sh); keeping the committed smollm2 template")
        return
    import gguf
    field = gguf.GGUFReader(str(path)).fields["tokenizer.chat_template"]
    (TEMPLATES / "smollm2-instruct.jinja").write_text(bytes(field.parts[field.data[0]]).decode("utf-8"))


def main():
    refresh_smollm2_template()
    cases = []
    for path in sorted(TEMPLATES.glob("*.jinja")):
        name = path.stem
        template = path.read_text()
        bos, eos = TOKENS[name]
        mask = re.search(r"\{%-?\s*generation\s*-?%\}", template) is not None
        convs = dict(CONVERSATIONS)
        if name in TOOL_TEMPLATES:
            convs["tool_calls"] = TOOL_CALL_TURNS
        if name == "qwen3-instruct":
            convs["reasoning"] = REASONING_TURNS
        if name in RANDOM_TEMPLATES:
            for i, turns in enumerate(random_conversations(seed=len(name), count=6)):
                convs[f"random_{i}"] = turns
        for conv_name, messages in convs.items():
            for agp in (False, True):
                tools = [TOOL] if conv_name == "tool_calls" else None
                extra = EXTRA.get(name, {})
                case = {"template": path.name, "conversation": conv_name, "messages": messages,
                        "add_generation_prompt": agp, "bos_token": bos, "eos_token": eos,
                        "tools": tools, "extra": extra}
                try:
                    text, spans = render(template, messages, agp, bos, eos, tools, extra, mask)
                    case["text"] = text
                    case["generation_spans"] = [list(s) for s in spans]
                except Exception as error:  # the template rejected the conversation
                    case["error"] = str(error)
                    case["error_type"] = type(error).__name__
                cases.append(case)
    out = {"transformers": transformers.__version__, "jinja2": __import__("jinja2").__version__,
           "fixed_now": FIXED_NOW.isoformat(), "cases": cases,
           "snippet_context": SNIPPET_CONTEXT, "snippets": render_snippets()}
    (FIXTURES / "chat_template_cases.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases, {sum('error' in c for c in cases)} rejections")


if __name__ == "__main__":
    main()
