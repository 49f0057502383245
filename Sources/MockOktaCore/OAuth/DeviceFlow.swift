import FoundationEssentials

/// A device authorization (RFC 8628) waiting for its user: in memory, like Okta's server-side state.
struct DeviceAuthorization: Sendable {
    var clientId: String
    var serverId: String
    var scopes: [String]
    var userCode: String
    var expiresAt: Double
    /// Seconds a client waits between polls; `slow_down` adds 5 (RFC 8628 §3.5).
    var interval: Double
    var lastPoll: Double?
    /// PENDING, APPROVED, DENIED or USED.
    var status: String
    var userId: String?
}

/// The device authorization grant for native apps (RFC 8628): `POST /v1/device/authorize` gives a device code and a
/// user code; the device polls `/v1/token` with `grant_type=urn:ietf:params:oauth:grant-type:device_code` and gets
/// `authorization_pending`, `slow_down` (polled before `interval`), `expired_token` (after 600 s), `access_denied`
/// (the user said no) or the tokens. The user approves at `/activate` (user code, login, password) or a scenario
/// approves with the `approveDevice` action. At most 10,000 pending authorizations are kept.
extension MockOkta {
    static let deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"
    static let deviceCodeLifetime = 600.0
    static let userCodeAlphabet: RandomSource.Alphabet = "BCDFGHJKLMNPQRSTVWXZ"

    func deviceAuthorize(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        let s = try server(serverId)
        let app = try authenticateClient(ex, serverId: serverId).app
        guard app.grantTypes.contains(MockOkta.deviceGrant) else { throw OAuthError.unauthorizedClient(app.grantTypes) }
        let scopes = try checkScopes(requestedScopes(ex), s, app)
        let code = tokenValues.string(40, alphabet: RandomSource.b64url)
        let userCode = tokenValues.string(8, alphabet: MockOkta.userCodeAlphabet)
        let d = DeviceAuthorization(
            clientId: app.id, serverId: s.id, scopes: scopes, userCode: userCode,
            expiresAt: ex.now + MockOkta.deviceCodeLifetime, interval: 5, lastPoll: nil, status: "PENDING",
            userId: nil)
        signIn.withLock { st in
            if st.devices.count >= SignInState.limit {
                st.devices = st.devices.filter { $0.value.expiresAt > ex.now && $0.value.status != "USED" }
                if st.devices.count >= SignInState.limit,
                    let oldest = st.devices.min(by: { $0.value.expiresAt < $1.value.expiresAt })
                {
                    st.devices[oldest.key] = nil
                }
            }
            st.devices[hashSecret(code)] = d
        }
        var r = HTTPReply.json(
            200,
            [
                "device_code": .string(code), "user_code": .string(userCode),
                "verification_uri": .string("\(baseURL)/activate"),
                "verification_uri_complete": .string("\(baseURL)/activate?user_code=\(userCode)"),
                "expires_in": JSON(Int(MockOkta.deviceCodeLifetime)), "interval": 5,
            ])
        r.setHeader("Cache-Control", "no-cache, no-store")
        return r
    }

    /// The token endpoint's device_code grant.
    func deviceCodeGrant(_ ex: Exchange, _ s: AuthServer, _ app: App) throws -> [(String, JSON)] {
        guard let code = ex.param("device_code"), !code.isEmpty else {
            throw OAuthError.invalidRequest("The 'device_code' parameter is required.")
        }
        let key = hashSecret(code)
        let d = try signIn.withLock { st -> DeviceAuthorization in
            guard var d = st.devices[key], d.clientId == app.id, d.serverId == s.id, d.status != "USED" else {
                throw OAuthError.invalidGrant("The device code is invalid or has expired.")
            }
            guard d.expiresAt > ex.now else {
                throw OAuthError(400, "expired_token", "The device code has expired.")
            }
            switch d.status {
            case "DENIED":
                st.devices[key] = nil
                throw OAuthError(400, "access_denied", "The resource owner or authorization server denied the request.")
            case "APPROVED":
                d.status = "USED"
                st.devices[key] = d
                return d
            default:
                defer { st.devices[key] = d }
                if let last = d.lastPoll, ex.now - last < d.interval {
                    d.interval += 5
                    d.lastPoll = ex.now
                    throw OAuthError(400, "slow_down", "The client is polling too frequently.")
                }
                d.lastPoll = ex.now
                throw OAuthError(
                    400, "authorization_pending", "The device authorization is pending. Please try again later.")
            }
        }
        guard let uid = d.userId, let user = read({ $0.users[uid] }), user.canSignIn else {
            throw OAuthError.invalidGrant("The device code is invalid or has expired.")
        }
        guard read({ $0.isAssigned(userId: uid, app: app) }) else { throw OAuthError.notAssigned }
        let s = try applyAccessPolicy(ex, s, app, userId: uid, grantType: MockOkta.deviceGrant, scopes: d.scopes)
        return try userTokens(ex, s, app, user: user, scopes: d.scopes, authTime: ex.now, nonce: nil)
    }

    /// Approves (or denies) the pending device authorization with this user code for a user; nil user code = the
    /// newest pending one. Returns false when there is none.
    func approveDevice(userCode: String?, userId: String, deny: Bool, now: Double) -> Bool {
        signIn.withLock { st in
            let pending = st.devices.filter {
                $0.value.status == "PENDING" && $0.value.expiresAt > now
                    && (userCode == nil || $0.value.userCode == MockOkta.normalizedUserCode(userCode!))
            }
            guard let (key, _) = pending.max(by: { $0.value.expiresAt < $1.value.expiresAt }) else { return false }
            st.devices[key]?.status = deny ? "DENIED" : "APPROVED"
            st.devices[key]?.userId = userId
            return true
        }
    }

    static func normalizedUserCode(_ s: String) -> String {
        String(s.uppercased().filter { $0.isLetter })
    }
}
