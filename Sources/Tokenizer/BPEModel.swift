// The BPE model: a vocabulary, merges ranked by priority, and what to do with characters the
// vocabulary lacks (byte fallback, unknown token). Turns one pre-token into token ids.

/// How a pre-token is cut into the initial symbols that merges then join.
enum BPEUnits: Sendable {
    /// Byte-level BPE: one symbol per byte (the vocabulary spells bytes in GPT-2's alphabet).
    case bytes
    /// SentencePiece-style BPE: one symbol per Unicode scalar.
    case scalars
}

struct BPEModel {
    let units: BPEUnits
    /// Token text as the vocabulary spells it, by id (e.g. "Ġworld", "▁Hello", "<0x0A>").
    let pieces: [String]
    /// Id by the exact UTF-8 of the token text as the vocabulary spells it.
    let pieceIds: ByteKeyTable<Int32>
    /// Token id by its key bytes: the raw bytes for byte-level vocabularies, UTF-8 otherwise.
    let lookup: ByteKeyTable<Int32>
    /// For `.bytes`: the id of each single-byte token, or -1.
    let byteUnitIds: [Int32]
    let merges: PairTable
    /// The ids of `<0x00>`…`<0xFF>` when the model falls back to bytes for unknown characters.
    let byteFallbackIds: [Int32]?
    let unknownId: Int32?
    let fuseUnknown: Bool
    /// Llama 3 style: a pre-token that is a whole vocabulary entry is taken as is, without merging.
    let ignoreMerges: Bool

    /// Appends the ids of one pre-token (`key` in the lookup's byte form) to `output`.
    func tokenize(_ key: UnsafeBufferPointer<UInt8>, _ scratch: inout MergeScratch, into output: inout [Int32]) {
        if key.isEmpty { return }
        if ignoreMerges, let id = lookup.find(UnsafeRawBufferPointer(key)) {
            output.append(id)
            return
        }
        scratch.reset()
        switch units {
        case .bytes:
            for byte in key {
                let id = byteUnitIds[Int(byte)]
                if id >= 0 { scratch.flushUnknown(); scratch.add(id) } else { addUnknown(length: 1, &scratch) }
            }
        case .scalars:
            var index = 0
            while index < key.count {
                let length = utf8Length(lead: key[index])
                let unit = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: key[index..<min(index + length, key.count)]))
                if let id = lookup.find(unit) {
                    scratch.flushUnknown()
                    scratch.add(id)
                } else if let fallback = byteFallbackIds, unit.allSatisfy({ fallback[Int($0)] >= 0 }) {
                    scratch.flushUnknown()
                    for byte in unit { scratch.add(fallback[Int(byte)]) }
                } else {
                    addUnknown(length: unit.count, &scratch)
                }
                index += length
            }
        }
        scratch.flushUnknown()
        scratch.mergeAll(merges)
        scratch.appendSymbols(to: &output)
    }

    private func addUnknown(length: Int, _ scratch: inout MergeScratch) {
        guard let unknownId else { return }  // HF drops characters it can neither find nor replace
        if fuseUnknown && scratch.pendingUnknown != nil { return }
        scratch.flushUnknown()
        scratch.pendingUnknown = unknownId
    }
}

/// Reusable buffers for the merge loop of one encode call: a doubly linked list of symbols and a
/// min-heap of candidate merges ordered by (rank, position), as Hugging Face's BPE does it.
struct MergeScratch {
    private struct Candidate {
        var rank: Int32
        var position: Int32
        var merged: Int32
        @inline(__always) func precedes(_ other: Candidate) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    private var ids: [Int32] = []
    private var previous: [Int32] = []
    private var next: [Int32] = []
    private var alive: [Bool] = []
    private var heap: [Candidate] = []
    var pendingUnknown: Int32?

    mutating func reset() {
        ids.removeAll(keepingCapacity: true)
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        alive.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        pendingUnknown = nil
    }

    @inline(__always)
    mutating func add(_ id: Int32) {
        let index = Int32(ids.count)
        ids.append(id)
        previous.append(index - 1)
        next.append(index + 1)
        alive.append(true)
    }

    mutating func flushUnknown() {
        if let unknown = pendingUnknown {
            pendingUnknown = nil
            add(unknown)
        }
    }

    mutating func mergeAll(_ merges: PairTable) {
        let count = ids.count
        guard count > 1 else { return }
        next[count - 1] = -1
        for position in 0..<(count - 1) {
            if let merge = merges.get(ids[position], ids[position + 1]) {
                push(Candidate(rank: merge.rank, position: Int32(position), merged: merge.merged))
            }
        }
        while let top = pop() {
            let left = Int(top.position)
            guard alive[left], next[left] >= 0 else { continue }
            let right = Int(next[left])
            // A stale candidate: the pair at this position has changed since it was queued.
            guard let current = merges.get(ids[left], ids[right]), current.merged == top.merged else { continue }
            ids[left] = top.merged
            alive[right] = false
            next[left] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(left) }
            if previous[left] >= 0 {
                let before = Int(previous[left])
                if let merge = merges.get(ids[before], ids[left]) {
                    push(Candidate(rank: merge.rank, position: Int32(before), merged: merge.merged))
                }
            }
            if next[left] >= 0, let merge = merges.get(ids[left], ids[Int(next[left])]) {
                push(Candidate(rank: merge.rank, position: Int32(left), merged: merge.merged))
            }
        }
    }

    func appendSymbols(to output: inout [Int32]) {
        for index in ids.indices where alive[index] { output.append(ids[index]) }
    }

    private mutating func push(_ candidate: Candidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !heap[child].precedes(heap[parent]) { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() -> Candidate? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            if left >= heap.count { break }
            var smallest = left
            if left + 1 < heap.count && heap[left + 1].precedes(heap[left]) { smallest = left + 1 }
            if !heap[smallest].precedes(heap[parent]) { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
