// Runs the normalizer and pre-tokenizer steps over one stretch of text: the result is a byte buffer
// and the ranges of its pre-tokens, ready for the BPE model.

import Foundation

/// Reusable buffers for normalizing and pre-tokenizing one stretch of text.
struct PreTokenization {
    /// The (normalized, transformed) text of the stretch being processed.
    private(set) var buffer: [UInt8] = []
    /// Pre-tokens: ranges of `buffer`, in order.
    private(set) var pieces: [Range<Int>] = []
    private var spareBuffer: [UInt8] = []
    private var sparePieces: [Range<Int>] = []

    /// Loads `text` as one piece, applying the normalizer steps.
    mutating func load(_ text: UnsafeBufferPointer<UInt8>, normalizer: [NormalizerStep]) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: text)
        for step in normalizer {
            switch step {
            case .prepend(let prefix):
                if !buffer.isEmpty { buffer.insert(contentsOf: prefix.utf8, at: 0) }
            case .replace(let pattern, let content):
                buffer = replacing(buffer, Array(pattern.utf8), Array(content.utf8))
            case .nfc, .nfd, .nfkc, .nfkd, .lowercase:
                let text = String(decoding: buffer, as: UTF8.self)
                let normalized: String
                switch step {
                case .nfc: normalized = text.precomposedStringWithCanonicalMapping
                case .nfd: normalized = text.decomposedStringWithCanonicalMapping
                case .nfkc: normalized = text.precomposedStringWithCompatibilityMapping
                case .nfkd: normalized = text.decomposedStringWithCompatibilityMapping
                default: normalized = text.lowercased()
                }
                buffer = Array(normalized.utf8)
            }
        }
        pieces.removeAll(keepingCapacity: true)
        if !buffer.isEmpty { pieces.append(0..<buffer.count) }
    }

    /// Applies the pre-tokenizer steps. `atTextStart`: this stretch begins the input (for Metaspace's
    /// `first` scheme).
    mutating func apply(_ steps: [PreTokenizerStep], atTextStart: Bool) {
        for step in steps {
            switch step {
            case .byteLevel(let addPrefixSpace, let useRegex):
                if addPrefixSpace {
                    transform { piece, _, out in
                        if piece.first != 0x20 { out.append(0x20) }
                        out.append(contentsOf: piece)
                    }
                }
                if useRegex { splitEach { SplitPattern.gpt2.split($0, $1, into: &$2) } }
            case .split(let pattern):
                splitEach { pattern.split($0, $1, into: &$2) }
            case .digits(let individual):
                splitEach { splitDigits($0, $1, individual: individual, into: &$2) }
            case .metaspace(let replacement, let scheme, let split):
                let mark = Array(replacement.utf8)
                transform { piece, isFirst, out in
                    // Spaces are replaced first, so text starting with a space already starts with the mark.
                    let startsWithMark = piece.first == 0x20 || piece.starts(with: mark)
                    let prepend = scheme == .always || (scheme == .first && isFirst && atTextStart)
                    if prepend && !startsWithMark { out.append(contentsOf: mark) }
                    for byte in piece {
                        if byte == 0x20 { out.append(contentsOf: mark) } else { out.append(byte) }
                    }
                }
                if split { splitEach { splitBefore(mark, $0, $1, into: &$2) } }
            }
        }
    }

    /// Rewrites every piece into a fresh buffer; `isFirst` is true for the piece at offset 0.
    private mutating func transform(_ rewrite: (ArraySlice<UInt8>, Bool, inout [UInt8]) -> Void) {
        spareBuffer.removeAll(keepingCapacity: true)
        sparePieces.removeAll(keepingCapacity: true)
        for piece in pieces {
            let start = spareBuffer.count
            rewrite(buffer[piece], piece.lowerBound == 0, &spareBuffer)
            if spareBuffer.count > start { sparePieces.append(start..<spareBuffer.count) }
        }
        swap(&buffer, &spareBuffer)
        swap(&pieces, &sparePieces)
    }

    /// Replaces every piece by the sub-pieces `cut` finds in it.
    private mutating func splitEach(_ cut: (UnsafeBufferPointer<UInt8>, Range<Int>, inout [Range<Int>]) -> Void) {
        sparePieces.removeAll(keepingCapacity: true)
        buffer.withUnsafeBufferPointer { bytes in
            for piece in pieces { cut(bytes, piece, &sparePieces) }
        }
        swap(&pieces, &sparePieces)
    }
}

/// `Digits`: digits (\p{N}) isolated one by one, or grouped in runs; other text kept in runs.
private func splitDigits(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, individual: Bool,
                         into pieces: inout [Range<Int>]) {
    var runStart = range.lowerBound
    var runIsDigits = false
    var index = range.lowerBound
    while index < range.upperBound {
        let (value, length) = decodeScalar(bytes, index)
        let isDigit = ScalarClass.of(value) & ScalarClass.number != 0
        if index > runStart && (isDigit != runIsDigits || (isDigit && individual)) {
            pieces.append(runStart..<index)
            runStart = index
        }
        runIsDigits = isDigit
        index += length
    }
    if runStart < range.upperBound { pieces.append(runStart..<range.upperBound) }
}

/// Splits so that every occurrence of `mark` starts a new piece (`MergedWithNext`).
private func splitBefore(_ mark: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                         into pieces: inout [Range<Int>]) {
    var start = range.lowerBound
    var index = range.lowerBound
    while index + mark.count <= range.upperBound {
        if bytes[index] == mark[0] && mark.indices.allSatisfy({ bytes[index + $0] == mark[$0] }) {
            if index > start { pieces.append(start..<index) }
            start = index
            index += mark.count
        } else {
            index += 1
        }
    }
    if start < range.upperBound { pieces.append(start..<range.upperBound) }
}

/// `text` with every non-overlapping occurrence of `pattern` (left to right) replaced by `content`.
func replacing(_ text: [UInt8], _ pattern: [UInt8], _ content: [UInt8]) -> [UInt8] {
    guard !pattern.isEmpty, text.count >= pattern.count else { return text }
    var out: [UInt8] = []
    out.reserveCapacity(text.count)
    var index = 0
    while index < text.count {
        if index + pattern.count <= text.count && text[index] == pattern[0]
            && pattern.indices.allSatisfy({ text[index + $0] == pattern[$0] }) {
            out.append(contentsOf: content)
            index += pattern.count
        } else {
            out.append(text[index])
            index += 1
        }
    }
    return out
}
