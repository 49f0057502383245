#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SQLite persistence for tenant state, keys, the journal and the System Log.
/// `:memory:` by default; a file survives restarts. Schema changes are versioned migrations.
public final class Store: Sendable {
    /// Opened at once for a file (so a file that can't be used fails at start), on first use for `:memory:`: a
    /// server without `--db` writes nothing there until a test or tool asks, and skipping SQLite at start saves
    /// its pages and migrations (issue 15).
    private let connection: Mutex<SQLiteConnection?>
    public let path: String
    /// Held for the life of the store: a second server on the same file is refused, not allowed to race.
    private let lockFD: Int32

    /// Why a `--db` file can't be used or written.
    public enum StoreError: Error, CustomStringConvertible {
        case inUse(String)
        case writeFailed(String)
        public var description: String {
            switch self {
            case .inUse(let p):
                return "the database \(p) is in use by another mock-okta server; stop it or pick another --db file"
            case .writeFailed(let why): return "could not save to the database: \(why)"
            }
        }
    }

    public init(path: String = ":memory:") throws {
        self.path = path
        if path != ":memory:" {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw StoreError.writeFailed("cannot open \(path): \(String(cString: strerror(errno)))")
            }
            // flock is independent of SQLite's own fcntl locks, so it cannot interfere with them.
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                throw StoreError.inUse(path)
            }
            lockFD = fd
        } else {
            lockFD = -1
        }
        guard path != ":memory:" else {
            connection = Mutex(nil)
            return
        }
        do {
            connection = Mutex(try Store.openConnection(path))
        } catch {
            if lockFD >= 0 { close(lockFD) }
            throw StoreError.writeFailed("cannot open \(path): \(error)")
        }
    }

    /// A connection with the schema migrated. Another process holding SQLite's write lock (a sqlite3 shell, a
    /// backup) gets a second to let go; after that the write fails and the request that caused it gets a 500, never a
    /// silent 200.
    private static func openConnection(_ path: String) throws -> SQLiteConnection {
        let c = try SQLiteConnection(path: path, busyTimeoutMs: 1000)
        if path != ":memory:" { try c.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") }
        try Store.migrate(c)
        return c
    }

    /// Whether SQLite has been opened (a `:memory:` store opens on first use).
    var isOpen: Bool { connection.withLock { $0 != nil } }

    /// Runs `body` on the connection, opening it first if this is a `:memory:` store's first use.
    private func withConnection<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.withLock { c in
            if let c { return try body(c) }
            let opened = try Store.openConnection(path)
            c = opened
            return try body(opened)
        }
    }

    deinit { if lockFD >= 0 { close(lockFD) } }

    /// Whether the tenant's rows are written here: only to a file. A `:memory:` store is never read back (a new
    /// process starts a new one), so the tenant lives in memory only, once.
    public var keepsTenant: Bool { path != ":memory:" }

    /// Runs a write transaction; a failure comes back as `StoreError.writeFailed`.
    func write(_ body: (SQLiteConnection) throws -> Void) throws {
        do {
            try withConnection { c in try c.transaction { try body(c) } }
        } catch {
            throw StoreError.writeFailed("\(error)")
        }
    }

    /// A query's first column (nil when it fails: reads are of rows this process wrote).
    private func read(_ sql: String, _ values: SQLValue...) -> [String]? {
        try? withConnection { c in try c.texts(sql, values) }
    }

    /// The schema's versions, oldest first. Applied ones are listed in `grdb_migrations`, the table GRDB kept them
    /// in, so databases written by earlier versions open as they are.
    static let migrations: [(id: String, sql: String)] = [
        (
            "v1: entities, meta, journal, system log",
            """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE entities (
                kind TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id));
            CREATE TABLE journal (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, json TEXT NOT NULL);
            CREATE TABLE system_log (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL, published REAL NOT NULL,
                json TEXT NOT NULL);
            """
        )
    ]

    /// Applies each migration not yet applied, each in its own transaction.
    static func migrate(_ c: SQLiteConnection) throws {
        try c.execute("CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        let applied = Set(try c.texts("SELECT identifier FROM grdb_migrations"))
        for m in migrations where !applied.contains(m.id) {
            try c.transaction {
                try c.execute(m.sql)
                try c.run("INSERT INTO grdb_migrations (identifier) VALUES (?)", .text(m.id))
            }
        }
    }

    /// Schema version applied, for diagnostics and tests.
    public func appliedMigrations() throws -> [String] {
        let applied = Set(try withConnection { try $0.texts("SELECT identifier FROM grdb_migrations") })
        return Store.migrations.map(\.id).filter(applied.contains)
    }

    public func meta(_ key: String) -> String? {
        read("SELECT value FROM meta WHERE key = ?", .text(key))?.first
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try write { try $0.run("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", .text(key), .text(value)) }
    }

    public func put(kind: String, id: String, json: String) throws {
        try apply(puts: [(kind, id, json)], deletes: [])
    }

    public func apply(puts: [(String, String, String)], deletes: [(String, String)]) throws {
        guard !puts.isEmpty || !deletes.isEmpty else { return }
        try write { c in
            try c.run("DELETE FROM entities WHERE kind = ? AND id = ?", deletes.map { [.text($0.0), .text($0.1)] })
            try c.run(
                "INSERT OR REPLACE INTO entities(kind, id, json) VALUES (?, ?, ?)",
                puts.map { [.text($0.0), .text($0.1), .text($0.2)] })
        }
    }

    public func all(kind: String) -> [String] {
        read("SELECT json FROM entities WHERE kind = ? ORDER BY id", .text(kind)) ?? []
    }

    /// Replaces every entity at once (reset to baseline, first start).
    public func replaceAll(_ rows: [(String, String, String)]) throws {
        try write { c in
            try c.execute("DELETE FROM entities")
            try c.run(
                "INSERT INTO entities(kind, id, json) VALUES (?, ?, ?)",
                rows.map { [.text($0.0), .text($0.1), .text($0.2)] })
        }
    }

    // MARK: journal

    public func upsertJournal(_ rows: [(String, String)], limit: Int) throws {
        try write { c in
            try c.run(
                "INSERT INTO journal(id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json",
                rows.map { [.text($0.0), .text($0.1)] })
            try Store.trim(c, "journal", keep: limit)
        }
    }

    public func journal(limit: Int) -> [String] { newest("journal", limit: limit) }

    public func clearJournal() throws { try write { try $0.execute("DELETE FROM journal") } }

    // MARK: system log

    public func appendLogs(_ rows: [(String, Double, String)], keep: Int) throws {
        try write { c in
            try c.run(
                "INSERT INTO system_log(uuid, published, json) VALUES (?, ?, ?)",
                rows.map { [.text($0.0), .double($0.1), .text($0.2)] })
            try Store.trim(c, "system_log", keep: keep)
        }
    }

    public func logs(limit: Int) -> [String] { newest("system_log", limit: limit) }

    // MARK: the two capped logs (journal, system_log: fixed table names, never input)

    /// The newest `limit` rows' JSON, oldest first.
    private func newest(_ table: String, limit: Int) -> [String] {
        read(
            "SELECT json FROM (SELECT seq, json FROM \(table) ORDER BY seq DESC LIMIT ?) ORDER BY seq",
            .int(Int64(limit))) ?? []
    }

    /// Keeps the newest `keep` rows.
    private static func trim(_ c: SQLiteConnection, _ table: String, keep: Int) throws {
        try c.run("DELETE FROM \(table) WHERE seq <= (SELECT MAX(seq) FROM \(table)) - ?", .int(Int64(keep)))
    }

    public func clearLogs() throws { try write { try $0.execute("DELETE FROM system_log") } }
}
