import Foundation
import Testing

@testable import MockOktaCore

/// Issue 15: the users table (one array and two slot indexes instead of a dictionary) and generated users.
@Suite("Users table and generated users")
struct UserTableTests {
    static func user(_ id: String, _ login: String) -> User {
        User(
            id: id, status: .ACTIVE, created: 0, activated: nil, statusChanged: nil, lastLogin: nil, lastUpdated: 0,
            passwordChanged: nil, profile: ["login": .string(login), "email": .string(login)], password: nil,
            adminRole: nil)
    }

    @Test("the table answers as a dictionary of users and a lowercased login index would, through adds and removals")
    func matchesDictionary() {
        var table = UserTable()
        var byId: [String: User] = [:]
        var random = SeededGenerator(seed: 7)
        for step in 0..<5000 {
            let id = "00u\(random.next() % 300)"
            switch random.next() % 4 {
            case 0:
                table[id] = nil
                byId[id] = nil
            default:
                // Logins change now and then, with mixed case; each id keeps a login of its own.
                let login = "\(random.next() % 2 == 0 ? "U" : "u")ser-\(id)-\(random.next() % 3)@Example.com"
                table[id] = Self.user(id, login)
                byId[id] = Self.user(id, login)
            }
            guard step % 250 == 0 || step == 4999 else { continue }
            #expect(table.count == byId.count)
            #expect(Set(table.keys) == Set(byId.keys))
            for (k, u) in byId {
                #expect(table[k]?.login == u.login)
                #expect(table.id(loginKey: u.login.lowercased()) == k)
            }
            let logins = Dictionary(uniqueKeysWithValues: table.loginIndex.map { ($0.0, $0.1) })
            #expect(logins == Dictionary(uniqueKeysWithValues: byId.values.map { ($0.login.lowercased(), $0.id) }))
        }
        #expect(table["00u-none"] == nil && table.id(loginKey: "nobody@example.com") == nil)
    }

    @Test("the table encodes and decodes as the dictionary of users it replaces")
    func codable() throws {
        var table = UserTable()
        for n in 0..<20 { table["00u\(n)"] = Self.user("00u\(n)", "p\(n)@example.com") }
        let data = try JSONEncoder().encode(table)
        let asDictionary = try JSONDecoder().decode([String: User].self, from: data)
        #expect(asDictionary.count == 20 && asDictionary["00u3"]?.login == "p3@example.com")
        let back = try JSONDecoder().decode(UserTable.self, from: data)
        #expect(back.count == 20 && back.loginIndex["p19@example.com"] == "00u19")
    }

    @Test("ids sort by their bytes as String sorts them; other ids take the general sort; merging keeps the order")
    func idOrder() {
        let ids = RandomSource(seed: 3, purpose: "test")
        let okta = (0..<2000).map { n in ids.oktaID(n % 3 == 0 ? "00u" : "00U") }
        #expect(DefaultTenant.sortedIds(okta) == okta.sorted())
        let mixed = okta.prefix(50) + ["short", "00uÉtéAAAAAAAAAAAAA", "00u" + String(repeating: "z", count: 17)]
        #expect(DefaultTenant.sortedIds(Array(mixed)) == mixed.sorted())
        let (a, b) = (Array(okta.prefix(7)).sorted(), Array(okta.dropFirst(7)).sorted())
        #expect(DefaultTenant.mergeSorted(a, b) == okta.sorted())
        #expect(DefaultTenant.mergeSorted([], b) == b && DefaultTenant.mergeSorted(a, []) == a)
    }

    @Test("generated users: the same seed gives the same ids, logins, password and order; ids from the fixture stream")
    func generatedUsersAreSeeded() throws {
        func tenant() throws -> TenantData {
            var (t, _) = try DefaultTenant.build(seed: 42, now: 1_800_000_000)
            var f = TenantFixture()
            f.generateUsers = 1000
            DefaultTenant.apply(f, to: &t, seed: 42, now: 1_800_000_000)
            return t
        }
        let (a, b) = (try tenant(), try tenant())
        #expect(a.userOrder == b.userOrder && a.userOrder.count == 1006)
        #expect(a.userOrder == a.userOrder.sorted())
        // The n-th generated user takes the n-th id of the fixture id stream.
        let ids = RandomSource(seed: 42, purpose: "tenant.fixture.ids")
        for n in 1...1000 {
            let id = ids.oktaID("00u")
            let u = a.user(idOrLogin: "User\(n)@example.com")
            #expect(u?.id == id && u?.login == "user\(n)@example.com" && u?.password == a.defaultPassword)
            #expect(b.users[id]?.login == "user\(n)@example.com")
        }
        let everyone = a.groupOrder.compactMap { a.groups[$0] }.first { $0.type == .BUILT_IN }
        #expect(everyone?.members.count == 1006)
    }
}
