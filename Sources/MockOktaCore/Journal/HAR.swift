import FoundationEssentials

/// The journal as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): opens in browser devtools and
/// proxies. Bodies are not kept, so `content` is empty; faults, rule ids and retries are in `_mockOkta`.
public enum HAR {
    public static func document(_ entries: [JournalEntry], baseURL: String) -> JSON {
        [
            "log": [
                "version": "1.2", "creator": ["name": "mock-okta", "version": .string(MockOktaVersion.release)],
                "pages": [], "entries": .array(entries.map { entry($0, baseURL: baseURL) }),
            ]
        ]
    }

    static func entry(_ e: JournalEntry, baseURL: String) -> JSON {
        let query = e.query.map { "\(percent($0.0))=\(percent($0.1))" }.joined(separator: "&")
        let url = baseURL + e.path + (query.isEmpty ? "" : "?" + query)
        let end = e.disconnectedAt ?? e.finishedAt
        let time = end.map { max(0, ($0 - e.receivedAt) * 1000) } ?? -1
        var responseHeaders: [JSON] = [["name": "X-Okta-Request-Id", "value": .string(e.id)]]
        if let reset = e.resetAt {
            responseHeaders.append(["name": "X-Rate-Limit-Reset", "value": .string(String(Int(reset)))])
        }
        let status = e.status ?? 0
        return [
            "startedDateTime": .string(TimeFormat.iso(e.receivedAt)),
            "time": .number(time < 0 ? 0 : (time * 1000).rounded() / 1000),
            "request": [
                "method": .string(e.method), "url": .string(url), "httpVersion": "HTTP/1.1", "cookies": [],
                "headers": .array(e.headers.map { ["name": .string($0.0), "value": .string($0.1)] }),
                "queryString": .array(e.query.map { ["name": .string($0.0), "value": .string($0.1)] }),
                "headersSize": -1, "bodySize": -1,
            ],
            "response": [
                "status": JSON(status), "statusText": .string(status == 0 ? "" : reason(status)),
                "httpVersion": "HTTP/1.1",
                "cookies": [], "headers": .array(responseHeaders), "content": ["size": 0, "mimeType": ""],
                "redirectURL": "", "headersSize": -1, "bodySize": -1,
            ],
            "cache": [:],
            "timings": ["send": 0, "wait": .number(time < 0 ? 0 : (time * 1000).rounded() / 1000), "receive": 0],
            "_mockOkta": [
                "id": .string(e.id), "route": JSON(e.route), "rule": JSON(e.rule), "fault": JSON(e.fault),
                "retryFor": JSON(e.retryFor), "retryCount": e.retryCount.map { JSON($0) } ?? .null,
                "clientLeftAt": e.disconnectedAt.map { .string(TimeFormat.iso($0)) } ?? .null,
                "answered": .bool(e.status != nil),
            ],
        ]
    }

    static func percent(_ s: String) -> String {
        s.percentEncoded(keeping: "-._~[] ").replacing(" ", with: "+")
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 302: return "Found"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return ""
        }
    }
}
