import FoundationEssentials

/// One password check for every way a person signs in (the Authn API, the sign-in page, the password grant), so
/// the password policy's lockout counts them all, as Okta's does.
extension MockOkta {
    enum PasswordOutcome {
        /// Right password (the user may still be PASSWORD_EXPIRED).
        case ok(User)
        /// No such user, or a wrong password below the policy's maximum.
        case wrong(User?)
        /// This wrong password reached the maximum: the user is now LOCKED_OUT.
        case lockedNow(User)
        /// Already locked out (whatever the password).
        case lockedOut(User)
        /// Staged, provisioned, suspended or deactivated: cannot sign in.
        case inactive(User)
    }

    /// A user by login, id, or login shortname (as `requireUser`), for signing in.
    func signInUser(_ username: String) -> User? { try? requireUser(username) }

    func checkPassword(username: String, password: String, ex: Exchange) throws -> PasswordOutcome {
        guard let found = signInUser(username) else {
            logSignInFailure(nil, username: username, reason: "VERIFICATION_ERROR", ex: ex)
            return .wrong(nil)
        }
        let outcome: PasswordOutcome = try mutate { t, d in
            guard var u = t.users[found.id] else { return .wrong(nil) }
            let policy = t.signOn
            if u.status == .LOCKED_OUT, let minutes = policy.autoUnlockMinutes, let at = u.lockedAt,
                ex.now >= at + Double(minutes) * 60
            {
                u.status = .ACTIVE
                u.lockedAt = nil
                u.failedLogins = nil
                u.statusChanged = ex.now
            }
            defer {
                t.users[u.id] = u
                d.users.insert(u.id)
            }
            if u.status == .LOCKED_OUT { return .lockedOut(u) }
            guard u.canSignIn else { return .inactive(u) }
            guard u.password == password, password.isEmpty == false else {
                u.failedLogins = (u.failedLogins ?? 0) + 1
                if (u.failedLogins ?? 0) >= policy.maxAttempts {
                    u.status = .LOCKED_OUT
                    u.lockedAt = ex.now
                    u.statusChanged = ex.now
                    u.lastUpdated = ex.now
                    return .lockedNow(u)
                }
                return .wrong(u)
            }
            u.failedLogins = nil
            return .ok(u)
        }
        switch outcome {
        case .ok: break
        case .wrong(let u): logSignInFailure(u, username: username, reason: "INVALID_CREDENTIALS", ex: ex)
        case .lockedNow(let u):
            logSignInFailure(u, username: username, reason: "INVALID_CREDENTIALS", ex: ex)
            logEvent(
                .userAccountLock, actor: actor(user: u), targets: [actor(user: u)], result: "SUCCESS",
                reason: "Max sign in attempts exceeded", ex: ex,
                debug: [("maxAttempts", JSON(read { $0.signOn.maxAttempts }))])
        case .lockedOut(let u): logSignInFailure(u, username: username, reason: "LOCKED_OUT", ex: ex)
        case .inactive(let u): logSignInFailure(u, username: username, reason: "USER_NOT_ACTIVE", ex: ex)
        }
        return outcome
    }

    /// `user.session.start` FAILURE (legacy `core.user_auth.login_failed`), the event the troubleshooting guide
    /// looks for first.
    func logSignInFailure(_ user: User?, username: String, reason: String, ex: Exchange) {
        let who =
            user.map(actor(user:))
            ?? SystemLog.Actor(id: "unknown", type: "User", alternateId: username, displayName: "unknown")
        logEvent(.userSessionStart, actor: who, result: "FAILURE", reason: reason, ex: ex)
    }
}
