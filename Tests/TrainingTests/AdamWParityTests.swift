// AdamW against torch.optim.AdamW and 8-bit AdamW against bitsandbytes' PagedAdamW8bit (CPU backend),
// step by step on the fixture's gradients and learning rates. Moments and quantized states are
// bit-exact; parameters agree to f32 rounding of the update (torch's sqrt is MKL's, not correctly
// rounded, so the denominator may differ by an ulp).
import CPUBackend
import Compute
import Testing
import Training

@Suite struct AdamWParityTests {
    @Test func adamwMatchesTorch() throws {
        let fx = try OptimizerFixtures.load()
        let meta = fx.cases["adamw"] as! [String: Any]
        let specs = meta["params"] as! [[String: Any]]
        let lrs = meta["lrs"] as! [Double]
        let backend = CPUBackend()
        let params = try specs.map { spec in
            let name = spec["name"] as! String
            return makeParameter(backend, name: name, values: try fx.floats("adamw/\(name)/initial"), decays: spec["decay"] as! Bool)
        }
        let h = AdamWHyperparameters(beta1: meta["beta1"] as! Double, beta2: meta["beta2"] as! Double,
                                     epsilon: meta["eps"] as! Double, weightDecay: meta["weight_decay"] as! Double)
        let optimizer = try AdamW(parameters: params, hyperparameters: h, backend: backend)
        for (k, lr) in lrs.enumerated() {
            for p in params { backend.write(try fx.floats("adamw/\(p.name)/grad\(k)"), to: p.gradient) }
            optimizer.step(learningRate: lr)
            if k == 0 {
                for p in params {
                    let agreement = Agreement(backend.readFloats(p.value), try fx.floats("adamw/\(p.name)/after1"), floor: Float(lrs[0]))
                    #expect(agreement.within(1e-6), "\(p.name) after step 1: \(agreement)")
                }
            }
        }
        let state = optimizer.stateTensors()
        for p in params {
            let values = Agreement(backend.readFloats(p.value), try fx.floats("adamw/\(p.name)/final"), floor: Float(lrs.last!))
            #expect(values.within(1e-6), "\(p.name) after \(lrs.count) steps: \(values)")
            // The moments involve no square root: bit-exact with torch.
            for key in ["exp_avg", "exp_avg_sq"] {
                let entry = try #require(state["\(p.name).\(key)"])
                #expect(entry.bytes == (try fx.bytes("adamw/\(p.name)/\(key)")), "\(p.name).\(key) differs from torch")
            }
        }
        #expect(state["step"]!.int64Value == lrs.count)
    }

    @Test func adamw8bitMatchesBitsandbytes() throws {
        let fx = try OptimizerFixtures.load()
        let meta = fx.cases["adamw8bit"] as! [String: Any]
        let specs = meta["params"] as! [[String: Any]]
        let lrs = meta["lrs"] as! [Double]
        let backend = CPUBackend()
        let params = try specs.map { spec in
            let name = spec["name"] as! String
            return makeParameter(backend, name: name, values: try fx.floats("adamw8bit/\(name)/initial"), decays: spec["decay"] as! Bool)
        }
        let h = AdamWHyperparameters(beta1: meta["beta1"] as! Double, beta2: meta["beta2"] as! Double,
                                     epsilon: meta["eps"] as! Double, weightDecay: meta["weight_decay"] as! Double)
        let optimizer = try AdamW8bit(parameters: params, hyperparameters: h, paged: true, backend: backend)
        #expect(params.indices.map(optimizer.isQuantized) == params.map { $0.value.count >= 4096 })
        for (k, lr) in lrs.enumerated() {
            for p in params { backend.write(try fx.floats("adamw8bit/\(p.name)/grad\(k)"), to: p.gradient) }
            optimizer.step(learningRate: lr)
            if k == 0 {
                let state = optimizer.stateTensors()
                for p in params where fx.has("adamw8bit/\(p.name)/state1_after1") {
                    #expect(state["\(p.name).state1"]!.bytes == (try fx.bytes("adamw8bit/\(p.name)/state1_after1")))
                    #expect(state["\(p.name).state2"]!.bytes == (try fx.bytes("adamw8bit/\(p.name)/state2_after1")))
                }
                for p in params {
                    let agreement = Agreement(backend.readFloats(p.value), try fx.floats("adamw8bit/\(p.name)/after1"), floor: Float(lrs[0]))
                    #expect(agreement.within(1e-6), "\(p.name) after step 1: \(agreement)")
                }
            }
        }
        let state = optimizer.stateTensors()
        for p in params {
            let values = Agreement(backend.readFloats(p.value), try fx.floats("adamw8bit/\(p.name)/final"), floor: Float(lrs.last!))
            #expect(values.within(1e-6), "\(p.name) after \(lrs.count) steps: \(values)")
            // Quantized codes, absmax and 32-bit moments: byte for byte what bitsandbytes stores.
            for key in ["state1", "state2", "absmax1", "absmax2"] where fx.has("adamw8bit/\(p.name)/\(key)") {
                let entry = try #require(state["\(p.name).\(key)"], "missing \(p.name).\(key)")
                let expected = try fx.bytes("adamw8bit/\(p.name)/\(key)")
                let differing = zip(entry.bytes, expected).filter { $0 != $1 }.count
                #expect(entry.bytes == expected, "\(p.name).\(key): \(differing) of \(expected.count) bytes differ from bitsandbytes")
            }
        }
    }
}
