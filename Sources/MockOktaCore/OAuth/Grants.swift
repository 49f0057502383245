import FoundationEssentials

/// The grants the token endpoint serves: client_credentials, authorization_code, refresh_token, password.
extension MockOkta {
    func clientCredentials(_ ex: Exchange, _ s: AuthServer, _ app: App, _ client: ClientAuth) throws -> [(String, JSON)]
    {
        // A public client cannot prove who it is, so it cannot act as itself.
        if client.method == "none" {
            throw OAuthError.invalidClient(
                "Client authentication failed. Either the client or the client credentials are invalid.")
        }
        if s.isOrg && client.method != "private_key_jwt" {
            throw OAuthError.invalidClient(
                "Client Credentials requests to the Org Authorization Server must use the private_key_jwt "
                    + "token_endpoint_auth_method."
            )
        }
        let requested = requestedScopes(ex)
        guard !requested.isEmpty else {
            throw OAuthError.invalidScope(
                "The authorization server resource does not have any configured default scopes, 'scope' must be "
                    + "provided."
            )
        }
        if requested.contains("openid") {
            throw OAuthError.invalidScope("Cannot request 'openid' scopes using client credentials.")
        }
        let scopes = try checkScopes(requested, s, app)
        let s = try applyAccessPolicy(ex, s, app, userId: nil, grantType: "client_credentials", scopes: scopes)
        let at = try mintAccessToken(
            server: s, clientId: app.id, user: nil, scopes: scopes, now: ex.now, authTime: nil, fault: ex.tokenFault,
            extraClaims: dpopClaims(ex))
        grantSuccessLog(ex, s, app, user: nil, scopes: at.scopes, kind: "access_token")
        return [
            ("token_type", "Bearer"), ("expires_in", JSON(at.lifetime)), ("access_token", .string(at.token)),
            ("scope", .string(at.scopes.joined(separator: " "))),
        ]
    }

    func userTokens(
        _ ex: Exchange, _ s: AuthServer, _ app: App, user: User, scopes: [String], authTime: Double, nonce: String?,
        refresh: String? = nil, amr: [String]? = nil
    ) throws -> [(String, JSON)] {
        let at = try mintAccessToken(
            server: s, clientId: app.id, user: user, scopes: scopes, now: ex.now, authTime: authTime,
            fault: ex.tokenFault, extraClaims: dpopClaims(ex))
        var out: [(String, JSON)] = [
            ("token_type", "Bearer"), ("expires_in", JSON(at.lifetime)), ("access_token", .string(at.token)),
            ("scope", .string(at.scopes.joined(separator: " "))),
        ]
        grantSuccessLog(ex, s, app, user: user, scopes: at.scopes, kind: "access_token")
        if scopes.contains("offline_access") && app.grantTypes.contains("refresh_token") {
            let rt =
                try refresh
                ?? newRefreshToken(
                    server: s, clientId: app.id, userId: user.id, scopes: scopes, now: ex.now, authTime: authTime)
            out.append(("refresh_token", .string(rt)))
            grantSuccessLog(ex, s, app, user: user, scopes: scopes, kind: "refresh_token")
        }
        if scopes.contains("openid") {
            let id = try mintIDToken(
                server: s, clientId: app.id, user: user, scopes: scopes, now: ex.now, authTime: authTime,
                nonce: nonce, accessToken: at.token, fault: ex.tokenFault, amr: amr ?? ["pwd"])
            out.append(("id_token", .string(id)))
            grantSuccessLog(ex, s, app, user: user, scopes: scopes, kind: "id_token")
        }
        return out
    }

    func authorizationCode(_ ex: Exchange, _ s: AuthServer, _ app: App) throws -> [(String, JSON)] {
        guard let code = ex.param("code") else { throw OAuthError.invalidRequest("The 'code' parameter is required.") }
        let hash = hashSecret(code)
        let rec = try mutate { t, d -> AuthCodeRecord in
            guard var rec = t.codes[hash], rec.serverId == s.id, rec.clientId == app.id else {
                throw OAuthError.invalidGrant("The authorization code is invalid or has expired.")
            }
            guard !rec.used, rec.expiresAt > ex.now else {
                throw OAuthError.invalidGrant("The authorization code is invalid or has expired.")
            }
            rec.used = true
            t.codes[hash] = rec
            d.codes.insert(hash)
            return rec
        }
        guard ex.param("redirect_uri") == rec.redirectURI else {
            throw OAuthError.invalidGrant(
                "The 'redirect_uri' does not match the redirection URI used in the authorization request.")
        }
        if let challenge = rec.codeChallenge {
            guard let verifier = ex.param("code_verifier") else {
                throw OAuthError.invalidRequest(
                    "PKCE code verifier is required when the parameter code_challenge is included in the "
                        + "authorization request."
                )
            }
            let computed =
                rec.codeChallengeMethod == "S256" ? Base64URL.encode(Digest.sha256(Array(verifier.utf8))) : verifier
            guard computed == challenge else { throw OAuthError.invalidGrant("PKCE verification failed.") }
        } else if app.requirePKCE || app.tokenEndpointAuthMethod == "none" {
            throw OAuthError.invalidRequest("PKCE code verifier is required by the application.")
        }
        guard let user = read({ $0.users[rec.userId] }), user.canSignIn else {
            throw OAuthError.invalidGrant("The authorization code is invalid or has expired.")
        }
        let s = try applyAccessPolicy(
            ex, s, app, userId: user.id, grantType: "authorization_code", scopes: rec.scopes)
        return try userTokens(
            ex, s, app, user: user, scopes: rec.scopes, authTime: rec.authTime, nonce: rec.nonce, amr: rec.amr)
    }

    /// `grant_type=refresh_token`: the token's scopes (or fewer), checked again against today's grants, user,
    /// assignment and access policies; a server that rotates refresh tokens spends the old one.
    func refreshGrant(_ ex: Exchange, _ s: AuthServer, _ app: App) throws -> [(String, JSON)] {
        guard let value = ex.param("refresh_token") else {
            throw OAuthError.invalidRequest("The 'refresh_token' parameter is required.")
        }
        let hash = hashSecret(value)
        guard let rec = read({ $0.refreshTokens[hash] }), rec.clientId == app.id, rec.serverId == s.id, !rec.revoked,
            rec.expiresAt > ex.now
        else { throw OAuthError.invalidGrant("The refresh token is invalid or expired.") }
        let scopes = try refreshScopes(ex, rec, s, app)
        let user = try refreshUser(rec, app)
        // So do changed access policies: the refresh is evaluated like a new request.
        let s = try applyAccessPolicy(ex, s, app, userId: user?.id, grantType: "refresh_token", scopes: scopes)
        var keep: String? = value
        if s.rotateRefreshTokens {
            try spendRefreshToken(hash)
            keep = nil
        }
        if let user {
            var out = try userTokens(
                ex, s, app, user: user, scopes: scopes, authTime: rec.authTime, nonce: nil, refresh: keep)
            if keep == nil && !out.contains(where: { $0.0 == "refresh_token" }) {
                out.append(
                    (
                        "refresh_token",
                        .string(
                            try newRefreshToken(
                                server: s, clientId: app.id, userId: user.id, scopes: rec.scopes, now: ex.now,
                                authTime: rec.authTime))
                    ))
            }
            return out
        }
        let at = try mintAccessToken(
            server: s, clientId: app.id, user: nil, scopes: scopes, now: ex.now, authTime: nil, fault: ex.tokenFault,
            extraClaims: dpopClaims(ex))
        return [
            ("token_type", "Bearer"), ("expires_in", JSON(at.lifetime)), ("access_token", .string(at.token)),
            ("scope", .string(at.scopes.joined(separator: " "))), ("refresh_token", .string(keep ?? value)),
        ]
    }

    /// The scopes a refresh asks for (all of the token's when it names none), each still granted to the client.
    private func refreshScopes(_ ex: Exchange, _ rec: RefreshTokenRecord, _ s: AuthServer, _ app: App) throws
        -> [String]
    {
        var scopes = rec.scopes
        if let requested = ex.param("scope").map({ $0.split(separator: " ").map(String.init) }), !requested.isEmpty {
            guard requested.allSatisfy(rec.scopes.contains) else {
                throw OAuthError.invalidScope(
                    "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the "
                        + "resource owner."
                )
            }
            scopes = requested
        }
        // Lost grants and assignments apply at the next refresh.
        if let granted = grantedScopes(s, app), !scopes.allSatisfy(granted.contains) {
            throw OAuthError.invalidGrant("The refresh token is invalid or expired.")
        }
        return scopes
    }

    /// The refresh token's user (nil for a client's own token), who must still be able to sign in and be assigned.
    private func refreshUser(_ rec: RefreshTokenRecord, _ app: App) throws -> User? {
        guard let uid = rec.userId else { return nil }
        guard let u = read({ $0.users[uid] }), u.canSignIn else {
            throw OAuthError.invalidGrant("The refresh token is invalid or expired.")
        }
        guard read({ $0.isAssigned(userId: uid, app: app) }) else { throw OAuthError.notAssigned }
        return u
    }

    /// Revokes a rotating refresh token as it is used.
    private func spendRefreshToken(_ hash: String) throws {
        try mutate { t, d in
            // Spent under the lock: of two concurrent uses of one rotating token only one wins.
            guard t.refreshTokens[hash]?.revoked == false else {
                throw OAuthError.invalidGrant("The refresh token is invalid or expired.")
            }
            t.refreshTokens[hash]?.revoked = true
            d.refresh.insert(hash)
        }
    }

    func passwordGrant(_ ex: Exchange, _ s: AuthServer, _ app: App) throws -> [(String, JSON)] {
        guard let username = ex.param("username"), let password = ex.param("password") else {
            throw OAuthError.invalidRequest("The 'username' and 'password' parameters are required.")
        }
        let scopes = try checkScopes(requestedScopes(ex), s, app)
        // The same check as the Authn API and the sign-in page: wrong passwords count toward the lockout.
        guard case .ok(let user) = try checkPassword(username: username, password: password, ex: ex) else {
            var e = OAuthError.invalidGrant("The credentials provided were invalid.")
            e.reason = "INVALID_CREDENTIALS"
            throw e
        }
        // A sign-on policy that denies, or asks for a second factor a password grant cannot give: Okta's
        // password_auth_denied_policy (okta-developer-docs data/oauth2-error-codes.json).
        if evaluateSignOn(user, appId: app.id, ex: ex, app: app) != .allow(mfa: false) {
            var e = OAuthError.invalidGrant(
                "Resource owner password credentials authentication denied by sign on policy.")
            e.reason = "SIGN_ON_POLICY"
            throw e
        }
        guard read({ $0.isAssigned(userId: user.id, app: app) }) else { throw OAuthError.notAssigned }
        let s = try applyAccessPolicy(ex, s, app, userId: user.id, grantType: "password", scopes: scopes)
        try signedIn(user, ex: ex)
        return try userTokens(ex, s, app, user: user, scopes: scopes, authTime: ex.now, nonce: nil)
    }

    func signedIn(_ user: User, ex: Exchange) throws {
        try mutate { t, d in
            t.users[user.id]?.lastLogin = ex.now
            d.users.insert(user.id)
        }
        logEvent(.userSessionStart, actor: actor(user: user), ex: ex)
    }
}
