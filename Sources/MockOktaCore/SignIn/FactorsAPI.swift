import FoundationEssentials

/// `/api/v1/users/{id}/factors`: list, enroll, activate, verify and delete TOTP factors with an API token.
extension MockOkta {
    func userFactor(_ user: User, _ factorId: String) throws -> Factor {
        guard let f = (user.factors ?? []).first(where: { $0.id == factorId }) else {
            throw OktaAPIError.notFound("Resource not found: \(factorId) (UserFactor)")
        }
        return f
    }

    func listFactors(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: false)
        let u = try requireUser(id)
        return .json(200, .array((u.factors ?? []).map { factorJSON($0, u, activation: false) }))
    }

    func getFactor(_ ex: Exchange, _ id: String, _ factorId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: false)
        let u = try requireUser(id)
        return .json(200, factorJSON(try userFactor(u, factorId), u, activation: false))
    }

    func enrollFactor(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: true)
        let u = try requireUser(id)
        let body = try authnBody(ex)
        if let type = body["factorType"]?.stringValue, MockOkta.otpFactorTypes.contains(type) {
            return try enrollOTPFactor(ex, u, type: type, body: body)
        }
        guard body["factorType"]?.stringValue == "token:software:totp" else {
            throw OktaAPIError(
                400, "E0000001", "Api validation failed: factorType",
                causes: ["factorType: this mock enrolls token:software:totp, sms and email (push only as a fixture)."])
        }
        let provider = body["provider"]?.stringValue ?? "OKTA"
        guard MockOkta.totpProviders.contains(provider) else {
            throw OktaAPIError.validation("provider", "must be OKTA or GOOGLE for token:software:totp")
        }
        if (u.factors ?? []).contains(where: { $0.factorType == "token:software:totp" && $0.status == "ACTIVE" }) {
            throw OktaAPIError(400, "E0000034", "Factor already exists.")
        }
        var f = newFactor(u, provider: provider, now: ex.now)
        let activate = ex.req.queryValue("activate") == "true"
        if activate { f.status = "ACTIVE" }
        try mutate { t, d in
            let kept = (t.users[u.id]?.factors ?? []).filter { $0.status == "ACTIVE" }
            t.users[u.id]?.factors = kept + [f]
            d.users.insert(u.id)
        }
        if activate { logEvent(.userMFAFactorActivate, actor: actor(user: u), targets: [actor(user: u)], ex: ex) }
        return .json(200, factorJSON(f, u, activation: !activate))
    }

    func activateFactorAPI(_ ex: Exchange, _ id: String, _ factorId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: true)
        let u = try requireUser(id)
        let f = try userFactor(u, factorId)
        guard f.status == "PENDING_ACTIVATION" else {
            throw OktaAPIError(
                400, "E0000001", "Api validation failed: factor", causes: ["The factor is already active."])
        }
        if MockOkta.otpFactorTypes.contains(f.factorType) {
            guard checkCode(try authnBody(ex)["passCode"]?.stringValue, key: "api/" + f.id, now: ex.now) else {
                throw MockOkta.invalidToken
            }
            try activateFactor(u, factorId, ex: ex)
            let updated = try requireUser(id)
            return .json(200, factorJSON(try userFactor(updated, factorId), updated, activation: false))
        }
        guard try totpMatches(try authnBody(ex)["passCode"]?.stringValue, f, u, now: ex.now) else {
            throw MockOkta.invalidPasscode
        }
        try activateFactor(u, factorId, ex: ex)
        let updated = try requireUser(id)
        return .json(200, factorJSON(try userFactor(updated, factorId), updated, activation: false))
    }

    func verifyFactorAPI(_ ex: Exchange, _ id: String, _ factorId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: true)
        let u = try requireUser(id)
        let f = try userFactor(u, factorId)
        if f.status == "ACTIVE", MockOkta.otpFactorTypes.contains(f.factorType) {
            return try verifyOTPFactorAPI(ex, u, f)
        }
        guard f.status == "ACTIVE", try totpMatches(try authnBody(ex)["passCode"]?.stringValue, f, u, now: ex.now)
        else {
            logEvent(.userAuthViaMFA, actor: actor(user: u), result: "FAILURE", reason: "INVALID_CREDENTIALS", ex: ex)
            throw MockOkta.invalidPasscode
        }
        logEvent(.userAuthViaMFA, actor: actor(user: u), ex: ex)
        return .json(200, ["factorResult": "SUCCESS"])
    }

    func deleteFactor(_ ex: Exchange, _ id: String, _ factorId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: true)
        let u = try requireUser(id)
        _ = try userFactor(u, factorId)
        try mutate { t, d in
            t.users[u.id]?.factors?.removeAll { $0.id == factorId }
            d.users.insert(u.id)
        }
        logEvent(.userMFAFactorDeactivate, actor: actor(user: u), targets: [actor(user: u)], ex: ex)
        return .empty(204)
    }

    /// A factor as `/__mock/tenant` shows it: with its secret, so tests can compute codes.
    static func factorSecretJSON(_ f: Factor) -> JSON {
        var j: [(String, JSON)] = [
            ("id", .string(f.id)), ("factorType", .string(f.factorType)), ("provider", .string(f.provider)),
            ("status", .string(f.status)),
        ]
        if f.factorType == "token:software:totp" { j.append(("secret", .string(f.secret))) }
        if let p = f.phoneNumber { j.append(("phoneNumber", .string(p))) }
        if let e = f.email { j.append(("email", .string(e))) }
        return .object(j)
    }

    func signOnJSON(_ s: SignOnSettings) -> JSON {
        [
            "maxAttempts": JSON(s.maxAttempts), "autoUnlockMinutes": s.autoUnlockMinutes.map { JSON($0) } ?? .null,
            "requireMfa": .bool(s.mfaEveryone), "requireMfaApps": JSON(s.mfaApps.sorted()),
            "deliveryDelaySeconds": .number(s.deliveryDelaySeconds),
            "zones": .array(s.zones.map(zoneJSON)),
            "denyRules": .array(
                s.policies.flatMap { p in p.rules.filter { $0.access == "DENY" && $0.status == "ACTIVE" } }.map {
                    ["id": .string($0.id), "name": .string($0.name), "zones": JSON($0.zoneInclude)]
                }),
        ]
    }
}
