// How a byte-level GGUF vocabulary's `tokenizer.ggml.pre` becomes tokenizer.json's pre-tokenizer:
// the splitting llama.cpp applies for that name (and that the model's own tokenizer.json had),
// written in the `tokenizers` spelling runner's Tokenizer module reads back.
import Tokenizer

enum HuggingFacePreTokenizer {
    /// The splitting families runner knows for byte-level vocabularies.
    enum Family: Equatable {
        /// GPT-2's regex inside ByteLevel.
        case gpt2
        /// Each digit alone, then GPT-2's regex (SmolLM2, StarCoder).
        case individualDigits
        /// A Split with the Llama 3 or Qwen2 regex, then ByteLevel without its own regex.
        case split(SplitPattern)
    }

    /// `tokenizer.ggml.pre` names by family, with llama.cpp's aliases.
    static let names: [(Family, [String])] = [
        (.gpt2, ["default", "gpt2", "gpt-2", "mpt", "olmo", "jais", "gpt-neox"]),
        (.individualDigits, ["smollm", "starcoder", "refact", "codeshell", "command-r", "exaone", "minerva-7b"]),
        (.split(.llama3), ["llama3", "llama-bpe", "llama-v3", "falcon3", "smaug-bpe", "dbrx", "pixtral"]),
        (.split(.qwen2), ["qwen2", "deepseek-r1-qwen", "megrez"]),
    ]

    /// Every supported name, for error messages.
    static var supportedNames: [String] { names.flatMap(\.1) }

    /// The family of `name`; nil when runner cannot reproduce its splitting.
    static func family(of name: String) -> Family? {
        names.first { $0.1.contains(name) }?.0
    }

    /// Llama 3 vocabularies look a whole pre-token up before merging (`ignore_merges`), as llama.cpp does.
    static func ignoresMerges(_ family: Family) -> Bool { family == .split(.llama3) }

    /// The `pre_tokenizer` object of tokenizer.json.
    static func json(_ family: Family) -> OrderedJSON {
        func byteLevel(useRegex: Bool) -> OrderedJSON {
            .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)), ("trim_offsets", .bool(true)),
                     ("use_regex", .bool(useRegex))])
        }
        func sequence(_ steps: [OrderedJSON]) -> OrderedJSON {
            .object([("type", .string("Sequence")), ("pretokenizers", .array(steps))])
        }
        switch family {
        case .gpt2:
            return byteLevel(useRegex: true)
        case .individualDigits:
            return sequence([.object([("type", .string("Digits")), ("individual_digits", .bool(true))]), byteLevel(useRegex: true)])
        case .split(let pattern):
            let split: OrderedJSON = .object([("type", .string("Split")), ("pattern", .object([("Regex", .string(pattern.regex))])),
                                              ("behavior", .string("Isolated")), ("invert", .bool(false))])
            return sequence([split, byteLevel(useRegex: false)])
        }
    }
}
