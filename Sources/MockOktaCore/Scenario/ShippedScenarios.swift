/// The scenarios in `scenarios/`, built into the binary so `--scenario NAME` works from any directory.
public enum ShippedScenarios {
    /// Every shipped scenario: name (the file name without `.json`) and its text.
    public static var all: [(name: String, text: String)] { embeddedScenarios }

    /// The text of a shipped scenario by name (`429-rate-limit-with-reset`; a trailing `.json` is ignored).
    public static func text(named name: String) -> String? {
        let n = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        return embeddedScenarios.first { $0.name == n }?.text
    }

    /// The names closest to a misspelt one, for "did you mean".
    public static func suggestions(for name: String) -> [String] {
        let n = name.lowercased()
        let parts = n.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init).filter { $0.count > 2 }
        return embeddedScenarios.map(\.name).filter { cand in cand.contains(n) || parts.contains { cand.contains($0) } }
            .prefix(3).map { $0 }
    }
}
