import FoundationEssentials

/// The route table: every Okta endpoint the mock serves, in one readable block.
struct Router {
    typealias Handler = @Sendable (MockOkta, Exchange, [String: String]) throws -> HTTPReply

    struct Route: Sendable {
        let methods: Set<String>
        let template: String
        let segments: [String]
        let handler: Handler
    }

    struct Matched {
        let route: Route
        var params: [String: String]
    }

    static func r(_ methods: String, _ template: String, _ h: @escaping Handler) -> Route {
        Route(
            methods: Set(methods.split(separator: "|").map(String.init)), template: template,
            segments: template.split(separator: "/").map(String.init), handler: h)
    }

    static let routes: [Route] =
        [
            // OIDC / OAuth 2.0, org server
            r("GET", "/.well-known/openid-configuration") { m, ex, _ in try m.discovery(ex, serverId: "org", oidc: true)
            },
            r("GET", "/.well-known/oauth-authorization-server") { m, ex, _ in
                try m.discovery(ex, serverId: "org", oidc: false)
            },
            r("GET", "/oauth2/v1/keys") { m, ex, _ in try m.keys(ex, serverId: "org") },
            r("POST", "/oauth2/v1/token") { m, ex, _ in try m.token(ex, serverId: "org") },
            r("GET|POST", "/oauth2/v1/authorize") { m, ex, _ in try m.authorize(ex, serverId: "org") },
            r("POST", "/oauth2/v1/introspect") { m, ex, _ in try m.introspect(ex, serverId: "org") },
            r("POST", "/oauth2/v1/revoke") { m, ex, _ in try m.revoke(ex, serverId: "org") },
            r("GET|POST", "/oauth2/v1/userinfo") { m, ex, _ in try m.userinfo(ex, serverId: "org") },
            r("GET|POST", "/oauth2/v1/logout") { m, ex, _ in try m.logout(ex, serverId: "org") },
            r("POST", "/oauth2/v1/par") { m, ex, _ in try m.par(ex, serverId: "org") },
            // custom authorization servers
            r("GET", "/oauth2/{authServerId}/.well-known/openid-configuration") { m, ex, p in
                try m.discovery(ex, serverId: p["authServerId"]!, oidc: true)
            },
            r("GET", "/oauth2/{authServerId}/.well-known/oauth-authorization-server") { m, ex, p in
                try m.discovery(ex, serverId: p["authServerId"]!, oidc: false)
            },
            r("GET", "/oauth2/{authServerId}/v1/keys") { m, ex, p in try m.keys(ex, serverId: p["authServerId"]!) },
            r("POST", "/oauth2/{authServerId}/v1/token") { m, ex, p in try m.token(ex, serverId: p["authServerId"]!) },
            r("GET|POST", "/oauth2/{authServerId}/v1/authorize") { m, ex, p in
                try m.authorize(ex, serverId: p["authServerId"]!)
            },
            r("POST", "/oauth2/{authServerId}/v1/introspect") { m, ex, p in
                try m.introspect(ex, serverId: p["authServerId"]!)
            },
            r("POST", "/oauth2/{authServerId}/v1/revoke") { m, ex, p in try m.revoke(ex, serverId: p["authServerId"]!)
            },
            r("GET|POST", "/oauth2/{authServerId}/v1/userinfo") { m, ex, p in
                try m.userinfo(ex, serverId: p["authServerId"]!)
            },
            r("GET|POST", "/oauth2/{authServerId}/v1/logout") { m, ex, p in
                try m.logout(ex, serverId: p["authServerId"]!)
            },
            r("POST", "/oauth2/{authServerId}/v1/par") { m, ex, p in try m.par(ex, serverId: p["authServerId"]!) },
            // Management API: users
            r("GET", "/api/v1/users") { m, ex, _ in try m.listUsers(ex) },
            r("POST", "/api/v1/users") { m, ex, _ in try m.createUser(ex) },
            r("GET", "/api/v1/users/me") { m, ex, _ in try m.me(ex) },
            r("GET", "/api/v1/users/{id}") { m, ex, p in try m.getUser(ex, p["id"]!) },
            r("POST|PUT", "/api/v1/users/{id}") { m, ex, p in
                try m.updateUser(ex, p["id"]!, replace: ex.req.method == "PUT")
            },
            r("DELETE", "/api/v1/users/{id}") { m, ex, p in try m.deleteUser(ex, p["id"]!) },
            r("POST", "/api/v1/users/{id}/lifecycle/{op}") { m, ex, p in try m.lifecycle(ex, p["id"]!, p["op"]!) },
            r("GET", "/api/v1/users/{id}/groups") { m, ex, p in try m.userGroups(ex, p["id"]!) },
            r("GET", "/api/v1/users/{id}/appLinks") { m, ex, p in try m.userAppLinks(ex, p["id"]!) },
            r("DELETE", "/api/v1/users/{id}/sessions") { m, ex, p in try m.clearSessions(ex, p["id"]!) },
            r("GET", "/api/v1/meta/schemas/user/{schemaId}") { m, ex, p in try m.getUserSchema(ex, p["schemaId"]!) },
            r("GET", "/api/v1/meta/types/user/{typeId}") { m, ex, p in try m.getUserType(ex, p["typeId"]!) },
            // groups
            r("GET", "/api/v1/groups") { m, ex, _ in try m.listGroups(ex) },
            r("POST", "/api/v1/groups") { m, ex, _ in try m.createGroup(ex) },
            r("GET", "/api/v1/groups/{groupId}") { m, ex, p in try m.getGroup(ex, p["groupId"]!) },
            r("PUT", "/api/v1/groups/{groupId}") { m, ex, p in try m.updateGroup(ex, p["groupId"]!) },
            r("DELETE", "/api/v1/groups/{groupId}") { m, ex, p in try m.deleteGroup(ex, p["groupId"]!) },
            r("GET", "/api/v1/groups/{groupId}/users") { m, ex, p in try m.groupMembers(ex, p["groupId"]!) },
            r("GET", "/api/v1/groups/{groupId}/apps") { m, ex, p in try m.groupApps(ex, p["groupId"]!) },
            r("PUT|DELETE", "/api/v1/groups/{groupId}/users/{userId}") { m, ex, p in
                try m.groupMembership(ex, p["groupId"]!, p["userId"]!, add: ex.req.method == "PUT")
            },
            // apps
            r("GET", "/api/v1/apps") { m, ex, _ in try m.listApps(ex) },
            r("POST", "/api/v1/apps") { m, ex, _ in try m.createApp(ex) },
            r("GET", "/api/v1/apps/{appId}") { m, ex, p in try m.getApp(ex, p["appId"]!) },
            r("PUT", "/api/v1/apps/{appId}") { m, ex, p in try m.replaceApp(ex, p["appId"]!) },
            r("DELETE", "/api/v1/apps/{appId}") { m, ex, p in try m.deleteApp(ex, p["appId"]!) },
            r("POST", "/api/v1/apps/{appId}/lifecycle/{op}") { m, ex, p in try m.appLifecycle(ex, p["appId"]!, p["op"]!)
            },
            r("GET", "/api/v1/apps/{appId}/users") { m, ex, p in try m.appUsers(ex, p["appId"]!) },
            r("POST", "/api/v1/apps/{appId}/users") { m, ex, p in try m.assignAppUser(ex, p["appId"]!, nil) },
            r("GET", "/api/v1/apps/{appId}/users/{userId}") { m, ex, p in
                try m.getAppUser(ex, p["appId"]!, p["userId"]!)
            },
            r("POST", "/api/v1/apps/{appId}/users/{userId}") { m, ex, p in
                try m.assignAppUser(ex, p["appId"]!, p["userId"]!)
            },
            r("DELETE", "/api/v1/apps/{appId}/users/{userId}") { m, ex, p in
                try m.unassignAppUser(ex, p["appId"]!, p["userId"]!)
            },
            r("GET", "/api/v1/apps/{appId}/groups") { m, ex, p in try m.appGroups(ex, p["appId"]!) },
            r("GET", "/api/v1/apps/{appId}/groups/{groupId}") { m, ex, p in
                try m.getAppGroup(ex, p["appId"]!, p["groupId"]!)
            },
            r("PUT", "/api/v1/apps/{appId}/groups/{groupId}") { m, ex, p in
                try m.assignAppGroup(ex, p["appId"]!, p["groupId"]!, add: true)
            },
            r("DELETE", "/api/v1/apps/{appId}/groups/{groupId}") { m, ex, p in
                try m.assignAppGroup(ex, p["appId"]!, p["groupId"]!, add: false)
            },
            // System Log (authorization servers, roles and grants: Router+Authorization.swift)
            r("GET", "/api/v1/logs") { m, ex, _ in try m.logs(ex) },
            // sign-in: the Authn API, sessions, factors (SignIn/)
            r("POST", "/api/v1/authn") { m, ex, _ in try m.authn(ex) },
            r("POST", "/api/v1/authn/cancel") { m, ex, _ in try m.authnCancel(ex) },
            r("POST", "/api/v1/authn/credentials/change_password") { m, ex, _ in try m.authnChangePassword(ex) },
            r("POST", "/api/v1/authn/factors") { m, ex, _ in try m.authnEnroll(ex) },
            r("POST", "/api/v1/authn/factors/{factorId}/verify") { m, ex, p in try m.authnVerify(ex, p["factorId"]!) },
            r("POST", "/api/v1/authn/factors/{factorId}/lifecycle/activate") { m, ex, p in
                try m.authnActivate(ex, p["factorId"]!)
            },
            r("POST", "/api/v1/sessions") { m, ex, _ in try m.createSession(ex) },
            r("GET", "/api/v1/sessions/{sessionId}") { m, ex, p in try m.getSession(ex, p["sessionId"]!) },
            r("DELETE", "/api/v1/sessions/{sessionId}") { m, ex, p in try m.deleteSession(ex, p["sessionId"]!) },
            r("POST", "/api/v1/sessions/{sessionId}/lifecycle/refresh") { m, ex, p in
                try m.refreshSession(ex, p["sessionId"]!)
            },
            r("GET", "/api/v1/users/{id}/factors") { m, ex, p in try m.listFactors(ex, p["id"]!) },
            r("POST", "/api/v1/users/{id}/factors") { m, ex, p in try m.enrollFactor(ex, p["id"]!) },
            r("GET", "/api/v1/users/{id}/factors/{factorId}") { m, ex, p in
                try m.getFactor(ex, p["id"]!, p["factorId"]!)
            },
            r("DELETE", "/api/v1/users/{id}/factors/{factorId}") { m, ex, p in
                try m.deleteFactor(ex, p["id"]!, p["factorId"]!)
            },
            r("POST", "/api/v1/users/{id}/factors/{factorId}/lifecycle/activate") { m, ex, p in
                try m.activateFactorAPI(ex, p["id"]!, p["factorId"]!)
            },
            r("POST", "/api/v1/users/{id}/factors/{factorId}/verify") { m, ex, p in
                try m.verifyFactorAPI(ex, p["id"]!, p["factorId"]!)
            },
            // network zones and sign-on policies (SignIn/)
            r("GET", "/api/v1/zones") { m, ex, _ in try m.listZones(ex) },
            r("POST", "/api/v1/zones") { m, ex, _ in try m.createZone(ex) },
            r("GET", "/api/v1/zones/{zoneId}") { m, ex, p in try m.getZone(ex, p["zoneId"]!) },
            r("PUT", "/api/v1/zones/{zoneId}") { m, ex, p in try m.replaceZone(ex, p["zoneId"]!) },
            r("DELETE", "/api/v1/zones/{zoneId}") { m, ex, p in try m.deleteZone(ex, p["zoneId"]!) },
            r("POST", "/api/v1/zones/{zoneId}/lifecycle/{op}") { m, ex, p in
                try m.zoneLifecycle(ex, p["zoneId"]!, p["op"]!)
            },
            r("GET", "/api/v1/policies") { m, ex, _ in try m.listPolicies(ex) },
            r("PUT", "/api/v1/apps/{appId}/policies/{policyId}") { m, ex, p in
                try m.assignAppPolicy(ex, p["appId"]!, p["policyId"]!)
            },
            r("POST", "/api/v1/policies") { m, ex, _ in try m.createPolicy(ex) },
            r("GET", "/api/v1/policies/{policyId}") { m, ex, p in try m.getPolicy(ex, p["policyId"]!) },
            r("PUT", "/api/v1/policies/{policyId}") { m, ex, p in try m.replacePolicy(ex, p["policyId"]!) },
            r("DELETE", "/api/v1/policies/{policyId}") { m, ex, p in try m.deletePolicy(ex, p["policyId"]!) },
            r("POST", "/api/v1/policies/{policyId}/lifecycle/{op}") { m, ex, p in
                try m.policyLifecycle(ex, p["policyId"]!, p["op"]!)
            },
            r("GET", "/api/v1/policies/{policyId}/rules") { m, ex, p in try m.listRules(ex, p["policyId"]!) },
            r("POST", "/api/v1/policies/{policyId}/rules") { m, ex, p in try m.createRule(ex, p["policyId"]!) },
            r("GET", "/api/v1/policies/{policyId}/rules/{ruleId}") { m, ex, p in
                try m.getRule(ex, p["policyId"]!, p["ruleId"]!)
            },
            r("PUT", "/api/v1/policies/{policyId}/rules/{ruleId}") { m, ex, p in
                try m.replaceRule(ex, p["policyId"]!, p["ruleId"]!)
            },
            r("DELETE", "/api/v1/policies/{policyId}/rules/{ruleId}") { m, ex, p in
                try m.deleteRule(ex, p["policyId"]!, p["ruleId"]!)
            },
            r("POST", "/api/v1/policies/{policyId}/rules/{ruleId}/lifecycle/{op}") { m, ex, p in
                try m.ruleLifecycle(ex, p["policyId"]!, p["ruleId"]!, p["op"]!)
            },
            // trusted origins
            r("GET", "/api/v1/trustedOrigins") { m, ex, _ in try m.listTrustedOrigins(ex) },
            r("POST", "/api/v1/trustedOrigins") { m, ex, _ in try m.createTrustedOrigin(ex) },
            r("GET", "/api/v1/trustedOrigins/{originId}") { m, ex, p in try m.getTrustedOrigin(ex, p["originId"]!) },
            r("PUT", "/api/v1/trustedOrigins/{originId}") { m, ex, p in try m.replaceTrustedOrigin(ex, p["originId"]!)
            },
            r("DELETE", "/api/v1/trustedOrigins/{originId}") { m, ex, p in try m.deleteTrustedOrigin(ex, p["originId"]!)
            },
            r("POST", "/api/v1/trustedOrigins/{originId}/lifecycle/{op}") { m, ex, p in
                try m.trustedOriginLifecycle(ex, p["originId"]!, p["op"]!)
            },
        ] + authorizationRoutes

    static func matchSegments(_ route: Route, _ parts: [Substring]) -> [String: String]? {
        guard route.segments.count == parts.count else { return nil }
        var params: [String: String] = [:]
        for (t, p) in zip(route.segments, parts) {
            if t.hasPrefix("{") {
                let raw = String(p)
                params[String(t.dropFirst().dropLast())] =
                    raw.utf8.contains(37) ? (raw.percentDecoded ?? raw) : raw
            } else if t != p {
                return nil
            }
        }
        return params
    }

    /// Routes by method, then by segment count, in table order.
    static let index: [String: [Int: [Route]]] = {
        var out: [String: [Int: [Route]]] = [:]
        for r in routes { for m in r.methods { out[m, default: [:]][r.segments.count, default: []].append(r) } }
        return out
    }()

    static func match(method: String, path: String) -> Matched? {
        let parts = path.split(separator: "/")
        guard let candidates = index[method]?[parts.count] else { return nil }
        for route in candidates {
            if let p = matchSegments(route, parts) { return Matched(route: route, params: p) }
        }
        return nil
    }

    /// The route template for a path regardless of method (journal and 405s).
    static func pathExists(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        return routes.contains { matchSegments($0, parts) != nil }
    }

    /// The template of the first route whose path matches, whatever its method (a preflight's journal route).
    static func template(for path: String) -> String? {
        let parts = path.split(separator: "/")
        return routes.first { matchSegments($0, parts) != nil }?.template
    }

    /// The methods a path answers (a CORS preflight's Access-Control-Allow-Methods), in a stable order.
    static func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/")
        let all = Set(routes.filter { matchSegments($0, parts) != nil }.flatMap(\.methods))
        return ["GET", "POST", "PUT", "DELETE"].filter(all.contains)
    }
}
