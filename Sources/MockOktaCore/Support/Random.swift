import FoundationEssentials

/// A seeded generator (SplitMix64). Same seed, same sequence: ids, secrets, jti and probabilistic faults.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Derives an independent stream for a purpose, so adding draws in one place never shifts another.
    public static func stream(seed: UInt64, purpose: String) -> SeededGenerator {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in purpose.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return SeededGenerator(seed: seed ^ h)
    }
}

/// A thread-safe random source for one purpose.
public final class RandomSource: Sendable {
    private let gen: Mutex<SeededGenerator>
    public let seed: UInt64
    public let purpose: String

    public init(seed: UInt64, purpose: String) {
        self.seed = seed
        self.purpose = purpose
        gen = Mutex(SeededGenerator.stream(seed: seed, purpose: purpose))
    }

    public func reset() { gen.withLock { $0 = SeededGenerator.stream(seed: seed, purpose: purpose) } }

    public func next() -> UInt64 { gen.withLock { $0.next() } }

    /// A double in [0, 1).
    public func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// The characters of a random string: ASCII only, so a string is made from bytes (request ids are drawn for
    /// every request; through `Character` they cost ~2% of a JWKS request).
    public struct Alphabet: Sendable, ExpressibleByStringLiteral {
        public let bytes: [UInt8]
        public init(stringLiteral value: String) {
            precondition(value.utf8.allSatisfy { $0 < 128 }, "an alphabet is ASCII")
            bytes = Array(value.utf8)
        }
        public func contains(_ c: Character) -> Bool { c.asciiValue.map(bytes.contains) ?? false }
    }

    public static let alnum: Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    public static let b64url: Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    public func string(_ length: Int, alphabet: Alphabet = RandomSource.alnum) -> String {
        let chars = alphabet.bytes
        let count = UInt64(chars.count)
        return gen.withLock { g in
            String(unsafeUninitializedCapacity: length) { out in
                for i in 0..<length { out[i] = chars[Int(g.next() % count)] }
                return length
            }
        }
    }

    public func bytes(_ n: Int) -> [UInt8] {
        gen.withLock { g in (0..<n).map { _ in UInt8(truncatingIfNeeded: g.next()) } }
    }

    /// An Okta-style object id: a 3-character type prefix and 17 more characters ("00u1abc…", 20 in all).
    public func oktaID(_ prefix: String) -> String { prefix + string(20 - prefix.count) }

    public func uuid() -> String {
        var b = bytes(16)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return ASCII.uuidString(b)
    }
}
