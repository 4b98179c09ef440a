// Learning-rate schedules against transformers.get_scheduler: the lr at each of 100 optimizer steps.
import Testing
import Training

@Suite struct ScheduleParityTests {
    @Test func schedulesMatchTransformers() throws {
        let fx = try OptimizerFixtures.load()
        let cases = fx.cases["schedules"] as! [[String: Any]]
        #expect(cases.count == 9)
        for c in cases {
            let name = c["name"] as! String
            let kind = try #require(ScheduleKind(rawValue: c["kind"] as! String))
            let warmup: Warmup
            switch c["warmup"] {
            case let ratio as Double where ratio < 1: warmup = .ratio(ratio)
            case let steps as Int: warmup = .steps(steps)
            default: warmup = .steps(0)
            }
            let kwargs = c["kwargs"] as! [String: Double]
            let schedule = try LearningRateSchedule(kind: kind, baseLearningRate: c["base_lr"] as! Double,
                                                    totalSteps: c["total"] as! Int, warmup: warmup,
                                                    minLearningRate: kwargs["min_lr"], minLearningRateRatio: kwargs["min_lr_rate"])
            if let steps = c["warmup_steps"] as? Int { #expect(schedule.warmupSteps == steps, "\(name) warmup steps") }
            let expected = c["lrs"] as! [Double]
            for (k, lr) in expected.enumerated() {
                let actual = schedule.learningRate(atStep: k)
                #expect(abs(actual - lr) <= 1e-15 * max(abs(lr), 1e-300), "\(name) step \(k): \(actual) vs \(lr)")
            }
        }
    }
}
