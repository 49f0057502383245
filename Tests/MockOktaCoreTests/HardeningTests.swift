import Foundation
import Testing

@testable import MockOktaCore

/// Issue 10: inputs that used to kill the process, and state that went wrong across restarts.
@Suite("Hardening: bounded parsers, bounded numbers, transactional writes, --db generations")
struct HardeningTests {
    @Test("JSON nesting beyond 64 levels is a parse error, not a stack overflow; 64 levels parse")
    func jsonDepth() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try JSONParser.parse(ok) }
        for deep in [
            String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
            String(repeating: "[", count: 100_000),
            String(repeating: "{\"a\":", count: 100_000),
        ] {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        }
    }

    @Test("numbers that overflow a double (1e999) are refused by the parser; the serializer never writes inf")
    func hugeNumbers() throws {
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\"n\": 1e999}") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[-1e999]") }
        #expect(JSON.number(.infinity).serialized() == "null")
        #expect(try JSONParser.parse("1e300") == .number(1e300))
    }

    @Test("found by fuzzing: a high surrogate not followed by a low one, and timestamps beyond Int, do not trap")
    func fuzzFindings() throws {
        #expect(try JSONParser.parse("\"\\ud800\\u0041\"") == .string("\u{FFFD}A"))
        #expect(try JSONParser.parse("\"\\ud83d\\u0309\"") == .string("\u{FFFD}\u{0309}"))
        #expect(try JSONParser.parse("\"\\ud83d\\ude00\"") == .string("😀"))
        #expect(TimeFormat.iso(1.8e19) == "9999-12-31T23:59:59.000Z")
        #expect(TimeFormat.iso(-.infinity).hasPrefix("0001-01-01"))
        #expect(TimeFormat.httpDate(.nan).hasSuffix("GMT"))
        let token = "eyIiOiIifQ.eyJpYXQiOjE4MDAwMDAwMDAxODAwMDAzNjAwfQ."
        #expect(TokenExplainer.decodeText(try #require(DecodedJWT(token))).contains("iat: 9999-12-31"))
    }

    @Test("a deeply nested Bearer token is refused with 401, and the server carries on")
    func deepBearer() throws {
        let org = try TestOrg()
        let part = Base64URL.encode(Array(String(repeating: "[", count: 50_000).utf8))
        let bearer = ("authorization", "Bearer \(part).\(part).c2ln")
        #expect(org.send("GET", "/oauth2/v1/keys", headers: [bearer]).status == 200)
        let r = org.send("GET", "/api/v1/users", headers: [bearer])
        #expect(r.status == 401)
        #expect(r.body.isEmpty && r.header("WWW-Authenticate")?.contains("invalid_token") == true)
        #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
    }

    @Test("filters: 40,000 parentheses or 4,097 characters are E0000031, not a crash")
    func filterBounds() throws {
        let org = try TestOrg()
        let deep =
            String(repeating: "(", count: 40_000) + "status eq \"ACTIVE\"" + String(repeating: ")", count: 40_000)
        let long = (0..<400).map { _ in "status eq \"ACTIVE\"" }.joined(separator: " or ")
        for f in [deep, long, String(repeating: "not ", count: 40) + "status eq \"ACTIVE\""] {
            for path in ["/api/v1/users", "/api/v1/groups", "/api/v1/apps", "/api/v1/logs"] {
                let r = org.send("GET", path, query: [("filter", f)], headers: [org.ssws])
                #expect(r.status == 400, "\(path) \(f.prefix(20))")
                // Okta answers a bad System Log filter with E0000053, the others with E0000031.
                #expect(r.bodyJSON?["errorCode"] == (path == "/api/v1/logs" ? "E0000053" : "E0000031"))
            }
        }
        let fine = "(" + String(repeating: "(", count: 30) + "status eq \"ACTIVE\"" + String(repeating: ")", count: 31)
        #expect(org.send("GET", "/api/v1/users", query: [("filter", fine)], headers: [org.ssws]).status == 200)
    }

    @Test("scenario numbers beyond their bounds are validation errors naming the path")
    func scenarioBounds() throws {
        func issues(_ text: String) -> [ValidationIssue] {
            do {
                _ = try ScenarioLoader.load(text: text)
                return []
            } catch { return error.issues }
        }
        let rule = { (fault: String, when: String) in
            "{\"version\":1,\"name\":\"x\",\"rules\":[{\"id\":\"r\",\"match\":{\"path\":\"/api/v1/users\"},\(when)\"fault\":\(fault)}]}"
        }
        #expect(issues("{\"version\":1,\"name\":\"x\",\"seed\":-1e300}").contains { $0.path == "$.seed" })
        #expect(issues("{\"version\":1,\"name\":\"x\",\"seed\":1e300}").contains { $0.path == "$.seed" })
        #expect(
            issues(rule("{\"type\":\"hang\",\"seconds\":1e10}", "")).contains { $0.path == "$.rules[0].fault.seconds" })
        #expect(issues(rule("{\"type\":\"delay\",\"ms\":1e13}", "")).contains { $0.path == "$.rules[0].fault.ms" })
        #expect(
            issues(rule("{\"type\":\"slowBody\",\"seconds\":1e18}", "")).contains {
                $0.path == "$.rules[0].fault.seconds"
            })
        #expect(
            issues(rule("{\"type\":\"serverError\"}", "\"when\":{\"nth\":{\"from\":1,\"to\":8e15}},")).contains {
                $0.path == "$.rules[0].when.nth.to"
            })
        for status in [100, 101, 199, 304] {
            #expect(
                issues(rule("{\"type\":\"status\",\"status\":\(status)}", "")).contains {
                    $0.path == "$.rules[0].fault.status"
                })
        }
        for h in ["Content-Length", "transfer-encoding", "Connection"] {
            #expect(
                issues(rule("{\"type\":\"serverError\",\"headers\":{\"\(h)\":\"5\"}}", "")).contains {
                    $0.path == "$.rules[0].fault.headers"
                })
        }
        let many = (0..<1001).map { "{\"id\":\"r\($0)\",\"fault\":{\"type\":\"serverError\"}}" }.joined(separator: ",")
        #expect(issues("{\"version\":1,\"name\":\"x\",\"rules\":[\(many)]}").contains { $0.path == "$.rules" })
        // Within bounds, and a wide nth range, load at once.
        #expect(
            issues(rule("{\"type\":\"hang\",\"seconds\":3600}", "\"when\":{\"nth\":{\"from\":1,\"to\":1000000}},"))
                .isEmpty)
    }

    @Test("the clock refuses moves beyond 100 years, through /__mock/clock and the advanceClock action")
    func clockBounds() throws {
        let org = try TestOrg()
        let before = org.engine.clock.now()
        for body in ["{\"advance\":1e300}", "{\"offset\":-1e19}", "{\"advance\":3153600001}"] {
            #expect(org.send("POST", "/__mock/clock", body: body).status == 400, "\(body)")
        }
        #expect(
            org.send("POST", "/__mock/actions", body: "{\"type\":\"advanceClock\",\"seconds\":1e300}").status == 400)
        #expect(org.send("POST", "/__mock/clock", body: "{\"advance\":3000000000}").status == 200)
        // Cumulative moves are bounded too.
        #expect(
            org.send("POST", "/__mock/actions", body: "{\"type\":\"advanceClock\",\"seconds\":3000000000}").status
                == 400)
        #expect(abs(org.engine.clock.now() - before - 3_000_000_000) < 1)
    }

    @Test("group membership racing a group delete never crashes; renames keep concurrent members")
    func concurrentGroupMutations() async throws {
        let org = try TestOrg()
        let users =
            org.send("GET", "/api/v1/users", headers: [org.ssws]).bodyJSON?.arrayValue?.compactMap {
                $0["id"]?.stringValue
            } ?? []
        #expect(users.count >= 2)
        for round in 0..<20 {
            let g = org.send(
                "POST", "/api/v1/groups", headers: [org.ssws], body: "{\"profile\":{\"name\":\"race\(round)\"}}")
            let gid = try #require(g.bodyJSON?["id"]?.stringValue)
            await withTaskGroup(of: Void.self) { tg in
                for u in users {
                    tg.addTask { _ = org.send("PUT", "/api/v1/groups/\(gid)/users/\(u)", headers: [org.ssws]) }
                }
                tg.addTask {
                    _ = org.send(
                        "PUT", "/api/v1/groups/\(gid)", headers: [org.ssws],
                        body: "{\"profile\":{\"name\":\"renamed\(round)\"}}")
                }
                tg.addTask { _ = org.send("DELETE", "/api/v1/groups/\(gid)", headers: [org.ssws]) }
            }
        }
        // Without the delete, every member added concurrently with a rename is still there.
        let g = org.send("POST", "/api/v1/groups", headers: [org.ssws], body: "{\"profile\":{\"name\":\"keep\"}}")
        let gid = try #require(g.bodyJSON?["id"]?.stringValue)
        await withTaskGroup(of: Void.self) { tg in
            for u in users {
                tg.addTask { _ = org.send("PUT", "/api/v1/groups/\(gid)/users/\(u)", headers: [org.ssws]) }
            }
            for i in 0..<5 {
                tg.addTask {
                    _ = org.send(
                        "PUT", "/api/v1/groups/\(gid)", headers: [org.ssws], body: "{\"profile\":{\"name\":\"n\(i)\"}}")
                }
            }
        }
        let members = org.send("GET", "/api/v1/groups/\(gid)/users", headers: [org.ssws]).bodyJSON?.arrayValue ?? []
        #expect(members.count == users.count)
    }

    @Test("concurrent creates of one login: exactly one succeeds")
    func concurrentCreates() async throws {
        let org = try TestOrg()
        let body =
            "{\"profile\":{\"login\":\"twin@example.com\",\"email\":\"twin@example.com\",\"firstName\":\"T\",\"lastName\":\"W\"}}"
        let statuses = await withTaskGroup(of: Int.self) { tg in
            for _ in 0..<16 { tg.addTask { org.send("POST", "/api/v1/users", headers: [org.ssws], body: body).status } }
            return await tg.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 1)
        #expect(statuses.filter { $0 == 400 }.count == 15)
    }

    @Test(
        "a reopened --db continues with new random streams: no id or jti repeats; a fresh seeded tenant is reproducible"
    )
    func dbGenerations() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mo-gen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func open(_ name: String) throws -> TestOrg {
            try TestOrg(seed: 7, dbPath: dir.appendingPathComponent(name).path)
        }
        func createUsers(_ org: TestOrg, _ prefix: String) -> [String] {
            (0..<10).compactMap { i in
                org.send(
                    "POST", "/api/v1/users", headers: [org.ssws],
                    body:
                        "{\"profile\":{\"login\":\"\(prefix)\(i)@example.com\",\"email\":\"\(prefix)\(i)@example.com\",\"firstName\":\"A\",\"lastName\":\"B\"}}"
                )
                .bodyJSON?["id"]?.stringValue
            }
        }
        func jtis(_ org: TestOrg) -> [String] {
            (0..<5).compactMap { _ in
                (org.serviceToken().bodyJSON?["access_token"]?.stringValue).flatMap(DecodedJWT.init)?.claims["jti"]?
                    .stringValue
            }
        }
        var first: [String] = []
        var firstJtis: [String] = []
        do {
            let a = try open("t.db")
            first = createUsers(a, "a")
            firstJtis = jtis(a)
        }
        // Another fresh file with the same seed reproduces the same sequence.
        do {
            let same = try open("u.db")
            #expect(createUsers(same, "a") == first)
        }
        let b = try open("t.db")
        let second = createUsers(b, "b")
        #expect(first.count == 10 && second.count == 10)
        #expect(Set(first).isDisjoint(with: second))
        #expect(Set(firstJtis).isDisjoint(with: jtis(b)))
        let listed =
            b.send("GET", "/api/v1/users", query: [("limit", "200")], headers: [b.ssws]).bodyJSON?.arrayValue?
            .compactMap { $0["id"]?.stringValue } ?? []
        #expect(Set(first + second).isSubset(of: Set(listed)))
    }

    @Test("a second engine on a --db file in use is refused in one sentence")
    func dbInUse() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mo-lock-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = try TestOrg(dbPath: path)
        #expect(a.send("GET", "/api/v1/users", headers: [a.ssws]).status == 200)
        do {
            _ = try TestOrg(dbPath: path)
            Issue.record("a second engine opened a database in use")
        } catch let e as Store.StoreError {
            #expect("\(e)".contains(path) && "\(e)".contains("in use"))
        }
    }

    @Test("a write that cannot be saved is a 500 and the tenant is unchanged")
    func writeFailureIs500() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mo-ro-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let org = try TestOrg(dbPath: path)
        // Another connection takes SQLite's write lock and keeps it past the busy timeout.
        let other = try SQLiteConnection(path: path, busyTimeoutMs: 0)
        try other.execute("BEGIN EXCLUSIVE")
        let body =
            "{\"profile\":{\"login\":\"lost@example.com\",\"email\":\"lost@example.com\",\"firstName\":\"L\",\"lastName\":\"W\"}}"
        let r = org.send("POST", "/api/v1/users", headers: [org.ssws], body: body)
        #expect(r.status == 500)
        #expect(r.bodyJSON?["errorCode"] == "E0000009")
        try other.execute("ROLLBACK")
        #expect(org.send("GET", "/api/v1/users/lost@example.com", headers: [org.ssws]).status == 404)
        #expect(org.send("POST", "/api/v1/users", headers: [org.ssws], body: body).status == 200)
    }

    @Test("expireAccessTokens: a token minted before the action is expired, one minted after is valid (sub-second)")
    func expiryBoundary() throws {
        let org = try TestOrg()
        org.wall.advance(0.2)
        let before = try #require(org.serviceToken().bodyJSON?["access_token"]?.stringValue)
        org.wall.advance(0.1)
        #expect(org.send("POST", "/__mock/actions", body: "{\"type\":\"expireAccessTokens\"}").status == 200)
        org.wall.advance(0.1)
        let after = try #require(org.serviceToken().bodyJSON?["access_token"]?.stringValue)
        // Same whole second for all three: only the sub-second order decides.
        #expect(DecodedJWT(before)?.claims["iat"] == DecodedJWT(after)?.claims["iat"])
        let id = org.cred("serviceClientId")
        let secret = org.cred("serviceClientSecret")
        func active(_ t: String) -> Bool? {
            org.form(
                "/oauth2/default/v1/introspect", [("token", t), ("token_type_hint", "access_token")],
                headers: [org.basic(id, secret)]
            ).bodyJSON?["active"]?.boolValue
        }
        #expect(active(before) == false)
        #expect(active(after) == true)
    }

    @Test("a token whose nbf is in the future is refused")
    func futureNbf() throws {
        let org = try TestOrg()
        let now = Int(org.engine.clock.now())
        let minted = org.send(
            "POST", "/__mock/tokens",
            body: "{\"scopes\":[\"okta.users.read\"],\"server\":\"org\",\"claims\":{\"nbf\":\(now + 3600)}}")
        let token = try #require(minted.bodyJSON?["token"]?.stringValue)
        let r = org.send("GET", "/api/v1/users", headers: [("authorization", "Bearer \(token)")])
        #expect(r.status == 401)
    }

    @Test("timeline key rotations never generate keys on the request path: they wait for background keys")
    func rotationOffRequestPath() async throws {
        let rotations = (0..<6).map { _ in
            "{\"atSeconds\":0,\"action\":{\"type\":\"rotateSigningKey\",\"server\":\"default\"}}"
        }
        let org = try TestOrg(
            scenario: "{\"version\":1,\"name\":\"rot\",\"timeline\":[\(rotations.joined(separator: ","))]}")
        func done() -> Int {
            org.engine.scenarioJSON["timeline"]?.arrayValue?.filter { $0["done"]?.boolValue == true }.count ?? 0
        }
        // The first request runs the due timeline but derives nothing itself: six keys are not ready yet.
        #expect(org.send("GET", "/oauth2/default/v1/keys").status == 200)
        #expect(done() < 6)
        // The background queue makes them; the timeline completes on later ticks, in order.
        for _ in 0..<400 where done() < 6 {
            try await Task.sleep(for: .milliseconds(50))
            org.engine.runDueTimeline()
        }
        #expect(done() == 6)
        let kids =
            org.send("GET", "/oauth2/default/v1/keys").bodyJSON?["keys"]?.arrayValue?.compactMap {
                $0["kid"]?.stringValue
            } ?? []
        #expect(Set(kids).count == kids.count && kids.count >= 2)
    }
}
