/// The few string operations the libraries used from Foundation, on the standard library alone: the process then
/// links FoundationEssentials only, without Foundation and ICU (~4 ms of every start and ~7 MiB, issue 15).
extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Foundation's `.whitespaces`: no line breaks).
    public func trimmingWhitespace() -> String {
        trimming { $0.isWhitespace && !$0.isNewline }
    }

    /// Without leading and trailing white space and line breaks.
    public func trimmingWhitespaceAndNewlines() -> String { trimming(\.isWhitespace) }

    private func trimming(_ drop: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !drop($0) }), let last = lastIndex(where: { !drop($0) }) else {
            return ""
        }
        return String(self[first...last])
    }

    /// `%XX` escapes decoded (no `+` rule); nil when an escape is malformed or the bytes are not UTF-8, as
    /// Foundation's `removingPercentEncoding`.
    public var percentDecoded: String? {
        let bytes = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let h = ASCII.hexValue(bytes[i + 1]), let l = ASCII.hexValue(bytes[i + 2])
                else { return nil }
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Every byte outside ASCII letters, digits and `keeping` as `%XX` (uppercase hex).
    public func percentEncoded(keeping: String) -> String {
        let kept = Set(keeping.utf8)
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        for b in utf8 {
            if ASCII.isAlphanumeric(b) || kept.contains(b) {
                out.append(b)
            } else {
                out += [UInt8(ascii: "%"), digits[Int(b >> 4)], digits[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Sequence where Element: Hashable {
    /// The elements in order, each kept once (its first time).
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

/// Number formatting without `String(format:)`.
public enum Format {
    /// `value` rounded to `digits` decimals, always written with them ("1.50").
    public static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return String(value) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 1e18 else { return String(value) }
        let n = Int64(scaled)
        let whole = n / Int64(scale)
        var frac = String(n % Int64(scale))
        frac = String(repeating: "0", count: max(0, digits - frac.count)) + frac
        let sign = value < 0 && n != 0 ? "-" : ""
        return digits == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(frac)"
    }

    /// `value` written in at least `width` digits, zeros in front ("000042").
    public static func zeroPadded(_ value: Int, width: Int) -> String {
        let s = String(value)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// `value` as four lowercase hex digits (a JSON `\u` escape's).
    public static func hex4(_ value: UInt32) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
