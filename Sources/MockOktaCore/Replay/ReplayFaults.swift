import FoundationEssentials

/// What a recorded error answer said: its body (when the recording kept it) and the Okta or OAuth error in it.
struct RecordedError: Sendable {
    /// The body to replay: a JSON object, raw text, `""` for a body known to be empty, nil when not recorded.
    var body: JSON?
    var oktaCode: String?
    var oauthError: String?
    var wwwAuthenticate: String?

    /// Reads `text` (at most `ReplayLimits.maxBodyBytes`) and a `WWW-Authenticate` challenge.
    init(text: String?, bodyKnown: Bool, wwwAuthenticate: String?) {
        self.wwwAuthenticate = wwwAuthenticate
        if let text, text.utf8.count <= ReplayLimits.maxBodyBytes {
            if text.isEmpty {
                body = .string("")
            } else if let j = try? JSONParser.parse(text), j.objectValue != nil {
                body = j
                oktaCode = j["errorCode"]?.stringValue
                oauthError = j["error"]?.stringValue
            } else {
                body = .string(text)
            }
        } else if text == nil && bodyKnown {
            body = .string("")
        }
        if oauthError == nil, let w = wwwAuthenticate { oauthError = RecordedError.challengeError(w) }
    }

    /// `error="invalid_token"` out of a Bearer challenge.
    static func challengeError(_ header: String) -> String? {
        guard let r = header.firstRange(of: "error=\"") else { return nil }
        let rest = header[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        let value = String(rest[..<end])
        return value.isEmpty ? nil : value
    }
}

/// Builders for the faults replay writes, one per kind of trouble.
enum ReplayFaults {
    /// OAuth errors after which the same request with the same client cannot succeed (`noRetryOn`). `invalid_grant`
    /// is left out: a correct client answers it with a new grant from the same client, which `noRetryOn` would count.
    static let noRetryOAuthErrors: Set<String> = [
        "invalid_client", "invalid_scope", "unauthorized_client", "unsupported_grant_type", "invalid_request",
        "access_denied", "invalid_token", "insufficient_scope",
    ]

    static func rateLimit(
        resetAfter: Int, concurrency: Bool, omitDate: Bool = false, omitReset: Bool = false, duplicate: Bool = false,
        how: String
    ) -> ReplayFault {
        let after = min(86_400, max(1, resetAfter))
        var f: [(String, JSON)] = [
            ("type", concurrency ? "concurrencyLimit" : "rateLimit"), ("resetAfterSeconds", JSON(after)),
        ]
        if !concurrency {
            if omitDate { f.append(("omitDate", true)) }
            if omitReset { f.append(("omitResetHeader", true)) }
            if duplicate { f.append(("duplicateResetHeader", true)) }
        }
        let what = concurrency ? "429 (concurrency limit)" : "429"
        let reset = omitReset ? "no X-Rate-Limit-Reset" : "X-Rate-Limit-Reset \(after) s ahead (\(how))"
        return ReplayFault(
            json: .object(f), category: .rateLimit, label: what, summary: "\(what) E0000047 with \(reset)", status: 429)
    }

    /// A 4xx denial (401, 403, 400 from an OAuth endpoint, or any status a mock-okta `status` fault injected) with
    /// what the recording said about it.
    static func denied(_ status: Int, _ err: RecordedError) -> ReplayFault {
        var f: [(String, JSON)] = [("type", "status"), ("status", JSON(status))]
        if let b = err.body { f.append(("body", b)) }
        if let w = err.wwwAuthenticate { f.append(("headers", ["WWW-Authenticate": .string(w)])) }
        let code = err.oktaCode ?? err.oauthError
        let label = code.map { "\(status) \($0)" } ?? String(status)
        let noRetry = status == 401 || status == 403 || err.oauthError.map(noRetryOAuthErrors.contains) ?? false
        return ReplayFault(
            json: .object(f), category: !noRetry && err.oauthError != nil ? .oauthGrant : .denied, label: label,
            summary: label + (err.body == nil ? "" : " with the recorded body"), status: status, noRetry: noRetry)
    }

    /// A 5xx: `serverError` for 500, `unavailable` for 503, `status` for the others; the recorded body when known.
    static func serverStatus(_ status: Int, _ err: RecordedError) -> ReplayFault {
        var f: [(String, JSON)]
        switch status {
        case 500: f = [("type", "serverError")]
        case 503: f = [("type", "unavailable")]
        default: f = [("type", "status"), ("status", JSON(status))]
        }
        if let b = err.body { f.append(("body", b)) }
        let label = err.oktaCode.map { "\(status) \($0)" } ?? String(status)
        return ReplayFault(
            json: .object(f), category: .serverError, label: label,
            summary: label + (err.body == nil ? "" : " with the recorded body"), status: status)
    }

    /// A request left without an answer for `observedMs` (nil: unknown); `respond` when an answer came at last.
    static func hang(observedMs: Double?, respond: Bool) -> ReplayFault {
        let observed = observedMs.map { Int(($0 / 1000).rounded(.up)) }
        let seconds = min(3600, max(ReplayLimits.minHangSeconds, observed ?? 0))
        let json: JSON = ["type": "hang", "seconds": JSON(seconds), "then": respond ? "respond" : "close"]
        let seen = observed.map {
            respond ? "its answer only after \($0) s" : "no answer in the \($0) s it was waited on"
        }
        return ReplayFault(json: json, category: .hang, label: "hang", summary: seen ?? "no answer")
    }

    static func delay(ms: Double) -> ReplayFault {
        let v = min(3_600_000, max(1, Int(ms.rounded())))
        return ReplayFault(
            json: ["type": "delay", "ms": JSON(v)], category: .delay, label: "delay",
            summary: "answered after \(Verdicts.secs(Double(v) / 1000))")
    }

    static func connection(_ type: String) -> ReplayFault {
        ReplayFault(
            json: ["type": .string(type)], category: .connection, label: type == "reset" ? "reset" : "close",
            summary: type == "reset" ? "the connection was reset" : "the connection closed without an answer")
    }

    /// The fault a mock-okta journal names (HAR `_mockOkta.fault`, System Log `debugData.fault`), for kinds whose
    /// status and timing alone do not say it; nil for kinds the status path rebuilds (status, rateLimit, 5xx).
    static func mockFault(_ name: String, status: Int?, timeMs: Double?) -> ReplayFault? {
        switch name {
        case "hang": return hang(observedMs: timeMs, respond: (status ?? 0) != 0)
        case "reset", "close": return connection(name)
        case "delay": return timeMs.map(delay(ms:))
        case "slowBody":
            let s = min(3600, max(0.1, ((timeMs ?? 1000) / 100).rounded() / 10))
            return ReplayFault(
                json: ["type": "slowBody", "seconds": .number(s)], category: .delay, label: "slowBody",
                summary: "the body took \(Verdicts.secs(s)) to arrive")
        case "emptyBody", "malformedBody":
            var f: [(String, JSON)] = [("type", .string(name))]
            if let s = status, s >= 200, s != 304 { f.append(("status", JSON(s))) }
            let what = name == "emptyBody" ? "an empty body" : "a cut-off JSON body"
            return ReplayFault(
                json: .object(f), category: .brokenBody, label: name,
                summary: "\(status.map { "\($0) with " } ?? "")\(what)")
        case "expiredToken", "shortLivedToken", "wrongIssuer", "wrongAudience", "unknownKid", "badSignature",
            "missingScope":
            return ReplayFault(
                json: ["type": .string(name)], category: .token, label: name,
                summary: "a token with the \(name) fault")
        default: return nil
        }
    }
}
