// One Linear layer as training sees it: `y = x·Wᵀ (+ b) + s·(drop(x)·Aᵀ)·Bᵀ`. W (and b) are frozen
// — no gradient buffers — unless fully fine-tuned; the LoRA path carries A (r, in) and B (out, r).
// A frozen W may be quantized (QLoRA's NF4/FP4, or LLM.int8 row-wise): it is dequantized into one
// shared scratch right before each use. With DoRA (`lora.dora`) the layer runs DoraLinear.swift's
// forward/backward instead of the plain LoRA path.
import Compute
import Quant

/// A LoRA adapter on one Linear layer, with its gradients.
public struct LoraAdapter {
    public let a: Tensor          // (r, IC)
    public let b: Tensor          // (OC, r)
    public let dA: Tensor         // (r, IC)
    public let dB: Tensor         // (OC, r)
    /// alpha/r (or alpha/√r with rsLoRA).
    public let scale: Float
    public let dropout: Float
    /// DoRA's magnitude (PEFT's `use_dora`), nil for plain LoRA.
    public internal(set) var dora: DoraMagnitude? = nil
    public var rank: Int { a.shape[0] }
}

/// A Linear layer with a frozen or trainable weight and an optional LoRA adapter.
final class TrainableLinear {
    /// transformers module name, e.g. `model.layers.0.self_attn.q_proj`.
    let name: String
    let weight: Tensor            // (OC, IC) f32/bf16/f16
    let bias: Tensor?             // (OC)
    let dWeight: Tensor?          // (OC, IC), full fine-tuning only
    let dBias: Tensor?            // (OC), full fine-tuning only
    let lora: LoraAdapter?
    /// The frozen quantized base; then `weight` is a view of the model's shared dequantization scratch.
    let quantized: (any DequantizableWeight)?

    init(name: String, weight: Tensor, bias: Tensor?, dWeight: Tensor?, dBias: Tensor?, lora: LoraAdapter?,
         quantized: (any DequantizableWeight)? = nil) {
        self.name = name
        self.quantized = quantized
        self.weight = weight
        self.bias = bias
        self.dWeight = dWeight
        self.dBias = dBias
        self.lora = lora
    }

    var inFeatures: Int { weight.shape[1] }
    var outFeatures: Int { weight.shape[0] }

    /// y = x·Wᵀ + b + s·u·Bᵀ, saving `u = drop(x)·Aᵀ` (N, r) for backward.
    /// `dropped` (N, ≥IC) is scratch for drop(x) when dropout is on.
    /// With `dropout` false (evaluation) the adapter sees x itself.
    func forward(_ y: Tensor, _ x: Tensor, u: Tensor?, dropped: Tensor, seed: UInt64, on backend: any TrainingBackend,
                 dropout: Bool = true) {
        if let lora, let dora = lora.dora, let u {
            return doraForward(y, x, u: u, dropped: dropped, seed: seed, lora: lora, dora: dora, on: backend, dropout: dropout)
        }
        materializeWeight()
        backend.linearForward(y, x, weight: weight, bias: bias)
        guard let lora, let u else { return }
        let input = dropout ? adapterInput(x, dropped: dropped, lora: lora, seed: seed, backend: backend) : x
        backend.matmul(u, input, lora.a, transposeA: false, transposeB: true, alpha: 1, beta: 0)
        backend.matmul(y, u, lora.b, transposeA: false, transposeB: true, alpha: lora.scale, beta: 1)
    }

    /// Only the adapter's saved `u = drop(x)·Aᵀ` (N, r): what a checkpointing recompute needs from a layer
    /// whose output it already has.
    func recomputeAdapterInput(_ x: Tensor, u: Tensor?, dropped: Tensor, seed: UInt64, on backend: any TrainingBackend) {
        guard let lora, let u else { return }
        let input = adapterInput(x, dropped: dropped, lora: lora, seed: seed, backend: backend)
        backend.matmul(u, input, lora.a, transposeA: false, transposeB: true, alpha: 1, beta: 0)
    }

    /// Backward from dy (N, OC): `dx (=|+=) dy·W + drop'(s·dy·B·A)`; `dB += s·dyᵀ·u`, `dA += (s·dy·B)ᵀ·drop(x)`;
    /// `dW += dyᵀ·x`, `dBias += Σ dy` when fully trained. `dU` (N, ≥r) and `dropped` (N, ≥IC) are scratch.
    func backward(dx: Tensor, accumulate: Bool, dy: Tensor, x: Tensor, u: Tensor?, dU: Tensor, dropped: Tensor,
                  seed: UInt64, on backend: any TrainingBackend) {
        if let lora, let dora = lora.dora, let u {
            return doraBackward(dx: dx, accumulate: accumulate, dy: dy, x: x, u: u, dU: dU, dropped: dropped, seed: seed,
                                lora: lora, dora: dora, on: backend)
        }
        materializeWeight()
        backend.linearBackward(dx: dx, accumulate: accumulate, dWeight: dWeight, dBias: dBias, dy: dy, x: x, weight: weight)
        guard let lora, let u else { return }
        let n = dy.shape[0]
        let du = dU.reshaped([dU.count]).rows(0..<n * lora.rank).reshaped([n, lora.rank])   // (N, r)
        backend.matmul(lora.dB, dy, u, transposeA: true, transposeB: false, alpha: lora.scale, beta: 1)
        backend.matmul(du, dy, lora.b, transposeA: false, transposeB: false, alpha: lora.scale, beta: 0)
        let input = adapterInput(x, dropped: dropped, lora: lora, seed: seed, backend: backend)
        backend.matmul(lora.dA, du, input, transposeA: true, transposeB: false, alpha: 1, beta: 1)
        if lora.dropout > 0 {
            // d(drop(x)) = dU·A, then the same mask (and 1/(1−p)) on the way back to x.
            let dInput = view(dropped, rows: n, columns: inFeatures)
            backend.matmul(dInput, du, lora.a, transposeA: false, transposeB: false, alpha: 1, beta: 0)
            backend.dropout(dInput, dInput, probability: lora.dropout, seed: seed)
            backend.add(dx, dx, dInput)
        } else {
            backend.matmul(dx, du, lora.a, transposeA: false, transposeB: false, alpha: 1, beta: 1)
        }
    }

    /// For a quantized base: dequantizes it (bit-exact with bitsandbytes) into the scratch `weight` views.
    /// Host memory only (the CPU backend); a device backend would run a `dequantizeNF4` op here instead.
    func materializeWeight() {
        guard let quantized else { return }
        guard let buffer = weight.hostBuffer else { preconditionFailure("4-bit base weights need a host-memory backend") }
        let start = buffer.pointer + weight.byteOffset
        do {
            if weight.dtype == .bf16 {
                try quantized.dequantize(intoBF16: UnsafeMutableBufferPointer(start: start.assumingMemoryBound(to: UInt16.self), count: weight.count))
            } else {
                try quantized.dequantize(intoFloats: UnsafeMutableBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: weight.count))
            }
        } catch {
            preconditionFailure("dequantizing \(name): \(error)")   // shapes were checked at init
        }
    }

    /// drop(x) in `dropped`, or x itself when dropout is off.
    func adapterInput(_ x: Tensor, dropped: Tensor, lora: LoraAdapter, seed: UInt64, backend: any TrainingBackend) -> Tensor {
        guard lora.dropout > 0 else { return x }
        let out = view(dropped, rows: x.shape[0], columns: inFeatures)
        backend.dropout(out, x, probability: lora.dropout, seed: seed)
        return out
    }

    /// The first rows·columns elements of a scratch tensor as (rows, columns).
    private func view(_ scratch: Tensor, rows: Int, columns: Int) -> Tensor {
        scratch.reshaped([scratch.count]).rows(0..<rows * columns).reshaped([rows, columns])
    }
}
