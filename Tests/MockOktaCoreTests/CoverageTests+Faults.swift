import Dispatch
import Foundation
import Testing

@testable import MockOktaCore

extension CoverageTests {
    // MARK: - 1. faults

    static let tokenFaults: Set<FaultType> = [
        .expiredToken, .shortLivedToken, .wrongIssuer, .wrongAudience, .unknownKid, .badSignature,
        .missingScope,
    ]

    /// The `fault` object of the rule for each kind (parameters chosen so a mix-up between kinds shows).
    static func faultSpec(_ kind: FaultType) -> String {
        switch kind {
        case .status: return #"{"type":"status","status":409}"#
        case .rateLimit: return #"{"type":"rateLimit","resetAfterSeconds":7}"#
        case .concurrencyLimit: return #"{"type":"concurrencyLimit","resetAfterSeconds":9}"#
        case .serverError: return #"{"type":"serverError"}"#
        case .unavailable: return #"{"type":"unavailable"}"#
        case .delay: return #"{"type":"delay","ms":250}"#
        case .hang: return #"{"type":"hang","seconds":2}"#
        case .reset: return #"{"type":"reset"}"#
        case .close: return #"{"type":"close"}"#
        case .emptyBody: return #"{"type":"emptyBody"}"#
        case .malformedBody: return #"{"type":"malformedBody"}"#
        case .slowBody: return #"{"type":"slowBody","seconds":3}"#
        case .expiredToken: return #"{"type":"expiredToken"}"#
        case .shortLivedToken: return #"{"type":"shortLivedToken","seconds":5}"#
        case .wrongIssuer: return #"{"type":"wrongIssuer"}"#
        case .wrongAudience: return #"{"type":"wrongAudience"}"#
        case .unknownKid: return #"{"type":"unknownKid"}"#
        case .badSignature: return #"{"type":"badSignature"}"#
        case .missingScope: return #"{"type":"missingScope","scope":"api.write"}"#
        }
    }

    /// The System Log event `faultReply` writes for the kind (nil: the fault shapes the normal answer and logs nothing).
    static func faultEvent(_ kind: FaultType) -> String? {
        switch kind {
        case .rateLimit: return "system.org.rate_limit.violation"
        case .concurrencyLimit: return "core.concurrency.org.limit.violation"
        case .status, .serverError, .unavailable, .hang, .reset, .close, .emptyBody, .malformedBody:
            return "system.operation.fault_injected"
        case .delay, .slowBody, .expiredToken, .shortLivedToken, .wrongIssuer, .wrongAudience, .unknownKid,
            .badSignature, .missingScope:
            return nil
        }
    }

    @Test(
        "every fault kind: its own observable outcome, the journal's rule and fault, its System Log event; the next request is normal",
        arguments: FaultType.allCases)
    func fault(_ kind: FaultType) throws {
        let isToken = Self.tokenFaults.contains(kind)
        let built = ScenarioLoader.buildFault(try JSONParser.parse(Self.faultSpec(kind)))
        #expect(built?.kind.name == kind.rawValue)
        #expect(built?.kind.isTokenFault == isToken)
        let ruleId = "cov-\(kind.rawValue)"
        let match =
            isToken
            ? #"{"method":"POST","path":"/oauth2/default/v1/token"}"# : #"{"method":"GET","path":"/api/v1/users"}"#
        let rule = #"{"id":"\#(ruleId)","match":\#(match),"when":{"nth":[1]},"fault":\#(Self.faultSpec(kind))}"#
        let org = try TestOrg(scenario: Self.scenario(rules: [rule]))
        let scope = kind == .missingScope ? "api.read api.write" : "api.read"
        func request() -> HTTPReply {
            isToken ? org.serviceToken(scope: scope) : org.send("GET", "/api/v1/users", headers: [org.ssws])
        }
        let now = org.engine.clock.now()
        let r = request()

        // The rule fired, and the journal says which rule and which fault.
        #expect(r.firedRule == ruleId && r.firedFault == kind.rawValue)
        let id = try #require(r.requestId)
        let entry = try #require(org.engine.journal.entry(id))
        #expect(entry.rule == ruleId)
        #expect(entry.fault == kind.rawValue)
        #expect(org.engine.scenarioJSON["rules"]?[0]?["fired"] == 1)

        // The System Log: one event for this rule where the engine writes one, none otherwise.
        let forRule = org.engine.systemLog.all().filter {
            $0.json["debugContext"]?["debugData"]?["rule"]?.stringValue == ruleId
        }
        if let type = Self.faultEvent(kind) {
            #expect(forRule.count == 1)
            #expect(forRule.first?.eventType == type)
            #expect(forRule.first?.outcome == "FAILURE")
            #expect(forRule.first?.json["debugContext"]?["debugData"]?["fault"]?.stringValue == kind.rawValue)
            #expect(forRule.first?.json["debugContext"]?["debugData"]?["requestId"]?.stringValue == id)
        } else {
            #expect(forRule.isEmpty)
            #expect(!org.engine.systemLog.all().contains { $0.eventType == "system.operation.fault_injected" })
        }

        func isUserList(_ r: HTTPReply) -> Bool { r.status == 200 && (r.bodyJSON?.arrayValue?.count ?? 0) >= 6 }
        let wireKinds: Set<FaultType> = [.delay, .hang, .reset, .close, .slowBody]
        if !wireKinds.contains(kind) { #expect(r.wire == nil) }
        // A wire fault's request is finished by the server when the wire work ends; every other one is finished now.
        #expect((entry.finishedAt == nil) == wireKinds.contains(kind))

        switch kind {
        case .status:
            #expect(r.status == 409)
            #expect(r.bodyJSON?["errorCode"] == "E0000055")
            #expect(r.bodyJSON?["errorSummary"] == "Conflict")
        case .rateLimit:
            #expect(r.status == 429)
            #expect(r.bodyJSON?["errorCode"] == "E0000047")
            #expect(Int(r.header("X-Rate-Limit-Limit") ?? "") == org.engine.rateLimiter.limits()["users"])
            #expect((Int(r.header("X-Rate-Limit-Limit") ?? "") ?? 0) > 0)
            #expect(r.header("X-Rate-Limit-Remaining") == "0")
            #expect(r.header("X-Rate-Limit-Reset") == String(Int(now) + 7))
            #expect(r.date != nil)
            // The journal keeps the reset the client was told, for verdicts.
            #expect(entry.resetAt == org.wall.now() + 7)
        case .concurrencyLimit:
            #expect(r.status == 429)
            #expect(r.bodyJSON?["errorCode"] == "E0000047")
            #expect(r.header("X-Rate-Limit-Limit") == "0")
            #expect(r.header("X-Rate-Limit-Remaining") == "0")
            #expect(r.header("X-Rate-Limit-Reset") == String(Int(now) + 9))
        case .serverError:
            #expect(r.status == 500)
            #expect(r.bodyJSON?["errorCode"] == "E0000009")
        case .unavailable:
            #expect(r.status == 503)
            #expect(r.bodyJSON?["errorCode"] == "E0000010")
        case .delay:
            #expect(r.wire == .delay(milliseconds: 250))
            #expect(isUserList(r))
        case .hang:
            #expect(r.wire == .hang(seconds: 2, close: false))
            #expect(isUserList(r))  // after the hang it answers normally
        case .reset:
            #expect(r.wire == .reset)
            #expect(r.status == 0 && r.body.isEmpty)
        case .close:
            #expect(r.wire == .close)
            #expect(r.status == 0 && r.body.isEmpty)
        case .emptyBody:
            #expect(r.status == 200)
            #expect(r.body.isEmpty)
            #expect(r.header("Content-Type") == nil)
        case .malformedBody:
            #expect(r.status == 200)
            #expect(!r.body.isEmpty)
            #expect((try? JSONParser.parse(bytes: r.body)) == nil)
            #expect((try? JSONSerialization.jsonObject(with: Data(r.body))) == nil)
            #expect(r.header("Content-Type")?.hasPrefix("application/json") == true)
        case .slowBody:
            #expect(r.wire == .slowBody(seconds: 3))
            #expect(isUserList(r))
        case .expiredToken, .shortLivedToken, .wrongIssuer, .wrongAudience, .unknownKid, .badSignature, .missingScope:
            #expect(r.status == 200)
            let token = try #require(r.bodyJSON?["access_token"]?.stringValue)
            let jwt = try #require(DecodedJWT(token))
            let c = jwt.claims
            let result = Self.validate(org, token)
            let kids = Self.jwksKids(org)
            switch kind {
            case .expiredToken:
                #expect((c["exp"]?.doubleValue ?? .infinity) < now - 300)
                #expect(r.bodyJSON?["expires_in"] == 3600)  // the client only learns from the token itself
                #expect(Self.problem(result) == .expired)
            case .shortLivedToken:
                let iat = c["iat"]?.intValue ?? 0
                #expect((c["exp"]?.intValue ?? 0) - iat == 5)
                #expect(r.bodyJSON?["expires_in"] == 5)
                #expect(Self.problem(result) == nil)
                org.wall.advance(6)
                #expect(Self.problem(Self.validate(org, token)) == .expired)
            case .wrongIssuer:
                #expect(c["iss"]?.stringValue != Self.issuerDefault)
                #expect(c["iss"]?.stringValue != nil)
                #expect(Self.problem(result) == .wrongIssuer)
            case .wrongAudience:
                #expect(c["aud"] == "api://wrong-audience")
                #expect(Self.problem(result) == .wrongAudience)
            case .unknownKid:
                #expect(jwt.kid != nil && !kids.contains(jwt.kid ?? ""))
                #expect(Self.problem(result) == .unknownKid)
            case .badSignature:
                #expect(kids.contains(jwt.kid ?? "?"))  // a published key, but the signature does not verify
                #expect(Self.problem(result) == .badSignature)
                #expect(Self.introspect(org, token, client: Self.service(org)) == false)
            case .missingScope:
                #expect(c["scp"] == ["api.read"])
                #expect(r.bodyJSON?["scope"] == "api.read")
                #expect(Self.problem(result) == nil)
            default:
                Issue.record("not a token fault: \(kind)")
            }
        }

        // The rule fires on the first request only: the next one is the normal answer.
        let normal = request()
        #expect(normal.firedRule == nil && normal.wire == nil)
        if isToken {
            let token = try #require(normal.bodyJSON?["access_token"]?.stringValue)
            #expect(Self.problem(Self.validate(org, token)) == nil)
            let scp: JSON = kind == .missingScope ? ["api.read", "api.write"] : ["api.read"]
            #expect(DecodedJWT(token)?.claims["scp"] == scp)
        } else {
            #expect(isUserList(normal))
        }
        let normalEntry = try #require(org.engine.journal.entry(normal.requestId ?? ""))
        #expect(normalEntry.rule == nil && normalEntry.fault == nil)
    }
}
