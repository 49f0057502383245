import FoundationEssentials

/// A request as the engine sees it, independent of the HTTP server.
public struct HTTPRequestInfo: Sendable {
    public var method: String
    public var path: String
    public var query: [(String, String)]
    /// Header names lowercased, in arrival order.
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var remoteIP: String
    /// The body exceeded 1 MiB and was not read; the engine answers 413.
    public var bodyTooLarge = false
    public var userAgent: String { header("user-agent") ?? "" }

    public init(
        method: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: [UInt8] = [], remoteIP: String = "127.0.0.1"
    ) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        // HTTP field names are ASCII; Hummingbird's canonical names are already lowercase.
        self.headers = headers.map { h in
            h.0.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) ? (h.0.lowercased(), h.1) : h
        }
        self.body = body
        self.remoteIP = remoteIP
    }

    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first { $0.0 == n }?.1
    }

    public func headerValues(_ name: String) -> [String] {
        let n = name.lowercased()
        return headers.filter { $0.0 == n }.map(\.1)
    }

    public func queryValue(_ name: String) -> String? { query.first { $0.0 == name }?.1 }

    /// Parses `a=b&c=d` with percent and plus decoding.
    public static func parseForm(_ s: String) -> [(String, String)] {
        guard !s.isEmpty else { return [] }
        return s.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = decodeComponent(String(kv[0]))
            let v = kv.count > 1 ? decodeComponent(String(kv[1])) : ""
            return (k, v)
        }
    }

    /// `+` is a space and `%XX` a byte; a malformed escape or bytes that are not UTF-8 leave the escapes as sent.
    static func decodeComponent(_ s: String) -> String {
        let plus = UInt8(ascii: "+")
        let percent = UInt8(ascii: "%")
        guard s.utf8.contains(where: { $0 == plus || $0 == percent }) else { return s }
        let bytes = Array(s.utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = 0
        var malformed = false
        while i < bytes.count {
            let b = bytes[i]
            if b == percent {
                if i + 2 < bytes.count, let h = ASCII.hexValue(bytes[i + 1]), let l = ASCII.hexValue(bytes[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                    continue
                }
                malformed = true
            }
            out.append(b == plus ? UInt8(ascii: " ") : b)
            i += 1
        }
        guard !malformed, let decoded = String(validating: out, as: UTF8.self) else {
            return String(decoding: bytes.map { $0 == plus ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        }
        return decoded
    }

    public var formBody: [(String, String)] { HTTPRequestInfo.parseForm(String(decoding: body, as: UTF8.self)) }
}

/// What the server must do on the wire besides (or instead of) writing the reply.
public enum WireFault: Sendable, Equatable {
    /// Wait this long, then answer normally.
    case delay(milliseconds: Int)
    /// Send nothing until the client leaves, or for `seconds`, then answer (`close == false`) or close.
    case hang(seconds: Double?, close: Bool)
    /// TCP reset (SO_LINGER 0, then close).
    case reset
    /// Close the connection without answering.
    case close
    /// Send the head, then trickle the body over `seconds`.
    case slowBody(seconds: Double)
}

public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    public var wire: WireFault?
    /// Value for the Date header (tenant clock), nil = omit Date entirely.
    public var date: String?
    /// The journal id (also X-Okta-Request-Id), nil for control API requests.
    public var requestId: String?
    /// The scenario rule and fault that fired, if any (for logs).
    public var firedRule: String?
    public var firedFault: String?

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], wire: WireFault? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.wire = wire
        self.date = nil
        self.requestId = nil
        self.firedRule = nil
        self.firedFault = nil
    }

    public static func json(_ status: Int, _ body: JSON, headers: [(String, String)] = []) -> HTTPReply {
        HTTPReply(status: status, headers: [("Content-Type", "application/json")] + headers, body: body.bytes)
    }

    public static func empty(_ status: Int, headers: [(String, String)] = []) -> HTTPReply {
        HTTPReply(status: status, headers: headers)
    }

    public func header(_ name: String) -> String? {
        headers.first { HTTPReply.sameName($0.0, name) }?.1
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { HTTPReply.sameName($0.0, name) }
        headers.append((name, value))
    }

    /// Field names compared ASCII case-insensitively without lowercasing copies (every answer looks up several
    /// headers; lowercasing each name allocated on every comparison).
    static func sameName(_ a: String, _ b: String) -> Bool {
        var i = a.utf8.makeIterator()
        var j = b.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return true
            case (let x?, let y?):
                if x == y { continue }
                let lx = x >= 65 && x <= 90 ? x + 32 : x
                let ly = y >= 65 && y <= 90 ? y + 32 : y
                if lx != ly { return false }
            default: return false
            }
        }
    }

    public var bodyJSON: JSON? { try? JSONParser.parse(bytes: body) }
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Errors that render as Okta's `/api/v1` error body.
public struct OktaAPIError: Error, Sendable {
    public var status: Int
    public var code: String
    public var summary: String
    public var causes: [String]
    public var headers: [(String, String)] = []

    public init(_ status: Int, _ code: String, _ summary: String, causes: [String] = []) {
        self.status = status
        self.code = code
        self.summary = summary
        self.causes = causes
    }

    public static func notFound(_ what: String) -> OktaAPIError { .init(404, "E0000007", "Not found: \(what)") }
    public static let invalidSession = OktaAPIError(403, "E0000005", "Invalid session")
    public static let invalidToken = OktaAPIError(401, "E0000011", "Invalid token provided")
    public static let loginExists = OktaAPIError(
        400, "E0000001", "Api validation failed: login",
        causes: ["login: An object with this field already exists in the current organization"])
    public static let forbidden = OktaAPIError(
        403, "E0000006", "You do not have permission to perform the requested action")
    public static let malformedBody = OktaAPIError(400, "E0000003", "The request body was not well-formed.")
    public static let pathNotFound = OktaAPIError(
        404, "E0000022", "The endpoint does not support the provided HTTP method")
    public static func validation(_ field: String, _ cause: String) -> OktaAPIError {
        .init(400, "E0000001", "Api validation failed: \(field)", causes: ["\(field): \(cause)"])
    }
    public static let rateLimited = OktaAPIError(
        429, "E0000047", "API call exceeded rate limit due to too many requests.")
    public static let serverError = OktaAPIError(500, "E0000009", "Internal Server Error")
    public static let unavailable = OktaAPIError(503, "E0000010", "Service is in read only mode")
    /// Okta's answer to a JSON endpoint called with another content type (two spaces after "request.", as Okta writes
    /// it).
    public static let badContentType = OktaAPIError(
        400, "E0000021", "Bad request.  Accept and/or Content-Type headers likely do not match supported values.")
    public static let badCursor = OktaAPIError(400, "E0000029", "Invalid paging request.", causes: ["Invalid cursor."])
    public static func invalidSearch(_ cause: String) -> OktaAPIError {
        .init(400, "E0000031", "Invalid search criteria.", causes: [cause])
    }

    public func body(errorId: String) -> JSON {
        [
            "errorCode": .string(code), "errorSummary": .string(summary), "errorLink": .string(code),
            "errorId": .string(errorId), "errorCauses": .array(causes.map { ["errorSummary": .string($0)] }),
        ]
    }
}

/// Errors that render as `{"error","error_description"}` on `/oauth2`.
public struct OAuthError: Error, Sendable {
    public var status: Int
    public var error: String
    public var description: String
    public var headers: [(String, String)] = []
    /// System Log reason; defaults to the error code.
    public var reason: String?

    public init(_ status: Int, _ error: String, _ description: String) {
        self.status = status
        self.error = error
        self.description = description
    }

    public static func invalidClient(
        _ d: String = "Client authentication failed. Either the client or the client credentials are invalid."
    ) -> OAuthError {
        .init(401, "invalid_client", d)
    }
    public static func invalidRequest(_ d: String) -> OAuthError { .init(400, "invalid_request", d) }
    public static func invalidGrant(_ d: String) -> OAuthError { .init(400, "invalid_grant", d) }
    public static func invalidScope(
        _ d: String = "One or more scopes are not configured for the authorization server resource."
    ) -> OAuthError {
        .init(400, "invalid_scope", d)
    }
    public static func unauthorizedClient(_ grants: [String]) -> OAuthError {
        .init(
            400, "unauthorized_client",
            "The client is not authorized to use the provided grant type. Configured grant types: "
                + "[\(grants.joined(separator: ", "))]."
        )
    }
    public static let notAssigned = OAuthError(403, "access_denied", "User is not assigned to the client application.")

    public var body: JSON { ["error": .string(error), "error_description": .string(description)] }
}
