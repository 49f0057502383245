import FoundationEssentials

/// Okta API scope grants of an app (`/api/v1/apps/{appId}/grants`): the `okta.*` scopes the org authorization
/// server may issue to the app (admin consent). List, grant, get, revoke; the token endpoint reads the same grants.
extension MockOkta {
    /// A grant's id, stable for an app and a scope (grants are stored as scope names on the app).
    static func grantId(_ appId: String, _ scope: String) -> String { stableId("oag", "\(appId)|\(scope)") }

    /// As recorded (okta-sdk-python cassette test_grant_consent_to_scope); `_embedded` only in the answer to a grant.
    func grantJSON(_ app: App, _ scope: String, createdBy: String? = nil, embedded: Bool = false) -> JSON {
        let id = MockOkta.grantId(app.id, scope)
        let base = "\(baseURL)/api/v1/apps/\(app.id)/grants/\(id)"
        let admin =
            createdBy
            ?? read { t in t.users.values.first { t.roleAssignments(user: $0).contains { $0.type == .superAdmin } }?.id
            }
        var fields: [(String, JSON)] = [
            ("id", .string(id)), ("status", "ACTIVE"),
            ("created", .string(TimeFormat.isoSeconds(app.grantedAt?[scope] ?? app.created))),
            ("createdBy", ["id": JSON(admin), "type": "User"]),
            ("lastUpdated", .string(TimeFormat.isoSeconds(app.grantedAt?[scope] ?? app.created))),
            ("issuer", .string(baseURL)),
            ("clientId", .string(app.id)), ("scopeId", .string(scope)), ("source", "ADMIN"),
        ]
        if embedded { fields.append(("_embedded", ["scope": ["id": .string(scope)]])) }
        fields.append(
            (
                "_links",
                [
                    "app": ["href": .string("\(baseURL)/api/v1/apps/\(app.id)"), "title": .string(app.label)],
                    "self": ["href": .string(base), "hints": ["allow": ["GET", "DELETE"]]],
                    "client": ["href": .string("\(baseURL)/oauth2/v1/clients/\(app.id)"), "title": .string(app.label)],
                ]
            ))
        return .object(fields)
    }

    /// The app's granted Okta API scopes, in grant order.
    func oktaGrants(_ a: App) -> [String] { (a.grants["org"] ?? []).filter { $0.hasPrefix("okta.") } }

    func listGrants(_ ex: Exchange, _ appId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let a = try requireApp(appId)
        return .json(200, .array(oktaGrants(a).map { grantJSON(a, $0) }))
    }

    func getGrant(_ ex: Exchange, _ appId: String, _ grantId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let a = try requireApp(appId)
        guard let scope = oktaGrants(a).first(where: { MockOkta.grantId(a.id, $0) == grantId }) else {
            throw OktaAPIError.notFound("Resource not found: \(grantId) (OAuth2ScopeConsentGrant)")
        }
        return .json(200, grantJSON(a, scope))
    }

    /// `POST {"issuer": "<org URL>", "scopeId": "okta.users.read"}`: 201 with the grant, as the 2026 spec says and the
    /// okta SDK (3.4.6 reads the grant only from a 201) expects; a 2020 recording had 200. A scope already granted
    /// answers the same grant. An unknown scope or another issuer is 400 E0000001.
    func createGrant(_ ex: Exchange, _ appId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let body = try bodyJSON(ex)
        _ = try requireApp(appId)
        guard let scope = body["scopeId"]?.stringValue, !scope.isEmpty else {
            throw OktaAPIError.validation("scopeId", "The field cannot be left blank")
        }
        guard let issuer = body["issuer"]?.stringValue, !issuer.isEmpty else {
            throw OktaAPIError.validation("issuer", "The field cannot be left blank")
        }
        guard issuer.trimmingSuffix("/") == baseURL else {
            throw OktaAPIError.validation("issuer", "Issuer must be the Okta org URL: \(baseURL)")
        }
        let orgScopes = read { $0.servers["org"]?.scopes ?? [] }
        guard scope.hasPrefix("okta."), orgScopes.contains(scope) else {
            throw OktaAPIError.validation("scopeId", "The scope \(scope) is not an Okta API scope of this org.")
        }
        let a = try mutate { t, d -> App in
            guard var a = t.apps[appId] else { throw OktaAPIError.notFound("Resource not found: \(appId) (App)") }
            if !(a.grants["org"] ?? []).contains(scope) {
                a.grants["org", default: []].append(scope)
                a.grantedAt = (a.grantedAt ?? [:]).merging([scope: ex.now]) { $1 }
            }
            a.lastUpdated = ex.now
            t.apps[appId] = a
            d.apps.insert(appId)
            return a
        }
        logEvent(
            .oauthAdminConsentGrant, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [actor(app: a)], ex: ex,
            debug: [("scopeId", .string(scope))])
        return .json(201, grantJSON(a, scope, createdBy: caller.user?.id, embedded: true))
    }

    func deleteGrant(_ ex: Exchange, _ appId: String, _ grantId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let (a, scope) = try mutate { t, d -> (App, String) in
            guard var a = t.apps[appId] else { throw OktaAPIError.notFound("Resource not found: \(appId) (App)") }
            guard let scope = oktaGrants(a).first(where: { MockOkta.grantId(a.id, $0) == grantId }) else {
                throw OktaAPIError.notFound("Resource not found: \(grantId) (OAuth2ScopeConsentGrant)")
            }
            a.grants["org"]?.removeAll { $0 == scope }
            a.grantedAt?[scope] = nil
            a.lastUpdated = ex.now
            t.apps[appId] = a
            d.apps.insert(appId)
            return (a, scope)
        }
        logEvent(
            .oauthAdminConsentRevoke, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [actor(app: a)],
            ex: ex, debug: [("scopeId", .string(scope))])
        return .empty(204)
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
