// Checks the stages as a graph: every input names a defined stage, there are no cycles (each one
// is reported with its path), and each input gets the kind of artifact it needs. Produces the
// deterministic topological order (inputs first, ties by stage name).
import Basics

struct StageGraph {
    var stages: [String: CheckedStage]
    var diagnostics: [Diagnostic] = []

    init(_ stages: [CheckedStage]) {
        self.stages = Dictionary(stages.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Reports inputs naming stages that do not exist; returns false if any.
    mutating func checkReferences(allStageNames: [String]) -> Bool {
        var ok = true
        for stage in stages.values.sorted(by: { $0.name < $1.name }) {
            for input in stage.inputs where !allStageNames.contains(input.stage) {
                ok = false
                let others = allStageNames.filter { $0 != stage.name }
                let hint = Suggestions.hint(input.stage, in: others)
                    ?? (others.isEmpty ? "define the stage under `stages:`" : "defined stages: \(others.sorted().joined(separator: ", "))")
                diagnostics.append(Diagnostic(at: input.location, keyPath: "stages.\(stage.name).\(input.role)",
                                              "no stage named `\(input.stage)`", hint: hint))
            }
        }
        return ok
    }

    /// Topological order (Kahn's algorithm, smallest name first), or nil after reporting cycles.
    mutating func order() -> [CheckedStage]? {
        var indegree: [String: Int] = [:]
        var users: [String: [String]] = [:]
        for stage in stages.values {
            indegree[stage.name, default: 0] += 0
            for input in stage.inputs where stages[input.stage] != nil {
                indegree[stage.name, default: 0] += 1
                users[input.stage, default: []].append(stage.name)
            }
        }
        var ready = indegree.filter { $0.value == 0 }.map(\.key).sorted(by: >)
        var out: [CheckedStage] = []
        while let next = ready.popLast() {
            out.append(stages[next]!)
            for user in users[next, default: []] {
                indegree[user]! -= 1
                if indegree[user] == 0 {
                    ready.append(user)
                    ready.sort(by: >)
                }
            }
        }
        if out.count == stages.count { return out }
        reportCycles(among: Set(indegree.filter { $0.value > 0 }.map(\.key)))
        return nil
    }

    /// Finds each cycle among the stuck stages (depth-first) and reports it once, at the input
    /// that closes it, with its full path.
    private mutating func reportCycles(among stuck: Set<String>) {
        var done: Set<String> = []
        var reported: Set<Set<String>> = []
        for start in stuck.sorted() where !done.contains(start) {
            var path: [String] = []
            var onPath: Set<String> = []
            func visit(_ name: String) {
                path.append(name)
                onPath.insert(name)
                for input in stages[name]!.inputs.sorted(by: { $0.role < $1.role }) where stuck.contains(input.stage) {
                    if onPath.contains(input.stage) {
                        let cycle = Array(path[path.firstIndex(of: input.stage)!...])
                        if reported.insert(Set(cycle)).inserted {
                            // The cycle's path in data-flow order: upstream → downstream.
                            let flow = ([input.stage] + cycle.reversed().dropLast() + [input.stage])
                            let text = flow.map { "`\($0)`" }.joined(separator: " → ")
                            diagnostics.append(Diagnostic(at: input.location, keyPath: "stages.\(name).\(input.role)",
                                                          "stages form a cycle: \(text)",
                                                          hint: "a stage cannot depend, directly or indirectly, on its own output"))
                        }
                    } else if !done.contains(input.stage) {
                        visit(input.stage)
                    }
                }
                path.removeLast()
                onPath.remove(name)
                done.insert(name)
            }
            visit(start)
        }
    }
}
