import NIOCore
import NIOHTTP1

/// Closes the connection after the answer to an HTTP/1.0 request that did not ask for keep-alive, as HTTP/1.0
/// requires (Hummingbird works on version-less HTTP types, so it cannot tell). Sits just after the request decoder.
final class HTTP10CloseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var closeAfterResponse = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data), head.version == .http1_0, !head.isKeepAlive {
            closeAfterResponse = true
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var part = unwrapOutboundIn(data)
        guard closeAfterResponse else { return context.write(data, promise: promise) }
        switch part {
        case .head(var head):
            head.headers.replaceOrAdd(name: "connection", value: "close")
            part = .head(head)
            context.write(wrapOutboundOut(part), promise: promise)
        case .end:
            let done = promise ?? context.eventLoop.makePromise()
            context.writeAndFlush(wrapOutboundOut(part), promise: done)
            done.futureResult.whenComplete { _ in context.close(promise: nil) }
        case .body:
            context.write(data, promise: promise)
        }
    }

    /// Puts a close handler right after the HTTP/1 request decoder of `pipeline` (on its event loop).
    static func install(in pipeline: ChannelPipeline) {
        guard let decoder = try? pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        else { return }
        try? pipeline.syncOperations.addHandler(HTTP10CloseHandler(), position: .after(decoder))
    }
}
