import Foundation

extension MockOkta {
    func server(_ id: String) throws -> AuthServer {
        guard let s = read({ $0.servers[id] }) else {
            throw OktaAPIError.notFound("Resource not found: \(id) (AuthorizationServer)")
        }
        return s
    }

    // MARK: discovery and keys

    func discovery(_ ex: Exchange, serverId: String, oidc: Bool) throws -> HTTPReply {
        let s = try server(serverId)
        if let cid = ex.req.queryValue("client_id"), read({ $0.client(cid) }) == nil {
            return HTTPReply.json(
                400,
                [
                    "errorCode": "invalid_client", "errorSummary": "Invalid value for 'client_id' parameter.",
                    "errorLink": "invalid_client", "errorId": .string(errorId()), "errorCauses": [],
                ])
        }
        let cacheKey = "discovery|\(serverId)|\(oidc)|\(baseURL)|\(s.scopes.joined(separator: " "))"
        if let cached = bodyCache.withLock({ $0[cacheKey] }) {
            return HTTPReply(
                status: 200,
                headers: [("Content-Type", "application/json"), ("Cache-Control", "max-age=86400, must-revalidate")],
                body: cached)
        }
        let b = endpointBase(serverId)
        var grants = ["authorization_code", "implicit", "refresh_token", "password"]
        if !oidc || !s.isOrg { grants.append("client_credentials") }
        grants.append("urn:ietf:params:oauth:grant-type:device_code")
        let authMethods: JSON = [
            "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none",
        ]
        var responseTypes: [String] = [
            "code", "id_token", "code id_token", "code token", "id_token token", "code id_token token",
        ]
        if !oidc { responseTypes.append("token") }
        var doc: [(String, JSON)] = [
            ("issuer", .string(issuer(serverId))),
            ("authorization_endpoint", .string("\(b)/authorize")),
            ("token_endpoint", .string("\(b)/token")),
        ]
        if oidc { doc.append(("userinfo_endpoint", .string("\(b)/userinfo"))) }
        doc += [
            ("registration_endpoint", .string("\(baseURL)/oauth2/v1/clients")),
            ("jwks_uri", .string("\(b)/keys")),
            ("response_types_supported", JSON(responseTypes)),
            ("response_modes_supported", ["query", "fragment", "form_post", "okta_post_message"]),
            ("grant_types_supported", JSON(grants)),
        ]
        if oidc {
            doc += [("subject_types_supported", ["public"]), ("id_token_signing_alg_values_supported", ["RS256"])]
        }
        doc += [
            // The org server's okta.* scopes are granted to apps but not advertised (OAS-OAUTH OrgASOidcMetadata).
            ("scopes_supported", JSON(s.scopes.filter { !$0.hasPrefix("okta.") })),
            ("token_endpoint_auth_methods_supported", authMethods),
            (
                "claims_supported",
                oidc
                    ? JSON([
                        "iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr", "idp", "nonce", "name",
                        "nickname",
                        "preferred_username", "given_name", "middle_name", "family_name", "email", "email_verified",
                        "profile",
                        "zoneinfo", "locale", "address", "phone_number", "picture", "website", "gender", "birthdate",
                        "updated_at", "at_hash", "c_hash",
                    ])
                    : JSON(["ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub"])
            ),
            ("code_challenge_methods_supported", ["S256"]),
            ("introspection_endpoint", .string("\(b)/introspect")),
            ("introspection_endpoint_auth_methods_supported", authMethods),
            ("revocation_endpoint", .string("\(b)/revoke")),
            ("revocation_endpoint_auth_methods_supported", authMethods),
            ("end_session_endpoint", .string("\(b)/logout")),
            ("request_parameter_supported", true),
            (
                "request_object_signing_alg_values_supported",
                ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]
            ),
            ("device_authorization_endpoint", .string("\(b)/device/authorize")),
            ("pushed_authorization_request_endpoint", .string("\(b)/par")),
            ("dpop_signing_alg_values_supported", ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]),
        ]
        let bytes = JSON.object(doc).bytes
        bodyCache.withLock { $0[cacheKey] = bytes }
        return HTTPReply(
            status: 200,
            headers: [("Content-Type", "application/json"), ("Cache-Control", "max-age=86400, must-revalidate")],
            body: bytes)
    }

    func keys(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        let s = try server(serverId)
        let published = publishedKeys(s, now: ex.now)
        let cacheKey = "keys|\(serverId)|" + published.map(\.kid).joined(separator: ",")
        let body: [UInt8]
        if let cached = bodyCache.withLock({ $0[cacheKey] }) {
            body = cached
        } else {
            let keys = published.compactMap { k in rsaKey(k).map { $0.publicJWK(kid: k.kid) } }
            body = JSON.object([("keys", .array(keys))]).bytes
            bodyCache.withLock { $0[cacheKey] = body }
        }
        return HTTPReply(
            status: 200,
            headers: [
                ("Content-Type", "application/json;charset=UTF-8"),
                ("Cache-Control", "max-age=3600, must-revalidate"), ("Vary", "Origin"),
            ], body: body)
    }

    // MARK: client authentication

    struct ClientAuth {
        var app: App
        var method: String
    }

    func authenticateClient(_ ex: Exchange, serverId: String, required: Bool = true) throws -> ClientAuth {
        let basic = ex.req.header("authorization").flatMap { MockOkta.credential($0, scheme: "Basic") }
        let formId = ex.param("client_id")
        let formSecret = ex.param("client_secret")
        let assertion = ex.param("client_assertion")
        var methods = 0
        if basic != nil { methods += 1 }
        if formSecret != nil { methods += 1 }
        if assertion != nil { methods += 1 }
        if methods > 1 {
            throw OAuthError.invalidRequest(
                "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body."
            )
        }
        func fail(_ e: OAuthError, clientId: String?) -> OAuthError {
            let a = clientId.flatMap { id in read { $0.client(id) } }
            logEvent(
                .oauthInvalidClientCredentials, actor: a.map(actor(app:)) ?? .unknown, result: "FAILURE",
                reason: e.description, ex: ex)
            return e
        }
        if let basic {
            guard let d = Data(base64Encoded: basic), let s = String(data: d, encoding: .utf8),
                let colon = s.firstIndex(of: ":")
            else {
                throw fail(.invalidClient(), clientId: nil)
            }
            let id = String(s[..<colon]).removingPercentEncoding ?? String(s[..<colon])
            let secret =
                String(s[s.index(after: colon)...]).removingPercentEncoding ?? String(s[s.index(after: colon)...])
            ex.auth.clientId = id
            guard let app = read({ $0.client(id) }), app.status == "ACTIVE" else {
                throw fail(.invalidClient(), clientId: id)
            }
            guard let expected = app.clientSecret, expected == secret else {
                throw fail(
                    .invalidClient("The client secret supplied for a confidential client is invalid."), clientId: id)
            }
            return ClientAuth(app: app, method: "client_secret_basic")
        }
        if let formSecret {
            guard let id = formId else { throw fail(.invalidClient("No client credentials found."), clientId: nil) }
            ex.auth.clientId = id
            guard let app = read({ $0.client(id) }), app.status == "ACTIVE" else {
                throw fail(.invalidClient(), clientId: id)
            }
            guard app.clientSecret == formSecret else {
                throw fail(
                    .invalidClient("The client secret supplied for a confidential client is invalid."), clientId: id)
            }
            return ClientAuth(app: app, method: "client_secret_post")
        }
        if let assertion {
            guard ex.param("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
                throw OAuthError.invalidRequest("The client_assertion_type is invalid.")
            }
            let app = try verifyClientAssertion(
                ex, assertion: assertion, formClientId: formId, serverId: serverId, fail: fail)
            return ClientAuth(app: app, method: "private_key_jwt")
        }
        if let id = formId, let app = read({ $0.client(id) }), app.clientSecret == nil, app.jwks.isEmpty {
            ex.auth.clientId = id
            return ClientAuth(app: app, method: "none")
        }
        if let id = formId { ex.auth.clientId = id }
        if !required, let id = formId, let app = read({ $0.client(id) }) { return ClientAuth(app: app, method: "none") }
        throw fail(
            .invalidClient(
                formId == nil
                    ? "No client credentials found."
                    : "Client authentication failed. Either the client or the client credentials are invalid."),
            clientId: formId)
    }

    func verifyClientAssertion(
        _ ex: Exchange, assertion: String, formClientId: String?, serverId: String,
        fail: (OAuthError, String?) -> OAuthError
    ) throws -> App {
        guard let jwt = DecodedJWT(assertion) else {
            throw fail(.invalidClient("The client_assertion is not a valid JWT."), formClientId)
        }
        let iss = jwt.claims["iss"]?.stringValue
        let sub = jwt.claims["sub"]?.stringValue
        let clientId = formClientId ?? iss ?? ""
        ex.auth.clientId = clientId
        guard let app = read({ $0.client(clientId) }), app.status == "ACTIVE" else {
            throw fail(.invalidClient("The client_assertion token has an invalid client identifier."), clientId)
        }
        guard iss == clientId else {
            throw fail(.invalidClient("The issuer claim (iss) must be the client_id."), clientId)
        }
        guard sub == clientId else {
            throw fail(.invalidClient("The subject claim (sub) must be the client_id."), clientId)
        }
        let candidates = app.jwks.filter { jwt.kid == nil || $0.kid == jwt.kid }
        guard !candidates.isEmpty else {
            throw fail(
                .invalidClient(
                    "The client_assertion signature is invalid: no key in the client's JWKS has kid '\(jwt.kid ?? "")'."
                ), clientId)
        }
        let verified = candidates.contains { k in
            (try? RSAKey(pem: k.publicKeyPEM)).map { jwt.verify(with: $0) } ?? false
        }
        guard verified else { throw fail(.invalidClient("The client_assertion signature is invalid."), clientId) }
        // Okta burns the jti as soon as it sees a validly signed assertion, even if the request then fails.
        if let jti = jwt.claims["jti"]?.stringValue {
            let fresh = try mutate { t, d -> Bool in
                d.misc = true
                return t.usedAssertionIDs.insert("\(clientId)|\(jti)").inserted
            }
            guard fresh else {
                throw fail(.invalidClient("The client_assertion token has already been used."), clientId)
            }
        }
        let tokenURL = "\(endpointBase(serverId))/token"
        let invoked = baseURL + ex.req.path
        let aud = jwt.claims["aud"]?.stringValue ?? jwt.claims["aud"]?.arrayValue?.first?.stringValue
        guard aud == invoked || aud == tokenURL else {
            throw fail(
                .invalidClient("The audience claim for client_assertion must be the endpoint invoked for the request."),
                clientId)
        }
        guard let exp = jwt.claims["exp"]?.doubleValue else {
            throw fail(.invalidClient("The client_assertion token must have an expiration claim (exp)."), clientId)
        }
        let now = ex.now
        guard exp > now - 60 else { throw fail(.invalidClient("The client_assertion token is expired."), clientId) }
        guard exp <= now + 3600 + 60 else {
            throw fail(
                .invalidClient("The client_assertion token has an expiration too far into the future."), clientId)
        }
        if let iat = jwt.claims["iat"]?.doubleValue, iat > now + 60 {
            throw fail(
                .invalidClient("The client_assertion token has an issued at time (iat) in the future."), clientId)
        }
        return app
    }

    // MARK: token issuance

    struct IssuedAccessToken {
        var token: String
        var claims: JSON
        var scopes: [String]
        var lifetime: Int
    }

    func newJTI(_ prefix: String) -> String { prefix + "." + jtis.string(43, alphabet: RandomSource.b64url) }

    /// Mints an access token as Okta would (claims in Okta's order), honouring a token fault if one fired.
    func mintAccessToken(
        server s: AuthServer, clientId: String, user: User?, scopes: [String], now: Double, authTime: Double?,
        fault: FaultKind?, extraClaims: [(String, JSON)] = [], lifetimeOverride: Int? = nil
    ) throws -> IssuedAccessToken {
        var lifetime = lifetimeOverride ?? s.accessTokenLifetime
        var iat = Int(now)
        var scopes = scopes
        var iss = issuer(s.id)
        var aud = audience(s)
        var corrupt = false
        var signer = activeKey(s)
        switch fault {
        case .expiredToken?:
            // Beyond any verifier's leeway (okta-auth-js allows 300 s).
            iat = Int(now) - lifetime - 600
        case .shortLivedToken(let secs)?: lifetime = secs
        case .wrongIssuer?: iss = s.isOrg ? issuer("default") : "\(baseURL)/oauth2/ausWrongIssuer00000"
        case .wrongAudience?: aud = "api://wrong-audience"
        case .badSignature?: corrupt = true
        case .unknownKid?:
            if let (kid, key) = strayKey {
                signer = (SigningKey(kid: kid, privateKeyPEM: "", status: "ACTIVE", created: now, dropAt: nil), key)
            }
        case .missingScope(let scope)?:
            if let scope { scopes.removeAll { $0 == scope } } else if !scopes.isEmpty { scopes.removeLast() }
        default: break
        }
        guard let (key, rsa) = signer else { throw OktaAPIError.serverError }
        let jti = newJTI("AT")
        recentMints.record(jti, at: now)
        var claims: [(String, JSON)] = [
            ("ver", 1), ("jti", .string(jti)), ("iss", .string(iss)), ("aud", .string(aud)), ("iat", JSON(iat)),
            ("exp", JSON(iat + lifetime)), ("cid", .string(clientId)),
        ]
        if let u = user { claims.append(("uid", .string(u.id))) }
        claims.append(("scp", JSON(scopes)))
        if let a = authTime { claims.append(("auth_time", JSON(Int(a)))) }
        claims.append(("sub", .string(user?.login ?? clientId)))
        claims += extraClaims
        let cj = JSON.object(claims)
        let token = try JWT.sign(claims: cj, key: rsa, kid: key.kid, corruptSignature: corrupt)
        // expires_in reads normally even for an expiredToken fault: the client only learns from the token itself.
        let expiresIn = fault == .expiredToken ? lifetime : max(0, iat + lifetime - Int(now))
        return IssuedAccessToken(token: token, claims: cj, scopes: scopes, lifetime: expiresIn)
    }

    func mintIDToken(
        server s: AuthServer, clientId: String, user: User, scopes: [String], now: Double, authTime: Double,
        nonce: String?, accessToken: String?, fault: FaultKind?
    ) throws -> String {
        var iat = Int(now)
        let lifetime = s.idTokenLifetime
        var iss = issuer(s.id)
        var aud = clientId
        var corrupt = false
        var signer = activeKey(s)
        switch fault {
        case .expiredToken?: iat = Int(now) - lifetime - 600
        case .wrongIssuer?: iss = s.isOrg ? issuer("default") : "\(baseURL)/oauth2/ausWrongIssuer00000"
        case .wrongAudience?: aud = "wrong-client-id"
        case .badSignature?: corrupt = true
        case .unknownKid?:
            if let (kid, key) = strayKey {
                signer = (SigningKey(kid: kid, privateKeyPEM: "", status: "ACTIVE", created: now, dropAt: nil), key)
            }
        default: break
        }
        guard let (key, rsa) = signer else { throw OktaAPIError.serverError }
        var claims: [(String, JSON)] = [("sub", .string(user.id))]
        if scopes.contains("profile") {
            claims += [("name", .string(user.displayName)), ("preferred_username", .string(user.login))]
        }
        if scopes.contains("email") {
            claims += [("email", .string(user.profile["email"]?.stringValue ?? user.login)), ("email_verified", true)]
        }
        claims += [
            ("ver", 1), ("iss", .string(iss)), ("aud", .string(aud)), ("iat", JSON(iat)), ("exp", JSON(iat + lifetime)),
            ("jti", .string(newJTI("ID"))), ("amr", ["pwd"]), ("idp", .string(read { $0.orgId })),
        ]
        if let nonce { claims.append(("nonce", .string(nonce))) }
        claims.append(("auth_time", JSON(Int(authTime))))
        if let at = accessToken {
            let h = Digest.sha256(Array(at.utf8))
            claims.append(("at_hash", .string(Base64URL.encode(Array(h.prefix(16))))))
        }
        return try JWT.sign(claims: .object(claims), key: rsa, kid: key.kid, corruptSignature: corrupt)
    }

    func newRefreshToken(
        server s: AuthServer, clientId: String, userId: String?, scopes: [String], now: Double, authTime: Double
    ) throws -> String {
        let value = tokenValues.string(43, alphabet: RandomSource.b64url)
        let rec = RefreshTokenRecord(
            id: "rt" + ids.string(18), valueHash: hashSecret(value), clientId: clientId, userId: userId,
            serverId: s.id, scopes: scopes, issuedAt: now, expiresAt: now + Double(s.refreshTokenLifetime),
            revoked: false, authTime: authTime)
        try mutate { t, d in
            t.refreshTokens[rec.valueHash] = rec
            d.refresh.insert(rec.valueHash)
        }
        return value
    }

    // MARK: /token

    func token(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        let s = try server(serverId)
        let isOrg = s.isOrg
        let grantEvent: EventType = isOrg ? .oauthTokenGrant : .oauthASTokenGrant
        do {
            guard let grant = ex.param("grant_type"), !grant.isEmpty else {
                throw OAuthError.invalidRequest(
                    "The token request must specify a 'grant_type'. Valid values: [authorization_code, password, refresh_token, client_credentials]"
                )
            }
            try checkBrowserOrigin(ex)
            let client = try authenticateClient(ex, serverId: serverId)
            let app = client.app
            let supported = ["authorization_code", "refresh_token", "password", "client_credentials"]
            guard supported.contains(grant) else {
                throw OAuthError(
                    400, "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server. Configured grant types: [\(supported.joined(separator: ", "))]."
                )
            }
            guard app.grantTypes.contains(grant) else { throw OAuthError.unauthorizedClient(app.grantTypes) }
            var result: [(String, JSON)]
            switch grant {
            case "client_credentials": result = try clientCredentials(ex, s, app, client)
            case "authorization_code": result = try authorizationCode(ex, s, app)
            case "refresh_token": result = try refreshGrant(ex, s, app)
            default: result = try passwordGrant(ex, s, app)
            }
            var r = HTTPReply.json(200, .object(result))
            r.setHeader("Cache-Control", "no-cache, no-store")
            r.setHeader("Pragma", "no-cache")
            return r
        } catch var e as OAuthError {
            if e.error != "invalid_client" {
                let a = ex.auth.clientId.flatMap { id in read { $0.client(id) } }
                logEvent(
                    grantEvent, "OAuth2 token request failed",
                    actor: a.map(actor(app:)) ?? .unknown, result: "FAILURE", reason: e.reason ?? e.error, ex: ex,
                    debug: [
                        ("grantType", JSON(ex.param("grant_type"))), ("error", .string(e.error)),
                        ("errorDescription", .string(e.description)),
                    ])
            }
            e.reason = nil
            throw e
        }
    }

    func requestedScopes(_ ex: Exchange) -> [String] {
        (ex.param("scope") ?? "").split(separator: " ").map(String.init).filter { !$0.isEmpty }
    }

    /// Checks requested scopes against the server and the app's grants.
    func checkScopes(_ requested: [String], _ s: AuthServer, _ app: App) throws -> [String] {
        let unknown = requested.filter { !s.scopes.contains($0) }
        if !unknown.isEmpty {
            throw OAuthError.invalidScope(
                "One or more scopes are not configured for the authorization server resource.")
        }
        let granted = app.grants[s.id] ?? []
        let missing = requested.filter { !granted.contains($0) }
        if !missing.isEmpty {
            throw OAuthError.invalidScope(
                "The requested scope is invalid, unknown, or malformed: the client is not granted \(missing.joined(separator: ", "))."
            )
        }
        return requested
    }

    func grantSuccessLog(_ ex: Exchange, _ s: AuthServer, _ app: App, user: User?, scopes: [String], kind: String) {
        let type: EventType
        switch kind {
        case "id_token": type = s.isOrg ? .oauthTokenGrantIDToken : .oauthASTokenGrantIDToken
        case "refresh_token": type = s.isOrg ? .oauthTokenGrantRefreshToken : .oauthASTokenGrantRefreshToken
        default: type = s.isOrg ? .oauthTokenGrantAccessToken : .oauthASTokenGrantAccessToken
        }
        logEvent(
            type,
            actor: user.map(actor(user:)) ?? actor(app: app), targets: [actor(app: app)], ex: ex,
            debug: [
                ("grantedScopes", .string(scopes.joined(separator: " "))), ("grantType", JSON(ex.param("grant_type"))),
            ])
    }

    func clientCredentials(_ ex: Exchange, _ s: AuthServer, _ app: App, _ client: ClientAuth) throws -> [(String, JSON)]
    {
        if s.isOrg && client.method != "private_key_jwt" {
            throw OAuthError.invalidClient(
                "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method."
            )
        }
        let requested = requestedScopes(ex)
        guard !requested.isEmpty else {
            throw OAuthError.invalidScope(
                "The authorization server resource does not have any configured default scopes, 'scope' must be provided."
            )
        }
        if requested.contains("openid") {
            throw OAuthError.invalidScope("Cannot request 'openid' scopes using client credentials.")
        }
        let scopes = try checkScopes(requested, s, app)
        let at = try mintAccessToken(
            server: s, clientId: app.id, user: nil, scopes: scopes, now: ex.now, authTime: nil, fault: ex.tokenFault)
        grantSuccessLog(ex, s, app, user: nil, scopes: at.scopes, kind: "access_token")
        return [
            ("token_type", "Bearer"), ("expires_in", JSON(at.lifetime)), ("access_token", .string(at.token)),
            ("scope", .string(at.scopes.joined(separator: " "))),
        ]
    }

    func userTokens(
        _ ex: Exchange, _ s: AuthServer, _ app: App, user: User, scopes: [String], authTime: Double, nonce: String?,
        refresh: String? = nil
    ) throws -> [(String, JSON)] {
        let at = try mintAccessToken(
            server: s, clientId: app.id, user: user, scopes: scopes, now: ex.now, authTime: authTime,
            fault: ex.tokenFault)
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
                nonce: nonce, accessToken: at.token, fault: ex.tokenFault)
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
                    "PKCE code verifier is required when the parameter code_challenge is included in the authorization request."
                )
            }
            let computed =
                rec.codeChallengeMethod == "S256" ? Base64URL.encode(Digest.sha256(Array(verifier.utf8))) : verifier
            guard computed == challenge else { throw OAuthError.invalidGrant("PKCE verification failed.") }
        } else if app.requirePKCE {
            throw OAuthError.invalidRequest("PKCE code verifier is required by the application.")
        }
        guard let user = read({ $0.users[rec.userId] }), user.canSignIn else {
            throw OAuthError.invalidGrant("The authorization code is invalid or has expired.")
        }
        return try userTokens(ex, s, app, user: user, scopes: rec.scopes, authTime: rec.authTime, nonce: rec.nonce)
    }

    func refreshGrant(_ ex: Exchange, _ s: AuthServer, _ app: App) throws -> [(String, JSON)] {
        guard let value = ex.param("refresh_token") else {
            throw OAuthError.invalidRequest("The 'refresh_token' parameter is required.")
        }
        let hash = hashSecret(value)
        guard let rec = read({ $0.refreshTokens[hash] }), rec.clientId == app.id, rec.serverId == s.id, !rec.revoked,
            rec.expiresAt > ex.now
        else { throw OAuthError.invalidGrant("The refresh token is invalid or expired.") }
        var scopes = rec.scopes
        if let requested = ex.param("scope").map({ $0.split(separator: " ").map(String.init) }), !requested.isEmpty {
            guard requested.allSatisfy(rec.scopes.contains) else {
                throw OAuthError.invalidScope(
                    "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner."
                )
            }
            scopes = requested
        }
        // Lost grants and assignments apply at the next refresh.
        let granted = app.grants[s.id] ?? []
        if !scopes.allSatisfy(granted.contains) {
            throw OAuthError.invalidGrant("The refresh token is invalid or expired.")
        }
        var user: User? = nil
        if let uid = rec.userId {
            guard let u = read({ $0.users[uid] }), u.canSignIn else {
                throw OAuthError.invalidGrant("The refresh token is invalid or expired.")
            }
            guard read({ $0.isAssigned(userId: uid, app: app) }) else { throw OAuthError.notAssigned }
            user = u
        }
        var keep: String? = value
        if s.rotateRefreshTokens {
            try mutate { t, d in
                // Spent under the lock: of two concurrent uses of one rotating token only one wins.
                guard t.refreshTokens[hash]?.revoked == false else {
                    throw OAuthError.invalidGrant("The refresh token is invalid or expired.")
                }
                t.refreshTokens[hash]?.revoked = true
                d.refresh.insert(hash)
            }
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
            server: s, clientId: app.id, user: nil, scopes: scopes, now: ex.now, authTime: nil, fault: ex.tokenFault)
        return [
            ("token_type", "Bearer"), ("expires_in", JSON(at.lifetime)), ("access_token", .string(at.token)),
            ("scope", .string(at.scopes.joined(separator: " "))), ("refresh_token", .string(keep ?? value)),
        ]
    }

    func passwordGrant(_ ex: Exchange, _ s: AuthServer, _ app: App) throws -> [(String, JSON)] {
        guard let username = ex.param("username"), let password = ex.param("password") else {
            throw OAuthError.invalidRequest("The 'username' and 'password' parameters are required.")
        }
        let scopes = try checkScopes(requestedScopes(ex), s, app)
        guard let user = read({ $0.user(idOrLogin: username) }), user.password == password, user.canSignIn else {
            let u = read { $0.user(idOrLogin: username) }
            logEvent(
                .userSessionStart,
                actor: u.map(actor(user:))
                    ?? SystemLog.Actor(id: "unknown", type: "User", alternateId: username, displayName: "unknown"),
                result: "FAILURE",
                reason: u == nil ? "VERIFICATION_ERROR" : (u!.canSignIn ? "INVALID_CREDENTIALS" : "USER_NOT_ACTIVE"),
                ex: ex)
            var e = OAuthError.invalidGrant("The credentials provided were invalid.")
            e.reason = "INVALID_CREDENTIALS"
            throw e
        }
        guard read({ $0.isAssigned(userId: user.id, app: app) }) else { throw OAuthError.notAssigned }
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

    // MARK: /authorize

    func authorize(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        let s = try server(serverId)
        if let refused = usePushedRequest(ex, serverId: s.id) { return refused }
        func p(_ n: String) -> String? { ex.params.first { $0.0 == n }?.1 }
        guard let clientId = p("client_id"), let app = read({ $0.client(clientId) }), app.status == "ACTIVE" else {
            return htmlError(400, "invalid_client", "Invalid value for 'client_id' parameter.")
        }
        ex.auth.clientId = clientId
        guard let redirect = p("redirect_uri"), app.redirectURIs.contains(redirect) else {
            return htmlError(
                400, "invalid_request",
                "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.")
        }
        let state = p("state")
        // Token response types answer in the fragment unless the client asks otherwise (OIDC Core 3.2.2.5).
        let mode =
            p("response_mode")
            ?? ((p("response_type") ?? "").split(separator: " ").contains { $0 == "token" || $0 == "id_token" }
                ? "fragment" : "query")
        func back(_ params: [(String, String)]) -> HTTPReply {
            var all = params
            if let state { all.append(("state", state)) }
            return redirectReply(redirect, all, mode: mode)
        }
        func deny(_ error: String, _ desc: String, user: User? = nil) -> HTTPReply {
            logEvent(
                s.isOrg ? .oauthAuthorize : .oauthASAuthorize, "OAuth2 authorization request denied",
                actor: user.map(actor(user:)) ?? actor(app: app), targets: [actor(app: app)], result: "FAILURE",
                reason: desc, ex: ex)
            return back([("error", error), ("error_description", desc)])
        }
        guard p("response_type") == "code" else {
            return deny(
                "unsupported_response_type",
                "The response type is not supported by the authorization server. Configured response types: [code].")
        }
        guard app.grantTypes.contains("authorization_code") else {
            return deny(
                "unauthorized_client",
                "The client is not authorized to use the provided grant type. Configured grant types: [\(app.grantTypes.joined(separator: ", "))]."
            )
        }
        guard state != nil, !(state ?? "").isEmpty else {
            return deny("invalid_request", "The authentication request has an invalid 'state' parameter.")
        }
        let scopes = (p("scope") ?? "").split(separator: " ").map(String.init)
        if scopes.isEmpty {
            return deny("invalid_scope", "The authentication request has an invalid 'scope' parameter.")
        }
        do { _ = try checkScopes(scopes, s, app) } catch let e as OAuthError { return deny(e.error, e.description) }
        let challenge = p("code_challenge")
        let method = p("code_challenge_method") ?? (challenge != nil ? "plain" : nil)
        if let m = method, m != "S256" && m != "plain" {
            return deny("invalid_request", "The code_challenge_method is not supported.")
        }
        // Who signs in: form post, or login_hint for users with the tenant's default password (no person needed).
        var user: User?
        if ex.req.method == "POST", let username = p("username") {
            guard let u = read({ $0.user(idOrLogin: username) }), u.password == p("password") else {
                logEvent(
                    .userSessionStart,
                    actor: SystemLog.Actor(id: "unknown", type: "User", alternateId: username, displayName: "unknown"),
                    result: "FAILURE", reason: "INVALID_CREDENTIALS", ex: ex)
                return signInPage(ex, error: "Unable to sign in")
            }
            user = u
        } else if let hint = p("login_hint"), let u = read({ $0.user(idOrLogin: hint) }),
            u.password == read({ $0.defaultPassword })
        {
            user = u
        }
        guard let user else {
            if p("prompt") == "none" {
                return deny("login_required", "The client specified not to prompt, but the user is not logged in.")
            }
            return signInPage(ex, error: nil)
        }
        guard user.canSignIn else {
            logEvent(
                .userSessionStart, actor: actor(user: user),
                result: "FAILURE", reason: "USER_NOT_ACTIVE", ex: ex)
            return deny(
                "access_denied", "The user is not active (\(user.status.rawValue)) and cannot sign in.", user: user)
        }
        try signedIn(user, ex: ex)
        guard read({ $0.isAssigned(userId: user.id, app: app) }) else {
            return deny("access_denied", "User is not assigned to the client application.", user: user)
        }
        logEvent(
            .userAuthenticationSSO, actor: actor(user: user),
            targets: [actor(app: app)], ex: ex)
        let code = tokenValues.string(43, alphabet: RandomSource.b64url)
        let rec = AuthCodeRecord(
            valueHash: hashSecret(code), clientId: app.id, userId: user.id, serverId: s.id, redirectURI: redirect,
            scopes: scopes, nonce: p("nonce"), codeChallenge: challenge, codeChallengeMethod: method,
            expiresAt: ex.now + 300, used: false, authTime: ex.now)
        try mutate { t, d in
            // Drop expired codes so the table stays small.
            for (k, c) in t.codes where c.expiresAt < ex.now - 600 {
                t.codes[k] = nil
                d.codes.insert(k)
            }
            t.codes[rec.valueHash] = rec
            d.codes.insert(rec.valueHash)
        }
        return back([("code", code)])
    }

    func redirectReply(_ uri: String, _ params: [(String, String)], mode: String) -> HTTPReply {
        func enc(_ s: String) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
        }
        let q = params.map { "\(enc($0.0))=\(enc($0.1))" }.joined(separator: "&")
        if mode == "form_post" {
            let inputs = params.map { "<input type=\"hidden\" name=\"\(html($0.0))\" value=\"\(html($0.1))\"/>" }
                .joined()
            let page =
                "<!DOCTYPE html><html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"\(html(uri))\">\(inputs)<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>"
            return HTTPReply(
                status: 200, headers: [("Content-Type", "text/html;charset=utf-8")], body: Array(page.utf8))
        }
        let sep = mode == "fragment" ? "#" : (uri.contains("?") ? "&" : "?")
        return HTTPReply(status: 302, headers: [("Location", uri + sep + q), ("Cache-Control", "no-cache, no-store")])
    }

    func html(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    func htmlError(_ status: Int, _ error: String, _ desc: String) -> HTTPReply {
        let page =
            "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>\(html(error))</h1><p id=\"error-description\">\(html(desc))</p></body></html>"
        return HTTPReply(status: status, headers: [("Content-Type", "text/html;charset=utf-8")], body: Array(page.utf8))
    }

    /// A minimal sign-in form that posts back to /authorize with the original parameters.
    func signInPage(_ ex: Exchange, error: String?) -> HTTPReply {
        let hidden = ex.params.filter { !["username", "password"].contains($0.0) }
            .map { "<input type=\"hidden\" name=\"\(html($0.0))\" value=\"\(html($0.1))\"/>" }.joined(separator: "\n")
        let err = error.map { "<p class=\"error\" role=\"alert\">\(html($0))</p>" } ?? ""
        let page = """
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>mock-okta - Sign In</title></head>
            <body><h1>Sign In</h1>\(err)
            <form method="post" action="\(html(ex.req.path))">
            \(hidden)
            <label>Username <input name="username" autocomplete="username"/></label>
            <label>Password <input name="password" type="password" autocomplete="current-password"/></label>
            <button type="submit">Sign In</button>
            </form></body></html>
            """
        return HTTPReply(status: 200, headers: [("Content-Type", "text/html;charset=utf-8")], body: Array(page.utf8))
    }

    // MARK: token validation (introspect, userinfo, /api/v1 Bearer)

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
                            "Bearer error=\"insufficient_scope\", error_description=\"The access token must provide access to at least one of these scopes - profile, email, address or phone\""
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
