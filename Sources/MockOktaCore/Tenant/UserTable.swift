import FoundationEssentials

/// The tenant's users by id, with the login index kept alongside: used like a `[String: User]`, but each user is
/// stored once, in a contiguous array, and the two indexes (id, lowercased login) hold slot numbers.
///
/// A `[String: User]` of 100,000 users took ~59 MiB: a dictionary's buckets are a power of two at most 3/4 full
/// (262,144 for 100,000), each as large as a whole `User` (~208 bytes), and nearly all of them are touched. Here the
/// array holds exactly the users, and the indexes are `SlotIndex`es of 4-byte buckets.
public struct UserTable: Sendable {
    /// The users, in the order they were added (a removal moves the last one into the gap).
    private var slots: [User] = []
    /// The id each slot is stored under, and its login index key (`TenantData.loginKey`).
    private var ids: [String] = []
    private var loginKeys: [String] = []
    private var byId = SlotIndex()
    private var byLogin = SlotIndex()

    public init() {}

    public var count: Int { slots.count }
    public var isEmpty: Bool { slots.isEmpty }
    /// Every user, in no particular order (as a dictionary's values).
    public var values: [User] { slots }
    /// Every id, in the order of `values`.
    public var keys: [String] { ids }

    public mutating func reserveCapacity(_ n: Int) {
        slots.reserveCapacity(n)
        ids.reserveCapacity(n)
        loginKeys.reserveCapacity(n)
        byId.reserveCapacity(n, keys: ids)
        byLogin.reserveCapacity(n, keys: loginKeys)
    }

    /// The user stored under `id`; setting nil removes it. Setting a user also points its login at it.
    public subscript(id: String) -> User? {
        get { byId.slot(id, keys: ids).map { slots[Int($0)] } }
        set {
            if let u = newValue { put(id, u) } else { remove(id) }
        }
    }

    /// The id of the user whose login's index key (lowercased) is `key`.
    public func id(loginKey key: String) -> String? { byLogin.slot(key, keys: loginKeys).map { ids[Int($0)] } }

    /// Lowercased login → user id.
    public var loginIndex: LoginIndex { LoginIndex(table: self) }

    private mutating func put(_ id: String, _ u: User) {
        let key = TenantData.loginKey(u.login)
        guard let s = byId.slotOrInsert(id, Int32(slots.count), keys: ids) else {
            ids.append(id)
            slots.append(u)
            loginKeys.append(key)
            byLogin.set(key, Int32(slots.count - 1), keys: loginKeys)
            return
        }
        let i = Int(s)
        if loginKeys[i] != key {
            byLogin.remove(loginKeys[i], ifSlot: s, keys: loginKeys)
            loginKeys[i] = key
        }
        slots[i] = u
        byLogin.set(key, s, keys: loginKeys)
    }

    private mutating func remove(_ id: String) {
        guard let s = byId.slot(id, keys: ids) else { return }
        let i = Int(s)
        byId.remove(id, keys: ids)
        byLogin.remove(loginKeys[i], ifSlot: s, keys: loginKeys)
        let last = slots.count - 1
        if i != last {
            // The last user moves into the gap: its index entries follow it before its keys move.
            byId.repoint(ids[last], from: Int32(last), to: s, keys: ids)
            byLogin.repoint(loginKeys[last], from: Int32(last), to: s, keys: loginKeys)
            slots.swapAt(i, last)
            ids.swapAt(i, last)
            loginKeys.swapAt(i, last)
        }
        slots.removeLast()
        ids.removeLast()
        loginKeys.removeLast()
    }

    /// The login index as a read-only dictionary: `[key]` and `for (login, id) in …`.
    public struct LoginIndex: Sequence, Sendable {
        let table: UserTable

        public subscript(key: String) -> String? { table.id(loginKey: key) }

        public func makeIterator() -> Iterator { Iterator(table: table) }

        public struct Iterator: IteratorProtocol {
            let table: UserTable
            var bucket = 0
            public mutating func next() -> (String, String)? {
                let buckets = table.byLogin.buckets
                while bucket < buckets.count {
                    let s = Int(buckets[bucket])
                    bucket += 1
                    if s >= 0 { return (table.loginKeys[s], table.ids[s]) }
                }
                return nil
            }
        }
    }
}

/// Encoded as the `[String: User]` it replaces: an object of users by id.
extension UserTable: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        self.init()
        let keys = c.allKeys.sorted { $0.stringValue < $1.stringValue }
        reserveCapacity(keys.count)
        for k in keys { self[k.stringValue] = try c.decode(User.self, forKey: k) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (i, id) in ids.enumerated() { try c.encode(slots[i], forKey: Key(stringValue: id)) }
    }
}
