import Foundation

/// The rules of a replay: each faulted request matched by method and route template at its ordinal, consecutive
/// identical faults on a route merged into one rule's `nth` list.
struct ReplayRules {
    struct Key: Hashable {
        var method: String?
        var path: String
    }

    struct Rule {
        var key: Key
        var fault: ReplayFault
        var nth: [Int]
        /// A concrete path of the recording, for the description.
        var example: String
    }

    private(set) var rules: [Rule] = []
    /// Faults left out (unwritable path, beyond the rule limit).
    private(set) var skipped = Tally()
    /// Replayed faults by label, in first-seen order.
    private(set) var counts = Tally()
    /// Recorded requests each key matches (its last ordinal).
    private(set) var totals: [Key: Int] = [:]

    init(_ rec: Recording) {
        let keys = rec.requests.map { r -> Key? in
            guard r.fault != nil else { return nil }
            return ReplayRules.key(r.method, r.path)
        }
        for (r, k) in zip(rec.requests, keys) where r.fault != nil && k == nil {
            skipped.add("faults on paths a scenario cannot name (they contain { or } or end in /*)")
        }
        let ordinals = ordinalsOf(keys, rec.requests)
        var last: [Key: Int] = [:]
        for (i, r) in rec.requests.enumerated() {
            guard let f = r.fault, let k = keys[i] else { continue }
            if let j = last[k], rules[j].fault.json == f.json, rules[j].nth.count < ReplayLimits.maxOrdinalsPerRule {
                rules[j].nth.append(ordinals[i])
            } else if rules.count < ReplayLimits.maxRules {
                rules.append(Rule(key: k, fault: f, nth: [ordinals[i]], example: r.path))
                last[k] = rules.count - 1
            } else {
                skipped.add("faults beyond a scenario's \(ReplayLimits.maxRules) rules")
                continue
            }
            counts.add(f.label)
        }
    }

    /// For each faulted request, its 1-based ordinal among the recorded requests its rule's `match` would count,
    /// counted as the running scenario counts them (PathPattern, OPTIONS left to rules that name it).
    private mutating func ordinalsOf(_ keys: [Key?], _ requests: [RecordedRequest]) -> [Int] {
        var ordinals = [Int](repeating: 0, count: requests.count)
        var done = Set<Key>()
        for k in keys.compactMap({ $0 }) where !done.contains(k) {
            done.insert(k)
            let pattern = PathPattern(k.path)
            var matchCache: [String: Bool] = [:]
            var n = 0
            for (i, r) in requests.enumerated() {
                if let m = k.method {
                    guard r.method == m else { continue }
                } else if r.method == "OPTIONS" {
                    continue
                }
                let hit = matchCache[r.path] ?? pattern.matches(r.path)
                matchCache[r.path] = hit
                guard hit else { continue }
                n += 1
                if keys[i] == k { ordinals[i] = n }
            }
            totals[k] = n
        }
        return ordinals
    }

    /// Method and route template (the engine's route table), else the exact path; nil when no pattern can say it.
    static func key(_ method: String?, _ path: String) -> Key? {
        if let m = method, let t = Router.match(method: m, path: path)?.route.template {
            return Key(method: m, path: t)
        }
        if let t = Router.template(for: path) { return Key(method: method, path: t) }
        guard path.hasPrefix("/"), !path.contains("{"), !path.contains("}"), !path.hasSuffix("/*") else { return nil }
        return Key(method: method, path: path)
    }

    /// `r3-get-api-v1-users-id-429`: unique by its index, readable by the rest.
    static func id(_ index: Int, _ rule: Rule) -> String {
        let words = [rule.key.method?.lowercased() ?? "any", rule.key.path, rule.fault.label]
        var slug = ""
        for ch in words.joined(separator: "-").lowercased().unicodeScalars {
            let ok = (ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9")
            if ok {
                slug.unicodeScalars.append(ch)
            } else if !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return "r\(index + 1)-" + String(slug.prefix(60))
    }
}
