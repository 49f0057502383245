import Foundation

public struct AuthIdentity: Sendable, Equatable {
    public var kind: String = "none"  // SSWS | Bearer | Basic | none (DPoP counts as Bearer)
    public var tokenId: String?
    public var clientId: String?
    public var userId: String?

    public var json: JSON {
        ["kind": .string(kind), "tokenId": JSON(tokenId), "clientId": JSON(clientId), "userId": JSON(userId)]
    }

    /// Who the caller is, for "same caller" in retry detection.
    public var callerKey: String { "\(kind)|\(tokenId ?? "")|\(clientId ?? "")|\(userId ?? "")" }
}

public struct JournalEntry: Sendable {
    public var seq: Int
    public var id: String
    public var receivedAt: Double
    public var finishedAt: Double?
    public var disconnectedAt: Double?
    public var method: String
    public var path: String
    public var route: String?
    public var query: [(String, String)]
    public var status: Int?
    public var auth: AuthIdentity
    public var retryFor: String?
    public var retryCount: Int?
    public var rule: String?
    public var fault: String?
    public var headers: [(String, String)]
    /// Seconds until the rate-limit reset we told the client (429s), for verdicts.
    public var resetAt: Double?
    public var dateSent: Double?
    /// X-Rate-Limit-Reset − Date of a 429, as an SDK computes its wait (nil without a Date header).
    public var resetDistance: Double? = nil
    public var tokenError: String?
    /// Bumped on every change, so the dashboard's event stream sends only what changed.
    public internal(set) var version = 0

    public var json: JSON {
        func ms(_ t: Double?) -> JSON { t.map { .number(($0 * 1000).rounded()) } ?? .null }
        return [
            "id": .string(id), "receivedAt": ms(receivedAt), "finishedAt": ms(finishedAt),
            "disconnectedAt": ms(disconnectedAt), "method": .string(method), "path": .string(path),
            "route": JSON(route),
            "query": .object(query.map { ($0.0, .string($0.1)) }),
            "status": status.map { .number(Double($0)) } ?? .null,
            "auth": auth.json, "retryFor": JSON(retryFor), "retryCount": retryCount.map { JSON($0) } ?? .null,
            "rule": JSON(rule), "fault": JSON(fault),
            "headers": .object(headers.map { ($0.0, .string($0.1)) }),
            "rateLimitReset": resetAt.map { .number($0) } ?? .null,
        ]
    }
}

extension JournalEntry {
    /// Reads back an entry as `json` wrote it (a `--db` journal after a restart).
    init?(json j: JSON, seq: Int) {
        guard let id = j["id"]?.stringValue, let method = j["method"]?.stringValue, let path = j["path"]?.stringValue,
            let received = j["receivedAt"]?.doubleValue
        else { return nil }
        func secs(_ k: String) -> Double? { j[k]?.doubleValue.map { $0 / 1000 } }
        func pairs(_ k: String) -> [(String, String)] {
            (j[k]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? "") }
        }
        let a = j["auth"]
        self.init(
            seq: seq, id: id, receivedAt: received / 1000, finishedAt: secs("finishedAt"),
            disconnectedAt: secs("disconnectedAt"),
            method: method, path: path, route: j["route"]?.stringValue, query: pairs("query"),
            status: j["status"]?.intValue,
            auth: AuthIdentity(
                kind: a?["kind"]?.stringValue ?? "none", tokenId: a?["tokenId"]?.stringValue,
                clientId: a?["clientId"]?.stringValue, userId: a?["userId"]?.stringValue),
            retryFor: j["retryFor"]?.stringValue, retryCount: j["retryCount"]?.intValue, rule: j["rule"]?.stringValue,
            fault: j["fault"]?.stringValue, headers: pairs("headers"), resetAt: j["rateLimitReset"]?.doubleValue,
            dateSent: nil,
            tokenError: nil)
    }
}

/// Every request seen (control API excluded), newest `limit` kept, in arrival order.
public final class Journal: Sendable {
    struct State {
        var entries: [JournalEntry] = []
        var index: [String: Int] = [:]  // id → seq
        var firstSeq = 0
        var nextSeq = 0
        var epochSeq = 0  // entries at or after this seq are judged by verify
        var version = 1  // every begin and update takes the next one (0 is a first call: see `changes`)
        var clearedAt = 0  // the version at the last clear (the dashboard starts over)
    }
    private let state = Mutex(State())
    private let pending = WriteBehind<JournalEntry>()
    public let limit: Int
    let store: Store?

    public init(limit: Int, store: Store?) {
        self.limit = max(1, limit)
        self.store = store
    }

    /// With --db the journal outlives the process: reads the stored entries back and puts them before
    /// everything seen since start (negative sequence numbers, so judging still starts after them).
    /// Runs off the start-up path; a large journal never delays readiness.
    public func restore() {
        guard let store else { return }
        let rows = store.journal(limit: limit)
        let loaded = rows.enumerated().compactMap { (i, text) in
            (try? JSONParser.parse(text)).flatMap { JournalEntry(json: $0, seq: i - rows.count) }
        }
        state.withLock { s in
            let known = Set(s.entries.map(\.id))
            let older = loaded.filter { !known.contains($0.id) }
            guard let first = older.first else { return }
            for e in older { s.index[e.id] = e.seq }
            s.entries = older + s.entries
            s.firstSeq = first.seq
        }
    }

    @discardableResult
    public func begin(_ make: (Int) -> JournalEntry) -> JournalEntry {
        state.withLock { s in
            var e = make(s.nextSeq)
            s.version += 1
            e.version = s.version
            s.entries.append(e)
            s.index[e.id] = e.seq
            s.nextSeq += 1
            if s.entries.count > limit + limit / 10 + 1 {
                let drop = s.entries.count - limit
                for old in s.entries[0..<drop] { s.index[old.id] = nil }
                s.entries.removeFirst(drop)
                s.firstSeq = s.entries.first?.seq ?? s.nextSeq
            }
            return e
        }
    }

    public func update(_ id: String, _ body: (inout JournalEntry) -> Void) {
        let snapshot: JournalEntry? = state.withLock { s in
            guard let seq = s.index[id], seq >= s.firstSeq else { return nil }
            let i = seq - s.firstSeq
            guard i < s.entries.count else { return nil }
            body(&s.entries[i])
            s.version += 1
            s.entries[i].version = s.version
            return s.entries[i]
        }
        if let e = snapshot, e.finishedAt != nil, store != nil { pending.append(e) }
    }

    /// Writes finished entries to SQLite in one transaction (the server's ticker and shutdown call it).
    public func flush() throws {
        let batch = pending.drain()
        guard !batch.isEmpty, let store else { return }
        try store.upsertJournal(batch.map { ($0.id, $0.json.serialized()) }, limit: limit)
    }

    public func entry(_ id: String) -> JournalEntry? {
        state.withLock { s in
            guard let seq = s.index[id], seq >= s.firstSeq, seq - s.firstSeq < s.entries.count else { return nil }
            return s.entries[seq - s.firstSeq]
        }
    }

    /// Entries in arrival order, newest `limit` only (`--journal-limit`).
    public func all(sinceEpoch: Bool = false) -> [JournalEntry] {
        state.withLock { s in
            let list = s.entries.count > limit ? Array(s.entries.suffix(limit)) : s.entries
            return sinceEpoch ? list.filter { $0.seq >= s.epochSeq } : list
        }
    }

    public func clear() {
        state.withLock { s in
            s.entries.removeAll()
            s.index.removeAll()
            s.firstSeq = s.nextSeq
            s.epochSeq = s.nextSeq
            s.version += 1
            s.clearedAt = s.version
        }
        pending.clear()
        try? store?.clearJournal()
    }

    /// What changed after `version`, for the dashboard's event stream. A first call (version 0) or one after the
    /// journal was emptied gets the newest `limit` entries and the current version. Later calls get the changed
    /// entries (new and updated) in the order they changed, at most `limit`, and the version of the last one
    /// sent, so a caller that asks again at once gets the rest.
    public func changes(after version: Int, limit: Int = 500) -> (entries: [JournalEntry], version: Int, cleared: Bool)
    {
        state.withLock { s in
            let cleared = version < s.clearedAt
            if version == 0 || cleared {
                return (Array(s.entries.suffix(limit)), s.version, cleared)
            }
            let changed = s.entries.filter { $0.version > version }.sorted { $0.version < $1.version }
            let sent = Array(changed.prefix(limit))
            return (sent, sent.count < changed.count ? (sent.last?.version ?? s.version) : s.version, false)
        }
    }

    /// Start a new judging epoch (scenario loaded).
    public func markEpoch() { state.withLock { $0.epochSeq = $0.nextSeq } }
}
