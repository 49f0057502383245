import FoundationEssentials

/// Admin role assignments: `/api/v1/users/{id}/roles` and `/api/v1/groups/{groupId}/roles` (list, assign, get,
/// unassign). A user holds the roles assigned to it and to its groups; API tokens act with their creator's roles as
/// they are at the time of each call (Management/Access.swift).
extension MockOkta {
    /// Whose roles a route names.
    enum RoleHolder {
        case user(String)
        case group(String)
    }

    func roleJSON(_ r: RoleAssignment, holder: RoleHolder, viaGroup: String? = nil) -> JSON {
        let assignee: String
        switch holder {
        case .user(let id): assignee = "\(baseURL)/api/v1/users/\(id)"
        case .group(let id): assignee = "\(baseURL)/api/v1/groups/\(id)"
        }
        var isGroup = viaGroup != nil
        if case .group = holder { isGroup = true }
        return [
            "id": .string(r.id), "label": .string(r.type.label), "type": .string(r.type.rawValue),
            "status": "ACTIVE", "created": .string(TimeFormat.isoSeconds(r.created)),
            "lastUpdated": .string(TimeFormat.isoSeconds(r.lastUpdated)),
            "assignmentType": .string(isGroup ? "GROUP" : "USER"),
            "_links": ["assignee": ["href": .string(viaGroup.map { "\(baseURL)/api/v1/groups/\($0)" } ?? assignee)]],
        ]
    }

    /// The holder's assignments as listed: a user's own, then those it has through its groups.
    func listedRoles(_ holder: RoleHolder) throws -> [JSON] {
        try read { t -> [JSON] in
            switch holder {
            case .user(let ref):
                guard let u = t.user(idOrLogin: ref) else {
                    throw OktaAPIError.notFound("Resource not found: \(ref) (User)")
                }
                var out = t.roleAssignments(user: u).map { roleJSON($0, holder: .user(u.id)) }
                for g in t.groupsOf(userId: u.id) {
                    out += (g.roles ?? []).map { roleJSON($0, holder: .user(u.id), viaGroup: g.id) }
                }
                return out
            case .group(let id):
                guard let g = t.groups[id] else { throw OktaAPIError.notFound("Resource not found: \(id) (UserGroup)") }
                return (g.roles ?? []).map { roleJSON($0, holder: .group(g.id)) }
            }
        }
    }

    func listRoles(_ ex: Exchange, _ holder: RoleHolder) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        return .json(200, .array(try listedRoles(holder)))
    }

    func getRole(_ ex: Exchange, _ holder: RoleHolder, _ roleId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        guard let r = try listedRoles(holder).first(where: { $0["id"]?.stringValue == roleId }) else {
            throw OktaAPIError.notFound("Resource not found: \(roleId) (RoleAssignment)")
        }
        return .json(200, r)
    }

    /// `POST …/roles {"type": "USER_ADMIN"}`: 201 with the assignment; a role the holder has is 409 E0000090.
    func assignRole(_ ex: Exchange, _ holder: RoleHolder) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let body = try bodyJSON(ex)
        guard let typeName = body["type"]?.stringValue, !typeName.isEmpty else {
            throw OktaAPIError.validation("type", "The field cannot be left blank")
        }
        guard let type = AdminRole(rawValue: typeName) else {
            throw OktaAPIError(
                400, "E0000001", "Api validation failed: type",
                causes: [
                    "type: Invalid role type: \(typeName). Valid: "
                        + AdminRole.allCases.map(\.rawValue).joined(separator: ", ")
                ])
        }
        let r = try changeRoles(holder, ex.now) { roles in
            if roles.contains(where: { $0.type == type }) {
                throw OktaAPIError(409, "E0000090", "The role specified is already assigned to the user.")
            }
            let r = RoleAssignment(id: newRoleId(type), type: type, created: ex.now, lastUpdated: ex.now)
            roles.append(r)
            return r
        }
        logRoleChange(ex, holder, type, grant: true, by: caller.user.map(actor(user:)) ?? .unknown)
        return .json(201, roleJSON(r, holder: holder))
    }

    func unassignRole(_ ex: Exchange, _ holder: RoleHolder, _ roleId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let type = try changeRoles(holder, ex.now) { roles -> AdminRole in
            guard let i = roles.firstIndex(where: { $0.id == roleId }) else {
                throw OktaAPIError.notFound("Resource not found: \(roleId) (RoleAssignment)")
            }
            return roles.remove(at: i).type
        }
        logRoleChange(ex, holder, type, grant: false, by: caller.user.map(actor(user:)) ?? .unknown)
        return .empty(204)
    }

    /// Changes the holder's own assignments in one tenant transaction.
    func changeRoles<T>(_ holder: RoleHolder, _ now: Double, _ body: (inout [RoleAssignment]) throws -> T) throws -> T {
        try mutate { t, d in
            switch holder {
            case .user(let ref):
                guard var u = t.user(idOrLogin: ref) else {
                    throw OktaAPIError.notFound("Resource not found: \(ref) (User)")
                }
                var roles = t.roleAssignments(user: u)
                let r = try body(&roles)
                u.roles = roles
                u.adminRole = nil
                t.putUser(u)
                d.users.insert(u.id)
                return r
            case .group(let id):
                guard var g = t.groups[id] else { throw OktaAPIError.notFound("Resource not found: \(id) (UserGroup)") }
                var roles = g.roles ?? []
                let r = try body(&roles)
                g.roles = roles
                t.groups[id] = g
                d.groups.insert(id)
                return r
            }
        }
    }

    func logRoleChange(_ ex: Exchange?, _ holder: RoleHolder, _ type: AdminRole, grant: Bool, by: SystemLog.Actor) {
        switch holder {
        case .user(let ref):
            guard let u = read({ $0.user(idOrLogin: ref) }) else { return }
            logEvent(
                grant ? .userPrivilegeGrant : .userPrivilegeRevoke, actor: by, targets: [actor(user: u)], ex: ex,
                debug: [("privilegeGranted", .string(type.rawValue))])
        case .group(let id):
            guard let g = read({ $0.groups[id] }) else { return }
            let target = SystemLog.Actor(id: g.id, type: "UserGroup", alternateId: g.name, displayName: g.name)
            logEvent(
                grant ? .groupPrivilegeGrant : .groupPrivilegeRevoke, actor: by, targets: [target], ex: ex,
                debug: [("privilegeGranted", .string(type.rawValue))])
        }
    }
}
