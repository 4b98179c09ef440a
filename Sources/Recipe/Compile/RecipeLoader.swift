// The public entry points: validate a recipe (every diagnostic at once) or compile it into the
// `CompiledRecipe` the pipeline executes. Parsing, `extends`, `--set`, per-stage checks, graph
// checks and compilation run in that order; later phases run as far as earlier errors allow.
import Basics
import Foundation

public enum RecipeLoader {
    /// The recipe format version this build understands.
    public static let formatVersion = 1
    static let topLevelKeys = ["version", "name", "seed", "extends", "stages"]

    /// Every diagnostic for the recipe at `file` with `overrides` (`stages.lora.r=32`, as given to
    /// `--set`, in order), errors and warnings, sorted by file and position. Empty = valid.
    public static func validate(file: URL, overrides: [String] = [], catalog: StageCatalog = .builtin,
                                displayPath: String? = nil) -> [Diagnostic] {
        analyze(file: file, overrides: overrides, catalog: catalog, displayPath: displayPath).diagnostics
    }

    /// Compiles the recipe, or throws every error found (warnings are dropped; use `validate` to see them).
    public static func compile(file: URL, overrides: [String] = [], catalog: StageCatalog = .builtin,
                               displayPath: String? = nil) throws(DiagnosticError) -> CompiledRecipe {
        let (recipe, diagnostics) = analyze(file: file, overrides: overrides, catalog: catalog, displayPath: displayPath)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty, let recipe else { throw DiagnosticError(errors) }
        return recipe
    }

    /// Both: the compiled recipe when there are no errors, and all diagnostics (warnings included).
    public static func analyze(file: URL, overrides: [String] = [], catalog: StageCatalog = .builtin,
                               displayPath: String? = nil, limits: DocumentReader.Limits = .init()) -> (recipe: CompiledRecipe?, diagnostics: [Diagnostic]) {
        let display = displayPath ?? file.relativePath
        let absolute = file.standardizedFileURL.absoluteURL
        var diagnostics: [Diagnostic] = []
        let (loaded, found, directories) = DocumentAssembly.load(file: absolute, displayPath: display, limits: limits)
        diagnostics += found
        guard var root = loaded else { return (nil, sorted(diagnostics)) }
        let (overridden, overrideDiagnostics) = DocumentAssembly.applyOverrides(overrides, to: root, limits: limits)
        root = overridden
        diagnostics += overrideDiagnostics

        var top = TopLevel()
        // When a parent recipe could not be loaded, what it would have provided is not "missing".
        top.reportMissing = !found.contains { $0.keyPath == "extends" }
        top.check(root, catalog: catalog)
        diagnostics += top.diagnostics
        let checked = top.stages
        var graph = StageGraph(checked)
        let referencesOK = graph.checkReferences(allStageNames: top.stageNames)
        let order = graph.order()
        diagnostics += graph.diagnostics

        var recipe: CompiledRecipe? = nil
        if referencesOK, let order {
            var compiler = StageCompiler(seed: top.seed, projectDirectory: absolute.deletingLastPathComponent(), fileDirectories: directories)
            let instances = order.map { compiler.compile($0, catalog: catalog) }
            diagnostics += compiler.diagnostics
            diagnostics += lineageChecks(instances, checked: checked, compiler: compiler)
            if top.stageNames.count == checked.count {
                recipe = CompiledRecipe(name: top.name, version: top.version, seed: top.seed, file: absolute,
                                        projectDirectory: absolute.deletingLastPathComponent(), stages: instances,
                                        resolved: resolvedDocument(top: top, instances: instances, checked: checked))
            }
        }
        if diagnostics.contains(where: { $0.severity == .error }) { recipe = nil }
        return (recipe, sorted(diagnostics))
    }

    /// Cross-stage sense checks that need the whole compiled graph.
    private static func lineageChecks(_ instances: [StageInstance], checked: [CheckedStage], compiler: StageCompiler) -> [Diagnostic] {
        var out: [Diagnostic] = []
        func location(_ stage: String, _ role: String) -> SourceLocation? {
            checked.first { $0.name == stage }?.input(role)?.location
        }
        for stage in instances where !compiler.kindErrors.contains(stage.name) {
            if stage.kind == StageKind.merge.rawValue, let adapter = stage.inputs["adapter"], let base = stage.inputs["base"] {
                let adapterRoot = compiler.modelRoot(adapter), baseRoot = compiler.modelRoot(base)
                if adapterRoot != baseRoot {
                    out.append(Diagnostic(at: location(stage.name, "base") ?? stage.location, keyPath: "stages.\(stage.name).base",
                                          "`\(adapter)` holds an adapter trained on `\(adapterRoot)`, but it would be merged into `\(base)`"
                                            + (base == baseRoot ? "" : ", which comes from `\(baseRoot)`"),
                                          hint: "merge an adapter into the model it was trained on: `\(adapterRoot)` or a stage derived from it"))
                }
            }
            if stage.kind == StageKind.train.rawValue, let model = stage.inputs["model"], let data = stage.inputs["data"],
               let tokenizer = compiler.compiled[data]?.inputs["tokenizer"] {
                let modelRoot = compiler.modelRoot(model), tokenizerRoot = compiler.modelRoot(tokenizer)
                if modelRoot != tokenizerRoot {
                    out.append(Diagnostic(.warning, at: location(stage.name, "data") ?? stage.location, keyPath: "stages.\(stage.name).data",
                                          "`\(data)` is tokenized with the tokenizer of `\(tokenizerRoot)`, but the model being trained comes from `\(modelRoot)`",
                                          hint: "set the dataset's `tokenizer` to a stage of the same model"))
                }
            }
        }
        return out
    }

    /// The whole recipe as data (extends merged, overrides applied, defaults filled) for run records.
    private static func resolvedDocument(top: TopLevel, instances: [StageInstance], checked: [CheckedStage]) -> ParamValue {
        var stages: [String: ParamValue] = [:]
        let byName = Dictionary(checked.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for instance in instances {
            var entries = instance.params
            entries["kind"] = .string(instance.kind)
            for (role, upstream) in instance.inputs { entries[role] = .string(upstream) }
            for key in instance.inputFiles.keys { if case .string(let s)? = byName[instance.name]?.written[key] { entries[key] = .string(s) } }
            if instance.outputPath != nil, let spec = byName[instance.name]?.spec {
                for p in spec.params { if case .path(.output) = p.type, case .string(let s)? = byName[instance.name]?.written[p.key] { entries[p.key] = .string(s) } }
            }
            stages[instance.name] = .map(entries)
        }
        return .map(["version": .int(Int64(top.version)), "name": .string(top.name), "seed": .int(top.seed), "stages": .map(stages)])
    }

    /// File order as read (the leaf recipe first is not guaranteed); then line, column.
    private static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen: Set<Diagnostic> = []
        let unique = diagnostics.filter { seen.insert($0).inserted }
        return unique.enumerated().sorted { a, b in
            let (x, y) = (a.element.location, b.element.location)
            switch (x, y) {
            case let (x?, y?):
                if x.file != y.file { return x.file < y.file }
                if x.line != y.line { return x.line < y.line }
                if x.column != y.column { return x.column < y.column }
                return a.offset < b.offset
            case (nil, _?): return true
            case (_?, nil): return false
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
    }
}

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
