import ArgumentParser
import FoundationEssentials
import MockOktaCore
import MockOktaServer

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
                    FileIO.write("mock-okta: cannot read the directory \(dir)\n", fd: 2)
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
                print(name + String(repeating: " ", count: width - name.count) + TokenExplainer.firstSentence(desc))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a shipped scenario, to copy and edit.")
        @Argument(help: "Its name, as `mock-okta scenarios` lists it.") var name: String

        func run() throws {
            guard let text = ShippedScenarios.text(named: name) else {
                let near = ShippedScenarios.suggestions(for: name)
                let hint = near.isEmpty ? "" : " (did you mean \(near.joined(separator: ", "))?)"
                FileIO.write("mock-okta: no shipped scenario \(name)\(hint)\n", fd: 2)
                throw ExitCode(2)
            }
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }
}
