// SGD variants against torch.optim.SGD, and global-norm clipping against torch.nn.utils.clip_grad_norm_.
import CPUBackend
import Compute
import Testing
import Training

@Suite struct SGDAndClippingParityTests {
    @Test func sgdMatchesTorch() throws {
        let fx = try OptimizerFixtures.load()
        let variants = fx.cases["sgd"] as! [[String: Any]]
        #expect(variants.count == 4)
        for v in variants {
            let name = v["name"] as! String
            let backend = CPUBackend()
            let p = makeParameter(backend, name: "w", values: try fx.floats("sgd/\(name)/initial"), decays: true)
            let h = SGDHyperparameters(momentum: v["momentum"] as! Double, dampening: v["dampening"] as! Double,
                                       nesterov: v["nesterov"] as! Bool, weightDecay: v["weight_decay"] as! Double)
            let optimizer = try SGD(parameters: [p], hyperparameters: h, backend: backend)
            for k in 0..<(v["steps"] as! Int) {
                backend.write(try fx.floats("sgd/\(name)/grad\(k)"), to: p.gradient)
                optimizer.step(learningRate: v["lr"] as! Double)
            }
            let values = Agreement(backend.readFloats(p.value), try fx.floats("sgd/\(name)/final"))
            // No square root or reduction involved: every value is bit-exact with torch.
            #expect(values.bitExact == values.count, "SGD \(name): \(values)")
            if h.momentum != 0 {
                let buffer = optimizer.stateTensors()["w.momentum_buffer"]!
                #expect(buffer.bytes == (try fx.bytes("sgd/\(name)/momentum_buffer")), "SGD \(name) momentum buffer")
            }
        }
    }

    @Test func clipGradNormMatchesTorch() throws {
        let fx = try OptimizerFixtures.load()
        let cases = fx.cases["clip"] as! [[String: Any]]
        for c in cases {
            let name = c["name"] as! String
            let backend = CPUBackend()
            let grads = try (0..<(c["count"] as! Int)).map { j -> Tensor in
                let values = try fx.floats("clip/\(name)/grad\(j)")
                let t = backend.allocate(Shape([values.count]), dtype: .f32)
                backend.write(values, to: t)
                return t
            }
            let norm = GradientClipping.clipGlobalNorm(grads, maxNorm: c["max_norm"] as! Double, backend: backend)
            let expectedNorm = Float(c["total_norm"] as! Double)
            #expect(abs(norm - expectedNorm) <= 1e-6 * expectedNorm, "\(name): norm \(norm) vs torch \(expectedNorm)")
            for (j, g) in grads.enumerated() {
                let clipped = Agreement(backend.readFloats(g), try fx.floats("clip/\(name)/clipped\(j)"))
                #expect(clipped.within(2e-6), "\(name) grad \(j): \(clipped)")
            }
        }
    }
}
