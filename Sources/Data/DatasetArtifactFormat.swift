// The tokenized-dataset file (`train.bin`, `eval.bin`): a 96-byte little-endian header, then the
// row starts, example starts, token ids and trained flags. Layout and limits live here, shared by
// the writer and the reader.
//
//   offset  size  field
//   0       8     magic "RUNRDSET"
//   8       4     version (u32) = 1
//   12      4     flags (u32): bit 0 = packed (rows hold several examples)
//   16      8     rowCount (u64)
//   24      8     exampleCount (u64)
//   32      8     tokenCount (u64)
//   40      4     maxSequenceLength (u32): no row is longer
//   44      4     vocabularySize (u32): every token id is below it
//   48      8     rowStartsOffset (u64)      → (rowCount + 1) × u64 token indices, 0 … tokenCount
//   56      8     exampleStartsOffset (u64)  → (exampleCount + 1) × u64 token indices, 0 … tokenCount
//   64      8     tokensOffset (u64)         → tokenCount × i32 token ids
//   72      8     trainedOffset (u64)        → tokenCount × u8, 1 = the loss is computed on this token
//   80      8     fileSize (u64)
//   88      8     reserved, zero
// Sections follow in that order, each starting at a multiple of 8 (zero padding between).

/// Constants and layout arithmetic of the tokenized-dataset file.
public enum DatasetFileFormat {
    public static let magic: [UInt8] = Array("RUNRDSET".utf8)
    public static let version: UInt32 = 1
    public static let headerSize = 96
    public static let packedFlag: UInt32 = 1

    /// Section offsets and total size for the given counts (nil on arithmetic overflow).
    static func layout(rows: UInt64, examples: UInt64, tokens: UInt64) -> (rowStarts: UInt64, exampleStarts: UInt64, tokens: UInt64, trained: UInt64, size: UInt64)? {
        func align(_ x: UInt64) -> UInt64? {
            let (sum, overflow) = x.addingReportingOverflow(7)
            return overflow ? nil : sum & ~7
        }
        func add(_ a: UInt64, _ b: UInt64) -> UInt64? { let (s, o) = a.addingReportingOverflow(b); return o ? nil : s }
        func mul(_ a: UInt64, _ b: UInt64) -> UInt64? { let (s, o) = a.multipliedReportingOverflow(by: b); return o ? nil : s }
        let rowStarts = UInt64(headerSize)
        guard let rowBytes = mul(add(rows, 1) ?? .max, 8), let exampleStarts = add(rowStarts, rowBytes),
              let exampleBytes = mul(add(examples, 1) ?? .max, 8), let tokensAt = add(exampleStarts, exampleBytes),
              let tokenBytes = mul(tokens, 4), let trainedUnaligned = add(tokensAt, tokenBytes), let trainedAt = align(trainedUnaligned),
              let end = add(trainedAt, tokens), let size = align(end)
        else { return nil }
        return (rowStarts, exampleStarts, tokensAt, trainedAt, size)
    }
}
