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
    }
}
