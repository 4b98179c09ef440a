// Writing a safetensors checkpoint the way huggingface_hub.save_torch_state_dict does: greedy
// shards in tensor order under a size limit (a tensor over the limit gets a shard of its own),
// `model-0000i-of-0000n.safetensors` files and `model.safetensors.index.json`.
import Basics
import Foundation

public enum SafetensorsCheckpointWriter {
    /// Hugging Face's default shard limit (5 GB).
    public static let defaultMaxShardBytes = 5_000_000_000

    /// Writes `tensors` into `directory` (created if needed) and returns the files written.
    ///
    /// One shard → `model.safetensors` with metadata `format: pt` plus `metadata`. Several →
    /// shards with `format: pt` and an index whose `metadata` is `total_size` plus `metadata`.
    /// Byte-identical to huggingface_hub's output for the same tensors, order and limit
    /// (metadata keys are written sorted). Files are written atomically.
    @discardableResult
    public static func write(_ tensors: [SafetensorsTensor], to directory: URL,
                             maxShardBytes: Int = defaultMaxShardBytes,
                             metadata: [String: String] = [:]) throws -> [URL] {
        guard maxShardBytes > 0 else { throw RunnerError(directory.path, "max shard size must be positive, got \(maxShardBytes)") }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RunnerError(directory.path, "cannot create directory: \(error.localizedDescription)")
        }
        let shards = plan(tensors, maxShardBytes: maxShardBytes)
        if shards.count <= 1 {
            let url = directory.appendingPathComponent(SafetensorsCheckpoint.singleFileName)
            var fileMetadata = metadata
            fileMetadata["format"] = "pt"
            try SafetensorsWriter.write(tensors, metadata: fileMetadata, to: url)
            return [url]
        }
        var written: [URL] = []
        var weightMap: [(String, String)] = []
        for (i, shard) in shards.enumerated() {
            let name = String(format: "model-%05d-of-%05d.safetensors", i + 1, shards.count)
            let url = directory.appendingPathComponent(name)
            try SafetensorsWriter.write(shard, metadata: ["format": "pt"], to: url)
            written.append(url)
            weightMap += shard.map { ($0.name, name) }
        }
        let totalSize = tensors.reduce(0) { $0 + $1.data.count }
        var indexMetadata: [(String, String)] = [("total_size", String(totalSize))]
        indexMetadata += metadata.keys.sorted().filter { $0 != "total_size" }.map { ($0, JSONString.quoted(metadata[$0]!, .pythonASCII)) }
        let index = "{\n  \"metadata\": {\n"
            + indexMetadata.map { "    \(JSONString.quoted($0.0, .pythonASCII)): \($0.1)" }.joined(separator: ",\n")
            + "\n  },\n  \"weight_map\": {\n"
            + weightMap.map { "    \(JSONString.quoted($0.0, .pythonASCII)): \(JSONString.quoted($0.1, .pythonASCII))" }.joined(separator: ",\n")
            + "\n  }\n}"
        let indexURL = directory.appendingPathComponent(SafetensorsCheckpoint.indexFileName)
        try AtomicFile.write(Data(index.utf8), to: indexURL)
        return written + [indexURL]
    }

    /// huggingface_hub's greedy split: in order; a tensor over the limit becomes its own shard
    /// (emitted immediately); otherwise start a new shard when the current one would overflow.
    static func plan(_ tensors: [SafetensorsTensor], maxShardBytes: Int) -> [[SafetensorsTensor]] {
        var shards: [[SafetensorsTensor]] = []
        var current: [SafetensorsTensor] = []
        var currentBytes = 0
        for tensor in tensors {
            let size = tensor.data.count
            if size > maxShardBytes {
                shards.append([tensor])
                continue
            }
            if currentBytes + size > maxShardBytes {
                shards.append(current)
                current = []
                currentBytes = 0
            }
            current.append(tensor)
            currentBytes += size
        }
        if !current.isEmpty { shards.append(current) }
        return shards
    }
}
