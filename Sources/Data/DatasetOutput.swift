// Writes a prepared dataset as the `dataset` stage's artifact: `train.bin`, `eval.bin` (when there
// is an evaluation split) and `stats.json`.
import Foundation

public enum DatasetOutput {
    public static let trainFileName = "train.bin"
    public static let evalFileName = "eval.bin"
    public static let statsFileName = "stats.json"

    /// Writes the artifact files into `directory` (which must exist).
    public static func write(_ dataset: PreparedDataset, maxSequenceLength: Int, vocabularySize: Int, packed: Bool, to directory: URL) throws {
        let splits: [(String, PreparedSplit?)] = [(trainFileName, dataset.train), (evalFileName, dataset.eval)]
        for case let (name, split?) in splits {
            let bytes = try DatasetArtifactWriter.encode(examples: split.examples, rows: split.rows, maxSequenceLength: maxSequenceLength,
                                                         vocabularySize: vocabularySize, packed: packed)
            try bytes.write(to: directory.appendingPathComponent(name), options: .atomic)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(dataset.stats).write(to: directory.appendingPathComponent(statsFileName), options: .atomic)
    }
}
