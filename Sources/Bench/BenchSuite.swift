// A benchmark suite as `runner bench` runs it: one model, one data source, a matrix of training
// configurations (cells), the sides that train each cell, and how many steps and repeats to time.
// Read from YAML by `SuiteReader`; every value was checked there.
import Foundation
import Models

/// What a cell trains.
public enum BenchMethod: String, CaseIterable, Codable, Sendable {
    /// LoRA adapters over the dense base.
    case lora
    /// LoRA adapters over a 4-bit NF4 base (double quantization), as bitsandbytes' QLoRA.
    case qlora
    /// Every weight (f32 master weights).
    case full
}

/// The matmul precision of a cell: f32 everywhere, or bf16 matmuls (f32 master weights and optimizer).
public enum BenchPrecision: String, CaseIterable, Codable, Sendable {
    case f32
    case bf16
}

/// Where a suite's token batches come from.
public enum BenchData: Equatable, Sendable {
    /// Uniform random token ids from a seeded generator.
    case synthetic(seed: UInt64)
    /// A UTF-8 text file tokenized with the model's tokenizer, cut into consecutive windows (wrapping around).
    case text(path: String)
}

/// One training configuration of the matrix.
public struct BenchCell: Hashable, Codable, Sendable {
    public var method: BenchMethod
    public var rank: Int                       // LoRA r (ignored for full)
    public var sequenceLength: Int             // T
    public var batchSize: Int                  // B
    public var gradientCheckpointing: Bool
    public var precision: BenchPrecision

    public init(method: BenchMethod, rank: Int, sequenceLength: Int, batchSize: Int, gradientCheckpointing: Bool, precision: BenchPrecision) {
        self.method = method
        self.rank = rank
        self.sequenceLength = sequenceLength
        self.batchSize = batchSize
        self.gradientCheckpointing = gradientCheckpointing
        self.precision = precision
    }

    /// A short, unique, file-name-safe label: `lora-r16-b4x256-gc-f32`.
    public var label: String {
        let adapter = method == .full ? "full" : "\(method.rawValue)-r\(rank)"
        return "\(adapter)-b\(batchSize)x\(sequenceLength)\(gradientCheckpointing ? "-gc" : "")-\(precision.rawValue)"
    }

    enum CodingKeys: String, CodingKey {
        case method, rank = "r", sequenceLength = "seq_len", batchSize = "batch"
        case gradientCheckpointing = "gradient_checkpointing", precision
    }
}

/// A side: who trains a cell. `runner` is built in (this binary's hidden `bench-cell` command), and so
/// is any side marked `builtin: true` (e.g. runner with selective recomputation); every other side is
/// a command from the suite, given a cell spec file.
public struct BenchSide: Equatable, Sendable {
    public static let builtInName = "runner"

    public var name: String
    /// A human label for tables (`transformers + PEFT`).
    public var label: String
    /// The command's words; `{spec}` becomes the cell spec path, `{model}` the model path. Nil for `runner`.
    public var command: [String]?
    /// Run once before any measurement (not timed, not measured), e.g. to convert the model.
    public var prepare: [String]?
    /// The methods this side can train; other cells are skipped for it.
    public var methods: Set<BenchMethod>
    /// How a built-in side checkpoints a cell whose `gradient_checkpointing` is on: `.layer` (the
    /// whole layer, as PEFT) or `.selective`. A cell with checkpointing off is always `.off` (and a
    /// selective side skips it).
    public var checkpointing: ActivationCheckpointing = .layer

    public var isBuiltIn: Bool { command == nil }

    /// The policy this side trains `cell` with.
    public func checkpointing(for cell: BenchCell) -> ActivationCheckpointing {
        cell.gradientCheckpointing ? checkpointing : .off
    }

    public init(name: String, label: String, command: [String]?, prepare: [String]?, methods: Set<BenchMethod>,
                checkpointing: ActivationCheckpointing = .layer) {
        self.checkpointing = checkpointing
        self.name = name
        self.label = label
        self.command = command
        self.prepare = prepare
        self.methods = methods
    }
}

/// A whole suite.
public struct BenchSuite: Sendable {
    public var name: String
    /// The suite file as the user gave it.
    public var file: String
    /// The model: a `.gguf` file or a Hugging Face directory (relative paths: to the working directory).
    public var model: String
    public var data: BenchData
    /// Every combination of the matrix axes, in axis order (method slowest).
    public var cells: [BenchCell]
    public var sides: [BenchSide]
    /// Timed optimizer steps per measurement.
    public var steps: Int
    /// Untimed optimizer steps before them (scratch growth, page faults, JIT).
    public var warmupSteps: Int
    public var repeats: Int
    public var learningRate: Double
    public var maxGradNorm: Double
    /// LoRA alpha = `alphaPerRank` × r (PEFT's common 2r).
    public var alphaPerRank: Double
    /// Seeds the LoRA init (both sides start from the same adapter) and the synthetic data.
    public var seed: UInt64
    /// Seconds one measurement may take before it is killed.
    public var timeoutSeconds: Double

    /// Whether `side` trains `cell`: one of its methods, and for a selective side a cell with
    /// checkpointing on (without it every runner side trains the same way).
    public func runs(_ side: BenchSide, _ cell: BenchCell) -> Bool {
        side.methods.contains(cell.method) && (side.checkpointing != .selective || cell.gradientCheckpointing)
    }
}
