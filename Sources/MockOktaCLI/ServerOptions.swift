import ArgumentParser
import FoundationEssentials
import Logging
import MockOktaCore
import MockOktaServer

#if canImport(Glibc)
import Glibc
#endif

/// Options shared by `serve` and `run`. Each can also come from MOCK_OKTA_<OPTION>; a flag wins.
struct ServerOptions: ParsableArguments {
    @Option(help: "Bind address (env MOCK_OKTA_HOST).") var host: String?
    @Option(help: "Port; 0 = any free port (env MOCK_OKTA_PORT).") var port: Int?
    @Option(
        name: .customLong("scenario"),
        help: "Scenario file to load at start; repeatable (env MOCK_OKTA_SCENARIO, comma-separated).")
    var scenarios: [String] = []
    @Option(help: "SQLite file for tenant state, keys and journal (env MOCK_OKTA_DB).") var db: String?
    @Option(help: "Seed for reproducible ids, keys, secrets, jti and probabilistic faults (env MOCK_OKTA_SEED).")
    var seed: UInt64?
    @Flag(help: "Serve HTTPS with a generated CA (env MOCK_OKTA_TLS).") var tls = false
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain to serve instead of a generated one.")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(
        name: .customLong("ca-out"), help: "Where to write the generated CA certificate (default mock-okta-ca.pem).")
    var caOut: String?
    @Option(name: .customLong("ready-file"), help: "JSON file written once the port accepts connections.")
    var readyFile: String?
    @Option(
        name: .customLong("admin-token"),
        help: "Require Authorization: Bearer TOKEN on /__mock/* (env MOCK_OKTA_ADMIN_TOKEN).")
    var adminToken: String?
    @Option(name: .customLong("log-format"), help: "text or json (env MOCK_OKTA_LOG_FORMAT).") var logFormat: String?
    @Option(name: .customLong("journal-limit"), help: "Keep the newest N requests in the journal (default 100000).")
    var journalLimit: Int?
    @Option(
        name: .customLong("idle-timeout"),
        help: "Close keep-alive connections idle this many seconds; 0 = never (default 60, env MOCK_OKTA_IDLE_TIMEOUT)."
    )
    var idleTimeout: Double?
    @Option(name: .customLong("rate-limits"), help: "okta (Okta's default buckets) or off (env MOCK_OKTA_RATE_LIMITS).")
    var rateLimits: String?
    @Option(
        name: .customLong("public-url"),
        help: "The org URL clients use behind a proxy or balancer, e.g. https://okta.test (env MOCK_OKTA_PUBLIC_URL).")
    var publicURL: String?

    static func env(_ name: String) -> String? {
        // getenv, not ProcessInfo.environment: that builds a dictionary of the whole environment on every call
        // (~25 calls at start-up, issue 15).
        guard let v = getenv("MOCK_OKTA_" + name) else { return nil }
        let s = String(cString: v)
        return s.isEmpty ? nil : s
    }

    func validate() throws {
        if let f = logFormat ?? Self.env("LOG_FORMAT"), f != "text" && f != "json" {
            throw ValidationError("--log-format must be text or json")
        }
        if let r = rateLimits ?? Self.env("RATE_LIMITS"), r != "okta" && r != "off" {
            throw ValidationError("--rate-limits must be okta or off")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if let p = port, !(0...65535).contains(p) { throw ValidationError("--port must be 0…65535") }
        if let t = idleTimeout ?? Self.env("IDLE_TIMEOUT").flatMap(Double.init), !(0...86400).contains(t) {
            throw ValidationError("--idle-timeout must be 0…86400 seconds")
        }
        if let s = Self.env("IDLE_TIMEOUT"), idleTimeout == nil, Double(s) == nil {
            throw ValidationError("MOCK_OKTA_IDLE_TIMEOUT must be a number of seconds")
        }
        if let n = journalLimit ?? Self.env("JOURNAL_LIMIT").flatMap(Int.init), !(1...10_000_000).contains(n) {
            throw ValidationError("--journal-limit must be 1…10000000")
        }
        if let s = Self.env("SEED"), seed == nil, UInt64(s) == nil {
            throw ValidationError("MOCK_OKTA_SEED must be a non-negative integer")
        }
        if let p = Self.env("PORT"), port == nil, Int(p) == nil {
            throw ValidationError("MOCK_OKTA_PORT must be an integer")
        }
        if let u = publicURL ?? Self.env("PUBLIC_URL"), ServerConfiguration.normalizedPublicURL(u) == nil {
            throw ValidationError(
                "--public-url must be http(s)://host[:port] with no path, query or credentials (at most 255 characters)"
            )
        }
    }

    /// Resolves flags, then environment variables, then defaults. Scenario files are loaded and validated here.
    func configuration(defaultPort: Int) throws -> ServerConfiguration {
        var c = ServerConfiguration()
        c.host = host ?? Self.env("HOST") ?? "127.0.0.1"
        c.port = port ?? Self.env("PORT").flatMap(Int.init) ?? defaultPort
        c.tls = tls || ["1", "true", "yes"].contains(Self.env("TLS")?.lowercased() ?? "")
        c.tlsCertPath = tlsCert ?? Self.env("TLS_CERT")
        c.tlsKeyPath = tlsKey ?? Self.env("TLS_KEY")
        if c.tlsCertPath != nil { c.tls = true }
        c.caOut = caOut ?? Self.env("CA_OUT")
        c.readyFile = readyFile ?? Self.env("READY_FILE")
        c.logFormat = ServerConfiguration.LogFormat(rawValue: logFormat ?? Self.env("LOG_FORMAT") ?? "text") ?? .text
        c.options.seed = seed ?? Self.env("SEED").flatMap(UInt64.init)
        c.options.dbPath = db ?? Self.env("DB") ?? ":memory:"
        c.options.adminToken = adminToken ?? Self.env("ADMIN_TOKEN")
        let idle = idleTimeout ?? Self.env("IDLE_TIMEOUT").flatMap(Double.init) ?? 60
        c.idleTimeoutSeconds = idle > 0 ? idle : nil
        c.options.journalLimit = journalLimit ?? Self.env("JOURNAL_LIMIT").flatMap(Int.init) ?? 100_000
        c.options.rateLimitsEnabled = (rateLimits ?? Self.env("RATE_LIMITS") ?? "okta") == "okta"
        c.publicURL = (publicURL ?? Self.env("PUBLIC_URL")).flatMap(ServerConfiguration.normalizedPublicURL)
        let files = scenarios.isEmpty ? (Self.env("SCENARIO")?.split(separator: ",").map(String.init) ?? []) : scenarios
        var loaded: [Scenario] = []
        var problems: [String] = []
        for f in files {
            let text: String
            do { text = try Self.scenarioText(f) } catch {
                FileIO.write("mock-okta: \(error)\n", fd: 2)
                throw ExitCode(2)
            }
            do { loaded.append(try ScenarioLoader.load(text: text, file: f)) } catch {
                problems.append(error.description)
            }
        }
        if !problems.isEmpty {
            FileIO.write("invalid scenario:\n" + problems.joined(separator: "\n") + "\n", fd: 2)
            throw ExitCode(2)
        }
        c.options.scenarios = loaded
        return c
    }

    struct ScenarioNotFound: Error, CustomStringConvertible {
        var description: String
    }

    /// A scenario by path, or else by the name of a shipped one (`429-rate-limit-with-reset`). A path wins.
    static func scenarioText(_ ref: String) throws -> String {
        // A scenario file is read up to the replay limit (64 MiB); the loader's own bounds apply to what is read.
        switch FileIO.read(ref, limit: ReplayLimits.maxFileBytes) {
        case .bytes(let bytes):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ScenarioNotFound(description: "cannot read the scenario file \(ref) (it is not UTF-8)")
            }
            return text
        case .directory: throw ScenarioNotFound(description: "cannot read the scenario file \(ref) (it is a directory)")
        case .unreadable, .tooLarge: throw ScenarioNotFound(description: "cannot read the scenario file \(ref)")
        case .missing: break
        }
        if !ref.contains("/"), let text = ShippedScenarios.text(named: ref) { return text }
        let near = ShippedScenarios.suggestions(for: String(ref.split(separator: "/").last ?? Substring(ref)))
        let hint = near.isEmpty ? "" : " (did you mean \(near.joined(separator: ", "))?)"
        throw ScenarioNotFound(
            description:
                "no scenario file \(ref) and no shipped scenario of that name\(hint); `mock-okta scenarios` lists them")
    }

    func logger(_ c: ServerConfiguration) -> Logger {
        let json = c.logFormat == .json
        LoggingSystem.bootstrap { label in
            var h = StderrLogHandler(label: label, json: json)
            h.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "info") ?? .info
            return h
        }
        return Logger(label: "mock-okta")
    }
}
