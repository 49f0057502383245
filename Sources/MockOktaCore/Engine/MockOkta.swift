import Foundation
import Logging

public struct MockOktaOptions: Sendable {
    public var seed: UInt64?
    public var dbPath: String = ":memory:"
    public var adminToken: String?
    public var journalLimit: Int = 100_000
    public var rateLimitsEnabled: Bool = true
    public var scenarios: [Scenario] = []
    public init() {}
}

/// One request being handled: what the engine learns about it along the way.
final class Exchange {
    let req: HTTPRequestInfo
    let id: String
    let now: Double
    var auth = AuthIdentity()
    var route: String?
    var tokenFault: FaultKind?
    var apiTokenId: String?
    var serverId: String?

    init(req: HTTPRequestInfo, id: String, now: Double) {
        self.req = req
        self.id = id
        self.now = now
    }

    var logContext: SystemLog.Context {
        let q =
            req.query.isEmpty
            ? "" : "?" + MockOkta.redact(query: req.query).map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        return SystemLog.Context(
            requestId: id, requestURI: req.path, url: req.path + q, ipAddress: req.remoteIP, userAgent: req.userAgent,
            apiTokenId: apiTokenId)
    }

    /// Form body merged with the query string (Java's token client sends parameters in the query).
    lazy var params: [(String, String)] = {
        var p = req.formBody
        for (k, v) in req.query where !p.contains(where: { $0.0 == k }) { p.append((k, v)) }
        return p
    }()

    func param(_ name: String) -> String? {
        guard let v = params.first(where: { $0.0 == name })?.1 else { return nil }
        return v
    }
}

/// The fake Okta org: tenant state, token service, Management API, scenario engine, journal and verdicts.
/// HTTP-agnostic: the server adapts `handle(_:)` to the wire and carries out wire faults.
public final class MockOkta: Sendable {
    public let clock: TenantClock
    /// Real time for scenario timelines and the journal (not moved by advanceClock).
    public let realClock: any WallClock
    public let seed: UInt64
    public let store: Store
    public let options: MockOktaOptions
    public let journal: Journal
    public let systemLog: SystemLog
    public let rateLimiter: RateLimiter
    public let logger: Logger

    let state: Mutex<TenantData>
    let baseline: Mutex<TenantData>
    /// The tenant before any runtime-loaded scenario (start-up fixtures included).
    let originalBaseline: Mutex<TenantData>
    let secrets: TenantSecrets
    let keyCache = Mutex<[String: RSAKey]>([:])
    /// Pre-encoded JWKS and discovery bodies (keyed by server, kids and base URL).
    let bodyCache = Mutex<[String: [UInt8]]>([:])
    let base = Mutex<String>("http://127.0.0.1:8080")
    let caFile = Mutex<String?>(nil)
    let ids: RandomSource
    let jtis: RandomSource
    let requestIds: RandomSource
    let tokenValues: RandomSource
    let runtime: Mutex<ScenarioRuntime>
    /// The default user type id ("oty…"), fixed for the life of the org.
    let userTypeId: String
    let faultRandom: Mutex<RandomSource>
    /// Sub-second mint times of recent access tokens (the `expireAccessTokens` boundary).
    let recentMints = RecentMints()
    /// Keys for rotations, made in the background before they are needed.
    let rotationKeys: RotationKeys
    /// Unknown event types a System Log filter named, each hinted on stderr once.
    let hintedEventTypes = Mutex<Set<String>>([])
    /// Pushed authorization requests by `request_uri` (in memory only: they live minutes).
    let pushedRequests = Mutex<[String: PushedRequest]>([:])

    public init(
        options: MockOktaOptions = MockOktaOptions(), clock: TenantClock = TenantClock(),
        logger: Logger = Logger(label: "mock-okta")
    ) throws {
        self.options = options
        self.clock = clock
        self.realClock = clock.base
        self.logger = logger
        let store = try Store(path: options.dbPath)
        self.store = store
        let scenarioSeed = options.scenarios.compactMap(\.seed).first
        var seed = options.seed ?? scenarioSeed ?? UInt64.random(in: 1...UInt64(Int64.max))
        let now = clock.now()
        var tenant: TenantData
        var secrets: TenantSecrets
        // Each reopening of a --db file is a new generation with its own random streams, so ids, codes,
        // refresh tokens and jtis never repeat an earlier run's. A fresh tenant is generation 0: --seed
        // alone still reproduces it exactly.
        var generation = 0
        if let stored = store.meta("secrets"),
            let s = try? JSONDecoder().decode(TenantSecrets.self, from: Data(stored.utf8)),
            let t = MockOkta.loadTenant(store)
        {
            // A --db file's state wins over --seed.
            tenant = t
            secrets = s
            seed = UInt64(store.meta("seed") ?? "") ?? seed
            generation = (Int(store.meta("generation") ?? "0") ?? 0) + 1
            try store.setMeta("generation", String(generation))
        } else {
            (tenant, secrets) = try DefaultTenant.build(seed: seed, now: now)
            for sc in options.scenarios where !sc.tenant.isEmpty {
                DefaultTenant.apply(sc.tenant, to: &tenant, seed: seed, now: now)
            }
            try MockOkta.saveTenant(tenant, store)
            try store.setMeta("seed", String(seed))
            if let d = try? JSONEncoder().encode(secrets) {
                try store.setMeta("secrets", String(decoding: d, as: UTF8.self))
            }
        }
        self.seed = seed
        self.secrets = secrets
        rotationKeys = RotationKeys(seed: seed)
        userTypeId = "oty" + String(tenant.orgId.dropFirst(3))
        state = Mutex(tenant)
        baseline = Mutex(tenant)
        originalBaseline = Mutex(tenant)
        let run = generation == 0 ? "" : ".generation\(generation)"
        ids = RandomSource(seed: seed, purpose: "runtime.ids" + run)
        jtis = RandomSource(seed: seed, purpose: "runtime.jti" + run)
        requestIds = RandomSource(seed: seed, purpose: "runtime.requestIds" + run)
        tokenValues = RandomSource(seed: seed, purpose: "runtime.tokens" + run)
        faultRandom = Mutex(MockOkta.faultSource(options: options, scenarioSeed: scenarioSeed, tenantSeed: seed))
        // With --db the journal and System Log are persisted (batched); in memory they live in RAM only.
        let persistent = options.dbPath != ":memory:"
        journal = Journal(limit: options.journalLimit, store: persistent ? store : nil)
        systemLog = SystemLog(store: persistent ? store : nil, limit: min(options.journalLimit, SystemLog.defaultLimit))
        var rateEnabled = options.rateLimitsEnabled
        for sc in options.scenarios { if let off = sc.tenant.rateLimitsOff { rateEnabled = !off } }
        rateLimiter = RateLimiter(enabled: rateEnabled)
        rateLimiter.reset(overrides: tenant.rateLimitOverrides)
        var scenario: Scenario? = nil
        for sc in options.scenarios {
            if scenario == nil {
                scenario = sc
            } else {
                scenario!.rules += sc.rules
                scenario!.timeline += sc.timeline
                scenario!.expect += sc.expect
                scenario!.name += "+" + sc.name
            }
        }
        runtime = Mutex(ScenarioRuntime(scenario: scenario, loadedAt: clock.base.now()))
        prepareRotationKeys(scenario)
        if persistent {
            // Reading back a large journal and System Log must not delay readiness.
            let (journal, systemLog) = (self.journal, self.systemLog)
            DispatchQueue.global(qos: .utility).async {
                journal.restore()
                systemLog.restore()
            }
        }
    }

    /// The generator for `probability`: `--seed` wins, then the scenario's `seed`, then the tenant's.
    static func faultSource(options: MockOktaOptions, scenarioSeed: UInt64?, tenantSeed: UInt64) -> RandomSource {
        RandomSource(seed: options.seed ?? scenarioSeed ?? tenantSeed, purpose: "faults.probability")
    }

    // MARK: - Persistence

    static let kinds = ["user", "group", "app", "server", "apiToken", "refresh", "code", "origin", "misc"]

    struct Misc: Codable {
        var userOrder: [String]? = nil
        var groupOrder: [String]
        var appOrder: [String]
        var serverOrder: [String]
        var revokedAccessTokens: Set<String>
        var accessTokenCutoffs: [AccessTokenCutoff]
        var usedAssertionIDs: Set<String>
        var orgId: String
        var defaultPassword: String
        var rateLimitOverrides: [String: Int]
        var trustedOriginOrder: [String]? = nil
        var bearerErrorJSON: Bool? = nil
    }

    static func rows(_ t: TenantData) -> [(String, String, String)] {
        let enc = JSONEncoder()
        func s<T: Encodable>(_ v: T) -> String { String(decoding: (try? enc.encode(v)) ?? Data(), as: UTF8.self) }
        var rows: [(String, String, String)] = []
        rows.reserveCapacity(t.users.count + 64)
        for (id, u) in t.users { rows.append(("user", id, s(u))) }
        for (id, g) in t.groups { rows.append(("group", id, s(g))) }
        for (id, a) in t.apps { rows.append(("app", id, s(a))) }
        for (id, v) in t.servers { rows.append(("server", id, s(v))) }
        for (id, v) in t.apiTokens { rows.append(("apiToken", id, s(v))) }
        for (id, v) in t.refreshTokens { rows.append(("refresh", id, s(v))) }
        for (id, v) in t.codes { rows.append(("code", id, s(v))) }
        for (id, v) in t.trustedOrigins { rows.append(("origin", id, s(v))) }
        rows.append(("misc", "misc", s(misc(t))))
        return rows
    }

    static func misc(_ t: TenantData) -> Misc {
        Misc(
            groupOrder: t.groupOrder, appOrder: t.appOrder, serverOrder: t.serverOrder,
            revokedAccessTokens: t.revokedAccessTokens,
            accessTokenCutoffs: t.accessTokenCutoffs, usedAssertionIDs: t.usedAssertionIDs, orgId: t.orgId,
            defaultPassword: t.defaultPassword, rateLimitOverrides: t.rateLimitOverrides,
            trustedOriginOrder: t.trustedOriginOrder,
            bearerErrorJSON: t.bearerErrorJSON)
    }

    static func saveTenant(_ t: TenantData, _ store: Store) throws { try store.replaceAll(rows(t)) }

    static func loadTenant(_ store: Store) -> TenantData? {
        let dec = JSONDecoder()
        func all<T: Decodable>(_ kind: String, _ type: T.Type) -> [T] {
            store.all(kind: kind).compactMap { try? dec.decode(T.self, from: Data($0.utf8)) }
        }
        guard let miscText = store.all(kind: "misc").first,
            let m = try? dec.decode(Misc.self, from: Data(miscText.utf8))
        else {
            return nil
        }
        var t = TenantData()
        for u in all("user", User.self) {
            t.users[u.id] = u
            t.loginIndex[u.login.lowercased()] = u.id
        }
        t.userOrder = t.users.keys.sorted()
        for g in all("group", Group.self) { t.groups[g.id] = g }
        for a in all("app", App.self) { t.apps[a.id] = a }
        for s in all("server", AuthServer.self) { t.servers[s.id] = s }
        for k in all("apiToken", APIToken.self) { t.apiTokens[k.id] = k }
        for r in all("refresh", RefreshTokenRecord.self) { t.refreshTokens[r.valueHash] = r }
        for c in all("code", AuthCodeRecord.self) { t.codes[c.valueHash] = c }
        for o in all("origin", TrustedOrigin.self) { t.trustedOrigins[o.id] = o }
        t.trustedOriginOrder = (m.trustedOriginOrder ?? []).filter { t.trustedOrigins[$0] != nil }
        t.bearerErrorJSON = m.bearerErrorJSON ?? false
        t.groupOrder = m.groupOrder.filter { t.groups[$0] != nil }
        t.appOrder = m.appOrder.filter { t.apps[$0] != nil }
        t.serverOrder = m.serverOrder.filter { t.servers[$0] != nil }
        t.revokedAccessTokens = m.revokedAccessTokens
        t.accessTokenCutoffs = m.accessTokenCutoffs
        t.usedAssertionIDs = m.usedAssertionIDs
        t.orgId = m.orgId
        t.defaultPassword = m.defaultPassword
        t.rateLimitOverrides = m.rateLimitOverrides
        return t
    }

    /// Entities changed by a mutation, written to SQLite after the state lock is released.
    struct Dirty {
        var users = Set<String>(), groups = Set<String>(), apps = Set<String>(), servers = Set<String>()
        var apiTokens = Set<String>(), refresh = Set<String>(), codes = Set<String>(), origins = Set<String>()
        var misc = false
    }

    /// Runs a mutation of the tenant as one transaction: under the tenant lock it applies `body`, then
    /// writes what it touched to the store. If the write fails the tenant is put back as it was and the
    /// error is thrown (the caller answers 500), so an acknowledged change is always a saved one.
    @discardableResult
    func mutate<T>(_ body: (inout TenantData, inout Dirty) throws -> T) throws -> T {
        var dirty = Dirty()
        return try state.withLock { t in
            let before = t
            let r = try body(&t, &dirty)
            let enc = JSONEncoder()
            func s<V: Encodable>(_ v: V) -> String { String(decoding: (try? enc.encode(v)) ?? Data(), as: UTF8.self) }
            var puts: [(String, String, String)] = []
            var deletes: [(String, String)] = []
            func handle<V: Encodable>(_ kind: String, _ keys: Set<String>, _ dict: [String: V]) {
                for k in keys { if let v = dict[k] { puts.append((kind, k, s(v))) } else { deletes.append((kind, k)) } }
            }
            handle("user", dirty.users, t.users)
            handle("group", dirty.groups, t.groups)
            handle("app", dirty.apps, t.apps)
            handle("server", dirty.servers, t.servers)
            handle("apiToken", dirty.apiTokens, t.apiTokens)
            handle("refresh", dirty.refresh, t.refreshTokens)
            handle("code", dirty.codes, t.codes)
            handle("origin", dirty.origins, t.trustedOrigins)
            if dirty.misc { puts.append(("misc", "misc", s(MockOkta.misc(t)))) }
            do {
                try store.apply(puts: puts, deletes: deletes)
            } catch {
                t = before
                logger.error(
                    "a tenant change was refused because it could not be saved", metadata: ["error": "\(error)"])
                throw error
            }
            return r
        }
    }

    func read<T>(_ body: (TenantData) throws -> T) rethrows -> T {
        try state.withLock { try body($0) }
    }

    // MARK: - URLs

    /// Set once the port is known: `http(s)://127.0.0.1:PORT`.
    public func setBaseURL(_ url: String) { base.withLock { $0 = url } }
    public var baseURL: String { base.withLock { $0 } }
    public func setCAFile(_ path: String?) { caFile.withLock { $0 = path } }

    public func issuer(_ serverId: String) -> String {
        serverId == "org" ? baseURL : "\(baseURL)/oauth2/\(serverId)"
    }

    func audience(_ s: AuthServer) -> String { s.audience ?? baseURL }

    /// Path prefix of a server's endpoints: `/oauth2/v1` or `/oauth2/{id}/v1`.
    func endpointBase(_ serverId: String) -> String {
        serverId == "org" ? "\(baseURL)/oauth2/v1" : "\(baseURL)/oauth2/\(serverId)/v1"
    }

    // MARK: - Keys

    func rsaKey(_ k: SigningKey) -> RSAKey? {
        if let cached = keyCache.withLock({ $0[k.kid] }) { return cached }
        guard let key = try? RSAKey(pem: k.privateKeyPEM) else { return nil }
        keyCache.withLock { $0[k.kid] = key }
        return key
    }

    /// Keys published at `/keys` right now (old keys stay until dropped, as in Okta).
    func publishedKeys(_ s: AuthServer, now: Double) -> [SigningKey] {
        s.keys.filter { $0.dropAt == nil || $0.dropAt! > now }
    }

    func activeKey(_ s: AuthServer) -> (SigningKey, RSAKey)? {
        guard let k = s.keys.first(where: { $0.status == "ACTIVE" }) ?? s.keys.first, let r = rsaKey(k) else {
            return nil
        }
        return (k, r)
    }

    /// A key nobody publishes, for the unknownKid fault.
    var strayKey: (String, RSAKey)? {
        let kid = "unknown-kid-" + String(seed % 100_000)
        if let cached = keyCache.withLock({ $0[kid] }) { return (kid, cached) }
        // From the pre-generated pool (a slot no tenant key uses): no key generation on the request path.
        guard let k = try? KeyPool.key(seed: seed, slot: .stray) else { return nil }
        keyCache.withLock { $0[kid] = k }
        return (kid, k)
    }

    // MARK: - Credentials

    /// The ready file's keys: URLs and the default credentials.
    public func readyInfo(port: Int) -> JSON {
        let url = baseURL
        return [
            "url": .string(url), "port": JSON(port), "caFile": JSON(caFile.withLock { $0 }), "orgIssuer": .string(url),
            "defaultIssuer": .string("\(url)/oauth2/default"), "credentials": credentials,
            "seed": .string(String(seed)),
        ]
    }

    public var credentials: JSON {
        let s = secrets
        let pw = read { t in (t.user(idOrLogin: s.userLogin)?.password, t.user(idOrLogin: s.unassignedLogin)?.password)
        }
        return [
            "apiToken": .string(s.apiToken), "readOnlyApiToken": .string(s.readOnlyApiToken),
            "serviceClientId": .string(s.serviceClientId), "serviceClientSecret": .string(s.serviceClientSecret),
            "servicePrivateKeyPem": .string(s.servicePrivateKeyPem),
            "servicePrivateKeyKid": .string(s.servicePrivateKeyKid),
            "webClientId": .string(s.webClientId), "webClientSecret": .string(s.webClientSecret),
            "webRedirectUri": .string(DefaultTenant.webRedirectURI),
            "user": ["login": .string(s.userLogin), "password": .string(pw.0 ?? s.password)],
            "unassignedUser": ["login": .string(s.unassignedLogin), "password": .string(pw.1 ?? s.password)],
        ]
    }

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
        let now = clock.now()
        let ex = Exchange(req: req, id: newRequestId(), now: now)
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
            Int($0.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "")
        }
        journal.begin { seq in
            JournalEntry(
                seq: seq, id: ex.id, receivedAt: realClock.now(), finishedAt: nil, disconnectedAt: nil,
                method: req.method,
                path: req.path, route: ex.route, query: MockOkta.redact(query: req.query), status: nil, auth: ex.auth,
                retryFor: (retryFor?.isEmpty ?? true) ? nil : retryFor, retryCount: retryCount, rule: nil, fault: nil,
                headers: MockOkta.redact(req.headers), resetAt: nil, dateSent: nil, tokenError: nil)
        }

        var reply: HTTPReply
        let bucket = RateLimiter.bucket(method: req.method, path: req.path)
        var decision: RateLimiter.Decision
        let fired = req.bodyTooLarge ? nil : evaluateRules(ex)
        var omitDate = false
        if req.bodyTooLarge || req.body.count > 1 << 20 {
            decision = rateLimiter.take(bucket: bucket, now: now, consume: false)
            reply =
                req.path.hasPrefix("/oauth2/")
                ? HTTPReply.json(
                    413,
                    ["error": "invalid_request", "error_description": "The request body is too large (limit 1 MiB)."])
                : HTTPReply.json(
                    413,
                    OktaAPIError(
                        413, "E0000001", "Api validation failed: request body",
                        causes: ["The request body is too large (limit 1 MiB)."]
                    ).body(errorId: errorId()))
        } else if let fired, !fired.fault.kind.isTokenFault,
            let r = faultReply(fired, ex, bucket: bucket, omitDate: &omitDate)
        {
            decision = rateLimiter.take(bucket: bucket, now: now, consume: false)
            reply = r
            if case .rateLimit = fired.fault.kind {
                decision = RateLimiter.Decision(
                    bucket: bucket, limit: decision.limit, remaining: 0, reset: Int(now) + 0, allowed: false)
            }
        } else if req.method == "OPTIONS" {
            // A CORS preflight: answered from the trusted origins, never counted against a rate limit.
            decision = rateLimiter.take(bucket: bucket, now: now, consume: false)
            reply = preflight(ex)
        } else {
            if let fired, fired.fault.kind.isTokenFault { ex.tokenFault = fired.fault.kind }
            decision = rateLimiter.take(bucket: bucket, now: now)
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
        }
        // Standard headers on every response.
        if reply.header("X-Rate-Limit-Limit") == nil {
            reply.headers.append(("X-Rate-Limit-Limit", String(decision.limit)))
            reply.headers.append(("X-Rate-Limit-Remaining", String(decision.remaining)))
            reply.headers.append(("X-Rate-Limit-Reset", String(decision.reset)))
        }
        reply.setHeader("X-Okta-Request-Id", ex.id)
        if req.path.hasPrefix("/api/v1/") && reply.header("Cache-Control") == nil {
            // As on every live /api/v1 answer (okta-sdk-python cassettes).
            reply.headers += [("Cache-Control", "no-cache, no-store"), ("Pragma", "no-cache"), ("Expires", "0")]
        }
        if req.method != "OPTIONS" { applyCORS(req, to: &reply) }
        reply.date = omitDate ? nil : TimeFormat.httpDate(now)
        reply.requestId = ex.id
        reply.firedRule = fired?.rule
        reply.firedFault = fired?.fault.kind.name
        // The reset the client was told, as a real-clock deadline (the tenant clock may be offset).
        let realNow = realClock.now()
        let resetHeader: Double? =
            reply.status == 429
            ? reply.header("X-Rate-Limit-Reset").flatMap { Int($0.split(separator: ",").first ?? "") }.map(Double.init)
            : nil
        let resetAt = resetHeader.map { realNow + ($0 - now) }
        // What an SDK computes from the headers: X-Rate-Limit-Reset − Date (both whole seconds).
        let resetDistance = omitDate ? nil : resetHeader.map { $0 - now.rounded(.down) }
        let authAfter = ex.auth
        journal.update(ex.id) { e in
            e.status = reply.status
            e.rule = fired?.rule
            e.fault = fired?.fault.kind.name
            e.auth = authAfter
            e.resetAt = resetAt
            e.resetDistance = resetDistance
            e.dateSent = omitDate ? nil : now.rounded(.down)
            if reply.wire == nil { e.finishedAt = realClock.now() }
        }
        return reply
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
            targets: targets, result: result, reason: reason, context: ex?.logContext,
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
