import FoundationEssentials

/// Who a request comes from, as the journal and the verdicts see it, and what of it is kept: credentials
/// are reduced to a short hash wherever a request is recorded.
extension MockOkta {
    /// Who is calling, for the journal (no verification here).
    func identify(_ req: HTTPRequestInfo) -> AuthIdentity {
        var id = AuthIdentity()
        guard let h = req.header("authorization") else {
            if let c = req.formBody.first(where: { $0.0 == "client_id" })?.1 { id.clientId = c }
            return id
        }
        if let t = MockOkta.credential(h, scheme: "SSWS") {
            id.kind = "SSWS"
            let hash = hashSecret(t)
            let tok = read { tenant in tenant.apiTokens.values.first { $0.valueHash == hash } }
            id.tokenId = tok?.id ?? shortHash(t)
            id.userId = tok?.userId
        } else if let t = MockOkta.credential(h, scheme: "Bearer") ?? MockOkta.credential(h, scheme: "DPoP") {
            id.kind = "Bearer"
            if let jwt = DecodedJWT(t) {
                id.tokenId = jwt.claims["jti"]?.stringValue ?? shortHash(t)
                id.clientId = jwt.claims["cid"]?.stringValue
                id.userId = jwt.claims["uid"]?.stringValue
            } else {
                id.tokenId = shortHash(t)
            }
        } else if let b = MockOkta.credential(h, scheme: "Basic") {
            id.kind = "Basic"
            if let d = Data(base64Encoded: b), let s = String(data: d, encoding: .utf8),
                let c = s.split(separator: ":").first
            {
                id.clientId = String(c).percentDecoded ?? String(c)
            }
        }
        if req.path.hasSuffix("/v1/token"), id.kind != "Bearer" { id.tokenId = MockOkta.grantKey(req) }
        return id
    }

    /// For token requests, what the client presented (the grant and a hash of its refresh token, code or
    /// username), so a new authorization code is not taken for a retry of a refused refresh token.
    static func grantKey(_ req: HTTPRequestInfo) -> String? {
        let form = req.formBody + req.query
        func p(_ k: String) -> String? { form.first { $0.0 == k }?.1 }
        guard let grant = p("grant_type") else { return nil }
        let presented = p("refresh_token") ?? p("code") ?? p("username") ?? p("assertion") ?? p("device_code")
        return grant + (presented.map { ":" + shortHash($0) } ?? "")
    }

    /// Reads `Scheme token` or `Schemetoken` (the Python SDK omits the space).
    static func credential(_ header: String, scheme: String) -> String? {
        guard header.count >= scheme.count, header.prefix(scheme.count).lowercased() == scheme.lowercased() else {
            return nil
        }
        let rest = header.dropFirst(scheme.count)
        if scheme == "SSWS" || scheme == "Bearer" || scheme == "DPoP" {
            let t = rest.trimmingWhitespace()
            return t
        }
        guard rest.first == " " else { return nil }
        return rest.trimmingWhitespace()
    }

    /// Query parameters that carry a credential. Clients put them in URLs (Java's token client sends
    /// `client_secret` in the query); the journal and System Log keep only a short hash of the value.
    static let secretParameters: Set<String> = [
        "client_secret", "client_assertion", "api_token", "access_token", "refresh_token", "id_token", "id_token_hint",
        "token",
        "password", "code", "code_verifier", "assertion", "sessiontoken", "session_token", "subject_token",
        "actor_token",
        "device_code", "passcode", "otp", "state_token", "statetoken", "mfa_state",
    ]

    static func redact(query: [(String, String)]) -> [(String, String)] {
        query.map { (k, v) in secretParameters.contains(k.lowercased()) ? (k, "[redacted \(shortHash(v))]") : (k, v) }
    }

    static let secretHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "dpop", "x-api-key"]

    static func redact(_ headers: [(String, String)]) -> [(String, String)] {
        // No copy when nothing is secret (JWKS, discovery).
        guard headers.contains(where: { secretHeaders.contains($0.0) }) else { return headers }
        return headers.map { (k, v) in
            switch k {
            case "authorization", "proxy-authorization":
                let parts = v.split(separator: " ", maxSplits: 1)
                let scheme = parts.first.map(String.init) ?? ""
                return (k, "\(scheme) [redacted \(shortHash(v))]")
            case "cookie", "dpop", "x-api-key": return (k, "[redacted]")
            default: return (k, v)
            }
        }
    }

    /// The Management API takes JSON: a body in any other content type (or none), or a form content type on
    /// any request, is 400 E0000021 — the class of bug behind okta-sdk-python #309, #383, #400, #426, #431.
    static func checkContentType(_ req: HTTPRequestInfo) throws {
        let type = req.header("content-type")?.split(separator: ";").first?.trimmingWhitespace()
            .lowercased()
        if type == "application/x-www-form-urlencoded" || type == "multipart/form-data" {
            throw OktaAPIError.badContentType
        }
        guard !req.body.isEmpty else { return }
        guard let t = type, t == "application/json" || t.hasSuffix("+json") else { throw OktaAPIError.badContentType }
    }
}
