import FoundationEssentials

/// Who signs in at `/authorize`: a live `sid` session, a one-time `sessionToken`, the sign-in form (with the
/// password policy's lockout and, when the sign-on policy asks, a second factor), or `login_hint` for a user with
/// the tenant's default password (a mock convenience: no person needed).
extension MockOkta {
    enum AuthorizeSignIn {
        /// Signed in; `newSession` is set when this request started the session (its cookie goes out).
        case user(User, newSession: SignInState.Session?, amr: [String])
        /// A page to show (the sign-in form again, or the second-factor step).
        case page(HTTPReply)
        /// Nobody is signed in and no form was posted.
        case nobody
    }

    func authorizeSignIn(_ ex: Exchange, app: App) throws -> AuthorizeSignIn {
        func p(_ n: String) -> String? { ex.params.first { $0.0 == n }?.1 }
        if ex.req.method == "POST", p("mfa_state") != nil { return try signInSecondFactor(ex, app: app) }
        if ex.req.method == "POST", let username = p("username") {
            switch try checkPassword(username: username, password: p("password") ?? "", ex: ex) {
            case .ok(let u):
                if u.status == .PASSWORD_EXPIRED {
                    return .page(signInPage(ex, error: "Your password has expired. Change it, then sign in again."))
                }
                return try afterPassword(u, app: app, ex: ex)
            case .lockedOut, .lockedNow:
                return .page(signInPage(ex, error: "Your account is locked. Contact your administrator."))
            case .wrong, .inactive:
                return .page(signInPage(ex, error: "Unable to sign in"))
            }
        }
        if let token = p("sessionToken") {
            guard let t = redeemSessionToken(token, now: ex.now), let u = read({ $0.users[t.userId] }) else {
                return .nobody
            }
            // Signed in already (the org policy ran then): only the app's own sign-on policy applies here.
            switch appDecision(u, app: app, ex: ex) {
            case .deny: return .page(signOnDeniedPage(ex))
            case .allow(let mfa) where mfa && !t.amr.contains("mfa"):
                return .page(secondFactorPage(ex, u, app: app, error: nil))
            default: break
            }
            // The Authn API already wrote user.session.start for this sign-in.
            return .user(u, newSession: startSession(userId: u.id, amr: t.amr, now: ex.now), amr: t.amr)
        }
        if p("prompt") != "login", let s = cookieSession(ex), let u = read({ $0.users[s.userId] }) {
            switch appDecision(u, app: app, ex: ex) {
            case .deny: return .page(signOnDeniedPage(ex))
            case .allow(let mfa) where !mfa || s.amr.contains("mfa"): return .user(u, newSession: nil, amr: s.amr)
            default: break
            }
        }
        // The mock's shortcut (no person needed) is for users with the tenant password whose password has not
        // expired; inactive users go on to Okta's access_denied.
        if let hint = p("login_hint"), let u = read({ $0.user(idOrLogin: hint) }),
            u.password == read({ $0.defaultPassword }), u.status != .PASSWORD_EXPIRED
        {
            return try afterPassword(u, app: app, ex: ex)
        }
        return .nobody
    }

    /// After a right password: the sign-on policy allows (maybe with a second factor) or denies. A denial is
    /// Okta's hosted 403 page (help.okta.com describes it for an org sign-on policy deny; its text here is ours).
    func afterPassword(_ u: User, app: App, ex: Exchange) throws -> AuthorizeSignIn {
        switch evaluateSignOn(u, appId: app.id, ex: ex, app: app) {
        case .deny:
            logEvent(
                .userSessionStart, actor: actor(user: u), result: "FAILURE",
                reason: "Sign-on policy evaluation resulted in DENY", ex: ex)
            return .page(signOnDeniedPage(ex))
        case .allow(let mfa):
            return mfa ? .page(secondFactorPage(ex, u, app: app, error: nil)) : try started(u, amr: ["pwd"], ex: ex)
        }
    }

    /// The app's sign-on policy for a user who is already signed in (no event: the org policy was logged when the
    /// session started).
    func appDecision(_ u: User, app: App, ex: Exchange) -> SignOnDecision {
        let zones = Set(zonesContaining(clientIP(ex.req)).map(\.id))
        return read { $0.signOn.decideApp(userId: u.id, zones: zones, appId: app.id) }
    }

    func signOnDeniedPage(_ ex: Exchange) -> HTTPReply {
        let clientId = ex.params.first { $0.0 == "client_id" }?.1 ?? ""
        let appName = read { $0.client(clientId)?.label } ?? "an application"
        var r = page(
            title: "403 Access Forbidden", heading: "Access Forbidden", appName: appName,
            error: "You do not have permission to access your account at this time.",
            content: "<p>Your sign-in was denied by a sign-on policy of this organization (for example, "
                + "from this network zone).</p>")
        r.status = 403
        return r
    }

    /// A sign-in on this page: `user.session.start` and `lastLogin`, and a new session.
    func started(_ u: User, amr: [String], ex: Exchange) throws -> AuthorizeSignIn {
        try signedIn(u, ex: ex)
        return .user(u, newSession: startSession(userId: u.id, amr: amr, now: ex.now), amr: amr)
    }

    /// The second step of the sign-in page: the code for the user's TOTP factor (or, with none yet, for the one
    /// being set up on the page).
    func signInSecondFactor(_ ex: Exchange, app: App) throws -> AuthorizeSignIn {
        func p(_ n: String) -> String? { ex.params.first { $0.0 == n }?.1 }
        let (key, txn, user) = try transaction(["stateToken": .string(p("mfa_state") ?? "")], ex: ex)
        let factor =
            (user.factors ?? []).first { $0.status == "ACTIVE" && $0.factorType == "token:software:totp" }
            ?? (user.factors ?? []).first {
                $0.status == "PENDING_ACTIVATION" && $0.factorType == "token:software:totp"
            }
        guard txn.appId == app.id, let factor else { return .page(signInPage(ex, error: "Unable to sign in")) }
        let matched: Bool
        do { matched = try totpMatches(p("passCode"), factor, user, now: ex.now) } catch let e as OktaAPIError {
            endTransaction(key)
            return .page(secondFactorPage(ex, user, app: app, error: e.summary))
        }
        guard matched else {
            logEvent(
                .userAuthViaMFA, actor: actor(user: user), result: "FAILURE", reason: "INVALID_CREDENTIALS", ex: ex)
            endTransaction(key)
            return .page(
                secondFactorPage(ex, user, app: app, error: "Your code doesn't match our records. Please try again."))
        }
        endTransaction(key)
        if factor.status != "ACTIVE" { try activateFactor(user, factor.id, ex: ex) }
        logEvent(.userAuthViaMFA, actor: actor(user: user), ex: ex)
        return try started(user, amr: ["pwd", "otp", "mfa"], ex: ex)
    }

    /// Starts the second-factor step: a transaction for the page, and a pending TOTP factor for a user with none.
    func secondFactorPage(_ ex: Exchange, _ user: User, app: App, error: String?) -> HTTPReply {
        var current = read { $0.users[user.id] } ?? user
        // The page asks for a TOTP code (SMS, email and push are served by the Authn API only).
        var factor = (current.factors ?? []).first { $0.status == "ACTIVE" && $0.factorType == "token:software:totp" }
        if factor == nil {
            let pending =
                (current.factors ?? []).first {
                    $0.status == "PENDING_ACTIVATION" && $0.factorType == "token:software:totp"
                }
                ?? newFactor(current, provider: "OKTA", now: ex.now)
            let uid = current.id
            _ = try? mutate { t, d in
                // Under the lock: other factors (and their lastStep) stay as they are now.
                let others = (t.users[uid]?.factors ?? []).filter { $0.id != pending.id && $0.status == "ACTIVE" }
                t.users[uid]?.factors = others + [pending]
                d.users.insert(uid)
            }
            current = read { $0.users[uid] } ?? current
            factor = pending
        }
        let state = newTransaction(current, status: "MFA_REQUIRED", appId: app.id, ex: ex)
        return mfaPage(ex, current, factor: factor!, state: state, error: error)
    }
}
