import ArgumentParser
import Foundation
import MockOktaCore
import MockOktaServer

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start on a free port, run CMD against it, then judge the client.",
        discussion:
            "Exit status: CMD's own status if it failed; else 3 if an expectation failed; else 0. 2 = bad usage or invalid scenario."
    )
    @OptionGroup var server: ServerOptions
    @Option(help: "Write the verdicts as JSON.") var report: String?
    @Option(help: "Write the verdicts as JUnit XML (one testcase per expectation and rule).") var junit: String?
    @Option(help: "Write the journal as HAR 1.2 (opens in browser devtools).") var har: String?
    @Flag(help: "No live progress on stderr while the command runs.") var quiet = false
    @Argument(parsing: .postTerminator, help: "The command to run, after --.") var command: [String] = []

    func validate() throws {
        if command.isEmpty {
            throw ValidationError("give the command to run after --, e.g. mock-okta run --scenario s.json -- pytest")
        }
    }

    func run() async throws {
        let c = try server.configuration(defaultPort: 0)
        let logger = server.logger(c)
        let outcome: RunHarness.Outcome
        do {
            outcome = try await RunHarness.run(
                config: c, command: command,
                outputs: .init(reportPath: report, junitPath: junit, harPath: har, quiet: quiet), logger: logger)
        } catch let e as ExitCode {
            throw e
        } catch {
            throw startFailure(error, c)
        }
        throw ExitCode(outcome.exitCode)
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check scenario files; every error with its JSON path and line.")
    @Argument(help: "Scenario files (or names of shipped scenarios).") var files: [String]

    func run() throws {
        var bad = false
        for f in files {
            let text: String
            do { text = try ServerOptions.scenarioText(f) } catch {
                print("\(f): \(error)")
                bad = true
                continue
            }
            do {
                let s = try ScenarioLoader.load(text: text, file: f)
                print(
                    "\(f): ok (\(s.rules.count) rules, \(s.timeline.count) timeline actions, \(s.expect.count) expectations)"
                )
            } catch {
                bad = true
                for i in error.issues { print("\(f):\(i.line):\(i.column): \(i.path): \(i.message)") }
            }
        }
        if bad { throw ExitCode(2) }
    }
}

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Show a token's claims; explain why Okta would answer 401/403.",
        subcommands: [Decode.self, Explain.self])

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a JWT's header and claims.")
        @Argument(help: "The JWT.") var jwt: String
        func run() throws {
            guard let d = DecodedJWT(jwt.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                print("not a JWT: expected three base64url parts separated by dots")
                throw ExitCode(1)
            }
            print(TokenExplainer.decodeText(d))
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge a token as Okta would for a route (default GET:/api/v1/users).",
            discussion: """
                Keys come from the tenant given by --seed or --db (or MOCK_OKTA_SEED / MOCK_OKTA_DB); without either, from the token's \
                issuer (its discovery document, then jwks_uri; MOCK_OKTA_CA_FILE is trusted for https). --offline never fetches. \
                Exit 0 = accepted, 1 = refused, 2 = bad usage.
                """)
        @Argument(help: "The JWT.") var jwt: String
        @Option(name: .customLong("for"), help: "METHOD:PATH, e.g. GET:/api/v1/users") var route: String =
            "GET:/api/v1/users"
        @Option(help: "Seed of the tenant that issued the token.") var seed: UInt64?
        @Option(help: "SQLite file of the tenant that issued the token.") var db: String?
        @Flag(help: "Do not fetch the issuer's keys over the network.") var offline = false

        func validate() throws {
            let parts = route.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix("/") else {
                throw ValidationError("--for takes METHOD:PATH, e.g. GET:/api/v1/users")
            }
        }

        func run() async throws {
            var opts = MockOktaOptions()
            opts.seed = seed ?? ServerOptions.env("SEED").flatMap(UInt64.init)
            opts.dbPath = db ?? ServerOptions.env("DB") ?? ":memory:"
            opts.rateLimitsEnabled = false
            let parts = route.split(separator: ":", maxSplits: 1).map(String.init)
            let token = jwt.trimmingCharacters(in: .whitespacesAndNewlines)
            let seedKnown = opts.seed != nil || opts.dbPath != ":memory:"
            var keys: TokenExplainer.IssuerKeys? = nil
            if !seedKnown && offline {
                // No tenant named and no fetching: the signature cannot be judged; never guess with a random tenant.
                let iss = DecodedJWT(token)?.claims["iss"]?.stringValue ?? ""
                keys = .init(
                    issuer: iss, jwksURI: "--offline and no --seed or --db of the tenant that issued it", keys: [])
            } else if !seedKnown, let iss = DecodedJWT(token)?.claims["iss"]?.stringValue {
                do {
                    keys = try await Self.fetchKeys(issuer: iss)
                } catch {
                    print(
                        "could not fetch the keys of \(iss): \(error) (give --seed or --db of the tenant, or --offline)"
                    )
                }
            }
            let result = try TokenExplainer.explain(
                token, method: parts[0].uppercased(), path: parts[1], options: opts, seedKnown: seedKnown,
                issuerKeys: keys)
            print(result.text)
            if !result.accepted { throw ExitCode(1) }
        }

        /// The issuer's discovery document, then its `jwks_uri`.
        static func fetchKeys(issuer: String) async throws -> TokenExplainer.IssuerKeys {
            let ca = ServerOptions.env("CA_FILE")
            let (s1, d) = try await HTTPGet.get(issuer + "/.well-known/openid-configuration", caFile: ca)
            guard s1 == 200, let doc = try? JSONParser.parse(bytes: d), let uri = doc["jwks_uri"]?.stringValue else {
                throw HTTPGet.Failure(
                    description: "no discovery document at \(issuer)/.well-known/openid-configuration (HTTP \(s1))")
            }
            let (s2, k) = try await HTTPGet.get(uri, caFile: ca)
            guard s2 == 200, let jwks = try? JSONParser.parse(bytes: k), let keys = jwks["keys"]?.arrayValue else {
                throw HTTPGet.Failure(description: "no JWKS at \(uri) (HTTP \(s2))")
            }
            return TokenExplainer.IssuerKeys(issuer: doc["issuer"]?.stringValue ?? issuer, jwksURI: uri, keys: keys)
        }
    }
}

struct Scenarios: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "The scenarios shipped with mock-okta (built in; usable by name with --scenario NAME from any directory).",
        subcommands: [List.self, Show.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per shipped scenario (or per file in --dir).")
        @Option(help: "List the scenario files of this directory instead.") var dir: String?

        func run() throws {
            var rows: [(String, String)] = []
            if let dir {
                guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
                    FileHandle.standardError.write(Data("mock-okta: cannot read the directory \(dir)\n".utf8))
                    throw ExitCode(2)
                }
                for f in files.filter({ $0.hasSuffix(".json") && $0 != "schema.json" }).sorted() {
                    rows.append((f, (try? String(contentsOfFile: dir + "/" + f, encoding: .utf8)) ?? ""))
                }
            } else {
                rows = ShippedScenarios.all.map { ($0.name, $0.text) }
            }
            let width = (rows.map(\.0.count).max() ?? 0) + 2
            for (name, text) in rows {
                let desc = (try? JSONParser.parse(text))?["description"]?.stringValue ?? "(no description)"
                print(name.padding(toLength: width, withPad: " ", startingAt: 0) + TokenExplainer.firstSentence(desc))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a shipped scenario, to copy and edit.")
        @Argument(help: "Its name, as `mock-okta scenarios` lists it.") var name: String

        func run() throws {
            guard let text = ShippedScenarios.text(named: name) else {
                let near = ShippedScenarios.suggestions(for: name)
                FileHandle.standardError.write(
                    Data(
                        "mock-okta: no shipped scenario \(name)\(near.isEmpty ? "" : " (did you mean \(near.joined(separator: ", "))?)")\n"
                            .utf8))
                throw ExitCode(2)
            }
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }
}
