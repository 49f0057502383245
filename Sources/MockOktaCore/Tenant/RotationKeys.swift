import Dispatch

/// RSA keys for `rotateSigningKey`, derived from the seed ahead of need on a background queue, so no request
/// ever waits for key generation (about 0.1 s per 2048-bit key). A timeline rotation whose key is not ready yet
/// waits for its key, not the other way round; `POST /__mock/actions` may derive on the spot.
final class RotationKeys: Sendable {
    let seed: UInt64
    private let ready = Mutex<[String: RSAKey]>([:])
    private let inFlight = Mutex<Set<String>>([])
    private let queue = DispatchQueue(label: "mock-okta.rotation-keys", qos: .utility)

    init(seed: UInt64) { self.seed = seed }

    static func purpose(server: String, index: Int) -> String { "server.\(server).rotation.\(index)" }

    /// The key for the `index`-th key of `server`: at once if made already; otherwise derived here when
    /// `wait`, or started in the background and nil.
    func key(server: String, index: Int, wait: Bool) -> RSAKey? {
        let p = RotationKeys.purpose(server: server, index: index)
        if let k = ready.withLock({ $0[p] }) { return k }
        guard wait else {
            prepare(server: server, index: index)
            return nil
        }
        guard let k = try? RSAKey.derive(seed: DefaultTenant.keySeed(seed, p)) else { return nil }
        ready.withLock { $0[p] = k }
        return k
    }

    /// Starts deriving a key in the background (once).
    func prepare(server: String, index: Int) {
        let p = RotationKeys.purpose(server: server, index: index)
        guard ready.withLock({ $0[p] == nil }), inFlight.withLock({ $0.insert(p).inserted }) else { return }
        let seed = self.seed
        queue.async { [self] in
            if let k = try? RSAKey.derive(seed: DefaultTenant.keySeed(seed, p)) { ready.withLock { $0[p] = k } }
            inFlight.withLock { _ = $0.remove(p) }
        }
    }
}
