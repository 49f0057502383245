import Foundation
import Testing

@testable import MockOktaCore

@Suite("Management API auth, users, paging, System Log (okta-contract.md §1, §3, §5)")
struct ManagementTests {
    @Test("no header 403 E0000005; bad SSWS 401 E0000011; unspaced SSWS accepted; read-only admin cannot write")
    func whoMayCall() throws {
        let org = try TestOrg()
        #expect(org.send("GET", "/api/v1/users").bodyJSON?["errorCode"] == "E0000005")
        let bad = org.send("GET", "/api/v1/users", headers: [("authorization", "SSWS nope")])
        #expect(bad.status == 401 && bad.bodyJSON?["errorCode"] == "E0000011")
        #expect(
            org.send("GET", "/api/v1/users", headers: [("authorization", "SSWS" + org.cred("apiToken"))]).status == 200)
        let ro = ("authorization", "SSWS " + org.cred("readOnlyApiToken"))
        #expect(org.send("GET", "/api/v1/users", headers: [ro]).status == 200)
        let w = org.send(
            "POST", "/api/v1/users", headers: [ro],
            body: #"{"profile":{"login":"x@example.com","email":"x@example.com","firstName":"X","lastName":"Y"}}"#)
        #expect(w.status == 403 && w.bodyJSON?["errorCode"] == "E0000006")
        // Okta's catalogue has no event for a refused API token (event-types.json 2026.08.1): the mock-only one.
        let denied = org.engine.systemLog.all().filter { $0.eventType == "system.operation.request_denied" }
        #expect(denied.count == 3)  // no header, bad token, read-only write
        #expect(denied.allSatisfy { $0.json["debugContext"]?["debugData"]?["mockOnly"] == true })
    }

    @Test("Bearer: org token with scope works; custom-server, expired, or scope-less tokens are refused")
    func bearer() throws {
        let org = try TestOrg()
        let t = try org.orgToken(scope: "okta.users.read")
        #expect(org.send("GET", "/api/v1/users", headers: [("authorization", "Bearer \(t)")]).status == 200)
        let groups = org.send("GET", "/api/v1/apps", headers: [("authorization", "Bearer \(t)")])
        #expect(groups.status == 403 && groups.header("WWW-Authenticate")?.contains("insufficient_scope") == true)
        let custom = org.serviceToken().bodyJSON!["access_token"]!.stringValue!
        // An invalid Bearer token: 401, an empty body and the challenge (okta-sdk-java issue 879).
        let refused = org.send("GET", "/api/v1/users", headers: [("authorization", "Bearer \(custom)")])
        #expect(
            refused.status == 401 && refused.body.isEmpty
                && refused.header("WWW-Authenticate")?.contains("invalid_token") == true)
        org.wall.advance(3601)
        #expect(org.send("GET", "/api/v1/users", headers: [("authorization", "Bearer \(t)")]).status == 401)
    }

    @Test("create (200, never 201), duplicate login E0000001, delete twice then 404 E0000007")
    func userLifecycle() throws {
        let org = try TestOrg()
        let body =
            #"{"profile":{"login":"new@example.com","email":"new@example.com","firstName":"New","lastName":"User"},"credentials":{"password":{"value":"Abcd1234!"}}}"#
        let c = org.send("POST", "/api/v1/users", query: [("activate", "true")], headers: [org.ssws], body: body)
        #expect(c.status == 200 && c.bodyJSON?["status"] == "ACTIVE")
        let id = c.bodyJSON!["id"]!.stringValue!
        let dup = org.send("POST", "/api/v1/users", headers: [org.ssws], body: body)
        #expect(dup.bodyJSON?["errorCode"] == "E0000001")
        #expect(
            dup.bodyJSON?["errorCauses"]?[0]?["errorSummary"]
                == "login: An object with this field already exists in the current organization")
        #expect(
            org.send("GET", "/api/v1/users/new@example.com", headers: [org.ssws]).bodyJSON?["id"]?.stringValue == id)
        #expect(org.send("POST", "/api/v1/users/\(id)/lifecycle/suspend", headers: [org.ssws]).status == 200)
        #expect(org.send("POST", "/api/v1/users/\(id)/lifecycle/suspend", headers: [org.ssws]).status == 400)
        #expect(org.send("DELETE", "/api/v1/users/\(id)", headers: [org.ssws]).status == 204)
        #expect(org.send("GET", "/api/v1/users/\(id)", headers: [org.ssws]).bodyJSON?["status"] == "DEPROVISIONED")
        #expect(org.send("DELETE", "/api/v1/users/\(id)", headers: [org.ssws]).status == 204)
        #expect(org.send("GET", "/api/v1/users/\(id)", headers: [org.ssws]).bodyJSON?["errorCode"] == "E0000007")
        #expect(
            org.send("POST", "/api/v1/users", headers: [org.ssws], body: "{nope").bodyJSON?["errorCode"] == "E0000003")
    }

    @Test("paging: limit, after cursor, Link self then next; filters")
    func paging() throws {
        let org = try TestOrg(
            scenario: #"{"version":1,"name":"big","description":"many users","tenant":{"generateUsers":450}}"#)
        var seen = Set<String>()
        var after: String? = nil
        var pages = 0
        repeat {
            let r = org.send(
                "GET", "/api/v1/users", query: [("limit", "200")] + (after.map { [("after", $0)] } ?? []),
                headers: [org.ssws])
            let links = r.headers.filter { $0.0 == "Link" }.map(\.1)
            #expect(links.first?.hasSuffix("rel=\"self\"") == true)
            for u in r.bodyJSON!.arrayValue! { seen.insert(u["id"]!.stringValue!) }
            after =
                links.count > 1
                ? URLComponents(string: String(links[1].dropFirst().prefix { $0 != ">" }))?.queryItems?.first {
                    $0.name == "after"
                }?.value : nil
            pages += 1
        } while after != nil && pages < 10
        #expect(pages == 3 && seen.count == 456)
        let f = org.send(
            "GET", "/api/v1/users", query: [("filter", "profile.login eq \"user7@example.com\"")], headers: [org.ssws])
        #expect(f.bodyJSON?.arrayValue?.count == 1)
        let bad = org.send("GET", "/api/v1/users", query: [("filter", "status eqq \"ACTIVE\"")], headers: [org.ssws])
        #expect(bad.status == 400 && bad.bodyJSON?["errorCode"] == "E0000031")
    }

    @Test("System Log filter by eventType and outcome")
    func systemLog() throws {
        let org = try TestOrg()
        _ = org.form(
            "/oauth2/default/v1/token",
            [
                ("grant_type", "password"), ("username", "ann@example.com"), ("password", "wrong"),
                ("scope", "openid"),
            ],
            headers: [org.basic(org.cred("webClientId"), org.cred("webClientSecret"))])
        let r = org.send(
            "GET", "/api/v1/logs",
            query: [("filter", "eventType eq \"user.session.start\" and outcome.result eq \"FAILURE\"")],
            headers: [org.ssws])
        #expect(r.status == 200)
        let events = try #require(r.bodyJSON?.arrayValue)
        #expect(events.count == 1)
        #expect(events[0]["debugContext"]?["debugData"]?["requestUri"] == "/oauth2/default/v1/token")
        #expect(events[0]["legacyEventType"] == "core.user_auth.login_failed")
        #expect(r.headers.filter { $0.0 == "Link" }.count == 2)  // polling mode: always a next link
    }

    @Test("per-minute bucket: over the limit is 429 E0000047 with a reset in the future")
    func rateLimit() throws {
        let org = try TestOrg()
        org.engine.perform(.setRateLimit(bucket: "users", limit: 3), ex: nil)
        for _ in 0..<3 { #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200) }
        let r = org.send("GET", "/api/v1/users", headers: [org.ssws])
        #expect(r.status == 429 && r.bodyJSON?["errorCode"] == "E0000047")
        #expect(r.header("X-Rate-Limit-Remaining") == "0" && r.header("X-Rate-Limit-Limit") == "3")
        #expect(Int(r.header("X-Rate-Limit-Reset")!)! > Int(org.engine.clock.now()))
        org.wall.advance(61)
        #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
    }
}
