import Foundation
import Testing

@testable import MockOktaCore

/// Issue 12: custom authorization servers with scopes, claims and access policies that the token endpoint
/// evaluates; admin role assignments that `/api/v1` enforces; Okta API scope grants.
@Suite("authorization objects")
struct AuthorizationTests {
    static let denied = "Policy evaluation failed for this request, please check the policy configurations."
    static func readOnly(_ org: TestOrg) -> (String, String) {
        ("authorization", "SSWS " + org.cred("readOnlyApiToken"))
    }

    static func jwt(_ r: HTTPReply, _ field: String) throws -> DecodedJWT {
        let raw = try #require(r.bodyJSON?[field]?.stringValue, "\(r.bodyText)")
        return try #require(DecodedJWT(raw))
    }

    static func post(_ org: TestOrg, _ path: String, _ body: String, as auth: (String, String)? = nil) -> HTTPReply {
        org.send("POST", path, headers: [auth ?? org.ssws], body: body)
    }

    static func serviceToken(_ org: TestOrg, server: String, scope: String) -> HTTPReply {
        org.form(
            "/oauth2/\(server)/v1/token", [("grant_type", "client_credentials"), ("scope", scope)],
            headers: [CoverageTests.service(org)])
    }

    /// A custom server with scope `orders.read`, as a user would set it up through the Management API.
    static func makeServer(_ org: TestOrg) throws -> String {
        let r = post(
            org, "/api/v1/authorizationServers",
            #"{"name":"Orders","description":"Orders API","audiences":["api://orders"]}"#)
        #expect(r.status == 201, "\(r.bodyText)")
        let id = try #require(r.bodyJSON?["id"]?.stringValue)
        #expect(id.hasPrefix("aus") && id.count == 20)
        #expect(r.bodyJSON?["issuer"]?.stringValue == "\(org.engine.baseURL)/oauth2/\(id)")
        #expect(r.bodyJSON?["status"] == "ACTIVE")
        let scope = post(org, "/api/v1/authorizationServers/\(id)/scopes", #"{"name":"orders.read"}"#)
        #expect(scope.status == 201 && scope.bodyJSON?["id"]?.stringValue?.hasPrefix("scp") == true)
        return id
    }

    @Test("a server made through the API denies every token until a policy and rule allow it, then follows the rule")
    func customServerPolicy() throws {
        let org = try TestOrg()
        let id = try Self.makeServer(org)
        // Okta creates a new server without an access policy: no rule matches.
        var r = Self.serviceToken(org, server: id, scope: "orders.read")
        #expect(r.status == 403 && r.bodyJSON?["error"] == "access_denied")
        #expect(r.bodyJSON?["error_description"]?.stringValue == Self.denied)
        let failure = org.engine.systemLog.all().last { $0.eventType == "app.oauth2.as.token.grant" }
        #expect(failure?.json["outcome"]?["reason"] == "no_matching_policy")
        let p = Self.post(
            org, "/api/v1/authorizationServers/\(id)/policies",
            #"{"name":"Orders clients","description":"d","conditions":{"clients":{"include":["ALL_CLIENTS"]}}}"#)
        #expect(p.status == 201 && p.bodyJSON?["type"] == "OAUTH_AUTHORIZATION_POLICY" && p.bodyJSON?["priority"] == 1)
        let pid = try #require(p.bodyJSON?["id"]?.stringValue)
        let rule = Self.post(
            org, "/api/v1/authorizationServers/\(id)/policies/\(pid)/rules",
            #"{"name":"Service reads","conditions":{"grantTypes":{"include":["client_credentials"]},"#
                + #""scopes":{"include":["orders.read"]},"people":{"groups":{"include":["EVERYONE"]}}},"#
                + #""actions":{"token":{"accessTokenLifetimeMinutes":15}}}"#)
        #expect(rule.status == 201 && rule.bodyJSON?["type"] == "RESOURCE_ACCESS", "\(rule.bodyText)")
        let rid = try #require(rule.bodyJSON?["id"]?.stringValue)
        r = Self.serviceToken(org, server: id, scope: "orders.read")
        #expect(r.status == 200 && r.bodyJSON?["expires_in"] == 900, "\(r.bodyText)")
        let jwt = try Self.jwt(r, "access_token")
        #expect(jwt.claims["iss"]?.stringValue == "\(org.engine.baseURL)/oauth2/\(id)")
        #expect(jwt.claims["aud"] == "api://orders")
        // Signed by the new server's own key, published at its JWKS.
        #expect(CoverageTests.jwksKids(org, server: id) == [jwt.kid])
        #expect(!CoverageTests.jwksKids(org).contains(jwt.kid ?? ""))
        // A scope the rule does not cover: the rule does not match (Okta support: rules must cover every scope).
        _ = Self.post(org, "/api/v1/authorizationServers/\(id)/scopes", #"{"name":"orders.write"}"#)
        r = Self.serviceToken(org, server: id, scope: "orders.read orders.write")
        #expect(r.status == 403 && r.bodyJSON?["error_description"]?.stringValue == Self.denied)
        // An unknown scope is invalid_scope, before any policy.
        r = Self.serviceToken(org, server: id, scope: "nope")
        #expect(r.status == 400 && r.bodyJSON?["error"] == "invalid_scope")
        // Deactivating the rule denies again; activating restores.
        let base = "/api/v1/authorizationServers/\(id)/policies/\(pid)/rules/\(rid)"
        #expect(Self.post(org, base + "/lifecycle/deactivate", "").status == 204)
        #expect(Self.serviceToken(org, server: id, scope: "orders.read").status == 403)
        #expect(Self.post(org, base + "/lifecycle/activate", "").status == 204)
        #expect(Self.serviceToken(org, server: id, scope: "orders.read").status == 200)
        // A deactivated server serves no OAuth endpoint.
        #expect(Self.post(org, "/api/v1/authorizationServers/\(id)/lifecycle/deactivate", "").status == 204)
        #expect(org.send("GET", "/oauth2/\(id)/.well-known/openid-configuration").status == 404)
        #expect(Self.serviceToken(org, server: id, scope: "orders.read").status == 404)
        #expect(org.send("DELETE", "/api/v1/authorizationServers/\(id)", headers: [org.ssws]).status == 204)
        #expect(org.send("GET", "/api/v1/authorizationServers/\(id)", headers: [org.ssws]).status == 404)
    }

    @Test("the default server ships Okta's Default Policy; disabling its rule denies, a narrower rule limits scopes")
    func defaultPolicy() throws {
        let org = try TestOrg()
        let list = org.send("GET", "/api/v1/authorizationServers/default/policies", headers: [org.ssws])
        let policy = try #require(list.bodyJSON?.arrayValue?.first)
        #expect(policy["name"] == "Default Policy" && policy["conditions"]?["clients"]?["include"] == ["ALL_CLIENTS"])
        let pid = try #require(policy["id"]?.stringValue)
        let rules = org.send("GET", "/api/v1/authorizationServers/default/policies/\(pid)/rules", headers: [org.ssws])
        let rule = try #require(rules.bodyJSON?.arrayValue?.first)
        #expect(rule["name"] == "Default Policy Rule" && rule["conditions"]?["scopes"]?["include"] == ["*"])
        #expect(org.serviceToken().status == 200)
        #expect(CoverageTests.passwordGrant(org).status == 200)
        // Replace the rule: client_credentials for api.read only, 10-minute tokens.
        let rid = try #require(rule["id"]?.stringValue)
        let put = org.send(
            "PUT", "/api/v1/authorizationServers/default/policies/\(pid)/rules/\(rid)", headers: [org.ssws],
            body: #"{"name":"Default Policy Rule","conditions":{"grantTypes":{"include":["client_credentials"]},"#
                + #""scopes":{"include":["api.read"]}},"actions":{"token":{"accessTokenLifetimeMinutes":10}}}"#)
        #expect(put.status == 200, "\(put.bodyText)")
        #expect(org.serviceToken().bodyJSON?["expires_in"] == 600)
        #expect(org.serviceToken(scope: "api.write").bodyJSON?["error"] == "access_denied")
        #expect(CoverageTests.passwordGrant(org).bodyJSON?["error"] == "access_denied")
        // /authorize is evaluated too: the redirect carries Okta's error.
        let a = CoverageTests.authorize(org, login: "ann@example.com")
        #expect(CoverageTests.queryItem(a, "error") == "access_denied")
        #expect(CoverageTests.queryItem(a, "error_description") == Self.denied)
    }

    @Test("custom claims: constants, user attributes and group filters, by token type and scope")
    func claims() throws {
        let org = try TestOrg()
        let base = "/api/v1/authorizationServers/default/claims"
        let c1 = Self.post(
            org, base, #"{"name":"tier","claimType":"RESOURCE","valueType":"EXPRESSION","value":"\"gold\""}"#)
        #expect(c1.status == 201 && c1.bodyJSON?["id"]?.stringValue?.hasPrefix("ocl") == true, "\(c1.bodyText)")
        _ = Self.post(
            org, base, #"{"name":"given","claimType":"RESOURCE","valueType":"EXPRESSION","value":"user.firstName"}"#)
        _ = Self.post(
            org, base,
            #"{"name":"groups","claimType":"IDENTITY","valueType":"GROUPS","value":"Eng","group_filter_type":"STARTS_WITH","#
                + #""conditions":{"scopes":["openid"]}}"#)
        let bad = Self.post(
            org, base, #"{"name":"x","claimType":"RESOURCE","valueType":"EXPRESSION","value":"String.len(user.login)"}"#
        )
        #expect(bad.status == 400 && bad.bodyJSON?["errorCode"] == "E0000001")
        #expect(Self.post(org, base, #"{"name":"sub","claimType":"RESOURCE","value":"\"x\""}"#).status == 400)
        let t = CoverageTests.passwordGrant(org, scope: "openid")
        let at = try Self.jwt(t, "access_token")
        #expect(at.claims["tier"] == "gold" && at.claims["given"] == "Ann")
        #expect(at.claims["groups"] == nil)
        let id = try Self.jwt(t, "id_token")
        #expect(id.claims["groups"] == ["Engineering"], "\(id.claims)")
        #expect(id.claims["tier"] == nil)
        // A service token has no user: user claims are left out, constants stay.
        let st = try Self.jwt(org.serviceToken(), "access_token")
        #expect(st.claims["tier"] == "gold" && st.claims["given"] == nil)
    }

    @Test(
        "admin roles: list, assign (409 twice), through groups, unassign; an API token acts with its owner's roles now")
    func roles() throws {
        let org = try TestOrg()
        let ro = Self.readOnly(org)
        let admin = org.send("GET", "/api/v1/users/admin@example.com/roles", headers: [org.ssws])
        #expect(admin.bodyJSON?.arrayValue?.map { $0["type"] } == ["SUPER_ADMIN"])
        #expect(admin.bodyJSON?[0]?["label"] == "Super Administrator")
        #expect(admin.bodyJSON?[0]?["assignmentType"] == "USER")
        // Read-only: reads pass, writes are 403 E0000006.
        let newGroup = #"{"profile":{"name":"Ops"}}"#
        var r = Self.post(org, "/api/v1/groups", newGroup, as: ro)
        #expect(r.status == 403 && r.bodyJSON?["errorCode"] == "E0000006")
        // A role through a group: USER_ADMIN on a group the read-only user joins.
        let g = Self.post(org, "/api/v1/groups", #"{"profile":{"name":"Helpers"}}"#)
        let gid = try #require(g.bodyJSON?["id"]?.stringValue)
        let ritaId = CoverageTests.userId(org, "readonly@example.com")
        #expect(org.send("PUT", "/api/v1/groups/\(gid)/users/\(ritaId)", headers: [org.ssws]).status == 204)
        let gr = Self.post(org, "/api/v1/groups/\(gid)/roles", #"{"type":"USER_ADMIN"}"#)
        #expect(gr.status == 201 && gr.bodyJSON?["assignmentType"] == "GROUP", "\(gr.bodyText)")
        // Okta's id for a standard role is its type in base32 (okta-sdk-python cassette test_assign_user_to_role).
        #expect(gr.bodyJSON?["id"] == "KVJUKUS7IFCE2SKO" && gr.bodyJSON?["label"] == "Group Administrator")
        #expect(Self.post(org, "/api/v1/groups/\(gid)/roles", #"{"type":"USER_ADMIN"}"#).status == 409)
        #expect(Self.post(org, "/api/v1/groups/\(gid)/roles", #"{"type":"GOD"}"#).status == 400)
        r = Self.post(org, "/api/v1/groups", newGroup, as: ro)
        #expect(r.status == 200, "\(r.bodyText)")
        // USER_ADMIN does not manage apps.
        #expect(org.send("DELETE", "/api/v1/apps/\(org.cred("webClientId"))", headers: [ro]).status == 403)
        let rita = org.send("GET", "/api/v1/users/\(ritaId)/roles", headers: [org.ssws]).bodyJSON?.arrayValue ?? []
        #expect(Set(rita.compactMap { $0["type"]?.stringValue }) == ["READ_ONLY_ADMIN", "USER_ADMIN"])
        let roleId = try #require(gr.bodyJSON?["id"]?.stringValue)
        #expect(org.send("DELETE", "/api/v1/groups/\(gid)/roles/\(roleId)", headers: [org.ssws]).status == 204)
        let gone = org.send("DELETE", "/api/v1/groups/\(gid)/roles/\(roleId)", headers: [org.ssws])
        #expect(
            gone.status == 404 && gone.bodyJSON?["errorSummary"]?.stringValue?.hasSuffix("(RoleAssignment)") == true)
        #expect(Self.post(org, "/api/v1/groups", #"{"profile":{"name":"Ops2"}}"#, as: ro).status == 403)
        // The super admin loses the role: its own token is refused on the next call.
        let adminRole = try #require(admin.bodyJSON?[0]?["id"]?.stringValue)
        let d = org.send("DELETE", "/api/v1/users/admin@example.com/roles/\(adminRole)", headers: [org.ssws])
        #expect(d.status == 204)
        r = org.send("GET", "/api/v1/users", headers: [org.ssws])
        #expect(r.status == 403 && r.bodyJSON?["errorCode"] == "E0000006")
        #expect(org.engine.systemLog.all().contains { $0.eventType == "user.account.privilege.revoke" })
    }

    @Test("the permission table: each role reads and changes only its objects")
    func permissionTable() {
        func p(_ path: String, _ write: Bool) -> Permission { MockOkta.permission(path, write: write) }
        #expect(MockOkta.permits([.superAdmin], p("/api/v1/authorizationServers", true)))
        #expect(!MockOkta.permits([.orgAdmin], p("/api/v1/authorizationServers", true)))
        #expect(MockOkta.permits([.orgAdmin], p("/api/v1/users/x/lifecycle/suspend", true)))
        #expect(!MockOkta.permits([.orgAdmin], p("/api/v1/users/x/roles", true)))
        #expect(MockOkta.permits([.apiAccessManagementAdmin], p("/api/v1/authorizationServers/x/policies", true)))
        #expect(!MockOkta.permits([.apiAccessManagementAdmin], p("/api/v1/users", false)))
        #expect(MockOkta.permits([.helpDeskAdmin], p("/api/v1/users/x/lifecycle/unlock", true)))
        #expect(!MockOkta.permits([.helpDeskAdmin], p("/api/v1/users/x/lifecycle/deactivate", true)))
        #expect(MockOkta.permits([.groupMembershipAdmin], p("/api/v1/groups/g/users/u", true)))
        #expect(!MockOkta.permits([.groupMembershipAdmin], p("/api/v1/groups/g", true)))
        #expect(MockOkta.permits([.reportAdmin], p("/api/v1/logs", false)))
        #expect(!MockOkta.permits([.reportAdmin], p("/api/v1/users", false)))
        #expect(MockOkta.permits([.appAdmin], p("/api/v1/apps/a/grants", true)))
        #expect(!MockOkta.permits([.appAdmin], p("/api/v1/users", true)))
        #expect(MockOkta.permits([.readOnlyAdmin, .userAdmin], p("/api/v1/users", true)))
        #expect(!MockOkta.permits([], p("/api/v1/users", false)))
    }

    @Test("Okta API scope grants: listed, revoked and granted again through /api/v1/apps/{id}/grants")
    func grants() throws {
        let org = try TestOrg()
        let app = org.cred("serviceClientId")
        let list = org.send("GET", "/api/v1/apps/\(app)/grants", headers: [org.ssws]).bodyJSON?.arrayValue ?? []
        #expect(
            list.compactMap { $0["scopeId"]?.stringValue } == [
                "okta.users.read", "okta.users.manage", "okta.groups.read",
            ])
        #expect(
            list.allSatisfy {
                $0["id"]?.stringValue?.hasPrefix("oag") == true && $0["issuer"]?.stringValue == org.engine.baseURL
            })
        _ = try org.orgToken(scope: "okta.groups.read")
        let gid = try #require(list[2]["id"]?.stringValue)
        #expect(org.send("DELETE", "/api/v1/apps/\(app)/grants/\(gid)", headers: [org.ssws]).status == 204)
        #expect(throws: (any Error).self) { try org.orgToken(scope: "okta.groups.read") }
        let again = Self.post(
            org, "/api/v1/apps/\(app)/grants", #"{"issuer":"\#(org.engine.baseURL)","scopeId":"okta.groups.read"}"#)
        #expect(again.status == 201 && again.bodyJSON?["id"]?.stringValue == gid)
        _ = try org.orgToken(scope: "okta.groups.read")
        let bad = Self.post(
            org, "/api/v1/apps/\(app)/grants", #"{"issuer":"\#(org.engine.baseURL)","scopeId":"okta.nope"}"#)
        #expect(bad.status == 400 && bad.bodyJSON?["errorCode"] == "E0000001")
    }

    static let fixtureScenario = #"""
        {"version": 1, "name": "authz-fixture", "description": "Servers, policies and roles from the tenant.",
         "tenant": {
           "authorizationServers": [
             {"name": "orders", "id": "ausOrders00000000001", "audiences": ["api://orders"], "scopes": ["orders.read"],
              "claims": [{"name": "tier", "value": "\"gold\""}],
              "policies": [{"name": "Orders", "clients": ["Mock Service App"],
                            "rules": [{"name": "svc", "grantTypes": ["client_credentials"], "scopes": ["orders.read"],
                                       "accessTokenLifetimeMinutes": 5}]}]},
             {"name": "default", "policies": [{"name": "Only reads", "rules": [{"name": "reads",
               "grantTypes": ["client_credentials"], "scopes": ["api.read"]}]}]}
           ],
           "adminRoles": [{"user": "ann@example.com", "role": "USER_ADMIN"},
                          {"group": "Engineering", "role": "REPORT_ADMIN"}]
         }}
        """#

    @Test("tenant fixtures: a server with scopes, claims, a policy and rule; the default server's policy; admin roles")
    func fixtures() throws {
        let org = try TestOrg(scenario: Self.fixtureScenario)
        let r = Self.serviceToken(org, server: "ausOrders00000000001", scope: "orders.read")
        #expect(r.status == 200 && r.bodyJSON?["expires_in"] == 300, "\(r.bodyText)")
        let at = try Self.jwt(r, "access_token")
        #expect(at.claims["tier"] == "gold" && at.claims["aud"] == "api://orders")
        #expect(org.serviceToken().status == 200)
        #expect(org.serviceToken(scope: "api.write").bodyJSON?["error"] == "access_denied")
        #expect(CoverageTests.passwordGrant(org).bodyJSON?["error"] == "access_denied")
        let ann = org.send("GET", "/api/v1/users/ann@example.com/roles", headers: [org.ssws]).bodyJSON?.arrayValue
        #expect(Set((ann ?? []).compactMap { $0["type"]?.stringValue }) == ["USER_ADMIN", "REPORT_ADMIN"])
        let t = org.send("GET", "/__mock/tenant").bodyJSON
        #expect(t?["authorizationServers"]?.arrayValue?.contains { $0["id"] == "ausOrders00000000001" } == true)
        // What the schema cannot say is refused when the file is loaded.
        let bad = Self.fixtureScenario.replacingOccurrences(
            of: #""audiences": ["api://orders"], "scopes": ["orders.read"],"#, with: #""audiences": ["api://orders"],"#)
        #expect(bad != Self.fixtureScenario)
        #expect(throws: (any Error).self) { _ = try ScenarioLoader.load(text: bad) }
    }

    /// The three authorization actions, driven from the control API as a scenario timeline would.
    static func checkAction(_ org: TestOrg, _ kind: ActionType) throws {
        func ok(_ r: HTTPReply) { #expect(r.status == 200 && r.bodyJSON?["ok"] == true, "\(r.bodyText)") }
        switch kind {
        case .setPolicyRule:
            #expect(org.serviceToken().status == 200)
            ok(CoverageTests.action(org, #"{"type":"setPolicyRule","rule":"Default Policy Rule","status":"INACTIVE"}"#))
            let r = org.serviceToken()
            #expect(r.status == 403 && r.bodyJSON?["error_description"]?.stringValue == denied)
            ok(
                CoverageTests.action(
                    org,
                    #"{"type":"setPolicyRule","rule":"Default Policy Rule","status":"ACTIVE","scopes":["api.read"]}"#))
            #expect(org.serviceToken().status == 200)
            #expect(org.serviceToken(scope: "api.write").status == 403)
        case .assignAdminRole:
            let ro = readOnly(org)
            #expect(post(org, "/api/v1/groups", #"{"profile":{"name":"A"}}"#, as: ro).status == 403)
            ok(
                CoverageTests.action(
                    org, #"{"type":"assignAdminRole","user":"readonly@example.com","role":"ORG_ADMIN"}"#))
            #expect(post(org, "/api/v1/groups", #"{"profile":{"name":"A"}}"#, as: ro).status == 200)
        case .unassignAdminRole:
            #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
            ok(
                CoverageTests.action(
                    org, #"{"type":"unassignAdminRole","user":"admin@example.com","role":"SUPER_ADMIN"}"#))
            #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).bodyJSON?["errorCode"] == "E0000006")
        case .approveDevice:
            let client = try GrantsAndClientAuthTests.nativeApp(org)
            let (code, _) = try GrantsAndClientAuthTests.start(org, client)
            #expect(GrantsAndClientAuthTests.poll(org, client, code).bodyJSON?["error"] == "authorization_pending")
            ok(CoverageTests.action(org, #"{"type":"approveDevice","user":"ann@example.com"}"#))
            org.wall.advance(6)
            #expect(GrantsAndClientAuthTests.poll(org, client, code).status == 200)
        default: Issue.record("not an authorization action: \(kind)")
        }
    }
}
