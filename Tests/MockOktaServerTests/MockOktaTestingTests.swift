import Foundation
import MockOktaCore
import MockOktaTesting
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

let httpDate: DateFormatter = {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "GMT")
    f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    return f
}()

/// The library users embed in their own Swift tests (README "Swift tests"), used the way the README shows.
@Suite("MockOktaTesting: an org per test", .serialized)
struct MockOktaTestingTests {
    /// A client that honours X-Rate-Limit-Reset passes the shipped 429 scenario; one that never calls is
    /// "not exercised", never "passed".
    @Test("withMockOkta runs a shipped scenario and judges the client")
    func shippedScenario() async throws {
        try await withMockOkta(scenario: "429-rate-limit-with-reset") { org in
            #expect(org.url.hasPrefix("http://127.0.0.1:"))
            #expect(!org.credentials.apiToken.isEmpty && org.defaultIssuer == org.url + "/oauth2/default")
            let untouched = org.verdicts()
            #expect(!untouched.passed && untouched.noRequests)
            var attempts = 0
            while attempts < 5 {
                attempts += 1
                var req = URLRequest(url: URL(string: org.url + "/api/v1/users")!)
                req.setValue("SSWS " + org.credentials.apiToken, forHTTPHeaderField: "Authorization")
                let (_, resp) = try await URLSession.shared.data(for: req)
                let http = try #require(resp as? HTTPURLResponse)
                if http.statusCode != 429 { break }
                // Wait until the reset the server announced, measured against its Date header, as the SDKs do.
                let reset = Double(http.value(forHTTPHeaderField: "X-Rate-Limit-Reset") ?? "0") ?? 0
                let date =
                    http.value(forHTTPHeaderField: "Date").flatMap { httpDate.date(from: $0)?.timeIntervalSince1970 }
                    ?? Date().timeIntervalSince1970
                try await Task.sleep(for: .milliseconds(Int(max(0, reset - date) * 1000) + 1100))
            }
            #expect(org.requests().count == attempts)
            let report = org.verdicts()
            #expect(report.passed, "\(report.results.map { "\($0.label): \($0.reason)" })")
        }
    }

    @Test("an unknown scenario name is refused with suggestions; the org stops after the body throws")
    func errors() async throws {
        await #expect(throws: MockOktaTestingError.self) {
            try await withMockOkta(scenario: "429-rate-limit-with-rest") { _ in }
        }
        struct Boom: Error {}
        var url = ""
        await #expect(throws: Boom.self) {
            try await withMockOkta { org in
                url = org.url
                throw Boom()
            }
        }
        // Stopped: nothing listens on the port any more.
        var req = URLRequest(url: URL(string: url + "/oauth2/v1/keys")!)
        req.timeoutInterval = 2
        await #expect(throws: (any Error).self) { _ = try await URLSession.shared.data(for: req) }
    }
}
