import Foundation

public struct VerdictResult: Sendable {
    public var type: String
    public var label: String
    public var passed: Bool
    public var reason: String
    public var evidence: [String]
    public var json: JSON {
        ["type": .string(type), "name": .string(label), "passed": .bool(passed), "reason": .string(reason), "evidence": JSON(evidence)]
    }
}

public struct VerdictReport: Sendable {
    public var passed: Bool
    public var results: [VerdictResult]
    public var json: JSON { ["passed": .bool(passed), "results": .array(results.map(\.json))] }
}

/// Judges the client from the journal: did it wait, back off, stop, refresh, give up in time?
public enum Verdicts {
    static func failed(_ e: JournalEntry) -> Bool {
        guard let s = e.status else { return true }
        return s == 429 || s >= 500 || s == 0 || (e.fault.map { ["hang", "reset", "close", "malformedBody", "emptyBody"].contains($0) } ?? false)
    }

    static func key(_ e: JournalEntry) -> String { "\(e.method) \(e.route ?? e.path) \(e.auth.callerKey)" }

    static func unique(_ ids: [String]) -> [String] {
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }

    static func secs(_ d: Double) -> String { String(format: "%.2fs", d) }

    /// Chains of attempts: a request and the later requests with the same method, route and caller that followed a failure.
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

    public static func evaluate(_ expectations: [Expectation], journal all: [JournalEntry]) -> VerdictReport {
        var results: [VerdictResult] = []
        for x in expectations {
            var entries = all.filter { $0.status != nil || $0.finishedAt != nil || $0.fault != nil }
            if let p = x.path { entries = entries.filter { p.matches($0.path) } }
            if let m = x.method { entries = entries.filter { $0.method == m } }
            let label = x.type + (x.pathText.map { " \(x.method ?? "")\(x.method == nil ? "" : " ")\($0)" } ?? (x.method.map { " \($0)" } ?? ""))
            var r = VerdictResult(type: x.type, label: label, passed: true, reason: "", evidence: [])
            let p = x.params
            switch x.type {
            case "respectsRateLimitReset":
                let tol = Double(p["toleranceMs"]?.intValue ?? 1000) / 1000
                var bad: [String] = []
                var judged = 0
                for chain in chains(entries) {
                    for (a, b) in zip(chain, chain.dropFirst()) where a.status == 429 {
                        guard let reset = a.resetAt else { continue }
                        judged += 1
                        if b.receivedAt < reset - tol {
                            bad += [a.id, b.id]
                            if r.reason.isEmpty {
                                r.reason = "retry \(b.id) came \(secs(reset - b.receivedAt)) before the X-Rate-Limit-Reset of \(a.id) (tolerance \(Int(tol * 1000)) ms)"
                            }
                        }
                    }
                }
                r.passed = bad.isEmpty
                r.evidence = bad.isEmpty ? entries.filter { $0.status == 429 }.map(\.id) : unique(bad)
                if r.passed { r.reason = judged == 0 ? "no retry followed a 429 with a reset header" : "\(judged) retr\(judged == 1 ? "y" : "ies") after 429 waited for the reset" }
            case "backsOff":
                let factor = p["minFactor"]?.doubleValue ?? 1.5
                var judged = 0
                let judgedChains = chains(entries).filter { $0.count >= 3 }
                for chain in judgedChains {
                    let gaps = zip(chain, chain.dropFirst()).map { $1.receivedAt - $0.receivedAt }
                    for i in 1..<gaps.count {
                        let prev = chain[i]
                        // Waiting for a 429 reset is judged by respectsRateLimitReset, not here.
                        if prev.status == 429 && prev.resetAt != nil { continue }
                        judged += 1
                        // 5% relative slack for scheduling jitter; immediate retries (tiny equal gaps) still fail.
                        if gaps[i] < gaps[i - 1] * factor * 0.95 {
                            r.passed = false
                            r.evidence = [chain[i - 1].id, chain[i].id, chain[i + 1].id]
                            r.reason = "gap \(secs(gaps[i])) after \(chain[i].id) is not \(factor)× the previous gap \(secs(gaps[i - 1]))"
                            break
                        }
                    }
                    if !r.passed { break }
                }
                if r.passed {
                    r.evidence = judgedChains.flatMap { $0.map(\.id) }
                    r.reason = judged == 0 ? "no retry sequence long enough to judge backoff" : "every retry gap grew by at least \(factor)×"
                }
            case "maxAttempts":
                let max = p["max"]?.intValue ?? 1
                let longest = chains(entries).max { $0.count < $1.count } ?? []
                r.passed = longest.count <= max
                r.evidence = longest.map(\.id)
                r.reason = r.passed ? "at most \(longest.count) attempt\(longest.count == 1 ? "" : "s") for one request (max \(max))"
                                    : "\(longest.count) attempts for \(longest.first.map { "\($0.method) \($0.path)" } ?? "one request") (max \(max))"
            case "noRetryOn":
                let statuses = Set(p["statuses"]?.arrayValue?.compactMap(\.intValue) ?? [401, 403])
                var bad: [String] = []
                for (i, e) in entries.enumerated() where e.status.map(statuses.contains) ?? false {
                    if let again = entries[(i + 1)...].first(where: { key($0) == key(e) }) {
                        bad += [e.id, again.id]
                        if r.reason.isEmpty { r.reason = "\(again.id) repeated \(e.method) \(e.path) with the same credentials after \(e.id) got \(e.status!)" }
                    }
                }
                r.passed = bad.isEmpty
                r.evidence = unique(bad)
                if r.passed {
                    r.evidence = entries.filter { $0.status.map(statuses.contains) ?? false }.map(\.id)
                    let n = entries.filter { $0.status.map(statuses.contains) ?? false }.count
                    r.reason = n == 0 ? "no response had status \(statuses.sorted())" : "none of \(n) denied request(s) was repeated with the same credentials"
                }
            case "refreshesExpiredToken":
                let expired = all.filter { $0.status == 401 && $0.auth.kind == "Bearer" }
                if expired.isEmpty {
                    r.passed = false
                    r.reason = "no request was refused for an expired token, so refreshing could not be observed"
                    break
                }
                for e in expired {
                    let later = all.filter { $0.receivedAt > e.receivedAt }
                    guard let nextCall = later.first(where: { !$0.path.hasSuffix("/token") && $0.auth.clientId == e.auth.clientId && $0.auth.kind == "Bearer" }) else { continue }
                    if nextCall.auth.tokenId == e.auth.tokenId {
                        r.passed = false
                        r.evidence = [e.id, nextCall.id]
                        r.reason = "\(nextCall.id) reused the token refused in \(e.id) instead of fetching a new one"
                        break
                    }
                    let refreshes = later.filter { $0.path.hasSuffix("/token") && $0.receivedAt < nextCall.receivedAt }
                    if refreshes.isEmpty {
                        r.passed = false
                        r.evidence = [e.id, nextCall.id]
                        r.reason = "no token request between the 401 \(e.id) and \(nextCall.id)"
                        break
                    }
                    // At most one refresh in flight at a time.
                    for (a, b) in zip(refreshes, refreshes.dropFirst()) where b.receivedAt < (a.finishedAt ?? a.receivedAt) {
                        r.passed = false
                        r.evidence = [a.id, b.id]
                        r.reason = "two token requests in flight at once (\(a.id), \(b.id))"
                        break
                    }
                    if !r.passed { break }
                    r.evidence += [e.id] + refreshes.map(\.id) + [nextCall.id]
                }
                if r.passed { r.reason = "after each 401 the client fetched a new token before calling again" }
            case "abandonsHangWithin":
                let minS = p["minSeconds"]?.doubleValue ?? 0
                let maxS = p["maxSeconds"]?.doubleValue ?? 30
                let rule = p["rule"]?.stringValue
                let hangs = entries.filter { $0.fault == "hang" && (rule == nil || $0.rule == rule) }
                if hangs.isEmpty {
                    r.passed = false
                    r.reason = "no request was hung, so the client's timeout could not be observed"
                    break
                }
                for h in hangs {
                    guard let d = h.disconnectedAt else {
                        r.passed = false
                        r.evidence = [h.id]
                        r.reason = h.finishedAt == nil ? "client is still waiting on hung request \(h.id)" : "client waited out the whole hang on \(h.id) (it has no timeout below the hang)"
                        break
                    }
                    let waited = d - h.receivedAt
                    if waited > maxS || waited < minS {
                        r.passed = false
                        r.evidence = [h.id]
                        r.reason = "client left hung request \(h.id) after \(secs(waited)); expected between \(secs(minS)) and \(secs(maxS))"
                        break
                    }
                    r.evidence.append(h.id)
                }
                if r.passed { r.reason = "client abandoned \(hangs.count) hung request(s) within \(secs(maxS))" }
            case "requestCount":
                let n = entries.count
                r.evidence = entries.map(\.id)
                if let e = p["exactly"]?.intValue, n != e { r.passed = false; r.reason = "\(n) requests, expected exactly \(e)" }
                if let m = p["min"]?.intValue, n < m { r.passed = false; r.reason = "\(n) requests, expected at least \(m)" }
                if let m = p["max"]?.intValue, n > m { r.passed = false; r.reason = "\(n) requests, expected at most \(m)" }
                if r.passed { r.reason = "\(n) matching requests" }
            case "sendsRetryHeaders":
                var judged = 0
                let retried = chains(entries).filter { $0.count > 1 }
                for chain in retried {
                    for (i, e) in chain.enumerated().dropFirst() {
                        judged += 1
                        let earlier = Set(chain[..<i].map(\.id))
                        let rf = e.retryFor?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
                        if rf.isEmpty || !rf.contains(where: earlier.contains) || e.retryCount == nil {
                            r.passed = false
                            r.evidence = [chain[i - 1].id, e.id]
                            r.reason = "retry \(e.id) lacks X-Okta-Retry-For naming \(chain[i - 1].id) and X-Okta-Retry-Count"
                            break
                        }
                    }
                    if !r.passed { break }
                }
                if r.passed {
                    r.evidence = retried.flatMap { $0.dropFirst().map(\.id) }
                    r.reason = judged == 0 ? "no retries to judge" : "all \(judged) retries carried X-Okta-Retry-For and X-Okta-Retry-Count"
                }
            case "noRequestsAfter":
                let status = p["status"]?.intValue ?? 0
                if let i = entries.firstIndex(where: { $0.status == status }) {
                    let after = entries[(i + 1)...]
                    if !after.isEmpty {
                        r.passed = false
                        r.evidence = [entries[i].id] + after.prefix(10).map(\.id)
                        r.reason = "\(after.count) request(s) after \(entries[i].id) got \(status)"
                    } else {
                        r.reason = "client stopped after \(entries[i].id) got \(status)"
                        r.evidence = [entries[i].id]
                    }
                } else {
                    r.reason = "no response had status \(status)"
                }
            default:
                r.passed = false
                r.reason = "unknown expectation type"
            }
            results.append(r)
        }
        return VerdictReport(passed: results.allSatisfy(\.passed), results: results)
    }

    static func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// JUnit XML: one testcase per expectation.
    public static func junit(_ report: VerdictReport, suite: String) -> String {
        let failures = report.results.filter { !$0.passed }.count
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"mock-okta\" tests=\"\(report.results.count)\" failures=\"\(failures)\">\n"
        out += "  <testsuite name=\"\(xml(suite))\" tests=\"\(report.results.count)\" failures=\"\(failures)\" errors=\"0\">\n"
        for r in report.results {
            out += "    <testcase classname=\"mock-okta.\(xml(suite))\" name=\"\(xml(r.label))\">\n"
            if !r.passed {
                out += "      <failure message=\"\(xml(r.reason))\" type=\"\(xml(r.type))\">evidence: \(xml(r.evidence.joined(separator: ", ")))</failure>\n"
            } else {
                out += "      <system-out>\(xml(r.reason))</system-out>\n"
            }
            out += "    </testcase>\n"
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }
}

extension MockOkta {
    /// Judges the journal since the scenario was loaded or the last reset.
    public func verify() -> VerdictReport {
        Verdicts.evaluate(expectations, journal: journal.all(sinceEpoch: true))
    }
}
