// The contract between the recipe side and the pipeline: a recipe after parsing, `extends`
// merging, `--set` overrides, defaults and validation. Pipeline consumes only these types; it
// never sees YAML.
import Basics
import Foundation

/// A typed parameter value after validation. Numbers are typed by the stage's schema, so `2e-4`
/// and `0.0002` are the same `.double`, and a YAML `NO` meant as a string is `.string("NO")`.
public indirect enum ParamValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case list([ParamValue])
    case map([String: ParamValue])

    /// Canonical JSON: keys sorted by UTF-8 bytes, no whitespace, integers as digits, doubles in
    /// their shortest round-trip spelling with an exponent or a dot (so `2` the double and `2` the
    /// int never collide), strings JSON-escaped. Equal values ⇔ equal text; cache keys hash this.
    public var canonicalJSON: String {
        var out = ""
        write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN || d.isInfinite {
                out += "\"\(d)\""  // validation rejects these; spelled so hashing stays total
            } else {
                let s = "\(d)"  // Swift prints the shortest round-trip form, e.g. 0.0002, 2e-05
                out += (s.contains(".") || s.contains("e")) ? s : s + ".0"
            }
        case .string(let s): ParamValue.writeJSONString(s, into: &out)
        case .list(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .map(let entries):
            out += "{"
            for (i, key) in entries.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).enumerated() {
                if i > 0 { out += "," }
                ParamValue.writeJSONString(key, into: &out)
                out += ":"
                entries[key]!.write(into: &out)
            }
            out += "}"
        }
    }

    /// The escaping of canonical JSON — frozen, since cache keys hash it: `\n` `\r` `\t` short,
    /// other controls (`\b` and `\f` too) as `\u00xx`, DEL and non-ASCII as UTF-8.
    private static let canonicalEscaping = JSONStringEscaping(shortBackspaceAndFormFeed: false, escapesDelete: false, asciiOnly: false)

    private static func writeJSONString(_ s: String, into out: inout String) {
        JSONString.append(s, canonicalEscaping, to: &out)
    }
}

/// One stage of a compiled recipe, ready for the pipeline.
public struct StageInstance: Hashable, Sendable {
    /// The stage's name: its key under `stages:` (e.g. `base`, `lora`, `train`).
    public var name: String
    /// The stage kind's identifier (`load`, `quantize`, … or a test-only kind).
    public var kind: String
    /// Every parameter that affects the stage's output, typed, with defaults filled in.
    /// Excludes input references and output destinations.
    public var params: [String: ParamValue]
    /// Input role (e.g. `from`, `model`, `data`, `base`) → name of the upstream stage.
    public var inputs: [String: String]
    /// Parameter key path (e.g. `path`, `source.file`) → absolute path of a file or directory whose
    /// content feeds this stage. The pipeline hashes their bytes into the cache key.
    public var inputFiles: [String: URL]
    /// Parameter key path → remote source (`hf://org/name[@revision][/file.gguf]`) this stage reads.
    /// Like `inputFiles`, not a param: the planner pins each to an immutable revision (a commit)
    /// through `StageRegistry.remoteSources`, and that pin, not the text, feeds the cache key.
    public var remoteInputs: [String: String] = [:]
    /// Where the user asked for this stage's artifact to be materialized (e.g. `save.path`);
    /// absolute. Not part of the cache key: moving an output does not re-run the stage.
    public var outputPath: URL?
    /// The directory `outputPath` must stay inside when it is written (symbolic links included);
    /// nil when the recipe was compiled with `OutputPathPolicy.anywhere`.
    public var outputRoot: URL? = nil
    /// Where the stage is defined, for messages.
    public var location: SourceLocation?
    /// Where each key the recipe wrote (params, inputs, paths) was written — a recipe file or a
    /// `--set[N]` argument — so `plan --explain` can point at the line that changed. Defaults
    /// have no entry.
    public var keyLocations: [String: SourceLocation]

    public init(name: String, kind: String, params: [String: ParamValue], inputs: [String: String] = [:],
                inputFiles: [String: URL] = [:], remoteInputs: [String: String] = [:], outputPath: URL? = nil,
                location: SourceLocation? = nil, keyLocations: [String: SourceLocation] = [:]) {
        self.keyLocations = keyLocations
        self.remoteInputs = remoteInputs
        self.name = name
        self.kind = kind
        self.params = params
        self.inputs = inputs
        self.inputFiles = inputFiles
        self.outputPath = outputPath
        self.location = location
    }
}

/// A validated recipe: what `runner plan` and `runner apply` execute.
public struct CompiledRecipe: Hashable, Sendable {
    public var name: String
    public var version: Int
    public var seed: Int64
    /// The recipe file the user named (the leaf of any `extends` chain), absolute.
    public var file: URL
    /// The directory relative paths in the recipe resolve against (the recipe file's directory).
    public var projectDirectory: URL
    /// Stages in a topological order (inputs before the stages that use them; ties by name).
    public var stages: [StageInstance]
    /// The fully resolved document (extends merged, overrides applied, defaults filled), recorded
    /// in run records so a run can be reproduced and diffed.
    public var resolved: ParamValue

    public init(name: String, version: Int, seed: Int64, file: URL, projectDirectory: URL,
                stages: [StageInstance], resolved: ParamValue) {
        self.name = name
        self.version = version
        self.seed = seed
        self.file = file
        self.projectDirectory = projectDirectory
        self.stages = stages
        self.resolved = resolved
    }
}
