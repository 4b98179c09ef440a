// Tensor views over owned and memory-mapped storage: offsets, strides, reshapes, uploads.
import Compute
import CPUBackend
import Foundation
import Testing

@Suite struct TensorTests {
    @Test func viewsShareStorageWithOffsetsAndStrides() {
        let values = (0..<24).map { Float($0) * 0.5 + 1 }
        let t = Tensor.host(values, shape: [2, 3, 4])
        #expect(t.isContiguous && t.count == 24 && t.byteCount == 96)
        let rows = t.rows(1..<2)
        #expect(rows.shape == [1, 3, 4] && rows.byteOffset == 48 && rows.isContiguous)
        #expect(rows.hostFloats() == Array(values[12..<24]))
        let column = t.slice(axis: 2, 1..<3)
        #expect(column.shape == [2, 3, 2] && column.strides == [12, 4, 1] && !column.isContiguous)
        let cpu = CPUBackend()
        let packed = cpu.allocate([2, 3, 2], dtype: .f32)
        cpu.copy(packed, from: column)
        var expected: [Float] = []
        for row in 0..<6 { expected += [values[row * 4 + 1], values[row * 4 + 2]] }
        #expect(cpu.readFloats(packed) == expected)
        #expect(t.reshaped([6, 4]).rows(5..<6).hostFloats() == Array(values[20..<24]))
    }

    @Test func mappedFilesBackTensorsWithoutCopies() throws {
        let values: [Float] = [1.5, -2.25, 3.125, 4, 5.5, -6]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tensor-\(UUID().uuidString).bin")
        try values.withUnsafeBytes { try Data($0).write(to: url) }
        defer { try? FileManager.default.removeItem(at: url) }
        let buffer = try HostBuffer.map(path: url.path)
        #expect(buffer.isReadOnly && buffer.byteCount == 24)
        let t = Tensor(storage: buffer, byteOffset: 8, shape: [2, 2], dtype: .f32)
        #expect(t.hostFloats() == [3.125, 4, 5.5, -6])
        let cpu = CPUBackend()
        let same = cpu.upload(t)
        #expect(same.storage === buffer, "an f32 host tensor uploads to the CPU without a copy")
        let half = cpu.upload(t, as: .bf16)
        #expect(half.dtype == .bf16 && cpu.readFloats(half) == [3.125, 4, 5.5, -6])
        #expect(throws: (any Error).self) { try HostBuffer.map(path: url.path + ".missing") }
    }
}
