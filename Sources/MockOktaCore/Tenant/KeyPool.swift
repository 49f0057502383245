/// A pool of pre-generated RSA-2048 test keys (`Resources/keypool.pem`, made by `scripts/make-key-pool`) so the
/// default tenant starts in milliseconds: a tenant's seed picks its keys from the pool deterministically (same seed,
/// same keys). These keys are public by construction: they sign tokens for a mock org only. Keys made at run time
/// (rotateSigningKey) are derived from the seed instead.
public enum KeyPool {
    /// The PEM blocks of the pool, in file order.
    /// Split on bytes: Foundation's `components(separatedBy:)` and `trimmingCharacters` over the 27 KB text took
    /// ~7 ms of every start (issue 15).
    static let pems: [String] = {
        let bytes = PackageResources.keypool_pem
        let end = Array("-----END PRIVATE KEY-----".utf8)
        var out: [String] = []
        var start = 0
        var i = 0
        while i + end.count <= bytes.count {
            guard bytes[i] == end[0], bytes[i..<i + end.count].elementsEqual(end) else {
                i += 1
                continue
            }
            let space: (UInt8) -> Bool = { $0 == 10 || $0 == 13 || $0 == 32 || $0 == 9 }
            var block = bytes[start..<i].drop(while: space)
            while let last = block.last, space(last) { block = block.dropLast() }
            if !block.isEmpty {
                out.append(String(decoding: block, as: UTF8.self) + "\n" + String(decoding: end, as: UTF8.self) + "\n")
            }
            i += end.count
            start = i
        }
        return out
    }()
}

extension KeyPool {
    /// Slots a tenant takes from the pool.
    public enum Slot: Int, Sendable {
        case orgServer = 0
        case defaultServer, serviceApp, tlsCA, tlsServer, stray
    }

    /// A deterministic permutation of the pool for `seed`: distinct keys per slot, same seed same keys.
    static func order(seed: UInt64) -> [Int] {
        var g = SeededGenerator.stream(seed: seed, purpose: "keypool")
        var idx = Array(0..<pems.count)
        for i in stride(from: idx.count - 1, to: 0, by: -1) {
            let j = Int(g.next() % UInt64(i + 1))
            idx.swapAt(i, j)
        }
        return idx
    }

    public static func key(seed: UInt64, slot: Slot) throws -> RSAKey {
        try RSAKey(pem: pems[order(seed: seed)[slot.rawValue]])
    }
}
