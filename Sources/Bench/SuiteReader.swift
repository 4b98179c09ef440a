// Reads a benchmark suite (YAML or JSON) strictly, as the recipe reader does: Recipe's
// `DocumentReader` gives located nodes; every unknown key, wrong type or bad value becomes a
// diagnostic with file:line:col and a fix, and all of them are reported at once.
import Basics
import Foundation
import Models
import Recipe

public enum SuiteReader {
    static let topLevelKeys = ["name", "model", "data", "matrix", "sides", "steps", "warmup_steps", "repeats",
                               "learning_rate", "max_grad_norm", "alpha_per_rank", "seed", "timeout_seconds"]
    static let matrixKeys = ["method", "r", "seq_len", "batch", "gradient_checkpointing", "precision"]
    static let sideKeys = ["label", "command", "prepare", "methods", "builtin", "gradient_checkpointing"]

    /// Reads and checks `url` (`displayPath` names it in messages).
    /// - Throws: `DiagnosticError` with every problem found.
    public static func read(_ url: URL, displayPath: String) throws -> BenchSuite {
        let (root, syntax) = DocumentReader.read(file: url, displayPath: displayPath)
        guard let root, syntax.isEmpty else {
            throw DiagnosticError(syntax.isEmpty ? [Diagnostic(at: nil, "cannot read suite `\(displayPath)`")] : syntax)
        }
        var reader = NodeReader(file: displayPath)
        let suite = reader.suite(root)
        guard let suite, reader.diagnostics.isEmpty else { throw DiagnosticError(reader.diagnostics) }
        return suite
    }
}

/// Walks the located tree, collecting diagnostics instead of stopping at the first.
struct NodeReader {
    let file: String
    var diagnostics: [Diagnostic] = []

    mutating func fail(_ node: YNode?, _ path: String, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(at: node?.location ?? SourceLocation(file: file, line: 1, column: 1), keyPath: path, message, hint: hint))
    }

    /// The entries of a map node, reporting keys outside `allowed` (with a did-you-mean).
    mutating func entries(_ node: YNode, _ path: String, allowed: [String]?) -> [String: YEntry] {
        guard let entries = node.entries else {
            fail(node, path, "expected a map, got \(node.describedKind)")
            return [:]
        }
        var out: [String: YEntry] = [:]
        for entry in entries {
            let keyPath = path.isEmpty ? entry.key : "\(path).\(entry.key)"
            if let allowed, !allowed.contains(entry.key) {
                diagnostics.append(Diagnostic(at: entry.keyLocation, keyPath: keyPath, "unknown key `\(entry.key)`",
                                              hint: NearestName.hint(entry.key, in: allowed) ?? "allowed: \(allowed.joined(separator: ", "))"))
                continue
            }
            out[entry.key] = entry
        }
        return out
    }

    mutating func suite(_ root: YNode) -> BenchSuite? {
        let map = entries(root, "", allowed: SuiteReader.topLevelKeys)
        guard root.entries != nil else { return nil }
        func required(_ key: String) -> YNode? {
            if let node = map[key]?.value { return node }
            diagnostics.append(Diagnostic(at: root.location, keyPath: key, "missing required key `\(key)`",
                                          hint: key == "model" ? "give a .gguf file or a model directory, e.g. model: models/SmolLM2-135M-Instruct.Q4_1.gguf"
                                                               : "add `\(key):` at the top level"))
            return nil
        }
        let name = map["name"].map { string($0.value, "name") } ?? (file as NSString).lastPathComponent
        let model = required("model").map { string($0, "model") } ?? ""
        if !model.isEmpty, !FileManager.default.fileExists(atPath: model) {
            fail(map["model"]?.value, "model", "no such model `\(model)`",
                 hint: model.hasPrefix("models/") ? "run scripts/bootstrap.sh to fetch the model" : "give a .gguf file or a model directory; relative paths resolve against the working directory")
        }
        let seed = map["seed"].map { UInt64(integer($0.value, "seed", min: 0)) } ?? 0
        let data = map["data"].map { self.data($0.value, seed: seed) } ?? .synthetic(seed: seed)
        let cells = self.cells(map["matrix"]?.value)
        let sides = required("sides").map { self.sides($0) } ?? []
        func int(_ key: String, _ fallback: Int, min: Int) -> Int { map[key].map { integer($0.value, key, min: min) } ?? fallback }
        func double(_ key: String, _ fallback: Double, min: Double) -> Double { map[key].map { number($0.value, key, min: min) } ?? fallback }
        return BenchSuite(name: name, file: file, model: model, data: data, cells: cells, sides: sides,
                          steps: int("steps", 3, min: 1), warmupSteps: int("warmup_steps", 1, min: 0), repeats: int("repeats", 3, min: 1),
                          learningRate: double("learning_rate", 2e-4, min: 0), maxGradNorm: double("max_grad_norm", 1, min: 0),
                          alphaPerRank: double("alpha_per_rank", 2, min: 0), seed: seed,
                          timeoutSeconds: double("timeout_seconds", 900, min: 1))
    }

    mutating func data(_ node: YNode, seed: UInt64) -> BenchData {
        if case .scalar("synthetic", _) = node.value { return .synthetic(seed: seed) }
        let map = entries(node, "data", allowed: ["synthetic", "text"])
        if let text = map["text"] {
            if map["synthetic"] != nil { fail(node, "data", "give either `synthetic` or `text`, not both") }
            let path = string(text.value, "data.text")
            if !path.isEmpty, !FileManager.default.fileExists(atPath: path) {
                fail(text.value, "data.text", "no such text file `\(path)`", hint: "relative paths resolve against the working directory")
            }
            return .text(path: path)
        }
        if let synthetic = map["synthetic"] {
            if synthetic.value.isNull { return .synthetic(seed: seed) }
            let options = entries(synthetic.value, "data.synthetic", allowed: ["seed"])
            return .synthetic(seed: options["seed"].map { UInt64(integer($0.value, "data.synthetic.seed", min: 0)) } ?? seed)
        }
        if node.entries != nil { fail(node, "data", "expected `synthetic` or `text`", hint: "data: {text: docs/ARCHITECTURE.md} or data: {synthetic: {seed: 0}}") }
        return .synthetic(seed: seed)
    }

    /// Every combination of the axes (a scalar is a one-value axis).
    mutating func cells(_ node: YNode?) -> [BenchCell] {
        let map = node.map { entries($0, "matrix", allowed: SuiteReader.matrixKeys) } ?? [:]
        func axis<T>(_ key: String, _ fallback: [T], _ parse: (inout NodeReader, YNode, String) -> T?) -> [T] {
            guard let node = map[key]?.value else { return fallback }
            guard case .list(let items) = node.value else { return parse(&self, node, "matrix.\(key)").map { [$0] } ?? [] }
            if items.isEmpty { fail(node, "matrix.\(key)", "an axis needs at least one value") }
            var values: [T] = []
            for (i, item) in items.enumerated() { if let v = parse(&self, item, "matrix.\(key)[\(i)]") { values.append(v) } }
            return values
        }
        let methods = axis("method", [BenchMethod.lora]) { $0.choice($1, $2, BenchMethod.self) }
        let ranks = axis("r", [16]) { $0.integer($1, $2, min: 1) }
        let lengths = axis("seq_len", [256]) { $0.integer($1, $2, min: 2) }
        let batches = axis("batch", [4]) { $0.integer($1, $2, min: 1) }
        let checkpointing = axis("gradient_checkpointing", [true]) { $0.bool($1, $2) }
        let precisions = axis("precision", [BenchPrecision.f32]) { $0.choice($1, $2, BenchPrecision.self) }
        var cells: [BenchCell] = []
        for method in methods {
            for rank in method == .full ? [0] : ranks {
                for length in lengths { for batch in batches { for gc in checkpointing { for precision in precisions {
                    let cell = BenchCell(method: method, rank: rank, sequenceLength: length, batchSize: batch, gradientCheckpointing: gc, precision: precision)
                    if !cells.contains(cell) { cells.append(cell) }
                } } } }
            }
        }
        return cells
    }

    mutating func sides(_ node: YNode) -> [BenchSide] {
        guard let entries = node.entries else {
            fail(node, "sides", "expected a map of side names", hint: "sides: {runner: {}, peft: {command: ...}}")
            return []
        }
        if entries.isEmpty { fail(node, "sides", "a suite needs at least one side") }
        var sides: [BenchSide] = []
        for entry in entries {
            let path = "sides.\(entry.key)"
            let map = entry.value.isNull ? [:] : self.entries(entry.value, path, allowed: SuiteReader.sideKeys)
            let command = map["command"].map { words($0.value, "\(path).command") }
            let methods = map["methods"].map { node -> Set<BenchMethod> in
                let items: [YNode]
                if case .list(let list) = node.value.value { items = list } else { items = [node.value] }
                return Set(items.enumerated().compactMap { choice($0.element, "\(path).methods[\($0.offset)]", BenchMethod.self) })
            } ?? Set(BenchMethod.allCases)
            let builtIn = entry.key == BenchSide.builtInName || map["builtin"].flatMap { bool($0.value, "\(path).builtin") } == true
            if builtIn {
                if let bad = map["command"] ?? map["prepare"] {
                    diagnostics.append(Diagnostic(at: bad.keyLocation, keyPath: "\(path).\(bad.key)", "`\(entry.key)` is a built-in side; it takes no `\(bad.key)`",
                                                  hint: "give your own command another side name" + (entry.key == BenchSide.builtInName ? "" : ", without `builtin: true`")))
                }
            } else if command == nil {
                diagnostics.append(Diagnostic(at: entry.keyLocation, keyPath: path, "unknown side `\(entry.key)`: only `runner` is built in, other sides need a `command`",
                                              hint: (NearestName.hint(entry.key, in: [BenchSide.builtInName]).map { $0 + " or " } ?? "")
                                                + "add command: \".venv/bin/python bench/train/peft_cell.py --spec {spec}\""))
            }
            let checkpointing = map["gradient_checkpointing"].map { sideCheckpointing($0, side: entry.key, builtIn: builtIn) } ?? .layer
            sides.append(BenchSide(name: entry.key, label: map["label"].map { string($0.value, "\(path).label") } ?? entry.key,
                                   command: builtIn ? nil : command, prepare: map["prepare"].map { words($0.value, "\(path).prepare") },
                                   methods: methods, checkpointing: checkpointing))
        }
        return sides
    }

    /// A side's `gradient_checkpointing`: how it checkpoints cells that have it on — `true` (whole
    /// layers, the default) or `selective`, which only runner implements.
    mutating func sideCheckpointing(_ entry: YEntry, side: String, builtIn: Bool) -> ActivationCheckpointing {
        let keyPath = "sides.\(side).gradient_checkpointing"
        guard case .scalar(let text, false) = entry.value.value, ["true", "selective"].contains(text) else {
            let word: String = { if case .scalar(let t, _) = entry.value.value { return t }; return "" }()
            fail(entry.value, keyPath, "expected `true` or `selective`, got \(entry.value.describedKind)",
                 hint: NearestName.hint(word, in: ["true", "selective"]) ?? "cells turn checkpointing on or off (matrix.gradient_checkpointing); a side says how")
            return .layer
        }
        guard text == "selective" else { return .layer }
        if !builtIn {
            diagnostics.append(Diagnostic(at: entry.keyLocation, keyPath: keyPath, "only runner sides recompute selectively; `\(side)` runs a command",
                                          hint: "add `builtin: true` for another runner side, or leave this key out: whole-layer checkpointing"))
        }
        return .selective
    }

    // MARK: scalars

    mutating func string(_ node: YNode, _ path: String) -> String {
        guard case .scalar(let text, _) = node.value, !node.isNull else {
            fail(node, path, "expected a string, got \(node.describedKind)")
            return ""
        }
        return text
    }

    /// A command: a string split on spaces, or a list of words.
    mutating func words(_ node: YNode, _ path: String) -> [String] {
        var words: [String]
        if case .list(let items) = node.value {
            words = items.enumerated().map { string($0.element, "\(path)[\($0.offset)]") }
        } else {
            words = string(node, path).split(separator: " ").map(String.init)
        }
        words.removeAll { $0.isEmpty }
        if words.isEmpty { fail(node, path, "the command is empty") }
        return words
    }

    mutating func integer(_ node: YNode, _ path: String, min: Int) -> Int {
        guard case .scalar(let text, false) = node.value, let value = Int(text) else {
            fail(node, path, "expected an integer, got \(node.describedKind)")
            return min
        }
        if value < min { fail(node, path, "must be ≥ \(min), got \(value)") }
        return Swift.max(value, min)
    }

    mutating func number(_ node: YNode, _ path: String, min: Double) -> Double {
        guard case .scalar(let text, false) = node.value, let value = Double(text), value.isFinite else {
            fail(node, path, "expected a number, got \(node.describedKind)")
            return min
        }
        if value < min { fail(node, path, "must be ≥ \(min), got \(text)") }
        return value
    }

    mutating func bool(_ node: YNode, _ path: String) -> Bool? {
        guard case .scalar(let text, false) = node.value, ["true", "false"].contains(text) else {
            fail(node, path, "expected true or false, got \(node.describedKind)")
            return nil
        }
        return text == "true"
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: YNode, _ path: String, _ type: T.Type) -> T? where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        guard case .scalar(let text, _) = node.value, let value = T(rawValue: text) else {
            let given = node.describedKind
            let word: String = { if case .scalar(let t, _) = node.value { return t }; return "" }()
            fail(node, path, "expected one of \(names.joined(separator: ", ")), got \(given)", hint: NearestName.hint(word, in: names))
            return nil
        }
        return value
    }
}
