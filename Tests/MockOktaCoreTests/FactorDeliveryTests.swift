import Foundation
import Testing

@testable import MockOktaCore

/// SMS, email and Okta Verify push factors in the Authn API (issue 13, item 4): codes readable at
/// `/__mock/factors/messages` after the delivery delay, pushes answered by `respondPush`.
@Suite("Sign-in: SMS, email and push factors")
struct FactorDeliveryTests {
    static let ann = SignInTests.ann
    static let scenario = #"""
        {"version":1,"name":"f","tenant":{"users":[{"login":"ann@example.com","factors":["sms","email","push"]}],
         "signOn":{"requireMfa":true,"deliveryDelaySeconds":5}}}
        """#

    static func factor(_ r: HTTPReply, _ type: String) throws -> (id: String, verify: String) {
        let f = try #require(
            r.bodyJSON?["_embedded"]?["factors"]?.arrayValue?.first { $0["factorType"] == .string(type) })
        let href = try #require(f["_links"]?["verify"]?["href"]?.stringValue)
        return (f["id"]?.stringValue ?? "", String(href.dropFirst("https://127.0.0.1:8443".count)))
    }

    static func messages(_ org: TestOrg) -> [JSON] {
        org.send("GET", "/__mock/factors/messages").bodyJSON?["messages"]?.arrayValue ?? []
    }

    @Test("SMS: verify without a code sends one (MFA_CHALLENGE, masked phone); it is readable after the delay")
    func sms() throws {
        let org = try TestOrg(scenario: Self.scenario, rateLimits: false)
        let r = SignInTests.authn(org, Self.ann, SignInTests.password(org))
        #expect(r.bodyJSON?["status"] == "MFA_REQUIRED")
        #expect(r.bodyJSON?["_embedded"]?["factors"]?.arrayValue?.count == 3)
        let state = try #require(r.bodyJSON?["stateToken"]?.stringValue)
        let sms = try Self.factor(r, "sms")
        let challenge = org.send("POST", sms.verify, body: #"{"stateToken":"\#(state)"}"#)
        #expect(challenge.status == 200 && challenge.bodyJSON?["status"] == "MFA_CHALLENGE")
        #expect(challenge.bodyJSON?["_embedded"]?["factor"]?["profile"]?["phoneNumber"] == "+1 XXX-XXX-0100")
        #expect(challenge.bodyJSON?["_links"]?["next"]?["name"] == "verify")
        #expect(Self.messages(org).isEmpty)  // the carrier is slow: 5 s
        org.wall.advance(5)
        let sent = try #require(Self.messages(org).first)
        #expect(sent["factorType"] == "sms" && sent["login"] == .string(Self.ann))
        let code = try #require(sent["code"]?.stringValue)
        #expect(code.count == 6)
        let wrong = org.send("POST", sms.verify, body: #"{"stateToken":"\#(state)","passCode":"000000x"}"#)
        #expect(wrong.status == 403 && wrong.bodyJSON?["errorCode"] == "E0000068")
        let ok = org.send("POST", sms.verify, body: #"{"stateToken":"\#(state)","passCode":"\#(code)"}"#)
        #expect(ok.bodyJSON?["status"] == "SUCCESS" && ok.bodyJSON?["sessionToken"] != nil)
    }

    @Test("email: the code goes to the login; five wrong codes end the transaction")
    func email() throws {
        let org = try TestOrg(scenario: Self.scenario, rateLimits: false)
        let r = SignInTests.authn(org, Self.ann, SignInTests.password(org))
        let state = try #require(r.bodyJSON?["stateToken"]?.stringValue)
        let email = try Self.factor(r, "email")
        let c = org.send("POST", email.verify, body: #"{"stateToken":"\#(state)"}"#)
        #expect(c.bodyJSON?["_embedded"]?["factor"]?["profile"]?["email"] == "a...n@example.com")
        org.wall.advance(6)
        #expect(Self.messages(org).first?["to"] == .string(Self.ann))
        for _ in 0..<MockOkta.authnFactorAttempts {
            #expect(
                org.send("POST", email.verify, body: #"{"stateToken":"\#(state)","passCode":"111111"}"#).status == 403)
        }
        let gone = org.send("POST", email.verify, body: #"{"stateToken":"\#(state)","passCode":"111111"}"#)
        #expect(gone.status == 401 && gone.bodyJSON?["errorCode"] == "E0000011")
    }

    @Test("push: WAITING with a poll link until respondPush; REJECTED; approved gives SUCCESS; TIMEOUT after 5 min")
    func push() throws {
        let org = try TestOrg(scenario: Self.scenario, rateLimits: false)
        func start() throws -> (String, String) {
            let r = SignInTests.authn(org, Self.ann, SignInTests.password(org))
            return (try #require(r.bodyJSON?["stateToken"]?.stringValue), try Self.factor(r, "push").verify)
        }
        let (state, verify) = try start()
        let body = #"{"stateToken":"\#(state)"}"#
        let waiting = org.send("POST", verify, body: body)
        #expect(
            waiting.bodyJSON?["factorResult"] == "WAITING" && waiting.bodyJSON?["_links"]?["next"]?["name"] == "poll")
        #expect(org.send("POST", verify, body: body).bodyJSON?["factorResult"] == "WAITING")
        let reject = CoverageTests.action(org, #"{"type":"respondPush","user":"ann@example.com","reject":true}"#)
        #expect(reject.bodyJSON?["ok"] == true)
        let rejected = org.send("POST", verify, body: body)
        #expect(
            rejected.bodyJSON?["factorResult"] == "REJECTED"
                && rejected.bodyJSON?["_links"]?["next"]?["name"] == "verify")
        #expect(org.send("POST", verify, body: body).bodyJSON?["factorResult"] == "WAITING")  // a new push
        #expect(CoverageTests.action(org, #"{"type":"respondPush","user":"ann@example.com"}"#).bodyJSON?["ok"] == true)
        let ok = org.send("POST", verify, body: body)
        #expect(ok.bodyJSON?["status"] == "SUCCESS")
        // Nobody answers: TIMEOUT after five minutes.
        let (state2, verify2) = try start()
        let body2 = #"{"stateToken":"\#(state2)"}"#
        #expect(org.send("POST", verify2, body: body2).bodyJSON?["factorResult"] == "WAITING")
        org.wall.advance(SignInState.pushLifetime - 100)  // still polling: each poll renews the transaction
        #expect(org.send("POST", verify2, body: body2).bodyJSON?["factorResult"] == "WAITING")
        org.wall.advance(100)
        // Approving too late changes nothing: the push has timed out.
        #expect(CoverageTests.action(org, #"{"type":"respondPush","user":"ann@example.com"}"#).bodyJSON?["ok"] == false)
        #expect(org.send("POST", verify2, body: body2).bodyJSON?["factorResult"] == "TIMEOUT")
        // No push waiting: the action says so.
        #expect(CoverageTests.action(org, #"{"type":"respondPush","user":"ann@example.com"}"#).bodyJSON?["ok"] == false)
    }

    @Test("Factors API: enroll SMS (PENDING_ACTIVATION, a code sent), activate with it, verify: CHALLENGE then SUCCESS")
    func smsThroughFactorsAPI() throws {
        let org = try TestOrg(rateLimits: false)
        let uid = CoverageTests.userId(org, Self.ann)
        let base = "/api/v1/users/\(uid)/factors"
        let bad = org.send(
            "POST", base, headers: [org.ssws], body: #"{"factorType":"sms","provider":"OKTA","profile":{}}"#)
        #expect(bad.status == 400 && bad.bodyJSON?["errorCode"] == "E0000001")
        let noLocal = org.send(
            "POST", base, headers: [org.ssws],
            body: #"{"factorType":"email","provider":"OKTA","profile":{"email":"@x.com"}}"#)
        #expect(noLocal.status == 400)
        let e = org.send(
            "POST", base, headers: [org.ssws],
            body: #"{"factorType":"sms","provider":"OKTA","profile":{"phoneNumber":"+1-555-415-1337"}}"#)
        #expect(e.status == 200 && e.bodyJSON?["status"] == "PENDING_ACTIVATION")
        #expect(e.bodyJSON?["profile"]?["phoneNumber"] == "+1-555-415-1337")
        let id = try #require(e.bodyJSON?["id"]?.stringValue)
        let code = try #require(Self.messages(org).first?["code"]?.stringValue)
        let wrong = org.send(
            "POST", "\(base)/\(id)/lifecycle/activate", headers: [org.ssws], body: #"{"passCode":"000000x"}"#)
        #expect(wrong.status == 403 && wrong.bodyJSON?["errorCode"] == "E0000068")
        let a = org.send(
            "POST", "\(base)/\(id)/lifecycle/activate", headers: [org.ssws], body: #"{"passCode":"\#(code)"}"#)
        #expect(a.bodyJSON?["status"] == "ACTIVE")
        let challenge = org.send("POST", "\(base)/\(id)/verify", headers: [org.ssws], body: "{}")
        #expect(challenge.bodyJSON?["factorResult"] == "CHALLENGE")
        let second = try #require(Self.messages(org).first?["code"]?.stringValue)
        let v = org.send("POST", "\(base)/\(id)/verify", headers: [org.ssws], body: #"{"passCode":"\#(second)"}"#)
        #expect(v.bodyJSON?["factorResult"] == "SUCCESS")
        // A code is used up once accepted.
        let again = org.send("POST", "\(base)/\(id)/verify", headers: [org.ssws], body: #"{"passCode":"\#(second)"}"#)
        #expect(again.status == 403)
    }

    @Test(
        "sign-in state stays bounded: over the limit the oldest-expiring go (to 90 %); expired ones are swept each second"
    )
    func signInStateBounded() {
        var s = SignInState()
        for i in 0...SignInState.limit {
            s.sessionTokens["t\(i)"] = .init(userId: "u", expiresAt: 1_000 + Double(i), amr: ["pwd"])
        }
        s.prune(now: 0)
        #expect(s.sessionTokens.count == SignInState.limit * 9 / 10)
        #expect(s.sessionTokens["t0"] == nil && s.sessionTokens["t\(SignInState.limit)"] != nil)
        s.sessionTokens["old"] = .init(userId: "u", expiresAt: 0.5, amr: ["pwd"])
        s.prune(now: 0.7)  // within a second of the last sweep: nothing to do
        #expect(s.sessionTokens["old"] != nil)
        s.prune(now: 1.2)
        #expect(s.sessionTokens["old"] == nil)
    }
}
