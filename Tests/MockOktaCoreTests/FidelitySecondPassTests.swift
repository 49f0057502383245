import Foundation
import Testing

@testable import MockOktaCore

/// Issue 11, second pass: event catalogue, app write API, trusted origins and CORS, user schema, `--db` persistence.
@Suite("Fidelity: events, apps, trusted origins, user schema")
struct FidelitySecondPassTests {
    /// Source: okta/okta-developer-docs packages/@okta/vuepress-site/data/event-types.json (2026.08.1), committed as
    /// Tests/data/okta-event-types.txt. Every id the mock writes is in it, except the one documented mock-only id.
    @Test("every System Log event type the mock writes is in Okta's catalogue, or marked mock-only")
    func eventCatalogue() throws {
        let text = try String(
            contentsOf: repoRoot.appendingPathComponent("Tests/data/okta-event-types.txt"), encoding: .utf8)
        let catalogue = Set(text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") })
        #expect(catalogue.count > 1000)
        for t in EventType.allCases {
            #expect(t.mockOnly || catalogue.contains(t.rawValue), "\(t.rawValue) is not in the catalogue")
            #expect(!t.displayMessage.isEmpty)
        }
        #expect(EventType.allCases.filter(\.mockOnly) == [.faultInjected, .requestDenied])
        for name in EventType.notInCatalogue.keys {
            #expect(!catalogue.contains(name), "\(name) is in the catalogue after all")
        }
    }

    /// Source: okta-sdk-python cassettes test_applications_it/*activate_deactivate_delete_app.yaml (2020) and
    /// test_application_sso_federated_claims_it (2026): create 200, deactivate 200 {}, delete active 403 E0000056.
    @Test("app write API: create, use as a client, deactivate, delete; an active app cannot be deleted")
    func appLifecycle() throws {
        let org = try TestOrg()
        let body =
            #"{"name":"oidc_client","label":"Svc","signOnMode":"OPENID_CONNECT","settings":{"oauthClient":{"application_type":"service","grant_types":["client_credentials"]}}}"#
        let created = org.send("POST", "/api/v1/apps", headers: [org.ssws], body: body)
        #expect(created.status == 200)
        let app = try #require(created.bodyJSON)
        let id = try #require(app["id"]?.stringValue)
        let secret = try #require(app["credentials"]?["oauthClient"]?["client_secret"]?.stringValue)
        #expect(app["_links"]?["self"] == nil && app["_links"]?["deactivate"] != nil)
        // The new client authenticates and the default server's Default Policy (all clients) gives it a token; a wrong
        // secret is 401.
        let good = org.form(
            "/oauth2/default/v1/token", [("grant_type", "client_credentials"), ("scope", "api.read")],
            headers: [org.basic(id, secret)])
        #expect(good.status == 200 && good.bodyJSON?["scope"] == "api.read")
        let bad = org.form(
            "/oauth2/default/v1/token", [("grant_type", "client_credentials"), ("scope", "api.read")],
            headers: [org.basic(id, "wrong")])
        #expect(bad.status == 401)
        let del = org.send("DELETE", "/api/v1/apps/\(id)", headers: [org.ssws])
        #expect(del.status == 403 && del.bodyJSON?["errorCode"] == "E0000056")
        let off = org.send("POST", "/api/v1/apps/\(id)/lifecycle/deactivate", headers: [org.ssws])
        #expect(off.status == 200 && off.bodyJSON == .object([]))
        #expect(org.send("DELETE", "/api/v1/apps/\(id)", headers: [org.ssws]).status == 204)
        #expect(org.send("GET", "/api/v1/apps/\(id)", headers: [org.ssws]).status == 404)
        let types = Set(org.engine.systemLog.all().map(\.eventType))
        for t in ["application.lifecycle.create", "application.lifecycle.deactivate", "application.lifecycle.delete"] {
            #expect(types.contains(t), "\(t)")
        }
    }

    /// A bookmark app is not an OAuth client: its id at the token endpoint is an unknown client.
    @Test("a bookmark app is no OAuth client")
    func bookmarkIsNoClient() throws {
        let org = try TestOrg()
        let r = org.send(
            "POST", "/api/v1/apps", headers: [org.ssws],
            body: #"{"name":"bookmark","label":"B","settings":{"app":{"url":"https://example.com/b"}}}"#)
        #expect(r.status == 200 && r.bodyJSON?["signOnMode"] == "BOOKMARK")
        let id = try #require(r.bodyJSON?["id"]?.stringValue)
        let t = org.form(
            "/oauth2/default/v1/token",
            [("grant_type", "client_credentials"), ("client_id", id), ("scope", "api.read")])
        #expect(t.status == 401 && t.bodyJSON?["error"] == "invalid_client")
    }

    /// Source: okta-management-openapi-spec oauth spec `tokenOptions` (204, Allow-Origin, Allow-Methods, Max-Age, Vary)
    /// and okta-developer-docs oauth2-error-codes.json `not_trusted_origin_browser_request`.
    @Test("CORS: a trusted origin's preflight and token call get CORS headers; an untrusted one gets none and a 400")
    func cors() throws {
        let org = try TestOrg()
        let pre = org.send(
            "OPTIONS", "/oauth2/default/v1/token",
            headers: [("origin", "http://localhost:8000"), ("access-control-request-method", "POST")])
        #expect(pre.status == 204 && pre.header("Access-Control-Allow-Origin") == "http://localhost:8000")
        #expect(pre.header("Access-Control-Allow-Methods")?.contains("POST") == true)
        let untrusted = org.send("OPTIONS", "/oauth2/default/v1/token", headers: [("origin", "http://evil.example")])
        #expect(untrusted.status == 204 && untrusted.header("Access-Control-Allow-Origin") == nil)
        let tok = org.form(
            "/oauth2/default/v1/token", [("grant_type", "client_credentials"), ("scope", "api.read")],
            headers: [
                org.basic(org.cred("serviceClientId"), org.cred("serviceClientSecret")),
                ("origin", "http://evil.example"),
            ])
        #expect(tok.status == 400 && tok.bodyJSON?["error"] == "invalid_request")
        let keys = org.send("GET", "/oauth2/default/v1/keys", headers: [("origin", "http://localhost:8000")])
        #expect(keys.header("Access-Control-Allow-Origin") == "http://localhost:8000")
        #expect(keys.header("Access-Control-Expose-Headers")?.contains("X-Rate-Limit-Remaining") == true)
    }

    /// A browser sends a preflight before each token POST: a rule without a method does not spend its `nth` on the
    /// preflight, and the verdicts do not count preflights as attempts.
    @Test("CORS preflights neither trigger rules nor count as attempts")
    func preflightsAreNotAttempts() throws {
        let sc = """
            {"version":1,"name":"t","description":"d","rules":[{"id":"r","match":{"path":"/oauth2/default/v1/token"},
             "when":{"nth":[1]},"fault":{"type":"serverError"}}],
             "expect":[{"type":"maxAttempts","path":"/oauth2/default/v1/token","max":2}]}
            """
        let org = try TestOrg(scenario: sc)
        let origin = ("origin", "http://localhost:8000")
        for _ in 0..<3 {
            #expect(org.send("OPTIONS", "/oauth2/default/v1/token", headers: [origin]).status == 204)
        }
        let first = org.form(
            "/oauth2/default/v1/token", [("grant_type", "client_credentials"), ("scope", "api.read")],
            headers: [org.basic(org.cred("serviceClientId"), org.cred("serviceClientSecret")), origin])
        #expect(first.status == 500)
        org.wall.advance(1)
        let second = org.form(
            "/oauth2/default/v1/token", [("grant_type", "client_credentials"), ("scope", "api.read")],
            headers: [org.basic(org.cred("serviceClientId"), org.cred("serviceClientSecret")), origin])
        #expect(second.status == 200)
        let report = org.engine.verify()
        #expect(report.results.first?.status == .passed, "\(report.results.map(\.reason))")
    }

    /// Source: okta-sdk-python cassette test_user_schema_it/test_get_user_schema.yaml (base required attributes).
    @Test("user writes follow the base schema: a replace without required attributes is 400 and changes nothing")
    func userSchema() throws {
        let org = try TestOrg()
        let r = org.send(
            "PUT", "/api/v1/users/ann@example.com", headers: [org.ssws],
            body: #"{"profile":{"login":"ann@example.com","nickName":"a"}}"#)
        #expect(r.status == 400 && r.bodyJSON?["errorSummary"] == "Api validation failed: firstName")
        let causes = r.bodyJSON?["errorCauses"]?.arrayValue?.compactMap { $0["errorSummary"]?.stringValue } ?? []
        #expect(
            causes.contains("lastName: The field cannot be left blank")
                && causes.contains("email: The field cannot be left blank"))
        #expect(org.send("GET", "/api/v1/users/ann", headers: [org.ssws]).bodyJSON?["profile"]?["firstName"] == "Ann")
        let typed = org.send(
            "POST", "/api/v1/users/ann@example.com", headers: [org.ssws], body: #"{"profile":{"firstName":5}}"#)
        #expect(typed.status == 400 && typed.bodyJSON?["errorSummary"] == "Api validation failed: firstName")
        let schema = org.send("GET", "/api/v1/meta/schemas/user/default", headers: [org.ssws])
        #expect(schema.bodyJSON?["definitions"]?["base"]?["required"] == ["login", "firstName", "lastName", "email"])
    }

    /// Apps and trusted origins made through the API survive a restart on the same --db file.
    @Test("apps and trusted origins persist in --db")
    func persistence() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mo-fid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("t.db").path
        var appId = ""
        var originId = ""
        do {
            let org = try TestOrg(dbPath: db)
            appId =
                org.send(
                    "POST", "/api/v1/apps", headers: [org.ssws],
                    body: #"{"name":"bookmark","label":"Kept","settings":{"app":{"url":"https://example.com"}}}"#
                )
                .bodyJSON?["id"]?.stringValue ?? ""
            originId =
                org.send(
                    "POST", "/api/v1/trustedOrigins", headers: [org.ssws],
                    body: #"{"name":"Kept","origin":"https://kept.example","scopes":[{"type":"CORS"}]}"#
                )
                .bodyJSON?["id"]?.stringValue ?? ""
        }
        // The first engine lets go of the file once its background journal read-back ends.
        var reopened: TestOrg? = nil
        for _ in 0..<100 where reopened == nil {
            reopened = try? TestOrg(dbPath: db)
            if reopened == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        let again = try #require(reopened)
        #expect(again.send("GET", "/api/v1/apps/\(appId)", headers: [again.ssws]).bodyJSON?["label"] == "Kept")
        #expect(again.send("GET", "/api/v1/trustedOrigins/\(originId)", headers: [again.ssws]).status == 200)
        let pre = again.send("OPTIONS", "/oauth2/v1/keys", headers: [("origin", "https://kept.example")])
        #expect(pre.header("Access-Control-Allow-Origin") == "https://kept.example")
    }
}
