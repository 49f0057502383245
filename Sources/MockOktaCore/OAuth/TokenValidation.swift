import FoundationEssentials

/// Validating tokens as a resource server does, and the endpoints built on it: introspect, revoke, userinfo, logout.
extension MockOkta {
    enum TokenProblem: Error {
        case malformed, badAlg, unknownKid, badSignature, expired, notYetValid, notAccessToken, wrongIssuer,
            wrongAudience, revoked, inactiveUser

        var description: String {
            switch self {
            case .malformed: return "The access token is invalid."
            case .badAlg: return "The access token is invalid: unsupported signing algorithm."
            case .unknownKid: return "The access token is invalid: unknown signing key."
            case .badSignature: return "The access token is invalid: signature validation failed."
            case .expired: return "The token has expired."
            case .notYetValid: return "The token is not valid yet (nbf is in the future)."
            case .notAccessToken: return "The access token is invalid: this is not an access token."
            case .wrongIssuer: return "The access token provided has an invalid issuer."
            case .wrongAudience: return "The access token provided is not intended for this resource."
            case .revoked: return "The access token has been revoked."
            case .inactiveUser: return "The user is not active."
            }
        }
    }

    /// Validates a JWT issued by `serverId`, as Okta would for a resource request.
    func validateAccessToken(_ token: String, serverId: String, now: Double, allowIDToken: Bool = false) -> Result<
        DecodedJWT, TokenProblem
    > {
        guard let jwt = DecodedJWT(token) else { return .failure(.malformed) }
        guard jwt.alg == "RS256" else { return .failure(.badAlg) }
        guard let s = read({ $0.servers[serverId] }) else { return .failure(.wrongIssuer) }
        // A token from another server: its kid is not ours.
        let keys = publishedKeys(s, now: now)
        guard let k = keys.first(where: { $0.kid == jwt.kid }) else {
            let otherServer = read { t in t.servers.values.contains { $0.keys.contains { $0.kid == jwt.kid } } }
            return .failure(otherServer ? .wrongIssuer : .unknownKid)
        }
        guard let key = rsaKey(k), jwt.verify(with: key) else { return .failure(.badSignature) }
        guard jwt.claims["iss"]?.stringValue == issuer(serverId) else { return .failure(.wrongIssuer) }
        // Every access token Okta issues names its client in `cid`; an ID token (aud = client, no cid) is not one.
        guard jwt.claims["cid"] != nil || allowIDToken else { return .failure(.notAccessToken) }
        let aud = jwt.claims["aud"]?.stringValue
        if jwt.claims["cid"] != nil, aud != audience(s) { return .failure(.wrongAudience) }
        guard let exp = jwt.claims["exp"]?.doubleValue, exp > now else { return .failure(.expired) }
        // Okta refuses a token that is not valid yet; it never issues `nbf`, but a forged-in-the-future one must fail.
        if let nbf = jwt.claims["nbf"] {
            guard let t = nbf.doubleValue, t <= now else { return .failure(.notYetValid) }
        }
        let iat = jwt.claims["iat"]?.doubleValue ?? 0
        let jti = jwt.claims["jti"]?.stringValue ?? ""
        let cid = jwt.claims["cid"]?.stringValue
        let uid = jwt.claims["uid"]?.stringValue
        let (revoked, cut, userOK) = read { t -> (Bool, Bool, Bool) in
            let cut = t.accessTokenCutoffs.contains { c in
                recentMints.mintedBefore(c.before, iat: iat, jti: jti) && (c.serverId == nil || c.serverId == serverId)
                    && (c.clientId == nil || c.clientId == cid)
                    && (c.userId == nil || c.userId == uid)
            }
            let userOK = uid.map { t.users[$0]?.canSignIn ?? false } ?? true
            return (t.revokedAccessTokens.contains(jti), cut, userOK)
        }
        if revoked { return .failure(.revoked) }
        if cut { return .failure(.expired) }
        if !userOK { return .failure(.inactiveUser) }
        return .success(jwt)
    }

    func introspect(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        let s = try server(serverId)
        let client = try authenticateClient(ex, serverId: serverId)
        guard let token = ex.param("token"), !token.isEmpty else {
            throw OAuthError.invalidRequest("The `token` parameter is required.")
        }
        let hint = ex.param("token_type_hint")
        if hint != "access_token" && hint != "id_token", let rec = read({ $0.refreshTokens[hashSecret(token)] }) {
            guard rec.clientId == client.app.id, !rec.revoked, rec.expiresAt > ex.now, rec.serverId == s.id else {
                return .json(200, ["active": false])
            }
            let user = rec.userId.flatMap { uid in read { $0.users[uid] } }
            return .json(
                200,
                [
                    "active": true, "token_type": "Bearer", "scope": .string(rec.scopes.joined(separator: " ")),
                    "client_id": .string(rec.clientId), "username": JSON(user?.login), "exp": JSON(Int(rec.expiresAt)),
                    "iat": JSON(Int(rec.issuedAt)), "sub": JSON(user?.login), "aud": .string(audience(s)),
                    "iss": .string(issuer(s.id)), "uid": JSON(user?.id), "device_id": nil,
                ])
        }
        switch validateAccessToken(token, serverId: serverId, now: ex.now, allowIDToken: true) {
        case .failure: return .json(200, ["active": false])
        case .success(let jwt):
            let c = jwt.claims
            if c["cid"] == nil {
                // ID token
                return .json(
                    200,
                    [
                        "active": true, "token_type": "Bearer", "client_id": JSON(c["aud"]?.stringValue),
                        "exp": c["exp"] ?? .null, "iat": c["iat"] ?? .null, "sub": c["sub"] ?? .null,
                        "aud": c["aud"] ?? .null, "iss": c["iss"] ?? .null, "jti": c["jti"] ?? .null,
                    ])
            }
            let scp = c["scp"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return .json(
                200,
                [
                    "active": true, "token_type": "Bearer", "scope": .string(scp.joined(separator: " ")),
                    "client_id": c["cid"] ?? .null, "username": c["sub"] ?? .null, "exp": c["exp"] ?? .null,
                    "iat": c["iat"] ?? .null, "sub": c["sub"] ?? .null, "aud": c["aud"] ?? .null,
                    "iss": c["iss"] ?? .null, "jti": c["jti"] ?? .null, "uid": c["uid"] ?? .null,
                ])
        }
    }

    func revoke(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        let s = try server(serverId)
        let client = try authenticateClient(ex, serverId: serverId)
        guard let token = ex.param("token"), !token.isEmpty else {
            throw OAuthError.invalidRequest("The `token` parameter is required.")
        }
        let hash = hashSecret(token)
        var revokedSomething = false
        try mutate { t, d in
            if let rec = t.refreshTokens[hash], rec.clientId == client.app.id {
                t.refreshTokens[hash]?.revoked = true
                d.refresh.insert(hash)
                revokedSomething = true
            }
        }
        if !revokedSomething, let jwt = DecodedJWT(token), let jti = jwt.claims["jti"]?.stringValue {
            try mutate { t, d in
                t.revokedAccessTokens.insert(jti)
                d.misc = true
            }
            revokedSomething = true
        }
        if revokedSomething {
            logEvent(
                s.isOrg ? .oauthTokenRevoke : .oauthASTokenRevoke,
                actor: actor(app: client.app), ex: ex)
        }
        return HTTPReply(status: 200, headers: [("Cache-Control", "no-cache, no-store")])
    }

    func userinfo(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        _ = try server(serverId)
        let header = ex.req.header("authorization")
        guard
            let token = header.flatMap({
                MockOkta.credential($0, scheme: "Bearer") ?? MockOkta.credential($0, scheme: "DPoP")
            }),
            !token.isEmpty
        else {
            return HTTPReply(
                status: 401,
                headers: [
                    (
                        "WWW-Authenticate",
                        "Bearer error=\"invalid_request\", error_description=\"The access token is missing.\""
                    )
                ])
        }
        switch validateAccessToken(token, serverId: serverId, now: ex.now) {
        case .failure(let p):
            return HTTPReply(
                status: 401,
                headers: [
                    ("WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"\(p.description)\"")
                ])
        case .success(let jwt):
            let scp = jwt.claims["scp"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard scp.contains("openid"), let uid = jwt.claims["uid"]?.stringValue, let user = read({ $0.users[uid] })
            else {
                return HTTPReply(
                    status: 403,
                    headers: [
                        (
                            "WWW-Authenticate",
                            "Bearer error=\"insufficient_scope\", error_description=\"The access token must provide "
                                + "access to at least one of these scopes - profile, email, address or phone\""
                        )
                    ])
            }
            var claims: [(String, JSON)] = [("sub", .string(user.id))]
            if scp.contains("profile") {
                claims += [
                    ("name", .string(user.displayName)), ("locale", "en_US"),
                    ("preferred_username", .string(user.login)),
                    ("given_name", JSON(user.profile["firstName"]?.stringValue)),
                    ("family_name", JSON(user.profile["lastName"]?.stringValue)), ("zoneinfo", "America/Los_Angeles"),
                    ("updated_at", JSON(Int(user.lastUpdated))),
                ]
            }
            if scp.contains("email") {
                claims += [("email", JSON(user.profile["email"]?.stringValue)), ("email_verified", true)]
            }
            return .json(200, .object(claims))
        }
    }

    func logout(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        let s = try server(serverId)
        let hint = ex.param("id_token_hint")
        let post = ex.param("post_logout_redirect_uri")
        // Okta checks the hint is an ID token it issued (signature and issuer; an expired one is still fine)
        // and shows an error page otherwise.
        if let hint {
            guard let jwt = DecodedJWT(hint), jwt.alg == "RS256",
                let k = publishedKeys(s, now: ex.now).first(where: { $0.kid == jwt.kid }), let key = rsaKey(k),
                jwt.verify(with: key),
                jwt.claims["iss"]?.stringValue == issuer(serverId)
            else {
                return htmlError(
                    400, "invalid_request",
                    "The 'id_token_hint' parameter is not a valid ID token issued by this authorization server.")
            }
        }
        if let post {
            let clientId = hint.flatMap { DecodedJWT($0)?.claims["aud"]?.stringValue }
            let allowed = read { t in
                clientId.flatMap { t.apps[$0]?.postLogoutRedirectURIs.contains(post) }
                    ?? t.apps.values.contains { $0.postLogoutRedirectURIs.contains(post) }
            }
            guard allowed else {
                return htmlError(
                    400, "invalid_request",
                    "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings."
                )
            }
            var params: [(String, String)] = []
            if let st = ex.param("state") { params.append(("state", st)) }
            return redirectReply(post, params, mode: "query")
        }
        return HTTPReply(status: 302, headers: [("Location", "\(baseURL)/login/signout")])
    }
}
