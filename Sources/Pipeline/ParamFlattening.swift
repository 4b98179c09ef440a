// Flattens stage params to `dotted.key.path → canonical JSON of the leaf`, the form run records
// store and plan/diff compare ("lora.r: 16 → 32").
import Recipe

public enum ParamFlattening {
    /// Maps recurse (`optimizer.lr`); lists, scalars and empty maps are leaves.
    public static func flatten(_ params: [String: ParamValue]) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in params { flatten(value, path: key, into: &out) }
        return out
    }

    private static func flatten(_ value: ParamValue, path: String, into out: inout [String: String]) {
        if case .map(let entries) = value, !entries.isEmpty {
            for (key, child) in entries { flatten(child, path: path + "." + key, into: &out) }
        } else {
            out[path] = value.canonicalJSON
        }
    }
}
