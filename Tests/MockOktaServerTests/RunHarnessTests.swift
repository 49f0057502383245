import Foundation
import Testing

@testable import MockOktaCore
@testable import MockOktaServer

@Suite("mock-okta run: environment, verdict table, exit codes")
struct RunHarnessTests {
    let info: JSON = [
        "url": "https://127.0.0.1:5555", "port": 5555, "caFile": "/tmp/ca.pem", "orgIssuer": "https://127.0.0.1:5555",
        "defaultIssuer": "https://127.0.0.1:5555/oauth2/default",
        "credentials": [
            "apiToken": "tok", "serviceClientId": "0oaS", "serviceClientSecret": "sec", "servicePrivateKeyPem": "PEM",
            "webClientId": "0oaW", "webClientSecret": "wsec", "readOnlyApiToken": "ro",
        ],
    ]

    @Test("exports the variables PRODUCT.md lists, with CA bundle variables under TLS")
    func env() {
        let e = RunHarness.environment(info, tlsBundlePath: "/tmp/bundle.pem")
        #expect(e["OKTA_ORG_URL"] == "https://127.0.0.1:5555" && e["OKTA_CLIENT_ORGURL"] == "https://127.0.0.1:5555")
        #expect(e["OKTA_CLIENT_TOKEN"] == "tok" && e["OKTA_ISSUER"] == "https://127.0.0.1:5555/oauth2/default")
        #expect(
            e["OKTA_CLIENT_ID"] == "0oaS" && e["OKTA_CLIENT_CLIENTID"] == "0oaS" && e["OKTA_CLIENT_PRIVATEKEY"] == "PEM"
        )
        #expect(e["OKTA_WEB_CLIENT_ID"] == "0oaW" && e["MOCK_OKTA_URL"] == "https://127.0.0.1:5555")
        #expect(
            e["MOCK_OKTA_CA_FILE"] == "/tmp/ca.pem" && e["SSL_CERT_FILE"] == "/tmp/bundle.pem"
                && e["REQUESTS_CA_BUNDLE"] == "/tmp/bundle.pem")
        let plain = RunHarness.environment(
            info.setting("caFile", nil).setting("url", "http://127.0.0.1:5555"), tlsBundlePath: nil)
        #expect(plain["SSL_CERT_FILE"] == nil && plain["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] != nil)
    }

    @Test("exit status: the command's failure wins, then 3 for a failed expectation, else 0")
    func exitCodes() {
        let pass = VerdictReport(results: [])
        let reqs = (0..<8).map {
            EvidenceRequest(
                id: "r\($0)", method: "GET", path: "/api/v1/users", status: 500, atMs: $0 * 100, rule: "boom",
                fault: "serverError", retryOf: $0 == 0 ? nil : "r\($0 - 1)")
        }
        let fail = VerdictReport(results: [
            VerdictResult(
                type: "maxAttempts", label: "maxAttempts", status: .failed,
                reason: "8 attempts", evidence: reqs.map(\.id), requests: reqs)
        ])
        let idle = VerdictReport(results: [
            VerdictResult(type: "backsOff", label: "backsOff", status: .notExercised, reason: "no 5xx", evidence: [])
        ])
        let optionalIdle = VerdictReport(results: [
            VerdictResult(
                type: "backsOff", label: "backsOff", status: .notExercised, optional: true,
                reason: "no 5xx", evidence: [])
        ])
        let nothing = VerdictReport(results: [], requestCount: 0)
        let unfired = VerdictReport(results: [], rules: [RuleCoverage(id: "r", fired: 0, matched: 0, optional: false)])
        #expect(RunHarness.exitCode(commandStatus: 0, report: pass) == 0)
        #expect(RunHarness.exitCode(commandStatus: 0, report: fail) == 3)
        #expect(RunHarness.exitCode(commandStatus: 7, report: fail) == 7)
        #expect(RunHarness.exitCode(commandStatus: 0, report: idle) == 3)
        #expect(RunHarness.exitCode(commandStatus: 0, report: optionalIdle) == 0)
        #expect(RunHarness.exitCode(commandStatus: 0, report: nothing) == 3)
        #expect(RunHarness.exitCode(commandStatus: 0, report: unfired) == 3)
        let t = RunHarness.table(fail)
        #expect(
            t.contains("FAIL  maxAttempts") && t.contains("GET /api/v1/users → 500 (rule boom, serverError)")
                && t.contains("+3 more"))
        #expect(RunHarness.table(idle).contains("NOT EXERCISED  backsOff"))
        #expect(RunHarness.table(nothing).contains("sent no request"))
    }

    @Test("the CA bundle keeps the system CAs and adds ours")
    func bundle() throws {
        let dir = FileManager.default.temporaryDirectory
        let ca = dir.appendingPathComponent("t-ca-\(UUID()).pem").path
        let out = dir.appendingPathComponent("t-bundle-\(UUID()).pem").path
        try "-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----\n".write(
            toFile: ca, atomically: true, encoding: .utf8)
        try RunHarness.writeBundle(caFile: ca, to: out)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.hasSuffix("MOCK\n-----END CERTIFICATE-----\n"))
        if FileManager.default.fileExists(atPath: "/etc/ssl/certs/ca-certificates.crt") {
            #expect(text.components(separatedBy: "BEGIN CERTIFICATE").count > 2)
        }
    }
}

@Suite("mock-okta run: the GitHub job summary")
struct JobSummaryTests {
    @Test("the Markdown table escapes pipes, cites a failure's requests and marks not exercised apart from failed")
    func markdown() {
        let failed = VerdictResult(
            type: "maxAttempts", label: "maxAttempts GET /api/v1/users", status: .failed, optional: false,
            reason: "a | b was attempted 4 times", evidence: ["r1"],
            requests: [
                EvidenceRequest(
                    id: "r1", method: "GET", path: "/api/v1/users", status: 500, atMs: 0, rule: "boom",
                    fault: "serverError", retryOf: nil)
            ])
        let unsure = VerdictResult(
            type: "backsOff", label: "backsOff", status: .notExercised, optional: false, reason: "no retries",
            evidence: [], requests: [])
        let report = VerdictReport(
            results: [failed, unsure], rules: [RuleCoverage(id: "boom", fired: 2, matched: 2, optional: false)])
        let md = Verdicts.markdown(report, suite: "s", command: ["python3", "client.py"])
        #expect(md.hasPrefix("### mock-okta: ❌ FAILED — `s`"))
        #expect(
            md.contains(
                "| ❌ fail | maxAttempts GET /api/v1/users | a \\| b was attempted 4 times<br>`GET /api/v1/users"))
        #expect(md.contains("| ⚠️ not exercised | backsOff | no retries |"))
        #expect(md.contains("| `boom` | 2× | 2 |") && md.contains("Command: `python3 client.py`"))
    }
}
