import FoundationEssentials

/// Users and groups a scenario adds to the tenant (`"tenant"` in a scenario file).
public struct TenantFixture: Sendable {
    public struct FixtureUser: Sendable {
        public var login: String
        public var status: UserStatus = .ACTIVE
        public var password: String?
        public var firstName: String?
        public var lastName: String?
        public var groups: [String] = []
        /// Enrolled in a TOTP factor (ACTIVE), its secret from the seed (`/__mock/tenant` shows it).
        public var totp = false
        /// Other ACTIVE factors: `sms`, `email`, `push` (codes at `/__mock/factors/messages`, pushes answered by
        /// `respondPush`).
        public var factors: [String] = []
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
    /// `signOn`: the password policy's lockout and the sign-on policy's MFA requirement.
    public var signOn: JSON? = nil
    /// `authorizationServers` and `adminRoles` (Authorization/AuthorizationFixtures.swift).
    public var authorizationServers: [JSON] = []
    public var adminRoles: [JSON] = []
    public init() {}

    public var isEmpty: Bool {
        users.isEmpty && groups.isEmpty && generateUsers == 0 && rateLimits.isEmpty && rateLimitsOff == nil
            && refreshTokenRotation == nil && accessTokenLifetimeSeconds == nil && apps.isEmpty
            && trustedOrigins.isEmpty
            && bearerErrorJSON == nil && signOn == nil && authorizationServers.isEmpty && adminRoles.isEmpty
    }
}

/// Scenario fixtures (`"tenant"` in a scenario file) applied to the default tenant.
extension DefaultTenant {
    /// Applies a scenario's tenant fixture: extra users, groups and generated users.
    public static func apply(_ f: TenantFixture, to t: inout TenantData, seed: UInt64, now: Double) {
        let ids = RandomSource(seed: seed, purpose: "tenant.fixture.ids")
        let created = (now / 86400).rounded(.down) * 86400 - 86400 * 7
        for g in f.groups where t.group(idOrName: g.name) == nil {
            addGroup(g.name, description: g.description, to: &t, ids: ids, created: created)
        }
        let everyoneId = t.groupOrder.first { t.groups[$0]?.type == .BUILT_IN }
        for fu in f.users {
            addUser(fu, to: &t, ids: ids, created: created, everyone: everyoneId)
        }
        if f.generateUsers > 0 {
            generateUsers(f.generateUsers, to: &t, ids: ids, created: created, everyone: everyoneId)
        }
        applyServerSettings(f, to: &t)
        applyOrigins(f.trustedOrigins, to: &t, seed: seed, created: created)
        applyApps(f.apps, to: &t, seed: seed, created: created)
        applySignOn(f, to: &t, seed: seed, now: created)
        applyAuthorization(f, to: &t, seed: seed, created: created)
    }

    /// Adds an empty Okta group.
    static func addGroup(
        _ name: String, description: String?, to t: inout TenantData, ids: RandomSource, created: Double
    ) {
        let grp = Group(
            id: ids.oktaID("00g"), created: created, lastUpdated: created, lastMembershipUpdated: created,
            type: .OKTA_GROUP, name: name, description: description, members: [])
        t.groups[grp.id] = grp
        t.groupOrder.append(grp.id)
    }

    /// Adds a fixture user to the tenant, to Everyone and to its groups (made when missing); a user whose login
    /// exists only takes the fixture's status and password.
    static func addUser(
        _ fu: TenantFixture.FixtureUser, to t: inout TenantData, ids: RandomSource, created: Double,
        everyone: String?
    ) {
        if var existing = t.user(idOrLogin: fu.login) {
            existing.status = fu.status
            if let p = fu.password { existing.password = p }
            t.putUser(existing)
            return
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
        t.putUser(u)
        if let e = everyone { t.groups[e]?.members.append(u.id) }
        for name in fu.groups {
            if t.group(idOrName: name) == nil { addGroup(name, description: nil, to: &t, ids: ids, created: created) }
            if let gid = t.group(idOrName: name)?.id { t.groups[gid]?.members.append(u.id) }
        }
    }

    /// Adds `count` generated members of Everyone, `user1@example.com` on (logins in use are skipped).
    /// Built in place: no intermediate copy of the users, and the tables are sized once.
    static func generateUsers(
        _ count: Int, to t: inout TenantData, ids: RandomSource, created: Double, everyone: String?
    ) {
        let first = ["Alex", "Sam", "Kim", "Lee", "Noa", "Ira", "Max", "Eli", "Ren", "Jo"]
        let last = ["Smith", "Jones", "Garcia", "Chen", "Okafor", "Novak", "Silva", "Khan", "Berg", "Rossi"]
        t.users.reserveCapacity(t.users.count + count)
        var added = [String]()
        added.reserveCapacity(count)
        for n in 0..<count {
            // Lowercase already: the login is its own index key.
            let login = "user\(n + 1)@example.com"
            if t.users.id(loginKey: login) != nil { continue }
            let u = User(
                id: ids.oktaID("00u"), status: .ACTIVE, created: created + Double(n),
                activated: created + Double(n),
                statusChanged: created, lastLogin: nil, lastUpdated: created + Double(n),
                passwordChanged: created,
                profile: [
                    "firstName": .string(first[n % 10]), "lastName": .string(last[(n / 10) % 10]),
                    "mobilePhone": nil,
                    "secondEmail": nil, "login": .string(login), "email": .string(login),
                ],
                password: t.defaultPassword, adminRole: nil)
            t.users[u.id] = u
            added.append(u.id)
        }
        // Bulk insert: one sort instead of 100k sorted inserts.
        t.userOrder = mergeSorted(t.userOrder, sortedIds(added))
        if let e = everyone { t.groups[e]?.members.append(contentsOf: added) }
    }

    /// `ids` in ascending order, as `sorted()` puts them. Okta ids (20 ASCII bytes) are sorted by their bytes, held in
    /// three integers: sorting the strings themselves costs a pointer chase to each one's storage per comparison.
    static func sortedIds(_ ids: [String]) -> [String] {
        var keys: [(UInt64, UInt64, UInt32, Int32)] = []
        keys.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() {
            // ASCII compares as its bytes (what `String <` does for it); anything else takes the general sort.
            let key = id.utf8.withContiguousStorageIfAvailable { b -> (UInt64, UInt64, UInt32)? in
                guard b.count == 20, b.allSatisfy({ $0 < 0x80 }) else { return nil }
                func word(_ from: Int, _ n: Int) -> UInt64 { b[from..<from + n].reduce(0) { $0 << 8 | UInt64($1) } }
                return (word(0, 8), word(8, 8), UInt32(word(16, 4)))
            }
            guard let k = key ?? nil else { return ids.sorted() }
            keys.append((k.0, k.1, k.2, Int32(i)))
        }
        keys.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        return keys.map { ids[Int($0.3)] }
    }

    /// Two ascending lists as one.
    static func mergeSorted(_ a: [String], _ b: [String]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(a.count + b.count)
        var (i, j) = (0, 0)
        while i < a.count && j < b.count {
            if b[j] < a[i] {
                out.append(b[j])
                j += 1
            } else {
                out.append(a[i])
                i += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    /// Applies the fixture's token settings of the custom authorization servers, its rate-limit overrides and its
    /// Bearer error body.
    static func applyServerSettings(_ f: TenantFixture, to t: inout TenantData) {
        if let r = f.refreshTokenRotation {
            for id in t.serverOrder where id != "org" { t.servers[id]?.rotateRefreshTokens = r }
        }
        if let l = f.accessTokenLifetimeSeconds {
            for id in t.serverOrder where id != "org" { t.servers[id]?.accessTokenLifetime = l }
        }
        for (k, v) in f.rateLimits { t.rateLimitOverrides[k] = v }
        if let b = f.bearerErrorJSON { t.bearerErrorJSON = b }
    }

    static func applySignOn(_ f: TenantFixture, to t: inout TenantData, seed: UInt64, now: Double) {
        for fu in f.users {
            guard var u = t.user(idOrLogin: fu.login) else { continue }
            for type in fu.factors where !(u.factors ?? []).contains(where: { $0.factorType == type }) {
                u.factors = (u.factors ?? []) + [MockOkta.fixtureFactor(seed: seed, user: u, type: type, now: now)]
            }
            t.putUser(u)
        }
        for fu in f.users where fu.totp {
            guard var u = t.user(idOrLogin: fu.login),
                !(u.factors ?? []).contains(where: { $0.status == "ACTIVE" })
            else { continue }
            var factor = Factor.totp(seed: seed, user: u, provider: "GOOGLE", now: now)
            factor.status = "ACTIVE"
            u.factors = (u.factors ?? []) + [factor]
            t.putUser(u)
        }
        guard let so = f.signOn else { return }
        if let m = so["maxAttempts"]?.intValue { t.signOn.maxAttempts = m }
        if let d = so["deliveryDelaySeconds"]?.doubleValue { t.signOn.deliveryDelaySeconds = d }
        if let a = so["autoUnlockMinutes"]?.intValue { t.signOn.autoUnlockMinutes = a }
        if let r = so["requireMfa"]?.boolValue { t.signOn.mfaEveryone = r }
        for ref in so["requireMfaApps"]?.arrayValue ?? [] {
            if let a = t.app(idOrLabel: ref.stringValue ?? "") { t.signOn.mfaApps.insert(a.id) }
        }
        for z in so["zones"]?.arrayValue ?? [] {
            let name = z["name"]?.stringValue ?? ""
            // Ids from the seed and the name: the same zone in two loads has one id; a name in use is kept.
            guard !name.isEmpty, !t.signOn.zones.contains(where: { $0.name == name }) else { continue }
            func addresses(_ field: String) -> [ZoneAddress] {
                (z[field]?.arrayValue ?? []).compactMap(\.stringValue).map { v in
                    ZoneAddress(type: v.contains("-") ? "RANGE" : "CIDR", value: v)
                }
            }
            t.signOn.zones.append(
                NetworkZone(
                    id: RandomSource(seed: seed, purpose: "tenant.fixture.zone:" + name).oktaID("nzo"), name: name,
                    status: "ACTIVE",
                    usage: z["usage"]?.stringValue ?? "POLICY", gateways: addresses("gateways"),
                    proxies: addresses("proxies"), system: false, created: now, lastUpdated: now))
        }
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
