// A safetensors checkpoint that may be sharded: one file, or shards listed by a Hugging Face
// `*.safetensors.index.json` (`weight_map`: tensor name → shard file). Opened from a directory,
// an index file or a single file; every tensor must live in exactly the shard the index names.
import Basics
import Foundation

/// A (possibly sharded) safetensors checkpoint, every shard memory-mapped and validated.
public final class SafetensorsCheckpoint: @unchecked Sendable {
    /// The index file name Hugging Face uses for sharded model weights.
    public static let indexFileName = "model.safetensors.index.json"
    public static let singleFileName = "model.safetensors"

    /// The shards (a single element for an unsharded checkpoint), in index order.
    public let files: [SafetensorsFile]
    /// The index file, when the checkpoint is sharded.
    public let indexURL: URL?
    /// The index's `metadata.total_size`, when present.
    public let totalSize: Int?
    /// Tensor names: index order for a sharded checkpoint, header order for a single file.
    public let tensorNames: [String]
    private let location: [String: Int]  // tensor name → index into `files`

    /// Opens `url`: a directory (its `model.safetensors.index.json`, else `model.safetensors`,
    /// else its only `*.safetensors.index.json` or `*.safetensors` file), an index JSON file, or a
    /// single `.safetensors` file. Throws a RunnerError naming the file and problem.
    public convenience init(at url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw RunnerError(url.path, "no such file or directory")
        }
        if !isDirectory.boolValue {
            if url.lastPathComponent.hasSuffix(".index.json") {
                try self.init(index: url)
            } else {
                let file = try SafetensorsFile(contentsOf: url)
                self.init(files: [file], indexURL: nil, totalSize: nil, names: file.tensors.map(\.name),
                          location: Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, 0) }))
            }
            return
        }
        let fm = FileManager.default
        let index = url.appendingPathComponent(Self.indexFileName)
        let single = url.appendingPathComponent(Self.singleFileName)
        if fm.fileExists(atPath: index.path) { try self.init(at: index); return }
        if fm.fileExists(atPath: single.path) { try self.init(at: single); return }
        let names = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
        let indexes = names.filter { $0.hasSuffix(".safetensors.index.json") }
        let files = names.filter { $0.hasSuffix(".safetensors") }
        if indexes.count == 1 { try self.init(at: url.appendingPathComponent(indexes[0])); return }
        if indexes.isEmpty, files.count == 1 { try self.init(at: url.appendingPathComponent(files[0])); return }
        throw RunnerError(url.path, indexes.count + files.count == 0
            ? "no safetensors checkpoint in this directory"
            : "ambiguous checkpoint: found \((indexes + files).sorted().joined(separator: ", "))",
            hint: "name the index or .safetensors file directly")
    }

    private init(files: [SafetensorsFile], indexURL: URL?, totalSize: Int?, names: [String], location: [String: Int]) {
        self.files = files
        self.indexURL = indexURL
        self.totalSize = totalSize
        tensorNames = names
        self.location = location
    }

    private convenience init(index url: URL) throws {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RunnerError(path, "cannot read index: \(error.localizedDescription)")
        }
        let root: JSONValue
        do { root = try data.withUnsafeBytes { try StrictJSON.parse($0) } } catch let error as JSONSyntaxError {
            throw RunnerError(path, "invalid JSON at byte \(error.offset): \(error.message)")
        }
        guard case let .object(members) = root else { throw RunnerError(path, "index must be a JSON object") }
        var weightMap: [(key: String, value: JSONValue)]?
        var totalSize: Int?
        for (key, value) in members {
            if key == "weight_map" {
                guard case let .object(map) = value else { throw RunnerError(path, "'weight_map' must be an object, found \(value.typeName)") }
                weightMap = map
            } else if key == "metadata", case let .object(meta) = value,
                      let total = meta.first(where: { $0.key == "total_size" })?.value {
                guard let size = total.nonNegativeInt else { throw RunnerError(path, "'metadata.total_size' must be a non-negative integer") }
                totalSize = size
            }
        }
        guard let weightMap else { throw RunnerError(path, "index has no 'weight_map'") }

        let directory = url.deletingLastPathComponent()
        var shardNames: [String] = []
        var shardOf: [String: Int] = [:]  // shard file name → index
        var location: [String: Int] = [:]
        for (tensor, value) in weightMap {
            guard case let .string(shard) = value else {
                throw RunnerError(path, "weight_map['\(tensor)'] must be a file name string, found \(value.typeName)")
            }
            guard !shard.isEmpty, shard != ".", shard != "..", !shard.contains("/"), !shard.contains("\0") else {
                throw RunnerError(path, "weight_map['\(tensor)'] names '\(shard)', which is not a plain file name in the checkpoint directory")
            }
            if shardOf[shard] == nil {
                shardOf[shard] = shardNames.count
                shardNames.append(shard)
            }
            location[tensor] = shardOf[shard]!
        }
        let files = try shardNames.map { try SafetensorsFile(contentsOf: directory.appendingPathComponent($0)) }
        for (tensor, shard) in location where files[shard].tensor(named: tensor) == nil {
            throw RunnerError(path, "weight_map says tensor '\(tensor)' is in \(shardNames[shard]), but that shard does not contain it")
        }
        for (i, file) in files.enumerated() {
            for info in file.tensors where location[info.name] != i {
                let listed = location[info.name].map { "the index puts it in \(shardNames[$0])" } ?? "the index does not list it"
                throw RunnerError(file.fileName, "tensor '\(info.name)' is in this shard but \(listed)")
            }
        }
        self.init(files: files, indexURL: url, totalSize: totalSize, names: weightMap.map(\.key), location: location)
    }

    /// The shard holding `name` and the tensor's descriptor there, or nil.
    public func tensor(named name: String) -> (file: SafetensorsFile, info: SafetensorsTensorInfo)? {
        guard let i = location[name], let info = files[i].tensor(named: name) else { return nil }
        return (files[i], info)
    }

    /// Like `tensor(named:)`, but throws a RunnerError naming the checkpoint when absent.
    public func requireTensor(_ name: String) throws -> (file: SafetensorsFile, info: SafetensorsTensorInfo) {
        guard let found = tensor(named: name) else {
            throw RunnerError(indexURL?.path ?? files[0].fileName, "tensor '\(name)' not found (the checkpoint has \(tensorNames.count) tensors)")
        }
        return found
    }

    /// A floating-point tensor converted to f32 (see `SafetensorsFile.floats(of:)`).
    public func floats(_ name: String) throws -> [Float] {
        let (file, info) = try requireTensor(name)
        return try file.floats(of: info)
    }
}
