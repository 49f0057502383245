import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import MockOktaCore
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// Request context that keeps the NIO channel, for resets, closes and disconnect detection.
public struct MockContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
    public var maxUploadSize: Int { 1 << 20 }
}

/// Adapts Hummingbird requests to the engine and carries out wire faults on the channel.
struct MockResponder: HTTPResponder {
    typealias Context = MockContext
    let engine: MockOkta
    let tls: Bool
    let logger: Logger

    func respond(to request: Request, context: MockContext) async throws -> Response {
        var request = request
        let started = ContinuousClock.now
        var body = ByteBuffer()
        var tooLarge = false
        do {
            body = try await request.collectBody(upTo: 1 << 20)
        } catch {
            tooLarge = true
        }
        var headers: [(String, String)] = []
        headers.reserveCapacity(request.headers.count)
        for f in request.headers { headers.append((f.name.canonicalName, f.value)) }
        let info = HTTPRequestInfo(
            method: request.method.rawValue, path: request.uri.path,
            query: HTTPRequestInfo.parseForm(request.uri.query ?? ""), headers: headers,
            body: Array(buffer: body), remoteIP: context.channel.remoteAddress?.ipAddress ?? "127.0.0.1")
        var info2 = info
        info2.bodyTooLarge = tooLarge
        if info.method == "GET" && info.path == "/__mock/events" {
            return eventStream(info2, channel: context.channel)
        }
        let reply = engine.handle(info2)
        if let id = reply.requestId, reply.firedRule != nil || logger.logLevel <= .debug {
            let ms = Double((ContinuousClock.now - started).components.attoseconds) / 1e15
            var meta: Logger.Metadata = ["request_id": .string(id), "ms": .stringConvertible((ms * 10).rounded() / 10)]
            if let rule = reply.firedRule {
                meta["rule"] = .string(rule)
                meta["fault"] = .string(reply.firedFault ?? "")
                switch reply.wire {
                case .hang(let seconds, _)?:
                    // Nothing is answered yet: say the request is held, and (below) when it ends.
                    meta["ms"] = nil
                    let until = seconds.map { " for up to \(Int($0)) s" } ?? " until the client leaves"
                    logger.info("\(info.method) \(info.path) held by rule \(rule)\(until)", metadata: meta)
                default:
                    logger.info("\(info.method) \(info.path) \(reply.status)", metadata: meta)
                }
            } else {
                logger.debug("\(info.method) \(info.path) \(reply.status)", metadata: meta)
            }
        }
        return try await apply(reply, context: context)
    }

    func response(_ reply: HTTPReply) -> Response {
        var h = HTTPFields()
        for (k, v) in reply.headers { if let n = HTTPField.Name(k) { h.append(HTTPField(name: n, value: v)) } }
        h[DateHeaderHandler.marker] = reply.date ?? "omit"
        return Response(
            status: .init(code: reply.status), headers: h, body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }

    /// The reply as a `Response`, after carrying out its wire fault (if any) on the channel.
    func apply(_ reply: HTTPReply, context: MockContext) async throws -> Response {
        guard let wire = reply.wire, let id = reply.requestId else { return response(reply) }
        let channel = context.channel
        switch wire {
        case .delay(let ms):
            let outcome = await HangWaiter.wait(channel: channel, seconds: Double(ms) / 1000, clock: engine.realClock)
            if case .disconnected(let t) = outcome {
                engine.requestEnded(id: id, disconnectedAt: t)
                return response(reply)
            }
            engine.requestEnded(id: id, disconnectedAt: nil)
            return response(freshDate(reply))
        case .hang(let seconds, let close):
            return await hold(reply, id: id, channel: channel, seconds: seconds, close: close)
        case .reset:
            await closeChannel(channel, reset: true)
            engine.requestEnded(id: id, disconnectedAt: nil, answered: false)
            return response(reply)
        case .close:
            await closeChannel(channel, reset: false)
            engine.requestEnded(id: id, disconnectedAt: nil, answered: false)
            return response(reply)
        case .slowBody(let seconds):
            return slowBody(reply, id: id, channel: channel, seconds: seconds)
        }
    }

    /// The reply with its Date header stamped now: when the answer leaves, not when the wait began.
    func freshDate(_ reply: HTTPReply) -> HTTPReply {
        var reply = reply
        if reply.date != nil { reply.date = TimeFormat.httpDate(engine.clock.now()) }
        return reply
    }

    /// A `hang` fault: holds the request until the timer (then answers, or closes), the client leaves, or shutdown.
    func hold(_ reply: HTTPReply, id: String, channel: any Channel, seconds: Double?, close: Bool) async -> Response {
        let heldSince = engine.realClock.now()
        let outcome = await HangWaiter.wait(channel: channel, seconds: seconds, clock: engine.realClock)
        let held = String(format: "%.1f", engine.realClock.now() - heldSince)
        switch outcome {
        case .disconnected(let t):
            engine.requestEnded(id: id, disconnectedAt: t, answered: false)
            logger.info(
                "the client left a held request after \(held) s",
                metadata: ["request_id": .string(id), "rule": .string(reply.firedRule ?? "")])
            return response(reply)
        case .shutdown:
            engine.requestEnded(id: id, disconnectedAt: nil, answered: false)
            await closeChannel(channel, reset: false)
            return response(reply)
        case .timer:
            engine.requestEnded(id: id, disconnectedAt: nil, answered: !(close || seconds == nil))
            let outcome = close || seconds == nil ? "closed" : "answered \(reply.status)"
            logger.info(
                "a held request was \(outcome) after \(held) s",
                metadata: ["request_id": .string(id), "rule": .string(reply.firedRule ?? "")])
            if close || seconds == nil {
                await closeChannel(channel, reset: false)
            }
            return response(freshDate(reply))
        }
    }

    /// A `slowBody` fault: the body in pieces spread over `seconds`, stopping if the client leaves or on shutdown.
    func slowBody(_ reply: HTTPReply, id: String, channel: any Channel, seconds: Double) -> Response {
        var r = response(reply)
        let bytes = reply.body
        let engine = self.engine
        let pieces = max(1, min(bytes.count, Int(seconds * 10)))
        let interval = seconds / Double(pieces)
        r.body = ResponseBody(contentLength: bytes.count) { writer in
            var offset = 0
            do {
                for i in 0..<pieces {
                    let end = i == pieces - 1 ? bytes.count : offset + bytes.count / pieces
                    try await writer.write(ByteBuffer(bytes: bytes[offset..<end]))
                    offset = end
                    if i < pieces - 1 {
                        let o = await HangWaiter.wait(channel: channel, seconds: interval, clock: engine.realClock)
                        if case .disconnected(let t) = o {
                            engine.requestEnded(id: id, disconnectedAt: t)
                            throw CancellationError()
                        }
                        if case .shutdown = o { throw CancellationError() }
                    }
                }
                try await writer.finish(nil)
                engine.requestEnded(id: id, disconnectedAt: nil)
            } catch {
                if engine.journal.entry(id)?.finishedAt == nil {
                    engine.requestEnded(id: id, disconnectedAt: engine.realClock.now())
                }
                throw error
            }
        }
        return r
    }

    /// Closes the connection; with `reset` the peer sees a TCP RST (SO_LINGER 0), also under TLS.
    func closeChannel(_ channel: any Channel, reset: Bool) async {
        if reset, let sop = channel as? any SocketOptionProvider {
            _ = try? await sop.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        if tls {
            // NIOSSL would send close_notify and wait; closing from its own context skips that, so RST stays RST.
            _ = try? await channel.eventLoop.submit {
                let ctx = try channel.pipeline.syncOperations.context(handlerType: NIOSSLServerHandler.self)
                ctx.close(promise: nil)
            }.get()
        } else {
            try? await channel.close()
        }
    }
}

/// Waits without holding a thread: an event-loop timer, the channel's close, or graceful shutdown — whichever comes
/// first.
enum HangWaiter {
    enum Outcome: Sendable {
        case timer
        case disconnected(Double)
        case shutdown
    }

    final class State: Sendable {
        struct Inner {
            var continuation: CheckedContinuation<Outcome, Never>?
            var outcome: Outcome?
        }
        let inner = Mutex(Inner())
        func finish(_ o: Outcome) {
            let c: CheckedContinuation<Outcome, Never>? = inner.withLock { s in
                guard s.outcome == nil else { return nil }
                s.outcome = o
                defer { s.continuation = nil }
                return s.continuation
            }
            c?.resume(returning: o)
        }
    }

    static func wait(channel: any Channel, seconds: Double?, clock: any WallClock) async -> Outcome {
        // With half-closure allowed a client's FIN would not close the channel; we want to notice it leave.
        _ = try? await channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: false).get()
        let state = State()
        return await withGracefulShutdownHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Outcome, Never>) in
                let early: Outcome? = state.inner.withLock { s in
                    if let o = s.outcome { return o }
                    s.continuation = cont
                    return nil
                }
                if let early {
                    cont.resume(returning: early)
                    return
                }
                if let seconds {
                    let task = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
                        state.finish(.timer)
                    }
                    channel.closeFuture.whenComplete { _ in task.cancel() }
                }
                channel.closeFuture.whenComplete { _ in state.finish(.disconnected(clock.now())) }
            }
        } onGracefulShutdown: {
            state.finish(.shutdown)
        }
    }
}
