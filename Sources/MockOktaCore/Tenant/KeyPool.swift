/// A pool of pre-generated RSA-2048 test keys (`Resources/keypool.pem`, made by `scripts/make-key-pool`) so the
/// default tenant starts in milliseconds: a tenant's seed picks its keys from the pool deterministically (same seed,
/// same keys). These keys are public by construction: they sign tokens for a mock org only. Keys made at run time
/// (rotateSigningKey) are derived from the seed instead.
public enum KeyPool {
    /// The PEM blocks of the pool, in file order.
    static let pems: [String] = {
        let text = String(decoding: PackageResources.keypool_pem, as: UTF8.self)
        let end = "-----END PRIVATE KEY-----"
        return text.components(separatedBy: end).compactMap { part -> String? in
            let body = part.trimmingCharacters(in: .whitespacesAndNewlines)
            return body.isEmpty ? nil : body + "\n" + end + "\n"
        }
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
