import FoundationEssentials

/// What a System Log event was written from; `render` gives Okta's LogEvent JSON (the shape of the okta-sdk-python
/// cassettes' `/api/v1/logs` answers). Kept instead of the JSON because it is a third of the size and most of its
/// strings are shared with other events.
struct LogRecord: Sendable {
    /// The event's uuid as 16 bytes (`text` keeps one that is not in the 8-4-4-4-12 lowercase form).
    var uuid: UUIDBytes
    var published: Double
    var eventType: String
    var legacyEventType: String?
    var displayMessage: String
    var severity: String
    var actor: SystemLog.Actor
    var targets: [SystemLog.Actor]
    var result: String
    var reason: String?
    var context: SystemLog.Context?
    var extraDebug: [(String, JSON)]

    /// The request id, inline (it is in `context` too, where `share` empties it).
    var requestId = RequestID("")

    /// Shares what repeats from event to event with earlier ones: the strings (user agent, request URI, debug
    /// values), and the debug list and targets when they equal those of the last event of the same type. Each
    /// event then owns little more than its uuid and request id, kept inline (issue 15: ~0.5 KiB less per event).
    mutating func share(_ strings: inout Interner, last: inout [String: LogRecord]) {
        if var c = context {
            c.userAgent = strings.string(c.userAgent)
            c.requestURI = strings.string(c.requestURI)
            c.url = strings.string(c.url)
            let id = RequestID(c.requestId)
            if id.isInline {
                requestId = id
                c.requestId = ""
            }
            context = c
        }
        if let previous = last[eventType] {
            if previous.extraDebug.elementsEqual(extraDebug, by: { $0.0 == $1.0 && $0.1 == $1.1 }) {
                extraDebug = previous.extraDebug
            } else {
                shareDebugStrings(&strings)
            }
            if previous.targets.elementsEqual(targets, by: ==) { targets = previous.targets }
        } else {
            shareDebugStrings(&strings)
        }
        if last.count < 1_000 || last[eventType] != nil { last[eventType] = self }
    }

    private mutating func shareDebugStrings(_ strings: inout Interner) {
        extraDebug = extraDebug.map { (k, v) in
            if case .string(let text) = v, text.utf8.count <= 256 { return (k, .string(strings.string(text))) }
            return (k, v)
        }
    }

    /// The request id the event was written for.
    var requestIdText: String? {
        guard let c = context else { return nil }
        return c.requestId.isEmpty && requestId.isInline ? requestId.string : c.requestId
    }

    func render() -> JSON {
        let ip = context?.ipAddress ?? "127.0.0.1"
        return [
            "uuid": .string(uuid.string), "published": .string(TimeFormat.iso(published)),
            "eventType": .string(eventType),
            "version": "0", "severity": .string(severity), "legacyEventType": JSON(legacyEventType),
            "displayMessage": .string(displayMessage), "actor": actor.json,
            "client": [
                "userAgent": [
                    "rawUserAgent": .string(context?.userAgent ?? ""), "os": "Unknown", "browser": "UNKNOWN",
                ],
                "zone": .string(context?.zone ?? "null"), "device": "Unknown", "id": nil, "ipAddress": .string(ip),
                "geographicalContext": nil,
            ],
            "device": nil,
            "authenticationContext": [
                "authenticationProvider": nil, "credentialProvider": nil, "credentialType": nil,
                "issuer": nil, "interface": nil, "authenticationStep": 0, "externalSessionId": "unknown",
            ],
            "outcome": ["result": .string(result), "reason": JSON(reason)],
            "securityContext": ["asNumber": nil, "asOrg": nil, "isp": nil, "domain": nil, "isProxy": nil],
            "debugContext": ["debugData": .object(debugData)],
            "transaction": ["type": "WEB", "id": JSON(requestIdText), "detail": .object(transactionDetail)],
            "request": ["ipChain": .array(([ip] + (context?.proxyAddress.map { [$0] } ?? [])).map(Self.ipChainEntry))],
            "target": .array(targets.map(\.json)),
        ]
    }

    private var debugData: [(String, JSON)] {
        guard let c = context else { return extraDebug }
        return [
            ("requestId", .string(requestIdText ?? c.requestId)), ("requestUri", .string(c.requestURI)),
            ("url", .string(c.url)),
        ]
            + extraDebug
    }

    private var transactionDetail: [(String, JSON)] {
        context?.apiTokenId.map { [("requestApiTokenId", .string($0))] } ?? []
    }

    private static func ipChainEntry(_ address: String) -> JSON {
        [
            "ip": .string(address), "geographicalContext": nil, "version": address.contains(":") ? "V6" : "V4",
            "source": nil,
        ]
    }
}

/// A uuid as 16 bytes; one not in the lowercase 8-4-4-4-12 form keeps its text.
struct UUIDBytes: Sendable {
    private var high: UInt64 = 0
    private var low: UInt64 = 0
    private var text: String?

    init(_ s: String) {
        let u = Array(s.utf8)
        guard u.count == 36, [8, 13, 18, 23].allSatisfy({ u[$0] == UInt8(ascii: "-") }) else {
            text = s
            return
        }
        var value: [UInt64] = [0, 0]
        var digit = 0
        for (i, c) in u.enumerated() where ![8, 13, 18, 23].contains(i) {
            // Lowercase only: an uppercase uuid keeps its text, so it is served as written.
            guard !(UInt8(ascii: "A")...UInt8(ascii: "F")).contains(c), let v = ASCII.hexValue(c) else {
                text = s
                return
            }
            value[digit / 16] = value[digit / 16] << 4 | UInt64(v)
            digit += 1
        }
        (high, low) = (value[0], value[1])
    }

    var string: String {
        if let text { return text }
        return ASCII.uuidString(
            withUnsafeBytes(of: high.bigEndian, Array.init) + withUnsafeBytes(of: low.bigEndian, Array.init))
    }
}
