// After `runner apply`: gathers what a run's stages left in the cache (train metrics.json, generate
// generations.json, eval eval.json) into a `RunReport`, and writes report.html and TensorBoard
// event files into the run's directory.
import Basics
import Foundation
import Pipeline
import Reports

public enum RunReports {
    /// What `write` produced.
    public struct Files: Sendable {
        public var html: URL
        /// `tensorboard/` under the run directory, when some train stage had metrics.
        public var tensorBoard: URL?
        public var eventFiles: [URL]
    }

    /// Writes `report.html` and `tensorboard/<train stage>/events.out.tfevents.*` into `runDirectory`.
    /// Artifacts that are missing (stages not reached, entries collected) or unreadable are left out
    /// of the report rather than failing it.
    public static func write(for record: RunRecord, store: ArtifactStore, runDirectory: URL, now: Date = Date()) throws -> Files {
        let report = self.report(for: record, store: store)
        var tensorBoard: URL?
        var eventFiles: [URL] = []
        if !report.trainings.isEmpty {
            let directory = runDirectory.appendingPathComponent("tensorboard")
            eventFiles = try TrainingEvents.write(report.trainings, under: directory, createdAt: now)
            tensorBoard = directory
        }
        let html = runDirectory.appendingPathComponent("report.html")
        try AtomicFile.write(Data(HTMLReport.render(report, tensorBoardDirectory: tensorBoard?.path).utf8), to: html)
        return Files(html: html, tensorBoard: tensorBoard, eventFiles: eventFiles)
    }

    /// The report's content for `record`, reading stage outputs from `store`.
    public static func report(for record: RunRecord, store: ArtifactStore) -> RunReport {
        var report = RunReport(
            runID: record.id, recipeName: record.recipeName, recipeFile: record.recipeFile, status: record.status.rawValue,
            error: record.error, startedAt: record.startedAt, seconds: record.seconds, gitCommit: record.git?.commit,
            gitDirty: record.git?.dirty ?? false, toolVersion: record.toolVersion, peakRSSBytes: record.peakRSSBytes, stages: [])
        for stage in record.stages {
            let artifact = stage.outcome == .hit || stage.outcome == .miss ? store.lookup(stage.key) : nil
            report.stages.append(RunReport.Stage(
                name: stage.name, kind: stage.kind, outcome: stage.outcome.rawValue, seconds: stage.outcome == .hit ? nil : stage.seconds,
                builtSeconds: stage.outcome == .hit ? artifact?.manifest.seconds : nil, metrics: stage.metrics,
                peakRSSBytes: stage.outcome == .hit ? nil : stage.peakRSSBytes, error: stage.error))
            guard let artifact else { continue }
            switch stage.kind {
            case TrainStage.kind:
                if let metrics = try? StageJSON.read(TrainMetrics.self, from: artifact.data.appendingPathComponent(TrainStage.metricsFile)) {
                    report.trainings.append(training(stage.name, metrics, finishedAt: Self.date(artifact.manifest.createdAt)))
                }
            case GenerateStage.kind:
                if let generations = try? StageJSON.read([Generation].self, from: artifact.data.appendingPathComponent("generations.json")) {
                    report.generations.append(RunReport.Generations(
                        stage: stage.name, modelStage: stage.inputs["model"]?.stage,
                        items: generations.map { .init(prompt: $0.prompt, completion: $0.completion, newTokens: $0.newTokens, seconds: $0.seconds) }))
                }
            case EvalStage.kind:
                if let results = try? StageJSON.read(EvalResults.self, from: artifact.data.appendingPathComponent(EvalResults.fileName)) {
                    report.evaluations.append(RunReport.Evaluation(stage: stage.name, results: results))
                }
            default:
                break
            }
        }
        return report
    }

    static func training(_ stage: String, _ metrics: TrainMetrics, finishedAt: Double?) -> RunReport.Training {
        RunReport.Training(
            stage: stage,
            steps: metrics.steps.map { .init(step: $0.step, loss: $0.loss, learningRate: $0.learningRate, gradNorm: $0.gradNorm) },
            evals: metrics.eval.map { (step: $0.step, loss: $0.loss) }, seconds: metrics.seconds, tokens: metrics.tokens, finishedAt: finishedAt)
    }

    private static func date(_ iso: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: iso)?.timeIntervalSince1970
    }
}
