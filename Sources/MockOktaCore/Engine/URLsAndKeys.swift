import FoundationEssentials

/// The org's URLs, issuers and signing keys, and the ready-file credentials.
extension MockOkta {
    // MARK: - URLs

    /// Set once the port is known: `http(s)://127.0.0.1:PORT`.
    public func setBaseURL(_ url: String) { base.withLock { $0 = url } }
    public var baseURL: String { base.withLock { $0 } }
    public func setCAFile(_ path: String?) { caFile.withLock { $0 = path } }

    public func issuer(_ serverId: String) -> String {
        serverId == "org" ? baseURL : "\(baseURL)/oauth2/\(serverId)"
    }

    func audience(_ s: AuthServer) -> String { s.audience ?? baseURL }

    /// Path prefix of a server's endpoints: `/oauth2/v1` or `/oauth2/{id}/v1`.
    func endpointBase(_ serverId: String) -> String {
        serverId == "org" ? "\(baseURL)/oauth2/v1" : "\(baseURL)/oauth2/\(serverId)/v1"
    }

    // MARK: - Keys

    func rsaKey(_ k: SigningKey) -> RSAKey? {
        if let cached = keyCache.withLock({ $0[k.kid] }) { return cached }
        guard let key = try? RSAKey(pem: k.privateKeyPEM) else { return nil }
        keyCache.withLock { $0[k.kid] = key }
        return key
    }

    /// Keys published at `/keys` right now (old keys stay until dropped, as in Okta).
    func publishedKeys(_ s: AuthServer, now: Double) -> [SigningKey] {
        s.keys.filter { $0.dropAt == nil || $0.dropAt! > now }
    }

    func activeKey(_ s: AuthServer) -> (SigningKey, RSAKey)? {
        guard let k = s.keys.first(where: { $0.status == "ACTIVE" }) ?? s.keys.first, let r = rsaKey(k) else {
            return nil
        }
        return (k, r)
    }

    /// A key nobody publishes, for the unknownKid fault.
    var strayKey: (String, RSAKey)? {
        let kid = "unknown-kid-" + String(seed % 100_000)
        if let cached = keyCache.withLock({ $0[kid] }) { return (kid, cached) }
        // From the pre-generated pool (a slot no tenant key uses): no key generation on the request path.
        guard let k = try? KeyPool.key(seed: seed, slot: .stray) else { return nil }
        keyCache.withLock { $0[kid] = k }
        return (kid, k)
    }

    // MARK: - Credentials

    /// The ready file's keys: URLs and the default credentials.
    public func readyInfo(port: Int) -> JSON {
        let url = baseURL
        return [
            "url": .string(url), "port": JSON(port), "caFile": JSON(caFile.withLock { $0 }), "orgIssuer": .string(url),
            "defaultIssuer": .string("\(url)/oauth2/default"), "credentials": credentials,
            "seed": .string(String(seed)),
        ]
    }

    public var credentials: JSON {
        let s = secrets
        let pw = read { t in (t.user(idOrLogin: s.userLogin)?.password, t.user(idOrLogin: s.unassignedLogin)?.password)
        }
        return [
            "apiToken": .string(s.apiToken), "readOnlyApiToken": .string(s.readOnlyApiToken),
            "serviceClientId": .string(s.serviceClientId), "serviceClientSecret": .string(s.serviceClientSecret),
            "servicePrivateKeyPem": .string(s.servicePrivateKeyPem),
            "servicePrivateKeyKid": .string(s.servicePrivateKeyKid),
            "webClientId": .string(s.webClientId), "webClientSecret": .string(s.webClientSecret),
            "webRedirectUri": .string(DefaultTenant.webRedirectURI),
            "user": ["login": .string(s.userLogin), "password": .string(pw.0 ?? s.password)],
            "unassignedUser": ["login": .string(s.unassignedLogin), "password": .string(pw.1 ?? s.password)],
        ]
    }
}
