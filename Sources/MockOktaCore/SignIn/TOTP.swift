import FoundationEssentials

/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1, 6 digits, 30 s steps), as Okta's
/// `token:software:totp` factor and Google Authenticator compute them. The secret is Base32 (RFC 4648, no
/// padding), as Okta's enrollment shows it.
public enum TOTP {
    public static let digits = 6
    public static let step = 30.0

    /// The code for `time` (seconds since 1970).
    public static func code(secret: [UInt8], at time: Double) -> String {
        let counter = UInt64(max(0, time) / step)
        return hotp(secret: secret, counter: counter)
    }

    /// A code is accepted in its 30 s step and one step either side (clock drift), as authenticator apps expect.
    public static func verify(_ code: String, secret: [UInt8], at time: Double) -> Bool {
        matchedStep(code, secret: secret, at: time) != nil
    }

    /// The time step (counter) whose code `code` is, within one step either side of `time`; nil when none is.
    public static func matchedStep(_ code: String, secret: [UInt8], at time: Double) -> Int64? {
        guard code.count == digits, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else { return nil }
        let counter = Int64(max(0, time) / step)
        return (-1...1).map { counter + $0 }.first { c in
            c >= 0 && hotp(secret: secret, counter: UInt64(c)) == code
        }
    }

    static func hotp(secret: [UInt8], counter: UInt64) -> String {
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * $0)) }
        let mac = hmacSHA1(key: secret, message: message)
        let offset = Int(mac[19] & 0x0f)
        let bin =
            (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
        let value = bin % 1_000_000
        let text = String(value)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// HMAC (RFC 2104) over SHA-1 from the system OpenSSL's digest.
    static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let block = 64
        var k = key.count > block ? Digest.hash(160, key) : key
        k += [UInt8](repeating: 0, count: block - k.count)
        let inner = Digest.hash(160, k.map { $0 ^ 0x36 } + message)
        return Digest.hash(160, k.map { $0 ^ 0x5c } + inner)
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    public static func base32(_ bytes: [UInt8]) -> String {
        var out = ""
        var buffer = 0
        var bits = 0
        for b in bytes {
            buffer = (buffer << 8) | Int(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return out
    }

    public static func base32Decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for c in text.uppercased() where c != "=" && c != " " {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            buffer = (buffer << 5) | v
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xff))
                bits -= 8
            }
            buffer &= (1 << bits) - 1
        }
        return out
    }
}
