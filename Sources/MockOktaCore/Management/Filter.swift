import FoundationEssentials

/// SCIM-style filter expressions as Okta accepts them in `filter` and `search`:
/// `status eq "ACTIVE" and (profile.login sw "ann" or lastUpdated gt "2024-01-01T00:00:00.000Z")`.
indirect enum FilterExpr {
    case compare(attr: String, op: String, value: JSON?)
    case and(FilterExpr, FilterExpr)
    case or(FilterExpr, FilterExpr)
    case not(FilterExpr)

    static let operators = ["eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le"]

    struct ParseError: Error { var message: String }

    /// Longest `filter`/`search`/`q` accepted, in characters.
    static let maxLength = 4096
    /// Deepest nesting of parentheses and `not` accepted.
    static let maxDepth = 32

    static func parse(_ text: String) throws -> FilterExpr {
        guard text.utf8.count <= maxLength else {
            throw ParseError(message: "Filter longer than \(maxLength) characters")
        }
        var tokens = try tokenize(text)
        var depth = 0
        for t in tokens {
            if case .lparen = t {
                depth += 1
            } else if case .rparen = t {
                depth -= 1
            } else if case .word(let w) = t, w.lowercased() == "not" {
                depth += 1
            }
            if depth > maxDepth { throw ParseError(message: "Filter nested deeper than \(maxDepth) levels") }
        }
        let e = try parseOr(&tokens)
        if !tokens.isEmpty { throw ParseError(message: "Unexpected '\(tokens[0])'") }
        return e
    }

    enum Tok: CustomStringConvertible {
        case word(String)
        case str(String)
        case lparen
        case rparen
        var description: String {
            switch self {
            case .word(let w): return w
            case .str(let s): return "\"\(s)\""
            case .lparen: return "("
            case .rparen: return ")"
            }
        }
    }

    static func tokenize(_ s: String) throws -> [Tok] {
        var out: [Tok] = []
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == " " || c == "\t" {
                i = s.index(after: i)
                continue
            }
            if c == "(" {
                out.append(.lparen)
                i = s.index(after: i)
                continue
            }
            if c == ")" {
                out.append(.rparen)
                i = s.index(after: i)
                continue
            }
            if c == "\"" {
                var j = s.index(after: i)
                var v = ""
                while j < s.endIndex && s[j] != "\"" {
                    if s[j] == "\\", s.index(after: j) < s.endIndex { j = s.index(after: j) }
                    v.append(s[j])
                    j = s.index(after: j)
                }
                guard j < s.endIndex else { throw ParseError(message: "Unterminated string") }
                out.append(.str(v))
                i = s.index(after: j)
                continue
            }
            var j = i
            while j < s.endIndex && s[j] != " " && s[j] != "(" && s[j] != ")" { j = s.index(after: j) }
            out.append(.word(String(s[i..<j])))
            i = j
        }
        return out
    }

    static func parseOr(_ t: inout [Tok]) throws -> FilterExpr {
        var l = try parseAnd(&t)
        while case .word(let w)? = t.first, w.lowercased() == "or" {
            t.removeFirst()
            l = .or(l, try parseAnd(&t))
        }
        return l
    }

    static func parseAnd(_ t: inout [Tok]) throws -> FilterExpr {
        var l = try parseAtom(&t)
        while case .word(let w)? = t.first, w.lowercased() == "and" {
            t.removeFirst()
            l = .and(l, try parseAtom(&t))
        }
        return l
    }

    static func parseAtom(_ t: inout [Tok]) throws -> FilterExpr {
        guard let first = t.first else { throw ParseError(message: "Unexpected end of filter") }
        if case .lparen = first {
            t.removeFirst()
            let e = try parseOr(&t)
            guard case .rparen? = t.first else { throw ParseError(message: "Missing ')'") }
            t.removeFirst()
            return e
        }
        if case .word(let w) = first, w.lowercased() == "not" {
            t.removeFirst()
            return .not(try parseAtom(&t))
        }
        guard case .word(let attr) = first else {
            throw ParseError(message: "Expected an attribute name, found \(first)")
        }
        t.removeFirst()
        guard case .word(let opRaw)? = t.first else {
            throw ParseError(message: "Expected an operator after '\(attr)'")
        }
        let op = opRaw.lowercased()
        guard operators.contains(op) else {
            throw ParseError(message: "Unrecognized attribute operator '\(opRaw)'. Expected: eq,co,sw,pr,gt,ge,lt,le")
        }
        t.removeFirst()
        if op == "pr" { return .compare(attr: attr, op: op, value: nil) }
        guard let v = t.first else { throw ParseError(message: "Expected a value after '\(attr) \(op)'") }
        t.removeFirst()
        switch v {
        case .str(let s): return .compare(attr: attr, op: op, value: .string(s))
        case .word(let w):
            if w == "true" || w == "false" { return .compare(attr: attr, op: op, value: .bool(w == "true")) }
            if w == "null" { return .compare(attr: attr, op: op, value: .null) }
            if let d = Double(w) { return .compare(attr: attr, op: op, value: .number(d)) }
            throw ParseError(message: "Invalid value '\(w)'")
        default: throw ParseError(message: "Invalid value \(v)")
        }
    }

    /// Attributes used, for rejecting unsupported ones.
    var attributes: [String] {
        switch self {
        case .compare(let a, _, _): return [a]
        case .and(let a, let b), .or(let a, let b): return a.attributes + b.attributes
        case .not(let a): return a.attributes
        }
    }

    func evaluate(_ lookup: (String) -> JSON?) -> Bool {
        switch self {
        case .and(let a, let b): return a.evaluate(lookup) && b.evaluate(lookup)
        case .or(let a, let b): return a.evaluate(lookup) || b.evaluate(lookup)
        case .not(let a): return !a.evaluate(lookup)
        case .compare(let attr, let op, let value):
            let actual = lookup(attr)
            if op == "pr" { return actual != nil && actual != .null }
            guard let actual, let value else { return false }
            switch (actual, value) {
            case (.string(let a), .string(let b)):
                let al = a.lowercased()
                let bl = b.lowercased()
                switch op {
                case "eq": return al == bl
                case "ne": return al != bl
                case "sw": return al.hasPrefix(bl)
                case "ew": return al.hasSuffix(bl)
                case "co": return al.contains(bl)
                default:
                    if let ta = TimeFormat.parseISO(a), let tb = TimeFormat.parseISO(b) {
                        return FilterExpr.cmp(ta, op, tb)
                    }
                    return FilterExpr.cmp(a, op, b)
                }
            case (.number(let a), .number(let b)):
                if op == "eq" { return a == b }
                if op == "ne" { return a != b }
                return FilterExpr.cmp(a, op, b)
            default:
                if op == "eq" { return actual == value }
                if op == "ne" { return actual != value }
                return false
            }
        }
    }

    static func cmp<T: Comparable>(_ a: T, _ op: String, _ b: T) -> Bool {
        switch op {
        case "gt": return a > b
        case "ge": return a >= b
        case "lt": return a < b
        case "le": return a <= b
        default: return false
        }
    }
}
