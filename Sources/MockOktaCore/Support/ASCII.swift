/// Byte-level helpers shared by the parsers and formatters that avoid Foundation on hot paths.
enum ASCII {
    /// The value of a hexadecimal digit (either case).
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// An ASCII letter or digit.
    static func isAlphanumeric(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
    }

    /// Sixteen bytes as a lowercase 8-4-4-4-12 uuid.
    static func uuidString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { out in
            var n = 0
            for (i, byte) in bytes.prefix(16).enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[n] = UInt8(ascii: "-")
                    n += 1
                }
                out[n] = digits[Int(byte >> 4)]
                out[n + 1] = digits[Int(byte & 15)]
                n += 2
            }
            return n
        }
    }
}
