import Dispatch
import Foundation
import Testing

@testable import MockOktaCore

extension CoverageTests {
    // MARK: - 4. concurrency

    @Test(
        "1,000 rounds of deleting a group while adding members to it: no crash, only 204/404, the tenant stays consistent"
    )
    func deleteGroupWhileAddingMembers() throws {
        let org = try TestOrg(rateLimits: false)
        let ssws = org.ssws
        let all = try #require(org.send("GET", "/api/v1/users", headers: [ssws]).bodyJSON?.arrayValue).compactMap {
            $0["id"]?.stringValue
        }
        #expect(all.count == 6)
        let members = Array(all.prefix(4))
        let groupsBefore = try #require(org.send("GET", "/api/v1/groups", headers: [ssws]).bodyJSON?.arrayValue).count
        let race = RaceRecord()
        var deleted: [String] = []
        // Two dedicated threads in lockstep, released together each round; one of them waits a little first
        // (0–350 µs, alternating sides), so the delete lands before, between and after the adds.
        let rounds = 1000
        let current = CurrentGroup()
        let startDelete = DispatchSemaphore(value: 0)
        let startAdd = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let deleter = Thread {
            for round in 0..<rounds {
                startDelete.wait()
                if let gid = current.get() {
                    if round % 2 == 0 { usleep(UInt32(50 * (round / 2 % 8))) }
                    race.record(
                        "DELETE \(gid)", org.send("DELETE", "/api/v1/groups/\(gid)", headers: [ssws]), allowed: [204])
                }
                done.signal()
            }
        }
        let adder = Thread {
            for round in 0..<rounds {
                startAdd.wait()
                if let gid = current.get() {
                    if round % 2 == 1 { usleep(UInt32(50 * (round / 2 % 8))) }
                    for uid in members {
                        race.record(
                            "PUT \(gid)/users/\(uid)",
                            org.send("PUT", "/api/v1/groups/\(gid)/users/\(uid)", headers: [ssws]),
                            allowed: [204, 404])
                    }
                }
                done.signal()
            }
        }
        deleter.start()
        adder.start()
        for round in 0..<rounds {
            let c = org.send(
                "POST", "/api/v1/groups", headers: [ssws],
                body: #"{"profile":{"name":"race-\#(round)","description":"r"}}"#)
            let gid = c.status == 200 ? c.bodyJSON?["id"]?.stringValue : nil
            if gid == nil { Issue.record("round \(round): create failed \(c.status) \(c.bodyText)") }
            current.set(gid)
            startDelete.signal()
            startAdd.signal()
            done.wait()
            done.wait()
            if let gid { deleted.append(gid) }
        }
        let (statuses, unexpected, added) = race.snapshot()
        #expect(unexpected.isEmpty, "\(unexpected.joined(separator: "\n"))")
        #expect(statuses.keys.allSatisfy { [204, 404].contains($0) }, "\(statuses)")
        #expect(statuses[204, default: 0] >= 1000)  // every delete, and whatever adds won
        // The race was run: some adds won and some found the group gone.
        #expect(added > 0 && statuses[404, default: 0] > 0, "\(statuses)")
        #expect(deleted.count == 1000)
        // Every deleted group is gone, everywhere a client could see it.
        let resurrected = deleted.filter { org.send("GET", "/api/v1/groups/\($0)", headers: [ssws]).status != 404 }
        #expect(resurrected.isEmpty, "\(resurrected.count) deleted groups answer again")
        for gid in deleted.prefix(20) {
            #expect(org.send("GET", "/api/v1/groups/\(gid)/users", headers: [ssws]).status == 404)
        }
        #expect(org.engine.read { $0.groups.count } == groupsBefore)
        let groups = try #require(org.send("GET", "/api/v1/groups", headers: [ssws]).bodyJSON?.arrayValue)
        #expect(groups.count == groupsBefore)
        #expect(!groups.contains { $0["profile"]?["name"]?.stringValue?.hasPrefix("race-") == true })
        let deletedSet = Set(deleted)
        #expect(
            (org.engine.tenantJSON()["groups"]?.arrayValue ?? []).allSatisfy {
                !deletedSet.contains($0["id"]?.stringValue ?? "")
            })
        // Every user still exists, is ACTIVE and belongs to no deleted group.
        for uid in all {
            let u = org.send("GET", "/api/v1/users/\(uid)", headers: [ssws])
            #expect(u.status == 200 && u.bodyJSON?["status"] == "ACTIVE")
            let ug = org.send("GET", "/api/v1/users/\(uid)/groups", headers: [ssws])
            #expect(ug.status == 200)
            #expect((ug.bodyJSON?.arrayValue ?? []).allSatisfy { !deletedSet.contains($0["id"]?.stringValue ?? "") })
        }
        #expect(org.send("GET", "/api/v1/users", headers: [ssws]).bodyJSON?.arrayValue?.count == 6)
        // The System Log agrees with what the API acknowledged.
        let log = org.engine.systemLog.all()
        #expect(log.filter { $0.eventType == "group.lifecycle.delete" }.count == 1000)
        #expect(log.filter { $0.eventType == "group.user_membership.add" }.count == added)
    }
}
/// What the racing threads saw, behind a lock.
private final class RaceRecord: @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [Int: Int] = [:]
    private var unexpected: [String] = []
    private var added = 0

    func record(_ what: String, _ r: HTTPReply, allowed: Set<Int>) {
        let bad = !allowed.contains(r.status) || (r.status == 404 && r.bodyJSON?["errorCode"] != "E0000007")
        lock.lock()
        defer { lock.unlock() }
        statuses[r.status, default: 0] += 1
        if r.status == 204 && what.hasPrefix("PUT") { added += 1 }
        if bad && unexpected.count < 20 { unexpected.append("\(what) → \(r.status) \(r.bodyText.prefix(200))") }
    }

    func snapshot() -> ([Int: Int], [String], Int) {
        lock.lock()
        defer { lock.unlock() }
        return (statuses, unexpected, added)
    }
}

/// The group of the current round, handed from the test to the racing threads.
private final class CurrentGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var gid: String?
    func set(_ g: String?) {
        lock.lock()
        gid = g
        lock.unlock()
    }
    func get() -> String? {
        lock.lock()
        defer { lock.unlock() }
        return gid
    }
}
