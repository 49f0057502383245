import FoundationEssentials
import Logging

/// One request through the engine: journal, scenario rules and faults, rate limits, dispatch, Okta's headers.
extension MockOkta {
    // MARK: - Request handling

    func newRequestId() -> String { requestIds.string(27, alphabet: RandomSource.alnum) }

    /// Handles one request. Never throws: every failure becomes an Okta-shaped reply.
    public func handle(_ req: HTTPRequestInfo) -> HTTPReply {
        if req.path == "/__mock" || req.path.hasPrefix("/__mock/") {
            var r = handleControl(req)
            r.date = TimeFormat.httpDate(clock.now())
            return r
        }
        runDueTimeline()
        let (ex, matched) = begin(req)
        var outcome = answer(ex, matched)
        finish(ex, &outcome)
        return outcome.reply
    }

    /// What `answer` decided: the reply, the rate-limit headers to send, and the rule that fired.
    struct Outcome {
        var reply: HTTPReply
        var decision: RateLimiter.Decision
        var omitDate = false
        var fired: FiredFault?
    }

    /// Matches the route, identifies the caller and opens the journal entry.
    func begin(_ req: HTTPRequestInfo) -> (Exchange, Router.Matched?) {
        let ex = Exchange(req: req, id: newRequestId(), now: clock.now())
        var matched = Router.match(method: req.method, path: req.path)
        // A server's Okta id (`aus…`) addresses the same server as its URL name (`default`).
        if let alias = matched?.params["authServerId"], let s = read({ $0.server(idOrAlias: alias) }), s.id != alias {
            matched?.params["authServerId"] = s.id
        }
        ex.route = matched?.route.template ?? (req.method == "OPTIONS" ? Router.template(for: req.path) : nil)
        ex.serverId =
            matched?.params["authServerId"]
            ?? (req.path.hasPrefix("/oauth2/v1/") || req.path.hasPrefix("/.well-known/") ? "org" : nil)
        ex.auth = identify(req)
        let retryFor = req.header("x-okta-retry-for")
        let retryCount = req.header("x-okta-retry-count").flatMap {
            Int($0.split(separator: ",").last.map { $0.trimmingWhitespace() } ?? "")
        }
        journal.begin { seq in
            JournalEntry(
                seq: seq, id: ex.id, receivedAt: realClock.now(), finishedAt: nil, disconnectedAt: nil,
                method: req.method, path: req.path, route: ex.route, query: MockOkta.redact(query: req.query),
                status: nil, auth: ex.auth, retryFor: (retryFor?.isEmpty ?? true) ? nil : retryFor,
                retryCount: retryCount, rule: nil, fault: nil, headers: MockOkta.redact(req.headers), resetAt: nil,
                dateSent: nil, tokenError: nil)
        }
        return (ex, matched)
    }

    /// The answer, in order: a body over 1 MiB, a fault that replaces the answer, a CORS preflight, the rate and
    /// concurrency limits, then the route's handler (with token, delay and slow-body faults applied).
    func answer(_ ex: Exchange, _ matched: Router.Matched?) -> Outcome {
        let req = ex.req
        let bucket = RateLimiter.bucket(method: req.method, path: req.path)
        let fired = req.bodyTooLarge ? nil : evaluateRules(ex)
        if req.bodyTooLarge || req.body.count > 1 << 20 {
            let decision = rateLimiter.take(bucket: bucket, now: ex.now, consume: false)
            return Outcome(reply: tooLargeReply(req), decision: decision)
        }
        var omitDate = false
        if let fired, !fired.fault.kind.isTokenFault, let r = faultReply(fired, ex, bucket: bucket, omitDate: &omitDate)
        {
            var decision = rateLimiter.take(bucket: bucket, now: ex.now, consume: false)
            if case .rateLimit = fired.fault.kind {
                decision = RateLimiter.Decision(
                    bucket: bucket, limit: decision.limit, remaining: 0, reset: Int(ex.now), allowed: false)
            }
            return Outcome(reply: r, decision: decision, omitDate: omitDate, fired: fired)
        }
        if req.method == "OPTIONS" {
            // A CORS preflight: answered from the trusted origins, never counted against a rate limit.
            let decision = rateLimiter.take(bucket: bucket, now: ex.now, consume: false)
            return Outcome(reply: preflight(ex), decision: decision, fired: fired)
        }
        if let fired, fired.fault.kind.isTokenFault { ex.tokenFault = fired.fault.kind }
        var decision = rateLimiter.take(bucket: bucket, now: ex.now)
        var reply: HTTPReply
        if !decision.allowed {
            reply = rateLimitedReply(ex, decision: decision)
        } else if !rateLimiter.enter() {
            reply = concurrencyReply(ex, decision: decision, resetAfter: 60)
            decision.limit = 0
            decision.remaining = 0
        } else {
            defer { rateLimiter.leave() }
            reply = dispatch(ex, matched)
        }
        if let fired {
            if case .delay(let ms) = fired.fault.kind { reply.wire = .delay(milliseconds: ms) }
            if case .slowBody(let secs) = fired.fault.kind { reply.wire = .slowBody(seconds: secs) }
        }
        return Outcome(reply: reply, decision: decision, fired: fired)
    }

    func tooLargeReply(_ req: HTTPRequestInfo) -> HTTPReply {
        let text = "The request body is too large (limit 1 MiB)."
        if req.path.hasPrefix("/oauth2/") {
            return .json(413, ["error": "invalid_request", "error_description": .string(text)])
        }
        let e = OktaAPIError(413, "E0000001", "Api validation failed: request body", causes: [text])
        return .json(413, e.body(errorId: errorId()))
    }

    /// Okta's headers on every answer, then the journal entry is completed with what the client was told.
    func finish(_ ex: Exchange, _ o: inout Outcome) {
        let req = ex.req
        let now = ex.now
        if o.reply.header("X-Rate-Limit-Limit") == nil {
            o.reply.headers.append(("X-Rate-Limit-Limit", String(o.decision.limit)))
            o.reply.headers.append(("X-Rate-Limit-Remaining", String(o.decision.remaining)))
            o.reply.headers.append(("X-Rate-Limit-Reset", String(o.decision.reset)))
        }
        o.reply.setHeader("X-Okta-Request-Id", ex.id)
        if req.path.hasPrefix("/api/v1/") && o.reply.header("Cache-Control") == nil {
            // As on every live /api/v1 answer (okta-sdk-python cassettes).
            o.reply.headers += [("Cache-Control", "no-cache, no-store"), ("Pragma", "no-cache"), ("Expires", "0")]
        }
        if req.method != "OPTIONS" { applyCORS(req, to: &o.reply) }
        o.reply.date = o.omitDate ? nil : TimeFormat.httpDate(now)
        o.reply.requestId = ex.id
        o.reply.firedRule = o.fired?.rule
        o.reply.firedFault = o.fired?.fault.kind.name
        // The reset the client was told, as a real-clock deadline (the tenant clock may be offset).
        let realNow = realClock.now()
        let resetHeader: Double? =
            o.reply.status == 429
            ? o.reply.header("X-Rate-Limit-Reset").flatMap { Int($0.split(separator: ",").first ?? "") }
                .map(Double.init)
            : nil
        let resetAt = resetHeader.map { realNow + ($0 - now) }
        // What an SDK computes from the headers: X-Rate-Limit-Reset − Date (both whole seconds).
        let resetDistance = o.omitDate ? nil : resetHeader.map { $0 - now.rounded(.down) }
        let (status, fired, auth, omitDate, wire) = (o.reply.status, o.fired, ex.auth, o.omitDate, o.reply.wire)
        journal.update(ex.id) { e in
            e.status = status
            e.rule = fired?.rule
            e.fault = fired?.fault.kind.name
            e.auth = auth
            e.resetAt = resetAt
            e.resetDistance = resetDistance
            e.dateSent = omitDate ? nil : now.rounded(.down)
            if wire == nil { e.finishedAt = realClock.now() }
        }
    }

    /// The server calls this when a request with a wire fault ends.
    public func requestEnded(id: String, disconnectedAt: Double?, answered: Bool = true) {
        let now = realClock.now()
        journal.update(id) { e in
            e.finishedAt = now
            if let d = disconnectedAt { e.disconnectedAt = d }
            // The client left (or we closed) before any response: there is no status to record.
            if !answered { e.status = nil }
        }
    }

    /// The Okta error body for a request the HTTP layer could not parse.
    public func unparseableRequestBody() -> [UInt8] {
        OktaAPIError(
            400, "E0000003", "The request body was not well-formed.", causes: ["The HTTP request could not be parsed."]
        )
        .body(errorId: errorId()).bytes
    }

    func errorId() -> String { "oae" + ids.string(22, alphabet: RandomSource.b64url) }

    func oktaError(_ e: OktaAPIError) -> HTTPReply {
        var r = HTTPReply.json(e.status, e.body(errorId: errorId()))
        r.headers += e.headers
        return r
    }

    func oauthError(_ e: OAuthError) -> HTTPReply {
        var r = HTTPReply.json(e.status, e.body)
        r.headers += e.headers
        r.setHeader("Cache-Control", "no-cache, no-store")
        r.setHeader("Pragma", "no-cache")
        return r
    }

    func dispatch(_ ex: Exchange, _ matched: Router.Matched?) -> HTTPReply {
        guard let matched else {
            if Router.pathExists(ex.req.path) { return oktaError(.pathNotFound.with(status: 405)) }
            return oktaError(
                OktaAPIError(404, "E0000022", "The endpoint does not support the provided HTTP method")
                    .with(
                        status: 404, code: "E0000007", summary: "Not found: Resource not found: \(ex.req.path) (Path)"))
        }
        // The org server has no /oauth2/{id}/ URLs: /oauth2/org/… is an unknown server, as in Okta.
        if matched.params["authServerId"] == "org" {
            return oktaError(.notFound("Resource not found: org (AuthorizationServer)"))
        }
        do {
            if ex.req.path.hasPrefix("/api/v1/") { try MockOkta.checkContentType(ex.req) }
            return try matched.route.handler(self, ex, matched.params)
        } catch let e as OktaAPIError {
            return oktaError(e)
        } catch let e as OAuthError {
            return oauthError(e)
        } catch let e as EmptyBodyRefusal {
            return HTTPReply(status: e.error.status, headers: e.error.headers)
        } catch is Store.StoreError {
            return oktaError(.serverError)  // already logged where the write failed
        } catch {
            logger.error("unexpected error", metadata: ["error": "\(error)", "path": "\(ex.req.path)"])
            return oktaError(.serverError)
        }
    }

    // MARK: - System Log helpers

    func actor(user: User) -> SystemLog.Actor {
        SystemLog.Actor(id: user.id, type: "User", alternateId: user.login, displayName: user.displayName)
    }

    func actor(app: App) -> SystemLog.Actor {
        SystemLog.Actor(id: app.id, type: "PublicClientApp", alternateId: app.id, displayName: app.label)
    }

    /// The request's System Log context with the client address Okta attributes it to (X-Forwarded-For only through
    /// a listed proxy) and its network zone.
    func logContext(_ ex: Exchange) -> SystemLog.Context {
        var c = ex.logContext
        let ip = clientIP(ex.req)
        if ip != ex.req.remoteIP {
            c.ipAddress = ip
            c.proxyAddress = ex.req.remoteIP
        }
        c.zone = zonesContaining(ip).first?.name
        return c
    }

    /// Writes a System Log event. The type, its legacy id and default message come from `EventType` (Okta's catalogue).
    func logEvent(
        _ type: EventType, _ message: String? = nil, actor: SystemLog.Actor, targets: [SystemLog.Actor] = [],
        result: String = "SUCCESS", reason: String? = nil, severity: String? = nil, ex: Exchange?,
        debug: [(String, JSON)] = []
    ) {
        let failed = result == "FAILURE" || result == "DENY"
        systemLog.write(
            uuid: ids.uuid(), published: clock.now(), eventType: type.rawValue,
            legacyEventType: type.legacy(failed: failed),
            displayMessage: message ?? type.displayMessage,
            severity: severity ?? (result == "SUCCESS" || result == "ALLOW" ? "INFO" : "WARN"), actor: actor,
            targets: targets, result: result, reason: reason, context: ex.map(logContext),
            extraDebug: type.mockOnly ? debug + [("mockOnly", true)] : debug)
    }
}

extension OktaAPIError {
    func with(status: Int, code: String? = nil, summary: String? = nil) -> OktaAPIError {
        var e = self
        e.status = status
        if let code { e.code = code }
        if let summary { e.summary = summary }
        return e
    }
}
