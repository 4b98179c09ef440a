// Fits tokenized examples into sequences: truncation (either side) or dropping of overlong examples,
// then one example per row or best-fit-decreasing packing into rows of `max_seq_len`.

/// Which end of an overlong example is cut.
public enum TruncationSide: String, Sendable, CaseIterable { case right, left }

/// What happens to an example longer than `max_seq_len`.
public enum OverlongPolicy: String, Sendable, CaseIterable { case truncate, drop }

/// Applies `max_seq_len` to examples; counts what it did.
public struct LengthLimiter: Sendable {
    public var maxLength: Int
    public var side: TruncationSide
    public var policy: OverlongPolicy

    public init(maxLength: Int, side: TruncationSide = .right, policy: OverlongPolicy = .truncate) {
        self.maxLength = maxLength
        self.side = side
        self.policy = policy
    }

    /// The example cut to `maxLength` (or nil when dropped), and whether it was overlong.
    public func apply(_ example: TokenizedExample) -> (example: TokenizedExample?, overlong: Bool) {
        guard example.ids.count > maxLength else { return (example, false) }
        if policy == .drop { return (nil, true) }
        let range = side == .right ? 0..<maxLength : (example.ids.count - maxLength)..<example.ids.count
        return (TokenizedExample(ids: Array(example.ids[range]), trained: Array(example.trained[range])), true)
    }
}

/// Rows of examples: each row lists the indices of the examples it holds, in order.
public enum Packing {
    /// Best-fit decreasing: examples longest first (ties by index), each into the open row with the
    /// least room that still fits it, else a new row. Every length must be ≤ `capacity`.
    public static func bestFitDecreasing(lengths: [Int], capacity: Int) -> [[Int]] {
        precondition(lengths.allSatisfy { $0 <= capacity && $0 >= 0 })
        let order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        var rows: [[Int]] = []
        // Rows by remaining room; within a room, the earliest row first.
        var rowsWithRoom = Array(repeating: [Int](), count: capacity + 1)
        var nonEmptyRooms = Set<Int>()
        for example in order {
            let length = lengths[example]
            if let room = (length...capacity).first(where: { nonEmptyRooms.contains($0) && !rowsWithRoom[$0].isEmpty }) {
                let row = rowsWithRoom[room].removeFirst()
                if rowsWithRoom[room].isEmpty { nonEmptyRooms.remove(room) }
                rows[row].append(example)
                let left = room - length
                rowsWithRoom[left].append(row)
                rowsWithRoom[left].sort()
                nonEmptyRooms.insert(left)
            } else {
                rows.append([example])
                let left = capacity - length
                rowsWithRoom[left].append(rows.count - 1)
                nonEmptyRooms.insert(left)
            }
        }
        return rows
    }

    /// One example per row, in order.
    public static func unpacked(count: Int) -> [[Int]] { (0..<count).map { [$0] } }
}
