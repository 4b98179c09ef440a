// The `export` stage: a model artifact (`load`, `merge`, full `train`) becomes one GGUF file for
// llama.cpp / Ollama, materialized at the recipe's `path`; optionally with an Ollama Modelfile
// beside it. The GGUF layout itself lives in Models/Export.
import Basics
import Foundation
import Models
import Pipeline

struct ExportStage: StageImplementation {
    static let kind = "export"
    static let version = 2
    /// The artifact's GGUF file when the recipe's output has no name of its own.
    static let defaultFileName = "model.gguf"
    /// The Ollama Modelfile, beside the GGUF.
    static let modelfileName = "Modelfile"

    func run(_ context: StageContext) throws -> StageResult {
        let from = try context.input("from")
        guard let type = GGUFExportType(rawValue: try context.string("type")) else {
            throw RunnerError("stage `\(context.stage.name)`: type", "`\(try context.string("type"))` is not an export type",
                              hint: "use one of \(GGUFExportType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // The compiler passes the output's file name (part of the cache key): it names the model and the Modelfile's FROM.
        let fileName = try context.optionalString("file_name") ?? Self.defaultFileName
        let bundle = try ModelBundle.open(from.directory)
        let config = bundle.config
        context.log("exporting `\(from.stageName)` (\(config.architecture.rawValue), \(config.layerCount) layers, vocab \(config.vocabSize)) as \(type.rawValue.uppercased())")

        let name = (fileName as NSString).deletingPathExtension
        let report = try GGUFExporter.export(bundle, type: type, name: name, to: context.outputDirectory.appendingPathComponent(fileName),
                                             checkCancellation: context.checkCancellation)
        for line in report.deviationLines + report.notes { context.log(line) }
        context.log("\(report.tensors.count) tensors (\(report.typeCounts)), \(report.parameterCount) parameters, \(report.byteCount) bytes of tensor data")

        if try context.bool("modelfile") {
            let eos = bundle.eosTokenIds.sorted().first.flatMap { bundle.tokenizer.tokenPiece($0) }
            let modelfile = OllamaModelfile.text(ggufFileName: fileName, chatTemplate: bundle.chatTemplate, eosToken: eos)
            if let note = modelfile.note { context.log("Modelfile: \(note)") }
            try AtomicFile.write(Data(modelfile.text.utf8), to: context.outputDirectory.appendingPathComponent(Self.modelfileName))
        }
        return StageResult(metrics: ["parameters": Double(report.parameterCount), "tensor_bytes": Double(report.byteCount),
                                     "fallback_tensors": Double(report.deviations.count)],
                           primaryFile: fileName)
    }
}
