import FoundationEssentials

/// Okta's classic Authentication API (`/api/v1/authn`): primary authentication and its transaction states
/// (SUCCESS with a one-time `sessionToken`, PASSWORD_EXPIRED, LOCKED_OUT, MFA_ENROLL, MFA_REQUIRED), factor
/// enrollment and verification, password change and cancel. It needs no API token, as in Okta.
extension MockOkta {
    /// A transaction's `stateToken` and a `sessionToken` live five minutes.
    static let authnLifetime = 300.0
    /// Wrong factor codes allowed in one transaction before it is ended.
    static let authnFactorAttempts = 5

    func authnBody(_ ex: Exchange) throws -> JSON {
        guard let j = try? JSONParser.parse(bytes: ex.req.body), case .object = j else {
            throw OktaAPIError.malformedBody
        }
        return j
    }

    /// `POST /api/v1/authn`.
    func authn(_ ex: Exchange) throws -> HTTPReply {
        let body = try authnBody(ex)
        guard let username = body["username"]?.stringValue, !username.isEmpty, username.count <= 1024 else {
            throw OktaAPIError.validation("username", "The field cannot be left blank")
        }
        let password = body["password"]?.stringValue ?? ""
        switch try checkPassword(username: username, password: String(password.prefix(1024)), ex: ex) {
        case .wrong, .lockedNow, .inactive:
            throw OktaAPIError(401, "E0000004", "Authentication failed")
        case .lockedOut:
            // Okta adds `_links.next` (unlock, /api/v1/authn/recovery/unlock) only when the password policy allows
            // self-service unlock; the default policy here does not, and the mock serves no recovery flow.
            return .json(200, ["status": "LOCKED_OUT", "_links": .object([])])
        case .ok(let user):
            return try authnAfterPassword(user, appId: nil, ex: ex)
        }
    }

    /// What follows a right password: a password change, a second factor, or the session token.
    func authnAfterPassword(_ user: User, appId: String?, ex: Exchange) throws -> HTTPReply {
        let mfa: Bool
        switch evaluateSignOn(user, appId: appId, ex: ex) {
        case .deny:
            // okta-developer-docs authn reference: 401 for "access denied because of a sign-on policy".
            logEvent(
                .userSessionStart, actor: actor(user: user), result: "FAILURE",
                reason: "Sign-on policy evaluation resulted in DENY", ex: ex)
            throw OktaAPIError(401, "E0000004", "Authentication failed")
        case .allow(let m): mfa = m
        }
        // The policy comes first: a user it denies cannot change an expired password either.
        if user.status == .PASSWORD_EXPIRED {
            let state = newTransaction(user, status: "PASSWORD_EXPIRED", appId: appId, ex: ex)
            return .json(200, transactionJSON(state, user, "PASSWORD_EXPIRED", ex: ex, extra: passwordExpiredParts()))
        }
        guard mfa else { return .json(200, try authnSuccess(user, amr: ["pwd"], ex: ex)) }
        let active = (user.factors ?? []).filter { $0.status == "ACTIVE" }
        if active.isEmpty {
            let state = newTransaction(user, status: "MFA_ENROLL", appId: appId, ex: ex)
            let enroll: JSON = [
                "factorType": "token:software:totp", "provider": "OKTA", "vendorName": "OKTA",
                "enrollment": "REQUIRED", "status": "NOT_SETUP",
                "_links": ["enroll": link(nil, "/api/v1/authn/factors")],
            ]
            return .json(200, transactionJSON(state, user, "MFA_ENROLL", ex: ex, extra: [("factors", [enroll])]))
        }
        let state = newTransaction(user, status: "MFA_REQUIRED", appId: appId, ex: ex)
        let factors = JSON.array(active.map { authnFactorJSON($0, user, verify: true) })
        let policy: JSON = [
            "allowRememberDevice": false, "rememberDeviceLifetimeInMinutes": 0, "rememberDeviceByDefault": false,
            "factorsPolicyInfo": .object([]),
        ]
        return .json(
            200,
            transactionJSON(state, user, "MFA_REQUIRED", ex: ex, extra: [("factors", factors), ("policy", policy)]))
    }

    /// SUCCESS: a one-time session token for `/authorize?sessionToken=` or `/api/v1/sessions`.
    func authnSuccess(_ user: User, amr: [String], ex: Exchange) throws -> JSON {
        let token = "20111" + tokenValues.string(50, alphabet: RandomSource.b64url)
        let expires = ex.now + MockOkta.authnLifetime
        signIn.withLock { s in
            s.prune(now: ex.now)
            s.sessionTokens[hashSecret(token)] = .init(userId: user.id, expiresAt: expires, amr: amr)
        }
        try signedIn(user, ex: ex)
        return [
            "expiresAt": .string(TimeFormat.isoSeconds(expires)), "status": "SUCCESS", "sessionToken": .string(token),
            "_embedded": ["user": authnUserJSON(user)],
        ]
    }

    func newTransaction(_ user: User, status: String, appId: String?, ex: Exchange) -> String {
        let token = "00" + tokenValues.string(40, alphabet: RandomSource.b64url)
        signIn.withLock { s in
            s.prune(now: ex.now)
            s.transactions[hashSecret(token)] = .init(
                userId: user.id, status: status, expiresAt: ex.now + MockOkta.authnLifetime, appId: appId)
        }
        return token
    }

    /// The transaction a `stateToken` names (401 E0000011 when unknown or expired, as Okta).
    func transaction(_ body: JSON, ex: Exchange) throws -> (String, SignInState.Transaction, User) {
        guard let token = body["stateToken"]?.stringValue, token.count <= 200 else {
            throw OktaAPIError.validation("stateToken", "The field cannot be left blank")
        }
        let key = hashSecret(token)
        // Each step renews the transaction for another lifetime (the answers show expiresAt = now + 5 minutes).
        let txn = signIn.withLock { s -> SignInState.Transaction? in
            guard let t = s.transactions[key], t.expiresAt > ex.now else { return nil }
            s.transactions[key]?.expiresAt = ex.now + MockOkta.authnLifetime
            return t
        }
        guard let txn, let user = read({ $0.users[txn.userId] }) else { throw OktaAPIError.invalidToken }
        return (key, txn, user)
    }

    /// A wrong code in a transaction: after `authnFactorAttempts` of them the transaction ends (the client starts
    /// over with the password).
    func countFactorFailure(_ key: String) {
        let failures = signIn.withLock { s -> Int in
            s.transactions[key]?.factorFailures += 1
            return s.transactions[key]?.factorFailures ?? 0
        }
        if failures >= MockOkta.authnFactorAttempts { endTransaction(key) }
    }

    /// Ends a transaction; false when it had already ended (a concurrent step finished it first).
    @discardableResult
    func endTransaction(_ key: String) -> Bool {
        signIn.withLock { $0.transactions.removeValue(forKey: key) != nil }
    }

    /// `POST /api/v1/authn/cancel`.
    func authnCancel(_ ex: Exchange) throws -> HTTPReply {
        let (key, _, _) = try transaction(try authnBody(ex), ex: ex)
        endTransaction(key)
        return .json(200, ["status": "UNAUTHENTICATED"])
    }

    /// `POST /api/v1/authn/credentials/change_password` (PASSWORD_EXPIRED → SUCCESS).
    func authnChangePassword(_ ex: Exchange) throws -> HTTPReply {
        let body = try authnBody(ex)
        let (key, txn, user) = try transaction(body, ex: ex)
        guard txn.status == "PASSWORD_EXPIRED" else { throw OktaAPIError.invalidToken }
        guard body["oldPassword"]?.stringValue == user.password else {
            throw OktaAPIError(
                403, "E0000014", "Update of credentials failed",
                causes: ["oldPassword: The credentials provided were incorrect."])
        }
        guard let new = body["newPassword"]?.stringValue, new.count >= 8, new.count <= 256, new != user.password else {
            throw OktaAPIError(
                403, "E0000080",
                "The password does not meet the complexity requirements of the current password policy.",
                causes: ["newPassword: Password requirements were not met."])
        }
        let updated: User? = try mutate { t, d in
            t.users[user.id]?.password = new
            t.users[user.id]?.passwordChanged = ex.now
            t.users[user.id]?.status = .ACTIVE
            t.users[user.id]?.statusChanged = ex.now
            d.users.insert(user.id)
            return t.users[user.id]
        }
        endTransaction(key)
        logEvent(.userAccountUpdatePassword, actor: actor(user: user), targets: [actor(user: user)], ex: ex)
        guard let updated else { throw OktaAPIError.invalidToken }
        return try authnAfterPassword(updated, appId: txn.appId, ex: ex)
    }

    // MARK: - JSON

    func link(_ name: String?, _ path: String, allow: [String] = ["POST"]) -> JSON {
        var l: [(String, JSON)] = []
        if let name { l.append(("name", .string(name))) }
        l += [("href", .string(baseURL + path)), ("hints", ["allow": .array(allow.map { .string($0) })])]
        return .object(l)
    }

    func authnUserJSON(_ u: User) -> JSON {
        [
            "id": .string(u.id),
            "passwordChanged": u.passwordChanged.map { .string(TimeFormat.isoSeconds($0)) } ?? .null,
            "profile": [
                "login": .string(u.login), "firstName": u.profile["firstName"] ?? .null,
                "lastName": u.profile["lastName"] ?? .null, "locale": "en_US", "timeZone": "America/Los_Angeles",
            ],
        ]
    }

    func transactionJSON(_ state: String, _ u: User, _ status: String, ex: Exchange, extra: [(String, JSON)]) -> JSON {
        var links: [(String, JSON)] = [("cancel", link(nil, "/api/v1/authn/cancel"))]
        if status == "PASSWORD_EXPIRED" {
            links.insert(("next", link("changePassword", "/api/v1/authn/credentials/change_password")), at: 0)
        }
        return [
            "stateToken": .string(state), "expiresAt": .string(TimeFormat.isoSeconds(ex.now + MockOkta.authnLifetime)),
            "status": .string(status), "_embedded": .object([("user", authnUserJSON(u))] + extra),
            "_links": .object(links),
        ]
    }

    func passwordExpiredParts() -> [(String, JSON)] {
        let complexity: JSON = [
            "minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 0,
            "excludeUsername": true,
        ]
        return [("policy", ["complexity": complexity, "age": ["minAgeMinutes": 0, "historyCount": 4]])]
    }
}
