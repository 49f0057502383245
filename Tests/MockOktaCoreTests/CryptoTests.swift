import Foundation
import Testing

@testable import MockOktaCore

@Suite("System OpenSSL: RSA keys, RS256, JWK, certificates")
struct CryptoTests {
    @Test("the same seed derives the same RSA-2048 key; another seed another key")
    func deterministicKeys() throws {
        let a = try RSAKey.derive(seed: Array("seed-1".utf8))
        let b = try RSAKey.derive(seed: Array("seed-1".utf8))
        let c = try RSAKey.derive(seed: Array("seed-2".utf8))
        #expect(a.privateKeyPEM == b.privateKeyPEM)
        #expect(a.privateKeyPEM != c.privateKeyPEM)
        #expect(a.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(a.modulusAndExponent.n.count == 256)  // 2048 bits
        #expect(a.modulusAndExponent.e == [1, 0, 1])
    }

    @Test("RS256 signatures verify with the public key only, and not after tampering")
    func signVerify() throws {
        let key = try RSAKey.generate()
        let pub = try RSAKey(pem: key.publicKeyPEM)
        #expect(!pub.isPrivate)
        let token = try JWT.sign(claims: ["sub": "x"], key: key, kid: key.thumbprint)
        let d = try #require(DecodedJWT(token))
        #expect(d.verify(with: pub))
        #expect(d.alg == "RS256" && d.kid == key.thumbprint)
        let bad = try JWT.sign(claims: ["sub": "x"], key: key, kid: "k", corruptSignature: true)
        #expect(!(DecodedJWT(bad)!.verify(with: pub)))
        let other = try RSAKey.generate()
        #expect(!d.verify(with: other))
    }

    @Test("a public key rebuilt from the JWK's n and e verifies our tokens (what PyJWKClient does)")
    func jwkRoundTrip() throws {
        let key = try RSAKey.derive(seed: [1, 2, 3])
        let jwk = key.publicJWK(kid: key.thumbprint)
        #expect(jwk["kty"] == "RSA" && jwk["alg"] == "RS256" && jwk["use"] == "sig")
        #expect(key.thumbprint.count == 43)
        let n = try #require(Base64URL.decode(jwk["n"]!.stringValue!))
        let e = try #require(Base64URL.decode(jwk["e"]!.stringValue!))
        let rebuilt = try RSAKey(modulus: n, exponent: e)
        let token = try JWT.sign(claims: ["a": 1], key: key, kid: "k")
        #expect(DecodedJWT(token)!.verify(with: rebuilt))
    }

    @Test("PEM keys: the typed private-key path and the general one read the same key; bad blocks are refused")
    func pemPaths() throws {
        let key = try RSAKey.derive(seed: [4, 2])
        let pem = key.privateKeyPEM
        // PKCS#8 "PRIVATE KEY": the typed path.
        #expect(try RSAKey(pem: pem).thumbprint == key.thumbprint)
        #expect(try RSAKey(pem: pem).isPrivate)
        // A certificate first: the typed path declines, the general path finds the key after it.
        let cert = try Certificates.ca(
            key: key, commonName: "c", notBefore: 1_700_000_000, notAfter: 1_800_000_000, serial: 3)
        #expect(try RSAKey(pem: cert + pem).thumbprint == key.thumbprint)
        // Text around the block is ignored, as PEM readers do.
        #expect(try RSAKey(pem: "comment line\n" + pem + "\ntrailer\n").thumbprint == key.thumbprint)
        // Public keys still load (general path) and are not private.
        let pub = try RSAKey(pem: key.publicKeyPEM)
        #expect(!pub.isPrivate && pub.thumbprint == key.thumbprint)
        // A damaged body, an unknown block, or nothing: refused, no crash.
        let lines = pem.split(separator: "\n").map(String.init)
        let damaged = ([lines[0]] + [String(lines[1].reversed())] + lines[2...]).joined(separator: "\n")
        #expect(throws: CryptoError.self) { try RSAKey(pem: damaged) }
        #expect(throws: CryptoError.self) {
            try RSAKey(pem: "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n")
        }
        #expect(throws: CryptoError.self) { try RSAKey(pem: "") }
        #expect(throws: CryptoError.self) { try RSAKey(pem: cert) }
    }

    @Test("CA and server certificates are PEM and deterministic for fixed inputs")
    func certificates() throws {
        let ca = try RSAKey.derive(seed: [9])
        let leaf = try RSAKey.derive(seed: [10])
        let caPEM = try Certificates.ca(
            key: ca, commonName: "test CA", notBefore: 1_700_000_000, notAfter: 1_800_000_000, serial: 1)
        let caPEM2 = try Certificates.ca(
            key: ca, commonName: "test CA", notBefore: 1_700_000_000, notAfter: 1_800_000_000, serial: 1)
        #expect(caPEM == caPEM2)
        #expect(caPEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let srv = try Certificates.server(
            key: leaf, caKey: ca, caPEM: caPEM, commonName: "localhost",
            subjectAltNames: ["DNS:localhost", "IP:127.0.0.1", "IP:::1"], notBefore: 1_700_000_000,
            notAfter: 1_800_000_000, serial: 2)
        #expect(srv.hasPrefix("-----BEGIN CERTIFICATE-----") && srv != caPEM)
    }
}

@Suite("JSON parser and writer")
struct JSONTests {
    @Test("round trip keeps member order and escapes")
    func roundTrip() throws {
        let text = #"{"b":1,"a":[true,null,"x\"y\n"],"c":{"d":-1.5,"e":"\u00e9"}}"#
        let j = try JSONParser.parse(text)
        #expect(j.serialized() == #"{"b":1,"a":[true,null,"x\"y\n"],"c":{"d":-1.5,"e":"é"}}"#)
        #expect(j["c"]?["d"]?.doubleValue == -1.5)
    }

    @Test("errors carry line and column; positions are recorded by path")
    func positions() throws {
        var p = JSONParser("{\n  \"a\": [1,\n   2]\n}", recordPositions: true)
        _ = try p.parseDocument()
        #expect(p.positions["$.a[1]"] == JSONPosition(line: 3, column: 4))
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\"a\": }") }
        do { _ = try JSONParser.parse("{\n\"a\": 1,\n}") } catch let e as JSONParseError {
            #expect(e.position.line == 3)
        }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a":1,"a":2}"#) }
    }
}

@Suite("Okta timestamp formats")
struct TimeFormatTests {
    @Test("ISO timestamps round-trip in Okta's form; offsets and fractions parse; zone-less is refused")
    func iso() {
        #expect(TimeFormat.iso(1_598_552_364.0) == "2020-08-27T18:19:24.000Z")
        #expect(TimeFormat.parseISO("2020-08-27T18:19:24.000Z") == 1_598_552_364.0)
        #expect(TimeFormat.parseISO("2020-08-27T18:19:24Z") == 1_598_552_364.0)
        #expect(TimeFormat.parseISO("2020-08-27T20:19:24+02:00") == 1_598_552_364.0)
        #expect(TimeFormat.parseISO("2020-08-27T18:19:24.5Z") == 1_598_552_364.5)
        #expect(TimeFormat.parseISO("2020-08-27T18:19:24") == nil)
        #expect(TimeFormat.parseISO("yesterday") == nil)
        #expect(TimeFormat.httpDate(1_598_552_364) == "Thu, 27 Aug 2020 18:19:24 GMT")
    }
}

@Suite("The key pool resource")
struct KeyPoolTests {
    /// Resources/keypool.pem (scripts/make-key-pool) is embedded with `.embedInCode`: 16 distinct RSA keys, and a
    /// seed picks distinct keys for its slots, the same ones every time.
    @Test("the embedded pool holds 16 distinct keys; a seed's slots are distinct and stable")
    func pool() throws {
        #expect(KeyPool.pems.count == 16)
        let thumbs = try KeyPool.pems.map { try RSAKey(pem: $0).thumbprint }
        #expect(Set(thumbs).count == 16)
        let slots: [KeyPool.Slot] = [.orgServer, .defaultServer, .serviceApp, .tlsCA, .tlsServer, .stray]
        let a = try slots.map { try KeyPool.key(seed: 5, slot: $0).thumbprint }
        #expect(Set(a).count == slots.count)
        #expect(try slots.map { try KeyPool.key(seed: 5, slot: $0).thumbprint } == a)
        // The blocks are split on bytes; Foundation's split of the same text is the oracle.
        let text = String(decoding: PackageResources.keypool_pem, as: UTF8.self)
        let end = "-----END PRIVATE KEY-----"
        let expected = text.components(separatedBy: end).compactMap { part -> String? in
            let body = part.trimmingCharacters(in: .whitespacesAndNewlines)
            return body.isEmpty ? nil : body + "\n" + end + "\n"
        }
        #expect(KeyPool.pems == expected)
    }
}

/// Base64url and form decoding are written on bytes (issue 15: Foundation's string replacing was ~8% of a token
/// request); Foundation's answers are the oracle, over every length and both alphabets.
@Suite("Base64url and form decoding on bytes")
struct ByteCodecTests {
    static func foundationEncode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func foundationDecode(_ s: String) -> [UInt8]? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t).map { Array($0) }
    }

    @Test("encode and decode agree with Foundation for every length 0…64 and every byte value")
    func roundTrip() {
        var rng = SeededGenerator(seed: 7)
        for n in 0...64 {
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == Self.foundationEncode(bytes))
            #expect(Base64URL.decode(encoded) == bytes)
        }
        let all = (0...255).map { UInt8($0) }
        #expect(Base64URL.encode(all) == Self.foundationEncode(all))
        #expect(Base64URL.decode(Base64URL.encode(all)) == all)
    }

    @Test("padding, the standard alphabet and bad input decode as Foundation decodes them; excess padding is refused")
    func edgeCases() {
        let inputs = [
            "", "a", "ab", "abc", "abcd", "ab=", "ab==", "abc=", "a===", "a==", "a=", "a+/b", "a-_b", "-_-_", "ab cd",
            "ab\ncd", "ab=cd", "a.b", "é", "YWJj", "YWJjZA", "YWJjZA==",
        ]
        for s in inputs { #expect(Base64URL.decode(s) == Self.foundationDecode(s), "\(s)") }
        // Foundation pads up to four and then takes any run of `=` (`====` is one zero byte); RFC 4648 §3.3 and
        // JWS (RFC 7515 §2) allow none beyond the group, so a JWT segment with it is not base64url.
        for s in ["abc==", "ab===", "abcd=", "====", "="] {
            #expect(Self.foundationDecode(s) != nil, "\(s)")
            #expect(Base64URL.decode(s) == nil, "\(s)")
        }
    }

    @Test("reply headers are found and replaced whatever the case of their name")
    func replyHeaderNames() {
        var r = HTTPReply(status: 200, headers: [("Content-Type", "a"), ("X-Rate-Limit-Limit", "5")])
        #expect(r.header("content-type") == "a" && r.header("X-RATE-LIMIT-LIMIT") == "5")
        #expect(r.header("Content-Typ") == nil && r.header("Content-Types") == nil && r.header("") == nil)
        r.setHeader("x-rate-limit-limit", "6")
        #expect(r.headers.count == 2 && r.header("X-Rate-Limit-Limit") == "6")
        #expect(HTTPReply.sameName("Vary", "vARY") && !HTTPReply.sameName("Vary", "Varz"))
        #expect(!HTTPReply.sameName("[", "{"))  // 91 and 123: only A–Z fold
    }

    @Test("form components: plus is a space, %XX a byte; malformed escapes and non-UTF-8 stay as sent")
    func formComponents() {
        let cases: [(String, String)] = [
            ("a+b", "a b"), ("a%20b", "a b"), ("%2B", "+"), ("%e2%82%ac", "€"), ("%E2%82%AC", "€"), ("plain", "plain"),
            ("100%", "100%"), ("%zz+x", "%zz x"), ("%4", "%4"), ("%ff", "%ff"), ("a%2", "a%2"), ("", ""),
        ]
        for (raw, want) in cases {
            #expect(HTTPRequestInfo.decodeComponent(raw) == want, "\(raw)")
            let plus = raw.replacingOccurrences(of: "+", with: " ")
            #expect(HTTPRequestInfo.decodeComponent(raw) == (plus.removingPercentEncoding ?? plus), "\(raw)")
        }
        #expect(
            HTTPRequestInfo.parseForm("grant_type=client_credentials&scope=a+b%20c&x=")
                .map { "\($0.0)=\($0.1)" } == ["grant_type=client_credentials", "scope=a b c", "x="])
    }
}
