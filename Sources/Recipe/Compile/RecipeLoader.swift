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
    /// `outputs`: where output paths may point (outside the project directory is an error by default).
    public static func validate(file: URL, overrides: [String] = [], catalog: StageCatalog = .builtin,
                                displayPath: String? = nil, outputs: OutputPathPolicy = .insideProject) -> [Diagnostic] {
        analyze(file: file, overrides: overrides, catalog: catalog, displayPath: displayPath, outputs: outputs).diagnostics
    }

    /// Compiles the recipe, or throws every error found (warnings are dropped; use `validate` to see them).
    public static func compile(file: URL, overrides: [String] = [], catalog: StageCatalog = .builtin,
                               displayPath: String? = nil, outputs: OutputPathPolicy = .insideProject) throws(DiagnosticError) -> CompiledRecipe {
        let (recipe, diagnostics) = analyze(file: file, overrides: overrides, catalog: catalog, displayPath: displayPath, outputs: outputs)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty, let recipe else { throw DiagnosticError(errors) }
        return recipe
    }

    /// Both: the compiled recipe when there are no errors, and all diagnostics (warnings included).
    public static func analyze(file: URL, overrides: [String] = [], catalog: StageCatalog = .builtin,
                               displayPath: String? = nil, limits: DocumentReader.Limits = .init(),
                               outputs: OutputPathPolicy = .insideProject) -> (recipe: CompiledRecipe?, diagnostics: [Diagnostic]) {
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

        // Compile even when the graph is broken (in document order, checking only the inputs
        // already compiled), so missing files and the like are reported in the same run.
        let graphOK = referencesOK && order != nil
        var compiler = StageCompiler(seed: top.seed, projectDirectory: absolute.deletingLastPathComponent(), fileDirectories: directories,
                                     outputPolicy: outputs)
        let instances = ((graphOK ? order : nil) ?? checked).map { compiler.compile($0, catalog: catalog) }
            .map { outputs == .insideProject ? $0.confiningOutput(to: absolute.deletingLastPathComponent()) : $0 }
        diagnostics += compiler.diagnostics
        var recipe: CompiledRecipe? = nil
        if graphOK {
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
