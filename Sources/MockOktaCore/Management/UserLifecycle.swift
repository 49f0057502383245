import FoundationEssentials

/// User lifecycle (`/users/{id}/lifecycle/*`) and deletion, decided under the tenant lock.
extension MockOkta {
    /// Moves a user to the status `decide` picks from the user as it is now, under the tenant lock, so a
    /// concurrent change is never overwritten by a stale copy. `decide` throws Okta's error to refuse.
    @discardableResult
    func setStatus(_ id: String, now: Double, _ decide: (User) throws -> UserStatus) throws -> User {
        try mutate { t, d in
            guard var u = t.users[id] else { throw OktaAPIError.notFound("Resource not found: \(id) (User)") }
            let s = try decide(u)
            u.status = s
            u.statusChanged = now
            u.lastUpdated = now
            if s == .ACTIVE && u.activated == nil { u.activated = now }
            t.putUser(u)
            d.users.insert(u.id)
            return u
        }
    }

    /// Runs the lifecycle operation `op` (`/users/{id}/lifecycle/{op}`) on a user, writes its System Log event,
    /// and answers as Okta does.
    func lifecycle(_ ex: Exchange, _ id: String, _ op: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let u = try requireUser(id)
        let sendEmail = (ex.req.queryValue("sendEmail") ?? "true") != "false"
        let who = caller.user.map(actor(user:)) ?? .unknown
        func log(_ type: EventType) { logEvent(type, actor: who, targets: [actor(user: u)], ex: ex) }
        if let plain = StatusStep.plain[op] {
            try setStatus(u.id, now: ex.now, plain.step)
            log(plain.event)
            return .json(200, [:])
        }
        switch op {
        case "activate":
            try setStatus(u.id, now: ex.now, MockOkta.activationStatus)
            log(.userLifecycleActivate)
            return sendEmail ? .json(200, [:]) : activationLinkReply()
        case "reactivate":
            guard try requireUser(u.id).status == .PROVISIONED else { throw MockOkta.notAllowedInStatus }
            log(.userLifecycleReactivate)
            return .json(200, [:])
        case "unlock":
            try setStatus(u.id, now: ex.now, .unlock)
            try clearLockout(u.id)
            log(.userAccountUnlockByAdmin)
            return .json(200, [:])
        case "expire_password", "expire_password_with_temp_password":
            let temp =
                op == "expire_password_with_temp_password" || ex.req.queryValue("tempPassword")?.lowercased() == "true"
            let reply = try expirePassword(u.id, now: ex.now, withTempPassword: temp)
            log(.userAccountExpirePassword)
            return reply
        case "reset_password":
            try setStatus(u.id, now: ex.now, .resetPassword)
            log(.userAccountResetPassword)
            return sendEmail ? .json(200, [:]) : resetPasswordLinkReply()
        case "reset_factors":
            try resetFactors(u.id)
            log(.userMFAFactorResetAll)
            return .json(200, [:])
        default:
            throw OktaAPIError.notFound("Resource not found: \(op) (Lifecycle operation)")
        }
    }

    /// Moves a user as `step` says, under the tenant lock, or throws the step's refusal.
    private func setStatus(_ id: String, now: Double, _ step: StatusStep) throws {
        try setStatus(id, now: now) { u in
            guard step.allowed(u.status) else { throw step.refusal }
            return step.to
        }
    }

    /// The status an activation moves a user to: ACTIVE with a password, PROVISIONED without one.
    private static func activationStatus(_ u: User) throws -> UserStatus {
        guard u.status == .STAGED || u.status == .DEPROVISIONED || u.status == .PROVISIONED else {
            throw OktaAPIError(403, "E0000016", "Activation failed because the user is already active")
        }
        return u.password == nil ? .PROVISIONED : .ACTIVE
    }

    /// The answer to an activation with `sendEmail=false`: a new activation token and its URL.
    private func activationLinkReply() -> HTTPReply {
        let tok = tokenValues.string(20)
        return .json(
            200, ["activationUrl": .string("\(baseURL)/tokens/\(tok)/verify"), "activationToken": .string(tok)])
    }

    /// The answer to a password reset with `sendEmail=false`: a new reset URL.
    private func resetPasswordLinkReply() -> HTTPReply {
        .json(200, ["resetPasswordUrl": .string("\(baseURL)/reset_password/\(tokenValues.string(20))")])
    }

    /// Forgets an unlocked user's failed sign-ins and lockout time.
    private func clearLockout(_ id: String) throws {
        try mutate { t, d in
            t.users[id]?.failedLogins = nil
            t.users[id]?.lockedAt = nil
            d.users.insert(id)
        }
    }

    /// Removes every factor a user enrolled.
    private func resetFactors(_ id: String) throws {
        try mutate { t, d in
            t.users[id]?.factors = nil
            d.users.insert(id)
        }
    }

    /// Expires a user's password, optionally replacing it with a new temporary one, and answers as Okta does:
    /// only `{"tempPassword"}` with a temporary password (okta-sdk-python cassettes, 2020 and 2025), the
    /// user otherwise. The temporary password is the user's password from then on.
    private func expirePassword(_ id: String, now: Double, withTempPassword temp: Bool) throws -> HTTPReply {
        let tempPassword = temp ? tokenValues.string(8) : nil
        let nu: User = try mutate { t, d in
            guard var cur = t.users[id] else { throw OktaAPIError.notFound("Resource not found: \(id) (User)") }
            guard MockOkta.passwordOpsAllowed.contains(cur.status) else { throw MockOkta.notAllowedInStatus }
            cur.status = .PASSWORD_EXPIRED
            cur.statusChanged = now
            cur.lastUpdated = now
            if let tempPassword {
                cur.password = tempPassword
                cur.passwordChanged = now
            }
            t.putUser(cur)
            d.users.insert(cur.id)
            return cur
        }
        if let tempPassword { return .json(200, ["tempPassword": .string(tempPassword)]) }
        return .json(200, userJSON(nu))
    }

    /// Statuses in which a password can be expired or reset (not STAGED, PROVISIONED or DEPROVISIONED users).
    static let passwordOpsAllowed: Set<UserStatus> = [.ACTIVE, .PASSWORD_EXPIRED, .RECOVERY, .LOCKED_OUT, .SUSPENDED]
    static let notAllowedInStatus = OktaAPIError(
        403, "E0000038", "This operation is not allowed in the user's current status.")

    func deleteUser(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let u = try requireUser(id)
        let who = caller.user.map(actor(user:)) ?? .unknown
        // First call deactivates, second deletes; decided under the lock from the user as it is now.
        let deactivated: Bool = try mutate { t, d in
            guard var cur = t.users[u.id] else { throw OktaAPIError.notFound("Resource not found: \(id) (User)") }
            if cur.status != .DEPROVISIONED {
                cur.status = .DEPROVISIONED
                cur.statusChanged = ex.now
                cur.lastUpdated = ex.now
                t.putUser(cur)
                d.users.insert(u.id)
                return true
            }
            t.removeUser(u.id)
            d.users.insert(u.id)
            d.groups.formUnion(t.groupOrder)
            d.apps.formUnion(t.appOrder)
            return false
        }
        if deactivated {
            logEvent(.userLifecycleDeactivate, actor: who, targets: [actor(user: u)], ex: ex)
        } else {
            logEvent(.userLifecycleDeleteInitiated, actor: who, targets: [actor(user: u)], ex: ex)
        }
        return .empty(204)
    }
}

/// A lifecycle operation's change of status: the statuses it allows, the one it moves the user to, and Okta's
/// error when the user is in any other.
private struct StatusStep: Sendable {
    let allowed: @Sendable (UserStatus) -> Bool
    let to: UserStatus
    let refusal: OktaAPIError

    /// The operations that do nothing but move the user and answer `{}`, by their name in the path, with the
    /// System Log event each writes.
    static let plain: [String: (step: StatusStep, event: EventType)] = [
        "deactivate": (.deactivate, .userLifecycleDeactivate),
        "suspend": (.suspend, .userLifecycleSuspend),
        "unsuspend": (.unsuspend, .userLifecycleUnsuspend),
    ]

    static let deactivate = StatusStep(
        allowed: { $0 != .DEPROVISIONED }, to: .DEPROVISIONED,
        refusal: OktaAPIError(
            400, "E0000001", "Api validation failed: user", causes: ["user: The user is already deactivated."]))
    static let suspend = StatusStep(
        allowed: { $0 == .ACTIVE }, to: .SUSPENDED,
        refusal: OktaAPIError(
            400, "E0000001", "Api validation failed: status",
            causes: ["status: Cannot suspend a user that is not active"]))
    static let unsuspend = StatusStep(
        allowed: { $0 == .SUSPENDED }, to: .ACTIVE,
        refusal: OktaAPIError(
            400, "E0000001", "Api validation failed: status",
            causes: ["status: Cannot unsuspend a user that is not suspended"]))
    static let unlock = StatusStep(
        allowed: { $0 == .LOCKED_OUT }, to: .ACTIVE,
        refusal: OktaAPIError(
            403, "E0000032", "Unlock is not allowed for this user.", causes: ["The user is not locked out."]))
    static let resetPassword = StatusStep(
        allowed: { MockOkta.passwordOpsAllowed.contains($0) }, to: .RECOVERY, refusal: MockOkta.notAllowedInStatus)
}
