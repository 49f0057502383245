import CSQLite

/// A value bound to a statement's `?` placeholder.
enum SQLValue {
    case text(String)
    case int(Int64)
    case double(Double)
}

/// An SQLite result code with SQLite's message.
struct SQLiteError: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { "SQLite error \(code): \(message)" }
}

/// One connection to the system SQLite (`:memory:` or a file), used by one caller at a time: `Store` holds it under
/// its lock. A few calls over the C API are all the store needs (GRDB brought the whole of Foundation and ICU into
/// the process: ~4 ms of every start and ~7 MiB, issue 15).
final class SQLiteConnection {
    private let handle: OpaquePointer

    /// Opens (or creates) the database; a write that finds the database locked waits up to `busyTimeoutMs`.
    init(path: String, busyTimeoutMs: Int32) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message)
        }
        handle = db
        sqlite3_busy_timeout(db, busyTimeoutMs)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements without parameters.
    func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil))
    }

    /// Runs one statement once per row of `rows`, each row's values bound to its placeholders in order.
    func run(_ sql: String, _ rows: [[SQLValue]]) throws {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        for row in rows {
            try bind(statement, row)
            try step(statement)
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
    }

    /// Runs one statement once with `values` bound.
    func run(_ sql: String, _ values: SQLValue...) throws { try run(sql, [values]) }

    /// The first column of every row of a query, as text.
    func texts(_ sql: String, _ values: SQLValue...) throws -> [String] { try texts(sql, values) }

    /// The first column of every row of a query, as text.
    func texts(_ sql: String, _ values: [SQLValue]) throws -> [String] {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        try bind(statement, values)
        var out: [String] = []
        while try step(statement) {
            out.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "")
        }
        return out
    }

    /// Runs `body` in a transaction that takes the write lock at once: committed if `body` returns, rolled back if
    /// it (or the commit) throws.
    func transaction(_ body: () throws -> Void) throws {
        try execute("BEGIN IMMEDIATE")
        do {
            try body()
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil))
        guard let statement else { throw SQLiteError(code: SQLITE_MISUSE, message: "empty statement: \(sql)") }
        return statement
    }

    private func bind(_ statement: OpaquePointer, _ values: [SQLValue]) throws {
        // SQLITE_TRANSIENT: SQLite copies the text before the call returns.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case .text(let s): try check(sqlite3_bind_text(statement, index, s, -1, transient))
            case .int(let n): try check(sqlite3_bind_int64(statement, index, n))
            case .double(let d): try check(sqlite3_bind_double(statement, index, d))
            }
        }
    }

    /// One step: true when a row is ready, false when the statement is done.
    @discardableResult
    private func step(_ statement: OpaquePointer) throws -> Bool {
        let rc = sqlite3_step(statement)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)))
    }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle))) }
    }
}
