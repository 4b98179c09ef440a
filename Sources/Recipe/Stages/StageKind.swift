// The closed set of built-in stage kinds. Test-only kinds live in a test's own `StageCatalog`.

/// A built-in stage kind; its raw value is what recipes write after `kind:`.
public enum StageKind: String, CaseIterable, Sendable {
    case load, quantize, prepare_kbit, lora, dataset, train, save, merge, export, push, eval, generate

    /// This kind's definition in `StageCatalog.builtin`.
    public var spec: StageSpec { BuiltinStages.spec(self) }
}

extension StageCatalog {
    /// The built-in stage kinds, in pipeline order.
    public static let builtin = StageCatalog(StageKind.allCases.map(\.spec))
}
