// Cache keys: deterministic, independent of dictionary order, and sensitive to every component.
import Pipeline
import Recipe
import Testing

private let base = CacheKeyInput(kind: "lora", implementationVersion: 1, params: ["r": .int(16), "alpha": .double(32)],
                                 inputKeys: ["from": "abc"], fileDigests: ["path": "def"])

@Test func keyIsSHA256HexOfTheCanonicalEncoding() {
    let key = CacheKey.compute(base)
    #expect(key.count == 64 && key.allSatisfy { "0123456789abcdef".contains($0) })
    #expect(CacheKey.canonicalEncoding(base) == """
        runner-cache-key
        {"files":{"path":"def"},"implementation_version":1,"inputs":{"from":"abc"},"kind":"lora","params":{"alpha":32.0,"r":16},"scheme":1}
        """)
}

@Test func keyIgnoresConstructionOrder() {
    let reordered = CacheKeyInput(kind: "lora", implementationVersion: 1, params: ["alpha": .double(32), "r": .int(16)],
                                  inputKeys: ["from": "abc"], fileDigests: ["path": "def"])
    #expect(CacheKey.compute(reordered) == CacheKey.compute(base))
}

@Test func everyComponentChangesTheKey() {
    var variants: [CacheKeyInput] = []
    var v = base; v.kind = "train"; variants.append(v)
    v = base; v.implementationVersion = 2; variants.append(v)
    v = base; v.params["r"] = .int(32); variants.append(v)
    v = base; v.params["r"] = .double(16); variants.append(v)  // typed: 16 and 16.0 differ
    v = base; v.inputKeys["from"] = "abd"; variants.append(v)
    v = base; v.inputKeys = ["model": "abc"]; variants.append(v)  // role matters
    v = base; v.fileDigests["path"] = "deg"; variants.append(v)
    let keys = Set(variants.map(CacheKey.compute) + [CacheKey.compute(base)])
    #expect(keys.count == variants.count + 1)
}
