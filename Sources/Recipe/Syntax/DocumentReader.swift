// Reads a recipe file (YAML or JSON — one parser, since JSON is YAML flow syntax) into a located
// `YNode` tree, defensively: bounded file size, nesting depth and alias expansion, duplicate keys
// reported with both locations, `<<` merge keys applied.
import Basics
import Foundation
import Yams

public enum DocumentReader {
    /// Limits that keep a hostile or broken file from costing more than its size justifies.
    public struct Limits: Sendable {
        /// Largest recipe file accepted, in bytes.
        public var maxFileBytes = 1 << 20
        /// Deepest nesting of maps and lists.
        public var maxDepth = 64
        /// Most nodes after alias expansion (a "billion laughs" file hits this quickly).
        public var maxNodes = 100_000
        public init() {}
    }

    /// Reads and parses `url`. `displayPath` is how messages name the file.
    public static func read(file url: URL, displayPath: String, limits: Limits = Limits()) -> (YNode?, [Diagnostic]) {
        let start = SourceLocation(file: displayPath, line: 1, column: 1)
        // Attributes of the file itself, not of a symlink to it: its size is what would be read.
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path)
        guard let attributes else {
            return (nil, [Diagnostic(at: nil, "cannot read recipe `\(displayPath)`: no such file",
                                     hint: "check the path; relative paths resolve against the current directory")])
        }
        guard (attributes[.type] as? FileAttributeType) != .typeDirectory else {
            return (nil, [Diagnostic(at: nil, "cannot read recipe `\(displayPath)`: it is a directory",
                                     hint: "name the recipe file itself (a .yaml or .json file)")])
        }
        // A device or FIFO (`/dev/zero`, `/dev/stdin`) has no size to check and may never end.
        guard (attributes[.type] as? FileAttributeType) == .typeRegular else {
            return (nil, [Diagnostic(at: nil, "cannot read recipe `\(displayPath)`: not a regular file",
                                     hint: "a recipe (and every file it `extends`) must be a regular YAML or JSON file")])
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= limits.maxFileBytes else {
            return (nil, [Diagnostic(at: start, "recipe file is \(size) bytes; the limit is \(limits.maxFileBytes) bytes",
                                     hint: "recipes are small configuration files; move data into dataset files")])
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            return (nil, [Diagnostic(at: start, "cannot read recipe file (permission denied or I/O error)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return (nil, [invalidUTF8(data, file: displayPath)])
        }
        return parse(text, file: displayPath, limits: limits)
    }

    /// Parses YAML/JSON text. `columnOffset` shifts reported columns (used for `--set` values).
    public static func parse(_ text: String, file: String, columnOffset: Int = 0,
                             limits: Limits = Limits()) -> (YNode?, [Diagnostic]) {
        let start = SourceLocation(file: file, line: 1, column: 1 + columnOffset)
        if let (line, depth) = NestingScan.firstLineDeeperThan(limits.maxDepth, in: text) {
            return (nil, [Diagnostic(at: SourceLocation(file: file, line: line, column: 1),
                                     "nesting is deeper than \(limits.maxDepth) levels (reached \(depth))",
                                     hint: "recipes nest a few levels deep; flatten this structure")])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return (nil, [syntaxDiagnostic(error, file: file, columnOffset: columnOffset)])
        } catch {
            return (nil, [Diagnostic(at: start, "cannot parse: \(error)")])
        }
        guard let root else {
            return (nil, [Diagnostic(at: start, "the document is empty")])
        }
        var converter = Converter(file: file, columnOffset: columnOffset, limits: limits)
        let node = converter.convert(root, depth: 0)
        return (converter.overBudget ? nil : node, converter.diagnostics)
    }

    private static func syntaxDiagnostic(_ error: YamlError, file: String, columnOffset: Int) -> Diagnostic {
        func location(_ mark: Mark) -> SourceLocation {
            SourceLocation(file: file, line: mark.line, column: mark.column + columnOffset)
        }
        func while_(_ context: YamlError.Context?) -> String? {
            context.map { "\($0.text) at line \($0.mark.line), column \($0.mark.column + columnOffset)" }
        }
        switch error {
        case .composer(_, "but found another document", let mark, _):
            return Diagnostic(at: location(mark), "a recipe file holds one YAML document, but a second one starts here",
                              hint: "remove the `---` line and what follows, or move it to its own file")
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return Diagnostic(at: location(mark), "syntax error: \(problem)", hint: while_(context))
        case .reader(let problem, _, _, _):
            return Diagnostic(at: SourceLocation(file: file, line: 1, column: 1), "cannot decode the text: \(problem)")
        default:
            return Diagnostic(at: SourceLocation(file: file, line: 1, column: 1), "cannot parse: \(error)")
        }
    }
}

/// Names the line and column of the first byte that is not UTF-8.
private func invalidUTF8(_ data: Data, file: String) -> Diagnostic {
    var line = 1, column = 1, offset = 0
    let bytes = [UInt8](data)
    while offset < bytes.count {
        let b = bytes[offset]
        let length = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 0
        let valid = length > 0 && offset + length <= bytes.count
            && String(bytes: bytes[offset..<offset + length], encoding: .utf8) != nil
        if !valid { break }
        if b == 10 { line += 1; column = 1 } else { column += 1 }
        offset += length
    }
    return Diagnostic(at: SourceLocation(file: file, line: line, column: column),
                      "the recipe is not valid UTF-8 (byte \(offset) is 0x\(String(bytes[min(offset, bytes.count - 1)], radix: 16)))",
                      hint: "save the file as UTF-8")
}

/// Turns Yams nodes into `YNode`s, counting every node visited (aliases included) against a budget.
private struct Converter {
    let file: String
    let columnOffset: Int
    let limits: DocumentReader.Limits
    var diagnostics: [Diagnostic] = []
    var visited = 0
    var overBudget = false

    init(file: String, columnOffset: Int, limits: DocumentReader.Limits) {
        self.file = file
        self.columnOffset = columnOffset
        self.limits = limits
    }

    func location(_ mark: Mark?) -> SourceLocation? {
        mark.map { SourceLocation(file: file, line: $0.line, column: $0.column + columnOffset) }
    }

    mutating func convert(_ node: Node, depth: Int) -> YNode {
        let here = location(node.mark)
        visited += 1
        if overBudget { return YNode(.scalar("", quoted: false), at: here) }
        if visited > limits.maxNodes {
            overBudget = true
            diagnostics.append(Diagnostic(at: here, "the document expands to more than \(limits.maxNodes) values",
                                          hint: "aliases (*name) that repeat other aliases grow exponentially (\"billion laughs\"); write the values out or use fewer aliases"))
            return YNode(.scalar("", quoted: false), at: here)
        }
        if depth > limits.maxDepth {
            overBudget = true
            diagnostics.append(Diagnostic(at: here, "nesting is deeper than \(limits.maxDepth) levels",
                                          hint: "recipes nest a few levels deep; flatten this structure"))
            return YNode(.scalar("", quoted: false), at: here)
        }
        switch node {
        case .scalar(let scalar):
            let quoted = scalar.style != .plain || scalar.tag.description == Tag.Name.str.rawValue
            return YNode(.scalar(scalar.string, quoted: quoted), at: here)
        case .sequence(let sequence):
            var items: [YNode] = []
            for item in sequence {
                items.append(convert(item, depth: depth + 1))
                if overBudget { break }
            }
            return YNode(.list(items), at: here)
        case .mapping(let mapping):
            return YNode(.map(convertMapping(mapping, depth: depth)), at: here)
        }
    }

    /// Converts a mapping, reporting duplicate and non-string keys, and applying `<<` merge keys
    /// (explicit keys win over merged ones, earlier merged maps over later ones).
    mutating func convertMapping(_ mapping: Node.Mapping, depth: Int) -> [YEntry] {
        var entries: [YEntry] = []
        var firstLine: [String: SourceLocation?] = [:]
        var merged: [YEntry] = []
        for (keyNode, valueNode) in mapping {
            if overBudget { break }
            let keyLocation = location(keyNode.mark)
            guard case .scalar(let keyScalar) = keyNode else {
                diagnostics.append(Diagnostic(at: keyLocation, "a key must be a plain string, not a list or map"))
                continue
            }
            let key = keyScalar.string
            if key == "<<" && keyScalar.style == .plain {
                merged += mergeSources(valueNode, depth: depth)
                continue
            }
            if let first = firstLine[key] {
                let where_ = first.map { "line \($0.line)" } ?? "earlier"
                diagnostics.append(Diagnostic(at: keyLocation, "duplicate key `\(key)` (first defined at \(where_))",
                                              hint: "remove one of the two; only one value can apply"))
                continue
            }
            firstLine[key] = keyLocation
            entries.append(YEntry(key: key, keyLocation: keyLocation, value: convert(valueNode, depth: depth + 1)))
        }
        for entry in merged where firstLine[entry.key] == nil {
            firstLine[entry.key] = entry.keyLocation
            entries.append(entry)
        }
        return entries
    }

    /// The entries a `<<:` value contributes: one map, or a list of maps.
    mutating func mergeSources(_ node: Node, depth: Int) -> [YEntry] {
        let converted = convert(node, depth: depth + 1)
        switch converted.value {
        case .map(let entries): return entries
        case .list(let items):
            var out: [YEntry] = []
            for item in items {
                guard let entries = item.entries else {
                    diagnostics.append(Diagnostic(at: item.location, "a `<<` merge list must contain only maps"))
                    continue
                }
                out += entries.filter { e in !out.contains { $0.key == e.key } }
            }
            return out
        case .scalar:
            diagnostics.append(Diagnostic(at: converted.location, "`<<` (merge key) needs a map or a list of maps, got \(converted.describedKind)"))
            return []
        }
    }
}
