import FoundationEssentials

/// The answers of the faults that replace the normal answer, one helper per group of fault kinds.
extension MockOkta {
    /// The reply for a fault that replaces the normal answer (nil when the fault wraps the normal answer).
    func faultReply(_ f: FiredFault, _ ex: Exchange, bucket: String, omitDate: inout Bool) -> HTTPReply? {
        let injected: InjectedFault
        switch f.fault.kind {
        case .status(let code): injected = statusFault(code, f, ex)
        case .serverError: injected = serverErrorFault(unavailable: false, f.fault, ex)
        case .unavailable: injected = serverErrorFault(unavailable: true, f.fault, ex)
        case .rateLimit(let after, let noDate, let noReset, let dup):
            injected = rateLimitFault(
                f.fault, ex, bucket: bucket, resetAfter: after, omitResetHeader: noReset, duplicateResetHeader: dup)
            omitDate = noDate
        case .concurrencyLimit(let after): injected = concurrencyLimitFault(f.fault, ex, resetAfter: after)
        case .hang(let secs, let close): injected = hangFault(f.fault, ex, seconds: secs, close: close)
        case .reset: injected = InjectedFault(.empty(0), wire: .reset, "Injected connection reset")
        case .close: injected = InjectedFault(.empty(0), wire: .close, "Injected connection close")
        case .emptyBody(let status): injected = emptyBodyFault(f.fault, ex, status: status)
        case .malformedBody(let status): injected = malformedBodyFault(f.fault, ex, status: status)
        case .delay, .slowBody:
            return nil  // answered normally, then shaped on the wire by the server
        case .expiredToken, .shortLivedToken, .wrongIssuer, .wrongAudience, .unknownKid, .badSignature, .missingScope:
            return nil  // token faults change the token minted by the normal answer
        }
        logEvent(
            injected.event, injected.message, actor: MockOkta.scenarioActor, result: "FAILURE",
            reason: "Injected by rule '\(f.rule)' (\(f.fault.kind.name))", ex: ex,
            debug: [("rule", .string(f.rule)), ("fault", .string(f.fault.kind.name))])
        return injected.reply
    }

    // MARK: HTTP status faults

    /// An injected status: OAuth's error shape under `/oauth2/`, Okta's elsewhere.
    private func statusFault(_ code: Int, _ f: FiredFault, _ ex: Exchange) -> InjectedFault {
        let body: JSON
        if ex.req.path.hasPrefix("/oauth2/") {
            body = [
                "error": code == 401 ? "invalid_client" : (code == 403 ? "access_denied" : "server_error"),
                "error_description": .string("Injected \(code) by mock-okta rule '\(f.rule)'."),
            ]
        } else {
            body = OktaAPIError(code, MockOkta.defaultCode(code), MockOkta.defaultSummary(code)).body(
                errorId: errorId())
        }
        return InjectedFault(f.fault.reply(code, body), "Injected HTTP \(code)")
    }

    /// An injected 500 (or 503 when `unavailable`), in OAuth's or Okta's error shape.
    private func serverErrorFault(unavailable: Bool, _ fault: Fault, _ ex: Exchange) -> InjectedFault {
        let isOAuth = ex.req.path.hasPrefix("/oauth2/")
        if unavailable {
            let reply = fault.reply(
                503,
                isOAuth
                    ? [
                        "error": "temporarily_unavailable",
                        "error_description": "The service is temporarily unavailable.",
                    ]
                    : OktaAPIError.unavailable.body(errorId: errorId()))
            return InjectedFault(reply, "Injected service unavailable")
        }
        let reply = fault.reply(
            500,
            isOAuth
                ? ["error": "server_error", "error_description": "The server encountered an internal error."]
                : OktaAPIError.serverError.body(errorId: errorId()))
        return InjectedFault(reply, "Injected server error")
    }

    // MARK: limit faults

    /// An injected 429 of the per-minute bucket, with its rate-limit headers bent as the fault asks.
    private func rateLimitFault(
        _ fault: Fault, _ ex: Exchange, bucket: String, resetAfter: Int, omitResetHeader: Bool,
        duplicateResetHeader: Bool
    ) -> InjectedFault {
        let now = ex.now
        let d = rateLimiter.take(bucket: bucket, now: now, consume: false)
        var reply = fault.reply(429, OktaAPIError.rateLimited.body(errorId: errorId()))
        // Whole seconds: X-Rate-Limit-Reset − Date == resetAfterSeconds, as the SDKs compute their wait.
        let reset = String(Int(now.rounded(.down)) + resetAfter)
        reply.setHeader("X-Rate-Limit-Limit", String(d.limit))
        reply.setHeader("X-Rate-Limit-Remaining", "0")
        if !omitResetHeader {
            reply.headers.append(("X-Rate-Limit-Reset", reset))
            if duplicateResetHeader { reply.headers.append(("X-Rate-Limit-Reset", reset)) }
        }
        return InjectedFault(reply, event: .orgRateLimitViolation, "Rate limit violation")
    }

    /// An injected 429 of the concurrency limit.
    private func concurrencyLimitFault(_ fault: Fault, _ ex: Exchange, resetAfter: Int) -> InjectedFault {
        var reply = fault.reply(429, OktaAPIError.rateLimited.body(errorId: errorId()))
        reply.setHeader("X-Rate-Limit-Limit", "0")
        reply.setHeader("X-Rate-Limit-Remaining", "0")
        reply.setHeader("X-Rate-Limit-Reset", String(Int(ex.now.rounded(.down)) + resetAfter))
        return InjectedFault(reply, event: .concurrencyLimitViolation, "Concurrency limit violation")
    }

    // MARK: wire and body faults

    /// A hang on the wire: then the connection closes, or (with a duration) the normal answer follows.
    private func hangFault(_ fault: Fault, _ ex: Exchange, seconds: Double?, close: Bool) -> InjectedFault {
        var reply = fault.reply(200, nil)
        if !close, seconds != nil {
            // After the hang, answer normally.
            reply = dispatch(ex, Router.match(method: ex.req.method, path: ex.req.path))
        }
        return InjectedFault(reply, wire: .hang(seconds: seconds, close: close), "Injected hang")
    }

    /// The normal answer with its body removed (and its status replaced when given).
    private func emptyBodyFault(_ fault: Fault, _ ex: Exchange, status: Int?) -> InjectedFault {
        var normal = dispatch(ex, Router.match(method: ex.req.method, path: ex.req.path))
        normal.body = []
        // No JSON content type on an empty body: okta 3.4.6 then reads an error status as success (contract §1.2,
        // summary 3).
        normal.headers.removeAll { $0.0.lowercased() == "content-type" }
        if let s = status { normal.status = s }
        for (k, v) in fault.headers { normal.setHeader(k, v) }
        return InjectedFault(normal, "Injected empty body")
    }

    /// The normal answer with its body cut in half (an unfinished error object when it had none).
    private func malformedBodyFault(_ fault: Fault, _ ex: Exchange, status: Int?) -> InjectedFault {
        var normal = dispatch(ex, Router.match(method: ex.req.method, path: ex.req.path))
        let text =
            normal.body.isEmpty
            ? Array("{\"errorCode\":\"E00000".utf8) : Array(normal.body.prefix(max(1, normal.body.count / 2)))
        normal.body = text
        if let s = status { normal.status = s }
        if normal.header("Content-Type") == nil { normal.setHeader("Content-Type", "application/json") }
        for (k, v) in fault.headers { normal.setHeader(k, v) }
        return InjectedFault(normal, "Injected malformed body")
    }
}

/// A fault's reply and the System Log event that records it.
private struct InjectedFault {
    var reply: HTTPReply
    var event: EventType
    var message: String

    /// A reply recorded as `event` (by default `faultInjected`), carried out on the wire when `wire` is set.
    init(_ reply: HTTPReply, wire: WireFault? = nil, event: EventType = .faultInjected, _ message: String) {
        self.reply = reply
        if let wire { self.reply.wire = wire }
        self.event = event
        self.message = message
    }
}

extension Fault {
    /// The fault's reply with this status: its own body (text or JSON) or else `defaultBody`, and its headers.
    fileprivate func reply(_ status: Int, _ defaultBody: JSON?) -> HTTPReply {
        var r: HTTPReply
        if let b = body {
            if case .string(let text) = b {
                r = HTTPReply(status: status, headers: [("Content-Type", "text/plain")], body: Array(text.utf8))
            } else {
                r = .json(status, b)
            }
        } else if let d = defaultBody {
            r = .json(status, d)
        } else {
            r = .empty(status)
        }
        for (k, v) in headers { r.setHeader(k, v) }
        return r
    }
}
