// Scoring and aggregation of answers into eval.json: micro-averaged fact recall, mean ROUGE-L,
// questions without facts or references left out of the matching aggregate, baseline metrics.
import Foundation
import Testing
@testable import Reports

private let questions = [
    EvalQuestion(id: "q1", prompt: "How long do I have to return?", reference: "Returns are accepted within 30 days of delivery.",
                 facts: ["30 days", "delivery"]),
    EvalQuestion(id: "q2", prompt: "Shipping cost?", reference: "Standard shipping is $5.95, free over $75.", facts: ["$5.95", "$75", "Standard"]),
    EvalQuestion(prompt: "Say hi", reference: nil, facts: nil),
]

private func answer(_ text: String, tokens: Int = 10) -> GeneratedAnswer {
    GeneratedAnswer(text: text, newTokens: tokens, stopReason: "eos", seconds: 0.5)
}

@Test func resultsAggregateFactRecallOverAllFactsAndRougeOverReferencedQuestions() throws {
    let model = [answer("You can return it within 30 days of delivery."), answer("Shipping is $5.95."), answer("Hi!")]
    let base = [answer("Sorry, I don't know."), answer("Standard shipping costs $5.95 and is free over $75."), answer("Hello")]
    let results = EvalScorer.results(questionsFile: "heldout.jsonl", settings: EvalSettings(maxNewTokens: 32, chat: true, system: nil),
                                     metrics: [.factRecall, .rougeL], questions: questions,
                                     model: ("tuned", model), baseline: ("base", base))
    #expect(results.model.factsHit == 3 && results.model.factsTotal == 5)
    #expect(results.model.factRecall == 3.0 / 5.0)
    #expect(results.baseline?.factRecall == 3.0 / 5.0)
    #expect(results.questions[0].model.factsHit == ["30 days", "delivery"])
    #expect(results.questions[1].model.factsMissed == ["$75", "Standard"])
    #expect(results.questions[2].model.factRecall == nil && results.questions[2].model.rougeL == nil)
    let r0 = RougeL.score(reference: questions[0].reference!, prediction: model[0].text).fmeasure
    let r1 = RougeL.score(reference: questions[1].reference!, prediction: model[1].text).fmeasure
    #expect(r0 > 0 && r1 > 0)
    #expect(abs(results.model.rougeL! - (r0 + r1) / 2) < 1e-15)
    #expect(results.model.newTokens == 30 && results.model.seconds == 1.5)

    let metrics = EvalScorer.metrics(of: results)
    #expect(metrics["fact_recall"] == 0.6 && metrics["baseline_fact_recall"] == 0.6)
    #expect(metrics["rouge_l"] == results.model.rougeL && metrics["baseline_rouge_l"] == results.baseline?.rougeL)
    #expect(metrics["questions"] == 3 && metrics["tokens_per_second"] == 20)
}

@Test func onlyRequestedMetricsAreComputedAndEvalJSONRoundTrips() throws {
    let results = EvalScorer.results(questionsFile: "q.json", settings: EvalSettings(maxNewTokens: 8, chat: false, system: nil),
                                     metrics: [.rougeL], questions: questions,
                                     model: ("m", questions.map { _ in answer("returns within 30 days") }), baseline: nil)
    #expect(results.model.factRecall == nil && results.questions[0].model.factsHit == nil)
    #expect(results.model.rougeL != nil && results.baseline == nil)
    #expect(EvalScorer.metrics(of: results)["fact_recall"] == nil && EvalScorer.metrics(of: results)["baseline_rouge_l"] == nil)
    let data = try JSONEncoder().encode(results)
    #expect(try JSONDecoder().decode(EvalResults.self, from: data) == results)
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.contains("\"questions_file\"") && text.contains("\"max_new_tokens\"") && text.contains("\"rouge_l\""))
}
