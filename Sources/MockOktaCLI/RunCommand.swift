import ArgumentParser
import FoundationEssentials
import MockOktaCore
import MockOktaServer

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start on a free port, run CMD against it, then judge the client.",
        discussion:
            "Exit status: CMD's own status if it failed; else 3 if an expectation failed; else 0. 2 = bad usage or "
            + "invalid scenario."
    )
    @OptionGroup var server: ServerOptions
    @Option(help: "Write the verdicts as JSON.") var report: String?
    @Option(help: "Write the verdicts as JUnit XML (one testcase per expectation and rule).") var junit: String?
    @Option(help: "Write the journal as HAR 1.2 (opens in browser devtools).") var har: String?
    @Flag(help: "No live progress on stderr while the command runs.") var quiet = false
    @Flag(help: "Keep the server up after the command, to look at the journal and verdicts, until Ctrl-C.")
    var keep = false
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
                outputs: .init(reportPath: report, junitPath: junit, harPath: har, quiet: quiet, keep: keep),
                logger: logger)
        } catch let e as ExitCode {
            throw e
        } catch {
            throw startFailure(error, c)
        }
        throw ExitCode(outcome.exitCode)
    }
}
