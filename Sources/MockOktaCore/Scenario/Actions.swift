import FoundationEssentials

/// The timeline and the actions it runs (also `POST /__mock/actions`): each action changes the real tenant,
/// so enforcement, not a canned answer, produces its consequences.
extension MockOkta {
    // MARK: timeline

    /// Writes batched journal entries and System Log events to SQLite.
    /// A failure is logged (the entries are lost, the tenant is not: tenant writes are synchronous).
    public func flushPersistence() {
        do {
            try journal.flush()
            try systemLog.flush()
        } catch {
            logger.error("could not save the journal or System Log to --db", metadata: ["error": "\(error)"])
        }
    }

    /// Runs timeline actions whose moment has come. Called before each request and by the server's ticker.
    public func runDueTimeline() {
        let now = realClock.now()
        let due: [(Int, Action)] = runtime.withLock { rt in
            guard let sc = rt.scenario else { return [] }
            var out: [(Int, Action)] = []
            for (i, entry) in sc.timeline.enumerated() where !rt.timelineClaimed[i] {
                var at: Double? = nil
                if let a = entry.atSeconds { at = rt.loadedAt + a }
                if let r = entry.afterRule, let f = rt.firstFiredAt[r] { at = f + entry.delaySeconds }
                if let at, now >= at {
                    rt.timelineClaimed[i] = true
                    out.append((i, entry.action))
                }
            }
            return out
        }
        for (i, action) in due {
            let result = perform(action, ex: nil, fromTimeline: true)
            if result["pending"]?.boolValue == true {
                runtime.withLock { rt in if i < rt.timelineClaimed.count { rt.timelineClaimed[i] = false } }
                continue
            }
            logger.info("timeline action \(action.name)", metadata: ["result": "\(result.serialized())"])
            runtime.withLock { rt in
                if i < rt.timelineDone.count { rt.timelineDone[i] = true }
                rt.actionLog.append([
                    "timeline": JSON(i), "action": .string(action.name), "at": .number((now * 1000).rounded()),
                    "result": result,
                ])
            }
        }
    }

    func userRef(_ t: TenantData, _ ref: String) -> User? { t.user(idOrLogin: ref) }

    /// Carries out an action on the real tenant, so enforcement produces the consequences. Returns a JSON summary.
    @discardableResult
    func perform(_ action: Action, ex: Exchange?, fromTimeline: Bool = false) -> JSON {
        do {
            return try performThrowing(action, ex: ex, fromTimeline: fromTimeline)
        } catch {
            return ["ok": false, "error": .string("\(error)")]
        }
    }

    /// Carries out one action, each kind in its own helper; from the timeline, a key rotation does not wait for keys.
    private func performThrowing(_ action: Action, ex: Exchange?, fromTimeline: Bool) throws -> JSON {
        let now = clock.now()
        let system = MockOkta.scenarioActor
        switch action {
        case .revokeApiToken(let ref): return try revokeApiToken(ref, ex: ex, system: system)
        case .expireAccessTokens(let server, let clientId, let user):
            return try expireAccessTokens(server: server, clientId: clientId, user: user, ex: ex, now: now)
        case .revokeRefreshTokens(let clientId, let user):
            return try revokeRefreshTokens(clientId: clientId, user: user, ex: ex)
        case .rotateSigningKey(let server, let dropOld, let keepOld):
            return try rotateSigningKeys(
                server, dropOld: dropOld, keepOldSeconds: keepOld, ex: ex, now: now, wait: !fromTimeline)
        case .assignUser(let user, let app): return try changeAppAssignment(user, app, assign: true, ex: ex)
        case .unassignUser(let user, let app): return try changeAppAssignment(user, app, assign: false, ex: ex)
        case .removeScopeGrant(let app, let scope, let server):
            return try removeScopeGrant(app: app, scope: scope, server: server, ex: ex)
        case .deactivateUser(let user): return try changeUserStatus(user, suspend: false, ex: ex, now: now)
        case .suspendUser(let user): return try changeUserStatus(user, suspend: true, ex: ex, now: now)
        case .setRateLimit(let bucket, let limit): return try setRateLimit(bucket, limit)
        case .lockUser(let user): return try lockOrExpire(user, lock: true, ex: ex, now: now, system: system)
        case .expirePassword(let user): return try lockOrExpire(user, lock: false, ex: ex, now: now, system: system)
        case .requireMfa(let app, let off): return try requireMfa(app: app, off: off)
        case .setPassword(let user, let password):
            return try setPassword(user, password, ex: ex, now: now, system: system)
        case .denyFromZone(let zone, let off): return try denyFromZone(zone, off: off, ex: ex, now: now, system: system)
        case .respondPush(let user, let reject): return respondPush(user, reject: reject)
        case .setPolicyRule(let change): return try setPolicyRule(change, ex: ex, system: system)
        case .approveDevice(let user, let userCode, let deny):
            return approveDeviceAction(user, userCode: userCode, deny: deny, now: now)
        case .assignAdminRole(let holder, let role):
            return try changeAdminRole(holder, role, assign: true, ex: ex, system: system)
        case .unassignAdminRole(let holder, let role):
            return try changeAdminRole(holder, role, assign: false, ex: ex, system: system)
        case .advanceClock(let seconds): return advanceClock(seconds)
        }
    }

    /// The System Log actor of every change a scenario makes.
    static var scenarioActor: SystemLog.Actor {
        SystemLog.Actor(
            id: "mock-okta", type: "SystemPrincipal", alternateId: "mock-okta", displayName: "mock-okta scenario")
    }

    // MARK: tokens

    /// Revokes the API token with this name, value or id.
    private func revokeApiToken(_ ref: String, ex: Exchange?, system: SystemLog.Actor) throws -> JSON {
        let target: String? = try mutate { t, d in
            let hash = hashSecret(ref)
            let tok = t.apiTokens.values.first {
                $0.name.lowercased() == ref.lowercased() || $0.valueHash == hash || $0.id == ref
            }
            guard let tok else { return nil }
            t.apiTokens[tok.id]?.revoked = true
            d.apiTokens.insert(tok.id)
            return tok.id
        }
        guard let target else { return ["ok": false, "error": .string("no API token named \(ref)")] }
        logEvent(
            .apiTokenRevoke, actor: system,
            targets: [SystemLog.Actor(id: target, type: "Token", alternateId: target, displayName: ref)], ex: ex)
        return ["ok": true, "tokenId": .string(target)]
    }

    /// Makes access tokens issued before now invalid, narrowed by server, client and user when given.
    private func expireAccessTokens(
        server: String?, clientId: String?, user: String?, ex: Exchange?, now: Double
    ) throws -> JSON {
        let uid = user.flatMap { u in read { userRef($0, u)?.id } }
        let cid = clientId.flatMap { c in read { $0.app(idOrLabel: c)?.id } } ?? clientId
        try mutate { t, d in
            t.accessTokenCutoffs.append(
                AccessTokenCutoff(before: now, serverId: server, clientId: cid, userId: uid))
            d.misc = true
        }
        logEvent(.oauthASTokenRevoke, "Access tokens expired by scenario", actor: MockOkta.scenarioActor, ex: ex)
        return ["ok": true]
    }

    /// Revokes the live refresh tokens of a client and user (either nil: any).
    private func revokeRefreshTokens(clientId: String?, user: String?, ex: Exchange?) throws -> JSON {
        let uid = user.flatMap { u in read { userRef($0, u)?.id } }
        let cid = clientId.flatMap { c in read { $0.app(idOrLabel: c)?.id } } ?? clientId
        let n = try mutate { t, d -> Int in
            var n = 0
            for (k, r) in t.refreshTokens
            where !r.revoked && (cid == nil || r.clientId == cid) && (uid == nil || r.userId == uid) {
                t.refreshTokens[k]?.revoked = true
                d.refresh.insert(k)
                n += 1
            }
            return n
        }
        logEvent(.oauthASTokenRevoke, "Refresh tokens revoked by scenario", actor: MockOkta.scenarioActor, ex: ex)
        return ["ok": true, "revoked": JSON(n)]
    }

    // MARK: signing keys

    /// Rotates the signing key of one server (nil: every server); `wait: false` answers `pending` instead of waiting
    /// for keys still being made.
    private func rotateSigningKeys(
        _ server: String?, dropOld: Bool, keepOldSeconds: Double?, ex: Exchange?, now: Double, wait: Bool
    ) throws -> JSON {
        let servers = read { t in (server.map { [$0] } ?? t.serverOrder).filter { t.servers[$0] != nil } }
        // All keys first: a timeline rotation whose keys are still being made is retried on the next tick.
        var keys: [(String, RSAKey)] = []
        for sid in servers {
            let count = read { $0.servers[sid]?.keys.count ?? 0 }
            guard let key = rotationKeys.key(server: sid, index: count, wait: wait) else { continue }
            keys.append((sid, key))
        }
        if keys.count < servers.count { return ["ok": false, "pending": true] }
        var newKids: [(String, JSON)] = []
        for (sid, key) in keys {
            let kid = try installSigningKey(
                key, server: sid, dropOld: dropOld, keepOldSeconds: keepOldSeconds, now: now)
            newKids.append((sid, .string(kid)))
            logEvent(
                sid == "org" ? .oauthKeyRollover : .oauthASKeyRollover, actor: MockOkta.scenarioActor,
                targets: [
                    SystemLog.Actor(id: sid, type: "AuthorizationServer", alternateId: sid, displayName: sid)
                ], ex: ex)
        }
        return ["ok": true, "newKids": .object(newKids)]
    }

    /// Makes `key` the server's active key and retires the active ones (dropped now, later, or kept); returns its kid.
    private func installSigningKey(
        _ key: RSAKey, server sid: String, dropOld: Bool, keepOldSeconds: Double?, now: Double
    ) throws -> String {
        let count = read { $0.servers[sid]?.keys.count ?? 0 }
        rotationKeys.prepare(server: sid, index: count + 1)  // a spare for the next rotation
        let rec = SigningKey(
            kid: key.thumbprint, privateKeyPEM: key.privateKeyPEM, status: "ACTIVE", created: now, dropAt: nil)
        keyCache.withLock { $0[rec.kid] = key }
        try mutate { t, d in
            guard var s = t.servers[sid] else { return }
            for i in s.keys.indices where s.keys[i].status == "ACTIVE" {
                s.keys[i].status = "INACTIVE"
                if dropOld { s.keys[i].dropAt = now } else if let k = keepOldSeconds { s.keys[i].dropAt = now + k }
            }
            s.keys.insert(rec, at: 0)
            t.servers[sid] = s
            d.servers.insert(sid)
        }
        return rec.kid
    }

    // MARK: users and apps

    /// Assigns a user to an app, or unassigns them (also from the app's groups, which would still grant access).
    private func changeAppAssignment(_ user: String, _ app: String, assign: Bool, ex: Exchange?) throws -> JSON {
        let r: (User, App)? = try mutate { t, d in
            guard let u = userRef(t, user), let a = t.app(idOrLabel: app) else { return nil }
            if assign {
                if !t.apps[a.id]!.assignedUsers.contains(u.id) { t.apps[a.id]!.assignedUsers.append(u.id) }
            } else {
                t.apps[a.id]!.assignedUsers.removeAll { $0 == u.id }
                // A group assignment would still grant access; remove the user from the app's groups too.
                for gid in a.assignedGroups
                where t.groups[gid]?.members.contains(u.id) == true && t.groups[gid]?.type != .BUILT_IN {
                    t.groups[gid]!.members.removeAll { $0 == u.id }
                    d.groups.insert(gid)
                }
            }
            d.apps.insert(a.id)
            return (u, t.apps[a.id]!)
        }
        guard let (u, a) = r else { return ["ok": false, "error": .string("unknown user or app")] }
        logEvent(
            assign ? .applicationUserMembershipAdd : .applicationUserMembershipRemove, actor: MockOkta.scenarioActor,
            targets: [actor(user: u), actor(app: a)], ex: ex)
        return ["ok": true]
    }

    /// Removes a granted scope from an app, on one server or on all of them.
    private func removeScopeGrant(app: String, scope: String, server: String?, ex: Exchange?) throws -> JSON {
        let ok = try mutate { t, d -> Bool in
            guard let a = t.app(idOrLabel: app) else { return false }
            for sid in server.map({ [$0] }) ?? Array(a.grants.keys) {
                t.apps[a.id]!.grants[sid]?.removeAll { $0 == scope }
            }
            d.apps.insert(a.id)
            return true
        }
        logEvent(.oauthAdminConsentRevoke, "Scope grant removed by scenario", actor: MockOkta.scenarioActor, ex: ex)
        return ["ok": .bool(ok)]
    }

    /// Suspends or deactivates a user.
    private func changeUserStatus(_ user: String, suspend: Bool, ex: Exchange?, now: Double) throws -> JSON {
        let u: User? = try mutate { t, d in
            guard var u = userRef(t, user) else { return nil }
            u.status = suspend ? .SUSPENDED : .DEPROVISIONED
            u.statusChanged = now
            u.lastUpdated = now
            t.putUser(u)
            d.users.insert(u.id)
            return u
        }
        guard let u else { return ["ok": false, "error": .string("no user \(user)")] }
        logEvent(
            suspend ? .userLifecycleSuspend : .userLifecycleDeactivate, actor: MockOkta.scenarioActor,
            targets: [actor(user: u)], ex: ex)
        return ["ok": true, "userId": .string(u.id)]
    }

    /// The user approves (or denies) a pending device authorization.
    private func approveDeviceAction(_ user: String, userCode: String?, deny: Bool, now: Double) -> JSON {
        guard let u = read({ userRef($0, user) }) else {
            return ["ok": false, "error": .string("no user \(user)")]
        }
        guard approveDevice(userCode: userCode, userId: u.id, deny: deny, now: now) else {
            return ["ok": false, "error": "no pending device authorization with that user code"]
        }
        return ["ok": true, "userId": .string(u.id)]
    }

    // MARK: limits and clock

    /// Changes a rate-limit bucket's per-minute limit, live and in the tenant.
    private func setRateLimit(_ bucket: String, _ limit: Int) throws -> JSON {
        rateLimiter.setLimit(bucket, limit)
        try mutate { t, d in
            t.rateLimitOverrides[bucket] = limit
            d.misc = true
        }
        return ["ok": true]
    }

    /// Moves the tenant clock forward (or back), within 100 years of real time.
    private func advanceClock(_ seconds: Double) -> JSON {
        guard clock.advance(seconds) else {
            return [
                "ok": false, "error": "the clock may move at most 3,153,600,000 seconds (100 years) from real time",
            ]
        }
        return ["ok": true, "now": .number(clock.now().rounded(.down))]
    }
}
