// A LoRA adapter directory in PEFT's layout — `adapter_config.json` + `adapter_model.safetensors` —
// written by PEFT or by runner: tensor names mapped onto the base's modules, checked against the
// base (architecture, shapes, target modules), ready to merge. DoRA adapters (`use_dora`) carry a
// `lora_magnitude_vector` per module.
import Basics
import Compute
import Formats
import Foundation

public struct PeftAdapter {
    public static let weightsFileName = "adapter_model.safetensors"

    public let directory: URL
    public let config: PeftAdapterConfig
    /// A/B pairs by module path (`model.layers.0.self_attn.q_proj`), in tensor order.
    public let deltas: [LoraDelta]
    /// `modules_to_save` copies trained in full: the LM head (V, C) and/or the token embedding (V, C).
    public let savedLMHead: Tensor?
    public let savedEmbedding: Tensor?

    /// Reads the adapter in `directory`. Names PEFT writes (`base_model.model.<module>.lora_A.weight`),
    /// with or without the adapter name (`lora_A.default.weight`), and `modules_to_save` tensors
    /// (`base_model.model.lm_head.weight`, `…modules_to_save.default.weight`) are understood.
    ///
    /// - Throws: `RunnerError` when a file is missing, the config is malformed (key path), a feature
    ///   cannot be applied (LoRA biases, embedding LoRA, …), a module lacks A or B (or, with `use_dora`,
    ///   its magnitude), A and B disagree on the rank, or tensor names do not map (the first few listed).
    public static func open(_ directory: URL) throws -> PeftAdapter {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunnerError(directory.path, "is not a directory", hint: "give the directory PEFT's save_pretrained (or runner's save stage) wrote")
        }
        let configURL = directory.appendingPathComponent(PeftAdapterConfig.fileName)
        let weightsURL = directory.appendingPathComponent(weightsFileName)
        let missing = [configURL, weightsURL].filter { !FileManager.default.fileExists(atPath: $0.path) }.map(\.lastPathComponent)
        guard missing.isEmpty else {
            let hint = FileManager.default.fileExists(atPath: directory.appendingPathComponent("adapter_model.bin").path)
                ? "adapter_model.bin (pickle) is not read; re-save with safe_serialization=True"
                : "a PEFT adapter directory holds \(PeftAdapterConfig.fileName) and \(weightsFileName)"
            throw RunnerError(directory.path, "has no \(missing.joined(separator: " and "))", hint: hint)
        }
        let config = try PeftAdapterConfig.load(from: configURL)
        try checkSupported(config, file: configURL.path)
        let file = try SafetensorsFile(contentsOf: weightsURL)

        var a: [String: SafetensorsTensorInfo] = [:], b: [String: SafetensorsTensorInfo] = [:], m: [String: SafetensorsTensorInfo] = [:]
        var head: Tensor?, embedding: Tensor?
        var unmapped: [String] = []
        var order: [String] = []
        for info in file.tensors {
            switch TensorRole(peftName: info.name) {
            case .loraA(let module):
                if a[module] == nil && b[module] == nil { order.append(module) }
                a[module] = info
            case .loraB(let module):
                if a[module] == nil && b[module] == nil { order.append(module) }
                b[module] = info
            case .magnitude(let module): m[module] = info
            case .savedLMHead: head = try hostTensor(info, in: file)
            case .savedEmbedding: embedding = try hostTensor(info, in: file)
            case .unsupported(let what):
                throw RunnerError(weightsURL.path, "tensor `\(info.name)` is \(what), which runner cannot apply",
                                  hint: "use a LoRA or DoRA adapter on Linear layers (no LoRA biases, no embedding LoRA)")
            case .unmapped: unmapped.append(info.name)
            }
        }
        guard unmapped.isEmpty else {
            let shown = unmapped.prefix(3).map { "`\($0)`" }.joined(separator: ", ")
            throw RunnerError(weightsURL.path, "\(unmapped.count) tensor name\(unmapped.count == 1 ? "" : "s") do not map onto a LoRA adapter: \(shown)\(unmapped.count > 3 ? ", …" : "")",
                              hint: "expected PEFT names such as base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
        }
        try checkMagnitudes(m, adapted: Set(order), useDora: config.useDora, file: weightsURL.path)
        var deltas: [LoraDelta] = []
        for module in order {
            guard let infoA = a[module], let infoB = b[module] else {
                throw RunnerError(weightsURL.path, "module `\(module)` has lora_\(a[module] == nil ? "B" : "A") but no lora_\(a[module] == nil ? "A" : "B")",
                                  hint: "the adapter file is incomplete; re-save it")
            }
            guard infoA.shape.count == 2, infoB.shape.count == 2, infoA.shape[0] == infoB.shape[1] else {
                throw RunnerError(weightsURL.path, "module `\(module)`: lora_A \(infoA.shape) and lora_B \(infoB.shape) are not (r, in) and (out, r) of one rank r")
            }
            let rank = infoA.shape[0]
            let expected = config.rank(for: module)
            guard rank == expected else {
                throw RunnerError(weightsURL.path, "module `\(module)` has rank \(rank), but adapter_config.json says r = \(expected)",
                                  hint: "the config does not belong to these weights")
            }
            var magnitude: [Float]?
            if let infoM = m[module] {
                guard infoM.shape == [infoB.shape[0]] else {
                    throw RunnerError(weightsURL.path, "module `\(module)`: lora_magnitude_vector is \(infoM.shape), but lora_B \(infoB.shape) has \(infoB.shape[0]) output rows",
                                      hint: "a DoRA magnitude holds one value per output row; the adapter file is inconsistent")
                }
                magnitude = try floats(infoM, in: file)
            }
            deltas.append(LoraDelta(module: module, a: try floats(infoA, in: file), b: try floats(infoB, in: file), rank: rank,
                                    inFeatures: infoA.shape[1], outFeatures: infoB.shape[0],
                                    scale: Float(config.scale(alpha: config.alpha(for: module), rank: rank)), magnitude: magnitude))
        }
        guard !deltas.isEmpty || head != nil || embedding != nil else {
            throw RunnerError(weightsURL.path, "holds no LoRA tensors", hint: "expected names ending in lora_A.weight / lora_B.weight")
        }
        return PeftAdapter(directory: directory, config: config, deltas: deltas, savedLMHead: head, savedEmbedding: embedding)
    }

    /// Features of PEFT's LoRA that change the math beyond W + scale·B·A.
    static func checkSupported(_ config: PeftAdapterConfig, file: String) throws {
        guard config.peftType == "LORA" else {
            throw RunnerError(file, "peft_type: `\(config.peftType)` adapters are not supported", hint: "runner applies LORA adapters")
        }
        let unsupported: [(Bool, String, String)] = [
            (config.loraBias, "lora_bias", "biases on lora_B"),
            (config.bias != "none", "bias", "trained base biases (`\(config.bias)`)"),
            (config.fanInFanOut, "fan_in_fan_out", "transposed (Conv1D) weights, which Llama-family models do not have"),
        ]
        for (on, key, what) in unsupported where on {
            throw RunnerError(file, "\(key): the adapter uses \(what), which runner cannot apply", hint: "train a plain LoRA adapter")
        }
        guard config.r > 0 else { throw RunnerError(file, "r: must be a positive integer, got \(config.r)") }
        guard config.loraAlpha.isFinite else { throw RunnerError(file, "lora_alpha: must be a finite number") }
    }

    /// DoRA's magnitudes agree with `use_dora`: one for every adapted module when it is on, none when off.
    static func checkMagnitudes(_ magnitudes: [String: SafetensorsTensorInfo], adapted: Set<String>, useDora: Bool, file: String) throws {
        if let stray = magnitudes.keys.sorted().first(where: { !adapted.contains($0) }) {
            throw RunnerError(file, "module `\(stray)` has a lora_magnitude_vector but no lora_A/lora_B",
                              hint: "the adapter file is incomplete; re-save it")
        }
        if useDora, let missing = adapted.sorted().first(where: { magnitudes[$0] == nil }) {
            throw RunnerError(file, "module `\(missing)` has no lora_magnitude_vector, but adapter_config.json says use_dora: true",
                              hint: "PEFT's DoRA adapters carry one per adapted Linear layer; re-save the adapter")
        }
        if !useDora, let any = magnitudes.keys.sorted().first {
            throw RunnerError(file, "module `\(any)` has a DoRA lora_magnitude_vector, but adapter_config.json says use_dora: false",
                              hint: "set use_dora: true in adapter_config.json if this is a DoRA adapter")
        }
    }

    private static func floats(_ info: SafetensorsTensorInfo, in file: SafetensorsFile) throws -> [Float] {
        guard info.dtype.isFloatingPoint else {
            throw RunnerError(file.fileName, "tensor `\(info.name)` has dtype \(info.dtype.rawValue); expected a float type")
        }
        return try file.floats(of: info)
    }

    private static func hostTensor(_ info: SafetensorsTensorInfo, in file: SafetensorsFile) throws -> Tensor {
        Tensor.host(try floats(info, in: file), shape: Shape(info.shape))
    }
}

extension PeftAdapterConfig {
    /// PEFT's pattern rule: a `rank_pattern` / `alpha_pattern` key applies to a module whose name
    /// is the key or ends with `.key` (keys may be regexes, as in PEFT).
    func patternValue<T>(_ patterns: [String: T], for module: String) -> T? {
        for key in patterns.keys.sorted() {
            if module == key || module.hasSuffix("." + key) { return patterns[key] }
            if let regex = try? Regex("(.*\\.)?(\(key))"), (try? regex.wholeMatch(in: module)) != nil { return patterns[key] }
        }
        return nil
    }

    /// The rank of `module`: its `rank_pattern` entry, else `r`.
    public func rank(for module: String) -> Int { patternValue(rankPattern, for: module) ?? r }
    /// The alpha of `module`: its `alpha_pattern` entry, else `lora_alpha`.
    public func alpha(for module: String) -> Double { patternValue(alphaPattern, for: module) ?? loraAlpha }
}

/// What a tensor of `adapter_model.safetensors` is, by its name.
enum TensorRole: Equatable {
    case loraA(module: String), loraB(module: String), magnitude(module: String)
    case savedLMHead, savedEmbedding
    case unsupported(String)
    case unmapped

    init(peftName name: String) {
        var key = name
        if key.hasPrefix("base_model.model.") { key.removeFirst("base_model.model.".count) }
        // A state dict saved without PEFT's adapter-name stripping: `lora_A.default.weight`, `modules_to_save.default.weight`.
        for marker in [".lora_A.", ".lora_B.", ".modules_to_save."] where key.contains(marker) {
            let parts = key.components(separatedBy: marker)
            if parts.count == 2, let dot = parts[1].firstIndex(of: "."), parts[1][parts[1].index(after: dot)...] == "weight" {
                key = parts[0] + marker + "weight"
            }
        }
        key = key.replacingOccurrences(of: ".modules_to_save.weight", with: ".weight")
        // DoRA: saved as `….lora_magnitude_vector`, in memory `….lora_magnitude_vector.default.weight`.
        if let range = key.range(of: ".lora_magnitude_vector") {
            let tail = key[range.upperBound...]                                                   // "" or ".default.weight"
            let parts = tail.split(separator: ".", omittingEmptySubsequences: false)
            if tail.isEmpty || (parts.count == 3 && parts[0].isEmpty && parts[2] == "weight") {
                self = .magnitude(module: String(key[..<range.lowerBound]))
                return
            }
        }
        if key.hasSuffix(".lora_A.weight") { self = .loraA(module: String(key.dropLast(".lora_A.weight".count))); return }
        if key.hasSuffix(".lora_B.weight") { self = .loraB(module: String(key.dropLast(".lora_B.weight".count))); return }
        switch key {
        case "lm_head.weight": self = .savedLMHead
        case "model.embed_tokens.weight": self = .savedEmbedding
        default:
            if key.contains("lora_embedding_") { self = .unsupported("a LoRA adapter on an embedding") }
            else if key.contains(".lora_B.") && key.hasSuffix(".bias") { self = .unsupported("a lora_B bias") }
            else { self = .unmapped }
        }
    }
}
