// Before any measurement: each cell's spec file, the token batches every side of it reads (one file
// per batch × length, shared by cells), and the initial LoRA adapter (one per rank), all under the
// output directory — so a run can be inspected and re-run side by side from what it left.
import Basics
import Foundation

/// Where a run's files go.
struct OutputLayout {
    let root: URL
    var cells: URL { root.appendingPathComponent("cells") }
    var data: URL { root.appendingPathComponent("data") }
    var logs: URL { root.appendingPathComponent("logs") }

    func spec(_ cell: BenchCell) -> URL { cells.appendingPathComponent("\(cell.label).json") }
    func batches(_ cell: BenchCell) -> URL { data.appendingPathComponent("tokens-b\(cell.batchSize)x\(cell.sequenceLength).bin") }
    func adapter(_ cell: BenchCell) -> URL { data.appendingPathComponent("initial-adapter-r\(cell.rank).safetensors") }

    /// Creates the directories, dropping batches, adapters and specs an earlier run left (the suite may have changed).
    func create() throws {
        for stale in [cells, data] where FileManager.default.fileExists(atPath: stale.path) {
            try FileManager.default.removeItem(at: stale)
        }
        for directory in [root, cells, data, logs] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
    }
}

enum CellPreparation {
    /// Writes what `cell` needs (reusing files an earlier cell wrote) and returns its spec's URL.
    static func prepare(_ cell: BenchCell, suite: BenchSuite, model: String, layout: OutputLayout, log: (String) -> Void) throws -> URL {
        let steps = suite.warmupSteps + suite.steps
        let batches = layout.batches(cell)
        if !FileManager.default.fileExists(atPath: batches.path) {
            let vocabulary = try BenchModel.open(model).config.vocabSize
            let tokens = try TokenBatches.make(suite.data, model: model, vocabularySize: vocabulary, steps: steps,
                                               batch: cell.batchSize, length: cell.sequenceLength)
            try TokenBatches.write(tokens, to: batches)
            log("wrote \(steps) batches of \(cell.batchSize) × \(cell.sequenceLength) tokens to \(batches.lastPathComponent)")
        }
        var spec = CellSpec(model: model, batchesFile: batches.path, cell: cell, loraAlpha: suite.alphaPerRank * Double(cell.rank),
                            steps: suite.steps, warmupSteps: suite.warmupSteps, learningRate: suite.learningRate,
                            maxGradNorm: suite.maxGradNorm, seed: suite.seed, initialAdapter: nil)
        if cell.method != .full {
            let adapter = layout.adapter(cell)
            if !FileManager.default.fileExists(atPath: adapter.path) {
                try InitialAdapter.write(spec, to: adapter)
                log("wrote the initial r=\(cell.rank) adapter (seed \(suite.seed)) to \(adapter.lastPathComponent)")
            }
            spec.initialAdapter = adapter.path
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let url = layout.spec(cell)
        try AtomicFile.write(try encoder.encode(spec), to: url)
        return url
    }
}
