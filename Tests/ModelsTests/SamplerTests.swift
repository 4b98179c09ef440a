// Sampling in transformers' semantics: repetition penalty, top-k (ties kept), top-p, seeded draws,
// and generation's stop conditions (stop strings through a decode closure).
import Compute
import CPUBackend
import Foundation
import Models
import Testing

@Suite struct SamplerTests {
    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegative() {
        var logits: [Float] = [2, -2, 1, 0.5]
        Sampler.applyRepetitionPenalty(&logits, context: [0, 1, 1], penalty: 2)
        #expect(logits == [1, -4, 1, 0.5])
        // Greedy decoding applies the penalty before argmax (HF does too).
        var greedy = Sampler(SamplingParameters(repetitionPenalty: 3))
        #expect(greedy.next(logits: [2, 1.5, 0], context: [0]) == 1)
    }

    @Test func topKKeepsTiesAndTopPKeepsTheNucleus() {
        var sampler = Sampler(SamplingParameters(doSample: true, topK: 2, seed: 1))
        // Only the two tied maxima (ids 1 and 3) can ever be drawn.
        var seen = Set<Int32>()
        for _ in 0..<200 { seen.insert(sampler.next(logits: [1, 3, 2, 3], context: [])) }
        #expect(seen == [1, 3])
        // p = 0.7 over probabilities (0.5, 0.3, 0.15, 0.05): the tail (0.05 + 0.15 ≤ 0.3) is dropped.
        let logits = [0.5, 0.3, 0.15, 0.05].map { Float(log($0)) }
        var nucleus = Sampler(SamplingParameters(doSample: true, topK: 0, topP: 0.7, seed: 2))
        var counts = [Int](repeating: 0, count: 4)
        for _ in 0..<4000 { counts[Int(nucleus.next(logits: logits, context: []))] += 1 }
        #expect(counts[2] == 0 && counts[3] == 0)
        #expect(abs(Double(counts[0]) / 4000 - 0.625) < 0.03, "renormalized 0.5/0.8, got \(counts)")
    }

    @Test func samplingIsSeededAndFollowsTemperature() {
        let logits: [Float] = [0.2, 1.0, -0.5, 0.7, 0.0]
        func draws(seed: UInt64, temperature: Float) -> [Int32] {
            var s = Sampler(SamplingParameters(doSample: true, temperature: temperature, topK: 0, seed: seed))
            return (0..<3000).map { _ in s.next(logits: logits, context: []) }
        }
        #expect(draws(seed: 5, temperature: 1) == draws(seed: 5, temperature: 1))
        #expect(draws(seed: 5, temperature: 1) != draws(seed: 6, temperature: 1))
        for temperature: Float in [1, 0.5] {
            let sample = draws(seed: 9, temperature: temperature)
            let weights = logits.map { exp(Double($0 / temperature)) }
            let total = weights.reduce(0, +)
            for id in 0..<logits.count {
                let frequency = Double(sample.filter { $0 == Int32(id) }.count) / Double(sample.count)
                #expect(abs(frequency - weights[id] / total) < 0.03, "token \(id) at T=\(temperature)")
            }
        }
    }

    @Test func stopStringsEndGenerationThroughDecode() throws {
        let dir = Paths.fixtures.appendingPathComponent("tiny/llama3_untied_f16")
        let model = try LlamaModel.load(from: dir, backend: makeBackend(), maxSequence: 32)
        let prompt: [Int32] = [10, 20, 30]
        let free = try model.generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 8))
        #expect(free.tokens.count == 8 && free.stopReason == .maxNewTokens)
        let decode: ([Int32]) -> String = { $0.map { "<\($0)>" }.joined() }
        let stop = "<\(free.tokens[2])>"
        let stopped = try model.generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 8, stopStrings: [stop], decode: decode))
        let firstHit = free.tokens.firstIndex(of: free.tokens[2])!
        #expect(stopped.tokens == Array(free.tokens.prefix(firstHit + 1)))
        #expect(stopped.stopReason == .stopString(stop))
        var count = 0
        let cancelled = try model.generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 8)) { _ in count += 1; return count < 2 }
        #expect(cancelled.tokens == Array(free.tokens.prefix(2)) && cancelled.stopReason == .cancelled)
        #expect(throws: (any Error).self) {
            try model.generate(prompt: prompt, options: GenerationOptions(maxNewTokens: 30))
        }
    }
}

@Suite struct GenerationConfigTests {
    @Test func readsHFGenerationConfig() throws {
        let json = #"{"do_sample": true, "temperature": 0.7, "top_p": 0.9, "top_k": 20, "repetition_penalty": 1.1, "eos_token_id": [2, 7], "bos_token_id": 1, "max_new_tokens": 128}"#
        let config = try GenerationConfig.parse(json: Data(json.utf8))
        #expect(config.sampling == SamplingParameters(doSample: true, temperature: 0.7, topK: 20, topP: 0.9, repetitionPenalty: 1.1))
        #expect(config.eosTokenIds == [2, 7] && config.bosTokenId == 1 && config.maxNewTokens == 128)
        let defaults = try GenerationConfig.parse(json: Data("{}".utf8))
        #expect(defaults.sampling == .greedy && defaults.eosTokenIds.isEmpty)
        do {
            _ = try GenerationConfig.parse(json: Data(#"{"top_p": 1.5}"#.utf8), source: "gen.json")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "gen.json: top_p: must be in (0, 1], got 1.5")
        }
    }
}
