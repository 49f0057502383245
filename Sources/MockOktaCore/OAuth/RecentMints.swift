/// When recent access tokens were minted, to the sub-second, by `jti`.
///
/// `iat` is whole seconds, so it cannot say whether a token minted in the same second as an
/// `expireAccessTokens` action came before or after it. The last `capacity` mints are remembered
/// exactly; older tokens are never in that second anyway.
final class RecentMints: Sendable {
    /// A jti is remembered by its hash (a 64-bit hash of 65,536 jtis collides with odds of ~1e-10; the strings cost
    /// ~120 bytes per mint, issue 15).
    private struct State {
        var times: [Int: Double] = [:]
        var order: [Int] = []
        var next = 0
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 65_536) { self.capacity = max(1, capacity) }

    func record(_ jti: String, at t: Double) {
        let key = jti.hashValue
        state.withLock { s in
            if s.order.count < capacity {
                s.order.append(key)
            } else {
                s.times[s.order[s.next]] = nil
                s.order[s.next] = key
                s.next = (s.next + 1) % capacity
            }
            s.times[key] = t
        }
    }

    func time(of jti: String) -> Double? {
        let key = jti.hashValue
        return state.withLock { $0.times[key] }
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
