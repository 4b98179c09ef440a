// The recipe side as the CLI needs it: compile a file (with `--set` overrides) to a
// CompiledRecipe, validate files collecting every diagnostic, and print the JSON Schema.
import Basics
import Foundation
import Recipe

public protocol RecipeFrontEnd: Sendable {
    /// Compiles `file` with `--set key.path=value` overrides. Throws `DiagnosticError` carrying every
    /// problem found.
    func compile(file: URL, overrides: [String]) throws -> CompiledRecipe
    /// The JSON Schema of recipes, as text.
    func schema() throws -> String
}

extension RecipeFrontEnd {
    /// Every diagnostic (errors and warnings) for `file`; empty when it compiles cleanly.
    public func diagnostics(file: URL, overrides: [String]) -> [Diagnostic] {
        do {
            _ = try compile(file: file, overrides: overrides)
            return []
        } catch let error as DiagnosticError {
            return error.diagnostics
        } catch {
            return [Diagnostic(at: nil, keyPath: nil, "\(file.path): \(error)")]
        }
    }
}
