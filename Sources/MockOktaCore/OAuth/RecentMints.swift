/// When recent access tokens were minted, to the sub-second, by `jti`.
///
/// `iat` is whole seconds, so it cannot say whether a token minted in the same second as an
/// `expireAccessTokens` action came before or after it. The last `capacity` mints are remembered
/// exactly; older tokens are never in that second anyway.
final class RecentMints: Sendable {
    private struct State {
        var times: [String: Double] = [:]
        var order: [String] = []
        var next = 0
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 65_536) { self.capacity = max(1, capacity) }

    func record(_ jti: String, at t: Double) {
        state.withLock { s in
            if s.order.count < capacity {
                s.order.append(jti)
            } else {
                s.times[s.order[s.next]] = nil
                s.order[s.next] = jti
                s.next = (s.next + 1) % capacity
            }
            s.times[jti] = t
        }
    }

    func time(of jti: String) -> Double? { state.withLock { $0.times[jti] } }

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
