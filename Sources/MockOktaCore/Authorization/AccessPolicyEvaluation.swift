import FoundationEssentials

/// Evaluating a custom authorization server's access policies at the token endpoint and `/authorize`, and putting
/// its custom claims into tokens.
///
/// Okta (support article "Tokens not issued with lifetime configured in access rule for custom authorization
/// server"): policies in priority order, for the requesting client; in each, rules in priority order; a rule
/// matches when the grant type, the user (or group) and every requested scope are covered; the first match decides
/// and its lifetimes apply. No match: `access_denied` "Policy evaluation failed for this request, please check the
/// policy configurations." and a `no_matching_policy` failure in the System Log.
struct AccessDecision: Equatable {
    var policy: AccessPolicy
    var rule: AccessRule
}

extension TenantData {
    func evaluateAccess(
        server s: AuthServer, clientId: String, userId: String?, grantType: String, scopes: [String]
    ) -> AccessDecision? {
        for p in MockOkta.accessPolicies(s) where p.status == "ACTIVE" {
            guard p.clients.contains("ALL_CLIENTS") || p.clients.contains(clientId) else { continue }
            for r in p.rules where r.status == "ACTIVE" {
                if ruleMatches(r, userId: userId, grantType: grantType, scopes: scopes) {
                    return AccessDecision(policy: p, rule: r)
                }
            }
        }
        return nil
    }

    /// Why each policy and rule would or would not decide this request, in evaluation order (`token explain`).
    func explainAccess(
        server s: AuthServer, clientId: String, userId: String?, grantType: String, scopes: [String]
    ) -> [String] {
        var out: [String] = []
        for p in MockOkta.accessPolicies(s) {
            let name = "policy '\(p.name)'"
            if p.status != "ACTIVE" {
                out.append("\(name) is INACTIVE")
                continue
            }
            guard p.clients.contains("ALL_CLIENTS") || p.clients.contains(clientId) else {
                out.append("\(name) is not assigned to client \(clientId)")
                continue
            }
            for r in p.rules {
                let rule = "\(name), rule '\(r.name)'"
                if r.status != "ACTIVE" {
                    out.append("\(rule) is INACTIVE")
                } else if !ruleMatches(r, userId: nil, grantType: grantType, scopes: []) {
                    out.append("\(rule) does not cover grant type \(grantType)")
                } else if !(r.scopes.contains("*") || scopes.allSatisfy(r.scopes.contains)) {
                    let missing = scopes.filter { !r.scopes.contains($0) }
                    out.append("\(rule) does not cover scope \(missing.joined(separator: ", "))")
                } else if !ruleMatches(r, userId: userId, grantType: grantType, scopes: scopes) {
                    out.append("\(rule) does not include user \(userId ?? "")")
                } else {
                    out.append("\(rule) matches: it decides (access tokens \(r.accessTokenLifetimeMinutes) min)")
                    return out
                }
            }
        }
        return out
    }

    func ruleMatches(_ r: AccessRule, userId: String?, grantType: String, scopes: [String]) -> Bool {
        // A refresh is judged by the rules for the grants that issue refresh tokens.
        let grantOK =
            grantType == "refresh_token"
            ? r.grantTypes.contains {
                ["authorization_code", "password", "implicit", MockOkta.deviceGrant].contains($0)
            }
            : r.grantTypes.contains(grantType)
        guard grantOK else { return false }
        guard r.scopes.contains("*") || scopes.allSatisfy(r.scopes.contains) else { return false }
        // client_credentials has no user: people conditions do not apply.
        guard let uid = userId else { return true }
        if r.usersExclude.contains(uid) { return false }
        // The user's groups only when a condition names groups: with 100,000 users in Everyone, a walk of every
        // membership on each token request would cost more than the signature.
        var memberOf: Set<String>? = nil
        func groupIds() -> Set<String> {
            if let m = memberOf { return m }
            let m = Set(groupsOf(userId: uid).map(\.id))
            memberOf = m
            return m
        }
        if !r.groupsExclude.isEmpty && !groupIds().isDisjoint(with: r.groupsExclude) { return false }
        if r.users.isEmpty && r.groups.isEmpty { return true }
        if r.users.contains(uid) || r.groups.contains("EVERYONE") { return true }
        let everyone = groupOrder.first { groups[$0]?.type == .BUILT_IN }
        if let e = everyone, r.groups.contains(e) { return true }
        return !groupIds().isDisjoint(with: r.groups)
    }
}

extension MockOkta {
    static let policyDenied = "Policy evaluation failed for this request, please check the policy configurations."

    /// The server as the matching access rule shapes the tokens (its lifetimes), or Okta's `access_denied`. The org
    /// server has no access policies.
    func applyAccessPolicy(
        _ ex: Exchange, _ s: AuthServer, _ app: App, userId: String?, grantType: String, scopes: [String]
    ) throws -> AuthServer {
        guard !s.isOrg else { return s }
        let decision = read {
            $0.evaluateAccess(server: s, clientId: app.id, userId: userId, grantType: grantType, scopes: scopes)
        }
        guard let d = decision else {
            var e = OAuthError(403, "access_denied", MockOkta.policyDenied)
            e.reason = "no_matching_policy"
            throw e
        }
        ex.accessDecision = "\(d.policy.name) / \(d.rule.name)"
        // The built-in Default Policy leaves the server's own lifetimes (tenant.accessTokenLifetimeSeconds).
        guard s.policies != nil else { return s }
        var out = s
        out.accessTokenLifetime = max(5, d.rule.accessTokenLifetimeMinutes) * 60
        let window = d.rule.refreshTokenWindowMinutes * 60
        let life = d.rule.refreshTokenLifetimeMinutes * 60
        out.refreshTokenLifetime = life == 0 ? window : min(life, window)
        return out
    }

    // MARK: custom claims

    /// The server's custom claims of one kind (RESOURCE → access token, IDENTITY → ID token) for these scopes.
    func customClaims(_ s: AuthServer, identity: Bool, user: User?, clientId: String, scopes: [String]) -> [(
        String, JSON
    )] {
        guard let claims = s.claims, !claims.isEmpty else { return [] }
        return read { t in
            claims.compactMap { c -> (String, JSON)? in
                guard c.status == "ACTIVE", c.claimType == (identity ? "IDENTITY" : "RESOURCE") else { return nil }
                guard c.scopes.isEmpty || !Set(c.scopes).isDisjoint(with: scopes) else { return nil }
                guard let v = MockOkta.claimValue(c, t, user: user, clientId: clientId) else { return nil }
                return (c.name, v)
            }
        }
    }

    /// A claim's value: GROUPS filters the user's group names; EXPRESSION is one of the forms `claimExpression`
    /// accepts. Nil (left out of the token, as Okta leaves out a claim that evaluates to null) when it has no value.
    static func claimValue(_ c: ClaimDef, _ t: TenantData, user: User?, clientId: String) -> JSON? {
        if c.valueType == "GROUPS" {
            guard let u = user else { return nil }
            let names = t.groupsOf(userId: u.id).map(\.name).filter {
                groupFilter(c.groupFilterType ?? "STARTS_WITH", c.value, $0)
            }
            return JSON(names)
        }
        guard let expr = ClaimExpression(c.value) else { return nil }
        return expr.evaluate(t, user: user, app: t.apps[clientId])
    }

    static func groupFilter(_ type: String, _ value: String, _ name: String) -> Bool {
        switch type {
        case "EQUALS": return name == value
        case "CONTAINS": return name.contains(value)
        case "REGEX": return (try? Regex(value)).map { name.wholeMatch(of: $0) != nil } ?? false
        default: return name.hasPrefix(value)
        }
    }
}

/// The Okta expressions a claim may use here: a string, number or boolean constant; `user.<attribute>` (profile
/// attributes, `user.id`, `user.status`); `app.<field>` (`app.clientId`, `app.label`, `app.id`);
/// `isMemberOfGroupName("…")`. Others are refused when the claim is saved (400 E0000001), never silently wrong.
enum ClaimExpression: Equatable {
    case constant(JSON)
    case user(String)
    case app(String)
    case memberOfGroupName(String)

    init?(_ text: String) {
        let s = text.trimmingWhitespace()
        if s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\""), !s.dropFirst().dropLast().contains("\"") {
            self = .constant(.string(String(s.dropFirst().dropLast())))
        } else if s == "true" || s == "false" {
            self = .constant(.bool(s == "true"))
        } else if let n = Double(s), n.isFinite {
            self = .constant(.number(n))
        } else if s.hasPrefix("isMemberOfGroupName(\""), s.hasSuffix("\")") {
            let name = s.dropFirst("isMemberOfGroupName(\"".count).dropLast(2)
            guard !name.contains("\"") else { return nil }
            self = .memberOfGroupName(String(name))
        } else if let attr = ClaimExpression.path(s, "user."), !attr.isEmpty {
            self = .user(attr)
        } else if let f = ClaimExpression.path(s, "app."), ["clientId", "id", "label"].contains(f) {
            self = .app(f)
        } else {
            return nil
        }
    }

    static func path(_ s: String, _ prefix: String) -> String? {
        guard s.hasPrefix(prefix) else { return nil }
        let rest = String(s.dropFirst(prefix.count))
        return rest.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } ? rest : nil
    }

    func evaluate(_ t: TenantData, user: User?, app: App?) -> JSON? {
        switch self {
        case .constant(let v): return v
        case .user(let attr):
            guard let u = user else { return nil }
            switch attr {
            case "id": return .string(u.id)
            case "status": return .string(u.status.rawValue)
            default:
                let v = u.profile[attr]
                return v == nil || v == .null ? nil : v
            }
        case .app(let f):
            guard let a = app else { return nil }
            return .string(f == "label" ? a.label : a.id)
        case .memberOfGroupName(let name):
            guard let u = user else { return .bool(false) }
            return .bool(t.groupsOf(userId: u.id).contains { $0.name == name })
        }
    }
}
