import FoundationEssentials

/// The rules of a custom server's access policy (`…/policies/{policyId}/rules`).
extension MockOkta {
    func listAccessRules(_ ex: Exchange, _ ref: String, _ pid: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let s = try requireAuthServer(ref)
        let p = try requireAccessPolicy(s, pid)
        return .json(200, .array(p.rules.map { accessRuleJSON(s, p, $0) }))
    }

    func getAccessRule(_ ex: Exchange, _ ref: String, _ pid: String, _ rid: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let s = try requireAuthServer(ref)
        let p = try requireAccessPolicy(s, pid)
        return .json(200, accessRuleJSON(s, p, p.rules[try ruleIndex(p, rid)]))
    }

    func accessRuleInput(_ body: JSON, _ old: AccessRule?, server s: AuthServer, now: Double) throws -> AccessRule {
        var causes: [String] = []
        func list(_ v: JSON?) -> [String] { v?.arrayValue?.compactMap(\.stringValue) ?? [] }
        let name = body["name"]?.stringValue ?? ""
        if name.isEmpty || name.count > 100 { causes.append("name: The field cannot be left blank") }
        let c = body["conditions"]
        let grants = list(c?["grantTypes"]?["include"])
        if grants.isEmpty { causes.append("conditions.grantTypes.include: The field cannot be left blank") }
        for g in grants where !MockOkta.ruleGrantTypes.contains(g) {
            causes.append("conditions.grantTypes.include: Invalid grant type: \(g)")
        }
        let scopes = list(c?["scopes"]?["include"])
        if scopes.isEmpty { causes.append("conditions.scopes.include: The field cannot be left blank") }
        for sc in scopes where sc != "*" && !s.scopes.contains(sc) {
            causes.append("conditions.scopes.include: The scope \(sc) is not defined on this authorization server")
        }
        let token = body["actions"]?["token"]
        let access = token?["accessTokenLifetimeMinutes"]?.intValue ?? 60
        let refresh = token?["refreshTokenLifetimeMinutes"]?.intValue ?? 0
        let window = token?["refreshTokenWindowMinutes"]?.intValue ?? 10080
        if !(5...1440).contains(access) { causes.append("actions.token.accessTokenLifetimeMinutes: 5 to 1440") }
        if !(10...2_628_000).contains(window) {
            causes.append("actions.token.refreshTokenWindowMinutes: 10 to 2628000")
        }
        if refresh != 0 && (refresh < window || refresh > 2_628_000) {
            causes.append("actions.token.refreshTokenLifetimeMinutes: 0 (unlimited) or from the window to 2628000")
        }
        if !causes.isEmpty { throw MockOkta.validation(causes) }
        let people = c?["people"]
        // No people condition: everyone (a client_credentials rule usually has none).
        let groups = list(people?["groups"]?["include"])
        let users = list(people?["users"]?["include"])
        return AccessRule(
            id: old?.id ?? ids.oktaID("0pr"), name: name,
            status: old?.status ?? (body["status"]?.stringValue == "INACTIVE" ? "INACTIVE" : "ACTIVE"),
            priority: body["priority"]?.intValue ?? old?.priority ?? Int.max, system: old?.system ?? false,
            users: users, usersExclude: list(people?["users"]?["exclude"]), groups: groups,
            groupsExclude: list(people?["groups"]?["exclude"]), grantTypes: grants, scopes: scopes,
            accessTokenLifetimeMinutes: access, refreshTokenLifetimeMinutes: refresh, refreshTokenWindowMinutes: window,
            created: old?.created ?? now, lastUpdated: now)
    }

    /// Creates (`rid` nil), replaces or deletes (`delete`) a rule.
    func writeAccessRule(_ ex: Exchange, _ ref: String, _ pid: String, rid: String?, delete: Bool = false) throws
        -> HTTPReply
    {
        let caller = try authorizeAPI(ex)
        let body = delete ? JSON.null : try bodyJSON(ex)
        let (s, r) = try changeAccessPolicies(ref) { list, server -> AccessRule? in
            let pi = try policyIndex(list, pid)
            var rules = list[pi].rules
            defer { list[pi].rules = rules }
            guard let rid else {
                guard rules.count < MockOkta.rulesMax else {
                    throw MockOkta.validation(["rules: At most \(MockOkta.rulesMax) per policy (mock-okta bound)"])
                }
                let r = try accessRuleInput(body, nil, server: server, now: ex.now)
                rules = MockOkta.placed(rules, r, priority: body["priority"]?.intValue)
                return r
            }
            let i = try ruleIndex(list[pi], rid)
            let old = rules.remove(at: i)
            if delete { return nil }
            let r = try accessRuleInput(body, old, server: server, now: ex.now)
            rules = MockOkta.placed(rules, r, priority: body["priority"]?.intValue ?? i + 1)
            return r
        }
        let type: EventType = delete ? .policyRuleDelete : rid == nil ? .policyRuleAdd : .policyRuleUpdate
        logEvent(type, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [serverActor(s)], ex: ex)
        guard let r, let p = s.policies?.first(where: { $0.id == pid }),
            let saved = p.rules.first(where: { $0.id == r.id })
        else { return .empty(204) }
        return .json(rid == nil ? 201 : 200, accessRuleJSON(s, p, saved))
    }

    func accessRuleLifecycle(_ ex: Exchange, _ ref: String, _ pid: String, _ rid: String, _ op: String) throws
        -> HTTPReply
    {
        let caller = try authorizeAPI(ex, write: true)
        guard op == "activate" || op == "deactivate" else { throw OktaAPIError.pathNotFound }
        let (s, _) = try changeAccessPolicies(ref) { list, _ in
            let pi = try policyIndex(list, pid)
            let i = try ruleIndex(list[pi], rid)
            list[pi].rules[i].status = op == "activate" ? "ACTIVE" : "INACTIVE"
            list[pi].rules[i].lastUpdated = ex.now
        }
        logEvent(
            op == "activate" ? .policyRuleActivate : .policyRuleDeactivate,
            actor: caller.user.map(actor(user:)) ?? .unknown, targets: [serverActor(s)], ex: ex)
        return .empty(204)
    }
}
