// Rotary embedding tables: inverse frequencies (with llama3 / linear scaling) and the cos/sin
// of position × frequency, computed in f32 in the same order as transformers so angles match.
import Compute
import Foundation

enum RotaryTables {
    /// Inverse frequencies, HD/2 of them: `1 / θ^(2i/HD)`, then the config's scaling.
    static func inverseFrequencies(_ config: LlamaConfig) -> [Float] {
        let dim = config.headDim
        var inverse = (0..<dim / 2).map { i in 1 / powf(config.rope.theta, Float(2 * i) / Float(dim)) }
        switch config.rope.scaling {
        case nil: break
        case .linear(let factor):
            inverse = inverse.map { $0 / factor }
        case .llama3(let factor, let low, let high, let original):
            let context = Float(original)
            let lowFreqWavelength = context / low, highFreqWavelength = context / high
            inverse = inverse.map { f in
                let wavelength = 2 * Float.pi / f
                if wavelength < highFreqWavelength { return f }          // high frequencies: unchanged
                if wavelength > lowFreqWavelength { return f / factor }  // low frequencies: scaled
                let smooth = (context / wavelength - low) / (high - low) // in between: a linear ramp
                return (1 - smooth) * f / factor + smooth * f
            }
        }
        return inverse
    }

    /// cos and sin tables (P, HD/2) for positions 0..<P, as host tensors.
    static func tables(_ config: LlamaConfig, positions: Int) -> (cos: Tensor, sin: Tensor) {
        let inverse = inverseFrequencies(config)
        let half = inverse.count
        var cosValues = [Float](repeating: 0, count: positions * half), sinValues = cosValues
        for p in 0..<positions {
            for i in 0..<half {
                let angle = Float(p) * inverse[i]
                cosValues[p * half + i] = cosf(angle)
                sinValues[p * half + i] = sinf(angle)
            }
        }
        return (Tensor.host(cosValues, shape: [positions, half]), Tensor.host(sinValues, shape: [positions, half]))
    }
}
