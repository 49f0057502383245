import Foundation
import Testing

@testable import MockOktaCore

/// Issue 12, point 6: the device authorization grant (RFC 8628) and client_secret_jwt (RFC 7523 §2.2).
@Suite("device flow and client_secret_jwt")
struct GrantsAndClientAuthTests {
    /// A native app with the device grant, assigned to everyone through the Everyone group.
    static func nativeApp(_ org: TestOrg) throws -> String {
        let body =
            #"{"name":"oidc_client","label":"TV","signOnMode":"OPENID_CONNECT","settings":{"oauthClient":"#
            + #"{"application_type":"native","grant_types":["urn:ietf:params:oauth:grant-type:device_code","#
            + #""refresh_token"]}},"credentials":{"oauthClient":{"token_endpoint_auth_method":"none"}}}"#
        let r = org.send("POST", "/api/v1/apps", headers: [org.ssws], body: body)
        let id = try #require(r.bodyJSON?["id"]?.stringValue, "\(r.bodyText)")
        let everyone = try #require(
            org.send("GET", "/api/v1/groups", query: [("q", "Everyone")], headers: [org.ssws]).bodyJSON?[0]?["id"]?
                .stringValue)
        #expect(org.send("PUT", "/api/v1/apps/\(id)/groups/\(everyone)", headers: [org.ssws], body: "{}").status == 200)
        return id
    }

    static func poll(_ org: TestOrg, _ client: String, _ code: String) -> HTTPReply {
        org.form(
            "/oauth2/default/v1/token",
            [("grant_type", MockOkta.deviceGrant), ("device_code", code), ("client_id", client)])
    }

    static func start(_ org: TestOrg, _ client: String) throws -> (String, String) {
        let r = org.form(
            "/oauth2/default/v1/device/authorize", [("client_id", client), ("scope", "openid offline_access")])
        #expect(r.status == 200, "\(r.bodyText)")
        let j = try #require(r.bodyJSON)
        #expect(j["verification_uri"]?.stringValue == "\(org.engine.baseURL)/activate")
        #expect(j["expires_in"] == 600 && j["interval"] == 5)
        let user = try #require(j["user_code"]?.stringValue)
        #expect(user.count == 8 && user.allSatisfy { MockOkta.userCodeAlphabet.contains($0) })
        return (try #require(j["device_code"]?.stringValue), user)
    }

    @Test("device flow: pending, slow_down, approval through the action, tokens once; expired and denied codes")
    func deviceFlow() throws {
        let org = try TestOrg()
        let client = try Self.nativeApp(org)
        let (code, userCode) = try Self.start(org, client)
        var r = Self.poll(org, client, code)
        #expect(r.status == 400 && r.bodyJSON?["error"] == "authorization_pending")
        r = Self.poll(org, client, code)  // at once: faster than the interval
        #expect(r.status == 400 && r.bodyJSON?["error"] == "slow_down")
        org.wall.advance(11)
        #expect(Self.poll(org, client, code).bodyJSON?["error"] == "authorization_pending")
        let ok = CoverageTests.action(
            org, #"{"type":"approveDevice","user":"ann@example.com","userCode":"\#(userCode)"}"#)
        #expect(ok.bodyJSON?["ok"] == true, "\(ok.bodyText)")
        org.wall.advance(11)
        r = Self.poll(org, client, code)
        #expect(
            r.status == 200 && r.bodyJSON?["id_token"] != nil && r.bodyJSON?["refresh_token"] != nil, "\(r.bodyText)")
        let at = try AuthorizationTests.jwt(r, "access_token")
        #expect(at.claims["cid"]?.stringValue == client && at.claims["sub"] == "ann@example.com")
        #expect(Self.poll(org, client, code).bodyJSON?["error"] == "invalid_grant")  // used once
        // Denied at /activate with the user's password.
        let (code2, user2) = try Self.start(org, client)
        let page = org.form(
            "/activate",
            [
                ("user_code", user2), ("username", "ann@example.com"), ("password", CoverageTests.password(org)),
                ("deny", "1"),
            ])
        #expect(page.status == 200 && page.bodyText.contains("not activated"))
        #expect(Self.poll(org, client, code2).bodyJSON?["error"] == "access_denied")
        // Expired after 600 s.
        let (code3, _) = try Self.start(org, client)
        org.wall.advance(601)
        #expect(Self.poll(org, client, code3).bodyJSON?["error"] == "expired_token")
        // An app without the grant cannot start one.
        let web = org.form(
            "/oauth2/default/v1/device/authorize", [("scope", "openid")], headers: [CoverageTests.web(org)])
        #expect(web.status == 400 && web.bodyJSON?["error"] == "unauthorized_client")
    }

    @Test("/activate approves with the right password only; a wrong one counts toward the lockout")
    func activationPage() throws {
        let org = try TestOrg()
        let client = try Self.nativeApp(org)
        let (code, userCode) = try Self.start(org, client)
        let form = org.send("GET", "/activate", query: [("user_code", userCode)])
        #expect(form.status == 200 && form.bodyText.contains("value=\"\(userCode)\""))
        let bad = org.form("/activate", [("user_code", userCode), ("username", "ann@example.com"), ("password", "x")])
        #expect(bad.status == 401)
        let user = try #require(org.engine.read { $0.user(idOrLogin: "ann@example.com") })
        #expect(user.failedLogins == 1)
        let good = org.form(
            "/activate",
            [
                ("user_code", userCode.lowercased()), ("username", "ann@example.com"),
                ("password", CoverageTests.password(org)),
            ])
        #expect(good.status == 200 && good.bodyText.contains("Device activated"))
        #expect(Self.poll(org, client, code).status == 200)
    }

    static func hs256(_ claims: JSON, secret: String) -> String {
        let header: JSON = ["alg": "HS256", "typ": "JWT"]
        let input = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(claims.serialized())
        return input + "." + Base64URL.encode(Digest.hmac(256, key: Array(secret.utf8), Array(input.utf8)))
    }

    @Test("client_secret_jwt: an HS256 assertion made with the client secret authenticates; a wrong secret is 401")
    func clientSecretJWT() throws {
        let org = try TestOrg()
        let id = org.cred("serviceClientId")
        let now = Int(org.engine.clock.now())
        func assertion(_ secret: String, jti: String) -> String {
            Self.hs256(
                [
                    "iss": .string(id), "sub": .string(id),
                    "aud": .string("\(org.engine.baseURL)/oauth2/default/v1/token"),
                    "iat": JSON(now), "exp": JSON(now + 300), "jti": .string(jti),
                ], secret: secret)
        }
        func token(_ a: String) -> HTTPReply {
            org.form(
                "/oauth2/default/v1/token",
                [
                    ("grant_type", "client_credentials"), ("scope", "api.read"),
                    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                    ("client_assertion", a),
                ])
        }
        let good = token(assertion(org.cred("serviceClientSecret"), jti: "j1"))
        #expect(good.status == 200, "\(good.bodyText)")
        #expect(
            token(assertion(org.cred("serviceClientSecret"), jti: "j1")).bodyJSON?["error_description"]
                == "The client_assertion token has already been used.")
        let bad = token(assertion("not-the-secret-at-all", jti: "j2"))
        #expect(bad.status == 401 && bad.bodyJSON?["error_description"] == "The client_assertion signature is invalid.")
        // RFC 4231 test case 2: the HMAC itself.
        let mac = Digest.hmac(256, key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(
            mac.map { String(format: "%02x", $0) }.joined()
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
