import Foundation

/// Users and groups a scenario adds to the tenant (`"tenant"` in a scenario file).
public struct TenantFixture: Sendable {
    public struct FixtureUser: Sendable {
        public var login: String
        public var status: UserStatus = .ACTIVE
        public var password: String?
        public var firstName: String?
        public var lastName: String?
        public var groups: [String] = []
        public init(login: String) { self.login = login }
    }
    public var users: [FixtureUser] = []
    public var groups: [(name: String, description: String?)] = []
    public var generateUsers: Int = 0
    public var rateLimits: [String: Int] = [:]
    public var rateLimitsOff: Bool? = nil
    public var refreshTokenRotation: Bool? = nil
    public var accessTokenLifetimeSeconds: Int? = nil
    /// Apps and trusted origins as the scenario file gives them (`tenant.apps`, `tenant.trustedOrigins`).
    public var apps: [JSON] = []
    public var trustedOrigins: [JSON] = []
    /// `bearerErrorBody`: "json" answers an invalid Bearer token on /api/v1 with the E0000011 body.
    public var bearerErrorJSON: Bool? = nil
    public init() {}

    public var isEmpty: Bool {
        users.isEmpty && groups.isEmpty && generateUsers == 0 && rateLimits.isEmpty && rateLimitsOff == nil
            && refreshTokenRotation == nil && accessTokenLifetimeSeconds == nil && apps.isEmpty
            && trustedOrigins.isEmpty
            && bearerErrorJSON == nil
    }
}

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

    /// Applies a scenario's tenant fixture: extra users, groups and generated users.
    public static func apply(_ f: TenantFixture, to t: inout TenantData, seed: UInt64, now: Double) {
        let ids = RandomSource(seed: seed, purpose: "tenant.fixture.ids")
        let created = (now / 86400).rounded(.down) * 86400 - 86400 * 7
        for g in f.groups where t.group(idOrName: g.name) == nil {
            let grp = Group(
                id: ids.oktaID("00g"), created: created, lastUpdated: created, lastMembershipUpdated: created,
                type: .OKTA_GROUP, name: g.name, description: g.description, members: [])
            t.groups[grp.id] = grp
            t.groupOrder.append(grp.id)
        }
        let everyoneId = t.groupOrder.first { t.groups[$0]?.type == .BUILT_IN }
        func add(_ u: User, groups: [String]) {
            t.putUser(u)
            if let e = everyoneId { t.groups[e]?.members.append(u.id) }
            for name in groups {
                if t.group(idOrName: name) == nil {
                    let grp = Group(
                        id: ids.oktaID("00g"), created: created, lastUpdated: created, lastMembershipUpdated: created,
                        type: .OKTA_GROUP, name: name, description: nil, members: [])
                    t.groups[grp.id] = grp
                    t.groupOrder.append(grp.id)
                }
                if let gid = t.group(idOrName: name)?.id { t.groups[gid]?.members.append(u.id) }
            }
        }
        for fu in f.users {
            if var existing = t.user(idOrLogin: fu.login) {
                existing.status = fu.status
                if let p = fu.password { existing.password = p }
                t.putUser(existing)
                continue
            }
            let first = fu.firstName ?? String(fu.login.split(separator: "@").first ?? "user").capitalized
            let u = User(
                id: ids.oktaID("00u"), status: fu.status, created: created,
                activated: fu.status == .ACTIVE ? created : nil, statusChanged: created, lastLogin: nil,
                lastUpdated: created, passwordChanged: created,
                profile: [
                    "firstName": .string(first), "lastName": .string(fu.lastName ?? "Fixture"), "mobilePhone": nil,
                    "secondEmail": nil, "login": .string(fu.login), "email": .string(fu.login),
                ],
                password: fu.password ?? t.defaultPassword, adminRole: nil)
            add(u, groups: fu.groups)
        }
        if f.generateUsers > 0 {
            let first = ["Alex", "Sam", "Kim", "Lee", "Noa", "Ira", "Max", "Eli", "Ren", "Jo"]
            let last = ["Smith", "Jones", "Garcia", "Chen", "Okafor", "Novak", "Silva", "Khan", "Berg", "Rossi"]
            var generated = [User]()
            generated.reserveCapacity(f.generateUsers)
            for n in 0..<f.generateUsers {
                let login = "user\(n + 1)@example.com"
                if t.loginIndex[login] != nil { continue }
                generated.append(
                    User(
                        id: ids.oktaID("00u"), status: .ACTIVE, created: created + Double(n),
                        activated: created + Double(n),
                        statusChanged: created, lastLogin: nil, lastUpdated: created + Double(n),
                        passwordChanged: created,
                        profile: [
                            "firstName": .string(first[n % 10]), "lastName": .string(last[(n / 10) % 10]),
                            "mobilePhone": nil,
                            "secondEmail": nil, "login": .string(login), "email": .string(login),
                        ],
                        password: t.defaultPassword, adminRole: nil))
            }
            // Bulk insert: one sort instead of 100k sorted inserts.
            for u in generated {
                t.users[u.id] = u
                t.loginIndex[u.login.lowercased()] = u.id
            }
            t.userOrder.append(contentsOf: generated.map(\.id))
            t.userOrder.sort()
            if let e = everyoneId { t.groups[e]?.members.append(contentsOf: generated.map(\.id)) }
        }
        if let r = f.refreshTokenRotation {
            for id in t.serverOrder where id != "org" { t.servers[id]?.rotateRefreshTokens = r }
        }
        if let l = f.accessTokenLifetimeSeconds {
            for id in t.serverOrder where id != "org" { t.servers[id]?.accessTokenLifetime = l }
        }
        for (k, v) in f.rateLimits { t.rateLimitOverrides[k] = v }
        if let b = f.bearerErrorJSON { t.bearerErrorJSON = b }
        applyOrigins(f.trustedOrigins, to: &t, seed: seed, created: created)
        applyApps(f.apps, to: &t, seed: seed, created: created)
    }

    static func applyOrigins(_ list: [JSON], to t: inout TenantData, seed: UInt64, created: Double) {
        let ids = RandomSource(seed: seed, purpose: "tenant.fixture.originIds")
        let adminId = t.users.values.first { $0.adminRole == .superAdmin }?.id ?? "system"
        for o in list {
            guard let origin = TrustedOrigin.normalize(o["origin"]?.stringValue ?? ""),
                !t.trustedOrigins.values.contains(where: { $0.origin == origin })
            else { continue }
            let scopes = o["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? ["CORS", "REDIRECT"]
            let rec = TrustedOrigin(
                id: ids.oktaID("tos"), name: o["name"]?.stringValue ?? origin, origin: origin, scopes: scopes,
                status: o["status"]?.stringValue ?? "ACTIVE", created: created, createdBy: adminId,
                lastUpdated: created, lastUpdatedBy: adminId)
            t.trustedOrigins[rec.id] = rec
            t.trustedOriginOrder.append(rec.id)
        }
    }

    /// The app API body a fixture app stands for (the loader checks it with the same rules as `POST /api/v1/apps`).
    public static func appBody(_ a: JSON) -> JSON {
        let type = a["type"]?.stringValue ?? "web"
        switch type {
        case "bookmark":
            return [
                "label": a["label"] ?? "", "name": "bookmark",
                "settings": ["app": ["url": a["url"] ?? "", "requestIntegration": false]],
            ]
        case "saml":
            let acs = a["ssoAcsUrl"] ?? ""
            return [
                "label": a["label"] ?? "", "signOnMode": "SAML_2_0",
                "settings": [
                    "signOn": [
                        "ssoAcsUrl": acs, "audience": a["audience"] ?? "", "recipient": acs, "destination": acs,
                        "subjectNameIdTemplate": "${user.userName}",
                        "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
                        "responseSigned": true, "assertionSigned": true, "signatureAlgorithm": "RSA_SHA256",
                        "digestAlgorithm": "SHA256", "honorForceAuthn": true, "requestCompressed": false,
                        "allowMultipleAcsEndpoints": false,
                        "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                    ]
                ],
            ]
        default:
            let defaultGrants: JSON =
                type == "service"
                ? ["client_credentials"]
                : (type == "web" ? ["authorization_code", "refresh_token"] : ["authorization_code"])
            var cred: [(String, JSON)] = []
            if let m = a["tokenEndpointAuthMethod"] { cred.append(("token_endpoint_auth_method", m)) }
            if let s = a["clientSecret"] { cred.append(("client_secret", s)) }
            var oc: [(String, JSON)] = [
                ("application_type", .string(type)), ("grant_types", a["grantTypes"] ?? defaultGrants),
                ("redirect_uris", a["redirectUris"] ?? []),
            ]
            if let p = a["postLogoutRedirectUris"] { oc.append(("post_logout_redirect_uris", p)) }
            if let k = a["jwks"] { oc.append(("jwks", k)) }
            return [
                "label": a["label"] ?? "", "name": "oidc_client", "signOnMode": "OPENID_CONNECT",
                "credentials": ["oauthClient": .object(cred)], "settings": ["oauthClient": .object(oc)],
            ]
        }
    }

    static func applyApps(_ list: [JSON], to t: inout TenantData, seed: UInt64, created: Double) {
        let ids = RandomSource(seed: seed, purpose: "tenant.fixture.appIds")
        let secrets = RandomSource(seed: seed, purpose: "tenant.fixture.appSecrets")
        for (i, a) in list.enumerated() {
            let id = a["clientId"]?.stringValue ?? ids.oktaID("0oa")
            guard t.apps[id] == nil, var app = try? AppInput.parse(appBody(a), id: id, existing: nil, secrets: secrets)
            else { continue }
            app.status = a["status"]?.stringValue ?? "ACTIVE"
            app.created = created
            app.lastUpdated = created
            if app.mode == .SAML_2_0 { app.name = "mockokta_fixture_\(i + 1)" }
            for login in a["assignUsers"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                if let u = t.user(idOrLogin: login), !app.assignedUsers.contains(u.id) {
                    app.assignedUsers.append(u.id)
                }
            }
            for name in a["assignGroups"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                if let g = t.group(idOrName: name), !app.assignedGroups.contains(g.id) {
                    app.assignedGroups.append(g.id)
                }
            }
            for (server, scopes) in a["grants"]?.objectValue ?? [] {
                app.grants[server] = scopes.arrayValue?.compactMap(\.stringValue) ?? []
            }
            t.apps[app.id] = app
            t.appOrder.append(app.id)
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
