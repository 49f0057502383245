import FoundationEssentials

/// The app API (`/api/v1/apps`): listing, the write API, lifecycle and assignments.
/// Shapes follow okta/okta-sdk-python's live cassettes (test_applications_it, 2020 and 2025/26); see docs/FIDELITY.md.
extension MockOkta {
    func requireApp(_ id: String) throws -> App {
        guard let a = read({ $0.apps[id] }) else {
            throw OktaAPIError.notFound("Resource not found: \(id) (AppInstance)")
        }
        return a
    }

    func appInstanceActor(_ a: App) -> SystemLog.Actor {
        SystemLog.Actor(id: a.id, type: "AppInstance", alternateId: a.label, displayName: a.label)
    }

    // MARK: shapes

    /// The logo Okta links for an app without its own (okta-sdk-python cassettes, 2026).
    static let defaultLogo =
        "https://ok12static.oktacdn.com/assets/img/logos/" + "default.6770228fb0dab49a1695ef440a5279bb.png"

    static let notifications: JSON = ["vpn": ["network": ["connection": "DISABLED"], "message": nil, "helpUrl": nil]]

    /// The app object in Okta's member order (id, orn, name, label, status, …, _links); no `self` link, as Okta.
    /// `withSecret` shows `client_secret`, which Okta returns only when an app is created or replaced.
    func appJSON(_ a: App, withSecret: Bool = false) -> JSON {
        let link = appLink(a)
        let hide: JSON = a.mode == .OPENID_CONNECT ? ["iOS": true, "web": true] : ["iOS": false, "web": false]
        let universalLogout: JSON = a.mode == .BOOKMARK ? ["status": "UNSUPPORTED"] : nil
        let name = a.name ?? "oidc_client"
        return .object([
            ("id", .string(a.id)), ("orn", .string("orn:okta:idp:\(read { $0.orgId }):apps:\(name):\(a.id)")),
            ("name", .string(name)),
            ("label", .string(a.label)), ("status", .string(a.status)),
            ("lastUpdated", .string(TimeFormat.isoSeconds(a.lastUpdated))),
            ("created", .string(TimeFormat.isoSeconds(a.created))),
            ("accessibility", ["selfService": false, "errorRedirectUrl": nil, "loginRedirectUrl": nil]),
            (
                "visibility",
                ["autoLaunch": false, "autoSubmitToolbar": false, "hide": hide, "appLinks": [.init(link.name): true]]
            ),
            ("features", []), ("signOnMode", .string(a.mode.rawValue)),
            ("credentials", appCredentials(a, withSecret: withSecret)),
            ("universalLogout", universalLogout), ("settings", appSettings(a)), ("_links", appLinks(a, link)),
        ])
    }

    /// The name and address of the app's link on the end-user dashboard (`_links.appLinks`, `visibility.appLinks`).
    func appLink(_ a: App) -> (name: String, href: String) {
        switch a.mode {
        case .OPENID_CONNECT: return ("oidc_client_link", "\(baseURL)/home/oidc_client/\(a.id)/aln177a159h7Zf52X0g8")
        case .BOOKMARK: return ("login", "\(baseURL)/home/bookmark/\(a.id)/2557")
        case .SAML_2_0: return ("login", "\(baseURL)/home/\(a.name ?? "saml")/\(a.id)/51975")
        }
    }

    /// The app's `credentials`: the user name template, the signing key (the org server's, except for a bookmark)
    /// and, for OIDC, `oauthClient`, with the client secret only when `withSecret`.
    func appCredentials(_ a: App, withSecret: Bool) -> JSON {
        let orgKid = read { $0.servers["org"].flatMap { s in s.keys.first { $0.status == "ACTIVE" }?.kid } }
        var credentials: [(String, JSON)] = [("userNameTemplate", ["template": "${source.login}", "type": "BUILT_IN"])]
        switch a.mode {
        case .OPENID_CONNECT:
            credentials.append(("signing", ["kid": JSON(orgKid)]))
            var oc: [(String, JSON)] = [("autoKeyRotation", true), ("client_id", .string(a.id))]
            if withSecret, let s = a.clientSecret { oc.append(("client_secret", .string(s))) }
            oc += [
                ("token_endpoint_auth_method", .string(a.tokenEndpointAuthMethod)),
                ("pkce_required", .bool(a.requirePKCE)),
            ]
            credentials.append(("oauthClient", .object(oc)))
        case .BOOKMARK:
            credentials.append(("signing", [:]))
        case .SAML_2_0:
            credentials.append(("signing", ["kid": JSON(orgKid)]))
        }
        return .object(credentials)
    }

    /// The app's `settings`: `app`, Okta's fixed members, then `oauthClient` (OIDC) or `signOn` (SAML).
    func appSettings(_ a: App) -> JSON {
        var settings: [(String, JSON)] = [("app", a.mode == .OPENID_CONNECT ? [:] : a.settingsApp ?? [:])]
        settings += [
            ("notifications", MockOkta.notifications), ("manualProvisioning", false), ("implicitAssignment", false),
            ("notes", ["admin": nil, "enduser": nil]),
        ]
        if a.mode == .OPENID_CONNECT { settings.append(("oauthClient", oauthClientSettings(a))) }
        if a.mode == .SAML_2_0 { settings.append(("signOn", a.signOn ?? [:])) }
        return .object(settings)
    }

    /// The app's `_links`: its dashboard link, `activate` or `deactivate` as its status allows, its groups, logo and
    /// users.
    func appLinks(_ a: App, _ link: (name: String, href: String)) -> JSON {
        let href = "\(baseURL)/api/v1/apps/\(a.id)"
        var links: [(String, JSON)] = [
            ("appLinks", [["name": .string(link.name), "href": .string(link.href), "type": "text/html"]])
        ]
        if a.status == "INACTIVE" { links.append(("activate", ["href": .string("\(href)/lifecycle/activate")])) }
        links += [
            ("groups", ["href": .string("\(href)/groups")]),
            (
                "logo",
                [
                    [
                        "name": "medium",
                        "href": .string(MockOkta.defaultLogo),
                        "type": "image/png",
                    ]
                ]
            ),
            ("users", ["href": .string("\(href)/users")]),
        ]
        if a.status == "ACTIVE" { links.append(("deactivate", ["href": .string("\(href)/lifecycle/deactivate")])) }
        return .object(links)
    }

    func oauthClientSettings(_ a: App) -> JSON {
        var oc: [(String, JSON)] = [
            ("client_uri", a.oauthExtra?["client_uri"] ?? nil), ("logo_uri", a.oauthExtra?["logo_uri"] ?? nil),
            ("redirect_uris", JSON(a.redirectURIs)),
        ]
        if !a.postLogoutRedirectURIs.isEmpty {
            oc.append(("post_logout_redirect_uris", JSON(a.postLogoutRedirectURIs)))
        }
        oc += [
            ("response_types", JSON(a.responseTypes)), ("grant_types", JSON(a.grantTypes)),
            ("application_type", .string(a.kind.rawValue)),
            ("consent_method", a.oauthExtra?["consent_method"] ?? "TRUSTED"),
            ("issuer_mode", a.oauthExtra?["issuer_mode"] ?? "DYNAMIC"),
            ("idp_initiated_login", ["mode": "DISABLED", "default_scope": []]), ("wildcard_redirect", "DISABLED"),
            ("dpop_bound_access_tokens", a.oauthExtra?["dpop_bound_access_tokens"] ?? false),
        ]
        if let u = a.oauthExtra?["initiate_login_uri"] { oc.append(("initiate_login_uri", u)) }
        if !a.jwks.isEmpty, a.tokenEndpointAuthMethod == "private_key_jwt" {
            let keys: [JSON] = a.jwks.compactMap { k in (try? RSAKey(pem: k.publicKeyPEM))?.publicJWK(kid: k.kid) }
            oc.append(("jwks", ["keys": .array(keys)]))
        }
        return .object(oc)
    }

    // MARK: reading

    func listApps(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let limit = try limitParam(ex, default: 20, max: 200)
        var apps = read { t in t.appOrder.compactMap { t.apps[$0] } }
        if let q = ex.req.queryValue("q")?.lowercased() {
            apps = apps.filter { $0.label.lowercased().hasPrefix(q) || ($0.name ?? "oidc_client").hasPrefix(q) }
        }
        if let f = ex.req.queryValue("filter") {
            let expr: FilterExpr
            do { expr = try FilterExpr.parse(f) } catch let e as FilterExpr.ParseError {
                throw OktaAPIError.invalidSearch(e.message)
            }
            let tenant = read { $0 }
            apps = apps.filter { a in
                // `user.id eq "00u…"` / `group.id eq "00g…"` select the apps assigned to that user or group.
                if case .compare(let attr, "eq", .string(let v)?) = expr, attr == "user.id" {
                    return tenant.isAssigned(userId: v, app: a)
                }
                if case .compare(let attr, "eq", .string(let v)?) = expr, attr == "group.id" {
                    return a.assignedGroups.contains(v)
                }
                return expr.evaluate { attr in
                    switch attr {
                    case "id": return .string(a.id)
                    case "status": return .string(a.status)
                    case "name": return .string(a.name ?? "oidc_client")
                    default: return nil
                    }
                }
            }
        }
        let (page, next) = try pageOf(apps, ex, limit: limit, id: \.id)
        return .json(200, .array(page.map { appJSON($0) }), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func getApp(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        return .json(200, appJSON(try requireApp(id)))
    }

    /// `GET /api/v1/groups/{id}/apps`: the apps a group is assigned to (the group object's `apps` link).
    func groupApps(_ ex: Exchange, _ groupId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let g = try requireGroup(groupId)
        let limit = try limitParam(ex, default: 20, max: 200)
        let apps = read { t in t.appOrder.compactMap { t.apps[$0] }.filter { $0.assignedGroups.contains(g.id) } }
        let (page, next) = try pageOf(apps, ex, limit: limit, id: \.id)
        return .json(200, .array(page.map { appJSON($0) }), headers: linkHeaders(ex, next: next, limit: limit))
    }

    // MARK: writing

    func createApp(_ ex: Exchange) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let body = try bodyJSON(ex)
        // A client_id given on create is the app's id too (the mock keeps one id per OAuth client).
        let givenId = body["credentials"]?["oauthClient"]?["client_id"]?.stringValue
        if let g = givenId,
            g.isEmpty || g.count > 100 || g.contains(where: { !($0.isLetter || $0.isNumber || "._~-".contains($0)) })
        {
            throw AppInput.fail(["client_id: The client_id may only contain letters, digits and . _ ~ - (at most 100)"])
        }
        let id = givenId ?? ids.oktaID("0oa")
        let activate = (ex.req.queryValue("activate") ?? "true") != "false"
        var app = try AppInput.parse(body, id: id, existing: nil, secrets: tokenValues)
        app.status = activate ? "ACTIVE" : "INACTIVE"
        app.created = ex.now
        app.lastUpdated = ex.now
        var created = app
        try mutate { t, d in
            if created.mode == .SAML_2_0 {
                // Okta names a custom SAML app `<org>_<label>_<n>`; n is picked under the lock so two never share one.
                let slug = String(created.label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(40))
                let stem = "mockokta_\(slug.isEmpty ? "app" : slug)_"
                let taken = t.apps.values.compactMap { a in
                    a.name?.hasPrefix(stem) == true ? Int(a.name!.dropFirst(stem.count)) : nil
                }
                created.name = stem + String((taken.max() ?? 0) + 1)
            }
            if t.apps[created.id] != nil || t.apps.values.contains(where: { $0.id == created.id }) {
                throw OktaAPIError.validation(
                    "client_id", "An object with this field already exists in the current organization")
            }
            t.apps[created.id] = created
            t.appOrder.append(created.id)
            d.apps.insert(created.id)
            d.misc = true
        }
        let who = caller.user.map(actor(user:)) ?? .unknown
        logEvent(.applicationLifecycleCreate, actor: who, targets: [appInstanceActor(created)], ex: ex)
        if activate {
            logEvent(.applicationLifecycleActivate, actor: who, targets: [appInstanceActor(created)], ex: ex)
        }
        return .json(200, appJSON(created, withSecret: true))
    }

    func replaceApp(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let existing = try requireApp(id)
        let body = try bodyJSON(ex)
        var replaced = try AppInput.parse(body, id: existing.id, existing: existing, secrets: tokenValues)
        replaced.lastUpdated = ex.now
        let updated: App = try mutate { t, d in
            guard let cur = t.apps[id] else { throw OktaAPIError.notFound("Resource not found: \(id) (AppInstance)") }
            // Status, assignments and grants are not part of a replace.
            replaced.status = cur.status
            replaced.created = cur.created
            replaced.assignedUsers = cur.assignedUsers
            replaced.assignedGroups = cur.assignedGroups
            replaced.groupAssignments = cur.groupAssignments
            replaced.assignedAt = cur.assignedAt
            replaced.grants = cur.grants
            t.apps[id] = replaced
            d.apps.insert(id)
            return replaced
        }
        logEvent(
            .applicationLifecycleUpdate, actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [appInstanceActor(updated)], ex: ex)
        return .json(200, appJSON(updated, withSecret: true))
    }

    func appLifecycle(_ ex: Exchange, _ id: String, _ op: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        guard op == "activate" || op == "deactivate" else {
            throw OktaAPIError.notFound("Resource not found: \(ex.req.path) (Path)")
        }
        _ = try requireApp(id)
        let a: App = try mutate { t, d in
            guard var a = t.apps[id] else { throw OktaAPIError.notFound("Resource not found: \(id) (AppInstance)") }
            a.status = op == "activate" ? "ACTIVE" : "INACTIVE"
            a.lastUpdated = ex.now
            t.apps[id] = a
            d.apps.insert(id)
            return a
        }
        logEvent(
            op == "activate" ? .applicationLifecycleActivate : .applicationLifecycleDeactivate,
            actor: caller.user.map(actor(user:)) ?? .unknown, targets: [appInstanceActor(a)], ex: ex)
        return .json(200, [:])
    }

    func deleteApp(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let a = try requireApp(id)
        try mutate { t, d in
            guard let cur = t.apps[id] else { throw OktaAPIError.notFound("Resource not found: \(id) (AppInstance)") }
            guard cur.status != "ACTIVE" else {
                throw OktaAPIError(
                    403, "E0000056", "Delete application forbidden.",
                    causes: ["The application must be deactivated before deletion."])
            }
            t.apps[id] = nil
            t.appOrder.removeAll { $0 == id }
            d.apps.insert(id)
            d.misc = true
        }
        logEvent(
            .applicationLifecycleDelete, actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [appInstanceActor(a)], ex: ex)
        return .empty(204)
    }
}
