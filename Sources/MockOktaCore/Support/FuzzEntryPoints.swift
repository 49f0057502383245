import FoundationEssentials

/// One function per fuzz target (`scripts/fuzz`, harness in `Tests/Fuzz/Harness`). Each takes raw bytes,
/// runs them through a parser the way outside input reaches it, and returns normally for every input:
/// a trap, a crash or a failed check here is a finding. Nothing in the server calls these.
public enum FuzzEntryPoints {
    /// `JSONParser.parse(bytes:)`, then a round trip: what we emit for a parsed value must parse back
    /// to the same value (compact and pretty), since that is how every body we send is made.
    public static func json(_ data: [UInt8]) {
        guard let v = try? JSONParser.parse(bytes: data) else { return }
        let compact = v.serialized()
        guard let again = try? JSONParser.parse(compact) else {
            preconditionFailure("JSON round trip: our own output does not parse: \(compact.prefix(200))")
        }
        precondition(again == v, "JSON round trip changed the value: \(compact.prefix(200))")
        let pretty = v.serialized(pretty: true)
        precondition(
            (try? JSONParser.parse(pretty)) == v, "JSON pretty round trip changed the value: \(pretty.prefix(200))")
    }

    /// `ScenarioLoader.load(text:)` (JSON with positions, schema validation, semantic checks, model
    /// building); the error's text and JSON body when it is refused, as `--scenario` and
    /// `POST /__mock/scenarios` report them.
    public static func scenario(_ data: [UInt8]) {
        do {
            let s = try ScenarioLoader.load(text: String(decoding: data, as: UTF8.self), file: "fuzz.json")
            for r in s.rules {
                _ = r.match.path?.matches("/api/v1/users")
                _ = r.match.path?.matches("/oauth2/default/v1/token")
            }
            for e in s.expect { _ = e.path?.matches("/api/v1/users/00u1/lifecycle/activate") }
        } catch {
            _ = error.description
            _ = error.json.serialized()
        }
    }

    /// The SCIM filter parser (`filter`, `search` on the Management API), then `attributes` and
    /// `evaluate` against users of every value type, missing attributes included.
    public static func filter(_ data: [UInt8]) {
        guard let expr = try? FilterExpr.parse(String(decoding: data, as: UTF8.self)) else { return }
        _ = expr.attributes
        for u in filterUsers { _ = expr.evaluate { u[$0] } }
    }

    static let filterUsers: [[String: JSON]] = [
        [
            "status": "ACTIVE", "id": "00u1ab2cd3EF4gh5i6j7", "profile.login": "ann@example.com",
            "profile.email": "ann@example.com",
            "profile.firstName": "Ann", "profile.lastName": "Lee", "lastUpdated": "2024-03-01T10:00:00.000Z",
            "created": "2023-12-31T23:59:59Z", "type.id": "oty1ab2cd3EF4gh5i6j7", "profile.age": 42,
            "profile.admin": true,
            "profile.nickName": nil,
        ],
        [
            "status": "SUSPENDED", "id": "00u9zz", "profile.login": "BOB@EXAMPLE.COM",
            "lastUpdated": "2024-01-01T00:00:00+02:00",
            "created": "not a date", "profile.age": 7.5, "profile.admin": false, "profile.tags": ["a", "b"],
        ],
        [:],
    ]

    /// `DecodedJWT(_:)`, then what consumers of a decoded token do: `token decode`'s text, and validation
    /// as a resource server would (in process, no server). A token whose signature part is empty is
    /// signed with the tenant's real key for its `kid` (or the active key) first, so that the claim
    /// checks behind the signature check are reached too.
    public static func jwt(_ data: [UInt8]) {
        let token = String(decoding: data, as: UTF8.self)
        guard let d = DecodedJWT(token) else { return }
        _ = d.kid
        _ = d.alg
        _ = TokenExplainer.decodeText(d)
        guard let engine = tokenEngine else { return }
        for server in ["default", "org"] { _ = engine.validateAccessToken(token, serverId: server, now: fuzzNow) }
        guard d.signature.isEmpty, let signed = resigned(d, engine) else { return }
        for server in ["default", "org"] { _ = engine.validateAccessToken(signed, serverId: server, now: fuzzNow) }
    }

    /// The token's own header and claims signed with the tenant's key for its `kid` (else the default
    /// server's active key).
    static func resigned(_ d: DecodedJWT, _ engine: MockOkta) -> String? {
        let (keys, own) = engine.read { t in (t.servers.values.flatMap(\.keys), t.servers["default"]?.keys ?? []) }
        guard let k = keys.first(where: { $0.kid == d.kid }) ?? own.first(where: { $0.status == "ACTIVE" }),
            let key = engine.rsaKey(k), let sig = try? key.sign(d.signingInput)
        else { return nil }
        return String(decoding: d.signingInput, as: UTF8.self) + "." + Base64URL.encode(sig)
    }

    static let fuzzNow: Double = 1_800_000_000
    static let fuzzBaseURL = "https://127.0.0.1:8443"

    /// A fixed tenant (seed 42, clock stopped at `fuzzNow`) whose keys sign the seed tokens.
    static let tokenEngine: MockOkta? = {
        var o = MockOktaOptions()
        o.seed = 42
        guard let e = try? MockOkta(options: o, clock: TenantClock(base: ManualWallClock(fuzzNow))) else { return nil }
        e.setBaseURL(fuzzBaseURL)
        return e
    }()

    /// Real tokens of `tokenEngine` for the JWT seed corpus: access tokens of the default and org
    /// servers and a private_key_jwt client assertion.
    public static func sampleTokens() -> [String] {
        guard let e = tokenEngine else { return [] }
        let c = e.credentials
        func s(_ k: String) -> String { c[k]?.stringValue ?? "" }
        var out: [String] = []
        func token(_ path: String, _ fields: [(String, String)], _ headers: [(String, String)]) {
            let body = fields.map {
                "\($0.0)=\($0.1.percentEncoded(keeping: ""))"
            }
            .joined(separator: "&")
            let r = e.handle(
                HTTPRequestInfo(
                    method: "POST", path: path,
                    headers: [("content-type", "application/x-www-form-urlencoded")] + headers,
                    body: Array(body.utf8)))
            if let t = r.bodyJSON?["access_token"]?.stringValue { out.append(t) }
        }
        let basic = (
            "authorization",
            "Basic " + Data("\(s("serviceClientId")):\(s("serviceClientSecret"))".utf8).base64EncodedString()
        )
        token("/oauth2/default/v1/token", [("grant_type", "client_credentials"), ("scope", "api.read")], [basic])
        let id = s("serviceClientId")
        let claims: JSON = [
            "iss": .string(id), "sub": .string(id), "aud": .string("\(fuzzBaseURL)/oauth2/v1/token"),
            "iat": JSON(Int(fuzzNow)), "exp": JSON(Int(fuzzNow) + 300), "jti": "fuzz-seed-assertion-1",
        ]
        if let key = try? RSAKey(pem: s("servicePrivateKeyPem")),
            let assertion = try? JWT.sign(claims: claims, key: key, kid: s("servicePrivateKeyKid"))
        {
            out.append(assertion)
            token(
                "/oauth2/v1/token",
                [
                    ("grant_type", "client_credentials"), ("scope", "okta.users.read"),
                    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                    ("client_assertion", assertion),
                ], [])
        }
        return out
    }
}
