import FoundationEssentials

/// A compact JWS split into its parts, without any verification.
public struct DecodedJWT: Sendable {
    public var header: JSON
    public var claims: JSON
    public var signingInput: [UInt8]
    public var signature: [UInt8]

    public var kid: String? { header["kid"]?.stringValue }
    public var alg: String? { header["alg"]?.stringValue }

    public init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let h = Base64URL.decode(parts[0]), let c = Base64URL.decode(parts[1]),
            let s = Base64URL.decode(parts[2]),
            let hj = try? JSONParser.parse(bytes: h), case .object = hj,
            let cj = try? JSONParser.parse(bytes: c), case .object = cj
        else { return nil }
        header = hj
        claims = cj
        signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        signature = s
    }

    /// The SHA-2 size of `alg` when it is `family` (`RS` or `HS`) 256, 384 or 512.
    func hashBits(_ family: String) -> Int? {
        guard let a = alg, a.hasPrefix(family), let bits = Int(a.dropFirst(2)), [256, 384, 512].contains(bits),
            a.count == 5
        else { return nil }
        return bits
    }

    public func verify(with key: RSAKey) -> Bool {
        guard let bits = hashBits("RS") else { return false }
        return key.verify(signingInput, signature: signature, hashBits: bits)
    }

    /// An HS256/384/512 signature made with a shared secret (client_secret_jwt), compared in constant time.
    public func verify(secret: String) -> Bool {
        guard let bits = hashBits("HS") else { return false }
        let mac = Digest.hmac(bits, key: Array(secret.utf8), signingInput)
        guard !mac.isEmpty, mac.count == signature.count else { return false }
        return zip(mac, signature).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Signed with the client's secret (client_secret_jwt) rather than its private key (private_key_jwt).
    public var isSecretSigned: Bool { alg?.hasPrefix("HS") == true }
}

public enum JWT {
    /// Sign claims with RS256. `corruptSignature` flips bits so the token fails verification (badSignature fault).
    public static func sign(claims: JSON, key: RSAKey, kid: String, corruptSignature: Bool = false) throws -> String {
        let header: JSON = ["kid": .string(kid), "alg": "RS256"]
        let input = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(claims.serialized())
        var sig = try key.sign(Array(input.utf8))
        if corruptSignature { for i in 0..<min(8, sig.count) { sig[i] ^= 0x5A } }
        return input + "." + Base64URL.encode(sig)
    }
}
