// A bounded cache from pre-token bytes to token ids, as Hugging Face's BPE keeps one: text repeats
// words, so most pre-tokens skip the merge loop entirely.

struct PieceCache {
    /// Entries kept before the cache starts over; pre-tokens longer than `maxKeyLength` bytes are not cached.
    static let capacity = 50_000
    static let maxKeyLength = 256

    private var table = ByteKeyTable<UInt64>(capacity: 4096)  // key → (offset << 32 | count) in `ids`
    private var ids: [Int32] = []

    mutating func tokenize(_ key: UnsafeBufferPointer<UInt8>, _ model: BPEModel, _ scratch: inout MergeScratch,
                           into output: inout [Int32]) {
        let raw = UnsafeRawBufferPointer(key)
        if let hit = table.find(raw) {
            let offset = Int(hit >> 32)
            let count = Int(hit & 0xFFFF_FFFF)
            output.append(contentsOf: ids[offset..<(offset + count)])
            return
        }
        let start = output.count
        model.tokenize(key, &scratch, into: &output)
        guard key.count <= PieceCache.maxKeyLength else { return }
        if table.count >= PieceCache.capacity {
            table.removeAll()
            ids.removeAll(keepingCapacity: true)
        }
        let offset = ids.count
        ids.append(contentsOf: output[start...])
        table.insert(raw, UInt64(offset) << 32 | UInt64(output.count - start))
    }
}
