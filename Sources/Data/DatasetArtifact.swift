// Reads and strictly validates a tokenized-dataset file (see DatasetArtifactFormat.swift), and hands
// out rows and padded batches with segment ids, position ids and shifted targets for training.
import Basics
import Foundation

/// One sequence of a dataset file.
public struct DatasetRow: Sendable, Equatable {
    /// (T) token ids.
    public var ids: [Int32]
    /// (T) 1 where the loss is computed on the token.
    public var trained: [Bool]
    /// (T) which example of the row each token belongs to (0, 1, …); attention must not cross them.
    public var segmentIds: [Int32]
    /// (T) position of each token within its example (restarts at 0 for each example).
    public var positionIds: [Int32]

    /// (T) Hugging Face labels: the id where trained, −100 elsewhere (not shifted).
    public var labels: [Int32] { zip(ids, trained).map { $1 ? $0 : ignoredLabel } }

    /// (T) next-token targets: `targets[t]` is the label of token t+1 when it is in the same example,
    /// else −100 (the last token of every example predicts nothing).
    public var shiftedTargets: [Int32] {
        ids.indices.map { t in
            t + 1 < ids.count && segmentIds[t + 1] == segmentIds[t] && trained[t + 1] ? ids[t + 1] : ignoredLabel
        }
    }
}

/// A padded batch, row-major (B, T).
public struct DatasetBatch: Sendable, Equatable {
    public var batchSize: Int
    public var length: Int
    /// (B, T) ids; padding holds `padId`.
    public var ids: [Int32]
    /// (B, T) shifted targets (see `DatasetRow.shiftedTargets`); −100 on padding.
    public var targets: [Int32]
    /// (B, T) segment ids; −1 on padding (attends to nothing, is attended by nothing).
    public var segmentIds: [Int32]
    /// (B, T) position ids; 0 on padding.
    public var positionIds: [Int32]
}

/// A validated tokenized-dataset file, memory-mapped.
public struct DatasetArtifact: Sendable {
    public let rowCount: Int
    public let exampleCount: Int
    public let tokenCount: Int
    public let maxSequenceLength: Int
    public let vocabularySize: Int
    /// Rows may hold several examples.
    public let isPacked: Bool
    private let data: Foundation.Data
    private let rowStartsOffset: Int
    private let exampleStartsOffset: Int
    private let tokensOffset: Int
    private let trainedOffset: Int
    private let name: String

    /// Opens and validates `url` completely (header, offsets, monotone boundaries, row lengths, ids, flags).
    ///
    /// - Throws: `RunnerError` naming the file, the byte offset and what is wrong.
    public init(contentsOf url: URL) throws {
        let data: Foundation.Data
        do { data = try Foundation.Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw RunnerError(url.path, "cannot read the tokenized dataset: \(error.localizedDescription)")
        }
        try self.init(data: data, name: url.path)
    }

    /// Validates file bytes already in memory; `name` labels errors.
    public init(data: Foundation.Data, name: String) throws {
        func fail(_ message: String) -> RunnerError {
            RunnerError(name, message, hint: "the file is damaged or not a runner tokenized dataset; re-run the `dataset` stage (`runner cache verify` finds damaged entries)")
        }
        guard data.count >= DatasetFileFormat.headerSize else { throw fail("too short (\(data.count) bytes) for the \(DatasetFileFormat.headerSize)-byte header") }
        let header = data.withUnsafeBytes { Array($0.prefix(DatasetFileFormat.headerSize)) }
        func u32(_ at: Int) -> UInt32 { header[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u64(_ at: Int) -> UInt64 { header[at..<at + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        guard Array(header[0..<8]) == DatasetFileFormat.magic else { throw fail("bad magic at byte 0 (expected \"RUNRDSET\")") }
        let version = u32(8)
        guard version == DatasetFileFormat.version else {
            throw fail("format version \(version) at byte 8; this runner reads version \(DatasetFileFormat.version)")
        }
        let flags = u32(12)
        guard flags & ~DatasetFileFormat.packedFlag == 0 else { throw fail("unknown flags 0x\(String(flags, radix: 16)) at byte 12") }
        let rows = u64(16), examples = u64(24), tokens = u64(32)
        let fileSize = u64(80)
        guard fileSize == UInt64(data.count) else { throw fail("header says \(fileSize) bytes at byte 80, the file has \(data.count)") }
        guard u64(88) == 0 else { throw fail("reserved bytes 88–95 are not zero") }
        // Counts are bounded by the file size before any arithmetic on them.
        guard rows <= fileSize / 8, examples <= fileSize / 8, tokens <= fileSize / 5,
              let layout = DatasetFileFormat.layout(rows: rows, examples: examples, tokens: tokens)
        else { throw fail("counts (rows \(rows), examples \(examples), tokens \(tokens)) do not fit in \(fileSize) bytes") }
        let offsets: [(String, Int, UInt64)] = [("row starts", 48, layout.rowStarts), ("example starts", 56, layout.exampleStarts),
                                                ("tokens", 64, layout.tokens), ("trained flags", 72, layout.trained)]
        for (section, at, expected) in offsets where u64(at) != expected {
            throw fail("\(section) offset \(u64(at)) at byte \(at), expected \(expected) for these counts")
        }
        guard layout.size == fileSize else { throw fail("size \(fileSize) does not match the layout (\(layout.size) bytes)") }
        guard rows >= 1, examples >= rows else { throw fail("\(rows) rows and \(examples) examples: a dataset file holds at least one row, each with at least one example") }

        rowCount = Int(rows)
        exampleCount = Int(examples)
        tokenCount = Int(tokens)
        maxSequenceLength = Int(u32(40))
        vocabularySize = Int(u32(44))
        isPacked = flags & DatasetFileFormat.packedFlag != 0
        rowStartsOffset = Int(layout.rowStarts)
        exampleStartsOffset = Int(layout.exampleStarts)
        tokensOffset = Int(layout.tokens)
        trainedOffset = Int(layout.trained)
        self.data = data
        self.name = name
        try validateBody(fail)
    }

    private func validateBody(_ fail: (String) -> RunnerError) throws {
        try data.withUnsafeBytes { raw in
            func start(_ base: Int, _ i: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self)) }
            // Row and example boundaries: 0 first, tokenCount last, strictly increasing; rows start on example starts.
            for (label, base, count) in [("row", rowStartsOffset, rowCount), ("example", exampleStartsOffset, exampleCount)] {
                guard start(base, 0) == 0, start(base, count) == UInt64(tokenCount) else {
                    throw fail("\(label) starts must run from 0 to \(tokenCount) (byte \(base))")
                }
                for i in 0..<count where start(base, i + 1) <= start(base, i) {
                    throw fail("\(label) \(i) is empty or out of order (byte \(base + 8 * (i + 1)))")
                }
            }
            var example = 0
            for r in 0..<rowCount {
                let rowStart = start(rowStartsOffset, r), rowEnd = start(rowStartsOffset, r + 1)
                guard rowEnd - rowStart <= UInt64(maxSequenceLength) else {
                    throw fail("row \(r) has \(rowEnd - rowStart) tokens, more than the maximum \(maxSequenceLength)")
                }
                while example < exampleCount && start(exampleStartsOffset, example) < rowStart { example += 1 }
                guard example < exampleCount, start(exampleStartsOffset, example) == rowStart else {
                    throw fail("row \(r) does not start at an example boundary")
                }
                if !isPacked, start(exampleStartsOffset, example + 1) != rowEnd {
                    throw fail("row \(r) holds several examples but the file is not marked packed")
                }
            }
            for t in 0..<tokenCount {
                let id = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: tokensOffset + 4 * t, as: Int32.self))
                guard id >= 0 && Int(id) < vocabularySize else {
                    throw fail("token \(t) (byte \(tokensOffset + 4 * t)) has id \(id), outside the vocabulary of \(vocabularySize)")
                }
                guard raw[trainedOffset + t] <= 1 else { throw fail("trained flag of token \(t) (byte \(trainedOffset + t)) is \(raw[trainedOffset + t]), expected 0 or 1") }
            }
        }
    }

    private func boundary(_ base: Int, _ i: Int) -> Int {
        data.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self))) }
    }

    /// Number of tokens of row `index`.
    public func rowLength(_ index: Int) -> Int { boundary(rowStartsOffset, index + 1) - boundary(rowStartsOffset, index) }

    /// Row `index` (0..<rowCount) with its per-example segment and position ids.
    public func row(_ index: Int) -> DatasetRow {
        precondition(index >= 0 && index < rowCount, "row \(index) outside 0..<\(rowCount)")
        let start = boundary(rowStartsOffset, index), end = boundary(rowStartsOffset, index + 1)
        return data.withUnsafeBytes { raw in
            var row = DatasetRow(ids: [], trained: [], segmentIds: [], positionIds: [])
            row.ids.reserveCapacity(end - start)
            for t in start..<end {
                row.ids.append(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: tokensOffset + 4 * t, as: Int32.self)))
                row.trained.append(raw[trainedOffset + t] == 1)
            }
            // Examples inside the row: binary-search the first example starting at `start`.
            var low = 0, high = exampleCount
            while low < high {
                let mid = (low + high) / 2
                if boundary(exampleStartsOffset, mid) < start { low = mid + 1 } else { high = mid }
            }
            var segment: Int32 = 0
            var example = low
            for t in start..<end {
                if t >= boundary(exampleStartsOffset, example + 1) { example += 1; segment += 1 }
                row.segmentIds.append(segment)
                row.positionIds.append(Int32(t - boundary(exampleStartsOffset, example)))
            }
            return row
        }
    }

    /// Rows `indices` padded to `length` (default: the longest of them) as a (B, T) batch.
    public func batch(_ indices: [Int], length: Int? = nil, padId: Int32) -> DatasetBatch {
        let rows = indices.map(row)
        let T = length ?? rows.map(\.ids.count).max() ?? 0
        var batch = DatasetBatch(batchSize: rows.count, length: T, ids: [], targets: [], segmentIds: [], positionIds: [])
        for row in rows {
            precondition(row.ids.count <= T, "row of \(row.ids.count) tokens does not fit a batch of length \(T)")
            let pad = T - row.ids.count
            batch.ids += row.ids + Array(repeating: padId, count: pad)
            batch.targets += row.shiftedTargets + Array(repeating: ignoredLabel, count: pad)
            batch.segmentIds += row.segmentIds + Array(repeating: -1, count: pad)
            batch.positionIds += row.positionIds + Array(repeating: 0, count: pad)
        }
        return batch
    }
}
