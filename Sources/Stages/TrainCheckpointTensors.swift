// The tensors of a `train` checkpoint: trainable parameters (f32, by name) and the optimizer's
// named state, to safetensors and back, with every name, dtype and shape checked before anything
// in the model or optimizer is overwritten.
import Basics
import Compute
import Formats
import Foundation
import Models
import Training

enum TrainCheckpointTensors {
    /// Every trainable tensor's current value, as f32 safetensors tensors named like the parameters.
    static func parameters(_ model: TrainableModel) -> [SafetensorsTensor] {
        model.parameters.map { p in
            SafetensorsTensor(name: p.name, dtype: .f32, shape: p.value.shape.dims,
                              data: hostBytes(model.backend.readFloats(p.value)))
        }
    }

    /// The optimizer's `stateTensors()` (the `step` count is an i64 scalar).
    static func optimizerState(_ optimizer: any Optimizer) -> [SafetensorsTensor] {
        optimizer.stateTensors().map { name, entry in
            SafetensorsTensor(name: name, dtype: SafetensorsDType(entry.dtype), shape: entry.shape, data: Data(entry.bytes))
        }
    }

    /// The saved values of the model's trainable parameters, in `model.parameters` order. Throws,
    /// naming the tensor, when one is missing, extra, not f32, or of another shape.
    static func readParameters(_ file: SafetensorsFile, for model: TrainableModel) throws -> [[Float]] {
        let expected = Set(model.parameters.map(\.name))
        if let extra = file.tensors.map(\.name).sorted().first(where: { !expected.contains($0) }) {
            throw RunnerError(file.fileName, "holds tensor '\(extra)', which this model does not train")
        }
        return try model.parameters.map { p in
            let info = try file.requireTensor(p.name)
            guard info.dtype == .f32, info.shape == p.value.shape.dims else {
                throw RunnerError(file.fileName, "tensor '\(p.name)' is \(info.dtype.rawValue) \(info.shape), expected F32 \(p.value.shape.dims)")
            }
            return try file.floats(of: info)
        }
    }

    /// The saved optimizer state by name, as `Optimizer.loadState` takes it (which checks it).
    static func readOptimizerState(_ file: SafetensorsFile) throws -> [String: OptimizerStateTensor] {
        var state: [String: OptimizerStateTensor] = [:]
        for info in file.tensors {
            guard let dtype = info.dtype.computeDType else {
                throw RunnerError(file.fileName, "tensor '\(info.name)' has dtype \(info.dtype.rawValue), which no optimizer state uses")
            }
            state[info.name] = OptimizerStateTensor(dtype: dtype, shape: info.shape, bytes: Array(file.bytes(of: info)))
        }
        return state
    }

    /// Overwrites the trainable parameters with values read by `readParameters`.
    static func restore(_ values: [[Float]], into model: TrainableModel) {
        for (p, v) in zip(model.parameters, values) { model.backend.write(v, to: p.value) }
    }

    /// f32 values as little-endian bytes (every platform runner builds for is little-endian).
    private static func hostBytes(_ values: [Float]) -> Data {
        values.withUnsafeBytes { Data($0) }
    }
}
