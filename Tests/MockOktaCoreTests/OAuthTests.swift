import Foundation
import Testing

@testable import MockOktaCore

@Suite("Default tenant and OAuth/OIDC (okta-contract.md §4)")
struct OAuthTests {
    @Test("--seed makes the tenant identical: ids, secrets and keys")
    func seededTenant() throws {
        let a = try TestOrg(seed: 7)
        let b = try TestOrg(seed: 7)
        let c = try TestOrg(seed: 8)
        #expect(a.creds == b.creds)
        #expect(a.creds["apiToken"] != c.creds["apiToken"])
        #expect(a.send("GET", "/oauth2/default/v1/keys").body == b.send("GET", "/oauth2/default/v1/keys").body)
        #expect(a.cred("serviceClientId").hasPrefix("0oa") && a.cred("serviceClientId").count == 20)
    }

    @Test("discovery documents name the server's endpoints (§4.1, §4.2)")
    func discovery() throws {
        let org = try TestOrg()
        let d = org.send("GET", "/oauth2/default/.well-known/openid-configuration").bodyJSON!
        #expect(d["issuer"] == "https://127.0.0.1:8443/oauth2/default")
        #expect(d["jwks_uri"] == "https://127.0.0.1:8443/oauth2/default/v1/keys")
        let o = org.send("GET", "/.well-known/openid-configuration").bodyJSON!
        #expect(o["issuer"] == "https://127.0.0.1:8443")
        #expect(o["token_endpoint"] == "https://127.0.0.1:8443/oauth2/v1/token")
        #expect(
            org.send("GET", "/oauth2/ausNope/.well-known/openid-configuration").bodyJSON?["errorCode"] == "E0000007")
        // each server has its own keys, published with Cache-Control
        let k1 = org.send("GET", "/oauth2/v1/keys")
        let k2 = org.send("GET", "/oauth2/default/v1/keys")
        #expect(k1.header("Cache-Control")?.contains("must-revalidate") == true)
        #expect(k1.bodyJSON?["keys"]?[0]?["kid"] != k2.bodyJSON?["keys"]?[0]?["kid"])
    }

    @Test("client_credentials with client_secret_basic issues an Okta-shaped access token")
    func clientCredentials() throws {
        let org = try TestOrg()
        let r = org.serviceToken(scope: "api.read api.write")
        #expect(r.status == 200)
        let body = try #require(r.bodyJSON)
        #expect(body["token_type"] == "Bearer" && body["expires_in"] == 3600 && body["scope"] == "api.read api.write")
        let jwt = try #require(DecodedJWT(body["access_token"]!.stringValue!))
        let keys = org.send("GET", "/oauth2/default/v1/keys").bodyJSON!["keys"]![0]!
        let pub = try RSAKey(
            modulus: Base64URL.decode(keys["n"]!.stringValue!)!, exponent: Base64URL.decode(keys["e"]!.stringValue!)!)
        #expect(jwt.verify(with: pub))
        #expect(jwt.claims.objectValue!.map(\.0) == ["ver", "jti", "iss", "aud", "iat", "exp", "cid", "scp", "sub"])
        #expect(jwt.claims["aud"] == "api://default" && jwt.claims["cid"]?.stringValue == org.cred("serviceClientId"))
        #expect(jwt.claims["jti"]?.stringValue?.hasPrefix("AT.") == true)
        #expect(jwt.claims["scp"] == ["api.read", "api.write"])
    }

    @Test("wrong secret → 401 invalid_client; unknown scope → 400 invalid_scope; parameters read from the query too")
    func clientCredentialsErrors() throws {
        let org = try TestOrg()
        let bad = org.form(
            "/oauth2/default/v1/token", [("grant_type", "client_credentials"), ("scope", "api.read")],
            headers: [org.basic(org.cred("serviceClientId"), "nope")])
        #expect(bad.status == 401 && bad.bodyJSON?["error"] == "invalid_client")
        #expect(org.serviceToken(scope: "api.admin").bodyJSON?["error"] == "invalid_scope")
        let q = org.send(
            "POST", "/oauth2/default/v1/token", query: [("grant_type", "client_credentials"), ("scope", "api.read")],
            headers: [org.basic(org.cred("serviceClientId"), org.cred("serviceClientSecret"))])
        #expect(q.status == 200)
        // A stray DPoP header on a client that does not use DPoP is ignored: Okta gives the Go SDK's DPoP-first
        // request a Bearer token (okta-contract.md §4.10).
        let stray = org.send(
            "POST", "/oauth2/default/v1/token", query: [("grant_type", "client_credentials"), ("scope", "api.read")],
            headers: [
                org.basic(org.cred("serviceClientId"), org.cred("serviceClientSecret")), ("dpop", "eyJ.stray.proof"),
            ])
        #expect(stray.status == 200 && stray.bodyJSON?["token_type"] == "Bearer")
        // every denial writes a System Log event
        #expect(
            org.engine.systemLog.all().contains {
                $0.eventType == "app.oauth2.invalid_client_credentials" && $0.outcome == "FAILURE"
            })
    }

    @Test("private_key_jwt on the org server; the jti is single-use even after a failed request (§4.4)")
    func privateKeyJWT() throws {
        let org = try TestOrg()
        let url = "https://127.0.0.1:8443/oauth2/v1/token"
        let a = try org.assertion(aud: url, jti: "one")
        func post(_ assertion: String, scope: String) -> HTTPReply {
            org.form(
                "/oauth2/v1/token",
                [
                    ("grant_type", "client_credentials"), ("scope", scope),
                    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                    ("client_assertion", assertion),
                ])
        }
        let ok = post(a, scope: "okta.users.read")
        #expect(ok.status == 200)
        let at = DecodedJWT(ok.bodyJSON!["access_token"]!.stringValue!)!
        #expect(at.claims["aud"] == "https://127.0.0.1:8443" && at.claims["iss"] == "https://127.0.0.1:8443")
        let replay = post(a, scope: "okta.users.read")
        #expect(
            replay.status == 401
                && replay.bodyJSON?["error_description"] == "The client_assertion token has already been used.")
        let b = try org.assertion(aud: url, jti: "two")
        #expect(post(b, scope: "okta.apps.manage").status == 400)  // not granted
        #expect(post(b, scope: "okta.users.read").status == 401)  // burned anyway
        #expect(
            post(try org.assertion(aud: "https://elsewhere/token", jti: "three"), scope: "okta.users.read").status
                == 401)
        #expect(post(try org.assertion(aud: url, jti: "four", expIn: 7200), scope: "okta.users.read").status == 401)
        // the org server refuses client secrets for client_credentials
        let s = org.form(
            "/oauth2/v1/token", [("grant_type", "client_credentials"), ("scope", "okta.users.read")],
            headers: [org.basic(org.cred("serviceClientId"), org.cred("serviceClientSecret"))])
        #expect(s.status == 401 && s.bodyJSON?["error"] == "invalid_client")
    }

    func authorize(_ org: TestOrg, login: String, challenge: String? = nil, method: String = "S256") -> HTTPReply {
        var q = [
            ("client_id", org.cred("webClientId")), ("response_type", "code"),
            ("scope", "openid profile email offline_access"),
            ("redirect_uri", "http://localhost:8000/callback"), ("state", "st4te"), ("nonce", "n0nce"),
            ("login_hint", login),
        ]
        if let challenge { q += [("code_challenge", challenge), ("code_challenge_method", method)] }
        return org.send("GET", "/oauth2/default/v1/authorize", query: q)
    }

    func code(_ r: HTTPReply) -> String? {
        guard let loc = r.header("Location"), let c = URLComponents(string: loc) else { return nil }
        return c.queryItems?.first { $0.name == "code" }?.value
    }

    @Test("authorization code with PKCE S256, refresh with rotation, and the failure cases")
    func codeFlow() throws {
        let org = try TestOrg()
        let verifier = "v3rifier-0123456789-0123456789-0123456789-abc"
        let challenge = Base64URL.encode(Digest.sha256(Array(verifier.utf8)))
        let r = authorize(org, login: "ann@example.com", challenge: challenge)
        #expect(r.status == 302)
        #expect(r.header("Location")?.contains("state=st4te") == true)
        let c = try #require(code(r))
        let web = org.basic(org.cred("webClientId"), org.cred("webClientSecret"))
        func exchange(_ code: String, _ v: String) -> HTTPReply {
            org.form(
                "/oauth2/default/v1/token",
                [
                    ("grant_type", "authorization_code"), ("code", code),
                    ("redirect_uri", "http://localhost:8000/callback"), ("code_verifier", v),
                ], headers: [web])
        }
        #expect(exchange(c, "wrong").bodyJSON?["error"] == "invalid_grant")
        let c2 = try #require(code(authorize(org, login: "ann@example.com", challenge: challenge)))
        let tokens = exchange(c2, verifier)
        #expect(tokens.status == 200)
        let t = try #require(tokens.bodyJSON)
        let id = try #require(DecodedJWT(t["id_token"]!.stringValue!))
        #expect(id.claims["nonce"] == "n0nce" && id.claims["aud"]?.stringValue == org.cred("webClientId"))
        #expect(id.claims["at_hash"] != nil && id.claims["amr"] == ["pwd"] && id.claims["auth_time"] != nil)
        #expect(exchange(c2, verifier).bodyJSON?["error"] == "invalid_grant")  // codes are single-use
        let rt = t["refresh_token"]!.stringValue!
        let refreshed = org.form(
            "/oauth2/default/v1/token", [("grant_type", "refresh_token"), ("refresh_token", rt)], headers: [web])
        #expect(refreshed.status == 200)
        #expect(refreshed.bodyJSON?["refresh_token"]?.stringValue != rt)  // rotated on `default`
        let again = org.form(
            "/oauth2/default/v1/token", [("grant_type", "refresh_token"), ("refresh_token", rt)], headers: [web])
        #expect(again.bodyJSON?["error"] == "invalid_grant")
        let bogus = org.form(
            "/oauth2/default/v1/token", [("grant_type", "refresh_token"), ("refresh_token", "bogus")], headers: [web])
        #expect(bogus.status == 400 && bogus.bodyJSON?["error"] == "invalid_grant")
    }

    @Test("unassigned or suspended users cannot sign in; the refusal is in the System Log")
    func enforcementAtSignIn() throws {
        let org = try TestOrg()
        let r = authorize(org, login: "dave@example.com")
        let loc = try #require(r.header("Location"))
        #expect(loc.contains("error=access_denied"))
        #expect(loc.contains("User%20is%20not%20assigned%20to%20the%20client%20application."))
        org.engine.perform(.suspendUser(user: "ann@example.com"), ex: nil)
        #expect(authorize(org, login: "ann@example.com").header("Location")?.contains("error=access_denied") == true)
        #expect(org.engine.systemLog.all().contains { $0.eventType == "user.lifecycle.suspend" })
        // no login_hint: the sign-in form
        let form = org.send(
            "GET", "/oauth2/default/v1/authorize",
            query: [
                ("client_id", org.cred("webClientId")), ("response_type", "code"),
                ("scope", "openid"), ("redirect_uri", "http://localhost:8000/callback"), ("state", "s"),
            ])
        #expect(form.status == 200 && form.bodyText.contains("<form"))
    }

    @Test("introspect active, then revoke, then inactive; userinfo needs a valid token")
    func introspectRevokeUserinfo() throws {
        let org = try TestOrg()
        let web = org.basic(org.cred("webClientId"), org.cred("webClientSecret"))
        let pw = org.creds["user"]!["password"]!.stringValue!
        let t = org.form(
            "/oauth2/default/v1/token",
            [
                ("grant_type", "password"), ("username", "ann@example.com"), ("password", pw),
                ("scope", "openid profile email"),
            ], headers: [web]
        ).bodyJSON!
        let at = t["access_token"]!.stringValue!
        #expect(org.form("/oauth2/default/v1/introspect", [("token", at)], headers: [web]).bodyJSON?["active"] == true)
        let info = org.send("GET", "/oauth2/default/v1/userinfo", headers: [("authorization", "Bearer \(at)")])
        #expect(info.status == 200 && info.bodyJSON?["preferred_username"] == "ann@example.com")
        let rv = org.form("/oauth2/default/v1/revoke", [("token", at)], headers: [web])
        #expect(rv.status == 200 && rv.body.isEmpty)
        #expect(
            org.form("/oauth2/default/v1/introspect", [("token", at)], headers: [web]).bodyJSON == ["active": false])
        let bad = org.send("GET", "/oauth2/default/v1/userinfo", headers: [("authorization", "Bearer \(at)")])
        #expect(bad.status == 401 && bad.header("WWW-Authenticate")?.contains("invalid_token") == true)
        let wrongPw = org.form(
            "/oauth2/default/v1/token",
            [
                ("grant_type", "password"), ("username", "ann@example.com"),
                ("password", "x"), ("scope", "openid"),
            ], headers: [web])
        #expect(wrongPw.bodyJSON?["error"] == "invalid_grant")
    }

    @Test("every response carries X-Okta-Request-Id and the X-Rate-Limit trio (§2.1)")
    func standardHeaders() throws {
        let org = try TestOrg()
        for r in [org.send("GET", "/oauth2/v1/keys"), org.serviceToken(), org.send("GET", "/api/v1/users")] {
            #expect(r.header("X-Okta-Request-Id") != nil)
            #expect(r.header("X-Rate-Limit-Limit") != nil && r.header("X-Rate-Limit-Remaining") != nil)
            #expect(Int(r.header("X-Rate-Limit-Reset") ?? "") ?? 0 > 1_800_000_000)
            #expect(r.date?.hasSuffix(" GMT") == true)
        }
    }
}
