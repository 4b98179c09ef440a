// Does an adapter fit a base model? Every adapted module must be a Linear layer the base has, with
// A (r, in) and B (out, r) matching its shape; every target module must name one; saved full
// copies must match the embedding's shape. Each failure names the module and both shapes.
import Basics
import Compute
import Foundation

extension PeftAdapter {
    /// Checks the adapter against a base with `config`; `baseDescription` names the base in errors.
    /// - Throws: `RunnerError` naming the first mismatch (module, expected and found shapes).
    public func validate(against config: LlamaConfig, baseDescription: String) throws {
        let source = directory.appendingPathComponent(Self.weightsFileName).path
        let madeFor = config.architecture.rawValue
        let trainedOn = self.config.baseModelNameOrPath.map { " (the adapter was made for `\($0)`)" } ?? ""
        let shapes = Dictionary(config.weightShapes().map { (WeightNaming.huggingFace.name($0.0), $0.1) }, uniquingKeysWith: { a, _ in a })
        for delta in deltas {
            guard let module = Self.linearModule(delta.module) else {
                throw RunnerError(source, "module `\(delta.module)` is not a Linear layer of a \(madeFor) model\(trainedOn)",
                                  hint: "adapters apply to model.layers.N.self_attn.{q,k,v,o}_proj and model.layers.N.mlp.{gate,up,down}_proj")
            }
            guard module.layer < config.layerCount else {
                throw RunnerError(source, "module `\(delta.module)` is in layer \(module.layer), but \(baseDescription) has \(config.layerCount) layers\(trainedOn)",
                                  hint: "merge the adapter into the model it was trained on")
            }
            guard let shape = shapes[delta.module + ".weight"] else { continue }
            let (out, inFeatures) = (shape[0], shape[1])
            guard delta.inFeatures == inFeatures, delta.outFeatures == out else {
                throw RunnerError(source, "module `\(delta.module)`: lora_A is [\(delta.rank), \(delta.inFeatures)] and lora_B [\(delta.outFeatures), \(delta.rank)], "
                                  + "but \(baseDescription)'s weight is [\(out), \(inFeatures)]\(trainedOn)",
                                  hint: "the adapter was trained on a model of another size; use that model as the base")
            }
        }
        let modulePaths = (0..<config.layerCount).flatMap { layer in LinearModule.allCases.map { $0.path(layer: layer) } }
        if self.config.targetModulesRegex, let pattern = self.config.targetModules.first {
            // PEFT full-matches a string `target_modules` against every module's name.
            let regex = try? Regex(pattern)
            guard let regex, modulePaths.contains(where: { (try? regex.wholeMatch(in: $0)) != nil }) else {
                throw RunnerError(directory.appendingPathComponent(PeftAdapterConfig.fileName).path,
                                  "target_modules: the pattern `\(pattern)` \(regex == nil ? "is not a valid regular expression" : "matches no Linear layer of \(baseDescription) (\(madeFor))")\(trainedOn)",
                                  hint: "module names look like model.layers.0.self_attn.q_proj")
            }
        } else {
            for target in self.config.targetModules
            where !modulePaths.contains(where: { $0 == target || $0.hasSuffix("." + target) }) {
                throw RunnerError(directory.appendingPathComponent(PeftAdapterConfig.fileName).path,
                                  "target_modules: `\(target)` names no Linear layer of \(baseDescription) (\(madeFor))\(trainedOn)",
                                  hint: "its Linear layers: \(LinearModule.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        for (name, tensor) in [("lm_head", savedLMHead), ("embed_tokens", savedEmbedding)] {
            guard let tensor else { continue }
            let expected: Shape = [config.vocabSize, config.hiddenSize]
            guard tensor.shape == expected else {
                throw RunnerError(source, "modules_to_save `\(name)` has shape \(tensor.shape), but \(baseDescription)'s is \(expected)\(trainedOn)",
                                  hint: "the adapter was trained on a model with another vocabulary or width")
            }
        }
    }

    /// `model.layers.N.<parent>.<module>` → (N, module), when it names a Linear layer of a block.
    static func linearModule(_ path: String) -> (layer: Int, module: LinearModule)? {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "model", parts[1] == "layers", let layer = Int(parts[2]), layer >= 0,
              let module = LinearModule(rawValue: String(parts[4])), module.parent == parts[3] else { return nil }
        return (layer, module)
    }
}
