import FoundationEssentials

/// An origin the org trusts for CORS and redirects (`/api/v1/trustedOrigins`).
public struct TrustedOrigin: Codable, Sendable {
    public var id: String  // tos…
    public var name: String
    public var origin: String
    /// `CORS`, `REDIRECT`, `IFRAME_EMBED`.
    public var scopes: [String]
    public var status: String  // ACTIVE | INACTIVE
    public var created: Double
    public var createdBy: String
    public var lastUpdated: Double
    public var lastUpdatedBy: String

    public var allowsCORS: Bool { status == "ACTIVE" && scopes.contains("CORS") }

    /// The schemes Okta accepts for a trusted origin (HTTP, HTTPS, FTP, Ionic 2 and Capacitor).
    static let schemes: Set<String> = ["http", "https", "ftp", "ionic", "capacitor"]

    /// `scheme://host[:port]`, lowercased, default ports dropped: how browsers send `Origin`. Hosts are ASCII
    /// (browsers send internationalised names as punycode); a path, query, user or wildcard is refused.
    static func normalize(_ s: String) -> String? {
        let t = s.trimmingWhitespace()
        guard t.count <= 255, let sep = t.firstRange(of: "://") else { return nil }
        let scheme = t[..<sep.lowerBound].lowercased()
        guard schemes.contains(scheme) else { return nil }
        var rest = String(t[sep.upperBound...])
        if rest.hasSuffix("/") { rest.removeLast() }
        guard !rest.isEmpty, !rest.contains(where: { "/?#@* ".contains($0) }) else { return nil }
        var host = rest
        var port: Int? = nil
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = String(rest[...close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { return nil }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let p = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = p
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.[]:".contains($0)) })
        else { return nil }
        if let p = port, !(1...65535).contains(p) { return nil }
        let isDefault = (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
        return "\(scheme)://\(host.lowercased())" + (port.flatMap { isDefault ? nil : ":\($0)" } ?? "")
    }
}

extension MockOkta {
    // MARK: CORS (okta-management-openapi-spec, oauth spec: the OPTIONS operations of /oauth2 endpoints)

    /// The trusted origin a browser's `Origin` header names, if it is trusted for CORS.
    func corsOrigin(_ req: HTTPRequestInfo) -> String? {
        guard let raw = req.header("origin"), let origin = TrustedOrigin.normalize(raw) else { return nil }
        let trusted = read { t in
            t.trustedOriginOrder.contains { t.trustedOrigins[$0].map { $0.allowsCORS && $0.origin == origin } ?? false }
        }
        return trusted ? raw : nil
    }

    /// Adds the CORS headers to a response for a trusted origin; every response varies by Origin.
    func applyCORS(_ req: HTTPRequestInfo, to reply: inout HTTPReply) {
        guard req.header("origin") != nil else { return }
        if reply.header("Vary") == nil { reply.headers.append(("Vary", "Origin")) }
        guard let origin = corsOrigin(req) else { return }
        reply.setHeader("Access-Control-Allow-Origin", origin)
        reply.setHeader("Access-Control-Allow-Credentials", "true")
        reply.setHeader("Access-Control-Expose-Headers", MockOkta.corsExposed)
    }

    static let corsExposed =
        "Link, X-Okta-Request-Id, X-Rate-Limit-Limit, X-Rate-Limit-Remaining, X-Rate-Limit-Reset, WWW-Authenticate, "
        + "DPoP-Nonce"

    /// A CORS preflight (`OPTIONS` with `Origin`): 204 with the allowed methods for a trusted origin; 204 without
    /// any `Access-Control-*` header for an untrusted one, so the browser refuses the real request.
    func preflight(_ ex: Exchange) -> HTTPReply {
        let methods = Router.methods(for: ex.req.path)
        guard !methods.isEmpty else {
            return oktaError(OktaAPIError.notFound("Resource not found: \(ex.req.path) (Path)"))
        }
        var r = HTTPReply.empty(204)
        guard let origin = corsOrigin(ex.req) else {
            r.headers.append(("Vary", "Origin"))
            return r
        }
        let requested = ex.req.header("access-control-request-headers")
        r.headers += [
            ("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Methods", (methods + ["OPTIONS"]).joined(separator: ", ")),
            (
                "Access-Control-Allow-Headers",
                requested ?? "Accept, Authorization, Content-Type, DPoP, X-Okta-User-Agent-Extended, X-Requested-With"
            ),
            ("Access-Control-Max-Age", "3600"), ("Vary", "Origin"),
        ]
        return r
    }

    // MARK: /api/v1/trustedOrigins

    func trustedOriginJSON(_ o: TrustedOrigin) -> JSON {
        let base = "\(baseURL)/api/v1/trustedOrigins/\(o.id)"
        let toggle = o.status == "ACTIVE" ? "deactivate" : "activate"
        let selfLink: (String, JSON) = ("self", ["href": .string(base), "hints": ["allow": ["GET", "PUT", "DELETE"]]])
        let toggleLink: (String, JSON) = (
            toggle, ["href": .string("\(base)/lifecycle/\(toggle)"), "hints": ["allow": ["POST"]]]
        )
        return [
            "id": .string(o.id), "name": .string(o.name), "origin": .string(o.origin),
            "scopes": .array(o.scopes.map { ["type": .string($0)] }), "status": .string(o.status),
            "created": .string(TimeFormat.isoSeconds(o.created)), "createdBy": .string(o.createdBy),
            "lastUpdated": .string(TimeFormat.isoSeconds(o.lastUpdated)), "lastUpdatedBy": .string(o.lastUpdatedBy),
            // ACTIVE: self, deactivate; INACTIVE: activate, self (okta-sdk-python cassettes test_trusted_origins_it).
            "_links": .object(o.status == "ACTIVE" ? [selfLink, toggleLink] : [toggleLink, selfLink]),
        ]
    }

    func requireTrustedOrigin(_ id: String) throws -> TrustedOrigin {
        guard let o = read({ $0.trustedOrigins[id] }) else {
            throw OktaAPIError.notFound("Resource not found: \(id) (TrustedOrigin)")
        }
        return o
    }

    /// Reads and checks a trusted origin body (name, origin, scopes) as Okta validates it.
    func trustedOriginInput(_ ex: Exchange) throws -> (name: String, origin: String, scopes: [String]) {
        let body = try bodyJSON(ex)
        var causes: [String] = []
        let name = body["name"]?.stringValue ?? ""
        if name.isEmpty { causes.append("name: The field cannot be left blank") }
        let rawOrigin = body["origin"]?.stringValue ?? ""
        let origin = TrustedOrigin.normalize(rawOrigin)
        if rawOrigin.isEmpty {
            causes.append("origin: The field cannot be left blank")
        } else if origin == nil {
            causes.append("origin: Origin value is not valid")  // okta-developer-docs trusted-origins reference
        }
        let types = body["scopes"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
        if types.isEmpty { causes.append("scopes: The field cannot be left blank") }
        for t in types where !["CORS", "REDIRECT", "IFRAME_EMBED"].contains(t) {
            causes.append("scopes: '\(t)' is not a valid scope type (CORS, REDIRECT, IFRAME_EMBED).")
        }
        if let first = causes.first {
            throw OktaAPIError(
                400, "E0000001", "Api validation failed: \(first.split(separator: ":")[0])", causes: causes)
        }
        return (name, origin!, Array(Set(types)).sorted())
    }

    func listTrustedOrigins(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let limit = try limitParam(ex, default: 20, max: 200)
        var all = read { t in t.trustedOriginOrder.compactMap { t.trustedOrigins[$0] } }
        if let q = ex.req.queryValue("q")?.lowercased(), !q.isEmpty {
            all = all.filter { $0.name.lowercased().hasPrefix(q) || $0.origin.lowercased().contains(q) }
        }
        if let f = ex.req.queryValue("filter") {
            let expr: FilterExpr
            do { expr = try FilterExpr.parse(f) } catch let e as FilterExpr.ParseError {
                throw OktaAPIError.invalidSearch(e.message)
            }
            all = all.filter { o in
                expr.evaluate { attr in
                    switch attr {
                    case "id": return .string(o.id)
                    case "name": return .string(o.name)
                    case "origin": return .string(o.origin)
                    case "status": return .string(o.status)
                    default: return nil
                    }
                }
            }
        }
        let (page, next) = try pageOf(all, ex, limit: limit, id: \.id)
        return .json(200, .array(page.map(trustedOriginJSON)), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func getTrustedOrigin(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        return .json(200, trustedOriginJSON(try requireTrustedOrigin(id)))
    }

    func createTrustedOrigin(_ ex: Exchange) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let input = try trustedOriginInput(ex)
        let who = caller.user?.id ?? "unknown"
        let o = TrustedOrigin(
            id: ids.oktaID("tos"), name: input.name, origin: input.origin, scopes: input.scopes, status: "ACTIVE",
            created: ex.now, createdBy: who, lastUpdated: ex.now, lastUpdatedBy: who)
        try mutate { t, d in
            if t.trustedOrigins.values.contains(where: { $0.origin == o.origin }) { throw MockOkta.duplicateOrigin }
            if t.trustedOrigins.values.contains(where: { $0.name == o.name }) { throw MockOkta.duplicateOriginName }
            t.trustedOrigins[o.id] = o
            t.trustedOriginOrder.append(o.id)
            d.origins.insert(o.id)
            d.misc = true
        }
        logEvent(
            .trustedOriginCreate, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [originActor(o)], ex: ex)
        return .json(200, trustedOriginJSON(o))
    }

    static let duplicateOrigin = OktaAPIError(
        400, "E0000001", "Api validation failed: origin",
        causes: ["origin: An object with this field already exists in the current organization"])

    static let duplicateOriginName = OktaAPIError(
        400, "E0000001", "Api validation failed: name",
        causes: ["name: An object with this field already exists in the current organization"])

    func originActor(_ o: TrustedOrigin) -> SystemLog.Actor {
        SystemLog.Actor(id: o.id, type: "TrustedOrigin", alternateId: o.origin, displayName: o.name)
    }

    func replaceTrustedOrigin(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        _ = try requireTrustedOrigin(id)
        let input = try trustedOriginInput(ex)
        let o = try updateTrustedOrigin(id, ex, caller) { o, t in
            if t.trustedOrigins.values.contains(where: { $0.id != id && $0.origin == input.origin }) {
                throw MockOkta.duplicateOrigin
            }
            if t.trustedOrigins.values.contains(where: { $0.id != id && $0.name == input.name }) {
                throw MockOkta.duplicateOriginName
            }
            o.name = input.name
            o.origin = input.origin
            o.scopes = input.scopes
        }
        logEvent(
            .trustedOriginUpdate, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [originActor(o)], ex: ex)
        return .json(200, trustedOriginJSON(o))
    }

    /// Changes one trusted origin under the tenant lock (it may have been deleted since it was looked up) and
    /// stamps who changed it and when.
    func updateTrustedOrigin(
        _ id: String, _ ex: Exchange, _ caller: Caller, _ change: (inout TrustedOrigin, TenantData) throws -> Void
    ) throws -> TrustedOrigin {
        try mutate { t, d in
            guard var o = t.trustedOrigins[id] else {
                throw OktaAPIError.notFound("Resource not found: \(id) (TrustedOrigin)")
            }
            try change(&o, t)
            o.lastUpdated = ex.now
            o.lastUpdatedBy = caller.user?.id ?? "unknown"
            t.trustedOrigins[id] = o
            d.origins.insert(id)
            return o
        }
    }

    func trustedOriginLifecycle(_ ex: Exchange, _ id: String, _ op: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        guard op == "activate" || op == "deactivate" else {
            throw OktaAPIError.notFound("Resource not found: \(ex.req.path) (Path)")
        }
        _ = try requireTrustedOrigin(id)
        let o = try updateTrustedOrigin(id, ex, caller) { o, _ in o.status = op == "activate" ? "ACTIVE" : "INACTIVE" }
        logEvent(
            op == "activate" ? .trustedOriginActivate : .trustedOriginDeactivate,
            actor: caller.user.map(actor(user:)) ?? .unknown, targets: [originActor(o)], ex: ex)
        return .json(200, trustedOriginJSON(o))
    }

    func deleteTrustedOrigin(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let o = try requireTrustedOrigin(id)
        try mutate { t, d in
            t.trustedOrigins[id] = nil
            t.trustedOriginOrder.removeAll { $0 == id }
            d.origins.insert(id)
            d.misc = true
        }
        logEvent(
            .trustedOriginDelete, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [originActor(o)], ex: ex)
        return .empty(204)
    }
}
