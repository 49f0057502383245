import FoundationEssentials

/// DPoP (RFC 9449), as Okta serves it and the okta SDK's `dpopEnabled` mode uses it, for apps that require it
/// (`settings.oauthClient.dpop_bound_access_tokens`; other clients' stray proofs are ignored, as Okta does for the
/// Go SDK's DPoP-first token request, okta-contract.md §4.10): at the token endpoint a proof
/// (`DPoP` header: a `dpop+jwt` signed with the key in its `jwk` header) without a current nonce is answered 400
/// `use_dpop_nonce` with a `DPoP-Nonce` header; with one, the access token carries `cnf.jkt` (the key's RFC 7638
/// thumbprint) and `token_type` is `DPoP`. On `/api/v1` such a token must come as `Authorization: DPoP …` with a
/// proof for that request (`htm`, `htu`, `ath`) made with the same key. Proofs are RS256/384/512, at most 8 KiB,
/// `iat` within 5 minutes, each `jti` once. Nonces change every 5 minutes (the previous one stays valid).
extension MockOkta {
    static let dpopMaxBytes = 8192
    static let dpopWindow = 300.0

    struct DPoPProblem: Error {
        var description: String
    }

    /// The nonce for a five-minute bucket of the tenant clock (derived from the seed: same seed, same nonces).
    func dpopNonce(_ now: Double, previous: Bool = false) -> String {
        let bucket = Int(now / MockOkta.dpopWindow) - (previous ? 1 : 0)
        return Base64URL.encode(
            Array(Digest.hmac(256, key: Array("\(seed)".utf8), Array("dpop|\(bucket)".utf8)).prefix(18)))
    }

    /// Checks the request's DPoP proof; returns the key's thumbprint. `requireNonce`: the token endpoint's nonce rule.
    func verifyDPoPProof(_ ex: Exchange, accessToken: String?, requireNonce: Bool) throws -> String {
        let proofs = ex.req.headerValues("dpop")
        guard proofs.count == 1, let raw = proofs.first, raw.utf8.count <= MockOkta.dpopMaxBytes,
            let jwt = DecodedJWT(raw)
        else { throw DPoPProblem(description: "The DPoP proof JWT is invalid.") }
        guard jwt.header["typ"]?.stringValue == "dpop+jwt" else {
            throw DPoPProblem(description: "'typ' must be 'dpop+jwt' in the DPoP proof JWT.")
        }
        guard ["RS256", "RS384", "RS512"].contains(jwt.alg ?? ""),
            let jwk = jwt.header["jwk"], jwk["kty"] == "RSA", jwk["d"] == nil,
            let n = jwk["n"]?.stringValue, let e = jwk["e"]?.stringValue,
            let nb = Base64URL.decode(n), let eb = Base64URL.decode(e),
            let key = try? RSAKey(modulus: nb, exponent: eb), jwt.verify(with: key)
        else { throw DPoPProblem(description: "The DPoP proof JWT is invalid.") }
        let c = jwt.claims
        let htu = baseURL + ex.req.path
        // Okta's texts (okta-developer-docs error codes, okta-contract.md §4.10).
        guard c["htm"]?.stringValue == ex.req.method else {
            throw DPoPProblem(description: "'htm' claim in the DPoP proof JWT is invalid.")
        }
        guard c["htu"]?.stringValue == htu else {
            throw DPoPProblem(description: "'htu' claim in the DPoP proof JWT is invalid.")
        }
        guard let iat = c["iat"]?.doubleValue, abs(iat - ex.now) <= MockOkta.dpopWindow else {
            throw DPoPProblem(description: "The DPoP proof JWT is issued more than five minutes in the past.")
        }
        if let token = accessToken {
            guard c["ath"]?.stringValue == Base64URL.encode(Digest.sha256(Array(token.utf8))) else {
                throw DPoPProblem(
                    description: "'ath' claim in the DPoP proof does not match the presented access_token.")
            }
        }
        if requireNonce {
            let nonce = c["nonce"]?.stringValue
            guard nonce == dpopNonce(ex.now) || nonce == dpopNonce(ex.now, previous: true) else {
                throw OAuthError(400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.")
            }
        }
        guard let jti = c["jti"]?.stringValue, !jti.isEmpty, jti.utf8.count <= 256 else {
            throw DPoPProblem(description: "The DPoP proof jti is missing.")
        }
        let fresh = dpopProofIds.withLock { seen -> Bool in
            if seen.count >= 10_000 { seen = seen.filter { ex.now - $0.value < MockOkta.dpopWindow } }
            if seen.count >= 10_000 { seen.removeAll() }
            return seen.updateValue(ex.now, forKey: jti) == nil
        }
        guard fresh else { throw DPoPProblem(description: "The DPoP proof JWT has already been used.") }
        return MockOkta.jwkThumbprint(n: n, e: e)
    }

    /// RFC 7638 thumbprint of an RSA public key.
    static func jwkThumbprint(n: String, e: String) -> String {
        Base64URL.encode(Digest.sha256(Array("{\"e\":\"\(e)\",\"kty\":\"RSA\",\"n\":\"\(n)\"}".utf8)))
    }

    /// At the token endpoint, for an app that requires DPoP (`dpop_bound_access_tokens`): binds the tokens to the
    /// proof's key, or refuses the request without a valid proof. Other apps' proofs are ignored.
    func tokenEndpointDPoP(_ ex: Exchange, _ app: App) throws {
        guard app.oauthExtra?["dpop_bound_access_tokens"] == .bool(true) else { return }
        guard !ex.req.headerValues("dpop").isEmpty else {
            throw OAuthError(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
        }
        do {
            ex.dpopJKT = try verifyDPoPProof(ex, accessToken: nil, requireNonce: true)
        } catch var e as OAuthError {
            e.headers = [("DPoP-Nonce", dpopNonce(ex.now))]
            throw e
        } catch let p as DPoPProblem {
            var e = OAuthError(400, "invalid_dpop_proof", p.description)
            e.headers = [("DPoP-Nonce", dpopNonce(ex.now))]
            throw e
        }
    }

    /// The `cnf` claim of a DPoP-bound access token.
    func dpopClaims(_ ex: Exchange) -> [(String, JSON)] {
        ex.dpopJKT.map { [("cnf", ["jkt": .string($0)])] } ?? []
    }

    /// On `/api/v1`: a DPoP-bound token needs the DPoP scheme and a proof by its key for this request.
    func checkDPoPUse(_ ex: Exchange, _ jwt: DecodedJWT, raw: String, scheme: String) throws {
        guard let jkt = jwt.claims["cnf"]?["jkt"]?.stringValue else {
            if scheme == "DPoP" {
                denyLog(ex, reason: "DPoP: the token is not DPoP-bound")
                throw OktaAPIError.invalidToken.withHeaders([
                    (
                        "WWW-Authenticate",
                        "DPoP algs=\"RS256 RS384 RS512\", error=\"invalid_token\", "
                            + "error_description=\"The presented access_token is not DPoP bound.\""
                    )
                ])
            }
            return
        }
        func refuse(_ why: String) -> OktaAPIError {
            denyLog(ex, reason: "DPoP: \(why)")
            return OktaAPIError.invalidToken.withHeaders([
                (
                    "WWW-Authenticate",
                    "DPoP algs=\"RS256 RS384 RS512\", error=\"invalid_dpop_proof\", "
                        + "error_description=\"\(why)\""
                ),
                ("DPoP-Nonce", dpopNonce(ex.now)),
            ])
        }
        guard scheme == "DPoP" else { throw refuse("The access token is DPoP-bound: use the DPoP scheme and a proof.") }
        let proofKey: String
        do { proofKey = try verifyDPoPProof(ex, accessToken: raw, requireNonce: false) } catch let p as DPoPProblem {
            throw refuse(p.description)
        }
        guard proofKey == jkt else { throw refuse("The DPoP proof key is not the key the token is bound to.") }
    }
}
