import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Sets the Date header from the tenant clock (or drops it for the `omitDate` fault).
/// Hummingbird stamps Date after the responder returns, so the responder leaves its wish in a marker header.
final class DateHeaderHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let marker = HTTPField.Name("x-mock-okta-date")!

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var part = unwrapOutboundIn(data)
        if case .head(var head) = part, let wanted = head.headerFields[DateHeaderHandler.marker] {
            head.headerFields[DateHeaderHandler.marker] = nil
            if wanted == "omit" { head.headerFields[.date] = nil } else { head.headerFields[.date] = wanted }
            part = .head(head)
        }
        context.write(wrapOutboundOut(part), promise: promise)
    }
}
