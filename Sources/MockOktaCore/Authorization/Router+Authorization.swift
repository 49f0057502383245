import FoundationEssentials

/// The routes of Authorization/: custom authorization servers with their keys, scopes, claims, access policies and
/// rules; admin role assignments on users and groups; Okta API scope grants of apps.
extension Router {
    static let authorizationRoutes: [Route] = serverRoutes + policyRoutes + roleAndGrantRoutes + deviceRoutes

    /// The device authorization grant (OAuth/DeviceFlow.swift) and its activation page.
    static let deviceRoutes: [Route] = [
        r("POST", "/oauth2/v1/device/authorize") { m, ex, _ in try m.deviceAuthorize(ex, serverId: "org") },
        r("POST", "/oauth2/{as}/v1/device/authorize") { m, ex, p in try m.deviceAuthorize(ex, serverId: p["as"]!) },
        r("GET|POST", "/activate") { m, ex, _ in try m.activationPage(ex) },
    ]

    static let serverRoutes: [Route] = [
        r("GET", "/api/v1/authorizationServers") { m, ex, _ in try m.listAuthServers(ex) },
        r("POST", "/api/v1/authorizationServers") { m, ex, _ in try m.createAuthServer(ex) },
        r("GET", "/api/v1/authorizationServers/{as}") { m, ex, p in try m.getAuthServer(ex, p["as"]!) },
        r("PUT", "/api/v1/authorizationServers/{as}") { m, ex, p in try m.replaceAuthServer(ex, p["as"]!) },
        r("DELETE", "/api/v1/authorizationServers/{as}") { m, ex, p in try m.deleteAuthServer(ex, p["as"]!) },
        r("POST", "/api/v1/authorizationServers/{as}/lifecycle/{op}") { m, ex, p in
            try m.authServerLifecycle(ex, p["as"]!, p["op"]!)
        },
        r("GET", "/api/v1/authorizationServers/{as}/credentials/keys") { m, ex, p in
            try m.authServerKeys(ex, p["as"]!)
        },
        r("GET", "/api/v1/authorizationServers/{as}/credentials/keys/{kid}") { m, ex, p in
            try m.authServerKey(ex, p["as"]!, p["kid"]!)
        },
        r("POST", "/api/v1/authorizationServers/{as}/credentials/lifecycle/keyRotate") { m, ex, p in
            try m.rotateAuthServerKey(ex, p["as"]!)
        },
        r("GET", "/api/v1/authorizationServers/{as}/scopes") { m, ex, p in try m.listScopes(ex, p["as"]!) },
        r("POST", "/api/v1/authorizationServers/{as}/scopes") { m, ex, p in try m.createScope(ex, p["as"]!) },
        r("GET", "/api/v1/authorizationServers/{as}/scopes/{id}") { m, ex, p in
            try m.getScope(ex, p["as"]!, p["id"]!)
        },
        r("PUT", "/api/v1/authorizationServers/{as}/scopes/{id}") { m, ex, p in
            try m.replaceScope(ex, p["as"]!, p["id"]!)
        },
        r("DELETE", "/api/v1/authorizationServers/{as}/scopes/{id}") { m, ex, p in
            try m.deleteScope(ex, p["as"]!, p["id"]!)
        },
        r("GET", "/api/v1/authorizationServers/{as}/claims") { m, ex, p in try m.listClaims(ex, p["as"]!) },
        r("POST", "/api/v1/authorizationServers/{as}/claims") { m, ex, p in
            try m.writeClaim(ex, p["as"]!, claimId: nil)
        },
        r("GET", "/api/v1/authorizationServers/{as}/claims/{id}") { m, ex, p in
            try m.getClaim(ex, p["as"]!, p["id"]!)
        },
        r("PUT", "/api/v1/authorizationServers/{as}/claims/{id}") { m, ex, p in
            try m.writeClaim(ex, p["as"]!, claimId: p["id"]!)
        },
        r("DELETE", "/api/v1/authorizationServers/{as}/claims/{id}") { m, ex, p in
            try m.writeClaim(ex, p["as"]!, claimId: p["id"]!, delete: true)
        },
    ]

    static let policyRoutes: [Route] = [
        r("GET", "/api/v1/authorizationServers/{as}/policies") { m, ex, p in try m.listAccessPolicies(ex, p["as"]!) },
        r("POST", "/api/v1/authorizationServers/{as}/policies") { m, ex, p in
            try m.writeAccessPolicy(ex, p["as"]!, pid: nil)
        },
        r("GET", "/api/v1/authorizationServers/{as}/policies/{pid}") { m, ex, p in
            try m.getAccessPolicy(ex, p["as"]!, p["pid"]!)
        },
        r("PUT", "/api/v1/authorizationServers/{as}/policies/{pid}") { m, ex, p in
            try m.writeAccessPolicy(ex, p["as"]!, pid: p["pid"]!)
        },
        r("DELETE", "/api/v1/authorizationServers/{as}/policies/{pid}") { m, ex, p in
            try m.writeAccessPolicy(ex, p["as"]!, pid: p["pid"]!, delete: true)
        },
        r("POST", "/api/v1/authorizationServers/{as}/policies/{pid}/lifecycle/{op}") { m, ex, p in
            try m.accessPolicyLifecycle(ex, p["as"]!, p["pid"]!, p["op"]!)
        },
        r("GET", "/api/v1/authorizationServers/{as}/policies/{pid}/rules") { m, ex, p in
            try m.listAccessRules(ex, p["as"]!, p["pid"]!)
        },
        r("POST", "/api/v1/authorizationServers/{as}/policies/{pid}/rules") { m, ex, p in
            try m.writeAccessRule(ex, p["as"]!, p["pid"]!, rid: nil)
        },
        r("GET", "/api/v1/authorizationServers/{as}/policies/{pid}/rules/{rid}") { m, ex, p in
            try m.getAccessRule(ex, p["as"]!, p["pid"]!, p["rid"]!)
        },
        r("PUT", "/api/v1/authorizationServers/{as}/policies/{pid}/rules/{rid}") { m, ex, p in
            try m.writeAccessRule(ex, p["as"]!, p["pid"]!, rid: p["rid"]!)
        },
        r("DELETE", "/api/v1/authorizationServers/{as}/policies/{pid}/rules/{rid}") { m, ex, p in
            try m.writeAccessRule(ex, p["as"]!, p["pid"]!, rid: p["rid"]!, delete: true)
        },
        r("POST", "/api/v1/authorizationServers/{as}/policies/{pid}/rules/{rid}/lifecycle/{op}") { m, ex, p in
            try m.accessRuleLifecycle(ex, p["as"]!, p["pid"]!, p["rid"]!, p["op"]!)
        },
    ]

    static let roleAndGrantRoutes: [Route] = [
        r("GET", "/api/v1/users/{id}/roles") { m, ex, p in try m.listRoles(ex, .user(p["id"]!)) },
        r("POST", "/api/v1/users/{id}/roles") { m, ex, p in try m.assignRole(ex, .user(p["id"]!)) },
        r("GET", "/api/v1/users/{id}/roles/{roleId}") { m, ex, p in try m.getRole(ex, .user(p["id"]!), p["roleId"]!) },
        r("DELETE", "/api/v1/users/{id}/roles/{roleId}") { m, ex, p in
            try m.unassignRole(ex, .user(p["id"]!), p["roleId"]!)
        },
        r("GET", "/api/v1/groups/{groupId}/roles") { m, ex, p in try m.listRoles(ex, .group(p["groupId"]!)) },
        r("POST", "/api/v1/groups/{groupId}/roles") { m, ex, p in try m.assignRole(ex, .group(p["groupId"]!)) },
        r("GET", "/api/v1/groups/{groupId}/roles/{roleId}") { m, ex, p in
            try m.getRole(ex, .group(p["groupId"]!), p["roleId"]!)
        },
        r("DELETE", "/api/v1/groups/{groupId}/roles/{roleId}") { m, ex, p in
            try m.unassignRole(ex, .group(p["groupId"]!), p["roleId"]!)
        },
        r("GET", "/api/v1/apps/{appId}/grants") { m, ex, p in try m.listGrants(ex, p["appId"]!) },
        r("POST", "/api/v1/apps/{appId}/grants") { m, ex, p in try m.createGrant(ex, p["appId"]!) },
        r("GET", "/api/v1/apps/{appId}/grants/{grantId}") { m, ex, p in
            try m.getGrant(ex, p["appId"]!, p["grantId"]!)
        },
        r("DELETE", "/api/v1/apps/{appId}/grants/{grantId}") { m, ex, p in
            try m.deleteGrant(ex, p["appId"]!, p["grantId"]!)
        },
    ]
}
