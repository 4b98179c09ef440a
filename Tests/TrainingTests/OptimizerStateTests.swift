// Optimizer state as named tensors: a run saved at step k and resumed into fresh optimizers takes
// bit-identical next steps; damaged or mismatched state is rejected with the key named.
import struct Basics.SplitMix64
import CPUBackend
import Compute
import RunnerTestSupport
import Testing
import Training

/// Which optimizer a resume test builds.
enum ResumeCase: CaseIterable {
    case adamw, adamw8bit, sgdNesterov

    func make(_ params: [TrainableParameter], _ backend: CPUBackend) throws -> any Optimizer {
        switch self {
        case .adamw: try AdamW(parameters: params, hyperparameters: .init(weightDecay: 0.05), backend: backend)
        case .adamw8bit: try AdamW8bit(parameters: params, hyperparameters: .init(weightDecay: 0.05), backend: backend)
        case .sgdNesterov: try SGD(parameters: params, hyperparameters: .init(momentum: 0.9, nesterov: true, weightDecay: 0.01), backend: backend)
        }
    }
}

@Suite struct OptimizerStateTests {
    /// Sizes: one under min_8bit_size, one 8-bit with a partial last block.
    let sizes = [("small.bias", 300, false), ("big.weight", 5000, true)]

    func parameters(_ backend: CPUBackend, seed: UInt64) -> [TrainableParameter] {
        var random = SplitMix64(seed: seed)
        return sizes.map { makeParameter(backend, name: $0.0, values: random.floats($0.1), decays: $0.2) }
    }

    func runSteps(_ optimizer: any Optimizer, _ backend: CPUBackend, _ steps: Range<Int>) {
        for k in steps {
            var random = SplitMix64(seed: 1000 + UInt64(k))
            for p in optimizer.parameters { backend.write(random.floats(p.value.count, scale: 0.1), to: p.gradient) }
            optimizer.step(learningRate: 1e-3 * Double(10 - k) / 10)
        }
    }

    @Test(arguments: ResumeCase.allCases)
    func resumeTakesIdenticalSteps(kind: ResumeCase) throws {
        let backend = CPUBackend()
        let straight = try kind.make(parameters(backend, seed: 7), backend)
        runSteps(straight, backend, 0..<8)

        let first = try kind.make(parameters(backend, seed: 7), backend)
        runSteps(first, backend, 0..<4)
        let saved = first.stateTensors()
        let savedValues = first.parameters.map { backend.readFloats($0.value) }

        // A fresh optimizer over fresh tensors holding the checkpointed values.
        let resumedParams = zip(sizes, savedValues).map { makeParameter(backend, name: $0.0.0, values: $0.1, decays: $0.0.2) }
        let resumed = try kind.make(resumedParams, backend)
        try resumed.loadState(saved)
        #expect(resumed.stepCount == 4)
        runSteps(resumed, backend, 4..<8)

        for (a, b) in zip(straight.parameters, resumed.parameters) {
            #expect(backend.readBytes(a.value) == backend.readBytes(b.value), "\(kind) \(a.name) after resume")
        }
        #expect(straight.stateTensors() == resumed.stateTensors(), "\(kind) state after resume")
    }

    @Test func stateNamesFollowTheReferences() throws {
        let backend = CPUBackend()
        let adamw = try AdamW(parameters: parameters(backend, seed: 1), backend: backend)
        #expect(Set(adamw.stateTensors().keys) == ["step", "small.bias.exp_avg", "small.bias.exp_avg_sq",
                                                   "big.weight.exp_avg", "big.weight.exp_avg_sq"])
        let eightBit = try AdamW8bit(parameters: parameters(backend, seed: 1), backend: backend)
        let state = eightBit.stateTensors()
        #expect(Set(state.keys) == ["step", "small.bias.state1", "small.bias.state2", "big.weight.state1",
                                    "big.weight.absmax1", "big.weight.state2", "big.weight.absmax2"])
        #expect(state["big.weight.state1"]!.dtype == .u8 && state["big.weight.absmax1"]!.shape == [20])
        #expect(state["small.bias.state1"]!.dtype == .f32)
        let sgd = try SGD(parameters: parameters(backend, seed: 1), hyperparameters: .init(momentum: 0.9), backend: backend)
        #expect(Set(sgd.stateTensors().keys) == ["step", "small.bias.momentum_buffer", "big.weight.momentum_buffer"])
        #expect(try SGD(parameters: parameters(backend, seed: 1), backend: backend).stateTensors().keys.sorted() == ["step"])
    }

    @Test func damagedStateIsRejectedByKey() throws {
        let backend = CPUBackend()
        let optimizer = try AdamW8bit(parameters: parameters(backend, seed: 3), backend: backend)
        runSteps(optimizer, backend, 0..<2)
        let good = optimizer.stateTensors()
        let before = optimizer.parameters.map { backend.readBytes($0.value) }

        func message(_ state: [String: OptimizerStateTensor]) -> String {
            do {
                try optimizer.loadState(state)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        var missing = good
        missing["big.weight.absmax2"] = nil
        #expect(message(missing).contains("missing entry 'big.weight.absmax2'"))

        var extra = good
        extra["lm_head.weight.state1"] = good["small.bias.state1"]
        #expect(message(extra).contains("unexpected entry 'lm_head.weight.state1'"))

        var reshaped = good
        reshaped["small.bias.state2"] = OptimizerStateTensor(dtype: .f32, shape: [10, 30], bytes: good["small.bias.state2"]!.bytes)
        #expect(message(reshaped).contains("entry 'small.bias.state2' is f32 [10, 30], expected f32 [300]"))

        var retyped = good
        retyped["big.weight.state1"] = OptimizerStateTensor(dtype: .i8, shape: [5000], bytes: good["big.weight.state1"]!.bytes)
        #expect(message(retyped).contains("'big.weight.state1' is i8"))

        var truncated = good
        truncated["big.weight.absmax1"]!.bytes.removeLast()
        #expect(message(truncated).contains("entry 'big.weight.absmax1' holds 79 bytes; f32 [20] needs 80"))

        var noStep = good
        noStep["step"] = nil
        #expect(message(noStep).contains("missing entry 'step'"))

        // Nothing was changed by the rejected loads.
        #expect(optimizer.stepCount == 2)
        #expect(optimizer.stateTensors() == good)
        #expect(optimizer.parameters.map { backend.readBytes($0.value) } == before)
    }

    @Test func optimizersByTransformersName() throws {
        let backend = CPUBackend()
        #expect(try OptimizerKind(transformersName: "adamw_bnb_8bit") == .adamw8bit)
        #expect(try OptimizerKind(transformersName: "paged_adamw_8bit") == .pagedAdamw8bit)
        let paged = try OptimizerKind.pagedAdamw8bit.make(parameters: parameters(backend, seed: 2), backend: backend)
        #expect((paged as? AdamW8bit)?.paged == true)
        #expect(try OptimizerKind(transformersName: "sgd").make(parameters: [], backend: backend) is SGD)
        do {
            _ = try OptimizerKind(transformersName: "adamw_8bits")
            Issue.record("accepted an unknown optimizer name")
        } catch {
            #expect("\(error)".contains("unknown optimizer 'adamw_8bits'") && "\(error)".contains("paged_adamw_8bit"))
        }
    }

    @Test func invalidHyperparametersAreRejected() throws {
        let backend = CPUBackend()
        let params = parameters(backend, seed: 5)
        #expect(throws: (any Error).self) { try AdamW(parameters: params, hyperparameters: .init(beta1: 1.0), backend: backend) }
        #expect(throws: (any Error).self) { try AdamW(parameters: params, hyperparameters: .init(weightDecay: -0.1), backend: backend) }
        #expect(throws: (any Error).self) { try AdamW(parameters: params + params, backend: backend) }
        #expect(throws: (any Error).self) { try SGD(parameters: params, hyperparameters: .init(nesterov: true), backend: backend) }
        #expect(throws: (any Error).self) {
            try SGD(parameters: params, hyperparameters: .init(momentum: 0.9, dampening: 0.1, nesterov: true), backend: backend)
        }
    }
}
