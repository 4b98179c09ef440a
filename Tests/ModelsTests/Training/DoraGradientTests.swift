// DoRA against PEFT (`use_dora=True`, f32): the magnitude init (‖W‖ per row, of the dequantized NF4
// weight for a 4-bit base), and the loss and every gradient (A, B, magnitude) of one step — plain,
// rsLoRA with biases and LoRA dropout (runner's masks fed to PEFT), NF4 base; under
// every activation-checkpointing policy. Fixtures: tools/reference/dora_fixtures.py.
import Compute
import CPUBackend
import Foundation
import Models
import Testing

@Suite struct DoraGradientTests {
    static let cases = ["llama_dora", "qwen2_dora_rslora_dropout", "llama_qdora_nf4"]

    @Test(arguments: cases)
    func magnitudeStartsAsPEFTsRowNorms(name: String) throws {
        let fixture = try DoraGradientFixture(name)
        let model = try fixture.makeModel(checkpointing: .off)
        let magnitudes = model.parameters.filter { $0.name.hasSuffix(".lora_magnitude_vector") }
        #expect(magnitudes.count == 2 * 7 && fixture.initialMagnitudes.count == 2 * 7)
        for parameter in magnitudes {
            let expected = try #require(fixture.initialMagnitudes[parameter.name], "PEFT has no magnitude \(parameter.name)")
            let error = relativeNormError(model.backend.readFloats(parameter.value), expected)
            #expect(error <= 1e-6, "\(name): \(parameter.name) relative error \(error)")
        }
    }

    @Test(arguments: cases, ActivationCheckpointing.allCases)
    func lossAndGradientsMatchPEFT(name: String, checkpointing: ActivationCheckpointing) throws {
        let fixture = try DoraGradientFixture(name)
        let model = try fixture.makeModel(checkpointing: checkpointing)
        try loadPatternedAdapters(model, bBound: 0.2)
        let (loss, tokens) = try model.forwardBackward(fixture.batch, step: 0)
        #expect(tokens == fixture.tokens)
        #expect(abs(loss - fixture.loss) <= 1e-5 * fixture.loss, "\(name): loss \(loss) vs PEFT \(fixture.loss)")
        #expect(Set(model.parameters.map(\.name)) == Set(fixture.gradients.keys), "\(name): trainable tensors differ from PEFT's")
        var worst = 0.0
        for parameter in model.parameters {
            let reference = try #require(fixture.gradients[parameter.name])
            #expect(parameter.gradient.shape.dims == reference.shape)
            let error = relativeNormError(model.backend.readFloats(parameter.gradient), reference.values)
            worst = max(worst, error)
            #expect(error <= 1e-4, "\(name): \(parameter.name) relative error \(error)")
        }
        print("\(name) (checkpointing \(checkpointing)): loss \(loss) (PEFT \(fixture.loss)), worst gradient relative error \(worst)")
    }

    /// The DoRA loss without dropout differs from plain LoRA's with the same A/B: the magnitude does something.
    @Test func doraIsNotPlainLoRA() throws {
        let fixture = try DoraGradientFixture("llama_dora")
        var plain = fixture.loraConfig
        plain.useDora = false
        let dora = try fixture.makeModel(checkpointing: .off), lora = try fixture.makeModel(checkpointing: .off, mode: .lora(plain))
        try loadPatternedAdapters(dora, bBound: 0.2)
        try loadPatternedAdapters(lora, bBound: 0.2)
        let a = try dora.loss(fixture.batch).loss, b = try lora.loss(fixture.batch).loss
        #expect(abs(a - b) > 1e-3, "DoRA loss \(a) vs LoRA loss \(b)")
        #expect(abs(a - fixture.loss) <= 1e-5 * fixture.loss, "evaluation loss equals the training step's without dropout")
    }

    /// Central differences of the loss on magnitude entries against the analytic (detached-norm) gradient:
    /// PEFT detaches ‖W + s·B·A‖, so d loss / d m is exact; for A and B the detached norm makes the
    /// analytic gradient differ from the true derivative, so only m is checked this way.
    @Test func magnitudeGradientMatchesFiniteDifferences() throws {
        let fixture = try DoraGradientFixture("llama_dora")
        let model = try fixture.makeModel(checkpointing: .off)
        try loadPatternedAdapters(model, bBound: 0.2)
        _ = try model.forwardBackward(fixture.batch)
        let tensors = model.exportAdapter()
        for (name, index) in [("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", 3),
                              ("base_model.model.model.layers.1.mlp.down_proj.lora_magnitude_vector", 10)] {
            let parameter = try #require(model.parameters.first { $0.name == name })
            let analytic = Double(model.backend.readFloats(parameter.gradient)[index])
            let base = tensors[name]!.hostFloats()
            func loss(_ delta: Float) throws -> Double {
                var values = base
                values[index] += delta
                var changed = tensors
                changed[name] = Tensor.host(values, shape: tensors[name]!.shape)
                try model.loadAdapter(changed)
                return Double(try model.loss(fixture.batch).loss)
            }
            let h: Float = 1e-2
            let numeric = (try loss(h) - loss(-h)) / Double(2 * h)
            #expect(abs(analytic) > 1e-4, "\(name)[\(index)]: gradient too small to check")
            #expect(abs(numeric - analytic) <= 2e-2 * abs(analytic) + 1e-4, "\(name)[\(index)]: numeric \(numeric) vs analytic \(analytic)")
        }
    }
}
