// Reproducible LoRA initialization: each adapter's A is drawn from a generator seeded by
// (recipe seed, PEFT tensor name), so values do not depend on module order or on other modules.
import Foundation

/// SplitMix64 stream used for adapter init (and nothing that needs cryptographic quality).
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 bits.
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        let u1 = max(uniform(), 0x1p-53), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// FNV-1a 64 of a string's UTF-8 bytes: a stable per-name seed.
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return hash
}

enum LoraInit {
    /// Values of adapter A (r, in) named `name`: PEFT's kaiming-uniform (±1/√in) or gaussian (std 1/r).
    static func matrixA(name: String, rank: Int, inFeatures: Int, initialization: LoraInitialization, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed ^ fnv1a(name))
        switch initialization {
        case .kaimingUniform:
            // kaiming_uniform_(a=√5): gain √(2/(1+5)), bound = gain·√(3/fan_in) = 1/√fan_in.
            let bound = 1 / Double(inFeatures).squareRoot()
            return (0..<rank * inFeatures).map { _ in Float((rng.uniform() * 2 - 1) * bound) }
        case .gaussian:
            let std = 1 / Double(rank)
            return (0..<rank * inFeatures).map { _ in Float(rng.normal() * std) }
        }
    }
}
