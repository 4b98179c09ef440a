// Reads a dataset file into records: JSON Lines, JSON (an array, or an object holding one list of
// records), CSV/TSV (RFC 4180) and plain text (one example per line). Parquet is not supported: no
// maintained Swift reader exists; convert it to JSONL first.
import ChatTemplate
import Foundation

/// One row of a dataset: its fields in file order, and where it came from.
public struct DatasetRecord: Sendable, Equatable {
    public var fields: TemplateDictionary
    /// 1-based line in the file where the record starts.
    public var line: Int
    /// 1-based row number among the file's records.
    public var row: Int

    public init(fields: TemplateDictionary, line: Int, row: Int) {
        self.fields = fields
        self.line = line
        self.row = row
    }
}

/// The file layouts `DatasetReader` understands, chosen by file extension.
public enum DatasetFileKind: String, Sendable {
    case jsonl, json, csv, tsv, text

    /// The kind for a file name, or a diagnostic naming the supported extensions.
    public static func forFile(_ url: URL, displayPath: String) throws -> DatasetFileKind {
        switch url.pathExtension.lowercased() {
        case "jsonl", "ndjson": return .jsonl
        case "json": return .json
        case "csv": return .csv
        case "tsv", "tab": return .tsv
        case "txt", "text", "md": return .text
        case "parquet":
            throw DatasetError.general(displayPath, "Parquet files are not supported (there is no maintained Swift Parquet reader)",
                                       hint: "convert it to JSON Lines, e.g. `python -c \"import pandas as p; p.read_parquet('in.parquet').to_json('out.jsonl', orient='records', lines=True)\"`")
        default:
            throw DatasetError.general(displayPath, "unknown dataset file type `.\(url.pathExtension)`",
                                       hint: "use .jsonl, .json, .csv, .tsv or .txt")
        }
    }
}

/// What reading a file gave: the records and the malformed ones skipped (`on_error: skip`).
public struct DatasetReadResult: Sendable {
    public var records: [DatasetRecord]
    public var skipped: [MalformedRecord]
}

/// Reads dataset files. `displayPath` is the path as the user wrote it, used in messages.
public struct DatasetReader: Sendable {
    /// Skip malformed records (counting them) instead of failing on the first.
    public var skipMalformed: Bool
    /// For a JSON object file: the key holding the list of records (nil: the single list of objects).
    public var recordsKey: String?

    public init(skipMalformed: Bool = false, recordsKey: String? = nil) {
        self.skipMalformed = skipMalformed
        self.recordsKey = recordsKey
    }

    public func read(_ url: URL, displayPath: String? = nil) throws -> DatasetReadResult {
        let name = displayPath ?? url.path
        let kind = try DatasetFileKind.forFile(url, displayPath: name)
        let data: Foundation.Data
        do { data = try Foundation.Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw DatasetError.general(name, "cannot read the dataset file: \(error.localizedDescription)")
        }
        return try read(data, kind: kind, displayPath: name)
    }

    /// Parses file bytes already in memory (tests, previews).
    public func read(_ data: Foundation.Data, kind: DatasetFileKind, displayPath name: String) throws -> DatasetReadResult {
        try data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var skipped: [MalformedRecord] = []
            let report: (MalformedRecord) throws -> Void = { bad in
                guard skipMalformed else {
                    throw DatasetError.at(name, line: bad.line, column: bad.column, bad.message,
                                          hint: "fix the record, or set `on_error: skip` to skip malformed records")
                }
                skipped.append(bad)
            }
            let records: [DatasetRecord]
            let layout = kind == .json && Self.looksLikeJSONLines(bytes) ? .jsonl : kind
            switch layout {
            case .jsonl: records = try readLines(bytes, report: report) { line, lineNumber in
                var parser = JSONRecordParser(line, firstLine: lineNumber)
                let value = try parser.parseDocument()
                guard case .dict(let fields) = value else {
                    throw JSONSyntaxError(line: lineNumber, column: 1, message: "a JSON Lines record must be an object, got \(describe(value))")
                }
                return fields
            }
            case .text: records = try readLines(bytes, report: report) { line, _ in
                TemplateDictionary([("text", .string(String(decoding: line, as: UTF8.self)))])
            }
            case .json: records = try readJSON(bytes, name: name)
            case .csv, .tsv: records = try readCSV(bytes, separator: kind == .csv ? UInt8(ascii: ",") : 0x09, name: name, report: report)
            }
            return DatasetReadResult(records: records, skipped: skipped)
        }
    }

    /// A `.json` file holding one object after another (as `to_json(lines=True)` writes) is JSON Lines.
    static func looksLikeJSONLines(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var parser = JSONRecordParser(bytes)
        parser.skipWhitespace()
        guard (try? parser.peekByte()) == UInt8(ascii: "{"), (try? parser.parseValue(depth: 0)) != nil else { return false }
        let line = parser.currentLine
        parser.skipWhitespace()
        return (try? parser.peekByte()) == UInt8(ascii: "{") && parser.currentLine > line
    }

    /// One record per non-blank line (JSONL, text); invalid UTF-8 and parse errors are per line.
    private func readLines(_ bytes: UnsafeBufferPointer<UInt8>, report: (MalformedRecord) throws -> Void,
                           parse: (UnsafeBufferPointer<UInt8>, Int) throws -> TemplateDictionary) throws -> [DatasetRecord] {
        var records: [DatasetRecord] = []
        var start = 0
        var lineNumber = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var contentEnd = end
            if contentEnd > start, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<contentEnd])
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            if let bad = firstInvalidUTF8(line) {
                try report(MalformedRecord(line: lineNumber, column: bad + 1, message: "invalid UTF-8 (byte 0x\(String(line[bad], radix: 16, uppercase: true)))"))
                continue
            }
            do {
                records.append(DatasetRecord(fields: try parse(line, lineNumber), line: lineNumber, row: records.count + 1))
            } catch let error as JSONSyntaxError {
                try report(MalformedRecord(line: error.line, column: error.column, message: "invalid JSON: \(error.message)"))
            }
        }
        return records
    }

    /// A JSON array of objects, or an object holding one (by `recordsKey`, or the only list of objects).
    private func readJSON(_ bytes: UnsafeBufferPointer<UInt8>, name: String) throws -> [DatasetRecord] {
        if let bad = firstInvalidUTF8(bytes) {
            let (line, column) = lineAndColumn(of: bad, in: bytes)
            throw DatasetError.at(name, line: line, column: column, "invalid UTF-8 (byte 0x\(String(bytes[bad], radix: 16, uppercase: true)))",
                                  hint: "re-save the file as UTF-8")
        }
        // Parse the document, remembering the line each list element starts on.
        var parser = JSONRecordParser(bytes)
        var elementLines: [[Int]] = []
        let document: TemplateValue
        do {
            parser.skipWhitespace()
            document = try parseTracking(&parser, depth: 0, elementLines: &elementLines)
            parser.skipWhitespace()
            guard parser.atEnd else { throw parser.error("unexpected text after the JSON value") }
        } catch let error as JSONSyntaxError {
            throw DatasetError.at(name, line: error.line, column: error.column, "invalid JSON: \(error.message)")
        }
        let list: [TemplateValue]
        switch document {
        case .list(let items): list = items
        case .dict(let object):
            let candidates = object.keys.filter { key in
                if case .list(let items) = object[key]!, !items.isEmpty, items.allSatisfy({ if case .dict = $0 { true } else { false } }) { return true }
                return false
            }
            if let recordsKey {
                guard case .list(let items)? = object[recordsKey] else {
                    throw DatasetError.general(name, "the JSON object has no list `\(recordsKey)`",
                                               hint: "lists of records in the file: \(candidates.isEmpty ? "none" : candidates.joined(separator: ", "))")
                }
                list = items
            } else {
                guard candidates.count == 1 else {
                    throw DatasetError.general(name, candidates.isEmpty ? "the JSON object holds no list of records"
                                               : "the JSON object holds several lists of records (\(candidates.joined(separator: ", ")))",
                                               hint: "give an array of objects, or name the list with `columns: {records: KEY}`")
                }
                list = object[candidates[0]].map { if case .list(let items) = $0 { items } else { [] } } ?? []
            }
        default:
            throw DatasetError.at(name, line: 1, column: 1, "a JSON dataset must be an array of objects or an object holding one, got \(describe(document))")
        }
        let lines = elementLines.first { $0.count == list.count } ?? []
        return try list.enumerated().map { index, value in
            let line = index < lines.count ? lines[index] : 1
            guard case .dict(let fields) = value else {
                throw DatasetError.at(name, line: line, column: 1, "record \(index + 1) is \(describe(value)), expected an object")
            }
            return DatasetRecord(fields: fields, line: line, row: index + 1)
        }
    }

    /// Parses a value; for arrays at depth ≤ 1 records the line of each element (the record lists).
    private func parseTracking(_ parser: inout JSONRecordParser, depth: Int, elementLines: inout [[Int]]) throws -> TemplateValue {
        guard depth <= 1, !parser.atEnd else { return try parser.parseValue(depth: depth) }
        switch try parser.peekByte() {
        case UInt8(ascii: "["):
            var lines: [Int] = []
            let items = try parser.parseArray(depth: depth) { p -> TemplateValue in
                lines.append(p.currentLine)
                return try p.parseValue(depth: depth + 1)
            }
            elementLines.append(lines)
            return .list(items)
        case UInt8(ascii: "{") where depth == 0:
            // Re-parse members with tracking for list-valued fields.
            return try parseObjectTracking(&parser, elementLines: &elementLines)
        default:
            return try parser.parseValue(depth: depth)
        }
    }

    private func parseObjectTracking(_ parser: inout JSONRecordParser, elementLines: inout [[Int]]) throws -> TemplateValue {
        var dict = TemplateDictionary()
        var lists: [String: [Int]] = [:]
        try parser.parseMembers { p, key in
            var lines: [[Int]] = []
            let value = try parseTracking(&p, depth: 1, elementLines: &lines)
            // Only lists of objects are record-list candidates (as in `readJSON`).
            if let first = lines.first, case .list(let items) = value, !items.isEmpty,
               items.allSatisfy({ if case .dict = $0 { true } else { false } }) { lists[key] = first }
            dict[key] = value
        }
        let chosen = recordsKey.flatMap { lists[$0] } ?? (lists.count == 1 ? lists.values.first : nil)
        if let chosen { elementLines.append(chosen) } else { elementLines.append(contentsOf: lists.values) }
        return .dict(dict)
    }

    private func readCSV(_ bytes: UnsafeBufferPointer<UInt8>, separator: UInt8, name: String,
                         report: (MalformedRecord) throws -> Void) throws -> [DatasetRecord] {
        if let bad = firstInvalidUTF8(bytes) {
            let (line, column) = lineAndColumn(of: bad, in: bytes)
            throw DatasetError.at(name, line: line, column: column, "invalid UTF-8 (byte 0x\(String(bytes[bad], radix: 16, uppercase: true)))",
                                  hint: "re-save the file as UTF-8")
        }
        var bodyStart = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { bodyStart = 3 }  // UTF-8 BOM
        let csv = CSVParser(separator: separator).parse(UnsafeBufferPointer(rebasing: bytes[bodyStart...]))
        guard let header = csv.first else { return [] }
        if let bad = header.malformed {
            throw DatasetError.at(name, line: bad.line, column: bad.column, "header: \(bad.message)")
        }
        var records: [DatasetRecord] = []
        for record in csv.dropFirst() {
            if let bad = record.malformed { try report(bad); continue }
            guard record.fields.count == header.fields.count else {
                try report(MalformedRecord(line: record.line, column: 1,
                                           message: "has \(record.fields.count) fields, the header has \(header.fields.count) (\(header.fields.joined(separator: ", ")))"))
                continue
            }
            records.append(DatasetRecord(fields: TemplateDictionary(zip(header.fields, record.fields.map { TemplateValue.string($0) }).map { ($0, $1) }),
                                         line: record.line, row: records.count + 1))
        }
        return records
    }
}

/// A short name for a value's type, for messages.
func describe(_ value: TemplateValue) -> String {
    switch value {
    case .none: "null"
    case .bool: "a boolean"
    case .int, .double: "a number"
    case .string: "a string"
    case .list: "a list"
    case .dict: "an object"
    }
}
