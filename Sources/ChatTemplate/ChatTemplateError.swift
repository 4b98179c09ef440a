// Errors from parsing or rendering a chat template: what went wrong and where (line:col in the
// template). Every error converts to a Basics `Diagnostic` for the CLI.
import Basics

/// A failure to parse or render a chat template.
///
/// Contract: `location` is the template position (1-based line and column, in Unicode scalars)
/// of the construct at fault when known; `description` is one grep-able line.
public struct ChatTemplateError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The template text is not valid Jinja.
        case syntax
        /// Valid Jinja that this safe subset does not implement (`include`, an unknown filter, …).
        case unsupported(construct: String)
        /// The template called `raise_exception(message)`: it rejects the conversation.
        case raised(message: String)
        /// A safety budget was exhausted (steps, loop iterations, output size, recursion depth…).
        case limitExceeded(limit: String)
        /// Reading an attribute of an undefined value, and similar Jinja `UndefinedError`s.
        case undefined
        /// An operation on values of the wrong type (`'a' + 1`), like Python's TypeError.
        case type
    }

    public var kind: Kind
    public var message: String
    /// `name` as given to `ChatTemplate(source:name:)`, plus line and column.
    public var location: SourceLocation?
    public var hint: String?

    public init(_ kind: Kind, _ message: String, at location: SourceLocation? = nil, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.hint = hint
    }

    /// The same error as a Basics diagnostic (for `DiagnosticError` and `--json` output).
    public var diagnostic: Diagnostic {
        Diagnostic(.error, at: location, message, hint: hint)
    }

    public var description: String { diagnostic.description }
}
