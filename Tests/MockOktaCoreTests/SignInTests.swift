import Foundation
import Testing

@testable import MockOktaCore

/// Sign-in as Okta does it (issue 13, first part): the Authn API, the password policy's lockout, TOTP factors,
/// sessions and the `sid` cookie, and the sign-on policy's second factor on the sign-in page.
@Suite("Sign-in: Authn API, lockout, TOTP, sessions, MFA")
struct SignInTests {
    static let ann = "ann@example.com"

    static func authn(_ org: TestOrg, _ user: String, _ password: String) -> HTTPReply {
        org.send("POST", "/api/v1/authn", body: #"{"username":"\#(user)","password":"\#(password)"}"#)
    }

    static func password(_ org: TestOrg) -> String { CoverageTests.password(org) }

    /// The current code of a user's active factor, from the secret `/__mock/tenant` shows.
    static func code(_ org: TestOrg, _ login: String, at t: Double? = nil) -> String {
        let users = org.send("GET", "/__mock/tenant").bodyJSON?["users"]?.arrayValue ?? []
        let u = users.first { $0["profile"]?["login"]?.stringValue == login }
        let secret = u?["factors"]?.arrayValue?.last?["secret"]?.stringValue ?? ""
        return TOTP.code(secret: TOTP.base32Decode(secret) ?? [], at: t ?? org.engine.clock.now())
    }

    @Test("TOTP matches RFC 6238's SHA-1 test vectors (6 digits) and RFC 4648's Base32 vector")
    func totpVectors() {
        let secret = Array("12345678901234567890".utf8)  // RFC 6238 Appendix B
        #expect(TOTP.code(secret: secret, at: 59) == "287082")
        #expect(TOTP.code(secret: secret, at: 1_111_111_109) == "081804")
        #expect(TOTP.code(secret: secret, at: 1_234_567_890) == "005924")
        #expect(TOTP.code(secret: secret, at: 2_000_000_000) == "279037")
        #expect(TOTP.verify("081804", secret: secret, at: 1_111_111_109 + 30))  // one step of drift
        #expect(!TOTP.verify("081804", secret: secret, at: 1_111_111_109 + 95))
        #expect(!TOTP.verify("08180x", secret: secret, at: 1_111_111_109))
        #expect(TOTP.base32(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(TOTP.base32Decode("MZXW6YTBOI") == Array("foobar".utf8))
        #expect(TOTP.base32Decode("not base32!") == nil)
    }

    @Test("right password: SUCCESS with a one-time session token that makes one session")
    func success() throws {
        let org = try TestOrg(rateLimits: false)
        let r = Self.authn(org, Self.ann, Self.password(org))
        #expect(r.status == 200 && r.bodyJSON?["status"] == "SUCCESS")
        #expect(r.bodyJSON?["_embedded"]?["user"]?["profile"]?["login"]?.stringValue == Self.ann)
        let token = try #require(r.bodyJSON?["sessionToken"]?.stringValue)
        let s = org.send("POST", "/api/v1/sessions", headers: [org.ssws], body: #"{"sessionToken":"\#(token)"}"#)
        #expect(s.status == 200 && s.bodyJSON?["status"] == "ACTIVE" && s.bodyJSON?["amr"] == ["pwd"])
        let again = org.send("POST", "/api/v1/sessions", headers: [org.ssws], body: #"{"sessionToken":"\#(token)"}"#)
        #expect(again.status == 401 && again.bodyJSON?["errorCode"] == "E0000004")
        let id = try #require(s.bodyJSON?["id"]?.stringValue)
        #expect(org.send("GET", "/api/v1/sessions/\(id)", headers: [org.ssws]).status == 200)
        #expect(org.send("DELETE", "/api/v1/sessions/\(id)", headers: [org.ssws]).status == 204)
        #expect(org.send("GET", "/api/v1/sessions/\(id)", headers: [org.ssws]).status == 404)
        #expect(org.engine.systemLog.all().contains { $0.eventType == "user.session.end" })
    }

    @Test("wrong passwords: 401 E0000004 and login_failed; at the policy's maximum, LOCKED_OUT and user.account.lock")
    func lockout() throws {
        let scenario = #"{"version":1,"name":"l","tenant":{"signOn":{"maxAttempts":3,"autoUnlockMinutes":15}}}"#
        let org = try TestOrg(scenario: scenario, rateLimits: false)
        for _ in 0..<3 {
            let r = Self.authn(org, Self.ann, "wrong")
            #expect(r.status == 401 && r.bodyJSON?["errorCode"] == "E0000004")
            #expect(r.bodyJSON?["errorSummary"] == "Authentication failed")
        }
        let failed = org.engine.systemLog.all().filter { $0.json["legacyEventType"] == "core.user_auth.login_failed" }
        #expect(failed.count == 3)
        #expect(org.engine.systemLog.all().contains { $0.eventType == "user.account.lock" })
        // Locked: even the right password answers LOCKED_OUT, and so does the password grant.
        #expect(Self.authn(org, Self.ann, Self.password(org)).bodyJSON?["status"] == "LOCKED_OUT")
        #expect(CoverageTests.passwordGrant(org).bodyJSON?["error"] == "invalid_grant")
        let user = org.send("GET", "/api/v1/users/\(Self.ann)", headers: [org.ssws]).bodyJSON
        #expect(user?["status"] == "LOCKED_OUT")
        // The policy unlocks after 15 minutes of the tenant clock.
        org.send("POST", "/__mock/clock", body: #"{"advance":901}"#)
        #expect(Self.authn(org, Self.ann, Self.password(org)).bodyJSON?["status"] == "SUCCESS")
    }

    @Test("an administrator unlocks; a right password resets the count of wrong ones")
    func unlockAndReset() throws {
        let org = try TestOrg(scenario: #"{"version":1,"name":"l","tenant":{"signOn":{"maxAttempts":2}}}"#)
        Self.authn(org, Self.ann, "wrong")
        #expect(Self.authn(org, Self.ann, Self.password(org)).bodyJSON?["status"] == "SUCCESS")
        Self.authn(org, Self.ann, "wrong")  // one again: not locked
        #expect(Self.authn(org, Self.ann, Self.password(org)).bodyJSON?["status"] == "SUCCESS")
        Self.authn(org, Self.ann, "wrong")
        Self.authn(org, Self.ann, "wrong")
        #expect(Self.authn(org, Self.ann, Self.password(org)).bodyJSON?["status"] == "LOCKED_OUT")
        let id = CoverageTests.userId(org, Self.ann)
        #expect(org.send("POST", "/api/v1/users/\(id)/lifecycle/unlock", headers: [org.ssws]).status == 200)
        #expect(Self.authn(org, Self.ann, Self.password(org)).bodyJSON?["status"] == "SUCCESS")
    }

    @Test("PASSWORD_EXPIRED: change_password with the old one, then SUCCESS with the new one")
    func passwordExpired() throws {
        let org = try TestOrg(rateLimits: false)
        #expect(CoverageTests.action(org, #"{"type":"expirePassword","user":"\#(Self.ann)"}"#).status == 200)
        let r = Self.authn(org, Self.ann, Self.password(org))
        #expect(r.bodyJSON?["status"] == "PASSWORD_EXPIRED")
        #expect(r.bodyJSON?["_links"]?["next"]?["name"] == "changePassword")
        let state = try #require(r.bodyJSON?["stateToken"]?.stringValue)
        let bad = org.send(
            "POST", "/api/v1/authn/credentials/change_password",
            body: #"{"stateToken":"\#(state)","oldPassword":"nope","newPassword":"Brand-new-1"}"#)
        #expect(bad.status == 403 && bad.bodyJSON?["errorCode"] == "E0000014")
        let ok = org.send(
            "POST", "/api/v1/authn/credentials/change_password",
            body: #"{"stateToken":"\#(state)","oldPassword":"\#(Self.password(org))","newPassword":"Brand-new-1"}"#)
        #expect(ok.bodyJSON?["status"] == "SUCCESS")
        #expect(Self.authn(org, Self.ann, "Brand-new-1").bodyJSON?["status"] == "SUCCESS")
        let unknown = org.send("POST", "/api/v1/authn/cancel", body: #"{"stateToken":"\#(state)"}"#)
        #expect(unknown.status == 401 && unknown.bodyJSON?["errorCode"] == "E0000011")
    }

    @Test("MFA required: MFA_REQUIRED, a wrong code is 403 E0000068, the right one SUCCESS with mfa in the session")
    func mfaRequired() throws {
        let scenario = #"{"version":1,"name":"m","tenant":{"users":[{"login":"ann@example.com","totp":true}]}}"#
        let org = try TestOrg(scenario: scenario, rateLimits: false)
        #expect(CoverageTests.action(org, #"{"type":"requireMfa"}"#).status == 200)
        let r = Self.authn(org, Self.ann, Self.password(org))
        #expect(r.bodyJSON?["status"] == "MFA_REQUIRED")
        let factor = try #require(r.bodyJSON?["_embedded"]?["factors"]?.arrayValue?.first)
        #expect(factor["factorType"] == "token:software:totp")
        let verify = try #require(factor["_links"]?["verify"]?["href"]?.stringValue)
        let path = String(verify.dropFirst("https://127.0.0.1:8443".count))
        let state = try #require(r.bodyJSON?["stateToken"]?.stringValue)
        let wrong = org.send("POST", path, body: #"{"stateToken":"\#(state)","passCode":"000000"}"#)
        #expect(wrong.status == 403 && wrong.bodyJSON?["errorCode"] == "E0000068")
        let ok = org.send("POST", path, body: #"{"stateToken":"\#(state)","passCode":"\#(Self.code(org, Self.ann))"}"#)
        #expect(ok.bodyJSON?["status"] == "SUCCESS")
        let token = try #require(ok.bodyJSON?["sessionToken"]?.stringValue)
        let s = org.send("POST", "/api/v1/sessions", headers: [org.ssws], body: #"{"sessionToken":"\#(token)"}"#)
        #expect(s.bodyJSON?["amr"] == ["pwd", "otp", "mfa"] && s.bodyJSON?["mfaActive"] == true)
        let events = org.engine.systemLog.all().map(\.eventType)
        #expect(events.contains("user.authentication.auth_via_mfa") && events.contains("policy.evaluate_sign_on"))
    }

    @Test("MFA required without a factor: MFA_ENROLL, enroll TOTP, activate with a code, SUCCESS")
    func mfaEnroll() throws {
        let org = try TestOrg(rateLimits: false)
        CoverageTests.action(org, #"{"type":"requireMfa"}"#)
        let r = Self.authn(org, Self.ann, Self.password(org))
        #expect(r.bodyJSON?["status"] == "MFA_ENROLL")
        let state = try #require(r.bodyJSON?["stateToken"]?.stringValue)
        let e = org.send(
            "POST", "/api/v1/authn/factors",
            body: #"{"stateToken":"\#(state)","factorType":"token:software:totp","provider":"GOOGLE"}"#)
        #expect(e.bodyJSON?["status"] == "MFA_ENROLL_ACTIVATE")
        let f = try #require(e.bodyJSON?["_embedded"]?["factor"])
        let secret = try #require(f["_embedded"]?["activation"]?["sharedSecret"]?.stringValue)
        let code = TOTP.code(secret: TOTP.base32Decode(secret) ?? [], at: org.engine.clock.now())
        let id = try #require(f["id"]?.stringValue)
        let a = org.send(
            "POST", "/api/v1/authn/factors/\(id)/lifecycle/activate",
            body: #"{"stateToken":"\#(state)","passCode":"\#(code)"}"#)
        #expect(a.bodyJSON?["status"] == "SUCCESS")
        let factors = org.send(
            "GET", "/api/v1/users/\(CoverageTests.userId(org, Self.ann))/factors", headers: [org.ssws])
        #expect(factors.bodyJSON?.arrayValue?.first?["status"] == "ACTIVE")
    }

    /// Every sign-in action, for CoverageTests' parametrized action test.
    static func checkAction(_ org: TestOrg, _ kind: ActionType) throws {
        switch kind {
        case .lockUser:
            #expect(CoverageTests.action(org, #"{"type":"lockUser","user":"\#(ann)"}"#).bodyJSON?["ok"] == true)
            #expect(authn(org, ann, password(org)).bodyJSON?["status"] == "LOCKED_OUT")
        case .expirePassword:
            #expect(CoverageTests.action(org, #"{"type":"expirePassword","user":"\#(ann)"}"#).bodyJSON?["ok"] == true)
            #expect(authn(org, ann, password(org)).bodyJSON?["status"] == "PASSWORD_EXPIRED")
        case .requireMfa:
            #expect(CoverageTests.action(org, #"{"type":"requireMfa","app":"web"}"#).bodyJSON?["ok"] == true)
            #expect(authn(org, ann, password(org)).bodyJSON?["status"] == "SUCCESS")  // only for the web app
            #expect(CoverageTests.passwordGrant(org).bodyJSON?["error"] == "invalid_grant")
            #expect(CoverageTests.action(org, #"{"type":"requireMfa","app":"web","off":true}"#).bodyJSON?["ok"] == true)
            #expect(CoverageTests.passwordGrant(org).status == 200)
        case .setPassword:
            let old = password(org)
            #expect(CoverageTests.action(org, #"{"type":"setPassword","user":"\#(ann)"}"#).bodyJSON?["ok"] == true)
            let r = authn(org, ann, old)
            #expect(r.status == 401 && r.bodyJSON?["errorCode"] == "E0000004")
            #expect(org.engine.systemLog.all().contains { $0.eventType == "user.account.reset_password" })
        case .denyFromZone:
            let z = org.send(
                "POST", "/api/v1/zones", headers: [org.ssws],
                body: #"{"type":"IP","name":"Office","gateways":[{"type":"CIDR","value":"127.0.0.0/8"}]}"#)
            #expect(z.status == 200)
            #expect(
                CoverageTests.action(org, #"{"type":"denyFromZone","zone":"Office"}"#).bodyJSON?["ok"] == true)
            let r = authn(org, ann, password(org))
            #expect(r.status == 401 && r.bodyJSON?["errorCode"] == "E0000004")
            let g = CoverageTests.passwordGrant(org)
            #expect(g.status == 400 && g.bodyJSON?["error"] == "invalid_grant")
            let deny = org.engine.systemLog.all().filter {
                $0.eventType == "policy.evaluate_sign_on" && $0.json["outcome"]?["result"] == "DENY"
            }
            #expect(deny.count == 2)
            #expect(
                CoverageTests.action(org, #"{"type":"denyFromZone","zone":"Office","off":true}"#).bodyJSON?["ok"]
                    == true)
            #expect(authn(org, ann, password(org)).bodyJSON?["status"] == "SUCCESS")
        case .respondPush:
            let load = org.send(
                "POST", "/__mock/scenario",
                body:
                    #"{"version":1,"name":"p","tenant":{"users":[{"login":"\#(ann)","factors":["push"]}],"signOn":{"requireMfa":true}}}"#
            )
            #expect(load.status == 200)
            let r = authn(org, ann, password(org))
            let state = try #require(r.bodyJSON?["stateToken"]?.stringValue)
            let href = try #require(
                r.bodyJSON?["_embedded"]?["factors"]?[0]?["_links"]?["verify"]?["href"]?.stringValue)
            let verify = String(href.dropFirst("https://127.0.0.1:8443".count))
            #expect(
                org.send("POST", verify, body: #"{"stateToken":"\#(state)"}"#).bodyJSON?["factorResult"] == "WAITING")
            #expect(CoverageTests.action(org, #"{"type":"respondPush","user":"\#(ann)"}"#).bodyJSON?["ok"] == true)
            #expect(org.send("POST", verify, body: #"{"stateToken":"\#(state)"}"#).bodyJSON?["status"] == "SUCCESS")
        default:
            Issue.record("not a sign-in action: \(kind)")
        }
    }
}
