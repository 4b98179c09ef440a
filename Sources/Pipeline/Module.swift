// Pipeline: turns a CompiledRecipe into a plan of cached stages and executes it — cache keys,
// the content-addressed artifact store, the planner, the executor and run records.
// It never imports compute modules; stage implementations plug in through `StageImplementation`.

/// The version of runner recorded in manifests and run records.
public enum RunnerVersion {
    public static let current = "0.1.0"
}
