import FoundationEssentials

/// A hash index from string keys to slot numbers: open addressing with linear probing, at most half full, 4 bytes a
/// bucket. It does not hold the keys: `keys[slot]` is the key of a slot, in an array its owner keeps, and every call
/// takes that array. A `[String: Int32]` of 100,000 keys holds 262,144 buckets of 20 bytes (5 MiB); this one 1 MiB.
struct SlotIndex: Sendable {
    /// Slot numbers; `empty` marks a free bucket. The count is zero or a power of two.
    private(set) var buckets: [Int32] = []
    private(set) var count = 0

    static let empty: Int32 = -1

    /// The slot stored under `key`.
    func slot(_ key: String, keys: [String]) -> Int32? {
        guard count > 0 else { return nil }
        let (b, found) = probe(key, keys)
        return found ? buckets[b] : nil
    }

    /// Stores `slot` under `key`, replacing the slot stored there. `keys[slot]` must be `key`.
    mutating func set(_ key: String, _ slot: Int32, keys: [String]) {
        if (count + 1) * 2 > buckets.count { rehash(to: Self.size(for: count + 1), keys: keys) }
        let (b, found) = probe(key, keys)
        buckets[b] = slot
        if !found { count += 1 }
    }

    /// The slot stored under `key`; if there is none, stores `newSlot` under it and returns nil (one probe for both).
    /// The caller then makes `keys[newSlot]` `key` before the next call.
    mutating func slotOrInsert(_ key: String, _ newSlot: Int32, keys: [String]) -> Int32? {
        if (count + 1) * 2 > buckets.count { rehash(to: Self.size(for: count + 1), keys: keys) }
        let (b, found) = probe(key, keys)
        if found { return buckets[b] }
        buckets[b] = newSlot
        count += 1
        return nil
    }

    /// Points `key` at `new` if it is stored with `old` (before `keys[new]` becomes `key`).
    mutating func repoint(_ key: String, from old: Int32, to new: Int32, keys: [String]) {
        guard count > 0 else { return }
        let (b, found) = probe(key, keys)
        if found && buckets[b] == old { buckets[b] = new }
    }

    /// Removes `key`; with `slot`, only if it is stored with that slot.
    mutating func remove(_ key: String, ifSlot slot: Int32? = nil, keys: [String]) {
        guard count > 0 else { return }
        let (b, found) = probe(key, keys)
        guard found, slot == nil || buckets[b] == slot else { return }
        count -= 1
        // Backward-shift deletion: later entries of the probe run move into the hole, so no tombstones are needed.
        let mask = buckets.count - 1
        var hole = b
        var j = (b + 1) & mask
        while buckets[j] != Self.empty {
            let home = keys[Int(buckets[j])].hashValue & mask
            // The entry at j may fill the hole only if the hole lies on its probe run, from its home to j.
            if (j &- home) & mask >= (j &- hole) & mask {
                buckets[hole] = buckets[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        buckets[hole] = Self.empty
    }

    /// Room for `n` keys without a rehash.
    mutating func reserveCapacity(_ n: Int, keys: [String]) {
        let size = Self.size(for: n)
        if size > buckets.count { rehash(to: size, keys: keys) }
    }

    /// The bucket that holds `key` (found) or the free bucket where it would go. Needs at least one free bucket.
    private func probe(_ key: String, _ keys: [String]) -> (Int, Bool) {
        let mask = buckets.count - 1
        var b = key.hashValue & mask
        while true {
            let s = buckets[b]
            if s == Self.empty { return (b, false) }
            if keys[Int(s)] == key { return (b, true) }
            b = (b + 1) & mask
        }
    }

    private mutating func rehash(to size: Int, keys: [String]) {
        let old = buckets
        buckets = Array(repeating: Self.empty, count: size)
        let mask = size - 1
        for s in old where s != Self.empty {
            var b = keys[Int(s)].hashValue & mask
            while buckets[b] != Self.empty { b = (b + 1) & mask }
            buckets[b] = s
        }
    }

    /// The bucket count for `n` keys: a power of two, at least twice `n`.
    private static func size(for n: Int) -> Int {
        var size = 16
        while size < n * 2 { size <<= 1 }
        return size
    }
}
