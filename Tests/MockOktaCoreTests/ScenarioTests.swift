import Foundation
import Testing

@testable import MockOktaCore

@Suite("Scenarios: schema, rules, faults, timeline, verdicts")
struct ScenarioTests {
    @Test("the embedded schema is scenarios/schema.json (the EmbedScenarios plugin embeds it at build time)")
    func embeddedSchema() throws {
        let file = try String(contentsOf: repoRoot.appendingPathComponent("scenarios/schema.json"), encoding: .utf8)
        #expect(try JSONParser.parse(file) == ScenarioLoader.schema)
    }

    @Test("the embedded scenarios are exactly scenarios/*.json (embedded at build time)")
    func embeddedScenarios() throws {
        let dir = repoRoot.appendingPathComponent("scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
            $0.hasSuffix(".json") && $0 != "schema.json"
        }.sorted()
        #expect(ShippedScenarios.all.map(\.name) == files.map { String($0.dropLast(5)) })
        for f in files {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            #expect(ShippedScenarios.text(named: f) == text, "\(f) differs from its embedded copy")
        }
        #expect(ShippedScenarios.text(named: "no-such-scenario") == nil)
        #expect(ShippedScenarios.suggestions(for: "429-rate-limit").contains("429-rate-limit-with-reset"))
    }

    @Test("the fault, action and expectation vocabularies are closed enums equal to the schema's lists")
    func vocabularies() throws {
        func kinds(_ def: String) -> [String] {
            (ScenarioLoader.schema["$defs"]?[def]?["oneOf"]?.arrayValue ?? []).compactMap { branch -> String? in
                guard let ref = branch["$ref"]?.stringValue, let name = ref.split(separator: "/").last else {
                    return nil
                }
                return ScenarioLoader.schema["$defs"]?[String(name)]?["properties"]?["type"]?["const"]?.stringValue
            }
        }
        #expect(kinds("fault") == FaultType.allCases.map(\.rawValue))
        #expect(kinds("action") == ActionType.allCases.map(\.rawValue))
        #expect(kinds("expectation") == ExpectationKind.allCases.map(\.rawValue))
        #expect(ScenarioLoader.buildFault(["type": "nope"]) == nil)
        #expect(ScenarioLoader.buildAction(["type": "nope"]) == nil)
    }

    @Test("every shipped scenario loads")
    func shipped() throws {
        let dir = repoRoot.appendingPathComponent("scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
            $0.hasSuffix(".json") && $0 != "schema.json"
        }
        #expect(files.count >= 19)
        for f in files {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            do { _ = try ScenarioLoader.load(text: text, file: f) } catch { Issue.record("\(f): \(error.description)") }
        }
    }

    @Test("a broken scenario is refused with every error, its path and line")
    func invalid() throws {
        let text = """
            {
              "version": 2,
              "name": "bad",
              "description": "x",
              "colour": "red",
              "rules": [
                { "id": "r", "match": { "path": "/api/v1/users" }, "when": { "nth": [0] }, "fault": { "type": "explode" } }
              ]
            }
            """
        do {
            _ = try ScenarioLoader.load(text: text)
            Issue.record("loaded a bad scenario")
        } catch {
            let paths = error.issues.map(\.path)
            #expect(paths.contains("$.version"))
            #expect(paths.contains("$.colour"))
            #expect(paths.contains("$.rules[0].when.nth[0]"))
            #expect(paths.contains("$.rules[0].fault.type"))
            #expect(error.issues.first { $0.path == "$.colour" }?.line == 5)
        }
    }

    @Test("nth fires on exactly those matching requests; rate-limit fault sets Okta's headers")
    func nthRateLimit() throws {
        let org = try TestOrg(
            scenario: """
                {"version":1,"name":"t","description":"d","rules":[{"id":"throttle","match":{"method":"GET","path":"/api/v1/users"},
                 "when":{"nth":[2,3]},"fault":{"type":"rateLimit","resetAfterSeconds":2}}]}
                """)
        let statuses = (0..<4).map { _ in org.send("GET", "/api/v1/users", headers: [org.ssws]).status }
        #expect(statuses == [200, 429, 429, 200])
        let r = org.send("GET", "/api/v1/users/me", headers: [org.ssws])
        #expect(r.status == 200)  // another path does not match
        #expect(org.engine.scenarioJSON["rules"]?[0]?["fired"] == 2)
    }

    @Test("rateLimit knobs: omitDate, omitResetHeader, duplicateResetHeader")
    func knobs() throws {
        let org = try TestOrg(
            scenario: """
                {"version":1,"name":"t","description":"d","rules":[
                 {"id":"a","match":{"path":"/api/v1/groups"},"fault":{"type":"rateLimit","omitDate":true}},
                 {"id":"b","match":{"path":"/api/v1/apps"},"fault":{"type":"rateLimit","omitResetHeader":true}},
                 {"id":"c","match":{"path":"/api/v1/logs"},"fault":{"type":"rateLimit","duplicateResetHeader":true}}]}
                """)
        let a = org.send("GET", "/api/v1/groups", headers: [org.ssws])
        #expect(a.status == 429 && a.date == nil && a.header("X-Rate-Limit-Reset") != nil)
        let b = org.send("GET", "/api/v1/apps", headers: [org.ssws])
        #expect(b.status == 429 && b.header("X-Rate-Limit-Reset") == nil && b.date != nil)
        let c = org.send("GET", "/api/v1/logs", headers: [org.ssws])
        #expect(c.headers.filter { $0.0 == "X-Rate-Limit-Reset" }.count == 2)
    }

    @Test("probability is seeded: the same seed fires on the same requests")
    func probability() throws {
        let sc =
            #"{"version":1,"name":"p","description":"d","seed":5,"rules":[{"id":"f","when":{"probability":0.5},"fault":{"type":"serverError"}}]}"#
        func run() throws -> [Int] {
            let org = try TestOrg(scenario: sc)
            return (0..<20).map { _ in org.send("GET", "/oauth2/v1/keys").status }
        }
        let a = try run()
        #expect(a == (try run()))
        #expect(a.contains(500) && a.contains(200))
    }

    @Test("timeline revokes the API token at its moment; enforcement answers 401; reset restores it")
    func timeline() throws {
        let org = try TestOrg(
            scenario:
                #"{"version":1,"name":"t","description":"d","timeline":[{"atSeconds":5,"action":{"type":"revokeApiToken","token":"admin"}}]}"#
        )
        #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
        org.wall.advance(6)
        #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 401)
        org.engine.reset()
        #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
        #expect(org.engine.journal.all().count == 1)
    }

    @Test("token faults: expiredToken and wrongAudience produce tokens a verifier refuses")
    func tokenFaults() throws {
        let org = try TestOrg(
            scenario: """
                {"version":1,"name":"t","description":"d","rules":[{"id":"x","match":{"path":"/oauth2/default/v1/token"},"when":{"nth":[1]},"fault":{"type":"expiredToken"}},
                {"id":"y","match":{"path":"/oauth2/default/v1/token"},"when":{"nth":[2]},"fault":{"type":"wrongAudience"}}]}
                """)
        let t1 = DecodedJWT(org.serviceToken().bodyJSON!["access_token"]!.stringValue!)!
        #expect(t1.claims["exp"]!.doubleValue! < org.engine.clock.now() - 120)
        let t2 = DecodedJWT(org.serviceToken().bodyJSON!["access_token"]!.stringValue!)!
        #expect(t2.claims["aud"] == "api://wrong-audience")
        let t3 = DecodedJWT(org.serviceToken().bodyJSON!["access_token"]!.stringValue!)!
        #expect(t3.claims["aud"] == "api://default")
    }

    @Test("verdicts: an impatient retry fails respectsRateLimitReset; a patient one passes")
    func verdicts() throws {
        let sc = """
            {"version":1,"name":"v","description":"d","rules":[{"id":"r","match":{"path":"/api/v1/users"},"when":{"nth":[1]},
             "fault":{"type":"rateLimit","resetAfterSeconds":3}}],"expect":[{"type":"respectsRateLimitReset"},{"type":"maxAttempts","max":2},
             {"type":"noRetryOn","optional":true}]}
            """
        let impatient = try TestOrg(scenario: sc)
        _ = impatient.send("GET", "/api/v1/users", headers: [impatient.ssws])
        impatient.wall.advance(0.5)
        _ = impatient.send("GET", "/api/v1/users", headers: [impatient.ssws])
        let bad = impatient.engine.verify()
        #expect(!bad.passed && bad.results[0].passed == false && bad.results[0].evidence.count == 2)
        #expect(bad.results[1].passed)
        let patient = try TestOrg(scenario: sc)
        _ = patient.send("GET", "/api/v1/users", headers: [patient.ssws])
        patient.wall.advance(4)
        _ = patient.send("GET", "/api/v1/users", headers: [patient.ssws])
        let good = patient.engine.verify()
        #expect(good.passed)
        // Nothing was denied: noRetryOn was not exercised, which an optional expectation may be.
        #expect(good.results[2].status == .notExercised && !good.results[2].passed)
        #expect(good.results[1].requests.last?.retryOf == good.results[1].requests.first?.id)
        #expect(good.results[1].requests.last?.atMs == 4000)
        let junit = Verdicts.junit(bad, suite: "v")
        #expect(junit.contains("<failure") && junit.contains("testcase"))
    }

    @Test("journal entries redact credentials")
    func redaction() throws {
        let org = try TestOrg()
        _ = org.send("GET", "/api/v1/users", headers: [org.ssws])
        let e = try #require(org.engine.journal.all().last)
        let text = e.json.serialized()
        #expect(!text.contains(org.cred("apiToken")))
        #expect(e.auth.kind == "SSWS" && e.auth.tokenId?.hasPrefix("00T") == true)
    }
}

@Suite("Control API routes")
struct ControlRouteTests {
    /// Every control route answers its method; a known path with another method is 405 with Allow, an unknown one 404.
    @Test("the control API is a route table: known paths answer, a wrong method is 405 with Allow")
    func routes() throws {
        let org = try TestOrg()
        #expect(org.send("GET", "/__mock/tenant").status == 200)
        #expect(org.send("GET", "/__mock/clock").status == 200)
        #expect(org.send("GET", "/__mock/journal").status == 200)
        #expect(org.send("GET", "/__mock/verify").status == 200)
        let wrong = org.send("PATCH", "/__mock/clock")
        #expect(wrong.status == 405 && wrong.header("Allow") == "GET, POST")
        #expect(wrong.bodyJSON?["errorCode"] == "E0000022")
        #expect(org.send("GET", "/__mock/nothing").status == 404)
        #expect(org.send("POST", "/__mock/clock", body: #"{"advance": 60}"#).status == 200)
        #expect(org.send("POST", "/__mock/clock", body: #"{"sideways": 1}"#).status == 400)
    }
}
