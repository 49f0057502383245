import Foundation
import Logging
import Testing

@testable import MockOktaCore
@testable import MockOktaServer

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A scenario of one rule on `/oauth2/v1/keys` with this fault.
private func faultScenario(_ fault: String) -> String {
    #"{"version":1,"name":"t","description":"d","rules":[{"id":"h","match":{"path":"/oauth2/v1/keys"},"fault":"#
        + fault + "}]}"
}

/// A raw client socket on `url`'s port that has sent `GET path`; reads time out after 5 s (a guard, not a check).
private func rawRequest(_ url: String, _ path: String = "/oauth2/v1/keys") -> Int32 {
    let port = UInt16(url.split(separator: ":").last!)!
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    let req = "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n"
    _ = req.withCString { send(fd, $0, strlen($0), 0) }
    return fd
}

/// Everything the server sends until it closes the connection (or the read times out).
private func readToEnd(_ fd: Int32) -> (bytes: [UInt8], closed: Bool) {
    var all: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n > 0 { all += buf[0..<n] } else { return (all, n == 0 || errno == ECONNRESET) }
    }
}

/// The journal entry of the only request on `path`, once `done` holds for it (polled; nil if it never does).
private func entry(_ engine: MockOkta, _ done: (JournalEntry) -> Bool) async throws -> JournalEntry? {
    for _ in 0..<100 {
        if let e = engine.journal.all().last(where: { $0.path == "/oauth2/v1/keys" }), done(e) { return e }
        try await Task.sleep(for: .milliseconds(50))
    }
    return nil
}

@Suite("Live server: requests held by wire faults", .serialized)
struct LiveServerHangTests {
    @Test("graceful shutdown releases a hung request: finished, unanswered, not a disconnect; the client sees EOF")
    func shutdownReleasesHang() async throws {
        var config = ServerConfiguration()
        config.port = 0
        config.quietReadyBlock = true
        config.readyToStderr = true
        config.options.scenarios = [try ScenarioLoader.load(text: faultScenario(#"{"type":"hang"}"#))]
        var logger = Logger(label: "mock-okta")
        logger.logLevel = .warning
        let engine = try MockOkta(options: config.options, logger: logger)
        let server = try await MockOktaServer.start(config, engine: engine, logger: logger)
        let fd = rawRequest(server.url)
        defer { close(fd) }
        let held = try #require(try await entry(engine) { $0.fault == "hang" })
        #expect(held.finishedAt == nil)
        await server.stop()  // returns only once the held request has ended
        let e = try #require(engine.journal.entry(held.id))
        #expect(e.finishedAt != nil && e.disconnectedAt == nil && e.status == nil)
        let (bytes, closed) = readToEnd(fd)
        #expect(bytes.isEmpty && closed)
    }

    @Test("a hang with a duration then answers normally, and is journaled as answered")
    func hangThenRespond() async throws {
        try await withLiveServer(scenario: faultScenario(#"{"type":"hang","seconds":0.3}"#)) { url, engine in
            let (status, headers, body) = try await fetch(url + "/oauth2/v1/keys")
            #expect(status == 200 && headers["date"] != nil && !body.isEmpty)
            let e = try #require(try await entry(engine) { $0.finishedAt != nil })
            #expect(e.fault == "hang" && e.status == 200 && e.disconnectedAt == nil)
        }
    }

    @Test("a hang then close sends nothing and closes; the journal has no status")
    func hangThenClose() async throws {
        try await withLiveServer(scenario: faultScenario(#"{"type":"hang","seconds":0.2,"then":"close"}"#)) {
            url, engine in
            let fd = rawRequest(url)
            defer { close(fd) }
            let (bytes, closed) = readToEnd(fd)
            #expect(bytes.isEmpty && closed)
            let e = try #require(try await entry(engine) { $0.finishedAt != nil })
            #expect(e.fault == "hang" && e.status == nil && e.disconnectedAt == nil)
        }
    }

    @Test("a delay answers after its wait; the connection stays open for the next request")
    func delayAnswers() async throws {
        try await withLiveServer(scenario: faultScenario(#"{"type":"delay","ms":200}"#)) { url, engine in
            let fd = rawRequest(url)
            defer { close(fd) }
            var buf = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &buf, buf.count, 0)
            #expect(n > 0 && String(decoding: buf[0..<max(n, 0)], as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            let e = try #require(try await entry(engine) { $0.finishedAt != nil })
            #expect(e.fault == "delay" && e.status == 200 && e.disconnectedAt == nil)
            let (status, _, _) = try await fetch(url + "/oauth2/v1/keys")
            #expect(status == 200)
        }
    }

    @Test("many hung requests are each noticed when their client leaves")
    func manyHangsDisconnect() async throws {
        try await withLiveServer(scenario: faultScenario(#"{"type":"hang"}"#)) { url, engine in
            let fds = (0..<50).map { _ in rawRequest(url) }
            var held = 0
            for _ in 0..<100 where held < 50 {
                held = engine.journal.all().filter { $0.fault == "hang" && $0.finishedAt == nil }.count
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(held == 50)
            for fd in fds { close(fd) }
            var left = 0
            for _ in 0..<100 where left < 50 {
                left = engine.journal.all().filter { $0.fault == "hang" && $0.disconnectedAt != nil }.count
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(left == 50)
            #expect(engine.journal.all().allSatisfy { $0.finishedAt != nil })
        }
    }
}
