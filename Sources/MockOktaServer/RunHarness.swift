import Dispatch
import FoundationEssentials
import Logging
import MockOktaCore

#if canImport(Glibc)
import Glibc
#endif

/// `mock-okta run`: start on a free port, run the user's command against it, then judge the client.
public enum RunHarness {
    public struct Outcome: Sendable {
        public var commandStatus: Int32
        public var report: VerdictReport
        public var exitCode: Int32
    }

    /// Environment for the command, as PRODUCT.md lists it.
    public static func environment(_ info: JSON, tlsBundlePath: String?) -> [String: String] {
        let c = info["credentials"] ?? .null
        let url = info["url"]?.stringValue ?? ""
        var env: [String: String] = [
            "OKTA_ORG_URL": url, "OKTA_CLIENT_ORGURL": url,
            "OKTA_CLIENT_TOKEN": c["apiToken"]?.stringValue ?? "",
            "OKTA_ISSUER": info["defaultIssuer"]?.stringValue ?? "",
            "OKTA_CLIENT_ID": c["serviceClientId"]?.stringValue ?? "",
            "OKTA_CLIENT_SECRET": c["serviceClientSecret"]?.stringValue ?? "",
            "OKTA_CLIENT_CLIENTID": c["serviceClientId"]?.stringValue ?? "",
            "OKTA_CLIENT_PRIVATEKEY": c["servicePrivateKeyPem"]?.stringValue ?? "",
            "OKTA_WEB_CLIENT_ID": c["webClientId"]?.stringValue ?? "",
            "OKTA_WEB_CLIENT_SECRET": c["webClientSecret"]?.stringValue ?? "",
            "MOCK_OKTA_URL": url,
            "MOCK_OKTA_READONLY_TOKEN": c["readOnlyApiToken"]?.stringValue ?? "",
        ]
        if let ca = info["caFile"]?.stringValue {
            env["MOCK_OKTA_CA_FILE"] = ca
            if let b = tlsBundlePath {
                env["SSL_CERT_FILE"] = b
                env["REQUESTS_CA_BUNDLE"] = b
            }
        } else {
            // The Python SDK refuses http:// org URLs unless this is set (okta-contract.md §6).
            env["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"
        }
        return env
    }

    /// System CAs plus the mock CA, so the command trusts both.
    public static func writeBundle(caFile: String, to path: String) throws {
        var text = ""
        for sys in ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"] {
            if let s = try? String(contentsOfFile: sys, encoding: .utf8) {
                text = s
                break
            }
        }
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        text += try String(contentsOfFile: caFile, encoding: .utf8)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Runs CMD with a clean signal mask and default signal dispositions (the server blocks some signals for its
    /// own handling; the child must still die on SIGTERM/SIGINT). Exit status as a shell reports it: 128+N for signal
    /// N.
    public static func runCommand(_ args: [String], env extra: [String: String]) async -> Int32 {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        let envStrings = env.map { "\($0.key)=\($0.value)" }
        return await withCheckedContinuation { cont in
            DispatchQueue.global().async {
                var attr = posix_spawnattr_t()
                posix_spawnattr_init(&attr)
                var empty = sigset_t()
                sigemptyset(&empty)
                posix_spawnattr_setsigmask(&attr, &empty)
                var all = sigset_t()
                sigfillset(&all)
                sigdelset(&all, SIGKILL)
                sigdelset(&all, SIGSTOP)
                posix_spawnattr_setsigdefault(&attr, &all)
                posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
                var pid: pid_t = 0
                let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
                let envp: [UnsafeMutablePointer<CChar>?] = envStrings.map { strdup($0) } + [nil]
                let rc = posix_spawnp(&pid, args[0], nil, &attr, argv, envp)
                posix_spawnattr_destroy(&attr)
                for p in argv { free(p) }
                for p in envp { free(p) }
                guard rc == 0 else {
                    FileIO.write("mock-okta: cannot start \(args[0]): \(String(cString: strerror(rc)))\n", fd: 2)
                    cont.resume(returning: 127)
                    return
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                let code: Int32
                if status & 0x7f == 0 { code = (status >> 8) & 0xff } else { code = 128 + (status & 0x7f) }
                cont.resume(returning: code)
            }
        }
    }

    /// A readable verdict table: one line per expectation and rule, the reason, and up to `limit` cited requests
    /// ("+N more"; the JSON report never shortens).
    public static func table(_ report: VerdictReport, limit: Int = 5) -> String {
        func mark(_ s: VerdictStatus, optional: Bool) -> String {
            switch s {
            case .passed: return "PASS"
            case .failed: return "FAIL"
            case .notExercised: return optional ? "SKIP" : "NOT EXERCISED"
            }
        }
        var out =
            "\nmock-okta verdict: \(report.passed ? "PASSED" : "FAILED")\(report.summary.map { " (\($0))" } ?? "")\n"
        if report.noRequests { out += "  the client sent no request to the mock: nothing was tested\n" }
        if report.results.isEmpty && report.rules.isEmpty { out += "  (the scenario has no expectations)\n" }
        for r in report.results {
            out +=
                "  \(mark(r.status, optional: r.optional))  \(r.label)\(r.optional ? " (optional)" : "")\n        "
                + "\(r.reason)\n"
            guard r.status == .failed else { continue }
            for q in r.requests.prefix(limit) { out += "          \(q.line)  [\(q.id)]\n" }
            if r.requests.count > limit { out += "          +\(r.requests.count - limit) more\n" }
        }
        if !report.rules.isEmpty {
            out += "  rules:\n"
            for rule in report.rules {
                let status =
                    rule.fired > 0 ? "fired \(rule.fired)×" : (rule.optional ? "never fired (optional)" : "NEVER FIRED")
                out +=
                    "    \(rule.id): "
                    + "\(status)\(rule.fired == 0 && rule.matched > 0 ? ", matched \(rule.matched)" : "")\n"
            }
        }
        return out
    }

    /// Appends to the job summary file; a file that cannot be written is reported, never fatal.
    static func appendSummary(_ text: String, to path: String) {
        if !FileIO.append(text, to: path) {
            FileIO.write("mock-okta: cannot write the job summary to \(path)\n", fd: 2)
        }
    }

    public static func exitCode(commandStatus: Int32, report: VerdictReport) -> Int32 {
        if commandStatus != 0 { return commandStatus }
        return report.passed ? 0 : 3
    }

    /// Where `run` writes what it found, and whether it narrates while CMD runs.
    public struct Outputs: Sendable {
        public var reportPath: String?
        public var junitPath: String?
        public var harPath: String?
        public var quiet = false
        /// Keep serving after the verdicts until SIGINT/SIGTERM (`run --keep`).
        public var keep = false
        public init(
            reportPath: String? = nil, junitPath: String? = nil, harPath: String? = nil, quiet: Bool = false,
            keep: Bool = false
        ) {
            self.reportPath = reportPath
            self.junitPath = junitPath
            self.harPath = harPath
            self.quiet = quiet
            self.keep = keep
        }
    }

    /// Runs everything; the caller exits with `exitCode`.
    public static func run(config: ServerConfiguration, command: [String], outputs: Outputs, logger: Logger)
        async throws -> Outcome
    {
        let engine = try MockOkta(options: config.options, logger: logger)
        var config = config
        config.readyToStderr = true
        let server = try await MockOktaServer.start(config, engine: engine, logger: logger)
        let bundle = temporaryBundle(server.info)
        let progress = outputs.quiet ? nil : Task { await RunProgress(engine: engine).run() }
        let status = await runCommand(command, env: environment(server.info, tlsBundlePath: bundle))
        progress?.cancel()
        // Let in-flight requests (and hung ones the client just left) settle before judging.
        try? await Task.sleep(for: .milliseconds(100))
        let report = engine.verify()
        FileIO.write(table(report), fd: 2)
        try writeOutputs(report, commandStatus: status, engine: engine, config: config, command: command, outputs)
        if let bundle { try? FileManager.default.removeItem(atPath: bundle) }
        if outputs.keep {
            let url = server.url
            let tokenHint = config.options.adminToken == nil ? "" : "?token=<admin token>"
            FileIO.write(
                "mock-okta: the command ended; the server stays up at \(url) until Ctrl-C\n"
                    + "  dashboard \(url)/__mock/ui\(tokenHint)\n"
                    + "  journal   \(url)/__mock/journal\n  verdicts  \(url)/__mock/verify\n"
                    + "  tenant    \(url)/__mock/tenant\n", fd: 2)
            await server.waitUntilStopped()
        } else {
            await server.stop()
        }
        return Outcome(commandStatus: status, report: report, exitCode: exitCode(commandStatus: status, report: report))
    }

    /// With TLS, a temporary CA bundle (system CAs plus the mock's) for the command; its path, or nil.
    static func temporaryBundle(_ info: JSON) -> String? {
        guard let ca = info["caFile"]?.stringValue else { return nil }
        let path =
            FileManager.default.temporaryDirectory.path
            + "/mock-okta-ca-bundle-\(ProcessInfo.processInfo.processIdentifier).pem"
        try? writeBundle(caFile: ca, to: path)
        return path
    }

    /// Writes what `outputs` asks for: the JSON report (with the journal entries it cites), the HAR file, the
    /// GitHub job summary and the JUnit file.
    static func writeOutputs(
        _ report: VerdictReport, commandStatus status: Int32, engine: MockOkta, config: ServerConfiguration,
        command: [String], _ outputs: Outputs
    ) throws {
        if let reportPath = outputs.reportPath {
            // The journal entries the verdicts cite, so the report reads on its own.
            let cited = Set(report.results.flatMap(\.evidence))
            let journal = engine.journal.all(sinceEpoch: true).filter { cited.contains($0.id) }.map(\.json)
            let doc = report.json.setting("command", JSON(command)).setting("commandStatus", JSON(Int(status)))
                .setting("scenario", .string(config.options.scenarios.map(\.name).joined(separator: "+")))
                .setting("journal", .array(journal))
            try doc.serialized(pretty: true).write(toFile: reportPath, atomically: true, encoding: .utf8)
        }
        if let harPath = outputs.harPath {
            try HAR.document(engine.journal.all(sinceEpoch: true), baseURL: engine.baseURL).serialized(pretty: true)
                .write(toFile: harPath, atomically: true, encoding: .utf8)
        }
        let suite = config.options.scenarios.map(\.name).joined(separator: "+")
        if let summary = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !summary.isEmpty {
            // GitHub Actions shows what a step appends to this file on the run's page.
            appendSummary(
                Verdicts.markdown(report, suite: suite.isEmpty ? "mock-okta" : suite, command: command),
                to: summary)
        }
        if let junitPath = outputs.junitPath {
            try Verdicts.junit(report, suite: suite.isEmpty ? "mock-okta" : suite).write(
                toFile: junitPath, atomically: true, encoding: .utf8)
        }
    }
}
