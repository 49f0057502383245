import FoundationEssentials

/// The user API (`/api/v1/users`).
extension MockOkta {
    /// The user object. A single user carries the links that apply to its status (okta-sdk-python cassettes, 2025:
    /// ACTIVE `suspend, schema, resetPassword, expirePassword, self, resetFactors, type, deactivate`; STAGED
    /// `schema, activate, self, resetFactors, type`; SUSPENDED `schema, unsuspend, self, resetFactors, type,
    /// deactivate`);
    /// list items carry only `self`. The credentials links (changePassword, …) are left out: the mock has no
    /// credentials API.
    func userJSON(_ u: User, listItem: Bool = false) -> JSON {
        func ts(_ t: Double?) -> JSON { t.map { .string(TimeFormat.isoSeconds($0)) } ?? .null }
        var creds: [(String, JSON)] = []
        if u.password != nil { creds.append(("password", [:])) }
        creds.append(
            ("emails", [["value": JSON(u.profile["email"]?.stringValue), "status": "VERIFIED", "type": "PRIMARY"]]))
        creds.append(("provider", ["type": "OKTA", "name": "OKTA"]))
        let href = "\(baseURL)/api/v1/users/\(u.id)"
        var links: [(String, JSON)] = []
        if listItem {
            links = [("self", ["href": .string(href)])]
        } else {
            func op(_ name: String, _ path: String) -> (String, JSON) {
                (name, ["href": .string("\(href)/lifecycle/\(path)"), "method": "POST"])
            }
            let schema: (String, JSON) = (
                "schema", ["href": .string("\(baseURL)/api/v1/meta/schemas/user/\(userSchemaId)")]
            )
            let me: (String, JSON) = ("self", ["href": .string(href)])
            let type: (String, JSON) = ("type", ["href": .string("\(baseURL)/api/v1/meta/types/user/\(userTypeId)")])
            let resetFactors = op("resetFactors", "reset_factors")
            let deactivate = op("deactivate", "deactivate")
            switch u.status {
            case .ACTIVE, .PASSWORD_EXPIRED:
                links = [
                    op("suspend", "suspend"), schema, op("resetPassword", "reset_password"),
                    op("expirePassword", "expire_password"),
                    me, resetFactors, type, deactivate,
                ]
            case .STAGED: links = [schema, op("activate", "activate"), me, resetFactors, type]
            case .SUSPENDED: links = [schema, op("unsuspend", "unsuspend"), me, resetFactors, type, deactivate]
            case .PROVISIONED: links = [schema, op("reactivate", "reactivate"), me, resetFactors, type, deactivate]
            case .LOCKED_OUT:
                links = [
                    schema, op("unlock", "unlock"), op("resetPassword", "reset_password"), me, resetFactors, type,
                    deactivate,
                ]
            case .RECOVERY: links = [schema, op("resetPassword", "reset_password"), me, resetFactors, type, deactivate]
            case .DEPROVISIONED: links = [schema, op("activate", "activate"), me, type]
            }
        }
        return [
            "id": .string(u.id), "status": .string(u.status.rawValue), "created": ts(u.created),
            "activated": ts(u.activated),
            "statusChanged": ts(u.statusChanged), "lastLogin": ts(u.lastLogin), "lastUpdated": ts(u.lastUpdated),
            "passwordChanged": ts(u.passwordChanged), "type": ["id": .string(userTypeId)],
            "profile": u.profile, "credentials": .object(creds), "_links": .object(links),
        ]
    }

    // MARK: users

    func userAttribute(_ u: User, _ attr: String, typeId: String) -> JSON? {
        switch attr {
        case "id": return .string(u.id)
        case "status": return .string(u.status.rawValue)
        case "created": return .string(TimeFormat.isoSeconds(u.created))
        case "lastUpdated": return .string(TimeFormat.isoSeconds(u.lastUpdated))
        case "activated": return u.activated.map { .string(TimeFormat.isoSeconds($0)) }
        case "statusChanged": return u.statusChanged.map { .string(TimeFormat.isoSeconds($0)) }
        case "lastLogin": return u.lastLogin.map { .string(TimeFormat.isoSeconds($0)) }
        case "passwordChanged": return u.passwordChanged.map { .string(TimeFormat.isoSeconds($0)) }
        case "type.id": return .string(typeId)
        default:
            if attr.hasPrefix("profile.") { return u.profile[String(attr.dropFirst(8))] }
            return nil
        }
    }

    /// `GET /api/v1/users`: a page of users in id order, narrowed by `filter` or `search`, or the quick `q` search.
    func listUsers(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let limit = try limitParam(ex, default: 200, max: 200)
        let predicate = try userPredicate(ex)
        if predicate == nil, let q = ex.req.queryValue("q")?.lowercased(), !q.isEmpty {
            return try quickSearchUsers(ex, q)
        }
        let after = ex.req.queryValue("after")
        if let a = after, read({ $0.users[a] == nil }) { throw OktaAPIError.badCursor }
        let (page, next) = userPage(after: after, limit: limit, predicate: predicate)
        return .json(
            200, .array(page.map { userJSON($0, listItem: true) }), headers: linkHeaders(ex, next: next, limit: limit))
    }

    /// The test a `filter` (on the attributes Okta allows it) or `search` expression makes of a user; nil when the
    /// request has neither.
    func userPredicate(_ ex: Exchange) throws -> ((User) -> Bool)? {
        // Computed before taking the tenant lock: predicates run under it and must not re-enter it.
        let typeId = userTypeId
        let expr: FilterExpr
        if let f = ex.req.queryValue("filter") {
            expr = try parseUserSearch(f)
            let allowed = [
                "status", "lastUpdated", "id", "profile.login", "profile.email", "profile.firstName",
                "profile.lastName", "created", "type.id",
            ]
            for a in expr.attributes where !allowed.contains(a) {
                throw OktaAPIError.invalidSearch(
                    "Filtering on '\(a)' is not supported; use 'search' for profile attributes.")
            }
        } else if let s = ex.req.queryValue("search") {
            expr = try parseUserSearch(s)
        } else {
            return nil
        }
        return { u in expr.evaluate { self.userAttribute(u, $0, typeId: typeId) } }
    }

    /// Parses a `filter` or `search` expression; a syntax error is Okta's invalid search error.
    private func parseUserSearch(_ s: String) throws -> FilterExpr {
        do { return try FilterExpr.parse(s) } catch let e as FilterExpr.ParseError {
            throw OktaAPIError.invalidSearch(e.message)
        }
    }

    /// The quick search `q`: startsWith on names and email, DEPROVISIONED users left out, default limit 10, no
    /// paging (§5.1).
    func quickSearchUsers(_ ex: Exchange, _ q: String) throws -> HTTPReply {
        let matches: (User) -> Bool = { u in
            u.status != .DEPROVISIONED
                && ["firstName", "lastName", "email", "login"].contains {
                    u.profile[$0]?.stringValue?.lowercased().hasPrefix(q) ?? false
                }
        }
        let qLimit = try limitParam(ex, default: 10, max: 200)
        let all = read { t in t.userOrder.lazy.compactMap { t.users[$0] }.filter(matches).prefix(qLimit) }
        return .json(
            200, .array(all.map { userJSON($0, listItem: true) }),
            headers: linkHeaders(ex, next: nil, limit: qLimit))
    }

    /// Up to `limit` users after the cursor `after` (a user id) that pass `predicate`, and the cursor of the next page
    /// (nil on the last). Without a predicate, DEPROVISIONED users are left out, as Okta does.
    func userPage(after: String?, limit: Int, predicate: ((User) -> Bool)?) -> ([User], String?) {
        read { t in
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
                if out.count == limit {
                    next = out.last?.id
                    break
                }
                out.append(u)
            }
            return (out, next)
        }
    }

    /// A user by id, login, or login shortname (the part before `@`) when exactly one login has it, as Okta.
    func requireUser(_ idOrLogin: String) throws -> User {
        let found = read { t -> User? in
            if let u = t.user(idOrLogin: idOrLogin) { return u }
            guard !idOrLogin.contains("@"), !idOrLogin.isEmpty else { return nil }
            let prefix = idOrLogin.lowercased() + "@"
            var match: User? = nil
            for (login, id) in t.loginIndex where login.hasPrefix(prefix) {
                if match != nil { return nil }  // ambiguous
                match = t.users[id]
            }
            return match
        }
        guard let u = found else { throw OktaAPIError.notFound("Resource not found: \(idOrLogin) (User)") }
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
        guard let j = try? JSONParser.parse(bytes: ex.req.body), case .object = j else {
            throw OktaAPIError.malformedBody
        }
        return j
    }

    func createUser(_ ex: Exchange) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let body = try bodyJSON(ex)
        guard case .object(let profile)? = body["profile"] else {
            throw OktaAPIError.validation("profile", "The field cannot be left blank")
        }
        let causes = UserSchema.causes(profile, partial: false)
        if !causes.isEmpty { throw UserSchema.error(causes) }
        let login = body["profile"]!["login"]!.stringValue!
        let activate = (ex.req.queryValue("activate") ?? "true") != "false"
        let password = body["credentials"]?["password"]?["value"]?.stringValue
        let now = ex.now
        var fullProfile: [(String, JSON)] = [
            ("firstName", nil), ("lastName", nil), ("mobilePhone", nil), ("secondEmail", nil), ("login", nil),
            ("email", nil),
        ]
        for (k, v) in profile {
            if let i = fullProfile.firstIndex(where: { $0.0 == k }) {
                fullProfile[i].1 = v
            } else {
                fullProfile.append((k, v))
            }
        }
        let status: UserStatus = !activate ? .STAGED : (password == nil ? .PROVISIONED : .ACTIVE)
        let u = User(
            id: ids.oktaID("00u"), status: status, created: now, activated: activate ? now : nil,
            statusChanged: activate ? now : nil,
            lastLogin: nil, lastUpdated: now, passwordChanged: password == nil ? nil : now,
            profile: .object(fullProfile),
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
        logEvent(
            .userLifecycleCreate,
            actor: caller.user.map(actor(user:)) ?? .unknown, targets: [actor(user: u)], ex: ex)
        if activate {
            logEvent(
                .userLifecycleActivate, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [actor(user: u)],
                ex: ex)
        }
        return .json(200, userJSON(u))
    }

    func updateUser(_ ex: Exchange, _ id: String, replace: Bool) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let target = try requireUser(id)
        let body = try bodyJSON(ex)
        if let p = body["profile"] {
            guard let fields = p.objectValue else { throw UserSchema.error(["profile: The field must be an object"]) }
            // A replace (PUT) is a whole profile and needs every required attribute; a POST changes only what it sends.
            let causes = UserSchema.causes(fields, partial: !replace)
            if !causes.isEmpty { throw UserSchema.error(causes) }
        }
        let u: User = try mutate { t, d in
            guard let existing = t.users[target.id] else {
                throw OktaAPIError.notFound("Resource not found: \(id) (User)")
            }
            var u = existing
            if let p = body["profile"]?.objectValue {
                if replace {
                    u.profile = .object(p)
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
        logEvent(.userAccountUpdateProfile, actor: actor(user: u), targets: [actor(user: u)], ex: ex)
        return .json(200, userJSON(u))
    }

    func userGroups(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let u = try requireUser(id)
        let limit = try limitParam(ex, default: 200, max: 10000)
        let (page, next) = try pageOf(read { $0.groupsOf(userId: u.id) }, ex, limit: limit, id: \.id)
        return .json(200, .array(page.map(groupJSON)), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func userAppLinks(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let u = try requireUser(id)
        let apps = read { t in t.appOrder.compactMap { t.apps[$0] }.filter { t.isAssigned(userId: u.id, app: $0) } }
        return .json(
            200,
            .array(
                apps.map { a in
                    [
                        "id": .string("00a" + String(a.id.dropFirst(3))), "label": .string(a.label),
                        "linkUrl": .string("\(baseURL)/home/oidc_client/\(a.id)/aln5z7uhkbM6y7bMy0g7"),
                        "logoUrl": "https://op1static.oktacdn.com/assets/img/logos/default.png",
                        "appName": "oidc_client",
                        "appInstanceId": .string(a.id), "appAssignmentId": .string("0ua" + String(u.id.dropFirst(3))),
                        "credentialsSetup": false,
                        "hidden": false, "sortOrder": 0,
                    ]
                }))
    }

    func clearSessions(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let u = try requireUser(id)
        endSessions(userId: u.id)
        logEvent(.userSessionClear, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [actor(user: u)], ex: ex)
        return .empty(204)
    }
}
