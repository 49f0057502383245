import FoundationEssentials

/// `mock-okta token decode|explain`: what a token says, and why Okta would accept or refuse it.
public enum TokenExplainer {
    public static func firstSentence(_ s: String) -> String {
        let flat = s.replacing("\n", with: " ")
        if let r = flat.firstRange(of: ". ") { return String(flat[..<r.lowerBound]) + "." }
        return flat
    }

    /// Whole seconds for display; absurd claims (1e300) print as such instead of trapping.
    static func seconds(_ d: Double) -> String { d.isFinite && abs(d) < 9e15 ? String(Int64(d)) : String(d) }

    public static func decodeText(_ d: DecodedJWT) -> String {
        var out = "header: \(d.header.serialized(pretty: true))\nclaims: \(d.claims.serialized(pretty: true))\n"
        for k in ["iat", "exp", "nbf", "auth_time"] {
            if let t = d.claims[k]?.doubleValue { out += "\(k): \(TimeFormat.iso(t))\n" }
        }
        return out
    }

    public struct Explanation: Sendable {
        public var accepted: Bool
        public var text: String
    }

    /// Keys fetched from the token's issuer (discovery, then `jwks_uri`) by the caller.
    public struct IssuerKeys: Sendable {
        public var issuer: String
        public var jwksURI: String
        public var keys: [JSON]
        public init(issuer: String, jwksURI: String, keys: [JSON]) {
            self.issuer = issuer
            self.jwksURI = jwksURI
            self.keys = keys
        }
    }

    /// Checks in words (`[ok]` or `[!!]`), and the reason of the first one that failed.
    struct Checklist {
        var lines: [String] = []
        var problem: String? = nil

        /// Adds one check; a failure's `why` becomes the problem unless an earlier check failed.
        mutating func check(_ ok: Bool, _ what: String, _ why: String = "") {
            lines.append("  [\(ok ? "ok" : "!!")] \(what)")
            if !ok && problem == nil { problem = why }
        }
    }

    /// Explains a token as the tenant of `options` sees it, or, given `issuerKeys`, against keys fetched from its
    /// issuer.
    public static func explain(
        _ token: String, method: String, path: String, options: MockOktaOptions, seedKnown: Bool,
        issuerKeys: IssuerKeys? = nil
    ) throws -> Explanation {
        guard let jwt = DecodedJWT(token) else {
            return Explanation(
                accepted: false,
                text:
                    "Okta would answer 401 (invalid_token, empty body; E0000011 for SSWS callers): this is not a "
                    + "JWT (expected three base64url parts separated by dots)."
            )
        }
        if let issuerKeys {
            return explain(jwt, method: method, path: path, keys: issuerKeys, now: Date().timeIntervalSince1970)
        }
        let engine = try MockOkta(options: options)
        let iss = jwt.claims["iss"]?.stringValue ?? ""
        if let u = URL(string: iss), let scheme = u.scheme, let host = u.host {
            engine.setBaseURL("\(scheme)://\(host)\(u.port.map { ":\($0)" } ?? "")")
        }
        let lines = tenantChecks(jwt, engine: engine, method: method, path: path, seedKnown: seedKnown)
        let reply = engine.handle(
            HTTPRequestInfo(method: method, path: path, headers: [("authorization", "Bearer \(token)")]))
        let text =
            "token for \(jwt.claims["sub"]?.stringValue ?? "?") from \(iss)\n" + lines.joined(separator: "\n") + "\n"
            + tenantVerdict(reply, method: method, path: path)
        return Explanation(accepted: reply.status < 400, text: text)
    }

    /// The tenant's view of a token it may have issued: algorithm, signing key, lifetime, issuer, audience, access
    /// policy and, for the Management API, the issuer and scope.
    static func tenantChecks(_ jwt: DecodedJWT, engine: MockOkta, method: String, path: String, seedKnown: Bool)
        -> [String]
    {
        var list = Checklist()
        let now = engine.clock.now()
        checkAlgorithm(jwt, &list)
        let servers = engine.read { t in t.serverOrder.compactMap { t.servers[$0] } }
        checkTenantSignature(jwt, engine: engine, servers: servers, now: now, seedKnown: seedKnown, &list)
        checkLifetime(jwt, now: now, &list)
        let iss = jwt.claims["iss"]?.stringValue ?? ""
        let issuerServer = servers.first { engine.issuer($0.id) == iss }
        list.check(
            issuerServer != nil,
            "iss \(iss) "
                + (issuerServer.map { "is the \($0.id) authorization server" }
                    ?? "matches no authorization server of this tenant"))
        if let s = issuerServer {
            let aud = jwt.claims["aud"]?.stringValue ?? ""
            list.check(
                aud == engine.audience(s) || jwt.claims["cid"] == nil,
                "aud \(aud) (the \(s.id) server's audience is \(engine.audience(s)))")
        }
        let scopes = jwt.claims["scp"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if let s = issuerServer, !s.isOrg, let cid = jwt.claims["cid"]?.stringValue {
            list.lines += accessPolicyLines(engine, s, cid: cid, uid: jwt.claims["uid"]?.stringValue, scopes: scopes)
        }
        if path.hasPrefix("/api/v1/") {
            if let s = issuerServer, !s.isOrg {
                list.check(
                    false,
                    "the Management API only accepts tokens from the org authorization server; this one is from \(s.id)"
                )
            }
            let need = MockOkta.requiredScope(path, write: method != "GET")
            list.check(
                scopes.contains(need) || scopes.contains(need.replacing(".read", with: ".manage")),
                "\(method) \(path) needs scope \(need); token has [\(scopes.joined(separator: " "))]")
        }
        return list.lines
    }

    /// The signature, by the tenant's published key with the token's `kid`.
    static func checkTenantSignature(
        _ jwt: DecodedJWT, engine: MockOkta, servers: [AuthServer], now: Double, seedKnown: Bool,
        _ list: inout Checklist
    ) {
        let signer = servers.first { s in engine.publishedKeys(s, now: now).contains { $0.kid == jwt.kid } }
        if let s = signer, let k = s.keys.first(where: { $0.kid == jwt.kid }), let key = engine.rsaKey(k) {
            list.check(
                jwt.verify(with: key),
                "signed with kid \(jwt.kid ?? "") of the \(s.id) authorization server"
                    + (jwt.verify(with: key) ? "" : " — but the signature does not verify"))
        } else {
            list.check(
                false,
                "kid \(jwt.kid ?? "(none)") is not published by this tenant"
                    + (seedKnown ? "" : " (give --seed or --db of the tenant that issued it)"))
        }
    }

    /// The last line of a tenant explanation: what the tenant answered when the token was tried.
    static func tenantVerdict(_ reply: HTTPReply, method: String, path: String) -> String {
        if reply.status < 400 { return "Okta would accept this token for \(method) \(path) (\(reply.status))." }
        var verdict = "Okta would answer \(reply.status)"
        if let b = reply.bodyJSON, let code = b["errorCode"]?.stringValue {
            verdict += " \(code) (\(b["errorSummary"]?.stringValue ?? ""))"
        } else if reply.status == 401 {
            verdict += " (invalid_token, empty body; E0000011 for SSWS callers)"
        }
        if let w = reply.header("WWW-Authenticate"), let r = w.firstRange(of: "error_description=\"") {
            verdict += ": " + String(w[r.upperBound...].prefix { $0 != "\"" })
        }
        return verdict
    }

    /// Okta signs and accepts RS256 only.
    static func checkAlgorithm(_ jwt: DecodedJWT, _ list: inout Checklist) {
        list.check(
            jwt.alg == "RS256", "alg is \(jwt.alg ?? "missing") (Okta signs and accepts RS256 only)",
            "The access token is invalid: unsupported signing algorithm.")
    }

    /// The token's `exp` (required, in the future) and `nbf` (if any, in the past).
    static func checkLifetime(_ jwt: DecodedJWT, now: Double, _ list: inout Checklist) {
        if let exp = jwt.claims["exp"]?.doubleValue {
            list.check(
                exp > now,
                exp > now
                    ? "expires \(TimeFormat.iso(exp)) (in \(seconds(exp - now)) s)"
                    : "expired \(TimeFormat.iso(exp)) (\(seconds(now - exp)) s ago)",
                "The token has expired.")
        } else {
            list.check(false, "no exp claim", "The access token is invalid.")
        }
        if let nbf = jwt.claims["nbf"]?.doubleValue {
            list.check(nbf <= now, "not before \(TimeFormat.iso(nbf))", "The token is not valid yet.")
        }
    }

    /// The access policy and rule that would decide a new request for this token (same client, user and scopes),
    /// or why none would (issue 12: "token explain names the policy and rule").
    static func accessPolicyLines(_ engine: MockOkta, _ s: AuthServer, cid: String, uid: String?, scopes: [String])
        -> [String]
    {
        let grant = uid == nil ? "client_credentials" : "authorization_code"
        let steps = engine.read {
            $0.explainAccess(server: s, clientId: cid, userId: uid, grantType: grant, scopes: scopes)
        }
        let decided = engine.read {
            $0.evaluateAccess(server: s, clientId: cid, userId: uid, grantType: grant, scopes: scopes)
        }
        var out = steps.map { "       \($0)" }
        if let d = decided {
            out.insert(
                "  [ok] a new \(grant) request is decided by policy '\(d.policy.name)', rule '\(d.rule.name)'", at: 0)
        } else {
            out.insert(
                "  [!!] no access policy rule of the \(s.id) server matches a new \(grant) request: Okta answers 403 "
                    + "access_denied \"\(MockOkta.policyDenied)\"", at: 0)
        }
        return out
    }

    /// Judges a token against keys fetched from its issuer: each check in words, then Okta's answer for the
    /// first one that fails.
    static func explain(_ jwt: DecodedJWT, method: String, path: String, keys: IssuerKeys, now: Double) -> Explanation {
        var list = Checklist(lines: [
            keys.keys.isEmpty
                ? "  keys: none (\(keys.jwksURI))"
                : "  keys: \(keys.keys.count) from \(keys.jwksURI) (the issuer's discovery document)"
        ])
        checkAlgorithm(jwt, &list)
        checkIssuerSignature(jwt, keys: keys, &list)
        checkLifetime(jwt, now: now, &list)
        let iss = jwt.claims["iss"]?.stringValue ?? ""
        list.check(
            iss == keys.issuer,
            "iss \(iss)"
                + (iss == keys.issuer
                    ? " is the issuer whose keys these are"
                    : " differs from the discovery document's issuer \(keys.issuer)"),
            "The access token provided has an invalid issuer.")
        list.check(
            jwt.claims["cid"] != nil,
            jwt.claims["cid"] != nil
                ? "an access token (cid \(jwt.claims["cid"]?.stringValue ?? ""))"
                : "not an access token (no cid: an ID token?)",
            "The access token is invalid: this is not an access token.")
        var status = 401
        if path.hasPrefix("/api/v1/"), list.problem == nil {
            status = checkManagementAccess(jwt, iss: iss, method: method, path: path, &list)
        }
        let text: String
        if let problem = list.problem {
            if path.hasPrefix("/api/v1/") {
                text =
                    status == 403
                    ? "Okta would answer 403 (insufficient_scope, E0000006 for SSWS callers)"
                    : "Okta would answer 401 (invalid_token, empty body; E0000011 for SSWS callers): \(problem)"
            } else {
                text = "Okta would answer \(status) invalid_token: \(problem)"
            }
        } else {
            text = "Okta would accept this token for \(method) \(path)."
        }
        return Explanation(
            accepted: list.problem == nil,
            text: "token for \(jwt.claims["sub"]?.stringValue ?? "?") from \(iss)\n"
                + list.lines.joined(separator: "\n") + "\n" + text)
    }

    /// The signature, by the issuer's published key with the token's `kid`.
    static func checkIssuerSignature(_ jwt: DecodedJWT, keys: IssuerKeys, _ list: inout Checklist) {
        if let jwk = keys.keys.first(where: { $0["kid"]?.stringValue == jwt.kid }),
            let n = jwk["n"]?.stringValue.flatMap(Base64URL.decode),
            let e = jwk["e"]?.stringValue.flatMap(Base64URL.decode), let key = try? RSAKey(modulus: n, exponent: e)
        {
            let ok = jwt.verify(with: key)
            list.check(
                ok,
                "signed with kid \(jwt.kid ?? "") published at \(keys.jwksURI)"
                    + (ok ? "" : " — but the signature does not verify"),
                "The access token is invalid: signature validation failed.")
        } else if keys.keys.isEmpty {
            list.check(
                false, "kid \(jwt.kid ?? "(none)") cannot be checked without keys",
                "The signature could not be checked (no keys).")
        } else {
            list.check(
                false,
                "kid \(jwt.kid ?? "(none)") is not among the issuer's published keys (rotated away, or another "
                    + "issuer's token)",
                "The access token is invalid: unknown signing key.")
        }
    }

    /// The Management API's own checks: the org authorization server's token, with the endpoint's scope. Returns the
    /// status Okta would answer if they fail (403 for a missing scope, else 401).
    static func checkManagementAccess(
        _ jwt: DecodedJWT, iss: String, method: String, path: String, _ list: inout Checklist
    ) -> Int {
        let custom = iss.contains("/oauth2/")
        list.check(
            !custom,
            custom
                ? "the Management API only accepts tokens from the org authorization server; this one is from "
                    + "\(iss)"
                : "issued by the org authorization server",
            "The access token provided has an invalid issuer.")
        guard list.problem == nil else { return 401 }
        let scopes = jwt.claims["scp"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let need = MockOkta.requiredScope(path, write: method != "GET")
        let has = scopes.contains(need) || scopes.contains(need.replacing(".read", with: ".manage"))
        list.check(
            has, "\(method) \(path) needs scope \(need); token has [\(scopes.joined(separator: " "))]",
            "insufficient_scope")
        return has ? 401 : 403
    }
}
