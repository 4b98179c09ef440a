// `runner plan FILE`: what `apply` would do — each stage CACHED, RUN (with the reasons, relative
// to this recipe's last run) or SKIP — without running anything.
import ArgumentParser
import Foundation
import Pipeline

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show which stages would run and why, without running them.")

    @OptionGroup var recipe: RecipeOptions
    @OptionGroup var cache: CacheOptions

    @Flag(help: "Print the plan as JSON.")
    var json = false

    @Flag(help: "Say where in the recipe (or which --set) each change that causes a re-run was written.")
    var explain = false

    func run() throws {
        let compiled = try recipe.compile()
        let store = cache.store(defaultParent: compiled.projectDirectory)
        let plan = try Executor(store: store, registry: RunnerEnvironment.current.registry).plan(compiled)
        if json {
            try Console.json(PlanReport(plan, cache: store))
            return
        }
        Console.out("plan for `\(compiled.name)` (\(recipe.file))" + (plan.previousRunID.map { ", compared with run \($0)" } ?? ", no earlier run"))
        let nameWidth = plan.stages.map(\.name.count).max() ?? 0
        let kindWidth = plan.stages.map(\.kind.count).max() ?? 0
        for stage in plan.stages {
            var line = "  " + Format.pad(stage.action.rawValue, 7) + Format.pad(stage.name, nameWidth + 2) + Format.pad(stage.kind, kindWidth + 2)
            line += stage.explanations.map { reason in
                guard explain, let location = reason.location else { return reason.text }
                return "\(reason.text) (at \(location))"
            }.joined(separator: "; ")
            if stage.action == .run && stage.implementationVersion == nil { line += " [no implementation in this build]" }
            Console.out(line.replacingOccurrences(of: " +$", with: "", options: .regularExpression))
        }
        let counts = Dictionary(grouping: plan.stages, by: \.action).mapValues(\.count)
        Console.out("\(counts[.run] ?? 0) to run, \(counts[.cached] ?? 0) cached" + ((counts[.skip] ?? 0) > 0 ? ", \(counts[.skip]!) skipped" : ""))
    }
}

/// `plan --json`: a stable, documented shape.
struct PlanReport: Encodable {
    struct Stage: Encodable {
        var name: String
        var kind: String
        var key: String
        var action: String
        var reasons: [String]
        /// The same reasons with where each change was written (`file:line:col` or `--set[N]`…), when known.
        var explanations: [Explanation]
        var inputs: [String: String]
        var implementationVersion: Int?
        var outputPath: String?
    }

    struct Explanation: Encodable {
        var reason: String
        var location: String?

        func encode(to encoder: Encoder) throws {
            enum Keys: String, CodingKey { case reason, location }
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(reason, forKey: .reason)
            try c.encode(location, forKey: .location)
        }
    }

    var recipe: String
    var file: String
    var cache: String
    var previousRun: String?
    var stages: [Stage]

    init(_ plan: Plan, cache store: ArtifactStore) {
        recipe = plan.recipe.name
        file = plan.recipe.file.path
        cache = store.root.path
        previousRun = plan.previousRunID
        stages = plan.stages.map {
            Stage(name: $0.name, kind: $0.kind, key: $0.key, action: $0.action.rawValue, reasons: $0.reasons,
                  explanations: $0.explanations.map { Explanation(reason: $0.text, location: $0.location?.description) },
                  inputs: $0.instance.inputs, implementationVersion: $0.implementationVersion, outputPath: $0.instance.outputPath?.path)
        }
    }

    func encode(to encoder: Encoder) throws {
        enum Keys: String, CodingKey { case recipe, file, cache, previousRun, stages }
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(recipe, forKey: .recipe)
        try c.encode(file, forKey: .file)
        try c.encode(cache, forKey: .cache)
        try c.encode(previousRun, forKey: .previousRun)  // explicit null when there is none
        try c.encode(stages, forKey: .stages)
    }
}
