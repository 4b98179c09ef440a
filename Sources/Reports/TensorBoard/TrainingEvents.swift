// A train stage's scalars as TensorBoard series, written after the run from its metrics.json:
// loss, learning_rate, grad_norm per step, eval_loss per evaluation, tokens_per_second once.
import Foundation

public enum TrainingEvents {
    /// The series of one train stage. metrics.json keeps no per-step clock, so wall times are spread
    /// evenly over the stage's duration, ending when its artifact was published (or at `fallbackEnd`).
    /// `tokens_per_second` is the stage's average, one point at the last step.
    public static func series(_ training: RunReport.Training, fallbackEnd: Double) -> [String: [ScalarPoint]] {
        let lastStep = max(training.steps.last?.step ?? 1, 1)
        let end = training.finishedAt ?? fallbackEnd
        let start = end - training.seconds
        func wall(_ step: Int) -> Double { start + training.seconds * Double(step) / Double(lastStep) }
        var series: [String: [ScalarPoint]] = [:]
        for s in training.steps {
            series["loss", default: []].append(ScalarPoint(step: s.step, value: s.loss, wallTime: wall(s.step)))
            series["learning_rate", default: []].append(ScalarPoint(step: s.step, value: s.learningRate, wallTime: wall(s.step)))
            series["grad_norm", default: []].append(ScalarPoint(step: s.step, value: s.gradNorm, wallTime: wall(s.step)))
        }
        for e in training.evals {
            series["eval_loss", default: []].append(ScalarPoint(step: e.step, value: e.loss, wallTime: wall(e.step)))
        }
        if !training.steps.isEmpty {
            series["tokens_per_second"] = [ScalarPoint(step: lastStep, value: training.tokensPerSecond, wallTime: end)]
        }
        return series
    }

    /// Writes one event file per train stage under `directory/<stage>/`; returns the files.
    public static func write(_ trainings: [RunReport.Training], under directory: URL, createdAt: Date) throws -> [URL] {
        try trainings.map { training in
            try EventFileWriter.write(series(training, fallbackEnd: createdAt.timeIntervalSince1970),
                                      to: directory.appendingPathComponent(training.stage), createdAt: createdAt)
        }
    }
}
