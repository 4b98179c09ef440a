// Decoder steps: token strings back to text, step by step as Hugging Face's decoders chain them
// (ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace).

/// Runs the steps over the token strings and joins what is left.
func runDecoder(_ steps: [DecoderStep], _ tokens: [String]) -> String {
    if steps.isEmpty { return tokens.joined(separator: " ") }
    var tokens = tokens
    for step in steps { tokens = apply(step, tokens) }
    return tokens.joined()
}

private func apply(_ step: DecoderStep, _ tokens: [String]) -> [String] {
    switch step {
    case .byteLevel:
        var bytes: [UInt8] = []
        for token in tokens {
            if let raw = ByteLevelAlphabet.bytes(of: token) { bytes += raw } else { bytes += Array(token.utf8) }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    case .replace(let pattern, let content):
        let patternBytes = Array(pattern.utf8)
        let contentBytes = Array(content.utf8)
        return tokens.map { String(decoding: replacing(Array($0.utf8), patternBytes, contentBytes), as: UTF8.self) }
    case .byteFallback:
        return byteFallback(tokens)
    case .fuse:
        return [tokens.joined()]
    case .strip(let content, let start, let stop):
        return tokens.map { strip($0, content, start, stop) }
    case .metaspace(let replacement, let scheme):
        return tokens.enumerated().map { index, token in
            var out = String.UnicodeScalarView()
            for scalar in token.unicodeScalars {
                if scalar == replacement {
                    if !(index == 0 && scheme != .never) { out.append(" ") }
                } else {
                    out.append(scalar)
                }
            }
            return String(out)
        }
    }
}

/// `<0xNN>` tokens become bytes; a run of them that is not valid UTF-8 becomes one U+FFFD per byte.
private func byteFallback(_ tokens: [String]) -> [String] {
    var out: [String] = []
    var pending: [UInt8] = []
    func flush() {
        guard !pending.isEmpty else { return }
        if let text = String(validating: pending, as: UTF8.self) {
            out.append(text)
        } else {
            out.append(contentsOf: Array(repeating: "\u{FFFD}", count: pending.count))
        }
        pending.removeAll()
    }
    for token in tokens {
        let utf8 = Array(token.utf8)
        if utf8.count == 6, token.hasPrefix("<0x"), utf8[5] == UInt8(ascii: ">"),
           let byte = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16) {
            pending.append(byte)
        } else {
            flush()
            out.append(token)
        }
    }
    flush()
    return out
}

/// Strips scalars (Rust `char`s, not grapheme clusters) as Hugging Face's `Strip` does.
private func strip(_ token: String, _ content: Unicode.Scalar, _ start: Int, _ stop: Int) -> String {
    let characters = Array(token.unicodeScalars)
    var startCut = 0
    for index in 0..<min(start, characters.count) {
        if characters[index] == content { startCut = index + 1 } else { break }
    }
    var stopCut = characters.count
    for offset in 0..<min(stop, characters.count) {
        let index = characters.count - offset - 1
        if characters[index] == content { stopCut = index } else { break }
    }
    guard startCut < stopCut else { return "" }
    var out = String.UnicodeScalarView()
    out.append(contentsOf: characters[startCut..<stopCut])
    return String(out)
}
