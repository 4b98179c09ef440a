// Sampling defaults shipped with a model (`generation_config.json`), in HF semantics.
import Basics
import Foundation

/// How to pick the next token. Defaults follow transformers' `GenerationConfig`.
public struct SamplingParameters: Equatable, Sendable {
    /// false → greedy (argmax after the repetition penalty), as HF's `do_sample=False`.
    public var doSample = false
    public var temperature: Float = 1
    /// Keep the k most likely tokens (0 = off).
    public var topK = 50
    /// Keep the smallest set whose probability reaches p (1 = off).
    public var topP: Float = 1
    /// > 1 discourages tokens already in the context (HF `repetition_penalty`; 1 = off).
    public var repetitionPenalty: Float = 1
    /// Seed of the sampling random stream (same seed, same tokens).
    public var seed: UInt64 = 0

    public init(doSample: Bool = false, temperature: Float = 1, topK: Int = 50, topP: Float = 1,
                repetitionPenalty: Float = 1, seed: UInt64 = 0) {
        self.doSample = doSample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
    }

    /// Greedy decoding.
    public static let greedy = SamplingParameters()

    /// Checks ranges; throws naming the parameter.
    public func validate() throws {
        if doSample && !(temperature > 0) { throw RunnerError("temperature", "must be > 0 when sampling, got \(temperature)", hint: "use do_sample=false for greedy decoding") }
        if topK < 0 { throw RunnerError("top_k", "must be ≥ 0, got \(topK)") }
        if !(topP > 0 && topP <= 1) { throw RunnerError("top_p", "must be in (0, 1], got \(topP)") }
        if !(repetitionPenalty > 0) { throw RunnerError("repetition_penalty", "must be > 0, got \(repetitionPenalty)") }
    }
}

/// The parts of `generation_config.json` runner uses.
public struct GenerationConfig: Equatable, Sendable {
    public var sampling = SamplingParameters()
    public var maxNewTokens: Int?
    public var eosTokenIds: [Int32] = []
    public var bosTokenId: Int32?

    public init() {}

    /// Reads `generation_config.json`; missing keys keep HF defaults.
    public static func parse(json: Data, source: String = "generation_config.json") throws -> GenerationConfig {
        guard let dict = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw RunnerError(source, "is not a JSON object")
        }
        let keys = JSONKeys(dict: dict, source: source)
        var config = GenerationConfig()
        config.sampling.doSample = try keys.bool("do_sample") ?? false
        config.sampling.temperature = Float(try keys.double("temperature") ?? 1)
        config.sampling.topK = try keys.int("top_k") ?? 50
        config.sampling.topP = Float(try keys.double("top_p") ?? 1)
        config.sampling.repetitionPenalty = Float(try keys.double("repetition_penalty") ?? 1)
        config.maxNewTokens = try keys.int("max_new_tokens")
        config.eosTokenIds = try keys.intList("eos_token_id").map(Int32.init)
        config.bosTokenId = try keys.int("bos_token_id").map(Int32.init)
        do { try config.sampling.validate() } catch let error as RunnerError {
            throw RunnerError("\(source): \(error.context)", error.message, hint: error.hint)
        }
        return config
    }

    /// Reads `generation_config.json` from a model directory; nil when the file does not exist.
    public static func load(directory: URL) throws -> GenerationConfig? {
        let file = directory.appendingPathComponent("generation_config.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        return try parse(json: try Data(contentsOf: file), source: file.path)
    }
}
