// Learning-rate schedules as transformers' get_scheduler builds them (a LambdaLR over the base lr):
// constant, constant_with_warmup, linear, cosine and cosine_with_min_lr, with warmup in steps or a ratio.
import Basics
import Foundation

/// The schedule shapes, by transformers' `SchedulerType` names.
public enum ScheduleKind: String, Sendable, Hashable, Codable, CaseIterable {
    case constant
    case constantWithWarmup = "constant_with_warmup"
    case linear
    case cosine
    case cosineWithMinLR = "cosine_with_min_lr"
}

/// Warmup length: a step count, or a ratio of the total steps.
public enum Warmup: Sendable, Hashable, Codable {
    case steps(Int)
    case ratio(Double)

    /// Warmup steps for a run of `totalSteps`: the count itself, or ⌈totalSteps · ratio⌉
    /// (`TrainingArguments.get_warmup_steps`).
    public func steps(totalSteps: Int) -> Int {
        switch self {
        case .steps(let n): n
        case .ratio(let r): Int((Double(totalSteps) * r).rounded(.up))
        }
    }
}

/// The learning rate at each optimizer step: `baseLearningRate · multiplier(k)`, where step k = 0 is
/// the first `optimizer.step()` (LambdaLR semantics; what transformers logs as `learning_rate`).
/// Stateless: the loop passes `learningRate(atStep: optimizer.stepCount)` to `optimizer.step`, so a
/// resumed run (whose optimizer state restores `stepCount`) continues the schedule where it stopped.
public struct LearningRateSchedule: Sendable, Hashable {
    public let kind: ScheduleKind
    public let baseLearningRate: Double
    public let totalSteps: Int
    public let warmupSteps: Int
    /// Floor of the cosine as a fraction of the base rate (`cosine_with_min_lr`; 0 otherwise).
    public let minLearningRateRatio: Double
    /// Cosine waves over the decay (transformers' `num_cycles`, 0.5: one half-cosine down).
    public let cycles: Double

    /// - Parameters:
    ///   - minLearningRate / minLearningRateRatio: for `cosine_with_min_lr`, exactly one of them
    ///     (`min_lr` becomes the ratio `min_lr / base lr`, as transformers computes it).
    /// Throws, naming the setting, when a value is out of range or does not fit the kind.
    public init(kind: ScheduleKind, baseLearningRate: Double, totalSteps: Int, warmup: Warmup = .steps(0),
                minLearningRate: Double? = nil, minLearningRateRatio: Double? = nil, cycles: Double = 0.5) throws {
        guard baseLearningRate >= 0, baseLearningRate.isFinite else {
            throw RunnerError("learning_rate", "must be finite and ≥ 0, got \(baseLearningRate)")
        }
        guard totalSteps >= 1 else {
            throw RunnerError("lr schedule", "the run has \(totalSteps) optimizer steps; it needs at least 1",
                              hint: "check max_steps, epochs, batch size and gradient accumulation against the dataset size")
        }
        switch warmup {
        case .steps(let n) where n < 0:
            throw RunnerError("warmup_steps", "must be ≥ 0, got \(n)")
        case .ratio(let r) where !(r >= 0 && r < 1):
            throw RunnerError("warmup_ratio", "must be in [0, 1), got \(r)", hint: "use warmup_steps for a step count")
        default: break
        }
        guard cycles.isFinite, cycles > 0 else { throw RunnerError("num_cycles", "must be > 0, got \(cycles)") }
        var ratio = 0.0
        if kind == .cosineWithMinLR {
            switch (minLearningRate, minLearningRateRatio) {
            case (.some, .some):
                throw RunnerError("cosine_with_min_lr", "set only one of min_lr and min_lr_rate")
            case (.some(let minLR), nil):
                guard baseLearningRate > 0 else { throw RunnerError("min_lr", "needs a learning_rate > 0") }
                ratio = minLR / baseLearningRate
            case (nil, .some(let r)):
                ratio = r
            case (nil, nil):
                throw RunnerError("cosine_with_min_lr", "needs min_lr or min_lr_rate", hint: "e.g. min_lr_rate: 0.1")
            }
            guard ratio >= 0, ratio <= 1 else {
                throw RunnerError("cosine_with_min_lr", "the minimum must lie between 0 and the learning rate (ratio \(ratio))")
            }
        } else if minLearningRate != nil || minLearningRateRatio != nil {
            throw RunnerError("lr schedule", "min_lr / min_lr_rate apply to cosine_with_min_lr only, not \(kind.rawValue)")
        }
        self.kind = kind
        self.baseLearningRate = baseLearningRate
        self.totalSteps = totalSteps
        self.warmupSteps = warmup.steps(totalSteps: totalSteps)
        self.minLearningRateRatio = ratio
        self.cycles = cycles
    }

    /// The learning rate of optimizer step `step` (0-based).
    public func learningRate(atStep step: Int) -> Double {
        baseLearningRate * multiplier(atStep: step)
    }

    /// transformers' lr lambda at `step` (0-based), in the same Double arithmetic.
    public func multiplier(atStep step: Int) -> Double {
        precondition(step >= 0, "schedule step must be ≥ 0, got \(step)")
        let k = Double(step), warmup = Double(warmupSteps)
        switch kind {
        case .constant:
            return 1
        case .constantWithWarmup:
            return step < warmupSteps ? k / max(1, warmup) : 1
        case .linear:
            if step < warmupSteps { return k / Double(max(1, warmupSteps)) }
            return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        case .cosine, .cosineWithMinLR:
            if step < warmupSteps { return k / Double(max(1, warmupSteps)) }
            let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
            var factor = 0.5 * (1 + cos(Double.pi * cycles * 2 * progress))
            if kind == .cosineWithMinLR { factor = factor * (1 - minLearningRateRatio) + minLearningRateRatio }
            return max(0, factor)
        }
    }
}
