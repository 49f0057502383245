import Foundation

/// Okta's System Log: every sign-in, grant, denial, fault and lifecycle change writes a LogEvent.
public final class SystemLog: Sendable {
    public struct Event: Sendable {
        public var seq: Int
        public var published: Double
        public var json: JSON
        public var eventType: String
        public var outcome: String
        public var actorId: String?
    }

    private let events = Mutex<[Event]>([])
    private let pending = WriteBehind<(uuid: String, published: Double, event: JSON)>()
    let store: Store?
    /// Newest events kept, in memory and in `--db` (the server passes `--journal-limit`).
    public let limit: Int

    /// Events kept by default: a LogEvent is a few KiB, so 20,000 of them stay within ~100 MiB.
    public static let defaultLimit = 20_000

    public init(store: Store?, limit: Int = SystemLog.defaultLimit) {
        self.store = store
        self.limit = max(1, limit)
    }

    /// With --db, reads stored events back in front of those written since start (off the start-up path).
    public func restore() {
        guard let store else { return }
        let rows = store.logs(limit: limit)
        let loaded = rows.enumerated().compactMap { (i, text) -> Event? in
            guard let j = try? JSONParser.parse(text) else { return nil }
            let published = TimeFormat.parseISO(j["published"]?.stringValue ?? "") ?? 0
            return Event(
                seq: i - rows.count, published: published, json: j, eventType: j["eventType"]?.stringValue ?? "",
                outcome: j["outcome"]?["result"]?.stringValue ?? "", actorId: j["actor"]?["id"]?.stringValue)
        }
        events.withLock { list in
            let known = Set(list.map { $0.json["uuid"]?.stringValue ?? "" })
            list = loaded.filter { !known.contains($0.json["uuid"]?.stringValue ?? "") } + list
        }
    }

    public struct Actor: Sendable {
        public var id: String
        public var type: String
        public var alternateId: String
        public var displayName: String
        public init(id: String, type: String, alternateId: String, displayName: String) {
            self.id = id
            self.type = type
            self.alternateId = alternateId
            self.displayName = displayName
        }
        public static let unknown = Actor(
            id: "unknown", type: "PublicClientApp", alternateId: "unknown", displayName: "Unknown")
        var json: JSON {
            [
                "id": .string(id), "type": .string(type), "alternateId": .string(alternateId),
                "displayName": .string(displayName),
                "detailEntry": nil,
            ]
        }
    }

    public struct Context: Sendable {
        public var requestId: String
        public var requestURI: String
        public var url: String
        public var ipAddress: String
        public var userAgent: String
        public var apiTokenId: String?
        /// The network zone the client address is in (Okta writes the string "null" when none).
        public var zone: String? = nil
        /// The address that connected, when it was a listed proxy (then `ipAddress` came from X-Forwarded-For).
        public var proxyAddress: String? = nil
        public init(
            requestId: String, requestURI: String, url: String? = nil, ipAddress: String, userAgent: String,
            apiTokenId: String? = nil
        ) {
            self.requestId = requestId
            self.requestURI = requestURI
            self.url = url ?? requestURI
            self.ipAddress = ipAddress
            self.userAgent = userAgent
            self.apiTokenId = apiTokenId
        }
    }

    @discardableResult
    public func write(
        uuid: String, published: Double, eventType: String, legacyEventType: String? = nil,
        displayMessage: String, severity: String = "INFO", actor: Actor, targets: [Actor] = [],
        result: String, reason: String? = nil, context: Context?, extraDebug: [(String, JSON)] = []
    ) -> JSON {
        var debug: [(String, JSON)] = []
        if let c = context {
            debug = [
                ("requestId", .string(c.requestId)), ("requestUri", .string(c.requestURI)), ("url", .string(c.url)),
            ]
        }
        debug += extraDebug
        var txDetail: [(String, JSON)] = []
        if let t = context?.apiTokenId { txDetail.append(("requestApiTokenId", .string(t))) }
        let ip = context?.ipAddress ?? "127.0.0.1"
        let event: JSON = [
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
            "displayMessage_": nil,
            "outcome": ["result": .string(result), "reason": JSON(reason)],
            "securityContext": ["asNumber": nil, "asOrg": nil, "isp": nil, "domain": nil, "isProxy": nil],
            "debugContext": ["debugData": .object(debug)],
            "legacy": nil,
            "transaction": ["type": "WEB", "id": JSON(context?.requestId), "detail": .object(txDetail)],
            "request": [
                "ipChain": .array(
                    ([ip] + (context?.proxyAddress.map { [$0] } ?? [])).map { a in
                        [
                            "ip": .string(a), "geographicalContext": nil, "version": a.contains(":") ? "V6" : "V4",
                            "source": nil,
                        ]
                    })
            ],
            "target": .array(targets.map(\.json)),
        ]
        let clean = event.removing("displayMessage_").removing("legacy")
        events.withLock { list in
            list.append(
                Event(
                    seq: (list.last?.seq ?? -1) + 1, published: published, json: clean, eventType: eventType,
                    outcome: result, actorId: actor.id))
            // Trimmed in batches of a tenth so appending stays O(1) on average.
            if list.count > limit + limit / 10 { list.removeFirst(list.count - limit) }
        }
        if store != nil { pending.append((uuid, published, clean)) }
        return clean
    }

    public func all() -> [Event] { events.withLock { $0.count > limit ? Array($0.suffix(limit)) : $0 } }

    /// Persists new events in one transaction (ticker and shutdown).
    public func flush() throws {
        let batch = pending.drain()
        guard !batch.isEmpty, let store else { return }
        try store.appendLogs(batch.map { ($0.uuid, $0.published, $0.event.serialized()) }, keep: limit)
    }

    public func clear() {
        pending.clear()
        events.withLock { $0.removeAll() }
        try? store?.clearLogs()
    }
}
