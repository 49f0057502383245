import FoundationEssentials
import MockOktaCore

/// What `run` says on stderr while the command runs: each rule as it fires, each timeline action as it runs,
/// and every 5 s the requests held by hangs ("2 requests held by rule hang-users for 10 s").
struct RunProgress {
    let engine: MockOkta
    var interval: Duration = .milliseconds(250)

    func run() async {
        var fired: [String: Int] = [:]
        var actions = 0
        var lastHeld = engine.realClock.now()
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            let sc = engine.scenarioJSON
            var lines: [String] = []
            // One copy of the journal per tick, taken only when something needs it.
            var journal: [JournalEntry]? = nil
            func entries() -> [JournalEntry] {
                if journal == nil { journal = engine.journal.all(sinceEpoch: true) }
                return journal!
            }
            for r in sc["rules"]?.arrayValue ?? [] {
                guard let id = r["id"]?.stringValue, let n = r["fired"]?.intValue, n > fired[id] ?? 0 else { continue }
                fired[id] = n
                let last = entries().last { $0.rule == id }
                let what =
                    last.map { e in
                        let held = e.fault == "hang" && e.finishedAt == nil
                        return " on \(e.method) \(e.path)" + (held ? ", held" : e.status.map { " → \($0)" } ?? "")
                    } ?? ""
                lines.append("rule \(id) fired (\(r["fault"]?.stringValue ?? "fault"))\(what), \(n)× so far")
            }
            let run = sc["actionsRun"]?.arrayValue ?? []
            for a in run.dropFirst(actions) {
                lines.append(
                    "timeline: \(a["action"]?.stringValue ?? "action") "
                        + "ran\(a["result"]?["ok"]?.boolValue == false ? " (failed)" : "")"
                )
            }
            actions = run.count
            let now = engine.realClock.now()
            if now - lastHeld >= 5 {
                lastHeld = now
                let held = entries().filter { $0.fault == "hang" && $0.finishedAt == nil && $0.disconnectedAt == nil }
                for (rule, group) in Dictionary(grouping: held, by: { $0.rule ?? "?" }).sorted(by: { $0.key < $1.key })
                {
                    let oldest = group.map(\.receivedAt).min() ?? now
                    lines.append(
                        "\(group.count) request\(group.count == 1 ? "" : "s") held by rule \(rule) for "
                            + "\(Int(now - oldest)) s"
                    )
                }
            }
            if !lines.isEmpty { FileIO.write(lines.map { "mock-okta: \($0)\n" }.joined(), fd: 2) }
        }
    }
}
