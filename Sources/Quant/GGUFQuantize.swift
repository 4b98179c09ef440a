// Quantization of f32 values into GGUF tensor data: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0
// bit-identical to ggml's reference quantizers and the gguf Python package; Q4_K, Q5_K, Q6_K with
// ggml's reference scale searches (the gguf package has no K-quant quantizer to compare against).
import Basics
import Compute
import Dispatch

extension GGUFQuant {
    /// The types `quantize` accepts.
    public static let quantizableTypes: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    /// Quantizes `values` as `type` into `destination`.
    ///
    /// Contract: `values.count` is a multiple of `type.blockSize`; `destination` holds at least
    /// `type.byteCount(forElements: values.count)` bytes. Violations and unsupported types throw
    /// a RunnerError and write nothing.
    public static func quantize(_ type: GGMLType, _ values: UnsafeBufferPointer<Float>,
                                into destination: UnsafeMutableRawBufferPointer) throws {
        let context = "quantize \(type)"
        guard quantizableTypes.contains(type) else {
            throw RunnerError(context, "quantization to \(type) is not supported",
                              hint: "supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K")
        }
        guard let byteCount = type.byteCount(forElements: values.count) else {
            throw RunnerError(context, "\(values.count) values is not a whole number of \(type.blockSize)-value blocks")
        }
        guard destination.count >= byteCount else {
            throw RunnerError(context, "\(values.count) values need \(byteCount) bytes, destination has \(destination.count)")
        }
        guard values.count > 0, let src = values.baseAddress, let dst = destination.baseAddress else { return }
        let blocks = values.count / type.blockSize
        let blocksPerChunk = max(1, 65536 / type.blockSize)
        let chunks = (blocks + blocksPerChunk - 1) / blocksPerChunk
        let run = { (chunk: Int) in
            let first = chunk * blocksPerChunk
            let last = min(blocks, first + blocksPerChunk)
            quantizeBlocks(type, src + first * type.blockSize, dst + first * type.typeSize, last - first)
        }
        if chunks == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: chunks, execute: run) }
    }

    /// Quantizes `values` as `type` into a new byte array (see the buffer variant).
    public static func quantize(_ type: GGMLType, _ values: [Float]) throws -> [UInt8] {
        guard let byteCount = type.byteCount(forElements: values.count) else {
            throw RunnerError("quantize \(type)", "\(values.count) values is not a whole number of \(type.blockSize)-value blocks")
        }
        var out = [UInt8](repeating: 0, count: byteCount)
        try values.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBytes { try quantize(type, src, into: $0) }
        }
        return out
    }

    private static func quantizeBlocks(_ type: GGMLType, _ src: UnsafePointer<Float>,
                                       _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
        let width = type.blockSize, stride = type.typeSize
        @inline(__always) func each(_ body: (UnsafePointer<Float>, UnsafeMutableRawPointer) -> Void) {
            for b in 0 ..< blocks { body(src + b * width, dst + b * stride) }
        }
        switch type {
        case .f32:
            for i in 0 ..< blocks { dst.storeBytes(of: src[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        case .f16:
            for i in 0 ..< blocks { dst.storeBytes(of: FloatConversion.floatToF16(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16:
            for i in 0 ..< blocks { dst.storeBytes(of: FloatConversion.floatToBF16(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .q4_0: each(GGUFQuantizeBlocks.q4_0)
        case .q4_1: each(GGUFQuantizeBlocks.q4_1)
        case .q5_0: each(GGUFQuantizeBlocks.q5_0)
        case .q5_1: each(GGUFQuantizeBlocks.q5_1)
        case .q8_0: each(GGUFQuantizeBlocks.q8_0)
        case .q4_K: each(GGUFQuantizeKBlocks.q4_K)
        case .q5_K: each(GGUFQuantizeKBlocks.q5_K)
        case .q6_K: each(GGUFQuantizeKBlocks.q6_K)
        default: preconditionFailure("unsupported type \(type) passed the support check")
        }
    }
}
