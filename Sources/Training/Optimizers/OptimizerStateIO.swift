// Reading and writing optimizer state tensors from and to backend memory, with checks that name
// the offending key, so a damaged or mismatched checkpoint fails clearly instead of misbehaving.
import Basics
import Compute

/// Collects and validates named state for one optimizer.
struct OptimizerStateIO {
    let backend: any OptimizerBackend
    /// Optimizer kind for messages (`AdamW`, `AdamW8bit`, `SGD`).
    let kind: String

    /// The tensor's bytes as a state entry.
    func entry(_ tensor: Tensor) -> OptimizerStateTensor {
        OptimizerStateTensor(dtype: tensor.dtype, shape: tensor.shape.dims, bytes: backend.readBytes(tensor))
    }

    /// Checks that `state` holds exactly `expected` (key → dtype and shape), and the step count.
    func validate(_ state: [String: OptimizerStateTensor], expected: [String: (DType, [Int])]) throws -> Int {
        for key in state.keys.sorted() where key != "step" && expected[key] == nil {
            throw RunnerError("\(kind) optimizer state", "unexpected entry '\(key)'",
                              hint: "the checkpoint was written for other parameters or another optimizer; resume with the same trainable parameters and optimizer")
        }
        guard let step = state["step"] else {
            throw RunnerError("\(kind) optimizer state", "missing entry 'step'", hint: "the checkpoint's optimizer state is incomplete")
        }
        guard let count = step.int64Value else {
            throw RunnerError("\(kind) optimizer state", "entry 'step' must be an i64 scalar, got \(step.dtype) \(step.shape)")
        }
        guard count >= 0 else { throw RunnerError("\(kind) optimizer state", "entry 'step' is negative (\(count))") }
        for (key, (dtype, shape)) in expected.sorted(by: { $0.key < $1.key }) {
            guard let entry = state[key] else {
                throw RunnerError("\(kind) optimizer state", "missing entry '\(key)'",
                                  hint: "resume with the same trainable parameters and optimizer the checkpoint was written with")
            }
            guard entry.dtype == dtype, entry.shape == shape else {
                throw RunnerError("\(kind) optimizer state", "entry '\(key)' is \(entry.dtype) \(entry.shape), expected \(dtype) \(shape)")
            }
            let byteCount = shape.reduce(1, *) * dtype.size
            guard entry.bytes.count == byteCount else {
                throw RunnerError("\(kind) optimizer state", "entry '\(key)' holds \(entry.bytes.count) bytes; \(dtype) \(shape) needs \(byteCount)",
                                  hint: "the checkpoint file is truncated or damaged")
            }
        }
        return count
    }

    /// Copies a validated entry into its tensor.
    func restore(_ entry: OptimizerStateTensor, into tensor: Tensor) {
        backend.writeBytes(entry.bytes, to: tensor)
    }
}
