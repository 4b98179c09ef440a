// The definitions of the built-in stage kinds: every key a recipe may write, with its type,
// default, range and documentation. Change a stage here and the validator, compiler, JSON
// Schema and docs/RECIPES.md all follow (the schema and docs tests say to regenerate).

enum BuiltinStages {
    static func spec(_ kind: StageKind) -> StageSpec {
        switch kind {
        case .load: return load
        case .quantize: return quantize
        case .prepare_kbit: return prepareKbit
        case .lora: return lora
        case .dataset: return dataset
        case .train: return train
        case .save: return save
        case .merge: return merge
        case .export: return export
        case .push: return push
        case .eval: return eval
        case .generate: return generate
        }
    }

    static let modelInputs: Set<ArtifactKind> = [.model, .quantizedModel, .preparedModel]
    /// `gradient_checkpointing`: `true` (whole layers, PEFT's meaning), `false`, or `selective`.
    static let checkpointingType = ParamType.oneOf([.bool, .choice(["selective"])])

    static let load = StageSpec(
        kind: "load",
        summary: "Loads a base model (weights, config and tokenizer) from a local GGUF/safetensors file or directory, or from the Hugging Face Hub.",
        params: [
            ParamSpec("path", .path(.input(directoryAllowed: true, remoteAllowed: true)), required: true,
                      doc: "Local file or directory (relative to the recipe file), or `hf://org/name[@revision]`."),
            ParamSpec("dtype", .choice(["f32", "bf16", "f16"]), default: .string("f32"),
                      doc: "Precision the weights are held in after loading."),
        ],
        output: .model)

    static let quantize = StageSpec(
        kind: "quantize",
        summary: "Quantizes the linear weights of an unquantized model to 4 or 8 bits (QLoRA-style, blockwise absmax).",
        inputs: [InputRole("from", accepts: [.model], doc: "The unquantized model to quantize.")],
        params: [
            ParamSpec("method", .choice(["nf4", "fp4", "int8"]), default: .string("nf4"), doc: "Quantization data type: `nf4`/`fp4` (4-bit, QLoRA) or `int8` (LLM.int8 row-wise absmax; trained on the dequantized weights). The artifact is a bitsandbytes checkpoint transformers loads."),
            ParamSpec("block_size", .int, default: .int(64), range: ParamRange(minimum: 32, maximum: 4096, powerOfTwo: true),
                      doc: "Weights per quantization block (one absmax scale each)."),
            ParamSpec("double_quant", .bool, default: .bool(true), doc: "Quantize the block scales too (8-bit, blocks of 256), saving ~0.4 bit per weight."),
            ParamSpec("compute_dtype", .choice(["f32", "bf16"]), default: .string("bf16"), doc: "Precision of the dequantized base weights in matmuls: `bf16` rounds them to bf16 (as bitsandbytes' bf16 compute); adapters and accumulation stay f32. `train`'s `matmul_precision: bf16` also rounds the matmul inputs."),
            ParamSpec("skip_modules", .list(.string), default: .list([.string("lm_head")]), doc: "Modules (name suffixes) left unquantized."),
        ],
        output: .quantizedModel)

    static let prepareKbit = StageSpec(
        kind: "prepare_kbit",
        summary: "Makes a quantized model ready for training adapters on it: norms upcast to f32, gradient checkpointing set up.",
        inputs: [InputRole("from", accepts: [.quantizedModel], doc: "The quantized model to prepare.")],
        params: [
            ParamSpec("gradient_checkpointing", checkpointingType, default: .bool(true),
                      doc: "Activation checkpointing, inherited by `train` (see there): `true`, `false` or `selective`."),
            ParamSpec("upcast_norms", .bool, default: .bool(true), doc: "Keep normalization weights in f32 for stable training."),
        ],
        output: .preparedModel)

    static let lora = StageSpec(
        kind: "lora",
        summary: "Attaches fresh LoRA adapters (A initialized randomly from the recipe seed, B zero) to a model.",
        inputs: [InputRole("from", accepts: modelInputs, doc: "The model to attach adapters to (unquantized, quantized or k-bit-prepared).")],
        params: [
            ParamSpec("r", .int, default: .int(8), range: .atLeast(1), doc: "Adapter rank."),
            ParamSpec("alpha", .double, default: .double(16), range: .above(0), doc: "Scaling numerator: updates are scaled by alpha/r (alpha/√r with `use_rslora`)."),
            ParamSpec("dropout", .double, default: .double(0.05), range: ParamRange(minimum: 0, maximum: 1, maximumExclusive: true),
                      doc: "Dropout on the adapter input during training."),
            ParamSpec("target_modules", .oneOf([.choice(["all-linear"]), .list(.string)]), default: .string("all-linear"),
                      range: nil, doc: "Linear modules (name suffixes such as `q_proj`) to adapt, or `all-linear` for every linear layer except the output head."),
            ParamSpec("use_rslora", .bool, default: .bool(false), doc: "Rank-stabilized scaling alpha/√r."),
            ParamSpec("use_dora", .bool, default: .bool(false),
                      doc: "DoRA (PEFT's `use_dora`): also train a magnitude per output row, starting at the row norms of W; each adapted weight becomes m·(W + s·B·A)/‖W + s·B·A‖. Linear layers only."),
            ParamSpec("init", .choice(["kaiming", "gaussian"]), default: .string("kaiming"), doc: "Initialization of the A matrices."),
            ParamSpec("bias", .choice(["none"]), default: .string("none"), doc: "Which biases to train (only `none` is supported)."),
            ParamSpec("modules_to_save", .list(.string), default: .list([]), doc: "Modules trained fully and saved alongside the adapters."),
        ],
        output: .adapterModel,
        usesSeed: true)

    static let dataset = StageSpec(
        kind: "dataset",
        summary: "Reads a dataset file (JSONL/JSON/CSV/text), formats prompts, tokenizes, masks the loss and optionally packs examples.",
        inputs: [InputRole("tokenizer", accepts: ArtifactKind.anyModel, doc: "A model stage whose tokenizer (and chat template) is used.")],
        params: [
            ParamSpec("path", .path(.input(directoryAllowed: false, remoteAllowed: false)), required: true, doc: "The training data file (JSONL, JSON, CSV/TSV or text; Parquet is not supported), relative to the recipe file."),
            ParamSpec("format", .choice(["alpaca", "prompt_completion", "chat", "text", "template"]), default: .string("alpaca"),
                      doc: "How records become prompts: `alpaca` (instruction/input/output), `prompt_completion`, `chat` (messages), `text` (raw), `template`."),
            ParamSpec("template", .string, doc: "Prompt text with `{field}` placeholders, for `format: template`; the completion starts at `{output}`, else is the `output` column, else starts at the last placeholder."),
            ParamSpec("columns", .stringMap, default: .map([:]), doc: "Renames: format field → column in the file (e.g. `instruction: question`); `records: KEY` names the list of records inside a JSON object."),
            ParamSpec("use_chat_template", .bool, default: .bool(false), doc: "Wrap prompts in the tokenizer's chat template."),
            ParamSpec("system_prompt", .string, doc: "System message for chat-templated prompts."),
            ParamSpec("loss_on", .choice(["completion", "all", "assistant"]), default: .string("completion"),
                      doc: "Which tokens the loss is computed on: the completion (after the prompt), all tokens, or the assistant turns of a conversation (messages may set `train: true/false`)."),
            ParamSpec("max_seq_len", .int, default: .int(512), range: .atLeast(8), doc: "Longest tokenized example."),
            ParamSpec("truncation", .choice(["right", "left"]), default: .string("right"), doc: "Which end of an overlong example is cut."),
            ParamSpec("overlong", .choice(["truncate", "drop"]), default: .string("truncate"), doc: "What happens to examples longer than `max_seq_len`."),
            ParamSpec("packing", .bool, default: .bool(false), doc: "Pack several examples into each sequence."),
            ParamSpec("shuffle", .bool, default: .bool(true), doc: "Shuffle examples (with the recipe seed)."),
            ParamSpec("eval_split", .double, default: .double(0), range: ParamRange(minimum: 0, maximum: 1, maximumExclusive: true),
                      doc: "Fraction of examples held out for evaluation."),
            ParamSpec("eval_path", .path(.input(directoryAllowed: false, remoteAllowed: false)), doc: "A separate evaluation file (instead of `eval_split`)."),
            ParamSpec("max_samples", .int, range: .atLeast(1), doc: "Use only the first N examples (after shuffling)."),
            ParamSpec("dedupe", .bool, default: .bool(false), doc: "Drop exact duplicate examples."),
            ParamSpec("on_error", .choice(["fail", "skip"]), default: .string("fail"), doc: "What a malformed record does: stop with its line number, or be skipped and counted."),
        ],
        rules: [
            ParamRule(.requires(param: "format", value: "template", required: "template")),
            ParamRule(.onlyWith(key: "template", param: "format", values: ["template"])),
            ParamRule(.exclusive(["eval_split", "eval_path"])),
            ParamRule(.onlyWith(key: "system_prompt", param: "use_chat_template", values: ["true"])),
        ],
        output: .dataset,
        usesSeed: true)

    static let train = StageSpec(
        kind: "train",
        summary: "Trains LoRA adapters (`mode: adapter`) or all weights (`mode: full`) on a tokenized dataset.",
        inputs: [
            InputRole("model", accepts: [.adapterModel], acceptsWhen: [(param: "mode", value: "full", accepts: [.model])],
                      doc: "A `lora` stage (adapter mode), or an unquantized model (full mode)."),
            InputRole("data", accepts: [.dataset], doc: "A `dataset` stage."),
        ],
        params: [
            ParamSpec("mode", .choice(["adapter", "full"]), default: .string("adapter"), doc: "Train only the adapters, or every weight."),
            ParamSpec("epochs", .int, default: .int(1), range: .atLeast(1), defaultUnlessSet: "max_steps",
                      doc: "Passes over the data (default 1 unless `max_steps` is set)."),
            ParamSpec("max_steps", .int, range: .atLeast(1), doc: "Optimizer steps to take (instead of `epochs`)."),
            ParamSpec("batch_size", .int, default: .int(1), range: .atLeast(1), doc: "Sequences per micro-batch."),
            ParamSpec("gradient_accumulation", .int, default: .int(1), range: .atLeast(1), doc: "Micro-batches per optimizer step."),
            ParamSpec("learning_rate", .double, default: .double(2e-4), range: .above(0), doc: "Peak learning rate."),
            ParamSpec("optimizer", .choice(["adamw", "adamw_8bit", "paged_adamw_8bit", "sgd"]), default: .string("adamw"), doc: "Optimizer."),
            ParamSpec("weight_decay", .double, default: .double(0), range: .atLeast(0), doc: "Decoupled weight decay."),
            ParamSpec("adam_beta1", .double, default: .double(0.9), range: ParamRange(minimum: 0, maximum: 1, maximumExclusive: true), doc: "Adam β₁."),
            ParamSpec("adam_beta2", .double, default: .double(0.999), range: ParamRange(minimum: 0, maximum: 1, maximumExclusive: true), doc: "Adam β₂."),
            ParamSpec("adam_epsilon", .double, default: .double(1e-8), range: .above(0), doc: "Adam ε."),
            ParamSpec("momentum", .double, range: ParamRange(minimum: 0, maximum: 1, maximumExclusive: true), doc: "SGD momentum (default 0)."),
            ParamSpec("scheduler", .choice(["constant", "linear", "cosine"]), default: .string("linear"), doc: "Learning-rate schedule after warmup."),
            ParamSpec("warmup_ratio", .double, default: .double(0), range: ParamRange(minimum: 0, maximum: 1, maximumExclusive: true),
                      defaultUnlessSet: "warmup_steps", doc: "Warmup length as a fraction of all steps (default 0 unless `warmup_steps` is set)."),
            ParamSpec("warmup_steps", .int, range: .atLeast(0), doc: "Warmup length in steps (instead of `warmup_ratio`)."),
            ParamSpec("min_lr_ratio", .double, default: .double(0), range: ParamRange(minimum: 0, maximum: 1), doc: "Final learning rate as a fraction of the peak."),
            ParamSpec("max_grad_norm", .double, default: .double(1.0), range: .atLeast(0), doc: "Gradient clipping norm; 0 disables clipping."),
            ParamSpec("eval_every", .int, range: .atLeast(1), doc: "Evaluate on the held-out split every N steps."),
            ParamSpec("log_every", .int, default: .int(1), range: .atLeast(1), doc: "Log loss and learning rate every N steps."),
            ParamSpec("save_every", .int, range: .atLeast(1), doc: "Write a resumable checkpoint every N steps."),
            ParamSpec("gradient_checkpointing", checkpointingType, default: .bool(false), inherit: (stageKind: "prepare_kbit", param: "gradient_checkpointing"),
                      doc: "What backward recomputes instead of keeping: `true` keeps each layer's input and re-runs the whole layer (PEFT's gradient checkpointing; least memory); `selective` keeps every matmul and attention output and recomputes only the norms and SwiGLU (no matmul is re-run, which for LoRA is about a quarter of a step's work; ~10× the activation memory of `true`, ~⅔ of `false`); `false` keeps everything. Losses and gradients are bit-identical across the three. When absent, inherited from an upstream `prepare_kbit` stage, else false."),
            // Not yet inherited from `quantize`'s compute_dtype (its default is bf16): bf16 matmuls are exact on the tiny
            // model but give wrong losses on SmolLM2-135M (see docs/PERFORMANCE.md, "Memory (NF4)").
            ParamSpec("matmul_precision", .choice(["f32", "bf16"]), default: .string("f32"),
                      doc: "How the frozen base weights multiply: `f32`, or `bf16` — weights and inputs rounded to bf16, products accumulated in f32 (as bitsandbytes' bf16 compute) on the CPU's bf16 units (AVX-512 BF16 or AMX; without them the products are f32). Adapters, attention, the loss and the optimizer stay f32; the base's dense matrices (a quantized base's embedding and LM head) are held in bf16. Adapter mode only. Experimental."),
        ],
        rules: [
            ParamRule(.exclusive(["epochs", "max_steps"])),
            ParamRule(.exclusive(["warmup_ratio", "warmup_steps"])),
            ParamRule(.onlyWith(key: "momentum", param: "optimizer", values: ["sgd"])),
        ],
        output: .trainedAdapter,
        outputWhen: [(param: "mode", value: "full", output: .model)],
        usesSeed: true)

    static let save = StageSpec(
        kind: "save",
        summary: "Writes a trained adapter to a directory in PEFT layout (`adapter_config.json` + `adapter_model.safetensors`).",
        inputs: [InputRole("from", accepts: [.trainedAdapter], doc: "A `train` stage in adapter mode.")],
        params: [
            ParamSpec("path", .path(.output), required: true, doc: "Output directory, relative to the recipe file."),
            ParamSpec("format", .choice(["peft"]), default: .string("peft"), doc: "On-disk layout."),
        ],
        output: .savedAdapter)

    static let merge = StageSpec(
        kind: "merge",
        summary: "Merges trained LoRA adapters into their base model's weights, giving a plain model.",
        inputs: [
            InputRole("adapter", accepts: [.trainedAdapter, .savedAdapter], doc: "A `train` (adapter mode) or `save` stage."),
            InputRole("base", accepts: modelInputs, doc: "The model the adapter was trained on (quantized bases are dequantized)."),
        ],
        params: [
            ParamSpec("dtype", .choice(["f16", "bf16", "f32"]), default: .string("bf16"), doc: "Precision of the merged weights."),
            ParamSpec("path", .path(.output), doc: "Also write the merged model (safetensors) to this directory."),
            ParamSpec("max_shard_size", .byteSize, default: .int(2_000_000_000), doc: "Largest safetensors shard, e.g. `2GB` or `500MB`."),
        ],
        output: .model)

    static let export = StageSpec(
        kind: "export",
        summary: "Converts a model to a GGUF file for llama.cpp / Ollama.",
        inputs: [InputRole("from", accepts: [.model], doc: "An unquantized model, typically from `merge`.")],
        params: [
            ParamSpec("path", .path(.output), required: true, doc: "Output `.gguf` file, relative to the recipe file."),
            ParamSpec("type", .choice(["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q4_k_s", "q5_k_m", "q5_k_s", "q6_k"]), default: .string("f16"),
                      doc: "GGUF tensor type for the weights: `f32`/`f16`/`bf16`/`q8_0`/`q4_0`, or a llama-quantize K-quant preset (`q4_k_m`, `q4_k_s`, `q5_k_m`, `q5_k_s`, `q6_k`) with its per-tensor mix: output matrix Q6_K, some attn_v/ffn_down layers with more bits; matrices whose rows are not a multiple of 256 take llama-quantize's fallback (Q5_0, Q5_1, Q8_0). Norms stay F32."),
            ParamSpec("modelfile", .bool, default: .bool(false), doc: "Also write an Ollama `Modelfile` next to the GGUF file."),
        ],
        output: .gguf)

    static let push = StageSpec(
        kind: "push",
        summary: "Publishes an artifact to the Hugging Face Hub or a git remote.",
        inputs: [InputRole("from", accepts: [.savedAdapter, .trainedAdapter, .model, .gguf], doc: "What to publish: an adapter, a model or a GGUF file.")],
        params: [
            ParamSpec("repo", .string, required: true, doc: "`hf://org/name`, or a git remote URL or path."),
            ParamSpec("private", .bool, default: .bool(true), doc: "Create the repository as private."),
            ParamSpec("commit_message", .string, default: .string("Upload with runner"), doc: "Commit message."),
            ParamSpec("branch", .string, default: .string("main"), doc: "Branch to push to."),
        ],
        output: .published)

    static let eval = StageSpec(
        kind: "eval",
        summary: "Answers held-out questions with a model (greedy decoding) and scores the answers by fact recall and ROUGE-L, optionally against a baseline model.",
        inputs: [
            InputRole("model", accepts: ArtifactKind.anyModel, doc: "The model to evaluate."),
            InputRole("baseline", accepts: ArtifactKind.anyModel, required: false, doc: "A model evaluated the same way, to compare against (e.g. the base)."),
        ],
        params: [
            ParamSpec("path", .path(.input(directoryAllowed: false, remoteAllowed: false)), required: true,
                      doc: "Held-out questions, relative to the recipe file: JSON (a list of records, or an object holding one list, like data/faq-heldout.json) or JSON Lines. Each record has `prompt` (or `question`), `reference` (or `reference_answer`) and/or `facts` (or `required_facts`, a list of strings), and optionally `id`."),
            ParamSpec("max_new_tokens", .int, default: .int(128), range: .atLeast(1), doc: "Longest generated answer."),
            ParamSpec("metrics", .list(.choice(["fact_recall", "rouge_l"])), default: .list([.string("fact_recall"), .string("rouge_l")]),
                      range: ParamRange(minItems: 1),
                      doc: "`fact_recall`: share of all required facts found in the answers (lowercased, punctuation and spacing ignored, whole words). `rouge_l`: mean ROUGE-L F-measure against the references (as the `rouge-score` package computes it, no stemming)."),
            ParamSpec("chat", .bool, default: .bool(true), doc: "Wrap questions in the model's chat template."),
            ParamSpec("system", .string, doc: "System message when `chat` is true."),
            ParamSpec("max_samples", .int, range: .atLeast(1), doc: "Evaluate only the first N questions."),
        ],
        rules: [ParamRule(.onlyWith(key: "system", param: "chat", values: ["true"]))],
        output: .report)

    static let generate = StageSpec(
        kind: "generate",
        summary: "Generates text from a model for a list of prompts.",
        inputs: [InputRole("model", accepts: ArtifactKind.anyModel, doc: "The model to generate with.")],
        params: [
            ParamSpec("prompts", .list(.string), range: ParamRange(minItems: 1), required: true, doc: "Prompts to answer."),
            ParamSpec("max_new_tokens", .int, default: .int(128), range: .atLeast(1), doc: "Longest generated answer."),
            ParamSpec("temperature", .double, default: .double(0), range: .atLeast(0), doc: "Sampling temperature; 0 is greedy decoding."),
            ParamSpec("top_k", .int, range: .atLeast(1), doc: "Sample only from the k most likely tokens."),
            ParamSpec("top_p", .double, range: ParamRange(minimum: 0, minimumExclusive: true, maximum: 1), doc: "Nucleus sampling probability mass."),
            ParamSpec("repetition_penalty", .double, default: .double(1.0), range: .above(0), doc: "Penalty on already generated tokens (1 = none)."),
            ParamSpec("chat", .bool, default: .bool(true), doc: "Wrap prompts in the model's chat template."),
            ParamSpec("system", .string, doc: "System message when `chat` is true."),
        ],
        rules: [ParamRule(.onlyWith(key: "system", param: "chat", values: ["true"]))],
        output: .generations,
        usesSeed: true)
}
