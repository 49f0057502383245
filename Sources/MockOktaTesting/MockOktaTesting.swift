import FoundationEssentials
import Logging
import MockOktaCore
import MockOktaServer

/// The default tenant's credentials, as the ready file lists them.
public struct MockOktaCredentials: Sendable {
    /// SSWS token of the super admin (`admin@example.com`) and of the read-only admin.
    public var apiToken: String
    public var readOnlyApiToken: String
    /// The service app: `client_credentials` with a secret or with `private_key_jwt`.
    public var serviceClientId: String
    public var serviceClientSecret: String
    public var servicePrivateKeyPEM: String
    public var servicePrivateKeyKid: String
    /// The web app: `authorization_code` (+ PKCE), `refresh_token`, `password`.
    public var webClientId: String
    public var webClientSecret: String
    public var webRedirectURI: String
    /// A user assigned to the web app, and one who is not; both with the tenant password.
    public var user: (login: String, password: String)
    public var unassignedUser: (login: String, password: String)

    init(_ c: JSON) {
        func s(_ k: String) -> String { c[k]?.stringValue ?? "" }
        apiToken = s("apiToken")
        readOnlyApiToken = s("readOnlyApiToken")
        serviceClientId = s("serviceClientId")
        serviceClientSecret = s("serviceClientSecret")
        servicePrivateKeyPEM = s("servicePrivateKeyPem")
        servicePrivateKeyKid = s("servicePrivateKeyKid")
        webClientId = s("webClientId")
        webClientSecret = s("webClientSecret")
        webRedirectURI = s("webRedirectUri")
        user = (c["user"]?["login"]?.stringValue ?? "", c["user"]?["password"]?.stringValue ?? "")
        unassignedUser = (
            c["unassignedUser"]?["login"]?.stringValue ?? "", c["unassignedUser"]?["password"]?.stringValue ?? ""
        )
    }
}

/// A mock Okta org running in this process on a free port of 127.0.0.1, for one test.
public struct MockOktaOrg: Sendable {
    let server: StartedServer

    /// `http://127.0.0.1:PORT` (or https with `tls: true`): the org URL for an Okta SDK.
    public var url: String { server.url }
    /// The org authorization server's issuer (the org URL) and the `default` server's issuer.
    public var orgIssuer: String { server.info["orgIssuer"]?.stringValue ?? url }
    public var defaultIssuer: String { server.info["defaultIssuer"]?.stringValue ?? url + "/oauth2/default" }
    /// With `tls: true`: the PEM file of the CA that signed the server's certificate, to trust in the client.
    public var caFile: String? { server.info["caFile"]?.stringValue }
    public var credentials: MockOktaCredentials { MockOktaCredentials(server.info["credentials"] ?? .null) }
    /// The engine itself, for what the HTTP API does not show (the journal, the tenant clock).
    public var engine: MockOkta { server.engine }

    /// The scenario's verdicts on the requests so far: did the client wait, back off, stop retrying?
    /// A verdict that cannot be sure is `notExercised`, never `passed`.
    public func verdicts() -> VerdictReport { server.engine.verify() }

    /// The journal: every request the org received so far, oldest first.
    public func requests() -> [JournalEntry] { server.engine.journal.all(sinceEpoch: true) }
}

/// A problem starting an org for a test.
public struct MockOktaTestingError: Error, CustomStringConvertible {
    public var description: String
}

/// Starts an org, runs `body` with it, and stops it (also when `body` throws).
///
/// - Parameters:
///   - scenario: a shipped scenario's name (`429-rate-limit-with-reset`) or a scenario's JSON text; nil for the
///     default tenant with no faults.
///   - seed: the tenant seed (same seed, same ids, keys and secrets).
///   - tls: serve https with a generated CA (written to a temporary file, see `MockOktaOrg.caFile`).
public func withMockOkta<T: Sendable>(
    scenario: String? = nil, seed: UInt64 = 1, tls: Bool = false,
    _ body: (MockOktaOrg) async throws -> T
) async throws -> T {
    var config = ServerConfiguration()
    config.port = 0
    config.quietReadyBlock = true
    config.readyToStderr = true
    config.tls = tls
    config.options.seed = seed
    var caDir: URL? = nil
    if tls {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mock-okta-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        config.caOut = dir.appendingPathComponent("ca.pem").path
        caDir = dir
    }
    defer { if let caDir { try? FileManager.default.removeItem(at: caDir) } }
    if let scenario {
        let trimmed = scenario.trimmingWhitespaceAndNewlines()
        let text = trimmed.hasPrefix("{") ? scenario : ShippedScenarios.text(named: trimmed)
        guard let text else {
            let near = ShippedScenarios.suggestions(for: trimmed)
            throw MockOktaTestingError(
                description: "no shipped scenario named \(trimmed)"
                    + (near.isEmpty ? "" : " (did you mean \(near.joined(separator: ", "))?)"))
        }
        do {
            config.options.scenarios = [try ScenarioLoader.load(text: text)]
        } catch {
            throw MockOktaTestingError(description: "the scenario is not valid: \(error)")
        }
    }
    var logger = Logger(label: "mock-okta")
    logger.logLevel = .warning
    let engine = try MockOkta(options: config.options, logger: logger)
    let server = try await MockOktaServer.start(config, engine: engine, logger: logger)
    do {
        let result = try await body(MockOktaOrg(server: server))
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
