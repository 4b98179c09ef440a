// Gradient accumulation as transformers' Trainer does it: an optimizer step consumes up to
// `steps` micro-batches whose gradients are summed; each micro-batch's loss is scaled so the sum
// equals the loss of the whole step.
import Basics
import Compute

/// Splits an epoch's micro-batches into optimizer steps and says how to scale each micro-batch's loss.
///
/// transformers (`Trainer._inner_training_loop`, `training_step`): an epoch of `n` micro-batches
/// gives ⌈n / steps⌉ optimizer steps; each takes `steps` micro-batches, the last one the remainder.
/// Backward runs per micro-batch and gradients add up in the gradient buffers (never zeroed within
/// a step); clipping, `optimizer.step()`, `scheduler.step()` and zeroing the gradients follow the
/// last micro-batch of the step.
///
/// Loss scaling, `LossNormalization`:
/// - `.tokensInStep` — causal LMs (models that accept `num_items_in_batch`, Llama included): each
///   micro-batch's loss is its *sum* of per-token cross-entropies divided by the number of target
///   tokens (labels ≠ −100 after the one-token shift) in *all* micro-batches of the step, so the summed
///   gradient is the gradient of the token mean over the whole step.
/// - `.meanPerMicroBatch` — models that don't: each micro-batch's mean loss is divided by the number
///   of micro-batches in this step (`current_gradient_accumulation_steps`).
public struct GradientAccumulation: Sendable, Hashable {
    public enum LossNormalization: String, Sendable, Hashable, Codable {
        case tokensInStep
        case meanPerMicroBatch
    }

    /// Micro-batches per optimizer step (`gradient_accumulation_steps`).
    public let steps: Int

    public init(steps: Int) throws {
        guard steps >= 1 else {
            throw RunnerError("gradient_accumulation_steps", "must be ≥ 1, got \(steps)")
        }
        self.steps = steps
    }

    /// Optimizer steps in an epoch of `microBatches` micro-batches: ⌈microBatches / steps⌉.
    public func optimizerSteps(microBatchesPerEpoch microBatches: Int) -> Int {
        (microBatches + steps - 1) / steps
    }

    /// The micro-batch indices (within the epoch) that optimizer step `update` of the epoch consumes.
    public func microBatches(ofStep update: Int, microBatchesPerEpoch microBatches: Int) -> Range<Int> {
        precondition(update >= 0 && update < optimizerSteps(microBatchesPerEpoch: microBatches),
                     "optimizer step \(update) outside an epoch of \(microBatches) micro-batches")
        let start = update * steps
        return start..<min(start + steps, microBatches)
    }

    /// The factor that turns a micro-batch's loss into its share of the step's loss; backward of the
    /// loss seeds the gradient with it.
    /// - `.tokensInStep`: multiplies the micro-batch's per-token loss *sum*: `1 / tokensInStep`.
    /// - `.meanPerMicroBatch`: multiplies each per-token loss: `1 / (tokensInMicroBatch · microBatchesInStep)`.
    /// Throws when there is nothing to average (every label of the step or micro-batch masked).
    public static func lossScale(_ normalization: LossNormalization, tokensInMicroBatch: Int, tokensInStep: Int,
                                 microBatchesInStep: Int) throws -> Float {
        precondition(microBatchesInStep >= 1, "a step has at least one micro-batch")
        switch normalization {
        case .tokensInStep:
            guard tokensInStep > 0 else {
                throw RunnerError("gradient accumulation", "no target tokens in this optimizer step: every label is masked",
                                  hint: "check the dataset's loss mask (train_on_inputs / prompt masking) and sequence length")
            }
            return Float(1 / Double(tokensInStep))
        case .meanPerMicroBatch:
            guard tokensInMicroBatch > 0 else {
                throw RunnerError("gradient accumulation", "no target tokens in this micro-batch: every label is masked",
                                  hint: "check the dataset's loss mask (train_on_inputs / prompt masking) and sequence length")
            }
            return Float(1 / (Double(tokensInMicroBatch) * Double(microBatchesInStep)))
        }
    }

    /// Zeroes every gradient (after the optimizer step, before the next step's first micro-batch).
    public static func zeroGradients(_ parameters: [TrainableParameter], backend: any OptimizerBackend) {
        for p in parameters { backend.zero(p.gradient) }
    }
}
