import Foundation
import GRDB

/// SQLite persistence for tenant state, keys, the journal and the System Log.
/// `:memory:` by default; a file survives restarts. Schema changes are versioned migrations.
public final class Store: Sendable {
    let db: DatabaseQueue
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
        var config = Configuration()
        // Another process holding SQLite's write lock (a sqlite3 shell, a backup) gets a second to let go;
        // after that the write fails and the request that caused it gets a 500, never a silent 200.
        config.busyMode = .timeout(1)
        config.prepareDatabase { db in
            if path != ":memory:" {
                try db.execute(sql: "PRAGMA journal_mode=WAL")
                try db.execute(sql: "PRAGMA synchronous=NORMAL")
            }
        }
        db =
            path == ":memory:"
            ? try DatabaseQueue(configuration: config) : try DatabaseQueue(path: path, configuration: config)
        try Store.migrator.migrate(db)
    }

    deinit { if lockFD >= 0 { close(lockFD) } }

    /// Whether the tenant's rows are written here: only to a file. A `:memory:` store is never read back (a new
    /// process starts a new one), so the tenant lives in memory only, once.
    public var keepsTenant: Bool { path != ":memory:" }

    /// Runs a write transaction; a failure comes back as `StoreError.writeFailed`.
    func write(_ body: (Database) throws -> Void) throws {
        do { try db.write(body) } catch { throw StoreError.writeFailed("\(error)") }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: entities, meta, journal, system log") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE entities (
                        kind TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id));
                    CREATE TABLE journal (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, json TEXT NOT NULL);
                    CREATE TABLE system_log (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL, published REAL NOT NULL,
                        json TEXT NOT NULL);
                    """)
        }
        return m
    }

    /// Schema version applied, for diagnostics and tests.
    public func appliedMigrations() throws -> [String] {
        try db.read { try Store.migrator.appliedMigrations($0) }
    }

    public func meta(_ key: String) -> String? {
        try? db.read { try String.fetchOne($0, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try write {
            try $0.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }

    public func put(kind: String, id: String, json: String) throws {
        try write {
            try $0.execute(
                sql: "INSERT OR REPLACE INTO entities(kind, id, json) VALUES (?, ?, ?)", arguments: [kind, id, json])
        }
    }

    public func apply(puts: [(String, String, String)], deletes: [(String, String)]) throws {
        guard !puts.isEmpty || !deletes.isEmpty else { return }
        try write { db in
            for (k, i) in deletes {
                try db.execute(sql: "DELETE FROM entities WHERE kind = ? AND id = ?", arguments: [k, i])
            }
            for (k, i, j) in puts {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO entities(kind, id, json) VALUES (?, ?, ?)", arguments: [k, i, j])
            }
        }
    }

    public func all(kind: String) -> [String] {
        (try? db.read {
            try String.fetchAll($0, sql: "SELECT json FROM entities WHERE kind = ? ORDER BY id", arguments: [kind])
        }) ?? []
    }

    /// Replaces every entity at once (reset to baseline, first start).
    public func replaceAll(_ rows: [(String, String, String)]) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM entities")
            let stmt = try db.makeStatement(sql: "INSERT INTO entities(kind, id, json) VALUES (?, ?, ?)")
            for (k, i, j) in rows { try stmt.execute(arguments: [k, i, j]) }
        }
    }

    // MARK: journal

    public func upsertJournal(_ rows: [(String, String)], limit: Int) throws {
        try write { db in
            let stmt = try db.makeStatement(
                sql: "INSERT INTO journal(id, json) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json")
            for (id, json) in rows { try stmt.execute(arguments: [id, json]) }
            try Store.trim(db, "journal", keep: limit)
        }
    }

    public func journal(limit: Int) -> [String] { newest("journal", limit: limit) }

    public func clearJournal() throws { try write { try $0.execute(sql: "DELETE FROM journal") } }

    // MARK: system log

    public func appendLogs(_ rows: [(String, Double, String)], keep: Int) throws {
        try write { db in
            let stmt = try db.makeStatement(sql: "INSERT INTO system_log(uuid, published, json) VALUES (?, ?, ?)")
            for (u, p, j) in rows { try stmt.execute(arguments: [u, p, j]) }
            try Store.trim(db, "system_log", keep: keep)
        }
    }

    public func logs(limit: Int) -> [String] { newest("system_log", limit: limit) }

    // MARK: the two capped logs (journal, system_log: fixed table names, never input)

    /// The newest `limit` rows' JSON, oldest first.
    private func newest(_ table: String, limit: Int) -> [String] {
        (try? db.read {
            try String.fetchAll(
                $0, sql: "SELECT json FROM (SELECT seq, json FROM \(table) ORDER BY seq DESC LIMIT ?) ORDER BY seq",
                arguments: [limit])
        }) ?? []
    }

    /// Keeps the newest `keep` rows.
    private static func trim(_ db: Database, _ table: String, keep: Int) throws {
        try db.execute(sql: "DELETE FROM \(table) WHERE seq <= (SELECT MAX(seq) FROM \(table)) - ?", arguments: [keep])
    }

    public func clearLogs() throws { try write { try $0.execute(sql: "DELETE FROM system_log") } }
}
