import ArgumentParser
import FoundationEssentials
import MockOktaCore
import MockOktaServer

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
                    "\(f): ok (\(s.rules.count) rules, \(s.timeline.count) timeline actions, \(s.expect.count) "
                        + "expectations)"
                )
            } catch {
                bad = true
                for i in error.issues { print("\(f):\(i.line):\(i.column): \(i.path): \(i.message)") }
            }
        }
        if bad { throw ExitCode(2) }
    }
}
