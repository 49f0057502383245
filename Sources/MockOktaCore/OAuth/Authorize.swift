import Foundation

/// `/v1/authorize`: the redirect flow, the sign-in form and the error pages.
extension MockOkta {
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
                "The client is not authorized to use the provided grant type. Configured grant types: "
                    + "[\(app.grantTypes.joined(separator: ", "))]."
            )
        }
        guard state != nil, !(state ?? "").isEmpty else {
            return deny("invalid_request", "The authentication request has an invalid 'state' parameter.")
        }
        // A public client must use PKCE (okta-idx-java tests quote Okta's text).
        if p("code_challenge") == nil && app.tokenEndpointAuthMethod == "none" {
            return deny(
                "invalid_request",
                "PKCE code challenge is required when the token endpoint authentication method is 'NONE'.")
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
        let signedInUser: User
        var session: SignInState.Session? = nil
        var amr = ["pwd"]
        switch try authorizeSignIn(ex, app: app) {
        case .page(let page): return page
        case .nobody:
            if p("prompt") == "none" {
                return deny("login_required", "The client specified not to prompt, but the user is not logged in.")
            }
            return signInPage(ex, error: nil)
        case .user(let u, let newSession, let how):
            signedInUser = u
            session = newSession
            amr = how
        }
        let user = signedInUser
        guard user.canSignIn else {
            logEvent(
                .userSessionStart, actor: actor(user: user),
                result: "FAILURE", reason: "USER_NOT_ACTIVE", ex: ex)
            return deny(
                "access_denied", "The user is not active (\(user.status.rawValue)) and cannot sign in.", user: user)
        }
        guard read({ $0.isAssigned(userId: user.id, app: app) }) else {
            return deny("access_denied", "User is not assigned to the client application.", user: user)
        }
        do {
            _ = try applyAccessPolicy(ex, s, app, userId: user.id, grantType: "authorization_code", scopes: scopes)
        } catch let e as OAuthError {
            return deny(e.error, e.description, user: user)
        }
        logEvent(
            .userAuthenticationSSO, actor: actor(user: user),
            targets: [actor(app: app)], ex: ex)
        let code = tokenValues.string(43, alphabet: RandomSource.b64url)
        let rec = AuthCodeRecord(
            valueHash: hashSecret(code), clientId: app.id, userId: user.id, serverId: s.id, redirectURI: redirect,
            scopes: scopes, nonce: p("nonce"), codeChallenge: challenge, codeChallengeMethod: method,
            expiresAt: ex.now + 300, used: false, authTime: ex.now, amr: amr)
        try mutate { t, d in
            // Drop expired codes so the table stays small.
            for (k, c) in t.codes where c.expiresAt < ex.now - 600 {
                t.codes[k] = nil
                d.codes.insert(k)
            }
            t.codes[rec.valueHash] = rec
            d.codes.insert(rec.valueHash)
        }
        consumePushedRequest(ex)
        var reply = back([("code", code)])
        if let session { reply.headers.append(sessionCookie(session)) }
        return reply
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
                "<!DOCTYPE html><html><body onload=\"document.forms[0].submit()\"><form method=\"post\" "
                + "action=\"\(html(uri))\">\(inputs)<noscript><button "
                + "type=\"submit\">Continue</button></noscript></form></body></html>"
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
            "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>\(html(error))</h1><p "
            + "id=\"error-description\">\(html(desc))</p></body></html>"
        return HTTPReply(status: status, headers: [("Content-Type", "text/html;charset=utf-8")], body: Array(page.utf8))
    }

    /// A minimal sign-in form that posts back to /authorize with the original parameters.
}
