// The optimizer-step loop of `train`: micro-batches × gradient accumulation (loss normalized by the
// target tokens of the whole step, as transformers does for causal LMs), clipping, the schedule,
// periodic logging, evaluation and checkpoints, resuming from a checkpoint, cancellation between
// steps (with a checkpoint of the last completed step), and a stop on a non-finite loss.
import Basics
import Compute
import Foundation
import Models
import Pipeline
import Training

/// One optimizer step's record (`metrics.json`).
struct StepRecord: Codable, Equatable {
    var step: Int            // 1-based, as transformers logs it
    var loss: Double
    var learningRate: Double
    var gradNorm: Double
    var tokens: Int          // target tokens of the step (the loss normalizer)

    enum CodingKeys: String, CodingKey { case step, loss, learningRate = "learning_rate", gradNorm = "grad_norm", tokens = "target_tokens" }
}

/// One evaluation (`metrics.json`).
struct EvalRecord: Codable, Equatable {
    var step: Int
    var loss: Double
}

struct TrainLoop {
    let model: TrainableModel
    let optimizer: any Optimizer
    let schedule: LearningRateSchedule
    let batches: TrainBatches
    let evalBatches: [TrainingBatch]
    let totalSteps: Int
    let maxGradNorm: Double
    let logEvery: Int
    let evalEvery: Int?
    let backend: any OptimizerBackend
    /// Where checkpoints go and come from; nil: none are written or resumed.
    var checkpoints: TrainCheckpointStore? = nil
    /// Write a checkpoint every this many steps (besides the one on interruption); nil: only then.
    var saveEvery: Int? = nil

    /// Metrics so far: every step's record, every evaluation, real tokens seen, training seconds.
    typealias Outcome = TrainProgressState

    /// Runs the steps not done yet: all of them, or those after the newest usable checkpoint, so
    /// that a resumed run computes bit-identical losses and weights to an uninterrupted one (data
    /// order and dropout masks are functions of (seed, step); the optimizer state and weights come
    /// from the checkpoint).
    ///
    /// Throws `StageCancelled` at the first step boundary after cancellation, having written a
    /// checkpoint of the last completed step; a `RunnerError` on a non-finite loss or gradient
    /// norm, keeping the checkpoints written so far.
    func run(_ context: StageContext) throws -> Outcome {
        var outcome = Outcome()
        var firstStep = 0
        if let checkpoints {
            checkpoints.sweepTemporaries()
            if let resumed = checkpoints.resume(model: model, optimizer: optimizer, log: context.log) {
                (firstStep, outcome) = resumed
            }
        }
        let gradients = optimizer.parameters.map(\.gradient)
        context.progress.start(total: totalSteps, unit: "steps", completed: firstStep)
        let start = Date(), earlierSeconds = outcome.seconds, earlierTokens = outcome.tokens
        for step in firstStep..<totalSteps {
            if context.isCancelled {
                saveOnInterruption(afterStep: step, outcome, context)
                throw StageCancelled()
            }
            let micro = batches.microBatches(ofStep: step)
            let tokensInStep = micro.reduce(0) { $0 + $1.targetTokenCount }
            guard tokensInStep > 0 else {
                throw RunnerError("stage `\(context.stage.name)`", "optimizer step \(step + 1) has no target tokens: every label is masked",
                                  hint: "check the dataset's loss_on setting and max_seq_len")
            }
            var lossSum = 0.0
            for batch in micro {
                let (loss, tokens) = try model.forwardBackward(batch, lossNormalizer: tokensInStep, step: step)
                lossSum += Double(loss) * Double(tokens)
                outcome.tokens += TrainBatches.realTokens(batch)
            }
            let loss = lossSum / Double(tokensInStep)
            guard loss.isFinite else {
                throw RunnerError("stage `\(context.stage.name)`", "the training loss became \(loss) at step \(step + 1)",
                                  hint: "lower learning_rate, keep max_grad_norm > 0, or add warmup" + keptCheckpointNote)
            }
            let gradNorm = maxGradNorm > 0
                ? GradientClipping.clipGlobalNorm(gradients, maxNorm: maxGradNorm, backend: backend)
                : GradientClipping.globalNorm(gradients, backend: backend)
            guard gradNorm.isFinite else {
                throw RunnerError("stage `\(context.stage.name)`", "the gradient norm became \(gradNorm) at step \(step + 1)",
                                  hint: "lower learning_rate or add warmup" + keptCheckpointNote)
            }
            let learningRate = schedule.learningRate(atStep: optimizer.stepCount)
            optimizer.step(learningRate: learningRate)
            model.zeroGradients()
            let record = StepRecord(step: step + 1, loss: loss, learningRate: learningRate, gradNorm: Double(gradNorm), tokens: tokensInStep)
            outcome.steps.append(record)
            let elapsed = Date().timeIntervalSince(start)
            outcome.seconds = earlierSeconds + elapsed
            let tokensPerSecond = Double(outcome.tokens - earlierTokens) / max(elapsed, 1e-9)  // this run's speed
            if (step + 1) % logEvery == 0 || step + 1 == totalSteps {
                context.log(String(format: "step %d/%d  loss %.4f  lr %.3g  grad_norm %.3f  %.0f tok/s", step + 1, totalSteps,
                                   loss, learningRate, gradNorm, tokensPerSecond))
            }
            if !evalBatches.isEmpty, let evalEvery, (step + 1) % evalEvery == 0 || step + 1 == totalSteps {
                if let evalLoss = try evaluate() {
                    outcome.evals.append(EvalRecord(step: step + 1, loss: evalLoss))
                    context.log(String(format: "step %d  eval loss %.4f", step + 1, evalLoss))
                }
            }
            context.progress.detail(String(format: "loss %.4f  %.0f tok/s", loss, tokensPerSecond))
            context.progress.advance()
            if let saveEvery, (step + 1) % saveEvery == 0, step + 1 < totalSteps {
                save(afterStep: step + 1, outcome, context)
            }
        }
        if !evalBatches.isEmpty, evalEvery == nil {
            if let evalLoss = try evaluate() {
                outcome.evals.append(EvalRecord(step: totalSteps, loss: evalLoss))
                context.log(String(format: "eval loss %.4f", evalLoss))
            }
        }
        outcome.seconds = earlierSeconds + Date().timeIntervalSince(start)
        return outcome
    }

    /// Writes the checkpoint after `step` steps. A failure is logged, not thrown: training goes on
    /// (it only loses the ability to resume from this step).
    @discardableResult
    private func save(afterStep step: Int, _ outcome: Outcome, _ context: StageContext) -> URL? {
        guard let checkpoints else { return nil }
        do {
            return try checkpoints.save(step: step, model: model, optimizer: optimizer, progress: outcome)
        } catch {
            context.log("could not write the checkpoint of step \(step): \(error); training goes on without it")
            return nil
        }
    }

    /// On Ctrl-C: the checkpoint of the last completed step (unless it is written already), and a
    /// line saying how to resume.
    private func saveOnInterruption(afterStep step: Int, _ outcome: Outcome, _ context: StageContext) {
        guard let checkpoints, step > 0 else { return }
        if checkpoints.latestStep == step || save(afterStep: step, outcome, context) != nil {
            context.log("interrupted after step \(step) of \(totalSteps); checkpoint at \(checkpoints.url(step: step).path). "
                        + "Run the same command again to resume from it.")
        }
    }

    /// "; the checkpoint of step N is kept (…)" for failure hints, when there is one.
    private var keptCheckpointNote: String {
        guard let checkpoints, let step = checkpoints.latestStep else { return "" }
        return "; the last good checkpoint (step \(step), \(checkpoints.url(step: step).path)) is kept"
    }

    /// Mean loss over every target token of the evaluation rows (no dropout, no gradients); nil
    /// when they have no target tokens.
    func evaluate() throws -> Double? {
        var sum = 0.0, count = 0
        for batch in evalBatches {
            let (loss, tokens) = try model.loss(batch)
            sum += Double(loss) * Double(tokens)
            count += tokens
        }
        return count > 0 ? sum / Double(count) : nil
    }
}
