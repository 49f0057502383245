import Dispatch
import Foundation
import Testing

@testable import MockOktaCore

extension CoverageTests {
    // MARK: - 2. actions

    @Test(
        "every action kind changes the real tenant: clients see the consequence through the API",
        arguments: ActionType.allCases)
    func action(_ kind: ActionType) throws {
        let org = try TestOrg()
        let webId = org.cred("webClientId")
        let serviceId = org.cred("serviceClientId")
        func ok(_ r: HTTPReply) {
            #expect(r.status == 200 && r.bodyJSON?["ok"] == true, "\(kind.rawValue): \(r.status) \(r.bodyText)")
        }
        switch kind {
        case .revokeApiToken:
            #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
            ok(Self.action(org, #"{"type":"revokeApiToken","token":"admin"}"#))
            let r = org.send("GET", "/api/v1/users", headers: [org.ssws])
            #expect(r.status == 401 && r.bodyJSON?["errorCode"] == "E0000011")
            // Only that token: the read-only one still works.
            #expect(
                org.send("GET", "/api/v1/users", headers: [("authorization", "SSWS " + org.cred("readOnlyApiToken"))])
                    .status == 200)
            #expect(org.engine.systemLog.all().contains { $0.eventType == "system.api_token.revoke" })

        case .expireAccessTokens:
            let old = try #require(org.serviceToken().bodyJSON?["access_token"]?.stringValue)
            #expect(Self.introspect(org, old, client: Self.service(org)) == true)
            org.wall.advance(0.25)
            ok(Self.action(org, #"{"type":"expireAccessTokens","server":"default"}"#))
            #expect(Self.introspect(org, old, client: Self.service(org)) == false)
            #expect(Self.problem(Self.validate(org, old)) == .expired)
            org.wall.advance(1)
            let fresh = try #require(org.serviceToken().bodyJSON?["access_token"]?.stringValue)
            #expect(Self.introspect(org, fresh, client: Self.service(org)) == true)

        case .revokeRefreshTokens:
            let t = Self.passwordGrant(org)
            #expect(t.status == 200)
            let rt = try #require(t.bodyJSON?["refresh_token"]?.stringValue)
            #expect(Self.introspect(org, rt, client: Self.web(org)) == true)
            ok(Self.action(org, #"{"type":"revokeRefreshTokens","clientId":"\#(webId)"}"#))
            #expect(Self.introspect(org, rt, client: Self.web(org)) == false)
            let refreshed = org.form(
                "/oauth2/default/v1/token", [("grant_type", "refresh_token"), ("refresh_token", rt)],
                headers: [Self.web(org)])
            #expect(refreshed.status == 400 && refreshed.bodyJSON?["error"] == "invalid_grant")
            // A refresh token issued afterwards works.
            let rt2 = try #require(Self.passwordGrant(org).bodyJSON?["refresh_token"]?.stringValue)
            #expect(
                org.form(
                    "/oauth2/default/v1/token", [("grant_type", "refresh_token"), ("refresh_token", rt2)],
                    headers: [Self.web(org)]
                ).status == 200)

        case .rotateSigningKey:
            let before = Self.jwksKids(org)
            let orgBefore = Self.jwksKids(org, server: "org")
            let oldToken = try #require(org.serviceToken().bodyJSON?["access_token"]?.stringValue)
            #expect(before.count == 1)
            let r = Self.action(org, #"{"type":"rotateSigningKey","server":"default"}"#)
            ok(r)
            let newKid = try #require(r.bodyJSON?["newKids"]?["default"]?.stringValue)
            let after = Self.jwksKids(org)
            #expect(!before.contains(newKid))
            #expect(after.first == newKid)
            #expect(Set(after) == Set(before + [newKid]))  // the old key stays published (dropOld false)
            #expect(Self.jwksKids(org, server: "org") == orgBefore)
            let newToken = try #require(org.serviceToken().bodyJSON?["access_token"]?.stringValue)
            #expect(DecodedJWT(newToken)?.kid == newKid)
            #expect(Self.problem(Self.validate(org, newToken)) == nil)
            #expect(Self.problem(Self.validate(org, oldToken)) == nil)
            #expect(org.engine.systemLog.all().contains { $0.eventType == "app.oauth2.as.key.rollover" })

        case .unassignUser:
            let ann = Self.userId(org, "ann@example.com")
            #expect(Self.queryItem(Self.authorize(org, login: "ann@example.com"), "code") != nil)
            #expect(Self.appUserIds(org, webId).contains(ann))
            ok(Self.action(org, #"{"type":"unassignUser","user":"ann@example.com","app":"\#(webId)"}"#))
            let r = Self.authorize(org, login: "ann@example.com")
            #expect(Self.queryItem(r, "error") == "access_denied")
            #expect(Self.queryItem(r, "code") == nil)
            #expect(!Self.appUserIds(org, webId).contains(ann))
            #expect(Self.passwordGrant(org).bodyJSON?["error"] == "access_denied")
            // The user still exists.
            #expect(org.send("GET", "/api/v1/users/\(ann)", headers: [org.ssws]).status == 200)

        case .assignUser:
            let dave = Self.userId(org, "dave@example.com")
            #expect(Self.queryItem(Self.authorize(org, login: "dave@example.com"), "error") == "access_denied")
            #expect(!Self.appUserIds(org, webId).contains(dave))
            ok(Self.action(org, #"{"type":"assignUser","user":"dave@example.com","app":"Mock Web App"}"#))
            #expect(Self.queryItem(Self.authorize(org, login: "dave@example.com"), "code") != nil)
            #expect(Self.appUserIds(org, webId).contains(dave))
            let u = org.send("GET", "/api/v1/apps/\(webId)/users/\(dave)", headers: [org.ssws])
            #expect(u.status == 200 && u.bodyJSON?["scope"] == "USER")

        case .removeScopeGrant:
            #expect(org.serviceToken(scope: "api.write").status == 200)
            ok(
                Self.action(
                    org, #"{"type":"removeScopeGrant","app":"\#(serviceId)","scope":"api.write","server":"default"}"#))
            let r = org.serviceToken(scope: "api.write")
            #expect(r.status == 400 && r.bodyJSON?["error"] == "invalid_scope")
            #expect(org.serviceToken(scope: "api.read").status == 200)  // the other grant stays

        case .deactivateUser:
            let before = Self.passwordGrant(org, scope: "openid")
            let at = try #require(before.bodyJSON?["access_token"]?.stringValue)
            #expect(Self.introspect(org, at, client: Self.web(org)) == true)
            ok(Self.action(org, #"{"type":"deactivateUser","user":"ann@example.com"}"#))
            #expect(
                org.send("GET", "/api/v1/users/ann@example.com", headers: [org.ssws]).bodyJSON?["status"]
                    == "DEPROVISIONED")
            #expect(Self.passwordGrant(org, scope: "openid").bodyJSON?["error"] == "invalid_grant")
            #expect(Self.introspect(org, at, client: Self.web(org)) == false)
            #expect(Self.problem(Self.validate(org, at)) == .inactiveUser)

        case .suspendUser:
            ok(Self.action(org, #"{"type":"suspendUser","user":"ann@example.com"}"#))
            #expect(
                org.send("GET", "/api/v1/users/ann@example.com", headers: [org.ssws]).bodyJSON?["status"] == "SUSPENDED"
            )
            #expect(Self.queryItem(Self.authorize(org, login: "ann@example.com"), "error") == "access_denied")
            #expect(Self.passwordGrant(org, scope: "openid").bodyJSON?["error"] == "invalid_grant")
            #expect(Self.queryItem(Self.authorize(org, login: "bob@example.com"), "code") != nil)  // others unaffected

        case .setRateLimit:
            ok(Self.action(org, #"{"type":"setRateLimit","bucket":"users","limit":2}"#))
            #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
            #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
            let r = org.send("GET", "/api/v1/users", headers: [org.ssws])
            #expect(r.status == 429 && r.bodyJSON?["errorCode"] == "E0000047")
            #expect(r.header("X-Rate-Limit-Limit") == "2" && r.header("X-Rate-Limit-Remaining") == "0")
            #expect(org.send("GET", "/api/v1/groups", headers: [org.ssws]).status == 200)  // another bucket

        case .advanceClock:
            let token = try #require(org.serviceToken().bodyJSON?["access_token"]?.stringValue)
            #expect(Self.introspect(org, token, client: Self.service(org)) == true)
            let wall = org.wall.now()
            let r = Self.action(org, #"{"type":"advanceClock","seconds":7200}"#)
            ok(r)
            #expect(org.wall.now() == wall)  // the tenant clock moved, real time did not
            #expect(org.engine.clock.now() - wall == 7200)
            #expect(r.bodyJSON?["now"]?.intValue == Int(wall) + 7200)
            #expect(Self.introspect(org, token, client: Self.service(org)) == false)
            #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).date == TimeFormat.httpDate(wall + 7200))

        case .lockUser, .expirePassword, .requireMfa, .setPassword, .denyFromZone, .respondPush:
            try SignInTests.checkAction(org, kind)
        case .setPolicyRule, .assignAdminRole, .unassignAdminRole, .approveDevice:
            try AuthorizationTests.checkAction(org, kind)
        }
    }

    @Test("an action naming nothing that exists answers 404 and changes nothing")
    func actionOnUnknownTarget() throws {
        let org = try TestOrg()
        let r = Self.action(org, #"{"type":"suspendUser","user":"nobody@example.com"}"#)
        #expect(r.status == 404 && r.bodyJSON?["ok"] == false)
        #expect(Self.action(org, #"{"type":"revokeApiToken","token":"no-such-token"}"#).status == 404)
        #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
    }
}
