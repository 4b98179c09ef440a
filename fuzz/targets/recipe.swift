// libFuzzer target: a recipe (YAML or JSON) through RecipeLoader.analyze — parse, check, compile —
// from a scratch file, so `extends` and relative paths resolve as they would for a user.
import Foundation
import Recipe

private let directory: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("runner-fuzz-recipe-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()
private let yamlFile = directory.appendingPathComponent("recipe.yaml")
private let jsonFile = directory.appendingPathComponent("recipe.json")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecipe(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    // A leading `{` is JSON by extension too, the way users name their files.
    let file = bytes.first == UInt8(ascii: "{") ? jsonFile : yamlFile
    do { try bytes.write(to: file) } catch { return 0 }
    _ = RecipeLoader.analyze(file: file, overrides: ["stages.x.y=1"])
    return 0
}
