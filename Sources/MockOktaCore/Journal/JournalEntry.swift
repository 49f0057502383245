import FoundationEssentials

public struct AuthIdentity: Sendable, Hashable {
    public var kind: String = "none"  // SSWS | Bearer | Basic | none (DPoP counts as Bearer)
    public var tokenId: String?
    public var clientId: String?
    public var userId: String?

    public var json: JSON {
        ["kind": .string(kind), "tokenId": JSON(tokenId), "clientId": JSON(clientId), "userId": JSON(userId)]
    }

    /// Who the caller is, for "same caller" in retry detection.
    public var callerKey: String { "\(kind)|\(tokenId ?? "")|\(clientId ?? "")|\(userId ?? "")" }
}

/// One journaled request. Kept compact (issue 15: the journal holds 100,000 of them): the request id is stored inline
/// rather than as a heap string, repeated strings (path, headers, caller) are shared through the journal's
/// `Interner` (the caller as one shared object), times that may be unset are NaN rather than optionals, and the
/// fields most requests never set live in one shared box (`Rare`). The properties read and write as plain values.
public struct JournalEntry: Sendable {
    public var seq: Int
    private var requestId: RequestID
    public var receivedAt: Double
    private var finished = Double.nan
    private var sent = Double.nan
    public var method: String
    public var path: String
    public var route: String?
    private var statusCode: Int32 = -1
    private var caller: JournalCaller
    public var headers: [(String, String)]
    private var rare: Rare.Box?
    /// Bumped on every change, so the dashboard's event stream sends only what changed.
    public internal(set) var version = 0

    public init(
        seq: Int, id: String, receivedAt: Double, finishedAt: Double?, disconnectedAt: Double?, method: String,
        path: String, route: String?, query: [(String, String)], status: Int?, auth: AuthIdentity, retryFor: String?,
        retryCount: Int?, rule: String?, fault: String?, headers: [(String, String)], resetAt: Double?,
        dateSent: Double?, resetDistance: Double? = nil, tokenError: String?
    ) {
        self.seq = seq
        self.requestId = RequestID(id)
        self.receivedAt = receivedAt
        self.method = method
        self.path = path
        self.route = route
        self.caller = JournalCaller.make(auth)
        self.headers = headers
        self.finishedAt = finishedAt
        self.dateSent = dateSent
        self.status = status
        var r = Rare()
        (r.disconnectedAt, r.query, r.retryFor, r.retryCount, r.rule, r.fault) =
            (disconnectedAt, query, retryFor, retryCount, rule, fault)
        (r.resetAt, r.resetDistance, r.tokenError) = (resetAt, resetDistance, tokenError)
        if !r.isEmpty || !requestId.isInline { rare = Rare.Box(r, id: requestId.isInline ? nil : id) }
    }

    public var id: String { rare?.longId ?? requestId.string }

    /// The journal's index key: every id the mock makes (27 ASCII characters) has one; a longer id read back from a
    /// hand-edited `--db` has none (its entry is found by a scan).
    var key: RequestID? { requestId.isInline ? requestId : nil }

    /// Whether this entry is the request `id` (`key` is `RequestID(id)`, made once by the caller).
    func has(id: String, key: RequestID) -> Bool {
        key.isInline ? requestId == key : rare?.longId == id
    }
    public var auth: AuthIdentity {
        get { caller.value }
        set { if newValue != caller.value { caller = JournalCaller.make(newValue) } }
    }
    public var finishedAt: Double? {
        get { finished.isNaN ? nil : finished }
        set { finished = newValue ?? .nan }
    }
    public var dateSent: Double? {
        get { sent.isNaN ? nil : sent }
        set { sent = newValue ?? .nan }
    }
    public var status: Int? {
        get { statusCode < 0 ? nil : Int(statusCode) }
        set { statusCode = newValue.map { Int32(clamping: $0) } ?? -1 }
    }
    public var disconnectedAt: Double? {
        get { rare?.value.disconnectedAt }
        set { change { $0.disconnectedAt = newValue } }
    }
    public var query: [(String, String)] {
        get { rare?.value.query ?? [] }
        set { change { $0.query = newValue } }
    }
    public var retryFor: String? {
        get { rare?.value.retryFor }
        set { change { $0.retryFor = newValue } }
    }
    public var retryCount: Int? {
        get { rare?.value.retryCount }
        set { change { $0.retryCount = newValue } }
    }
    public var rule: String? {
        get { rare?.value.rule }
        set { change { $0.rule = newValue } }
    }
    public var fault: String? {
        get { rare?.value.fault }
        set { change { $0.fault = newValue } }
    }
    /// Seconds until the rate-limit reset we told the client (429s), for verdicts.
    public var resetAt: Double? {
        get { rare?.value.resetAt }
        set { change { $0.resetAt = newValue } }
    }
    /// X-Rate-Limit-Reset − Date of a 429, as an SDK computes its wait (nil without a Date header).
    public var resetDistance: Double? {
        get { rare?.value.resetDistance }
        set { change { $0.resetDistance = newValue } }
    }
    public var tokenError: String? {
        get { rare?.value.tokenError }
        set { change { $0.tokenError = newValue } }
    }

    /// Changes the rare fields: a new box (boxes are shared between copies and never change).
    private mutating func change(_ body: (inout Rare) -> Void) {
        var r = rare?.value ?? Rare()
        body(&r)
        let longId = rare?.longId
        rare = r.isEmpty && longId == nil ? nil : Rare.Box(r, id: longId)
    }

    /// Shares this entry's repeated strings with earlier entries (the journal calls it once, on `begin`).
    mutating func intern(_ interner: inout Interner) {
        path = interner.string(path)
        headers = interner.pairs(headers)
        caller = interner.caller(caller.value)
        if let r = rare, !r.value.query.isEmpty { change { $0.query = interner.pairs($0.query) } }
    }

    public var json: JSON {
        func ms(_ t: Double?) -> JSON { t.map { .number(($0 * 1000).rounded()) } ?? .null }
        return [
            "id": .string(id), "receivedAt": ms(receivedAt), "finishedAt": ms(finishedAt),
            "disconnectedAt": ms(disconnectedAt), "method": .string(method), "path": .string(path),
            "route": JSON(route),
            "query": .object(query.map { ($0.0, .string($0.1)) }),
            "status": status.map { .number(Double($0)) } ?? .null,
            "auth": auth.json, "retryFor": JSON(retryFor), "retryCount": retryCount.map { JSON($0) } ?? .null,
            "rule": JSON(rule), "fault": JSON(fault),
            "headers": .object(headers.map { ($0.0, .string($0.1)) }),
            "rateLimitReset": resetAt.map { .number($0) } ?? .null,
        ]
    }
}

extension JournalEntry {
    /// Reads back an entry as `json` wrote it (a `--db` journal after a restart).
    init?(json j: JSON, seq: Int) {
        guard let id = j["id"]?.stringValue, let method = j["method"]?.stringValue, let path = j["path"]?.stringValue,
            let received = j["receivedAt"]?.doubleValue
        else { return nil }
        func secs(_ k: String) -> Double? { j[k]?.doubleValue.map { $0 / 1000 } }
        func pairs(_ k: String) -> [(String, String)] {
            (j[k]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? "") }
        }
        let a = j["auth"]
        self.init(
            seq: seq, id: id, receivedAt: received / 1000, finishedAt: secs("finishedAt"),
            disconnectedAt: secs("disconnectedAt"),
            method: method, path: path, route: j["route"]?.stringValue, query: pairs("query"),
            status: j["status"]?.intValue,
            auth: AuthIdentity(
                kind: a?["kind"]?.stringValue ?? "none", tokenId: a?["tokenId"]?.stringValue,
                clientId: a?["clientId"]?.stringValue, userId: a?["userId"]?.stringValue),
            retryFor: j["retryFor"]?.stringValue, retryCount: j["retryCount"]?.intValue, rule: j["rule"]?.stringValue,
            fault: j["fault"]?.stringValue, headers: pairs("headers"), resetAt: j["rateLimitReset"]?.doubleValue,
            dateSent: nil,
            tokenError: nil)
    }
}

/// Who sent a request, shared by every entry of the same caller (8 bytes in an entry instead of 64).
final class JournalCaller: Sendable {
    let value: AuthIdentity
    init(_ value: AuthIdentity) { self.value = value }

    static let anonymous = JournalCaller(AuthIdentity())

    static func make(_ a: AuthIdentity) -> JournalCaller { a == anonymous.value ? anonymous : JournalCaller(a) }
}

/// The fields of a journal entry that most requests leave unset (retries, faults, 429s, disconnects, queries).
struct Rare: Sendable {
    var disconnectedAt: Double?
    var query: [(String, String)] = []
    var retryFor: String?
    var retryCount: Int?
    var rule: String?
    var fault: String?
    var resetAt: Double?
    var resetDistance: Double?
    var tokenError: String?

    var isEmpty: Bool {
        disconnectedAt == nil && query.isEmpty && retryFor == nil && retryCount == nil && rule == nil && fault == nil
            && resetAt == nil && resetDistance == nil && tokenError == nil
    }

    /// An immutable box: entries that share one are copies of each other; a change makes a new box.
    final class Box: Sendable {
        let value: Rare
        /// A request id that is not Okta's 27 ASCII characters (never made by the mock; kept for entries read back).
        let longId: String?
        init(_ value: Rare, id: String?) {
            self.value = value
            self.longId = id
        }
    }
}

/// A request id of up to 31 ASCII bytes, stored inline (Okta's `X-Okta-Request-Id` has 27): no heap allocation.
struct RequestID: Sendable, Hashable {
    private var a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0, d: UInt64 = 0

    init(_ s: String) {
        let u = s.utf8
        guard u.count <= 31, u.allSatisfy({ $0 < 0x80 }) else {
            d = UInt64.max  // not inline (the length byte of an inline id is at most 31): the caller keeps the string
            return
        }
        withUnsafeMutableBytes(of: &self) { raw in
            for (i, byte) in u.enumerated() { raw[i] = byte }
            raw[31] = UInt8(u.count)
        }
    }

    var isInline: Bool { d != UInt64.max }

    var string: String {
        withUnsafeBytes(of: self) { raw in
            String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<Int(raw[31])]), as: UTF8.self)
        }
    }
}

/// Shares repeated strings between journal entries: a path, a header list or a caller seen before is stored once.
/// Bounded: after `capacity` distinct values new ones are kept as they are (each entry then owns its copy).
struct Interner {
    private var strings: Set<String> = []
    private var lists: [PairList: [(String, String)]] = [:]
    private var callers: [AuthIdentity: JournalCaller] = [:]
    let capacity: Int

    init(capacity: Int = 20_000) { self.capacity = capacity }

    mutating func string(_ s: String) -> String {
        if let known = strings.firstIndex(of: s) { return strings[known] }
        if strings.count < capacity { strings.insert(s) }
        return s
    }

    mutating func pairs(_ p: [(String, String)]) -> [(String, String)] {
        if p.isEmpty { return p }
        let key = PairList(p)
        if let known = lists[key] { return known }
        guard lists.count < capacity else { return p }
        let shared = p.map { (string($0.0), string($0.1)) }
        lists[key] = shared
        return shared
    }

    mutating func caller(_ a: AuthIdentity) -> JournalCaller {
        if a == JournalCaller.anonymous.value { return JournalCaller.anonymous }
        if let known = callers[a] { return known }
        let shared = JournalCaller(
            AuthIdentity(
                kind: a.kind, tokenId: a.tokenId.map { string($0) }, clientId: a.clientId.map { string($0) },
                userId: a.userId.map { string($0) }))
        if callers.count < capacity { callers[a] = shared }
        return shared
    }

    mutating func removeAll() {
        strings.removeAll()
        lists.removeAll()
        callers.removeAll()
    }

    /// A header or query list as a dictionary key (tuples are not Hashable).
    private struct PairList: Hashable {
        let items: [(String, String)]
        init(_ items: [(String, String)]) { self.items = items }
        static func == (l: PairList, r: PairList) -> Bool {
            l.items.count == r.items.count && zip(l.items, r.items).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        }
        func hash(into h: inout Hasher) {
            h.combine(items.count)
            for (k, v) in items {
                h.combine(k)
                h.combine(v)
            }
        }
    }
}
