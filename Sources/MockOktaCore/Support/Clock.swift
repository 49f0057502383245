import Foundation
import Synchronization

/// Source of real time. Injected so tests and benchmarks can drive time by hand.
public protocol WallClock: Sendable {
    /// Seconds since the Unix epoch.
    func now() -> Double
}

public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
}

/// A clock tests move by hand.
public final class ManualWallClock: WallClock {
    private let t: Mutex<Double>
    public init(_ start: Double = 1_800_000_000) { t = Mutex(start) }
    public func now() -> Double { t.withLock { $0 } }
    public func advance(_ seconds: Double) { t.withLock { $0 += seconds } }
}

/// The tenant's clock: real time plus an offset, optionally frozen. Drives token iat/exp and their
/// validation, rate-limit windows and the Date header. Scenario timelines use real elapsed time.
public final class TenantClock: Sendable {
    struct State { var offset: Double = 0; var frozenAt: Double? = nil }
    public let base: any WallClock
    private let state = Mutex(State())

    public init(base: any WallClock = SystemWallClock()) { self.base = base }

    public func now() -> Double {
        state.withLock { s in s.frozenAt ?? (base.now() + s.offset) }
    }

    public var nowSeconds: Int { Int(now().rounded(.down)) }

    public func advance(_ seconds: Double) {
        state.withLock { s in
            if let f = s.frozenAt { s.frozenAt = f + seconds } else { s.offset += seconds }
        }
    }

    public func setOffset(_ seconds: Double) {
        state.withLock { s in
            if s.frozenAt != nil { s.frozenAt = base.now() + seconds }
            s.offset = seconds
        }
    }

    public func freeze(_ on: Bool) {
        state.withLock { s in
            if on { if s.frozenAt == nil { s.frozenAt = base.now() + s.offset } } else if let f = s.frozenAt {
                s.offset = f - base.now()
                s.frozenAt = nil
            }
        }
    }

    public func reset() { state.withLock { $0 = State() } }

    public var description: JSON {
        state.withLock { s in
            ["now": .number((s.frozenAt ?? base.now() + s.offset).rounded(.down)), "offsetSeconds": .number(s.offset),
             "frozen": .bool(s.frozenAt != nil)]
        }
    }
}

public enum TimeFormat {
    /// Okta's timestamp form: 2020-08-27T18:19:24.000Z
    public static func iso(_ t: Double) -> String {
        let secs = Int(t.rounded(.down))
        let ms = Int(((t - Double(secs)) * 1000).rounded(.down))
        var tm = tm()
        var tt = time_t(secs)
        gmtime_r(&tt, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, ms)
    }

    /// RFC 1123 / IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    public static func httpDate(_ t: Double) -> String {
        var tm = tm()
        var tt = time_t(Int(t.rounded(.down)))
        gmtime_r(&tt, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return String(format: "%@, %02d %@ %04d %02d:%02d:%02d GMT", days[Int(tm.tm_wday)], tm.tm_mday,
                      months[Int(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec)
    }

    /// Parses ISO 8601 timestamps Okta accepts in filters and System Log queries.
    public static func parseISO(_ s: String) -> Double? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return d.timeIntervalSince1970 }
        return nil
    }
}
