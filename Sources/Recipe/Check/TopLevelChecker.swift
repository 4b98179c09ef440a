// Checks a recipe's top level — `version`, `name`, `seed`, `stages` (keys starting with `x-` are
// ignored, a home for shared YAML anchors) — and runs the per-stage checks on each stage.
import Basics

/// The top level of a recipe: `version`, `name`, `seed`, `stages`.
struct TopLevel {
    var diagnostics: [Diagnostic] = []
    var version = RecipeLoader.formatVersion
    var name = ""
    var seed: Int64 = 0
    var stages: [CheckedStage] = []
    var stageNames: [String] = []
    var reportMissing = true

    mutating func check(_ root: YNode, catalog: StageCatalog) {
        guard let entries = root.entries else {
            diagnostics.append(Diagnostic(at: root.location, "a recipe must be a map with `version`, `name` and `stages`, got \(root.describedKind)"))
            return
        }
        let start = root.location.map { SourceLocation(file: $0.file, line: 1, column: 1) }
        var typer = ValueTyper()
        for entry in entries where !RecipeLoader.topLevelKeys.contains(entry.key) && !entry.key.hasPrefix("x-") {
            diagnostics.append(Diagnostic(at: entry.keyLocation, keyPath: entry.key, "unknown top-level key `\(entry.key)`",
                                          hint: Suggestions.hint(entry.key, in: RecipeLoader.topLevelKeys)
                                              ?? (catalog.specs.contains { $0.allKeys.contains(entry.key) }
                                                  ? "stage settings go under `stages:` → a stage name"
                                                  : "valid keys: version, name, seed, extends, stages; keys starting with `x-` are ignored")))
        }
        if let entry = root["version"] {
            if case .int(let v)? = typer.typed(entry.value, as: .int, range: nil, keyPath: "version") {
                if v != RecipeLoader.formatVersion {
                    diagnostics.append(Diagnostic(at: entry.value.location, keyPath: "version",
                                                  "unsupported recipe version \(v); this runner reads version \(RecipeLoader.formatVersion)"))
                }
            }
        } else if reportMissing {
            diagnostics.append(Diagnostic(at: start, keyPath: "version", "missing `version`", hint: "add `version: 1` at the top"))
        }
        if let entry = root["name"] {
            if case .string(let n)? = typer.typed(entry.value, as: .string, range: nil, keyPath: "name") {
                if n.isEmpty { diagnostics.append(Diagnostic(at: entry.value.location, keyPath: "name", "the name is empty")) }
                name = n
            }
        } else if reportMissing {
            diagnostics.append(Diagnostic(at: start, keyPath: "name", "missing `name`", hint: "add `name:` with a short name for runs of this recipe"))
        }
        if let entry = root["seed"], case .int(let s)? = typer.typed(entry.value, as: .int, range: .atLeast(0), keyPath: "seed") {
            seed = s
        }
        diagnostics += typer.diagnostics

        guard let stagesEntry = root["stages"] else {
            if reportMissing { diagnostics.append(Diagnostic(at: start, keyPath: "stages", "missing `stages`",
                                          hint: "add `stages:` with named stages such as `base: {kind: load, path: model.gguf}`")) }
            return
        }
        guard let stageEntries = stagesEntry.value.entries, !stageEntries.isEmpty else {
            diagnostics.append(Diagnostic(at: stagesEntry.value.location ?? stagesEntry.keyLocation, keyPath: "stages",
                                          "`stages` must be a map of stage names to stages, got \(stagesEntry.value.describedKind)"))
            return
        }
        var checker = StageChecker(catalog: catalog)
        for entry in stageEntries {
            stageNames.append(entry.key)
            if !Self.isValidStageName(entry.key) {
                checker.diagnostics.append(Diagnostic(at: entry.keyLocation, keyPath: "stages.\(entry.key)",
                                                      "stage name `\(entry.key)` must start with a letter and use only letters, digits, `_` and `-`"))
                continue
            }
            if let stage = checker.check(name: entry.key, entry: entry) { stages.append(stage) }
        }
        diagnostics += checker.diagnostics
    }

    static func isValidStageName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
    }
}
