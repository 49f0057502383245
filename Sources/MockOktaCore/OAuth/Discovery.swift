import Foundation

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
}
