// Open-addressing hash tables for the hot path: byte strings (vocabulary, piece cache) and id pairs
// (merge ranks). Lookups take raw buffers, so encoding allocates nothing per piece.

import Foundation

/// A fast, non-cryptographic 64-bit hash of a byte string (8 bytes per step).
@inline(__always)
func hashBytes(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    var index = 0
    while index + 8 <= bytes.count {
        let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 32
        index += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while index < bytes.count {
        tail |= UInt64(bytes[index]) << shift
        shift += 8
        index += 1
    }
    hash = (hash ^ tail) &* 0xC4CE_B9FE_1A85_EC53
    return hash ^ (hash >> 29)
}

/// A map from byte strings to values; keys are copied into one arena.
struct ByteKeyTable<Value> {
    private struct Entry {
        var hash: UInt64
        var start: Int
        var length: Int
    }

    private var slots: [Int32]  // entry index + 1; 0 = empty
    private var entries: [Entry] = []
    private var keyBytes: [UInt8] = []
    private(set) var values: [Value] = []

    var count: Int { entries.count }

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
    }

    /// The value stored for `key`, if any.
    @inline(__always)
    func find(_ key: UnsafeRawBufferPointer) -> Value? {
        guard let entry = entryIndex(key, hashBytes(key)) else { return nil }
        return values[entry]
    }

    func find(_ key: [UInt8]) -> Value? { key.withUnsafeBytes { find($0) } }

    private func entryIndex(_ key: UnsafeRawBufferPointer, _ hash: UInt64) -> Int? {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            keyBytes.withUnsafeBytes { arena in
                while true {
                    let stored = Int(slots[slot])
                    if stored == 0 { return nil }
                    let entry = entries[stored - 1]
                    if entry.hash == hash && entry.length == key.count
                        && (key.count == 0 || memcmp(arena.baseAddress! + entry.start, key.baseAddress!, key.count) == 0) {
                        return stored - 1
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// Stores `value` for `key`; returns false (and keeps the old value) when the key is present.
    @discardableResult
    mutating func insert(_ key: UnsafeRawBufferPointer, _ value: Value) -> Bool {
        let hash = hashBytes(key)
        if entryIndex(key, hash) != nil { return false }
        if (entries.count + 1) * 2 > slots.count { grow() }
        entries.append(Entry(hash: hash, start: keyBytes.count, length: key.count))
        keyBytes.append(contentsOf: key)
        values.append(value)
        place(entries.count - 1, hash)
        return true
    }

    @discardableResult
    mutating func insert(_ key: [UInt8], _ value: Value) -> Bool { key.withUnsafeBytes { insert($0, value) } }

    /// Stores `value` for `key`, replacing any earlier value (later vocabulary entries win).
    mutating func replaceValue(_ key: [UInt8], _ value: Value) {
        key.withUnsafeBytes { raw in
            if let index = entryIndex(raw, hashBytes(raw)) { values[index] = value } else { insert(raw, value) }
        }
    }

    mutating func removeAll() {
        for index in slots.indices { slots[index] = 0 }
        entries.removeAll(keepingCapacity: true)
        keyBytes.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    private mutating func place(_ entry: Int, _ hash: UInt64) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        for (index, entry) in entries.enumerated() { place(index, entry.hash) }
    }
}

/// A map from a pair of token ids to (merge rank, merged id).
struct PairTable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private static let empty = UInt64.max

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: PairTable.empty, count: size)
        values = [UInt64](repeating: 0, count: size)
    }

    @inline(__always) private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always) private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Sets the merge of (left, right); a later merge of the same pair replaces an earlier one.
    mutating func set(_ left: Int32, _ right: Int32, rank: Int32, merged: Int32) {
        let key = PairTable.key(left, right)
        let mask = keys.count - 1
        var slot = PairTable.slot(key, mask)
        while keys[slot] != PairTable.empty && keys[slot] != key { slot = (slot + 1) & mask }
        keys[slot] = key
        values[slot] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    /// (rank, merged id) of the pair, or nil when the two do not merge.
    @inline(__always)
    func get(_ left: Int32, _ right: Int32) -> (rank: Int32, merged: Int32)? {
        let key = PairTable.key(left, right)
        return keys.withUnsafeBufferPointer { keys in
            let mask = keys.count - 1
            var slot = PairTable.slot(key, mask)
            while true {
                let stored = keys[slot]
                if stored == key {
                    let value = values[slot]
                    return (Int32(truncatingIfNeeded: value >> 32), Int32(truncatingIfNeeded: value))
                }
                if stored == PairTable.empty { return nil }
                slot = (slot + 1) & mask
            }
        }
    }
}
