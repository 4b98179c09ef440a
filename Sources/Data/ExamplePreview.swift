// Shows tokenized examples to a person: the decoded text with the trained tokens set apart — in
// colour on a terminal, in ⟦brackets⟧ otherwise — and the counts.
import Tokenizer

public enum ExamplePreview {
    public enum Style: Sendable {
        /// ANSI colours: trained text green, the rest dimmed.
        case color
        /// Trained text between ⟦ and ⟧.
        case brackets
    }

    /// The example's text, trained runs marked by `style`.
    public static func render(_ example: TokenizedExample, tokenizer: Tokenizer, style: Style) -> String {
        var out = ""
        var run: [UInt8] = []
        var runTrained: Bool?
        func flush() {
            guard let trained = runTrained, !run.isEmpty else { return }
            let text = String(decoding: run, as: UTF8.self)
            switch (style, trained) {
            case (.color, true): out += "\u{1B}[32m\(text)\u{1B}[0m"
            case (.color, false): out += "\u{1B}[2m\(text)\u{1B}[0m"
            case (.brackets, true): out += "⟦\(text)⟧"
            case (.brackets, false): out += text
            }
            run.removeAll()
        }
        for (id, trained) in zip(example.ids, example.trained) {
            if trained != runTrained { flush(); runTrained = trained }
            run += tokenizer.tokenBytes(id) ?? []
        }
        flush()
        return out
    }

    /// A one-line header: `example 1 (data/faq.json:12, row 4): 73 tokens, 41 trained`.
    public static func header(_ index: Int, _ example: TokenizedExample, origin: DatasetRecord, file: String) -> String {
        "example \(index + 1) (\(file):\(origin.line), row \(origin.row)): \(example.ids.count) tokens, \(example.trainedCount) trained"
    }
}
