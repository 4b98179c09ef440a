// Compilation: canonical params (spelling, order and format change nothing), defaults, seeds,
// inputs, files, topological order, `extends`, `--set`, and test-only stage kinds.
import Basics
import Foundation
import Testing
@testable import Recipe

@Suite struct CompileTests {
    /// Stage name → (kind, params canonical JSON, inputs, files, output).
    func fingerprint(_ recipe: CompiledRecipe) -> [String] {
        recipe.stages.map { s in
            let files = s.inputFiles.keys.sorted().map { "\($0)=\(s.inputFiles[$0]!.path)" }.joined(separator: ",")
            let inputs = s.inputs.keys.sorted().map { "\($0)=\(s.inputs[$0]!)" }.joined(separator: ",")
            return "\(s.name) \(s.kind) \(ParamValue.map(s.params).canonicalJSON) [\(inputs)] [\(files)] \(s.outputPath?.path ?? "-")"
        }
    }

    @Test func spellingOrderAndFormatDoNotMatter() throws {
        let yaml = try compiled("qlora.yaml")
        let json = try compiled("qlora.json")
        let respelled = try compiled("qlora_respelled.yaml")
        #expect(fingerprint(yaml) == fingerprint(json))
        #expect(fingerprint(yaml) == fingerprint(respelled))
        #expect(yaml.resolved.canonicalJSON == json.resolved.canonicalJSON)
        #expect(yaml.resolved.canonicalJSON == respelled.resolved.canonicalJSON)
    }

    @Test func paramsAreTypedWithDefaultsFilled() throws {
        let recipe = try compiled("qlora.yaml")
        let stage = { (name: String) in recipe.stages.first { $0.name == name }! }
        let lora = stage("adapter")
        #expect(lora.params == [
            "r": .int(16), "alpha": .double(32), "dropout": .double(0.05),
            "target_modules": .list([.string("q_proj"), .string("k_proj"), .string("v_proj"), .string("o_proj")]),
            "use_rslora": .bool(false), "use_dora": .bool(false), "init": .string("kaiming"), "bias": .string("none"),
            "modules_to_save": .list([]), "seed": .int(42),
        ])
        #expect(lora.inputs == ["from": "prepared"])
        let train = stage("train")
        #expect(train.params["learning_rate"] == .double(0.0002))
        #expect(train.params["adam_epsilon"] == .double(1e-8))
        #expect(train.params["max_steps"] == .int(20))
        #expect(train.params["epochs"] == nil, "epochs defaults only when max_steps is not set")
        #expect(train.params["warmup_ratio"] == .double(0))
        #expect(train.params["gradient_checkpointing"] == .bool(false), "inherited from prepare_kbit")
        #expect(train.params["seed"] == .int(42))
        let quantize = stage("q4")
        #expect(quantize.params["seed"] == nil, "quantize uses no randomness")
        #expect(quantize.params["skip_modules"] == .list([.string("lm_head")]))
    }

    @Test func pathsResolveAgainstTheRecipeDirectory() throws {
        let recipe = try compiled("qlora.yaml")
        let root = Paths.fixtures.standardizedFileURL.path
        let load = recipe.stages.first { $0.kind == "load" }!
        #expect(load.params["path"] == nil, "local paths move to inputFiles; content, not the name, feeds the key")
        #expect(load.inputFiles["path"]?.path == root + "/data/tiny-model")
        let dataset = recipe.stages.first { $0.kind == "dataset" }!
        #expect(dataset.inputFiles["path"]?.path == root + "/data/train.jsonl")
        let save = recipe.stages.first { $0.kind == "save" }!
        #expect(save.outputPath?.path == root + "/good/out/adapter")
        #expect(save.outputRoot?.path == root + "/good", "outputs must stay inside the recipe's directory")
        #expect(save.params == ["format": .string("peft")])
        #expect(recipe.projectDirectory.path == root + "/good")
    }

    @Test func stagesAreInDeterministicTopologicalOrder() throws {
        let recipe = try compiled("everything.yaml")
        let names = recipe.stages.map(\.name)
        for stage in recipe.stages {
            for upstream in stage.inputs.values {
                #expect(names.firstIndex(of: upstream)! < names.firstIndex(of: stage.name)!)
            }
        }
        #expect(names == ["base", "chat", "local", "plain", "full", "q", "prep", "ad", "talk", "tune", "keep", "merged", "gg", "pub", "score"])
    }

    @Test func remoteSourcesBecomeRemoteInputsAndYAMLStringsStayStrings() throws {
        let recipe = try compiled("everything.yaml")
        let stage = { (name: String) in recipe.stages.first { $0.name == name }! }
        #expect(stage("base").params["path"] == nil, "the planner pins remote sources; their pin feeds the key, not the text")
        #expect(stage("base").remoteInputs["path"] == "hf://HuggingFaceTB/SmolLM2-135M-Instruct@main")
        #expect(stage("base").inputFiles.isEmpty)
        #expect(stage("chat").params["system_prompt"] == .string("NO"), "`NO` where a string is expected is the string NO")
        #expect(stage("pub").params["commit_message"] == .string("NO"))
        #expect(stage("merged").params["max_shard_size"] == .int(500_000_000))
        #expect(stage("tune").params["gradient_checkpointing"] == .bool(true), "inherited through lora from prepare_kbit")
        #expect(stage("full").params["gradient_checkpointing"] == .string("selective"))
        #expect(stage("talk").params["seed"] == .int(3))
    }

    @Test func extendsChainsMerge() throws {
        let recipe = try compiled("child.yaml")
        #expect(recipe.name == "child")
        #expect(recipe.seed == 1)
        #expect(recipe.stages.map(\.name) == ["base", "adapter", "data", "train"], "`sample: null` removed the stage")
        let lora = recipe.stages.first { $0.name == "adapter" }!
        #expect(lora.params["r"] == .int(32))
        #expect(lora.params["alpha"] == .double(64))
        #expect(lora.params["dropout"] == .double(0.1))
        let train = recipe.stages.first { $0.name == "train" }!
        #expect(train.params["epochs"] == .int(2))
        #expect(train.params["learning_rate"] == .double(1e-4))
        #expect(recipe.file.lastPathComponent == "child.yaml")
        #expect(train.inputFiles.isEmpty)
        let data = recipe.stages.first { $0.name == "data" }!
        #expect(data.inputFiles["path"]?.path == Paths.fixtures.standardizedFileURL.path + "/data/train.jsonl",
                "a parent's relative paths resolve against the parent's own directory")
    }

    @Test func overridesAreTypedLikeFileValues() throws {
        let base = try compiled("qlora.yaml")
        let changed = try compiled("qlora.yaml", overrides: ["stages.adapter.r=32", "stages.train.learning_rate=2e-4", "seed=7",
                                                             "stages.adapter.target_modules=[q_proj, v_proj]"])
        let lora = changed.stages.first { $0.name == "adapter" }!
        #expect(lora.params["r"] == .int(32))
        #expect(lora.params["target_modules"] == .list([.string("q_proj"), .string("v_proj")]))
        #expect(lora.params["seed"] == .int(7))
        #expect(lora.keyLocations["r"] == SourceLocation(file: "--set[1]", line: 1, column: 18))
        #expect(lora.keyLocations["alpha"]?.line == 22, "keys written in the file keep their file position")
        #expect(lora.keyLocations["dropout"] == nil, "defaults have no location")
        let train = { (r: CompiledRecipe) in r.stages.first { $0.name == "train" }!.params }
        #expect(train(changed)["learning_rate"] == train(base)["learning_rate"])
        // Unsetting with an empty value restores the default.
        let unset = try compiled("qlora.yaml", overrides: ["stages.adapter.r="])
        #expect(unset.stages.first { $0.name == "adapter" }!.params["r"] == .int(8))
    }

    @Test func seedOnlyReachesStagesThatUseIt() throws {
        let a = try compiled("qlora.yaml")
        let b = try compiled("qlora.yaml", overrides: ["seed=43"])
        let changed = zip(a.stages, b.stages).filter { $0.params != $1.params }.map(\.0.name)
        #expect(Set(changed) == ["adapter", "data", "train"])
    }

    @Test func anchorsAndMergeKeys() throws {
        let recipe = try compiled("anchors.yaml")
        let small = recipe.stages.first { $0.name == "small" }!
        let large = recipe.stages.first { $0.name == "large" }!
        #expect(small.params["r"] == .int(4))
        #expect(small.params["alpha"] == .double(32))
        #expect(large.params["alpha"] == .double(128))
        #expect(large.params["dropout"] == .double(0.1))
    }

    @Test func testOnlyStageKinds() throws {
        let text = ArtifactKind("text", noun: "text")
        let source = StageSpec(kind: "test_source", summary: "Emits a string.",
                               params: [ParamSpec("value", .string, required: true, doc: "The text.")], output: text)
        let concat = StageSpec(kind: "test_concat", summary: "Joins two texts.",
                               inputs: [InputRole("left", accepts: [text], doc: "First."), InputRole("right", accepts: [text], doc: "Second.")],
                               params: [ParamSpec("separator", .string, default: .string(" "), doc: "Between them.")],
                               output: text, usesSeed: true)
        let catalog = StageCatalog.builtin.adding(source).adding(concat)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("r.yaml")
        try """
        version: 1
        name: t
        stages:
          a: {kind: test_source, value: hello}
          b: {kind: test_source, value: world}
          c: {kind: test_concat, left: a, right: b}
        """.write(to: file, atomically: true, encoding: .utf8)
        let recipe = try RecipeLoader.compile(file: file, catalog: catalog)
        #expect(recipe.stages.map(\.name) == ["a", "b", "c"])
        #expect(recipe.stages[2].params == ["separator": .string(" "), "seed": .int(0)])
        #expect(recipe.stages[2].inputs == ["left": "a", "right": "b"])
        #expect(throws: DiagnosticError.self) { try RecipeLoader.compile(file: file) }
    }
}
