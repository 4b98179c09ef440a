// The Hub access token and the one rule about it: it never appears in anything runner writes.
// `HubToken` prints as `hf_***`; `Redactor` scrubs it (and URL credentials) from text that came
// from elsewhere: HTTP error bodies, git output, URLs.
import Foundation

/// A secret. Its `description` never shows the value; only `HTTPClient` reads `value`.
public struct HubToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let value: String

    public init?(_ value: String) {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        self.value = trimmed
    }

    public var description: String { "hf_***" }
    public var debugDescription: String { "HubToken(hf_***)" }
}

/// Removes secrets from text before it is shown, logged or thrown.
public struct Redactor: Sendable {
    private let secrets: [String]

    public init(token: HubToken?) {
        secrets = token.map { [$0.value] } ?? []
    }

    /// `text` with every occurrence of the token, and the user-info part of any URL
    /// (`https://user:secret@host` → `https://***@host`), replaced by `***`.
    public func redact(_ text: String) -> String {
        var out = text
        for secret in secrets where !secret.isEmpty { out = out.replacingOccurrences(of: secret, with: "***") }
        return Self.redactURLCredentials(out)
    }

    static func redactURLCredentials(_ text: String) -> String {
        guard text.contains("://"), text.contains("@") else { return text }
        var out = ""
        var rest = Substring(text)
        while let schemeEnd = rest.range(of: "://") {
            out += rest[..<schemeEnd.upperBound]
            rest = rest[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(where: { "/ \t\n\"'?#".contains($0) }) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                out += "***"
                rest = rest[at...]
            }
        }
        return out + rest
    }
}
