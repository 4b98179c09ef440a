// Nonzero pseudo-random test inputs from Basics' SplitMix64, so a failing numeric test replays
// exactly from its seed.
import Basics

extension SplitMix64 {
    /// Uniform in [-1, 1): the top 24 bits of one draw.
    public mutating func signedUnitFloat() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    /// `count` values uniform in [-scale, scale).
    public mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in signedUnitFloat() * scale }
    }
}
