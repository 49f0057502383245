import ArgumentParser
import FoundationEssentials
import MockOktaCore

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a scenario that reproduces what a client saw: a HAR file or a System Log export.",
        discussion:
            "The scenario injects the recorded 429s, 401/403s, 5xx, delays and hangs at the same ordinals per method "
            + "and route, with the expectations that would have caught the incident. Exit status: 0 written; 2 bad "
            + "usage or a file replay cannot read (one sentence on stderr); 1 internal error."
    )
    @Option(name: .customLong("from-har"), help: "A HAR file (browser devtools, a proxy, or mock-okta run --har).")
    var fromHAR: String?
    @Option(
        name: .customLong("from-syslog"),
        help: "The JSON /api/v1/logs returned: an array of events, or one event per line.")
    var fromSyslog: String?
    @Option(name: [.short, .long], help: "Write the scenario here instead of stdout.") var output: String?
    @Option(help: "The scenario's name (default: the file name).") var name: String?

    func validate() throws {
        if (fromHAR == nil) == (fromSyslog == nil) {
            throw ValidationError("give exactly one of --from-har FILE and --from-syslog FILE")
        }
    }

    func run() throws {
        let out: ReplayOutput
        do {
            if let f = fromHAR {
                out = try IncidentReplay.replay(file: f, source: .har, name: name)
            } else {
                out = try IncidentReplay.replay(file: fromSyslog ?? "", source: .syslog, name: name)
            }
        } catch {
            FileIO.write("mock-okta: \(error.message)\n", fd: 2)
            throw ExitCode(error.isInternal ? 1 : 2)
        }
        for w in out.warnings { FileIO.write("mock-okta: \(w)\n", fd: 2) }
        guard let output else {
            print(out.text, terminator: "")
            return
        }
        do { try Data(out.text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
            FileIO.write("mock-okta: cannot write \(output)\n", fd: 2)
            throw ExitCode(2)
        }
        FileIO.write(
            "mock-okta: wrote \(output): \(plural(out.ruleCount, "rule")), "
                + "\(plural(out.expectationCount, "expectation")); run it "
                + "with mock-okta run --scenario \(output) -- CMD\n", fd: 2)
    }

    func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
}
