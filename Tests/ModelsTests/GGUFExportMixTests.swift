// llama-quantize's per-tensor mix as `export` applies it: which matrices of a K-quant preset get
// more bits, the output matrix's Q6_K, and the fallbacks when rows are not whole super-blocks.
import Models
import Quant
import Testing

@Suite struct GGUFExportMixTests {
    typealias Role = GGUFExportType.MatrixRole

    struct Choice: Equatable {
        var type: GGMLType
        var deviation: GGUFExportType.Deviation?
        init(_ type: GGMLType, _ deviation: GGUFExportType.Deviation?) { (self.type, self.deviation) = (type, deviation) }
    }

    func choice(_ preset: GGUFExportType, _ shape: [Int], _ role: Role) -> Choice {
        let (type, deviation) = preset.tensorType(shape: shape, role: role)
        return Choice(type, deviation)
    }

    @Test func useMoreBitsLayersOfA30LayerModel() {
        // First and last eighth (n/8 = 3, 7n/8 = 26) and every third layer between, from layer 5.
        let layers = (0 ..< 30).filter { GGUFExportType.usesMoreBits(layer: $0, layers: 30) }
        #expect(layers == [0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 27, 28, 29])
        #expect((0 ..< 2).filter { GGUFExportType.usesMoreBits(layer: $0, layers: 2) } == [1])
    }

    @Test func mixPerPresetAndRole() {
        let n = 32
        func types(_ preset: GGUFExportType, _ role: (Int) -> Role) -> [GGMLType] { (0 ..< n).map { preset.mixType(for: role($0)) } }
        let v = { (i: Int) in Role.attentionValue(layer: i, layers: n) }
        let down = { (i: Int) in Role.feedForwardDown(layer: i, layers: n) }
        let more = (0 ..< n).map { GGUFExportType.usesMoreBits(layer: $0, layers: n) }

        #expect(types(.q4_k_m, v) == more.map { $0 ? .q6_K : .q4_K })
        #expect(types(.q4_k_m, down) == more.map { $0 ? .q6_K : .q4_K })
        #expect(types(.q5_k_m, v) == more.map { $0 ? .q6_K : .q5_K })
        #expect(types(.q5_k_m, down) == more.map { $0 ? .q6_K : .q5_K })
        #expect(types(.q4_k_s, v) == (0 ..< n).map { $0 < 4 ? .q5_K : .q4_K })
        #expect(types(.q4_k_s, down) == (0 ..< n).map { $0 < n / 8 ? .q5_K : .q4_K })
        #expect(types(.q5_k_s, v).allSatisfy { $0 == .q5_K } && types(.q5_k_s, down).allSatisfy { $0 == .q5_K })
        #expect(types(.q6_k, v).allSatisfy { $0 == .q6_K })

        for preset in [GGUFExportType.q4_k_m, .q4_k_s, .q5_k_m, .q5_k_s, .q6_k] {
            #expect(preset.mixType(for: .output) == .q6_K, "\(preset)")
            #expect(preset.mixType(for: .tokenEmbedding) == preset.ggmlType, "\(preset)")
            #expect(preset.mixType(for: .other) == preset.ggmlType, "\(preset)")
            #expect(preset.isKQuant)
        }
        #expect(GGUFExportType.q4_0.mixType(for: .output) == .q6_K)
        #expect(GGUFExportType.q8_0.mixType(for: .output) == .q8_0)
        #expect(GGUFExportType.f16.mixType(for: .output) == .f16 && !GGUFExportType.f16.isKQuant)
    }

    @Test func fileTypesAreLlamaCppsEnum() {
        let ids = Dictionary(uniqueKeysWithValues: GGUFExportType.allCases.map { ($0.rawValue, $0.fileType) })
        #expect(ids == ["f32": 0, "f16": 1, "bf16": 32, "q8_0": 7, "q4_0": 2,
                        "q4_k_s": 14, "q4_k_m": 15, "q5_k_s": 16, "q5_k_m": 17, "q6_k": 18])
    }

    @Test func smolLM2ShapesTakeTheFallbacks() {
        // SmolLM2-135M: d = 576 (not a multiple of 256), ffn 1536 (= 6 × 256).
        let q4km = GGUFExportType.q4_k_m
        #expect(choice(q4km, [576, 576], .other) == Choice(.q5_0, .kQuantRowsNotSuperBlockAligned(rowLength: 576, wanted: .q4_K)))
        #expect(choice(q4km, [192, 576], .attentionValue(layer: 0, layers: 30)) == Choice(.q8_0, .kQuantRowsNotSuperBlockAligned(rowLength: 576, wanted: .q6_K)))
        #expect(choice(q4km, [576, 1536], .feedForwardDown(layer: 0, layers: 30)) == Choice(.q6_K, nil))
        #expect(choice(q4km, [576, 1536], .feedForwardDown(layer: 3, layers: 30)) == Choice(.q4_K, nil))
        #expect(choice(q4km, [49152, 576], .output) == Choice(.q8_0, .outputMatrixKeepsPrecision))
        #expect(choice(q4km, [576], .other) == Choice(.f32, nil))
        #expect(choice(GGUFExportType.q5_k_s, [1536, 576], .other) == Choice(.q5_1, .kQuantRowsNotSuperBlockAligned(rowLength: 576, wanted: .q5_K)))
        #expect(choice(GGUFExportType.q6_k, [1536, 576], .other) == Choice(.q8_0, .kQuantRowsNotSuperBlockAligned(rowLength: 576, wanted: .q6_K)))
        // Rows no 32-value type can hold either: F16.
        #expect(choice(q4km, [64, 100], .other) == Choice(.f16, .kQuantRowsNotSuperBlockAligned(rowLength: 100, wanted: .q4_K)))
        #expect(choice(q4km, [64, 100], .output) == Choice(.f16, .rowsNotBlockAligned(rowLength: 100, blockSize: 32)))
        // Whole super-blocks: the mix, no deviation; Q4_0 gives its output matrix Q6_K as llama-quantize does.
        #expect(choice(q4km, [4096, 4096], .output) == Choice(.q6_K, nil))
        #expect(choice(GGUFExportType.q4_0, [32000, 4096], .output) == Choice(.q6_K, nil))
        #expect(choice(GGUFExportType.q4_0, [49152, 576], .output) == Choice(.q8_0, .outputMatrixKeepsPrecision))
        #expect(choice(GGUFExportType.q8_0, [4096, 4096], .output) == Choice(.q8_0, nil))
    }
}
