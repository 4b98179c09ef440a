// Dequantization of GGUF tensor data (any supported ggml type) to f32, block by block, split
// over the cores for large tensors. Runs on every model load, so the inner loops are raw pointers.
import Basics
import Compute
import Dispatch

/// Dequantization and size arithmetic for ggml block types.
public enum GGUFQuant {
    /// The types `dequantize` accepts.
    public static let dequantizableTypes: Set<GGMLType> = [
        .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
        .iq4_nl, .iq4_xs,
    ]

    /// Whether `dequantize` supports `type`.
    public static func canDequantize(_ type: GGMLType) -> Bool { dequantizableTypes.contains(type) }

    /// Dequantizes `count` values of `type` from `source` into `destination`.
    ///
    /// Contract: `count` is a multiple of `type.blockSize`; `source` holds at least
    /// `type.byteCount(forElements: count)` bytes (any alignment); `destination` holds at least
    /// `count` floats. Violations and unsupported types throw a RunnerError (nothing is written).
    /// Results are bit-exact with ggml's dequantize_row_* and the gguf Python package.
    public static func dequantize(_ type: GGMLType, from source: UnsafeRawBufferPointer, count: Int,
                                  into destination: UnsafeMutableBufferPointer<Float>) throws {
        let context = "dequantize \(type)"
        guard canDequantize(type) else {
            throw RunnerError(context, "dequantization of \(type) tensors is not supported",
                              hint: "supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS")
        }
        guard let byteCount = type.byteCount(forElements: count) else {
            throw RunnerError(context, "\(count) values is not a whole number of \(type.blockSize)-value blocks")
        }
        guard source.count >= byteCount else {
            throw RunnerError(context, "\(count) values need \(byteCount) bytes, got \(source.count)")
        }
        guard destination.count >= count else {
            throw RunnerError(context, "destination holds \(destination.count) floats, needs \(count)")
        }
        guard count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        let blocks = count / type.blockSize
        // Chunks of whole blocks, ~64 Ki values each, spread over the cores.
        let blocksPerChunk = max(1, 65536 / type.blockSize)
        let chunks = (blocks + blocksPerChunk - 1) / blocksPerChunk
        let run = { (chunk: Int) in
            let first = chunk * blocksPerChunk
            let last = min(blocks, first + blocksPerChunk)
            dequantizeBlocks(type, src + first * type.typeSize, dst + first * type.blockSize, last - first)
        }
        if chunks == 1 {
            run(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: run)
        }
    }

    /// Dequantizes `count` values of `type` from `source` into a new array (see the buffer variant).
    public static func dequantize(_ type: GGMLType, from source: UnsafeRawBufferPointer, count: Int) throws -> [Float] {
        guard type.byteCount(forElements: count) != nil else {
            throw RunnerError("dequantize \(type)", "\(count) values is not a whole number of \(type.blockSize)-value blocks")
        }
        // An empty result must not go through `unsafeUninitializedCapacity`: with capacity 0 it writes
        // the count of the stdlib's shared empty-array storage, a data race other threads can see.
        guard count > 0 else { return [] }
        var error: Error?
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            do {
                try dequantize(type, from: source, count: count, into: buffer)
                initialized = count
            } catch let caught {
                error = caught
                initialized = 0
            }
        }
        if let error { throw error }
        return values
    }

    /// `blocks` consecutive blocks; sizes already checked.
    private static func dequantizeBlocks(_ type: GGMLType, _ src: UnsafeRawPointer,
                                         _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        let stride = type.typeSize, width = type.blockSize
        @inline(__always) func each(_ body: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void) {
            for b in 0 ..< blocks { body(src + b * stride, dst + b * width) }
        }
        switch type {
        case .f32:
            for i in 0 ..< blocks {
                dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .f16:
            for i in 0 ..< blocks { dst[i] = GGUFBlocks.half(src, 2 * i) }
        case .bf16:
            for i in 0 ..< blocks {
                dst[i] = FloatConversion.bf16ToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .q4_0: each(GGUFBlocks.q4_0)
        case .q4_1: each(GGUFBlocks.q4_1)
        case .q5_0: each(GGUFBlocks.q5_0)
        case .q5_1: each(GGUFBlocks.q5_1)
        case .q8_0: each(GGUFBlocks.q8_0)
        case .q2_K: each(GGUFBlocks.q2_K)
        case .q3_K: each(GGUFBlocks.q3_K)
        case .q4_K: each(GGUFBlocks.q4_K)
        case .q5_K: each(GGUFBlocks.q5_K)
        case .q6_K: each(GGUFBlocks.q6_K)
        case .iq4_nl: each(GGUFBlocks.iq4_nl)
        case .iq4_xs: each(GGUFBlocks.iq4_xs)
        default: preconditionFailure("unsupported type \(type) passed the support check")
        }
    }
}
