// safetensors parity: files written by the Python `safetensors` package (every dtype) read by
// Swift, the Swift writer reproducing the package's bytes exactly, and Swift round trips.
import Compute
import Foundation
import Formats
import Testing

struct SafetensorsTests {
    static func hexBytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = hex.makeIterator()
        while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
        return out
    }

    @Test func readsEveryDtypeWrittenByThePythonPackage() throws {
        let file = try SafetensorsFile(contentsOf: Fixtures.url("safetensors/several.safetensors"))
        let expected = try #require(try Fixtures.json("safetensors/several.json") as? [String: Any])
        #expect(file.metadata == expected["metadata"] as? [String: String])
        let tensors = try #require(expected["tensors"] as? [String: [String: Any]])
        #expect(Set(file.tensors.map(\.name)) == Set(tensors.keys))
        for (name, want) in tensors {
            let info = try file.requireTensor(name)
            #expect(info.dtype.rawValue == want["dtype"] as? String, "\(name)")
            #expect(info.shape == want["shape"] as? [Int], "\(name)")
            #expect(Array(file.bytes(of: info)) == Self.hexBytes(want["hex"] as! String), "\(name) bytes")
            if let values = want["values"] as? [NSNumber] {
                #expect(sameBits(try file.floats(name), values.map { Float($0.doubleValue) }), "\(name) values")
            } else {
                #expect(throws: (any Error).self) { try file.floats(name) }
            }
        }
        #expect(file.tensor(named: "brain")?.dtype.computeDType == .bf16)
        #expect(throws: (any Error).self) { try file.requireTensor("missing") }
    }

    static func layoutTensors(_ list: [[String: Any]]) -> [SafetensorsTensor] {
        list.map { entry in
            let dtype = SafetensorsDType(rawValue: entry["dtype"] as! String)!
            let values = (entry["values"] as! [NSNumber]).map { Float($0.doubleValue) }
            return SafetensorsTensor(name: entry["name"] as! String, shape: entry["shape"] as! [Int], floats: values, as: dtype)
        }
    }

    @Test func writerMatchesThePythonPackageByteForByte() throws {
        let expected = try #require(try Fixtures.json("safetensors/layout.json") as? [String: Any])
        let tensors = Self.layoutTensors(try #require(expected["tensors"] as? [[String: Any]]))
        let written = try SafetensorsWriter.encode(tensors, metadata: expected["metadata"] as! [String: String])
        let reference = try Fixtures.data("safetensors/layout.safetensors")
        #expect(written == reference, "Swift wrote \(written.count) bytes, Python \(reference.count)")
    }

    @Test func writeThenReadRoundTrips() throws {
        let python = try SafetensorsFile(contentsOf: Fixtures.url("safetensors/several.safetensors"))
        let tensors = python.tensors.map { SafetensorsTensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, data: Data(python.bytes(of: $0))) }
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("round.safetensors")
        try SafetensorsWriter.write(tensors, metadata: python.metadata, to: url)
        let back = try SafetensorsFile(contentsOf: url)
        #expect(back.metadata == python.metadata)
        #expect(back.tensors.count == python.tensors.count)
        for info in python.tensors {
            let other = try back.requireTensor(info.name)
            #expect(other.dtype == info.dtype && other.shape == info.shape)
            #expect(Array(back.bytes(of: other)) == Array(python.bytes(of: info)))
        }
        // Same tensors and metadata → the file the Python package wrote (metadata order aside,
        // which Rust leaves to a hash map; with sorted keys "format" < "note" it matches).
        #expect(try Data(contentsOf: url) == Fixtures.data("safetensors/several.safetensors"))
    }

    @Test func writerRejectsInconsistentTensors() {
        let bad = SafetensorsTensor(name: "x", dtype: .f32, shape: [3], data: Data(count: 8))
        #expect(throws: (any Error).self) { try SafetensorsWriter.encode([bad]) }
        let a = SafetensorsTensor(name: "a", shape: [1], floats: [1])
        #expect(throws: (any Error).self) { try SafetensorsWriter.encode([a, a]) }
        let reserved = SafetensorsTensor(name: "__metadata__", shape: [1], floats: [1])
        #expect(throws: (any Error).self) { try SafetensorsWriter.encode([reserved]) }
    }

    @Test func readsAShardedCheckpointWrittenByHuggingFaceHub() throws {
        let expected = try #require(try Fixtures.json("safetensors/sharded.json") as? [String: Any])
        let list = try #require(expected["tensors"] as? [[String: Any]])
        for opened in [Fixtures.url("safetensors/sharded"), Fixtures.url("safetensors/sharded/model.safetensors.index.json")] {
            let checkpoint = try SafetensorsCheckpoint(at: opened)
            #expect(checkpoint.files.count == 3)
            #expect(Set(checkpoint.tensorNames) == Set(list.map { $0["name"] as! String }))
            #expect(checkpoint.totalSize == 1600)
            for entry in list {
                let values = (entry["values"] as! [NSNumber]).map { Float($0.doubleValue) }
                #expect(sameBits(try checkpoint.floats(entry["name"] as! String), values))
            }
        }
        let single = try SafetensorsCheckpoint(at: Fixtures.url("safetensors/several.safetensors"))
        #expect(single.files.count == 1 && single.tensorNames.count == 14)
    }

    @Test func shardedWriterMatchesHuggingFaceHubByteForByte() throws {
        let expected = try #require(try Fixtures.json("safetensors/sharded.json") as? [String: Any])
        let tensors = Self.layoutTensors(try #require(expected["tensors"] as? [[String: Any]]))
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try SafetensorsCheckpointWriter.write(tensors, to: dir, maxShardBytes: expected["max_shard_size"] as! Int,
                                                          metadata: expected["metadata"] as! [String: String])
        let reference = Fixtures.url("safetensors/sharded")
        let names = try FileManager.default.contentsOfDirectory(atPath: reference.path).sorted()
        #expect(files.map(\.lastPathComponent).sorted() == names)
        for name in names {
            #expect(try Data(contentsOf: dir.appendingPathComponent(name)) == Data(contentsOf: reference.appendingPathComponent(name)), "\(name)")
        }
        // One shard: a plain model.safetensors, no index.
        let small = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: small) }
        let single = try SafetensorsCheckpointWriter.write(tensors, to: small)
        #expect(single.map(\.lastPathComponent) == ["model.safetensors"])
        #expect(try SafetensorsCheckpoint(at: small).tensorNames.count == tensors.count)
    }
}
