import FoundationEssentials

/// Scenario actions on authorization objects: `setPolicyRule`, `assignAdminRole`, `unassignAdminRole`. They change
/// the real tenant, so the token endpoint and `/api/v1` decide the consequences, as after an admin's change in Okta.
extension MockOkta {
    func setPolicyRule(_ c: PolicyRuleChange, ex: Exchange?, system: SystemLog.Actor) throws -> JSON {
        guard let server = read({ $0.server(idOrAlias: c.server) }), !server.isOrg else {
            return ["ok": false, "error": .string("no authorization server \(c.server)")]
        }
        let (s, rule) = try changeAccessPolicies(server.id) { list, _ -> AccessRule? in
            for pi in list.indices where c.policy == nil || list[pi].id == c.policy || list[pi].name == c.policy {
                guard let ri = list[pi].rules.firstIndex(where: { $0.id == c.rule || $0.name == c.rule }) else {
                    continue
                }
                var r = list[pi].rules[ri]
                if let st = c.status { r.status = st == "INACTIVE" ? "INACTIVE" : "ACTIVE" }
                if let sc = c.scopes { r.scopes = sc }
                if let g = c.grantTypes { r.grantTypes = g }
                if let m = c.accessTokenLifetimeMinutes { r.accessTokenLifetimeMinutes = min(max(m, 5), 1440) }
                r.lastUpdated = clock.now()
                list[pi].rules[ri] = r
                return r
            }
            return nil
        }
        guard let rule else { return ["ok": false, "error": .string("no access rule \(c.rule) on \(c.server)")] }
        let type: EventType =
            c.status == nil ? .policyRuleUpdate : rule.status == "ACTIVE" ? .policyRuleActivate : .policyRuleDeactivate
        logEvent(
            type, actor: system,
            targets: [
                serverActor(s),
                SystemLog.Actor(id: rule.id, type: "PolicyRule", alternateId: rule.name, displayName: rule.name),
            ], ex: ex)
        return [
            "ok": true, "rule": .string(rule.id), "status": .string(rule.status), "scopes": JSON(rule.scopes),
            "grantTypes": JSON(rule.grantTypes),
        ]
    }

    func changeAdminRole(_ holderRef: String, _ roleName: String, assign: Bool, ex: Exchange?, system: SystemLog.Actor)
        throws -> JSON
    {
        guard let role = AdminRole(rawValue: roleName) else {
            return ["ok": false, "error": .string("no role \(roleName)")]
        }
        let holder: RoleHolder
        if holderRef.hasPrefix("group:") {
            let ref = String(holderRef.dropFirst(6))
            guard let g = read({ $0.group(idOrName: ref) }) else {
                return ["ok": false, "error": .string("no group \(ref)")]
            }
            holder = .group(g.id)
        } else {
            let ref = String(holderRef.dropFirst(5))
            guard let u = read({ $0.user(idOrLogin: ref) }) else {
                return ["ok": false, "error": .string("no user \(ref)")]
            }
            holder = .user(u.id)
        }
        let changed = try changeRoles(holder, clock.now()) { roles -> Bool in
            let had = roles.contains { $0.type == role }
            if assign && !had {
                roles.append(
                    RoleAssignment(id: newRoleId(role), type: role, created: clock.now(), lastUpdated: clock.now()))
            }
            if !assign { roles.removeAll { $0.type == role } }
            return assign != had
        }
        if changed { logRoleChange(ex, holder, role, grant: assign, by: system) }
        return ["ok": true, "changed": .bool(changed)]
    }
}
