// Deterministic shuffling from the recipe seed: SplitMix64 (Steele, Lea & Flood 2014) drives a
// Fisher–Yates shuffle, with unbiased bounded draws (Lemire 2019). Same seed, same order, everywhere.

/// SplitMix64: a tiny, well-mixed 64-bit generator; the sequence is fixed by the seed alone.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in 0..<bound (bound > 0), without modulo bias (Lemire's multiply-shift with rejection).
    public mutating func uniform(below bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }
}

extension Array {
    /// Fisher–Yates from the last element down: swaps element i with a uniform j in 0...i.
    public mutating func seededShuffle(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        guard count > 1 else { return }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(generator.uniform(below: UInt64(i + 1)))
            swapAt(i, j)
        }
    }
}
