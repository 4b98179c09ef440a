// A plan: for every stage of a recipe, its cache key and whether it is reused, runs (and why,
// relative to the recipe's last run), or is skipped because everything using it is cached.
import Basics
import Recipe

public struct PlannedStage: Sendable {
    public enum Action: String, Codable, Sendable {
        case cached = "CACHED"
        case run = "RUN"
        /// Not in the cache, but nothing that needs to run uses it and it has no output path.
        case skip = "SKIP"
    }

    public var instance: StageInstance
    public var key: String
    public var keyInput: CacheKeyInput
    /// Nil when this build of runner has no implementation for the kind.
    public var implementationVersion: Int?
    public var action: Action
    /// One reason a stage runs, and where in the recipe (or which `--set`) the change was written.
    public struct Reason: Hashable, Sendable {
        public var text: String
        public var location: SourceLocation?
    }

    /// Why it runs, with locations (`plan --explain`).
    public var explanations: [Reason]
    /// Why it runs ("lora.r: 16 → 32", "data/faq.json changed", "input `quant` re-runs", "new stage"…).
    public var reasons: [String] { explanations.map(\.text) }
    /// Input file key path → (absolute path, display path, digest).
    public var files: [String: RunRecord.InputFile]

    public var name: String { instance.name }
    public var kind: String { instance.kind }
}

public struct Plan: Sendable {
    public var recipe: CompiledRecipe
    public var stages: [PlannedStage]
    /// The run record the reasons are relative to.
    public var previousRunID: String?

    public func stage(named name: String) -> PlannedStage? { stages.first { $0.name == name } }

    /// Stages that must run but have no implementation in this build.
    public var unimplemented: [PlannedStage] { stages.filter { $0.action == .run && $0.implementationVersion == nil } }
}
