// The stack's floor for scripts/bench-floor (issue 15): Hummingbird's HTTP/1 server, as mock-okta builds it
// (HTTPServerBuilder without Application, NIO's singleton event loops, a ServiceGroup), answering every request
// with fixed bytes and the same headers as mock-okta's JWKS answer. No engine, no journal, no tenant, no
// argument parser: what is left of mock-okta's start-up, memory and req/s below this is Hummingbird, SwiftNIO,
// the Swift runtime and the process.
//
//     mock-okta-floor PORT BODY_FILE        (GET /hold is held until shutdown)
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
/// The whole file, or nil (the floor links no Foundation, as mock-okta links none since 2026-12-03).
func readAll(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n == 0 { break }
        out += chunk[0..<n]
    }
    return out
}

guard arguments.count == 3, let port = Int(arguments[1]), let body = readAll(arguments[2]) else {
    let usage = "usage: mock-okta-floor PORT BODY_FILE\n"
    _ = usage.withCString { write(2, $0, strlen($0)) }
    exit(64)
}

var fields = HTTPFields()
fields[.contentType] = "application/json;charset=UTF-8"
fields[.cacheControl] = "max-age=3600, must-revalidate"
fields[HTTPField.Name("Vary")!] = "Origin"
fields[HTTPField.Name("X-Rate-Limit-Limit")!] = "10000"
fields[HTTPField.Name("X-Rate-Limit-Remaining")!] = "9999"
fields[HTTPField.Name("X-Rate-Limit-Reset")!] = "1796322326"
fields[HTTPField.Name("X-Okta-Request-Id")!] = "IS1j9HwvejHCMXQtzDkf1qD1oFo"
let headers = fields

enum Floor {
    /// The Date header, as mock-okta and nginx send it.
    static func httpDate() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        var out = [CChar](repeating: 0, count: 64)
        let n = strftime(&out, out.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: out[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

var logger = Logger(label: "mock-okta-floor")
logger.logLevel = .warning
let server = try HTTPServerBuilder.http1().buildServer(
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
    eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger,
    responder: { request, writer, _ in
        // /hold is held (a sleeping task, until shutdown cancels it): the per-connection cost of a held request.
        if request.uri.path == "/hold" { try await Task.sleep(for: .seconds(3600)) }
        var h = headers
        h[.date] = Floor.httpDate()
        try await writer.write(
            response: HTTPResponse(status: .ok, headerFields: h),
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    })
let group = ServiceGroup(
    configuration: .init(
        services: [.init(service: server, serviceName: "floor")], gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
try await group.run()
