// Prompt formats: Alpaca, templates and where their completion starts, chat messages (OpenAI and
// ShareGPT) with per-turn `train` flags, column renames, and missing-field messages.
import ChatTemplate
import Testing
@testable import Data

@Suite struct FormatTests {
    func record(_ pairs: [(String, TemplateValue)], line: Int = 7, row: Int = 3) -> DatasetRecord {
        DatasetRecord(fields: TemplateDictionary(pairs), line: line, row: row)
    }

    @Test func alpacaUsesTheStanfordPromptWithAndWithoutInput() throws {
        let formatter = ExampleFormatter(format: .alpaca)
        let plain = try formatter.format(record([("instruction", "Name a colour."), ("input", ""), ("output", "Teal.")]), file: "f")
        #expect(plain == .promptCompletion(prompt: "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nName a colour.\n\n### Response:\n", completion: "Teal."))
        let withInput = try formatter.format(record([("instruction", "Translate."), ("input", "Hallo"), ("output", "Hello")]), file: "f")
        guard case .promptCompletion(let prompt, _) = withInput else { Issue.record("not a pair"); return }
        #expect(prompt.hasSuffix("### Instruction:\nTranslate.\n\n### Input:\nHallo\n\n### Response:\n"))
        #expect(prompt.hasPrefix("Below is an instruction that describes a task, paired with an input that provides further context."))
    }

    @Test func columnsRenameFieldsAndMissingFieldsNameFieldColumnAndRow() throws {
        let formatter = ExampleFormatter(format: .alpaca, columns: ["instruction": "question", "output": "answer"])
        #expect(try formatter.format(record([("question", "Q"), ("answer", "A")]), file: "f")
                == .promptCompletion(prompt: AlpacaPrompt.prompt(instruction: "Q", input: ""), completion: "A"))
        let message = Support.message { _ = try formatter.format(record([("question", "Q"), ("reply", "A")]), file: "faq.json") }
        #expect(message.hasPrefix("faq.json:7:1: error: row 3: missing field `output` (column `answer`)"), "\(message)")
        #expect(message.contains("`question`, `reply`"))
    }

    @Test func templateCompletionStartsAtTheAnswerPlaceholder() throws {
        let template = try PromptTemplate("<human>: {question}\n<assistant>: {answer}")
        let formatter = ExampleFormatter(format: .template, template: template)
        #expect(try formatter.format(record([("question", "Q?"), ("answer", "A.")]), file: "f")
                == .promptCompletion(prompt: "<human>: Q?\n<assistant>: ", completion: "A."))
        // `{output}` marks the completion even when it is not last; a prompt-only template takes the `output` column.
        let marked = ExampleFormatter(format: .template, template: try PromptTemplate("Q: {q} {{literal}}\nA: {output} (end)"))
        #expect(try marked.format(record([("q", "x"), ("output", "y")]), file: "f") == .promptCompletion(prompt: "Q: x {literal}\nA: ", completion: "y (end)"))
        let promptOnly = ExampleFormatter(format: .template, columns: ["output": "answer"], template: try PromptTemplate("Q: {q}\nA:"))
        #expect(try promptOnly.format(record([("q", "x"), ("answer", " y")]), file: "f") == .promptCompletion(prompt: "Q: x\nA:", completion: " y"))
    }

    @Test func templatePlaceholderNamingAMissingFieldIsAnError() throws {
        let formatter = ExampleFormatter(format: .template, template: try PromptTemplate("<human>: {question}\n<assistant>: {answr}"))
        let message = Support.message { _ = try formatter.format(record([("question", "Q"), ("answer", "A")]), file: "d.jsonl") }
        #expect(message.hasPrefix("d.jsonl:7:1: error: row 3: missing field `answr`"), "\(message)")
    }

    @Test func badTemplatesAreRejectedWithTheColumn() {
        #expect(Support.message { _ = try PromptTemplate("a {b") }.contains("unclosed `{` at column 3"))
        #expect(Support.message { _ = try PromptTemplate("a {} b") }.contains("empty placeholder"))
        #expect(Support.message { _ = try PromptTemplate("a } b") }.contains("stray `}` at column 3"))
    }

    @Test func shareGPTMessagesMapToRolesAndKeepTrainFlags() throws {
        let messages: TemplateValue = .list([
            .dict(TemplateDictionary([("from", "system"), ("value", "Be brief.")])),
            .dict(TemplateDictionary([("from", "human"), ("value", "Hi")])),
            .dict(TemplateDictionary([("from", "gpt"), ("value", "Hello"), ("train", false)])),
        ])
        let example = try ExampleFormatter(format: .chat).format(record([("conversations", messages)]), file: "f")
        guard case .conversation(let turns) = example else { Issue.record("not a conversation"); return }
        #expect(turns.map(\.role) == ["system", "user", "assistant"])
        #expect(turns.map(\.train) == [nil, nil, false])
        #expect(turns[2].message.keys == ["role", "content"])
    }

    @Test func promptCompletionBecomesMessagesWithTheSystemPrompt() throws {
        let formatter = ExampleFormatter(format: .promptCompletion, useChatTemplate: true, systemPrompt: "Sys")
        let example = try formatter.format(record([("prompt", "P"), ("completion", "C")]), file: "f")
        #expect(example == .conversation([ChatMessage(role: "system", content: "Sys"), ChatMessage(role: "user", content: "P"), ChatMessage(role: "assistant", content: "C")]))
    }

    @Test func malformedMessagesAreNamed() {
        let formatter = ExampleFormatter(format: .chat)
        let noRole: TemplateValue = .list([.dict(TemplateDictionary([("content", "x")]))])
        #expect(Support.message { _ = try formatter.format(record([("messages", noRole)]), file: "c.jsonl") }
                    .hasPrefix("c.jsonl:7:1: error: row 3: messages[0]: missing `role`"))
        let badFlag: TemplateValue = .list([.dict(TemplateDictionary([("role", "user"), ("content", "x"), ("train", "no")]))])
        #expect(Support.message { _ = try formatter.format(record([("messages", badFlag)]), file: "c.jsonl") }.contains("`train` must be true or false"))
        #expect(Support.message { _ = try formatter.format(record([("text", "x")]), file: "c.jsonl") }.contains("missing field `messages`"))
    }
}
