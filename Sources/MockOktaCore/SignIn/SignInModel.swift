import FoundationEssentials

/// An enrolled MFA factor. Only `token:software:totp` today (Okta Verify's or Google Authenticator's codes);
/// its secret is derived from the seed, so a test can compute codes (`/__mock/tenant` shows it).
public struct Factor: Codable, Sendable {
    public var id: String
    public var factorType: String
    public var provider: String
    /// `PENDING_ACTIVATION` until a first code is verified, then `ACTIVE`.
    public var status: String
    /// Base32, as Okta's enrollment answer shows it.
    public var secret: String
    public var created: Double
    public var lastUpdated: Double
    /// The time step of the last code accepted: Okta takes each code once (E0000082 for a second use).
    public var lastStep: Int64?
    /// `sms`: where codes go (no real delivery: they are read at `GET /__mock/factors/messages`).
    public var phoneNumber: String? = nil
    /// `email`: where codes go.
    public var email: String? = nil

    public var secretBytes: [UInt8] { TOTP.base32Decode(secret) ?? [] }

    /// The user's next TOTP enrollment: id and secret (20 bytes, Base32) come from the seed, the user and how many
    /// factors they had, so the same seed gives the same secrets.
    static func totp(seed: UInt64, user: User, provider: String, now: Double) -> Factor {
        let n = (user.factors ?? []).count
        return Factor(
            id: "uft" + RandomSource(seed: seed, purpose: "factor:\(user.id):\(n)").string(17),
            factorType: "token:software:totp", provider: provider, status: "PENDING_ACTIVATION",
            secret: TOTP.base32(RandomSource(seed: seed, purpose: "totp:\(user.id):\(n)").bytes(20)), created: now,
            lastUpdated: now)
    }
}

/// The org's password policy lockout and its sign-on MFA requirement. Okta's default password policy locks
/// a user after 10 wrong passwords and never unlocks by itself; its default sign-on policy asks for no MFA.
public struct SignOnSettings: Codable, Sendable, Equatable {
    public var maxAttempts: Int = 10
    /// nil: only an administrator (lifecycle/unlock) unlocks.
    public var autoUnlockMinutes: Int? = nil
    /// Every sign-in needs a second factor.
    public var mfaEveryone = false
    /// Sign-ins to these apps (ids) need a second factor.
    public var mfaApps: Set<String> = []
    /// IP network zones (`/api/v1/zones`), in creation order.
    public var zones: [NetworkZone] = []
    /// `OKTA_SIGN_ON` policies; empty until the Default Policy is first needed (see `changePolicies`).
    public var policies: [SignOnPolicy] = []
    /// Seconds before an SMS or email code can be read at `/__mock/factors/messages` (a slow carrier).
    public var deliveryDelaySeconds: Double = 0
    /// App id → the `ACCESS_POLICY` (app sign-on policy) assigned to it.
    public var appPolicies: [String: String] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case maxAttempts, autoUnlockMinutes, mfaEveryone, mfaApps, zones, policies, deliveryDelaySeconds, appPolicies
    }

    /// Every key is optional, so a `--db` file written before a setting existed still opens with its defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? 10
        autoUnlockMinutes = try c.decodeIfPresent(Int.self, forKey: .autoUnlockMinutes)
        mfaEveryone = try c.decodeIfPresent(Bool.self, forKey: .mfaEveryone) ?? false
        mfaApps = try c.decodeIfPresent(Set<String>.self, forKey: .mfaApps) ?? []
        zones = try c.decodeIfPresent([NetworkZone].self, forKey: .zones) ?? []
        policies = try c.decodeIfPresent([SignOnPolicy].self, forKey: .policies) ?? []
        deliveryDelaySeconds = try c.decodeIfPresent(Double.self, forKey: .deliveryDelaySeconds) ?? 0
        appPolicies = try c.decodeIfPresent([String: String].self, forKey: .appPolicies) ?? [:]
    }

    public func requiresMFA(appId: String?) -> Bool {
        mfaEveryone || appId.map { mfaApps.contains($0) } ?? false
    }
}

/// Short-lived sign-in state Okta keeps server-side: Authn transactions (`stateToken`), one-time session
/// tokens and sessions (the `sid` cookie). It lives in memory: a restart with `--db` keeps users, their
/// factors and lockouts, but signs everyone out, as a new browser would be.
struct SignInState: Sendable {
    struct Transaction: Sendable {
        var userId: String
        /// PASSWORD_EXPIRED, MFA_REQUIRED or MFA_ENROLL.
        var status: String
        var expiresAt: Double
        var appId: String?
        var factorFailures = 0
    }
    struct SessionToken: Sendable {
        var userId: String
        var expiresAt: Double
        var amr: [String]
    }
    struct Session: Sendable {
        var id: String
        var userId: String
        var createdAt: Double
        var expiresAt: Double
        var lastPasswordVerification: Double
        var lastFactorVerification: Double?
        var amr: [String]
    }
    /// A code sent by SMS or email for a factor in a transaction.
    struct Challenge: Sendable {
        var code: String
        var expiresAt: Double
    }
    /// An Okta Verify push waiting for the user (`/__mock` action `respondPush`).
    struct Push: Sendable {
        var userId: String
        var factorId: String
        var startedAt: Double
        /// WAITING, APPROVED or REJECTED.
        var result: String
    }
    /// A code "delivered" by SMS or email, readable through `/__mock/factors/messages` from `deliverableAt` on.
    struct Message: Sendable {
        var userId: String
        var login: String
        var factorType: String
        var to: String
        var code: String
        var sentAt: Double
        var deliverableAt: Double
    }
    var challenges: [String: Challenge] = [:]  // by transaction key + factor id
    var pushes: [String: Push] = [:]  // by transaction key
    var messages: [Message] = []  // the newest `limit`
    var transactions: [String: Transaction] = [:]  // by stateToken hash
    var sessionTokens: [String: SessionToken] = [:]  // by token hash
    var sessions: [String: Session] = [:]  // by id (the sid cookie's value)
    var devices: [String: DeviceAuthorization] = [:]  // by device_code hash (OAuth/DeviceFlow.swift)

    /// At most this many of each are kept; the oldest-expiring go first (bounded memory under load).
    static let limit = 10_000

    /// When expired entries were last swept (every lookup checks expiry itself; sweeping is for memory).
    var lastSweep: Double = -1e12

    /// Drops expired entries at most once a second, and the oldest-expiring ones when a map is over `limit`
    /// (down to 90 % of it, so a sustained overload does not sort on every request).
    mutating func prune(now: Double) {
        let limit = SignInState.limit
        let over =
            transactions.count > limit || sessionTokens.count > limit || sessions.count > limit
            || challenges.count > limit || pushes.count > limit
        guard over || now - lastSweep >= 1 else { return }
        lastSweep = now
        transactions = transactions.filter { $0.value.expiresAt > now }
        sessionTokens = sessionTokens.filter { $0.value.expiresAt > now }
        sessions = sessions.filter { $0.value.expiresAt > now }
        func trim<V>(_ d: inout [String: V], _ expiry: (V) -> Double) {
            guard d.count > limit else { return }
            for (k, _) in d.sorted(by: { expiry($0.value) < expiry($1.value) }).prefix(d.count - limit * 9 / 10) {
                d[k] = nil
            }
        }
        trim(&transactions, \.expiresAt)
        trim(&sessionTokens, \.expiresAt)
        trim(&sessions, \.expiresAt)
        challenges = challenges.filter { $0.value.expiresAt > now }
        pushes = pushes.filter { now - $0.value.startedAt < SignInState.pushLifetime * 2 }
        trim(&challenges, \.expiresAt)
        trim(&pushes, \.startedAt)
        if messages.count > SignInState.limit { messages.removeFirst(messages.count - SignInState.limit) }
    }

    /// Okta's push times out after 5 minutes; SMS and email codes expire after 5 minutes.
    static let pushLifetime = 300.0
    static let codeLifetime = 300.0
}
