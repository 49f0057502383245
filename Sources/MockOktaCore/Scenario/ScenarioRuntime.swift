import FoundationEssentials

/// A loaded scenario with its live counters.
struct ScenarioRuntime: Sendable {
    var scenario: Scenario?
    var loadedAt: Double
    var matchCounts: [Int] = []
    var fireCounts: [Int] = []
    var firstFiredAt: [String: Double] = [:]
    var timelineDone: [Bool] = []
    var timelineClaimed: [Bool] = []
    var actionLog: [JSON] = []

    init(scenario: Scenario?, loadedAt: Double) {
        self.scenario = scenario
        self.loadedAt = loadedAt
        restart(at: loadedAt)
    }

    mutating func restart(at t: Double) {
        loadedAt = t
        matchCounts = Array(repeating: 0, count: scenario?.rules.count ?? 0)
        fireCounts = matchCounts
        firstFiredAt = [:]
        timelineDone = Array(repeating: false, count: scenario?.timeline.count ?? 0)
        timelineClaimed = timelineDone
        actionLog = []
    }
}

struct FiredFault {
    var rule: String
    var fault: Fault
}

extension MockOkta {
    // MARK: rules

    func ruleMatches(_ r: Rule, _ ex: Exchange) -> Bool {
        let m = r.match
        if let method = m.method, method != ex.req.method { return false }
        // A browser's CORS preflight is not the client's request: a rule without a method must not spend its
        // `nth` on it or answer it with the fault meant for the request that follows.
        if m.method == nil && ex.req.method == "OPTIONS" { return false }
        if let p = m.path, !p.matches(ex.req.path) { return false }
        for (k, v) in m.query {
            guard let actual = ex.req.queryValue(k) else { return false }
            if v != "*" && v != actual { return false }
        }
        for (k, v) in m.headers {
            guard let actual = ex.req.header(k) else { return false }
            if v != "*" && v != actual { return false }
        }
        if let c = m.clientId {
            let cid =
                ex.auth.clientId ?? ex.req.formBody.first { $0.0 == "client_id" }?.1 ?? ex.req.queryValue("client_id")
            if cid != c { return false }
        }
        if let s = m.authorizationServer, ex.serverId != s { return false }
        return true
    }

    /// Counts matches for every rule and returns the first rule whose `when` fires.
    func evaluateRules(_ ex: Exchange) -> FiredFault? {
        let elapsed = realClock.now()
        let rnd = faultRandom.withLock { $0 }
        return runtime.withLock { rt -> FiredFault? in
            guard let sc = rt.scenario else { return nil }
            var fired: FiredFault? = nil
            for (i, rule) in sc.rules.enumerated() where ruleMatches(rule, ex) {
                rt.matchCounts[i] += 1
                let n = rt.matchCounts[i]
                guard fired == nil else { continue }
                let w = rule.when
                var ok = true
                if let nth = w.nth, !nth.contains(where: { $0.contains(n) }) { ok = false }
                if let f = w.first, n > f { ok = false }
                if let a = w.after, n <= a { ok = false }
                if let e = w.every, e > 0, n % e != 0 { ok = false }
                if let (a, b) = w.betweenSeconds {
                    let t = elapsed - rt.loadedAt
                    if t < a || t > b { ok = false }
                }
                if let times = w.times, rt.fireCounts[i] >= times { ok = false }
                if ok, let p = w.probability { ok = rnd.unit() < p }
                if ok {
                    rt.fireCounts[i] += 1
                    if rt.firstFiredAt[rule.id] == nil { rt.firstFiredAt[rule.id] = elapsed }
                    fired = FiredFault(rule: rule.id, fault: rule.fault)
                }
            }
            return fired
        }
    }

    static func defaultCode(_ status: Int) -> String {
        switch status {
        case 400: return "E0000001"
        case 401: return "E0000011"
        case 403: return "E0000006"
        case 404: return "E0000007"
        case 405: return "E0000022"
        case 409: return "E0000055"
        case 429: return "E0000047"
        case 503: return "E0000010"
        default: return status >= 500 ? "E0000009" : "E0000001"
        }
    }

    static func defaultSummary(_ status: Int) -> String {
        switch status {
        case 400: return "Api validation failed: request"
        case 401: return "Invalid token provided"
        case 403: return "You do not have permission to perform the requested action"
        case 404: return "Not found: Resource not found"
        case 405: return "The endpoint does not support the provided HTTP method"
        case 409: return "Conflict"
        case 429: return "API call exceeded rate limit due to too many requests."
        case 503: return "Service is in read only mode"
        default: return status >= 500 ? "Internal Server Error" : "Request failed"
        }
    }

    func rateLimitedReply(_ ex: Exchange, decision d: RateLimiter.Decision) -> HTTPReply {
        logEvent(
            .orgRateLimitViolation,
            actor: SystemLog.Actor(
                id: ex.auth.tokenId ?? "unknown", type: "Token",
                alternateId: ex.auth.clientId ?? "unknown", displayName: "caller"),
            result: "DENY", reason: "Rate limit bucket '\(d.bucket)' (\(d.limit)/min) exceeded", ex: ex,
            debug: [("bucket", .string(d.bucket)), ("limit", JSON(d.limit))])
        let body: JSON = OktaAPIError.rateLimited.body(errorId: errorId())
        return HTTPReply.json(
            429, body,
            headers: [
                ("X-Rate-Limit-Limit", String(d.limit)), ("X-Rate-Limit-Remaining", "0"),
                ("X-Rate-Limit-Reset", String(d.reset)),
            ])
    }

    func concurrencyReply(_ ex: Exchange, decision d: RateLimiter.Decision, resetAfter: Int) -> HTTPReply {
        if rateLimiter.shouldLogConcurrencyViolation(now: ex.now) {
            logEvent(
                .concurrencyLimitViolation,
                actor: SystemLog.Actor(
                    id: ex.auth.tokenId ?? "unknown", type: "Token", alternateId: "caller", displayName: "caller"),
                result: "DENY", reason: "Too many concurrent requests", ex: ex)
        }
        return HTTPReply.json(
            429, OktaAPIError.rateLimited.body(errorId: errorId()),
            headers: [
                ("X-Rate-Limit-Limit", "0"), ("X-Rate-Limit-Remaining", "0"),
                ("X-Rate-Limit-Reset", String(Int(ex.now) + resetAfter)),
            ])
    }

    // MARK: loading

    /// Replaces the running scenario (tenant fixtures apply to the live tenant and become part of the baseline).
    public func loadScenario(_ sc: Scenario?) {
        // The baseline is the tenant as it started plus this scenario's fixture: a replaced scenario's users go away at
        // reset.
        var b = originalBaseline.withLock { $0 }
        if let sc, !sc.tenant.isEmpty {
            DefaultTenant.apply(sc.tenant, to: &b, seed: seed, now: clock.now())
            do {
                try mutate { t, _ in DefaultTenant.apply(sc.tenant, to: &t, seed: seed, now: clock.now()) }
                try MockOkta.saveTenant(read { $0 }, store)
            } catch {
                logger.error("could not save the scenario's tenant fixtures to --db", metadata: ["error": "\(error)"])
            }
            if let off = sc.tenant.rateLimitsOff { rateLimiter.setEnabled(!off) }
            for (k, v) in sc.tenant.rateLimits { rateLimiter.setLimit(k, v) }
        }
        baseline.withLock { $0 = b }
        faultRandom.withLock { $0 = MockOkta.faultSource(options: options, scenarioSeed: sc?.seed, tenantSeed: seed) }
        runtime.withLock { $0 = ScenarioRuntime(scenario: sc, loadedAt: realClock.now()) }
        prepareRotationKeys(sc)
        journal.markEpoch()
    }

    /// Starts making the keys the timeline's rotations will need, in the order they will need them.
    func prepareRotationKeys(_ sc: Scenario?) {
        guard let sc else { return }
        var next = read { t in t.servers.mapValues(\.keys.count) }
        for entry in sc.timeline {
            guard case .rotateSigningKey(let server, _, _) = entry.action else { continue }
            for sid in server.map({ [$0] }) ?? read({ $0.serverOrder }) {
                guard let n = next[sid] else { continue }
                rotationKeys.prepare(server: sid, index: n)
                next[sid] = n + 1
            }
        }
    }

    public func addRule(_ rule: Rule) {
        runtime.withLock { rt in
            if rt.scenario == nil {
                rt = ScenarioRuntime(scenario: .empty(), loadedAt: realClock.now())
            }
            rt.scenario!.rules.append(rule)
            rt.matchCounts.append(0)
            rt.fireCounts.append(0)
        }
    }

    /// Baseline restored, counters zeroed, timeline restarted, journal emptied.
    public func reset() {
        let b = baseline.withLock { $0 }
        state.withLock { $0 = b }
        zoneCache.withLock { $0 = b.signOn.zones.map(ParsedZone.init) }
        do { try MockOkta.saveTenant(b, store) } catch {
            logger.error("could not save the reset tenant to --db", metadata: ["error": "\(error)"])
        }
        clock.reset()
        rateLimiter.reset(overrides: b.rateLimitOverrides)
        runtime.withLock { rt in rt.restart(at: realClock.now()) }
        let scenarioSeed = runtime.withLock { $0.scenario?.seed }
        faultRandom.withLock {
            $0 = MockOkta.faultSource(options: options, scenarioSeed: scenarioSeed, tenantSeed: seed)
        }
        jtis.reset()
        signIn.withLock { $0 = SignInState() }
        journal.clear()
        systemLog.clear()
    }

    public var scenarioJSON: JSON {
        runtime.withLock { rt in
            guard let sc = rt.scenario else { return .null }
            let rules: [JSON] = sc.rules.enumerated().map { (i, r) in
                [
                    "id": .string(r.id), "fault": .string(r.fault.kind.name), "matched": JSON(rt.matchCounts[i]),
                    "fired": JSON(rt.fireCounts[i]),
                ]
            }
            let timeline: [JSON] = sc.timeline.enumerated().map { (i, t) in
                [
                    "action": .string(t.action.name), "atSeconds": t.atSeconds.map { .number($0) } ?? .null,
                    "afterRule": JSON(t.afterRule), "done": .bool(rt.timelineDone[i]),
                ]
            }
            return [
                "name": .string(sc.name), "description": .string(sc.description),
                "loadedAt": .number((rt.loadedAt * 1000).rounded()), "rules": .array(rules),
                "timeline": .array(timeline),
                "actionsRun": .array(rt.actionLog), "expect": .array(sc.expect.map(\.params)), "source": sc.source,
            ]
        }
    }

    var expectations: [Expectation] { runtime.withLock { $0.scenario?.expect ?? [] } }
}
