// The generated tables of docs/RELIABILITY.md: every hostile seed input (fuzz/corpus/<target>/bad-*)
// runs through its loader, and the first line of what happens is compared with the table row.
// RUNNER_UPDATE_GOLDEN=1 rewrites the table from the code. Shared by every HostileCorpus test target.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Thrown when a hostile input behaves differently from its row in docs/RELIABILITY.md.
public struct HostileTableMismatch: Error, CustomStringConvertible {
    public let description: String
}

public enum HostileTable {
    public static let packageRoot = TinyModelFixture.packageRoot
    public static let document = packageRoot.appendingPathComponent("docs/RELIABILITY.md")
    static var updating: Bool { ProcessInfo.processInfo.environment["RUNNER_UPDATE_GOLDEN"] == "1" }

    /// Runs `load(bytes, fileName)` on each `fuzz/corpus/<target>/bad-*` file; the outcome is what
    /// `load` returns, or the first line of the error it throws. Compares (or, updating, rewrites)
    /// the section of docs/RELIABILITY.md between the `<target>` markers; throws
    /// `HostileTableMismatch` when they differ.
    public static func check(_ target: String, _ load: (Data, String) throws -> String) throws {
        let directory = packageRoot.appendingPathComponent("fuzz/corpus/\(target)")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("bad-") }.sorted()
        guard !names.isEmpty else { throw HostileTableMismatch(description: "no hostile inputs under fuzz/corpus/\(target)") }
        var rows = ["| input (`fuzz/corpus/\(target)/`) | what happens |", "|---|---|"]
        for name in names {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            var outcome: String
            do { outcome = "accepted: " + (try load(data, name)) } catch { outcome = "\(error)" }
            outcome = String(outcome.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            if outcome.count > 300 { outcome = String(outcome.prefix(300)) + "…" }
            rows.append("| `\(name)` | \(outcome.replacingOccurrences(of: "|", with: "\\|")) |")
        }
        let table = rows.joined(separator: "\n") + "\n"
        let (begin, end) = ("<!-- BEGIN generated: \(target) -->\n", "<!-- END generated: \(target) -->")
        try withDocumentLocked {
            let text = try String(contentsOf: document, encoding: .utf8)
            guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound ..< text.endIndex) else {
                throw HostileTableMismatch(description: "docs/RELIABILITY.md has no `\(begin.dropLast())` … `\(end)` section")
            }
            let current = String(text[start.upperBound ..< stop.lowerBound])
            if updating {
                if current != table { try text.replacingCharacters(in: start.upperBound ..< stop.lowerBound, with: table).write(to: document, atomically: false, encoding: .utf8) }
            } else {
                let currentRows = current.split(separator: "\n").map(String.init), newRows = table.split(separator: "\n").map(String.init)
                let firstDifference = zip(currentRows, newRows).first { $0 != $1 }.map { "documented: \($0.0)\n     actual: \($0.1)" }
                guard current != table else { return }
                throw HostileTableMismatch(description: """
                    hostile \(target) inputs behave differently from docs/RELIABILITY.md\
                    \(firstDifference.map { "\n" + $0 } ?? " (rows added or removed)")
                    if intended, run RUNNER_UPDATE_GOLDEN=1 swift test --filter HostileCorpus and review the diff
                    """)
            }
        }
    }

    /// Test targets run in one process, in parallel: serialize rewrites of the one document.
    private static func withDocumentLocked(_ body: () throws -> Void) throws {
        let fd = open(document.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: document.path]) }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        try body()
    }
}
