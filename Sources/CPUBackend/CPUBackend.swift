// The CPU backend: host memory, OpenBLAS GEMM, Swift SIMD kernels on all cores.
// This file holds memory management; each group of ops lives in its own CPU*.swift file.
import Basics
import CBLAS
import Compute
import Foundation

/// The reference backend. Tensors it makes live in `HostBuffer`s; host tensors upload without a copy.
///
/// Not thread-safe: one model drives one backend from one thread (ops parallelize internally).
public final class CPUBackend: Backend {
    public let name = "cpu"

    /// Scratch (attention scores, widened weights), grown on first need and reused: ops never allocate per call.
    var scratch: HostBuffer = HostBuffer(byteCount: 0)
    /// Scratch owned by one op family (loss logits, attention backward), so ops that call `matmul`
    /// (whose bf16 widening uses `scratch`) keep their own intermediate data intact.
    var namedScratch: [String: HostBuffer] = [:]

    /// bf16 matmuls (oneDNN) when the backend computes in bf16; nil in the default f32 mode.
    let oneDNN: OneDNNMatmul?

    /// - Parameter threads: cores a matmul is split over; nil uses all cores. OpenBLAS itself always
    ///   runs single-threaded (process-wide): each product is split into per-core blocks by `Parallel`.
    public init(threads: Int? = nil) {
        openblas_set_num_threads(1)
        gemmWorkers = max(1, min(threads ?? Parallel.workers, Parallel.workers))
        oneDNN = nil
    }

    /// A backend with an explicit matmul precision.
    ///
    /// With `.bf16`, every `matmul` whose right-hand side is stored as bf16 (weights loaded or
    /// dequantized as bf16) rounds its left-hand side to bf16 and multiplies with f32 accumulation
    /// (oneDNN; relative error ≈ 2⁻⁸ per product instead of f32's 2⁻²⁴). f32 right-hand sides
    /// (LoRA adapters, attention, trained weights) stay exact f32 either way.
    /// - Throws: when `.bf16` is asked for and oneDNN has no bf16 matmul for this CPU.
    public convenience init(threads: Int? = nil, matmulPrecision: MatmulPrecision) throws {
        switch matmulPrecision {
        case .f32:
            self.init(threads: threads)
        case .bf16:
            guard let engine = OneDNNMatmul() else {
                throw RunnerError("cpu backend", "oneDNN could not open a CPU engine", hint: "install libdnnl (apt-get install libdnnl-dev) or use f32")
            }
            let probe = OneDNNMatmul.Problem(m: 16, n: 16, k: 16, transposeA: false, transposeB: true, alpha: 1, beta: 0)
            guard let kernel = engine.implementation(probe) else {
                throw RunnerError("cpu backend", "oneDNN has no bf16 matmul for this CPU (it needs AVX-512 or AMX)", hint: "compute in f32")
            }
            self.init(threads: threads, oneDNN: engine)
            bf16Kernel = kernel
        }
    }

    private init(threads: Int?, oneDNN: OneDNNMatmul) {
        openblas_set_num_threads(1)
        gemmWorkers = max(1, min(threads ?? Parallel.workers, Parallel.workers))
        self.oneDNN = oneDNN
    }

    /// Per-op wall time when set (nil: off). Starts on when RUNNER_PROFILE_OPS=1 is in the environment.
    public var profile: OpProfile? = OpProfile.requestedByEnvironment ? OpProfile() : nil

    /// Blocks each f32 matmul is split into (one per core used).
    let gemmWorkers: Int

    /// How matmuls by bf16 weights compute.
    public var matmulPrecision: MatmulPrecision { oneDNN == nil ? .f32 : .bf16 }

    /// The oneDNN kernel bf16 matmuls run on (e.g. `brg:avx512_core_bf16`); nil in f32 mode.
    public private(set) var bf16Kernel: String?

    /// Floating-point operations (2·M·N·K per product) of every GEMM this backend has run, including
    /// attention's: what benchmarks divide by time to get the effective GEMM rate.
    public internal(set) var gemmFlops: Double = 0

    /// Worker count the kernels split loops over.
    public var workers: Int { Parallel.workers }

    /// Returns at least `floats` f32 of scratch (valid until the next op that uses scratch).
    func scratchFloats(_ floats: Int) -> UnsafeMutablePointer<Float> {
        if scratch.byteCount < floats * 4 { scratch = HostBuffer(byteCount: floats * 4) }
        return scratch.pointer.assumingMemoryBound(to: Float.self)
    }

    /// Returns at least `floats` f32 of the scratch named `slot` (valid until the next op using that slot).
    func scratchFloats(_ floats: Int, slot: String) -> UnsafeMutablePointer<Float> {
        if let buffer = namedScratch[slot], buffer.byteCount >= floats * 4 {
            return buffer.pointer.assumingMemoryBound(to: Float.self)
        }
        let buffer = HostBuffer(byteCount: floats * 4)
        namedScratch[slot] = buffer
        return buffer.pointer.assumingMemoryBound(to: Float.self)
    }

    /// Returns at least `floatsPerWorker` f32 of scratch for each worker, worker w at `w · floatsPerWorker`.
    func workerScratch(floatsPerWorker: Int) -> UnsafeMutablePointer<Float> {
        scratchFloats(floatsPerWorker * Parallel.workers)
    }

    // MARK: Memory

    public func allocate(_ shape: Shape, dtype: DType) -> Tensor {
        Tensor(storage: HostBuffer(byteCount: shape.count * dtype.size), shape: shape, dtype: dtype)
    }

    public func upload(_ host: Tensor, as dtype: DType?) -> Tensor {
        let target = dtype ?? host.dtype
        if target == host.dtype, host.isContiguous, host.storage is HostBuffer { return host }
        let out = allocate(host.shape, dtype: target)
        copy(out, from: host)
        return out
    }

    public func write(_ values: [Float], to tensor: Tensor) {
        precondition(tensor.dtype == .f32 && tensor.isContiguous && values.count == tensor.count,
                     "write of \(values.count) floats into \(tensor)")
        values.withUnsafeBufferPointer { f32(tensor).update(from: $0.baseAddress!, count: values.count) }
    }

    public func write(_ values: [Int32], to tensor: Tensor) {
        precondition(tensor.dtype == .i32 && tensor.isContiguous && values.count == tensor.count,
                     "write of \(values.count) ints into \(tensor)")
        values.withUnsafeBufferPointer { i32(tensor).update(from: $0.baseAddress!, count: values.count) }
    }

    public func readFloats(_ tensor: Tensor) -> [Float] {
        if tensor.dtype == .i32 {
            precondition(tensor.isContiguous)
            let p = i32(tensor)
            return (0..<tensor.count).map { Float(p[$0]) }
        }
        let out = allocate(tensor.shape, dtype: .f32)
        copy(out, from: tensor)
        return Array(UnsafeBufferPointer(start: f32(out), count: out.count))
    }

    public func synchronize() {}

    public func copy(_ dst: Tensor, from src: Tensor) {
        profileBegin()
        defer { profileEnd("copy/convert") }
        precondition(dst.shape == src.shape, "copy between shapes \(dst.shape) and \(src.shape)")
        let rank = dst.shape.rank
        guard dst.count > 0 else { return }
        let inner = rank == 0 ? 1 : dst.shape[rank - 1]
        let rows = dst.count / inner
        let dstBase = raw(dst), srcBase = raw(src)
        let dInner = rank == 0 ? 1 : dst.strides[rank - 1], sInner = rank == 0 ? 1 : src.strides[rank - 1]
        Parallel.forEach(rows, work: inner) { range in
            for row in range {
                // Byte offsets of this row in each view (odometer over the outer axes).
                var rest = row, dOff = 0, sOff = 0
                for axis in stride(from: rank - 2, through: 0, by: -1) {
                    let index = rest % dst.shape[axis]
                    rest /= dst.shape[axis]
                    dOff += index * dst.strides[axis]
                    sOff += index * src.strides[axis]
                }
                copyRow(dst: dstBase + dOff * dst.dtype.size, dstStride: dInner, dstType: dst.dtype,
                        src: srcBase + sOff * src.dtype.size, srcStride: sInner, srcType: src.dtype, count: inner)
            }
        }
    }

    // MARK: Pointer access (CPU tensors only)

    func raw(_ t: Tensor) -> UnsafeMutableRawPointer {
        guard let buffer = t.storage as? HostBuffer else { preconditionFailure("\(t) does not live in host memory") }
        return buffer.pointer + t.byteOffset
    }

    func f32(_ t: Tensor) -> UnsafeMutablePointer<Float> {
        precondition(t.dtype == .f32, "expected an f32 tensor, got \(t)")
        return raw(t).assumingMemoryBound(to: Float.self)
    }

    func i32(_ t: Tensor) -> UnsafeMutablePointer<Int32> {
        precondition(t.dtype == .i32, "expected an i32 tensor, got \(t)")
        return raw(t).assumingMemoryBound(to: Int32.self)
    }
}

/// The arithmetic of matmuls whose right-hand side is stored in bf16.
public enum MatmulPrecision: String, Sendable {
    /// Widen the bf16 weights to f32 and multiply in f32 (exact products): the reference semantics.
    case f32
    /// Round the left-hand side to bf16 and use the CPU's bf16 dot-product units, accumulating in f32.
    case bf16
}

/// Copies one row of `count` elements between float or integer types.
private func copyRow(dst: UnsafeMutableRawPointer, dstStride: Int, dstType: DType,
                     src: UnsafeMutableRawPointer, srcStride: Int, srcType: DType, count: Int) {
    if dstType == srcType, dstStride == 1, srcStride == 1 {
        dst.copyMemory(from: src, byteCount: count * dstType.size)
        return
    }
    for i in 0..<count {
        let value = readElement(src + i * srcStride * srcType.size, srcType)
        writeElement(value, dst + i * dstStride * dstType.size, dstType)
    }
}

@inline(__always)
private func readElement(_ p: UnsafeMutableRawPointer, _ type: DType) -> Float {
    switch type {
    case .f32: p.load(as: Float.self)
    case .bf16: FloatConversion.bf16ToFloat(p.load(as: UInt16.self))
    case .f16: FloatConversion.f16ToFloat(p.load(as: UInt16.self))
    case .i32: Float(p.load(as: Int32.self))
    case .i64: Float(p.load(as: Int64.self))
    case .i8: Float(p.load(as: Int8.self))
    case .u8: Float(p.load(as: UInt8.self))
    }
}

@inline(__always)
private func writeElement(_ value: Float, _ p: UnsafeMutableRawPointer, _ type: DType) {
    switch type {
    case .f32: p.storeBytes(of: value, as: Float.self)
    case .bf16: p.storeBytes(of: FloatConversion.floatToBF16(value), as: UInt16.self)
    case .f16: p.storeBytes(of: FloatConversion.floatToF16(value), as: UInt16.self)
    case .i32: p.storeBytes(of: Int32(value), as: Int32.self)
    case .i64: p.storeBytes(of: Int64(value), as: Int64.self)
    case .i8: p.storeBytes(of: Int8(value), as: Int8.self)
    case .u8: p.storeBytes(of: UInt8(value), as: UInt8.self)
    }
}
