import FoundationEssentials

/// The group API (`/api/v1/groups`).
extension MockOkta {
    func groupJSON(_ g: Group) -> JSON {
        [
            "id": .string(g.id), "created": .string(TimeFormat.isoSeconds(g.created)),
            "lastUpdated": .string(TimeFormat.isoSeconds(g.lastUpdated)),
            "lastMembershipUpdated": .string(TimeFormat.isoSeconds(g.lastMembershipUpdated)),
            "objectClass": ["okta:user_group"],
            "type": .string(g.type.rawValue), "profile": ["name": .string(g.name), "description": JSON(g.description)],
            "_links": [
                "logo": [
                    [
                        "name": "medium",
                        "href": "https://op1static.oktacdn.com/assets/img/logos/groups/okta-medium.png",
                        "type": "image/png",
                    ]
                ],
                "users": ["href": .string("\(baseURL)/api/v1/groups/\(g.id)/users")],
                "apps": ["href": .string("\(baseURL)/api/v1/groups/\(g.id)/apps")],
            ],
        ]
    }

    // MARK: groups

    func requireGroup(_ id: String) throws -> Group {
        guard let g = read({ $0.groups[id] }) else {
            throw OktaAPIError.notFound("Resource not found: \(id) (UserGroup)")
        }
        return g
    }

    func listGroups(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let limit = try limitParam(ex, default: 10000, max: 10000)
        var predicate: (Group) -> Bool = { _ in true }
        if let q = ex.req.queryValue("q")?.lowercased() { predicate = { $0.name.lowercased().hasPrefix(q) } }
        if let f = ex.req.queryValue("filter") ?? ex.req.queryValue("search") {
            let expr: FilterExpr
            do { expr = try FilterExpr.parse(f) } catch let e as FilterExpr.ParseError {
                throw OktaAPIError.invalidSearch(e.message)
            }
            predicate = { g in
                expr.evaluate { a in
                    switch a {
                    case "id": return .string(g.id)
                    case "type": return .string(g.type.rawValue)
                    case "lastUpdated": return .string(TimeFormat.isoSeconds(g.lastUpdated))
                    case "lastMembershipUpdated": return .string(TimeFormat.isoSeconds(g.lastMembershipUpdated))
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
            throw OktaAPIError(
                400, "E0000001", "Api validation failed: name",
                causes: ["name: An object with this field already exists in the current organization"])
        }
        let g = Group(
            id: ids.oktaID("00g"), created: ex.now, lastUpdated: ex.now, lastMembershipUpdated: ex.now,
            type: .OKTA_GROUP,
            name: name, description: body["profile"]?["description"]?.stringValue, members: [])
        try mutate { t, d in
            t.groups[g.id] = g
            t.groupOrder.append(g.id)
            d.groups.insert(g.id)
            d.misc = true
        }
        logEvent(
            .groupLifecycleCreate, actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [SystemLog.Actor(id: g.id, type: "UserGroup", alternateId: "unknown", displayName: g.name)], ex: ex
        )
        return .json(200, groupJSON(g))
    }

    func updateGroup(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
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
        logEvent(
            .groupProfileUpdate, actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [SystemLog.Actor(id: g.id, type: "UserGroup", alternateId: "unknown", displayName: g.name)], ex: ex
        )
        return .json(200, groupJSON(g))
    }

    func deleteGroup(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let g = try requireGroup(id)
        guard g.type == .OKTA_GROUP else { throw OktaAPIError.forbidden }
        try mutate { t, d in
            t.groups[id] = nil
            t.groupOrder.removeAll { $0 == id }
            for aid in t.appOrder where t.apps[aid]?.assignedGroups.contains(id) == true {
                t.apps[aid]?.assignedGroups.removeAll { $0 == id }
                d.apps.insert(aid)
            }
            d.groups.insert(id)
            d.misc = true
        }
        logEvent(
            .groupLifecycleDelete, actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [SystemLog.Actor(id: g.id, type: "UserGroup", alternateId: "unknown", displayName: g.name)], ex: ex
        )
        return .empty(204)
    }

    func groupMembers(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let g = try requireGroup(id)
        let limit = try limitParam(ex, default: 1000, max: 10000)
        let members = read { t in g.members.compactMap { t.users[$0] } }
        let (page, next) = try pageOf(members, ex, limit: limit, id: \.id)
        return .json(
            200, .array(page.map { userJSON($0, listItem: true) }), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func groupMembership(_ ex: Exchange, _ gid: String, _ uid: String, add: Bool) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let g = try requireGroup(gid)
        let u = try requireUser(uid)
        guard g.type == .OKTA_GROUP else {
            throw OktaAPIError(
                403, "E0000006", "You do not have permission to perform the requested action",
                causes: ["Only OKTA_GROUP memberships can be changed."])
        }
        try mutate { t, d in
            // The group may have been deleted since it was looked up: checked again under the lock.
            guard var cur = t.groups[g.id] else {
                throw OktaAPIError.notFound("Resource not found: \(gid) (UserGroup)")
            }
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
        logEvent(
            add ? .groupUserMembershipAdd : .groupUserMembershipRemove,
            actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [
                actor(user: u),
                SystemLog.Actor(id: g.id, type: "UserGroup", alternateId: "unknown", displayName: g.name),
            ], ex: ex)
        return .empty(204)
    }
}
