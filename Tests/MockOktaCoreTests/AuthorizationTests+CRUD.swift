import Foundation
import Testing

@testable import MockOktaCore

/// Issue 12: the full life of each authorization object, and discovery advertising exactly what is served.
extension AuthorizationTests {
    @Test("the discovery body cache stays bounded while a server's published scopes keep changing, and stays right")
    func discoveryCacheBounded() throws {
        let org = try TestOrg(rateLimits: false)
        let id = try Self.makeServer(org)
        let base = "/api/v1/authorizationServers/\(id)/scopes"
        for i in 0..<(MockOkta.bodyCacheLimit + 20) {
            let made = Self.post(org, base, #"{"name":"s\#(i)","metadataPublish":"ALL_CLIENTS"}"#)
            let scopeId = try #require(made.bodyJSON?["id"]?.stringValue, "\(made.bodyText)")
            let d = org.send("GET", "/oauth2/\(id)/.well-known/openid-configuration").bodyJSON
            #expect(d?["scopes_supported"]?.arrayValue?.contains(.string("s\(i)")) == true)
            #expect(org.send("DELETE", base + "/" + scopeId, headers: [org.ssws]).status == 204)
            #expect(org.engine.bodyCache.withLock { $0.count } <= MockOkta.bodyCacheLimit)
        }
        let d = org.send("GET", "/oauth2/\(id)/.well-known/openid-configuration").bodyJSON
        #expect(d?["scopes_supported"]?.arrayValue?.contains("s0") == false)
    }

    @Test("discovery advertises exactly what is served: the code flow, the device grant, client_secret_jwt, RSA DPoP")
    func discoveryServed() throws {
        let org = try TestOrg()
        let id = try Self.makeServer(org)  // orders.read: metadataPublish NO_CLIENTS (the default)
        _ = Self.post(
            org, "/api/v1/authorizationServers/\(id)/scopes", #"{"name":"orders.list","metadataPublish":"ALL_CLIENTS"}"#
        )
        let d = try #require(org.send("GET", "/oauth2/\(id)/.well-known/openid-configuration").bodyJSON)
        #expect(d["response_types_supported"] == ["code"])
        #expect(d["registration_endpoint"] == nil && d["request_parameter_supported"] == false)
        #expect(d["grant_types_supported"]?.arrayValue?.contains(.string(MockOkta.deviceGrant)) == true)
        #expect(d["grant_types_supported"]?.arrayValue?.contains("implicit") == false)
        #expect(d["token_endpoint_auth_methods_supported"]?.arrayValue?.contains("client_secret_jwt") == true)
        #expect(d["dpop_signing_alg_values_supported"] == ["RS256", "RS384", "RS512"])
        let scopes = d["scopes_supported"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(scopes.contains("orders.list") && !scopes.contains("orders.read") && scopes.contains("openid"))
        // Every advertised endpoint answers something other than 404.
        for key in [
            "token_endpoint", "jwks_uri", "device_authorization_endpoint", "introspection_endpoint",
            "revocation_endpoint", "pushed_authorization_request_endpoint", "userinfo_endpoint", "end_session_endpoint",
        ] {
            let url = try #require(d[key]?.stringValue, "\(key)")
            let path = String(url.dropFirst(org.engine.baseURL.count))
            let method =
                key == "jwks_uri" || key == "userinfo_endpoint" || key == "end_session_endpoint" ? "GET" : "POST"
            #expect(org.send(method, path).status != 404, "\(key) \(path)")
        }
    }

    @Test("every object is read, replaced and deleted as created: servers, scopes, claims, policies, rules")
    func crud() throws {
        let org = try TestOrg()
        let id = try Self.makeServer(org)
        let base = "/api/v1/authorizationServers/\(id)"
        func put(_ path: String, _ body: String) -> HTTPReply { org.send("PUT", path, headers: [org.ssws], body: body) }
        func del(_ path: String) -> HTTPReply { org.send("DELETE", path, headers: [org.ssws]) }
        func get(_ path: String) -> HTTPReply { org.send("GET", path, headers: [org.ssws]) }
        // Server: replace (name, description, audiences), a second server with the same name is refused.
        var r = put(base, #"{"name":"Orders v2","description":"d2","audiences":["api://orders2"]}"#)
        #expect(r.status == 200 && r.bodyJSON?["name"] == "Orders v2" && r.bodyJSON?["audiences"] == ["api://orders2"])
        r = Self.post(org, "/api/v1/authorizationServers", #"{"name":"orders v2","audiences":["x"]}"#)
        #expect(r.status == 400 && r.bodyJSON?["errorCode"] == "E0000001")
        // Scopes: list (custom first), replace, delete; a system scope cannot be deleted.
        let scopes = get(base + "/scopes").bodyJSON?.arrayValue ?? []
        #expect(scopes.first?["name"] == "orders.read" && scopes.count == 7)
        let sid = try #require(scopes.first?["id"]?.stringValue)
        r = put(base + "/scopes/\(sid)", #"{"name":"orders.view","consent":"REQUIRED"}"#)
        #expect(r.status == 200 && r.bodyJSON?["consent"] == "REQUIRED" && r.bodyJSON?["id"]?.stringValue == sid)
        #expect(get(base + "/scopes/\(sid)").bodyJSON?["name"] == "orders.view")
        let openid = try #require(scopes.first { $0["name"] == "openid" }?["id"]?.stringValue)
        #expect(del(base + "/scopes/\(openid)").status == 400)
        #expect(del(base + "/scopes/\(sid)").status == 204 && get(base + "/scopes/\(sid)").status == 404)
        // Claims: create, replace (INACTIVE), delete.
        r = Self.post(
            org, base + "/claims", #"{"name":"c","claimType":"RESOURCE","valueType":"EXPRESSION","value":"1"}"#)
        let cid = try #require(r.bodyJSON?["id"]?.stringValue)
        r = put(
            base + "/claims/\(cid)",
            #"{"name":"c","status":"INACTIVE","claimType":"RESOURCE","valueType":"EXPRESSION","value":"2"}"#)
        #expect(r.status == 200 && r.bodyJSON?["status"] == "INACTIVE" && r.bodyJSON?["value"] == "2")
        #expect(del(base + "/claims/\(cid)").status == 204 && get(base + "/claims/\(cid)").status == 404)
        // Policies: two, the second placed first by priority; replace; rules; delete.
        let p1 = Self.post(
            org, base + "/policies", #"{"name":"P1","conditions":{"clients":{"include":["ALL_CLIENTS"]}}}"#)
        let p2 = Self.post(
            org, base + "/policies", #"{"name":"P2","priority":1,"conditions":{"clients":{"include":["ALL_CLIENTS"]}}}"#
        )
        let list = get(base + "/policies").bodyJSON?.arrayValue ?? []
        #expect(list.map { $0["name"] } == ["P2", "P1"] && list.map { $0["priority"] } == [1, 2])
        let pid = try #require(p1.bodyJSON?["id"]?.stringValue)
        r = put(
            base + "/policies/\(pid)",
            #"{"name":"P1b","conditions":{"clients":{"include":["\#(org.cred("webClientId"))"]}}}"#)
        #expect(r.status == 200 && r.bodyJSON?["name"] == "P1b" && r.bodyJSON?["priority"] == 2)
        let rule = Self.post(
            org, base + "/policies/\(pid)/rules",
            #"{"name":"R","conditions":{"grantTypes":{"include":["password"]},"scopes":{"include":["*"]}}}"#)
        let rid = try #require(rule.bodyJSON?["id"]?.stringValue)
        #expect(get(base + "/policies/\(pid)/rules").bodyJSON?.arrayValue?.count == 1)
        #expect(del(base + "/policies/\(pid)/rules/\(rid)").status == 204)
        #expect(get(base + "/policies/\(pid)/rules/\(rid)").status == 404)
        let bad = Self.post(
            org, base + "/policies/\(pid)/rules",
            #"{"name":"R","conditions":{"grantTypes":{"include":["magic"]},"scopes":{"include":["nope"]}},"#
                + #""actions":{"token":{"accessTokenLifetimeMinutes":2}}}"#)
        #expect(bad.status == 400 && (bad.bodyJSON?["errorCauses"]?.arrayValue?.count ?? 0) == 3)
        #expect(del(base + "/policies/\(pid)").status == 204 && get(base + "/policies/\(pid)").status == 404)
        #expect(p2.status == 201)
        // The org server is not a custom server.
        #expect(get("/api/v1/authorizationServers/org").status == 404)
    }
}
