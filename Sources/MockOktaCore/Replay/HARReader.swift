import FoundationEssentials

/// Reads a HAR 1.2 file (browser devtools "Save all as HAR", proxies, or mock-okta's own `--har` and
/// `/__mock/journal?format=har`) into the requests that reached Okta and what each met.
enum HARReader {
    /// One entry as replay needs it.
    struct Entry {
        var method: String
        var host: String?
        var path: String
        /// nil or 0: no answer.
        var status: Int?
        var timeMs: Double?
        var startedAt: Double?
        /// Lower-cased names, in order, duplicates kept.
        var headers: [(String, String)]
        var text: String?
        var bodyKnown: Bool
        var error: String?
        /// `_mockOkta.fault` of a mock-okta HAR.
        var mockFault: String?

        func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
    }

    enum Outcome {
        case ok
        case fault(ReplayFault)
        /// Reached Okta; the status depends on the data (404, 409, …) and is not replayed.
        case otherStatus(Int)
        /// Never reached Okta (cancelled or blocked): not counted for ordinals.
        case notSent(String)
    }

    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    static let oktaDomains = [".okta.com", ".oktapreview.com", ".okta-emea.com", ".okta-gov.com", ".okta.mil"]
    static let oktaPrefixes = ["/api/v1/", "/oauth2/", "/.well-known/", "/idp/", "/login/", "/sso/"]

    static func read(_ doc: JSON) throws(ReplayError) -> Recording {
        guard let log = doc["log"], let list = log["entries"]?.arrayValue else {
            let hint =
                doc.arrayValue != nil || doc["eventType"] != nil ? " (a System Log export? use --from-syslog)" : ""
            throw ReplayError("not a HAR file: it has no log.entries list" + hint)
        }
        guard list.count <= ReplayLimits.maxEntries else {
            throw ReplayError(
                "the HAR file has \(list.count) entries; replay reads at most \(ReplayLimits.maxEntries)")
        }
        let producer = log["creator"]?["name"]?.stringValue
        let fromMock = producer == "mock-okta"
        var rec = Recording(format: "HAR", producer: producer, total: list.count)
        var entries: [Entry] = []
        for raw in list {
            guard let e = entry(raw, fromMock: fromMock) else {
                rec.skipped.add("entries without a request method scenarios can match and a URL")
                continue
            }
            entries.append(e)
        }
        let hosts = oktaHosts(entries)
        // A mock-okta HAR holds only requests to the mock itself.
        let okta = fromMock ? entries : entries.filter { isOkta($0, hosts: hosts) }
        let skippedOther = entries.count - okta.count
        if skippedOther > 0 {
            rec.skipped.add(
                "requests to other hosts or to paths outside Okta's API (the app's own pages)", skippedOther)
        }
        let context = Context(okta, fromMock: fromMock)
        for e in okta {
            switch classify(e, context) {
            case .ok: rec.requests.append(RecordedRequest(method: e.method, path: e.path, fault: nil))
            case .fault(let f): rec.requests.append(RecordedRequest(method: e.method, path: e.path, fault: f))
            case .otherStatus(let s):
                rec.otherStatuses.add(String(s))
                rec.requests.append(RecordedRequest(method: e.method, path: e.path, fault: nil))
            case .notSent(let why): rec.skipped.add(why)
            }
        }
        rec.notes.append("Ordinals count the recording's requests per method and route, in the file's order.")
        return rec
    }

    /// What the whole recording says that one entry alone does not.
    struct Context {
        var slowMs: Double
        var datesRecorded: Bool
        var fromMock: Bool

        init(_ entries: [Entry], fromMock: Bool) {
            let times = entries.filter { ($0.status ?? 0) > 0 }.compactMap(\.timeMs).sorted()
            let median = times.isEmpty ? 0 : times[times.count / 2]
            slowMs = max(ReplayLimits.slowMs, 4 * median)
            datesRecorded = entries.contains { $0.header("date") != nil }
            self.fromMock = fromMock
        }
    }

    static func classify(_ e: Entry, _ c: Context) -> Outcome {
        if let hint = e.mockFault, let f = ReplayFaults.mockFault(hint, status: e.status, timeMs: e.timeMs) {
            return .fault(f)
        }
        let status = e.status ?? 0
        if status == 0 { return noAnswer(e, c) }
        let err = RecordedError(text: e.text, bodyKnown: e.bodyKnown, wwwAuthenticate: e.header("www-authenticate"))
        // A mock-okta `status` fault is replayed whatever its status: the journal says it was injected.
        if e.mockFault == "status" && status != 429 && status < 500 { return .fault(ReplayFaults.denied(status, err)) }
        switch status {
        case 429: return .fault(rateLimit(e, c))
        case 401, 403: return .fault(ReplayFaults.denied(status, err))
        case 400 where e.path.hasPrefix("/oauth2/") && err.oauthError != nil:
            return .fault(ReplayFaults.denied(400, err))
        case 500...599: return .fault(ReplayFaults.serverStatus(status, err))
        default:
            if let t = e.timeMs, t >= c.slowMs { return .fault(ReplayFaults.delay(ms: t)) }
            return status >= 400 ? .otherStatus(status) : .ok
        }
    }

    /// No status: a hang, a reset or close, or a request the browser never let out.
    static func noAnswer(_ e: Entry, _ c: Context) -> Outcome {
        if let err = e.error?.uppercased(), !err.isEmpty {
            if err.contains("ABORTED") || err.contains("BLOCKED") || err.contains("CANCEL") {
                return .notSent("requests the browser cancelled or blocked (\(e.error ?? ""))")
            }
            if err.contains("RESET") { return .fault(ReplayFaults.connection("reset")) }
            if err.contains("EMPTY_RESPONSE") || err.contains("CONNECTION_CLOSED") {
                return .fault(ReplayFaults.connection("close"))
            }
            return .fault(ReplayFaults.hang(observedMs: e.timeMs, respond: false))
        }
        if let t = e.timeMs, t >= ReplayLimits.slowMs {
            return .fault(ReplayFaults.hang(observedMs: t, respond: false))
        }
        return .notSent("requests with no answer and no wait (cancelled or blocked before they reached Okta)")
    }

    static func rateLimit(_ e: Entry, _ c: Context) -> ReplayFault {
        let resets = e.headers.filter { $0.0 == "x-rate-limit-reset" }.map { $0.1.trimmingWhitespace() }
        let concurrency = e.mockFault == "concurrencyLimit" || e.header("x-rate-limit-limit") == "0"
        let date = e.header("date").flatMap(httpDate)
        var distance = ReplayLimits.defaultResetSeconds
        var how = "the recording's reset could not be read; \(distance) s used"
        if let r = resets.first.flatMap(Double.init) {
            if let d = date {
                distance = Int((r - d).rounded())
                how = "X-Rate-Limit-Reset minus Date"
            } else if let s = e.startedAt {
                distance = Int((r - s.rounded(.down)).rounded())
                how = "X-Rate-Limit-Reset minus the request's start; no Date header"
            }
        }
        return ReplayFaults.rateLimit(
            resetAfter: distance, concurrency: concurrency,
            omitDate: date == nil && c.datesRecorded && !c.fromMock, omitReset: resets.isEmpty,
            duplicate: resets.count > 1, how: how)
    }

    // MARK: entries

    static func entry(_ j: JSON, fromMock: Bool) -> Entry? {
        guard let req = j["request"], let method = req["method"]?.stringValue?.uppercased(),
            methods.contains(method), let url = req["url"]?.stringValue
        else { return nil }
        let (host, path) = split(url)
        let resp = j["response"]
        let headers = (resp?["headers"]?.arrayValue ?? []).compactMap { h -> (String, String)? in
            guard let n = h["name"]?.stringValue, let v = h["value"]?.stringValue else { return nil }
            return (n.lowercased(), v)
        }
        let content = resp?["content"]
        var text = content?["text"]?.stringValue
        if let t = text, content?["encoding"]?.stringValue == "base64" {
            text =
                t.utf8.count <= ReplayLimits.maxBodyBytes * 2
                ? Data(base64Encoded: t).flatMap { String(data: $0, encoding: .utf8) } : nil
        }
        let size = content?["size"]?.intValue
        let timings = (j["timings"]?.objectValue ?? []).compactMap { $0.1.doubleValue }.filter { $0 > 0 }
        return Entry(
            method: method, host: host, path: path, status: resp?["status"]?.intValue,
            timeMs: j["time"]?.doubleValue ?? (timings.isEmpty ? nil : timings.reduce(0, +)),
            startedAt: j["startedDateTime"]?.stringValue.flatMap(TimeFormat.parseISO), headers: headers, text: text,
            bodyKnown: !fromMock && text == nil && size == 0,
            error: j["_error"]?.stringValue ?? resp?["_error"]?.stringValue,
            mockFault: fromMock ? j["_mockOkta"]?["fault"]?.stringValue : nil)
    }

    /// Host (lower-cased, nil for a relative URL) and path (no query or fragment) of a URL.
    static func split(_ url: String) -> (String?, String) {
        var rest = Substring(url)
        var host: String? = nil
        if let r = rest.firstRange(of: "://") {
            rest = rest[r.upperBound...]
            let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
            host = String(rest[..<end]).lowercased()
            rest = rest[end...]
        }
        let end = rest.firstIndex { $0 == "?" || $0 == "#" } ?? rest.endIndex
        let path = String(rest[..<end])
        return (host, path.isEmpty ? "/" : path)
    }

    /// Hosts that served an Okta route, or whose name is an Okta domain.
    static func oktaHosts(_ entries: [Entry]) -> Set<String> {
        var out = Set<String>()
        for e in entries {
            guard let h = e.host, !out.contains(h) else { continue }
            let name = h.split(separator: ":").first.map(String.init) ?? h
            if Router.pathExists(e.path) || oktaDomains.contains(where: name.hasSuffix) { out.insert(h) }
        }
        return out
    }

    static func isOkta(_ e: Entry, hosts: Set<String>) -> Bool {
        if let h = e.host, !hosts.contains(h) { return false }
        return oktaPrefixes.contains(where: e.path.hasPrefix) || Router.pathExists(e.path)
    }

    /// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as Unix seconds.
    static func httpDate(_ s: String) -> Double? {
        let parts = s.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 6, parts[5] == "GMT", let m = months.firstIndex(of: String(parts[2])),
            parts[1].count <= 2, parts[3].count == 4, parts[4].count == 8
        else { return nil }
        let day = parts[1].count == 1 ? "0" + parts[1] : String(parts[1])
        let month = m + 1 < 10 ? "0\(m + 1)" : "\(m + 1)"
        return TimeFormat.parseISO("\(parts[3])-\(month)-\(day)T\(parts[4])Z")
    }
}
