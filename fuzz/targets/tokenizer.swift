// libFuzzer target: tokenizer.json through Tokenizer(tokenizerJSON:); a tokenizer that loads then
// encodes and decodes a fixed text that exercises added tokens, bytes and normalization.
import Foundation
import Tokenizer

private let probe = "Hello, world! <|im_start|>user\n  ünïcödé 🙂 \t\r\n 12345 <s></s> don't"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let json = Data(bytes: data, count: size)
    guard let tokenizer = try? Tokenizer(tokenizerJSON: json, file: "fuzz/tokenizer.json") else { return 0 }
    let ids = tokenizer.encode(probe)
    _ = tokenizer.decode(ids)
    _ = tokenizer.decode(ids, skipSpecialTokens: true)
    _ = tokenizer.decode([0, 1, 2, -1, Int32.max])
    return 0
}
