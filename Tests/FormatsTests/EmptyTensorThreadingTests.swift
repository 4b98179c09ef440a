// Zero-element tensors read from several threads at once. Building an empty array with
// `Array(unsafeUninitializedCapacity: 0)` wrote into the stdlib's shared empty-array singleton, a
// data race that `scripts/sanitize.sh thread FormatsTests` reports (docs/RELIABILITY.md, Sanitizers).
import Dispatch
import Formats
import Testing

struct EmptyTensorThreadingTests {
    @Test func zeroElementTensorsReadConcurrentlyAsEmpty() throws {
        let header = #"{"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"h":{"dtype":"F16","shape":[2,0],"data_offsets":[0,0]}}"#
        let file = try SafetensorsFile(storage: FileBytes(copying: SafetensorsHostileInputTests.file(header: header, dataBytes: 0),
                                                          name: "empty.safetensors"))
        let sizes = UnsafeMutableBufferPointer<Int>.allocate(capacity: 8)
        defer { sizes.deallocate() }
        sizes.initialize(repeating: -1)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            var total = 0
            for _ in 0..<200 {
                // Other threads reading some empty array's count at the same time is what raced.
                total += ((try? file.floats("e"))?.count ?? 1) + ((try? file.floats("h"))?.count ?? 1) + [Float]().count
            }
            sizes[worker] = total
        }
        #expect(Array(sizes) == [Int](repeating: 0, count: 8))
    }
}
