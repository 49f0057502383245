import FoundationEssentials

/// The tenant in SQLite: one row per object, written as part of each mutation (`mutate`), read back at start.
extension MockOkta {

    static let kinds = ["user", "group", "app", "server", "apiToken", "refresh", "code", "origin", "misc"]

    struct Misc: Codable {
        var userOrder: [String]? = nil
        var groupOrder: [String]
        var appOrder: [String]
        var serverOrder: [String]
        var revokedAccessTokens: Set<String>
        var accessTokenCutoffs: [AccessTokenCutoff]
        var usedAssertionIDs: Set<String>
        var orgId: String
        var defaultPassword: String
        var rateLimitOverrides: [String: Int]
        var trustedOriginOrder: [String]? = nil
        var bearerErrorJSON: Bool? = nil
        var signOn: SignOnSettings? = nil
    }

    static func rows(_ t: TenantData) -> [(String, String, String)] {
        let enc = JSONEncoder()
        func s<T: Encodable>(_ v: T) -> String { String(decoding: (try? enc.encode(v)) ?? Data(), as: UTF8.self) }
        var rows: [(String, String, String)] = []
        rows.reserveCapacity(t.users.count + 64)
        for (id, u) in zip(t.users.keys, t.users.values) { rows.append(("user", id, s(u))) }
        for (id, g) in t.groups { rows.append(("group", id, s(g))) }
        for (id, a) in t.apps { rows.append(("app", id, s(a))) }
        for (id, v) in t.servers { rows.append(("server", id, s(v))) }
        for (id, v) in t.apiTokens { rows.append(("apiToken", id, s(v))) }
        for (id, v) in t.refreshTokens { rows.append(("refresh", id, s(v))) }
        for (id, v) in t.codes { rows.append(("code", id, s(v))) }
        for (id, v) in t.trustedOrigins { rows.append(("origin", id, s(v))) }
        rows.append(("misc", "misc", s(misc(t))))
        return rows
    }

    static func misc(_ t: TenantData) -> Misc {
        Misc(
            groupOrder: t.groupOrder, appOrder: t.appOrder, serverOrder: t.serverOrder,
            revokedAccessTokens: t.revokedAccessTokens,
            accessTokenCutoffs: t.accessTokenCutoffs, usedAssertionIDs: t.usedAssertionIDs, orgId: t.orgId,
            defaultPassword: t.defaultPassword, rateLimitOverrides: t.rateLimitOverrides,
            trustedOriginOrder: t.trustedOriginOrder,
            bearerErrorJSON: t.bearerErrorJSON, signOn: t.signOn)
    }

    /// Writes every row of the tenant (first start, reset, a scenario's fixtures). An in-memory store is never read
    /// back, so it is not written: encoding a 100,000-user tenant would only cost start-up time and memory.
    static func saveTenant(_ t: TenantData, _ store: Store) throws {
        guard store.keepsTenant else { return }
        try store.replaceAll(rows(t))
    }

    static func loadTenant(_ store: Store) -> TenantData? {
        let dec = JSONDecoder()
        func all<T: Decodable>(_ kind: String, _ type: T.Type) -> [T] {
            store.all(kind: kind).compactMap { try? dec.decode(T.self, from: Data($0.utf8)) }
        }
        guard let miscText = store.all(kind: "misc").first,
            let m = try? dec.decode(Misc.self, from: Data(miscText.utf8))
        else {
            return nil
        }
        var t = TenantData()
        let users = all("user", User.self)
        t.users.reserveCapacity(users.count)
        for u in users { t.users[u.id] = u }
        t.userOrder = users.map(\.id).sorted()
        for g in all("group", Group.self) { t.groups[g.id] = g }
        for a in all("app", App.self) { t.apps[a.id] = a }
        for s in all("server", AuthServer.self) { t.servers[s.id] = s }
        for k in all("apiToken", APIToken.self) { t.apiTokens[k.id] = k }
        for r in all("refresh", RefreshTokenRecord.self) { t.refreshTokens[r.valueHash] = r }
        for c in all("code", AuthCodeRecord.self) { t.codes[c.valueHash] = c }
        for o in all("origin", TrustedOrigin.self) { t.trustedOrigins[o.id] = o }
        t.trustedOriginOrder = (m.trustedOriginOrder ?? []).filter { t.trustedOrigins[$0] != nil }
        t.bearerErrorJSON = m.bearerErrorJSON ?? false
        t.groupOrder = m.groupOrder.filter { t.groups[$0] != nil }
        t.appOrder = m.appOrder.filter { t.apps[$0] != nil }
        t.serverOrder = m.serverOrder.filter { t.servers[$0] != nil }
        t.revokedAccessTokens = m.revokedAccessTokens
        t.accessTokenCutoffs = m.accessTokenCutoffs
        t.usedAssertionIDs = m.usedAssertionIDs
        t.orgId = m.orgId
        t.defaultPassword = m.defaultPassword
        t.rateLimitOverrides = m.rateLimitOverrides
        t.signOn = m.signOn ?? SignOnSettings()
        return t
    }

    /// Entities changed by a mutation, written to SQLite after the state lock is released.
    struct Dirty {
        var users = Set<String>(), groups = Set<String>(), apps = Set<String>(), servers = Set<String>()
        var apiTokens = Set<String>(), refresh = Set<String>(), codes = Set<String>(), origins = Set<String>()
        var misc = false
    }

    /// Runs a mutation of the tenant as one transaction: under the tenant lock it applies `body`, then
    /// writes what it touched to the store. If the write fails the tenant is put back as it was and the
    /// error is thrown (the caller answers 500), so an acknowledged change is always a saved one.
    /// In memory there is nothing to write and nothing to put back: the tenant is changed in place, without
    /// a copy of it (a copy would make every change to a large tenant cost a copy of all its users).
    @discardableResult
    func mutate<T>(_ body: (inout TenantData, inout Dirty) throws -> T) throws -> T {
        var dirty = Dirty()
        return try state.withLock { t in
            guard store.keepsTenant else {
                let zones = t.signOn.zones
                let r = try body(&t, &dirty)
                if t.signOn.zones != zones { refreshZoneCache(t) }
                return r
            }
            let before = t
            let r = try body(&t, &dirty)
            let (puts, deletes) = MockOkta.changedRows(t, dirty)
            do {
                try store.apply(puts: puts, deletes: deletes)
            } catch {
                t = before
                logger.error(
                    "a tenant change was refused because it could not be saved", metadata: ["error": "\(error)"])
                throw error
            }
            if t.signOn.zones != before.signOn.zones { refreshZoneCache(t) }
            return r
        }
    }

    private func refreshZoneCache(_ t: TenantData) {
        let parsed = t.signOn.zones.map(ParsedZone.init)
        zoneCache.withLock { $0 = parsed }
    }

    /// The rows a mutation wrote (`puts`) and removed (`deletes`), from what it marked dirty.
    static func changedRows(_ t: TenantData, _ dirty: Dirty) -> (
        puts: [(String, String, String)], deletes: [(String, String)]
    ) {
        let enc = JSONEncoder()
        func s<V: Encodable>(_ v: V) -> String { String(decoding: (try? enc.encode(v)) ?? Data(), as: UTF8.self) }
        var puts: [(String, String, String)] = []
        var deletes: [(String, String)] = []
        func handle<V: Encodable>(_ kind: String, _ keys: Set<String>, _ value: (String) -> V?) {
            for k in keys { if let v = value(k) { puts.append((kind, k, s(v))) } else { deletes.append((kind, k)) } }
        }
        handle("user", dirty.users) { t.users[$0] }
        handle("group", dirty.groups) { t.groups[$0] }
        handle("app", dirty.apps) { t.apps[$0] }
        handle("server", dirty.servers) { t.servers[$0] }
        handle("apiToken", dirty.apiTokens) { t.apiTokens[$0] }
        handle("refresh", dirty.refresh) { t.refreshTokens[$0] }
        handle("code", dirty.codes) { t.codes[$0] }
        handle("origin", dirty.origins) { t.trustedOrigins[$0] }
        if dirty.misc { puts.append(("misc", "misc", s(MockOkta.misc(t)))) }
        return (puts, deletes)
    }

    func read<T>(_ body: (TenantData) throws -> T) rethrows -> T {
        try state.withLock { try body($0) }
    }
}
