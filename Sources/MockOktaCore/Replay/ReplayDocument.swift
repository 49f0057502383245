import FoundationEssentials

/// The scenario document of a replay: rules, the expectations that would have caught the incident, and a
/// description of what was recorded, replayed and skipped.
struct ReplayDocument {
    let recording: Recording
    let rules: ReplayRules
    let fileName: String
    let name: String

    func json() -> JSON {
        let ruleJSON = rules.rules.enumerated().map { ruleDocument($0.offset, $0.element) }
        var expect = expectations()
        var dropped = 0
        if expect.count > ReplayLimits.maxExpectations {
            dropped = expect.count - ReplayLimits.maxExpectations
            expect = Array(expect.prefix(ReplayLimits.maxExpectations))
        }
        var doc: [(String, JSON)] = [
            ("version", 1), ("name", .string(name)),
            ("description", .string(description(droppedExpectations: dropped))),
        ]
        if !ruleJSON.isEmpty { doc.append(("rules", .array(ruleJSON))) }
        if !expect.isEmpty { doc.append(("expect", .array(expect))) }
        return .object(doc)
    }

    func ruleDocument(_ i: Int, _ r: ReplayRules.Rule) -> JSON {
        var match: [(String, JSON)] = []
        if let m = r.key.method { match.append(("method", .string(m))) }
        match.append(("path", .string(r.key.path)))
        let first = rules.rules.firstIndex { $0.key == r.key } == i
        var out: [(String, JSON)] = [
            ("id", .string(ReplayRules.id(i, r))),
            (
                "description",
                .string("Recorded: \(r.key.method ?? "a request to") \(r.example) got \(r.fault.summary).")
            ),
            ("match", .object(match)), ("when", ["nth": .array(r.nth.map { JSON($0) })]), ("fault", r.fault.json),
        ]
        // Later rules on a route fire only if the client makes as many requests there as the recorded one did.
        if !first { out.append(("optional", true)) }
        return .object(out)
    }

    // MARK: expectations

    func expectations() -> [JSON] {
        var out: [JSON] = []
        var keys: [ReplayRules.Key] = []
        for r in rules.rules where !keys.contains(r.key) { keys.append(r.key) }
        for k in keys {
            let on = rules.rules.filter { $0.key == k }
            let cats = Set(on.map(\.fault.category))
            var scope: [(String, JSON)] = [("path", .string(k.path))]
            if let m = k.method { scope.append(("method", .string(m))) }
            func add(_ type: String, _ extra: [(String, JSON)] = []) {
                out.append(.object([("type", .string(type))] + scope + extra))
            }
            if cats.contains(.rateLimit) { add("respectsRateLimitReset") }
            let statuses = Set(on.filter(\.fault.noRetry).compactMap(\.fault.status)).sorted()
            if !statuses.isEmpty { add("noRetryOn", [("statuses", .array(statuses.map { JSON($0) }))]) }
            if !cats.isDisjoint(with: [.rateLimit, .serverError, .hang, .connection, .brokenBody]) {
                add("maxAttempts", [("max", JSON(ReplayLimits.maxAttempts))])
            }
            if !cats.isDisjoint(with: [.serverError, .connection, .brokenBody]) {
                add("backsOff", backsOffProvable(k, on) ? [] : [("optional", true)])
            }
        }
        for (i, r) in rules.rules.enumerated() where r.fault.category == .hang {
            out.append([
                "type": "abandonsHangWithin", "rule": .string(ReplayRules.id(i, r)),
                "maxSeconds": JSON(ReplayLimits.hangTimeoutSeconds),
            ])
        }
        let tokenFaults = ["expiredToken", "shortLivedToken"]
        if rules.rules.contains(where: { tokenFaults.contains($0.fault.json["type"]?.stringValue ?? "") }) {
            out.append(["type": "refreshesExpiredToken", "optional": true])
        }
        return out
    }

    /// Backoff is judged on three attempts in a row: the recording shows them when two failures on the route are
    /// consecutive and another request followed.
    func backsOffProvable(_ k: ReplayRules.Key, _ on: [ReplayRules.Rule]) -> Bool {
        let failing: Set<ReplayCategory> = [.serverError, .connection, .brokenBody, .hang, .rateLimit]
        let ordinals = Set(on.filter { failing.contains($0.fault.category) }.flatMap(\.nth))
        let total = rules.totals[k] ?? 0
        return ordinals.contains { ordinals.contains($0 + 1) && total >= $0 + 2 }
    }

    // MARK: description

    /// One clause per kind of trouble replayed: the expectation it gets, or why it gets none.
    func expectationNotes() -> [String] {
        let cats = Set(rules.rules.map(\.fault.category))
        var out: [String] = []
        if cats.contains(.rateLimit) { out.append("respectsRateLimitReset after 429s") }
        if rules.rules.contains(where: \.fault.noRetry) {
            out.append("noRetryOn for 401/403 and OAuth errors that a retry cannot mend")
        }
        if cats.contains(.oauthGrant) {
            out.append("none for invalid_grant (a correct client asks for a new grant with the same client)")
        }
        if !cats.isDisjoint(with: [.rateLimit, .serverError, .hang, .connection, .brokenBody]) {
            out.append("maxAttempts \(ReplayLimits.maxAttempts) where requests failed")
        }
        if !cats.isDisjoint(with: [.serverError, .connection, .brokenBody]) {
            out.append(
                "backsOff after 5xx and cut connections (optional unless the recording shows two retries in a row)")
        }
        if cats.contains(.hang) { out.append("abandonsHangWithin \(ReplayLimits.hangTimeoutSeconds) s for each hang") }
        if cats.contains(.delay) { out.append("none for delays, which reproduce timing only") }
        if cats.contains(.token) { out.append("refreshesExpiredToken (optional) after token faults") }
        return out
    }

    func description(droppedExpectations: Int) -> String {
        let r = recording
        let by = r.producer.map { " written by \($0)" } ?? ""
        let unit = r.format == "HAR" ? (r.total == 1 ? "entry" : "entries") : (r.total == 1 ? "event" : "events")
        let seen = "\(r.total) \(unit), \(Judges.plural(r.requests.count, "request")) to Okta"
        var parts: [String] = []
        if rules.counts.isEmpty {
            parts.append("Replay of \(fileName) (\(r.format)\(by), \(seen)): no fault to replay.")
        } else {
            let faults = rules.counts.items.map { "\($0.1) × \($0.0)" }.joined(separator: ", ")
            let n = rules.rules.count
            parts.append(
                "Replay of \(fileName) (\(r.format)\(by), \(seen)): \(faults), in \(n) rule\(n == 1 ? "" : "s").")
        }
        var skipped = (r.skipped.items + rules.skipped.items).map { "\($0.0): \($0.1)" }
        if !r.otherStatuses.isEmpty {
            let list = r.otherStatuses.items.map { "\($0.0) × \($0.1)" }.joined(separator: ", ")
            skipped.append("answers whose status depends on the data, not on Okta's health: \(list)")
        }
        if droppedExpectations > 0 {
            skipped.append("expectations beyond a scenario's \(ReplayLimits.maxExpectations): \(droppedExpectations)")
        }
        parts.append(skipped.isEmpty ? "Nothing was skipped." : "Skipped: " + skipped.joined(separator: "; ") + ".")
        parts += r.notes
        let why = expectationNotes()
        if !why.isEmpty { parts.append("Expectations: " + why.joined(separator: "; ") + ".") }
        return parts.joined(separator: " ")
    }
}
