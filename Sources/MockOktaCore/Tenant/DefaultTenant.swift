import Foundation

/// The secrets of the default tenant that only exist in clear at creation time.
public struct TenantSecrets: Codable, Sendable {
    public var apiToken: String
    public var readOnlyApiToken: String
    public var serviceClientSecret: String
    public var servicePrivateKeyPem: String
    public var servicePrivateKeyKid: String
    public var webClientSecret: String
    public var userLogin: String
    public var unassignedLogin: String
    public var password: String
    public var serviceClientId: String
    public var webClientId: String
}

public enum DefaultTenant {
    public static let webRedirectURI = "http://localhost:8000/callback"
    public static let orgScopes = [
        "openid", "profile", "email", "address", "phone", "offline_access", "groups",
        "okta.users.read", "okta.users.manage", "okta.groups.read", "okta.groups.manage",
        "okta.apps.read", "okta.apps.manage", "okta.logs.read", "okta.authorizationServers.read",
        "okta.trustedOrigins.read", "okta.trustedOrigins.manage", "okta.schemas.read", "okta.userTypes.read",
        // Okta API scopes of the objects added since (grantable through /api/v1/apps/{id}/grants).
        "okta.authorizationServers.manage", "okta.roles.read", "okta.roles.manage", "okta.networkZones.read",
        "okta.networkZones.manage", "okta.policies.read", "okta.policies.manage", "okta.schemas.manage",
        "okta.userTypes.manage", "okta.sessions.read", "okta.sessions.manage",
    ]
    public static let defaultServerScopes = [
        "openid", "profile", "email", "address", "phone", "offline_access", "api.read", "api.write",
    ]

    static func keySeed(_ seed: UInt64, _ purpose: String) -> [UInt8] {
        Digest.sha256(Array("mock-okta/\(seed)/\(purpose)".utf8))
    }

    static func makeKey(seed: UInt64, purpose: String, now: Double) throws -> (SigningKey, RSAKey) {
        let key = try RSAKey.derive(seed: keySeed(seed, purpose))
        return (
            SigningKey(
                kid: key.thumbprint, privateKeyPEM: key.privateKeyPEM, status: "ACTIVE", created: now, dropAt: nil), key
        )
    }

    /// Builds the default org. Everything random comes from `seed`, so the same seed gives the same tenant.
    public static func build(seed: UInt64, now: Double) throws -> (TenantData, TenantSecrets) {
        let ids = RandomSource(seed: seed, purpose: "tenant.ids")
        let secrets = RandomSource(seed: seed, purpose: "tenant.secrets")
        var t = TenantData()
        t.orgId = ids.oktaID("00o")
        let password = "Mock-" + secrets.string(12) + "1!"
        t.defaultPassword = password
        let created = (now / 86400).rounded(.down) * 86400 - 86400 * 30  // a month ago, whole day

        // Keys: one per authorization server (as in Okta) and the service app's client key. Derived in parallel.
        let purposes = ["server.org", "server.default", "app.service"]
        let keys = try deriveKeys(seed: seed, purposes: purposes, now: created)

        func user(_ first: String, _ last: String, _ login: String, role: AdminRole? = nil) -> User {
            User(
                id: ids.oktaID("00u"), status: .ACTIVE, created: created, activated: created, statusChanged: created,
                lastLogin: nil, lastUpdated: created, passwordChanged: created,
                profile: [
                    "firstName": .string(first), "lastName": .string(last), "mobilePhone": nil,
                    "secondEmail": nil, "login": .string(login), "email": .string(login),
                ],
                password: password, adminRole: role)
        }
        let admin = user("Ada", "Admin", "admin@example.com", role: .superAdmin)
        let readOnly = user("Rita", "Reader", "readonly@example.com", role: .readOnlyAdmin)
        let ann = user("Ann", "Example", "ann@example.com")
        let bob = user("Bob", "Builder", "bob@example.com")
        let carol = user("Carol", "Clerk", "carol@example.com")
        let dave = user("Dave", "Outsider", "dave@example.com")
        for u in [admin, readOnly, ann, bob, carol, dave] { t.putUser(u) }

        func group(_ name: String, _ desc: String, _ type: GroupType, _ members: [User]) -> Group {
            Group(
                id: ids.oktaID("00g"), created: created, lastUpdated: created, lastMembershipUpdated: created,
                type: type,
                name: name, description: desc, members: members.map(\.id))
        }
        let everyone = group(
            "Everyone", "All users in your organization", .BUILT_IN, [admin, readOnly, ann, bob, carol, dave])
        let engineering = group("Engineering", "People who build things", .OKTA_GROUP, [ann, bob])
        let admins = group("Admins", "Org administrators", .OKTA_GROUP, [admin, readOnly])
        for g in [everyone, engineering, admins] {
            t.groups[g.id] = g
            t.groupOrder.append(g.id)
        }

        let serviceId = ids.oktaID("0oa")
        let webId = ids.oktaID("0oa")
        let serviceSecret = secrets.string(40, alphabet: RandomSource.b64url)
        let webSecret = secrets.string(40, alphabet: RandomSource.b64url)
        let (serviceKeyRecord, serviceKey) = keys[2]
        let service = App(
            id: serviceId, label: "Mock Service App", kind: .service, status: "ACTIVE", created: created,
            lastUpdated: created,
            clientSecret: serviceSecret, grantTypes: ["client_credentials"], redirectURIs: [],
            postLogoutRedirectURIs: [],
            tokenEndpointAuthMethod: "client_secret_basic",
            jwks: [AppClientKey(kid: serviceKeyRecord.kid, publicKeyPEM: serviceKey.publicKeyPEM)],
            assignedUsers: [], assignedGroups: [],
            grants: [
                "org": ["okta.users.read", "okta.users.manage", "okta.groups.read"],
                "default": ["api.read", "api.write"],
            ],
            requirePKCE: false)
        let web = App(
            id: webId, label: "Mock Web App", kind: .web, status: "ACTIVE", created: created, lastUpdated: created,
            clientSecret: webSecret, grantTypes: ["authorization_code", "refresh_token", "password"],
            redirectURIs: [webRedirectURI], postLogoutRedirectURIs: ["http://localhost:8000/"],
            tokenEndpointAuthMethod: "client_secret_basic", jwks: [], assignedUsers: [ann.id, admin.id],
            assignedGroups: [engineering.id],
            grants: [
                "org": ["openid", "profile", "email", "address", "phone", "offline_access", "groups"],
                "default": ["openid", "profile", "email", "address", "phone", "offline_access", "api.read"],
            ],
            requirePKCE: false)
        for a in [service, web] {
            t.apps[a.id] = a
            t.appOrder.append(a.id)
        }

        let org = AuthServer(
            id: "org", name: "Okta Org Authorization Server", description: "The org authorization server",
            audience: nil, scopes: orgScopes, keys: [keys[0].0], accessTokenLifetime: 3600, idTokenLifetime: 3600,
            refreshTokenLifetime: 90 * 86400, rotateRefreshTokens: false, created: created)
        let def = AuthServer(
            id: "default", name: "default", description: "Default Authorization Server for your Applications",
            audience: "api://default", scopes: defaultServerScopes, keys: [keys[1].0], accessTokenLifetime: 3600,
            idTokenLifetime: 3600, refreshTokenLifetime: 90 * 86400, rotateRefreshTokens: true, created: created)
        var defWithId = def
        // Okta's `default` server has an `aus…` id and is addressed by its name in URLs (own stream: ids above stay as
        // they were).
        defWithId.oktaId = RandomSource(seed: seed, purpose: "tenant.serverIds").oktaID("aus")
        for s in [org, defWithId] {
            t.servers[s.id] = s
            t.serverOrder.append(s.id)
        }
        let origin = TrustedOrigin(
            id: RandomSource(seed: seed, purpose: "tenant.originIds").oktaID("tos"), name: "Mock Local Origin",
            origin: "http://localhost:8000", scopes: ["CORS", "REDIRECT"], status: "ACTIVE", created: created,
            createdBy: admin.id, lastUpdated: created, lastUpdatedBy: admin.id)
        t.trustedOrigins[origin.id] = origin
        t.trustedOriginOrder.append(origin.id)

        let adminToken = "00" + secrets.string(40, alphabet: RandomSource.b64url)
        let readOnlyToken = "00" + secrets.string(40, alphabet: RandomSource.b64url)
        for (name, value, u) in [("admin", adminToken, admin), ("readOnly", readOnlyToken, readOnly)] {
            let tok = APIToken(
                id: ids.oktaID("00T"), name: name, valueHash: hashSecret(value), userId: u.id, revoked: false,
                created: created)
            t.apiTokens[tok.id] = tok
        }
        let s = TenantSecrets(
            apiToken: adminToken, readOnlyApiToken: readOnlyToken, serviceClientSecret: serviceSecret,
            servicePrivateKeyPem: serviceKey.privateKeyPEM, servicePrivateKeyKid: serviceKeyRecord.kid,
            webClientSecret: webSecret, userLogin: ann.login, unassignedLogin: dave.login, password: password,
            serviceClientId: serviceId, webClientId: webId)
        return (t, s)
    }

    /// Brings a tenant read from an older `--db` file up to date: the `default` server's Okta id (same value a
    /// fresh tenant with that seed gets) and the default trusted origin. Saves only what it adds.
    static func upgrade(_ t: inout TenantData, seed: UInt64, store: Store) throws {
        var puts: [(String, String, String)] = []
        let enc = JSONEncoder()
        func row<V: Encodable>(_ kind: String, _ id: String, _ v: V) {
            puts.append((kind, id, String(decoding: (try? enc.encode(v)) ?? Data(), as: UTF8.self)))
        }
        if var def = t.servers["default"], def.oktaId == nil {
            def.oktaId = RandomSource(seed: seed, purpose: "tenant.serverIds").oktaID("aus")
            t.servers["default"] = def
            row("server", "default", def)
        }
        if t.trustedOrigins.isEmpty && t.trustedOriginOrder.isEmpty && store.meta("trustedOriginsSeeded") == nil {
            let admin = t.users.values.first { $0.adminRole == .superAdmin }?.id ?? "system"
            let created = t.servers["org"]?.created ?? 0
            let origin = TrustedOrigin(
                id: RandomSource(seed: seed, purpose: "tenant.originIds").oktaID("tos"), name: "Mock Local Origin",
                origin: "http://localhost:8000", scopes: ["CORS", "REDIRECT"], status: "ACTIVE", created: created,
                createdBy: admin, lastUpdated: created, lastUpdatedBy: admin)
            t.trustedOrigins[origin.id] = origin
            t.trustedOriginOrder.append(origin.id)
            row("origin", origin.id, origin)
            row("misc", "misc", MockOkta.misc(t))
        }
        if !puts.isEmpty { try store.apply(puts: puts, deletes: []) }
        try store.setMeta("trustedOriginsSeeded", "1")
    }

    /// The tenant's keys come from the pre-generated pool (chosen by the seed), so start-up does no prime search.
    static func deriveKeys(seed: UInt64, purposes: [String], now: Double) throws -> [(SigningKey, RSAKey)] {
        let slots: [String: KeyPool.Slot] = [
            "server.org": .orgServer, "server.default": .defaultServer, "app.service": .serviceApp,
        ]
        return try purposes.map { p in
            let key = try KeyPool.key(seed: seed, slot: slots[p] ?? .serviceApp)
            return (
                SigningKey(
                    kid: key.thumbprint, privateKeyPEM: key.privateKeyPEM, status: "ACTIVE", created: now, dropAt: nil),
                key
            )
        }
    }

}

/// Secrets are stored and journaled only as a hash.
public func hashSecret(_ s: String) -> String {
    Base64URL.encode(Digest.sha256(Array(s.utf8)))
}

/// Short, stable name for a secret in logs and the journal.
public func shortHash(_ s: String) -> String {
    "sha256:" + String(hashSecret(s).prefix(12))
}
