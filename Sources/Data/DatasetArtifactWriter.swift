// Writes tokenized examples, grouped into rows, as a tokenized-dataset file (see DatasetArtifactFormat.swift).
import Foundation

public enum DatasetArtifactWriter {
    /// Encodes `rows` (each a list of indices into `examples`, in order) into the file's bytes.
    ///
    /// Contract: every row is non-empty and at most `maxSequenceLength` tokens; every id is in
    /// 0..<vocabularySize (checked: a violation is a bug upstream and throws).
    public static func encode(examples: [TokenizedExample], rows: [[Int]], maxSequenceLength: Int,
                              vocabularySize: Int, packed: Bool) throws -> Foundation.Data {
        let exampleCount = rows.reduce(0) { $0 + $1.count }
        let tokenCount = rows.reduce(0) { total, row in total + row.reduce(0) { $0 + examples[$1].ids.count } }
        guard let layout = DatasetFileFormat.layout(rows: UInt64(rows.count), examples: UInt64(exampleCount), tokens: UInt64(tokenCount)) else {
            throw DatasetError.general("dataset", "too large to write (\(tokenCount) tokens)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(layout.size))
        try bytes.withUnsafeMutableBytes { raw in
            func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
                raw.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
            }
            for (k, byte) in DatasetFileFormat.magic.enumerated() { raw[k] = byte }
            put(DatasetFileFormat.version, at: 8)
            put(packed ? DatasetFileFormat.packedFlag : 0, at: 12)
            put(UInt64(rows.count), at: 16)
            put(UInt64(exampleCount), at: 24)
            put(UInt64(tokenCount), at: 32)
            put(UInt32(maxSequenceLength), at: 40)
            put(UInt32(vocabularySize), at: 44)
            put(layout.rowStarts, at: 48)
            put(layout.exampleStarts, at: 56)
            put(layout.tokens, at: 64)
            put(layout.trained, at: 72)
            put(layout.size, at: 80)

            let tokensAt = Int(layout.tokens), trainedAt = Int(layout.trained)
            var token = 0
            var example = 0
            for (r, row) in rows.enumerated() {
                put(UInt64(token), at: Int(layout.rowStarts) + 8 * r)
                guard !row.isEmpty else { throw DatasetError.general("dataset", "internal error: empty row \(r)") }
                var rowLength = 0
                for index in row {
                    put(UInt64(token), at: Int(layout.exampleStarts) + 8 * example)
                    example += 1
                    let item = examples[index]
                    for (id, trained) in zip(item.ids, item.trained) {
                        guard id >= 0 && Int(id) < vocabularySize else {
                            throw DatasetError.general("dataset", "internal error: token id \(id) outside the vocabulary (\(vocabularySize))")
                        }
                        put(id, at: tokensAt + 4 * token)
                        raw[trainedAt + token] = trained ? 1 : 0
                        token += 1
                    }
                    rowLength += item.ids.count
                }
                guard rowLength <= maxSequenceLength else {
                    throw DatasetError.general("dataset", "internal error: row \(r) has \(rowLength) tokens, more than \(maxSequenceLength)")
                }
            }
            put(UInt64(token), at: Int(layout.rowStarts) + 8 * rows.count)
            put(UInt64(token), at: Int(layout.exampleStarts) + 8 * exampleCount)
        }
        return Foundation.Data(bytes)
    }
}
