import FoundationEssentials

/// Okta's System Log: every sign-in, grant, denial, fault and lifecycle change writes a LogEvent.
public final class SystemLog: Sendable {
    /// One LogEvent. Events the mock wrote keep what they were written from (`LogRecord`, ~0.5 KiB with the
    /// strings they share with other events) and are rendered to Okta's JSON when read; events read back from
    /// `--db` keep their text. A tree of JSON values cost ~5 KiB per event (issue 15).
    public struct Event: Sendable {
        public var seq: Int
        public var published: Double
        public var eventType: String
        public var outcome: String
        public var actorId: String?
        let body: Body

        enum Body: Sendable {
            case record(LogRecord)
            case text([UInt8])
        }

        /// The LogEvent as `/api/v1/logs` serves it.
        public var json: JSON {
            switch body {
            case .record(let r): return r.render()
            case .text(let t): return (try? JSONParser.parse(bytes: t)) ?? .null
            }
        }

        /// The LogEvent's JSON text (UTF-8).
        public var text: [UInt8] {
            switch body {
            case .record(let r): return Array(r.render().serialized().utf8)
            case .text(let t): return t
            }
        }

        /// The value a System Log filter names: indexed fields without rendering, others from `json` (rendered at
        /// most once per call of `lookup`).
        func lookup() -> (String) -> JSON? {
            var rendered: JSON?
            return { attr in
                switch attr {
                case "eventType": return .string(eventType)
                case "outcome.result": return .string(outcome)
                case "actor.id": return actorId.map(JSON.string)
                default:
                    if rendered == nil { rendered = json }
                    if attr == "target.id" { return rendered?["target"]?.arrayValue?.first?["id"] }
                    var cur = rendered
                    for part in attr.split(separator: ".") { cur = cur?[String(part)] }
                    return cur
                }
            }
        }
    }

    private let events = Mutex<(list: [Event], strings: Interner, last: [String: LogRecord])>(
        ([], Interner(capacity: 5_000), [:]))
    private let pending = WriteBehind<(uuid: String, published: Double, text: String)>()
    let store: Store?
    /// Newest events kept, in memory and in `--db` (the server passes `--journal-limit`).
    public let limit: Int

    /// Events kept by default (~0.5 KiB each in memory, ~1.7 KiB as JSON).
    public static let defaultLimit = 20_000

    public init(store: Store?, limit: Int = SystemLog.defaultLimit) {
        self.store = store
        self.limit = max(1, limit)
    }

    /// With --db, reads stored events back in front of those written since start (off the start-up path).
    public func restore() {
        guard let store else { return }
        let rows = store.logs(limit: limit)
        let loaded = rows.enumerated().compactMap { (i, text) -> (uuid: String, event: Event)? in
            guard let j = try? JSONParser.parse(text) else { return nil }
            let published = TimeFormat.parseISO(j["published"]?.stringValue ?? "") ?? 0
            let event = Event(
                seq: i - rows.count, published: published, eventType: j["eventType"]?.stringValue ?? "",
                outcome: j["outcome"]?["result"]?.stringValue ?? "", actorId: j["actor"]?["id"]?.stringValue,
                body: .text(Array(text.utf8)))
            return (j["uuid"]?.stringValue ?? "", event)
        }
        // Events written since start (few: restore runs just after it) are not read back twice.
        events.withLock { s in
            let known = Set(s.list.map { $0.json["uuid"]?.stringValue ?? "" })
            s.list = loaded.filter { !known.contains($0.uuid) }.map(\.event) + s.list
        }
    }

    public struct Actor: Sendable, Equatable {
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

    /// Writes an event (rendered to JSON only when read, or at once for `--db`).
    public func write(
        uuid: String, published: Double, eventType: String, legacyEventType: String? = nil,
        displayMessage: String, severity: String = "INFO", actor: Actor, targets: [Actor] = [],
        result: String, reason: String? = nil, context: Context?, extraDebug: [(String, JSON)] = []
    ) {
        var record = LogRecord(
            uuid: UUIDBytes(uuid), published: published, eventType: eventType, legacyEventType: legacyEventType,
            displayMessage: displayMessage, severity: severity, actor: actor, targets: targets, result: result,
            reason: reason, context: context, extraDebug: extraDebug)
        events.withLock { s in
            record.share(&s.strings, last: &s.last)
            s.list.append(
                Event(
                    seq: (s.list.last?.seq ?? -1) + 1, published: published, eventType: eventType, outcome: result,
                    actorId: actor.id, body: .record(record)))
            // Trimmed in batches of a tenth so appending stays O(1) on average.
            if s.list.count > limit + limit / 10 { s.list.removeFirst(s.list.count - limit) }
        }
        if store != nil { pending.append((uuid, published, record.render().serialized())) }
    }

    public func all() -> [Event] { events.withLock { $0.list.count > limit ? Array($0.list.suffix(limit)) : $0.list } }

    /// Persists new events in one transaction (ticker and shutdown).
    public func flush() throws {
        let batch = pending.drain()
        guard !batch.isEmpty, let store else { return }
        try store.appendLogs(batch.map { ($0.uuid, $0.published, $0.text) }, keep: limit)
    }

    public func clear() {
        pending.clear()
        events.withLock {
            $0.list.removeAll()
            $0.strings.removeAll()
            $0.last.removeAll()
        }
        try? store?.clearLogs()
    }
}
