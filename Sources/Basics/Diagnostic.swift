// Diagnostics: one problem in a user's input, with where it is and how to fix it.
// Every user-facing error in runner is a Diagnostic (or a list of them), rendered the same way
// on the terminal and as JSON (`--json`).

/// A position in a source file, 1-based line and column (as editors show them).
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Path as the user gave it (relative paths stay relative, so messages match what they typed).
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the form compilers use and editors can jump to.
    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found in user input.
///
/// Contract: `message` says what is wrong, `keyPath` where in the document (e.g.
/// `stages.lora.r`), `location` where in the file when known, and `hint` how to fix it
/// (e.g. "did you mean `learning_rate`?"). Rendering never loses any of these.
public struct Diagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning, note }

    public var severity: Severity
    public var location: SourceLocation?
    public var keyPath: String?
    public var message: String
    public var hint: String?

    public init(_ severity: Severity = .error, at location: SourceLocation? = nil, keyPath: String? = nil,
                _ message: String, hint: String? = nil) {
        self.severity = severity
        self.location = location
        self.keyPath = keyPath
        self.message = message
        self.hint = hint
    }

    /// `file:line:col: error: stages.lora.r: must be ≥ 1, got 0 (hint)` — one line, grep-able.
    public var description: String {
        var out = ""
        if let location { out += "\(location): " }
        out += "\(severity.rawValue): "
        if let keyPath, !keyPath.isEmpty { out += "\(keyPath): " }
        out += message
        if let hint { out += " (\(hint))" }
        return out
    }
}

/// An error that carries one or more diagnostics; the CLI prints them all and exits non-zero.
public struct DiagnosticError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public init(_ diagnostic: Diagnostic) { self.diagnostics = [diagnostic] }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// A failure in runner's own work (not the user's input): a file that cannot be read, a format
/// violation in a model file, an interrupted write. `context` names the thing (usually a path).
public struct RunnerError: Error, Sendable, CustomStringConvertible, Equatable {
    public var context: String
    public var message: String
    public var hint: String?

    public init(_ context: String, _ message: String, hint: String? = nil) {
        self.context = context
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var out = "\(context): \(message)"
        if let hint { out += " (\(hint))" }
        return out
    }
}
