import Foundation
import Testing

@testable import MockOktaCore

/// What the dashboard (`/__mock/ui`) reads: the journal's changes as events, the System Log without an API token,
/// the shipped scenarios, and the admin token as `?token=` on the two paths a browser opens.
@Suite("Dashboard: event stream, logs, scenarios, admin token")
struct DashboardTests {
    static func batch(_ org: TestOrg, after version: Int) -> (body: JSON, version: Int, changed: Bool) {
        let b = org.engine.dashboardEvents(after: version)
        #expect(b.text.hasPrefix("event: journal\ndata: ") && b.text.hasSuffix("\n\n"))
        let data = b.text.dropFirst("event: journal\ndata: ".count).dropLast(2)
        return ((try? JSONParser.parse(String(data))) ?? .null, b.version, b.changed)
    }

    @Test("a new request, then its update, each arrive once; an unchanged journal sends nothing")
    func changesArriveOnce() throws {
        let org = try TestOrg(rateLimits: false)
        let first = Self.batch(org, after: 0)
        #expect(first.body["requests"]?.arrayValue?.count == 0)
        org.send("GET", "/api/v1/users", headers: [org.ssws])
        let second = Self.batch(org, after: first.version)
        let rows = second.body["requests"]?.arrayValue ?? []
        #expect(second.changed && rows.count == 1)
        #expect(rows.first?["path"]?.stringValue == "/api/v1/users" && rows.first?["status"]?.intValue == 200)
        #expect(rows.first?["open"] == .bool(false))
        let third = Self.batch(org, after: second.version)
        #expect(!third.changed && third.body["requests"]?.arrayValue?.isEmpty == true)
        #expect(third.version == second.version)
    }

    @Test("a hung request is open until the server says it ended, and the update is sent")
    func hungRequestCloses() throws {
        let scenario = """
            {"version":1,"name":"h","rules":[{"id":"hang","match":{"path":"/api/v1/groups"},"fault":{"type":"hang"}}]}
            """
        let org = try TestOrg(scenario: scenario, rateLimits: false)
        let start = Self.batch(org, after: 0).version
        let reply = org.send("GET", "/api/v1/groups", headers: [org.ssws])
        let held = Self.batch(org, after: start)
        #expect(held.body["requests"]?.arrayValue?.first?["open"] == .bool(true))
        #expect(held.body["requests"]?.arrayValue?.first?["rule"]?.stringValue == "hang")
        org.engine.requestEnded(id: reply.requestId ?? "", disconnectedAt: org.wall.now(), answered: false)
        let ended = Self.batch(org, after: held.version)
        let row = ended.body["requests"]?.arrayValue?.first
        #expect(row?["open"] == .bool(false) && row?["disconnectedAt"] != .null && row?["status"] == .null)
    }

    @Test("a journal emptied by reset says so, and later batches start over")
    func clearedJournal() throws {
        let org = try TestOrg(rateLimits: false)
        org.send("GET", "/api/v1/users", headers: [org.ssws])
        let before = Self.batch(org, after: 0)
        #expect(before.body["requests"]?.arrayValue?.count == 1)
        org.send("POST", "/__mock/reset")
        let after = Self.batch(org, after: before.version)
        #expect(after.changed && after.body["cleared"] == .bool(true))
        #expect(after.body["requests"]?.arrayValue?.isEmpty == true)
    }

    @Test("many changes are sent in order, 500 at a time, and asking again gets the rest")
    func largeBacklogInPieces() throws {
        let org = try TestOrg(rateLimits: false)
        let start = Self.batch(org, after: 0).version
        for _ in 0..<700 { org.send("GET", "/api/v1/users/nobody", headers: [org.ssws]) }
        let a = org.engine.journal.changes(after: start)
        #expect(a.entries.count == 500)
        let b = org.engine.journal.changes(after: a.version)
        #expect(b.entries.count == 200)
        #expect(Set(a.entries.map(\.id)).isDisjoint(with: b.entries.map(\.id)))
        #expect(org.engine.journal.changes(after: b.version).entries.isEmpty)
    }

    @Test("/__mock/logs filters like /api/v1/logs, newest first, and is never journaled")
    func logsWithoutToken() throws {
        let org = try TestOrg(rateLimits: false)
        org.send("GET", "/api/v1/users", headers: [("authorization", "SSWS wrong")])
        let r = org.send(
            "GET", "/__mock/logs", query: [("filter", "eventType eq \"system.operation.request_denied\"")])
        #expect(r.status == 200)
        let events = r.bodyJSON?.arrayValue ?? []
        #expect(
            !events.isEmpty && events.allSatisfy { $0["eventType"]?.stringValue == "system.operation.request_denied" })
        #expect(org.engine.journal.all().map(\.path) == ["/api/v1/users"])
        #expect(org.send("GET", "/__mock/logs", query: [("limit", "0")]).status == 400)
        #expect(
            org.send("GET", "/__mock/logs", query: [("filter", "eventType zz 1")]).bodyJSON?["errorCode"] == "E0000053")
    }

    @Test("the admin token opens the page and the stream as ?token=, but no other control route")
    func adminTokenInQuery() throws {
        let org = try TestOrg(adminToken: "adm")
        #expect(org.send("GET", "/__mock/ui").status == 401)
        #expect(org.send("GET", "/__mock/ui", query: [("token", "nope")]).status == 401)
        let page = org.send("GET", "/__mock/ui", query: [("token", "adm")])
        #expect(page.status == 200 && page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(String(decoding: page.body, as: UTF8.self).contains("EventSource"))
        #expect(org.send("GET", "/__mock/events", query: [("token", "adm")]).status == 200)
        #expect(org.send("GET", "/__mock/tenant", query: [("token", "adm")]).status == 401)
        #expect(org.send("GET", "/__mock/tenant", headers: [("authorization", "Bearer adm")]).status == 200)
    }

    @Test("/__mock/scenarios lists every shipped scenario with its document, which loads as it is")
    func shippedScenarios() throws {
        let org = try TestOrg(rateLimits: false)
        let list = org.send("GET", "/__mock/scenarios").bodyJSON?.arrayValue ?? []
        #expect(list.count == ShippedScenarios.all.count && !list.isEmpty)
        let doc = list.first { $0["name"]?.stringValue == "429-rate-limit-with-reset" }?["scenario"]
        let loaded = org.send("POST", "/__mock/scenario", body: doc?.serialized() ?? "")
        #expect(loaded.status == 200 && loaded.bodyJSON?["name"]?.stringValue == "429-rate-limit-with-reset")
    }
}
