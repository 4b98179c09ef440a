// What every optimizer offers the training loop: one update step at a given learning rate, a step
// count, and its state as named tensors so a checkpoint can store it and a resume continues exactly.
import Compute

/// An optimizer over a fixed list of parameters. Not thread-safe; one training loop drives it.
public protocol Optimizer: AnyObject {
    /// The parameters in the order they were given.
    var parameters: [TrainableParameter] { get }

    /// Updates applied so far (0 before the first `step`).
    var stepCount: Int { get }

    /// Applies one update to every parameter from its current gradient at `learningRate` (the
    /// schedule's value for this step). Gradients are read, not cleared.
    func step(learningRate: Double)

    /// The full state (step count and every moment buffer) as named tensors, e.g. for safetensors.
    func stateTensors() -> [String: OptimizerStateTensor]

    /// Restores a state written by `stateTensors()` of an optimizer of the same kind over the same
    /// parameters. Throws, naming the key, when an entry is missing, unexpected or of the wrong
    /// type or shape; the optimizer is unchanged then.
    func loadState(_ state: [String: OptimizerStateTensor]) throws
}

/// One named tensor of optimizer state: element type, shape and little-endian bytes
/// (`bytes.count` = element count × `dtype.size`; `loadState` rejects entries where it is not).
public struct OptimizerStateTensor: Equatable, Sendable {
    public var dtype: DType
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A scalar i64 (the step count).
    public static func int64(_ value: Int) -> OptimizerStateTensor {
        withUnsafeBytes(of: Int64(value).littleEndian) { OptimizerStateTensor(dtype: .i64, shape: [], bytes: Array($0)) }
    }

    /// The value of a scalar i64 (as written by `int64(_:)`); nil for any other tensor.
    public var int64Value: Int? {
        guard dtype == .i64, shape.isEmpty, bytes.count == 8 else { return nil }
        return bytes.withUnsafeBytes { Int(Int64(littleEndian: $0.loadUnaligned(as: Int64.self))) }
    }
}
