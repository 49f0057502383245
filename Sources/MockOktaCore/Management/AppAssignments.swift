import FoundationEssentials

/// App assignments: `/api/v1/apps/{id}/users` and `/groups`.
extension MockOkta {
    /// An AppUser; `created` is when the user (or the group it came through) was assigned.
    func appUserJSON(_ a: App, _ u: User, scope: String, via group: String? = nil) -> JSON {
        let assigned = a.assignedAt?[group ?? u.id] ?? a.created
        return [
            "id": .string(u.id), "externalId": nil, "created": .string(TimeFormat.isoSeconds(assigned)),
            "lastUpdated": .string(TimeFormat.isoSeconds(assigned)), "scope": .string(scope), "status": "ACTIVE",
            "statusChanged": .string(TimeFormat.isoSeconds(assigned)), "passwordChanged": nil, "syncState": "DISABLED",
            "credentials": ["userName": .string(u.login)], "profile": [:],
            "_links": [
                "app": ["href": .string("\(baseURL)/api/v1/apps/\(a.id)")],
                "user": ["href": .string("\(baseURL)/api/v1/users/\(u.id)")],
            ],
        ]
    }

    func appUsers(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let a = try requireApp(id)
        let limit = try limitParam(ex, default: 50, max: 500)
        let users: [(User, (String, String?))] = read { t in
            var seen = Set<String>()
            var out: [(User, (String, String?))] = []
            for uid in a.assignedUsers {
                if let u = t.users[uid], seen.insert(uid).inserted { out.append((u, ("USER", nil))) }
            }
            for gid in a.assignedGroups {
                for uid in t.groups[gid]?.members ?? [] {
                    if let u = t.users[uid], seen.insert(uid).inserted { out.append((u, ("GROUP", gid))) }
                }
            }
            return out
        }
        let (page, next) = try pageOf(users, ex, limit: limit, id: { $0.0.id })
        return .json(
            200, .array(page.map { appUserJSON(a, $0.0, scope: $0.1.0, via: $0.1.1) }),
            headers: linkHeaders(ex, next: next, limit: limit))
    }

    func getAppUser(_ ex: Exchange, _ appId: String, _ userId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let a = try requireApp(appId)
        let u = try requireUser(userId)
        guard read({ $0.isAssigned(userId: u.id, app: a) }) else {
            throw OktaAPIError.notFound("Resource not found: \(userId) (AppUser)")
        }
        let via =
            a.assignedUsers.contains(u.id)
            ? nil : read { t in a.assignedGroups.first { t.groups[$0]?.members.contains(u.id) == true } }
        return .json(200, appUserJSON(a, u, scope: via == nil ? "USER" : "GROUP", via: via))
    }

    func assignAppUser(_ ex: Exchange, _ appId: String, _ userId: String?) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let a = try requireApp(appId)
        let body = try bodyJSON(ex)
        guard let uid = userId ?? body["id"]?.stringValue else {
            throw OktaAPIError.validation("id", "The field cannot be left blank")
        }
        let u = try requireUser(uid)
        let updated = try mutate { t, d -> App in
            // Checked again under the lock: the app or the user may have been deleted meanwhile.
            guard var app = t.apps[a.id] else {
                throw OktaAPIError.notFound("Resource not found: \(appId) (AppInstance)")
            }
            guard t.users[u.id] != nil else { throw OktaAPIError.notFound("Resource not found: \(uid) (User)") }
            if !app.assignedUsers.contains(u.id) {
                app.assignedUsers.append(u.id)
                app.assignedAt = (app.assignedAt ?? [:]).merging([u.id: ex.now]) { _, new in new }
            }
            t.apps[a.id] = app
            d.apps.insert(a.id)
            return app
        }
        logEvent(
            .applicationUserMembershipAdd, actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [actor(user: u), actor(app: a)], ex: ex)
        return .json(200, appUserJSON(updated, u, scope: "USER"))
    }

    func unassignAppUser(_ ex: Exchange, _ appId: String, _ userId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let a = try requireApp(appId)
        let u = try requireUser(userId)
        guard a.assignedUsers.contains(u.id) else {
            throw OktaAPIError.notFound("Resource not found: \(userId) (AppUser)")
        }
        try mutate { t, d in
            guard var app = t.apps[a.id] else {
                throw OktaAPIError.notFound("Resource not found: \(appId) (AppInstance)")
            }
            app.assignedUsers.removeAll { $0 == u.id }
            t.apps[a.id] = app
            d.apps.insert(a.id)
        }
        logEvent(
            .applicationUserMembershipRemove, actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [actor(user: u), actor(app: a)], ex: ex)
        return .empty(204)
    }

    func appGroupJSON(_ a: App, _ gid: String, index: Int) -> JSON {
        let detail = a.groupAssignments?[gid]
        return [
            "id": .string(gid), "lastUpdated": .string(TimeFormat.isoSeconds(a.lastUpdated)),
            "priority": detail?["priority"] ?? JSON(index),
            "profile": detail?["profile"] ?? [:],
            "_links": [
                "app": ["href": .string("\(baseURL)/api/v1/apps/\(a.id)")],
                "self": ["href": .string("\(baseURL)/api/v1/apps/\(a.id)/groups/\(gid)")],
                "group": ["href": .string("\(baseURL)/api/v1/groups/\(gid)")],
            ],
        ]
    }

    func appGroups(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let a = try requireApp(id)
        let limit = try limitParam(ex, default: 20, max: 200)
        let all = Array(a.assignedGroups.enumerated())
        let (page, next) = try pageOf(all, ex, limit: limit, id: { $0.1 })
        return .json(
            200, .array(page.map { (i, gid) in appGroupJSON(a, gid, index: i) }),
            headers: linkHeaders(ex, next: next, limit: limit))
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
            // Checked again under the lock: the app or the group may have been deleted meanwhile.
            guard var app = t.apps[a.id] else {
                throw OktaAPIError.notFound("Resource not found: \(appId) (AppInstance)")
            }
            if add {
                guard t.groups[g.id] != nil else {
                    throw OktaAPIError.notFound("Resource not found: \(groupId) (UserGroup)")
                }
                if !app.assignedGroups.contains(g.id) {
                    app.assignedGroups.append(g.id)
                    app.assignedAt = (app.assignedAt ?? [:]).merging([g.id: ex.now]) { _, new in new }
                }
                var details = app.groupAssignments ?? [:]
                details[g.id] = [
                    "priority": body["priority"] ?? JSON(app.assignedGroups.firstIndex(of: g.id) ?? 0),
                    "profile": body["profile"] ?? [:],
                ]
                app.groupAssignments = details
            } else {
                app.assignedGroups.removeAll { $0 == g.id }
                app.groupAssignments?[g.id] = nil
            }
            app.lastUpdated = ex.now
            t.apps[a.id] = app
            d.apps.insert(a.id)
            return app
        }
        logEvent(
            add ? .applicationUserMembershipAdd : .applicationUserMembershipRemove,
            add ? "Assign group to application" : "Remove group from application",
            actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [
                actor(app: a),
                SystemLog.Actor(id: g.id, type: "UserGroup", alternateId: "unknown", displayName: g.name),
            ], ex: ex)
        if add {
            return .json(200, appGroupJSON(updated, g.id, index: updated.assignedGroups.firstIndex(of: g.id) ?? 0))
        }
        return .empty(204)
    }
}
