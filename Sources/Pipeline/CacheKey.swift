// Cache keys: SHA-256 over a canonical encoding of everything that determines a stage's output.
// Never raw YAML text, never paths or mtimes. Bump `scheme` whenever the encoding changes.
import Basics
import Recipe

/// What a stage's output is a function of.
public struct CacheKeyInput: Hashable, Sendable {
    public var kind: String
    public var implementationVersion: Int
    /// Validated params with defaults filled (`StageInstance.params`).
    public var params: [String: ParamValue]
    /// Input role → cache key of the upstream stage's artifact.
    public var inputKeys: [String: String]
    /// Param key path of an input file → content digest (`FileDigester`).
    public var fileDigests: [String: String]

    public init(kind: String, implementationVersion: Int, params: [String: ParamValue],
                inputKeys: [String: String] = [:], fileDigests: [String: String] = [:]) {
        self.kind = kind
        self.implementationVersion = implementationVersion
        self.params = params
        self.inputKeys = inputKeys
        self.fileDigests = fileDigests
    }
}

public enum CacheKey {
    /// The key scheme's version; part of every key, so changing the encoding invalidates old keys.
    public static let scheme = 1

    /// The canonical text that is hashed (kept visible for debugging and tests).
    public static func canonicalEncoding(_ input: CacheKeyInput) -> String {
        let fields: [String: ParamValue] = [
            "scheme": .int(Int64(scheme)),
            "kind": .string(input.kind),
            "implementation_version": .int(Int64(input.implementationVersion)),
            "params": .map(input.params),
            "inputs": .map(input.inputKeys.mapValues { .string($0) }),
            "files": .map(input.fileDigests.mapValues { .string($0) }),
        ]
        return "runner-cache-key\n" + ParamValue.map(fields).canonicalJSON
    }

    /// Lower-case hex SHA-256 of the canonical encoding: 64 characters, safe as a directory name.
    public static func compute(_ input: CacheKeyInput) -> String {
        Digest.sha256Hex(canonicalEncoding(input))
    }
}
