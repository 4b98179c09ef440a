// 8-bit AdamW as bitsandbytes' AdamW8bit / PagedAdamW8bit: both moments stored blockwise in 8 bits
// (dynamic maps, signed for m and unsigned for v, blocks of 256); tensors under `min_8bit_size`
// elements keep 32-bit moments and bitsandbytes' 32-bit arithmetic. No percentile clipping.
import Basics
import Compute
import Quant

/// bitsandbytes `AdamW8bit` (and `PagedAdamW8bit` with `paged: true`).
///
/// State per parameter, named as bitsandbytes names it: `<name>.state1` / `<name>.state2` (u8 codes,
/// or f32 moments for small tensors) and, when 8-bit, `<name>.absmax1` / `<name>.absmax2` (f32 per
/// block of 256); plus `step`. The maps are bitsandbytes' constant dynamic maps and are not stored.
///
/// "Paged": bitsandbytes allocates the states of tensors with ≥ 100 000 elements in CUDA unified
/// memory, which the driver may move to host RAM under GPU memory pressure. Here the request is passed
/// to the backend's `allocateState(paged:)`; the CPU backend's memory is host memory already, so on
/// the CPU paged and non-paged are the same (bitsandbytes' own CPU backend also falls back).
public final class AdamW8bit: Optimizer {
    /// Elements per absmax block of the 8-bit states (bitsandbytes' optimizers use 256, not the
    /// 4096 / 2048 of weight quantization).
    public static let blockSize = 256
    /// bitsandbytes pages state tensors of at least this many elements.
    public static let pagedMinimumElements = 100_000

    public let parameters: [TrainableParameter]
    public let hyperparameters: AdamWHyperparameters
    /// Tensors with fewer elements keep 32-bit states (bitsandbytes' `min_8bit_size`).
    public let minimum8BitSize: Int
    public let paged: Bool
    public private(set) var stepCount = 0
    private let backend: any OptimizerBackend
    private let states: [MomentState]

    private enum MomentState {
        case full(m: Tensor, v: Tensor)
        case quantized(m: BlockwiseQuantizedState, v: BlockwiseQuantizedState)
    }

    /// Allocates zeroed states on `backend`. Throws on invalid hyperparameters or duplicate names.
    public init(parameters: [TrainableParameter], hyperparameters: AdamWHyperparameters = .init(),
                minimum8BitSize: Int = 4096, paged: Bool = false, backend: any OptimizerBackend) throws {
        try hyperparameters.validate(paged ? "PagedAdamW8bit" : "AdamW8bit")
        try checkUniqueNames(parameters, "AdamW8bit")
        guard minimum8BitSize >= 0 else {
            throw RunnerError("AdamW8bit", "min_8bit_size must be ≥ 0, got \(minimum8BitSize)")
        }
        self.parameters = parameters
        self.hyperparameters = hyperparameters
        self.minimum8BitSize = minimum8BitSize
        self.paged = paged
        self.backend = backend
        let signedMap = Self.upload(QuantCodebooks.dynamicSigned, backend)
        let unsignedMap = Self.upload(QuantCodebooks.dynamicUnsigned, backend)
        states = parameters.map { p in
            let n = p.value.count
            let page = paged && n >= Self.pagedMinimumElements
            if n < minimum8BitSize {
                return .full(m: backend.allocateState(p.value.shape, dtype: .f32, paged: page),
                             v: backend.allocateState(p.value.shape, dtype: .f32, paged: page))
            }
            let blocks = Shape([(n + Self.blockSize - 1) / Self.blockSize])
            func moment(_ map: Tensor) -> BlockwiseQuantizedState {
                BlockwiseQuantizedState(codes: backend.allocateState(Shape([n]), dtype: .u8, paged: page),
                                        absmax: backend.allocateState(blocks, dtype: .f32, paged: page),
                                        map: map, blockSize: Self.blockSize)
            }
            return .quantized(m: moment(signedMap), v: moment(unsignedMap))
        }
    }

    /// Whether `parameters[index]` has 8-bit states.
    public func isQuantized(_ index: Int) -> Bool {
        if case .quantized = states[index] { return true }
        return false
    }

    public func step(learningRate: Double) {
        precondition(learningRate >= 0 && learningRate.isFinite, "AdamW8bit learning rate must be finite and ≥ 0, got \(learningRate)")
        stepCount += 1
        let h = hyperparameters
        for (p, state) in zip(parameters, states) {
            let wd = p.decays ? h.weightDecay : 0
            switch state {
            case .full(let m, let v):
                backend.adamwStep(param: p.value, grad: p.gradient, m: m, v: v, step: stepCount, lr: learningRate,
                                  beta1: h.beta1, beta2: h.beta2, eps: h.epsilon, weightDecay: wd, rule: .bitsandbytes)
            case .quantized(let m, let v):
                backend.adamw8bitStep(param: p.value.reshaped(Shape([p.value.count])), grad: p.gradient.reshaped(Shape([p.value.count])),
                                      m: m, v: v, step: stepCount, lr: learningRate,
                                      beta1: h.beta1, beta2: h.beta2, eps: h.epsilon, weightDecay: wd)
            }
        }
    }

    public func stateTensors() -> [String: OptimizerStateTensor] {
        let io = OptimizerStateIO(backend: backend, kind: "AdamW8bit")
        var state = ["step": OptimizerStateTensor.int64(stepCount)]
        for (p, s) in zip(parameters, states) {
            for (key, tensor) in Self.tensors(of: s) { state["\(p.name).\(key)"] = io.entry(tensor) }
        }
        return state
    }

    public func loadState(_ state: [String: OptimizerStateTensor]) throws {
        let io = OptimizerStateIO(backend: backend, kind: "AdamW8bit")
        var expected: [String: (DType, [Int])] = [:]
        for (p, s) in zip(parameters, states) {
            for (key, tensor) in Self.tensors(of: s) { expected["\(p.name).\(key)"] = (tensor.dtype, tensor.shape.dims) }
        }
        let count = try io.validate(state, expected: expected)
        for (p, s) in zip(parameters, states) {
            for (key, tensor) in Self.tensors(of: s) { io.restore(state["\(p.name).\(key)"]!, into: tensor) }
        }
        stepCount = count
    }

    /// The stored tensors of one parameter's state, by bitsandbytes' key names.
    private static func tensors(of state: MomentState) -> [(String, Tensor)] {
        switch state {
        case .full(let m, let v): [("state1", m), ("state2", v)]
        case .quantized(let m, let v): [("state1", m.codes), ("absmax1", m.absmax), ("state2", v.codes), ("absmax2", v.absmax)]
        }
    }

    private static func upload(_ code: [Float], _ backend: any OptimizerBackend) -> Tensor {
        let map = backend.allocate(Shape([code.count]), dtype: .f32)
        backend.write(code, to: map)
        return map
    }
}
