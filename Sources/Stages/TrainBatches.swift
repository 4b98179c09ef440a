// The order in which `train` visits a tokenized dataset: every epoch a seeded permutation of the
// rows, cut into micro-batches of `batchSize`, grouped `accumulation` at a time into optimizer steps
// (transformers' RandomSampler + gradient accumulation), and each micro-batch as a `TrainingBatch`.
import Data
import Models
import Training

struct TrainBatches {
    let data: DatasetArtifact
    let batchSize: Int
    let accumulation: GradientAccumulation
    let seed: UInt64

    /// Micro-batches in one pass over the data (the last may be smaller).
    var microBatchesPerEpoch: Int { (data.rowCount + batchSize - 1) / batchSize }
    var stepsPerEpoch: Int { accumulation.optimizerSteps(microBatchesPerEpoch: microBatchesPerEpoch) }

    /// The micro-batches of optimizer step `step` (0-based, counted over all epochs). A pure function
    /// of (seed, step): a run resumed at step N sees exactly the batches an uninterrupted run would.
    func microBatches(ofStep step: Int) -> [TrainingBatch] {
        let epoch = step / stepsPerEpoch
        var order = Array(0..<data.rowCount)
        order.seededShuffle(seed: seed &+ UInt64(epoch))
        return accumulation.microBatches(ofStep: step % stepsPerEpoch, microBatchesPerEpoch: microBatchesPerEpoch).map { micro in
            let rows = Array(order[(micro * batchSize)..<min((micro + 1) * batchSize, order.count)])
            return Self.trainingBatch(data.batch(rows, padId: 0))
        }
    }

    /// Rows `0..<rowCount` in order, `batchSize` at a time (for evaluation).
    static func sequential(_ data: DatasetArtifact, batchSize: Int) -> [TrainingBatch] {
        stride(from: 0, to: data.rowCount, by: batchSize).map { start in
            trainingBatch(data.batch(Array(start..<min(start + batchSize, data.rowCount)), padId: 0))
        }
    }

    /// A dataset batch as the model's input. The dataset stores *shifted* targets (`targets[t]` is
    /// the token position t predicts); `TrainingBatch` takes transformers' *unshifted* labels and
    /// shifts them itself (`labels[t + 1]`), so each row's labels are `[-100] + targets[0..<T-1]`.
    /// A row's last target is always -100 (nothing follows it), so nothing is lost. Padding has
    /// segment id -1: it attends only to padding and carries no loss; its ids are `padId`.
    static func trainingBatch(_ batch: DatasetBatch) -> TrainingBatch {
        let t = batch.length
        var labels = [Int32](repeating: -100, count: batch.targets.count)
        for row in 0..<batch.batchSize where t > 1 {
            for i in 1..<t { labels[row * t + i] = batch.targets[row * t + i - 1] }
        }
        return TrainingBatch(tokens: batch.ids, labels: labels, batchSize: batch.batchSize,
                             positions: batch.positionIds, segmentIds: batch.segmentIds)
    }

    /// Tokens of a batch that are not padding (what tokens/s counts).
    static func realTokens(_ batch: TrainingBatch) -> Int {
        batch.segmentIds.map { $0.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } } ?? batch.tokens.count
    }
}
