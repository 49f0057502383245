import Foundation
import Logging
import MockOktaTesting
import Testing

@testable import MockOktaCore
@testable import MockOktaServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The real server (Hummingbird on a free port) in-process, through the library users embed (MockOktaTesting).
func withLiveServer(scenario: String? = nil, _ body: @Sendable (String, MockOkta) async throws -> Void) async throws {
    try await withMockOkta(scenario: scenario, seed: 11) { org in try await body(org.url, org.engine) }
}

func fetch(_ url: String, method: String = "GET", body: String? = nil, headers: [String: String] = [:]) async throws
    -> (Int, [String: String], Data)
{
    var req = URLRequest(url: URL(string: url)!)
    req.httpMethod = method
    if let body { req.httpBody = Data(body.utf8) }
    for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
    let (data, resp) = try await URLSession.shared.data(for: req)
    let http = resp as! HTTPURLResponse
    var h: [String: String] = [:]
    for (k, v) in http.allHeaderFields { h[String(describing: k).lowercased()] = String(describing: v) }
    return (http.statusCode, h, data)
}

@Suite("Live server: wire behaviour through Hummingbird", .serialized)
struct LiveServerTests {
    @Test("Date follows the tenant clock (offset moves it), X-Okta-Request-Id is the journal id")
    func dateHeader() async throws {
        try await withLiveServer { url, engine in
            let (s1, h1, _) = try await fetch(url + "/oauth2/v1/keys")
            #expect(s1 == 200)
            let id = try #require(h1["x-okta-request-id"])
            #expect(engine.journal.entry(id) != nil)
            _ = try await fetch(url + "/__mock/clock", method: "POST", body: #"{"offset": 86400}"#)
            let (_, h2, _) = try await fetch(url + "/oauth2/v1/keys")
            let tomorrow = TimeFormat.httpDate(Date().timeIntervalSince1970 + 86400)
            #expect(h2["date"]?.prefix(16) == tomorrow.prefix(16))
        }
    }

    @Test("omitDate drops the Date header on the wire")
    func omitDate() async throws {
        let sc =
            #"{"version":1,"name":"t","description":"d","rules":[{"id":"r","match":{"path":"/oauth2/v1/keys"},"fault":{"type":"rateLimit","omitDate":true}}]}"#
        try await withLiveServer(scenario: sc) { url, _ in
            let (s, h, _) = try await fetch(url + "/oauth2/v1/keys")
            #expect(s == 429 && h["date"] == nil && h["x-rate-limit-reset"] != nil)
        }
    }

    @Test("a hung request notices the client leaving: disconnectedAt is recorded")
    func hangDisconnect() async throws {
        let sc =
            #"{"version":1,"name":"t","description":"d","rules":[{"id":"h","match":{"path":"/oauth2/v1/keys"},"fault":{"type":"hang"}}]}"#
        try await withLiveServer(scenario: sc) { url, engine in
            let port = UInt16(url.split(separator: ":").last!)!
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            #expect(rc == 0)
            let req = "GET /oauth2/v1/keys HTTP/1.1\r\nHost: x\r\n\r\n"
            _ = req.withCString { send(fd, $0, strlen($0), 0) }
            try await Task.sleep(for: .milliseconds(400))
            let hung = engine.journal.all().last
            #expect(hung?.fault == "hang" && hung?.disconnectedAt == nil)
            close(fd)
            var entry: JournalEntry? = nil
            for _ in 0..<50 {
                try await Task.sleep(for: .milliseconds(50))
                entry = engine.journal.entry(hung!.id)
                if entry?.disconnectedAt != nil { break }
            }
            let e = try #require(entry)
            let waited = try #require(e.disconnectedAt) - e.receivedAt
            #expect(waited > 0.3 && waited < 2.5)
        }
    }
}
