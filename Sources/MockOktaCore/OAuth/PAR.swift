import FoundationEssentials

/// A pushed authorization request (RFC 9126), kept until `/authorize` uses it or it expires.
struct PushedRequest: Sendable {
    let clientId: String
    let serverId: String
    let params: [(String, String)]
    let expiresAt: Double
}

extension MockOkta {
    /// How long a `request_uri` stays usable (OAS-OAUTH `par` example: `expires_in` 3600).
    static let pushedRequestLifetime = 3600.0
    /// At most this many unused pushed requests are kept; the oldest go first.
    static let pushedRequestLimit = 10_000

    /// `POST /oauth2/{as}/v1/par`: checks the client and the authorize parameters, answers 200 `{request_uri,
    /// expires_in}`.
    func par(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        let s = try server(serverId)
        try checkBrowserOrigin(ex)
        let client = try authenticateClient(ex, serverId: serverId)
        if ex.param("request_uri") != nil {
            throw OAuthError.invalidRequest("The 'request_uri' parameter must not be present in the request.")
        }
        guard let rt = ex.param("response_type"), !rt.isEmpty else {
            throw OAuthError.invalidRequest("The 'response_type' parameter is required.")
        }
        guard client.app.grantTypes.contains("authorization_code") else {
            throw OAuthError.unauthorizedClient(client.app.grantTypes)
        }
        if let m = ex.param("code_challenge_method"), m != "S256" && m != "plain" {
            throw OAuthError.invalidRequest("The code_challenge_method is not supported.")
        }
        guard rt == "code" else {
            throw OAuthError(
                400, "unsupported_response_type", "The response type contained in the request isn't supported.")
        }
        guard let redirect = ex.param("redirect_uri"), client.app.redirectURIs.contains(redirect) else {
            throw OAuthError.invalidRequest(
                "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.")
        }
        let scopes = requestedScopes(ex)
        if scopes.isEmpty { throw OAuthError.invalidScope("No scopes were requested.") }
        _ = try checkScopes(scopes, s, client.app)
        let uri = "urn:okta:" + tokenValues.string(43, alphabet: RandomSource.b64url)
        let keep = ex.params.filter { !["client_secret", "client_assertion", "client_assertion_type"].contains($0.0) }
        let req = PushedRequest(
            clientId: client.app.id, serverId: s.id, params: keep, expiresAt: ex.now + MockOkta.pushedRequestLifetime)
        pushedRequests.withLock { all in
            all = all.filter { $0.value.expiresAt > ex.now }
            if all.count >= MockOkta.pushedRequestLimit,
                let oldest = all.min(by: { $0.value.expiresAt < $1.value.expiresAt })?.key
            {
                all[oldest] = nil
            }
            all[uri] = req
        }
        var r = HTTPReply.json(
            200, ["request_uri": .string(uri), "expires_in": JSON(Int(MockOkta.pushedRequestLifetime))])
        r.setHeader("Cache-Control", "no-cache, no-store")
        r.setHeader("Pragma", "no-cache")
        return r
    }

    /// Replaces an `/authorize` request's parameters with the pushed ones its `request_uri` names. The request
    /// stays usable (the sign-in form posts it back) until a code is issued for it or it expires.
    /// Returns an error page when the `request_uri` is unknown, expired, or for another client or server.
    func usePushedRequest(_ ex: Exchange, serverId: String) -> HTTPReply? {
        guard let uri = ex.params.first(where: { $0.0 == "request_uri" })?.1 else { return nil }
        let pushed = pushedRequests.withLock { $0[uri] }
        guard let pushed, pushed.expiresAt > ex.now else {
            return htmlError(400, "invalid_request_uri", "The authorize request_uri is invalid.")
        }
        if let cid = ex.params.first(where: { $0.0 == "client_id" })?.1, cid != pushed.clientId {
            return htmlError(
                401, "invalid_client",
                "The 'client_id' parameter does not match the expected value for the provided request_uri.")
        }
        guard pushed.serverId == serverId else {
            return htmlError(400, "invalid_request_uri", "The request_uri was issued for another authorization server.")
        }
        // Sign-in form fields of this request (username, password) stay; everything else comes from the push.
        let local = ex.params.filter { kv in
            ["username", "password", "login_hint"].contains(kv.0) && !pushed.params.contains { $0.0 == kv.0 }
        }
        // The client authenticated at /par (often with Basic): its id comes from the push, not the form.
        let pushedParams = pushed.params.filter { $0.0 != "client_id" && $0.0 != "request_uri" }
        ex.params = [("client_id", pushed.clientId)] + pushedParams + local + [("request_uri", uri)]
        return nil
    }

    /// A code was issued for this pushed request: it cannot be used again.
    func consumePushedRequest(_ ex: Exchange) {
        guard let uri = ex.params.first(where: { $0.0 == "request_uri" })?.1 else { return }
        pushedRequests.withLock { $0[uri] = nil }
    }

    /// A browser (a request with `Origin`) may call the token endpoints only from a trusted origin (OEC
    /// `not_trusted_origin_browser_request`).
    func checkBrowserOrigin(_ ex: Exchange) throws {
        guard ex.req.header("origin") != nil, corsOrigin(ex.req) == nil else { return }
        throw OAuthError.invalidRequest(
            "Browser requests to the token endpoint must be made from one of the registered Trusted Origins.")
    }
}
