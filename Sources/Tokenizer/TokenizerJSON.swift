// Loads a Hugging Face tokenizer.json (BPE models): vocabulary, merges in either spelling, added
// tokens, normalizer, pre-tokenizer, post-processor and decoder. Unsupported parts are errors, not
// silently ignored, so ids never quietly differ from Hugging Face's.

import Basics
import Foundation

extension Tokenizer {
    /// Loads a tokenizer.json file. Throws `RunnerError` when the file cannot be read and
    /// `DiagnosticError` (at `file:line:column`, with the key path) when its content is invalid.
    public convenience init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RunnerError(url.path, "cannot read the tokenizer file: \(error.localizedDescription)",
                              hint: "check the path; a Hugging Face model directory has a tokenizer.json")
        }
        try self.init(tokenizerJSON: data, file: url.path)
    }

    /// Parses tokenizer.json content; `file` names it in error messages.
    public convenience init(tokenizerJSON data: Data, file: String = "tokenizer.json") throws {
        let bytes = [UInt8](data)
        let root = try JSONParser.parse(bytes, file: file)
        do {
            let parts = try TokenizerJSONReader.read(root)
            self.init(model: parts.model, addedTokens: parts.added, normalizer: parts.normalizer,
                      preTokenizer: parts.preTokenizer, postProcessor: parts.post, decoder: parts.decoder,
                      bos: parts.bos, eos: parts.eos, unknown: parts.model.unknownId, padding: nil)
        } catch let error as DefinitionError {
            let location = error.offset.map { JSONParser.location(of: $0, in: bytes, file: file) }
            throw DiagnosticError(Diagnostic(at: location, keyPath: error.keyPath, error.message,
                                             hint: error.hint ?? (location == nil ? "in \(file)" : nil)))
        }
    }
}

/// Reads the typed parts of a parsed tokenizer.json.
enum TokenizerJSONReader {
    struct Parts {
        var model: BPEModel
        var added: [AddedToken]
        var normalizer: [NormalizerStep]
        var preTokenizer: [PreTokenizerStep]
        var post: PostProcessor
        var decoder: [DecoderStep]
        var bos: Int32?
        var eos: Int32?
    }

    static func read(_ root: JSONNode) throws -> Parts {
        guard case .object = root.value else { throw fail("", root, "expected an object, found \(root.typeName)") }
        let normalizer = try readNormalizer(root["normalizer"], "normalizer")
        let preTokenizer = try readPreTokenizer(root["pre_tokenizer"], "pre_tokenizer")
        let decoder = try readDecoder(root["decoder"], "decoder")
        let byteLevel = preTokenizer.contains { if case .byteLevel = $0 { return true } else { return false } }
        guard let modelNode = root["model"] else { throw fail("model", root, "missing") }
        let model = try readModel(modelNode, units: byteLevel ? .bytes : .scalars)
        let added = try readAddedTokens(root["added_tokens"])
        let (post, bos, eos) = try readPostProcessor(root["post_processor"], "post_processor", added: added, model: model)
        return Parts(model: model, added: added, normalizer: normalizer, preTokenizer: preTokenizer, post: post,
                     decoder: decoder, bos: bos, eos: eos)
    }

    // MARK: Typed access

    static func fail(_ path: String, _ node: JSONNode, _ message: String, hint: String? = nil) -> DefinitionError {
        DefinitionError(keyPath: path, message: message, hint: hint, offset: node.offset)
    }

    static func string(_ node: JSONNode?, _ path: String, in parent: JSONNode) throws -> String {
        guard let node else { throw fail(path, parent, "missing (expected a string)") }
        guard case .string(let value) = node.value else { throw fail(path, node, "expected a string, found \(node.typeName)") }
        return value
    }

    static func optionalString(_ node: JSONNode?, _ path: String) throws -> String? {
        guard let node, !node.isNull else { return nil }
        guard case .string(let value) = node.value else { throw fail(path, node, "expected a string or null, found \(node.typeName)") }
        return value
    }

    static func bool(_ node: JSONNode?, _ path: String, default fallback: Bool) throws -> Bool {
        guard let node, !node.isNull else { return fallback }
        guard case .bool(let value) = node.value else { throw fail(path, node, "expected true or false, found \(node.typeName)") }
        return value
    }

    static func int(_ node: JSONNode?, _ path: String, in parent: JSONNode, range: ClosedRange<Int> = 0...Int(Int32.max)) throws -> Int {
        guard let node else { throw fail(path, parent, "missing (expected an integer)") }
        guard case .number(let value) = node.value, value.rounded() == value, let int = Int(exactly: value), range.contains(int) else {
            throw fail(path, node, "expected an integer in \(range.lowerBound)...\(range.upperBound), found \(node.typeName)")
        }
        return int
    }

    static func array(_ node: JSONNode?, _ path: String, in parent: JSONNode) throws -> [JSONNode] {
        guard let node else { throw fail(path, parent, "missing (expected an array)") }
        guard case .array(let elements) = node.value else { throw fail(path, node, "expected an array, found \(node.typeName)") }
        return elements
    }

    static func type(_ node: JSONNode, _ path: String) throws -> String {
        try string(node["type"], "\(path).type", in: node)
    }

    static func unsupported(_ path: String, _ node: JSONNode, _ kind: String, _ supported: String) -> DefinitionError {
        fail(path, node, "unsupported \(kind)", hint: "supported: \(supported)")
    }

    /// `{"String": "x"}` patterns (Regex patterns are only supported by Split).
    static func stringPattern(_ node: JSONNode?, _ path: String, in parent: JSONNode) throws -> String {
        guard let node else { throw fail(path, parent, "missing") }
        if let literal = node["String"] { return try string(literal, "\(path).String", in: node) }
        throw fail(path, node, "only {\"String\": ...} patterns are supported here")
    }

    // MARK: Model

    static func readModel(_ node: JSONNode, units: BPEUnits) throws -> BPEModel {
        let kind = try optionalString(node["type"], "model.type") ?? "BPE"
        guard kind == "BPE" else { throw unsupported("model.type", node, "model \"\(kind)\"", "BPE") }
        if let dropout = node["dropout"], !dropout.isNull {
            if case .number(let value) = dropout.value, value == 0 {} else {
                throw fail("model.dropout", dropout, "BPE dropout is not supported", hint: "set it to null")
            }
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = try optionalString(node[key], "model.\(key)"), !value.isEmpty {
                throw unsupported("model.\(key)", node[key]!, "\(key) \"\(value)\"", "null or \"\"")
            }
        }
        guard let vocabNode = node["vocab"] else { throw fail("model.vocab", node, "missing") }
        guard case .object(let entries) = vocabNode.value else { throw fail("model.vocab", vocabNode, "expected an object of token → id") }
        var pieces: [String] = []
        var owner: [Int: String] = [:]
        for (token, idNode) in entries {
            let id = try int(idNode, "model.vocab[\"\(token)\"]", in: vocabNode, range: 0...(entries.count * 4 + 1024))
            if let other = owner[id], !other.utf8.elementsEqual(token.utf8) {
                throw fail("model.vocab[\"\(token)\"]", idNode, "id \(id) is already used by \"\(other)\"", hint: "token ids must be unique")
            }
            owner[id] = token
            if id >= pieces.count { pieces += Array(repeating: "", count: id + 1 - pieces.count) }
            pieces[id] = token
        }
        let mergeNodes = try node["merges"].map { try array($0, "model.merges", in: node) } ?? []
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeNodes.count)
        for (index, merge) in mergeNodes.enumerated() {
            let path = "model.merges[\(index)]"
            switch merge.value {
            case .string(let text):
                guard let pair = splitMerge(text) else { throw fail(path, merge, "\"\(text)\" is not two tokens separated by one space") }
                merges.append(pair)
            case .array(let parts) where parts.count == 2:
                merges.append((try string(parts[0], "\(path)[0]", in: merge), try string(parts[1], "\(path)[1]", in: merge)))
            default:
                throw fail(path, merge, "expected \"left right\" or [\"left\", \"right\"], found \(merge.typeName)")
            }
        }
        return try BPEModel.build(units: units, pieces: pieces, merges: merges, mergeOffsets: mergeNodes.map(\.offset),
                                  byteFallback: try bool(node["byte_fallback"], "model.byte_fallback", default: false),
                                  unknownToken: try optionalString(node["unk_token"], "model.unk_token"),
                                  fuseUnknown: try bool(node["fuse_unk"], "model.fuse_unk", default: false),
                                  ignoreMerges: try bool(node["ignore_merges"], "model.ignore_merges", default: false))
    }

    static func readAddedTokens(_ node: JSONNode?) throws -> [AddedToken] {
        guard let node, !node.isNull else { return [] }
        return try array(node, "added_tokens", in: node).enumerated().map { index, entry in
            let path = "added_tokens[\(index)]"
            return AddedToken(id: Int32(try int(entry["id"], "\(path).id", in: entry)),
                              content: try string(entry["content"], "\(path).content", in: entry),
                              special: try bool(entry["special"], "\(path).special", default: false),
                              lstrip: try bool(entry["lstrip"], "\(path).lstrip", default: false),
                              rstrip: try bool(entry["rstrip"], "\(path).rstrip", default: false),
                              singleWord: try bool(entry["single_word"], "\(path).single_word", default: false),
                              normalized: try bool(entry["normalized"], "\(path).normalized", default: true))
        }
    }

    // MARK: Pipeline stages

    static func readNormalizer(_ node: JSONNode?, _ path: String) throws -> [NormalizerStep] {
        guard let node, !node.isNull else { return [] }
        switch try type(node, path) {
        case "Sequence":
            return try array(node["normalizers"], "\(path).normalizers", in: node).enumerated()
                .flatMap { try readNormalizer($1, "\(path).normalizers[\($0)]") }
        case "Prepend":
            return [.prepend(try string(node["prepend"], "\(path).prepend", in: node))]
        case "Replace":
            return [.replace(pattern: try stringPattern(node["pattern"], "\(path).pattern", in: node),
                             content: try string(node["content"], "\(path).content", in: node))]
        case "NFC": return [.nfc]
        case "NFD": return [.nfd]
        case "NFKC": return [.nfkc]
        case "NFKD": return [.nfkd]
        case "Lowercase": return [.lowercase]
        case let other:
            throw unsupported("\(path).type", node, "normalizer \"\(other)\"", "Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase")
        }
    }

    static func prependScheme(_ node: JSONNode, _ path: String) throws -> PrependScheme {
        if let schemeNode = node["prepend_scheme"], !schemeNode.isNull {
            let text = try string(schemeNode, "\(path).prepend_scheme", in: node)
            guard let scheme = PrependScheme(rawValue: text) else {
                throw fail("\(path).prepend_scheme", schemeNode, "unknown scheme \"\(text)\"", hint: "always, first or never")
            }
            return scheme
        }
        return try bool(node["add_prefix_space"], "\(path).add_prefix_space", default: true) ? .always : .never
    }

    static func replacement(_ node: JSONNode, _ path: String) throws -> Unicode.Scalar {
        let text = try string(node["replacement"], "\(path).replacement", in: node)
        guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
            throw fail("\(path).replacement", node["replacement"]!, "expected one character")
        }
        return scalar
    }

    static func readPreTokenizer(_ node: JSONNode?, _ path: String) throws -> [PreTokenizerStep] {
        guard let node, !node.isNull else { return [] }
        switch try type(node, path) {
        case "Sequence":
            return try array(node["pretokenizers"], "\(path).pretokenizers", in: node).enumerated()
                .flatMap { try readPreTokenizer($1, "\(path).pretokenizers[\($0)]") }
        case "ByteLevel":
            return [.byteLevel(addPrefixSpace: try bool(node["add_prefix_space"], "\(path).add_prefix_space", default: true),
                               useRegex: try bool(node["use_regex"], "\(path).use_regex", default: true))]
        case "Digits":
            return [.digits(individual: try bool(node["individual_digits"], "\(path).individual_digits", default: false))]
        case "Metaspace":
            return [.metaspace(replacement: String(try replacement(node, path)), scheme: try prependScheme(node, path),
                               split: try bool(node["split"], "\(path).split", default: true))]
        case "Split":
            guard let patternNode = node["pattern"], let regexNode = patternNode["Regex"] else {
                throw fail("\(path).pattern", node, "only {\"Regex\": ...} split patterns are supported")
            }
            let regex = try string(regexNode, "\(path).pattern.Regex", in: patternNode)
            guard let pattern = SplitPattern(regex: regex) else {
                throw fail("\(path).pattern.Regex", regexNode, "unsupported split regex",
                           hint: "supported: the GPT-2, Llama 3 and Qwen2 pre-tokenizer regexes")
            }
            let behavior = try optionalString(node["behavior"], "\(path).behavior") ?? "Isolated"
            guard behavior.lowercased() == "isolated", try !bool(node["invert"], "\(path).invert", default: false) else {
                throw fail("\(path).behavior", node, "only behavior Isolated without invert is supported")
            }
            return [.split(pattern)]
        case let other:
            throw unsupported("\(path).type", node, "pre-tokenizer \"\(other)\"", "Sequence, ByteLevel, Digits, Metaspace, Split")
        }
    }

    static func readDecoder(_ node: JSONNode?, _ path: String) throws -> [DecoderStep] {
        guard let node, !node.isNull else { return [] }
        switch try type(node, path) {
        case "Sequence":
            return try array(node["decoders"], "\(path).decoders", in: node).enumerated()
                .flatMap { try readDecoder($1, "\(path).decoders[\($0)]") }
        case "ByteLevel": return [.byteLevel]
        case "ByteFallback": return [.byteFallback]
        case "Fuse": return [.fuse]
        case "Replace":
            return [.replace(pattern: try stringPattern(node["pattern"], "\(path).pattern", in: node),
                             content: try string(node["content"], "\(path).content", in: node))]
        case "Strip":
            let content = try string(node["content"], "\(path).content", in: node)
            guard content.unicodeScalars.count == 1, let scalar = content.unicodeScalars.first else {
                throw fail("\(path).content", node, "expected one character")
            }
            return [.strip(content: scalar, start: try int(node["start"], "\(path).start", in: node),
                           stop: try int(node["stop"], "\(path).stop", in: node))]
        case "Metaspace":
            return [.metaspace(replacement: try replacement(node, path), scheme: try prependScheme(node, path))]
        case let other:
            throw unsupported("\(path).type", node, "decoder \"\(other)\"", "Sequence, ByteLevel, ByteFallback, Fuse, Replace, Strip, Metaspace")
        }
    }

    /// The tokens a TemplateProcessing puts around a single sequence; BOS/EOS are guessed from them.
    static func readPostProcessor(_ node: JSONNode?, _ path: String, added: [AddedToken],
                                  model: BPEModel) throws -> (PostProcessor, Int32?, Int32?) {
        guard let node, !node.isNull else { return (PostProcessor(), nil, nil) }
        switch try type(node, path) {
        case "ByteLevel": return (PostProcessor(), nil, nil)
        case "Sequence":
            var result = (PostProcessor(), Int32?.none, Int32?.none)
            for (index, step) in try array(node["processors"], "\(path).processors", in: node).enumerated() {
                let (post, bos, eos) = try readPostProcessor(step, "\(path).processors[\(index)]", added: added, model: model)
                result.0.prefix += post.prefix
                result.0.suffix = post.suffix + result.0.suffix
                result.1 = result.1 ?? bos
                result.2 = result.2 ?? eos
            }
            return result
        case "TemplateProcessing":
            var specials: [String: [Int32]] = [:]
            if let table = node["special_tokens"], case .object(let members) = table.value {
                for (name, entry) in members {
                    let limit = max(model.pieces.count, (added.map { Int($0.id) }.max() ?? -1) + 1) - 1
                    let ids = try array(entry["ids"], "\(path).special_tokens.\(name).ids", in: entry).enumerated().map {
                        Int32(try int($1, "\(path).special_tokens.\(name).ids[\($0)]", in: entry, range: 0...max(limit, 0)))
                    }
                    specials[name] = ids
                }
            }
            var post = PostProcessor()
            var seenSequence = false
            for (index, item) in try array(node["single"], "\(path).single", in: node).enumerated() {
                let itemPath = "\(path).single[\(index)]"
                if item["Sequence"] != nil { seenSequence = true; continue }
                guard let special = item["SpecialToken"] else { throw fail(itemPath, item, "expected SpecialToken or Sequence") }
                let name = try string(special["id"], "\(itemPath).SpecialToken.id", in: special)
                guard let ids = specials[name] else {
                    throw fail(itemPath, item, "special token \"\(name)\" is not in \(path).special_tokens")
                }
                if seenSequence { post.suffix += ids } else { post.prefix += ids }
            }
            return (post, post.prefix.first, post.suffix.last)
        case let other:
            throw unsupported("\(path).type", node, "post-processor \"\(other)\"", "TemplateProcessing, ByteLevel, Sequence")
        }
    }
}
