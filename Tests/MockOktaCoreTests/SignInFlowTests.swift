import Foundation
import Testing

@testable import MockOktaCore

/// Sessions at `/authorize` (a session token, the `sid` cookie, `prompt=none`), the sign-in page's second-factor
/// step, and the Factors API.
@Suite("Sign-in flows: sessionToken and sid at /authorize, the MFA step, the Factors API")
struct SignInFlowTests {
    static func authorizeQuery(_ org: TestOrg, _ extra: [(String, String)] = []) -> [(String, String)] {
        [
            ("client_id", org.cred("webClientId")), ("response_type", "code"), ("scope", "openid"),
            ("redirect_uri", DefaultTenant.webRedirectURI), ("state", "st"),
        ] + extra
    }

    static func sid(_ r: HTTPReply) -> String? {
        r.headers.first { $0.0 == "Set-Cookie" && $0.1.hasPrefix("sid=") }?.1.split(separator: ";").first.map(
            String.init)
    }

    @Test("a session token signs in at /authorize once; the sid cookie then signs in silently until the session ends")
    func sessionTokenAndCookie() throws {
        let org = try TestOrg(rateLimits: false)
        let token = try #require(
            SignInTests.authn(org, SignInTests.ann, SignInTests.password(org)).bodyJSON?["sessionToken"]?.stringValue)
        let first = org.send(
            "GET", "/oauth2/default/v1/authorize", query: Self.authorizeQuery(org, [("sessionToken", token)]))
        #expect(first.status == 302 && CoverageTests.queryItem(first, "code") != nil)
        let cookie = try #require(Self.sid(first))
        // Used: the token alone no longer signs in (the sign-in page shows).
        let reused = org.send(
            "GET", "/oauth2/default/v1/authorize", query: Self.authorizeQuery(org, [("sessionToken", token)]))
        #expect(reused.status == 200 && reused.bodyText.contains("<form"))
        // The cookie does, even with prompt=none.
        let silent = org.send(
            "GET", "/oauth2/default/v1/authorize", query: Self.authorizeQuery(org, [("prompt", "none")]),
            headers: [("cookie", cookie)])
        #expect(CoverageTests.queryItem(silent, "code") != nil)
        // Without it, prompt=none is login_required.
        let none = org.send(
            "GET", "/oauth2/default/v1/authorize", query: Self.authorizeQuery(org, [("prompt", "none")]))
        #expect(CoverageTests.queryItem(none, "error") == "login_required")
        // Clearing the user's sessions ends it.
        let id = CoverageTests.userId(org, SignInTests.ann)
        #expect(org.send("DELETE", "/api/v1/users/\(id)/sessions", headers: [org.ssws]).status == 204)
        let after = org.send(
            "GET", "/oauth2/default/v1/authorize", query: Self.authorizeQuery(org, [("prompt", "none")]),
            headers: [("cookie", cookie)])
        #expect(CoverageTests.queryItem(after, "error") == "login_required")
    }

    @Test("the sign-in page asks for a code when the policy requires MFA, and sets the sid cookie once signed in")
    func signInPageSecondFactor() throws {
        let scenario = #"{"version":1,"name":"m","tenant":{"users":[{"login":"ann@example.com","totp":true}]}}"#
        let org = try TestOrg(scenario: scenario, rateLimits: false)
        CoverageTests.action(org, #"{"type":"requireMfa","app":"web"}"#)
        let form = Self.authorizeQuery(org) + [("username", SignInTests.ann), ("password", SignInTests.password(org))]
        let step = org.form("/oauth2/default/v1/authorize", form)
        #expect(
            step.status == 200 && step.bodyText.contains("name=\"passCode\""))
        let state = try #require(Self.hidden(step.bodyText, "mfa_state"))
        let wrong = org.form(
            "/oauth2/default/v1/authorize", Self.authorizeQuery(org) + [("mfa_state", state), ("passCode", "000000")])
        #expect(wrong.status == 200 && wrong.bodyText.contains("doesn"))
        let again = try #require(Self.hidden(wrong.bodyText, "mfa_state"))
        let code = SignInTests.code(org, SignInTests.ann)
        let done = org.form(
            "/oauth2/default/v1/authorize", Self.authorizeQuery(org) + [("mfa_state", again), ("passCode", code)])
        #expect(done.status == 302 && CoverageTests.queryItem(done, "code") != nil && Self.sid(done) != nil)
        // login_hint no longer skips the second factor for this app.
        let hinted = org.send(
            "GET", "/oauth2/default/v1/authorize", query: Self.authorizeQuery(org, [("login_hint", SignInTests.ann)]))
        #expect(hinted.status == 200 && hinted.bodyText.contains("mfa_state"))
    }

    @Test("a user with no factor sets one up on the sign-in page: the key is shown, the first code activates it")
    func signInPageEnrollment() throws {
        let org = try TestOrg(rateLimits: false)
        CoverageTests.action(org, #"{"type":"requireMfa"}"#)
        let form = Self.authorizeQuery(org) + [("username", SignInTests.ann), ("password", SignInTests.password(org))]
        let step = org.form("/oauth2/default/v1/authorize", form)
        #expect(step.bodyText.contains("Set up multifactor authentication"))
        let state = try #require(Self.hidden(step.bodyText, "mfa_state"))
        let code = SignInTests.code(org, SignInTests.ann)  // the pending factor's secret is in /__mock/tenant
        let done = org.form(
            "/oauth2/default/v1/authorize", Self.authorizeQuery(org) + [("mfa_state", state), ("passCode", code)])
        #expect(done.status == 302 && CoverageTests.queryItem(done, "code") != nil)
        let factors = org.send(
            "GET", "/api/v1/users/\(CoverageTests.userId(org, SignInTests.ann))/factors", headers: [org.ssws])
        #expect(factors.bodyJSON?.arrayValue?.map { $0["status"] } == ["ACTIVE"])
    }

    @Test("Factors API: enroll TOTP (pending, with its key), activate with a code, verify, delete")
    func factorsAPI() throws {
        let org = try TestOrg(rateLimits: false)
        let uid = CoverageTests.userId(org, SignInTests.ann)
        let base = "/api/v1/users/\(uid)/factors"
        let e = org.send(
            "POST", base, headers: [org.ssws], body: #"{"factorType":"token:software:totp","provider":"OKTA"}"#)
        #expect(e.status == 200 && e.bodyJSON?["status"] == "PENDING_ACTIVATION")
        let secret = try #require(e.bodyJSON?["_embedded"]?["activation"]?["sharedSecret"]?.stringValue)
        let id = try #require(e.bodyJSON?["id"]?.stringValue)
        func code() -> String { TOTP.code(secret: TOTP.base32Decode(secret) ?? [], at: org.engine.clock.now()) }
        let bad = org.send(
            "POST", "\(base)/\(id)/lifecycle/activate", headers: [org.ssws], body: #"{"passCode":"123"}"#)
        #expect(bad.status == 403 && bad.bodyJSON?["errorCode"] == "E0000068")
        let a = org.send(
            "POST", "\(base)/\(id)/lifecycle/activate", headers: [org.ssws], body: #"{"passCode":"\#(code())"}"#)
        #expect(a.bodyJSON?["status"] == "ACTIVE")
        // Okta takes each code once: the code that activated the factor is refused, the next step's is taken.
        let again = org.send(
            "POST", "\(base)/\(id)/verify", headers: [org.ssws], body: #"{"passCode":"\#(code())"}"#)
        #expect(again.status == 403 && again.bodyJSON?["errorCode"] == "E0000082")
        #expect(CoverageTests.action(org, #"{"type":"advanceClock","seconds":30}"#).status == 200)
        let v = org.send("POST", "\(base)/\(id)/verify", headers: [org.ssws], body: #"{"passCode":"\#(code())"}"#)
        #expect(v.bodyJSON?["factorResult"] == "SUCCESS")
        #expect(org.send("DELETE", "\(base)/\(id)", headers: [org.ssws]).status == 204)
        #expect(org.send("GET", "\(base)/\(id)", headers: [org.ssws]).status == 404)
        // Same seed, same secret: a test can rely on it.
        let other = try TestOrg(rateLimits: false)
        let e2 = other.send("POST", base, headers: [other.ssws], body: #"{"factorType":"token:software:totp"}"#)
        #expect(e2.bodyJSON?["_embedded"]?["activation"]?["sharedSecret"]?.stringValue == secret)
    }

    @Test("a lockout survives a restart with --db; sessions do not")
    func lockoutPersists() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("signin-\(UUID().uuidString).sqlite")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let org = try TestOrg(dbPath: path)
            CoverageTests.action(org, #"{"type":"lockUser","user":"ann@example.com"}"#)
        }
        // The first engine lets go of the file once its background journal read-back ends.
        var again: TestOrg? = nil
        for _ in 0..<100 where again == nil {
            again = try? TestOrg(dbPath: path)
            if again == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        let reopened = try #require(again)
        #expect(
            SignInTests.authn(reopened, SignInTests.ann, SignInTests.password(reopened)).bodyJSON?["status"]
                == "LOCKED_OUT")
    }

    @Test("the Authn API has its own rate-limit bucket (Okta Workforce default 600/min), apart from /api/v1")
    func authnBucket() throws {
        let org = try TestOrg()
        let r = SignInTests.authn(org, SignInTests.ann, SignInTests.password(org))
        #expect(r.header("X-Rate-Limit-Limit") == "600")
        #expect(org.send("GET", "/api/v1/sessions/x", headers: [org.ssws]).header("X-Rate-Limit-Limit") == "1200")
        #expect(RateLimiter.bucket(method: "POST", path: "/api/v1/authn/factors/uft1/verify") == "authn")
    }

    static func hidden(_ html: String, _ name: String) -> String? {
        guard let r = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }
}
