import FoundationEssentials

/// Reads an app body (create or replace) as Okta validates it, into an `App`.
enum AppInput {
    static let appTypes = ["web", "native", "browser", "service"]
    static let authMethods = [
        "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none",
    ]
    static let grantTypes = [
        "authorization_code", "implicit", "refresh_token", "password", "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:saml2-bearer", "urn:openid:params:grant-type:ciba",
    ]

    /// An absolute URI (a scheme, then a host or a custom-scheme path, as native apps use) with no fragment.
    static func isRedirectURI(_ s: String) -> Bool {
        guard let u = URLComponents(string: s), let scheme = u.scheme, !scheme.isEmpty, u.fragment == nil else {
            return false
        }
        if scheme == "http" || scheme == "https" { return !(u.host ?? "").isEmpty }
        return !s.dropFirst(scheme.count + 1).isEmpty
    }

    static func fail(_ causes: [String]) -> OktaAPIError {
        OktaAPIError(400, "E0000001", "Api validation failed: \(causes[0].split(separator: ":")[0])", causes: causes)
    }

    /// Reads a create or replace body as Okta validates it: a new app with `id`, or `existing` replaced (its
    /// sign-on mode kept). Throws Okta's validation error with every cause found, in the order Okta lists them.
    static func parse(_ body: JSON, id: String, existing: App?, secrets: RandomSource) throws -> App {
        var causes: [String] = []
        let label = checkedLabel(body["label"], &causes)
        let name = body["name"]?.stringValue
        var mode = try signOnMode(body["signOnMode"], name: name)
        if let existing { mode = existing.mode }
        if mode == .BOOKMARK, let name, name != "bookmark" {
            causes.append("name: The app name must be 'bookmark' for a BOOKMARK app.")
        }
        if mode == .OPENID_CONNECT, let name, name != "oidc_client" {
            causes.append("name: The app name must be 'oidc_client' for an OPENID_CONNECT app.")
        }
        var app =
            existing
            ?? App(
                id: id, label: label, kind: .web, status: "ACTIVE", created: 0, lastUpdated: 0, clientSecret: nil,
                grantTypes: [], redirectURIs: [], postLogoutRedirectURIs: [], tokenEndpointAuthMethod: "none",
                jwks: [], assignedUsers: [], assignedGroups: [], grants: [:], requirePKCE: false)
        app.label = label
        app.signOnMode = mode
        switch mode {
        case .BOOKMARK:
            app.name = "bookmark"
            parseBookmark(body["settings"], into: &app, causes: &causes)
        case .SAML_2_0:
            app.name = existing?.name
            parseSAML(body["settings"], into: &app, causes: &causes)
        case .OPENID_CONNECT:
            app.name = "oidc_client"
            try parseOAuth(body, into: &app, causes: &causes, secrets: secrets)
        }
        if !causes.isEmpty { throw fail(causes) }
        return app
    }

    /// The app's `label` (empty when missing or not a string), noting in `causes` why it is not acceptable.
    static func checkedLabel(_ value: JSON?, _ causes: inout [String]) -> String {
        if let value, value.stringValue == nil { causes.append("label: The value must be a string") }
        let label = value?.stringValue ?? ""
        if label.trimmingWhitespace().isEmpty { causes.append("label: The field cannot be left blank") }
        if label.count > 100 { causes.append("label: The field is too long (at most 100 characters)") }
        return label
    }

    /// The sign-on mode a body asks for: its `signOnMode`, else the one its `name` implies; throws when neither
    /// names one mock-okta supports.
    static func signOnMode(_ value: JSON?, name: String?) throws -> SignOnMode {
        if let m = value?.stringValue {
            guard let sm = SignOnMode(rawValue: m) else {
                throw fail([
                    "signOnMode: '\(m)' is not supported by mock-okta (OPENID_CONNECT, SAML_2_0 and BOOKMARK are)."
                ])
            }
            return sm
        }
        if name == "bookmark" { return .BOOKMARK }
        if name == "oidc_client" { return .OPENID_CONNECT }
        throw fail(["signOnMode: The field cannot be left blank"])
    }

    /// Reads a BOOKMARK app's `settings.app` (its `url` is required) into `app`.
    static func parseBookmark(_ settings: JSON?, into app: inout App, causes: inout [String]) {
        let url = settings?["app"]?["url"]?.stringValue ?? ""
        if url.isEmpty { causes.append("url: The field cannot be left blank") }
        app.settingsApp = [
            "requestIntegration": settings?["app"]?["requestIntegration"] ?? false, "url": .string(url),
        ]
        app.clientSecret = nil
    }

    /// Reads a SAML app's `settings.signOn` (`ssoAcsUrl` and `audience` required; Okta's defaults added for the
    /// members not sent) and `settings.app` into `app`.
    static func parseSAML(_ settings: JSON?, into app: inout App, causes: inout [String]) {
        let signOn = settings?["signOn"]
        if signOn?["ssoAcsUrl"]?.stringValue?.isEmpty ?? true {
            causes.append("ssoAcsUrl: The field cannot be left blank")
        }
        if signOn?["audience"]?.stringValue?.isEmpty ?? true {
            causes.append("audience: The field cannot be left blank")
        }
        var so = signOn?.objectValue ?? []
        for (k, v) in [
            ("defaultRelayState", JSON.null), ("spIssuer", JSON.null),
            ("samlSignedRequestEnabled", JSON.bool(false)),
            ("inlineHooks", JSON.array([])), ("attributeStatements", JSON.array([])),
        ] where !so.contains(where: { $0.0 == k }) {
            so.append((k, v))
        }
        app.signOn = .object(so)
        app.settingsApp = settings?["app"]?.objectValue.map { .object($0) } ?? [:]
        app.clientSecret = nil
    }

    /// Reads an OIDC app's `settings.oauthClient` and `credentials.oauthClient` into `app`, appending to `causes`
    /// every way they break Okta's rules; `app` takes the OAuth settings only when there are no causes.
    static func parseOAuth(_ body: JSON, into app: inout App, causes: inout [String], secrets: RandomSource) throws {
        let oc = body["settings"]?["oauthClient"]
        let cred = body["credentials"]?["oauthClient"]
        checkStringArrays(oc, &causes)
        guard let kind = applicationType(oc, &causes) else { return }
        app.kind = kind
        let grants = strings(oc?["grant_types"])
        let redirects = strings(oc?["redirect_uris"])
        checkGrants(grants, kind: kind, redirects: redirects, &causes)
        let defaultMethod = kind == .browser || kind == .native ? "none" : "client_secret_basic"
        let method = cred?["token_endpoint_auth_method"]?.stringValue ?? defaultMethod
        checkAuthMethod(method, kind: kind, grants: grants, credentials: cred, &causes)
        let jwks = method == "private_key_jwt" ? clientKeys(oc?["jwks"], &causes) : []
        guard causes.isEmpty else { return }
        app.grantTypes = grants
        app.redirectURIs = redirects
        app.postLogoutRedirectURIs = strings(oc?["post_logout_redirect_uris"])
        app.responseTypesSet = oc?["response_types"]?.arrayValue?.compactMap(\.stringValue)
        app.clientSecret = clientSecret(for: method, sent: cred?["client_secret"]?.stringValue, app: app, secrets)
        app.tokenEndpointAuthMethod = method
        app.jwks = jwks
        app.requirePKCE = cred?["pkce_required"]?.boolValue ?? (kind == .browser || kind == .native)
        app.oauthExtra = oauthExtra(oc)
    }

    /// The strings of a JSON array (its other elements skipped); empty when it is missing or not an array.
    static func strings(_ value: JSON?) -> [String] {
        value?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// Checks that the array members of `settings.oauthClient` are arrays of strings and that its URIs are
    /// absolute, with no fragment.
    static func checkStringArrays(_ oc: JSON?, _ causes: inout [String]) {
        for (name, value) in [
            ("grant_types", oc?["grant_types"]), ("redirect_uris", oc?["redirect_uris"]),
            ("post_logout_redirect_uris", oc?["post_logout_redirect_uris"]),
            ("response_types", oc?["response_types"]),
        ] {
            guard let value, value != .null else { continue }
            if value.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
                causes.append("\(name): The value must be an array of strings")
            }
        }
        for name in ["redirect_uris", "post_logout_redirect_uris"] {
            for uri in oc?[name]?.arrayValue?.compactMap(\.stringValue) ?? [] where !AppInput.isRedirectURI(uri) {
                causes.append("\(name): '\(uri)' is not an absolute URI without a fragment")
            }
        }
    }

    /// The app's kind from `application_type` (web when missing); nil, with a cause, when it names no kind.
    static func applicationType(_ oc: JSON?, _ causes: inout [String]) -> AppKind? {
        if let t = oc?["application_type"], t.stringValue == nil {
            causes.append("application_type: The value must be a string")
        }
        let type = oc?["application_type"]?.stringValue ?? "web"
        guard let kind = AppKind(rawValue: type) else {
            causes.append("application_type: '\(type)' is not one of \(appTypes.joined(separator: ", "))")
            return nil
        }
        return kind
    }

    /// Checks the grant types: known, allowed for the app's kind, and with redirect URIs when they need them.
    static func checkGrants(_ grants: [String], kind: AppKind, redirects: [String], _ causes: inout [String]) {
        if grants.isEmpty { causes.append("grant_types: The field cannot be left blank") }
        for g in grants where !grantTypes.contains(g) {
            causes.append("grant_types: '\(g)' is not a supported grant type.")
        }
        if kind == .service
            && grants.contains(where: {
                $0 != "client_credentials" && $0 != "urn:ietf:params:oauth:grant-type:token-exchange"
            })
        {
            causes.append("grant_types: A service application can only use the client_credentials grant type.")
        }
        if kind != .service && grants.contains("client_credentials") && kind != .web {
            causes.append(
                "grant_types: The client_credentials grant type is only allowed for service and web applications.")
        }
        if redirects.isEmpty && (grants.contains("authorization_code") || grants.contains("implicit")) {
            causes.append(
                "redirect_uris: At least one redirect URI is required for the authorization_code and implicit grant "
                    + "types."
            )
        }
    }

    /// Checks the token endpoint auth method against the app's kind and grants, and a client secret sent in
    /// `credentials.oauthClient`.
    static func checkAuthMethod(
        _ method: String, kind: AppKind, grants: [String], credentials cred: JSON?, _ causes: inout [String]
    ) {
        if !authMethods.contains(method) {
            causes.append(
                "token_endpoint_auth_method: '\(method)' is not one of \(authMethods.joined(separator: ", "))")
        }
        if kind == .browser && method != "none" {
            causes.append(
                "token_endpoint_auth_method: A browser application must use the none token_endpoint_auth_method.")
        }
        if method == "none" && grants.contains("client_credentials") {
            causes.append("grant_types: A client with token_endpoint_auth_method none cannot use client_credentials.")
        }
        if let given = cred?["client_secret"] {
            let ok = given.stringValue.map {
                $0.count >= 14 && $0.count <= 100 && $0.allSatisfy { $0.isASCII && !$0.isWhitespace }
            }
            if ok != true {
                causes.append("client_secret: The client secret must be 14 to 100 printable characters.")
            }
        }
        if kind == .service && method == "none" {
            causes.append("token_endpoint_auth_method: A service application must authenticate (none is not allowed).")
        }
    }

    /// The public keys of a private_key_jwt client (`settings.oauthClient.jwks`); at least one RSA key is required.
    static func clientKeys(_ jwks: JSON?, _ causes: inout [String]) -> [AppClientKey] {
        var keys: [AppClientKey] = []
        for k in jwks?["keys"]?.arrayValue ?? [] {
            guard k["kty"]?.stringValue == "RSA", let n = k["n"]?.stringValue.flatMap(Base64URL.decode),
                let e = k["e"]?.stringValue.flatMap(Base64URL.decode),
                let key = try? RSAKey(modulus: n, exponent: e)
            else {
                causes.append("jwks: Each key must be an RSA public key with 'n' and 'e'.")
                continue
            }
            keys.append(AppClientKey(kid: k["kid"]?.stringValue ?? key.thumbprint, publicKeyPEM: key.publicKeyPEM))
        }
        if keys.isEmpty && !causes.contains(where: { $0.hasPrefix("jwks") }) {
            causes.append("jwks: A private_key_jwt client needs at least one public key in settings.oauthClient.jwks.")
        }
        return keys
    }

    /// The client secret for `method`: the one sent, else the app's own if it keeps its method, else a new one;
    /// nil for a method that uses no secret.
    static func clientSecret(for method: String, sent: String?, app: App, _ secrets: RandomSource) -> String? {
        let secretMethod =
            method == "client_secret_basic" || method == "client_secret_post" || method == "client_secret_jwt"
        guard secretMethod else { return nil }
        return sent
            ?? (app.tokenEndpointAuthMethod == method ? app.clientSecret : nil)
            ?? secrets.string(64, alphabet: RandomSource.b64url)
    }

    /// The `settings.oauthClient` members kept only to be echoed back (nil when none was sent).
    static func oauthExtra(_ oc: JSON?) -> JSON? {
        var extra: [(String, JSON)] = []
        for k in [
            "client_uri", "logo_uri", "consent_method", "issuer_mode", "initiate_login_uri", "dpop_bound_access_tokens",
        ] {
            if let v = oc?[k], v != .null { extra.append((k, v)) }
        }
        return extra.isEmpty ? nil : .object(extra)
    }
}
