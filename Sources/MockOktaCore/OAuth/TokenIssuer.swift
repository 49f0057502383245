import FoundationEssentials

/// Minting access, ID and refresh tokens (RS256, with the scenario's token faults applied).
extension MockOkta {
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
        for c in customClaims(s, identity: false, user: user, clientId: clientId, scopes: scopes)
        where !claims.contains(where: { $0.0 == c.0 }) {
            claims.append(c)
        }
        let cj = JSON.object(claims)
        let token = try JWT.sign(claims: cj, key: rsa, kid: key.kid, corruptSignature: corrupt)
        // expires_in reads normally even for an expiredToken fault: the client only learns from the token itself.
        let expiresIn = fault == .expiredToken ? lifetime : max(0, iat + lifetime - Int(now))
        return IssuedAccessToken(token: token, claims: cj, scopes: scopes, lifetime: expiresIn)
    }

    func mintIDToken(
        server s: AuthServer, clientId: String, user: User, scopes: [String], now: Double, authTime: Double,
        nonce: String?, accessToken: String?, fault: FaultKind?, amr: [String] = ["pwd"]
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
            ("jti", .string(newJTI("ID"))), ("amr", JSON(amr)), ("idp", .string(read { $0.orgId })),
        ]
        if let nonce { claims.append(("nonce", .string(nonce))) }
        claims.append(("auth_time", JSON(Int(authTime))))
        if let at = accessToken {
            let h = Digest.sha256(Array(at.utf8))
            claims.append(("at_hash", .string(Base64URL.encode(Array(h.prefix(16))))))
        }
        for c in customClaims(s, identity: true, user: user, clientId: clientId, scopes: scopes)
        where !claims.contains(where: { $0.0 == c.0 }) {
            claims.append(c)
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
}
