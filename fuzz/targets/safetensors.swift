// libFuzzer target: a .safetensors file (length prefix, JSON header, data section) through
// Formats.SafetensorsFile, then every tensor's byte view and its f32 conversion.
import Formats

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let storage = FileBytes(copying: UnsafeBufferPointer(start: data, count: size), name: "fuzz.safetensors")
    guard let file = try? SafetensorsFile(storage: storage) else { return 0 }
    for tensor in file.tensors {
        let bytes = file.bytes(of: tensor)
        precondition(bytes.count == tensor.byteCount, "tensor view size differs from its byte count")
        precondition(tensor.fileOffset + tensor.byteCount <= size, "tensor view past the end of the file")
        _ = try? file.floats(of: tensor)
    }
    return 0
}
