import FoundationEssentials

/// What one expectation is judged on.
struct JudgeInput {
    /// Finished requests matching the expectation's `path` and `method`, in arrival order.
    var entries: [JournalEntry]
    /// Every finished request since judging started.
    var all: [JournalEntry]
    var params: JSON
}

/// The outcome of one judge, with the requests that prove it.
struct Judgement {
    var status: VerdictStatus
    var reason: String
    var evidence: [String]

    init(_ status: VerdictStatus, _ reason: String, _ evidence: [String] = []) {
        self.status = status
        self.reason = reason
        self.evidence = evidence
    }
}

/// The expectation kinds of the scenario format; every switch over them is exhaustive.
enum ExpectationKind: String, CaseIterable {
    case respectsRateLimitReset, backsOff, maxAttempts, noRetryOn, refreshesExpiredToken, abandonsHangWithin,
        requestCount,
        sendsRetryHeaders, noRequestsAfter

    func judge(_ x: JudgeInput) -> Judgement {
        switch self {
        case .respectsRateLimitReset: return Judges.respectsRateLimitReset(x)
        case .backsOff: return Judges.backsOff(x)
        case .maxAttempts: return Judges.maxAttempts(x)
        case .noRetryOn: return Judges.noRetryOn(x)
        case .refreshesExpiredToken: return Judges.refreshesExpiredToken(x)
        case .abandonsHangWithin: return Judges.abandonsHangWithin(x)
        case .requestCount: return Judges.requestCount(x)
        case .sendsRetryHeaders: return Judges.sendsRetryHeaders(x)
        case .noRequestsAfter: return Judges.noRequestsAfter(x)
        }
    }
}

enum Judges {
    static func secs(_ d: Double) -> String { Verdicts.secs(d) }
    static func what(_ e: JournalEntry) -> String { "\(e.method) \(e.path)" }
    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

    static func respectsRateLimitReset(_ x: JudgeInput) -> Judgement {
        let tol = Double(x.params["toleranceMs"]?.intValue ?? 1000) / 1000
        let limited = x.entries.filter { $0.status == 429 && $0.resetAt != nil }
        if limited.isEmpty {
            return Judgement(
                .notExercised, "no 429 with a reset header was served, so waiting for the reset could not be observed")
        }
        var judged = 0
        for chain in Verdicts.chains(x.entries) {
            for (a, b) in zip(chain, chain.dropFirst()) where a.status == 429 {
                guard var reset = a.resetAt else { continue }
                judged += 1
                // The headers are whole seconds: a 429 sent late in a second has its reset less than the announced
                // distance away. The retry must also wait the distance the headers announce (reset − Date).
                if let d = a.resetDistance { reset = max(reset, a.receivedAt + d) }
                if b.receivedAt < reset - tol {
                    let early =
                        "\(what(b)) was retried \(secs(b.receivedAt - a.receivedAt)) after a 429 whose reset was "
                        + "\(secs(reset - a.receivedAt)) away"
                    return Judgement(.failed, early + " (tolerance \(Int(tol * 1000)) ms)", [a.id, b.id])
                }
            }
        }
        if judged == 0 {
            return Judgement(
                .passed, "\(plural(limited.count, "429")) served; the client did not retry before the reset",
                limited.map(\.id))
        }
        return Judgement(
            .passed, "\(judged) \(judged == 1 ? "retry" : "retries") after a 429 waited for the reset",
            limited.map(\.id))
    }

    /// How long the client waited before retrying `a` as `b`: from when `a` ended (answered, or left by the client).
    static func wait(_ a: JournalEntry, _ b: JournalEntry) -> Double {
        let end = min(b.receivedAt, max(a.receivedAt, a.disconnectedAt ?? a.finishedAt ?? a.receivedAt))
        return max(0, b.receivedAt - end)
    }

    static func backsOff(_ x: JudgeInput) -> Judgement {
        let factor = x.params["minFactor"]?.doubleValue ?? 1.5
        let failures = x.entries.filter(Verdicts.failed)
        if failures.isEmpty {
            return Judgement(.notExercised, "no 5xx, 429 or broken answer was served, so backoff could not be observed")
        }
        // An immediate retry is no backoff, whatever the ratio of two near-zero gaps says under scheduling jitter.
        for chain in Verdicts.chains(x.entries) where chain.count >= 2 {
            for (a, b) in zip(chain, chain.dropFirst())
            where !(a.status == 429 && a.resetAt != nil) && wait(a, b) < 0.05 {
                return Judgement(
                    .failed,
                    "\(what(b)) was retried immediately (\(Int((wait(a, b) * 1000).rounded())) ms) after it got "
                        + "\(a.status.map(String.init) ?? "no answer")",
                    [a.id, b.id])
            }
        }
        var judged = 0
        let long = Verdicts.chains(x.entries).filter { $0.count >= 3 }
        for chain in long {
            // The client's wait: from the end of the failed attempt (a slow failure is not part of the backoff).
            let gaps = zip(chain, chain.dropFirst()).map { wait($0, $1) }
            for i in 1..<gaps.count {
                // Waiting for a 429 reset is judged by respectsRateLimitReset, not here.
                if chain[i].status == 429 && chain[i].resetAt != nil { continue }
                judged += 1
                // 5% relative slack for scheduling jitter; immediate retries (tiny equal gaps) still fail.
                if gaps[i] < gaps[i - 1] * factor * 0.95 {
                    return Judgement(
                        .failed,
                        "\(what(chain[i + 1])) was retried \(secs(gaps[i])) after attempt \(i + 1) ended, not "
                            + "\(factor)× the previous wait of \(secs(gaps[i - 1]))",
                        [chain[i - 1].id, chain[i].id, chain[i + 1].id])
                }
            }
        }
        if judged == 0 {
            // Backoff is growth between gaps: it needs three attempts in a row. Fewer proves nothing either way.
            return Judgement(
                .notExercised,
                "\(plural(failures.count, "failed answer")) served, but no request was retried twice in a row, so "
                    + "backoff could not be observed",
                failures.map(\.id))
        }
        return Judgement(
            .passed, "every retry gap grew by at least \(factor)× (\(judged) judged)", long.flatMap { $0.map(\.id) })
    }

    static func maxAttempts(_ x: JudgeInput) -> Judgement {
        let max = x.params["max"]?.intValue ?? 1
        if x.entries.isEmpty { return Judgement(.notExercised, "no matching request was sent") }
        // Attempts are only counted after a failure; if none was served, a retry limit could not be observed.
        guard x.entries.contains(where: Verdicts.failed) else {
            return Judgement(
                .notExercised,
                "no matching request failed (429, 5xx, fault or cut connection), so retries could not be counted",
                x.entries.prefix(5).map(\.id))
        }
        let longest = Verdicts.chains(x.entries).max { $0.count < $1.count } ?? []
        guard let first = longest.first else { return Judgement(.notExercised, "no matching request was sent") }
        if longest.count > max {
            return Judgement(
                .failed, "\(what(first)) was attempted \(longest.count) times in a row after failures (max \(max))",
                longest.map(\.id))
        }
        return Judgement(
            .passed, "at most \(plural(longest.count, "attempt")) for one request (max \(max))", longest.map(\.id))
    }

    static func noRetryOn(_ x: JudgeInput) -> Judgement {
        let statuses = Set(x.params["statuses"]?.arrayValue?.compactMap(\.intValue) ?? [401, 403])
        let denied = x.entries.enumerated().filter { $0.element.status.map(statuses.contains) ?? false }
        if denied.isEmpty {
            return Judgement(
                .notExercised, "no response had status \(statuses.sorted().map(String.init).joined(separator: " or "))")
        }
        for (i, e) in denied {
            if let again = x.entries[(i + 1)...].first(where: { Verdicts.key($0) == Verdicts.key(e) }) {
                return Judgement(
                    .failed,
                    "\(what(again)) was sent again with the same credentials "
                        + "\(secs(again.receivedAt - e.receivedAt)) after it got \(e.status!)",
                    [e.id, again.id])
            }
        }
        return Judgement(
            .passed, "none of \(plural(denied.count, "denied request")) was repeated with the same credentials",
            denied.map(\.element.id))
    }

    static func refreshesExpiredToken(_ x: JudgeInput) -> Judgement {
        let isCall = { (e: JournalEntry) in e.auth.kind == "Bearer" && !e.path.hasSuffix("/token") }
        let refused = x.all.filter { $0.status == 401 && isCall($0) }
        if refused.isEmpty {
            return Judgement(
                .notExercised, "no request was refused for an expired token, so refreshing could not be observed")
        }
        var evidence: [String] = []
        var recovered = 0
        for e in refused {
            let later = x.all.filter { $0.receivedAt > e.receivedAt }
            let calls = later.filter { isCall($0) && $0.auth.clientId == e.auth.clientId }
            guard let next = calls.first else {
                return Judgement(
                    .failed, "after \(what(e)) got 401 the client never called again, so it never recovered", [e.id])
            }
            if next.auth.tokenId == e.auth.tokenId {
                return Judgement(
                    .failed,
                    "\(what(next)) reused the token that \(what(e)) had just been refused with, "
                        + "\(secs(next.receivedAt - e.receivedAt)) later",
                    [e.id, next.id])
            }
            guard
                let accepted = calls.first(where: { $0.auth.tokenId != e.auth.tokenId && ($0.status ?? 0) / 100 == 2 })
            else {
                return Judgement(
                    .failed,
                    "after \(what(e)) got 401 no request with a new token was accepted (next: \(what(next)) → "
                        + "\(next.status.map(String.init) ?? "no answer"))",
                    [e.id, next.id])
            }
            let refreshes = later.filter { $0.path.hasSuffix("/token") && $0.receivedAt < accepted.receivedAt }
            for (a, b) in zip(refreshes, refreshes.dropFirst()) where b.receivedAt < (a.finishedAt ?? a.receivedAt) {
                return Judgement(
                    .failed, "two token requests were in flight at once after \(what(e)) got 401", [a.id, b.id])
            }
            recovered += 1
            evidence += [e.id] + refreshes.map(\.id) + [accepted.id]
        }
        return Judgement(
            .passed, "after \(plural(recovered, "401")) the client fetched a new token and it was accepted", evidence)
    }

    static func abandonsHangWithin(_ x: JudgeInput) -> Judgement {
        let minS = x.params["minSeconds"]?.doubleValue ?? 0
        let maxS = x.params["maxSeconds"]?.doubleValue ?? 30
        let rule = x.params["rule"]?.stringValue
        let hangs = x.entries.filter { $0.fault == "hang" && (rule == nil || $0.rule == rule) }
        if hangs.isEmpty {
            return Judgement(.notExercised, "no request was hung, so the client's timeout could not be observed")
        }
        for h in hangs {
            guard let d = h.disconnectedAt else {
                let why =
                    h.finishedAt == nil
                    ? "the client is still waiting on the hung \(what(h))"
                    : "the client waited out the whole hang on \(what(h)): its timeout is longer than the hang, or "
                        + "it has none"
                return Judgement(.failed, why, [h.id])
            }
            let waited = d - h.receivedAt
            if waited > maxS || waited < minS {
                return Judgement(
                    .failed,
                    "the client left the hung \(what(h)) after \(secs(waited)); expected between \(secs(minS)) and "
                        + "\(secs(maxS))",
                    [h.id])
            }
        }
        return Judgement(
            .passed, "the client abandoned \(plural(hangs.count, "hung request")) within \(secs(maxS))", hangs.map(\.id)
        )
    }

    static func requestCount(_ x: JudgeInput) -> Judgement {
        let n = x.entries.count
        let ids = x.entries.map(\.id)
        if let e = x.params["exactly"]?.intValue, n != e {
            return Judgement(.failed, "\(plural(n, "matching request")), expected exactly \(e)", ids)
        }
        if let m = x.params["min"]?.intValue, n < m {
            return Judgement(.failed, "\(plural(n, "matching request")), expected at least \(m)", ids)
        }
        if let m = x.params["max"]?.intValue, n > m {
            return Judgement(.failed, "\(plural(n, "matching request")), expected at most \(m)", ids)
        }
        // An upper bound alone is met by a client that never ran: that proves nothing.
        if n == 0 && x.params["min"] == nil && x.params["exactly"] == nil {
            return Judgement(.notExercised, "no matching request was sent")
        }
        return Judgement(.passed, plural(n, "matching request"), ids)
    }

    static func sendsRetryHeaders(_ x: JudgeInput) -> Judgement {
        let retried = Verdicts.chains(x.entries).filter { $0.count > 1 }
        if retried.isEmpty {
            return Judgement(
                .notExercised,
                x.entries.isEmpty ? "no matching request was sent" : "the client made no retries to judge")
        }
        var judged = 0
        for chain in retried {
            for (i, e) in chain.enumerated().dropFirst() {
                judged += 1
                let earlier = Set(chain[..<i].map(\.id))
                let rf = e.retryFor?.split(separator: ",").map { $0.trimmingWhitespace() } ?? []
                if rf.isEmpty || !rf.contains(where: earlier.contains) || e.retryCount == nil {
                    return Judgement(
                        .failed,
                        "the retry of \(what(e)) lacks X-Okta-Retry-For naming the request it retries and "
                            + "X-Okta-Retry-Count",
                        [chain[i - 1].id, e.id])
                }
            }
        }
        return Judgement(
            .passed, "all \(judged) retries carried X-Okta-Retry-For and X-Okta-Retry-Count",
            retried.flatMap { $0.dropFirst().map(\.id) })
    }

    static func noRequestsAfter(_ x: JudgeInput) -> Judgement {
        let status = x.params["status"]?.intValue ?? 0
        guard let i = x.entries.firstIndex(where: { $0.status == status }) else {
            return Judgement(
                .notExercised, "no response had status \(status), so stopping after it could not be observed")
        }
        let stop = x.entries[i]
        let after = x.entries[(i + 1)...]
        if let next = after.first {
            return Judgement(
                .failed,
                "\(plural(after.count, "request")) followed the \(status) to \(what(stop)), the first \(what(next)) "
                    + "\(secs(next.receivedAt - stop.receivedAt)) later",
                [stop.id] + after.map(\.id))
        }
        return Judgement(.passed, "the client stopped after \(what(stop)) got \(status)", [stop.id])
    }
}
