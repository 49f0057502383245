import FoundationEssentials

extension Verdicts {
    /// The verdict table as GitHub-flavoured Markdown, for a CI job summary (`GITHUB_STEP_SUMMARY`): one row per
    /// expectation and per rule, the cited requests of a failure, and the overall result.
    public static func markdown(_ report: VerdictReport, suite: String, command: [String] = []) -> String {
        func cell(_ s: String) -> String {
            s.replacing("|", with: "\\|").replacing("\n", with: " ")
        }
        func mark(_ s: VerdictStatus, optional: Bool) -> String {
            switch s {
            case .passed: return "✅ pass"
            case .failed: return "❌ fail"
            case .notExercised: return optional ? "⚪ skipped (optional)" : "⚠️ not exercised"
            }
        }
        var out = "### mock-okta: \(report.passed ? "✅ PASSED" : "❌ FAILED") — `\(cell(suite))`\n\n"
        if !command.isEmpty { out += "Command: `\(cell(command.joined(separator: " ")))`\n\n" }
        if let summary = report.summary { out += "\(cell(summary))\n\n" }
        if report.noRequests { out += "**The client sent no request to the mock: nothing was tested.**\n\n" }
        if !report.results.isEmpty {
            out += "| result | expectation | why |\n|---|---|---|\n"
            for r in report.results {
                var why = cell(r.reason)
                if r.status == .failed {
                    let cited = r.requests.prefix(5).map { "`\(cell($0.line))`" }
                    if !cited.isEmpty { why += "<br>" + cited.joined(separator: "<br>") }
                    if r.requests.count > 5 { why += "<br>+\(r.requests.count - 5) more" }
                }
                out += "| \(mark(r.status, optional: r.optional)) | \(cell(r.label)) | \(why) |\n"
            }
            out += "\n"
        }
        if !report.rules.isEmpty {
            out += "| rule | fired | matched |\n|---|---|---|\n"
            for rule in report.rules {
                let fired = rule.fired > 0 ? "\(rule.fired)×" : (rule.optional ? "never (optional)" : "⚠️ never")
                out += "| `\(cell(rule.id))` | \(fired) | \(rule.matched) |\n"
            }
            out += "\n"
        }
        if report.results.isEmpty && report.rules.isEmpty { out += "The scenario has no expectations.\n\n" }
        return out
    }
}
