import FoundationEssentials

/// What the dashboard (`/__mock/ui`) reads besides the control API it shares with scripts: the page itself,
/// the System Log without an API token, the shipped scenarios, and the journal's changes as server-sent events.
extension MockOkta {
    /// The paths a browser opens directly, which take the admin token as `?token=` too.
    static let dashboardPaths: Set<String> = ["/__mock/ui", "/__mock/events"]

    /// How many System Log events `/__mock/logs` returns at most (newest first).
    static let dashboardLogLimit = 200

    static let dashboardRoutes: [ControlRoute] = [
        .init(method: "GET", path: "/__mock/ui") { _, _ in
            HTTPReply(
                status: 200,
                headers: [
                    ("Content-Type", "text/html;charset=utf-8"), ("Cache-Control", "no-cache, no-store"),
                    (
                        "Content-Security-Policy",
                        "default-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; "
                            + "script-src 'unsafe-inline'"
                    ),
                ],
                body: PackageResources.dashboard_html)
        },
        .init(method: "GET", path: "/__mock/logs") { m, req in m.controlLogs(req) },
        .init(method: "GET", path: "/__mock/scenarios") { _, _ in
            let list = ShippedScenarios.all.map { s -> JSON in
                let doc = (try? JSONParser.parse(s.text)) ?? .null
                return ["name": .string(s.name), "description": doc["description"] ?? .null, "scenario": doc]
            }
            return .json(200, .array(list))
        },
        // The stream itself is served by the HTTP server (it stays open); here a client that is not a
        // streaming server (an in-process test) gets one batch.
        .init(method: "GET", path: "/__mock/events") { m, req in
            let after = req.queryValue("after").flatMap(Int.init) ?? 0
            let batch = m.dashboardEvents(after: after)
            return HTTPReply(
                status: 200, headers: [("Content-Type", "text/event-stream")], body: Array(batch.text.utf8))
        },
    ]

    /// `/__mock/logs?filter=&q=&limit=`: the System Log as `/api/v1/logs` filters it, newest first, without an
    /// API token, rate limit or journal entry (so watching never changes a verdict).
    func controlLogs(_ req: HTTPRequestInfo) -> HTTPReply {
        let limitText = req.queryValue("limit") ?? String(MockOkta.dashboardLogLimit)
        guard let limit = Int(limitText), (1...MockOkta.dashboardLogLimit).contains(limit) else {
            return controlError(400, "limit must be a whole number from 1 to \(MockOkta.dashboardLogLimit)")
        }
        do {
            let events = try searchSystemLog(filter: req.queryValue("filter"), q: req.queryValue("q")) { _ in true }
            return .json(200, .array(events.suffix(limit).reversed().map(\.json)))
        } catch let e as OktaAPIError {
            return oktaError(e)
        } catch {
            return controlError(400, "\(error)")
        }
    }

    /// One server-sent event with what changed in the journal after `version`: `{"version","now","cleared",
    /// "requests":[…]}`. Times are milliseconds of the real clock; `now` lets the page draw open bars.
    public func dashboardEvents(after version: Int) -> (text: String, version: Int, changed: Bool) {
        let c = journal.changes(after: version)
        let changed = c.cleared || !c.entries.isEmpty
        let body: JSON = [
            "version": JSON(c.version), "now": .number((realClock.now() * 1000).rounded()), "cleared": .bool(c.cleared),
            "requests": .array(c.entries.map(MockOkta.dashboardRow)),
        ]
        return ("event: journal\ndata: \(body.serialized())\n\n", c.version, changed)
    }

    static func dashboardRow(_ e: JournalEntry) -> JSON {
        func ms(_ t: Double?) -> JSON { t.map { .number(($0 * 1000).rounded()) } ?? .null }
        return [
            "id": .string(e.id), "method": .string(e.method), "path": .string(e.path), "route": JSON(e.route),
            "status": e.status.map { JSON($0) } ?? .null, "receivedAt": ms(e.receivedAt),
            "finishedAt": ms(e.finishedAt), "disconnectedAt": ms(e.disconnectedAt),
            "open": .bool(e.finishedAt == nil && e.disconnectedAt == nil), "rule": JSON(e.rule),
            "fault": JSON(e.fault), "retryFor": JSON(e.retryFor), "retryCount": e.retryCount.map { JSON($0) } ?? .null,
            "client": JSON(e.auth.clientId), "auth": .string(e.auth.kind),
        ]
    }
}
