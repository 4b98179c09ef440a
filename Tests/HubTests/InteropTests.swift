// Cross-check with the reference client (optional, needs Python): huggingface_hub downloads from and
// uploads to the FakeHub test double, reads the cache runner wrote, and runner reads the cache it
// wrote. Enabled by RUNNER_HUB_INTEROP_PYTHON=<python with huggingface_hub> (tools/reference/hub_interop.py).
import Foundation
import Hub
import Testing

private let python = ProcessInfo.processInfo.environment["RUNNER_HUB_INTEROP_PYTHON"]
private let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("tools/reference/hub_interop.py")

@Test(.enabled(if: python != nil, "set RUNNER_HUB_INTEROP_PYTHON to a Python with huggingface_hub"))
func huggingfaceHubAgreesWithTheTestDouble() throws {
    let token = "hf_interopTOKEN"
    let hub = try FakeHub(token: token)
    let scratch = Scratch(); defer { scratch.cleanup() }
    let files = tinyRepoFiles()
    hub.seed("org/tiny", files: files)
    _ = try HubDownloader(environment: environment(hub, cache: scratch.url("runner-home/hub"), token: token)).fetch(try HubSource(parsing: "hf://org/tiny"))
    scratch.write("upload/notes.txt", Data("hello\n".utf8))
    scratch.write("upload/weights.safetensors", testBytes(40_000, seed: 5))

    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(python))
    process.arguments = [script.path, hub.endpoint.absoluteString, token, scratch.root.path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)

    let offline = HubDownloader(environment: environment(nil, cache: scratch.url("python-home/hub"), token: nil, offline: true))
    let snapshot = try offline.fetch(try HubSource(parsing: "hf://org/tiny"))
    #expect(try Data(contentsOf: snapshot.appendingPathComponent("model.safetensors")) == files["model.safetensors"])
    #expect(hub.files("me/pyup")?["weights.safetensors"] == testBytes(40_000, seed: 5))
    #expect(hub.files("me/pyup")?["notes.txt"] == Data("hello\n".utf8))
    #expect(hub.isPrivate("me/pyup") == true)
}
