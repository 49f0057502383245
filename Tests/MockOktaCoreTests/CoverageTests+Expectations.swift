import Dispatch
import Foundation
import Testing

@testable import MockOktaCore

extension CoverageTests {
    // MARK: - 3. expectations

    struct ExpCase {
        var label: String
        var rules: [String] = []
        var expect: String
        var status: VerdictStatus
        /// Whether the verdict must cite requests (a count of zero cites none).
        var cites = true
        var drive: (TestOrg) throws -> Void
    }

    static let users = "/api/v1/users"
    static func failingRule(nth: [Int], fault: String = #"{"type":"serverError"}"#) -> String {
        #"{"id":"e","match":{"method":"GET","path":"/api/v1/users"},"when":{"nth":[\#(nth.map(String.init).joined(separator: ","))]},"fault":\#(fault)}"#
    }

    static func cases(_ kind: ExpectationKind) -> [ExpCase] {
        func get(_ o: TestOrg, headers: [(String, String)]? = nil) -> HTTPReply {
            o.send("GET", users, headers: headers ?? [o.ssws])
        }
        let badSSWS = [("authorization", "SSWS not-a-token")]
        switch kind {
        case .respectsRateLimitReset:
            let rule = failingRule(nth: [1], fault: #"{"type":"rateLimit","resetAfterSeconds":3}"#)
            let e = #"{"type":"respectsRateLimitReset","path":"/api/v1/users"}"#
            return [
                ExpCase(label: "retried after the reset", rules: [rule], expect: e, status: .passed) { o in
                    #expect(get(o).status == 429)
                    o.wall.advance(4)
                    #expect(get(o).status == 200)
                },
                ExpCase(label: "retried 0.5 s after a 3 s reset", rules: [rule], expect: e, status: .failed) { o in
                    #expect(get(o).status == 429)
                    o.wall.advance(0.5)
                    _ = get(o)
                },
                ExpCase(label: "no 429 served", expect: e, status: .notExercised) { o in #expect(get(o).status == 200)
                },
            ]
        case .backsOff:
            let rule = failingRule(nth: [1, 2, 3])
            let e = #"{"type":"backsOff","path":"/api/v1/users","minFactor":1.5}"#
            return [
                ExpCase(label: "gaps 1 s, 2 s, 4 s", rules: [rule], expect: e, status: .passed) { o in
                    for gap in [1.0, 2.0, 4.0] {
                        #expect(get(o).status == 500)
                        o.wall.advance(gap)
                    }
                    #expect(get(o).status == 200)
                },
                ExpCase(label: "gaps 1 s, 1 s, 1 s", rules: [rule], expect: e, status: .failed) { o in
                    for _ in 0..<3 {
                        #expect(get(o).status == 500)
                        o.wall.advance(1)
                    }
                    _ = get(o)
                },
                ExpCase(label: "immediate retry", rules: [rule], expect: e, status: .failed) { o in
                    #expect(get(o).status == 500)
                    o.wall.advance(0.001)
                    _ = get(o)
                },
                ExpCase(
                    label: "one failure, one retry: growth unobservable", rules: [rule], expect: e,
                    status: .notExercised
                ) { o in
                    #expect(get(o).status == 500)
                    o.wall.advance(1)
                    _ = get(o)
                },
                ExpCase(label: "no failure", expect: e, status: .notExercised) { o in #expect(get(o).status == 200) },
            ]
        case .maxAttempts:
            let rule = failingRule(nth: [1, 2])
            let e = #"{"type":"maxAttempts","path":"/api/v1/users","max":2}"#
            return [
                ExpCase(label: "two attempts", rules: [rule], expect: e, status: .passed) { o in
                    #expect(get(o).status == 500)
                    o.wall.advance(1)
                    _ = get(o)
                },
                ExpCase(label: "three attempts", rules: [rule], expect: e, status: .failed) { o in
                    for _ in 0..<3 {
                        _ = get(o)
                        o.wall.advance(1)
                    }
                },
                ExpCase(label: "nothing sent to the path", rules: [rule], expect: e, status: .notExercised) { o in
                    #expect(o.send("GET", "/api/v1/groups", headers: [o.ssws]).status == 200)
                },
            ]
        case .noRetryOn:
            let e = #"{"type":"noRetryOn","path":"/api/v1/users","statuses":[401]}"#
            return [
                ExpCase(label: "401 not repeated; fixed credentials used", expect: e, status: .passed) { o in
                    #expect(get(o, headers: badSSWS).status == 401)
                    o.wall.advance(1)
                    #expect(get(o).status == 200)
                },
                ExpCase(label: "401 repeated with the same credentials", expect: e, status: .failed) { o in
                    #expect(get(o, headers: badSSWS).status == 401)
                    o.wall.advance(5)
                    _ = get(o, headers: badSSWS)
                },
                ExpCase(label: "no 401", expect: e, status: .notExercised) { o in #expect(get(o).status == 200) },
            ]
        case .refreshesExpiredToken:
            let e = #"{"type":"refreshesExpiredToken"}"#
            func bearer(_ o: TestOrg, _ t: String) -> HTTPReply { get(o, headers: [("authorization", "Bearer \(t)")]) }
            return [
                ExpCase(label: "401, new token, accepted", expect: e, status: .passed) { o in
                    let t1 = try o.orgToken(scope: "okta.users.read")
                    #expect(bearer(o, t1).status == 200)
                    o.wall.advance(3601)
                    #expect(bearer(o, t1).status == 401)
                    o.wall.advance(0.1)
                    let t2 = try o.orgToken(scope: "okta.users.read")
                    o.wall.advance(0.1)
                    #expect(bearer(o, t2).status == 200)
                },
                ExpCase(label: "401, then the same token again", expect: e, status: .failed) { o in
                    let t1 = try o.orgToken(scope: "okta.users.read")
                    o.wall.advance(3601)
                    #expect(bearer(o, t1).status == 401)
                    o.wall.advance(1)
                    _ = bearer(o, t1)
                },
                ExpCase(label: "401 and never called again", expect: e, status: .failed) { o in
                    let t1 = try o.orgToken(scope: "okta.users.read")
                    o.wall.advance(3601)
                    #expect(bearer(o, t1).status == 401)
                },
                ExpCase(label: "no expired token", expect: e, status: .notExercised) { o in
                    let t = try o.orgToken(scope: "okta.users.read")
                    #expect(bearer(o, t).status == 200)
                },
            ]
        case .abandonsHangWithin:
            let rule = failingRule(nth: [1], fault: #"{"type":"hang"}"#)
            let e = #"{"type":"abandonsHangWithin","path":"/api/v1/users","maxSeconds":5,"rule":"e"}"#
            func hangThenLeave(after seconds: Double?) -> (TestOrg) throws -> Void {
                { o in
                    let r = get(o)
                    #expect(r.wire == .hang(seconds: nil, close: false))
                    guard let seconds else { return }  // the client is still waiting
                    o.wall.advance(seconds)
                    o.engine.requestEnded(id: try #require(r.requestId), disconnectedAt: o.wall.now(), answered: false)
                }
            }
            return [
                ExpCase(
                    label: "left after 2 s", rules: [rule], expect: e, status: .passed, drive: hangThenLeave(after: 2)),
                ExpCase(
                    label: "left after 10 s", rules: [rule], expect: e, status: .failed, drive: hangThenLeave(after: 10)
                ),
                ExpCase(
                    label: "still waiting", rules: [rule], expect: e, status: .failed, drive: hangThenLeave(after: nil)),
                ExpCase(label: "nothing hung", rules: [rule], expect: e, status: .notExercised) { o in
                    #expect(o.send("GET", "/api/v1/groups", headers: [o.ssws]).status == 200)
                },
            ]
        case .requestCount:
            let exactly = #"{"type":"requestCount","path":"/api/v1/users","exactly":2}"#
            return [
                ExpCase(label: "exactly 2", expect: exactly, status: .passed) { o in for _ in 0..<2 { _ = get(o) } },
                ExpCase(label: "3, not 2", expect: exactly, status: .failed) { o in for _ in 0..<3 { _ = get(o) } },
                ExpCase(
                    label: "0 with min 1", expect: #"{"type":"requestCount","path":"/api/v1/users","min":1}"#,
                    status: .failed, cites: false
                ) { o in
                    _ = o.send("GET", "/api/v1/groups", headers: [o.ssws])
                },
                ExpCase(
                    label: "max alone, nothing sent",
                    expect: #"{"type":"requestCount","path":"/api/v1/users","max":5}"#,
                    status: .notExercised
                ) { o in _ = o.send("GET", "/api/v1/groups", headers: [o.ssws]) },
            ]
        case .sendsRetryHeaders:
            let rule = failingRule(nth: [1])
            let e = #"{"type":"sendsRetryHeaders","path":"/api/v1/users"}"#
            return [
                ExpCase(label: "retry names the first attempt", rules: [rule], expect: e, status: .passed) { o in
                    let first = get(o)
                    #expect(first.status == 500)
                    o.wall.advance(1)
                    let id = try #require(first.requestId)
                    #expect(
                        get(o, headers: [o.ssws, ("x-okta-retry-for", id), ("x-okta-retry-count", "1")]).status == 200)
                },
                ExpCase(label: "retry without headers", rules: [rule], expect: e, status: .failed) { o in
                    #expect(get(o).status == 500)
                    o.wall.advance(1)
                    _ = get(o)
                },
                ExpCase(label: "retry naming an unrelated request", rules: [rule], expect: e, status: .failed) { o in
                    #expect(get(o).status == 500)
                    o.wall.advance(1)
                    _ = get(
                        o, headers: [o.ssws, ("x-okta-retry-for", "not-a-request-id"), ("x-okta-retry-count", "1")])
                },
                ExpCase(label: "no retry", rules: [rule], expect: e, status: .notExercised) { o in
                    #expect(get(o).status == 500)
                },
            ]
        case .noRequestsAfter:
            let e = #"{"type":"noRequestsAfter","path":"/api/v1/users","status":401}"#
            return [
                ExpCase(label: "stopped after the 401", expect: e, status: .passed) { o in
                    #expect(get(o).status == 200)
                    #expect(get(o, headers: badSSWS).status == 401)
                },
                ExpCase(label: "went on after the 401", expect: e, status: .failed) { o in
                    #expect(get(o, headers: badSSWS).status == 401)
                    o.wall.advance(2)
                    _ = get(o)
                },
                ExpCase(label: "no 401", expect: e, status: .notExercised) { o in #expect(get(o).status == 200) },
            ]
        }
    }

    @Test(
        "every expectation kind: a journal that passes it, one that fails it, and one that does not exercise it",
        arguments: ExpectationKind.allCases)
    func expectation(_ kind: ExpectationKind) throws {
        let cases = Self.cases(kind)
        #expect(
            cases.contains { $0.status == .passed } && cases.contains { $0.status == .failed }
                && cases.contains { $0.status == .notExercised })
        for c in cases {
            let org = try TestOrg(scenario: Self.scenario(rules: c.rules, expect: [c.expect]))
            try c.drive(org)
            let report = org.engine.verify()
            let r = try #require(report.results.first)
            #expect(report.results.count == 1)
            #expect(r.type == kind.rawValue)
            #expect(r.status == c.status, "\(kind.rawValue) — \(c.label): got \(r.status.rawValue) (\(r.reason))")
            if c.status != .notExercised && c.cites {
                #expect(!r.evidence.isEmpty, "\(kind.rawValue) — \(c.label): no evidence")
            }
            #expect(r.failsRun == (c.status != .passed))
            // The control API reports the same verdict.
            let wire = org.send("GET", "/__mock/verify")
            #expect(wire.status == 200)
            #expect(
                wire.bodyJSON?["results"]?[0]?["status"]?.stringValue == c.status.rawValue,
                "\(kind.rawValue) — \(c.label) via /__mock/verify")
        }
    }
}
