// libFuzzer target: a GGUF file (header, metadata, tensor table) through Formats.GGUFFile, then
// every tensor's byte view and, for small tensors, dequantization — what a model load touches first.
import Formats

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let storage = FileBytes(copying: UnsafeBufferPointer(start: data, count: size), name: "fuzz.gguf")
    guard let file = try? GGUFFile(storage: storage) else { return 0 }
    for key in file.metadata.keys {
        _ = try? file.metadata.string(key)
        _ = try? file.metadata.ints(key)
        _ = try? file.metadata.strings(key)
    }
    for tensor in file.tensors {
        let bytes = file.bytes(of: tensor)
        precondition(bytes.count == tensor.byteCount, "tensor view size differs from its byte count")
        // Dequantization allocates elementCount floats: only for sizes the input itself justifies.
        if tensor.elementCount <= 4 * size + 1024 { _ = try? file.dequantize(tensor) }
    }
    return 0
}
