// Maps stage kind → implementation. The CLI is handed one (Stages provides the built-in set;
// tests register their own kinds).
public struct StageRegistry: Sendable {
    private var implementations: [String: any StageImplementation]
    /// Pins `hf://…` inputs at plan time; nil in builds (and tests) without remote sources.
    public var remoteSources: (any RemoteSourceResolver)?

    public init(_ implementations: [any StageImplementation] = [], remoteSources: (any RemoteSourceResolver)? = nil) {
        self.implementations = [:]
        self.remoteSources = remoteSources
        for implementation in implementations { register(implementation) }
    }

    /// Adds (or replaces) the implementation for its kind.
    public mutating func register(_ implementation: any StageImplementation) {
        implementations[type(of: implementation).kind] = implementation
    }

    public func implementation(for kind: String) -> (any StageImplementation)? { implementations[kind] }

    /// The implementation version for `kind`, or nil when this build cannot run it.
    public func version(of kind: String) -> Int? {
        implementations[kind].map { type(of: $0).version }
    }

    public var kinds: [String] { implementations.keys.sorted() }
}
