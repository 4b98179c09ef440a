// Where the Hub is and who we are, from the same environment variables huggingface_hub reads:
// HF_ENDPOINT, HF_HOME / HF_HUB_CACHE (cache), HF_TOKEN or the token file, HF_HUB_OFFLINE.
import Foundation

public struct HubEnvironment: Sendable {
    /// `https://huggingface.co` unless HF_ENDPOINT says otherwise.
    public var endpoint: URL
    /// The hub cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`).
    public var cacheDirectory: URL
    public var token: HubToken?
    /// HF_HUB_OFFLINE=1: never touch the network; resolve everything from the cache.
    public var offline: Bool

    public init(endpoint: URL, cacheDirectory: URL, token: HubToken?, offline: Bool) {
        self.endpoint = endpoint
        self.cacheDirectory = cacheDirectory
        self.token = token
        self.offline = offline
    }

    /// Reads `environment` (the process's by default) the way huggingface_hub does.
    public static func current(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> HubEnvironment {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        let home = value("HOME") ?? NSHomeDirectory()
        let xdg = value("XDG_CACHE_HOME") ?? home + "/.cache"
        let hfHome = expand(value("HF_HOME") ?? xdg + "/huggingface", home: home)
        let cache = expand(value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") ?? hfHome + "/hub", home: home)
        let tokenPath = expand(value("HF_TOKEN_PATH") ?? hfHome + "/token", home: home)
        let token = value("HF_TOKEN").flatMap(HubToken.init)
            ?? value("HUGGING_FACE_HUB_TOKEN").flatMap(HubToken.init)
            ?? (try? String(contentsOfFile: tokenPath, encoding: .utf8)).flatMap(HubToken.init)
        var endpointText = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpointText.hasSuffix("/") { endpointText.removeLast() }
        let truthy: Set<String> = ["1", "on", "yes", "true"]
        let offline = [value("HF_HUB_OFFLINE"), value("TRANSFORMERS_OFFLINE")].contains { $0.map { truthy.contains($0.lowercased()) } ?? false }
        return HubEnvironment(endpoint: URL(string: endpointText) ?? URL(string: "https://huggingface.co")!,
                              cacheDirectory: URL(fileURLWithPath: cache), token: token, offline: offline)
    }

    private static func expand(_ path: String, home: String) -> String {
        path == "~" ? home : path.hasPrefix("~/") ? home + path.dropFirst(1) : path
    }

    public var redactor: Redactor { Redactor(token: token) }
}
