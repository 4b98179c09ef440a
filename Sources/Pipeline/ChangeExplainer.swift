// Why a stage runs, in the user's terms, relative to the same stage in the recipe's last run:
// "lora.r: 16 → 32", "data/faq.json changed", "input `quant` re-runs", "new stage",
// "implementation version changed (1 → 2)". Each reason carries where the change was written
// (StageInstance.keyLocations), for `plan --explain`.
import Basics

enum ChangeExplainer {
    typealias Reason = PlannedStage.Reason

    /// `entryDamaged`: something sits under the stage's key in the cache but fails the cheap check.
    static func reasons(for stage: PlannedStage, previous: RunRecord.Stage?, planned: [String: PlannedStage], entryDamaged: Bool) -> [Reason] {
        if stage.action == .skip { return [Reason(text: "not needed: every stage using it is cached")] }
        guard let previous else { return [Reason(text: "new stage", location: stage.instance.location)] }
        let at = stage.instance.keyLocations
        var reasons: [Reason] = []
        if previous.kind != stage.kind { reasons.append(Reason(text: "kind: \(previous.kind) → \(stage.kind)", location: at["kind"])) }
        if previous.implementationVersion != stage.implementationVersion {
            reasons.append(Reason(text: "implementation version changed (\(previous.implementationVersion.map(String.init) ?? "none") → \(stage.implementationVersion.map(String.init) ?? "none"))"))
        }
        reasons += paramChanges(old: previous.params, new: ParamFlattening.flatten(stage.instance.params)).map { path, change in
            Reason(text: "\(stage.name).\(path): \(change)", location: location(of: path, in: at))
        }
        for (keyPath, file) in stage.files.sorted(by: { $0.key < $1.key }) {
            if let old = previous.files[keyPath] {
                if old.digest != file.digest { reasons.append(Reason(text: "\(file.displayPath) changed", location: at[keyPath])) }
                else if old.path != file.path { continue }  // moved, same bytes: not a reason
            } else {
                reasons.append(Reason(text: "\(file.displayPath) added", location: at[keyPath]))
            }
        }
        for (keyPath, old) in previous.files where stage.files[keyPath] == nil {
            reasons.append(Reason(text: "\(old.displayPath) no longer used"))
        }
        for (role, upstream) in stage.instance.inputs.sorted(by: { $0.key < $1.key }) {
            guard let up = planned[upstream] else { continue }
            if let old = previous.inputs[role], old.key == up.key { continue }
            reasons.append(Reason(text: up.action == .cached ? "input `\(upstream)` changed" : "input `\(upstream)` re-runs", location: at[role]))
        }
        if reasons.isEmpty && entryDamaged { reasons.append(Reason(text: "cache entry is incomplete or damaged; rebuilding")) }
        if reasons.isEmpty {
            switch previous.outcome {
            case .failed: reasons.append(Reason(text: "failed in the last run"))
            case .interrupted, .pending: reasons.append(Reason(text: "did not finish in the last run"))
            case .skipped: reasons.append(Reason(text: "needed now (skipped in the last run)"))
            case .hit, .miss: reasons.append(Reason(text: "not in the cache (removed by `cache gc` or `cache verify`?)"))
            }
        }
        return reasons
    }

    /// `(path, "old → new")` for every changed, added or removed param leaf, sorted by path.
    static func paramChanges(old: [String: String], new: [String: String]) -> [(String, String)] {
        Set(old.keys).union(new.keys).sorted().compactMap { path in
            let before = old[path], after = new[path]
            guard before != after else { return nil }
            return (path, "\(before ?? "(unset)") → \(after ?? "(unset)")")
        }
    }

    /// Where `optimizer.lr` was written: the leaf's own location, else the nearest written parent's.
    static func location(of path: String, in locations: [String: SourceLocation]) -> SourceLocation? {
        var parts = path.split(separator: ".").map(String.init)
        while !parts.isEmpty {
            if let location = locations[parts.joined(separator: ".")] { return location }
            parts.removeLast()
        }
        return nil
    }
}
