// Variable scopes. Jinja scoping: `{% set %}` writes the innermost scope; each loop iteration and
// each macro call gets a fresh scope whose parent is where the loop or macro was written.

/// A variable scope: the root (context + top-level `set`), one per loop iteration, one per macro call.
final class Frame {
    var variables: [String: Value] = [:]
    let parent: Frame?
    init(parent: Frame?) { self.parent = parent }

    func lookup(_ name: String) -> Value? {
        var frame: Frame? = self
        while let current = frame {
            if let value = current.variables[name] { return value }
            frame = current.parent
        }
        return nil
    }
}
