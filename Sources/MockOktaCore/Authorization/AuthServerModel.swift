import FoundationEssentials

/// A scope of an authorization server (`/api/v1/authorizationServers/{id}/scopes`).
public struct ScopeDef: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var displayName: String?
    public var description: String?
    public var system: Bool
    /// IMPLICIT, REQUIRED or FLEXIBLE.
    public var consent: String
    /// ALL_CLIENTS or NO_CLIENTS (listed in the discovery document or not).
    public var metadataPublish: String
    public var isDefault: Bool
    public var optional: Bool
}

/// A custom claim (`/claims`): RESOURCE claims go into access tokens, IDENTITY claims into ID tokens.
public struct ClaimDef: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var status: String
    public var claimType: String
    /// EXPRESSION (`value` is an Okta expression) or GROUPS (`value` filters group names by `groupFilterType`).
    public var valueType: String
    public var value: String
    public var groupFilterType: String?
    public var alwaysIncludeInToken: Bool
    /// Included only when one of these scopes is granted; empty = always.
    public var scopes: [String]
    public var system: Bool
}

/// An access policy of an authorization server (`/policies`, type OAUTH_AUTHORIZATION_POLICY).
public struct AccessPolicy: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var status: String
    public var priority: Int
    public var system: Bool
    /// `ALL_CLIENTS` or client ids.
    public var clients: [String]
    public var created: Double
    public var lastUpdated: Double
    public var rules: [AccessRule]
}

/// A rule of an access policy (type RESOURCE_ACCESS): who, which grant types and scopes, and the token lifetimes.
public struct AccessRule: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var status: String
    public var priority: Int
    public var system: Bool
    public var users: [String]
    public var usersExclude: [String]
    /// `EVERYONE` or group ids.
    public var groups: [String]
    public var groupsExclude: [String]
    public var grantTypes: [String]
    /// `*` (any scope) or scope names: the rule matches when it covers every requested scope.
    public var scopes: [String]
    public var accessTokenLifetimeMinutes: Int
    /// 0 = unlimited.
    public var refreshTokenLifetimeMinutes: Int
    public var refreshTokenWindowMinutes: Int
    public var created: Double
    public var lastUpdated: Double
}

extension MockOkta {
    /// The system scopes every new custom server gets (okta-sdk-python cassette test_list_oauth2_scopes).
    static let newServerScopes = ["openid", "profile", "email", "address", "phone", "offline_access"]
    /// Okta's system scopes (`system: true`, cannot be deleted).
    static let systemScopes: Set<String> = [
        "openid", "profile", "email", "address", "phone", "offline_access", "device_sso",
    ]
    /// The grant types an access rule may name.
    static let ruleGrantTypes: Set<String> = [
        "authorization_code", "implicit", "password", "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:jwt-bearer", "interaction_code",
    ]

    /// An id that is the same on every read for the same key (objects of built-in servers made on demand).
    static func stableId(_ prefix: String, _ key: String) -> String {
        let h = Digest.sha256(Array(key.utf8))
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return prefix + String(h.prefix(20 - prefix.count).map { alphabet[Int($0) % alphabet.count] })
    }

    static func scopeDefs(_ s: AuthServer) -> [ScopeDef] {
        if let d = s.scopeDefs { return d }
        return s.scopes.map { name in
            let system = systemScopes.contains(name)
            return ScopeDef(
                id: stableId("scp", "\(s.id)|scope|\(name)"), name: name, displayName: system ? nil : name,
                description: system ? systemScopeDescription(name) : "Allows the \(name) scope", system: system,
                consent: "IMPLICIT", metadataPublish: "ALL_CLIENTS", isDefault: false, optional: false)
        }
    }

    /// The scopes a discovery document lists, by name: not okta.*, published to all clients. A server without
    /// scope definitions publishes all its scopes (`scopeDefs` gives each `ALL_CLIENTS`); answered without building
    /// the definitions, whose ids are hashes (discovery is a hot path).
    static func publishedScopes(_ s: AuthServer) -> [String] {
        guard let defs = s.scopeDefs else { return s.scopes.filter { !$0.hasPrefix("okta.") } }
        return defs.filter { !$0.name.hasPrefix("okta.") && $0.metadataPublish == "ALL_CLIENTS" }.map(\.name)
    }

    static func systemScopeDescription(_ name: String) -> String {
        switch name {
        // As recorded (okta-sdk-python cassette test_list_oauth2_scopes).
        case "openid": return "Signals that a request is an OpenID request."
        case "profile":
            return "The exact data varies based on what profile information you have provided, such as: name, time "
                + "zone, picture, or birthday."
        case "email": return "This allows the app to view your email address."
        case "address":
            return "This allows the app to view your address, such as: street address, city, state, and zip code."
        case "phone": return "This allows the app to view your phone number."
        case "offline_access": return "This keeps you signed in to the app, even when you are not using it."
        default: return "Requests a device secret used to obtain a new set of tokens without re-authentication."
        }
    }

    /// Okta's Default Policy of the `default` server: every client, everyone, every grant type, any scope; access
    /// tokens 1 hour, refresh tokens unlimited with a 7-day window.
    static func defaultAccessPolicy(_ s: AuthServer) -> AccessPolicy {
        let rule = AccessRule(
            id: stableId("0pr", "\(s.id)|rule"), name: "Default Policy Rule", status: "ACTIVE", priority: 1,
            system: false, users: [], usersExclude: [], groups: ["EVERYONE"], groupsExclude: [],
            grantTypes: ["client_credentials", "authorization_code", "implicit", "password", deviceGrant],
            scopes: ["*"],
            accessTokenLifetimeMinutes: max(5, (s.accessTokenLifetime + 59) / 60), refreshTokenLifetimeMinutes: 0,
            refreshTokenWindowMinutes: 7 * 24 * 60, created: s.created, lastUpdated: s.created)
        return AccessPolicy(
            id: stableId("00p", "\(s.id)|policy"), name: "Default Policy",
            description: "Default policy description", status: "ACTIVE", priority: 1, system: false,
            clients: ["ALL_CLIENTS"], created: s.created, lastUpdated: s.created, rules: [rule])
    }

    static func accessPolicies(_ s: AuthServer) -> [AccessPolicy] { s.policies ?? [defaultAccessPolicy(s)] }

    /// Priorities 1…n in list order (policies, and the rules of each).
    static func renumbered(_ list: [AccessPolicy]) -> [AccessPolicy] {
        list.enumerated().map { i, p in
            var p = p
            p.priority = i + 1
            p.rules = p.rules.enumerated().map { j, r in
                var r = r
                r.priority = j + 1
                return r
            }
            return p
        }
    }

    /// Moves an item to its requested priority (1-based; beyond the end = last).
    static func placed<T>(_ list: [T], _ item: T, priority: Int?) -> [T] {
        var l = list
        let i = min(max((priority ?? l.count + 1) - 1, 0), l.count)
        l.insert(item, at: i)
        return l
    }
}
