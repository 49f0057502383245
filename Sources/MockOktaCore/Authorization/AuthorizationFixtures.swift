import FoundationEssentials

/// Scenario fixtures for authorization objects: `tenant.authorizationServers` (custom servers with their scopes,
/// claims, access policies and rules; the entry named `default` changes the built-in server) and
/// `tenant.adminRoles` (roles of users and groups). App scope grants are `tenant.apps[].grants`.
extension DefaultTenant {
    static func applyAuthorization(_ f: TenantFixture, to t: inout TenantData, seed: UInt64, created: Double) {
        let ids = RandomSource(seed: seed, purpose: "tenant.fixture.authorization")
        for spec in f.authorizationServers {
            let name = spec["name"]?.stringValue ?? ""
            var s: AuthServer
            if name == "default", let d = t.servers["default"] {
                s = d
            } else {
                let id = spec["id"]?.stringValue ?? ids.oktaID("aus")
                guard t.servers[id] == nil,
                    let rsa = try? RSAKey.derive(
                        seed: keySeed(seed, RotationKeys.purpose(server: id, index: 0)))
                else { continue }
                let audiences = spec["audiences"]?.arrayValue?.compactMap(\.stringValue) ?? ["api://\(name)"]
                s = AuthServer(
                    id: id, name: name, description: spec["description"]?.stringValue ?? "", audience: audiences.first,
                    scopes: MockOkta.newServerScopes,
                    keys: [
                        SigningKey(
                            kid: rsa.thumbprint, privateKeyPEM: rsa.privateKeyPEM, status: "ACTIVE", created: created)
                    ], accessTokenLifetime: 3600, idTokenLifetime: 3600, refreshTokenLifetime: 90 * 86400,
                    rotateRefreshTokens: true, created: created)
                s.audiences = audiences
                s.policies = []
                t.serverOrder.append(id)
            }
            s = fixtureServer(spec, s, t, ids: ids, created: created)
            t.servers[s.id] = s
        }
        for r in f.adminRoles {
            guard let role = AdminRole(rawValue: r["role"]?.stringValue ?? "") else { continue }
            let a = RoleAssignment(
                id: MockOkta.roleId(role, ids), type: role,
                created: created, lastUpdated: created)
            if let ref = r["user"]?.stringValue, var u = t.user(idOrLogin: ref) {
                var roles = t.roleAssignments(user: u)
                if !roles.contains(where: { $0.type == role }) { roles.append(a) }
                u.roles = roles
                u.adminRole = nil
                t.putUser(u)
            } else if let ref = r["group"]?.stringValue, let g = t.group(idOrName: ref) {
                if !(g.roles ?? []).contains(where: { $0.type == role }) {
                    t.groups[g.id]?.roles = (g.roles ?? []) + [a]
                }
            }
        }
    }

    /// A server with the fixture's scopes, claims and policies added (policies replace the Default Policy).
    static func fixtureServer(_ spec: JSON, _ server: AuthServer, _ t: TenantData, ids: RandomSource, created: Double)
        -> AuthServer
    {
        var s = server
        var defs = MockOkta.scopeDefs(s)
        for name in spec["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        where !defs.contains(where: { $0.name == name }) {
            defs.append(
                ScopeDef(
                    id: ids.oktaID("scp"), name: name, displayName: name, description: nil,
                    system: MockOkta.systemScopes.contains(name), consent: "IMPLICIT", metadataPublish: "ALL_CLIENTS",
                    isDefault: false, optional: false))
        }
        s.scopeDefs = defs
        s.scopes = defs.map(\.name)
        for c in spec["claims"]?.arrayValue ?? [] {
            s.claims =
                (s.claims ?? []) + [
                    ClaimDef(
                        id: ids.oktaID("ocl"), name: c["name"]?.stringValue ?? "", status: "ACTIVE",
                        claimType: c["claimType"]?.stringValue ?? "RESOURCE",
                        valueType: c["valueType"]?.stringValue ?? "EXPRESSION", value: c["value"]?.stringValue ?? "",
                        groupFilterType: c["groupFilterType"]?.stringValue, alwaysIncludeInToken: true,
                        scopes: c["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? [], system: false)
                ]
        }
        if let policies = spec["policies"]?.arrayValue {
            s.policies = MockOkta.renumbered(
                policies.map { fixturePolicy($0, t, ids: ids, created: created) })
        }
        return s
    }

    static func fixturePolicy(_ p: JSON, _ t: TenantData, ids: RandomSource, created: Double) -> AccessPolicy {
        func list(_ v: JSON?) -> [String] { v?.arrayValue?.compactMap(\.stringValue) ?? [] }
        let clients = (p["clients"].map(list) ?? ["ALL_CLIENTS"]).map { ref in
            ref == "ALL_CLIENTS" ? ref : t.app(idOrLabel: ref)?.id ?? ref
        }
        let rules = (p["rules"]?.arrayValue ?? []).map { r in
            AccessRule(
                id: ids.oktaID("0pr"), name: r["name"]?.stringValue ?? "", status: r["status"]?.stringValue ?? "ACTIVE",
                priority: 0, system: false,
                users: list(r["users"]).map { t.user(idOrLogin: $0)?.id ?? $0 }, usersExclude: [],
                groups: list(r["groups"]).map { $0 == "EVERYONE" ? $0 : t.group(idOrName: $0)?.id ?? $0 },
                groupsExclude: [], grantTypes: list(r["grantTypes"]), scopes: r["scopes"].map(list) ?? ["*"],
                accessTokenLifetimeMinutes: r["accessTokenLifetimeMinutes"]?.intValue ?? 60,
                refreshTokenLifetimeMinutes: 0, refreshTokenWindowMinutes: 10080, created: created,
                lastUpdated: created)
        }
        return AccessPolicy(
            id: ids.oktaID("00p"), name: p["name"]?.stringValue ?? "", description: p["description"]?.stringValue ?? "",
            status: p["status"]?.stringValue ?? "ACTIVE", priority: 0, system: false, clients: clients,
            created: created, lastUpdated: created, rules: rules)
    }

    /// What the schema cannot say about `tenant.authorizationServers`: claim expressions the mock evaluates, rule
    /// scopes the server has, one server per name.
    static func authorizationProblems(_ doc: JSON) -> [(String, String)] {
        var out: [(String, String)] = []
        var names = Set<String>()
        for (i, spec) in (doc["tenant"]?["authorizationServers"]?.arrayValue ?? []).enumerated() {
            let at = "$.tenant.authorizationServers[\(i)]"
            let name = spec["name"]?.stringValue ?? ""
            if !names.insert(name).inserted { out.append(("\(at).name", "two servers named \"\(name)\"")) }
            let base = name == "default" ? defaultServerScopes : MockOkta.newServerScopes
            let scopes = Set(base + (spec["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []))
            for (j, c) in (spec["claims"]?.arrayValue ?? []).enumerated()
            where c["valueType"]?.stringValue != "GROUPS" && ClaimExpression(c["value"]?.stringValue ?? "") == nil {
                out.append(
                    (
                        "\(at).claims[\(j)].value",
                        "not an expression mock-okta evaluates: a quoted constant, true/false, a number, "
                            + "user.<attribute>, app.clientId|id|label or isMemberOfGroupName(\"…\")"
                    ))
            }
            for (j, p) in (spec["policies"]?.arrayValue ?? []).enumerated() {
                for (k, r) in (p["rules"]?.arrayValue ?? []).enumerated() {
                    for sc in r["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    where sc != "*" && !scopes.contains(sc) {
                        out.append(("\(at).policies[\(j)].rules[\(k)].scopes", "the server has no scope \"\(sc)\""))
                    }
                }
            }
        }
        return out
    }
}
