// Public API: parse a chat template once, render conversations with it. Rendering matches
// transformers' `apply_chat_template(..., tokenize=False)` for the templates this subset supports.
import Foundation

/// Safety budgets for rendering an untrusted template. Each limit, when hit, fails the render with
/// `ChatTemplateError.Kind.limitExceeded` naming the limit and the template position.
public struct ChatTemplateLimits: Sendable, Equatable {
    /// Expression evaluations plus statement executions in one render.
    public var maxSteps: Int = 2_000_000
    /// Loop iterations in one render, all loops together.
    public var maxLoopIterations: Int = 100_000
    /// UTF-8 bytes written to the output and to captured blocks, in total.
    public var maxOutputBytes: Int = 16 << 20
    /// Size of any one string value (bytes) or list/dict (elements) a template builds.
    public var maxValueSize: Int = 16 << 20
    /// Nested macro calls.
    public var maxCallDepth: Int = 32
    /// Nested blocks and sub-expressions (parse time) and nested evaluation (render time).
    public var maxNestingDepth: Int = 64
    /// Longest list `range()` may produce (Jinja's sandbox uses 100 000).
    public var maxRange: Int = 100_000

    public init() {}
}

/// One `{% generation %}…{% endgeneration %}` span of the rendered text: what the assistant wrote.
/// Offsets are the same span in two units: Unicode scalars (what Python's `str` indexes, and what
/// transformers reports) and UTF-8 bytes (what tokenizers' offsets use).
public struct GenerationSpan: Hashable, Sendable {
    public var scalars: Range<Int>
    public var utf8: Range<Int>
}

/// The rendered conversation.
public struct RenderedChat: Hashable, Sendable {
    public var text: String
    /// In the order the template emitted them (transformers' `generation_indices`).
    public var generationSpans: [GenerationSpan]
}

/// A parsed chat template (Jinja), safe to render with untrusted template text.
///
/// Semantics follow transformers' environment: `trim_blocks` and `lstrip_blocks` on, a single
/// trailing newline of the template dropped, loop controls (`break`/`continue`) enabled, globals
/// `raise_exception`, `strftime_now`, `namespace`, `dict`, `range`, HF's `tojson`.
public struct ChatTemplate: @unchecked Sendable {  // immutable after init; the AST holds plain data only
    public let source: String
    public let name: String
    public let limits: ChatTemplateLimits
    let sourceText: SourceText
    let body: [Stmt]

    /// Parses `source`; syntax errors and unsupported tags fail here with line:col.
    /// `name` labels error locations (e.g. the file or `tokenizer.chat_template`).
    public init(source: String, name: String = "chat_template", limits: ChatTemplateLimits = ChatTemplateLimits()) throws {
        self.source = source
        self.name = name
        self.limits = limits
        sourceText = SourceText(source, name: name)
        body = try Parser.parse(sourceText, maxDepth: limits.maxNestingDepth)
    }

    /// Renders a conversation the way `tokenizer.apply_chat_template(messages, tokenize=False, …)`
    /// does: message keys whose value is `none` are dropped first and reasoning fields are aliased
    /// (`reasoning_content`/`thinking`/`reasoning`) as transformers does; the template sees `messages`,
    /// `add_generation_prompt`, `bos_token`, `eos_token` (when given), `tools` and `documents`
    /// (`none` unless in `extra`), and every key of `extra` (which wins over the others).
    ///
    /// - Parameter now: the date `strftime_now` formats (transformers uses the wall clock).
    /// - Throws: `ChatTemplateError`; `.raised` carries the template's own `raise_exception` message.
    public func render(messages: [[String: TemplateValue]], addGenerationPrompt: Bool = false,
                       bosToken: String? = nil, eosToken: String? = nil,
                       extra: [String: TemplateValue] = [:], now: Date = Date()) throws -> RenderedChat {
        let ordered = messages.map { message in
            // Swift dictionaries are unordered; give keys a stable order, role and content first.
            TemplateValue.dict(TemplateDictionary(message.sorted { messageKeyOrder($0.key, $1.key) }.map { ($0.key, $0.value) }))
        }
        return try render(messages: ordered, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken,
                          eosToken: eosToken, extra: TemplateDictionary(extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }),
                          now: now)
    }

    /// As above, with messages as ordered values (each a `.dict`), e.g. straight from a dataset row.
    public func render(messages: [TemplateValue], addGenerationPrompt: Bool = false,
                       bosToken: String? = nil, eosToken: String? = nil,
                       extra: TemplateDictionary = TemplateDictionary(), now: Date = Date()) throws -> RenderedChat {
        var context = TemplateDictionary()
        context["messages"] = .list(messages.map { aliasingReasoning(droppingNoneKeys($0)) })
        context["tools"] = TemplateValue.none
        context["documents"] = TemplateValue.none
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        if let bosToken { context["bos_token"] = .string(bosToken) }
        if let eosToken { context["eos_token"] = .string(eosToken) }
        for (key, value) in extra { context[key] = value }
        let interpreter = Interpreter(source: sourceText, limits: limits, now: now)
        return try interpreter.render(body, context: context)
    }
}

/// transformers drops message keys whose value is None before rendering.
private func droppingNoneKeys(_ message: TemplateValue) -> TemplateValue {
    guard case .dict(let dict) = message else { return message }
    var out = TemplateDictionary()
    for (key, value) in dict where value != .none { out[key] = value }
    return .dict(out)
}

/// transformers copies a message's reasoning (`reasoning_content`, else `thinking`, else `reasoning`)
/// to both `thinking` (first key) and `reasoning_content`, the names templates read.
private func aliasingReasoning(_ message: TemplateValue) -> TemplateValue {
    guard case .dict(let dict) = message,
          let reasoning = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap({ dict[$0] }).first(where: { $0 != .none })
    else { return message }
    var out = TemplateDictionary()
    out["thinking"] = reasoning
    for (key, value) in dict { out[key] = value }
    out["reasoning_content"] = reasoning
    return .dict(out)
}

private func messageKeyOrder(_ a: String, _ b: String) -> Bool {
    let preferred = ["role", "content"]
    switch (preferred.firstIndex(of: a), preferred.firstIndex(of: b)) {
    case let (x?, y?): return x < y
    case (_?, nil): return true
    case (nil, _?): return false
    default: return a < b
    }
}
