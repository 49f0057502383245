import FoundationEssentials

/// `/api/v1/policies/{policyId}/rules`: the `SIGN_ON` rules of an Okta sign-on policy and the `ACCESS_POLICY` rules
/// of an app sign-on policy (list, create, get, replace, delete, activate/deactivate). The Default Rule (the
/// Catch-all Rule) stays last and cannot be deleted or deactivated.
extension MockOkta {
    // MARK: rules

    /// A rule in Okta's shape: a `SIGN_ON` rule of an Okta sign-on policy, or an `ACCESS_POLICY` rule of an app
    /// sign-on policy. The system rule of the system policy requires a factor when `mfaEveryone` says so.
    func ruleJSON(_ r: SignOnRule, policy: SignOnPolicy, mfaEveryone: Bool) -> JSON {
        let access = policy.type == MockOkta.accessPolicyType
        return [
            "type": .string(access ? "ACCESS_POLICY" : "SIGN_ON"), "id": .string(r.id), "status": .string(r.status),
            "name": .string(r.name), "priority": JSON(r.priority),
            "created": .string(TimeFormat.isoSeconds(r.created)),
            "lastUpdated": .string(TimeFormat.isoSeconds(r.lastUpdated)), "system": .bool(r.system),
            "conditions": ruleConditions(r, access: access),
            "actions": access
                ? accessRuleActions(r) : signOnRuleActions(r, policy: policy, mfaEveryone: mfaEveryone),
            "_links": ruleLinks(r, policy: policy),
        ]
    }

    /// A rule's `conditions`: the users it leaves out and its network zones (and, for a `SIGN_ON` rule, any
    /// authentication type).
    func ruleConditions(_ r: SignOnRule, access: Bool) -> JSON {
        var network: [(String, JSON)] = [("connection", .string(r.connection))]
        if !r.zoneInclude.isEmpty { network.append(("include", .array(r.zoneInclude.map { .string($0) }))) }
        if !r.zoneExclude.isEmpty { network.append(("exclude", .array(r.zoneExclude.map { .string($0) }))) }
        var conditions: [(String, JSON)] = [
            ("people", ["users": ["exclude": .array(r.userExclude.map { .string($0) })]]),
            ("network", .object(network)),
        ]
        if !access { conditions.append(("authContext", ["authType": "ANY"])) }
        return .object(conditions)
    }

    /// The `actions` of an Identity Engine app sign-on policy rule (okta-management-openapi-spec AccessPolicyRule).
    func accessRuleActions(_ r: SignOnRule) -> JSON {
        [
            "appSignOn": [
                "access": .string(r.access),
                "verificationMethod": [
                    "factorMode": r.requireFactor ? "2FA" : "1FA", "type": "ASSURANCE",
                    "reauthenticateIn": "PT12H", "constraints": [],
                ],
            ]
        ]
    }

    /// The `actions` of a `SIGN_ON` rule; the system rule of the system policy requires a factor when `mfaEveryone`.
    func signOnRuleActions(_ r: SignOnRule, policy: SignOnPolicy, mfaEveryone: Bool) -> JSON {
        [
            "signon": [
                "access": .string(r.access),
                "requireFactor": .bool(
                    r.access == "ALLOW" && (policy.system && r.system ? mfaEveryone : r.requireFactor)),
                "primaryFactor": "PASSWORD_IDP", "rememberDeviceByDefault": false,
                "session": [
                    "usePersistentCookie": false, "maxSessionIdleMinutes": 120, "maxSessionLifetimeMinutes": 0,
                ],
            ]
        ]
    }

    /// A rule's `_links`: `self` (a system rule cannot be deleted) and, for other rules, the lifecycle link its
    /// status allows.
    func ruleLinks(_ r: SignOnRule, policy: SignOnPolicy) -> JSON {
        let base = "\(baseURL)/api/v1/policies/\(policy.id)/rules/\(r.id)"
        var links: [(String, JSON)] = [
            (
                "self",
                ["href": .string(base), "hints": ["allow": r.system ? ["GET", "PUT"] : ["GET", "PUT", "DELETE"]]]
            )
        ]
        if !r.system {
            // ACTIVE: self, deactivate; INACTIVE: activate, self (cassette test_activate_deactivate_policy_rule).
            let toggle = r.status == "ACTIVE" ? "deactivate" : "activate"
            let link: (String, JSON) = (
                toggle, ["href": .string("\(base)/lifecycle/\(toggle)"), "hints": ["allow": ["POST"]]]
            )
            if r.status == "ACTIVE" { links.append(link) } else { links.insert(link, at: 0) }
        }
        return .object(links)
    }

    func listRules(_ ex: Exchange, _ policyId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let p = try requirePolicy(policyId, now: ex.now)
        let mfa = read { $0.signOn.mfaEveryone }
        return .json(200, .array(p.rules.map { ruleJSON($0, policy: p, mfaEveryone: mfa) }))
    }

    func requireRule(_ p: SignOnPolicy, _ ruleId: String) throws -> SignOnRule {
        guard let r = p.rules.first(where: { $0.id == ruleId }) else {
            throw OktaAPIError.notFound("Resource not found: \(ruleId) (PolicyRule)")
        }
        return r
    }

    func getRule(_ ex: Exchange, _ policyId: String, _ ruleId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let p = try requirePolicy(policyId, now: ex.now)
        return .json(200, ruleJSON(try requireRule(p, ruleId), policy: p, mfaEveryone: read { $0.signOn.mfaEveryone }))
    }

    struct RuleInput {
        var name: String
        var priority: Int?
        var connection: String
        var include: [String]
        var exclude: [String]
        var userExclude: [String]
        var access: String
        var requireFactor: Bool
    }

    /// Reads and checks a `SIGN_ON` rule body as Okta validates it.
    func ruleInput(_ body: JSON, policyType: String) throws -> RuleInput {
        var causes: [String] = []
        let access = policyType == MockOkta.accessPolicyType
        let ruleType = access ? "ACCESS_POLICY" : "SIGN_ON"
        if let type = body["type"]?.stringValue, type != ruleType {
            causes.append("type: Rules of an \(policyType) policy have type \(ruleType)")
        }
        let name = body["name"]?.stringValue ?? ""
        if name.isEmpty { causes.append("name: The field cannot be left blank") }
        if name.count > 255 { causes.append("name: The field is too long (at most 255 characters)") }
        let network = body["conditions"]?["network"]
        let connection = network?["connection"]?.stringValue ?? "ANYWHERE"
        let include = network?["include"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let exclude = network?["exclude"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !["ANYWHERE", "ZONE"].contains(connection) {
            causes.append("conditions.network: Invalid connection \(connection.prefix(32))")
        } else if connection == "ZONE" && include.isEmpty == exclude.isEmpty {
            // terraform-provider-okta issue #236 quotes this cause from a live org.
            causes.append(
                "conditions.network: You should either include or exclude network zones when you use zones in the "
                    + "policy rule.")
        }
        if include.count + exclude.count > MockOkta.zoneEntriesMax {
            causes.append("conditions.network: At most \(MockOkta.zoneEntriesMax) zones")
        }
        let zones = Set(read { $0.signOn.zones.map(\.id) })
        for z in (include + exclude).prefix(MockOkta.zoneEntriesMax) where !zones.contains(z) {
            causes.append("conditions.network: Invalid zone id \(z.prefix(64))")
        }
        let users = body["conditions"]?["people"]?["users"]?["exclude"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if users.count > MockOkta.zoneEntriesMax {
            causes.append("conditions.people.users.exclude: At most \(MockOkta.zoneEntriesMax) users")
        }
        let actionKey = access ? "appSignOn" : "signon"
        let action = body["actions"]?[actionKey]
        let decision = action?["access"]?.stringValue ?? "ALLOW"
        if !["ALLOW", "DENY"].contains(decision) {
            causes.append("actions.\(actionKey).access: Invalid value \(decision.prefix(32))")
        }
        let factorMode = action?["verificationMethod"]?["factorMode"]?.stringValue ?? "1FA"
        if access && !["1FA", "2FA"].contains(factorMode) {
            causes.append("actions.appSignOn.verificationMethod.factorMode: Invalid value \(factorMode.prefix(32))")
        }
        if !causes.isEmpty { throw MockOkta.validation(causes) }
        return RuleInput(
            name: name, priority: body["priority"]?.intValue, connection: connection,
            include: include.uniqued(),
            exclude: exclude.uniqued(),
            userExclude: users.uniqued(),
            access: decision,
            requireFactor: access ? factorMode == "2FA" : action?["requireFactor"]?.boolValue ?? false)
    }

    func createRule(_ ex: Exchange, _ policyId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let policy = try requirePolicy(policyId, now: ex.now)
        let input = try ruleInput(try bodyJSON(ex), policyType: policy.type)
        let rule = SignOnRule(
            id: ids.oktaID(policy.type == MockOkta.accessPolicyType ? "rul" : "0pr"), name: input.name, priority: 0,
            status: ex.req.queryValue("activate") == "false" ? "INACTIVE" : "ACTIVE", system: false,
            connection: input.connection, zoneInclude: input.include, zoneExclude: input.exclude,
            userExclude: input.userExclude, access: input.access, requireFactor: input.requireFactor, created: ex.now,
            lastUpdated: ex.now)
        try insertRule(rule, priority: input.priority, policyId: policyId, now: ex.now)
        let p = try requirePolicy(policyId, now: ex.now)
        logEvent(.policyRuleAdd, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [ruleActor(rule)], ex: ex)
        return .json(
            200, ruleJSON(try requireRule(p, rule.id), policy: p, mfaEveryone: read { $0.signOn.mfaEveryone }))
    }

    func insertRule(_ rule: SignOnRule, priority: Int?, policyId: String, now: Double) throws {
        try changePolicies(now) { list, _ in
            guard let i = list.firstIndex(where: { $0.id == policyId }) else { return }
            guard list[i].rules.count < MockOkta.rulesMax else {
                throw MockOkta.validation(["priority: At most \(MockOkta.rulesMax) rules per policy"])
            }
            guard !list[i].rules.contains(where: { $0.name == rule.name && $0.id != rule.id }) else {
                throw MockOkta.validation(["name: A rule with this name already exists in the policy"])
            }
            list[i].rules.removeAll { $0.id == rule.id }
            let custom = list[i].rules.filter { !$0.system }.count
            let at = rule.system ? list[i].rules.count : min(max((priority ?? custom + 1) - 1, 0), custom)
            list[i].rules.insert(rule, at: at)
        }
    }

    func replaceRule(_ ex: Exchange, _ policyId: String, _ ruleId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let policy = try requirePolicy(policyId, now: ex.now)
        let old = try requireRule(policy, ruleId)
        let input = try ruleInput(try bodyJSON(ex), policyType: policy.type)
        var r = old
        if !old.system {
            r.name = input.name
            r.connection = input.connection
            r.zoneInclude = input.include
            r.zoneExclude = input.exclude
            r.access = input.access
        }
        r.userExclude = input.userExclude
        r.requireFactor = input.requireFactor
        r.lastUpdated = ex.now
        try insertRule(r, priority: input.priority ?? old.priority, policyId: policyId, now: ex.now)
        if old.system,
            read({ $0.signOn.policies.first(where: { $0.system && $0.type == MockOkta.signOnType })?.id }) == policyId
        {
            // The Default Policy's Default Rule carries the org-wide factor requirement.
            try mutate { t, d in
                t.signOn.mfaEveryone = input.requireFactor
                d.misc = true
            }
        }
        let p = try requirePolicy(policyId, now: ex.now)
        logEvent(.policyRuleUpdate, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [ruleActor(r)], ex: ex)
        return .json(200, ruleJSON(try requireRule(p, ruleId), policy: p, mfaEveryone: read { $0.signOn.mfaEveryone }))
    }

    func deleteRule(_ ex: Exchange, _ policyId: String, _ ruleId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let r = try requireRule(try requirePolicy(policyId, now: ex.now), ruleId)
        guard !r.system else {
            throw OktaAPIError(
                403, "E0000006", "You do not have permission to perform the requested action",
                causes: ["The default rule cannot be deleted."])
        }
        try changePolicies(ex.now) { list, _ in
            if let i = list.firstIndex(where: { $0.id == policyId }) { list[i].rules.removeAll { $0.id == ruleId } }
        }
        logEvent(.policyRuleDelete, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [ruleActor(r)], ex: ex)
        return .empty(204)
    }

    func ruleLifecycle(_ ex: Exchange, _ policyId: String, _ ruleId: String, _ op: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        guard op == "activate" || op == "deactivate" else {
            throw OktaAPIError.notFound("Resource not found: \(ex.req.path) (Path)")
        }
        let r = try requireRule(try requirePolicy(policyId, now: ex.now), ruleId)
        guard !r.system || op == "activate" else {
            throw OktaAPIError(
                403, "E0000006", "You do not have permission to perform the requested action",
                causes: ["The default rule cannot be deactivated."])
        }
        try setRuleStatus(policyId, ruleId, active: op == "activate", now: ex.now)
        logEvent(
            op == "activate" ? .policyRuleActivate : .policyRuleDeactivate,
            actor: caller.user.map(actor(user:)) ?? .unknown, targets: [ruleActor(r)], ex: ex)
        return .empty(204)
    }

    func setRuleStatus(_ policyId: String, _ ruleId: String, active: Bool, now: Double) throws {
        try changePolicies(now) { list, _ in
            guard let i = list.firstIndex(where: { $0.id == policyId }),
                let j = list[i].rules.firstIndex(where: { $0.id == ruleId })
            else { return }
            list[i].rules[j].status = active ? "ACTIVE" : "INACTIVE"
            list[i].rules[j].lastUpdated = now
        }
    }
}
