// GPT-2's reversible map between bytes and printable Unicode characters: byte-level BPE vocabularies
// spell every token in this alphabet (a space is "Ġ", a newline "Ċ").

enum ByteLevelAlphabet {
    /// The character standing for each byte value.
    static let scalarForByte: [Unicode.Scalar] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for byte in printable { table[byte] = Unicode.Scalar(UInt32(byte))! }
        var next: UInt32 = 256
        for byte in 0..<256 where !printable.contains(byte) {
            table[byte] = Unicode.Scalar(next)!
            next += 1
        }
        return table
    }()

    /// The byte each alphabet character stands for.
    static let byteForScalar: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (byte, scalar) in scalarForByte.enumerated() { map[scalar] = UInt8(byte) }
        return map
    }()

    /// The raw bytes a token spelled in the alphabet stands for; nil when it uses another character.
    static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byteForScalar[scalar] else { return nil }
            out.append(byte)
        }
        return out
    }

    /// `bytes` spelled in the alphabet.
    static func spell(_ bytes: some Sequence<UInt8>) -> String {
        var out = String.UnicodeScalarView()
        for byte in bytes { out.append(scalarForByte[Int(byte)]) }
        return String(out)
    }
}
