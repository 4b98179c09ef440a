// Builds the one document a recipe describes: follows `extends:` chains (deep merge: maps merge
// key by key, scalars and lists replace, `null` removes), then applies `--set` overrides. Every
// value keeps the location of the file (or `--set` argument) it came from.
import Basics
import Foundation

enum DocumentAssembly {
    static let maxExtendsDepth = 16

    /// Reads `url` and its `extends` ancestors, merged, with nulls removed; also each file's
    /// directory by display path (relative paths resolve against the file they are written in).
    static func load(file url: URL, displayPath: String, limits: DocumentReader.Limits) -> (YNode?, [Diagnostic], [String: URL]) {
        var diagnostics: [Diagnostic] = []
        var directories: [String: URL] = [:]
        let node = loadChain(url.standardizedFileURL, displayPath: displayPath, chain: [], limits: limits,
                             diagnostics: &diagnostics, directories: &directories)
        return (node.map(removingNulls), diagnostics, directories)
    }

    private static func loadChain(_ url: URL, displayPath: String, chain: [(path: String, display: String)],
                                  limits: DocumentReader.Limits, diagnostics: inout [Diagnostic],
                                  directories: inout [String: URL]) -> YNode? {
        directories[displayPath] = url.deletingLastPathComponent()
        let (parsed, found) = DocumentReader.read(file: url, displayPath: displayPath, limits: limits)
        diagnostics += found
        guard var node = parsed else { return nil }
        guard var entries = node.entries else {
            diagnostics.append(Diagnostic(at: node.location, "a recipe must be a map with `version`, `name` and `stages`, got \(node.describedKind)"))
            return nil
        }
        guard let index = entries.firstIndex(where: { $0.key == "extends" }) else { return node }
        let extendsEntry = entries.remove(at: index)
        node.value = .map(entries)
        guard case .scalar(let relative, _) = extendsEntry.value.value, !extendsEntry.value.isNull else {
            diagnostics.append(Diagnostic(at: extendsEntry.value.location, keyPath: "extends",
                                          "expected the path of another recipe file, got \(extendsEntry.value.describedKind)"))
            return node
        }
        let parentURL = URL(fileURLWithPath: relative, relativeTo: url.deletingLastPathComponent()).standardizedFileURL
        let parentDisplay = relative.hasPrefix("/") ? relative
            : ((displayPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(relative)
        let here = chain + [(url.path, displayPath)]
        if let start = here.firstIndex(where: { $0.path == parentURL.path }) {
            let cycle = (here[start...].map(\.display) + [here[start].display]).joined(separator: " → ")
            diagnostics.append(Diagnostic(at: extendsEntry.value.location, keyPath: "extends", "`extends` forms a cycle: \(cycle)",
                                          hint: "a recipe cannot extend itself, directly or through others"))
            return node
        }
        if here.count >= maxExtendsDepth {
            diagnostics.append(Diagnostic(at: extendsEntry.value.location, keyPath: "extends",
                                          "`extends` chain is longer than \(maxExtendsDepth) files"))
            return node
        }
        guard FileManager.default.fileExists(atPath: parentURL.path) else {
            diagnostics.append(Diagnostic(at: extendsEntry.value.location, keyPath: "extends",
                                          "no such recipe file: \(relative)", hint: "`extends` paths are relative to this recipe's directory"))
            return node
        }
        let before = diagnostics.count
        guard let parent = loadChain(parentURL, displayPath: parentDisplay, chain: here, limits: limits,
                                     diagnostics: &diagnostics, directories: &directories) else {
            if diagnostics.count == before {
                diagnostics.append(Diagnostic(at: extendsEntry.value.location, keyPath: "extends", "cannot read \(relative)"))
            }
            return node
        }
        return merge(parent, node)
    }

    /// Deep merge: maps merge key by key (child wins), anything else is replaced; a null child removes.
    static func merge(_ base: YNode, _ child: YNode) -> YNode {
        guard let baseEntries = base.entries, let childEntries = child.entries else { return child }
        var entries = baseEntries
        for entry in childEntries {
            if let i = entries.firstIndex(where: { $0.key == entry.key }) {
                entries[i].value = merge(entries[i].value, entry.value)
                entries[i].keyLocation = entry.keyLocation
            } else {
                entries.append(entry)
            }
        }
        return YNode(.map(entries), at: child.location)
    }

    /// Drops map entries whose value is null (`~`, `null` or empty): null means "unset".
    static func removingNulls(_ node: YNode) -> YNode {
        switch node.value {
        case .map(let entries):
            return YNode(.map(entries.filter { !$0.value.isNull }.map { YEntry(key: $0.key, keyLocation: $0.keyLocation, value: removingNulls($0.value)) }),
                         at: node.location)
        case .list(let items):
            return YNode(.list(items.map(removingNulls)), at: node.location)
        case .scalar:
            return node
        }
    }

    /// Applies `--set key.path=value` overrides in order. The value is YAML (`32`, `[q_proj, v_proj]`,
    /// `{r: 4}`), typed later exactly as if written in the file; its location is `--set[i]:1:column`.
    static func applyOverrides(_ overrides: [String], to root: YNode, limits: DocumentReader.Limits) -> (YNode, [Diagnostic]) {
        var root = root
        var diagnostics: [Diagnostic] = []
        for (index, argument) in overrides.enumerated() {
            let file = "--set[\(index + 1)]"
            let start = SourceLocation(file: file, line: 1, column: 1)
            guard let equals = argument.firstIndex(of: "=") else {
                diagnostics.append(Diagnostic(at: start, "expected KEY.PATH=VALUE, got `\(argument)`",
                                              hint: "e.g. --set stages.lora.r=32"))
                continue
            }
            let path = String(argument[..<equals])
            let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if segments.contains(where: { $0.isEmpty }) {
                diagnostics.append(Diagnostic(at: start, "`\(path)` is not a key path", hint: "key paths look like stages.lora.r"))
                continue
            }
            let valueText = String(argument[argument.index(after: equals)...])
            let valueColumn = path.count + 1
            let value: YNode
            if valueText.isEmpty {
                value = YNode(.scalar("", quoted: false), at: SourceLocation(file: file, line: 1, column: valueColumn + 1))
            } else {
                let (parsed, found) = DocumentReader.parse(valueText, file: file, columnOffset: valueColumn, limits: limits)
                // The value is one line: a problem "at the next line" is at its end.
                diagnostics += found.map { d in
                    var d = d
                    if let l = d.location, l.line != 1 { d.location = SourceLocation(file: file, line: 1, column: argument.count + 1) }
                    return d
                }
                guard let parsed else { continue }
                value = parsed
            }
            if let problem = set(&root, segments[...], to: value, keyLocation: start) {
                diagnostics.append(Diagnostic(at: start, keyPath: path, problem))
            }
        }
        return (removingNulls(root), diagnostics)
    }

    /// Sets the value at `path`, creating maps along the way; returns a message when a
    /// non-map is in the way.
    private static func set(_ node: inout YNode, _ path: ArraySlice<String>, to value: YNode, keyLocation: SourceLocation,
                            walked: [String] = []) -> String? {
        guard let key = path.first else { return nil }
        guard var entries = node.entries else {
            return walked.isEmpty ? "the recipe is not a map"
                : "cannot set a key inside `\(walked.joined(separator: "."))`: it is \(node.describedKind), not a map"
        }
        let rest = path.dropFirst()
        if let i = entries.firstIndex(where: { $0.key == key }) {
            if rest.isEmpty {
                entries[i].value = value.isNull ? value : merge(entries[i].value, value)
            } else if let problem = set(&entries[i].value, rest, to: value, keyLocation: keyLocation, walked: walked + [key]) {
                return problem
            }
        } else {
            var child = rest.isEmpty ? value : YNode(.map([]), at: keyLocation)
            if !rest.isEmpty, let problem = set(&child, rest, to: value, keyLocation: keyLocation, walked: walked + [key]) { return problem }
            entries.append(YEntry(key: key, keyLocation: keyLocation, value: child))
        }
        node.value = .map(entries)
        return nil
    }
}
