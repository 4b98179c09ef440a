// The `quantize` stage: quantizes the block Linear weights of an unquantized model and writes the
// result in Hugging Face's bitsandbytes layout (NF4/FP4 + double quant, or LLM.int8 row-wise) —
// config.json with `quantization_config`, model.safetensors, the tokenizer — so transformers loads
// it with `from_pretrained`, and `train` reads its base from it. Also `quantize.json` (the settings).
import Basics
import Compute
import Formats
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Models
import Pipeline
import Quant

struct QuantizeStage: StageImplementation {
    static let kind = "quantize"
    static let version = 2
    static let fileName = "quantize.json"
    static let weightsFile = "model.safetensors"

    func run(_ context: StageContext) throws -> StageResult {
        let name = context.stage.name
        let settings = QuantizeSettings(
            method: try context.string("method"), blockSize: try context.int("block_size"),
            doubleQuant: try context.bool("double_quant"), computeDType: try context.string("compute_dtype"),
            skipModules: try context.strings("skip_modules"))
        let method = try settings.quantizationMethod(stage: name)
        let from = try context.input("from")
        if try ModelBundle.isBitsAndBytesQuantized(from.directory) {
            throw RunnerError("stage `\(name)`: from", "`\(from.stageName)` is already quantized (its config.json has a quantization_config)",
                              hint: "quantize the unquantized model: point `from` at its `load` stage")
        }
        let config = try ModelBundle.open(from.directory).config
        let checkpoint = try SafetensorsCheckpoint(at: from.directory)
        let linearPaths = Set((0..<config.layerCount).flatMap { layer in LinearModule.allCases.map { $0.path(layer: layer) } })

        var tensors: [SafetensorsTensor] = []
        var quantizedCount = 0
        for tensorName in checkpoint.tensorNames {
            try context.checkCancellation()
            let (file, info) = try checkpoint.requireTensor(tensorName)
            let modulePath = tensorName.hasSuffix(".weight") ? String(tensorName.dropLast(".weight".count)) : ""
            guard linearPaths.contains(modulePath), !settings.skips(modulePath) else {
                // A view of the mapped input, not a copy: the dense embedding alone is 113 MB in f32.
                tensors.append(SafetensorsTensor(name: tensorName, dtype: info.dtype, shape: info.shape, data: Self.view(file.bytes(of: info))))
                continue
            }
            let parts = try QuantizedLinear.quantize(file.bytes(of: info), dtype: info.dtype, shape: info.shape, as: method, tensorName: tensorName)
            Self.releasePages(file.bytes(of: info))
            tensors += QuantizedLinear.checkpointTensors(parts, prefix: modulePath).map {
                SafetensorsTensor(name: $0.name, dtype: SafetensorsDType($0.dtype), shape: $0.shape, data: Data($0.bytes))
            }
            quantizedCount += 1
        }
        guard quantizedCount > 0 else {
            throw RunnerError("stage `\(name)`: skip_modules", "leaves no Linear layer to quantize",
                              hint: "skip_modules names module suffixes kept dense, e.g. [lm_head]")
        }
        let output = context.outputDirectory
        try withExtendedLifetime(checkpoint) {   // the dense tensors are views of its mapped files
            try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: output.appendingPathComponent(Self.weightsFile))
        }
        try AtomicFile.write(try Self.configJSON(from.file("config.json"), adding: try method.quantizationConfig(settings)),
                             to: output.appendingPathComponent("config.json"))
        for file in from.manifest.files where !["config.json", Self.weightsFile].contains(file.path) && !file.path.hasSuffix(".safetensors")
            && !file.path.hasSuffix(".safetensors.index.json") {
            let target = output.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(Data(contentsOf: from.file(file.path)), to: target)
        }
        try StageJSON.write(settings, to: output.appendingPathComponent(Self.fileName))
        let bytes = tensors.reduce(0) { $0 + $1.data.count }
        context.log("\(quantizedCount) Linear layers to \(settings.method)"
                    + (method.isFourBit ? " (blocks of \(settings.blockSize)\(settings.doubleQuant ? ", double quant" : ""))" : " (row-wise absmax)")
                    + "; \(bytes / 1_000_000) MB in the bitsandbytes layout")
        return StageResult(metrics: ["quantized_layers": Double(quantizedCount), "bytes": Double(bytes), "block_size": Double(settings.blockSize)],
                           primaryFile: Self.weightsFile)
    }

    /// Drops the resident pages of `bytes`, a range of a read-only file mapping (`SafetensorsCheckpoint(at:)`
    /// maps its files), once read: the model's dense Linears (425 MB in f32 for SmolLM2-135M) then
    /// never count against the process's memory all at once. A later read faults them back in from
    /// the page cache, so this changes no data.
    static func releasePages(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + page - 1) / page * page, end = (Int(bitPattern: base) + bytes.count) / page * page
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(pointer, end - start, MADV_DONTNEED)
    }

    /// `bytes` as `Data` without copying them; valid while their owner (the checkpoint) lives.
    static func view(_ bytes: UnsafeRawBufferPointer) -> Data {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return Data() }
        return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none)
    }

    /// The `from` model's config.json with `"quantization_config"` added as the last key (the rest
    /// of the text, and so its number formatting, stays as the load stage wrote it).
    static func configJSON(_ url: URL, adding quantization: QuantizationConfig) throws -> Data {
        let text = try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("{"), text.hasSuffix("}"),
              (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any] else {
            throw RunnerError(url.path, "is not a JSON object", hint: "the model artifact is damaged; re-run its `load` stage")
        }
        let nested = try quantization.jsonText().split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated().map { $0.offset == 0 ? String($0.element) : "  " + $0.element }.joined(separator: "\n")
        let body = text.dropLast().trimmingCharacters(in: .whitespacesAndNewlines)
        return Data((body + ",\n  \"quantization_config\" : " + nested + "\n}\n").utf8)
    }
}

/// `quantize.json`: the settings the artifact was made with (method, block size, double quant,
/// the compute dtype `train` uses, and the module suffixes kept dense).
struct QuantizeSettings: Codable, Equatable {
    var method: String          // nf4 | fp4 | int8
    var blockSize: Int
    var doubleQuant: Bool
    /// f32: the dequantized base weights multiply in f32. bf16: they are rounded to bf16 first (as
    /// bitsandbytes casts them to its compute dtype); activations, adapters and accumulation stay f32.
    var computeDType: String    // f32 | bf16
    var skipModules: [String]   // module name suffixes left dense

    enum CodingKeys: String, CodingKey {
        case method, blockSize = "block_size", doubleQuant = "double_quant", computeDType = "compute_dtype", skipModules = "skip_modules"
    }

    /// Whether the module at `path` stays dense.
    func skips(_ path: String) -> Bool { skipModules.contains { path == $0 || path.hasSuffix("." + $0) } }

    /// The method, with its settings checked.
    func quantizationMethod(stage: String) throws -> QuantizedLinear.Method {
        guard computeDType == "f32" || computeDType == "bf16" else {
            throw RunnerError("stage `\(stage)`: compute_dtype", "`\(computeDType)` is not supported", hint: "use f32 or bf16")
        }
        if method == "int8" { return .int8 }
        guard let type = FourBitType(rawValue: method) else {
            throw RunnerError("stage `\(stage)`: method", "unknown quantization method `\(method)`", hint: "use nf4, fp4 or int8")
        }
        do {
            try FourBit.checkBlockSize(blockSize)
        } catch let error as RunnerError {
            throw RunnerError("stage `\(stage)`: block_size", error.message, hint: error.hint)
        }
        return .fourBit(type, blockSize: blockSize, doubleQuant: doubleQuant)
    }
}
