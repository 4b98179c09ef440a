// Rotary position embedding on the CPU, HF `rotate_half` layout: the two halves of each head
// are the (real, imaginary) parts, rotated by the angle of the token's position.
import Compute

extension CPUBackend {
    public func ropeForward(_ out: Tensor, _ x: Tensor, cos: Tensor, sin: Tensor, positions: Tensor) {
        profileBegin()
        defer { profileEnd("rope forward") }
        rotate(out, x, cos: cos, sin: sin, positions: positions, inverse: false)
    }

    /// The gradient of a rotation is the rotation by the opposite angle: dx = R(−θ)·dy.
    public func ropeBackward(_ dx: Tensor, _ dy: Tensor, cos: Tensor, sin: Tensor, positions: Tensor) {
        profileBegin()
        defer { profileEnd("rope backward") }
        rotate(dx, dy, cos: cos, sin: sin, positions: positions, inverse: true)
    }

    /// out = R(±θ_position)·x per head, for x (B, T, NH, HD) and tables (rows, HD/2). Negating the
    /// sine is exact, so the inverse rotation is bit-identical to a separately written backward.
    private func rotate(_ out: Tensor, _ x: Tensor, cos: Tensor, sin: Tensor, positions: Tensor, inverse: Bool) {
        precondition(x.shape.rank == 4 && out.shape == x.shape, "rope wants (B, T, NH, HD), got \(x.shape)")
        let (b, t, nh, hd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let half = hd / 2
        precondition(cos.shape.rank == 2 && cos.shape[1] == half && sin.shape == cos.shape, "rope tables \(cos.shape) do not fit head dim \(hd)")
        precondition(positions.count == b * t, "rope positions \(positions.shape) for (B, T) = (\(b), \(t))")
        let tableRows = cos.shape[0]
        let sign: Float = inverse ? -1 : 1
        let o = f32(out), xp = f32(x), cp = f32(cos), sp = f32(sin), pos = i32(positions)
        Parallel.forEach(b * t, work: nh * hd * 4) { tokens in
            for token in tokens {
                let p = Int(pos[token])
                precondition(p >= 0 && p < tableRows, "position \(p) is outside the rope table (0..<\(tableRows))")
                let c = cp + p * half, s = sp + p * half
                for head in 0..<nh {
                    let xr = xp + (token * nh + head) * hd, orow = o + (token * nh + head) * hd
                    for i in 0..<half {
                        let x1 = xr[i], x2 = xr[i + half], si = sign * s[i]
                        orow[i] = x1 * c[i] - x2 * si
                        orow[i + half] = x2 * c[i] + x1 * si
                    }
                }
            }
        }
    }
}
