/// When recent access tokens were minted, to the sub-second, by `jti`.
///
/// `iat` is whole seconds, so it cannot say whether a token minted in the same second as an
/// `expireAccessTokens` action came before or after it. The last `capacity` mints are remembered
/// exactly; older tokens are never in that second anyway.
final class RecentMints: Sendable {
    /// A ring of the last `capacity` mints in the order they were made: the jti's hash (a 64-bit hash of 65,536
    /// jtis collides with odds of ~1e-10) and the time. 16 bytes a mint (a dictionary of jti strings was ~120,
    /// issue 15); a lookup scans back from the newest, and only a token minted in the cutoff's own second asks.
    private struct State {
        var keys: [Int] = []
        var times: [Double] = []
        var next = 0
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 65_536) { self.capacity = max(1, capacity) }

    func record(_ jti: String, at t: Double) {
        let key = jti.hashValue
        state.withLock { s in
            if s.keys.count < capacity {
                s.keys.append(key)
                s.times.append(t)
            } else {
                s.keys[s.next] = key
                s.times[s.next] = t
                s.next = (s.next + 1) % capacity
            }
        }
    }

    /// The newest mint of `jti` still in the ring.
    func time(of jti: String) -> Double? {
        let key = jti.hashValue
        return state.withLock { s in
            let n = s.keys.count
            // Newest first: the slot before `next`, backwards around the ring.
            for step in 1...max(1, n) where n > 0 {
                let i = (s.next - step + n) % n
                if s.keys[i] == key { return s.times[i] }
            }
            return nil
        }
    }

    /// Whether a token with this `iat` and `jti` was minted before `cutoff`. Same second and not
    /// remembered (a restart in between): treated as before, so a cutoff never lets an old token through.
    func mintedBefore(_ cutoff: Double, iat: Double, jti: String) -> Bool {
        let second = cutoff.rounded(.down)
        if iat < second { return true }
        if iat > second { return false }
        guard let t = time(of: jti) else { return true }
        return t < cutoff
    }
}
