import FoundationEssentials

/// Okta's per-minute buckets per endpoint family (production Workforce org defaults) and the org-wide
/// concurrency limit. Windows are not aligned to the clock: a bucket's minute starts with its first request.
public final class RateLimiter: Sendable {
    public static let defaults: [String: Int] = [
        "users": 600, "users.id": 2000, "users.id.write": 600, "groups": 500, "groups.id": 1000, "apps": 100,
        "apps.id": 500,
        "logs": 120, "token": 2000, "authorize": 2000, "oauth2": 600, "authn": 600, "api": 1200, "keys": 10000,
        "concurrency": 75,
    ]

    struct Bucket {
        var windowStart: Double
        var count: Int
    }
    struct State {
        var buckets: [String: Bucket] = [:]
        var limits: [String: Int] = RateLimiter.defaults
        var enabled: Bool
        var inFlight = 0
        var lastConcurrencyViolationLog: Double = -1e12
    }
    private let state: Mutex<State>

    public init(enabled: Bool) { state = Mutex(State(enabled: enabled)) }

    public var enabled: Bool { state.withLock { $0.enabled } }

    /// Which bucket a request counts against.
    public static func bucket(method: String, path: String) -> String {
        let s = path.split(separator: "/", omittingEmptySubsequences: true)
        if path.hasPrefix("/oauth2/") || path.hasPrefix("/.well-known/") {
            if path.hasSuffix("/keys") || path.contains("/.well-known/") { return "keys" }
            if path.hasSuffix("/token") { return "token" }
            if path.hasSuffix("/authorize") { return "authorize" }
            return "oauth2"
        }
        guard s.count >= 3, s[0] == "api", s[1] == "v1" else { return "api" }
        switch s[2] {
        case "users":
            if s.count == 3 { return "users" }
            return method == "GET" ? "users.id" : "users.id.write"
        case "groups": return s.count == 3 ? "groups" : "groups.id"
        case "apps": return s.count == 3 ? "apps" : "apps.id"
        case "logs": return "logs"
        case "authn": return "authn"
        default: return "api"
        }
    }

    public struct Decision: Sendable {
        public var bucket: String
        public var limit: Int
        public var remaining: Int
        public var reset: Int
        public var allowed: Bool
    }

    /// Counts a request (unless `consume` is false) and reports the headers to send.
    public func take(bucket: String, now: Double, consume: Bool = true) -> Decision {
        state.withLock { s in
            let limit = s.limits[bucket] ?? 1200
            var b = s.buckets[bucket] ?? Bucket(windowStart: now, count: 0)
            if now >= b.windowStart + 60 || now < b.windowStart - 1 { b = Bucket(windowStart: now, count: 0) }
            let unlimited = bucket == "keys" || !s.enabled
            var allowed = true
            if consume {
                if b.count >= limit && !unlimited { allowed = false } else { b.count += 1 }
            }
            s.buckets[bucket] = b
            let reset = Int((b.windowStart + 60).rounded(.up))
            return Decision(
                bucket: bucket, limit: limit, remaining: max(0, limit - b.count), reset: reset, allowed: allowed)
        }
    }

    /// Enters the concurrency gate; returns false when the org-wide limit is exceeded.
    public func enter() -> Bool {
        state.withLock { s in
            let limit = s.limits["concurrency"] ?? 75
            if s.enabled && s.inFlight >= limit { return false }
            s.inFlight += 1
            return true
        }
    }

    public func leave() { state.withLock { $0.inFlight = max(0, $0.inFlight - 1) } }

    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// First violation each 60 s is logged, as Okta does.
    public func shouldLogConcurrencyViolation(now: Double) -> Bool {
        state.withLock { s in
            if now - s.lastConcurrencyViolationLog >= 60 {
                s.lastConcurrencyViolationLog = now
                return true
            }
            return false
        }
    }

    public func setLimit(_ bucket: String, _ limit: Int) {
        state.withLock { s in
            s.limits[bucket] = limit
            if bucket == "users.id" { s.limits["users.id.write"] = limit }
        }
    }

    public func setEnabled(_ on: Bool) { state.withLock { $0.enabled = on } }

    public func reset(overrides: [String: Int]) {
        state.withLock { s in
            s.buckets = [:]
            s.limits = RateLimiter.defaults
            for (k, v) in overrides { s.limits[k] = v }
        }
    }

    public func limits() -> [String: Int] { state.withLock { $0.limits } }
}
