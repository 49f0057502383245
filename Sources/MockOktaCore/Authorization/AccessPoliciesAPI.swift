import FoundationEssentials

/// A custom server's access policies (`…/policies`, OAUTH_AUTHORIZATION_POLICY) and their rules (`…/rules`,
/// RESOURCE_ACCESS): list, create, get, replace, delete, activate/deactivate. The token endpoint and `/authorize`
/// evaluate them (AccessPolicyEvaluation.swift). Bounds: 100 policies per server, 100 rules per policy; names 1–100
/// characters; access tokens 5–1,440 minutes; refresh window 10 minutes–5 years; refresh lifetime 0 (unlimited) or at
/// least the window.
extension MockOkta {
    /// Field and link order as recorded (okta-sdk-python cassettes test_auth_server_it 2021 and
    /// test_authorization_server_rules_it 2026): `type` last.
    func accessPolicyJSON(_ s: AuthServer, _ p: AccessPolicy) -> JSON {
        let base = "\(baseURL)/api/v1/authorizationServers/\(s.oktaId ?? s.id)/policies/\(p.id)"
        let toggle = p.status == "ACTIVE" ? "deactivate" : "activate"
        return [
            "id": .string(p.id), "status": .string(p.status), "name": .string(p.name),
            "description": .string(p.description), "priority": JSON(p.priority), "system": .bool(p.system),
            "conditions": ["clients": ["include": JSON(p.clients)]],
            "created": .string(TimeFormat.isoSeconds(p.created)),
            "lastUpdated": .string(TimeFormat.isoSeconds(p.lastUpdated)),
            "_links": [
                "self": ["href": .string(base), "hints": ["allow": ["GET", "PUT", "DELETE"]]],
                "rules": ["href": .string("\(base)/rules"), "hints": ["allow": ["GET"]]],
                toggle: ["href": .string("\(base)/lifecycle/\(toggle)"), "hints": ["allow": ["POST"]]],
            ],
            "type": "OAUTH_AUTHORIZATION_POLICY",
        ]
    }

    func accessRuleJSON(_ s: AuthServer, _ p: AccessPolicy, _ r: AccessRule) -> JSON {
        let base = "\(baseURL)/api/v1/authorizationServers/\(s.oktaId ?? s.id)/policies/\(p.id)/rules/\(r.id)"
        let toggle = r.status == "ACTIVE" ? "deactivate" : "activate"
        // Okta always answers `people.users` (at least `exclude`), and `groups` only when the rule has groups.
        var users: [(String, JSON)] = []
        if !r.users.isEmpty { users.append(("include", JSON(r.users))) }
        users.append(("exclude", JSON(r.usersExclude)))
        var people: [(String, JSON)] = [("users", .object(users))]
        if !r.groups.isEmpty || !r.groupsExclude.isEmpty {
            people.append(("groups", ["include": JSON(r.groups), "exclude": JSON(r.groupsExclude)]))
        }
        return [
            "id": .string(r.id), "status": .string(r.status), "name": .string(r.name), "priority": JSON(r.priority),
            "created": .string(TimeFormat.isoSeconds(r.created)),
            "lastUpdated": .string(TimeFormat.isoSeconds(r.lastUpdated)), "system": .bool(r.system),
            "conditions": [
                "people": .object(people), "grantTypes": ["include": JSON(r.grantTypes)],
                "scopes": ["include": JSON(r.scopes)],
            ],
            "actions": [
                "token": [
                    "accessTokenLifetimeMinutes": JSON(r.accessTokenLifetimeMinutes),
                    "refreshTokenLifetimeMinutes": JSON(r.refreshTokenLifetimeMinutes),
                    "refreshTokenWindowMinutes": JSON(r.refreshTokenWindowMinutes),
                ]
            ],
            "_links": [
                "self": ["href": .string(base), "hints": ["allow": ["GET", "PUT", "DELETE"]]],
                toggle: ["href": .string("\(base)/lifecycle/\(toggle)"), "hints": ["allow": ["POST"]]],
            ],
            "type": "RESOURCE_ACCESS",
        ]
    }

    /// Changes a server's access policies in one transaction (the Default Policy of a built-in server becomes a
    /// stored one on its first change); priorities are renumbered 1…n.
    func changeAccessPolicies<T>(
        _ ref: String, _ body: (inout [AccessPolicy], AuthServer) throws -> T
    ) throws -> (AuthServer, T) {
        let id = try requireAuthServer(ref).id
        var out: T?
        let s = try changeServer(id) { s in
            var list = MockOkta.accessPolicies(s)
            out = try body(&list, s)
            s.policies = MockOkta.renumbered(list)
        }
        return (s, out!)
    }

    func requireAccessPolicy(_ s: AuthServer, _ id: String) throws -> AccessPolicy {
        guard let p = MockOkta.accessPolicies(s).first(where: { $0.id == id }) else {
            throw OktaAPIError.notFound("Resource not found: \(id) (Policy)")
        }
        return p
    }

    func policyIndex(_ list: [AccessPolicy], _ id: String) throws -> Int {
        guard let i = list.firstIndex(where: { $0.id == id }) else {
            throw OktaAPIError.notFound("Resource not found: \(id) (Policy)")
        }
        return i
    }

    func ruleIndex(_ p: AccessPolicy, _ id: String) throws -> Int {
        guard let i = p.rules.firstIndex(where: { $0.id == id }) else {
            throw OktaAPIError.notFound("Resource not found: \(id) (PolicyRule)")
        }
        return i
    }

    func listAccessPolicies(_ ex: Exchange, _ ref: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let s = try requireAuthServer(ref)
        return .json(200, .array(MockOkta.accessPolicies(s).map { accessPolicyJSON(s, $0) }))
    }

    func getAccessPolicy(_ ex: Exchange, _ ref: String, _ pid: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let s = try requireAuthServer(ref)
        return .json(200, accessPolicyJSON(s, try requireAccessPolicy(s, pid)))
    }

    func accessPolicyInput(_ body: JSON, _ old: AccessPolicy?, now: Double) throws -> AccessPolicy {
        var causes: [String] = []
        let name = body["name"]?.stringValue ?? ""
        if name.isEmpty || name.count > 100 { causes.append("name: The field cannot be left blank") }
        // A policy without clients is accepted and applies to none (okta-sdk-python cassette
        // test_policy_rules_lifecycle answers `"clients":{"include":[]}`).
        let clients = body["conditions"]?["clients"]?["include"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !causes.isEmpty { throw MockOkta.validation(causes) }
        return AccessPolicy(
            id: old?.id ?? ids.oktaID("00p"), name: name, description: body["description"]?.stringValue ?? "",
            status: old?.status ?? (body["status"]?.stringValue == "INACTIVE" ? "INACTIVE" : "ACTIVE"),
            priority: body["priority"]?.intValue ?? old?.priority ?? Int.max, system: old?.system ?? false,
            clients: clients, created: old?.created ?? now, lastUpdated: now, rules: old?.rules ?? [])
    }

    /// Creates (`pid` nil), replaces or deletes (`delete`) an access policy.
    func writeAccessPolicy(_ ex: Exchange, _ ref: String, pid: String?, delete: Bool = false) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let body = delete ? JSON.null : try bodyJSON(ex)
        let (s, p) = try changeAccessPolicies(ref) { list, _ -> AccessPolicy? in
            guard let pid else {
                guard list.count < MockOkta.policiesMax else {
                    throw MockOkta.validation(["policies: At most \(MockOkta.policiesMax) per server (mock-okta bound)"]
                    )
                }
                let p = try accessPolicyInput(body, nil, now: ex.now)
                list = MockOkta.placed(list, p, priority: body["priority"]?.intValue)
                return p
            }
            let i = try policyIndex(list, pid)
            let old = list.remove(at: i)
            if delete { return nil }
            let p = try accessPolicyInput(body, old, now: ex.now)
            list = MockOkta.placed(list, p, priority: body["priority"]?.intValue ?? i + 1)
            return p
        }
        let type: EventType = delete ? .policyDelete : pid == nil ? .policyCreate : .policyUpdate
        logEvent(type, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [serverActor(s)], ex: ex)
        guard let p, let saved = s.policies?.first(where: { $0.id == p.id }) else { return .empty(204) }
        return .json(pid == nil ? 201 : 200, accessPolicyJSON(s, saved))
    }

    func accessPolicyLifecycle(_ ex: Exchange, _ ref: String, _ pid: String, _ op: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        guard op == "activate" || op == "deactivate" else { throw OktaAPIError.pathNotFound }
        let (s, _) = try changeAccessPolicies(ref) { list, _ in
            let i = try policyIndex(list, pid)
            list[i].status = op == "activate" ? "ACTIVE" : "INACTIVE"
            list[i].lastUpdated = ex.now
        }
        logEvent(
            op == "activate" ? .policyActivate : .policyDeactivate,
            actor: caller.user.map(actor(user:)) ?? .unknown, targets: [serverActor(s)], ex: ex)
        return .empty(204)
    }
}
