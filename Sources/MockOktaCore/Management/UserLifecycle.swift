import Foundation

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

    func lifecycle(_ ex: Exchange, _ id: String, _ op: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let u = try requireUser(id)
        let sendEmail = (ex.req.queryValue("sendEmail") ?? "true") != "false"
        let who = caller.user.map(actor(user:)) ?? .unknown
        func log(_ type: EventType) { logEvent(type, actor: who, targets: [actor(user: u)], ex: ex) }
        switch op {
        case "activate":
            try setStatus(u.id, now: ex.now) { u in
                guard u.status == .STAGED || u.status == .DEPROVISIONED || u.status == .PROVISIONED else {
                    throw OktaAPIError(403, "E0000016", "Activation failed because the user is already active")
                }
                return u.password == nil ? .PROVISIONED : .ACTIVE
            }
            log(.userLifecycleActivate)
            if !sendEmail {
                let tok = tokenValues.string(20)
                return .json(
                    200, ["activationUrl": .string("\(baseURL)/tokens/\(tok)/verify"), "activationToken": .string(tok)])
            }
            return .json(200, [:])
        case "reactivate":
            guard try requireUser(u.id).status == .PROVISIONED else {
                throw OktaAPIError(403, "E0000038", "This operation is not allowed in the user's current status.")
            }
            log(.userLifecycleReactivate)
            return .json(200, [:])
        case "deactivate":
            try setStatus(u.id, now: ex.now) { u in
                guard u.status != .DEPROVISIONED else {
                    throw OktaAPIError(
                        400, "E0000001", "Api validation failed: user",
                        causes: ["user: The user is already deactivated."])
                }
                return .DEPROVISIONED
            }
            log(.userLifecycleDeactivate)
            return .json(200, [:])
        case "suspend":
            try setStatus(u.id, now: ex.now) { u in
                guard u.status == .ACTIVE else {
                    throw OktaAPIError(
                        400, "E0000001", "Api validation failed: status",
                        causes: ["status: Cannot suspend a user that is not active"])
                }
                return .SUSPENDED
            }
            log(.userLifecycleSuspend)
            return .json(200, [:])
        case "unsuspend":
            try setStatus(u.id, now: ex.now) { u in
                guard u.status == .SUSPENDED else {
                    throw OktaAPIError(
                        400, "E0000001", "Api validation failed: status",
                        causes: ["status: Cannot unsuspend a user that is not suspended"])
                }
                return .ACTIVE
            }
            log(.userLifecycleUnsuspend)
            return .json(200, [:])
        case "unlock":
            try setStatus(u.id, now: ex.now) { u in
                guard u.status == .LOCKED_OUT else {
                    throw OktaAPIError(
                        403, "E0000032", "Unlock is not allowed for this user.", causes: ["The user is not locked out."]
                    )
                }
                return .ACTIVE
            }
            try mutate { t, d in
                t.users[u.id]?.failedLogins = nil
                t.users[u.id]?.lockedAt = nil
                d.users.insert(u.id)
            }
            log(.userAccountUnlockByAdmin)
            return .json(200, [:])
        case "expire_password", "expire_password_with_temp_password":
            // With a temporary password Okta answers only {"tempPassword"} (okta-sdk-python cassettes, 2020 and 2025);
            // the temporary password is the user's password from then on.
            let temp =
                op == "expire_password_with_temp_password" || ex.req.queryValue("tempPassword")?.lowercased() == "true"
            let tempPassword = temp ? tokenValues.string(8) : nil
            let nu: User = try mutate { t, d in
                guard var cur = t.users[u.id] else { throw OktaAPIError.notFound("Resource not found: \(id) (User)") }
                guard MockOkta.passwordOpsAllowed.contains(cur.status) else { throw MockOkta.notAllowedInStatus }
                cur.status = .PASSWORD_EXPIRED
                cur.statusChanged = ex.now
                cur.lastUpdated = ex.now
                if let tempPassword {
                    cur.password = tempPassword
                    cur.passwordChanged = ex.now
                }
                t.putUser(cur)
                d.users.insert(cur.id)
                return cur
            }
            log(.userAccountExpirePassword)
            if let tempPassword { return .json(200, ["tempPassword": .string(tempPassword)]) }
            return .json(200, userJSON(nu))
        case "reset_password":
            try setStatus(u.id, now: ex.now) { cur in
                guard MockOkta.passwordOpsAllowed.contains(cur.status) else { throw MockOkta.notAllowedInStatus }
                return .RECOVERY
            }
            log(.userAccountResetPassword)
            if !sendEmail {
                return .json(200, ["resetPasswordUrl": .string("\(baseURL)/reset_password/\(tokenValues.string(20))")])
            }
            return .json(200, [:])
        case "reset_factors":
            try mutate { t, d in
                t.users[u.id]?.factors = nil
                d.users.insert(u.id)
            }
            log(.userMFAFactorResetAll)
            return .json(200, [:])
        default:
            throw OktaAPIError.notFound("Resource not found: \(op) (Lifecycle operation)")
        }
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
