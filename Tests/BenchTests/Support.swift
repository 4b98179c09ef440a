// BenchTests support: runs the built `runner` binary in the package root (where the suites' relative
// model paths point) and makes scratch directories.
import Foundation
import RunnerTestSupport

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// `runner` next to the test bundle (SwiftPM puts executables in the same products directory).
let runnerBinary: URL = {
    var dir = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("runner").path), dir.path != "/" {
        dir = dir.deletingLastPathComponent()
    }
    return dir.appendingPathComponent("runner")
}()

/// Runs `runner arguments` in the package root, killing it after `timeout` seconds.
func runRunner(_ arguments: [String], timeout: Double = 120) throws -> CommandResult {
    let process = Process()
    process.executableURL = runnerBinary
    process.arguments = arguments
    process.currentDirectoryURL = TinyModelFixture.packageRoot
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    nonisolated(unsafe) var stdout = Data(), stderr = Data()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { stdout = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { stderr = err.fileHandleForReading.readDataToEndOfFile() }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    group.wait()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
}

/// A fresh scratch directory.
func scratchDirectory(_ name: String = #function) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("runner-bench-\(name.filter { $0.isLetter })-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes `text` to `directory/name` and returns its path.
@discardableResult
func write(_ text: String, _ name: String, in directory: URL) throws -> String {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}
