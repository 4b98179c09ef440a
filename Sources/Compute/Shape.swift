// The dimensions of a tensor, outermost first, and the row-major strides that go with them.
// Shapes are small value types; they never own memory.

/// Dimensions of a tensor, outermost first (`[B, T, C]`).
public struct Shape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var dims: [Int]

    public init(_ dims: [Int]) {
        precondition(dims.allSatisfy { $0 >= 0 }, "negative dimension in shape \(dims)")
        self.dims = dims
    }

    public init(arrayLiteral elements: Int...) { self.init(elements) }

    public var rank: Int { dims.count }

    /// Number of elements (1 for a scalar shape `[]`).
    public var count: Int { dims.reduce(1, *) }

    public subscript(_ axis: Int) -> Int { dims[axis < 0 ? dims.count + axis : axis] }

    /// Row-major (C order) strides in elements.
    public var contiguousStrides: [Int] {
        var strides = [Int](repeating: 1, count: dims.count)
        var step = 1
        for axis in stride(from: dims.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= dims[axis]
        }
        return strides
    }

    /// `(2, 3, 4)`.
    public var description: String { "(" + dims.map(String.init).joined(separator: ", ") + ")" }
}
