import Foundation

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

    static func parse(_ body: JSON, id: String, existing: App?, secrets: RandomSource) throws -> App {
        var causes: [String] = []
        if let l = body["label"], l.stringValue == nil { causes.append("label: The value must be a string") }
        let label = body["label"]?.stringValue ?? ""
        if label.trimmingCharacters(in: .whitespaces).isEmpty { causes.append("label: The field cannot be left blank") }
        if label.count > 100 { causes.append("label: The field is too long (at most 100 characters)") }
        let name = body["name"]?.stringValue
        var mode: SignOnMode
        if let m = body["signOnMode"]?.stringValue {
            guard let sm = SignOnMode(rawValue: m) else {
                throw fail([
                    "signOnMode: '\(m)' is not supported by mock-okta (OPENID_CONNECT, SAML_2_0 and BOOKMARK are)."
                ])
            }
            mode = sm
        } else if name == "bookmark" {
            mode = .BOOKMARK
        } else if name == "oidc_client" {
            mode = .OPENID_CONNECT
        } else {
            throw fail(["signOnMode: The field cannot be left blank"])
        }
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
            let url = body["settings"]?["app"]?["url"]?.stringValue ?? ""
            if url.isEmpty { causes.append("url: The field cannot be left blank") }
            app.settingsApp = [
                "requestIntegration": body["settings"]?["app"]?["requestIntegration"] ?? false, "url": .string(url),
            ]
            app.clientSecret = nil
        case .SAML_2_0:
            app.name = existing?.name
            let signOn = body["settings"]?["signOn"]
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
            app.settingsApp = body["settings"]?["app"]?.objectValue.map { .object($0) } ?? [:]
            app.clientSecret = nil
        case .OPENID_CONNECT:
            app.name = "oidc_client"
            try parseOAuth(body, into: &app, causes: &causes, secrets: secrets)
        }
        if !causes.isEmpty { throw fail(causes) }
        return app
    }

    static func parseOAuth(_ body: JSON, into app: inout App, causes: inout [String], secrets: RandomSource) throws {
        let oc = body["settings"]?["oauthClient"]
        let cred = body["credentials"]?["oauthClient"]
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
        if let t = oc?["application_type"], t.stringValue == nil {
            causes.append("application_type: The value must be a string")
        }
        let type = oc?["application_type"]?.stringValue ?? "web"
        guard let kind = AppKind(rawValue: type) else {
            causes.append("application_type: '\(type)' is not one of \(appTypes.joined(separator: ", "))")
            return
        }
        app.kind = kind
        let grants = oc?["grant_types"]?.arrayValue?.compactMap(\.stringValue) ?? []
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
        let redirects = oc?["redirect_uris"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if redirects.isEmpty && (grants.contains("authorization_code") || grants.contains("implicit")) {
            causes.append(
                "redirect_uris: At least one redirect URI is required for the authorization_code and implicit grant "
                    + "types."
            )
        }
        let defaultMethod = kind == .browser || kind == .native ? "none" : "client_secret_basic"
        let method = cred?["token_endpoint_auth_method"]?.stringValue ?? defaultMethod
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
        var jwks: [AppClientKey] = []
        if method == "private_key_jwt" {
            for k in oc?["jwks"]?["keys"]?.arrayValue ?? [] {
                guard k["kty"]?.stringValue == "RSA", let n = k["n"]?.stringValue.flatMap(Base64URL.decode),
                    let e = k["e"]?.stringValue.flatMap(Base64URL.decode),
                    let key = try? RSAKey(modulus: n, exponent: e)
                else {
                    causes.append("jwks: Each key must be an RSA public key with 'n' and 'e'.")
                    continue
                }
                jwks.append(AppClientKey(kid: k["kid"]?.stringValue ?? key.thumbprint, publicKeyPEM: key.publicKeyPEM))
            }
            if jwks.isEmpty && !causes.contains(where: { $0.hasPrefix("jwks") }) {
                causes.append(
                    "jwks: A private_key_jwt client needs at least one public key in settings.oauthClient.jwks.")
            }
        }
        guard causes.isEmpty else { return }
        app.grantTypes = grants
        app.redirectURIs = redirects
        app.postLogoutRedirectURIs = oc?["post_logout_redirect_uris"]?.arrayValue?.compactMap(\.stringValue) ?? []
        app.responseTypesSet = oc?["response_types"]?.arrayValue?.compactMap(\.stringValue)
        let secretMethod =
            method == "client_secret_basic" || method == "client_secret_post" || method == "client_secret_jwt"
        if secretMethod {
            app.clientSecret =
                cred?["client_secret"]?.stringValue
                ?? (app.tokenEndpointAuthMethod == method ? app.clientSecret : nil)
                ?? secrets.string(64, alphabet: RandomSource.b64url)
        } else {
            app.clientSecret = nil
        }
        app.tokenEndpointAuthMethod = method
        app.jwks = jwks
        app.requirePKCE = cred?["pkce_required"]?.boolValue ?? (kind == .browser || kind == .native)
        var extra: [(String, JSON)] = []
        for k in [
            "client_uri", "logo_uri", "consent_method", "issuer_mode", "initiate_login_uri", "dpop_bound_access_tokens",
        ] {
            if let v = oc?[k], v != .null { extra.append((k, v)) }
        }
        app.oauthExtra = extra.isEmpty ? nil : .object(extra)
    }
}
