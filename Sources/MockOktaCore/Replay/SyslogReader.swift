import FoundationEssentials

/// Reads a System Log export (what `GET /api/v1/logs` returns: a JSON array of LogEvents, or one event per line)
/// into the requests it shows and the failures the client met. The log records events, not requests: events that
/// share a request id are one request, and a request that logged nothing (most successful reads) is not seen.
enum SyslogReader {
    static let rateLimitViolations: Set<String> = [
        "system.org.rate_limit.violation", "system.operation.rate_limit.violation",
        "system.client.rate_limit.violation",
    ]
    static let concurrencyViolations: Set<String> = [
        "core.concurrency.org.limit.violation", "system.client.concurrency_rate_limit.violation",
        "system.operation.concurrency_limit.violation",
    ]
    static let rateLimitNotices: Set<String> = [
        "system.org.rate_limit.warning", "system.org.rate_limit.burst", "system.operation.rate_limit.warning",
        "system.operation.rate_limit.notification", "system.client.rate_limit.notification",
        "system.client.concurrency_rate_limit.notification", "app.oauth2.client_id_rate_limit_warning",
        "system.org.rate_limit.expiration.warning",
    ]

    /// The events of a file: a JSON array, one JSON object, or NDJSON (one object per line).
    static func events(_ bytes: [UInt8]) throws(ReplayError) -> [JSON] {
        let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF && $0 != 0xBB }
        guard let first else { throw ReplayError("the System Log file is empty") }
        if first == UInt8(ascii: "[") {
            let doc: JSON
            do { doc = try JSONParser.parse(bytes: bytes) } catch {
                throw ReplayError("the System Log file is not valid JSON (\(error))")
            }
            guard let list = doc.arrayValue else { throw ReplayError("the System Log file is not valid JSON") }
            guard list.count <= ReplayLimits.maxEntries else { throw tooMany(list.count) }
            return list
        }
        guard first == UInt8(ascii: "{") else {
            throw ReplayError("not a System Log export: it is neither a JSON array nor JSON objects one per line")
        }
        if let one = try? JSONParser.parse(bytes: bytes) { return [one] }
        var out: [JSON] = []
        var lineNo = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNo += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            guard out.count < ReplayLimits.maxEntries else { throw tooMany(out.count + 1) }
            do { out.append(try JSONParser.parse(bytes: Array(line))) } catch {
                throw ReplayError("line \(lineNo) of the System Log file is not valid JSON (\(error))")
            }
        }
        return out
    }

    static func tooMany(_ n: Int) -> ReplayError {
        ReplayError("the System Log file has \(n)+ events; replay reads at most \(ReplayLimits.maxEntries)")
    }

    static func read(_ bytes: [UInt8]) throws(ReplayError) -> Recording {
        let list = try events(bytes)
        if list.count == 1, list[0]["log"]?["entries"] != nil {
            throw ReplayError("not a System Log export: it is a HAR file (use --from-har)")
        }
        for (i, e) in list.enumerated() where e["eventType"]?.stringValue == nil {
            throw ReplayError("not a System Log export: event \(i + 1) has no eventType")
        }
        // Okta lists oldest first unless asked for DESCENDING: order by `published` (stable) when every event has it.
        var ordered = list
        let times = list.map { $0["published"]?.stringValue.flatMap(TimeFormat.parseISO) }
        if !times.contains(where: { $0 == nil }) {
            ordered = list.indices.sorted { (times[$0]!, $0) < (times[$1]!, $1) }.map { list[$0] }
        }
        var rec = Recording(format: "System Log", producer: nil, total: list.count)
        var groups: [[JSON]] = []
        var byRequest: [String: Int] = [:]
        for e in ordered {
            let debug = e["debugContext"]?["debugData"]
            let rid = debug?["requestId"]?.stringValue ?? e["transaction"]?["id"]?.stringValue
            if let rid, let i = byRequest[rid] {
                groups[i].append(e)
            } else {
                if let rid { byRequest[rid] = groups.count }
                groups.append([e])
            }
        }
        for g in groups { take(g, into: &rec) }
        rec.notes.append(
            "The System Log records events, not requests: ordinals count the logged requests on each route, so "
                + "failures that unlogged successes separated in the incident fire closer together here, and rules "
                + "name a method only where the route has one.")
        return rec
    }

    /// One request's events: its fault (the first failure event wins), or a success that only counts for ordinals.
    static func take(_ group: [JSON], into rec: inout Recording) {
        guard let uri = uri(group) else {
            rec.skipped.add("events with no request URI (background and admin activity)", group.count)
            return
        }
        let methods = Router.methods(for: uri)
        let method = methods.count == 1 ? methods[0] : nil
        // The request happened if any of its events shows it; what only warns is counted as skipped, event by event.
        var fault: ReplayFault? = nil
        var seen = false
        for e in group {
            switch map(e, path: uri) {
            case .fault(let f):
                if fault == nil { fault = f }
                seen = true
            case .success: seen = true
            case .skip(let why): rec.skipped.add(why)
            }
        }
        if seen { rec.requests.append(RecordedRequest(method: method, path: uri, fault: fault)) }
    }

    enum Result {
        case fault(ReplayFault)
        case success
        case skip(String)
    }

    static func uri(_ group: [JSON]) -> String? {
        for e in group {
            let d = e["debugContext"]?["debugData"]
            if let u = d?["requestUri"]?.stringValue ?? d?["url"]?.stringValue, u.hasPrefix("/") {
                return HARReader.split(u).1
            }
        }
        return nil
    }

    static func map(_ e: JSON, path: String) -> Result {
        let type = e["eventType"]?.stringValue ?? ""
        let outcome = e["outcome"]?["result"]?.stringValue ?? ""
        let reason = e["outcome"]?["reason"]?.stringValue ?? ""
        let debug = e["debugContext"]?["debugData"]
        let failed = outcome == "FAILURE" || outcome == "DENY"
        if rateLimitViolations.contains(type) || concurrencyViolations.contains(type) {
            let told = debug?["operationRateLimitSecondsToReset"]?.stringValue.flatMap { Int($0) }
            return .fault(
                ReplayFaults.rateLimit(
                    resetAfter: told ?? ReplayLimits.defaultResetSeconds,
                    concurrency: concurrencyViolations.contains(type),
                    how: told == nil
                        ? "the System Log does not record the reset; \(ReplayLimits.defaultResetSeconds) s used"
                        : "operationRateLimitSecondsToReset"))
        }
        if rateLimitNotices.contains(type) {
            return .skip("rate-limit warnings and notifications (the client got no 429)")
        }
        if type == EventType.faultInjected.rawValue, let f = injected(e, debug: debug) { return .fault(f) }
        guard failed else { return .success }
        if type.hasPrefix("app.oauth2.token.grant") || type.hasPrefix("app.oauth2.as.token.grant") {
            // mock-okta writes the error in debugData; else a reason that is itself an OAuth error code.
            let known = ReplayFaults.noRetryOAuthErrors.union(["invalid_grant"])
            let error = debug?["error"]?.stringValue ?? (known.contains(reason) ? reason : "invalid_grant")
            let text = debug?["errorDescription"]?.stringValue ?? reason
            return .fault(oauth(error, text))
        }
        if type == EventType.oauthInvalidClientCredentials.rawValue {
            return .fault(oauth("invalid_client", reason.isEmpty ? "Client authentication failed." : reason))
        }
        if type == EventType.requestDenied.rawValue { return .fault(denial(reason)) }
        if type == EventType.userSessionStart.rawValue {
            if path.hasSuffix("/v1/token") {
                return .fault(oauth("invalid_grant", "The credentials provided were invalid."))
            }
            if path.hasPrefix("/api/v1/authn") {
                return .fault(okta(401, "E0000004", "Authentication failed"))
            }
            return .skip("failed sign-ins on a sign-in page (answered with the page, not an error status)")
        }
        return .skip("failure events that name no HTTP answer to replay (\(type))")
    }

    /// mock-okta's own `system.operation.fault_injected`: the fault kind in debugData, the status in the message.
    static func injected(_ e: JSON, debug: JSON?) -> ReplayFault? {
        let kind = debug?["fault"]?.stringValue ?? ""
        let message = e["displayMessage"]?.stringValue ?? ""
        let status = Int(message.filter(\.isNumber))
        switch kind {
        case "status":
            guard let s = status, (200...599).contains(s), s != 304 else { return nil }
            if s >= 500 {
                return ReplayFaults.serverStatus(s, RecordedError(text: nil, bodyKnown: false, wwwAuthenticate: nil))
            }
            return okta(s, nil, nil)
        case "serverError":
            return ReplayFaults.serverStatus(500, RecordedError(text: nil, bodyKnown: false, wwwAuthenticate: nil))
        case "unavailable":
            return ReplayFaults.serverStatus(503, RecordedError(text: nil, bodyKnown: false, wwwAuthenticate: nil))
        default: return ReplayFaults.mockFault(kind, status: nil, timeMs: nil)
        }
    }

    static func oauth(_ error: String, _ description: String) -> ReplayFault {
        let text = JSON.object([("error", .string(error)), ("error_description", .string(description))]).serialized()
        return ReplayFaults.denied(
            error == "invalid_client" ? 401 : 400, RecordedError(text: text, bodyKnown: true, wwwAuthenticate: nil))
    }

    /// A status with Okta's error body; with no code the mock's default body for that status.
    static func okta(_ status: Int, _ code: String?, _ summary: String?) -> ReplayFault {
        guard let code, let summary else {
            return ReplayFaults.denied(status, RecordedError(text: nil, bodyKnown: false, wwwAuthenticate: nil))
        }
        let body: JSON = [
            "errorCode": .string(code), "errorSummary": .string(summary), "errorLink": .string(code),
            "errorId": "oaeReplayedFromSystemLog", "errorCauses": [],
        ]
        return ReplayFaults.denied(
            status, RecordedError(text: body.serialized(), bodyKnown: true, wwwAuthenticate: nil))
    }

    /// mock-okta's `system.operation.request_denied` reasons, as the answer the client got.
    static func denial(_ reason: String) -> ReplayFault {
        if reason.hasPrefix("INVALID_SESSION") { return okta(403, "E0000005", "Invalid session") }
        if reason.hasPrefix("NO_ADMIN_ROLE") || reason.hasPrefix("READ_ONLY_ADMIN")
            || reason.hasPrefix("insufficient_scope")
        {
            return okta(403, "E0000006", "You do not have permission to perform the requested action")
        }
        return okta(401, "E0000011", "Invalid token provided")
    }
}
