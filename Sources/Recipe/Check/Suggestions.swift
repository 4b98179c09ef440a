// "Did you mean …?": the nearest valid name by Damerau–Levenshtein distance (optimal string
// alignment), plus the names other fine-tuning tools use for the same settings.

enum Suggestions {
    /// Names users bring from transformers/PEFT/axolotl, mapped to runner's keys.
    static let knownAliases: [String: String] = [
        "lr": "learning_rate", "num_train_epochs": "epochs", "num_epochs": "epochs", "epoch": "epochs",
        "steps": "max_steps", "per_device_train_batch_size": "batch_size", "micro_batch_size": "batch_size",
        "gradient_accumulation_steps": "gradient_accumulation", "lr_scheduler_type": "scheduler",
        "lr_scheduler": "scheduler", "lora_r": "r", "rank": "r", "lora_alpha": "alpha", "lora_dropout": "dropout",
        "optim": "optimizer", "sequence_len": "max_seq_len", "max_length": "max_seq_len", "cutoff_len": "max_seq_len",
        "bnb_4bit_quant_type": "method", "bnb_4bit_use_double_quant": "double_quant",
        "bnb_4bit_compute_dtype": "compute_dtype", "torch_dtype": "dtype", "source": "path", "file": "path",
        "input": "from", "base_model": "from", "dataset": "data", "logging_steps": "log_every",
        "save_steps": "save_every", "eval_steps": "eval_every",
    ]

    /// The best suggestion for `word` among `candidates`, or nil when nothing is close enough.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        if let alias = knownAliases[word], candidates.contains(alias) { return alias }
        let lower = word.lowercased()
        if let same = candidates.first(where: { $0.lowercased() == lower }) { return same }
        let threshold = max(1, min(3, word.count / 3))
        var best: (String, Int)? = nil
        for candidate in candidates {
            let d = distance(lower, candidate.lowercased())
            if d <= threshold, d < (best?.1 ?? .max) { best = (candidate, d) }
        }
        if let best { return best.0 }
        // `learning` for `learning_rate`: a long prefix of exactly one candidate.
        let prefixed = candidates.filter { word.count >= 4 && $0.hasPrefix(lower) }
        return prefixed.count == 1 ? prefixed[0] : nil
    }

    /// "did you mean `x`?" or nil.
    static func hint(_ word: String, in candidates: [String]) -> String? {
        nearest(word, in: candidates).map { "did you mean `\($0)`?" }
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    cur[j] = min(cur[j], prev2[j - 2] + 1)
                }
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }

    /// `a`, `b` or `c` — for listing allowed values.
    static func list(_ names: [String], conjunction: String = "or") -> String {
        let quoted = names.map { "`\($0)`" }
        if quoted.count <= 1 { return quoted.first ?? "" }
        return quoted.dropLast().joined(separator: ", ") + " \(conjunction) " + quoted.last!
    }
}
