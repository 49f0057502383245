import FoundationEssentials

/// `/__mock/*`: the control API (JSON in and out, never journaled).
extension MockOkta {
    func controlError(_ status: Int, _ message: String, causes: [JSON] = []) -> HTTPReply {
        .json(
            status,
            [
                "errorCode": status == 401
                    ? "E0000011" : (status == 404 ? "E0000007" : (status == 405 ? "E0000022" : "E0000001")),
                "errorSummary": .string(message), "errorCauses": .array(causes),
            ])
    }

    func handleControl(_ req: HTTPRequestInfo) -> HTTPReply {
        let path = req.path.hasSuffix("/") && req.path.count > 1 ? String(req.path.dropLast()) : req.path
        if path == "/__mock/health" { return .json(200, ["status": "ok"]) }
        if let refusal = controlRefusal(req, path: path) { return refusal }
        let routes = MockOkta.controlRoutes.filter { $0.path == path }
        guard let route = routes.first(where: { $0.method == req.method }) else {
            if !routes.isEmpty {
                let allowed = routes.map(\.method).joined(separator: ", ")
                var r = controlError(405, "\(req.method) is not allowed on \(path) (allowed: \(allowed))")
                r.setHeader("Allow", allowed)
                return r
            }
            return controlError(404, "Not found: \(req.method) \(path)")
        }
        return route.handler(self, req)
    }

    /// 401 without the admin token (when one is set), 413 for a body over 1 MiB; nil when the request may go on.
    /// A browser can't put a header on a page load or an `EventSource`, so the dashboard's page and its event
    /// stream also take the admin token as `?token=`.
    public func controlRefusal(_ req: HTTPRequestInfo, path: String) -> HTTPReply? {
        if let admin = options.adminToken {
            var given = req.header("authorization").flatMap { MockOkta.credential($0, scheme: "Bearer") }
            if given == nil, MockOkta.dashboardPaths.contains(path) { given = req.queryValue("token") }
            guard given == admin else {
                return HTTPReply.json(
                    401,
                    [
                        "errorCode": "E0000011", "errorSummary": "Invalid token provided",
                        "errorCauses": [
                            [
                                "errorSummary": .string(MockOkta.controlAuthHint)
                            ]
                        ],
                    ],
                    headers: [("WWW-Authenticate", "Bearer realm=\"mock-okta\"")])
            }
        }
        if req.bodyTooLarge || req.body.count > 1 << 20 {
            return controlError(413, "Request body too large (limit 1 MiB).")
        }
        return nil
    }

    static let controlAuthHint =
        "The control API needs Authorization: Bearer <admin token> (the dashboard: /__mock/ui?token=<admin token>)."

    /// The control API, one route per line (PRODUCT.md "Control API").
    struct ControlRoute: Sendable {
        let method: String
        let path: String
        let handler: @Sendable (MockOkta, HTTPRequestInfo) -> HTTPReply
    }

    static let controlRoutes: [ControlRoute] =
        [
            .init(method: "GET", path: "/__mock/tenant") { m, _ in .json(200, m.tenantJSON()) },
            .init(method: "GET", path: "/__mock/factors/messages") { m, req in m.factorMessagesJSON(req) },
            .init(method: "GET", path: "/__mock/scenario") { m, _ in .json(200, m.scenarioJSON) },
            .init(method: "POST", path: "/__mock/scenario") { m, req in m.controlLoadScenario(req) },
            .init(method: "PUT", path: "/__mock/scenario") { m, req in m.controlLoadScenario(req) },
            .init(method: "DELETE", path: "/__mock/scenario") { m, _ in
                m.loadScenario(nil)
                return .empty(204)
            },
            .init(method: "POST", path: "/__mock/rules") { m, req in m.controlAddRule(req) },
            .init(method: "POST", path: "/__mock/actions") { m, req in m.controlAction(req) },
            .init(method: "POST", path: "/__mock/reset") { m, _ in
                m.reset()
                return .json(200, ["status": "reset"])
            },
            .init(method: "GET", path: "/__mock/journal") { m, req in
                if req.queryValue("format") == "har" {
                    return .json(200, HAR.document(m.filteredJournal(req), baseURL: m.baseURL))
                }
                return .json(200, ["entries": .array(m.filteredJournal(req).map(\.json))])
            },
            .init(method: "DELETE", path: "/__mock/journal") { m, _ in
                m.journal.clear()
                return .empty(204)
            },
            .init(method: "GET", path: "/__mock/verify") { m, req in m.controlVerify(req) },
            .init(method: "GET", path: "/__mock/clock") { m, _ in .json(200, m.clock.description) },
            .init(method: "POST", path: "/__mock/clock") { m, req in m.controlClock(req) },
            .init(method: "POST", path: "/__mock/tokens") { m, req in
                guard let b = controlBody(req), case .object = b else {
                    return m.controlError(400, "The request body was not well-formed.")
                }
                return m.mintForControl(b)
            },
        ] + dashboardRoutes

    static func controlBody(_ req: HTTPRequestInfo) -> JSON? {
        if req.body.isEmpty { return .object([]) }
        return try? JSONParser.parse(bytes: req.body)
    }

    /// Validation issues of a one-item wrapper document, with paths relative to the item.
    func controlCauses(_ error: ScenarioLoader.Invalid, prefix: String) -> [JSON] {
        error.issues.map { i -> JSON in
            let p = i.path.replacing(prefix, with: "$")
            return ["errorSummary": .string("\(p): \(i.message)"), "path": .string(p), "message": .string(i.message)]
        }
    }

    func controlLoadScenario(_ req: HTTPRequestInfo) -> HTTPReply {
        do {
            let sc = try ScenarioLoader.load(text: String(decoding: req.body, as: UTF8.self))
            loadScenario(sc)
            return .json(200, scenarioJSON)
        } catch {
            return .json(400, error.json)
        }
    }

    func controlAddRule(_ req: HTTPRequestInfo) -> HTTPReply {
        guard let b = MockOkta.controlBody(req) else {
            return controlError(400, "The request body was not well-formed.")
        }
        let wrapper: JSON = ["version": 1, "name": "rule", "description": "rule", "rules": [b]]
        do {
            _ = try ScenarioLoader.load(json: wrapper)
        } catch {
            return controlError(400, "Api validation failed: rule", causes: controlCauses(error, prefix: "$.rules[0]"))
        }
        if let id = b["id"]?.stringValue, runtime.withLock({ $0.scenario?.rules.contains { $0.id == id } ?? false }) {
            let message = "duplicate rule id \"\(id)\""
            let cause: JSON = [
                "errorSummary": .string("$.id: \(message)"), "path": "$.id", "message": .string(message),
            ]
            return controlError(400, "Api validation failed: rule", causes: [cause])
        }
        guard let rule = ScenarioLoader.buildRule(b) else { return controlError(400, "Api validation failed: rule") }
        addRule(rule)
        return .json(200, scenarioJSON)
    }

    func controlAction(_ req: HTTPRequestInfo) -> HTTPReply {
        guard let b = MockOkta.controlBody(req) else {
            return controlError(400, "The request body was not well-formed.")
        }
        let wrapper: JSON = [
            "version": 1, "name": "action", "description": "action", "timeline": [["atSeconds": 0, "action": b]],
        ]
        do { _ = try ScenarioLoader.load(json: wrapper) } catch {
            let causes = controlCauses(error, prefix: "$.timeline[0].action")
            return controlError(400, "Api validation failed: action", causes: causes)
        }
        guard let action = ScenarioLoader.buildAction(b) else { return controlError(400, "Unknown action") }
        let result = perform(action, ex: nil)
        var status = 200
        if result["ok"]?.boolValue == false {
            // A clock move beyond the bounds is a bad request; any other failure names something that does not exist.
            if case .advanceClock = action { status = 400 } else { status = 404 }
        }
        return .json(status, result)
    }

    func controlVerify(_ req: HTTPRequestInfo) -> HTTPReply {
        let report = verify()
        if let f = req.queryValue("format"), f == "junit" || f == "xml" {
            let suite = runtime.withLock { $0.scenario?.name ?? "mock-okta" }
            return HTTPReply(
                status: 200, headers: [("Content-Type", "application/xml")],
                body: Array(Verdicts.junit(report, suite: suite).utf8))
        }
        return .json(200, report.json)
    }

    func controlClock(_ req: HTTPRequestInfo) -> HTTPReply {
        guard let b = MockOkta.controlBody(req), case .object = b else {
            return controlError(400, "The request body was not well-formed.")
        }
        let known = ["advance", "freeze", "offset"]
        if let bad = b.objectValue?.first(where: { !known.contains($0.0) }) {
            let cause: JSON = [
                "errorSummary": .string("$.\(bad.0): unknown member; expected advance, freeze or offset")
            ]
            return controlError(400, "Api validation failed: clock", causes: [cause])
        }
        let limit = "at most \(Int64(TenantClock.maxOffsetSeconds)) seconds (100 years) from real time"
        if let o = b["offset"] {
            guard let v = o.doubleValue else { return controlError(400, "offset must be a number") }
            guard clock.setOffset(v) else {
                let cause: JSON = ["errorSummary": .string("$.offset: must be \(limit)")]
                return controlError(400, "Api validation failed: clock", causes: [cause])
            }
        }
        if let a = b["advance"] {
            guard let v = a.doubleValue else { return controlError(400, "advance must be a number") }
            guard clock.advance(v) else {
                let cause: JSON = ["errorSummary": .string("$.advance: would move the clock beyond \(limit)")]
                return controlError(400, "Api validation failed: clock", causes: [cause])
            }
        }
        if let f = b["freeze"] {
            guard let v = f.boolValue else { return controlError(400, "freeze must be a boolean") }
            clock.freeze(v)
        }
        return .json(200, clock.description)
    }

    func filteredJournal(_ req: HTTPRequestInfo) -> [JournalEntry] {
        var list = journal.all()
        if let p = req.queryValue("path") {
            let pat = PathPattern(p)
            list = list.filter { pat.matches($0.path) || $0.route == p }
        }
        if let s = req.queryValue("status"), let code = Int(s) { list = list.filter { $0.status == code } }
        if let s = req.queryValue("method") { list = list.filter { $0.method == s.uppercased() } }
        if let s = req.queryValue("since"), let ms = Double(s) { list = list.filter { $0.receivedAt * 1000 >= ms } }
        return list
    }

    public func tenantJSON() -> JSON {
        let t = read { $0 }
        return [
            "credentials": credentials,
            "orgId": .string(t.orgId),
            "users": .array(
                t.userOrder.prefix(1000).compactMap { t.users[$0] }.map { u in
                    let roles = t.roleAssignments(user: u).map(\.type.rawValue)
                    return userJSON(u).removing("_links")
                        .setting("adminRole", JSON(roles.first)).setting("adminRoles", JSON(roles))
                        .setting("factors", .array((u.factors ?? []).map(MockOkta.factorSecretJSON)))
                }),
            "signOn": signOnJSON(t.signOn),
            "userCount": JSON(t.users.count),
            "groups": .array(
                t.groupOrder.compactMap { t.groups[$0] }.map { g in
                    groupJSON(g).removing("_links").setting("members", JSON(g.members))
                        .setting("adminRoles", JSON((g.roles ?? []).map(\.type.rawValue)))
                }),
            "apps": .array(
                t.appOrder.compactMap { t.apps[$0] }.map { a in
                    appJSON(a).removing("_links").setting("assignedUsers", JSON(a.assignedUsers)).setting(
                        "assignedGroups", JSON(a.assignedGroups)
                    )
                    .setting("grants", .object(a.grants.sorted { $0.key < $1.key }.map { ($0.key, JSON($0.value)) }))
                }),
            "authorizationServers": .array(
                t.serverOrder.compactMap { t.servers[$0] }.map { s in
                    [
                        "id": .string(s.id), "oktaId": .string(s.oktaId ?? s.id), "name": .string(s.name),
                        "issuer": .string(issuer(s.id)),
                        "audience": .string(audience(s)),
                        "scopes": JSON(s.scopes), "keys": JSON(publishedKeys(s, now: clock.now()).map(\.kid)),
                        "accessTokenLifetimeSeconds": JSON(s.accessTokenLifetime),
                        "rotateRefreshTokens": .bool(s.rotateRefreshTokens),
                    ]
                }),
            "apiTokens": .array(
                t.apiTokens.values.sorted { $0.id < $1.id }.map { k in
                    [
                        "id": .string(k.id), "name": .string(k.name), "userId": .string(k.userId),
                        "revoked": .bool(k.revoked),
                    ]
                }),
            "trustedOrigins": .array(t.trustedOriginOrder.compactMap { t.trustedOrigins[$0] }.map(trustedOriginJSON)),
            "rateLimits": [
                "enabled": .bool(rateLimiter.enabled),
                "perMinute": .object(rateLimiter.limits().sorted { $0.key < $1.key }.map { ($0.key, JSON($0.value)) }),
            ],
            "clock": clock.description,
        ]
    }

    /// `POST /__mock/token`: an access token with the claims asked for, signed by the server's active key, by the
    /// key `kid` names (any server's, or `unknown` for a key no server publishes).
    func mintForControl(_ b: JSON) -> HTTPReply {
        let known = ["server", "clientId", "user", "scopes", "claims", "lifetimeSeconds", "kid"]
        if let bad = b.objectValue?.first(where: { !known.contains($0.0) }) {
            return controlError(
                400, "Api validation failed: token",
                causes: [
                    [
                        "errorSummary": .string(
                            "$.\(bad.0): unknown member; expected one of \(known.joined(separator: ", "))")
                    ]
                ])
        }
        let serverId = b["server"]?.stringValue ?? "default"
        guard let s = read({ $0.servers[serverId] }) else {
            return controlError(404, "Not found: authorization server \(serverId)")
        }
        var user: User? = nil
        if let ref = b["user"]?.stringValue {
            guard let u = read({ $0.user(idOrLogin: ref) }) else { return controlError(404, "Not found: user \(ref)") }
            user = u
        }
        let now = clock.now()
        var signer = activeKey(s)
        if let kid = b["kid"]?.stringValue {
            guard let named = controlSigningKey(kid: kid, now: now) else {
                return controlError(404, "Not found: key \(kid)")
            }
            signer = named
        }
        let claims = controlClaims(b, s, user: user, now: now)
        guard let (key, rsa) = signer else { return controlError(500, "No signing key") }
        let cj = JSON.object(claims)
        do {
            let token = try JWT.sign(claims: cj, key: rsa, kid: key.kid)
            return .json(200, ["token": .string(token), "claims": cj, "kid": .string(key.kid)])
        } catch {
            return controlError(500, "Signing failed: \(error)")
        }
    }

    /// The key a minted token names: any server's key with this `kid`, or for `unknown` a key no server publishes.
    private func controlSigningKey(kid: String, now: Double) -> (SigningKey, RSAKey)? {
        let all = read { t in t.servers.values.flatMap(\.keys) }
        if let k = all.first(where: { $0.kid == kid }), let r = rsaKey(k) {
            return (k, r)
        }
        if kid == "unknown", let stray = strayKey {
            return (SigningKey(kid: stray.0, privateKeyPEM: "", status: "ACTIVE", created: now, dropAt: nil), stray.1)
        }
        return nil
    }

    /// A minted token's claims: Okta's access token claims for the client, user and scopes asked for (defaults: the
    /// service app, no user, a read scope), then the body's `claims`, which replace or add.
    private func controlClaims(_ b: JSON, _ s: AuthServer, user: User?, now: Double) -> [(String, JSON)] {
        let clientId = b["clientId"]?.stringValue ?? secrets.serviceClientId
        let scopes =
            b["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? (s.isOrg ? ["okta.users.read"] : ["api.read"])
        let lifetime = b["lifetimeSeconds"]?.intValue ?? s.accessTokenLifetime
        let iat = Int(now)
        let exp = iat + lifetime  // negative lifetime: already expired
        var claims: [(String, JSON)] = [
            ("ver", 1), ("jti", .string(newJTI("AT"))), ("iss", .string(issuer(s.id))),
            ("aud", .string(audience(s))),
            ("iat", JSON(iat)), ("exp", JSON(exp)), ("cid", .string(clientId)),
        ]
        if let u = user { claims.append(("uid", .string(u.id))) }
        claims.append(("scp", JSON(scopes)))
        claims.append(("sub", .string(user?.login ?? clientId)))
        for (k, v) in b["claims"]?.objectValue ?? [] {
            if let i = claims.firstIndex(where: { $0.0 == k }) { claims[i].1 = v } else { claims.append((k, v)) }
        }
        return claims
    }
}
