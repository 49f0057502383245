import FoundationEssentials

/// The authorization servers' discovery documents and JWKS (`/.well-known/*`, `/v1/keys`).
extension MockOkta {
    func server(_ id: String) throws -> AuthServer {
        // An inactive server serves no OAuth endpoint (Okta answers 404 until it is activated again).
        guard let s = read({ $0.servers[id] }), s.isActive else {
            throw OktaAPIError.notFound("Resource not found: \(id) (AuthorizationServer)")
        }
        return s
    }

    // MARK: discovery and keys

    /// `/.well-known/openid-configuration` (`oidc`) or `/.well-known/oauth-authorization-server`; the body is cached
    /// by server, base URL and published scopes.
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
        // The org server's okta.* scopes are granted to apps but not advertised (OAS-OAUTH OrgASOidcMetadata); a
        // custom server lists the scopes published to all clients (`metadataPublish`).
        let published = MockOkta.publishedScopes(s)
        let cacheKey = "discovery|\(serverId)|\(oidc)|\(baseURL)|\(published.joined(separator: " "))"
        let bytes: [UInt8]
        if let cached = bodyCache.withLock({ $0[cacheKey] }) {
            bytes = cached
        } else {
            bytes = JSON.object(discoveryDocument(s, serverId: serverId, oidc: oidc, scopes: published)).bytes
            cacheBody(bytes, cacheKey)
        }
        return HTTPReply(
            status: 200,
            headers: [("Content-Type", "application/json"), ("Cache-Control", "max-age=86400, must-revalidate")],
            body: bytes)
    }

    /// The claims an OpenID Connect discovery document lists (ID token and userinfo).
    private static let oidcClaims: JSON = [
        "iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr", "idp", "nonce", "name", "nickname",
        "preferred_username", "given_name", "middle_name", "family_name", "email", "email_verified", "profile",
        "zoneinfo", "locale", "address", "phone_number", "picture", "website", "gender", "birthdate", "updated_at",
        "at_hash", "c_hash",
    ]

    /// The claims an OAuth 2.0 discovery document lists (the access token's).
    private static let accessTokenClaims: JSON = ["ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub"]

    /// The discovery document's members, in Okta's order: `oidc` for `openid-configuration`, else
    /// `oauth-authorization-server`.
    private func discoveryDocument(_ s: AuthServer, serverId: String, oidc: Bool, scopes published: [String])
        -> [(String, JSON)]
    {
        let b = endpointBase(serverId)
        // Exactly what is served (issue 12): the code flow only at /authorize (no implicit or hybrid response
        // types), no dynamic client registration, no request objects, RSA DPoP proofs.
        var grants = ["authorization_code", "refresh_token", "password"]
        if !oidc || !s.isOrg { grants.append("client_credentials") }
        grants.append(MockOkta.deviceGrant)
        let authMethods: JSON = [
            "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none",
        ]
        let responseTypes = ["code"]
        var doc: [(String, JSON)] = [
            ("issuer", .string(issuer(serverId))),
            ("authorization_endpoint", .string("\(b)/authorize")),
            ("token_endpoint", .string("\(b)/token")),
        ]
        if oidc { doc.append(("userinfo_endpoint", .string("\(b)/userinfo"))) }
        doc += [
            ("jwks_uri", .string("\(b)/keys")),
            ("response_types_supported", JSON(responseTypes)),
            ("response_modes_supported", ["query", "fragment", "form_post"]),
            ("grant_types_supported", JSON(grants)),
        ]
        if oidc {
            doc += [("subject_types_supported", ["public"]), ("id_token_signing_alg_values_supported", ["RS256"])]
        }
        doc += [
            ("scopes_supported", JSON(published)),
            ("token_endpoint_auth_methods_supported", authMethods),
            ("claims_supported", oidc ? MockOkta.oidcClaims : MockOkta.accessTokenClaims),
            ("code_challenge_methods_supported", ["S256"]),
            ("introspection_endpoint", .string("\(b)/introspect")),
            ("introspection_endpoint_auth_methods_supported", authMethods),
            ("revocation_endpoint", .string("\(b)/revoke")),
            ("revocation_endpoint_auth_methods_supported", authMethods),
            ("end_session_endpoint", .string("\(b)/logout")),
            ("request_parameter_supported", false),
            ("device_authorization_endpoint", .string("\(b)/device/authorize")),
            ("pushed_authorization_request_endpoint", .string("\(b)/par")),
            ("dpop_signing_alg_values_supported", ["RS256", "RS384", "RS512"]),
        ]
        return doc
    }

    /// Keeps a discovery or JWKS body for its key. Bounded: a key names a server's published scopes or keys, so a
    /// tenant whose scopes or keys keep changing makes new ones; past `bodyCacheLimit` the cache starts over.
    func cacheBody(_ body: [UInt8], _ key: String) {
        bodyCache.withLock { cache in
            if cache.count >= MockOkta.bodyCacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[key] = body
        }
    }

    static let bodyCacheLimit = 256

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
            cacheBody(body, cacheKey)
        }
        return HTTPReply(
            status: 200,
            headers: [
                ("Content-Type", "application/json;charset=UTF-8"),
                ("Cache-Control", "max-age=3600, must-revalidate"), ("Vary", "Origin"),
            ], body: body)
    }
}
