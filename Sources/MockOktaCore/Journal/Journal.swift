import FoundationEssentials

/// Every request seen (control API excluded), newest `limit` kept, in arrival order.
public final class Journal: Sendable {
    struct State {
        var entries: [JournalEntry] = []
        /// id → seq of the entries not finished yet (in flight, or held by a wire fault): a few at a time, where an
        /// index of every entry cost ~100 bytes per entry. Finished entries are found by a scan from the newest.
        var open: [RequestID: Int] = [:]
        var interner = Interner()
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
            s.entries = older + s.entries
            s.firstSeq = first.seq
        }
    }

    @discardableResult
    public func begin(_ make: (Int) -> JournalEntry) -> JournalEntry {
        state.withLock { s in
            var e = make(s.nextSeq)
            e.intern(&s.interner)
            s.version += 1
            e.version = s.version
            s.entries.append(e)
            if e.finishedAt == nil, let k = e.key { s.open[k] = e.seq }
            s.nextSeq += 1
            if s.entries.count > limit + limit / 10 + 1 {
                let drop = s.entries.count - limit
                for old in s.entries[0..<drop] where old.finishedAt == nil { if let k = old.key { s.open[k] = nil } }
                s.entries.removeFirst(drop)
                s.firstSeq = s.entries.first?.seq ?? s.nextSeq
            }
            return e
        }
    }

    /// Where the entry with this id is in `entries`: from the index of open entries, or by a scan from the newest.
    private static func position(of id: String, in s: State) -> Int? {
        let key = RequestID(id)
        if key.isInline, let seq = s.open[key] {
            let i = seq - s.firstSeq
            return i >= 0 && i < s.entries.count ? i : nil
        }
        return s.entries.lastIndex { $0.has(id: id, key: key) }
    }

    public func update(_ id: String, _ body: (inout JournalEntry) -> Void) {
        let snapshot: JournalEntry? = state.withLock { s in
            guard let i = Journal.position(of: id, in: s) else { return nil }
            body(&s.entries[i])
            s.version += 1
            s.entries[i].version = s.version
            if s.entries[i].finishedAt != nil, let k = s.entries[i].key { s.open[k] = nil }
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
        state.withLock { s in Journal.position(of: id, in: s).map { s.entries[$0] } }
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
            s.open.removeAll()
            s.interner.removeAll()
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
