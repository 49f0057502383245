import FoundationEssentials

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    struct State {
        var offset: Double = 0
        var frozenAt: Double? = nil
    }
    public let base: any WallClock
    private let state = Mutex(State())

    public init(base: any WallClock = SystemWallClock()) { self.base = base }

    public func now() -> Double {
        state.withLock { s in s.frozenAt ?? (base.now() + s.offset) }
    }

    public var nowSeconds: Int { Int(now().rounded(.down)) }

    /// How far the tenant clock may be moved from real time, either way: 100 years (3,153,600,000 s).
    public static let maxOffsetSeconds: Double = 3_153_600_000

    static func allowed(_ offset: Double) -> Bool { offset.isFinite && abs(offset) <= maxOffsetSeconds }

    /// Moves the clock; refuses (returns false, nothing changes) a move that would take it more than
    /// `maxOffsetSeconds` away from real time.
    @discardableResult
    public func advance(_ seconds: Double) -> Bool {
        state.withLock { s in
            let real = base.now()
            let current = (s.frozenAt ?? real + s.offset) - real
            guard seconds.isFinite, TenantClock.allowed(current + seconds) else { return false }
            if let f = s.frozenAt { s.frozenAt = f + seconds } else { s.offset += seconds }
            return true
        }
    }

    @discardableResult
    public func setOffset(_ seconds: Double) -> Bool {
        guard TenantClock.allowed(seconds) else { return false }
        return state.withLock { s in
            if s.frozenAt != nil { s.frozenAt = base.now() + seconds }
            s.offset = seconds
            return true
        }
    }

    public func freeze(_ on: Bool) {
        state.withLock { s in
            if on {
                if s.frozenAt == nil { s.frozenAt = base.now() + s.offset }
            } else if let f = s.frozenAt {
                s.offset = f - base.now()
                s.frozenAt = nil
            }
        }
    }

    public func reset() { state.withLock { $0 = State() } }

    public var description: JSON {
        state.withLock { s in
            [
                "now": .number((s.frozenAt ?? base.now() + s.offset).rounded(.down)),
                "offsetSeconds": .number(s.offset),
                "frozen": .bool(s.frozenAt != nil),
            ]
        }
    }
}

public enum TimeFormat {
    /// Years 0001–9999: what the formats can show. Timestamps from outside (a token's `iat` of 1.8e19, found by
    /// fuzzing) are clamped into it instead of trapping in the conversion to Int.
    static func clamp(_ t: Double) -> Double {
        guard t.isFinite else { return t > 0 ? 253_402_300_799 : -62_135_596_800 }
        return min(max(t, -62_135_596_800), 253_402_300_799)
    }

    /// Okta's timestamp form: 2020-08-27T18:19:24.000Z
    public static func iso(_ t: Double) -> String {
        let t = clamp(t)
        let secs = Int(t.rounded(.down))
        let ms = Int(((t - Double(secs)) * 1000).rounded(.down))
        var tm = tm()
        var tt = time_t(secs)
        gmtime_r(&tt, &tm)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        return "\(pad(Int(tm.tm_year) + 1900, 4))-\(pad(Int(tm.tm_mon) + 1, 2))-\(pad(Int(tm.tm_mday), 2))T"
            + "\(pad(Int(tm.tm_hour), 2)):\(pad(Int(tm.tm_min), 2)):\(pad(Int(tm.tm_sec), 2)).\(pad(ms, 3))Z"
    }

    /// RFC 1123 / IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT. Cached per second (it is on every response).
    /// Whole seconds (`….000Z`), as Okta writes the timestamps of objects.
    public static func isoSeconds(_ t: Double) -> String { iso(t.rounded(.down)) }

    public static func httpDate(_ t: Double) -> String {
        let secs = Int(clamp(t).rounded(.down))
        if let hit = dateCache.withLock({ $0.0 == secs ? $0.1 : nil }) { return hit }
        var tm = tm()
        var tt = time_t(secs)
        gmtime_r(&tt, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let text =
            "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
        dateCache.withLock { $0 = (secs, text) }
        return text
    }

    private static let dateCache = Mutex<(Int, String)>((-1, ""))

    /// Parses ISO 8601 timestamps Okta accepts in filters and System Log queries:
    /// `2024-01-02T03:04:05Z`, with optional fraction and `±HH:MM` offset. No Foundation formatter (fast, no ICU).
    public static func parseISO(_ s: String) -> Double? {
        let b = Array(s.utf8)
        let num = { (from: Int, len: Int) in isoDigits(b, from, len) }
        guard b.count >= 19, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 116 || b[10] == 32, b[13] == 58,
            b[16] == 58,
            let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
            let se = num(17, 2),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61
        else { return nil }
        var i = 19
        let frac = isoFraction(b, &i)
        guard let offset = isoZoneOffset(b, &i), i == b.count else { return nil }
        let days = daysFromCivil(year: y, month: mo, day: d)
        return Double(days * 86400 + h * 3600 + mi * 60 + se - offset) + frac
    }

    /// The decimal number in `len` ASCII digits at `from`; nil past the end or at a non-digit.
    private static func isoDigits(_ b: [UInt8], _ from: Int, _ len: Int) -> Int? {
        guard from + len <= b.count else { return nil }
        var v = 0
        for i in from..<from + len {
            guard b[i] >= 48 && b[i] <= 57 else { return nil }
            v = v * 10 + Int(b[i] - 48)
        }
        return v
    }

    /// The optional `.fff…` fraction of a second at `i` (0 without one); moves `i` past it.
    private static func isoFraction(_ b: [UInt8], _ i: inout Int) -> Double {
        var frac = 0.0
        if i < b.count, b[i] == 46 {
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 48 && b[i] <= 57 {
                frac += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        return frac
    }

    /// The zone at `i` in seconds east of UTC: `Z`, `±HH`, `±HHMM` or `±HH:MM`; moves `i` past it.
    /// Nil when the zone is missing (Okta wants an explicit one) or is none of these.
    private static func isoZoneOffset(_ b: [UInt8], _ i: inout Int) -> Int? {
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {
            i += 1
            return 0
        }
        guard b[i] == 43 || b[i] == 45, let oh = isoDigits(b, i + 1, 2) else { return nil }
        let sign = b[i] == 43 ? 1 : -1
        var om = 0
        if i + 3 < b.count, b[i + 3] == 58, let m = isoDigits(b, i + 4, 2) {
            om = m
            i += 6
        } else if let m = isoDigits(b, i + 3, 2) {
            om = m
            i += 5
        } else {
            i += 3
        }
        return sign * (oh * 3600 + om * 60)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days-from-civil algorithm).
    private static func daysFromCivil(year y: Int, month mo: Int, day d: Int) -> Int {
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
