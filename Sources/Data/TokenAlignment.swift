// Maps UTF-8 byte spans of a rendered text onto the tokens that cover them, so spans found in text
// (`{% generation %}` blocks, prefix diffs) become per-token training flags.
import Tokenizer

/// For each token, the end offset (UTF-8 bytes) of the text it covers.
///
/// Byte-level vocabularies spell the text exactly, token by token; when they do not (SentencePiece's
/// added prefix space), offsets come from encoding prefixes instead.
func tokenEndOffsets(_ ids: [Int32], text: String, tokenizer: Tokenizer, addSpecialTokens: Bool) -> [Int] {
    var ends: [Int] = []
    ends.reserveCapacity(ids.count)
    var offset = 0
    var aligned = true
    let utf8 = Array(text.utf8)
    for id in ids {
        guard let bytes = tokenizer.tokenBytes(id), offset + bytes.count <= utf8.count,
              utf8[offset..<offset + bytes.count].elementsEqual(bytes) else { aligned = false; break }
        offset += bytes.count
        ends.append(offset)
    }
    if aligned && offset == utf8.count { return ends }
    // Slow path: token i ends where the shortest text prefix that encodes to ≥ i+1 tokens ends.
    return ids.indices.map { index in
        var low = 0, high = utf8.count
        while low < high {
            let mid = (low + high) / 2
            let count = tokenizer.encode(String(decoding: utf8[..<mid], as: UTF8.self), addSpecialTokens: addSpecialTokens).count
            if count >= index + 1 { high = mid } else { low = mid + 1 }
        }
        return low
    }
}

/// Marks tokens overlapping any of `spans` (as transformers' `char_to_token` span mapping does).
func markTokens(_ trained: inout [Bool], tokenEnds: [Int], spans: [Range<Int>]) {
    var start = 0
    for (index, end) in tokenEnds.enumerated() {
        let tokenRange = start..<max(end, start + 1)
        if spans.contains(where: { $0.overlaps(tokenRange) }) { trained[index] = true }
        start = end
    }
}
