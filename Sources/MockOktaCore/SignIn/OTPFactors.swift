import FoundationEssentials

/// SMS, email and Okta Verify push factors inside an Authn transaction (`MFA_REQUIRED` → `MFA_CHALLENGE` →
/// `SUCCESS`). Nothing is delivered: SMS and email codes are read at `GET /__mock/factors/messages` (after
/// `tenant.signOn.deliveryDelaySeconds`), and a push is approved or rejected by the `respondPush` action.
/// Shapes follow Okta's Authn reference and okta-auth-js's fixtures (`mfa-challenge-sms.js`,
/// `mfa-challenge-push.js`).
extension MockOkta {
    static let otpFactorTypes: Set<String> = ["sms", "email"]

    /// A new SMS, email or push factor for a fixture user (ACTIVE; ids from the seed).
    static func fixtureFactor(seed: UInt64, user: User, type: String, now: Double) -> Factor {
        let n = (user.factors ?? []).count
        let prefix = ["sms": "sms", "email": "emf", "push": "opf"][type] ?? "fac"
        var f = Factor(
            id: prefix + RandomSource(seed: seed, purpose: "factor:\(user.id):\(n)").string(17), factorType: type,
            provider: "OKTA", status: "ACTIVE", secret: "", created: now, lastUpdated: now)
        if type == "sms" { f.phoneNumber = user.profile["mobilePhone"]?.stringValue ?? "+1 555-010-0100" }
        if type == "email" { f.email = user.profile["email"]?.stringValue ?? user.login }
        return f
    }

    /// The factor's profile as Okta shows it in Authn (phone numbers masked).
    static func factorProfile(_ f: Factor, _ u: User) -> JSON {
        switch f.factorType {
        case "sms":
            let digits = (f.phoneNumber ?? "").filter(\.isNumber)
            return ["phoneNumber": .string("+1 XXX-XXX-" + String(digits.suffix(4)))]
        case "email": return ["email": .string(maskEmail(f.email ?? u.login))]
        case "push":
            return ["deviceType": "SmartPhone_IPhone", "name": "Mock iPhone", "platform": "IOS", "version": "17.0"]
        default: return ["credentialId": .string(u.login)]
        }
    }

    static func maskEmail(_ e: String) -> String {
        guard let at = e.firstIndex(of: "@"), at > e.startIndex, let first = e.first else { return e }
        return "\(first)...\(e[e.index(before: at)])\(e[at...])"
    }

    /// `MFA_CHALLENGE` for a factor: next is `verify` (with a code) or `poll` (a push still waiting).
    func challengeJSON(
        _ state: String, _ u: User, _ f: Factor, ex: Exchange, factorResult: String?, poll: Bool
    ) -> JSON {
        let verify = "/api/v1/authn/factors/\(f.id)/verify"
        let factor: JSON = [
            "id": .string(f.id), "factorType": .string(f.factorType), "provider": .string(f.provider),
            "vendorName": .string(f.provider), "profile": MockOkta.factorProfile(f, u),
        ]
        var top: [(String, JSON)] = [
            ("stateToken", .string(state)),
            ("expiresAt", .string(TimeFormat.isoSeconds(ex.now + MockOkta.authnLifetime))),
            ("status", "MFA_CHALLENGE"),
        ]
        if let factorResult { top.append(("factorResult", .string(factorResult))) }
        top.append(("_embedded", ["user": authnUserJSON(u), "factor": factor]))
        top.append(
            (
                "_links",
                [
                    // Okta also links `prev` and `resend`; the mock serves neither, so it does not link them.
                    "next": link(poll ? "poll" : "verify", verify), "cancel": link(nil, "/api/v1/authn/cancel"),
                ]
            ))
        return .object(top)
    }

    /// Verify of an SMS or email factor: without `passCode` a code is "sent" (MFA_CHALLENGE); with one it is checked.
    func verifyOTPFactor(
        _ body: JSON, key: String, state: String, _ f: Factor, _ user: User, ex: Exchange
    ) throws -> HTTPReply {
        let challengeKey = key + "/" + f.id
        guard let passCode = body["passCode"]?.stringValue, !passCode.isEmpty else {
            sendCode(f, user, challengeKey: challengeKey, now: ex.now)
            signIn.withLock { $0.transactions[key]?.status = "MFA_CHALLENGE" }
            return .json(200, challengeJSON(state, user, f, ex: ex, factorResult: nil, poll: false))
        }
        guard checkCode(passCode, key: challengeKey, now: ex.now) else {
            logEvent(
                .userAuthViaMFA, actor: actor(user: user), result: "FAILURE", reason: "INVALID_CREDENTIALS", ex: ex)
            countFactorFailure(key)
            // okta-developer-docs authn reference (SMS): the cause names a token, not a passcode.
            throw OktaAPIError(
                403, "E0000068", "Invalid Passcode/Answer",
                causes: ["Your token doesn't match our records. Please try again."])
        }
        guard endTransaction(key) else { throw OktaAPIError.invalidToken }  // a concurrent verify finished it
        logEvent(.userAuthViaMFA, actor: actor(user: user), ex: ex)
        return .json(200, try authnSuccess(user, amr: ["pwd", f.factorType, "mfa"], ex: ex))
    }

    /// A new 6-digit code for the factor, recorded as a message readable once the delivery delay has passed.
    func sendCode(_ f: Factor, _ user: User, challengeKey: String, now: Double) {
        let code = Format.zeroPadded(
            Int(tokenValues.bytes(4).reduce(0) { $0 << 8 | UInt32($1) } % 1_000_000), width: 6)
        let delay = read { $0.signOn.deliveryDelaySeconds }
        signIn.withLock { s in
            s.prune(now: now)
            s.challenges[challengeKey] = .init(code: code, expiresAt: now + SignInState.codeLifetime)
            s.messages.append(
                .init(
                    userId: user.id, login: user.login, factorType: f.factorType,
                    to: f.factorType == "sms" ? (f.phoneNumber ?? "") : (f.email ?? user.login), code: code,
                    sentAt: now, deliverableAt: now + delay))
        }
    }

    /// Verify (and poll) of a push factor: WAITING until `respondPush`; APPROVED signs in; REJECTED, or no answer
    /// within 5 minutes (TIMEOUT), ends that push, and the next verify sends a new one.
    func verifyPush(_ key: String, state: String, _ f: Factor, _ user: User, ex: Exchange) throws -> HTTPReply {
        let push = signIn.withLock { s -> SignInState.Push in
            if let p = s.pushes[key], p.factorId == f.id { return p }
            let p = SignInState.Push(userId: user.id, factorId: f.id, startedAt: ex.now, result: "WAITING")
            s.pushes[key] = p
            s.transactions[key]?.status = "MFA_CHALLENGE"
            return p
        }
        if ex.now - push.startedAt >= SignInState.pushLifetime {
            signIn.withLock { _ = $0.pushes.removeValue(forKey: key) }
            return .json(200, challengeJSON(state, user, f, ex: ex, factorResult: "TIMEOUT", poll: false))
        }
        switch push.result {
        case "APPROVED":
            signIn.withLock { _ = $0.pushes.removeValue(forKey: key) }
            guard endTransaction(key) else { throw OktaAPIError.invalidToken }
            logEvent(.userAuthViaMFA, actor: actor(user: user), ex: ex)
            return .json(200, try authnSuccess(user, amr: ["pwd", "mca", "mfa"], ex: ex))
        case "REJECTED":
            signIn.withLock { _ = $0.pushes.removeValue(forKey: key) }
            logEvent(
                .userAuthViaMFA, actor: actor(user: user), result: "FAILURE", reason: "User rejected Okta push verify",
                ex: ex)
            return .json(200, challengeJSON(state, user, f, ex: ex, factorResult: "REJECTED", poll: false))
        default:
            return .json(200, challengeJSON(state, user, f, ex: ex, factorResult: "WAITING", poll: true))
        }
    }

    /// `respondPush`: the user answers every push waiting for them (approve, or `reject`).
    func respondPush(_ userRef: String, reject: Bool) -> JSON {
        guard let user = read({ $0.user(idOrLogin: userRef) }) else {
            return ["ok": false, "error": .string("no user \(userRef)")]
        }
        let now = clock.now()
        let answered = signIn.withLock { s -> Int in
            let keys = s.pushes.filter {
                $0.value.userId == user.id && $0.value.result == "WAITING"
                    && now - $0.value.startedAt < SignInState.pushLifetime
            }.map(\.key)
            for k in keys { s.pushes[k]?.result = reject ? "REJECTED" : "APPROVED" }
            return keys.count
        }
        guard answered > 0 else { return ["ok": false, "error": .string("no push is waiting for \(user.login)")] }
        return ["ok": true, "answered": JSON(answered)]
    }

    /// `GET /__mock/factors/messages[?user=login]`: the SMS and email codes sent so far (once deliverable).
    func factorMessagesJSON(_ req: HTTPRequestInfo) -> HTTPReply {
        let now = clock.now()
        let who = req.queryValue("user")
        let list = signIn.withLock { s in
            s.messages.filter { m in m.deliverableAt <= now && (who == nil || who == m.login || who == m.userId) }
        }
        return .json(
            200,
            [
                "messages": .array(
                    list.suffix(200).reversed().map { m in
                        [
                            "login": .string(m.login), "userId": .string(m.userId),
                            "factorType": .string(m.factorType), "to": .string(m.to), "code": .string(m.code),
                            "sentAt": .string(TimeFormat.iso(m.sentAt)),
                        ]
                    })
            ])
    }
}

/// SMS and email factors through the Factors API (`/api/v1/users/{id}/factors`): enroll (PENDING_ACTIVATION, a code
/// "sent"), activate with that code, verify (without `passCode`: a new code, `factorResult` CHALLENGE).
extension MockOkta {
    static let invalidToken = OktaAPIError(
        403, "E0000068", "Invalid Passcode/Answer", causes: ["Your token doesn't match our records. Please try again."])

    func enrollOTPFactor(_ ex: Exchange, _ u: User, type: String, body: JSON) throws -> HTTPReply {
        let profile = body["profile"]
        var f = Factor(
            id: (type == "sms" ? "sms" : "emf") + ids.string(17), factorType: type, provider: "OKTA",
            status: "PENDING_ACTIVATION", secret: "", created: ex.now, lastUpdated: ex.now)
        if type == "sms" {
            let phone = profile?["phoneNumber"]?.stringValue ?? ""
            guard !phone.isEmpty, phone.count <= 32, phone.allSatisfy({ $0.isNumber || "+-() ".contains($0) }) else {
                throw OktaAPIError.validation("phoneNumber", "The field must be a phone number, e.g. +1-555-415-1337")
            }
            f.phoneNumber = phone
        } else {
            let email = profile?["email"]?.stringValue ?? u.login
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, email.count <= 100 else {
                throw OktaAPIError.validation("email", "Does not match required pattern")
            }
            f.email = email
        }
        if (u.factors ?? []).contains(where: { $0.factorType == type && $0.status == "ACTIVE" }) {
            throw OktaAPIError(400, "E0000034", "Factor already exists.")
        }
        let factor = f
        try mutate { t, d in
            let kept = (t.users[u.id]?.factors ?? []).filter { $0.status == "ACTIVE" || $0.factorType != type }
            t.users[u.id]?.factors = kept + [factor]
            d.users.insert(u.id)
        }
        sendCode(factor, u, challengeKey: "api/" + factor.id, now: ex.now)
        return .json(200, factorJSON(factor, u, activation: false))
    }

    /// A code sent to the factor matches (and is used up).
    func checkCode(_ passCode: String?, key: String, now: Double) -> Bool {
        guard let passCode else { return false }
        return signIn.withLock { s in
            guard let c = s.challenges[key], c.expiresAt > now, c.code == String(passCode.prefix(16)) else {
                return false
            }
            s.challenges[key] = nil
            return true
        }
    }

    func verifyOTPFactorAPI(_ ex: Exchange, _ u: User, _ f: Factor) throws -> HTTPReply {
        guard let passCode = try authnBody(ex)["passCode"]?.stringValue, !passCode.isEmpty else {
            sendCode(f, u, challengeKey: "api/" + f.id, now: ex.now)
            return .json(200, ["factorResult": "CHALLENGE"])
        }
        guard checkCode(passCode, key: "api/" + f.id, now: ex.now) else {
            logEvent(.userAuthViaMFA, actor: actor(user: u), result: "FAILURE", reason: "INVALID_CREDENTIALS", ex: ex)
            throw MockOkta.invalidToken
        }
        logEvent(.userAuthViaMFA, actor: actor(user: u), ex: ex)
        return .json(200, ["factorResult": "SUCCESS"])
    }
}
