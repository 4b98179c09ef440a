// AdamW as torch.optim.AdamW: decoupled weight decay applied first (p *= 1 − lr·wd), bias-corrected
// moments, ε added after the square root of the corrected second moment. Full f32 states.
import Basics
import Compute

/// AdamW's constants (transformers' `TrainingArguments` defaults). The learning rate is given per step.
public struct AdamWHyperparameters: Sendable, Hashable, Codable {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    /// Applied to parameters whose `decays` is true; the others get 0.
    public var weightDecay: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Throws a message naming the bad value (torch's and bitsandbytes' constructor checks).
    func validate(_ kind: String) throws {
        for (name, beta) in [("beta1", beta1), ("beta2", beta2)] where !(beta >= 0 && beta < 1) {
            throw RunnerError(kind, "\(name) must be in [0, 1), got \(beta)")
        }
        guard epsilon >= 0, epsilon.isFinite else { throw RunnerError(kind, "epsilon must be ≥ 0, got \(epsilon)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw RunnerError(kind, "weight decay must be ≥ 0, got \(weightDecay)") }
    }
}

/// `torch.optim.AdamW` (amsgrad off, not maximizing) with two parameter groups: decayed and not.
/// State per parameter: `<name>.exp_avg` and `<name>.exp_avg_sq` (f32, the parameter's shape), plus `step`.
public final class AdamW: Optimizer {
    public let parameters: [TrainableParameter]
    public let hyperparameters: AdamWHyperparameters
    public private(set) var stepCount = 0
    private let backend: any OptimizerBackend
    // Per parameter: (m, v), f32 like the parameter.
    private let moments: [(m: Tensor, v: Tensor)]

    /// Allocates zeroed moments for every parameter on `backend`. Throws on invalid hyperparameters
    /// or duplicate parameter names.
    public init(parameters: [TrainableParameter], hyperparameters: AdamWHyperparameters = .init(),
                backend: any OptimizerBackend) throws {
        try hyperparameters.validate("AdamW")
        try checkUniqueNames(parameters, "AdamW")
        self.parameters = parameters
        self.hyperparameters = hyperparameters
        self.backend = backend
        moments = parameters.map { p in
            (backend.allocateState(p.value.shape, dtype: .f32, paged: false),
             backend.allocateState(p.value.shape, dtype: .f32, paged: false))
        }
    }

    public func step(learningRate: Double) {
        precondition(learningRate >= 0 && learningRate.isFinite, "AdamW learning rate must be finite and ≥ 0, got \(learningRate)")
        stepCount += 1
        let h = hyperparameters
        for (p, state) in zip(parameters, moments) {
            backend.adamwStep(param: p.value, grad: p.gradient, m: state.m, v: state.v, step: stepCount,
                              lr: learningRate, beta1: h.beta1, beta2: h.beta2, eps: h.epsilon,
                              weightDecay: p.decays ? h.weightDecay : 0, rule: .torch)
        }
    }

    public func stateTensors() -> [String: OptimizerStateTensor] {
        let io = OptimizerStateIO(backend: backend, kind: "AdamW")
        var state = ["step": OptimizerStateTensor.int64(stepCount)]
        for (p, s) in zip(parameters, moments) {
            state["\(p.name).exp_avg"] = io.entry(s.m)
            state["\(p.name).exp_avg_sq"] = io.entry(s.v)
        }
        return state
    }

    public func loadState(_ state: [String: OptimizerStateTensor]) throws {
        let io = OptimizerStateIO(backend: backend, kind: "AdamW")
        var expected: [String: (DType, [Int])] = [:]
        for p in parameters {
            expected["\(p.name).exp_avg"] = (.f32, p.value.shape.dims)
            expected["\(p.name).exp_avg_sq"] = (.f32, p.value.shape.dims)
        }
        let count = try io.validate(state, expected: expected)
        for (p, s) in zip(parameters, moments) {
            io.restore(state["\(p.name).exp_avg"]!, into: s.m)
            io.restore(state["\(p.name).exp_avg_sq"]!, into: s.v)
        }
        stepCount = count
    }
}

/// Throws when two parameters share a name (state keys would collide).
func checkUniqueNames(_ parameters: [TrainableParameter], _ kind: String) throws {
    var seen = Set<String>()
    for p in parameters where !seen.insert(p.name).inserted {
        throw RunnerError(kind, "parameter '\(p.name)' is listed twice", hint: "each trainable tensor must appear once")
    }
}
