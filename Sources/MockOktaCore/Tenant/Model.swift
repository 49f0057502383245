import FoundationEssentials

/// Okta's user statuses; the case names are the wire values.
// swift-format-ignore: AlwaysUseLowerCamelCase
public enum UserStatus: String, Codable, Sendable, CaseIterable {
    case STAGED
    case PROVISIONED
    case ACTIVE
    case RECOVERY
    case PASSWORD_EXPIRED
    case LOCKED_OUT
    case SUSPENDED
    case DEPROVISIONED
}

public struct User: Codable, Sendable {
    public var id: String
    public var status: UserStatus
    public var created: Double
    public var activated: Double?
    public var statusChanged: Double?
    public var lastLogin: Double?
    public var lastUpdated: Double
    public var passwordChanged: Double?
    /// Okta profile: firstName, lastName, email, login, mobilePhone, secondEmail and any custom attribute.
    public var profile: JSON
    public var password: String?
    /// The one role a user had before role assignments existed (read from older `--db` files and fixtures);
    /// `roles`, when set, replaces it (Authorization/AdminRoles.swift).
    public var adminRole: AdminRole?
    /// Admin roles assigned to the user directly (`/api/v1/users/{id}/roles`).
    public var roles: [RoleAssignment]? = nil
    public var locked: Bool = false
    /// Enrolled MFA factors (SignIn/Factors.swift); nil = none.
    public var factors: [Factor]? = nil
    /// Wrong passwords since the last right one (the password policy locks the user at its maximum).
    public var failedLogins: Int? = nil
    /// When the password policy locked the user out (for its auto-unlock on the tenant clock).
    public var lockedAt: Double? = nil

    public var login: String { profile["login"]?.stringValue ?? "" }
    public var displayName: String {
        let f = profile["firstName"]?.stringValue ?? ""
        let l = profile["lastName"]?.stringValue ?? ""
        return "\(f) \(l)".trimmingWhitespace()
    }
    public var canSignIn: Bool { status == .ACTIVE || status == .PASSWORD_EXPIRED }
}

/// Okta's group types; the case names are the wire values.
// swift-format-ignore: AlwaysUseLowerCamelCase
public enum GroupType: String, Codable, Sendable {
    case OKTA_GROUP
    case APP_GROUP
    case BUILT_IN
}

public struct Group: Codable, Sendable {
    public var id: String
    public var created: Double
    public var lastUpdated: Double
    public var lastMembershipUpdated: Double
    public var type: GroupType
    public var name: String
    public var description: String?
    public var members: [String]  // user ids, in insertion order
    /// Admin roles assigned to the group (`/api/v1/groups/{id}/roles`): every member holds them.
    public var roles: [RoleAssignment]? = nil
}

public enum AppKind: String, Codable, Sendable { case service, web, browser, native }

/// The sign-on modes the app API creates (Okta's `signOnMode`); the case names are the wire values.
// swift-format-ignore: AlwaysUseLowerCamelCase
public enum SignOnMode: String, Codable, Sendable {
    case OPENID_CONNECT
    case SAML_2_0
    case BOOKMARK
}

public struct AppClientKey: Codable, Sendable {
    public var kid: String
    public var publicKeyPEM: String
}

public struct App: Codable, Sendable {
    public var id: String  // client id (Okta's app id equals the client id for OIDC apps)
    public var label: String
    public var kind: AppKind
    public var status: String  // ACTIVE | INACTIVE
    public var created: Double
    public var lastUpdated: Double
    public var clientSecret: String?
    public var grantTypes: [String]
    public var redirectURIs: [String]
    public var postLogoutRedirectURIs: [String]
    public var tokenEndpointAuthMethod: String
    public var jwks: [AppClientKey]
    /// Users assigned directly, in order.
    public var assignedUsers: [String]
    public var assignedGroups: [String]
    /// Scopes granted to the app on each authorization server (id → scopes). For the org server these are okta.*
    /// scopes.
    public var grants: [String: [String]]
    /// When each Okta API scope was granted through `/api/v1/apps/{id}/grants` (a grant's `created`).
    public var grantedAt: [String: Double]? = nil
    public var requirePKCE: Bool
    /// Group assignment details (priority, profile) by group id.
    public var groupAssignments: [String: JSON]? = nil
    /// nil for apps saved before other sign-on modes existed: OPENID_CONNECT.
    public var signOnMode: SignOnMode? = nil
    /// Okta's app `name`: `oidc_client`, `bookmark` or a custom SAML app's generated name.
    public var name: String? = nil
    /// `settings.app` (bookmark `url`, …) and `settings.signOn` (SAML) as sent.
    public var settingsApp: JSON? = nil
    public var signOn: JSON? = nil
    /// `settings.oauthClient` members echoed as sent (client_uri, logo_uri, consent_method, issuer_mode, …).
    public var oauthExtra: JSON? = nil
    /// `settings.oauthClient.response_types` as sent; nil = derived from the grant types.
    public var responseTypesSet: [String]? = nil
    /// When each user or group was assigned (AppUser and group assignment `created`).
    public var assignedAt: [String: Double]? = nil

    public var mode: SignOnMode { signOnMode ?? .OPENID_CONNECT }
    public var responseTypes: [String] {
        if let r = responseTypesSet, !r.isEmpty { return r }
        var r: [String] = []
        if grantTypes.contains("authorization_code") { r.append("code") }
        if grantTypes.contains("implicit") { r += ["token", "id_token"] }
        return r.isEmpty ? ["token"] : r
    }
}

public struct SigningKey: Codable, Sendable {
    public var kid: String
    public var privateKeyPEM: String
    /// ACTIVE signs new tokens; INACTIVE is still published until `dropAt` (nil = forever).
    public var status: String
    public var created: Double
    public var dropAt: Double?
}

public struct AuthServer: Codable, Sendable {
    public var id: String  // "org", "default", or aus…
    /// Okta's id (`aus…`) for a server addressed by name in URLs (`default`); nil = `id`.
    public var oktaId: String? = nil
    public var name: String
    public var description: String
    /// nil for the org server, whose audience is the org URL.
    public var audience: String?
    public var scopes: [String]
    public var keys: [SigningKey]
    public var accessTokenLifetime: Int
    public var idTokenLifetime: Int
    public var refreshTokenLifetime: Int
    public var rotateRefreshTokens: Bool
    public var created: Double
    /// ACTIVE or INACTIVE (`/lifecycle/deactivate`); nil = ACTIVE. An inactive server serves no OAuth endpoint.
    public var status: String? = nil
    public var lastUpdated: Double? = nil
    /// Every audience as configured (tokens carry the first, `audience`); nil = `[audience]`.
    public var audiences: [String]? = nil
    /// The scopes as objects (`/scopes`); nil = made from `scopes` (Authorization/AuthServerModel.swift).
    public var scopeDefs: [ScopeDef]? = nil
    /// Custom claims (`/claims`); nil = none.
    public var claims: [ClaimDef]? = nil
    /// Access policies (`/policies`) in priority order; nil = Okta's Default Policy (the built-in servers and
    /// fixtures), `[]` = none (a server created through the API starts without one, as in Okta).
    public var policies: [AccessPolicy]? = nil
    public var isOrg: Bool { id == "org" }
    public var isActive: Bool { status != "INACTIVE" }
}

public struct APIToken: Codable, Sendable {
    public var id: String  // 00T…
    public var name: String  // "admin", "readOnly" or a user's name for it
    public var valueHash: String
    public var userId: String
    public var revoked: Bool
    public var created: Double
}

public struct RefreshTokenRecord: Codable, Sendable {
    public var id: String
    public var valueHash: String
    public var clientId: String
    public var userId: String?
    public var serverId: String
    public var scopes: [String]
    public var issuedAt: Double
    public var expiresAt: Double
    public var revoked: Bool
    public var authTime: Double
}

public struct AuthCodeRecord: Codable, Sendable {
    public var valueHash: String
    public var clientId: String
    public var userId: String
    public var serverId: String
    public var redirectURI: String
    public var scopes: [String]
    public var nonce: String?
    public var codeChallenge: String?
    public var codeChallengeMethod: String?
    public var expiresAt: Double
    public var used: Bool
    public var authTime: Double
    /// How the user signed in (`pwd`, `otp`, `mfa`), for the ID token's `amr`; nil in codes from before sign-in.
    public var amr: [String]? = nil
}

/// "Tokens issued before `before` are no longer valid", narrowed by server/client/user (expireAccessTokens).
public struct AccessTokenCutoff: Codable, Sendable {
    public var before: Double
    public var serverId: String?
    public var clientId: String?
    public var userId: String?
}

/// Everything that makes up the org. A value type: the baseline for `/__mock/reset` is a copy.
public struct TenantData: Codable, Sendable {
    /// Users by id, with their login index (Tenant/UserTable.swift).
    public var users = UserTable()
    /// User ids sorted ascending: the listing order and the `after` cursor's index.
    public var userOrder: [String] = []
    /// Lowercased login → user id, kept by `users`.
    public var loginIndex: UserTable.LoginIndex { users.loginIndex }
    public var groups: [String: Group] = [:]
    public var groupOrder: [String] = []
    public var apps: [String: App] = [:]
    public var appOrder: [String] = []
    public var servers: [String: AuthServer] = [:]
    public var serverOrder: [String] = []
    public var apiTokens: [String: APIToken] = [:]  // by id
    public var refreshTokens: [String: RefreshTokenRecord] = [:]  // by value hash
    public var codes: [String: AuthCodeRecord] = [:]  // by value hash
    public var revokedAccessTokens: Set<String> = []  // jti
    public var accessTokenCutoffs: [AccessTokenCutoff] = []
    public var usedAssertionIDs: Set<String> = []
    public var orgId: String = ""
    public var defaultPassword: String = ""
    public var rateLimitOverrides: [String: Int] = [:]
    public var trustedOrigins: [String: TrustedOrigin] = [:]
    public var trustedOriginOrder: [String] = []
    /// What `/api/v1` answers to an invalid Bearer token: an empty body (Okta) or the JSON E0000011 body.
    public var bearerErrorJSON = false
    /// The password policy's lockout and the sign-on policy's MFA requirement (SignIn/).
    public var signOn = SignOnSettings()

    public init() {}

    /// The app an OAuth `client_id` names: only OpenID Connect apps are OAuth clients.
    public func client(_ clientId: String) -> App? {
        guard let a = apps[clientId], a.mode == .OPENID_CONNECT else { return nil }
        return a
    }

    /// A server by its URL name (`default`, `org`, `aus…`) or by its Okta id.
    public func server(idOrAlias: String) -> AuthServer? {
        if let s = servers[idOrAlias] { return s }
        return serverOrder.lazy.compactMap { self.servers[$0] }.first { $0.oktaId == idOrAlias }
    }

    public func user(idOrLogin: String) -> User? {
        if let u = users[idOrLogin] { return u }
        if let id = users.id(loginKey: TenantData.loginKey(idOrLogin)) { return users[id] }
        return nil
    }

    /// Adds or replaces a user (its login index entry follows its login).
    public mutating func putUser(_ u: User) {
        if users[u.id] == nil {
            let i = userOrder.insertionIndex(of: u.id)
            userOrder.insert(u.id, at: i)
        }
        users[u.id] = u
    }

    /// The `loginIndex` key of a login: lowercased, and the login's own string when it is lowercase already (most
    /// are), so a large tenant keeps one copy of each login, not two.
    static func loginKey(_ login: String) -> String {
        login.utf8.allSatisfy { $0 < 0x80 && !(0x41...0x5A).contains($0) } ? login : login.lowercased()
    }

    public mutating func removeUser(_ id: String) {
        guard users[id] != nil else { return }
        users[id] = nil
        let i = userOrder.insertionIndex(of: id)
        if i < userOrder.count, userOrder[i] == id { userOrder.remove(at: i) }
        for gid in groupOrder { groups[gid]?.members.removeAll { $0 == id } }
        for aid in appOrder { apps[aid]?.assignedUsers.removeAll { $0 == id } }
    }

    public func group(idOrName: String) -> Group? {
        if let g = groups[idOrName] { return g }
        return groupOrder.lazy.compactMap { self.groups[$0] }.first { $0.name.lowercased() == idOrName.lowercased() }
    }

    public func app(idOrLabel: String) -> App? {
        if let a = apps[idOrLabel] { return a }
        let l = idOrLabel.lowercased()
        return appOrder.lazy.compactMap { self.apps[$0] }.first {
            $0.label.lowercased() == l || $0.kind.rawValue == l
        }
    }

    public func groupsOf(userId: String) -> [Group] {
        groupOrder.compactMap { groups[$0] }.filter { $0.members.contains(userId) }
    }

    /// Assigned directly or through one of the user's groups.
    public func isAssigned(userId: String, app: App) -> Bool {
        if app.assignedUsers.contains(userId) { return true }
        for gid in app.assignedGroups where groups[gid]?.members.contains(userId) == true { return true }
        return false
    }
}

extension Array where Element == String {
    /// Binary search for the first index whose element is >= value.
    func insertionIndex(of value: String) -> Int {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
