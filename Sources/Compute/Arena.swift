// The activation arena: every buffer a step needs is declared up front (name, shape), then one
// allocation backs them all. Nothing allocates inside a step; a step only writes into views.

/// Plans named tensors, allocates one backing buffer on a backend, and hands out views.
///
/// Usage: `var plan = ArenaPlan(); let x = plan.add("x", [B, T, C])`; then
/// `let arena = plan.allocate(on: backend)` and `arena[x]` is the tensor.
public struct ArenaPlan {
    public struct Slot: Hashable, Sendable {
        public let index: Int
    }

    private(set) var entries: [(name: String, shape: Shape, dtype: DType, byteOffset: Int)] = []
    /// Total bytes planned so far (each slot 64-byte aligned).
    public private(set) var byteCount = 0

    public init() {}

    /// Declares a tensor; returns the handle to look it up after allocation.
    public mutating func add(_ name: String, _ shape: Shape, dtype: DType = .f32) -> Slot {
        let offset = (byteCount + 63) / 64 * 64
        entries.append((name, shape, dtype, offset))
        byteCount = offset + shape.count * dtype.size
        return Slot(index: entries.count - 1)
    }

    /// Allocates the whole plan as one buffer on `backend`.
    public func allocate(on backend: any Backend) -> Arena {
        let backing = backend.allocate(Shape([max(byteCount, 1)]), dtype: .u8)
        let views = entries.map { entry in
            Tensor(storage: backing.storage, byteOffset: backing.byteOffset + entry.byteOffset, shape: entry.shape, dtype: entry.dtype)
        }
        return Arena(views: views, names: entries.map(\.name), byteCount: byteCount)
    }
}

/// The allocated arena: a fixed set of tensor views into one buffer.
public struct Arena {
    let views: [Tensor]
    public let names: [String]
    /// Bytes of the backing buffer.
    public let byteCount: Int

    public subscript(_ slot: ArenaPlan.Slot) -> Tensor { views[slot.index] }
}
