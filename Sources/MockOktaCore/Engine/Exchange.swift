import FoundationEssentials

/// One request being handled: what the engine learns about it along the way.
final class Exchange {
    let req: HTTPRequestInfo
    let id: String
    let now: Double
    var auth = AuthIdentity()
    var route: String?
    var tokenFault: FaultKind?
    var apiTokenId: String?
    var serverId: String?
    /// The access policy and rule that decided a token request ("policy / rule"), for the System Log.
    var accessDecision: String?
    /// The JWK thumbprint of a valid DPoP proof at the token endpoint: the access token is bound to it (`cnf.jkt`).
    var dpopJKT: String?

    init(req: HTTPRequestInfo, id: String, now: Double) {
        self.req = req
        self.id = id
        self.now = now
    }

    var logContext: SystemLog.Context {
        let q =
            req.query.isEmpty
            ? "" : "?" + MockOkta.redact(query: req.query).map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        return SystemLog.Context(
            requestId: id, requestURI: req.path, url: req.path + q, ipAddress: req.remoteIP, userAgent: req.userAgent,
            apiTokenId: apiTokenId)
    }

    /// Form body merged with the query string (Java's token client sends parameters in the query).
    lazy var params: [(String, String)] = {
        var p = req.formBody
        for (k, v) in req.query where !p.contains(where: { $0.0 == k }) { p.append((k, v)) }
        return p
    }()

    func param(_ name: String) -> String? {
        guard let v = params.first(where: { $0.0 == name })?.1 else { return nil }
        return v
    }
}
