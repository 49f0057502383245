import CMockOktaCrypto
import FoundationEssentials

public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ what: String) { description = "\(what): \(String(cString: mo_last_error()))" }
}

/// An RSA key held by the system OpenSSL. Immutable after creation; OpenSSL 3 allows concurrent
/// signing with one EVP_PKEY (each call uses its own EVP_MD_CTX), so sharing across tasks is safe.
public final class RSAKey: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    private init(handle: UnsafeMutableRawPointer) { self.handle = handle }
    deinit { mo_key_free(handle) }

    /// A fresh random RSA-2048 key.
    public static func generate() throws -> RSAKey {
        guard let h = mo_rsa_generate(nil, 0) else { throw CryptoError("RSA key generation") }
        return RSAKey(handle: h)
    }

    /// RSA-2048 derived deterministically from `seed` (same seed, same key, on any OpenSSL 3).
    public static func derive(seed: [UInt8]) throws -> RSAKey {
        guard let h = seed.withUnsafeBufferPointer({ mo_rsa_generate($0.baseAddress, $0.count) }) else {
            throw CryptoError("RSA key derivation")
        }
        return RSAKey(handle: h)
    }

    public convenience init(pem: String) throws {
        let bytes = Array(pem.utf8)
        guard
            let h = bytes.withUnsafeBufferPointer({
                $0.withMemoryRebound(to: CChar.self) { mo_key_from_pem($0.baseAddress, $0.count) }
            })
        else {
            throw CryptoError("reading an RSA key from PEM")
        }
        self.init(handle: h)
    }

    public convenience init(modulus n: [UInt8], exponent e: [UInt8]) throws {
        guard let h = mo_key_from_ne(n, n.count, e, e.count) else { throw CryptoError("building an RSA public key") }
        self.init(handle: h)
    }

    public var isPrivate: Bool { mo_key_is_private(handle) == 1 }

    public var privateKeyPEM: String {
        var out: UnsafeMutablePointer<CChar>?
        var len = 0
        guard mo_key_private_pem(handle, &out, &len) == 1, let out else { return "" }
        defer { mo_free(out) }
        return String(cString: out)
    }

    public var publicKeyPEM: String {
        var out: UnsafeMutablePointer<CChar>?
        var len = 0
        guard mo_key_public_pem(handle, &out, &len) == 1, let out else { return "" }
        defer { mo_free(out) }
        return String(cString: out)
    }

    public var modulusAndExponent: (n: [UInt8], e: [UInt8]) {
        var n = [UInt8](repeating: 0, count: 1024)
        var e = [UInt8](repeating: 0, count: 1024)
        var nl = 0
        var el = 0
        _ = mo_key_ne(handle, &n, &nl, &e, &el)
        return (Array(n[0..<nl]), Array(e[0..<el]))
    }

    public func sign(_ data: [UInt8], hashBits: Int = 256) throws -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: 1024)
        var len = 0
        guard mo_sign(handle, Int32(hashBits), data, data.count, &sig, &len) == 1 else {
            throw CryptoError("RSA signing")
        }
        return Array(sig[0..<len])
    }

    public func verify(_ data: [UInt8], signature: [UInt8], hashBits: Int = 256) -> Bool {
        mo_verify(handle, Int32(hashBits), data, data.count, signature, signature.count) == 1
    }

    /// JWK thumbprint (RFC 7638) as base64url: used as `kid`, 43 characters like Okta's.
    public var thumbprint: String {
        let (n, e) = modulusAndExponent
        let canonical = "{\"e\":\"\(Base64URL.encode(e))\",\"kty\":\"RSA\",\"n\":\"\(Base64URL.encode(n))\"}"
        return Base64URL.encode(Digest.sha256(Array(canonical.utf8)))
    }

    /// Public JWK as Okta publishes it.
    public func publicJWK(kid: String) -> JSON {
        let (n, e) = modulusAndExponent
        return [
            "kty": "RSA", "alg": "RS256", "kid": .string(kid), "use": "sig", "e": .string(Base64URL.encode(e)),
            "n": .string(Base64URL.encode(n)),
        ]
    }
}

public enum Digest {
    public static func sha256(_ data: [UInt8]) -> [UInt8] { hash(256, data) }
    public static func hash(_ bits: Int, _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        let n = mo_digest(Int32(bits), data, data.count, &out)
        return Array(out[0..<Int(n)])
    }

    /// HMAC-SHA-256/384/512 (OpenSSL), for client_secret_jwt assertions.
    public static func hmac(_ bits: Int, key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        let n = mo_hmac(Int32(bits), key, key.count, data, data.count, &out)
        return Array(out[0..<Int(n)])
    }
}

public enum SecureRandom {
    public static func bytes(_ n: Int) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: n)
        _ = mo_random(&b, n)
        return b
    }
}

/// Base64url without padding (RFC 7515 §2), on bytes: tokens are signed on a hot path, and Foundation's
/// `base64EncodedString` plus three `replacingOccurrences` cost ~8% of a token request (perf, 2026-12-03).
public enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    /// Each byte's 6-bit value; both alphabets decode (`-_` and `+/`), 0xFF is not base64.
    static let values: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        t[Int(UInt8(ascii: "+"))] = 62
        t[Int(UInt8(ascii: "/"))] = 63
        return t
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(n >> 18)])
            out.append(alphabet[Int(n >> 12 & 63)])
            if rest == 2 { out.append(alphabet[Int(n >> 6 & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func encode(_ s: String) -> String { encode(Array(s.utf8)) }

    /// Decodes base64url or base64, padded or not (padding, if any, at most up to the next multiple of four);
    /// nil for anything else.
    public static func decode(_ s: some StringProtocol) -> [UInt8]? {
        var chars = Array(s.utf8)
        var padding = 0
        while chars.last == UInt8(ascii: "=") {
            chars.removeLast()
            padding += 1
        }
        let rest = chars.count % 4
        guard rest != 1, padding <= (4 - rest) % 4 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for c in chars {
            let v = values[Int(c)]
            guard v != 0xFF else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return out
    }
}

/// Certificates for `--tls`: a CA and a server certificate it signs.
public enum Certificates {
    public static func ca(key: RSAKey, commonName: String, notBefore: Int64, notAfter: Int64, serial: Int) throws
        -> String
    {
        var out: UnsafeMutablePointer<CChar>?
        var len = 0
        guard mo_cert_ca(key.handle, commonName, notBefore, notAfter, serial, &out, &len) == 1, let out else {
            throw CryptoError("creating the CA certificate")
        }
        defer { mo_free(out) }
        return String(cString: out)
    }

    public static func server(
        key: RSAKey, caKey: RSAKey, caPEM: String, commonName: String, subjectAltNames: [String],
        notBefore: Int64, notAfter: Int64, serial: Int
    ) throws -> String {
        var out: UnsafeMutablePointer<CChar>?
        var len = 0
        let sans = subjectAltNames.joined(separator: ",")
        guard
            mo_cert_leaf(key.handle, caKey.handle, caPEM, commonName, sans, notBefore, notAfter, serial, &out, &len)
                == 1,
            let out
        else { throw CryptoError("creating the server certificate") }
        defer { mo_free(out) }
        return String(cString: out)
    }
}
