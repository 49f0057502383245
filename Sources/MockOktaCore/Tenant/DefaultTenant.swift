import FoundationEssentials

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
        var org = DefaultOrgBuilder(seed: seed, now: now)
        // Keys: one per authorization server (as in Okta) and the service app's client key. Derived in parallel.
        let purposes = ["server.org", "server.default", "app.service"]
        let keys = try deriveKeys(seed: seed, purposes: purposes, now: org.created)

        let users = org.addUsers()
        let engineering = org.addGroups(users)
        let serviceSecret = org.clientSecret()
        let webSecret = org.clientSecret()
        let (serviceKeyRecord, serviceKey) = keys[2]
        let service = org.serviceApp(secret: serviceSecret, key: serviceKeyRecord, serviceKey)
        let web = org.webApp(secret: webSecret, users: [users.ann.id, users.admin.id], groups: [engineering.id])
        org.add(apps: [service, web])
        org.addServers(orgKey: keys[0].0, defaultKey: keys[1].0)
        org.add(origin: localOrigin(seed: seed, created: org.created, createdBy: users.admin.id))
        let tokens = org.addAPITokens(admin: users.admin, readOnly: users.readOnly)

        let s = TenantSecrets(
            apiToken: tokens.admin, readOnlyApiToken: tokens.readOnly, serviceClientSecret: serviceSecret,
            servicePrivateKeyPem: serviceKey.privateKeyPEM, servicePrivateKeyKid: serviceKeyRecord.kid,
            webClientSecret: webSecret, userLogin: users.ann.login, unassignedLogin: users.dave.login,
            password: org.password, serviceClientId: service.id, webClientId: web.id)
        return (org.t, s)
    }

    /// The trusted origin every default org has: the local web app's, for CORS and redirects. Its id comes from
    /// its own stream, so a tenant upgraded from an older `--db` gets the id a fresh one does.
    static func localOrigin(seed: UInt64, created: Double, createdBy admin: String) -> TrustedOrigin {
        TrustedOrigin(
            id: RandomSource(seed: seed, purpose: "tenant.originIds").oktaID("tos"), name: "Mock Local Origin",
            origin: "http://localhost:8000", scopes: ["CORS", "REDIRECT"], status: "ACTIVE", created: created,
            createdBy: admin, lastUpdated: created, lastUpdatedBy: admin)
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
            let origin = localOrigin(seed: seed, created: created, createdBy: admin)
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

/// The default org's users, by the part each plays in it.
private struct DefaultUsers {
    let admin: User
    let readOnly: User
    let ann: User
    let bob: User
    let carol: User
    /// Assigned to no app: the user who may not sign in to the web app.
    let dave: User

    var all: [User] { [admin, readOnly, ann, bob, carol, dave] }
}

/// Puts the default org together, object by object. Ids and secrets come from two seeded streams, each drawn in
/// a fixed order, so the same seed gives the same org; everything is created a month before `now`.
private struct DefaultOrgBuilder {
    let seed: UInt64
    let ids: RandomSource
    let secrets: RandomSource
    /// A month before `now`, on a whole day.
    let created: Double
    /// Every default user's password.
    let password: String
    var t = TenantData()

    /// Starts the org: its id and the users' password are the first values of their streams.
    init(seed: UInt64, now: Double) {
        self.seed = seed
        ids = RandomSource(seed: seed, purpose: "tenant.ids")
        secrets = RandomSource(seed: seed, purpose: "tenant.secrets")
        created = (now / 86400).rounded(.down) * 86400 - 86400 * 30  // a month ago, whole day
        t.orgId = ids.oktaID("00o")
        password = "Mock-" + secrets.string(12) + "1!"
        t.defaultPassword = password
    }

    /// An active user with the default password and, for an admin, its role.
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

    /// Adds the six users: a super admin, a read-only admin and four others.
    mutating func addUsers() -> DefaultUsers {
        let users = DefaultUsers(
            admin: user("Ada", "Admin", "admin@example.com", role: .superAdmin),
            readOnly: user("Rita", "Reader", "readonly@example.com", role: .readOnlyAdmin),
            ann: user("Ann", "Example", "ann@example.com"),
            bob: user("Bob", "Builder", "bob@example.com"),
            carol: user("Carol", "Clerk", "carol@example.com"),
            dave: user("Dave", "Outsider", "dave@example.com"))
        for u in users.all { t.putUser(u) }
        return users
    }

    /// A group of `members`, in order.
    func group(_ name: String, _ desc: String, _ type: GroupType, _ members: [User]) -> Group {
        Group(
            id: ids.oktaID("00g"), created: created, lastUpdated: created, lastMembershipUpdated: created,
            type: type,
            name: name, description: desc, members: members.map(\.id))
    }

    /// Adds Everyone, Engineering (Ann and Bob) and Admins; returns Engineering, which the web app is assigned.
    mutating func addGroups(_ users: DefaultUsers) -> Group {
        let everyone = group("Everyone", "All users in your organization", .BUILT_IN, users.all)
        let engineering = group("Engineering", "People who build things", .OKTA_GROUP, [users.ann, users.bob])
        let admins = group("Admins", "Org administrators", .OKTA_GROUP, [users.admin, users.readOnly])
        for g in [everyone, engineering, admins] {
            t.groups[g.id] = g
            t.groupOrder.append(g.id)
        }
        return engineering
    }

    /// The next client secret.
    func clientSecret() -> String {
        secrets.string(40, alphabet: RandomSource.b64url)
    }

    /// The service app: client credentials, with a client key, granted Okta API scopes and `api.*`.
    func serviceApp(secret: String, key record: SigningKey, _ key: RSAKey) -> App {
        App(
            id: ids.oktaID("0oa"), label: "Mock Service App", kind: .service, status: "ACTIVE", created: created,
            lastUpdated: created,
            clientSecret: secret, grantTypes: ["client_credentials"], redirectURIs: [],
            postLogoutRedirectURIs: [],
            tokenEndpointAuthMethod: "client_secret_basic",
            jwks: [AppClientKey(kid: record.kid, publicKeyPEM: key.publicKeyPEM)],
            assignedUsers: [], assignedGroups: [],
            grants: [
                "org": ["okta.users.read", "okta.users.manage", "okta.groups.read"],
                "default": ["api.read", "api.write"],
            ],
            requirePKCE: false)
    }

    /// The web app (authorization code, refresh token, password), assigned `users` and `groups`.
    func webApp(secret: String, users: [String], groups: [String]) -> App {
        App(
            id: ids.oktaID("0oa"), label: "Mock Web App", kind: .web, status: "ACTIVE", created: created,
            lastUpdated: created,
            clientSecret: secret, grantTypes: ["authorization_code", "refresh_token", "password"],
            redirectURIs: [DefaultTenant.webRedirectURI], postLogoutRedirectURIs: ["http://localhost:8000/"],
            tokenEndpointAuthMethod: "client_secret_basic", jwks: [], assignedUsers: users,
            assignedGroups: groups,
            grants: [
                "org": ["openid", "profile", "email", "address", "phone", "offline_access", "groups"],
                "default": ["openid", "profile", "email", "address", "phone", "offline_access", "api.read"],
            ],
            requirePKCE: false)
    }

    /// Adds `apps`, in order.
    mutating func add(apps: [App]) {
        for a in apps {
            t.apps[a.id] = a
            t.appOrder.append(a.id)
        }
    }

    /// Adds the org authorization server and `default`, each with its signing key.
    mutating func addServers(orgKey: SigningKey, defaultKey: SigningKey) {
        let org = AuthServer(
            id: "org", name: "Okta Org Authorization Server", description: "The org authorization server",
            audience: nil, scopes: DefaultTenant.orgScopes, keys: [orgKey], accessTokenLifetime: 3600,
            idTokenLifetime: 3600, refreshTokenLifetime: 90 * 86400, rotateRefreshTokens: false, created: created)
        var def = AuthServer(
            id: "default", name: "default", description: "Default Authorization Server for your Applications",
            audience: "api://default", scopes: DefaultTenant.defaultServerScopes, keys: [defaultKey],
            accessTokenLifetime: 3600, idTokenLifetime: 3600, refreshTokenLifetime: 90 * 86400,
            rotateRefreshTokens: true, created: created)
        // Okta's `default` server has an `aus…` id and is addressed by its name in URLs (own stream: ids above stay as
        // they were).
        def.oktaId = RandomSource(seed: seed, purpose: "tenant.serverIds").oktaID("aus")
        for s in [org, def] {
            t.servers[s.id] = s
            t.serverOrder.append(s.id)
        }
    }

    /// Adds a trusted origin.
    mutating func add(origin: TrustedOrigin) {
        t.trustedOrigins[origin.id] = origin
        t.trustedOriginOrder.append(origin.id)
    }

    /// Adds an API token for each admin; returns the tokens in clear (the tenant keeps only their hashes).
    mutating func addAPITokens(admin: User, readOnly: User) -> (admin: String, readOnly: String) {
        let adminToken = "00" + secrets.string(40, alphabet: RandomSource.b64url)
        let readOnlyToken = "00" + secrets.string(40, alphabet: RandomSource.b64url)
        for (name, value, u) in [("admin", adminToken, admin), ("readOnly", readOnlyToken, readOnly)] {
            let tok = APIToken(
                id: ids.oktaID("00T"), name: name, valueHash: hashSecret(value), userId: u.id, revoked: false,
                created: created)
            t.apiTokens[tok.id] = tok
        }
        return (adminToken, readOnlyToken)
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
