import FoundationEssentials
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A minimal HTTP/1.1 GET over NIO (with TLS from a CA file), for `token explain` fetching an issuer's
/// discovery document and JWKS. Foundation's URLSession on Linux cannot take a custom CA file.
public enum HTTPGet {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Bodies larger than this are refused (a JWKS is a few KiB).
    static let maxBody = 1 << 20

    public static func get(_ urlString: String, caFile: String?, timeout: TimeAmount = .seconds(5)) async throws -> (
        status: Int, body: [UInt8]
    ) {
        guard let url = URL(string: urlString), let scheme = url.scheme, scheme == "http" || scheme == "https",
            let host = url.host
        else {
            throw Failure(description: "not an http(s) URL: \(urlString)")
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        var ssl: NIOSSLContext? = nil
        if scheme == "https" {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile { tls.trustRoots = .file(caFile) }
            ssl = try NIOSSLContext(configuration: tls)
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: (Int, [UInt8]).self)
        let bootstrap = ClientBootstrap(group: group).connectTimeout(timeout).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                if let ssl {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: ssl, serverHostname: host.first?.isNumber == true ? nil : host)
                    )
                }
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                try channel.pipeline.syncOperations.addHandler(Collector(promise: promise))
            }
        }
        let channel = try await bootstrap.connect(host: host, port: port).get()
        var path = url.path.isEmpty ? "/" : url.path
        if let q = url.query { path += "?" + q }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "Accept", value: "application/json")
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure(description: "no answer from \(urlString) within the timeout"))
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        let (status, body) = try await promise.futureResult.get()
        return (status, body)
    }

    final class Collector: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<(Int, [UInt8])>
        var status = 0
        var body: [UInt8] = []
        init(promise: EventLoopPromise<(Int, [UInt8])>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): status = Int(h.status.code)
            case .body(var b):
                body += b.readBytes(length: b.readableBytes) ?? []
                if body.count > HTTPGet.maxBody { promise.fail(Failure(description: "answer larger than 1 MiB")) }
            case .end: promise.succeed((status, body))
            }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }
        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(Failure(description: "the connection closed before the answer ended"))
        }
    }
}
