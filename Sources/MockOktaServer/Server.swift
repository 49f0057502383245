import FoundationEssentials
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import MockOktaCore
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// Runs timeline actions on time even when no request arrives.
struct TimelineTicker: Service {
    let engine: MockOkta
    func run() async throws {
        var n = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(50))
            engine.runDueTimeline()
            n += 1
            if n % 4 == 0 { engine.flushPersistence() }
        }
        engine.flushPersistence()
    }
}

/// TLS material: generated CA + server certificate, or the user's own files.
public struct TLSMaterial: Sendable {
    public var certificateChainPEM: String
    public var privateKeyPEM: String
    public var caPEM: String?

    public static func generate(seed: UInt64, host: String, now: Double) throws -> TLSMaterial {
        let keys = [try KeyPool.key(seed: seed, slot: .tlsCA), try KeyPool.key(seed: seed, slot: .tlsServer)]
        let day: Int64 = 86400
        let start = Int64(now) / day * day - day
        let caPEM = try Certificates.ca(
            key: keys[0], commonName: "mock-okta CA", notBefore: start, notAfter: start + 3650 * day,
            serial: Int(seed % 1_000_000) + 1)
        var sans = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
        if host != "127.0.0.1" && host != "localhost" && host != "::1" && host != "0.0.0.0" {
            sans.append(
                host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? "IP:\(host)" : "DNS:\(host)")
        }
        let leaf = try Certificates.server(
            key: keys[1], caKey: keys[0], caPEM: caPEM, commonName: "localhost", subjectAltNames: sans,
            notBefore: start, notAfter: start + 825 * day, serial: Int(seed % 1_000_000) + 2)
        return TLSMaterial(certificateChainPEM: leaf, privateKeyPEM: keys[1].privateKeyPEM, caPEM: caPEM)
    }
}

/// Lets `run` stop the server gracefully (hung requests released) instead of cancelling it.
public final class ShutdownTrigger: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)
    private let requested = Mutex(false)
    public init() {}
    func attach(_ g: ServiceGroup) async {
        group.withLock { $0 = g }
        if requested.withLock({ $0 }) { await g.triggerGracefulShutdown() }
    }
    public func trigger() async {
        requested.withLock { $0 = true }
        if let g = group.withLock({ $0 }) { await g.triggerGracefulShutdown() }
    }
}

public enum MockOktaServer {
    /// Builds the engine, binds, prints the ready line, writes the ready file, and serves until SIGTERM/SIGINT.
    /// `onReady` receives the ready-file JSON (used by `run`).
    public static func run(
        _ config: ServerConfiguration, logger: Logger,
        onReady: (@Sendable (JSON) async -> Void)? = nil
    ) async throws {
        let engine = try MockOkta(options: config.options, logger: logger)
        try await run(config, engine: engine, logger: logger, onReady: onReady)
    }

    /// Serves `engine` until SIGTERM/SIGINT or `shutdown`; `onReady` receives the ready-file JSON once it listens.
    public static func run(
        _ config: ServerConfiguration, engine: MockOkta, logger: Logger, shutdown: ShutdownTrigger? = nil,
        onReady: (@Sendable (JSON) async -> Void)? = nil
    ) async throws {
        raiseOpenFileLimit()
        let (tlsConfig, caFile) = try tlsSetup(config, engine: engine)
        engine.setCAFile(caFile)
        let idle = config.idleTimeoutSeconds.map { TimeAmount.milliseconds(Int64($0 * 1000)) }
        let http1 = HTTPServerBuilder.http1(
            configuration: .init(
                additionalChannelHandlers: [DateHeaderHandler(parseErrorBody: { engine.unparseableRequestBody() })],
                idleTimeout: idle))
        let server: HTTPServerBuilder = try tlsConfig.map { try .tls(http1, tlsConfiguration: $0) } ?? http1
        let waits = WireWaits(clock: engine.realClock)
        let responder = MockResponder(engine: engine, tls: config.tls, logger: logger, waits: waits)
        // Hummingbird's HTTP server without its `Application` (see `MockResponder.serve`).
        let app = try server.buildServer(
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger,
            responder: { request, writer, channel in try await responder.serve(request, writer, channel) },
            onServerRunning: { channel in
                await announceReady(
                    config, engine: engine, port: channel.localAddress?.port ?? config.port, onReady: onReady)
            })
        var groupConfig = ServiceGroupConfiguration(
            // Told in reverse order at graceful shutdown: held requests are released before the application
            // waits for them.
            // Named: without a name each service is described with `"\(service)"`, a reflection of everything it
            // holds (~3 ms of every start, issue 15).
            services: [
                .init(service: app, serviceName: "http-server"),
                .init(service: WireWaits.Releaser(waits: waits), serviceName: "held-requests"),
                .init(service: TimelineTicker(engine: engine), serviceName: "timeline"),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .milliseconds(700)
        // No escalation to fatalError: hung handlers are released at graceful shutdown and TLS closes are bounded.
        groupConfig.maximumCancellationDuration = nil
        defer { engine.flushPersistence() }
        let group = ServiceGroup(configuration: groupConfig)
        await shutdown?.attach(group)
        try await group.run()
    }

    /// The server's TLS configuration and the CA file written for clients (nil with the user's own certificate);
    /// both nil without `--tls`.
    static func tlsSetup(_ config: ServerConfiguration, engine: MockOkta) throws -> (TLSConfiguration?, String?) {
        guard config.tls else { return (nil, nil) }
        let (material, caFile) = try tlsMaterial(config, engine: engine)
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(material.certificateChainPEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(material.privateKeyPEM.utf8), format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // Closing a TLS connection waits for the peer's close_notify (5 s by default); a client that never
        // answers it must not hold shutdown past its 1 s budget.
        tls.shutdownTimeout = .milliseconds(100)
        return (tls, caFile)
    }

    /// The user's `--tls-cert` and `--tls-key`, or a generated certificate whose CA is written to `--ca-out` (its
    /// path is returned).
    static func tlsMaterial(_ config: ServerConfiguration, engine: MockOkta) throws -> (TLSMaterial, String?) {
        if let certPath = config.tlsCertPath, let keyPath = config.tlsKeyPath {
            guard let cert = try? String(contentsOfFile: certPath, encoding: .utf8),
                let key = try? String(contentsOfFile: keyPath, encoding: .utf8)
            else { throw ServerError("cannot read --tls-cert \(certPath) or --tls-key \(keyPath)") }
            return (TLSMaterial(certificateChainPEM: cert, privateKeyPEM: key, caPEM: nil), nil)
        }
        let material = try TLSMaterial.generate(seed: engine.seed, host: config.host, now: engine.clock.now())
        let out = config.caOut ?? "mock-okta-ca.pem"
        let url = URL(
            fileURLWithPath: out, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        try material.caPEM!.write(to: url, atomically: true, encoding: .utf8)
        return (material, url.standardizedFileURL.path)
    }

    /// Once the server listens on `port`: sets the engine's base URL, writes the ready file, prints the ready block
    /// and calls `onReady`.
    static func announceReady(
        _ config: ServerConfiguration, engine: MockOkta, port: Int, onReady: (@Sendable (JSON) async -> Void)?
    ) async {
        let scheme = config.tls ? "https" : "http"
        let host = config.host
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : (host.contains(":") ? "[\(host)]" : host)
        engine.setBaseURL(config.publicURL ?? "\(scheme)://\(shownHost):\(port)")
        let info = engine.readyInfo(port: port)
        if let readyFile = config.readyFile {
            let tmp = readyFile + ".tmp"
            try? info.serialized(pretty: true).write(toFile: tmp, atomically: false, encoding: .utf8)
            _ = rename(tmp, readyFile)
        }
        let listening = config.publicURL == nil ? nil : "\(scheme)://\(shownHost):\(port)"
        printReady(info, quiet: config.quietReadyBlock, toStderr: config.readyToStderr, listening: listening)
        await onReady?(info)
    }

    /// Thousands of held connections need file descriptors: lift the soft limit (often 1,024) to the hard one.
    static func raiseOpenFileLimit() {
        var r = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &r) == 0, r.rlim_cur < r.rlim_max else { return }
        r.rlim_cur = r.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &r)
    }

    static func printReady(_ info: JSON, quiet: Bool, toStderr: Bool = false, listening: String? = nil) {
        let c = info["credentials"] ?? .null
        var text = "mock-okta ready \(info["url"]?.stringValue ?? "")\n"
        if let listening {
            text += "  listening on     \(listening)   (--public-url: issuers and links name the URL above)\n"
        }
        if !quiet {
            func s(_ k: String) -> String { c[k]?.stringValue ?? "" }
            let user = "\(c["user"]?["login"]?.stringValue ?? "") / \(c["user"]?["password"]?.stringValue ?? "")"
            let control = "\(info["url"]?.stringValue ?? "")/__mock/tenant   seed \(info["seed"]?.stringValue ?? "")"
            text += """
                  org issuer       \(info["orgIssuer"]?.stringValue ?? "")
                  default issuer   \(info["defaultIssuer"]?.stringValue ?? "")
                  API token        \(s("apiToken"))   (read-only: \(s("readOnlyApiToken")))
                  service app      \(s("serviceClientId")) / \(s("serviceClientSecret"))
                  web app          \(s("webClientId")) / \(s("webClientSecret"))  redirect \(s("webRedirectUri"))
                  user             \(user)
                  unassigned user  \(c["unassignedUser"]?["login"]?.stringValue ?? "")
                  control API      \(control)
                  dashboard        \(info["url"]?.stringValue ?? "")/__mock/ui

                """
            if let ca = info["caFile"]?.stringValue { text += "  CA file          \(ca)\n" }
        }
        FileIO.write(text, fd: toStderr ? 2 : 1)
    }
}
