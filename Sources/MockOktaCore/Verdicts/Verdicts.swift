import FoundationEssentials

/// What a verdict found. "Not exercised" is never "passed": the client did nothing this expectation judges.
public enum VerdictStatus: String, Sendable {
    case passed, failed, notExercised
}

/// One request cited as evidence, readable without the journal.
public struct EvidenceRequest: Sendable {
    public var id: String
    public var method: String
    public var path: String
    public var status: Int?
    /// Milliseconds since the scenario was loaded (or the last reset).
    public var atMs: Int
    public var rule: String?
    public var fault: String?
    /// The earlier attempt this request retried, if it is a retry.
    public var retryOf: String?

    public var json: JSON {
        [
            "id": .string(id), "method": .string(method), "path": .string(path),
            "status": status.map { JSON($0) } ?? .null,
            "atMs": JSON(atMs), "rule": JSON(rule), "fault": JSON(fault), "retryOf": JSON(retryOf),
        ]
    }

    /// `GET /api/v1/users → 429 (rule r, rateLimit) at 1.20 s`
    public var line: String {
        var s = "\(method) \(path) → \(status.map(String.init) ?? "no answer")"
        if let rule { s += " (rule \(rule)\(fault.map { ", \($0)" } ?? ""))" }
        return s + " at \(Verdicts.secs(Double(atMs) / 1000))"
    }
}

public struct VerdictResult: Sendable {
    public var type: String
    public var label: String
    public var status: VerdictStatus
    public var optional: Bool = false
    public var reason: String
    public var evidence: [String]
    public var requests: [EvidenceRequest] = []

    public init(
        type: String, label: String, status: VerdictStatus, optional: Bool = false, reason: String, evidence: [String],
        requests: [EvidenceRequest] = []
    ) {
        self.type = type
        self.label = label
        self.status = status
        self.optional = optional
        self.reason = reason
        self.evidence = evidence
        self.requests = requests
    }

    public var passed: Bool { status == .passed }
    /// Whether this result fails the run: a failure, or not exercised and not optional.
    public var failsRun: Bool { status == .failed || (status == .notExercised && !optional) }

    public var json: JSON {
        [
            "type": .string(type), "name": .string(label), "passed": .bool(passed), "status": .string(status.rawValue),
            "optional": .bool(optional), "reason": .string(reason), "evidence": JSON(evidence),
            "requests": .array(requests.map(\.json)),
        ]
    }
}

/// How often a scenario rule fired: a rule that never fired tested nothing.
public struct RuleCoverage: Sendable {
    public var id: String
    public var fired: Int
    public var matched: Int
    public var optional: Bool
    public var status: VerdictStatus { fired > 0 ? .passed : .notExercised }
    public var failsRun: Bool { fired == 0 && !optional }
    public var json: JSON {
        [
            "id": .string(id), "fired": JSON(fired), "matched": JSON(matched), "status": .string(status.rawValue),
            "optional": .bool(optional),
        ]
    }
}

public struct VerdictReport: Sendable {
    public var results: [VerdictResult]
    public var rules: [RuleCoverage] = []
    /// Requests the client sent since the scenario was loaded (or reset).
    public var requestCount: Int = 1

    public init(results: [VerdictResult], rules: [RuleCoverage] = [], requestCount: Int = 1) {
        self.results = results
        self.rules = rules
        self.requestCount = requestCount
    }

    public var noRequests: Bool { requestCount == 0 }
    public var passed: Bool {
        !noRequests && !results.contains(where: \.failsRun) && !rules.contains(where: \.failsRun)
    }

    /// The one-line reason a run failed (nil when it passed).
    public var summary: String? {
        if noRequests { return "the client sent no request to the mock" }
        let failed = results.filter { $0.status == .failed }.count
        let unexercised = results.filter { $0.status == .notExercised && !$0.optional }.count
        let idle = rules.filter(\.failsRun).count
        var parts: [String] = []
        if failed > 0 { parts.append("\(failed) expectation\(failed == 1 ? "" : "s") failed") }
        if unexercised > 0 { parts.append("\(unexercised) not exercised") }
        if idle > 0 { parts.append("\(idle) rule\(idle == 1 ? "" : "s") never fired") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    public var json: JSON {
        [
            "passed": .bool(passed), "requestCount": JSON(requestCount), "summary": JSON(summary),
            "results": .array(results.map(\.json)), "rules": .array(rules.map(\.json)),
        ]
    }
}

/// Judges the client from the journal: did it wait, back off, stop, refresh, give up in time?
public enum Verdicts {
    static func secs(_ d: Double) -> String { Format.fixed(d, digits: 2) + " s" }

    /// What counts as a failed attempt that a client may retry.
    static func failed(_ e: JournalEntry) -> Bool {
        guard let s = e.status else { return true }
        return s == 429 || s >= 500 || s == 0
            || (e.fault.map { ["hang", "reset", "close", "malformedBody", "emptyBody"].contains($0) } ?? false)
    }

    static func key(_ e: JournalEntry) -> String { "\(e.method) \(e.route ?? e.path) \(e.auth.callerKey)" }

    static func unique(_ ids: [String]) -> [String] {
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }

    /// Chains of attempts: a request and the later requests with the same method, route and caller that followed a
    /// failure.
    static func chains(_ entries: [JournalEntry]) -> [[JournalEntry]] {
        var open: [String: Int] = [:]
        var out: [[JournalEntry]] = []
        for e in entries {
            let k = key(e)
            if let i = open[k], let last = out[i].last, failed(last) {
                out[i].append(e)
            } else {
                out.append([e])
                open[k] = out.count - 1
            }
        }
        return out
    }

    /// Judges every expectation and reports rule coverage. `loadedAt` is when judging started (scenario load or reset).
    public static func evaluate(
        _ expectations: [Expectation], journal all: [JournalEntry], rules: [RuleCoverage] = [],
        loadedAt: Double? = nil
    ) -> VerdictReport {
        // CORS preflights are the browser's, not attempts of the client: judged only when an expectation asks
        // for OPTIONS.
        let answered = all.filter { $0.status != nil || $0.finishedAt != nil || $0.fault != nil }
        let seen = answered.filter { $0.method != "OPTIONS" }
        let start = loadedAt ?? all.first?.receivedAt ?? 0
        var retryOf: [String: String] = [:]
        for chain in chains(seen) { for (a, b) in zip(chain, chain.dropFirst()) { retryOf[b.id] = a.id } }
        let byId = Dictionary(seen.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var results: [VerdictResult] = []
        for x in expectations {
            var entries = x.method == "OPTIONS" ? answered : seen
            if let p = x.path { entries = entries.filter { p.matches($0.path) } }
            if let m = x.method { entries = entries.filter { $0.method == m } }
            let label =
                x.type
                + (x.pathText.map { " \(x.method ?? "")\(x.method == nil ? "" : " ")\($0)" }
                    ?? (x.method.map { " \($0)" } ?? ""))
            let input = JudgeInput(entries: entries, all: seen, params: x.params)
            let j =
                ExpectationKind(rawValue: x.type).map { $0.judge(input) }
                ?? Judgement(.failed, "unknown expectation type \"\(x.type)\"")
            let ids = unique(j.evidence)
            let requests = ids.compactMap { byId[$0] }.map { e in
                EvidenceRequest(
                    id: e.id, method: e.method, path: e.path, status: e.status,
                    atMs: Int(((e.receivedAt - start) * 1000).rounded()),
                    rule: e.rule, fault: e.fault, retryOf: retryOf[e.id])
            }
            results.append(
                VerdictResult(
                    type: x.type, label: label, status: j.status, optional: x.params["optional"]?.boolValue ?? false,
                    reason: j.reason, evidence: ids, requests: requests))
        }
        return VerdictReport(results: results, rules: rules, requestCount: all.count)
    }

    static func xml(_ s: String) -> String {
        s.replacing("&", with: "&amp;").replacing("<", with: "&lt;")
            .replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
    }

    /// JUnit XML: one testcase per expectation and per rule; not exercised is a failure unless optional (then skipped).
    public static func junit(_ report: VerdictReport, suite: String) -> String {
        var cases: [String] = []
        var failures = 0
        var skipped = 0
        func add(_ name: String, _ status: VerdictStatus, optional: Bool, type: String, reason: String, detail: String)
        {
            var c = "    <testcase classname=\"mock-okta.\(xml(suite))\" name=\"\(xml(name))\">\n"
            switch status {
            case .passed:
                c += "      <system-out>\(xml(reason))</system-out>\n"
            case .failed, .notExercised:
                if status == .notExercised && optional {
                    skipped += 1
                    c += "      <skipped message=\"not exercised (optional): \(xml(reason))\"/>\n"
                } else {
                    failures += 1
                    let what = status == .failed ? reason : "not exercised: \(reason)"
                    c += "      <failure message=\"\(xml(what))\" type=\"\(xml(type))\">\(xml(detail))</failure>\n"
                }
            }
            cases.append(c + "    </testcase>\n")
        }
        if report.noRequests {
            add(
                "client sent requests", .failed, optional: false, type: "noRequests",
                reason: "the client sent no request to the mock", detail: "")
        }
        for r in report.results {
            add(
                r.label, r.status, optional: r.optional, type: r.type, reason: r.reason,
                detail: r.requests.map { "\($0.line)  [\($0.id)]" }.joined(separator: "\n"))
        }
        for rule in report.rules {
            add(
                "rule \(rule.id) fired", rule.status, optional: rule.optional, type: "ruleCoverage",
                reason: rule.fired > 0
                    ? "fired \(rule.fired) time\(rule.fired == 1 ? "" : "s")"
                    : "never fired (matched \(rule.matched) request\(rule.matched == 1 ? "" : "s"))",
                detail: "")
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out +=
            "<testsuites name=\"mock-okta\" tests=\"\(cases.count)\" failures=\"\(failures)\" skipped=\"\(skipped)\">\n"
        out +=
            "  <testsuite name=\"\(xml(suite))\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\" "
            + "skipped=\"\(skipped)\">\n"
        out += cases.joined()
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }
}

extension MockOkta {
    /// Judges the journal since the scenario was loaded or the last reset.
    public func verify() -> VerdictReport {
        let (rules, loadedAt) = runtime.withLock { rt -> ([RuleCoverage], Double) in
            let rules = (rt.scenario?.rules ?? []).enumerated().map { (i, r) in
                RuleCoverage(id: r.id, fired: rt.fireCounts[i], matched: rt.matchCounts[i], optional: r.optional)
            }
            return (rules, rt.loadedAt)
        }
        return Verdicts.evaluate(expectations, journal: journal.all(sinceEpoch: true), rules: rules, loadedAt: loadedAt)
    }
}
