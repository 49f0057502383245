import FoundationEssentials

/// `/api/v1/policies` for `OKTA_SIGN_ON` policies (the org's sign-on policy) and `ACCESS_POLICY` policies (app
/// sign-on policies, assigned with `PUT /api/v1/apps/{appId}/policies/{policyId}`), and their rules: list,
/// create, get, replace, delete, activate/deactivate. The Default Policy and its Default Rule always exist and
/// cannot be deleted; priorities are kept 1…n per type with system policies and rules last.
extension MockOkta {
    static let signOnType = "OKTA_SIGN_ON"
    static let accessPolicyType = "ACCESS_POLICY"
    static let servedPolicyTypes: Set<String> = [signOnType, accessPolicyType]
    static let policyTypes: Set<String> = [
        "OKTA_SIGN_ON", "PASSWORD", "MFA_ENROLL", "IDP_DISCOVERY", "OAUTH_AUTHORIZATION_POLICY", "ACCESS_POLICY",
        "PROFILE_ENROLLMENT", "POST_AUTH_SESSION", "ENTITY_RISK", "DEVICE_SIGNAL_COLLECTION",
    ]
    static let policiesMax = 100
    static let rulesMax = 100

    // MARK: JSON

    func policyJSON(_ p: SignOnPolicy, everyone: String?) -> JSON {
        let base = "\(baseURL)/api/v1/policies/\(p.id)"
        // Order as recorded (okta-sdk-python cassettes test_policies_it): self, rules, then the lifecycle link;
        // the Default Policy has none.
        var links: [(String, JSON)] = [
            (
                "self",
                ["href": .string(base), "hints": ["allow": p.system ? ["GET", "PUT"] : ["GET", "PUT", "DELETE"]]]
            ),
            ("rules", ["href": .string("\(base)/rules"), "hints": ["allow": ["GET", "POST"]]]),
        ]
        if !p.system {
            let toggle = p.status == "ACTIVE" ? "deactivate" : "activate"
            links.append((toggle, ["href": .string("\(base)/lifecycle/\(toggle)"), "hints": ["allow": ["POST"]]]))
        }
        let groups = p.groups.isEmpty ? everyone.map { [$0] } ?? [] : p.groups
        let conditions: JSON =
            p.type == MockOkta.signOnType
            ? ["people": ["groups": ["include": .array(groups.map { .string($0) })]]] : nil
        return [
            "type": .string(p.type), "id": .string(p.id), "status": .string(p.status),
            "name": .string(p.name),
            "description": JSON(p.description), "priority": JSON(p.priority), "system": .bool(p.system),
            "conditions": conditions,
            "created": .string(TimeFormat.isoSeconds(p.created)),
            "lastUpdated": .string(TimeFormat.isoSeconds(p.lastUpdated)), "_links": .object(links),
        ]
    }

    // MARK: state

    /// Runs a change of the sign-on policies with the Default Policy in place, then renumbers priorities.
    func changePolicies<T>(_ now: Double, _ body: (inout [SignOnPolicy], TenantData) throws -> T) throws -> T {
        try mutate { t, d in
            if t.signOn.policies.isEmpty {
                t.signOn.policies = [MockOkta.defaultSignOnPolicy(seed: seed, now: now)]
            }
            var list = t.signOn.policies
            let r = try body(&list, t)
            t.signOn.policies = MockOkta.renumbered(list)
            d.misc = true
            return r
        }
    }

    /// Priorities 1…n in list order within each policy type, system objects last.
    static func renumbered(_ list: [SignOnPolicy]) -> [SignOnPolicy] {
        [signOnType, accessPolicyType].flatMap { type in
            renumberedType(list.filter { $0.type == type })
        }
    }

    static func renumberedType(_ list: [SignOnPolicy]) -> [SignOnPolicy] {
        let ordered = list.filter { !$0.system } + list.filter(\.system)
        return ordered.enumerated().map { i, p in
            var p = p
            p.priority = i + 1
            let rules = p.rules.filter { !$0.system } + p.rules.filter(\.system)
            p.rules = rules.enumerated().map { j, r in
                var r = r
                r.priority = j + 1
                return r
            }
            return p
        }
    }

    func policies(now: Double) throws -> [SignOnPolicy] {
        if read({ $0.signOn.policies.isEmpty }) { try changePolicies(now) { _, _ in } }
        return read { $0.signOn.policies }
    }

    func everyoneGroup() -> String? {
        read { t in t.groupOrder.first { t.groups[$0]?.type == .BUILT_IN } }
    }

    func requirePolicy(_ id: String, now: Double) throws -> SignOnPolicy {
        guard let p = try policies(now: now).first(where: { $0.id == id }) else {
            throw OktaAPIError.notFound("Resource not found: \(id) (Policy)")
        }
        return p
    }

    func policyActor(_ p: SignOnPolicy) -> SystemLog.Actor {
        SystemLog.Actor(id: p.id, type: "PolicyEntity", alternateId: p.name, displayName: p.name)
    }

    func ruleActor(_ r: SignOnRule) -> SystemLog.Actor {
        SystemLog.Actor(id: r.id, type: "PolicyRule", alternateId: r.name, displayName: r.name)
    }

    static func validation(_ causes: [String]) -> OktaAPIError {
        OktaAPIError(
            400, "E0000001", "Api validation failed: \(causes[0].split(separator: ":")[0])", causes: causes)
    }

    // MARK: policies

    func listPolicies(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        // An unknown type: 400 E0000002 (terraform-provider-okta #64, okta-sdk-dotnet #331); a missing one is
        // answered the same way (unverified).
        guard let type = ex.req.queryValue("type"), MockOkta.policyTypes.contains(type) else {
            throw OktaAPIError(400, "E0000002", "The request was not valid: Invalid policy type specified")
        }
        guard MockOkta.servedPolicyTypes.contains(type) else {
            throw OktaAPIError(
                400, "E0000001", "Api validation failed: type",
                causes: [
                    "type: This mock serves OKTA_SIGN_ON and ACCESS_POLICY policies; \(type) policies are not modelled"
                ])
        }
        let everyone = everyoneGroup()
        let list = try policies(now: ex.now).filter { $0.type == type }
        return .json(200, .array(list.map { policyJSON($0, everyone: everyone) }))
    }

    func getPolicy(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        return .json(200, policyJSON(try requirePolicy(id, now: ex.now), everyone: everyoneGroup()))
    }

    /// type, name, description, priority and groups of a policy body.
    func policyInput(_ body: JSON, requireType: Bool) throws -> (String, String, String?, Int?, [String]) {
        var causes: [String] = []
        let type = body["type"]?.stringValue
        if requireType || type != nil, !MockOkta.servedPolicyTypes.contains(type ?? "") {
            causes.append(
                type == nil
                    ? "type: The field cannot be left blank"
                    : "type: This mock creates OKTA_SIGN_ON and ACCESS_POLICY policies only")
        }
        let name = body["name"]?.stringValue ?? ""
        if name.isEmpty { causes.append("name: The field cannot be left blank") }
        if name.count > 255 { causes.append("name: The field is too long (at most 255 characters)") }
        let description = body["description"]?.stringValue.map { String($0.prefix(1024)) }
        let priority = body["priority"]?.intValue
        let listed = body["conditions"]?["people"]?["groups"]?["include"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if listed.count > 1000 { causes.append("conditions.people.groups.include: At most 1000 groups") }
        let groups = listed.prefix(1000).uniqued()
        let known = read { t in groups.filter { t.groups[$0] == nil } }
        for g in known.prefix(5) { causes.append("conditions.people.groups.include: Invalid group id \(g.prefix(64))") }
        if !causes.isEmpty { throw MockOkta.validation(causes) }
        let everyone = everyoneGroup()
        return (type ?? MockOkta.signOnType, name, description, priority, groups.filter { $0 != everyone })
    }

    /// Inserts or moves a policy among those of its type (custom ones before the system one).
    static func place(_ p: SignOnPolicy, priority: Int?, in list: inout [SignOnPolicy]) {
        list.removeAll { $0.id == p.id }
        var same = list.filter { $0.type == p.type }
        let others = list.filter { $0.type != p.type }
        let custom = same.filter { !$0.system }.count
        same.insert(p, at: p.system ? same.count : min(max((priority ?? custom + 1) - 1, 0), custom))
        list = others + same
    }

    func createPolicy(_ ex: Exchange) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let (type, name, description, priority, groups) = try policyInput(try bodyJSON(ex), requireType: true)
        let active = ex.req.queryValue("activate") != "false"
        let access = type == MockOkta.accessPolicyType
        let p = SignOnPolicy(
            type: type, id: ids.oktaID(access ? "rst" : "00p"), name: name, description: description, priority: 0,
            status: active ? "ACTIVE" : "INACTIVE", system: false, groups: access ? [] : groups,
            rules: [
                SignOnRule(
                    id: ids.oktaID(access ? "rul" : "0pr"), name: access ? "Catch-all Rule" : "Default Rule",
                    priority: 1, status: "ACTIVE", system: true, connection: "ANYWHERE", zoneInclude: [],
                    zoneExclude: [], userExclude: [], access: "ALLOW", requireFactor: false, created: ex.now,
                    lastUpdated: ex.now)
            ], created: ex.now, lastUpdated: ex.now)
        let created = try changePolicies(ex.now) { list, _ -> SignOnPolicy in
            guard list.count < MockOkta.policiesMax else {
                throw MockOkta.validation(["priority: At most \(MockOkta.policiesMax) policies"])
            }
            guard !list.contains(where: { $0.name == name && $0.type == type }) else {
                throw MockOkta.validation(["name: A policy with this name already exists"])
            }
            MockOkta.place(p, priority: priority, in: &list)
            return p
        }
        let stored = try requirePolicy(created.id, now: ex.now)
        logEvent(.policyCreate, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [policyActor(p)], ex: ex)
        return .json(200, policyJSON(stored, everyone: everyoneGroup()))
    }

    func replacePolicy(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        _ = try requirePolicy(id, now: ex.now)
        let (_, name, description, priority, groups) = try policyInput(try bodyJSON(ex), requireType: false)
        try changePolicies(ex.now) { list, _ in
            guard var p = list.first(where: { $0.id == id }) else { return }
            guard !list.contains(where: { $0.id != id && $0.name == name && $0.type == p.type }) else {
                throw MockOkta.validation(["name: A policy with this name already exists"])
            }
            if !p.system {
                p.name = name
                if p.type == MockOkta.signOnType { p.groups = groups }
            }
            p.description = description
            p.lastUpdated = ex.now
            MockOkta.place(p, priority: priority ?? p.priority, in: &list)
        }
        let p = try requirePolicy(id, now: ex.now)
        logEvent(.policyUpdate, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [policyActor(p)], ex: ex)
        return .json(200, policyJSON(p, everyone: everyoneGroup()))
    }

    func deletePolicy(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let p = try requirePolicy(id, now: ex.now)
        guard !p.system else {
            throw OktaAPIError(
                403, "E0000006", "You do not have permission to perform the requested action",
                causes: ["The default policy cannot be deleted."])
        }
        try changePolicies(ex.now) { list, _ in list.removeAll { $0.id == id } }
        try mutate { t, d in
            t.signOn.appPolicies = t.signOn.appPolicies.filter { $0.value != id }
            d.misc = true
        }
        logEvent(.policyDelete, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [policyActor(p)], ex: ex)
        return .empty(204)
    }

    func policyLifecycle(_ ex: Exchange, _ id: String, _ op: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        guard op == "activate" || op == "deactivate" else {
            throw OktaAPIError.notFound("Resource not found: \(ex.req.path) (Path)")
        }
        let p = try requirePolicy(id, now: ex.now)
        guard !p.system || op == "activate" else {
            throw OktaAPIError(
                403, "E0000006", "You do not have permission to perform the requested action",
                causes: ["The default policy cannot be deactivated."])
        }
        try changePolicies(ex.now) { list, _ in
            guard let i = list.firstIndex(where: { $0.id == id }) else { return }
            list[i].status = op == "activate" ? "ACTIVE" : "INACTIVE"
            list[i].lastUpdated = ex.now
        }
        logEvent(
            op == "activate" ? .policyActivate : .policyDeactivate, actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [policyActor(p)], ex: ex)
        return .empty(204)
    }

    /// `PUT /api/v1/apps/{appId}/policies/{policyId}`: the app's sign-on policy becomes this ACCESS_POLICY (204).
    func assignAppPolicy(_ ex: Exchange, _ appId: String, _ policyId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        guard let app = read({ $0.apps[appId] }) else {
            throw OktaAPIError.notFound("Resource not found: \(appId) (Application)")
        }
        let p = try requirePolicy(policyId, now: ex.now)
        guard p.type == MockOkta.accessPolicyType else {
            throw MockOkta.validation(["policyId: Only an ACCESS_POLICY can be an app's sign-on policy"])
        }
        try mutate { t, d in
            t.signOn.appPolicies[app.id] = p.id
            d.misc = true
        }
        logEvent(
            .applicationLifecycleUpdate, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [actor(app: app)],
            ex: ex)
        return .empty(204)
    }
}
