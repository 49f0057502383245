import FoundationEssentials

/// The System Log (`/api/v1/logs`); authorization servers are in Authorization/AuthServersAPI.swift.
extension MockOkta {
    // MARK: System Log

    /// A filter on an event type that no Okta catalogue has (troubleshooting guides quote some) matches nothing, as in
    /// Okta; the server says once on stderr which real ids carry that intent.
    func hintUnknownEventTypes(_ expr: FilterExpr) {
        switch expr {
        case .compare(let attr, _, .string(let v)?) where attr == "eventType" || attr == "legacyEventType":
            guard let real = EventType.notInCatalogue[v] else { return }
            let first = hintedEventTypes.withLock { $0.insert(v).inserted }
            if first {
                let hint =
                    "System Log filter names '\(v)', which is in no Okta event-type catalogue, so it matches "
                    + "nothing (as in Okta). Use: \(real)"
                logger.warning("\(hint)")
            }
        case .compare: return
        case .and(let a, let b), .or(let a, let b):
            hintUnknownEventTypes(a)
            hintUnknownEventTypes(b)
        case .not(let a): hintUnknownEventTypes(a)
        }
    }

    /// A `since` or `until` value: ISO 8601, or Okta's E0000001 for that parameter.
    func logDate(_ value: String?, _ name: String) throws -> Double? {
        guard let value else { return nil }
        guard let t = TimeFormat.parseISO(value) else {
            throw OktaAPIError(
                400, "E0000001",
                "Api validation failed: '\(name)': The date format in your query is not recognized. Please enter "
                    + "dates using ISO8601 string format.. '\(name)'")
        }
        return t
    }

    func logs(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: false)
        let limit = try limitParam(ex, default: 100, max: 1000)
        let q = ex.req.queryValue
        let since = try logDate(q("since"), "since")
        let until = try logDate(q("until"), "until")
        let sinceDefault = (until ?? ex.now) - 7 * 86400
        var events = try searchSystemLog(filter: q("filter"), q: q("q")) { published in
            published >= (since ?? sinceDefault) && until.map { published < $0 } ?? true
        }
        let descending = q("sortOrder")?.uppercased() == "DESCENDING"
        let after = q("after").flatMap(Int.init)
        if descending { events.reverse() }
        if let a = after {
            events = events.filter { descending ? $0.seq < a : $0.seq > a }
        }
        let page = Array(events.prefix(limit))
        let more = events.count > page.count
        // Polling mode (no until, ascending): always a next link, even on an empty page.
        let polling = until == nil && !descending
        var nextCursor: String? = nil
        if more {
            nextCursor = page.last.map { String($0.seq) }
        } else if polling {
            nextCursor =
                page.last.map { String($0.seq) } ?? after.map(String.init) ?? String((systemLog.all().last?.seq ?? -1))
        }
        return .json(200, .array(page.map(\.json)), headers: linkHeaders(ex, next: nextCursor, limit: limit))
    }

    /// `q`: space-separated keywords, each at most 40 characters (Okta's limit).
    func logKeywords(_ q: String?) throws -> [String] {
        let keywords = (q ?? "").split(separator: " ").map { $0.lowercased() }
        if let long = keywords.first(where: { $0.count > 40 }) {
            throw OktaAPIError(
                400, "E0000001",
                "Api validation failed: 'q': Freeform search cannot contain items longer than 40 characters. '\(long)'")
        }
        return keywords
    }

    /// The System Log events that pass a SCIM `filter`, every keyword and the time window, oldest first
    /// (`/api/v1/logs` and the dashboard's `/__mock/logs` share it).
    func searchSystemLog(filter: String?, q: String?, within: (Double) -> Bool) throws -> [SystemLog.Event] {
        var expr: FilterExpr? = nil
        if let f = filter {
            do { expr = try FilterExpr.parse(f) } catch let e as FilterExpr.ParseError {
                throw OktaAPIError(400, "E0000053", "Invalid filter '\(f)': \(e.message)")
            }
            if let expr { hintUnknownEventTypes(expr) }
        }
        let keywords = try logKeywords(q)
        return systemLog.all().filter { e in
            if !within(e.published) { return false }
            if let expr, !expr.evaluate(e.lookup()) { return false }
            if !keywords.isEmpty {
                let text = String(decoding: e.text, as: UTF8.self).lowercased()
                if !keywords.allSatisfy({ text.contains($0) }) { return false }
            }
            return true
        }
    }
}
