import Foundation
import Testing

@testable import MockOktaCore

/// DPoP (RFC 9449) as the okta SDK's `dpopEnabled` mode uses it (okta/dpop.py, request_executor.py in okta 3.4.6):
/// a nonce challenge at the token endpoint, `token_type: DPoP`, `cnf.jkt`, and `/api/v1` with `Authorization: DPoP`.
@Suite("DPoP")
struct DPoPTests {
    static func proof(
        _ key: RSAKey, _ method: String, _ url: String, nonce: String? = nil, token: String? = nil,
        jti: String = UUID().uuidString, iat: Int
    ) throws -> String {
        let jwk = key.publicJWK(kid: "x")
        let header: JSON = ["typ": "dpop+jwt", "alg": "RS256", "jwk": ["kty": "RSA", "e": jwk["e"]!, "n": jwk["n"]!]]
        var claims: [(String, JSON)] = [
            ("jti", .string(jti)), ("htm", .string(method)), ("htu", .string(url)), ("iat", JSON(iat)),
        ]
        if let nonce { claims.append(("nonce", .string(nonce))) }
        if let token { claims.append(("ath", .string(Base64URL.encode(Digest.sha256(Array(token.utf8)))))) }
        let input = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(JSON.object(claims).serialized())
        return input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
    }

    static func orgTokenRequest(_ org: TestOrg, dpop: String) throws -> HTTPReply {
        org.send(
            "POST", "/oauth2/v1/token",
            headers: [("content-type", "application/x-www-form-urlencoded"), ("dpop", dpop)],
            body: [
                "grant_type=client_credentials", "scope=okta.users.read",
                "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
                "client_assertion=" + (try org.assertion(aud: "\(org.engine.baseURL)/oauth2/v1/token")),
            ].joined(separator: "&"))
    }

    /// The service app requires DPoP from now on (Okta's `settings.oauthClient.dpop_bound_access_tokens`).
    static func requireDPoP(_ org: TestOrg) throws {
        let id = org.cred("serviceClientId")
        try org.engine.mutate { t, d in
            t.apps[id]?.oauthExtra = ["dpop_bound_access_tokens": true]
            d.apps.insert(id)
        }
    }

    @Test("nonce challenge, then a DPoP-bound token that /api/v1 accepts only with a proof by the same key")
    func dpopFlow() throws {
        let org = try TestOrg()
        // Before the app requires DPoP, a proof is ignored: a Bearer token.
        let before = try Self.orgTokenRequest(org, dpop: "eyJ.not.aproof")
        #expect(before.status == 200 && before.bodyJSON?["token_type"] == "Bearer", "\(before.bodyText)")
        let bearer = try #require(before.bodyJSON?["access_token"]?.stringValue)
        let notBound = org.send("GET", "/api/v1/users", headers: [("authorization", "DPoP \(bearer)")])
        #expect(notBound.status == 401)
        try Self.requireDPoP(org)
        let missing = org.form(
            "/oauth2/v1/token",
            [
                ("grant_type", "client_credentials"), ("scope", "okta.users.read"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", try org.assertion(aud: "\(org.engine.baseURL)/oauth2/v1/token")),
            ])
        #expect(missing.status == 400 && missing.bodyJSON?["error"] == "invalid_dpop_proof")
        let key = try RSAKey.derive(seed: Array("dpop-test".utf8))
        let base = org.engine.baseURL
        let now = Int(org.engine.clock.now())
        let tokenURL = "\(base)/oauth2/v1/token"
        var r = try Self.orgTokenRequest(org, dpop: try Self.proof(key, "POST", tokenURL, iat: now))
        #expect(r.status == 400 && r.bodyJSON?["error"] == "use_dpop_nonce")
        #expect(r.bodyJSON?["error_description"] == "Authorization server requires nonce in DPoP proof.")
        let nonce = try #require(r.header("DPoP-Nonce"))
        r = try Self.orgTokenRequest(org, dpop: try Self.proof(key, "POST", tokenURL, nonce: nonce, iat: now))
        #expect(r.status == 200 && r.bodyJSON?["token_type"] == "DPoP", "\(r.bodyText)")
        let token = try #require(r.bodyJSON?["access_token"]?.stringValue)
        #expect(DecodedJWT(token)?.claims["cnf"]?["jkt"]?.stringValue == key.thumbprint)
        // /api/v1: the DPoP scheme and a proof for this request by the bound key.
        let users = "\(base)/api/v1/users"
        func call(_ scheme: String, _ proof: String?) -> HTTPReply {
            var h = [("authorization", "\(scheme) \(token)")]
            if let proof { h.append(("dpop", proof)) }
            return org.send("GET", "/api/v1/users", headers: h)
        }
        let good = try Self.proof(key, "GET", users, token: token, iat: now)
        #expect(call("DPoP", good).status == 200)
        #expect(call("DPoP", good).status == 401)  // the same proof twice (jti)
        #expect(call("Bearer", nil).status == 401)
        #expect(call("DPoP", nil).status == 401)
        let other = try RSAKey.derive(seed: Array("another".utf8))
        #expect(call("DPoP", try Self.proof(other, "GET", users, token: token, iat: now)).status == 401)
        #expect(call("DPoP", try Self.proof(key, "POST", users, token: token, iat: now)).status == 401)  // htm
        #expect(call("DPoP", try Self.proof(key, "GET", users, token: "other", iat: now)).status == 401)  // ath
        #expect(call("DPoP", try Self.proof(key, "GET", users, token: token, iat: now - 900)).status == 401)  // iat
        #expect(call("DPoP", try Self.proof(key, "GET", users, token: token, iat: now)).status == 200)
        // A stale nonce at the token endpoint: challenged again with the current one.
        org.wall.advance(700)
        let later = Int(org.engine.clock.now())
        r = try Self.orgTokenRequest(org, dpop: try Self.proof(key, "POST", tokenURL, nonce: nonce, iat: later))
        #expect(r.status == 400 && r.bodyJSON?["error"] == "use_dpop_nonce" && r.header("DPoP-Nonce") != nonce)
    }
}
