// User-facing errors for dataset files and formatting: every one says what is wrong, where
// (file:line[:col] or the row number) and how to fix it, as a Basics `Diagnostic`.
import Basics

/// Builds the `DiagnosticError`s the Data module throws.
enum DatasetError {
    /// A problem at a place in a dataset file (`file:line:col`).
    static func at(_ file: String, line: Int, column: Int = 1, _ message: String, hint: String? = nil) -> DiagnosticError {
        DiagnosticError(Diagnostic(.error, at: SourceLocation(file: file, line: line, column: column), message, hint: hint))
    }

    /// A problem with the dataset as a whole, or with the stage's settings.
    static func general(_ context: String, _ message: String, hint: String? = nil) -> DiagnosticError {
        DiagnosticError(Diagnostic(.error, keyPath: context, message, hint: hint))
    }
}

/// A malformed record found while reading; `on_error: skip` counts these, `fail` throws the first.
public struct MalformedRecord: Sendable, Equatable {
    public var line: Int
    public var column: Int
    public var message: String
}
