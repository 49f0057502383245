import Dispatch
import Foundation
import Testing

@testable import MockOktaCore

/// Issue 14 §6: every fault kind, every action and every expectation kind, each checked through what a
/// client observes (status, body, headers, wire behaviour, the tokens it is given, the tenant it then sees),
/// plus the journal and System Log records, and one race between deleting a group and adding members to it.
@Suite("CoverageTests: every fault, action and expectation kind; group delete/add race")
struct CoverageTests {
    // MARK: - shared helpers

    static let issuerDefault = "https://127.0.0.1:8443/oauth2/default"

    static func scenario(rules: [String] = [], expect: [String] = []) -> String {
        var parts = [#""version":1"#, #""name":"coverage""#, #""description":"CoverageTests""#]
        if !rules.isEmpty { parts.append(#""rules":[\#(rules.joined(separator: ","))]"#) }
        if !expect.isEmpty { parts.append(#""expect":[\#(expect.joined(separator: ","))]"#) }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func web(_ org: TestOrg) -> (String, String) {
        org.basic(org.cred("webClientId"), org.cred("webClientSecret"))
    }
    static func service(_ org: TestOrg) -> (String, String) {
        org.basic(org.cred("serviceClientId"), org.cred("serviceClientSecret"))
    }

    static func password(_ org: TestOrg) -> String { org.creds["user"]?["password"]?.stringValue ?? "" }

    /// Resource-owner password grant on `default` with the web app.
    static func passwordGrant(
        _ org: TestOrg, login: String = "ann@example.com", scope: String = "openid offline_access"
    ) -> HTTPReply {
        org.form(
            "/oauth2/default/v1/token",
            [("grant_type", "password"), ("username", login), ("password", password(org)), ("scope", scope)],
            headers: [web(org)])
    }

    static func introspect(_ org: TestOrg, _ token: String, client: (String, String)) -> JSON? {
        org.form("/oauth2/default/v1/introspect", [("token", token)], headers: [client]).bodyJSON?["active"]
    }

    /// `/authorize` for the web app with a login hint (signs in users that have the tenant's default password).
    static func authorize(_ org: TestOrg, login: String) -> HTTPReply {
        org.send(
            "GET", "/oauth2/default/v1/authorize",
            query: [
                ("client_id", org.cred("webClientId")), ("response_type", "code"), ("scope", "openid"),
                ("redirect_uri", DefaultTenant.webRedirectURI), ("state", "st"), ("login_hint", login),
            ])
    }

    static func location(_ r: HTTPReply) -> URLComponents? {
        r.header("Location").flatMap { URLComponents(string: $0) }
    }
    static func queryItem(_ r: HTTPReply, _ name: String) -> String? {
        location(r)?.queryItems?.first { $0.name == name }?.value
    }

    static func userId(_ org: TestOrg, _ login: String) -> String {
        org.send("GET", "/api/v1/users/\(login)", headers: [org.ssws]).bodyJSON?["id"]?.stringValue ?? "?"
    }

    static func appUserIds(_ org: TestOrg, _ appId: String) -> Set<String> {
        let r = org.send("GET", "/api/v1/apps/\(appId)/users", query: [("limit", "500")], headers: [org.ssws])
        return Set((r.bodyJSON?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
    }

    static func jwksKids(_ org: TestOrg, server: String = "default") -> [String] {
        let path = server == "org" ? "/oauth2/v1/keys" : "/oauth2/\(server)/v1/keys"
        return (org.send("GET", path).bodyJSON?["keys"]?.arrayValue ?? []).compactMap { $0["kid"]?.stringValue }
    }

    static func problem(_ r: Result<DecodedJWT, MockOkta.TokenProblem>) -> MockOkta.TokenProblem? {
        if case .failure(let p) = r { return p }
        return nil
    }

    static func validate(_ org: TestOrg, _ token: String) -> Result<DecodedJWT, MockOkta.TokenProblem> {
        org.engine.validateAccessToken(token, serverId: "default", now: org.engine.clock.now())
    }

    /// Sends a control-API action and returns its result (the endpoint a test harness would use).
    @discardableResult
    static func action(_ org: TestOrg, _ body: String) -> HTTPReply {
        org.send("POST", "/__mock/actions", body: body)
    }
}
