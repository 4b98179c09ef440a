// Generates docs/RECIPES.md, the recipe reference, from the stage definitions: the language
// rules, then every stage kind with its inputs, params (type, default, range, doc) and output.
// `runner docs` can print it; the committed file is checked against it by a test.

public enum RecipeDocs {
    /// The Markdown reference (ends with a newline).
    public static func generate(catalog: StageCatalog = .builtin) -> String {
        var out = preamble
        out += "\n## Stage kinds\n\n"
        out += "| kind | produces | summary |\n|---|---|---|\n"
        for spec in catalog.specs {
            out += "| [`\(spec.kind)`](#\(spec.kind)) | \(outputText(spec)) | \(escape(spec.summary)) |\n"
        }
        for spec in catalog.specs { out += "\n" + section(spec) }
        return out
    }

    static func outputText(_ spec: StageSpec) -> String {
        var text = spec.output.noun
        for rule in spec.outputWhen { text += "; \(rule.output.noun) when `\(rule.param): \(rule.value)`" }
        return text
    }

    static func section(_ spec: StageSpec) -> String {
        var out = "### \(spec.kind)\n\n\(spec.summary)\n\n"
        out += "Produces \(outputText(spec)).\n"
        if spec.usesSeed { out += "Uses the recipe `seed` (it becomes this stage's `seed` param, so changing the seed re-runs this stage).\n" }
        if !spec.inputs.isEmpty {
            out += "\n| input | accepts | required | description |\n|---|---|---|---|\n"
            for role in spec.inputs {
                var accepts = ArtifactKind.describe(role.accepts)
                for rule in role.acceptsWhen {
                    accepts += "; with `\(rule.param): \(rule.value)`: " + ArtifactKind.describe(rule.accepts)
                }
                out += "| `\(role.key)` | \(accepts) | \(role.required ? "yes" : "no") | \(escape(role.doc)) |\n"
            }
        }
        if !spec.params.isEmpty {
            out += "\n| key | type | default | range | description |\n|---|---|---|---|---|\n"
            for param in spec.params {
                let def: String
                if param.required { def = "**required**" }
                else if let value = param.defaultValue { def = "`\(yaml(value))`" + (param.defaultUnlessSet.map { " unless `\($0)` is set" } ?? "") }
                else { def = "—" }
                var doc = param.doc
                if case .path(.input) = param.type { doc += " Local paths must exist; their content (not their name) feeds the cache key." }
                if case .path(.output) = param.type { doc += " The result is materialized here; the path is not part of the cache key." }
                out += "| `\(param.key)` | \(escape(param.type.name)) | \(def) | \(param.range?.text ?? "") | \(escape(doc)) |\n"
            }
        }
        if !spec.rules.isEmpty {
            out += "\n" + spec.rules.map { "- \($0.text)" }.joined(separator: "\n") + "\n"
        }
        return out
    }

    /// A default value as a recipe would write it.
    static func yaml(_ value: ParamValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)"
        case .string(let s): return s
        case .list(let items): return "[" + items.map(yaml).joined(separator: ", ") + "]"
        case .map(let entries): return "{" + entries.keys.sorted().map { "\($0): \(yaml(entries[$0]!))" }.joined(separator: ", ") + "}"
        }
    }

    static func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }

    static let preamble = """
    <!-- Generated from Sources/Recipe/Stages by `runner docs`; do not edit by hand (RecipeTests checks it). -->
    # Recipes

    A recipe is a YAML or JSON file describing a fine-tuning run as named **stages** that form a
    DAG: each stage has one `kind` and names the stages it takes inputs from, so one quantized base
    can feed two LoRA variants. `runner validate` reports every problem at once, each with
    `file:line:column`, the key path, what was expected and, for typos, the nearest valid key.
    Editors can complete and check recipes with the JSON Schema in `schemas/recipe.schema.json`
    (`runner schema` prints it).

    ```yaml
    version: 1
    name: smollm2-facts
    seed: 42
    stages:
      base:    {kind: load, path: ../models/SmolLM2-135M-Instruct.Q4_1.gguf}
      q4:      {kind: quantize, from: base, method: nf4}
      prep:    {kind: prepare_kbit, from: q4}
      adapter: {kind: lora, from: prep, r: 16, alpha: 32}
      data:    {kind: dataset, path: data/facts.jsonl, tokenizer: base, format: alpaca}
      train:   {kind: train, model: adapter, data: data, max_steps: 60, learning_rate: 2e-4}
      out:     {kind: save, from: train, path: out/adapter}
    ```

    ## Top level

    | key | type | default | description |
    |---|---|---|---|
    | `version` | integer | **required** | Recipe format version; must be `1`. |
    | `name` | string | **required** | Short name for runs of this recipe. |
    | `seed` | integer ≥ 0 | `0` | Seed for every random choice; it is passed to the stages that use randomness (marked below), so changing it re-runs only those. |
    | `extends` | path | — | Another recipe (relative to this file) this one is merged over. |
    | `stages` | map | **required** | Stage name → stage. Names start with a letter and use letters, digits, `_`, `-`. |
    | `x-…` | anything | — | Ignored: a place for YAML anchors that stages share (`x-lora: &lora {r: 16}` … `<<: *lora`). |

    ## Values

    - **Types are strict and come from the stage definitions**, not from how YAML guesses: a
      string key keeps `NO`, `yes` or `1.0` as the strings "NO", "yes", "1.0".
    - **Booleans are `true` and `false` only.** YAML 1.1's `yes`/`no`/`on`/`off` are rejected for
      boolean keys, with a message saying which one to write.
    - **Numbers** may be written in any spelling (`2e-4`, `0.0002`, `2.0E-4`); they compile to the
      same value, so they do not change cache keys. A quoted number (`"32"`) is a string and is
      rejected where a number is expected. Integer keys reject `32.0`.
    - **`null`** (or `~`) unsets a key: the default applies. In a recipe that `extends` another,
      `null` removes what the parent set (a whole stage, too).
    - **Paths** are relative to the directory of the recipe file they are written in (for `--set`, the
      recipe named on the command line). Input files (dataset and eval files, local
      models) must exist; their *content* feeds the cache key, so renaming or touching a file
      re-runs nothing. Output paths (`save.path`, `export.path`, `merge.path`) are where results are
      materialized and are not part of the cache key. `hf://org/name[@revision]` sources are not
      checked on disk.
    - **Duplicate keys** are errors (in YAML and JSON), reported at the second one with the line of
      the first. Unknown keys are errors at every depth, with a did-you-mean suggestion.
    - Anchors, aliases and `<<` merge keys work; expansion is bounded (a document may expand to at
      most 100 000 values and nest at most 64 levels; files are at most 1 MiB), so a "billion
      laughs" file fails fast with a clear error.

    ## extends

    `extends: base.yaml` loads that recipe first (chains are allowed; cycles are errors) and merges
    this one over it: maps merge key by key, scalars and lists replace, `null` removes. Every value
    keeps the file and line it came from, so messages point at the right file.

    ## --set overrides

    `runner validate recipe.yaml --set stages.lora.r=32 --set stages.train.target_modules=[q_proj,v_proj]`
    sets a key path (creating maps as needed; a map value merges like `extends`). The value is
    parsed as YAML (`32`, `2e-4`, `[a, b]`, `{r: 4}`; empty unsets) and then typed and validated
    exactly as if it were written in the file. Diagnostics about it point at `--set[N]:1:column`,
    N being the override's position (1-based) among the `--set` options.

    ## What compilation produces

    Each stage compiles to its kind, its inputs (role → stage name), its params with every default
    filled in (canonical: key order, comments, YAML vs JSON and number spelling change nothing),
    the absolute paths of its input files, and its output path. Stages are ordered so that inputs
    come first (ties by name). A stage's cache key is built from exactly these, so a change re-runs
    the stage and everything downstream of it, and nothing else.

    """
}
