import FoundationEssentials

/// Custom authorization servers (`/api/v1/authorizationServers`): create, list, get, replace, delete,
/// activate/deactivate, and their signing keys (`/credentials/keys`, `/credentials/lifecycle/keyRotate`). Each
/// server has its own issuer (`{org}/oauth2/{id}`), discovery documents, JWKS and OAuth endpoints; the built-in
/// `default` keeps its name in URLs. Bounds: at most 100 servers; name 1–100 characters, description at most 1,000,
/// 1–20 audiences of at most 1,024 characters.
extension MockOkta {
    static let serversMax = 100

    func authServerJSON(_ s: AuthServer) -> JSON {
        let active = s.keys.first { $0.status == "ACTIVE" }
        let urlId = s.oktaId ?? s.id
        let href = "\(baseURL)/api/v1/authorizationServers/\(urlId)"
        return [
            "id": .string(urlId), "name": .string(s.name), "description": .string(s.description),
            "audiences": JSON(s.audiences ?? [audience(s)]), "issuer": .string(issuer(s.id)), "issuerMode": "ORG_URL",
            "status": .string(s.isActive ? "ACTIVE" : "INACTIVE"),
            "created": .string(TimeFormat.isoSeconds(s.created)),
            "lastUpdated": .string(TimeFormat.isoSeconds(s.lastUpdated ?? s.created)),
            "credentials": [
                "signing": [
                    "rotationMode": "AUTO", "lastRotated": .string(TimeFormat.isoSeconds(active?.created ?? s.created)),
                    "nextRotation": .string(TimeFormat.isoSeconds((active?.created ?? s.created) + 90 * 86400)),
                    "kid": JSON(active?.kid),
                ]
            ],
            "_links": .object(serverLinks(s, href)),
        ]
    }

    /// Okta's link order (okta-sdk-python cassettes test_auth_server_it): `activate` between `policies` and `self`
    /// on an inactive server, `deactivate` last on an active one.
    func serverLinks(_ s: AuthServer, _ href: String) -> [(String, JSON)] {
        func link(_ h: String, _ allow: [String]) -> JSON { ["href": .string(h), "hints": ["allow": JSON(allow)]] }
        let meta: JSON = .array(
            ["oauth-authorization-server", "openid-configuration"].map { name in
                [
                    "name": .string(name), "href": .string("\(issuer(s.id))/.well-known/\(name)"),
                    "hints": ["allow": ["GET"]],
                ]
            })
        var links: [(String, JSON)] = [
            ("rotateKey", link("\(href)/credentials/lifecycle/keyRotate", ["POST"])), ("metadata", meta),
            ("keys", link("\(href)/credentials/keys", ["GET"])), ("claims", link("\(href)/claims", ["GET", "POST"])),
            ("policies", link("\(href)/policies", ["GET", "POST"])),
        ]
        if !s.isActive { links.append(("activate", link("\(href)/lifecycle/activate", ["POST"]))) }
        links += [
            ("self", link(href, ["GET", "DELETE", "PUT"])), ("scopes", link("\(href)/scopes", ["GET", "POST"])),
        ]
        if s.isActive { links.append(("deactivate", link("\(href)/lifecycle/deactivate", ["POST"]))) }
        return links
    }

    /// A custom server by its URL id (`default`, `aus…`) for the Management API; the org server is not one.
    func requireAuthServer(_ id: String) throws -> AuthServer {
        guard let s = read({ $0.server(idOrAlias: id) }), !s.isOrg else {
            throw OktaAPIError.notFound("Resource not found: \(id) (AuthorizationServer)")
        }
        return s
    }

    func listAuthServers(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let limit = try limitParam(ex, default: 200, max: 200)
        let q = ex.req.queryValue("q")?.lowercased()
        let servers = read { t in t.serverOrder.compactMap { t.servers[$0] }.filter { !$0.isOrg } }.filter {
            q == nil || $0.name.lowercased().hasPrefix(q!) || $0.audience?.lowercased().hasPrefix(q!) == true
        }
        let (page, next) = try pageOf(servers, ex, limit: limit, id: { $0.oktaId ?? $0.id })
        return .json(200, .array(page.map(authServerJSON)), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func getAuthServer(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        return .json(200, authServerJSON(try requireAuthServer(id)))
    }

    struct AuthServerInput {
        var name: String
        var description: String
        var audiences: [String]
    }

    func authServerInput(_ body: JSON, except: String? = nil) throws -> AuthServerInput {
        var causes: [String] = []
        let name = body["name"]?.stringValue ?? ""
        if name.isEmpty { causes.append("name: The field cannot be left blank") }
        if name.count > 100 { causes.append("name: The field is too long (at most 100 characters)") }
        let description = body["description"]?.stringValue ?? ""
        if description.count > 1000 { causes.append("description: The field is too long (at most 1,000 characters)") }
        let audiences = body["audiences"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if audiences.isEmpty || audiences.contains(where: \.isEmpty) {
            causes.append("audiences: The field cannot be left blank")
        }
        if audiences.count > 20 || audiences.contains(where: { $0.count > 1024 }) {
            causes.append("audiences: At most 20 audiences of at most 1,024 characters")
        }
        let taken = read { t in
            t.servers.values.contains { $0.name.lowercased() == name.lowercased() && $0.id != except }
        }
        if taken { causes.append("name: An object with this field already exists in the current organization") }
        if !causes.isEmpty { throw MockOkta.validation(causes) }
        return AuthServerInput(name: name, description: description, audiences: audiences)
    }

    func createAuthServer(_ ex: Exchange) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let input = try authServerInput(try bodyJSON(ex))
        let id = ids.oktaID("aus")
        guard let rsa = rotationKeys.key(server: id, index: 0, wait: true) else { throw OktaAPIError.serverError }
        let key = SigningKey(kid: rsa.thumbprint, privateKeyPEM: rsa.privateKeyPEM, status: "ACTIVE", created: ex.now)
        keyCache.withLock { $0[key.kid] = rsa }
        let def = read { $0.servers["default"] }
        var s = AuthServer(
            id: id, name: input.name, description: input.description, audience: input.audiences[0],
            scopes: MockOkta.newServerScopes, keys: [key], accessTokenLifetime: 3600,
            idTokenLifetime: 3600, refreshTokenLifetime: def?.refreshTokenLifetime ?? 90 * 86400,
            rotateRefreshTokens: def?.rotateRefreshTokens ?? true, created: ex.now)
        s.lastUpdated = ex.now
        s.audiences = input.audiences
        s.policies = []
        s.scopeDefs = MockOkta.scopeDefs(s)
        try mutate { t, d in
            guard t.servers.count <= MockOkta.serversMax else {
                throw OktaAPIError(
                    400, "E0000001", "Api validation failed: authorizationServer",
                    causes: ["At most \(MockOkta.serversMax) authorization servers per org (mock-okta bound)"])
            }
            t.servers[id] = s
            t.serverOrder.append(id)
            d.servers.insert(id)
            d.misc = true
        }
        logServerEvent(.authServerCreated, s, caller, ex)
        return .json(201, authServerJSON(s))
    }

    func replaceAuthServer(_ ex: Exchange, _ ref: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let old = try requireAuthServer(ref)
        let input = try authServerInput(try bodyJSON(ex), except: old.id)
        let s = try changeServer(old.id) { s in
            s.name = input.name
            s.description = input.description
            s.audiences = input.audiences
            s.audience = input.audiences[0]
            s.lastUpdated = ex.now
        }
        logServerEvent(.authServerUpdated, s, caller, ex)
        return .json(200, authServerJSON(s))
    }

    func deleteAuthServer(_ ex: Exchange, _ ref: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let s = try requireAuthServer(ref)
        try mutate { t, d in
            t.servers[s.id] = nil
            t.serverOrder.removeAll { $0 == s.id }
            for (k, r) in t.refreshTokens where r.serverId == s.id {
                t.refreshTokens[k] = nil
                d.refresh.insert(k)
            }
            d.servers.insert(s.id)
            d.misc = true
        }
        logServerEvent(.authServerDeleted, s, caller, ex)
        return .empty(204)
    }

    func authServerLifecycle(_ ex: Exchange, _ ref: String, _ op: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        guard op == "activate" || op == "deactivate" else { throw OktaAPIError.pathNotFound }
        let s = try changeServer(try requireAuthServer(ref).id) { s in
            s.status = op == "activate" ? "ACTIVE" : "INACTIVE"
            s.lastUpdated = ex.now
        }
        logServerEvent(op == "activate" ? .authServerActivated : .authServerDeactivated, s, caller, ex)
        return .empty(204)
    }

    /// Changes one server in a tenant transaction and returns it as saved.
    @discardableResult
    func changeServer(_ id: String, _ body: (inout AuthServer) throws -> Void) throws -> AuthServer {
        try mutate { t, d in
            guard var s = t.servers[id] else {
                throw OktaAPIError.notFound("Resource not found: \(id) (AuthorizationServer)")
            }
            try body(&s)
            t.servers[id] = s
            d.servers.insert(id)
            return s
        }
    }

    func serverActor(_ s: AuthServer) -> SystemLog.Actor {
        SystemLog.Actor(id: s.oktaId ?? s.id, type: "AuthorizationServer", alternateId: s.name, displayName: s.name)
    }

    func logServerEvent(_ type: EventType, _ s: AuthServer, _ caller: Caller, _ ex: Exchange) {
        logEvent(type, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [serverActor(s)], ex: ex)
    }

    // MARK: signing keys

    func serverKeysJSON(_ s: AuthServer, now: Double) -> JSON {
        .array(
            publishedKeys(s, now: now).compactMap { k in
                guard case .object(var jwk)? = rsaKey(k).map({ $0.publicJWK(kid: k.kid) }) else { return nil }
                jwk.insert(("status", .string(k.status == "ACTIVE" ? "ACTIVE" : "EXPIRED")), at: 0)
                let href = "\(baseURL)/api/v1/authorizationServers/\(s.oktaId ?? s.id)/credentials/keys/\(k.kid)"
                jwk.append(("_links", ["self": ["href": .string(href), "hints": ["allow": ["GET"]]]]))
                return .object(jwk)
            })
    }

    func authServerKeys(_ ex: Exchange, _ ref: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        return .json(200, serverKeysJSON(try requireAuthServer(ref), now: ex.now))
    }

    func authServerKey(_ ex: Exchange, _ ref: String, _ kid: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let keys = serverKeysJSON(try requireAuthServer(ref), now: ex.now).arrayValue ?? []
        guard let k = keys.first(where: { $0["kid"]?.stringValue == kid }) else {
            throw OktaAPIError.notFound("Resource not found: \(kid) (AuthorizationServerJsonWebKey)")
        }
        return .json(200, k)
    }

    /// `POST …/credentials/lifecycle/keyRotate {"use": "sig"}`: a new active key; the old one stays published.
    func rotateAuthServerKey(_ ex: Exchange, _ ref: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: true)
        let s = try requireAuthServer(ref)
        let body = try bodyJSON(ex)
        guard body["use"]?.stringValue == "sig" else {
            throw OktaAPIError.validation("use", "Invalid value: only \"sig\" keys rotate")
        }
        let r = perform(.rotateSigningKey(server: s.id, dropOld: false, keepOldSeconds: nil), ex: ex)
        guard r["ok"] == .bool(true) else { throw OktaAPIError.serverError }
        return .json(200, serverKeysJSON(try requireAuthServer(s.id), now: ex.now))
    }
}
