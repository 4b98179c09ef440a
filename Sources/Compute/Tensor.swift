// Tensor: a typed, shaped view (offset + strides) into reference-counted storage. Copying a
// Tensor copies the view, never the data; the storage lives as long as any view of it.

/// A view into a `TensorStorage`: where it starts, its shape, strides and element type.
///
/// Contract: `byteOffset + extent × dtype.size ≤ storage.byteCount` (checked at creation).
/// Most backend ops require `isContiguous`; views made by `rows(_:)` of a contiguous tensor are.
public struct Tensor: CustomStringConvertible {
    public let storage: any TensorStorage
    /// Offset of element 0 from the start of the storage, in bytes.
    public let byteOffset: Int
    public let shape: Shape
    /// Distance between consecutive elements along each axis, in elements.
    public let strides: [Int]
    public let dtype: DType

    public init(storage: any TensorStorage, byteOffset: Int = 0, shape: Shape, strides: [Int]? = nil, dtype: DType) {
        let strides = strides ?? shape.contiguousStrides
        precondition(strides.count == shape.rank, "strides \(strides) do not match shape \(shape)")
        self.storage = storage
        self.byteOffset = byteOffset
        self.shape = shape
        self.strides = strides
        self.dtype = dtype
        let extent = zip(shape.dims, strides).reduce(1) { $0 + ($1.0 - 1) * $1.1 }
        precondition(shape.count == 0 || byteOffset + extent * dtype.size <= storage.byteCount,
                     "view \(shape) at byte \(byteOffset) overruns storage of \(storage.byteCount) bytes")
    }

    public var count: Int { shape.count }
    public var byteCount: Int { count * dtype.size }

    /// True when elements are laid out densely in row-major order.
    public var isContiguous: Bool { strides == shape.contiguousStrides || shape.count <= 1 }

    /// The same elements under another shape with the same count (contiguous tensors only).
    public func reshaped(_ newShape: Shape) -> Tensor {
        precondition(isContiguous, "reshape of a non-contiguous view \(self)")
        precondition(newShape.count == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor(storage: storage, byteOffset: byteOffset, shape: newShape, dtype: dtype)
    }

    /// Elements `range` along the outermost axis (a contiguous view when `self` is contiguous).
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(shape.rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) out of \(shape)")
        var dims = shape.dims
        dims[0] = range.count
        return Tensor(storage: storage, byteOffset: byteOffset + range.lowerBound * strides[0] * dtype.size,
                      shape: Shape(dims), strides: strides, dtype: dtype)
    }

    /// Elements `range` along `axis`; strides are kept, so the view may be non-contiguous.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice \(range) out of axis \(axis) of \(shape)")
        var dims = shape.dims
        dims[axis] = range.count
        return Tensor(storage: storage, byteOffset: byteOffset + range.lowerBound * strides[axis] * dtype.size,
                      shape: Shape(dims), strides: strides, dtype: dtype)
    }

    public var description: String { "Tensor\(shape) \(dtype.rawValue)" }
}

extension Tensor {
    /// A new host tensor holding `values` (f32), for uploading with `Backend.upload`.
    public static func host(_ values: [Float], shape: Shape) -> Tensor {
        precondition(values.count == shape.count, "\(values.count) values for shape \(shape)")
        let buffer = HostBuffer(byteCount: values.count * 4)
        values.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return Tensor(storage: buffer, shape: shape, dtype: .f32)
    }

    /// A new host tensor of `dtype` whose bytes are `bytes` (little-endian element encoding).
    public static func host(bytes: UnsafeRawBufferPointer, shape: Shape, dtype: DType) -> Tensor {
        precondition(bytes.count == shape.count * dtype.size, "\(bytes.count) bytes for \(shape) \(dtype)")
        let buffer = HostBuffer(byteCount: bytes.count)
        if bytes.count > 0 { buffer.pointer.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        return Tensor(storage: buffer, shape: shape, dtype: dtype)
    }

    /// The host buffer behind this view, when it lives in host memory.
    public var hostBuffer: HostBuffer? { storage as? HostBuffer }

    /// Reads a contiguous host tensor as f32 (converting bf16/f16). Traps on device tensors —
    /// use `Backend.readFloats` for those.
    public func hostFloats() -> [Float] {
        guard let buffer = hostBuffer else { preconditionFailure("hostFloats() on a device tensor; use Backend.readFloats") }
        precondition(isContiguous, "hostFloats() of a non-contiguous view")
        let base = buffer.pointer + byteOffset
        // Not with capacity 0: the stdlib would write into the shared empty-array singleton (a data race).
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { out, n in
            switch dtype {
            case .f32: out.baseAddress!.update(from: base.assumingMemoryBound(to: Float.self), count: count)
            case .bf16:
                let p = base.assumingMemoryBound(to: UInt16.self)
                for i in 0..<count { out[i] = FloatConversion.bf16ToFloat(p[i]) }
            case .f16:
                let p = base.assumingMemoryBound(to: UInt16.self)
                for i in 0..<count { out[i] = FloatConversion.f16ToFloat(p[i]) }
            default: preconditionFailure("hostFloats() of \(dtype)")
            }
            n = count
        }
    }
}
