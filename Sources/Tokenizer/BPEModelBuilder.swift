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
        var pieceIds: [String: Int32] = [:]
        pieceIds.reserveCapacity(pieces.count)
        var lookup = ByteKeyTable<Int32>(capacity: pieces.count)
        for (id, piece) in pieces.enumerated() where !piece.isEmpty {
            pieceIds[piece] = Int32(id)
            let key: [UInt8]
            switch units {
            case .bytes: key = ByteLevelAlphabet.bytes(of: piece) ?? Array(piece.utf8)
            case .scalars: key = Array(piece.utf8)
            }
            lookup.insert(key, Int32(id))
        }

        var table = PairTable(capacity: merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            func missing(_ token: String) -> DefinitionError {
                DefinitionError(keyPath: "\(mergesKeyPath)[\(rank)]",
                                message: "merge \"\(left) \(right)\" refers to \"\(token)\", which is not in the vocabulary",
                                hint: "the merges and the vocabulary must come from the same tokenizer",
                                offset: mergeOffsets?[rank])
            }
            guard let leftId = pieceIds[left] else { throw missing(left) }
            guard let rightId = pieceIds[right] else { throw missing(right) }
            guard let mergedId = pieceIds[left + right] else { throw missing(left + right) }
            table.set(leftId, rightId, rank: Int32(rank), merged: mergedId)
        }

        var byteUnitIds = [Int32](repeating: -1, count: 256)
        if units == .bytes {
            for byte in 0..<256 {
                byteUnitIds[byte] = pieceIds[String(ByteLevelAlphabet.scalarForByte[byte])] ?? -1
            }
        }
        var fallback: [Int32]?
        if byteFallback {
            fallback = (0..<256).map { byte in
                let hex = String(byte, radix: 16, uppercase: true)
                return pieceIds["<0x\(hex.count == 1 ? "0" + hex : hex)>"] ?? -1
            }
        }
        var unknownId: Int32?
        if let unknownToken {
            guard let id = pieceIds[unknownToken] else {
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
