import FoundationEssentials

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
