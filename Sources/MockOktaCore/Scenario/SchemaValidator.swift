import FoundationEssentials

/// One validation problem, located in the source text.
public struct ValidationIssue: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(path) (line \(line), column \(column)): \(message)" }
    public var json: JSON {
        ["path": .string(path), "line": JSON(line), "column": JSON(column), "message": .string(message)]
    }
}

/// A JSON Schema (2020-12) validator for the subset of keywords `scenarios/schema.json` uses.
/// The loader and `mock-okta validate` both run the shipped schema through it, so they cannot disagree.
public struct SchemaValidator: Sendable {
    let root: JSON

    public init(schema: JSON) { root = schema }

    public func validate(_ value: JSON, positions: [String: JSONPosition]) -> [ValidationIssue] {
        var out: [(String, String)] = []
        check(value, root, "$", &out)
        var seen = Set<String>()
        return out.compactMap { (path, msg) in
            let key = path + "|" + msg
            guard seen.insert(key).inserted else { return nil }
            let pos = SchemaValidator.position(for: path, in: positions)
            return ValidationIssue(path: path, line: pos.line, column: pos.column, message: msg)
        }
    }

    static func position(for path: String, in positions: [String: JSONPosition]) -> JSONPosition {
        var p = path
        while true {
            if let pos = positions[p] { return pos }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else {
                return JSONPosition(line: 1, column: 1)
            }
            p = String(p[..<cut])
        }
    }

    func resolve(_ schema: JSON) -> JSON {
        guard let ref = schema["$ref"]?.stringValue, ref.hasPrefix("#/") else { return schema }
        var cur = root
        for part in ref.dropFirst(2).split(separator: "/") { cur = cur[String(part)] ?? .null }
        return resolve(cur)
    }

    static func describe(_ v: JSON) -> String {
        switch v {
        case .string(let s): return "\"\(s)\""
        default: return v.serialized()
        }
    }

    func typeMatches(_ v: JSON, _ t: String) -> Bool {
        switch (t, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null):
            return true
        case ("number", .number): return true
        case ("integer", .number(let n)): return n.rounded() == n
        default: return false
        }
    }

    /// Appends to `out` every way `v` (at `path`) breaks `rawSchema`; a wrong type is the only problem reported.
    func check(_ v: JSON, _ rawSchema: JSON, _ path: String, _ out: inout [(String, String)]) {
        let s = resolve(rawSchema)
        if case .bool(let b) = s {
            if !b { out.append((path, "is not allowed here")) }
            return
        }
        if let t = s["type"] {
            let types = t.arrayValue?.compactMap(\.stringValue) ?? [t.stringValue ?? ""]
            if !types.contains(where: { typeMatches(v, $0) }) {
                out.append((path, "expected \(types.joined(separator: " or ")), found \(v.typeName)"))
                return
            }
        }
        if let c = s["const"], c != v {
            out.append((path, "expected \(SchemaValidator.describe(c)), found \(SchemaValidator.describe(v))"))
        }
        if let e = s["enum"]?.arrayValue, !e.contains(v) {
            out.append(
                (
                    path,
                    "expected one of \(e.map(SchemaValidator.describe).joined(separator: ", ")), found "
                        + "\(SchemaValidator.describe(v))"
                ))
        }
        switch v {
        case .number(let n): checkNumber(n, s, path, &out)
        case .string(let str): checkString(str, s, path, &out)
        case .array(let items): checkArray(items, s, path, &out)
        case .object(let members): checkObject(members, s, path, &out)
        case .bool, .null: break
        }
        checkCombinators(v, s, path, &out)
    }

    /// The bounds of a number: `minimum`, `maximum`, `exclusiveMinimum`.
    private func checkNumber(_ n: Double, _ s: JSON, _ path: String, _ out: inout [(String, String)]) {
        if let m = s["minimum"]?.doubleValue, n < m {
            out.append((path, "must be at least \(fmt(m)), found \(fmt(n))"))
        }
        if let m = s["maximum"]?.doubleValue, n > m {
            out.append((path, "must be at most \(fmt(m)), found \(fmt(n))"))
        }
        if let m = s["exclusiveMinimum"]?.doubleValue, n <= m {
            out.append((path, "must be greater than \(fmt(m)), found \(fmt(n))"))
        }
    }

    /// The length and pattern of a string.
    /// Whether `s` matches a schema `pattern` (the standard library's regular expressions; the schema's own patterns
    /// use anchors, classes and counts only). A pattern that does not compile matches nothing.
    static func matches(_ s: String, pattern: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.firstMatch(in: s)) != nil
    }

    private func checkString(_ str: String, _ s: JSON, _ path: String, _ out: inout [(String, String)]) {
        if let m = s["minLength"]?.intValue, str.count < m {
            out.append((path, "must be at least \(m) characters long"))
        }
        if let m = s["maxLength"]?.intValue, str.count > m {
            out.append((path, "must be at most \(m) characters long"))
        }
        if let p = s["pattern"]?.stringValue, !SchemaValidator.matches(str, pattern: p) {
            out.append((path, "must match the pattern \(p)"))
        }
    }

    /// The size of an array and each of its items.
    private func checkArray(_ items: [JSON], _ s: JSON, _ path: String, _ out: inout [(String, String)]) {
        if let m = s["minItems"]?.intValue, items.count < m {
            out.append((path, "must have at least \(m) items, found \(items.count)"))
        }
        if let m = s["maxItems"]?.intValue, items.count > m {
            out.append((path, "must have at most \(m) items, found \(items.count)"))
        }
        if let itemSchema = s["items"] {
            for (i, item) in items.enumerated() { check(item, itemSchema, "\(path)[\(i)]", &out) }
        }
    }

    /// An object's required members, its known members, and the ones `additionalProperties` decides.
    private func checkObject(
        _ members: [(String, JSON)], _ s: JSON, _ path: String, _ out: inout [(String, String)]
    ) {
        let props = s["properties"]?.objectValue ?? []
        for req in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        where !members.contains(where: { $0.0 == req }) {
            out.append((path, "missing required member \"\(req)\""))
        }
        for (k, mv) in members {
            let childPath = JSONParser.childPath(path, k)
            if let ps = props.first(where: { $0.0 == k })?.1 {
                check(mv, ps, childPath, &out)
            } else if let ap = s["additionalProperties"] {
                if case .bool(false) = ap {
                    let allowed = props.map(\.0)
                    out.append(
                        (
                            childPath,
                            "unknown member \"\(k)\""
                                + (allowed.isEmpty ? "" : "; expected one of: \(allowed.joined(separator: ", "))")
                        ))
                } else if case .object = ap {
                    check(mv, ap, childPath, &out)
                }
            }
        }
    }

    /// `allOf`, `anyOf`, `oneOf`, and `if`/`then`.
    private func checkCombinators(_ v: JSON, _ s: JSON, _ path: String, _ out: inout [(String, String)]) {
        if let all = s["allOf"]?.arrayValue { for sub in all { check(v, sub, path, &out) } }
        if let any = s["anyOf"]?.arrayValue { checkAnyOf(v, any, path, &out) }
        if let one = s["oneOf"]?.arrayValue { checkOneOf(v, one, path, &out) }
        if let cond = s["if"], let then = s["then"] {
            var o: [(String, String)] = []
            check(v, cond, path, &o)
            if o.isEmpty { check(v, then, path, &out) }
        }
    }

    /// `anyOf`: nothing when a branch matches, else the problems of the branch with the fewest.
    private func checkAnyOf(_ v: JSON, _ branches: [JSON], _ path: String, _ out: inout [(String, String)]) {
        var best: [(String, String)]? = nil
        for sub in branches {
            var o: [(String, String)] = []
            check(v, sub, path, &o)
            if o.isEmpty { return }
            if best == nil || o.count < best!.count { best = o }
        }
        out.append(contentsOf: best ?? [(path, "does not match any allowed form")])
    }

    func fmt(_ d: Double) -> String { d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d) }

    func checkOneOf(_ v: JSON, _ branches: [JSON], _ path: String, _ out: inout [(String, String)]) {
        // Discriminated by "type": report against the branch whose const matches, or list the allowed types.
        let resolved = branches.map(resolve)
        let discriminators = resolved.compactMap { $0["properties"]?["type"]?["const"]?.stringValue }
        if discriminators.count == resolved.count, case .object = v {
            guard let t = v["type"] else {
                out.append(
                    (
                        path,
                        "missing required member \"type\"; expected one of: \(discriminators.joined(separator: ", "))"
                    ))
                return
            }
            guard let i = discriminators.firstIndex(where: { .string($0) == t }) else {
                out.append(
                    (
                        JSONParser.childPath(path, "type"),
                        "unknown type \(SchemaValidator.describe(t)); expected one of: "
                            + "\(discriminators.joined(separator: ", "))"
                    ))
                return
            }
            check(v, resolved[i], path, &out)
            return
        }
        var matches = 0
        var best: [(String, String)]? = nil
        var bestTypeMatched = false
        for b in resolved {
            var o: [(String, String)] = []
            check(v, b, path, &o)
            // A branch of the value's own type explains the problem better than one of another type.
            let typeMatched =
                b["type"].map { t in
                    (t.arrayValue?.compactMap(\.stringValue) ?? [t.stringValue ?? ""]).contains { typeMatches(v, $0) }
                } ?? true
            if o.isEmpty {
                matches += 1
            } else if best == nil || (typeMatched && !bestTypeMatched)
                || (typeMatched == bestTypeMatched && o.count < best!.count)
            {
                best = o
                bestTypeMatched = typeMatched
            }
        }
        if matches == 0 { out.append(contentsOf: best ?? [(path, "does not match any allowed form")]) }
        if matches > 1 { out.append((path, "matches more than one allowed form")) }
    }
}
