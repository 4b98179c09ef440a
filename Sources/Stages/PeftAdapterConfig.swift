// The adapter configuration stages read and write is `Models.PeftAdapterConfig` (PEFT's
// `adapter_config.json`); this names it for every file of the module, and says how a recipe's
// `load` path becomes PEFT's `base_model_name_or_path` / `revision`.
import Foundation
import Models
import Pipeline

typealias PeftAdapterConfig = Models.PeftAdapterConfig

extension PeftAdapterConfig {
    /// This config with `base_model_name_or_path` (and `revision`) set from the `load` stage's
    /// `path` param when its params keep it (`hf://org/name@rev` → `org/name` at `rev`). A local
    /// path is hashed by content, not kept in the params: the field stays null then, as the base is
    /// identified by content and a path on this machine would mean nothing elsewhere.
    func identifyingBase(_ load: InputArtifact) -> PeftAdapterConfig {
        var config = self
        guard let object = try? JSONSerialization.jsonObject(with: Data(load.manifest.params.utf8)) as? [String: Any],
              let path = object["path"] as? String, !path.isEmpty else { return config }
        if path.hasPrefix("hf://") {
            let name = String(path.dropFirst("hf://".count))
            let parts = name.split(separator: "@", maxSplits: 1).map(String.init)
            config.baseModelNameOrPath = parts[0]
            config.revision = parts.count > 1 ? parts[1] : nil
        } else {
            config.baseModelNameOrPath = path
        }
        return config
    }
}
