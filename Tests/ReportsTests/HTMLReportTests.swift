// report.html: self-contained (no scripts, nothing fetched), user text escaped, and every part of
// the run shown: stages with outcomes and timings, curves, eval aggregates and answers, generations.
import Foundation
import Testing
@testable import Reports

private func sampleReport() -> RunReport {
    let steps = (1 ... 30).map { (i: Int) -> RunReport.Training.Step in
        let x = Double(i)
        let loss: Double = 3.1 - 0.04 * x + 0.05 * sin(x)
        let lr: Double = 2e-4 * (31 - x) / 30
        return RunReport.Training.Step(step: i, loss: loss, learningRate: lr, gradNorm: 1.2 - 0.01 * x)
    }
    let training = RunReport.Training(stage: "tune", steps: steps, evals: [(10, 2.9), (20, 2.7), (30, 2.55)], seconds: 95.5, tokens: 9_550,
                                      finishedAt: 1_763_800_095.5)
    let questions = [EvalQuestion(id: "q1", prompt: "How long do <returns> take?", reference: "Returns take 30 days.", facts: ["30 days", "refund"])]
    let results = EvalScorer.results(
        questionsFile: "data/faq-heldout.json", settings: EvalSettings(maxNewTokens: 64, chat: true, system: nil), metrics: [.factRecall, .rougeL],
        questions: questions, model: ("tune", [GeneratedAnswer(text: "You have 30 days & a refund.", newTokens: 9, stopReason: "eos", seconds: 1)]),
        baseline: ("base", [GeneratedAnswer(text: "I am not sure.", newTokens: 5, stopReason: "max_new_tokens", seconds: 1)]))
    return RunReport(
        runID: "20261122T110000Z-faq", recipeName: "smollm2-faq", recipeFile: "recipes/smollm2-faq.yaml", status: "succeeded",
        startedAt: "2026-11-22T11:00:00.000Z", seconds: 130, gitCommit: "0123456789abcdef", gitDirty: true, toolVersion: "0.1.0",
        peakRSSBytes: 1_610_612_736,
        stages: [RunReport.Stage(name: "base", kind: "load", outcome: "hit", seconds: nil, builtSeconds: 4.2, metrics: ["layers": 30]),
                 RunReport.Stage(name: "tune", kind: "train", outcome: "miss", seconds: 95.5, metrics: ["train_loss": 1.9],
                                 peakRSSBytes: 1_500_000_000),
                 RunReport.Stage(name: "saved", kind: "save", outcome: "failed", seconds: 0.1, error: "disk <full>")],
        trainings: [training],
        generations: [RunReport.Generations(stage: "before", modelStage: "base", items: [.init(prompt: "Hi <there>", completion: "Hello!", newTokens: 3, seconds: 0.2)]),
                      RunReport.Generations(stage: "after", modelStage: "tune", items: [.init(prompt: "Hi <there>", completion: "Hey & welcome", newTokens: 4, seconds: 0.2)])],
        evaluations: [RunReport.Evaluation(stage: "check", results: results)])
}

@Test func reportIsSelfContainedAndEscapesUserText() {
    let html = HTMLReport.render(sampleReport(), tensorBoardDirectory: "/runs/x/tensorboard")
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(!html.contains("<script"))
    #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="))
    #expect(html.contains("How long do &lt;returns&gt; take?") && html.contains("disk &lt;full&gt;") && html.contains("Hey &amp; welcome"))
    #expect(!html.contains("<returns>") && !html.contains("<there>"))
}

@Test func reportShowsStagesCurvesEvaluationAndGenerations() {
    let html = HTMLReport.render(sampleReport())
    #expect(html.contains("badge-hit\">cached") && html.contains("badge-miss\">ran") && html.contains("badge-failed\">failed"))
    #expect(html.contains("built in 4.20 s") && html.contains("1 min 36 s"))
    #expect(html.contains("1.50 GiB") && html.contains("1.40 GiB"))  // run peak, stage peak
    #expect(html.components(separatedBy: "<svg class=\"chart\"").count - 1 == 3)  // loss, lr, grad norm
    #expect(html.components(separatedBy: "<polyline").count - 1 == 4)  // train + eval loss, lr, grad norm
    #expect(html.contains("Tokens/s</div><div class=\"card-value\">100.0"))
    #expect(html.contains("<td class=\"num\">0.0%</td><td class=\"num\"><b>100.0%</b></td><td class=\"num up\">+100.0 pts</td>"))
    #expect(html.contains("chip hit") && html.contains("✓ 30 days") && html.contains("✓ refund"))
    #expect(html.contains("chip miss") && html.contains("stopped: max_new_tokens"))
    #expect(html.contains("Hello!") && html.contains("(model: tune)"))
    #expect(html.components(separatedBy: "Hi &lt;there&gt;").count - 1 == 1)  // one row per prompt across generate stages
}

@Test func chartAxesUseRoundTicksCoveringTheData() {
    let y = LineChart.axis(min: 2.37, max: 3.12, integer: false)
    #expect(y.low <= 2.37 && y.high >= 3.12 && y.ticks.count >= 4 && y.ticks.count <= 9)
    #expect(y.ticks.allSatisfy { abs(($0 * 10).rounded() - $0 * 10) < 1e-9 })
    let x = LineChart.axis(min: 1, max: 60, integer: true)
    #expect(x.ticks.first == 0 && x.ticks.last == 60 && x.ticks.contains(20))
    let flat = LineChart.axis(min: 5, max: 5, integer: false)
    #expect(flat.low < 5 && flat.high > 5)
    #expect(LineChart.niceStep(0.013) == 0.02 && LineChart.niceStep(7) == 10 && LineChart.niceStep(0.00004) == 0.00005)
    #expect(HTML.number(0.0002) == "2e-4" && HTML.number(2.75) == "2.75" && HTML.number(60) == "60")
    #expect(HTML.timestamp("2026-11-22T12:19:12.693Z") == "2026-11-22 12:19:12 UTC" && HTML.timestamp("yesterday") == "yesterday")
}

@Test func trainingEventsSpreadStepsOverTheStageAndKeepEveryValue() throws {
    let report = sampleReport()
    let series = TrainingEvents.series(report.trainings[0], fallbackEnd: 0)
    #expect(series["loss"]?.count == 30 && series["learning_rate"]?.count == 30 && series["grad_norm"]?.count == 30)
    #expect(series["eval_loss"]?.map(\.step) == [10, 20, 30])
    #expect(series["loss"]?.last?.wallTime == 1_763_800_095.5 && series["loss"]?.first?.wallTime == 1_763_800_095.5 - 95.5 + 95.5 / 30)
    #expect(series["tokens_per_second"]?.map(\.value) == [100])
    #expect(series["learning_rate"]?[4].value == report.trainings[0].steps[4].learningRate)
}
