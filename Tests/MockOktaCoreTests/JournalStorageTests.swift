import Foundation
import Testing

@testable import MockOktaCore

/// The journal and System Log keep their entries compactly (issue 15); what they give back must not change.
@Suite("Journal and System Log storage: compact entries read and write as plain values")
struct JournalStorageTests {
    static func entry(id: String, seq: Int = 0) -> JournalEntry {
        JournalEntry(
            seq: seq, id: id, receivedAt: 10.5, finishedAt: nil, disconnectedAt: nil, method: "GET",
            path: "/api/v1/users/00u1", route: "/api/v1/users/{id}", query: [], status: nil,
            auth: AuthIdentity(kind: "SSWS", tokenId: "00T1", clientId: nil, userId: "00u9"), retryFor: nil,
            retryCount: nil, rule: nil, fault: nil, headers: [("user-agent", "okta-sdk-python/3.4.6")], resetAt: nil,
            dateSent: nil, tokenError: nil)
    }

    @Test("every optional field reads back what was written, and nil again after it is cleared")
    func optionalFieldsRoundTrip() {
        var e = Self.entry(id: "aoeoE83AklCy610USsPzopc8j1S")
        #expect(e.id == "aoeoE83AklCy610USsPzopc8j1S")
        #expect(e.status == nil && e.finishedAt == nil && e.dateSent == nil && e.disconnectedAt == nil)
        #expect(e.rule == nil && e.fault == nil && e.retryFor == nil && e.retryCount == nil && e.query.isEmpty)
        e.status = 429
        e.finishedAt = 11.25
        e.dateSent = 11
        e.disconnectedAt = 12
        e.rule = "r1"
        e.fault = "rateLimit"
        e.retryFor = "abc"
        e.retryCount = 2
        e.resetAt = 70
        e.resetDistance = 59
        e.tokenError = "expired"
        e.query = [("limit", "200")]
        let copy = e
        #expect(e.status == 429 && e.finishedAt == 11.25 && e.dateSent == 11 && e.disconnectedAt == 12)
        #expect(e.rule == "r1" && e.fault == "rateLimit" && e.retryFor == "abc" && e.retryCount == 2)
        #expect(e.resetAt == 70 && e.resetDistance == 59 && e.tokenError == "expired")
        #expect(e.query.count == 1 && e.query[0] == ("limit", "200"))
        e.rule = nil
        e.status = nil
        e.finishedAt = nil
        #expect(e.rule == nil && e.status == nil && e.finishedAt == nil && e.fault == "rateLimit")
        // A copy taken before the change keeps its values (the shared box is never changed in place).
        #expect(copy.rule == "r1" && copy.status == 429 && copy.finishedAt == 11.25)
        #expect(e.id == "aoeoE83AklCy610USsPzopc8j1S")
    }

    @Test("ids of any length and non-ASCII ids come back unchanged")
    func idsOfAnyShape() {
        for id in ["", "x", String(repeating: "a", count: 31), String(repeating: "b", count: 32), "ü-request-ïd"] {
            #expect(Self.entry(id: id).id == id)
        }
    }

    @Test("the journal finds and updates entries by id; interned values equal what was sent")
    func journalUpdatesAndInterns() {
        let journal = Journal(limit: 10, store: nil)
        for i in 0..<25 {
            journal.begin { seq in Self.entry(id: "req\(i)-" + String(repeating: "z", count: 20), seq: seq) }
        }
        let all = journal.all()
        #expect(all.count == 10)
        #expect(all.first?.id == "req15-" + String(repeating: "z", count: 20))
        let id = "req20-" + String(repeating: "z", count: 20)
        journal.update(id) { $0.status = 503 }
        #expect(journal.entry(id)?.status == 503)
        #expect(journal.entry("req3-" + String(repeating: "z", count: 20)) == nil)  // trimmed
        let e = journal.entry(id)
        #expect(e?.path == "/api/v1/users/00u1")
        #expect(e?.auth == AuthIdentity(kind: "SSWS", tokenId: "00T1", clientId: nil, userId: "00u9"))
        #expect(e?.headers.first?.1 == "okta-sdk-python/3.4.6")
        #expect(e?.json["auth"]?["userId"] == "00u9")
        // Finished entries leave the index of open ones and are still found and updated (by a scan).
        journal.update(id) { $0.finishedAt = 12 }
        journal.update(id) { $0.disconnectedAt = 13 }
        #expect(journal.entry(id)?.disconnectedAt == 13 && journal.entry(id)?.status == 503)
        let long = "an-id-longer-than-thirty-one-characters"
        journal.begin { seq in Self.entry(id: long, seq: seq) }
        journal.update(long) { $0.status = 201 }
        #expect(journal.entry(long)?.status == 201)
        #expect(journal.entry("unknown") == nil)
    }

    @Test("a System Log event is served exactly as written; filters on indexed and other fields agree")
    func systemLogEvents() throws {
        let log = SystemLog(store: nil)
        let actor = SystemLog.Actor(id: "00u1", type: "User", alternateId: "a@example.com", displayName: "A")
        let target = SystemLog.Actor(id: "0oa2", type: "AppInstance", alternateId: "app", displayName: "App")
        log.write(
            uuid: "6f1e0e4a-0000-4000-8000-000000000001", published: 1_796_000_000, eventType: "user.session.start",
            displayMessage: "User login to Okta", actor: actor, targets: [target], result: "SUCCESS", context: nil)
        let event = try #require(log.all().first)
        let json = event.json
        #expect(json["uuid"] == "6f1e0e4a-0000-4000-8000-000000000001")
        #expect(json["published"] == "2026-11-30T00:53:20.000Z")
        #expect(json["client"]?["ipAddress"] == "127.0.0.1")
        #expect(json["displayMessage_"] == nil && json["legacy"] == nil)
        #expect(String(decoding: event.text, as: UTF8.self) == json.serialized())
        let lookup = event.lookup()
        #expect(lookup("eventType") == "user.session.start")
        #expect(lookup("outcome.result") == "SUCCESS")
        #expect(lookup("actor.id") == "00u1")
        #expect(lookup("actor.alternateId") == "a@example.com")
        #expect(lookup("target.id") == "0oa2")
        #expect(lookup("client.ipAddress") == "127.0.0.1")
    }

    @Test("events of one type share their debug list and targets, yet each renders its own uuid, request id, values")
    func sharedEventParts() throws {
        let log = SystemLog(store: nil)
        let app = SystemLog.Actor(id: "0oa1", type: "PublicClientApp", alternateId: "0oa1", displayName: "Svc")
        let ids = RandomSource(seed: 3, purpose: "uuids")
        var written: [(uuid: String, requestId: String, scope: String)] = []
        for i in 0..<6 {
            let uuid = i == 5 ? "6F1E0E4A-0000-4000-8000-00000000000F" : ids.uuid()  // uppercase: kept as text
            let requestId = i == 4 ? String(repeating: "r", count: 40) : "req\(i)" + String(repeating: "x", count: 23)
            let scope = i < 3 ? "api.read" : "api.write"
            written.append((uuid, requestId, scope))
            log.write(
                uuid: uuid, published: 1_796_000_000, eventType: "app.oauth2.as.token.grant.access_token",
                displayMessage: "OAuth 2.0 access token is granted", actor: app, targets: [app], result: "SUCCESS",
                context: .init(
                    requestId: requestId, requestURI: "/oauth2/default/v1/token", ipAddress: "127.0.0.1",
                    userAgent: "test"),
                extraDebug: [("grantedScopes", .string(scope)), ("grantType", "client_credentials")])
        }
        let events = log.all()
        #expect(events.count == 6)
        for (event, w) in zip(events, written) {
            let json = event.json
            #expect(json["uuid"]?.stringValue == w.uuid)
            #expect(json["transaction"]?["id"]?.stringValue == w.requestId)
            let debug = json["debugContext"]?["debugData"]
            #expect(debug?["requestId"]?.stringValue == w.requestId)
            #expect(debug?["grantedScopes"]?.stringValue == w.scope)
            #expect(debug?["grantType"] == "client_credentials")
            #expect(json["target"]?.arrayValue?.first?["id"] == "0oa1")
        }
        #expect(Set(written.map(\.uuid)).count == 6)
    }

    @Test("recent mints: the newest time of a jti, nothing once it left the ring, and the same-second order")
    func recentMints() {
        let m = RecentMints(capacity: 4)
        #expect(m.time(of: "a") == nil)
        m.record("a", at: 10.1)
        m.record("b", at: 10.2)
        #expect(m.time(of: "a") == 10.1 && m.time(of: "b") == 10.2)
        m.record("a", at: 10.3)  // the same jti again: its newest time counts
        #expect(m.time(of: "a") == 10.3)
        for (i, jti) in ["c", "d", "e"].enumerated() { m.record(jti, at: 11 + Double(i)) }
        #expect(m.time(of: "b") == nil)  // pushed out: a, c, d, e remain
        #expect(m.time(of: "a") == 10.3 && m.time(of: "e") == 13)
        // A cutoff at 10.25: "a" (10.3) came after it; "b", forgotten, counts as before (never let through).
        #expect(!m.mintedBefore(10.25, iat: 10, jti: "a"))
        #expect(m.mintedBefore(10.25, iat: 10, jti: "b"))
        #expect(m.mintedBefore(10.25, iat: 9, jti: "e") && !m.mintedBefore(10.25, iat: 11, jti: "e"))
    }
}
