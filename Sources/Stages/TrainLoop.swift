// The optimizer-step loop of `train`: micro-batches × gradient accumulation (loss normalized by the
// target tokens of the whole step, as transformers does for causal LMs), clipping, the schedule,
// periodic logging and evaluation, cancellation between steps, and a stop on a non-finite loss.
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

    struct Outcome {
        var steps: [StepRecord] = []
        var evals: [EvalRecord] = []
        var tokens = 0
        var seconds = 0.0
    }

    func run(_ context: StageContext) throws -> Outcome {
        var outcome = Outcome()
        let gradients = optimizer.parameters.map(\.gradient)
        context.progress.start(total: totalSteps, unit: "steps")
        let start = Date()
        for step in 0..<totalSteps {
            try context.checkCancellation()
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
                                  hint: "lower learning_rate, keep max_grad_norm > 0, or add warmup")
            }
            let gradNorm = maxGradNorm > 0
                ? GradientClipping.clipGlobalNorm(gradients, maxNorm: maxGradNorm, backend: backend)
                : GradientClipping.globalNorm(gradients, backend: backend)
            guard gradNorm.isFinite else {
                throw RunnerError("stage `\(context.stage.name)`", "the gradient norm became \(gradNorm) at step \(step + 1)",
                                  hint: "lower learning_rate or add warmup")
            }
            let learningRate = schedule.learningRate(atStep: optimizer.stepCount)
            optimizer.step(learningRate: learningRate)
            model.zeroGradients()
            let record = StepRecord(step: step + 1, loss: loss, learningRate: learningRate, gradNorm: Double(gradNorm), tokens: tokensInStep)
            outcome.steps.append(record)
            outcome.seconds = Date().timeIntervalSince(start)
            if (step + 1) % logEvery == 0 || step + 1 == totalSteps {
                context.log(String(format: "step %d/%d  loss %.4f  lr %.3g  grad_norm %.3f  %.0f tok/s", step + 1, totalSteps,
                                   loss, learningRate, gradNorm, Double(outcome.tokens) / max(outcome.seconds, 1e-9)))
            }
            if !evalBatches.isEmpty, let evalEvery, (step + 1) % evalEvery == 0 || step + 1 == totalSteps {
                if let evalLoss = try evaluate() {
                    outcome.evals.append(EvalRecord(step: step + 1, loss: evalLoss))
                    context.log(String(format: "step %d  eval loss %.4f", step + 1, evalLoss))
                }
            }
            context.progress.advance()
        }
        if !evalBatches.isEmpty, evalEvery == nil {
            if let evalLoss = try evaluate() {
                outcome.evals.append(EvalRecord(step: totalSteps, loss: evalLoss))
                context.log(String(format: "eval loss %.4f", evalLoss))
            }
        }
        outcome.seconds = Date().timeIntervalSince(start)
        return outcome
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
