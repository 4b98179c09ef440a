// Writes a model (a `load`/`merge`/full-`train` artifact, a HF directory or a GGUF) as a GGUF v3
// file llama.cpp, Ollama and transformers read: llama.cpp tensor names and dims, Q/K rows in
// llama.cpp's rope order, matrices in the chosen type, norms and biases in F32, tokenizer metadata.
import Basics
import Compute
import Formats
import Foundation
import Quant

/// What an export wrote, for the stage log and metrics.
public struct GGUFExportReport: Sendable {
    /// Every tensor with the GGML type it was stored as, in file order.
    public var tensors: [(name: String, type: GGMLType)]
    /// Tensors stored in another type than the export type asked for, with the reason.
    public var deviations: [(name: String, type: GGMLType, reason: GGUFExportType.Deviation)]
    public var parameterCount: Int
    public var byteCount: Int
    /// Export-wide remarks for the log (e.g. a K-quant export that holds no K-quant tensor).
    public var notes: [String] = []

    /// How many tensors of each type, most first, ties in file order (`31 F32, 30 Q4_K, …`).
    public var typeCounts: String {
        var counts: [(GGMLType, Int)] = []
        for (_, type) in tensors {
            if let i = counts.firstIndex(where: { $0.0 == type }) { counts[i].1 += 1 } else { counts.append((type, 1)) }
        }
        return counts.enumerated().sorted { ($0.element.1, $1.offset) > ($1.element.1, $0.offset) }
            .map { "\($0.element.1) \($0.element.0)" }.joined(separator: ", ")
    }

    /// One log line per deviation, grouped by reason.
    public var deviationLines: [String] {
        var groups: [(String, [String])] = []
        for d in deviations {
            let reason: String
            switch d.reason {
            case .rowsNotBlockAligned(let length, let block):
                reason = "rows of \(length) values are not a multiple of \(block): stored as \(d.type) (as llama.cpp's converter does)"
            case .outputMatrixKeepsPrecision:
                reason = "output matrix rows are not a multiple of 256 for Q6_K: stored as \(d.type) (as llama-quantize does)"
            case .kQuantRowsNotSuperBlockAligned(let length, let wanted):
                reason = "rows of \(length) values are not a multiple of 256 for \(wanted): stored as \(d.type) (llama-quantize's fallback)"
            }
            if let i = groups.firstIndex(where: { $0.0 == reason }) { groups[i].1.append(d.name) } else { groups.append((reason, [d.name])) }
        }
        return groups.map { reason, names in
            "\(names.count == 1 ? names[0] : "\(names.count) tensors (\(names.prefix(3).joined(separator: ", "))\(names.count > 3 ? ", …" : ""))"): \(reason)"
        }
    }
}

public enum GGUFExporter {
    /// Exports `bundle` to `url` (written atomically). `name` becomes `general.name`.
    ///
    /// - Throws: `RunnerError` for what GGUF or runner cannot express (llama3 rope scaling, a
    ///   tokenizer whose splitting GGUF cannot describe, mismatched vocabularies) and I/O failures.
    /// Memory: the encoded file is held until written (one model in the export type).
    @discardableResult
    public static func export(_ bundle: ModelBundle, type: GGUFExportType, name: String, to url: URL,
                              checkCancellation: () throws -> Void = {}) throws -> GGUFExportReport {
        let config = bundle.config
        var writer = try GGUFWriter(architecture: GGUFModelMetadata.architecture(of: config), context: url.lastPathComponent)
        for (key, value) in try GGUFModelMetadata.entries(for: config, name: name, type: type) { try writer.set(key, value) }
        for (key, value) in try GGUFTokenizerMetadata.entries(for: bundle) { try writer.set(key, value) }
        try writer.set("general.quantization_version", .uint32(2))

        let source = try bundle.weightSource()
        var report = GGUFExportReport(tensors: [], deviations: [], parameterCount: 0, byteCount: 0)
        for (key, shape) in config.weightShapes() {
            try checkCancellation()
            let ggufName = WeightNaming.gguf.name(key)
            var values = try CanonicalWeights.hostTensor(key, shape: shape, from: source, config: config).hostFloats()
            if GGUFModelMetadata.permutesRope(config), case .layer(_, let weight) = key {
                let rowLength = shape.rank == 2 ? shape[1] : 1
                switch weight {
                case .query, .queryBias: values = GGUFRopeOrder.permute(values, heads: config.headCount, rowLength: rowLength)
                case .key, .keyBias: values = GGUFRopeOrder.permute(values, heads: config.kvHeadCount, rowLength: rowLength)
                default: break
                }
            }
            let (tensorType, deviation) = type.tensorType(shape: shape.dims, role: matrixRole(key, config: config))
            let data = Data(try GGUFQuant.quantize(tensorType, values))
            try writer.addTensor(ggufName, type: tensorType, dimensions: shape.dims.reversed(), data: data)
            report.tensors.append((ggufName, tensorType))
            if let deviation { report.deviations.append((ggufName, tensorType, deviation)) }
            report.parameterCount += values.count
            report.byteCount += data.count
        }
        try writer.write(to: url)
        if type.isKQuant && !report.tensors.contains(where: { $0.type.blockSize == 256 }) {
            report.notes.append("no matrix has rows that are whole 256-value super-blocks: this \(type.rawValue.uppercased()) file holds no K-quant tensor (every matrix took llama-quantize's fallback type)")
        }
        return report
    }

    /// What llama-quantize's mix sees of `key`: the output matrix (or the tied embedding serving as
    /// it), the token embedding, attn_v / ffn_down with their layer, or another matrix.
    static func matrixRole(_ key: WeightKey, config: LlamaConfig) -> GGUFExportType.MatrixRole {
        switch key {
        case .lmHead: .output
        case .embedding: config.tieWordEmbeddings ? .output : .tokenEmbedding
        case .layer(let i, .value): .attentionValue(layer: i, layers: config.layerCount)
        case .layer(let i, .down): .feedForwardDown(layer: i, layers: config.layerCount)
        default: .other
        }
    }
}
