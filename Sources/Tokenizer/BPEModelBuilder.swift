// Builds a BPEModel from a vocabulary and merges, checking that every merge and special token refers
// to a token that exists. Errors name the offending entry (`model.merges[17]`).

import Basics

/// A problem in a tokenizer's definition: where (`keyPath`, optionally a file location) and what.
struct DefinitionError: Error {
    var keyPath: String
    var message: String
    var hint: String?
    var offset: Int?
}

extension BPEModel {
    /// - Parameters:
    ///   - pieces: token text by id (as the vocabulary spells it); "" marks an unused id.
    ///   - merges: pairs in priority order (first merges first).
    ///   - mergeOffsets: where each merge is in the source, for error locations.
    static func build(units: BPEUnits, pieces: [String], merges: [(String, String)], mergeOffsets: [Int]? = nil,
                      byteFallback: Bool, unknownToken: String?, fuseUnknown: Bool, ignoreMerges: Bool,
                      mergesKeyPath: String = "model.merges") throws -> BPEModel {
        // Keyed by exact UTF-8: Swift's String equality would merge canonically equivalent tokens
        // ("ά" U+03AC and U+1F71), which are distinct vocabulary entries.
        var pieceIds = ByteKeyTable<Int32>(capacity: pieces.count)
        var lookup = ByteKeyTable<Int32>(capacity: pieces.count)
        for (id, piece) in pieces.enumerated() where !piece.isEmpty {
            pieceIds.replaceValue(Array(piece.utf8), Int32(id))
            let key: [UInt8]
            switch units {
            case .bytes: key = ByteLevelAlphabet.bytes(of: piece) ?? Array(piece.utf8)
            case .scalars: key = Array(piece.utf8)
            }
            lookup.replaceValue(key, Int32(id))
        }

        var table = PairTable(capacity: merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            func missing(_ token: String) -> DefinitionError {
                DefinitionError(keyPath: "\(mergesKeyPath)[\(rank)]",
                                message: "merge \"\(left) \(right)\" refers to \"\(token)\", which is not in the vocabulary",
                                hint: "the merges and the vocabulary must come from the same tokenizer",
                                offset: mergeOffsets?[rank])
            }
            guard let leftId = pieceIds.find(Array(left.utf8)) else { throw missing(left) }
            guard let rightId = pieceIds.find(Array(right.utf8)) else { throw missing(right) }
            guard let mergedId = pieceIds.find(Array(left.utf8) + Array(right.utf8)) else { throw missing(left + right) }
            table.set(leftId, rightId, rank: Int32(rank), merged: mergedId)
        }

        var byteUnitIds = [Int32](repeating: -1, count: 256)
        if units == .bytes {
            for byte in 0..<256 {
                byteUnitIds[byte] = pieceIds.find(Array(String(ByteLevelAlphabet.scalarForByte[byte]).utf8)) ?? -1
            }
        }
        var fallback: [Int32]?
        if byteFallback {
            fallback = (0..<256).map { byte in
                let hex = String(byte, radix: 16, uppercase: true)
                return pieceIds.find(Array("<0x\(hex.count == 1 ? "0" + hex : hex)>".utf8)) ?? -1
            }
        }
        var unknownId: Int32?
        if let unknownToken {
            guard let id = pieceIds.find(Array(unknownToken.utf8)) else {
                throw DefinitionError(keyPath: "model.unk_token", message: "unknown token \"\(unknownToken)\" is not in the vocabulary",
                                      hint: "add it to model.vocab or remove unk_token")
            }
            unknownId = id
        }
        return BPEModel(units: units, pieces: pieces, pieceIds: pieceIds, lookup: lookup, byteUnitIds: byteUnitIds,
                        merges: table, byteFallbackIds: fallback, unknownId: unknownId, fuseUnknown: fuseUnknown,
                        ignoreMerges: ignoreMerges)
    }
}
