// Turns dataset records into prompts: Alpaca, prompt–completion, chat messages (OpenAI and
// ShareGPT), raw text and `{field}` templates, with column renames and an optional chat template wrap.
import ChatTemplate

/// How records become prompts (the `format` param).
public enum DatasetFormat: String, Sendable, CaseIterable {
    case alpaca
    case promptCompletion = "prompt_completion"
    case chat
    case text
    case template
}

/// The Stanford Alpaca prompt texts (with and without an `input`), as published with the dataset.
public enum AlpacaPrompt {
    public static func prompt(instruction: String, input: String) -> String {
        if input.isEmpty {
            return "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\n\(instruction)\n\n### Response:\n"
        }
        return "Below is an instruction that describes a task, paired with an input that provides further context. "
            + "Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n\(instruction)\n\n### Input:\n\(input)\n\n### Response:\n"
    }
}

/// Formats records of one dataset. Errors name the field and the row (`file:line`).
public struct ExampleFormatter: Sendable {
    public var format: DatasetFormat
    /// Format field → column in the file (`instruction: question`).
    public var columns: [String: String]
    /// For `format: template`.
    public var template: PromptTemplate?
    /// Turn prompt–completion pairs into user/assistant messages for the chat template.
    public var useChatTemplate: Bool
    public var systemPrompt: String?

    public init(format: DatasetFormat, columns: [String: String] = [:], template: PromptTemplate? = nil,
                useChatTemplate: Bool = false, systemPrompt: String? = nil) {
        self.format = format
        self.columns = columns
        self.template = template
        self.useChatTemplate = useChatTemplate
        self.systemPrompt = systemPrompt
    }

    /// The column a format field reads.
    public func column(_ field: String) -> String { columns[field] ?? field }

    /// Formats one record; `file` names it in errors.
    public func format(_ record: DatasetRecord, file: String) throws -> FormattedExample {
        let fields = RecordFields(record: record, file: file, columns: columns)
        let example: FormattedExample
        switch format {
        case .text:
            example = .text(try fields.string("text"))
        case .promptCompletion:
            example = .promptCompletion(prompt: try fields.string("prompt"), completion: try fields.string("completion"))
        case .alpaca:
            let instruction = try fields.string("instruction")
            let input = try fields.optionalString("input") ?? ""
            let output = try fields.string("output")
            if useChatTemplate {
                let user = input.isEmpty ? instruction : "\(instruction)\n\n\(input)"
                return .conversation(withSystem([ChatMessage(role: "user", content: user), ChatMessage(role: "assistant", content: output)]))
            }
            example = .promptCompletion(prompt: AlpacaPrompt.prompt(instruction: instruction, input: input), completion: output)
        case .template:
            guard let template else { throw DatasetError.general("template", "`format: template` needs a `template`") }
            example = try formatTemplate(template, fields)
        case .chat:
            return .conversation(withSystem(try fields.messages()))
        }
        guard useChatTemplate, case .promptCompletion(let prompt, let completion) = example else { return example }
        return .conversation(withSystem([ChatMessage(role: "user", content: prompt), ChatMessage(role: "assistant", content: completion)]))
    }

    /// Prepends the system prompt unless the conversation already starts with a system message.
    private func withSystem(_ messages: [ChatMessage]) -> [ChatMessage] {
        guard let systemPrompt, messages.first?.role != "system" else { return messages }
        return [ChatMessage(role: "system", content: systemPrompt)] + messages
    }

    /// The completion starts at the placeholder of the `output` field (renamed by `columns`); a
    /// template without one gets the `output` column appended if the record has it, else the
    /// completion starts at the template's last placeholder (`<human>: {question}\n<assistant>: {answer}`).
    private func formatTemplate(_ template: PromptTemplate, _ fields: RecordFields) throws -> FormattedExample {
        let parts = template.parts
        let outputColumn = column("output")
        let fieldIndices = parts.indices.filter { if case .field = parts[$0] { true } else { false } }
        let value: (String) throws -> String = { try fields.string(rawColumn: $0) }
        if let split = parts.indices.first(where: { parts[$0] == .field(outputColumn) || parts[$0] == .field("output") }) {
            return .promptCompletion(prompt: try template.render(0..<split, value), completion: try template.render(split..<parts.count, value))
        }
        if fields.record.fields[outputColumn] != nil {
            return .promptCompletion(prompt: try template.render(0..<parts.count, value), completion: try fields.string("output"))
        }
        guard let split = fieldIndices.last else {
            throw DatasetError.general("template", "the template has no `{field}` placeholder and the rows have no `\(outputColumn)` column",
                                       hint: "put the answer's placeholder in the template, e.g. `<human>: {question}\\n<assistant>: {answer}`")
        }
        return .promptCompletion(prompt: try template.render(0..<split, value), completion: try template.render(split..<parts.count, value))
    }
}

/// Field access on one record with messages that name the field, the column and the row.
struct RecordFields {
    let record: DatasetRecord
    let file: String
    let columns: [String: String]

    func missing(_ field: String, column: String) -> Error {
        let available = record.fields.keys.map { "`\($0)`" }.joined(separator: ", ")
        let renamed = column == field ? "" : " (column `\(column)`)"
        return DatasetError.at(file, line: record.line, "row \(record.row): missing field `\(field)`\(renamed)",
                               hint: "the row has \(available.isEmpty ? "no fields" : available); map fields to columns with `columns: {\(field): COLUMN}`")
    }

    func string(_ field: String) throws -> String {
        let column = columns[field] ?? field
        guard let value = record.fields[column], value != .none else { throw missing(field, column: column) }
        return try text(value, field: field)
    }

    /// A placeholder of a template names a column directly (renames still apply).
    func string(rawColumn name: String) throws -> String { try string(name) }

    func optionalString(_ field: String) throws -> String? {
        let column = columns[field] ?? field
        guard let value = record.fields[column], value != .none else { return nil }
        return try text(value, field: field)
    }

    private func text(_ value: TemplateValue, field: String) throws -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "True" : "False"
        default:
            throw DatasetError.at(file, line: record.line, "row \(record.row): field `\(field)` is \(describe(value)), expected text")
        }
    }

    /// `messages` (OpenAI `role`/`content`) or, when absent, `conversations` (ShareGPT `from`/`value`).
    func messages() throws -> [ChatMessage] {
        var column = columns["messages"] ?? "messages"
        if columns["messages"] == nil, record.fields["messages"] == nil, record.fields["conversations"] != nil { column = "conversations" }
        guard let value = record.fields[column] else { throw missing("messages", column: column) }
        guard case .list(let items) = value, !items.isEmpty else {
            throw DatasetError.at(file, line: record.line, "row \(record.row): `\(column)` must be a non-empty list of messages, got \(describe(value))")
        }
        return try items.enumerated().map { index, item in
            guard case .dict(let dict) = item else {
                throw DatasetError.at(file, line: record.line, "row \(record.row): message \(index + 1) is \(describe(item)), expected an object with `role` and `content`")
            }
            return try chatMessage(dict, index: index, column: column)
        }
    }

    private func chatMessage(_ dict: TemplateDictionary, index: Int, column: String) throws -> ChatMessage {
        let place = "row \(record.row): \(column)[\(index)]"
        var message = TemplateDictionary()
        var train: Bool?
        let roleKey = dict["role"] != nil ? "role" : "from"
        let contentKey = dict["content"] != nil ? "content" : "value"
        guard case .string(let rawRole)? = dict[roleKey] else {
            throw DatasetError.at(file, line: record.line, "\(place): missing `role` (or ShareGPT `from`)",
                                  hint: "messages look like {\"role\": \"user\", \"content\": \"…\"} or {\"from\": \"human\", \"value\": \"…\"}")
        }
        guard let content = dict[contentKey] else {
            throw DatasetError.at(file, line: record.line, "\(place): missing `content` (or ShareGPT `value`)")
        }
        message["role"] = .string(Self.roleNames[rawRole.lowercased()] ?? rawRole)
        message["content"] = content
        for (key, value) in dict where ![roleKey, contentKey, "train"].contains(key) { message[key] = value }
        switch dict["train"] {
        case nil, .none?: break
        case .bool(let flag)?: train = flag
        case .int(let flag)? where flag == 0 || flag == 1: train = flag == 1
        case let other?:
            throw DatasetError.at(file, line: record.line, "\(place): `train` must be true or false, got \(describe(other))")
        }
        return ChatMessage(message: message, train: train)
    }

    /// ShareGPT speaker names → OpenAI roles.
    static let roleNames = ["human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                            "model": "assistant", "bot": "assistant", "system": "system", "tool": "tool",
                            "function_response": "tool", "observation": "tool"]
}
