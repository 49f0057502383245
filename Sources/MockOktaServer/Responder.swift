import FoundationEssentials
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import MockOktaCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Adapts Hummingbird requests to the engine and carries out wire faults on the channel.
///
/// A request held by a wire fault keeps every async frame between Hummingbird and its wait for as long as it is
/// held (thousands of hung requests are a use case), so the async functions here stay small: they await, and leave
/// the work to synchronous helpers (`@inline(never)`, so their locals stay on the thread's stack).
struct MockResponder: Sendable {
    let engine: MockOkta
    let tls: Bool
    let logger: Logger
    /// The requests held by wire faults, released together at graceful shutdown.
    let waits: WireWaits

    /// What the engine made of a request: a response to send now, or a reply whose wire fault comes first.
    enum Answer: Sendable {
        case now(Response)
        case wire(Held)
    }

    /// A reply whose wire fault comes first, boxed: the async frames that wait for it then hold one reference.
    final class Held: Sendable {
        let reply: HTTPReply
        let wire: WireFault
        let id: String
        let channel: any Channel
        init(_ reply: HTTPReply, _ wire: WireFault, id: String, channel: any Channel) {
            if case .hang(let seconds, let close) = wire, seconds == nil || close {
                // This hang ends with the connection closed, never with its reply: keep only what the logs need.
                var kept = HTTPReply(status: reply.status)
                (kept.requestId, kept.firedRule, kept.firedFault) = (reply.requestId, reply.firedRule, reply.firedFault)
                self.reply = kept
            } else {
                self.reply = reply
            }
            self.wire = wire
            self.id = id
            self.channel = channel
        }
    }

    /// Hummingbird's entry for each request (`HTTPChannelHandler.Responder`): answers it and writes the response.
    /// The server is assembled from Hummingbird's HTTP server directly, without `Application`: its request context,
    /// task-local logger and Date cache cost each held request ~2.5 KiB, and the Date comes from the tenant clock
    /// anyway (`DateHeaderHandler`).
    func serve(_ request: Request, _ writer: consuming ResponseWriter, _ channel: any Channel) async throws {
        let response = await respond(to: request, channel: channel)
        do {
            try await writer.write(response: response.head, body: response.body)
        } catch is HTTPParserError {
            // Hummingbird would answer a parser error thrown here with a 400: a second response to this request.
            throw ServerError("the response could not be written")
        }
    }

    func respond(to request: Request, channel: any Channel) async -> Response {
        let started = ContinuousClock.now
        // Without Content-Length or Transfer-Encoding an HTTP/1.1 request has no body (RFC 9112 §6.3): skip the
        // collection, whose deep async calls would otherwise stay allocated in the task while the request is held.
        let bodyless = request.headers[.contentLength] == nil && request.headers[.transferEncoding] == nil
        let body = bodyless ? ByteBuffer() : try? await request.body.collect(upTo: 1 << 20)  // nil: over 1 MiB
        let answer =
            SigningQueue.signs(request)
            ? await SigningQueue.run { self.answer(request, body: body, channel: channel, started: started) }
            : answer(request, body: body, channel: channel, started: started)
        switch answer {
        case .now(let response): return response
        case .wire(let held):
            return sent(held, await carryOut(held))
        }
    }

    /// The engine's answer to `request` (logged).
    @inline(never)
    func answer(_ request: Request, body: ByteBuffer?, channel: any Channel, started: ContinuousClock.Instant)
        -> Answer
    {
        var headers: [(String, String)] = []
        headers.reserveCapacity(request.headers.count)
        for f in request.headers { headers.append((f.name.canonicalName, f.value)) }
        var info = HTTPRequestInfo(
            method: request.method.rawValue, path: request.uri.path,
            query: HTTPRequestInfo.parseForm(request.uri.query ?? ""), headers: headers,
            body: body.map { Array(buffer: $0) } ?? [], remoteIP: channel.remoteAddress?.ipAddress ?? "127.0.0.1")
        info.bodyTooLarge = body == nil
        if info.method == "GET" && info.path == "/__mock/events" {
            return .now(eventStream(info, channel: channel))
        }
        let reply = engine.handle(info)
        log(reply, info, started: started)
        guard let wire = reply.wire, let id = reply.requestId else { return .now(response(reply)) }
        if case .slowBody(let seconds) = wire {
            return .now(slowBody(reply, id: id, channel: channel, seconds: seconds))
        }
        return .wire(Held(reply, wire, id: id, channel: channel))
    }

    /// Logs an answer: at info when a rule fired (a hang is logged as held: nothing is answered yet), else at debug.
    func log(_ reply: HTTPReply, _ info: HTTPRequestInfo, started: ContinuousClock.Instant) {
        guard let id = reply.requestId, reply.firedRule != nil || logger.logLevel <= .debug else { return }
        let ms = Double((ContinuousClock.now - started).components.attoseconds) / 1e15
        var meta: Logger.Metadata = ["request_id": .string(id), "ms": .stringConvertible((ms * 10).rounded() / 10)]
        guard let rule = reply.firedRule else {
            return logger.debug("\(info.method) \(info.path) \(reply.status)", metadata: meta)
        }
        meta["rule"] = .string(rule)
        meta["fault"] = .string(reply.firedFault ?? "")
        if case .hang(let seconds, _)? = reply.wire {
            meta["ms"] = nil
            let until = seconds.map { " for up to \(Int($0)) s" } ?? " until the client leaves"
            logger.info("\(info.method) \(info.path) held by rule \(rule)\(until)", metadata: meta)
        } else {
            logger.info("\(info.method) \(info.path) \(reply.status)", metadata: meta)
        }
    }

    func response(_ reply: HTTPReply) -> Response {
        var h = HTTPFields()
        for (k, v) in reply.headers { if let n = HTTPField.Name(k) { h.append(HTTPField(name: n, value: v)) } }
        h[DateHeaderHandler.marker] = reply.date ?? "omit"
        let body = reply.body.isEmpty ? ByteBuffer() : ByteBuffer(bytes: reply.body)
        return Response(status: .init(code: reply.status), headers: h, body: .init(byteBuffer: body))
    }

    /// How a held reply goes out once its wire fault is carried out (if the connection is still open).
    enum Sending {
        case asIs
        case stampedNow
    }

    /// Carries out a wire fault (not `slowBody`: that one is the response body) on the channel. Only references and
    /// small values live across its waits, and the response is built after it returns: see the type's comment.
    @inline(never)
    func carryOut(_ held: Held) async -> Sending {
        switch held.wire {
        case .delay(let ms):
            let outcome = await waits.wait(channel: held.channel, seconds: Double(ms) / 1000)
            return delayed(held, outcome)
        case .hang(let seconds, let close):
            let since = engine.realClock.now()
            let outcome = await waits.wait(channel: held.channel, seconds: seconds)
            let closing = ended(held, outcome, since: since, answer: !close && seconds != nil)
            if closing { await closeChannel(held.channel, reset: false) }
            return outcome.isTimer ? .stampedNow : .asIs
        case .reset, .close:
            await closeChannel(held.channel, reset: held.wire == .reset)
            engine.requestEnded(id: held.id, disconnectedAt: nil, answered: false)
            return .asIs
        case .slowBody:
            return .asIs  // never held: `answer` makes it the response body
        }
    }

    /// The response to a held request once its wire fault is carried out.
    @inline(never)
    func sent(_ held: Held, _ sending: Sending) -> Response {
        response(sending == .stampedNow ? freshDate(held.reply) : held.reply)
    }

    /// The end of a `delay` fault (journaled): the answer goes out stamped now, unless the client left.
    @inline(never)
    func delayed(_ held: Held, _ outcome: WireWaits.Outcome) -> Sending {
        if case .disconnected(let t) = outcome {
            engine.requestEnded(id: held.id, disconnectedAt: t)
            return .asIs
        }
        engine.requestEnded(id: held.id, disconnectedAt: nil)
        return .stampedNow
    }

    /// The end of a `hang` fault (journaled and logged); true when the connection is to be closed.
    /// `answer`: the hang has a duration and then answers normally.
    @inline(never)
    func ended(_ held: Held, _ outcome: WireWaits.Outcome, since: Double, answer: Bool) -> Bool {
        let (reply, id) = (held.reply, held.id)
        let seconds = Format.fixed(engine.realClock.now() - since, digits: 1)
        let meta: Logger.Metadata = ["request_id": .string(id), "rule": .string(reply.firedRule ?? "")]
        switch outcome {
        case .disconnected(let t):
            engine.requestEnded(id: id, disconnectedAt: t, answered: false)
            logger.info("the client left a held request after \(seconds) s", metadata: meta)
            return false
        case .shutdown:
            engine.requestEnded(id: id, disconnectedAt: nil, answered: false)
            return true
        case .timer:
            engine.requestEnded(id: id, disconnectedAt: nil, answered: answer)
            let outcome = answer ? "answered \(reply.status)" : "closed"
            logger.info("a held request was \(outcome) after \(seconds) s", metadata: meta)
            return !answer
        }
    }

    /// The reply with its Date header stamped now: when the answer leaves, not when the wait began.
    func freshDate(_ reply: HTTPReply) -> HTTPReply {
        var reply = reply
        if reply.date != nil { reply.date = TimeFormat.httpDate(engine.clock.now()) }
        return reply
    }

    /// A `slowBody` fault: the body in pieces spread over `seconds`, stopping if the client leaves or on shutdown.
    func slowBody(_ reply: HTTPReply, id: String, channel: any Channel, seconds: Double) -> Response {
        var r = response(reply)
        let bytes = reply.body
        let engine = self.engine
        let waits = self.waits
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
                        let o = await waits.wait(channel: channel, seconds: interval)
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
