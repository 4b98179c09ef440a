// Reproducible LoRA initialization: each adapter's A is drawn from a generator seeded by
// (recipe seed, PEFT tensor name), so values do not depend on module order or on other modules.
import Basics
import Foundation

extension SplitMix64 {
    /// Standard normal (Box–Muller) from two draws.
    mutating func normal() -> Double {
        let u1 = max(nextDouble(), 0x1p-53), u2 = nextDouble()
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
            return (0..<rank * inFeatures).map { _ in Float((rng.nextDouble() * 2 - 1) * bound) }
        case .gaussian:
            let std = 1 / Double(rank)
            return (0..<rank * inFeatures).map { _ in Float(rng.normal() * std) }
        }
    }
}
