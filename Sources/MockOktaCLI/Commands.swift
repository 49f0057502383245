import ArgumentParser
import Foundation
import MockOktaCore
import MockOktaServer

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start on a free port, run CMD against it, then judge the client.",
        discussion: "Exit status: CMD's own status if it failed; else 3 if an expectation failed; else 0. 2 = bad usage or invalid scenario.")
    @OptionGroup var server: ServerOptions
    @Option(help: "Write the verdicts as JSON.") var report: String?
    @Option(help: "Write the verdicts as JUnit XML (one testcase per expectation).") var junit: String?
    @Argument(parsing: .postTerminator, help: "The command to run, after --.") var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command to run after --, e.g. mock-okta run --scenario s.json -- pytest") }
    }

    func run() async throws {
        let c = try server.configuration(defaultPort: 0)
        let logger = server.logger(c)
        let outcome: RunHarness.Outcome
        do {
            outcome = try await RunHarness.run(config: c, command: command, reportPath: report, junitPath: junit, logger: logger)
        } catch let e as ExitCode {
            throw e
        } catch {
            throw startFailure(error, c)
        }
        throw ExitCode(outcome.exitCode)
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check scenario files; every error with its JSON path and line.")
    @Argument(help: "Scenario files.") var files: [String]

    func run() throws {
        var bad = false
        for f in files {
            guard let text = try? String(contentsOfFile: f, encoding: .utf8) else {
                print("\(f): cannot read the file")
                bad = true
                continue
            }
            do {
                let s = try ScenarioLoader.load(text: text, file: f)
                print("\(f): ok (\(s.rules.count) rules, \(s.timeline.count) timeline actions, \(s.expect.count) expectations)")
            } catch {
                bad = true
                for i in error.issues { print("\(f):\(i.line):\(i.column): \(i.path): \(i.message)") }
            }
        }
        if bad { throw ExitCode(2) }
    }
}

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Show a token's claims; explain why Okta would answer 401/403.",
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

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge a token as Okta would for a route (default GET:/api/v1/users).",
            discussion: "Keys come from the tenant given by --seed or --db (or MOCK_OKTA_SEED / MOCK_OKTA_DB). Exit 0 = accepted, 1 = refused, 2 = bad usage.")
        @Argument(help: "The JWT.") var jwt: String
        @Option(name: .customLong("for"), help: "METHOD:PATH, e.g. GET:/api/v1/users") var route: String = "GET:/api/v1/users"
        @Option(help: "Seed of the tenant that issued the token.") var seed: UInt64?
        @Option(help: "SQLite file of the tenant that issued the token.") var db: String?

        func validate() throws {
            let parts = route.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix("/") else { throw ValidationError("--for takes METHOD:PATH, e.g. GET:/api/v1/users") }
        }

        func run() throws {
            var opts = MockOktaOptions()
            opts.seed = seed ?? ServerOptions.env("SEED").flatMap(UInt64.init)
            opts.dbPath = db ?? ServerOptions.env("DB") ?? ":memory:"
            opts.rateLimitsEnabled = false
            let parts = route.split(separator: ":", maxSplits: 1).map(String.init)
            let result = try TokenExplainer.explain(jwt.trimmingCharacters(in: .whitespacesAndNewlines), method: parts[0].uppercased(),
                                                    path: parts[1], options: opts, seedKnown: opts.seed != nil || opts.dbPath != ":memory:")
            print(result.text)
            if !result.accepted { throw ExitCode(1) }
        }
    }
}

struct Scenarios: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the scenarios shipped in scenarios/ with one line each.")
    @Option(help: "Directory to list (default: ./scenarios, then the installed copy).") var dir: String?

    func run() throws {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [dir, ServerOptions.env("SCENARIOS_DIR"), "scenarios", exe.appendingPathComponent("../share/mock-okta/scenarios").path,
                          exe.appendingPathComponent("../../scenarios").path, exe.appendingPathComponent("../../../scenarios").path,
                          "/usr/share/mock-okta/scenarios", "/usr/local/share/mock-okta/scenarios"].compactMap { $0 }
        guard let d = candidates.first(where: { p in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: p, isDirectory: &isDir) && isDir.boolValue
        }) else {
            print("no scenarios directory found (tried \(candidates.joined(separator: ", ")))")
            throw ExitCode(2)
        }
        let files = (try FileManager.default.contentsOfDirectory(atPath: d)).filter { $0.hasSuffix(".json") && $0 != "schema.json" }.sorted()
        let width = (files.map(\.count).max() ?? 0) + 2
        for f in files {
            let text = (try? String(contentsOfFile: d + "/" + f, encoding: .utf8)) ?? ""
            let desc = (try? JSONParser.parse(text))?["description"]?.stringValue ?? "(unreadable)"
            print(f.padding(toLength: width, withPad: " ", startingAt: 0) + TokenExplainer.firstSentence(desc))
        }
    }
}
