// Scores generated answers against held-out questions and aggregates them into `EvalResults`.
// Pure: generation happens elsewhere (the eval stage); this file only compares text.

public enum EvalScorer {
    /// Scores one answer with the requested metrics. A question without facts gets no fact
    /// fields; one without a reference gets no ROUGE-L.
    public static func score(_ answer: GeneratedAnswer, for question: EvalQuestion, metrics: [EvalMetric]) -> ScoredAnswer {
        var scored = ScoredAnswer(answer: answer.text, newTokens: answer.newTokens, stopReason: answer.stopReason, seconds: answer.seconds)
        if metrics.contains(.factRecall), let facts = question.facts, !facts.isEmpty {
            let check = FactMatcher.check(facts: facts, in: answer.text)
            scored.factsHit = check.hit
            scored.factsMissed = check.missed
            scored.factRecall = check.recall
        }
        if metrics.contains(.rougeL), let reference = question.reference {
            scored.rougeL = RougeL.score(reference: reference, prediction: answer.text).fmeasure
        }
        return scored
    }

    /// Aggregates one model's scored answers: fact recall over all facts (micro average), ROUGE-L
    /// as the mean over questions that have a reference.
    public static func summarize(stage: String, answers: [ScoredAnswer], metrics: [EvalMetric]) -> EvalSummary {
        let hit = answers.reduce(0) { $0 + ($1.factsHit?.count ?? 0) }
        let total = hit + answers.reduce(0) { $0 + ($1.factsMissed?.count ?? 0) }
        let rouges = answers.compactMap(\.rougeL)
        return EvalSummary(
            stage: stage, questions: answers.count,
            factRecall: metrics.contains(.factRecall) && total > 0 ? Double(hit) / Double(total) : nil,
            factsHit: hit, factsTotal: total,
            rougeL: metrics.contains(.rougeL) && !rouges.isEmpty ? rouges.reduce(0, +) / Double(rouges.count) : nil,
            newTokens: answers.reduce(0) { $0 + $1.newTokens }, seconds: answers.reduce(0) { $0 + $1.seconds })
    }

    /// Scores and aggregates everything. `baseline`, when given, has one answer per question too.
    public static func results(questionsFile: String, settings: EvalSettings, metrics: [EvalMetric], questions: [EvalQuestion],
                               model: (stage: String, answers: [GeneratedAnswer]),
                               baseline: (stage: String, answers: [GeneratedAnswer])?) -> EvalResults {
        precondition(model.answers.count == questions.count && (baseline?.answers.count ?? questions.count) == questions.count,
                     "one answer per question")
        let modelScores = zip(questions, model.answers).map { score($1, for: $0, metrics: metrics) }
        let baselineScores = baseline.map { zip(questions, $0.answers).map { score($1, for: $0, metrics: metrics) } }
        let items = questions.indices.map { i in
            EvalItem(id: questions[i].id, prompt: questions[i].prompt, reference: questions[i].reference, facts: questions[i].facts,
                     model: modelScores[i], baseline: baselineScores?[i])
        }
        return EvalResults(questionsFile: questionsFile, settings: settings, metrics: metrics,
                           model: summarize(stage: model.stage, answers: modelScores, metrics: metrics),
                           baseline: baseline.map { summarize(stage: $0.stage, answers: baselineScores!, metrics: metrics) },
                           questions: items)
    }

    /// The stage's metrics: `fact_recall`, `rouge_l`, and `baseline_*` of each when a baseline was evaluated.
    public static func metrics(of results: EvalResults) -> [String: Double] {
        var out: [String: Double] = ["questions": Double(results.questions.count)]
        func add(_ summary: EvalSummary, prefix: String) {
            if let v = summary.factRecall { out[prefix + "fact_recall"] = v }
            if let v = summary.rougeL { out[prefix + "rouge_l"] = v }
        }
        add(results.model, prefix: "")
        if let baseline = results.baseline { add(baseline, prefix: "baseline_") }
        let seconds = results.model.seconds
        out["tokens_per_second"] = seconds > 0 ? Double(results.model.newTokens) / seconds : 0
        return out
    }
}
