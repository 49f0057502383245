import FoundationEssentials

/// Parses and validates scenario documents against the shipped schema.
public enum ScenarioLoader {
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var file: String?
        public var issues: [ValidationIssue]
        public var description: String {
            issues.map { "\(file.map { "\($0): " } ?? "")\($0)" }.joined(separator: "\n")
        }
        public var json: JSON {
            [
                "errorCode": "E0000001", "errorSummary": .string("Api validation failed: scenario"),
                "errorCauses": .array(
                    issues.map {
                        [
                            "errorSummary": .string($0.description), "path": .string($0.path),
                            "line": JSON($0.line), "column": JSON($0.column), "message": .string($0.message),
                        ]
                    }),
            ]
        }
    }

    /// Headers that frame the HTTP message; a fault that overrides them would break keep-alive.
    static let serverOwnedHeaders: Set<String> = [
        "content-length", "transfer-encoding", "connection", "upgrade", "keep-alive",
    ]

    public static let schema: JSON = (try? JSONParser.parse(embeddedScenarioSchema)) ?? .object([])

    public static func load(text: String, file: String? = nil) throws(Invalid) -> Scenario {
        var parser = JSONParser(text, recordPositions: true)
        let doc: JSON
        do { doc = try parser.parseDocument() } catch let e as JSONParseError {
            throw Invalid(
                file: file,
                issues: [
                    ValidationIssue(
                        path: "$", line: e.position.line, column: e.position.column,
                        message: "not valid JSON: \(e.message)")
                ])
        } catch {
            throw Invalid(
                file: file, issues: [ValidationIssue(path: "$", line: 1, column: 1, message: "not valid JSON")])
        }
        return try load(json: doc, positions: parser.positions, file: file)
    }

    /// Validates a parsed document (schema, then the semantic checks the schema cannot express) and builds it.
    public static func load(json doc: JSON, positions: [String: JSONPosition] = [:], file: String? = nil)
        throws(Invalid) -> Scenario
    {
        var issues = SchemaValidator(schema: schema).validate(doc, positions: positions)
        // Semantic checks the schema cannot express.
        let rules = doc["rules"]?.arrayValue ?? []
        let ruleIds = Set(rules.compactMap { $0["id"]?.stringValue })
        let problems =
            ruleWhenProblems(rules) + ruleFaultProblems(rules) + tenantProblems(doc)
            + ruleReferenceProblems(doc, ruleIds: ruleIds)
        for (p, m) in problems {
            let pos = SchemaValidator.position(for: p, in: positions)
            issues.append(ValidationIssue(path: p, line: pos.line, column: pos.column, message: m))
        }
        if !issues.isEmpty { throw Invalid(file: file, issues: issues) }
        return build(doc)
    }

    /// A semantic problem: the path of the offending value and what is wrong with it.
    typealias Problem = (path: String, message: String)

    /// Duplicate rule ids and `when` ranges that end before they start.
    static func ruleWhenProblems(_ rules: [JSON]) -> [Problem] {
        var out: [Problem] = []
        var ids = Set<String>()
        for (i, r) in rules.enumerated() {
            if let id = r["id"]?.stringValue, !ids.insert(id).inserted {
                out.append(("$.rules[\(i)].id", "duplicate rule id \"\(id)\""))
            }
            if let b = r["when"]?["betweenSeconds"]?.arrayValue, b.count == 2, let a = b[0].doubleValue,
                let c = b[1].doubleValue, a > c
            {
                out.append(("$.rules[\(i)].when.betweenSeconds", "start must not be after end"))
            }
            if let f = r["when"]?["nth"]?["from"]?.intValue, let t = r["when"]?["nth"]?["to"]?.intValue, f > t {
                out.append(("$.rules[\(i)].when.nth", "\"from\" (\(f)) must not be greater than \"to\" (\(t))"))
            }
        }
        return out
    }

    /// Fault statuses that are not final answers, and fault headers the server must own.
    static func ruleFaultProblems(_ rules: [JSON]) -> [Problem] {
        var out: [Problem] = []
        for (i, r) in rules.enumerated() {
            guard let f = r["fault"] else { continue }
            if let st = f["status"]?.intValue, st < 200 || st == 304 {
                out.append(
                    (
                        "$.rules[\(i)].fault.status",
                        "\(st) cannot be injected: informational and 304 answers are not final answers with a body; "
                            + "use 200–599 except 304"
                    ))
            }
            for (name, _) in f["headers"]?.objectValue ?? []
            where ScenarioLoader.serverOwnedHeaders.contains(name.lowercased()) {
                out.append(
                    (
                        "$.rules[\(i)].fault.headers",
                        "\(name) is set by the server from the body it sends and cannot be overridden"
                    ))
            }
        }
        return out
    }

    /// Tenant fixtures the Management API would refuse: apps, trusted origins, authorization servers and zones.
    static func tenantProblems(_ doc: JSON) -> [Problem] {
        var out: [Problem] = []
        for (i, a) in (doc["tenant"]?["apps"]?.arrayValue ?? []).enumerated() {
            do {
                _ = try AppInput.parse(
                    DefaultTenant.appBody(a), id: "0oafixture", existing: nil,
                    secrets: RandomSource(seed: 0, purpose: "check"))
            } catch let e as OktaAPIError {
                out.append(("$.tenant.apps[\(i)]", e.causes.joined(separator: "; ")))
            } catch {
                out.append(("$.tenant.apps[\(i)]", "\(error)"))
            }
        }
        for (i, o) in (doc["tenant"]?["trustedOrigins"]?.arrayValue ?? []).enumerated()
        where TrustedOrigin.normalize(o["origin"]?.stringValue ?? "") == nil {
            out.append(
                ("$.tenant.trustedOrigins[\(i)].origin", "not an origin: give scheme://host[:port] with no path"))
        }
        for (path, message) in DefaultTenant.authorizationProblems(doc) { out.append((path, message)) }
        return out + zoneProblems(doc["tenant"]?["signOn"]?["zones"]?.arrayValue ?? [])
    }

    /// Duplicate zone names and gateways or proxies that are not addresses, CIDR blocks or ranges.
    static func zoneProblems(_ zones: [JSON]) -> [Problem] {
        var out: [Problem] = []
        var zoneNames = Set<String>()
        for (i, z) in zones.enumerated() {
            if let n = z["name"]?.stringValue, !zoneNames.insert(n).inserted {
                out.append(("$.tenant.signOn.zones[\(i)].name", "duplicate zone name \"\(n)\""))
            }
            for field in ["gateways", "proxies"] {
                for (j, v) in (z[field]?.arrayValue ?? []).enumerated() {
                    let text = v.stringValue ?? ""
                    let a = ZoneAddress(type: text.contains("-") ? "RANGE" : "CIDR", value: text)
                    if a.bounds == nil {
                        out.append(
                            (
                                "$.tenant.signOn.zones[\(i)].\(field)[\(j)]",
                                "not an IP address, CIDR block (10.0.0.0/8) or range (10.0.0.1-10.0.0.9)"
                            ))
                    }
                }
            }
        }
        return out
    }

    /// Expectations and timeline entries naming a rule that does not exist, and rotations that contradict themselves.
    static func ruleReferenceProblems(_ doc: JSON, ruleIds ids: Set<String>) -> [Problem] {
        var out: [Problem] = []
        for (i, e) in (doc["expect"]?.arrayValue ?? []).enumerated() {
            if let r = e["rule"]?.stringValue, !ids.contains(r) {
                out.append(("$.expect[\(i)].rule", "no rule has the id \"\(r)\""))
            }
        }
        for (i, t) in (doc["timeline"]?.arrayValue ?? []).enumerated() {
            if let a = t["action"], a["dropOld"]?.boolValue == true, a["keepOldSeconds"] != nil {
                out.append(
                    (
                        "$.timeline[\(i)].action",
                        "\"dropOld\": true and \"keepOldSeconds\" contradict each other; use one"
                    )
                )
            }
            if let r = t["afterRule"]?.stringValue, !ids.contains(r) {
                out.append(("$.timeline[\(i)].afterRule", "no rule has the id \"\(r)\""))
            }
        }
        return out
    }

    /// Builds the model from a document that passed validation.
    static func build(_ doc: JSON) -> Scenario {
        var fixture = TenantFixture()
        if let t = doc["tenant"] {
            for u in t["users"]?.arrayValue ?? [] {
                var fu = TenantFixture.FixtureUser(login: u["login"]?.stringValue ?? "")
                fu.status = UserStatus(rawValue: u["status"]?.stringValue ?? "ACTIVE") ?? .ACTIVE
                fu.password = u["password"]?.stringValue
                fu.firstName = u["firstName"]?.stringValue
                fu.lastName = u["lastName"]?.stringValue
                fu.groups = u["groups"]?.arrayValue?.compactMap(\.stringValue) ?? []
                fu.totp = u["totp"]?.boolValue ?? false
                fu.factors = (u["factors"]?.arrayValue ?? []).compactMap(\.stringValue)
                fixture.users.append(fu)
            }
            for g in t["groups"]?.arrayValue ?? [] {
                fixture.groups.append((g["name"]?.stringValue ?? "", g["description"]?.stringValue))
            }
            fixture.generateUsers = t["generateUsers"]?.intValue ?? 0
            if let rl = t["rateLimits"] {
                if let s = rl.stringValue {
                    fixture.rateLimitsOff = s == "off"
                } else {
                    for (k, v) in rl.objectValue ?? [] { fixture.rateLimits[k] = v.intValue ?? 0 }
                }
            }
            fixture.refreshTokenRotation = t["refreshTokenRotation"]?.boolValue
            fixture.accessTokenLifetimeSeconds = t["accessTokenLifetimeSeconds"]?.intValue
            fixture.apps = t["apps"]?.arrayValue ?? []
            fixture.trustedOrigins = t["trustedOrigins"]?.arrayValue ?? []
            fixture.bearerErrorJSON = t["bearerErrorBody"]?.stringValue.map { $0 == "json" }
            fixture.signOn = t["signOn"]
            fixture.authorizationServers = t["authorizationServers"]?.arrayValue ?? []
            fixture.adminRoles = t["adminRoles"]?.arrayValue ?? []
        }
        let rules = (doc["rules"]?.arrayValue ?? []).compactMap(buildRule)
        let timeline = (doc["timeline"]?.arrayValue ?? []).compactMap { t -> TimelineEntry? in
            guard let a = t["action"], let action = buildAction(a) else { return nil }
            return TimelineEntry(
                atSeconds: t["atSeconds"]?.doubleValue, afterRule: t["afterRule"]?.stringValue,
                delaySeconds: t["delaySeconds"]?.doubleValue ?? 0, action: action)
        }
        let expect = (doc["expect"]?.arrayValue ?? []).map { e in
            Expectation(
                type: e["type"]?.stringValue ?? "", path: e["path"]?.stringValue.map(PathPattern.init),
                pathText: e["path"]?.stringValue, method: e["method"]?.stringValue?.uppercased(), params: e)
        }
        return Scenario(
            name: doc["name"]?.stringValue ?? "scenario", description: doc["description"]?.stringValue ?? "",
            seed: doc["seed"]?.intValue.map { UInt64(bitPattern: Int64($0)) }, tenant: fixture, rules: rules,
            timeline: timeline, expect: expect, source: doc)
    }

    public static func buildRule(_ r: JSON) -> Rule? {
        var m = Match()
        if let mj = r["match"] {
            m.method = mj["method"]?.stringValue?.uppercased()
            m.path = mj["path"]?.stringValue.map(PathPattern.init)
            m.query = (mj["query"]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? "") }
            m.headers = (mj["headers"]?.objectValue ?? []).map { ($0.0.lowercased(), $0.1.stringValue ?? "") }
            m.clientId = mj["clientId"]?.stringValue
            m.authorizationServer = mj["authorizationServer"]?.stringValue
        }
        var w = When()
        if let wj = r["when"] {
            if let nth = wj["nth"] {
                if let arr = nth.arrayValue {
                    w.nth = arr.compactMap(\.intValue).map { $0...$0 }
                } else if let from = nth["from"]?.intValue,
                    let to = nth["to"]?.intValue, from <= to
                {
                    w.nth = [from...to]
                }
            }
            w.first = wj["first"]?.intValue
            w.after = wj["after"]?.intValue
            w.every = wj["every"]?.intValue
            w.probability = wj["probability"]?.doubleValue
            if let b = wj["betweenSeconds"]?.arrayValue, b.count == 2 {
                w.betweenSeconds = (b[0].doubleValue ?? 0, b[1].doubleValue ?? 0)
            }
            w.times = wj["times"]?.intValue
        }
        guard let fault = r["fault"].flatMap(buildFault) else { return nil }
        return Rule(
            id: r["id"]?.stringValue ?? "rule", description: r["description"]?.stringValue,
            optional: r["optional"]?.boolValue ?? false, match: m, when: w, fault: fault)
    }

    /// The fault a validated document describes; nil for a `type` outside the vocabulary (the schema refuses it first).
    public static func buildFault(_ f: JSON) -> Fault? {
        guard let type = FaultType(rawValue: f["type"]?.stringValue ?? "") else { return nil }
        let kind: FaultKind
        switch type {
        case .status: kind = .status(f["status"]?.intValue ?? 500)
        case .rateLimit:
            kind = .rateLimit(
                resetAfterSeconds: f["resetAfterSeconds"]?.intValue ?? 60, omitDate: f["omitDate"]?.boolValue ?? false,
                omitResetHeader: f["omitResetHeader"]?.boolValue ?? false,
                duplicateResetHeader: f["duplicateResetHeader"]?.boolValue ?? false)
        case .concurrencyLimit: kind = .concurrencyLimit(resetAfterSeconds: f["resetAfterSeconds"]?.intValue ?? 60)
        case .serverError: kind = .serverError
        case .unavailable: kind = .unavailable
        case .delay: kind = .delay(ms: f["ms"]?.intValue ?? 0)
        case .hang: kind = .hang(seconds: f["seconds"]?.doubleValue, close: f["then"]?.stringValue == "close")
        case .reset: kind = .reset
        case .close: kind = .close
        case .emptyBody: kind = .emptyBody(status: f["status"]?.intValue)
        case .malformedBody: kind = .malformedBody(status: f["status"]?.intValue)
        case .slowBody: kind = .slowBody(seconds: f["seconds"]?.doubleValue ?? 1)
        case .expiredToken: kind = .expiredToken
        case .shortLivedToken: kind = .shortLivedToken(seconds: f["seconds"]?.intValue ?? 5)
        case .wrongIssuer: kind = .wrongIssuer
        case .wrongAudience: kind = .wrongAudience
        case .unknownKid: kind = .unknownKid
        case .badSignature: kind = .badSignature
        case .missingScope: kind = .missingScope(scope: f["scope"]?.stringValue)
        }
        var fault = Fault(kind: kind)
        fault.body = f["body"]
        fault.headers = (f["headers"]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? "") }
        return fault
    }

    public static func buildAction(_ a: JSON) -> Action? {
        let s = { (k: String) in a[k]?.stringValue }
        guard let type = ActionType(rawValue: s("type") ?? "") else { return nil }
        switch type {
        case .revokeApiToken: return .revokeApiToken(token: s("token") ?? "admin")
        case .expireAccessTokens:
            return .expireAccessTokens(server: s("server"), clientId: s("clientId"), user: s("user"))
        case .revokeRefreshTokens: return .revokeRefreshTokens(clientId: s("clientId"), user: s("user"))
        case .rotateSigningKey:
            return .rotateSigningKey(
                server: s("server"), dropOld: a["dropOld"]?.boolValue ?? false,
                keepOldSeconds: a["keepOldSeconds"]?.doubleValue)
        case .unassignUser: return .unassignUser(user: s("user") ?? "", app: s("app") ?? "")
        case .assignUser: return .assignUser(user: s("user") ?? "", app: s("app") ?? "")
        case .removeScopeGrant:
            return .removeScopeGrant(app: s("app") ?? "", scope: s("scope") ?? "", server: s("server"))
        case .deactivateUser: return .deactivateUser(user: s("user") ?? "")
        case .suspendUser: return .suspendUser(user: s("user") ?? "")
        case .setRateLimit: return .setRateLimit(bucket: s("bucket") ?? "api", limit: a["limit"]?.intValue ?? 0)
        case .advanceClock: return .advanceClock(seconds: a["seconds"]?.doubleValue ?? 0)
        case .lockUser: return .lockUser(user: s("user") ?? "")
        case .expirePassword: return .expirePassword(user: s("user") ?? "")
        case .requireMfa: return .requireMfa(app: s("app"), off: a["off"]?.boolValue ?? false)
        case .setPassword: return .setPassword(user: s("user") ?? "", password: s("password"))
        case .denyFromZone: return .denyFromZone(zone: s("zone") ?? "", off: a["off"]?.boolValue ?? false)
        case .respondPush: return .respondPush(user: s("user") ?? "", reject: a["reject"]?.boolValue ?? false)
        case .setPolicyRule:
            let list = { (k: String) in a[k]?.arrayValue?.compactMap(\.stringValue) }
            return .setPolicyRule(
                PolicyRuleChange(
                    server: s("server") ?? "default", policy: s("policy"), rule: s("rule") ?? "",
                    status: s("status"), scopes: list("scopes"), grantTypes: list("grantTypes"),
                    accessTokenLifetimeMinutes: a["accessTokenLifetimeMinutes"]?.intValue))
        case .approveDevice:
            return .approveDevice(user: s("user") ?? "", userCode: s("userCode"), deny: a["deny"]?.boolValue ?? false)
        case .assignAdminRole, .unassignAdminRole:
            let holder = s("group").map { "group:\($0)" } ?? "user:\(s("user") ?? "")"
            let role = s("role") ?? ""
            return type == .assignAdminRole
                ? .assignAdminRole(holder: holder, role: role) : .unassignAdminRole(holder: holder, role: role)
        }
    }
}
