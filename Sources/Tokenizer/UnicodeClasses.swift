// Character classes the pre-tokenizer regexes use (\p{L}, \p{N}, \s), decided from Unicode
// properties rather than a regex engine. The Basic Multilingual Plane is tabulated once.

/// Class bits for one Unicode scalar.
enum ScalarClass {
    static let letter: UInt8 = 1      // \p{L}: Lu, Ll, Lt, Lm, Lo
    static let number: UInt8 = 2      // \p{N}: Nd, Nl, No
    static let whitespace: UInt8 = 4  // \s: the White_Space property
    static let mark: UInt8 = 8        // \p{M}, for \w in single-word added tokens
    static let connector: UInt8 = 16  // Pc, for \w

    /// Classes of U+0000…U+FFFF, built once on first use (64 KiB).
    private static let bmp: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 0x10000)
        for value in 0..<0x10000 {
            guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }
            table[value] = compute(scalar)
        }
        return table
    }()

    private static func compute(_ scalar: Unicode.Scalar) -> UInt8 {
        var bits: UInt8 = scalar.properties.isWhitespace ? whitespace : 0
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: bits |= letter
        case .decimalNumber, .letterNumber, .otherNumber: bits |= number
        case .nonspacingMark, .spacingMark, .enclosingMark: bits |= mark
        case .connectorPunctuation: bits |= connector
        default: break
        }
        return bits
    }

    /// The class bits of the scalar with this value (a valid scalar value).
    @inline(__always)
    static func of(_ value: UInt32) -> UInt8 {
        if value < 0x10000 { return bmp[Int(value)] }
        return Unicode.Scalar(value).map(compute) ?? 0
    }
}

/// Decodes the scalar starting at `index` in valid UTF-8: its value and its length in bytes.
@inline(__always)
func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> (value: UInt32, length: Int) {
    let b0 = UInt32(bytes[index])
    if b0 < 0x80 { return (b0, 1) }
    if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F), 2) }
    if b0 < 0xF0 {
        return ((b0 & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F), 3)
    }
    return ((b0 & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
            | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F), 4)
}

/// Length in bytes of the UTF-8 sequence that starts with this lead byte.
@inline(__always)
func utf8Length(lead: UInt8) -> Int {
    lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
}
