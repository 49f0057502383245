import Foundation

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
