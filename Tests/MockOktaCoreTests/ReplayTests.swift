import Foundation
import Testing

@testable import MockOktaCore

/// A browser-style HAR entry (absolute URL, startedDateTime, time, timings).
private func entry(
    _ method: String, _ url: String, _ status: Int, time: Double = 100, headers: [(String, String)] = [],
    text: String? = nil, base64: Bool = false, size: Int? = nil, error: String? = nil
) -> JSON {
    var content: [(String, JSON)] = [("size", JSON(size ?? text?.utf8.count ?? 0)), ("mimeType", "application/json")]
    if let text {
        content.append(("text", .string(base64 ? Data(text.utf8).base64EncodedString() : text)))
        if base64 { content.append(("encoding", "base64")) }
    }
    var e: [(String, JSON)] = [
        ("startedDateTime", "2026-01-05T10:00:00.250Z"), ("time", .number(time)),
        ("request", ["method": .string(method), "url": .string(url), "headers": []]),
        (
            "response",
            [
                "status": JSON(status),
                "headers": .array(headers.map { ["name": .string($0.0), "value": .string($0.1)] }),
                "content": .object(content),
            ]
        ),
        ("timings", ["send": 1, "wait": .number(time - 2), "receive": 1]),
    ]
    if let error { e.append(("_error", .string(error))) }
    return .object(e)
}

private func har(_ entries: [JSON], creator: String = "WebInspector") -> [UInt8] {
    let doc: JSON = ["log": ["version": "1.2", "creator": ["name": .string(creator)], "entries": .array(entries)]]
    return doc.bytes
}

private func replay(_ bytes: [UInt8], _ source: IncidentReplay.Source = .har, file: String = "incident.har")
    throws(ReplayError) -> ReplayOutput
{
    try IncidentReplay.replay(bytes: bytes, source: source, fileName: file)
}

/// Rules as (method, path, fault type, nth) for compact comparisons.
private func summary(_ out: ReplayOutput) -> [String] {
    (out.scenario["rules"]?.arrayValue ?? []).map { r in
        let nth = (r["when"]?["nth"]?.arrayValue ?? []).compactMap(\.intValue).map(String.init).joined(separator: ",")
        let m = r["match"]?["method"]?.stringValue ?? "*"
        let type = r["fault"]?["type"]?.stringValue ?? "?"
        let status = r["fault"]?["status"]?.intValue.map { ":\($0)" } ?? ""
        return "\(m) \(r["match"]?["path"]?.stringValue ?? "") \(type)\(status) [\(nth)]"
    }
}

private func expectTypes(_ out: ReplayOutput) -> [String] {
    (out.scenario["expect"]?.arrayValue ?? []).map { e in
        "\(e["type"]?.stringValue ?? "") \(e["method"]?.stringValue ?? "*") \(e["path"]?.stringValue ?? "-")"
            + (e["optional"]?.boolValue == true ? " optional" : "")
    }
}

@Suite("Replay: HAR and System Log recordings become scenarios")
struct ReplayTests {
    static let okta = "https://dev-1.okta.com"
    static let date = "Mon, 05 Jan 2026 10:00:00 GMT"
    static let dateEpoch = Int(TimeFormat.parseISO("2026-01-05T10:00:00Z")!)

    static var browserHAR: [UInt8] {
        let limited = [("Date", date), ("X-Rate-Limit-Limit", "600"), ("X-Rate-Limit-Reset", String(dateEpoch + 7))]
        let e0000011 = #"{"errorCode":"E0000011","errorSummary":"Invalid token provided","errorCauses":[]}"#
        return har([
            entry("GET", "https://app.example.com/index.html", 200),
            entry("GET", okta + "/api/v1/users/00u1", 200, headers: [("Date", date)]),
            entry("GET", okta + "/api/v1/users/00u2?expand=x", 429, headers: limited),
            entry("GET", okta + "/api/v1/users/00u2", 200),
            entry("GET", okta + "/api/v1/groups", 401, text: e0000011),
            entry("POST", okta + "/api/v1/users", 500),
            entry("POST", okta + "/api/v1/users", 500),
            entry("POST", okta + "/api/v1/users", 200),
            entry("GET", okta + "/api/v1/apps", 0, time: 45_000),
            entry("GET", okta + "/api/v1/users/me", 200, time: 5_000),
            entry("GET", okta + "/api/v1/users/00u3", 404),
            entry("GET", okta + "/api/v1/users/00u4", 429, headers: limited),
        ])
    }

    @Test("a browser HAR: 429 with its reset distance, 401 with its code, 5xx, hang and delay at their ordinals")
    func browserHARRules() throws {
        let out = try replay(Self.browserHAR)
        #expect(
            summary(out) == [
                "GET /api/v1/users/{id} rateLimit [2,6]", "GET /api/v1/groups status:401 [1]",
                "POST /api/v1/users serverError [1,2]", "GET /api/v1/apps hang [1]", "GET /api/v1/users/me delay [1]",
            ])
        let rules = out.scenario["rules"]?.arrayValue ?? []
        #expect(rules[0]["fault"] == ["type": "rateLimit", "resetAfterSeconds": 7])
        #expect(rules[1]["fault"]?["body"]?["errorCode"] == "E0000011")
        #expect(rules[3]["fault"] == ["type": "hang", "seconds": 60, "then": "close"])
        #expect(rules[4]["fault"] == ["type": "delay", "ms": 5000])
        #expect(rules[0]["optional"] == nil)
        #expect(
            expectTypes(out) == [
                "respectsRateLimitReset GET /api/v1/users/{id}", "maxAttempts GET /api/v1/users/{id}",
                "noRetryOn GET /api/v1/groups", "maxAttempts POST /api/v1/users", "backsOff POST /api/v1/users",
                "maxAttempts GET /api/v1/apps", "abandonsHangWithin * -",
            ])
        let hang = out.scenario["expect"]?.arrayValue?.last
        #expect(hang?["rule"] == rules[3]["id"])
        #expect(hang?["maxSeconds"] == 30)
        let d = out.scenario["description"]?.stringValue ?? ""
        #expect(d.hasPrefix("Replay of incident.har (HAR written by WebInspector, 12 entries, 11 requests to Okta):"))
        #expect(d.contains("2 × 429, 1 × 401 E0000011, 2 × 500, 1 × hang, 1 × delay, in 5 rules"))
        #expect(d.contains("requests to other hosts or to paths outside Okta's API (the app's own pages): 1"))
        #expect(d.contains("404 × 1"))
        #expect(out.scenario["name"] == "incident")
        _ = try ScenarioLoader.load(text: out.text)
    }

    @Test("OAuth bodies (base64 too), Bearer challenges, odd 429 headers and browser errors")
    func browserDetails() throws {
        let token = Self.okta + "/oauth2/default/v1/token"
        let invalidClient = #"{"error":"invalid_client","error_description":"Client authentication failed."}"#
        let challenge = #"Bearer realm="x", error="invalid_token", error_description="The token is expired""#
        let out = try replay(
            har([
                entry("POST", token, 401, text: invalidClient, base64: true),
                entry("POST", token, 400, text: #"{"error":"invalid_grant","error_description":"x"}"#),
                entry("GET", Self.okta + "/api/v1/users", 401, headers: [("WWW-Authenticate", challenge)], size: 0),
                entry("GET", Self.okta + "/api/v1/groups", 429, headers: [("X-Rate-Limit-Reset", "1767607205")]),
                entry("GET", Self.okta + "/api/v1/groups", 200, headers: [("Date", Self.date)]),
                entry("GET", Self.okta + "/api/v1/apps", 0, time: 30, error: "net::ERR_CONNECTION_RESET"),
                entry("GET", Self.okta + "/api/v1/apps", 0, time: 3, error: "net::ERR_ABORTED"),
                entry("GET", Self.okta + "/api/v1/apps", 503, text: "<html>bad gateway</html>"),
            ]))
        #expect(
            summary(out) == [
                "POST /oauth2/{authServerId}/v1/token status:401 [1]",
                "POST /oauth2/{authServerId}/v1/token status:400 [2]",
                "GET /api/v1/users status:401 [1]", "GET /api/v1/groups rateLimit [1]", "GET /api/v1/apps reset [1]",
                "GET /api/v1/apps unavailable [2]",
            ])
        let rules = out.scenario["rules"]?.arrayValue ?? []
        #expect(rules[0]["fault"]?["body"]?["error"] == "invalid_client")
        #expect(rules[1]["optional"] == true)
        #expect(rules[2]["fault"]?["body"] == "")
        #expect(rules[2]["fault"]?["headers"]?["WWW-Authenticate"]?.stringValue == challenge)
        // No Date on this 429 while the recording's other answers carry one: the client saw none.
        #expect(rules[3]["fault"]?["omitDate"] == true)
        #expect(rules[5]["fault"]?["body"] == "<html>bad gateway</html>")
        let noRetry = out.scenario["expect"]?.arrayValue?.filter { $0["type"] == "noRetryOn" } ?? []
        #expect(noRetry.map { $0["statuses"] } == [[401], [401]])
        let d = out.scenario["description"]?.stringValue ?? ""
        #expect(d.contains("requests the browser cancelled or blocked (net::ERR_ABORTED): 1"))
        #expect(d.contains("none for invalid_grant"))
    }

    static let syslogEvents: [JSON] = {
        func event(
            _ type: String, _ at: Int, uri: String?, rid: String?, result: String = "SUCCESS", reason: String? = nil,
            debug: [(String, JSON)] = []
        ) -> JSON {
            var d = debug
            if let uri { d += [("requestUri", .string(uri)), ("url", .string(uri))] }
            if let rid { d.append(("requestId", .string(rid))) }
            return [
                "uuid": .string("u\(at)"), "published": .string(TimeFormat.iso(1_767_607_200 + Double(at))),
                "eventType": .string(type), "outcome": ["result": .string(result), "reason": JSON(reason)],
                "debugContext": ["debugData": .object(d)], "transaction": ["id": JSON(rid)],
            ]
        }
        let grant: [(String, JSON)] = [
            ("error", "invalid_grant"), ("errorDescription", "The refresh token is invalid."),
        ]
        return [
            event("system.org.rate_limit.violation", 1, uri: "/api/v1/users", rid: "r1", result: "DENY"),
            event(
                "app.oauth2.as.token.grant", 2, uri: "/oauth2/default/v1/token", rid: "r2", result: "FAILURE",
                debug: grant),
            event("user.session.start", 3, uri: "/oauth2/default/v1/token", rid: "r2", result: "FAILURE"),
            event("system.org.rate_limit.warning", 4, uri: "/api/v1/users", rid: "r3"),
            event("user.lifecycle.create", 5, uri: "/api/v1/users", rid: "r3"),
            event("system.org.rate_limit.violation", 6, uri: "/api/v1/users", rid: "r4", result: "DENY"),
            event(
                "system.operation.request_denied", 7, uri: "/api/v1/groups", rid: "r6", result: "FAILURE",
                reason: "API token revoked"),
            event("system.api_token.revoke", 8, uri: nil, rid: nil),
            event(
                "system.operation.rate_limit.violation", 9, uri: "/api/v1/authn/factors", rid: "r7", result: "DENY",
                debug: [("operationRateLimitSecondsToReset", "99")]),
            event(
                "app.oauth2.token.grant", 10, uri: "/oauth2/v1/token", rid: "r8", result: "FAILURE",
                reason: "invalid_client"),
        ]
    }()

    /// r3 logged a warning and a success: the request counts for ordinals (rules at 1 and 3), the warning is skipped.
    @Test("a System Log export, as a JSON array (any order) or NDJSON, maps what maps and counts the rest")
    func syslog() throws {
        let array = try replay(JSON.array(Self.syslogEvents.reversed()).bytes, .syslog, file: "logs.json")
        let ndjson = Self.syslogEvents.map { $0.serialized() }.joined(separator: "\n") + "\n"
        let lines = try replay(Array(ndjson.utf8), .syslog, file: "logs.json")
        #expect(array.text == lines.text)
        #expect(
            summary(array) == [
                "* /api/v1/users rateLimit [1,3]", "POST /oauth2/{authServerId}/v1/token status:400 [1]",
                "* /api/v1/groups status:401 [1]", "POST /api/v1/authn/factors rateLimit [1]",
                "POST /oauth2/v1/token status:401 [1]",
            ])
        let rules = array.scenario["rules"]?.arrayValue ?? []
        #expect(rules[0]["fault"]?["resetAfterSeconds"] == 3)
        #expect(rules[1]["fault"]?["body"]?["error"] == "invalid_grant")
        #expect(rules[2]["fault"]?["body"]?["errorCode"] == "E0000011")
        #expect(rules[3]["fault"]?["resetAfterSeconds"] == 99)
        let d = array.scenario["description"]?.stringValue ?? ""
        #expect(d.contains("rate-limit warnings and notifications (the client got no 429): 1"))
        #expect(d.contains("events with no request URI (background and admin activity): 1"))
        #expect(d.contains("10 events, 7 requests to Okta"))
        #expect(rules[4]["fault"]?["body"]?["error"] == "invalid_client")
    }

    /// The scenario of the round trip: faults on three routes.
    static let source = """
        {"version": 1, "name": "trip", "rules": [
          {"id": "a", "match": {"method": "GET", "path": "/api/v1/users"}, "when": {"nth": [2]},
           "fault": {"type": "rateLimit", "resetAfterSeconds": 5}},
          {"id": "b", "match": {"method": "GET", "path": "/api/v1/groups"}, "when": {"first": 2},
           "fault": {"type": "serverError"}},
          {"id": "c", "match": {"path": "/api/v1/apps"}, "when": {"nth": [1]}, "fault": {"type": "status", "status": 403}},
          {"id": "d", "match": {"path": "/api/v1/apps"}, "when": {"nth": [2]}, "fault": {"type": "status", "status": 404}}
        ]}
        """

    static func drive(_ org: TestOrg) -> [Int] {
        let calls = ["/api/v1/users", "/api/v1/users", "/api/v1/groups", "/api/v1/groups", "/api/v1/users"]
        return (calls + ["/api/v1/groups", "/api/v1/apps", "/api/v1/apps", "/api/v1/apps"]).map {
            org.send("GET", $0, headers: [org.ssws]).status
        }
    }

    @Test("the mock's own HAR and System Log round-trip: the replay injects the same faults at the same ordinals")
    func roundTrip() throws {
        let org = try TestOrg(scenario: Self.source, rateLimits: false)
        let statuses = Self.drive(org)
        #expect(statuses == [200, 429, 500, 500, 200, 200, 403, 404, 200])
        let harDoc = HAR.document(org.engine.journal.all(sinceEpoch: true), baseURL: "http://127.0.0.1:9")
        let out = try replay(harDoc.bytes, file: "run.har")
        #expect(
            summary(out) == [
                "GET /api/v1/users rateLimit [2]", "GET /api/v1/groups serverError [1,2]",
                "GET /api/v1/apps status:403 [1]", "GET /api/v1/apps status:404 [2]",
            ])
        #expect(out.scenario["rules"]?[0]?["fault"]?["resetAfterSeconds"] == 5)
        // The replayed scenario, run against the same client, answers exactly as the original did.
        let again = try TestOrg(scenario: out.text, rateLimits: false)
        #expect(Self.drive(again) == statuses)

        let logs = JSON.array(org.engine.systemLog.all().map(\.json))
        let fromLog = try replay(logs.bytes, .syslog, file: "logs.json")
        #expect(
            summary(fromLog) == [
                "* /api/v1/users rateLimit [1]", "* /api/v1/groups serverError [1,2]", "* /api/v1/apps status:403 [1]",
                "* /api/v1/apps status:404 [2]",
            ])
    }

    @Test("bad input is one sentence, never a crash; bounds hold")
    func badInput() throws {
        func message(_ bytes: [UInt8], _ source: IncidentReplay.Source = .har) -> String? {
            do {
                _ = try replay(bytes, source)
                return nil
            } catch { return error.isInternal ? "internal" : error.message }
        }
        #expect(message(Array("{not json".utf8))?.hasPrefix("incident.har is not valid JSON") == true)
        #expect(message(Array(#"{"log": {}}"#.utf8)) == "not a HAR file: it has no log.entries list")
        #expect(
            message(Array(#"[{"uuid": "x"}]"#.utf8), .syslog) == "not a System Log export: event 1 has no eventType")
        #expect(message(Array("  ".utf8), .syslog) == "the System Log file is empty")
        #expect(message(har([]), .syslog) == "not a System Log export: it is a HAR file (use --from-har)")
        #expect(message(Array("[]".utf8))?.hasSuffix("(a System Log export? use --from-syslog)") == true)
        #expect(message(Array("{\"eventType\":\"a\"}\n{oops\n".utf8), .syslog)?.hasPrefix("line 2 ") == true)
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(message(Array(deep.utf8)) != nil)
        let many = "{\"log\":{\"entries\":[" + Array(repeating: "{}", count: 100_001).joined(separator: ",") + "]}}"
        #expect(message(Array(many.utf8)) == "the HAR file has 100001 entries; replay reads at most 100000")
        let lines = String(repeating: "{\"eventType\":\"x\"}\n", count: 100_001)
        #expect(message(Array(lines.utf8), .syslog)?.contains("replay reads at most 100000") == true)
        let huge = [UInt8](repeating: 0x20, count: ReplayLimits.maxFileBytes + 1)
        #expect(message(huge)?.contains("larger than 64 MiB") == true)
        #expect(throws: ReplayError("cannot read /nonexistent/x.har: no such file")) {
            _ = try IncidentReplay.replay(file: "/nonexistent/x.har", source: .har)
        }
        #expect(throws: ReplayError("cannot read /tmp: it is a directory")) {
            _ = try IncidentReplay.replay(file: "/tmp", source: .har)
        }
        #expect(throws: ReplayError("--name must have 1 to 100 characters")) {
            _ = try IncidentReplay.replay(bytes: har([]), source: .har, fileName: "x.har", name: " ")
        }
    }

    @Test("deterministic, named from the file, and capped at the scenario's 1,000 rules")
    func determinismAndCaps() throws {
        #expect(try replay(Self.browserHAR).text == replay(Self.browserHAR).text)
        #expect(try IncidentReplay.name(nil, fileName: "Last Night's Incident.har.json") == "last-night-s-incident")
        #expect(try IncidentReplay.name(nil, fileName: ".har") == "har")
        #expect(try IncidentReplay.name("mine", fileName: "x.har") == "mine")
        let routes = (0..<1_200).map { entry("GET", Self.okta + "/api/v1/thing\($0)", 500) }
        let out = try replay(har(routes))
        #expect(out.ruleCount == 1_000)
        #expect(out.expectationCount == 1_000)
        #expect(out.warnings.contains("not replayed: faults beyond a scenario's 1000 rules (200)"))
        #expect(out.scenario["description"]?.stringValue?.contains("expectations beyond a scenario's 1000") == true)
        let empty = try replay(har([entry("GET", Self.okta + "/api/v1/users", 200)]))
        #expect(empty.ruleCount == 0)
        #expect(empty.warnings.first?.hasPrefix("nothing to replay") == true)
    }
}
