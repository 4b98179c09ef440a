// HubTests support: scratch directories, deterministic non-zero test bytes, and a Hub environment
// pointing at a `FakeHub` with its own HF cache.
import Foundation
import Hub
import RunnerTestSupport

/// A temporary directory removed by `cleanup()`.
struct Scratch: ScratchDirectory {
    let root: URL

    init(_ name: String = #function) { root = Self.makeRoot(prefix: "hubtests", name: name) }
}

/// `count` pseudo-random bytes from a seed (xorshift), never all zeros.
func testBytes(_ count: Int, seed: UInt64) -> Data {
    var state = seed | 1
    var data = Data(count: count)
    for i in 0 ..< count {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        data[i] = UInt8(truncatingIfNeeded: state)
    }
    return data
}

/// A small model repository as the Hub would hold it.
func tinyRepoFiles() -> [String: Data] {
    [
        "config.json": Data(#"{"architectures": ["LlamaForCausalLM"], "hidden_size": 8}"#.utf8),
        "tokenizer.json": Data(#"{"version": "1.0", "model": {"type": "BPE"}}"#.utf8),
        "model.safetensors": testBytes(300_000, seed: 7),
        "README.md": Data("# tiny\n".utf8),
        "tiny.Q8_0.gguf": testBytes(5_000, seed: 9),
    ]
}

func environment(_ hub: FakeHub?, cache: URL, token: String?, offline: Bool = false) -> HubEnvironment {
    HubEnvironment(endpoint: hub?.endpoint ?? URL(string: "http://127.0.0.1:9")!, cacheDirectory: cache,
                   token: token.flatMap(HubToken.init), offline: offline)
}

/// Every regular file under `root` (recursively, not following symlinks), as relative paths.
func regularFiles(under root: URL) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
    var files: [String] = []
    while let relative = walker.nextObject() as? String {
        if let type = walker.fileAttributes?[.type] as? FileAttributeType, type == .typeRegular { files.append(relative) }
    }
    return files.sorted()
}

/// A value shared between a test and server threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ body: (inout Value) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
