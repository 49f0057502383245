import FoundationEssentials

/// The sign-in timeline actions: `lockUser`, `expirePassword` and `requireMfa`.
extension MockOkta {
    /// `lockUser` (lock: true) or `expirePassword`.
    func lockOrExpire(_ user: String, lock: Bool, ex: Exchange?, now: Double, system: SystemLog.Actor) throws -> JSON {
        let u: User? = try mutate { t, d in
            guard var u = userRef(t, user), u.status != .DEPROVISIONED else { return nil }
            u.status = lock ? .LOCKED_OUT : .PASSWORD_EXPIRED
            if lock { u.lockedAt = now }
            u.statusChanged = now
            u.lastUpdated = now
            t.putUser(u)
            d.users.insert(u.id)
            return u
        }
        guard let u else { return ["ok": false, "error": .string("no active user \(user)")] }
        if lock {
            logEvent(
                .userAccountLock, "User account locked by scenario", actor: system, targets: [actor(user: u)], ex: ex)
        } else {
            logEvent(.userAccountExpirePassword, actor: system, targets: [actor(user: u)], ex: ex)
        }
        return ["ok": true, "userId": .string(u.id), "status": .string(u.status.rawValue)]
    }

    func requireMfa(app: String?, off: Bool) throws -> JSON {
        let ok: Bool = try mutate { t, d in
            if let app {
                guard let a = t.app(idOrLabel: app) else { return false }
                if off { t.signOn.mfaApps.remove(a.id) } else { t.signOn.mfaApps.insert(a.id) }
            } else {
                t.signOn.mfaEveryone = !off
                if off { t.signOn.mfaApps.removeAll() }
            }
            d.misc = true
            return true
        }
        guard ok else { return ["ok": false, "error": .string("no app \(app ?? "")")] }
        return ["ok": true, "mfaEveryone": .bool(read { $0.signOn.mfaEveryone })]
    }

    /// `denyFromZone`: a rule at the top of the Default Policy denies sign-ins from the zone (`off`: removes it).
    func denyFromZone(_ ref: String, off: Bool, ex: Exchange?, now: Double, system: SystemLog.Actor) throws -> JSON {
        try ensureBuiltInZones(now: now)
        guard let zone = read({ $0.signOn.zones.first { $0.id == ref || $0.name == ref } }) else {
            return ["ok": false, "error": .string("no network zone \(ref)")]
        }
        let name = "Deny \(zone.name)"
        let rule = SignOnRule(
            id: ids.oktaID("0pr"), name: name, priority: 1, status: "ACTIVE", system: false, connection: "ZONE",
            zoneInclude: [zone.id], zoneExclude: [], userExclude: [], access: "DENY", requireFactor: false,
            created: now, lastUpdated: now)
        let ruleId: String? = try changePolicies(now) { list, _ in
            guard let i = list.firstIndex(where: { $0.system && $0.type == MockOkta.signOnType }) else { return nil }
            list[i].rules.removeAll { $0.name == name }
            if !off { list[i].rules.insert(rule, at: 0) }
            return off ? nil : rule.id
        }
        logEvent(off ? .policyRuleDelete : .policyRuleAdd, actor: system, targets: [ruleActor(rule)], ex: ex)
        return ["ok": true, "zoneId": .string(zone.id), "ruleId": JSON(ruleId)]
    }

    /// `setPassword`: the user's sessions end and clients holding the old password get 401 E0000004.
    func setPassword(_ user: String, _ password: String?, ex: Exchange?, now: Double, system: SystemLog.Actor) throws
        -> JSON
    {
        let new = password ?? "Reset-" + tokenValues.string(12) + "1!"
        let u: User? = try mutate { t, d in
            guard var u = userRef(t, user) else { return nil }
            u.password = new
            u.passwordChanged = now
            u.lastUpdated = now
            t.putUser(u)
            d.users.insert(u.id)
            return u
        }
        guard let u else { return ["ok": false, "error": .string("no user \(user)")] }
        endSessions(userId: u.id)
        logEvent(.userAccountResetPassword, actor: system, targets: [actor(user: u)], ex: ex)
        return ["ok": true, "userId": .string(u.id)]
    }
}
