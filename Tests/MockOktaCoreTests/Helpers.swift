import Foundation
import Testing

@testable import MockOktaCore

/// A tenant on a hand-driven clock with a fixed seed.
struct TestOrg {
    let engine: MockOkta
    let wall: ManualWallClock

    init(
        seed: UInt64 = 42, scenario: String? = nil, rateLimits: Bool = true, adminToken: String? = nil,
        dbPath: String = ":memory:"
    ) throws {
        wall = ManualWallClock(1_800_000_000)
        var o = MockOktaOptions()
        o.seed = seed
        o.rateLimitsEnabled = rateLimits
        o.adminToken = adminToken
        o.dbPath = dbPath
        if let scenario { o.scenarios = [try ScenarioLoader.load(text: scenario)] }
        engine = try MockOkta(options: o, clock: TenantClock(base: wall))
        engine.setBaseURL("https://127.0.0.1:8443")
    }

    var creds: JSON { engine.credentials }
    func cred(_ k: String) -> String { creds[k]?.stringValue ?? "" }

    @discardableResult
    func send(
        _ method: String, _ path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: String = ""
    ) -> HTTPReply {
        // Like every real client: a body goes with a content type (the Management API refuses it otherwise).
        var headers = headers
        if !body.isEmpty, !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headers.append(("content-type", "application/json"))
        }
        return engine.handle(
            HTTPRequestInfo(method: method, path: path, query: query, headers: headers, body: Array(body.utf8)))
    }

    func form(_ path: String, _ fields: [(String, String)], headers: [(String, String)] = []) -> HTTPReply {
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }
            .joined(separator: "&")
        return send(
            "POST", path, headers: [("content-type", "application/x-www-form-urlencoded")] + headers, body: body)
    }

    func basic(_ id: String, _ secret: String) -> (String, String) {
        ("authorization", "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString())
    }

    var ssws: (String, String) { ("authorization", "SSWS " + cred("apiToken")) }

    /// client_credentials on the default server with the service app's secret.
    func serviceToken(scope: String = "api.read") -> HTTPReply {
        form(
            "/oauth2/default/v1/token", [("grant_type", "client_credentials"), ("scope", scope)],
            headers: [basic(cred("serviceClientId"), cred("serviceClientSecret"))])
    }

    /// A private_key_jwt client assertion signed with the service app's key.
    func assertion(aud: String, jti: String = UUID().uuidString, expIn: Int = 300) throws -> String {
        let key = try RSAKey(pem: cred("servicePrivateKeyPem"))
        let now = Int(engine.clock.now())
        let id = cred("serviceClientId")
        let claims: JSON = [
            "iss": .string(id), "sub": .string(id), "aud": .string(aud), "iat": JSON(now), "exp": JSON(now + expIn),
            "jti": .string(jti),
        ]
        return try JWT.sign(claims: claims, key: key, kid: cred("servicePrivateKeyKid"))
    }

    func orgToken(scope: String) throws -> String {
        let r = form(
            "/oauth2/v1/token",
            [
                ("grant_type", "client_credentials"), ("scope", scope),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", try assertion(aud: "https://127.0.0.1:8443/oauth2/v1/token")),
            ])
        guard r.status == 200, let t = r.bodyJSON?["access_token"]?.stringValue else {
            throw TestFailure("org token failed: \(r.status) \(r.bodyText)")
        }
        return t
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The repository root (for shipped scenarios and the schema).
let repoRoot: URL = {
    var u = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { u.deleteLastPathComponent() }
    return u
}()
