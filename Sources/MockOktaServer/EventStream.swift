import HTTPTypes
import Hummingbird
import MockOktaCore
import NIOCore
import ServiceLifecycle

/// `GET /__mock/events`: the dashboard's live journal as server-sent events. The stream stays open until the
/// browser leaves or the server shuts down; it looks for changes four times a second and sends a batch only
/// when something changed (and every few seconds anyway, so the page's clock and the connection stay fresh).
extension MockResponder {
    static let eventPoll: Duration = .milliseconds(250)
    static let eventHeartbeatSeconds = 5.0

    func eventStream(_ info: HTTPRequestInfo, channel: any Channel) -> Response {
        if let refusal = engine.controlRefusal(info, path: info.path) { return response(refusal) }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache, no-store"
        headers[DateHeaderHandler.marker] = TimeFormat.httpDate(engine.clock.now())
        let engine = self.engine
        let start = info.queryValue("after").flatMap(Int.init) ?? 0
        return Response(
            status: .ok, headers: headers,
            body: .init { writer in
                var version = start
                var lastSent = -Double.infinity
                let clock = engine.realClock
                while channel.isActive && !Task.isShuttingDownGracefully {
                    let batch = engine.dashboardEvents(after: version)
                    if batch.changed || clock.now() - lastSent >= MockResponder.eventHeartbeatSeconds {
                        try await writer.write(ByteBuffer(string: batch.text))
                        lastSent = clock.now()
                    }
                    version = batch.version
                    try await Task.sleep(for: MockResponder.eventPoll)
                }
                try await writer.finish(nil)
            })
    }
}
