#!/usr/bin/env python3
"""Validates recipes against schemas/recipe.schema.json with the `jsonschema` package — an
independent JSON Schema implementation checking the schema runner generates.

Every recipe in recipes/ and Tests/RecipeTests/Fixtures/recipes/good/ must be valid; a few
broken fixtures (listed below) must be invalid. YAML is read as YAML 1.2 core (only true/false
are booleans, `2e-4` is a number), as runner reads it. Exit status 0 = all as expected.
Usage: .venv/bin/python tools/check_schema.py
"""
import json
import pathlib
import re
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests/RecipeTests/Fixtures/recipes"
# Broken fixtures the schema alone can see are broken (others need cross-stage checks).
MUST_FAIL = ["unknown_key_typo.yaml", "missing_required.yaml", "wrong_types.yaml", "ranges.yaml",
             "block_size.yaml", "enum_values.yaml", "yaml11_booleans.yaml", "wrong_type.json", "unknown_kind.yaml"]


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core booleans and floats."""


Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:float")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"),
    list("-+0123456789."))


def load(path):
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=Yaml12Loader)


def main():
    schema = json.loads((ROOT / "schemas/recipe.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = []
    good = sorted((ROOT / "recipes").glob("*.y*ml")) + sorted((ROOT / "recipes").glob("*.json"))
    good += sorted((FIXTURES / "good").glob("*.yaml")) + sorted((FIXTURES / "good").glob("*.json"))
    good += sorted((FIXTURES / "good/parts").glob("*.yaml"))
    for path in good:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(load(path))]
        if errors:
            failures.append(f"{path.relative_to(ROOT)} should be valid:\n  " + "\n  ".join(errors))
    for name in MUST_FAIL:
        path = FIXTURES / "bad" / name
        if validator.is_valid(load(path)):
            failures.append(f"{path.relative_to(ROOT)} should be invalid but the schema accepts it")
    print(f"checked {len(good)} valid and {len(MUST_FAIL)} invalid recipes")
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
