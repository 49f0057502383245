import Foundation

/// A JSON value. Objects keep their key order so documents we emit read the way Okta's do.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            let db = Dictionary(b, uniquingKeysWith: { x, _ in x })
            for (k, v) in a where db[k] != v { return false }
            return true
        default: return false
        }
    }

    public subscript(key: String) -> JSON? {
        if case .object(let pairs) = self {
            for (k, v) in pairs where k == key { return v }
        }
        return nil
    }

    public subscript(index: Int) -> JSON? {
        if case .array(let a) = self, index >= 0, index < a.count { return a[index] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var doubleValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }
    public var intValue: Int? {
        if case .number(let n) = self, n.rounded() == n, abs(n) < 9e15 { return Int(n) }
        return nil
    }
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }
    public var objectValue: [(String, JSON)]? {
        if case .object(let o) = self { return o }
        return nil
    }
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let n): return n.rounded() == n ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Returns a copy with `key` set (replacing an existing member in place).
    public func setting(_ key: String, _ value: JSON) -> JSON {
        guard case .object(var pairs) = self else { return self }
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else { pairs.append((key, value)) }
        return .object(pairs)
    }

    public func removing(_ key: String) -> JSON {
        guard case .object(let pairs) = self else { return self }
        return .object(pairs.filter { $0.0 != key })
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(elements) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSON {
    public init(_ s: String?) { self = s.map { .string($0) } ?? .null }
    public init(_ i: Int) { self = .number(Double(i)) }
    public init(_ strings: [String]) { self = .array(strings.map { .string($0) }) }
}

// MARK: - Serialisation

extension JSON {
    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(into: &out, pretty: pretty, indent: 0)
        return out
    }

    public var bytes: [UInt8] { Array(serialized().utf8) }

    private func write(into out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            if !n.isFinite {
                out += "null"
            } else if n.rounded() == n && abs(n) < 1e15 {
                out += String(Int64(n))
            } else {
                out += String(n)
            }
        case .string(let s): JSON.escape(s, into: &out)
        case .array(let a):
            if a.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                v.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let o):
            if o.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                JSON.escape(k, into: &out)
                out += pretty ? ": " : ":"
                v.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }

    static func escape(_ s: String, into out: inout String) {
        out += "\""
        // Fast path: nothing to escape (the common case for ids, URLs, names).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += s
            out += "\""
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

// MARK: - Parsing with positions

/// Where a value sits in the source text (1-based line and column).
public struct JSONPosition: Sendable, Equatable {
    public var line: Int
    public var column: Int
}

public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var position: JSONPosition
    public var description: String { "line \(position.line), column \(position.column): \(message)" }
}

/// Parses JSON and records the position of every value by its JSON pointer-like path ("$.rules[0].fault").
///
/// Bounds: at most `maxDepth` (64) nested arrays and objects, and numbers must be finite doubles
/// (`1e999` is refused). Beyond either the parse fails with a `JSONParseError`, never a crash.
public struct JSONParser {
    /// The deepest nesting of arrays and objects accepted anywhere JSON comes from outside.
    public static let maxDepth = 64
    private let bytes: [UInt8]
    private var i = 0
    private var depth = 0
    private var line = 1
    private var lineStart = 0
    public private(set) var positions: [String: JSONPosition] = [:]
    private let recordPositions: Bool

    public init(_ text: String, recordPositions: Bool = false) {
        self.bytes = Array(text.utf8)
        self.recordPositions = recordPositions
    }

    public init(bytes: [UInt8], recordPositions: Bool = false) {
        self.bytes = bytes
        self.recordPositions = recordPositions
    }

    public static func parse(_ text: String) throws -> JSON {
        var p = JSONParser(text)
        return try p.parseDocument()
    }

    public static func parse(bytes: [UInt8]) throws -> JSON {
        var p = JSONParser(bytes: bytes)
        return try p.parseDocument()
    }

    public mutating func parseDocument() throws -> JSON {
        skipWS()
        let v = try parseValue(path: "$")
        skipWS()
        if i < bytes.count { throw err("unexpected text after the JSON value") }
        return v
    }

    private var pos: JSONPosition { JSONPosition(line: line, column: i - lineStart + 1) }

    private func err(_ m: String) -> JSONParseError { JSONParseError(message: m, position: pos) }

    private mutating func skipWS() {
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x0A {
                line += 1
                i += 1
                lineStart = i
            } else if c == 0x20 || c == 0x09 || c == 0x0D {
                i += 1
            } else {
                break
            }
        }
    }

    private mutating func parseValue(path: String) throws -> JSON {
        guard i < bytes.count else { throw err("unexpected end of input") }
        if recordPositions { positions[path] = pos }
        let c = bytes[i]
        switch c {
        case UInt8(ascii: "{"): return try parseObject(path: path)
        case UInt8(ascii: "["): return try parseArray(path: path)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            if c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39) { return try parseNumber() }
            throw err("unexpected character '\(Character(UnicodeScalar(c)))'")
        }
    }

    private mutating func literal(_ s: String) throws {
        let u = Array(s.utf8)
        guard i + u.count <= bytes.count, Array(bytes[i..<i + u.count]) == u else { throw err("invalid literal") }
        i += u.count
    }

    private mutating func parseNumber() throws -> JSON {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        while i < bytes.count, let c = Optional(bytes[i]),
            (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
        {
            i += 1
        }
        let s = String(decoding: bytes[start..<i], as: UTF8.self)
        guard let d = Double(s) else { throw err("invalid number '\(s)'") }
        guard d.isFinite else { throw err("number out of range '\(s)'") }
        return .number(d)
    }

    private mutating func parseString() throws -> String {
        i += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var run = [UInt8]()
        func flush(_ run: inout [UInt8], _ scalars: inout String.UnicodeScalarView) {
            if !run.isEmpty {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll()
            }
        }
        while true {
            guard i < bytes.count else { throw err("unterminated string") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                break
            }
            if c == 0x0A { throw err("newline inside a string") }
            if c == UInt8(ascii: "\\") {
                flush(&run, &scalars)
                i += 1
                guard i < bytes.count else { throw err("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if code >= 0xD800 && code < 0xDC00, i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"),
                        bytes[i + 1] == UInt8(ascii: "u")
                    {
                        let next = i
                        i += 2
                        let low = try hex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            // Not a pair (found by fuzzing: "\ud800\u0041"): a lone high surrogate, then that escape.
                            i = next
                        }
                    }
                    scalars.append(UnicodeScalar(code) ?? "\u{FFFD}")
                default: throw err("invalid escape")
                }
            } else {
                run.append(c)
                i += 1
            }
        }
        flush(&run, &scalars)
        return String(scalars)
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw err("invalid \\u escape")
        }
        i += 4
        return v
    }

    private mutating func enter() throws {
        depth += 1
        if depth > JSONParser.maxDepth { throw err("nested deeper than \(JSONParser.maxDepth) levels") }
    }

    private mutating func parseArray(path: String) throws -> JSON {
        try enter()
        defer { depth -= 1 }
        i += 1
        var out = [JSON]()
        skipWS()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return .array(out)
        }
        while true {
            skipWS()
            out.append(try parseValue(path: "\(path)[\(out.count)]"))
            skipWS()
            guard i < bytes.count else { throw err("unterminated array") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(out)
            }
            throw err("expected ',' or ']' in array")
        }
    }

    private mutating func parseObject(path: String) throws -> JSON {
        try enter()
        defer { depth -= 1 }
        i += 1
        var out = [(String, JSON)]()
        skipWS()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return .object(out)
        }
        while true {
            skipWS()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw err("expected a member name in quotes") }
            let keyPos = pos
            let key = try parseString()
            if out.contains(where: { $0.0 == key }) {
                throw JSONParseError(message: "duplicate member '\(key)'", position: keyPos)
            }
            skipWS()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw err("expected ':' after member name") }
            i += 1
            skipWS()
            out.append((key, try parseValue(path: JSONParser.childPath(path, key))))
            skipWS()
            guard i < bytes.count else { throw err("unterminated object") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(out)
            }
            throw err("expected ',' or '}' in object")
        }
    }

    public static func childPath(_ path: String, _ key: String) -> String {
        let simple = key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        return simple ? "\(path).\(key)" : "\(path)[\"\(key)\"]"
    }
}
