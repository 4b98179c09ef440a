// Why a stage runs, in the user's terms, relative to the same stage in the recipe's last run:
// "lora.r: 16 → 32", "data/faq.json changed", "input `quant` re-runs", "new stage",
// "implementation version changed (1 → 2)".
enum ChangeExplainer {
    /// `entryDamaged`: something sits under the stage's key in the cache but fails the cheap check.
    static func reasons(for stage: PlannedStage, previous: RunRecord.Stage?, planned: [String: PlannedStage], entryDamaged: Bool) -> [String] {
        if stage.action == .skip { return ["not needed: every stage using it is cached"] }
        guard let previous else { return ["new stage"] }
        var reasons: [String] = []
        if previous.kind != stage.kind { reasons.append("kind: \(previous.kind) → \(stage.kind)") }
        if previous.implementationVersion != stage.implementationVersion {
            reasons.append("implementation version changed (\(previous.implementationVersion.map(String.init) ?? "none") → \(stage.implementationVersion.map(String.init) ?? "none"))")
        }
        reasons += paramChanges(stage: stage.name, old: previous.params, new: ParamFlattening.flatten(stage.instance.params))
        for (keyPath, file) in stage.files.sorted(by: { $0.key < $1.key }) {
            if let old = previous.files[keyPath] {
                if old.digest != file.digest { reasons.append("\(file.displayPath) changed") }
                else if old.path != file.path { continue }  // moved, same bytes: not a reason
            } else {
                reasons.append("\(file.displayPath) added")
            }
        }
        for (keyPath, old) in previous.files where stage.files[keyPath] == nil { reasons.append("\(old.displayPath) no longer used") }
        for (role, upstream) in stage.instance.inputs.sorted(by: { $0.key < $1.key }) {
            guard let up = planned[upstream] else { continue }
            if let old = previous.inputs[role], old.key == up.key { continue }
            reasons.append(up.action == .cached ? "input `\(upstream)` changed" : "input `\(upstream)` re-runs")
        }
        if reasons.isEmpty && entryDamaged { reasons.append("cache entry is incomplete or damaged; rebuilding") }
        if reasons.isEmpty {
            switch previous.outcome {
            case .failed: reasons.append("failed in the last run")
            case .interrupted, .pending: reasons.append("did not finish in the last run")
            case .skipped: reasons.append("needed now (skipped in the last run)")
            case .hit, .miss: reasons.append("not in the cache (removed by `cache gc` or `cache verify`?)")
            }
        }
        return reasons
    }

    /// `stage.path: old → new` for every changed, added or removed param leaf, sorted by path.
    static func paramChanges(stage: String, old: [String: String], new: [String: String]) -> [String] {
        Set(old.keys).union(new.keys).sorted().compactMap { path in
            let before = old[path], after = new[path]
            guard before != after else { return nil }
            return "\(stage).\(path): \(before ?? "(unset)") → \(after ?? "(unset)")"
        }
    }
}
