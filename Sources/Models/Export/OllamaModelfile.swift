// An Ollama `Modelfile` for an exported GGUF: FROM the file, and a TEMPLATE (plus SYSTEM default)
// only where the model's Jinja chat template is ChatML and renders exactly as the Go template will;
// otherwise stop tokens and a comment saying the template was left to Ollama.
import ChatTemplate
import Foundation

public enum OllamaModelfile {
    /// The Go template Ollama renders ChatML conversations with (system message first, then turns).
    static let chatMLTemplate = """
        {{- if .System }}<|im_start|>system
        {{ .System }}<|im_end|>
        {{ end }}{{- range .Messages }}{{- if ne .Role "system" }}<|im_start|>{{ .Role }}
        {{ .Content }}<|im_end|>
        {{ end }}{{ end }}<|im_start|>assistant

        """

    /// The Modelfile text. `ggufFileName`: the GGUF's name beside the Modelfile; `eosToken`: the
    /// tokenizer's end-of-sequence piece. Returns the text and, when no TEMPLATE could be written
    /// faithfully, a note saying why (also written into the file as a comment).
    public static func text(ggufFileName: String, chatTemplate: String?, eosToken: String?) -> (text: String, note: String?) {
        var lines = ["FROM ./\(ggufFileName)", ""]
        var stops: [String] = []
        var note: String?
        if let source = chatTemplate, let chatML = chatMLForm(of: source) {
            lines.append("TEMPLATE \"\"\"\(chatMLTemplate)\"\"\"")
            if let system = chatML.defaultSystem { lines.append("SYSTEM \"\"\"\(system)\"\"\"") }
            stops.append("<|im_end|>")
        } else {
            note = chatTemplate == nil
                ? "the model has no chat template; Ollama will use the raw prompt"
                : "the chat template is not ChatML (or renders differently), so no TEMPLATE was written; add one by hand (see https://github.com/ollama/ollama/blob/main/docs/template.md)"
            lines.append("# \(note!)")
        }
        if let eos = eosToken, !stops.contains(eos) { stops.append(eos) }
        lines += stops.map { "PARAMETER stop \"\(escaped($0))\"" }
        return (lines.joined(separator: "\n") + "\n", note)
    }

    /// Whether `source` renders ChatML exactly — with a system message, and without one (where it
    /// may insert a default system prompt, returned as `defaultSystem`) — else nil.
    /// A chat template that renders ChatML, with the system prompt it inserts when a conversation has none.
    struct ChatMLForm: Equatable {
        var defaultSystem: String?
    }

    static func chatMLForm(of source: String) -> ChatMLForm? {
        guard let template = try? ChatTemplate(source: source) else { return nil }
        func turn(_ role: String, _ content: String) -> String { "<|im_start|>\(role)\n\(content)<|im_end|>\n" }
        func render(_ messages: [(String, String)]) -> String? {
            let values: [[String: TemplateValue]] = messages.map { ["role": .string($0.0), "content": .string($0.1)] }
            return try? template.render(messages: values, addGenerationPrompt: true, now: Date(timeIntervalSince1970: 0)).text
        }
        let conversation = [("user", "Hi there"), ("assistant", "Hello! How can I help?"), ("user", "Tell me a joke.")]
        let body = conversation.map { turn($0.0, $0.1) }.joined() + "<|im_start|>assistant\n"
        guard render([("system", "Be brief.")] + conversation) == turn("system", "Be brief.") + body,
              let bare = render(conversation) else { return nil }
        if bare == body { return ChatMLForm(defaultSystem: nil) }
        // A default system prompt inserted when the conversation has none.
        let prefix = "<|im_start|>system\n", suffix = "<|im_end|>\n" + body
        guard bare.hasPrefix(prefix), bare.hasSuffix(suffix), bare.count > prefix.count + suffix.count else { return nil }
        let system = String(bare.dropFirst(prefix.count).dropLast(suffix.count))
        guard !system.contains("\"\"\""), !system.contains("<|im_") else { return nil }
        return ChatMLForm(defaultSystem: system)
    }

    private static func escaped(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
