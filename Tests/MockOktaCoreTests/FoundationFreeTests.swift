import Foundation
import Testing

@testable import MockOktaCore

/// The libraries run on FoundationEssentials alone (issue 15). What replaced Foundation is held here to Foundation's
/// own answers (the tests may import it), and the SQLite store that replaced GRDB to the files GRDB wrote.
@Suite("Without Foundation: string helpers match Foundation, the SQLite store reads GRDB's files")
struct FoundationFreeTests {
    static let samples = [
        "", " ", "\t x \t", "  a b  ", "\n x \n", "\u{00A0}nbsp\u{00A0}", "\u{2003}em\u{3000}", "x", "é",
        " \r\n\tmixed \u{0B}", "a%20b", "%", "%2", "%zz", "%E2%82%AC", "%C3", "%41%42", "+a+", "日本語", "a/b?c=d&e",
        "100%", "%%41",
    ]

    @Test("trimming matches Foundation's .whitespaces and .whitespacesAndNewlines")
    func trimming() {
        for s in Self.samples {
            #expect(s.trimmingWhitespace() == s.trimmingCharacters(in: .whitespaces), "\(s.debugDescription)")
            #expect(
                s.trimmingWhitespaceAndNewlines() == s.trimmingCharacters(in: .whitespacesAndNewlines),
                "\(s.debugDescription)")
        }
    }

    @Test("percent-decoding matches Foundation's removingPercentEncoding, nil where it is nil")
    func percentDecoding() {
        for s in Self.samples { #expect(s.percentDecoded == s.removingPercentEncoding, "\(s.debugDescription)") }
    }

    @Test("percent-encoding matches Foundation's for an ASCII allowed set (non-ASCII is always escaped)")
    func percentEncoding() {
        var allowed = CharacterSet()
        allowed.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        for s in Self.samples {
            #expect(s.percentEncoded(keeping: "-._~") == s.addingPercentEncoding(withAllowedCharacters: allowed))
        }
        #expect("a b&c=é".percentEncoded(keeping: "") == "a%20b%26c%3D%C3%A9")
    }

    @Test("fixed-point and padded numbers match String(format:)")
    func formatting() {
        let values: [Double] = [0, 0.004, 0.005, 0.015, 0.25, 1, 1.5, 2.675, 9.995, 12.345, 123456.789, 0.9999]
        for v in values {
            for digits in [1, 2] {
                let expected = String(format: "%.\(digits)f", v)
                // printf rounds the binary value; both agree away from exact ties in decimal.
                if abs(v * pow(10, Double(digits)) - (v * pow(10, Double(digits))).rounded(.down) - 0.5) > 1e-9 {
                    #expect(Format.fixed(v, digits: digits) == expected, "\(v) \(digits)")
                }
            }
        }
        for n in [0, 7, 42, 999_999, 1_000_000] {
            #expect(Format.zeroPadded(n, width: 6) == String(format: "%06d", n))
        }
        for u: UInt32 in [0, 0x1f, 0xabc, 0xffff] { #expect(Format.hex4(u) == String(format: "%04x", u)) }
    }

    @Test("uniqued keeps the first of each, in order")
    func uniqued() {
        #expect(["b", "a", "b", "c", "a"].uniqued() == ["b", "a", "c"])
    }

    @Test("a --db file written by GRDB (versions before 2026-12-03) opens as it is, its rows intact")
    func grdbFileOpens() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mo-grdb-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            // What GRDB's DatabaseMigrator left: its own table of applied migrations, then ours (Store.swift v1).
            let c = try SQLiteConnection(path: path, busyTimeoutMs: 0)
            try c.execute("CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try c.execute(Store.migrations[0].sql)
            try c.run("INSERT INTO grdb_migrations (identifier) VALUES (?)", .text(Store.migrations[0].id))
            try c.run(
                "INSERT INTO entities(kind, id, json) VALUES (?, ?, ?)", .text("user"), .text("00u1"), .text("{}"))
            try c.run("INSERT INTO meta(key, value) VALUES (?, ?)", .text("generation"), .text("7"))
        }
        let store = try Store(path: path)
        #expect(try store.appliedMigrations() == [Store.migrations[0].id])
        #expect(store.all(kind: "user") == ["{}"])
        #expect(store.meta("generation") == "7")
    }

    @Test("without --db SQLite stays closed (nothing is read back), with --db it is open from the start")
    func memoryStoreStaysClosed() throws {
        let org = try TestOrg()
        #expect(org.send("GET", "/oauth2/default/v1/keys").status == 200)
        #expect(
            org.send("POST", "/api/v1/groups", headers: [org.ssws], body: "{\"profile\":{\"name\":\"g\"}}").status
                == 200)
        #expect(!org.engine.store.isOpen)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mo-open-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try TestOrg(dbPath: path)
        #expect(file.engine.store.isOpen)
        // A :memory: store used directly still works: it opens on first use.
        let store = try Store()
        #expect(!store.isOpen)
        try store.setMeta("k", "v")
        #expect(store.isOpen && store.meta("k") == "v")
    }

    @Test("a write that throws midway leaves nothing behind (one transaction)")
    func transactionRollsBack() throws {
        let store = try Store()
        try store.put(kind: "user", id: "00u1", json: "{\"a\":1}")
        struct Boom: Error {}
        #expect(throws: Store.StoreError.self) {
            try store.write { c in
                try c.run(
                    "INSERT INTO entities(kind, id, json) VALUES (?, ?, ?)", .text("user"), .text("00u2"), .text("{}"))
                throw Boom()
            }
        }
        #expect(store.all(kind: "user") == ["{\"a\":1}"])
        // Text with quotes, NUL-free UTF-8 and numbers round-trip through the bindings.
        try store.put(kind: "group", id: "00g'1", json: "{\"name\":\"O'Brien 日本\"}")
        #expect(store.all(kind: "group") == ["{\"name\":\"O'Brien 日本\"}"])
        try store.appendLogs([("u1", 1.5, "{}"), ("u2", 2.5, "{}"), ("u3", 3.5, "{}")], keep: 2)
        #expect(store.logs(limit: 10).count == 2)
    }
}
