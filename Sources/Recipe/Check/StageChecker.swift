// Checks one stage's map against its kind's definition: known kind, known keys (with
// did-you-mean), input references written as stage names, every param typed and in range,
// required keys present, cross-param rules. Works per stage; the graph is checked elsewhere.
import Basics

/// A stage after its own keys were checked: typed params as written, and named inputs.
struct CheckedStage {
    struct Input {
        var role: String
        var stage: String
        var location: SourceLocation?
    }

    var name: String
    var spec: StageSpec
    /// Where the stage's name is written (its key under `stages:`).
    var location: SourceLocation?
    var inputs: [Input]
    /// Params the recipe wrote, typed.
    var written: [String: ParamValue]
    var writtenLocations: [String: SourceLocation?]

    func input(_ role: String) -> Input? { inputs.first { $0.role == role } }
}

struct StageChecker {
    let catalog: StageCatalog
    var diagnostics: [Diagnostic] = []

    init(catalog: StageCatalog) { self.catalog = catalog }

    mutating func check(name: String, entry: YEntry) -> CheckedStage? {
        let keyPath = "stages.\(name)"
        guard let entries = entry.value.entries else {
            diagnostics.append(Diagnostic(at: entry.value.location ?? entry.keyLocation, keyPath: keyPath,
                                          "a stage must be a map with a `kind`, got \(entry.value.describedKind)",
                                          hint: "e.g. `\(name): {kind: load, path: model.gguf}`"))
            return nil
        }
        guard let kindEntry = entries.first(where: { $0.key == "kind" }) else {
            diagnostics.append(Diagnostic(at: entry.keyLocation, keyPath: keyPath, "stage `\(name)` has no `kind`",
                                          hint: "add `kind:` with one of \(Suggestions.list(catalog.kinds))"))
            return nil
        }
        guard case .scalar(let kind, _) = kindEntry.value.value else {
            diagnostics.append(Diagnostic(at: kindEntry.value.location, keyPath: "\(keyPath).kind",
                                          "expected a stage kind, got \(kindEntry.value.describedKind)",
                                          hint: "one of \(Suggestions.list(catalog.kinds))"))
            return nil
        }
        guard let spec = catalog[kind] else {
            let hint = Suggestions.hint(kind, in: catalog.kinds) ?? "valid kinds: \(Suggestions.list(catalog.kinds))"
            diagnostics.append(Diagnostic(at: kindEntry.value.location, keyPath: "\(keyPath).kind", "unknown stage kind `\(kind)`", hint: hint))
            return nil
        }

        var stage = CheckedStage(name: name, spec: spec, location: entry.keyLocation, inputs: [], written: [:], writtenLocations: [:])
        var typer = ValueTyper()
        for item in entries where item.key != "kind" {
            let path = "\(keyPath).\(item.key)"
            if spec.input(item.key) != nil {
                guard case .scalar(let target, _) = item.value.value, !target.isEmpty else {
                    diagnostics.append(Diagnostic(at: item.value.location, keyPath: path,
                                                  "expected the name of another stage, got \(item.value.describedKind)"))
                    continue
                }
                stage.inputs.append(.init(role: item.key, stage: target, location: item.value.location))
            } else if let param = spec.param(item.key) {
                if let value = typer.typed(item.value, as: param.type, range: param.range, keyPath: path) {
                    stage.written[item.key] = value
                }
                stage.writtenLocations[item.key] = item.value.location
            } else {
                diagnostics.append(unknownKey(item, in: spec, keyPath: path))
            }
        }
        diagnostics += typer.diagnostics

        for role in spec.inputs where role.required && stage.input(role.key) == nil {
            diagnostics.append(Diagnostic(at: entry.keyLocation, keyPath: keyPath,
                                          "`\(kind)` stage `\(name)` is missing required input `\(role.key)`",
                                          hint: "add `\(role.key):` naming \(sentence(role.doc))"))
        }
        for param in spec.params where param.required && stage.writtenLocations[param.key] == nil {
            diagnostics.append(Diagnostic(at: entry.keyLocation, keyPath: keyPath,
                                          "`\(kind)` stage `\(name)` is missing required key `\(param.key)` (\(param.type.name))",
                                          hint: "add `\(param.key):` — \(sentence(param.doc))"))
        }
        checkRules(spec, stage, keyPath: keyPath)
        return stage
    }

    private func unknownKey(_ item: YEntry, in spec: StageSpec, keyPath: String) -> Diagnostic {
        var hint = Suggestions.hint(item.key, in: spec.allKeys)
        if hint == nil, let owner = catalog.specs.first(where: { $0.allKeys.contains(item.key) && $0.kind != spec.kind }) {
            hint = "`\(item.key)` is a key of `\(owner.kind)` stages"
        }
        return Diagnostic(at: item.keyLocation, keyPath: keyPath, "unknown key `\(item.key)` in a `\(spec.kind)` stage",
                          hint: hint ?? "valid keys: \(spec.allKeys.joined(separator: ", "))")
    }

    private mutating func checkRules(_ spec: StageSpec, _ stage: CheckedStage, keyPath: String) {
        func text(_ key: String) -> String? {
            if let v = stage.written[key] ?? spec.param(key)?.defaultValue {
                switch v {
                case .string(let s): return s
                case .bool(let b): return b ? "true" : "false"
                default: return v.canonicalJSON
                }
            }
            return nil
        }
        for rule in spec.rules {
            switch rule.check {
            case .exclusive(let keys):
                let present = keys.filter { stage.writtenLocations[$0] != nil }
                if present.count > 1 {
                    diagnostics.append(Diagnostic(at: stage.writtenLocations[present[1]] ?? stage.location, keyPath: "\(keyPath).\(present[1])",
                                                  "set either \(Suggestions.list(present)), not both",
                                                  hint: "remove one of them"))
                }
            case .requires(let param, let value, let required):
                if text(param) == value, stage.writtenLocations[required] == nil {
                    diagnostics.append(Diagnostic(at: stage.writtenLocations[param] ?? stage.location, keyPath: "\(keyPath).\(required)",
                                                  "`\(param): \(value)` needs `\(required)`",
                                                  hint: spec.param(required).map { "add `\(required):` — \(sentence($0.doc))" }))
                }
            case .onlyWith(let key, let param, let values):
                if let location = stage.writtenLocations[key], let actual = text(param), !values.contains(actual) {
                    diagnostics.append(Diagnostic(.warning, at: location, keyPath: "\(keyPath).\(key)",
                                                  "`\(key)` has no effect unless `\(param)` is \(Suggestions.list(values)) (it is `\(actual)`)",
                                                  hint: "remove `\(key)` or set `\(param): \(values[0])`"))
                }
            }
        }
    }
}

/// A doc string as a clause inside a sentence: lower-case start, no final period.
func sentence(_ s: String) -> String {
    let trimmed = s.hasSuffix(".") ? String(s.dropLast()) : s
    return lowercasedFirst(trimmed)
}

func lowercasedFirst(_ s: String) -> String {
    guard let first = s.first else { return s }
    if s.dropFirst().first?.isUppercase == true { return s }  // keep acronyms such as "GGUF"
    return first.lowercased() + s.dropFirst()
}
