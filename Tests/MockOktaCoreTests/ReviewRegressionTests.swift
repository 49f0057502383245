import Dispatch
import Foundation
import Testing

@testable import MockOktaCore

/// Defects a review of the fidelity work found; each test failed before its fix.
@Suite("Review regressions: races, PAR, public clients, lifecycle, origins, verdicts")
struct ReviewRegressionTests {
    static func createApp(_ org: TestOrg, _ body: String, activate: Bool = true) -> String {
        let r = org.send(
            "POST", "/api/v1/apps", query: [("activate", activate ? "true" : "false")], headers: [org.ssws], body: body)
        return r.bodyJSON?["id"]?.stringValue ?? ""
    }

    /// Deleting an app while users are assigned to it crashed the process (a force unwrap after the app was gone).
    @Test("assigning users while the app is deleted never crashes: 200, or 404 once it is gone")
    func assignWhileDeleting() throws {
        let org = try TestOrg(rateLimits: false)
        let ann =
            org.send("GET", "/api/v1/users/ann@example.com", headers: [org.ssws]).bodyJSON?["id"]?.stringValue ?? ""
        let bookmark = #"{"label":"r","name":"bookmark","settings":{"app":{"url":"https://x.example"}}}"#
        for _ in 0..<300 {
            let id = Self.createApp(org, bookmark, activate: false)
            let statuses = Mutex<[Int]>([])
            let deleted = Mutex(false)
            let group = DispatchGroup()
            // Two assigners keep assigning until the app is gone; the delete lands somewhere in their requests.
            for _ in 0..<2 {
                group.enter()
                Thread.detachNewThread {
                    for _ in 0..<400 {
                        let r = org.send(
                            "POST", "/api/v1/apps/\(id)/users", headers: [org.ssws], body: #"{"id":"\#(ann)"}"#)
                        statuses.withLock { $0.append(r.status) }
                        if r.status == 404 && deleted.withLock({ $0 }) { break }
                    }
                    group.leave()
                }
            }
            usleep(UInt32.random(in: 0...300))
            #expect(org.send("DELETE", "/api/v1/apps/\(id)", headers: [org.ssws]).status == 204)
            deleted.withLock { $0 = true }
            group.wait()
            #expect(statuses.withLock { $0 }.allSatisfy { [200, 404].contains($0) })
            #expect(org.send("GET", "/api/v1/apps/\(id)", headers: [org.ssws]).status == 404)
        }
    }

    /// RFC 9126: a client that authenticated at /par with Basic still gets its code, and the sign-in form that
    /// /authorize shows can post the pushed request back.
    @Test("PAR with Basic auth, then the sign-in form posts the request_uri back and gets a code")
    func parWithBasicAndForm() throws {
        let org = try TestOrg()
        let web = org.basic(org.cred("webClientId"), org.cred("webClientSecret"))
        let pushed = org.form(
            "/oauth2/default/v1/par",
            [
                ("response_type", "code"), ("redirect_uri", DefaultTenant.webRedirectURI), ("scope", "openid"),
                ("state", "s"),
            ],
            headers: [web])
        let uri = try #require(pushed.bodyJSON?["request_uri"]?.stringValue)
        let page = org.send(
            "GET", "/oauth2/default/v1/authorize",
            query: [("client_id", org.cred("webClientId")), ("request_uri", uri)])
        #expect(page.status == 200 && page.bodyText.contains("request_uri"))
        let login = org.form(
            "/oauth2/default/v1/authorize",
            [
                ("client_id", org.cred("webClientId")), ("request_uri", uri), ("username", "ann@example.com"),
                ("password", org.creds["user"]?["password"]?.stringValue ?? ""),
            ])
        #expect(
            login.status == 302 && login.header("Location")?.contains("code=") == true,
            "\(login.status) \(login.bodyText)")
        // Used up once a code was issued.
        let again = org.send(
            "GET", "/oauth2/default/v1/authorize",
            query: [("client_id", org.cred("webClientId")), ("request_uri", uri), ("login_hint", "ann@example.com")])
        #expect(again.status == 400)
    }

    @Test("a public client cannot use client_credentials, and must use PKCE")
    func publicClients() throws {
        let org = try TestOrg()
        let cc = org.send(
            "POST", "/api/v1/apps", headers: [org.ssws],
            body:
                #"{"name":"oidc_client","label":"P","signOnMode":"OPENID_CONNECT","credentials":{"oauthClient":{"token_endpoint_auth_method":"none"}},"settings":{"oauthClient":{"application_type":"web","grant_types":["client_credentials"]}}}"#
        )
        #expect(cc.status == 400)
        let spa = Self.createApp(
            org,
            #"{"name":"oidc_client","label":"S","signOnMode":"OPENID_CONNECT","credentials":{"oauthClient":{"token_endpoint_auth_method":"none","pkce_required":false}},"settings":{"oauthClient":{"application_type":"browser","grant_types":["authorization_code"],"redirect_uris":["http://localhost:8000/cb"]}}}"#
        )
        let r = org.send(
            "GET", "/oauth2/default/v1/authorize",
            query: [
                ("client_id", spa), ("response_type", "code"), ("scope", "openid"), ("state", "s"),
                ("redirect_uri", "http://localhost:8000/cb"), ("login_hint", "ann@example.com"),
            ])
        #expect(r.status == 302 && r.header("Location")?.contains("error=invalid_request") == true)
        let empty = org.send(
            "POST", "/api/v1/apps", headers: [org.ssws],
            body:
                #"{"name":"oidc_client","label":"E","signOnMode":"OPENID_CONNECT","credentials":{"oauthClient":{"client_secret":""}},"settings":{"oauthClient":{"application_type":"service","grant_types":["client_credentials"]}}}"#
        )
        #expect(empty.status == 400)
    }

    @Test("expire_password refuses a deactivated user; a temporary password is the user's new password")
    func expirePassword() throws {
        let org = try TestOrg()
        #expect(
            org.send("POST", "/api/v1/users/bob@example.com/lifecycle/deactivate", headers: [org.ssws]).status == 200)
        let refused = org.send("POST", "/api/v1/users/bob@example.com/lifecycle/expire_password", headers: [org.ssws])
        #expect(refused.status == 403 && refused.bodyJSON?["errorCode"] == "E0000038")
        let temp = org.send(
            "POST", "/api/v1/users/carol@example.com/lifecycle/expire_password", query: [("tempPassword", "true")],
            headers: [org.ssws])
        let pw = try #require(temp.bodyJSON?["tempPassword"]?.stringValue)
        let grant = org.form(
            "/oauth2/default/v1/token",
            [("grant_type", "password"), ("username", "carol@example.com"), ("password", pw), ("scope", "openid")],
            headers: [org.basic(org.cred("webClientId"), org.cred("webClientSecret"))])
        // carol is not assigned to the web app, so the password is checked and then assignment refuses: not invalid_grant.
        #expect(grant.bodyJSON?["error"] != "invalid_grant" || grant.status == 200, "\(grant.bodyText)")
    }

    @Test("trusted origins: Capacitor and Ionic schemes, no wildcards, ports in range, unique names")
    func origins() throws {
        #expect(TrustedOrigin.normalize("capacitor://localhost") == "capacitor://localhost")
        #expect(TrustedOrigin.normalize("ionic://localhost") == "ionic://localhost")
        #expect(TrustedOrigin.normalize("HTTPS://Example.COM:443/") == "https://example.com")
        #expect(TrustedOrigin.normalize("http://[::1]:8080") == "http://[::1]:8080")
        for bad in [
            "http://*.example.com", "http://x.example:99999", "http://x.example:0", "https://bücher.example",
            "example.com", "http://x.example/path", "javascript://x",
        ] {
            #expect(TrustedOrigin.normalize(bad) == nil, "\(bad)")
        }
        let org = try TestOrg()
        let dup = org.send(
            "POST", "/api/v1/trustedOrigins", headers: [org.ssws],
            body: #"{"name":"Mock Local Origin","origin":"https://other.example","scopes":[{"type":"CORS"}]}"#)
        #expect(dup.status == 400 && dup.bodyJSON?["errorSummary"] == "Api validation failed: name")
    }

    @Test("/oauth2/org/… is no server (404), while the default server's aus id is")
    func orgIsNoCustomServer() throws {
        let org = try TestOrg()
        #expect(org.send("GET", "/oauth2/org/.well-known/openid-configuration").status == 404)
        #expect(org.send("GET", "/oauth2/org/v1/keys").status == 404)
        let aus = try #require(
            org.send("GET", "/api/v1/authorizationServers/default", headers: [org.ssws]).bodyJSON?["id"]?.stringValue)
        #expect(org.send("GET", "/oauth2/\(aus)/v1/keys").status == 200)
    }

    /// A maxAttempts expectation whose fault never fired cannot know the client's retry limit.
    @Test("maxAttempts is not exercised when no failure was served")
    func maxAttemptsNeedsAFailure() throws {
        let sc = """
            {"version":1,"name":"t","description":"d","rules":[{"id":"r","match":{"path":"/api/v1/userz"},
             "fault":{"type":"serverError"}}],"expect":[{"type":"maxAttempts","path":"/api/v1/users","max":2}]}
            """
        let org = try TestOrg(scenario: sc)
        #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
        let result = try #require(org.engine.verify().results.first)
        #expect(result.status == .notExercised, "\(result.reason)")
    }
}
