import FoundationEssentials

/// A rule of an Okta sign-on policy (`OKTA_SIGN_ON`, Classic Engine): conditions on the network zone and the
/// user, and an action that allows, denies or asks for a second factor.
public struct SignOnRule: Codable, Sendable, Equatable {
    public var id: String  // 0pr…
    public var name: String
    public var priority: Int
    public var status: String  // ACTIVE | INACTIVE
    public var system: Bool
    /// `ANYWHERE`, or `ZONE` with zone ids to include or exclude.
    public var connection: String
    public var zoneInclude: [String]
    public var zoneExclude: [String]
    /// Users (ids) the rule never applies to.
    public var userExclude: [String]
    public var access: String  // ALLOW | DENY
    public var requireFactor: Bool
    public var created: Double
    public var lastUpdated: Double

    func matches(userId: String, zones: Set<String>) -> Bool {
        guard status == "ACTIVE", !userExclude.contains(userId) else { return false }
        guard connection == "ZONE" else { return true }
        if !zoneInclude.isEmpty && zones.isDisjoint(with: zoneInclude) { return false }
        if !zoneExclude.isEmpty && !zones.isDisjoint(with: zoneExclude) { return false }
        return true
    }
}

/// An Okta sign-on policy: `OKTA_SIGN_ON` (the org's; applies to members of its groups, the Default Policy to
/// everyone) or `ACCESS_POLICY` (an app sign-on policy, applies to the apps assigned to it). Its rules are
/// evaluated by priority and the first that matches decides.
public struct SignOnPolicy: Codable, Sendable, Equatable {
    public var type: String = "OKTA_SIGN_ON"
    public var id: String  // 00p/rst…
    public var name: String
    public var description: String?
    public var priority: Int
    public var status: String
    public var system: Bool
    /// Group ids; empty = everyone.
    public var groups: [String]
    public var rules: [SignOnRule]
    public var created: Double
    public var lastUpdated: Double

    init(
        type: String = "OKTA_SIGN_ON", id: String, name: String, description: String?, priority: Int, status: String,
        system: Bool, groups: [String], rules: [SignOnRule], created: Double, lastUpdated: Double
    ) {
        self.type = type
        self.id = id
        self.name = name
        self.description = description
        self.priority = priority
        self.status = status
        self.system = system
        self.groups = groups
        self.rules = rules
        self.created = created
        self.lastUpdated = lastUpdated
    }

    enum CodingKeys: String, CodingKey {
        case type, id, name, description, priority, status, system, groups, rules, created, lastUpdated
    }

    /// `type` may be absent in a `--db` file written before app sign-on policies existed.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decodeIfPresent(String.self, forKey: .type) ?? "OKTA_SIGN_ON"
        id = try c.decode(String.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        priority = try c.decode(Int.self, forKey: .priority)
        status = try c.decode(String.self, forKey: .status)
        system = try c.decode(Bool.self, forKey: .system)
        groups = try c.decode([String].self, forKey: .groups)
        rules = try c.decode([SignOnRule].self, forKey: .rules)
        created = try c.decode(Double.self, forKey: .created)
        lastUpdated = try c.decode(Double.self, forKey: .lastUpdated)
    }
}

/// The outcome of sign-on policy evaluation.
enum SignOnDecision: Equatable {
    case allow(mfa: Bool)
    case deny(policy: String, rule: String)
}

extension SignOnSettings {
    /// True when a rule names the zone (it cannot be deleted then).
    func usesZone(_ id: String) -> Bool {
        policies.contains { p in p.rules.contains { $0.zoneInclude.contains(id) || $0.zoneExclude.contains(id) } }
    }

    /// Okta's order: active policies by priority, the first whose groups include the user; in it, active rules by
    /// priority, the first that matches. The Default Rule's factor requirement is `mfaEveryone`; an app that
    /// requires MFA (`mfaApps`) adds one whatever the rule says.
    func decide(userId: String, groups: Set<String>, zones: Set<String>, appId: String?) -> SignOnDecision {
        let org = decideOrg(userId: userId, groups: groups, zones: zones, appId: appId)
        // Then the app's sign-on policy (the same evaluation as for a user who already has a session).
        guard case .allow(let orgMFA) = org, let appId else { return org }
        switch decideApp(userId: userId, zones: zones, appId: appId) {
        case .deny(let policy, let rule): return .deny(policy: policy, rule: rule)
        case .allow(let appMFA): return .allow(mfa: orgMFA || appMFA)
        }
    }

    /// The app's own sign-on requirements for a user who already has a session: its ACCESS_POLICY and
    /// `requireMfaApps`.
    func decideApp(userId: String, zones: Set<String>, appId: String) -> SignOnDecision {
        let appMFA = mfaApps.contains(appId)
        guard let pid = appPolicies[appId],
            let p = policies.first(where: { $0.id == pid && $0.type == "ACCESS_POLICY" && $0.status == "ACTIVE" })
        else { return .allow(mfa: appMFA) }
        for r in p.rules.sorted(by: { $0.priority < $1.priority }) where r.matches(userId: userId, zones: zones) {
            if r.access == "DENY" { return .deny(policy: p.name, rule: r.name) }
            return .allow(mfa: appMFA || r.requireFactor)
        }
        return .allow(mfa: appMFA)
    }

    func decideOrg(userId: String, groups: Set<String>, zones: Set<String>, appId: String?) -> SignOnDecision {
        let appMFA = appId.map { mfaApps.contains($0) } ?? false
        for p in policies.sorted(by: { $0.priority < $1.priority })
        where p.status == "ACTIVE" && p.type == "OKTA_SIGN_ON" {
            guard p.groups.isEmpty || !groups.isDisjoint(with: p.groups) else { continue }
            for r in p.rules.sorted(by: { $0.priority < $1.priority }) where r.matches(userId: userId, zones: zones) {
                if r.access == "DENY" { return .deny(policy: p.name, rule: r.name) }
                // The first matching rule decides; the Default Policy's Default Rule carries `mfaEveryone`.
                return .allow(mfa: appMFA || (p.system && r.system ? mfaEveryone : r.requireFactor))
            }
        }
        return .allow(mfa: appMFA || mfaEveryone)
    }
}

extension MockOkta {
    /// Evaluates the sign-on policies for a user signing in from the request's address (zones from
    /// `clientIP`), writes `policy.evaluate_sign_on` (ALLOW, CHALLENGE or DENY with the rule in
    /// `outcome.reason`), and answers the decision.
    func evaluateSignOn(_ user: User, appId: String?, ex: Exchange, app: App? = nil) -> SignOnDecision {
        let ip = clientIP(ex.req)
        let zones = zonesContaining(ip)
        let blocked = zones.first { $0.usage == "BLOCKLIST" }
        let decision = read { t in
            if let blocked { return SignOnDecision.deny(policy: "Blocklist", rule: blocked.name) }
            return t.signOn.decide(
                userId: user.id, groups: Set(t.groupsOf(userId: user.id).map(\.id)), zones: Set(zones.map(\.id)),
                appId: appId)
        }
        var debug: [(String, JSON)] = [
            ("clientIp", .string(ip)), ("zones", .string(zones.map(\.name).joined(separator: ","))),
        ]
        let result: String
        switch decision {
        case .allow(let mfa): result = mfa ? "CHALLENGE" : "ALLOW"
        case .deny(let policy, let rule):
            result = "DENY"
            debug += [("policy", .string(policy)), ("rule", .string(rule))]
        }
        logEvent(
            .policyEvaluateSignOn, actor: actor(user: user), targets: app.map { [actor(app: $0)] } ?? [],
            result: result, reason: "Sign-on policy evaluation resulted in \(result)", ex: ex, debug: debug)
        return decision
    }

    /// The tenant's Default Policy and Default Rule, created on first use with ids from the seed.
    static func defaultSignOnPolicy(seed: UInt64, now: Double) -> SignOnPolicy {
        let r = RandomSource(seed: seed, purpose: "sign-on-default-policy")
        let rule = SignOnRule(
            id: r.oktaID("0pr"), name: "Default Rule", priority: 1, status: "ACTIVE", system: true,
            connection: "ANYWHERE", zoneInclude: [], zoneExclude: [], userExclude: [], access: "ALLOW",
            requireFactor: false, created: now, lastUpdated: now)
        return SignOnPolicy(
            id: r.oktaID("00p"), name: "Default Policy",
            description: "The default policy applies in all situations if no other policy applies.", priority: 1,
            status: "ACTIVE", system: true, groups: [], rules: [rule], created: now, lastUpdated: now)
    }
}
