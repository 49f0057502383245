import FoundationEssentials

struct Caller {
    var user: User?
    var scopes: [String]?  // nil for SSWS (admin roles decide)
    /// The admin roles the caller's user holds at the time of the call (directly or through groups).
    var roles: Set<AdminRole>
}

extension MockOkta {
    // MARK: who may call

    static func requiredScope(_ path: String, write: Bool) -> String {
        let parts = path.split(separator: "/")
        let family = permission(path, write: write).family
        switch family {
        case "roles": return write ? "okta.roles.manage" : "okta.roles.read"
        case "grants": return write ? "okta.apps.manage" : "okta.apps.read"
        case "users": return write ? "okta.users.manage" : "okta.users.read"
        case "groups": return write ? "okta.groups.manage" : "okta.groups.read"
        case "apps": return write ? "okta.apps.manage" : "okta.apps.read"
        case "logs": return "okta.logs.read"
        case "zones": return write ? "okta.networkZones.manage" : "okta.networkZones.read"
        case "meta":
            // /api/v1/meta/schemas/… and /api/v1/meta/types/… (Okta's okta.schemas.* and okta.userTypes.* scopes).
            let kind = parts.count > 3 && parts[3] == "types" ? "userTypes" : "schemas"
            return write ? "okta.\(kind).manage" : "okta.\(kind).read"
        case "authorizationServers":
            return write ? "okta.authorizationServers.manage" : "okta.authorizationServers.read"
        default: return write ? "okta.\(family).manage" : "okta.\(family).read"
        }
    }

    /// The System Log actor for the app a token's `cid` names, if it exists.
    func clientActor(_ clientId: String?) -> SystemLog.Actor? {
        clientId.flatMap { c in read { $0.apps[c] } }.map(actor(app:))
    }

    /// The mock-only System Log event for a refused call (Okta's catalogue has none; see `EventType.requestDenied`).
    func denyLog(_ ex: Exchange, reason: String, actor: SystemLog.Actor? = nil) {
        logEvent(.requestDenied, actor: actor ?? .unknown, result: "FAILURE", reason: reason, ex: ex)
    }

    /// Authenticates a Management API call as Okta does (okta-contract.md §3).
    func authorizeAPI(_ ex: Exchange, write: Bool? = nil, anyValidToken: Bool = false) throws -> Caller {
        let isWrite = write ?? (ex.req.method != "GET")
        guard let header = ex.req.header("authorization"), !header.trimmingWhitespace().isEmpty else {
            denyLog(ex, reason: "INVALID_SESSION: no Authorization header")
            throw OktaAPIError.invalidSession
        }
        if let raw = MockOkta.credential(header, scheme: "SSWS") {
            return try authorizeSSWS(ex, raw, isWrite: isWrite, anyValidToken: anyValidToken)
        }
        if let raw = MockOkta.credential(header, scheme: "Bearer") {
            return try authorizeBearer(ex, raw, scheme: "Bearer", isWrite: isWrite, anyValidToken: anyValidToken)
        }
        if let raw = MockOkta.credential(header, scheme: "DPoP") {
            return try authorizeBearer(ex, raw, scheme: "DPoP", isWrite: isWrite, anyValidToken: anyValidToken)
        }
        denyLog(ex, reason: "Unsupported Authorization scheme")
        throw OktaAPIError.invalidToken
    }

    func authorizeSSWS(_ ex: Exchange, _ raw: String, isWrite: Bool, anyValidToken: Bool) throws -> Caller {
        let hash = hashSecret(raw)
        let found = read { t -> (APIToken, User?)? in
            guard let tok = t.apiTokens.values.first(where: { $0.valueHash == hash }) else { return nil }
            return (tok, t.users[tok.userId])
        }
        if let f = found { ex.apiTokenId = f.0.id }
        let tokenActor = found.map {
            SystemLog.Actor(id: $0.0.id, type: "Token", alternateId: $0.0.name, displayName: $0.0.name)
        }
        guard let (tok, user) = found, !tok.revoked, let user, user.status != .DEPROVISIONED, user.status != .SUSPENDED
        else {
            let reason =
                found == nil
                ? "Unknown API token" : (found!.0.revoked ? "API token revoked" : "API token owner is not active")
            denyLog(ex, reason: reason, actor: tokenActor)
            throw OktaAPIError.invalidToken
        }
        let roles = read { $0.effectiveRoles(userId: user.id) }
        if !anyValidToken { try checkRoles(ex, user, roles, isWrite: isWrite) }
        _ = tok
        return Caller(user: user, scopes: nil, roles: roles)
    }

    func authorizeBearer(_ ex: Exchange, _ raw: String, scheme: String, isWrite: Bool, anyValidToken: Bool) throws
        -> Caller
    {
        switch validateAccessToken(raw, serverId: "org", now: ex.now) {
        case .failure(let p):
            denyLog(
                ex, reason: "Access token rejected: \(p.description)",
                actor: clientActor(DecodedJWT(raw)?.claims["cid"]?.stringValue))
            // Okta answers an invalid Bearer token with 401, an empty body and the header (okta-sdk-java issue 879);
            // the tenant setting `bearerErrorBody: "json"` gives the E0000011 body instead.
            let challenge =
                "Bearer authorization_uri=\"\(baseURL)/oauth2/v1/authorize\", realm=\"\(baseURL)\", "
                + "error=\"invalid_token\", error_description=\"\(p.description)\", resource=\"\(ex.req.path)\""
            if read({ $0.bearerErrorJSON }) {
                var e = OktaAPIError.invalidToken
                e.headers = [("WWW-Authenticate", challenge)]
                throw e
            }
            throw EmptyBodyRefusal(
                error: OktaAPIError(401, "E0000011", "Invalid token provided").withHeaders([
                    ("WWW-Authenticate", challenge)
                ]))
        case .success(let jwt):
            try checkDPoPUse(ex, jwt, raw: raw, scheme: scheme)
            // The user's roles once: the role check and the caller share them.
            let user = jwt.claims["uid"]?.stringValue.flatMap { uid in read { $0.users[uid] } }
            let roles = user.map { u in read { $0.effectiveRoles(userId: u.id) } } ?? []
            let scopes = jwt.claims["scp"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if !anyValidToken {
                let need = MockOkta.requiredScope(ex.req.path, write: isWrite)
                // okta.X.manage implies okta.X.read
                let ok =
                    scopes.contains(need)
                    || (need.hasSuffix(".read")
                        && scopes.contains(need.replacing(".read", with: ".manage")))
                guard ok else {
                    denyLog(
                        ex, reason: "insufficient_scope: \(need)", actor: clientActor(jwt.claims["cid"]?.stringValue))
                    let challenge =
                        "Bearer authorization_uri=\"\(baseURL)/oauth2/v1/authorize\", realm=\"\(baseURL)\", "
                        + "scope=\"\(need)\", error=\"insufficient_scope\", error_description=\"The access "
                        + "token provided does not contain the required scopes.\", resource=\"\(ex.req.path)\""
                    throw EmptyBodyRefusal(error: OktaAPIError.forbidden.withHeaders([("WWW-Authenticate", challenge)]))
                }
                if let u = user { try checkRoles(ex, u, roles, isWrite: isWrite) }
            }
            return Caller(user: user, scopes: scopes, roles: roles)
        }
    }

    /// The caller's admin roles must allow the call (Okta's 403 E0000006 otherwise), as they are now: a role
    /// unassigned mid-run is gone on the next request.
    func checkRoles(_ ex: Exchange, _ user: User, _ roles: Set<AdminRole>, isWrite: Bool) throws {
        if roles.isEmpty {
            denyLog(ex, reason: "NO_ADMIN_ROLE", actor: actor(user: user))
            throw OktaAPIError.forbidden
        }
        let need = MockOkta.permission(ex.req.path, write: isWrite)
        guard MockOkta.permits(roles, need) else {
            let held = roles.map(\.rawValue).sorted().joined(separator: ",")
            let reason = roles == [.readOnlyAdmin] && isWrite ? "READ_ONLY_ADMIN" : "ROLE_NOT_PERMITTED: \(held)"
            denyLog(ex, reason: reason, actor: actor(user: user))
            throw OktaAPIError.forbidden
        }
    }

    // MARK: paging

    func limitParam(_ ex: Exchange, default d: Int, max m: Int) throws -> Int {
        guard let s = ex.req.queryValue("limit") else { return d }
        guard let n = Int(s), n >= 0 else {
            throw OktaAPIError.validation("limit", "Limit must be a positive integer.")
        }
        return min(max(n, 1), m)
    }

    /// Two link headers, self first then next, as Okta sends them (the Python SDK keeps the last one).
    func linkHeaders(_ ex: Exchange, next: String?, limit: Int) -> [(String, String)] {
        var keep = ex.req.query.filter { $0.0 != "after" }
        func q(_ items: [(String, String)]) -> String {
            items.isEmpty
                ? ""
                : "?"
                    + items.map { "\($0.0)=\($0.1.percentEncoded(keeping: "!$'()*,-./:;?@_~"))" }.joined(
                        separator: "&")
        }
        // Okta's self link names the limit it applied, also when the request gave none (okta-sdk-python cassettes).
        let selfQuery =
            ex.req.query.contains { $0.0 == "limit" } ? ex.req.query : [("limit", String(limit))] + ex.req.query
        var out = [("Link", "<\(baseURL)\(ex.req.path)\(q(selfQuery))>; rel=\"self\"")]
        if let next {
            if !keep.contains(where: { $0.0 == "limit" }) { keep.append(("limit", String(limit))) }
            out.append(("Link", "<\(baseURL)\(ex.req.path)\(q([("after", next)] + keep))>; rel=\"next\""))
        }
        return out
    }

    /// One page of `items` after the `after` cursor (an item id); an unknown cursor is Okta's 400 E0000029.
    func pageOf<T>(_ items: [T], _ ex: Exchange, limit: Int, id: (T) -> String) throws -> ([T], String?) {
        var start = 0
        if let after = ex.req.queryValue("after") {
            guard let i = items.firstIndex(where: { id($0) == after }) else { throw OktaAPIError.badCursor }
            start = i + 1
        }
        let page = Array(items.dropFirst(start).prefix(limit))
        let next = start + page.count < items.count ? page.last.map(id) : nil
        return (page, next)
    }
}

/// A refusal Okta sends with an empty body and a WWW-Authenticate header: a missing scope (403) or an invalid
/// Bearer token (401). Only `status` and `headers` of `error` reach the wire.
struct EmptyBodyRefusal: Error {
    var error: OktaAPIError
}

extension OktaAPIError {
    func withHeaders(_ h: [(String, String)]) -> OktaAPIError {
        var e = self
        e.headers = h
        return e
    }
}
