// swift-tools-version:6.1
// runner — declarative, cached fine-tuning of large language models, natively in Swift.
// Module layering (dependencies point one way) is explained in docs/ARCHITECTURE.md.
import PackageDescription

/// Numeric modules are written with raw pointers and parallel loops; Swift 5 mode keeps
/// their strict-concurrency checking as warnings rather than errors (see docs/ARCHITECTURE.md).
let numericSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v5),
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "runner",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "runner", targets: ["runner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // C libraries
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // oneDNN (libdnnl-dev): bf16 matmuls for CPUBackend's bf16 mode.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        // AVX-512 twins of CPUBackend's hottest Swift SIMD loops (bit-identical; chosen at run time).
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),

        // Shared foundations: diagnostics, hashing, files.
        .target(name: "Basics", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),

        // Compute side (never sees a recipe).
        .target(name: "Compute", dependencies: ["Basics"], swiftSettings: numericSettings),
        .target(name: "CPUBackend", dependencies: ["Compute", "Basics", "CBLAS", "CDNNL", "CKernels"], swiftSettings: numericSettings),
        .target(name: "Formats", dependencies: ["Compute", "Basics", "Quant"], swiftSettings: numericSettings),
        .target(name: "Quant", dependencies: ["Compute", "Basics"], swiftSettings: numericSettings),
        .target(name: "Tokenizer", dependencies: ["Basics"]),
        .target(name: "ChatTemplate", dependencies: ["Basics"]),
        .target(name: "Models", dependencies: ["Compute", "Quant", "Formats", "Tokenizer", "ChatTemplate"], swiftSettings: numericSettings),

        .target(name: "Data", dependencies: ["Tokenizer", "ChatTemplate", "Basics"]),
        .target(name: "Training", dependencies: ["Models", "Compute", "Quant", "Basics"], swiftSettings: numericSettings),

        // Recipe side (never imports compute).
        .target(name: "Recipe", dependencies: ["Basics", "Yams"]),
        .target(name: "Pipeline", dependencies: ["Recipe", "Basics"]),
        // The Hugging Face Hub and git remotes: download (HF cache layout, HTTP API) and push.
        .target(name: "Hub", dependencies: ["Basics", .product(name: "Crypto", package: "swift-crypto")]),
        // Run reports: report.html (inline SVG) and TensorBoard event files.
        .target(name: "Reports", dependencies: ["Basics"]),

        // `runner bench`: benchmark suites (a matrix of training cells × sides × repeats) and their reports.
        .target(name: "Bench", dependencies: ["Recipe", "Models", "Training", "CPUBackend", "Compute", "Formats", "Tokenizer", "Basics"],
                swiftSettings: numericSettings),

        // Where the two sides meet.
        .target(name: "Stages", dependencies: ["Pipeline", "Recipe", "Models", "CPUBackend", "Formats", "Quant", "Tokenizer", "ChatTemplate", "Data", "Training", "Compute", "Basics", "Hub", "Reports"]),
        .target(name: "RunnerCLI", dependencies: [
            "Stages", "Pipeline", "Recipe", "Models", "CPUBackend", "Tokenizer", "Basics", "Reports", "Bench",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "runner", dependencies: ["RunnerCLI", "Stages", "Pipeline"]),
        // Benchmarks (bench/): SmolLM2 prefill/decode speed; compared with transformers by bench/smollm2_speed.py.
        .executableTarget(name: "ModelBench", dependencies: ["Models", "CPUBackend", "Compute", "CBLAS"],
                          path: "bench/ModelBench", swiftSettings: numericSettings),
        // Training-step speed: SmolLM2 LoRA forward+backward tokens/s.
        .executableTarget(name: "TrainBench", dependencies: ["Models", "CPUBackend", "Compute", "Formats"],
                          path: "bench/TrainBench", swiftSettings: numericSettings),

        // Benchmarks (not tests): bench/<name>/run.sh.
        .executableTarget(name: "tokenizer-bench", dependencies: ["Tokenizer", "Formats", "Models"], path: "bench/tokenizer",
                          exclude: ["run.sh", "bench_hf.py", "make_corpus.py"]),
        .executableTarget(name: "data-bench", dependencies: ["Data", "Tokenizer", "ChatTemplate", "Formats", "Models"], path: "bench/data",
                          exclude: ["run.sh", "bench_hf.py", "make_corpus.py"]),

        // Tests
        // Shared test support: the tiny model fixture, the byte tokenizer, docs/RELIABILITY.md tables.
        .target(name: "RunnerTestSupport", dependencies: ["Basics"], path: "Tests/TestSupport"),
        .testTarget(name: "BasicsTests", dependencies: ["Basics"]),
        .testTarget(name: "RecipeTests", dependencies: ["RunnerTestSupport", "Recipe", "Basics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PipelineTests", dependencies: ["RunnerTestSupport", "Pipeline", "Recipe", "Basics", "PipelineTestStages"]),
        // Test-only stage implementations and a `runner` built with them (never shipped).
        .target(name: "PipelineTestStages", dependencies: ["Pipeline", "Recipe", "Basics"], path: "Tests/TestStages"),
        .executableTarget(name: "runner-testkit", dependencies: ["RunnerCLI", "PipelineTestStages", "Pipeline", "Recipe"], path: "Tests/TestKit"),
        .testTarget(name: "ComputeTests", dependencies: ["RunnerTestSupport", "Compute", "CPUBackend", "CKernels", "Basics"], swiftSettings: numericSettings),
        .testTarget(name: "FormatsTests", dependencies: ["RunnerTestSupport", "Formats", "Basics", "Quant", "Compute"], resources: [.copy("Fixtures")], swiftSettings: numericSettings),
        .testTarget(name: "TokenizerTests", dependencies: ["RunnerTestSupport", "Tokenizer", "Formats", "Models"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "CPUBackend", "Formats", "Tokenizer", "Compute", "Quant"], resources: [.copy("Fixtures")], swiftSettings: numericSettings),
        .testTarget(name: "QuantTests", dependencies: ["Quant", "Compute", "Basics"], resources: [.copy("Fixtures")], swiftSettings: numericSettings),
        .testTarget(name: "DataTests", dependencies: ["Data", "Tokenizer", "ChatTemplate", "Formats", "Stages", "Pipeline", "Recipe", "Models", "Basics"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["RunnerTestSupport", "Training", "Models", "CPUBackend", "Quant", "Compute"], resources: [.copy("Fixtures")], swiftSettings: numericSettings),
        .testTarget(name: "ChatTemplateTests", dependencies: ["RunnerTestSupport", "ChatTemplate"], resources: [.copy("Fixtures")]),
        .testTarget(name: "HubTests", dependencies: ["RunnerTestSupport", "Hub", "Basics", "runner"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Basics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StagesTests", dependencies: ["RunnerTestSupport", "Stages", "Pipeline", "Recipe", "Models", "CPUBackend", "Formats", "Quant", "Tokenizer", "Data", "Training", "Compute", "Basics"],
                    resources: [.copy("Fixtures")], swiftSettings: numericSettings),
        .testTarget(name: "BenchTests", dependencies: ["RunnerTestSupport", "Bench", "Basics", "runner"]),
        .testTarget(name: "CLITests", dependencies: ["RunnerTestSupport", "RunnerCLI", "Pipeline", "Recipe", "Basics", "PipelineTestStages", "runner-testkit", "runner"]),
    ]
)
