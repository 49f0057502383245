import FoundationEssentials

/// TOTP factors (`token:software:totp`): the Factors API (`/api/v1/users/{id}/factors`), and enrollment and
/// verification inside an Authn transaction. Secrets come from the seed (same seed, same secret) and are shown
/// in `/__mock/tenant`, so a test can compute codes with any TOTP library.
extension MockOkta {
    static let totpProviders: Set<String> = ["OKTA", "GOOGLE"]

    func newFactor(_ user: User, provider: String, now: Double) -> Factor {
        Factor.totp(seed: seed, user: user, provider: provider, now: now)
    }

    func authnFactorJSON(_ f: Factor, _ u: User, verify: Bool) -> JSON {
        var j: [(String, JSON)] = [
            ("id", .string(f.id)), ("factorType", .string(f.factorType)), ("provider", .string(f.provider)),
            ("vendorName", .string(f.provider)), ("profile", MockOkta.factorProfile(f, u)),
        ]
        if verify { j.append(("_links", ["verify": link(nil, "/api/v1/authn/factors/\(f.id)/verify")])) }
        return .object(j)
    }

    func factorJSON(_ f: Factor, _ u: User, activation: Bool) -> JSON {
        let base = "/api/v1/users/\(u.id)/factors/\(f.id)"
        var j: [(String, JSON)] = [
            ("id", .string(f.id)), ("factorType", .string(f.factorType)), ("provider", .string(f.provider)),
            ("vendorName", .string(f.provider)), ("status", .string(f.status)),
            ("created", .string(TimeFormat.isoSeconds(f.created))),
            ("lastUpdated", .string(TimeFormat.isoSeconds(f.lastUpdated))),
            ("profile", MockOkta.apiFactorProfile(f, u)),
        ]
        if activation && f.factorType == "token:software:totp" {
            j.append(("_embedded", ["activation": activationJSON(f)]))
        }
        var links: [(String, JSON)] = [("self", link(nil, base, allow: ["GET", "DELETE"]))]
        links.append(
            f.status == "ACTIVE"
                ? ("verify", link(nil, base + "/verify")) : ("activate", link(nil, base + "/lifecycle/activate")))
        links.append(("user", link(nil, "/api/v1/users/\(u.id)", allow: ["GET"])))
        j.append(("_links", .object(links)))
        return .object(j)
    }

    /// The profile the Factors API shows (unmasked, as an administrator sees it).
    static func apiFactorProfile(_ f: Factor, _ u: User) -> JSON {
        switch f.factorType {
        case "sms": return ["phoneNumber": .string(f.phoneNumber ?? "")]
        case "email": return ["email": .string(f.email ?? u.login)]
        case "push": return factorProfile(f, u)
        default: return ["credentialId": .string(u.login)]
        }
    }

    func activationJSON(_ f: Factor) -> JSON {
        ["timeStep": 30, "sharedSecret": .string(f.secret), "encoding": "base32", "keyLength": 6]
    }

    /// Checks a code against a factor: false for a wrong code; a code of a time step already used throws Okta's
    /// E0000082 (each code is taken once); an accepted code's step is recorded. Counts toward nothing by itself
    /// (callers log and count).
    func totpMatches(_ code: String?, _ f: Factor, _ user: User, now: Double) throws -> Bool {
        guard let code, let step = TOTP.matchedStep(code, secret: f.secretBytes, at: now) else { return false }
        let fresh = try mutate { t, d -> Bool in
            guard let i = t.users[user.id]?.factors?.firstIndex(where: { $0.id == f.id }) else { return true }
            if let last = t.users[user.id]?.factors?[i].lastStep, step <= last { return false }
            t.users[user.id]?.factors?[i].lastStep = step
            d.users.insert(user.id)
            return true
        }
        guard fresh else { throw MockOkta.passcodeReused }
        return true
    }

    static let passcodeReused = OktaAPIError(
        403, "E0000082", "Each code can only be used once. Please wait for a new code and try again.")

    static let invalidPasscode = OktaAPIError(
        403, "E0000068", "Invalid Passcode/Answer",
        causes: ["Your passcode doesn't match our records. Please try again."])

    /// `POST /api/v1/authn/factors/{factorId}/verify` (MFA_REQUIRED → SUCCESS).
    func authnVerify(_ ex: Exchange, _ factorId: String) throws -> HTTPReply {
        let body = try authnBody(ex)
        let (key, txn, user) = try transaction(body, ex: ex)
        guard txn.status == "MFA_REQUIRED" || txn.status == "MFA_CHALLENGE",
            let f = (user.factors ?? []).first(where: { $0.id == factorId && $0.status == "ACTIVE" })
        else { throw OktaAPIError.notFound("Resource not found: \(factorId) (UserFactor)") }
        let state = body["stateToken"]?.stringValue ?? ""
        if MockOkta.otpFactorTypes.contains(f.factorType) {
            return try verifyOTPFactor(body, key: key, state: state, f, user, ex: ex)
        }
        if f.factorType == "push" { return try verifyPush(key, state: state, f, user, ex: ex) }
        guard try totpMatches(body["passCode"]?.stringValue, f, user, now: ex.now) else {
            logEvent(
                .userAuthViaMFA, actor: actor(user: user), result: "FAILURE", reason: "INVALID_CREDENTIALS", ex: ex)
            countFactorFailure(key)
            throw MockOkta.invalidPasscode
        }
        guard endTransaction(key) else { throw OktaAPIError.invalidToken }  // a concurrent verify finished it
        logEvent(.userAuthViaMFA, actor: actor(user: user), ex: ex)
        return .json(200, try authnSuccess(user, amr: ["pwd", "otp", "mfa"], ex: ex))
    }

    /// `POST /api/v1/authn/factors` (MFA_ENROLL → MFA_ENROLL_ACTIVATE with the shared secret).
    func authnEnroll(_ ex: Exchange) throws -> HTTPReply {
        let body = try authnBody(ex)
        let (key, txn, user) = try transaction(body, ex: ex)
        guard txn.status == "MFA_ENROLL" else { throw OktaAPIError.invalidToken }
        guard body["factorType"]?.stringValue == "token:software:totp",
            let provider = body["provider"]?.stringValue, MockOkta.totpProviders.contains(provider)
        else {
            throw OktaAPIError(
                400, "E0000001", "Api validation failed: factorType", causes: ["Only token:software:totp is supported."]
            )
        }
        let f = newFactor(user, provider: provider, now: ex.now)
        try mutate { t, d in
            let kept = (t.users[user.id]?.factors ?? []).filter { $0.status == "ACTIVE" }
            t.users[user.id]?.factors = kept + [f]
            d.users.insert(user.id)
        }
        signIn.withLock { $0.transactions[key]?.status = "MFA_ENROLL_ACTIVATE" }
        let state = body["stateToken"]?.stringValue ?? ""
        var factor = authnFactorJSON(f, user, verify: false)
        if case .object(var members) = factor {
            members.append(("_embedded", ["activation": activationJSON(f)]))
            factor = .object(members)
        }
        var j = transactionJSON(state, user, "MFA_ENROLL_ACTIVATE", ex: ex, extra: [("factor", factor)])
        if case .object(var members) = j, let i = members.firstIndex(where: { $0.0 == "_links" }) {
            members[i].1 = [
                "next": link("activate", "/api/v1/authn/factors/\(f.id)/lifecycle/activate"),
                "cancel": link(nil, "/api/v1/authn/cancel"),
            ]
            j = .object(members)
        }
        return .json(200, j)
    }

    /// `POST /api/v1/authn/factors/{factorId}/lifecycle/activate` (MFA_ENROLL_ACTIVATE → SUCCESS).
    func authnActivate(_ ex: Exchange, _ factorId: String) throws -> HTTPReply {
        let body = try authnBody(ex)
        let (key, txn, user) = try transaction(body, ex: ex)
        guard txn.status == "MFA_ENROLL_ACTIVATE",
            let f = (user.factors ?? []).first(where: { $0.id == factorId && $0.status == "PENDING_ACTIVATION" })
        else { throw OktaAPIError.notFound("Resource not found: \(factorId) (UserFactor)") }
        guard try totpMatches(body["passCode"]?.stringValue, f, user, now: ex.now) else {
            countFactorFailure(key)
            throw MockOkta.invalidPasscode
        }
        guard endTransaction(key) else { throw OktaAPIError.invalidToken }
        try activateFactor(user, factorId, ex: ex)
        return .json(200, try authnSuccess(user, amr: ["pwd", "otp", "mfa"], ex: ex))
    }

    func activateFactor(_ user: User, _ factorId: String, ex: Exchange) throws {
        try mutate { t, d in
            guard let i = t.users[user.id]?.factors?.firstIndex(where: { $0.id == factorId }) else { return }
            t.users[user.id]?.factors?[i].status = "ACTIVE"
            t.users[user.id]?.factors?[i].lastUpdated = ex.now
            d.users.insert(user.id)
        }
        logEvent(.userMFAFactorActivate, actor: actor(user: user), targets: [actor(user: user)], ex: ex)
    }
}
