import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Last touches on every response head before it is encoded:
/// - sets the Date header from the tenant clock (or drops it for the `omitDate` fault). Hummingbird stamps Date
///   after the responder returns, so the responder leaves its wish in a marker header;
/// - gives the bare 400 Hummingbird writes for a request it cannot parse (bad request line, header without a colon,
///   headers over 80 KiB) an Okta JSON body, like every other error the org sends.
final class DateHeaderHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let marker = HTTPField.Name("x-mock-okta-date")!
    /// Body for an unparseable request; nil keeps Hummingbird's empty one.
    let parseErrorBody: @Sendable () -> [UInt8]
    private var pendingBody: [UInt8]?

    init(parseErrorBody: @escaping @Sendable () -> [UInt8]) { self.parseErrorBody = parseErrorBody }

    /// Receive buffers start at 512 bytes instead of NIO's 2 KiB: a connection keeps its buffer for as long as it
    /// lives (a held request too), and requests are small; the buffer doubles whenever a read fills it.
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)

    func handlerAdded(context: ChannelHandlerContext) {
        // Added while the connection is set up, before its first read.
        try? context.channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Self.receiveBuffers)
        HTTP10CloseHandler.install(in: context.pipeline)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var part = unwrapOutboundIn(data)
        switch part {
        case .head(var head):
            if let wanted = head.headerFields[DateHeaderHandler.marker] {
                head.headerFields[DateHeaderHandler.marker] = nil
                if wanted == "omit" { head.headerFields[.date] = nil } else { head.headerFields[.date] = wanted }
            } else if head.status == .badRequest, head.headerFields[.contentLength] == "0",
                head.headerFields[.connection] == "close"
            {
                // Only Hummingbird's parse-error reply comes without our marker.
                let body = parseErrorBody()
                head.headerFields[.contentLength] = String(body.count)
                head.headerFields[.contentType] = "application/json"
                pendingBody = body
            }
            part = .head(head)
        case .end:
            if let body = pendingBody {
                pendingBody = nil
                context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
            }
        case .body:
            break
        }
        context.write(wrapOutboundOut(part), promise: promise)
    }
}
