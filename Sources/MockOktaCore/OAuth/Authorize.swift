import FoundationEssentials

/// One `/authorize` request whose client and redirect URI are known: every later answer is a redirect there.
private struct AuthorizeRequest {
    let ex: Exchange
    let server: AuthServer
    let app: App
    let redirect: String
    /// The client's `state`, echoed on every redirect.
    let state: String?
    /// How the answer travels: `query`, `fragment` or `form_post`.
    let mode: String

    init(_ ex: Exchange, server: AuthServer, app: App, redirect: String) {
        self.ex = ex
        self.server = server
        self.app = app
        self.redirect = redirect
        state = ex.param("state")
        // Token response types answer in the fragment unless the client asks otherwise (OIDC Core 3.2.2.5).
        mode =
            ex.param("response_mode")
            ?? ((ex.param("response_type") ?? "").split(separator: " ").contains { $0 == "token" || $0 == "id_token" }
                ? "fragment" : "query")
    }

    /// The first value of a request parameter.
    func param(_ n: String) -> String? { ex.param(n) }

    /// The requested scopes, in order.
    var scopes: [String] { (param("scope") ?? "").split(separator: " ").map(String.init) }

    /// The PKCE challenge, if any.
    var challenge: String? { param("code_challenge") }

    /// The PKCE method: as given, or `plain` when a challenge comes without one.
    var challengeMethod: String? { param("code_challenge_method") ?? (challenge != nil ? "plain" : nil) }
}

/// `/v1/authorize`: the redirect flow, the sign-in form and the error pages.
extension MockOkta {
    /// Checks the client and the request, signs the user in (or shows the sign-in page), and redirects back with a
    /// code or an OAuth error.
    func authorize(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        let s = try server(serverId)
        if let refused = usePushedRequest(ex, serverId: s.id) { return refused }
        guard let clientId = ex.param("client_id"), let app = read({ $0.client(clientId) }), app.status == "ACTIVE"
        else {
            return htmlError(400, "invalid_client", "Invalid value for 'client_id' parameter.")
        }
        ex.auth.clientId = clientId
        guard let redirect = ex.param("redirect_uri"), app.redirectURIs.contains(redirect) else {
            return htmlError(
                400, "invalid_request",
                "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.")
        }
        let r = AuthorizeRequest(ex, server: s, app: app, redirect: redirect)
        if let refusal = try authorizeRequestRefusal(r) { return refusal }
        let user: User
        var session: SignInState.Session? = nil
        var amr = ["pwd"]
        switch try authorizeSignIn(ex, app: app) {
        case .page(let page): return page
        case .nobody:
            if ex.param("prompt") == "none" {
                return denyAuthorization(
                    r, "login_required", "The client specified not to prompt, but the user is not logged in.")
            }
            return signInPage(ex, error: nil)
        case .user(let u, let newSession, let how):
            user = u
            session = newSession
            amr = how
        }
        if let refusal = try authorizeUserRefusal(r, user) { return refusal }
        logEvent(
            .userAuthenticationSSO, actor: actor(user: user),
            targets: [actor(app: app)], ex: ex)
        var reply = try issueAuthorizationCode(r, user: user, amr: amr)
        if let session { reply.headers.append(sessionCookie(session)) }
        return reply
    }

    /// Okta's answer to a request that is wrong before anyone signs in (response type, grant, state, PKCE,
    /// scopes), or nil when it may go on.
    private func authorizeRequestRefusal(_ r: AuthorizeRequest) throws -> HTTPReply? {
        guard r.param("response_type") == "code" else {
            return denyAuthorization(
                r, "unsupported_response_type",
                "The response type is not supported by the authorization server. Configured response types: [code].")
        }
        guard r.app.grantTypes.contains("authorization_code") else {
            return denyAuthorization(
                r, "unauthorized_client",
                "The client is not authorized to use the provided grant type. Configured grant types: "
                    + "[\(r.app.grantTypes.joined(separator: ", "))]."
            )
        }
        guard r.state != nil, !(r.state ?? "").isEmpty else {
            return denyAuthorization(
                r, "invalid_request", "The authentication request has an invalid 'state' parameter.")
        }
        // A public client must use PKCE (okta-idx-java tests quote Okta's text).
        if r.challenge == nil && r.app.tokenEndpointAuthMethod == "none" {
            return denyAuthorization(
                r, "invalid_request",
                "PKCE code challenge is required when the token endpoint authentication method is 'NONE'.")
        }
        let scopes = r.scopes
        if scopes.isEmpty {
            return denyAuthorization(r, "invalid_scope", "The authentication request has an invalid 'scope' parameter.")
        }
        do {
            _ = try checkScopes(scopes, r.server, r.app)
        } catch let e as OAuthError {
            return denyAuthorization(r, e.error, e.description)
        }
        if let m = r.challengeMethod, m != "S256" && m != "plain" {
            return denyAuthorization(r, "invalid_request", "The code_challenge_method is not supported.")
        }
        return nil
    }

    /// Okta's answer when the signed-in user may not have a code (inactive, not assigned, refused by the access
    /// policy), or nil when they may.
    private func authorizeUserRefusal(_ r: AuthorizeRequest, _ user: User) throws -> HTTPReply? {
        guard user.canSignIn else {
            logEvent(
                .userSessionStart, actor: actor(user: user),
                result: "FAILURE", reason: "USER_NOT_ACTIVE", ex: r.ex)
            return denyAuthorization(
                r, "access_denied", "The user is not active (\(user.status.rawValue)) and cannot sign in.", user: user)
        }
        guard read({ $0.isAssigned(userId: user.id, app: r.app) }) else {
            return denyAuthorization(r, "access_denied", "User is not assigned to the client application.", user: user)
        }
        do {
            _ = try applyAccessPolicy(
                r.ex, r.server, r.app, userId: user.id, grantType: "authorization_code", scopes: r.scopes)
        } catch let e as OAuthError {
            return denyAuthorization(r, e.error, e.description, user: user)
        }
        return nil
    }

    /// Stores a new authorization code for the user (dropping long-expired ones) and redirects back with it.
    private func issueAuthorizationCode(_ r: AuthorizeRequest, user: User, amr: [String]) throws -> HTTPReply {
        let ex = r.ex
        let code = tokenValues.string(43, alphabet: RandomSource.b64url)
        let rec = AuthCodeRecord(
            valueHash: hashSecret(code), clientId: r.app.id, userId: user.id, serverId: r.server.id,
            redirectURI: r.redirect, scopes: r.scopes, nonce: r.param("nonce"), codeChallenge: r.challenge,
            codeChallengeMethod: r.challengeMethod, expiresAt: ex.now + 300, used: false, authTime: ex.now, amr: amr)
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
        return redirectBack(r, [("code", code)])
    }

    /// Redirects to the client with these parameters and its `state`.
    private func redirectBack(_ r: AuthorizeRequest, _ params: [(String, String)]) -> HTTPReply {
        var all = params
        if let state = r.state { all.append(("state", state)) }
        return redirectReply(r.redirect, all, mode: r.mode)
    }

    /// Logs the denied request and redirects to the client with the OAuth error.
    private func denyAuthorization(_ r: AuthorizeRequest, _ error: String, _ desc: String, user: User? = nil)
        -> HTTPReply
    {
        logEvent(
            r.server.isOrg ? .oauthAuthorize : .oauthASAuthorize, "OAuth2 authorization request denied",
            actor: user.map(actor(user:)) ?? actor(app: r.app), targets: [actor(app: r.app)], result: "FAILURE",
            reason: desc, ex: r.ex)
        return redirectBack(r, [("error", error), ("error_description", desc)])
    }

    func redirectReply(_ uri: String, _ params: [(String, String)], mode: String) -> HTTPReply {
        func enc(_ s: String) -> String {
            s.percentEncoded(keeping: "-._~")
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
        s.replacing("&", with: "&amp;").replacing("<", with: "&lt;")
            .replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
    }

    func htmlError(_ status: Int, _ error: String, _ desc: String) -> HTTPReply {
        let page =
            "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>\(html(error))</h1><p "
            + "id=\"error-description\">\(html(desc))</p></body></html>"
        return HTTPReply(status: status, headers: [("Content-Type", "text/html;charset=utf-8")], body: Array(page.utf8))
    }
}
