import FoundationEssentials

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
        let requests = rec.requests
        var index = PathIndex()
        for (i, r) in requests.enumerated() { index.add(r.path, i) }
        var ordinals: [Key: [Int: Int]] = [:]
        var last: [Key: Int] = [:]
        for (i, r) in requests.enumerated() {
            guard let f = r.fault else { continue }
            guard let k = ReplayRules.key(r.method, r.path) else {
                skipped.add("faults on paths a scenario cannot name (they contain { or } or end in /*)")
                continue
            }
            // Ordinals are counted per key once, and only for keys that can still get a rule.
            if ordinals[k] == nil && rules.count < ReplayLimits.maxRules {
                ordinals[k] = ordinalsOf(k, requests, index)
            }
            guard let n = ordinals[k]?[i] else {
                skipped.add("faults beyond a scenario's \(ReplayLimits.maxRules) rules")
                continue
            }
            if let j = last[k], rules[j].fault.json == f.json, rules[j].nth.count < ReplayLimits.maxOrdinalsPerRule {
                rules[j].nth.append(n)
            } else if rules.count < ReplayLimits.maxRules {
                rules.append(Rule(key: k, fault: f, nth: [n], example: r.path))
                last[k] = rules.count - 1
            } else {
                skipped.add("faults beyond a scenario's \(ReplayLimits.maxRules) rules")
                continue
            }
            counts.add(f.label)
        }
    }

    /// The recording's requests by path, in order, so a key looks only at the paths its pattern can match.
    struct PathIndex {
        var paths: [String] = []
        var requests: [String: [Int]] = [:]

        mutating func add(_ path: String, _ i: Int) {
            if requests[path] == nil { paths.append(path) }
            requests[path, default: []].append(i)
        }
    }

    /// The 1-based ordinal of each request the rule's `match` would count, as the running scenario counts them
    /// (PathPattern; a rule without a method leaves OPTIONS alone), by request index.
    private mutating func ordinalsOf(_ k: Key, _ requests: [RecordedRequest], _ index: PathIndex) -> [Int: Int] {
        let pattern = PathPattern(k.path)
        let candidates: [String]
        if case .template = pattern {
            candidates = index.paths.filter(pattern.matches)
        } else {
            // An exact path also matches itself without its trailing slash.
            let forms = k.path.hasSuffix("/") && k.path.count > 1 ? [k.path, String(k.path.dropLast())] : [k.path]
            candidates = forms.filter { index.requests[$0] != nil && pattern.matches($0) }
        }
        var out: [Int: Int] = [:]
        var n = 0
        for i in candidates.flatMap({ index.requests[$0] ?? [] }).sorted() {
            let m = requests[i].method
            if let want = k.method { guard m == want else { continue } } else if m == "OPTIONS" { continue }
            n += 1
            out[i] = n
        }
        totals[k] = n
        return out
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
