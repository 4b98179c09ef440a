// Finds added tokens (`<|im_start|>`, `<s>`…) in text before pre-tokenization: leftmost match first,
// longest among those starting there, honouring the lstrip / rstrip / single_word flags.

/// A stretch of the input: either plain text or one added token.
struct Segment {
    var range: Range<Int>
    /// The added token's id, or -1 for plain text.
    var tokenId: Int32
}

struct AddedTokenMatcher {
    private struct Candidate {
        var bytes: [UInt8]
        var token: AddedToken
    }

    /// Candidates by first byte, longest first.
    private var byFirstByte: [[Candidate]] = Array(repeating: [], count: 256)
    let isEmpty: Bool

    init(_ tokens: [AddedToken]) {
        for token in tokens where !token.content.isEmpty {
            let bytes = Array(token.content.utf8)
            byFirstByte[Int(bytes[0])].append(Candidate(bytes: bytes, token: token))
        }
        for index in byFirstByte.indices { byFirstByte[index].sort { $0.bytes.count > $1.bytes.count } }
        isEmpty = tokens.allSatisfy { $0.content.isEmpty }
    }

    /// Appends to `segments` the pieces of `bytes[range]`: text and matched tokens, in order.
    func split(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into segments: inout [Segment]) {
        if isEmpty {
            if !range.isEmpty { segments.append(Segment(range: range, tokenId: -1)) }
            return
        }
        var textStart = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            let candidates = byFirstByte[Int(bytes[index])]
            guard !candidates.isEmpty, let match = longestMatch(candidates, bytes, index, range.upperBound) else {
                index += 1
                continue
            }
            var start = index
            var stop = index + match.bytes.count
            let token = match.token
            if token.singleWord {
                let wordBefore = start > range.lowerBound && isWordScalar(endingAt: start, bytes, range.lowerBound)
                let wordAfter = stop < range.upperBound && isWordScalar(decodeScalar(bytes, stop).value)
                if wordBefore || wordAfter {
                    index = stop  // matching resumes after the rejected match, as Hugging Face's does
                    continue
                }
            }
            if token.lstrip { start = max(whitespaceStart(before: start, bytes, range.lowerBound), textStart) }
            if token.rstrip { stop = whitespaceEnd(after: stop, bytes, range.upperBound) }
            if textStart < start { segments.append(Segment(range: textStart..<start, tokenId: -1)) }
            segments.append(Segment(range: start..<stop, tokenId: token.id))
            textStart = stop
            index = stop
        }
        if textStart < range.upperBound { segments.append(Segment(range: textStart..<range.upperBound, tokenId: -1)) }
    }

    private func longestMatch(_ candidates: [Candidate], _ bytes: UnsafeBufferPointer<UInt8>,
                              _ index: Int, _ end: Int) -> Candidate? {
        outer: for candidate in candidates where index + candidate.bytes.count <= end {
            for (offset, byte) in candidate.bytes.enumerated() where bytes[index + offset] != byte { continue outer }
            return candidate
        }
        return nil
    }

    /// `\w`: letters, marks, decimal numbers and connector punctuation.
    private func isWordScalar(_ value: UInt32) -> Bool {
        ScalarClass.of(value) & (ScalarClass.letter | ScalarClass.number | ScalarClass.mark | ScalarClass.connector) != 0
    }

    private func isWordScalar(endingAt index: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ lower: Int) -> Bool {
        var start = index - 1
        while start > lower && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return isWordScalar(decodeScalar(bytes, start).value)
    }

    private func whitespaceStart(before index: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ lower: Int) -> Int {
        var position = index
        while position > lower {
            var start = position - 1
            while start > lower && bytes[start] & 0xC0 == 0x80 { start -= 1 }
            if ScalarClass.of(decodeScalar(bytes, start).value) & ScalarClass.whitespace == 0 { break }
            position = start
        }
        return position
    }

    private func whitespaceEnd(after index: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ upper: Int) -> Int {
        var position = index
        while position < upper {
            let (value, length) = decodeScalar(bytes, position)
            if ScalarClass.of(value) & ScalarClass.whitespace == 0 { break }
            position += length
        }
        return position
    }
}
