import FoundationEssentials

/// Okta sessions: made from a one-time `sessionToken` (at `/authorize?sessionToken=` or `POST /api/v1/sessions`)
/// or by signing in on the sign-in page, carried by the `sid` cookie so a second `/authorize` signs in silently,
/// and managed with the Sessions API.
extension MockOkta {
    /// Okta's default global session lifetime: two hours.
    static let sessionLifetime = 7200.0

    /// Redeems a one-time session token (nil when unknown, used or expired).
    func redeemSessionToken(_ token: String, now: Double) -> SignInState.SessionToken? {
        guard token.count <= 200 else { return nil }
        let key = hashSecret(token)
        return signIn.withLock { s in
            guard let t = s.sessionTokens.removeValue(forKey: key), t.expiresAt > now else { return nil }
            return t
        }
    }

    func startSession(userId: String, amr: [String], now: Double) -> SignInState.Session {
        let session = SignInState.Session(
            id: "102" + tokenValues.string(22, alphabet: RandomSource.b64url), userId: userId, createdAt: now,
            expiresAt: now + MockOkta.sessionLifetime, lastPasswordVerification: now,
            lastFactorVerification: amr.contains("mfa") ? now : nil, amr: amr)
        signIn.withLock { s in
            s.prune(now: now)
            s.sessions[session.id] = session
        }
        return session
    }

    /// The live session the request's `sid` cookie names.
    func cookieSession(_ ex: Exchange) -> SignInState.Session? {
        guard let header = ex.req.header("cookie") else { return nil }
        for part in header.split(separator: ";") {
            let kv = part.trimmingWhitespace().split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0] == "sid" else { continue }
            let id = String(kv[1])
            if let s = signIn.withLock({ $0.sessions[id] }), s.expiresAt > ex.now { return s }
        }
        return nil
    }

    /// `Set-Cookie` for a session (Secure and SameSite=None over TLS, as Okta; Lax over plain HTTP).
    func sessionCookie(_ s: SignInState.Session) -> (String, String) {
        let secure = baseURL.hasPrefix("https") ? "; Secure; SameSite=None" : "; SameSite=Lax"
        return ("Set-Cookie", "sid=\(s.id); Path=/; HttpOnly\(secure)")
    }

    func sessionJSON(_ s: SignInState.Session) -> JSON {
        let user = read { $0.users[s.userId] }
        let path = "/api/v1/sessions/\(s.id)"
        return [
            "id": .string(s.id), "userId": .string(s.userId), "login": .string(user?.login ?? ""),
            "createdAt": .string(TimeFormat.iso(s.createdAt)), "expiresAt": .string(TimeFormat.iso(s.expiresAt)),
            "status": "ACTIVE", "lastPasswordVerification": .string(TimeFormat.iso(s.lastPasswordVerification)),
            "lastFactorVerification": s.lastFactorVerification.map { .string(TimeFormat.iso($0)) } ?? .null,
            "amr": .array(s.amr.map { .string($0) }), "idp": ["id": .string(read { $0.orgId }), "type": "OKTA"],
            "mfaActive": .bool(!(user?.factors ?? []).filter { $0.status == "ACTIVE" }.isEmpty),
            "_links": [
                "self": link(nil, path, allow: ["GET", "DELETE"]),
                "refresh": link(nil, path + "/lifecycle/refresh"),
                "user": [
                    "name": .string(user?.displayName ?? ""), "href": .string(baseURL + "/api/v1/users/\(s.userId)"),
                    "hints": ["allow": ["GET"]],
                ],
            ],
        ]
    }

    /// `POST /api/v1/sessions` with `{"sessionToken"}`.
    func createSession(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: true)
        let body = try authnBody(ex)
        guard let token = body["sessionToken"]?.stringValue, let t = redeemSessionToken(token, now: ex.now) else {
            throw OktaAPIError(
                401, "E0000004", "Authentication failed", causes: ["The session token is invalid, used or expired."])
        }
        let s = startSession(userId: t.userId, amr: t.amr, now: ex.now)
        return .json(200, sessionJSON(s))
    }

    func liveSession(_ id: String, now: Double) throws -> SignInState.Session {
        guard let s = signIn.withLock({ $0.sessions[id] }), s.expiresAt > now else {
            throw OktaAPIError.notFound("Resource not found: \(id) (Session)")
        }
        return s
    }

    func getSession(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: false)
        return .json(200, sessionJSON(try liveSession(id, now: ex.now)))
    }

    func refreshSession(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: true)
        var s = try liveSession(id, now: ex.now)
        s.expiresAt = ex.now + MockOkta.sessionLifetime
        let refreshed = s
        signIn.withLock { $0.sessions[id] = refreshed }
        return .json(200, sessionJSON(refreshed))
    }

    func deleteSession(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: true)
        let s = try liveSession(id, now: ex.now)
        signIn.withLock { _ = $0.sessions.removeValue(forKey: id) }
        if let u = read({ $0.users[s.userId] }) { logEvent(.userSessionEnd, actor: actor(user: u), ex: ex) }
        return .empty(204)
    }

    /// Ends every session of a user (`DELETE /api/v1/users/{id}/sessions`, deactivation); returns how many.
    @discardableResult
    func endSessions(userId: String) -> Int {
        signIn.withLock { s in
            let ids = s.sessions.filter { $0.value.userId == userId }.map(\.key)
            for id in ids { s.sessions[id] = nil }
            return ids.count
        }
    }
}
