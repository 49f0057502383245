import ArgumentParser
import FoundationEssentials
import Logging
import MockOktaCore
import MockOktaServer

#if canImport(Glibc)
import Glibc
#endif

@main
struct MockOktaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-okta",
        abstract:
            "A fake Okta org for integration tests and CI: real RS256 tokens, the Management API, injected faults, "
            + "verdicts.",
        version: Version.text,
        subcommands: [Serve.self, Run.self, Validate.self, TokenCommand.self, Scenarios.self, Replay.self],
        defaultSubcommand: Serve.self)

    /// Like ArgumentParser's main, but bad usage exits 2 (PRODUCT.md reserves 2 for it), not EX_USAGE (64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var c = command as? any AsyncParsableCommand { try await c.run() } else { try command.run() }
            finish(0)
        } catch let e as ExitCode {
            finish(e.rawValue)
        } catch {
            if exitCode(for: error) == .validationFailure {
                // One plain sentence (ArgumentParser's own adds a usage block); --help has the rest.
                var text = message(for: error).trimmingWhitespaceAndNewlines()
                if text.hasPrefix("Error: ") { text.removeFirst(7) }
                FileIO.write("mock-okta: \(text) (see mock-okta --help)\n", fd: 2)
                finish(2)
            }
            exit(withError: error)
        }
    }

    /// Ends the process without running C exit handlers: a background key derivation may still be inside
    /// OpenSSL, whose exit-time cleanup would then crash it (seen as exit 139 instead of `run`'s 3). Every
    /// file and the database are already written and closed by the time a command returns.
    static func finish(_ code: Int32) -> Never {
        fflush(nil)
        _exit(code)
    }
}
