// The files a tiny fine-tuning project holds, shared by the CLI and stage tests: the tiny model
// directory (config, weights, byte tokenizer) and the small prompt/completion data set about colors.
import Foundation

extension TinyModelFixture {
    /// The eight colors the data set talks about.
    public static let colors = ["red", "green", "blue", "black", "white", "amber", "violet", "grey"]

    /// Writes a model directory at `directory` (created): `config.json` and `model.safetensors`
    /// copied from `source` (the tiny Llama unless given), and the byte tokenizer's `tokenizer.json`.
    public static func writeModel(to directory: URL, from source: URL = TinyModelFixture.directory) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        try byteTokenizerJSON().write(to: directory.appendingPathComponent("tokenizer.json"))
    }

    /// JSON Lines of prompt/completion rows, one line each, ending in a newline: eight
    /// `Q: favorite color? A:` → ` <color> is nice`, then (when `sayRepeats` is given) eight
    /// `Say <color>:` → the color `sayRepeats` times.
    public static func colorsJSONL(sayRepeats: Int? = nil) -> String {
        var lines = colors.map { #"{"prompt": "Q: favorite color? A:", "completion": " \#($0) is nice"}"# }
        if let sayRepeats {
            lines += colors.map { color in
                #"{"prompt": "Say \#(color):", "completion": "\#(String(repeating: " " + color, count: sayRepeats))"}"#
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
