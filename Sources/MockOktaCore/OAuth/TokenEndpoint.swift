import FoundationEssentials

/// `POST /v1/token`: client authentication, the grant, the response and the System Log events.
extension MockOkta {
    func token(_ ex: Exchange, serverId: String) throws -> HTTPReply {
        let s = try server(serverId)
        let isOrg = s.isOrg
        let grantEvent: EventType = isOrg ? .oauthTokenGrant : .oauthASTokenGrant
        do {
            guard let grant = ex.param("grant_type"), !grant.isEmpty else {
                throw OAuthError.invalidRequest(
                    "The token request must specify a 'grant_type'. Valid values: [authorization_code, password, "
                        + "refresh_token, client_credentials]"
                )
            }
            try checkBrowserOrigin(ex)
            let client = try authenticateClient(ex, serverId: serverId)
            let app = client.app
            let supported = [
                "authorization_code", "refresh_token", "password", "client_credentials", MockOkta.deviceGrant,
            ]
            guard supported.contains(grant) else {
                throw OAuthError(
                    400, "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server. Configured grant "
                        + "types: [\(supported.joined(separator: ", "))]."
                )
            }
            guard app.grantTypes.contains(grant) else { throw OAuthError.unauthorizedClient(app.grantTypes) }
            try tokenEndpointDPoP(ex, app)
            var result: [(String, JSON)]
            switch grant {
            case "client_credentials": result = try clientCredentials(ex, s, app, client)
            case "authorization_code": result = try authorizationCode(ex, s, app)
            case "refresh_token": result = try refreshGrant(ex, s, app)
            case MockOkta.deviceGrant: result = try deviceCodeGrant(ex, s, app)
            default: result = try passwordGrant(ex, s, app)
            }
            if ex.dpopJKT != nil, let i = result.firstIndex(where: { $0.0 == "token_type" }) {
                result[i].1 = "DPoP"
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

    /// The scopes the app may be issued on this server, or nil when only the access policy decides. On the org
    /// server `okta.*` scopes need a grant (`/api/v1/apps/{id}/grants`); a fixture's `grants` for a server also
    /// limits the app's scopes there (older tenants), on top of the access policy.
    func grantedScopes(_ s: AuthServer, _ app: App) -> [String]? {
        if let g = app.grants[s.id] { return g }
        return s.isOrg ? [] : nil
    }

    /// Checks requested scopes against the server and the app's grants.
    func checkScopes(_ requested: [String], _ s: AuthServer, _ app: App) throws -> [String] {
        let unknown = requested.filter { !s.scopes.contains($0) }
        if !unknown.isEmpty {
            throw OAuthError.invalidScope(
                "One or more scopes are not configured for the authorization server resource.")
        }
        guard let granted = grantedScopes(s, app) else { return requested }
        let missing = requested.filter {
            !granted.contains($0) && (!s.isOrg || app.grants[s.id] != nil || $0.hasPrefix("okta."))
        }
        if !missing.isEmpty {
            throw OAuthError.invalidScope(
                "The requested scope is invalid, unknown, or malformed: the client is not granted "
                    + "\(missing.joined(separator: ", "))."
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
            ] + (ex.accessDecision.map { [("accessPolicyRule", JSON.string($0))] } ?? []))
    }
}
