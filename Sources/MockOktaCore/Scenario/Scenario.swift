import FoundationEssentials

public enum PathPattern: Sendable, Equatable {
    case exact(String)
    case template([String])  // segments; "{…}" matches any one segment
    case prefix(String)

    public init(_ s: String) {
        if s.hasSuffix("/*") {
            self = .prefix(String(s.dropLast(1)))
        } else if s == "*" {
            self = .prefix("/")
        } else if s.contains("{") {
            self = .template(s.split(separator: "/").map(String.init))
        } else {
            self = .exact(s)
        }
    }

    public func matches(_ path: String) -> Bool {
        switch self {
        case .exact(let p): return p == path || (p.count > 1 && p.hasSuffix("/") && String(p.dropLast()) == path)
        case .prefix(let p): return path.hasPrefix(p) || path == String(p.dropLast())
        case .template(let segs):
            let parts = path.split(separator: "/")
            guard parts.count == segs.count else { return false }
            for (a, b) in zip(segs, parts) where !(a.hasPrefix("{") && a.hasSuffix("}")) && a != b { return false }
            return true
        }
    }
}

public struct Match: Sendable {
    public var method: String?
    public var path: PathPattern?
    public var query: [(String, String)] = []
    public var headers: [(String, String)] = []
    public var clientId: String?
    public var authorizationServer: String?
    public init() {}
}

public struct When: Sendable {
    /// Ordinals the rule fires on, as ranges (`[3, 5]` or `{from, to}`), so a wide range costs nothing.
    public var nth: [ClosedRange<Int>]?
    public var first: Int?
    public var after: Int?
    public var every: Int?
    public var probability: Double?
    public var betweenSeconds: (Double, Double)?
    public var times: Int?
    public init() {}
}

/// The fault vocabulary of the scenario format (`fault.type`), closed: the schema lists the same names.
public enum FaultType: String, CaseIterable, Sendable {
    case status, rateLimit, concurrencyLimit, serverError, unavailable, delay, hang, reset, close, emptyBody,
        malformedBody, slowBody,
        expiredToken, shortLivedToken, wrongIssuer, wrongAudience, unknownKid, badSignature, missingScope
}

/// The action vocabulary (`action.type`), closed like `FaultType`.
public enum ActionType: String, CaseIterable, Sendable {
    case revokeApiToken, expireAccessTokens, revokeRefreshTokens, rotateSigningKey, unassignUser, assignUser,
        removeScopeGrant,
        deactivateUser, suspendUser, setRateLimit, advanceClock, lockUser, expirePassword, requireMfa, setPassword,
        denyFromZone, respondPush, setPolicyRule, assignAdminRole, unassignAdminRole, approveDevice
}

public enum FaultKind: Sendable, Equatable {
    case status(Int)
    case rateLimit(resetAfterSeconds: Int, omitDate: Bool, omitResetHeader: Bool, duplicateResetHeader: Bool)
    case concurrencyLimit(resetAfterSeconds: Int)
    case serverError
    case unavailable
    case delay(ms: Int)
    case hang(seconds: Double?, close: Bool)
    case reset
    case close
    case emptyBody(status: Int?)
    case malformedBody(status: Int?)
    case slowBody(seconds: Double)
    case expiredToken
    case shortLivedToken(seconds: Int)
    case wrongIssuer
    case wrongAudience
    case unknownKid
    case badSignature
    case missingScope(scope: String?)

    public var name: String {
        switch self {
        case .status: return "status"
        case .rateLimit: return "rateLimit"
        case .concurrencyLimit: return "concurrencyLimit"
        case .serverError: return "serverError"
        case .unavailable: return "unavailable"
        case .delay: return "delay"
        case .hang: return "hang"
        case .reset: return "reset"
        case .close: return "close"
        case .emptyBody: return "emptyBody"
        case .malformedBody: return "malformedBody"
        case .slowBody: return "slowBody"
        case .expiredToken: return "expiredToken"
        case .shortLivedToken: return "shortLivedToken"
        case .wrongIssuer: return "wrongIssuer"
        case .wrongAudience: return "wrongAudience"
        case .unknownKid: return "unknownKid"
        case .badSignature: return "badSignature"
        case .missingScope: return "missingScope"
        }
    }

    public var isTokenFault: Bool {
        switch self {
        case .expiredToken, .shortLivedToken, .wrongIssuer, .wrongAudience, .unknownKid, .badSignature, .missingScope:
            return true
        case .status, .rateLimit, .concurrencyLimit, .serverError, .unavailable, .delay, .hang, .reset, .close,
            .emptyBody, .malformedBody,
            .slowBody:
            return false
        }
    }
}

public struct Fault: Sendable {
    public var kind: FaultKind
    public var body: JSON?
    public var headers: [(String, String)] = []
    public init(kind: FaultKind) { self.kind = kind }
}

public struct Rule: Sendable {
    public var id: String
    public var description: String?
    /// Reported but never failing a run for not firing.
    public var optional: Bool = false
    public var match: Match
    public var when: When
    public var fault: Fault
}

public enum Action: Sendable {
    case revokeApiToken(token: String)
    case expireAccessTokens(server: String?, clientId: String?, user: String?)
    case revokeRefreshTokens(clientId: String?, user: String?)
    case rotateSigningKey(server: String?, dropOld: Bool, keepOldSeconds: Double?)
    case unassignUser(user: String, app: String)
    case assignUser(user: String, app: String)
    case removeScopeGrant(app: String, scope: String, server: String?)
    case deactivateUser(user: String)
    case suspendUser(user: String)
    case setRateLimit(bucket: String, limit: Int)
    case advanceClock(seconds: Double)
    case lockUser(user: String)
    case expirePassword(user: String)
    /// `app` nil: every sign-in; `off`: lift the requirement.
    case requireMfa(app: String?, off: Bool)
    /// An administrator sets a new password (nil: a random one), as a help desk reset does.
    case setPassword(user: String, password: String?)
    /// The Default Policy denies sign-ins from a network zone (by name or id); `off` lifts it.
    case denyFromZone(zone: String, off: Bool)
    /// The user answers the Okta Verify pushes waiting for them (approve, or reject).
    case respondPush(user: String, reject: Bool)
    /// Changes an access rule of a custom server (by name or id): its status and, when given, what it covers.
    case setPolicyRule(PolicyRuleChange)
    /// Assigns or unassigns an admin role of a user or a group (`holder` is `user:<ref>` or `group:<ref>`).
    case assignAdminRole(holder: String, role: String)
    case unassignAdminRole(holder: String, role: String)
    /// The user approves (or denies) a pending device authorization (nil user code: the newest one).
    case approveDevice(user: String, userCode: String?, deny: Bool)

    public var name: String {
        switch self {
        case .revokeApiToken: return "revokeApiToken"
        case .expireAccessTokens: return "expireAccessTokens"
        case .revokeRefreshTokens: return "revokeRefreshTokens"
        case .rotateSigningKey: return "rotateSigningKey"
        case .unassignUser: return "unassignUser"
        case .assignUser: return "assignUser"
        case .removeScopeGrant: return "removeScopeGrant"
        case .deactivateUser: return "deactivateUser"
        case .suspendUser: return "suspendUser"
        case .setRateLimit: return "setRateLimit"
        case .advanceClock: return "advanceClock"
        case .lockUser: return "lockUser"
        case .expirePassword: return "expirePassword"
        case .requireMfa: return "requireMfa"
        case .setPassword: return "setPassword"
        case .denyFromZone: return "denyFromZone"
        case .respondPush: return "respondPush"
        case .setPolicyRule: return "setPolicyRule"
        case .assignAdminRole: return "assignAdminRole"
        case .unassignAdminRole: return "unassignAdminRole"
        case .approveDevice: return "approveDevice"
        }
    }
}

/// What `setPolicyRule` changes; nil fields stay as they are.
public struct PolicyRuleChange: Sendable, Equatable {
    public var server: String
    public var policy: String?
    public var rule: String
    public var status: String?
    public var scopes: [String]?
    public var grantTypes: [String]?
    public var accessTokenLifetimeMinutes: Int?
}

public struct TimelineEntry: Sendable {
    public var atSeconds: Double?
    public var afterRule: String?
    public var delaySeconds: Double
    public var action: Action
}

public struct Expectation: Sendable {
    public var type: String
    public var path: PathPattern?
    public var pathText: String?
    public var method: String?
    public var params: JSON
}

public struct Scenario: Sendable {
    public var name: String
    public var description: String
    public var seed: UInt64?
    public var tenant: TenantFixture
    public var rules: [Rule]
    public var timeline: [TimelineEntry]
    public var expect: [Expectation]
    public var source: JSON

    public static func empty() -> Scenario {
        Scenario(
            name: "adhoc", description: "Rules added at run time", seed: nil, tenant: TenantFixture(), rules: [],
            timeline: [],
            expect: [], source: ["version": 1, "name": "adhoc", "description": "Rules added at run time"])
    }
}
