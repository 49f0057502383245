import FoundationEssentials

/// `mock-okta replay`: turns what a client saw (a HAR file, or a System Log export) into a scenario that injects the
/// same faults at the same ordinals, with the expectations that would have caught the incident. Deterministic: the
/// same bytes in give the same bytes out (no clock, no randomness, ordered JSON).
public enum IncidentReplay {
    public enum Source: Sendable {
        case har
        case syslog
    }

    /// Reads `path` within `ReplayLimits.maxFileBytes`.
    public static func readFile(_ path: String) throws(ReplayError) -> [UInt8] {
        switch FileIO.read(path, limit: ReplayLimits.maxFileBytes) {
        case .missing: throw ReplayError("cannot read \(path): no such file")
        case .directory: throw ReplayError("cannot read \(path): it is a directory")
        case .unreadable: throw ReplayError("cannot read \(path)")
        case .tooLarge: throw tooLarge(path)
        case .bytes(let bytes): return bytes
        }
    }

    static func tooLarge(_ what: String) -> ReplayError {
        ReplayError("\(what) is larger than \(ReplayLimits.maxFileBytes >> 20) MiB, the most replay reads")
    }

    public static func replay(file path: String, source: Source, name: String? = nil) throws(ReplayError)
        -> ReplayOutput
    {
        let bytes = try readFile(path)
        return try replay(
            bytes: bytes, source: source, fileName: path.split(separator: "/").last.map(String.init) ?? path, name: name
        )
    }

    public static func replay(bytes input: [UInt8], source: Source, fileName: String, name: String? = nil)
        throws(ReplayError) -> ReplayOutput
    {
        guard input.count <= ReplayLimits.maxFileBytes else { throw tooLarge(fileName) }
        let bytes = input.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(input.dropFirst(3)) : input
        let scenarioName = try self.name(name, fileName: fileName)
        let recording: Recording
        switch source {
        case .har:
            let doc: JSON
            do { doc = try JSONParser.parse(bytes: bytes) } catch {
                throw ReplayError("\(fileName) is not valid JSON (\(error))")
            }
            recording = try HARReader.read(doc)
        case .syslog:
            recording = try SyslogReader.read(bytes)
        }
        let rules = ReplayRules(recording)
        let doc = ReplayDocument(recording: recording, rules: rules, fileName: fileName, name: scenarioName).json()
        do { _ = try ScenarioLoader.load(json: doc) } catch {
            let first = error.issues.first.map { "\($0.path): \($0.message)" } ?? "no detail"
            throw ReplayError(
                "internal error: the scenario replay built from \(fileName) does not validate (\(first))",
                isInternal: true)
        }
        var warnings: [String] = []
        if rules.rules.isEmpty {
            warnings.append(
                "nothing to replay: \(fileName) shows no 429, 401/403, 5xx, slow or unanswered request to Okta")
        }
        for (reason, n) in rules.skipped.items { warnings.append("not replayed: \(reason) (\(n))") }
        return ReplayOutput(
            scenario: doc, text: doc.serialized(pretty: true) + "\n", ruleCount: rules.rules.count,
            expectationCount: doc["expect"]?.arrayValue?.count ?? 0, warnings: warnings)
    }

    /// `--name`, or the file name in kebab case without its extensions (`incident.har` → `incident`).
    static func name(_ given: String?, fileName: String) throws(ReplayError) -> String {
        if let given {
            let n = given.trimmingWhitespaceAndNewlines()
            guard !n.isEmpty, n.count <= ReplayLimits.maxNameLength else {
                throw ReplayError("--name must have 1 to \(ReplayLimits.maxNameLength) characters")
            }
            return n
        }
        var base = fileName.lowercased()
        let extensions = [".har", ".json", ".ndjson", ".jsonl", ".log", ".txt"]
        while let ext = extensions.first(where: { base.hasSuffix($0) && base.count > $0.count }) {
            base.removeLast(ext.count)
        }
        var slug = ""
        for ch in base.unicodeScalars {
            if (ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9") {
                slug.unicodeScalars.append(ch)
            } else if !slug.isEmpty && !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        let cut = String(slug.prefix(ReplayLimits.maxNameLength))
        return cut.isEmpty ? "replay" : cut
    }
}
