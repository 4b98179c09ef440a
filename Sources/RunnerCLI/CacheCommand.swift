// `runner cache`: inspect and maintain the content-addressed cache (ls, gc, verify).
import ArgumentParser

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Inspect and maintain the artifact cache.",
        subcommands: [CacheListCommand.self, CacheGCCommand.self, CacheVerifyCommand.self])
}
