import Foundation

struct Caller {
    var user: User?
    var scopes: [String]?  // nil for SSWS (admin role decides)
    var role: AdminRole?
}

extension MockOkta {
    // MARK: who may call

    static func requiredScope(_ path: String, write: Bool) -> String {
        let parts = path.split(separator: "/")
        let family = parts.count > 2 ? String(parts[2]) : ""
        switch family {
        case "users": return write ? "okta.users.manage" : "okta.users.read"
        case "groups": return write ? "okta.groups.manage" : "okta.groups.read"
        case "apps": return write ? "okta.apps.manage" : "okta.apps.read"
        case "logs": return "okta.logs.read"
        case "authorizationServers": return write ? "okta.authorizationServers.manage" : "okta.authorizationServers.read"
        default: return write ? "okta.\(family).manage" : "okta.\(family).read"
        }
    }

    func denyLog(_ ex: Exchange, _ type: String, _ legacy: String?, _ message: String, reason: String, actor: SystemLog.Actor? = nil) {
        logEvent(type, legacy: legacy, message, actor: actor ?? .unknown, result: "FAILURE", reason: reason, ex: ex)
    }

    /// The System Log actor for the app a token's `cid` names, if it exists.
    func clientActor(_ clientId: String?) -> SystemLog.Actor? {
        clientId.flatMap { c in read { $0.apps[c] } }.map(actor(app:))
    }

    /// Authenticates a Management API call as Okta does (okta-contract.md §3).
    func authorizeAPI(_ ex: Exchange, write: Bool? = nil, anyValidToken: Bool = false) throws -> Caller {
        let isWrite = write ?? (ex.req.method != "GET")
        guard let header = ex.req.header("authorization"), !header.trimmingCharacters(in: .whitespaces).isEmpty else {
            denyLog(ex, "user.authentication.auth", "core.user_auth.login_failed", "Request without credentials", reason: "INVALID_SESSION")
            throw OktaAPIError.invalidSession
        }
        if let raw = MockOkta.credential(header, scheme: "SSWS") {
            let hash = hashSecret(raw)
            let found = read { t -> (APIToken, User?)? in
                guard let tok = t.apiTokens.values.first(where: { $0.valueHash == hash }) else { return nil }
                return (tok, t.users[tok.userId])
            }
            guard let (tok, user) = found, !tok.revoked, let user, user.status != .DEPROVISIONED, user.status != .SUSPENDED else {
                let reason = found == nil ? "Unknown API token" : (found!.0.revoked ? "API token revoked" : "API token owner is not active")
                if let f = found { ex.apiTokenId = f.0.id }
                denyLog(ex, "system.api_token.invalid_token", "api.token.invalid", "Invalid API token used", reason: reason,
                        actor: found.map { SystemLog.Actor(id: $0.0.id, type: "Token", alternateId: $0.0.name, displayName: $0.0.name) })
                throw OktaAPIError.invalidToken
            }
            ex.apiTokenId = tok.id
            if !anyValidToken {
                guard let role = user.adminRole else {
                    denyLog(ex, "system.operation.permission.denied", nil, "Permission denied", reason: "NO_ADMIN_ROLE", actor: actor(user: user))
                    throw OktaAPIError.forbidden
                }
                if isWrite && role == .readOnlyAdmin {
                    denyLog(ex, "system.operation.permission.denied", nil, "Permission denied", reason: "READ_ONLY_ADMIN", actor: actor(user: user))
                    throw OktaAPIError.forbidden
                }
            }
            return Caller(user: user, scopes: nil, role: user.adminRole)
        }
        if let raw = MockOkta.credential(header, scheme: "Bearer") ?? MockOkta.credential(header, scheme: "DPoP") {
            switch validateAccessToken(raw, serverId: "org", now: ex.now) {
            case .failure(let p):
                denyLog(ex, "app.oauth2.resource.access", nil, "Access token rejected", reason: p.description,
                        actor: clientActor(DecodedJWT(raw)?.claims["cid"]?.stringValue))
                var e = OktaAPIError.invalidToken
                e.headers = [("WWW-Authenticate", "Bearer authorization_uri=\"\(baseURL)/oauth2/v1/authorize\", realm=\"\(baseURL)\", error=\"invalid_token\", error_description=\"\(p.description)\", resource=\"\(ex.req.path)\"")]
                throw e
            case .success(let jwt):
                let scopes = jwt.claims["scp"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let user = jwt.claims["uid"]?.stringValue.flatMap { uid in read { $0.users[uid] } }
                if !anyValidToken {
                    let need = MockOkta.requiredScope(ex.req.path, write: isWrite)
                    // okta.X.manage implies okta.X.read
                    let ok = scopes.contains(need) || (need.hasSuffix(".read") && scopes.contains(need.replacingOccurrences(of: ".read", with: ".manage")))
                    guard ok else {
                        denyLog(ex, "app.oauth2.resource.access", nil, "Access token lacks a required scope", reason: "insufficient_scope: \(need)",
                                actor: clientActor(jwt.claims["cid"]?.stringValue))
                        var e = OktaAPIError(403, "E0000006", "You do not have permission to perform the requested action")
                        e.headers = [("WWW-Authenticate", "Bearer authorization_uri=\"\(baseURL)/oauth2/v1/authorize\", realm=\"\(baseURL)\", scope=\"\(need)\", error=\"insufficient_scope\", error_description=\"The access token provided does not contain the required scopes.\", resource=\"\(ex.req.path)\"")]
                        throw InsufficientScope(error: e)
                    }
                    if let u = user, u.adminRole == nil {
                        throw OktaAPIError.forbidden
                    }
                    if let u = user, isWrite, u.adminRole == .readOnlyAdmin { throw OktaAPIError.forbidden }
                }
                return Caller(user: user, scopes: scopes, role: user?.adminRole)
            }
        }
        denyLog(ex, "system.api_token.invalid_token", "api.token.invalid", "Unrecognised Authorization header", reason: "Unsupported scheme")
        throw OktaAPIError.invalidToken
    }

    // MARK: JSON shapes

    func userJSON(_ u: User) -> JSON {
        func ts(_ t: Double?) -> JSON { t.map { .string(TimeFormat.iso($0)) } ?? .null }
        var creds: [(String, JSON)] = []
        if u.password != nil { creds.append(("password", [:])) }
        creds.append(("emails", [["value": JSON(u.profile["email"]?.stringValue), "status": "VERIFIED", "type": "PRIMARY"]]))
        creds.append(("provider", ["type": "OKTA", "name": "OKTA"]))
        let transitioning: JSON = nil
        return [
            "id": .string(u.id), "status": .string(u.status.rawValue), "created": ts(u.created), "activated": ts(u.activated),
            "statusChanged": ts(u.statusChanged), "lastLogin": ts(u.lastLogin), "lastUpdated": ts(u.lastUpdated),
            "passwordChanged": ts(u.passwordChanged), "type": ["id": .string(userTypeId)],
            "transitioningToStatus": transitioning, "profile": u.profile, "credentials": .object(creds),
            "_links": ["self": ["href": .string("\(baseURL)/api/v1/users/\(u.id)")]],
        ]
    }

    func groupJSON(_ g: Group) -> JSON {
        [
            "id": .string(g.id), "created": .string(TimeFormat.iso(g.created)), "lastUpdated": .string(TimeFormat.iso(g.lastUpdated)),
            "lastMembershipUpdated": .string(TimeFormat.iso(g.lastMembershipUpdated)), "objectClass": ["okta:user_group"],
            "type": .string(g.type.rawValue), "profile": ["name": .string(g.name), "description": JSON(g.description)],
            "_links": [
                "logo": [["name": "medium", "href": "https://op1static.oktacdn.com/assets/img/logos/groups/okta-medium.png", "type": "image/png"]],
                "users": ["href": .string("\(baseURL)/api/v1/groups/\(g.id)/users")],
                "apps": ["href": .string("\(baseURL)/api/v1/groups/\(g.id)/apps")],
            ],
        ]
    }

    func appJSON(_ a: App) -> JSON {
        let responseTypes: [String] = a.grantTypes.contains("authorization_code") ? ["code"] : ["token"]
        return [
            "id": .string(a.id), "name": "oidc_client", "label": .string(a.label), "status": .string(a.status),
            "lastUpdated": .string(TimeFormat.iso(a.lastUpdated)), "created": .string(TimeFormat.iso(a.created)),
            "signOnMode": "OPENID_CONNECT",
            "credentials": ["userNameTemplate": ["template": "${source.login}", "type": "BUILT_IN"],
                            "oauthClient": ["autoKeyRotation": true, "client_id": .string(a.id),
                                            "token_endpoint_auth_method": .string(a.tokenEndpointAuthMethod)]],
            "settings": ["oauthClient": ["redirect_uris": JSON(a.redirectURIs), "post_logout_redirect_uris": JSON(a.postLogoutRedirectURIs),
                                         "response_types": JSON(responseTypes), "grant_types": JSON(a.grantTypes),
                                         "application_type": .string(a.kind == .service ? "service" : a.kind.rawValue)]],
            "_links": ["users": ["href": .string("\(baseURL)/api/v1/apps/\(a.id)/users")],
                       "groups": ["href": .string("\(baseURL)/api/v1/apps/\(a.id)/groups")],
                       "self": ["href": .string("\(baseURL)/api/v1/apps/\(a.id)")]],
        ]
    }

    func appUserJSON(_ a: App, _ u: User, scope: String) -> JSON {
        [
            "id": .string(u.id), "externalId": nil, "created": .string(TimeFormat.iso(a.created)),
            "lastUpdated": .string(TimeFormat.iso(a.lastUpdated)), "scope": .string(scope), "status": "ACTIVE",
            "statusChanged": .string(TimeFormat.iso(a.lastUpdated)), "passwordChanged": nil, "syncState": "DISABLED",
            "credentials": ["userName": .string(u.login)], "profile": [:],
            "_links": ["app": ["href": .string("\(baseURL)/api/v1/apps/\(a.id)")], "user": ["href": .string("\(baseURL)/api/v1/users/\(u.id)")]],
        ]
    }

    // MARK: paging

    func limitParam(_ ex: Exchange, default d: Int, max m: Int) throws -> Int {
        guard let s = ex.req.queryValue("limit") else { return d }
        guard let n = Int(s), n >= 0 else { throw OktaAPIError.validation("limit", "Limit must be a positive integer.") }
        return min(max(n, 1), m)
    }

    /// Two link headers, self first then next, as Okta sends them (the Python SDK keeps the last one).
    func linkHeaders(_ ex: Exchange, next: String?, limit: Int) -> [(String, String)] {
        var keep = ex.req.query.filter { $0.0 != "after" }
        var enc = CharacterSet.urlQueryAllowed
        enc.remove(charactersIn: "&=+\"")
        func q(_ items: [(String, String)]) -> String {
            items.isEmpty ? "" : "?" + items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: enc) ?? $0.1)" }.joined(separator: "&")
        }
        var out = [("Link", "<\(baseURL)\(ex.req.path)\(q(ex.req.query))>; rel=\"self\"")]
        if let next {
            if !keep.contains(where: { $0.0 == "limit" }) { keep.append(("limit", String(limit))) }
            out.append(("Link", "<\(baseURL)\(ex.req.path)\(q([("after", next)] + keep))>; rel=\"next\""))
        }
        return out
    }

    // MARK: users

    func userAttribute(_ u: User, _ attr: String, typeId: String) -> JSON? {
        switch attr {
        case "id": return .string(u.id)
        case "status": return .string(u.status.rawValue)
        case "created": return .string(TimeFormat.iso(u.created))
        case "lastUpdated": return .string(TimeFormat.iso(u.lastUpdated))
        case "activated": return u.activated.map { .string(TimeFormat.iso($0)) }
        case "statusChanged": return u.statusChanged.map { .string(TimeFormat.iso($0)) }
        case "lastLogin": return u.lastLogin.map { .string(TimeFormat.iso($0)) }
        case "passwordChanged": return u.passwordChanged.map { .string(TimeFormat.iso($0)) }
        case "type.id": return .string(typeId)
        default:
            if attr.hasPrefix("profile.") { return u.profile[String(attr.dropFirst(8))] }
            return nil
        }
    }

    func listUsers(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let limit = try limitParam(ex, default: 200, max: 200)
        // Computed before taking the tenant lock: predicates run under it and must not re-enter it.
        let typeId = userTypeId
        var predicate: ((User) -> Bool)? = nil
        if let f = ex.req.queryValue("filter") {
            let expr: FilterExpr
            do { expr = try FilterExpr.parse(f) } catch let e as FilterExpr.ParseError { throw OktaAPIError.invalidSearch(e.message) }
            let allowed = ["status", "lastUpdated", "id", "profile.login", "profile.email", "profile.firstName", "profile.lastName", "created", "type.id"]
            for a in expr.attributes where !allowed.contains(a) {
                throw OktaAPIError.invalidSearch("Filtering on '\(a)' is not supported; use 'search' for profile attributes.")
            }
            predicate = { u in expr.evaluate { self.userAttribute(u, $0, typeId: typeId) } }
        } else if let s = ex.req.queryValue("search") {
            let expr: FilterExpr
            do { expr = try FilterExpr.parse(s) } catch let e as FilterExpr.ParseError { throw OktaAPIError.invalidSearch(e.message) }
            predicate = { u in expr.evaluate { self.userAttribute(u, $0, typeId: typeId) } }
        } else if let q = ex.req.queryValue("q")?.lowercased(), !q.isEmpty {
            // `q`: startsWith on names and email, DEPROVISIONED users left out, default limit 10, no paging (§5.1).
            let matches: (User) -> Bool = { u in
                u.status != .DEPROVISIONED
                    && ["firstName", "lastName", "email", "login"].contains { u.profile[$0]?.stringValue?.lowercased().hasPrefix(q) ?? false }
            }
            let qLimit = try limitParam(ex, default: 10, max: 200)
            let all = read { t in t.userOrder.lazy.compactMap { t.users[$0] }.filter(matches).prefix(qLimit) }
            return .json(200, .array(all.map(userJSON)), headers: linkHeaders(ex, next: nil, limit: qLimit))
        }
        let after = ex.req.queryValue("after")
        if let a = after, read({ $0.users[a] == nil }) { throw OktaAPIError.badCursor }
        let (page, next): ([User], String?) = read { t in
            var i = after.map { t.userOrder.insertionIndex(of: $0) } ?? 0
            if let a = after, i < t.userOrder.count, t.userOrder[i] == a { i += 1 }
            var out: [User] = []
            var next: String? = nil
            while i < t.userOrder.count {
                let u = t.users[t.userOrder[i]]!
                i += 1
                // Without a filter, Okta's list omits DEPROVISIONED users.
                if predicate == nil && u.status == .DEPROVISIONED { continue }
                if let p = predicate, !p(u) { continue }
                if out.count == limit { next = out.last?.id; break }
                out.append(u)
            }
            return (out, next)
        }
        return .json(200, .array(page.map(userJSON)), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func requireUser(_ idOrLogin: String) throws -> User {
        guard let u = read({ $0.user(idOrLogin: idOrLogin) }) else {
            throw OktaAPIError.notFound("Resource not found: \(idOrLogin) (User)")
        }
        return u
    }

    func me(_ ex: Exchange) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: false, anyValidToken: true)
        guard let u = caller.user else { throw OktaAPIError.notFound("Resource not found: me (User)") }
        return .json(200, userJSON(u))
    }

    func getUser(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        return .json(200, userJSON(try requireUser(id)))
    }

    func bodyJSON(_ ex: Exchange) throws -> JSON {
        if ex.req.body.isEmpty { return .object([]) }
        guard let j = try? JSONParser.parse(bytes: ex.req.body), case .object = j else { throw OktaAPIError.malformedBody }
        return j
    }

    func createUser(_ ex: Exchange) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let body = try bodyJSON(ex)
        guard case .object(let profile)? = body["profile"] else { throw OktaAPIError.validation("profile", "The field cannot be left blank") }
        var causes: [String] = []
        for f in ["login", "firstName", "lastName", "email"] where (body["profile"]?[f]?.stringValue ?? "").isEmpty {
            causes.append("\(f): The field cannot be left blank")
        }
        if let login = body["profile"]?["login"]?.stringValue, !login.isEmpty, !login.contains("@") {
            causes.append("login: Username must be in the form of an email address")
        }
        if !causes.isEmpty {
            throw OktaAPIError(400, "E0000001", "Api validation failed: \(causes[0].split(separator: ":")[0])", causes: causes)
        }
        let login = body["profile"]!["login"]!.stringValue!
        let activate = (ex.req.queryValue("activate") ?? "true") != "false"
        let password = body["credentials"]?["password"]?["value"]?.stringValue
        let now = ex.now
        var fullProfile: [(String, JSON)] = [("firstName", nil), ("lastName", nil), ("mobilePhone", nil), ("secondEmail", nil), ("login", nil), ("email", nil)]
        for (k, v) in profile {
            if let i = fullProfile.firstIndex(where: { $0.0 == k }) { fullProfile[i].1 = v } else { fullProfile.append((k, v)) }
        }
        let status: UserStatus = !activate ? .STAGED : (password == nil ? .PROVISIONED : .ACTIVE)
        let u = User(id: ids.oktaID("00u"), status: status, created: now, activated: activate ? now : nil, statusChanged: activate ? now : nil,
                     lastLogin: nil, lastUpdated: now, passwordChanged: password == nil ? nil : now, profile: .object(fullProfile),
                     password: password, adminRole: nil)
        var groupIds = body["groupIds"]?.arrayValue?.compactMap(\.stringValue) ?? []
        try mutate { t, d in
            // Checked under the same lock as the insert, so two concurrent creates cannot both pass.
            if t.user(idOrLogin: login) != nil { throw OktaAPIError.loginExists }
            t.putUser(u)
            d.users.insert(u.id)
            if let e = t.groupOrder.first(where: { t.groups[$0]?.type == .BUILT_IN }) { groupIds.append(e) }
            for g in groupIds where t.groups[g] != nil {
                t.groups[g]!.members.append(u.id)
                d.groups.insert(g)
            }
        }
        logEvent("user.lifecycle.create", legacy: "core.user.config.user_creation.success", "Create Okta user",
                 actor: caller.user.map(actor(user:)) ?? .unknown, targets: [actor(user: u)], ex: ex)
        if activate {
            logEvent("user.lifecycle.activate", "Activate Okta user", actor: caller.user.map(actor(user:)) ?? .unknown, targets: [actor(user: u)], ex: ex)
        }
        return .json(200, userJSON(u))
    }

    func updateUser(_ ex: Exchange, _ id: String, replace: Bool) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        _ = try requireUser(id)
        let body = try bodyJSON(ex)
        let u: User = try mutate { t, d in
            guard let existing = t.user(idOrLogin: id) else { throw OktaAPIError.notFound("Resource not found: \(id) (User)") }
            var u = existing
            if let p = body["profile"]?.objectValue {
                if replace {
                    u.profile = .object(p)
                    if u.profile["login"] == nil { u.profile = u.profile.setting("login", .string(existing.login)) }
                } else {
                    for (k, v) in p { u.profile = u.profile.setting(k, v) }
                }
            }
            if let newLogin = u.profile["login"]?.stringValue, newLogin.lowercased() != existing.login.lowercased(),
                t.user(idOrLogin: newLogin) != nil
            {
                throw OktaAPIError.loginExists
            }
            if let pw = body["credentials"]?["password"]?["value"]?.stringValue {
                u.password = pw
                u.passwordChanged = ex.now
            }
            u.lastUpdated = ex.now
            t.putUser(u)
            d.users.insert(u.id)
            return u
        }
        logEvent("user.account.update_profile", "Update user profile for Okta", actor: actor(user: u), targets: [actor(user: u)], ex: ex)
        return .json(200, userJSON(u))
    }

    /// Moves a user to the status `decide` picks from the user as it is now, under the tenant lock, so a
    /// concurrent change is never overwritten by a stale copy. `decide` throws Okta's error to refuse.
    @discardableResult
    func setStatus(_ id: String, now: Double, _ decide: (User) throws -> UserStatus) throws -> User {
        try mutate { t, d in
            guard var u = t.users[id] else { throw OktaAPIError.notFound("Resource not found: \(id) (User)") }
            let s = try decide(u)
            u.status = s
            u.statusChanged = now
            u.lastUpdated = now
            if s == .ACTIVE && u.activated == nil { u.activated = now }
            t.putUser(u)
            d.users.insert(u.id)
            return u
        }
    }

    func lifecycle(_ ex: Exchange, _ id: String, _ op: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let u = try requireUser(id)
        let sendEmail = (ex.req.queryValue("sendEmail") ?? "true") != "false"
        let who = caller.user.map(actor(user:)) ?? .unknown
        func log(_ type: String, _ msg: String) { logEvent(type, msg, actor: who, targets: [actor(user: u)], ex: ex) }
        switch op {
        case "activate":
            try setStatus(u.id, now: ex.now) { u in
                guard u.status == .STAGED || u.status == .DEPROVISIONED || u.status == .PROVISIONED else {
                    throw OktaAPIError(403, "E0000016", "Activation failed because the user is already active")
                }
                return u.password == nil ? .PROVISIONED : .ACTIVE
            }
            log("user.lifecycle.activate", "Activate Okta user")
            if !sendEmail {
                let tok = tokenValues.string(20)
                return .json(200, ["activationUrl": .string("\(baseURL)/tokens/\(tok)/verify"), "activationToken": .string(tok)])
            }
            return .json(200, [:])
        case "reactivate":
            guard try requireUser(u.id).status == .PROVISIONED else {
                throw OktaAPIError(403, "E0000038", "This operation is not allowed in the user's current status.")
            }
            log("user.lifecycle.reactivate", "Reactivate Okta user")
            return .json(200, [:])
        case "deactivate":
            try setStatus(u.id, now: ex.now) { u in
                guard u.status != .DEPROVISIONED else {
                    throw OktaAPIError(400, "E0000001", "Api validation failed: user", causes: ["user: The user is already deactivated."])
                }
                return .DEPROVISIONED
            }
            log("user.lifecycle.deactivate", "Deactivate Okta user")
            return .json(200, [:])
        case "suspend":
            try setStatus(u.id, now: ex.now) { u in
                guard u.status == .ACTIVE else {
                    throw OktaAPIError(400, "E0000001", "Api validation failed: status", causes: ["status: Cannot suspend a user that is not active"])
                }
                return .SUSPENDED
            }
            log("user.lifecycle.suspend", "Suspend Okta user")
            return .json(200, [:])
        case "unsuspend":
            try setStatus(u.id, now: ex.now) { u in
                guard u.status == .SUSPENDED else {
                    throw OktaAPIError(400, "E0000001", "Api validation failed: status", causes: ["status: Cannot unsuspend a user that is not suspended"])
                }
                return .ACTIVE
            }
            log("user.lifecycle.unsuspend", "Unsuspend Okta user")
            return .json(200, [:])
        case "unlock":
            try setStatus(u.id, now: ex.now) { u in
                guard u.status == .LOCKED_OUT else {
                    throw OktaAPIError(403, "E0000032", "Unlock is not allowed for this user.", causes: ["The user is not locked out."])
                }
                return .ACTIVE
            }
            log("user.account.unlock", "Unlock user account")
            return .json(200, [:])
        case "expire_password", "expire_password_with_temp_password":
            let nu = try setStatus(u.id, now: ex.now) { _ in .PASSWORD_EXPIRED }
            log("user.password.expire", "Expire user password")
            if op == "expire_password_with_temp_password" {
                return .json(200, ["user": userJSON(nu), "tempPassword": .string(tokenValues.string(10))])
            }
            return .json(200, userJSON(nu))
        case "reset_password":
            try setStatus(u.id, now: ex.now) { _ in .RECOVERY }
            log("user.account.reset_password", "Reset user password")
            if !sendEmail {
                return .json(200, ["resetPasswordUrl": .string("\(baseURL)/reset_password/\(tokenValues.string(20))")])
            }
            return .json(200, [:])
        case "reset_factors":
            log("user.mfa.factor.reset_all", "Reset all factors for user")
            return .json(200, [:])
        default:
            throw OktaAPIError.notFound("Resource not found: \(op) (Lifecycle operation)")
        }
    }

    func deleteUser(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let u = try requireUser(id)
        let who = caller.user.map(actor(user:)) ?? .unknown
        // First call deactivates, second deletes; decided under the lock from the user as it is now.
        let deactivated: Bool = try mutate { t, d in
            guard var cur = t.users[u.id] else { throw OktaAPIError.notFound("Resource not found: \(id) (User)") }
            if cur.status != .DEPROVISIONED {
                cur.status = .DEPROVISIONED
                cur.statusChanged = ex.now
                cur.lastUpdated = ex.now
                t.putUser(cur)
                d.users.insert(u.id)
                return true
            }
            t.removeUser(u.id)
            d.users.insert(u.id)
            d.groups.formUnion(t.groupOrder)
            d.apps.formUnion(t.appOrder)
            return false
        }
        if deactivated {
            logEvent("user.lifecycle.deactivate", "Deactivate Okta user", actor: who, targets: [actor(user: u)], ex: ex)
        } else {
            logEvent("user.lifecycle.delete.initiated", "Delete Okta user", actor: who, targets: [actor(user: u)], ex: ex)
        }
        return .empty(204)
    }

    func userGroups(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let u = try requireUser(id)
        return .json(200, .array(read { $0.groupsOf(userId: u.id) }.map(groupJSON)))
    }

    func userAppLinks(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let u = try requireUser(id)
        let apps = read { t in t.appOrder.compactMap { t.apps[$0] }.filter { t.isAssigned(userId: u.id, app: $0) } }
        return .json(200, .array(apps.map { a in
            ["id": .string("00a" + String(a.id.dropFirst(3))), "label": .string(a.label),
             "linkUrl": .string("\(baseURL)/home/oidc_client/\(a.id)/aln5z7uhkbM6y7bMy0g7"),
             "logoUrl": "https://op1static.oktacdn.com/assets/img/logos/default.png", "appName": "oidc_client",
             "appInstanceId": .string(a.id), "appAssignmentId": .string("0ua" + String(u.id.dropFirst(3))), "credentialsSetup": false,
             "hidden": false, "sortOrder": 0]
        }))
    }

    func clearSessions(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: true)
        _ = try requireUser(id)
        return .empty(204)
    }

    // MARK: groups

    func requireGroup(_ id: String) throws -> Group {
        guard let g = read({ $0.groups[id] }) else { throw OktaAPIError.notFound("Resource not found: \(id) (UserGroup)") }
        return g
    }

    func listGroups(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let limit = try limitParam(ex, default: 10000, max: 10000)
        var predicate: (Group) -> Bool = { _ in true }
        if let q = ex.req.queryValue("q")?.lowercased() { predicate = { $0.name.lowercased().hasPrefix(q) } }
        if let f = ex.req.queryValue("filter") ?? ex.req.queryValue("search") {
            let expr: FilterExpr
            do { expr = try FilterExpr.parse(f) } catch let e as FilterExpr.ParseError { throw OktaAPIError.invalidSearch(e.message) }
            predicate = { g in
                expr.evaluate { a in
                    switch a {
                    case "id": return .string(g.id)
                    case "type": return .string(g.type.rawValue)
                    case "lastUpdated": return .string(TimeFormat.iso(g.lastUpdated))
                    case "lastMembershipUpdated": return .string(TimeFormat.iso(g.lastMembershipUpdated))
                    case "profile.name": return .string(g.name)
                    case "profile.description": return JSON(g.description)
                    default: return nil
                    }
                }
            }
        }
        let after = ex.req.queryValue("after")
        let all = read { t in t.groupOrder.compactMap { t.groups[$0] } }.filter(predicate)
        var start = 0
        if let a = after {
            guard let i = all.firstIndex(where: { $0.id == a }) else { throw OktaAPIError.badCursor }
            start = i + 1
        }
        let page = Array(all.dropFirst(start).prefix(limit))
        let next = start + page.count < all.count ? page.last?.id : nil
        return .json(200, .array(page.map(groupJSON)), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func getGroup(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        return .json(200, groupJSON(try requireGroup(id)))
    }

    func createGroup(_ ex: Exchange) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let body = try bodyJSON(ex)
        guard let name = body["profile"]?["name"]?.stringValue, !name.isEmpty else {
            throw OktaAPIError.validation("name", "The field cannot be left blank")
        }
        if read({ t in t.groups.values.contains { $0.name.lowercased() == name.lowercased() } }) {
            throw OktaAPIError(400, "E0000001", "Api validation failed: name",
                               causes: ["name: An object with this field already exists in the current organization"])
        }
        let g = Group(id: ids.oktaID("00g"), created: ex.now, lastUpdated: ex.now, lastMembershipUpdated: ex.now, type: .OKTA_GROUP,
                      name: name, description: body["profile"]?["description"]?.stringValue, members: [])
        try mutate { t, d in
            t.groups[g.id] = g
            t.groupOrder.append(g.id)
            d.groups.insert(g.id)
            d.misc = true
        }
        logEvent("group.lifecycle.create", "Create Okta group", actor: caller.user.map(actor(user:)) ?? .unknown,
                 targets: [SystemLog.Actor(id: g.id, type: "UserGroup", alternateId: "unknown", displayName: g.name)], ex: ex)
        return .json(200, groupJSON(g))
    }

    func updateGroup(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let g0 = try requireGroup(id)
        guard g0.type == .OKTA_GROUP else { throw OktaAPIError.forbidden }
        let body = try bodyJSON(ex)
        guard let name = body["profile"]?["name"]?.stringValue, !name.isEmpty else {
            throw OktaAPIError.validation("name", "The field cannot be left blank")
        }
        let g: Group = try mutate { t, d in
            // Re-read under the lock: members added meanwhile must survive the rename.
            guard var g = t.groups[g0.id] else { throw OktaAPIError.notFound("Resource not found: \(id) (UserGroup)") }
            g.name = name
            g.description = body["profile"]?["description"]?.stringValue
            g.lastUpdated = ex.now
            t.groups[g.id] = g
            d.groups.insert(g.id)
            return g
        }
        return .json(200, groupJSON(g))
    }

    func deleteGroup(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let g = try requireGroup(id)
        guard g.type == .OKTA_GROUP else { throw OktaAPIError.forbidden }
        try mutate { t, d in
            t.groups[id] = nil
            t.groupOrder.removeAll { $0 == id }
            for aid in t.appOrder where t.apps[aid]!.assignedGroups.contains(id) {
                t.apps[aid]!.assignedGroups.removeAll { $0 == id }
                d.apps.insert(aid)
            }
            d.groups.insert(id)
            d.misc = true
        }
        logEvent("group.lifecycle.delete", "Delete Okta group", actor: caller.user.map(actor(user:)) ?? .unknown,
                 targets: [SystemLog.Actor(id: g.id, type: "UserGroup", alternateId: "unknown", displayName: g.name)], ex: ex)
        return .empty(204)
    }

    func groupMembers(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let g = try requireGroup(id)
        let limit = try limitParam(ex, default: 1000, max: 10000)
        let members = read { t in g.members.compactMap { t.users[$0] } }
        var start = 0
        if let a = ex.req.queryValue("after") {
            guard let i = members.firstIndex(where: { $0.id == a }) else { throw OktaAPIError.badCursor }
            start = i + 1
        }
        let page = Array(members.dropFirst(start).prefix(limit))
        let next = start + page.count < members.count ? page.last?.id : nil
        return .json(200, .array(page.map(userJSON)), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func groupMembership(_ ex: Exchange, _ gid: String, _ uid: String, add: Bool) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let g = try requireGroup(gid)
        let u = try requireUser(uid)
        guard g.type == .OKTA_GROUP else {
            throw OktaAPIError(403, "E0000006", "You do not have permission to perform the requested action",
                               causes: ["Only OKTA_GROUP memberships can be changed."])
        }
        try mutate { t, d in
            // The group may have been deleted since it was looked up: checked again under the lock.
            guard var cur = t.groups[g.id] else { throw OktaAPIError.notFound("Resource not found: \(gid) (UserGroup)") }
            guard t.users[u.id] != nil else { throw OktaAPIError.notFound("Resource not found: \(uid) (User)") }
            if add {
                if !cur.members.contains(u.id) { cur.members.append(u.id) }
            } else {
                cur.members.removeAll { $0 == u.id }
            }
            cur.lastMembershipUpdated = ex.now
            t.groups[g.id] = cur
            d.groups.insert(g.id)
        }
        logEvent(add ? "group.user_membership.add" : "group.user_membership.remove",
                 add ? "Add user to group membership" : "Remove user from group membership",
                 actor: caller.user.map(actor(user:)) ?? .unknown,
                 targets: [actor(user: u), SystemLog.Actor(id: g.id, type: "UserGroup", alternateId: "unknown", displayName: g.name)], ex: ex)
        return .empty(204)
    }

    // MARK: apps

    func requireApp(_ id: String) throws -> App {
        guard let a = read({ $0.apps[id] }) else { throw OktaAPIError.notFound("Resource not found: \(id) (AppInstance)") }
        return a
    }

    func listApps(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let limit = try limitParam(ex, default: 20, max: 200)
        var apps = read { t in t.appOrder.compactMap { t.apps[$0] } }
        if let q = ex.req.queryValue("q")?.lowercased() { apps = apps.filter { $0.label.lowercased().hasPrefix(q) || "oidc_client".hasPrefix(q) } }
        if let f = ex.req.queryValue("filter") {
            let expr: FilterExpr
            do { expr = try FilterExpr.parse(f) } catch let e as FilterExpr.ParseError { throw OktaAPIError.invalidSearch(e.message) }
            let tenant = read { $0 }
            apps = apps.filter { a in
                // `user.id eq "00u…"` / `group.id eq "00g…"` select the apps assigned to that user or group.
                if case .compare(let attr, "eq", .string(let v)?) = expr, attr == "user.id" { return tenant.isAssigned(userId: v, app: a) }
                if case .compare(let attr, "eq", .string(let v)?) = expr, attr == "group.id" { return a.assignedGroups.contains(v) }
                return expr.evaluate { attr in
                    switch attr {
                    case "id": return .string(a.id)
                    case "status": return .string(a.status)
                    case "name": return "oidc_client"
                    default: return nil
                    }
                }
            }
        }
        var start = 0
        if let a = ex.req.queryValue("after") {
            guard let i = apps.firstIndex(where: { $0.id == a }) else { throw OktaAPIError.badCursor }
            start = i + 1
        }
        let page = Array(apps.dropFirst(start).prefix(limit))
        let next = start + page.count < apps.count ? page.last?.id : nil
        return .json(200, .array(page.map(appJSON)), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func getApp(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        return .json(200, appJSON(try requireApp(id)))
    }

    func appUsers(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let a = try requireApp(id)
        let limit = try limitParam(ex, default: 50, max: 500)
        let users: [(User, String)] = read { t in
            var seen = Set<String>()
            var out: [(User, String)] = []
            for uid in a.assignedUsers { if let u = t.users[uid], seen.insert(uid).inserted { out.append((u, "USER")) } }
            for gid in a.assignedGroups {
                for uid in t.groups[gid]?.members ?? [] { if let u = t.users[uid], seen.insert(uid).inserted { out.append((u, "GROUP")) } }
            }
            return out
        }
        var start = 0
        if let after = ex.req.queryValue("after") {
            guard let i = users.firstIndex(where: { $0.0.id == after }) else { throw OktaAPIError.badCursor }
            start = i + 1
        }
        let page = Array(users.dropFirst(start).prefix(limit))
        let next = start + page.count < users.count ? page.last?.0.id : nil
        return .json(200, .array(page.map { appUserJSON(a, $0.0, scope: $0.1) }), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func getAppUser(_ ex: Exchange, _ appId: String, _ userId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let a = try requireApp(appId)
        let u = try requireUser(userId)
        guard read({ $0.isAssigned(userId: u.id, app: a) }) else {
            throw OktaAPIError.notFound("Resource not found: \(userId) (AppUser)")
        }
        return .json(200, appUserJSON(a, u, scope: a.assignedUsers.contains(u.id) ? "USER" : "GROUP"))
    }

    func assignAppUser(_ ex: Exchange, _ appId: String, _ userId: String?) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let a = try requireApp(appId)
        let body = try bodyJSON(ex)
        guard let uid = userId ?? body["id"]?.stringValue else { throw OktaAPIError.validation("id", "The field cannot be left blank") }
        let u = try requireUser(uid)
        let updated = try mutate { t, d -> App in
            if !t.apps[a.id]!.assignedUsers.contains(u.id) { t.apps[a.id]!.assignedUsers.append(u.id) }
            t.apps[a.id]!.lastUpdated = ex.now
            d.apps.insert(a.id)
            return t.apps[a.id]!
        }
        logEvent("application.user_membership.add", legacy: "app.generic.provision.assign_user_to_app", "Add user to application membership",
                 actor: caller.user.map(actor(user:)) ?? .unknown, targets: [actor(user: u), actor(app: a)], ex: ex)
        return .json(200, appUserJSON(updated, u, scope: "USER"))
    }

    func unassignAppUser(_ ex: Exchange, _ appId: String, _ userId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let a = try requireApp(appId)
        let u = try requireUser(userId)
        guard a.assignedUsers.contains(u.id) else { throw OktaAPIError.notFound("Resource not found: \(userId) (AppUser)") }
        try mutate { t, d in
            t.apps[a.id]!.assignedUsers.removeAll { $0 == u.id }
            d.apps.insert(a.id)
        }
        logEvent("application.user_membership.remove", legacy: "app.generic.provision.deactivate_user_from_app",
                 "Remove user's application membership", actor: caller.user.map(actor(user:)) ?? .unknown,
                 targets: [actor(user: u), actor(app: a)], ex: ex)
        return .empty(204)
    }

    func appGroupJSON(_ a: App, _ gid: String, index: Int) -> JSON {
        let detail = a.groupAssignments?[gid]
        return ["id": .string(gid), "lastUpdated": .string(TimeFormat.iso(a.lastUpdated)), "priority": detail?["priority"] ?? JSON(index),
                "profile": detail?["profile"] ?? [:],
                "_links": ["app": ["href": .string("\(baseURL)/api/v1/apps/\(a.id)")], "group": ["href": .string("\(baseURL)/api/v1/groups/\(gid)")]]]
    }

    func appGroups(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let a = try requireApp(id)
        return .json(200, .array(a.assignedGroups.enumerated().map { (i, gid) in appGroupJSON(a, gid, index: i) }))
    }

    func getAppGroup(_ ex: Exchange, _ appId: String, _ groupId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let a = try requireApp(appId)
        guard let i = a.assignedGroups.firstIndex(of: groupId) else {
            throw OktaAPIError.notFound("Resource not found: \(groupId) (ApplicationGroupAssignment)")
        }
        return .json(200, appGroupJSON(a, groupId, index: i))
    }

    func assignAppGroup(_ ex: Exchange, _ appId: String, _ groupId: String, add: Bool) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let a = try requireApp(appId)
        let g = try requireGroup(groupId)
        let body = add ? try bodyJSON(ex) : [:]
        let updated = try mutate { t, d -> App in
            if add {
                if !t.apps[a.id]!.assignedGroups.contains(g.id) { t.apps[a.id]!.assignedGroups.append(g.id) }
                var details = t.apps[a.id]!.groupAssignments ?? [:]
                details[g.id] = ["priority": body["priority"] ?? JSON(t.apps[a.id]!.assignedGroups.firstIndex(of: g.id) ?? 0),
                                 "profile": body["profile"] ?? [:]]
                t.apps[a.id]!.groupAssignments = details
            } else {
                t.apps[a.id]!.assignedGroups.removeAll { $0 == g.id }
                t.apps[a.id]!.groupAssignments?[g.id] = nil
            }
            t.apps[a.id]!.lastUpdated = ex.now
            d.apps.insert(a.id)
            return t.apps[a.id]!
        }
        logEvent(add ? "application.user_membership.add" : "application.user_membership.remove",
                 add ? "Assign group to application" : "Remove group from application", actor: caller.user.map(actor(user:)) ?? .unknown,
                 targets: [actor(app: a), SystemLog.Actor(id: g.id, type: "UserGroup", alternateId: "unknown", displayName: g.name)], ex: ex)
        if add { return .json(200, appGroupJSON(updated, g.id, index: updated.assignedGroups.firstIndex(of: g.id) ?? 0)) }
        return .empty(204)
    }

    // MARK: authorization servers

    func authServerJSON(_ s: AuthServer) -> JSON {
        let active = s.keys.first { $0.status == "ACTIVE" }
        return [
            "id": .string(s.id), "name": .string(s.name), "description": .string(s.description),
            "audiences": [.string(audience(s))], "issuer": .string(issuer(s.id)), "issuerMode": "ORG_URL", "status": "ACTIVE",
            "created": .string(TimeFormat.iso(s.created)), "lastUpdated": .string(TimeFormat.iso(s.created)),
            "credentials": ["signing": ["rotationMode": "AUTO", "lastRotated": .string(TimeFormat.iso(active?.created ?? s.created)),
                                        "nextRotation": .string(TimeFormat.iso((active?.created ?? s.created) + 90 * 86400)),
                                        "kid": JSON(active?.kid), "use": "sig"]],
            "_links": ["self": ["href": .string("\(baseURL)/api/v1/authorizationServers/\(s.id)")],
                       "metadata": [["name": "openid-configuration", "href": .string("\(issuer(s.id))/.well-known/openid-configuration")]]],
        ]
    }

    func listAuthServers(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let servers = read { t in t.serverOrder.compactMap { t.servers[$0] }.filter { !$0.isOrg } }
        return .json(200, .array(servers.map(authServerJSON)))
    }

    func getAuthServer(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        guard let s = read({ $0.servers[id] }), !s.isOrg else {
            throw OktaAPIError.notFound("Resource not found: \(id) (AuthorizationServer)")
        }
        return .json(200, authServerJSON(s))
    }

    // MARK: System Log

    func logs(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: false)
        let limit = try limitParam(ex, default: 100, max: 1000)
        let q = ex.req.queryValue
        var since: Double? = nil
        var until: Double? = nil
        if let s = q("since") {
            guard let t = TimeFormat.parseISO(s) else {
                throw OktaAPIError(400, "E0000001", "Api validation failed: 'since': The date format in your query is not recognized. Please enter dates using ISO8601 string format.. 'since'")
            }
            since = t
        }
        if let s = q("until") {
            guard let t = TimeFormat.parseISO(s) else {
                throw OktaAPIError(400, "E0000001", "Api validation failed: 'until': The date format in your query is not recognized. Please enter dates using ISO8601 string format.. 'until'")
            }
            until = t
        }
        var expr: FilterExpr? = nil
        if let f = q("filter") {
            do { expr = try FilterExpr.parse(f) } catch let e as FilterExpr.ParseError {
                throw OktaAPIError(400, "E0000053", "Invalid filter '\(f)': \(e.message)")
            }
        }
        let keywords = (q("q") ?? "").split(separator: " ").map { $0.lowercased() }
        if let long = keywords.first(where: { $0.count > 40 }) {
            throw OktaAPIError(400, "E0000001", "Api validation failed: 'q': Freeform search cannot contain items longer than 40 characters. '\(long)'")
        }
        let descending = q("sortOrder")?.uppercased() == "DESCENDING"
        let after = q("after").flatMap(Int.init)
        let sinceDefault = (until ?? ex.now) - 7 * 86400
        var events = systemLog.all().filter { e in
            if e.published < (since ?? sinceDefault) { return false }
            if let u = until, e.published >= u { return false }
            if let expr, !expr.evaluate({ attr in
                var cur: JSON? = e.json
                if attr == "target.id" {
                    return e.json["target"]?.arrayValue?.first?["id"]
                }
                for part in attr.split(separator: ".") { cur = cur?[String(part)] }
                return cur
            }) { return false }
            if !keywords.isEmpty {
                let text = e.json.serialized().lowercased()
                if !keywords.allSatisfy({ text.contains($0) }) { return false }
            }
            return true
        }
        if descending { events.reverse() }
        if let a = after {
            events = events.filter { descending ? $0.seq < a : $0.seq > a }
        }
        let page = Array(events.prefix(limit))
        let more = events.count > page.count
        // Polling mode (no until, ascending): always a next link, even on an empty page.
        let polling = until == nil && !descending
        var nextCursor: String? = nil
        if more { nextCursor = page.last.map { String($0.seq) } } else if polling {
            nextCursor = page.last.map { String($0.seq) } ?? after.map(String.init) ?? String((systemLog.all().last?.seq ?? -1))
        }
        return .json(200, .array(page.map(\.json)), headers: linkHeaders(ex, next: nextCursor, limit: limit))
    }
}

/// A 403 for a missing scope: Okta answers with an empty body and a WWW-Authenticate header.
struct InsufficientScope: Error {
    var error: OktaAPIError
}
