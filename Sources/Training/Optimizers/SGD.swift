// SGD as torch.optim.SGD: L2 weight decay added to the gradient, optional momentum (with dampening
// and Nesterov), the first step copying the gradient into the momentum buffer.
import Basics
import Compute

/// SGD's constants (torch defaults); the learning rate is given per step.
public struct SGDHyperparameters: Sendable, Hashable, Codable {
    public var momentum: Double
    public var dampening: Double
    public var nesterov: Bool
    /// Applied to parameters whose `decays` is true; the others get 0.
    public var weightDecay: Double

    public init(momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }
}

/// `torch.optim.SGD` (not maximizing). State: `<name>.momentum_buffer` when momentum ≠ 0, and `step`.
public final class SGD: Optimizer {
    public let parameters: [TrainableParameter]
    public let hyperparameters: SGDHyperparameters
    public private(set) var stepCount = 0
    private let backend: any OptimizerBackend
    private let buffers: [Tensor]

    /// Throws on the values torch rejects (negative momentum or weight decay; Nesterov without
    /// momentum or with dampening) and on duplicate parameter names.
    public init(parameters: [TrainableParameter], hyperparameters: SGDHyperparameters = .init(),
                backend: any OptimizerBackend) throws {
        let h = hyperparameters
        guard h.momentum >= 0, h.momentum.isFinite else { throw RunnerError("SGD", "momentum must be ≥ 0, got \(h.momentum)") }
        guard h.weightDecay >= 0, h.weightDecay.isFinite else { throw RunnerError("SGD", "weight decay must be ≥ 0, got \(h.weightDecay)") }
        guard h.dampening.isFinite else { throw RunnerError("SGD", "dampening must be finite, got \(h.dampening)") }
        if h.nesterov && (h.momentum <= 0 || h.dampening != 0) {
            throw RunnerError("SGD", "Nesterov momentum requires a momentum > 0 and zero dampening",
                              hint: "set momentum > 0 and dampening: 0, or turn nesterov off")
        }
        try checkUniqueNames(parameters, "SGD")
        self.parameters = parameters
        self.hyperparameters = h
        self.backend = backend
        buffers = h.momentum == 0 ? [] : parameters.map { backend.allocateState($0.value.shape, dtype: .f32, paged: false) }
    }

    public func step(learningRate: Double) {
        precondition(learningRate >= 0 && learningRate.isFinite, "SGD learning rate must be finite and ≥ 0, got \(learningRate)")
        let h = hyperparameters
        for (i, p) in parameters.enumerated() {
            backend.sgdStep(param: p.value, grad: p.gradient, momentumBuffer: buffers.isEmpty ? nil : buffers[i],
                            initializeMomentum: stepCount == 0, lr: learningRate, momentum: h.momentum,
                            dampening: h.dampening, nesterov: h.nesterov, weightDecay: p.decays ? h.weightDecay : 0)
        }
        stepCount += 1
    }

    public func stateTensors() -> [String: OptimizerStateTensor] {
        let io = OptimizerStateIO(backend: backend, kind: "SGD")
        var state = ["step": OptimizerStateTensor.int64(stepCount)]
        for (p, b) in zip(parameters, buffers) { state["\(p.name).momentum_buffer"] = io.entry(b) }
        return state
    }

    public func loadState(_ state: [String: OptimizerStateTensor]) throws {
        let io = OptimizerStateIO(backend: backend, kind: "SGD")
        var expected: [String: (DType, [Int])] = [:]
        for (p, b) in zip(parameters, buffers) { expected["\(p.name).momentum_buffer"] = (.f32, b.shape.dims) }
        let count = try io.validate(state, expected: expected)
        for (p, b) in zip(parameters, buffers) { io.restore(state["\(p.name).momentum_buffer"]!, into: b) }
        stepCount = count
    }
}
