// Deterministic shuffling from the recipe seed: Basics' SplitMix64 drives a Fisher–Yates
// shuffle, with unbiased bounded draws (Lemire 2019). Same seed, same order, everywhere.
import Basics

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
