// RFC 4180 CSV (and TSV) parsing over UTF-8 bytes: quoted fields may hold separators, doubled
// quotes and line breaks. Each record remembers the line it starts on, for messages.

/// One CSV record: its fields and the 1-based line it starts on, or what is malformed about it.
struct CSVRecord {
    var fields: [String]
    var line: Int
    var malformed: MalformedRecord?
}

/// Splits CSV/TSV text into records. Errors (a stray quote, an unterminated quoted field) carry line:col.
struct CSVParser {
    let separator: UInt8

    /// Parses all records, malformed ones included (in file order, so the caller reports the first).
    func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [CSVRecord] {
        var records: [CSVRecord] = []
        var position = 0
        var line = 1
        let count = bytes.count
        while position < count {
            let recordLine = line
            var lineStart = position
            var fields: [String] = []
            var field: [UInt8] = []
            var malformed: MalformedRecord?
            var endOfRecord = false
            // Blank line: no record.
            if bytes[position] == 0x0A || (bytes[position] == 0x0D && position + 1 < count && bytes[position + 1] == 0x0A) {
                position += bytes[position] == 0x0D ? 2 : 1
                line += 1
                continue
            }
            while !endOfRecord {
                field.removeAll(keepingCapacity: true)
                if position < count, bytes[position] == UInt8(ascii: "\"") {
                    // Quoted field.
                    let quoteColumn = position - lineStart + 1
                    position += 1
                    var closed = false
                    while position < count {
                        let byte = bytes[position]
                        if byte == UInt8(ascii: "\"") {
                            if position + 1 < count, bytes[position + 1] == UInt8(ascii: "\"") { field.append(byte); position += 2; continue }
                            position += 1
                            closed = true
                            break
                        }
                        if byte == 0x0A { line += 1; lineStart = position + 1 }
                        field.append(byte)
                        position += 1
                    }
                    if !closed {
                        malformed = MalformedRecord(line: recordLine, column: quoteColumn,
                                                    message: "unterminated quoted field (a `\"` opened here is never closed)")
                        position = count
                        break
                    }
                    if position < count, bytes[position] != separator, bytes[position] != 0x0A, bytes[position] != 0x0D, malformed == nil {
                        malformed = MalformedRecord(line: line, column: position - lineStart + 1,
                                                    message: "unexpected character after a closing quote (a quote inside a quoted field must be doubled: \"\")")
                    }
                    while position < count, bytes[position] != separator, bytes[position] != 0x0A, bytes[position] != 0x0D {
                        position += 1
                    }
                } else {
                    while position < count {
                        let byte = bytes[position]
                        if byte == separator || byte == 0x0A || byte == 0x0D { break }
                        if byte == UInt8(ascii: "\""), malformed == nil {
                            malformed = MalformedRecord(line: line, column: position - lineStart + 1,
                                                        message: "a quote inside an unquoted field (quote the whole field and double the inner quote: \"\")")
                        }
                        field.append(byte)
                        position += 1
                    }
                }
                fields.append(String(decoding: field, as: UTF8.self))
                if position >= count { endOfRecord = true }
                else if bytes[position] == separator { position += 1 }
                else {
                    if bytes[position] == 0x0D { position += 1 }
                    if position < count, bytes[position] == 0x0A { position += 1 }
                    line += 1
                    endOfRecord = true
                }
            }
            records.append(CSVRecord(fields: fields, line: recordLine, malformed: malformed))
        }
        return records
    }
}
