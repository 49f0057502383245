import Foundation

/// What a System Log event was written from; `render` gives Okta's LogEvent JSON (the shape of the okta-sdk-python
/// cassettes' `/api/v1/logs` answers). Kept instead of the JSON because it is a third of the size and most of its
/// strings are shared with other events.
struct LogRecord: Sendable {
    var uuid: String
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

    /// Shares the strings that repeat from event to event (user agent, request URI, debug values) with earlier ones.
    mutating func share(_ strings: inout Interner) {
        if var c = context {
            c.userAgent = strings.string(c.userAgent)
            c.requestURI = strings.string(c.requestURI)
            c.url = strings.string(c.url)
            context = c
        }
        extraDebug = extraDebug.map { (k, v) in
            if case .string(let text) = v, text.utf8.count <= 256 { return (k, .string(strings.string(text))) }
            return (k, v)
        }
    }

    func render() -> JSON {
        let ip = context?.ipAddress ?? "127.0.0.1"
        return [
            "uuid": .string(uuid), "published": .string(TimeFormat.iso(published)), "eventType": .string(eventType),
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
            "transaction": ["type": "WEB", "id": JSON(context?.requestId), "detail": .object(transactionDetail)],
            "request": ["ipChain": .array(([ip] + (context?.proxyAddress.map { [$0] } ?? [])).map(Self.ipChainEntry))],
            "target": .array(targets.map(\.json)),
        ]
    }

    private var debugData: [(String, JSON)] {
        guard let c = context else { return extraDebug }
        return [("requestId", .string(c.requestId)), ("requestUri", .string(c.requestURI)), ("url", .string(c.url))]
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
