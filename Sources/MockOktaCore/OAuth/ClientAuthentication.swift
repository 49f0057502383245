import FoundationEssentials

/// Who the client is at the token, introspect, revoke and PAR endpoints: basic, post, private_key_jwt or none.
extension MockOkta {
    struct ClientAuth {
        var app: App
        var method: String
    }

    /// The calling client and how it authenticated: one of the Authorization header, the post body's secret or a
    /// client assertion; with none, a public client by `client_id` (or, unless `required`, any known client).
    func authenticateClient(_ ex: Exchange, serverId: String, required: Bool = true) throws -> ClientAuth {
        let basic = ex.req.header("authorization").flatMap { MockOkta.credential($0, scheme: "Basic") }
        let formId = ex.param("client_id")
        let formSecret = ex.param("client_secret")
        let assertion = ex.param("client_assertion")
        if [basic, formSecret, assertion].compactMap({ $0 }).count > 1 {
            throw OAuthError.invalidRequest(
                "Cannot supply multiple client credentials. Use one of the following: credentials in the "
                    + "Authorization header, credentials in the post body, or a client_assertion in the post body."
            )
        }
        func fail(_ e: OAuthError, clientId: String?) -> OAuthError { clientAuthFailure(ex, e, clientId: clientId) }
        if let basic {
            guard let credentials = MockOkta.basicCredentials(basic) else {
                throw fail(.invalidClient(), clientId: nil)
            }
            return try confidentialClient(
                ex, id: credentials.id, secret: credentials.secret, method: "client_secret_basic")
        }
        if let formSecret {
            guard let id = formId else { throw fail(.invalidClient("No client credentials found."), clientId: nil) }
            return try confidentialClient(ex, id: id, secret: formSecret, method: "client_secret_post")
        }
        if let assertion {
            guard ex.param("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
                throw OAuthError.invalidRequest("The client_assertion_type is invalid.")
            }
            let app = try verifyClientAssertion(
                ex, assertion: assertion, formClientId: formId, serverId: serverId, fail: fail)
            let secretSigned = DecodedJWT(assertion)?.isSecretSigned == true
            return ClientAuth(app: app, method: secretSigned ? "client_secret_jwt" : "private_key_jwt")
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

    /// Logs a failed client authentication (with the client as actor when it is known) and returns the error.
    func clientAuthFailure(_ ex: Exchange, _ e: OAuthError, clientId: String?) -> OAuthError {
        let a = clientId.flatMap { id in read { $0.client(id) } }
        logEvent(
            .oauthInvalidClientCredentials, actor: a.map(actor(app:)) ?? .unknown, result: "FAILURE",
            reason: e.description, ex: ex)
        return e
    }

    /// The client id and secret of a Basic credential (`base64(id:secret)`, each part percent-decoded), or nil.
    static func basicCredentials(_ basic: String) -> (id: String, secret: String)? {
        guard let d = Data(base64Encoded: basic), let s = String(data: d, encoding: .utf8),
            let colon = s.firstIndex(of: ":")
        else { return nil }
        let id = String(s[..<colon]).percentDecoded ?? String(s[..<colon])
        let secret = String(s[s.index(after: colon)...]).percentDecoded ?? String(s[s.index(after: colon)...])
        return (id, secret)
    }

    /// A confidential client by id and secret (client_secret_basic or client_secret_post): active, secret matching.
    func confidentialClient(_ ex: Exchange, id: String, secret: String, method: String) throws -> ClientAuth {
        ex.auth.clientId = id
        guard let app = read({ $0.client(id) }), app.status == "ACTIVE" else {
            throw clientAuthFailure(ex, .invalidClient(), clientId: id)
        }
        guard app.clientSecret == secret else {
            throw clientAuthFailure(
                ex, .invalidClient("The client secret supplied for a confidential client is invalid."), clientId: id)
        }
        return ClientAuth(app: app, method: method)
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
        if jwt.isSecretSigned {
            // client_secret_jwt: HMAC with the client secret (RFC 7523 §2.2, Okta's client authentication methods).
            guard let secret = app.clientSecret, jwt.verify(secret: secret) else {
                throw fail(.invalidClient("The client_assertion signature is invalid."), clientId)
            }
        } else {
            try verifyKeySignature(jwt, app, clientId, fail)
        }
        return try checkAssertionClaims(ex, jwt, clientId: clientId, serverId: serverId, app: app, fail: fail)
    }

    /// private_key_jwt: the assertion verifies with a key of the client's JWKS (by `kid` when the header has one).
    func verifyKeySignature(
        _ jwt: DecodedJWT, _ app: App, _ clientId: String, _ fail: (OAuthError, String?) -> OAuthError
    ) throws {
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
    }

    /// The assertion's claims: single-use `jti`, audience, expiry and issue time (okta-contract.md §4.4).
    func checkAssertionClaims(
        _ ex: Exchange, _ jwt: DecodedJWT, clientId: String, serverId: String, app: App,
        fail: (OAuthError, String?) -> OAuthError
    ) throws -> App {
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
}
