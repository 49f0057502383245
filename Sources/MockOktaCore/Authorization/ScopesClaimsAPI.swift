import FoundationEssentials

/// A custom server's scopes (`…/scopes`) and claims (`…/claims`): list, create, get, replace, delete. Bounds: at most
/// 200 scopes and 100 claims per server; names 1–300 characters (scopes: no spaces; claims: no reserved JWT name).
extension MockOkta {
    static let scopesMax = 200
    static let claimsMax = 100
    static let reservedClaims: Set<String> = [
        "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "cid", "uid", "scp", "ver", "auth_time", "amr", "idp", "nonce",
        "at_hash", "c_hash", "cnf",
    ]

    func scopeJSON(_ s: AuthServer, _ d: ScopeDef) -> JSON {
        let href = "\(baseURL)/api/v1/authorizationServers/\(s.oktaId ?? s.id)/scopes/\(d.id)"
        return [
            "id": .string(d.id), "name": .string(d.name), "displayName": JSON(d.displayName),
            "description": JSON(d.description), "system": .bool(d.system), "consent": .string(d.consent),
            "metadataPublish": .string(d.metadataPublish), "default": .bool(d.isDefault), "optional": .bool(d.optional),
            "_links": ["self": ["href": .string(href), "hints": ["allow": ["GET", "PUT", "DELETE"]]]],
        ]
    }

    func listScopes(_ ex: Exchange, _ ref: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let s = try requireAuthServer(ref)
        let q = ex.req.queryValue("q")?.lowercased()
        let defs = MockOkta.scopeDefs(s).filter { q == nil || $0.name.lowercased().hasPrefix(q!) }
        // Custom scopes first, then the system ones (okta-sdk-python cassette test_list_oauth2_scopes).
        let ordered = defs.filter { !$0.system } + defs.filter(\.system)
        return .json(200, .array(ordered.map { scopeJSON(s, $0) }))
    }

    func getScope(_ ex: Exchange, _ ref: String, _ scopeId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let s = try requireAuthServer(ref)
        guard let d = MockOkta.scopeDefs(s).first(where: { $0.id == scopeId }) else {
            throw OktaAPIError.notFound("Resource not found: \(scopeId) (OAuth2Scope)")
        }
        return .json(200, scopeJSON(s, d))
    }

    func scopeInput(_ body: JSON, id: String, existing: [ScopeDef]) throws -> ScopeDef {
        var causes: [String] = []
        let name = body["name"]?.stringValue ?? ""
        if name.isEmpty { causes.append("name: The field cannot be left blank") }
        if name.count > 300 || name.contains(where: \.isWhitespace) {
            causes.append("name: A scope name has no spaces and at most 300 characters")
        }
        if name.hasPrefix("okta.") { causes.append("name: Scope names starting with 'okta.' are reserved") }
        if existing.contains(where: { $0.name == name && $0.id != id }) {
            causes.append("name: An object with this field already exists in the current organization")
        }
        let consent = body["consent"]?.stringValue ?? "IMPLICIT"
        if !["IMPLICIT", "REQUIRED", "FLEXIBLE"].contains(consent) {
            causes.append("consent: Must be IMPLICIT, REQUIRED or FLEXIBLE")
        }
        let publish = body["metadataPublish"]?.stringValue ?? "NO_CLIENTS"
        if !["ALL_CLIENTS", "NO_CLIENTS"].contains(publish) {
            causes.append("metadataPublish: Must be ALL_CLIENTS or NO_CLIENTS")
        }
        if !causes.isEmpty { throw MockOkta.validation(causes) }
        return ScopeDef(
            id: id, name: name, displayName: body["displayName"]?.stringValue,
            description: body["description"]?.stringValue, system: MockOkta.systemScopes.contains(name),
            consent: consent, metadataPublish: publish, isDefault: body["default"]?.boolValue ?? false,
            optional: body["optional"]?.boolValue ?? false)
    }

    /// Changes a server's scopes in one transaction and keeps the scope names the token endpoint checks in step.
    func changeScopes<T>(_ ref: String, _ body: (inout [ScopeDef], AuthServer) throws -> T) throws -> (AuthServer, T) {
        let id = try requireAuthServer(ref).id
        var out: T?
        let s = try changeServer(id) { s in
            var defs = MockOkta.scopeDefs(s)
            out = try body(&defs, s)
            s.scopeDefs = defs
            s.scopes = defs.map(\.name)
        }
        return (s, out!)
    }

    func createScope(_ ex: Exchange, _ ref: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let body = try bodyJSON(ex)
        let (s, d) = try changeScopes(ref) { defs, _ -> ScopeDef in
            guard defs.count < MockOkta.scopesMax else {
                throw MockOkta.validation(["scopes: At most \(MockOkta.scopesMax) scopes per server (mock-okta bound)"])
            }
            let d = try scopeInput(body, id: ids.oktaID("scp"), existing: defs)
            defs.append(d)
            return d
        }
        logServerEvent(.scopeCreated, s, caller, ex)
        return .json(201, scopeJSON(s, d))
    }

    func replaceScope(_ ex: Exchange, _ ref: String, _ scopeId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let body = try bodyJSON(ex)
        let (s, d) = try changeScopes(ref) { defs, _ -> ScopeDef in
            guard let i = defs.firstIndex(where: { $0.id == scopeId }) else {
                throw OktaAPIError.notFound("Resource not found: \(scopeId) (OAuth2Scope)")
            }
            let d = try scopeInput(body, id: scopeId, existing: defs)
            defs[i] = d
            return d
        }
        logServerEvent(.scopeUpdated, s, caller, ex)
        return .json(200, scopeJSON(s, d))
    }

    func deleteScope(_ ex: Exchange, _ ref: String, _ scopeId: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let (s, _) = try changeScopes(ref) { defs, _ in
            guard let i = defs.firstIndex(where: { $0.id == scopeId }) else {
                throw OktaAPIError.notFound("Resource not found: \(scopeId) (OAuth2Scope)")
            }
            if defs[i].system { throw MockOkta.validation(["scope: A system scope cannot be deleted"]) }
            defs.remove(at: i)
        }
        logServerEvent(.scopeDeleted, s, caller, ex)
        return .empty(204)
    }

    // MARK: claims

    func claimJSON(_ s: AuthServer, _ c: ClaimDef) -> JSON {
        let href = "\(baseURL)/api/v1/authorizationServers/\(s.oktaId ?? s.id)/claims/\(c.id)"
        var fields: [(String, JSON)] = [
            ("id", .string(c.id)), ("name", .string(c.name)), ("status", .string(c.status)),
            ("claimType", .string(c.claimType)), ("valueType", .string(c.valueType)), ("value", .string(c.value)),
            ("conditions", ["scopes": JSON(c.scopes)]), ("system", .bool(c.system)),
            ("alwaysIncludeInToken", .bool(c.alwaysIncludeInToken)),
        ]
        if let g = c.groupFilterType { fields.append(("group_filter_type", .string(g))) }
        fields.append(("_links", ["self": ["href": .string(href), "hints": ["allow": ["GET", "PUT", "DELETE"]]]]))
        return .object(fields)
    }

    func claimInput(_ body: JSON, id: String, existing: [ClaimDef]) throws -> ClaimDef {
        var causes: [String] = []
        let name = body["name"]?.stringValue ?? ""
        if name.isEmpty || name.count > 300 { causes.append("name: The field cannot be left blank") }
        if MockOkta.reservedClaims.contains(name) { causes.append("name: '\(name)' is a reserved claim name") }
        let claimType = body["claimType"]?.stringValue ?? ""
        if !["RESOURCE", "IDENTITY"].contains(claimType) { causes.append("claimType: Must be RESOURCE or IDENTITY") }
        if existing.contains(where: { $0.name == name && $0.claimType == claimType && $0.id != id }) {
            causes.append("name: An object with this field already exists in the current organization")
        }
        let valueType = body["valueType"]?.stringValue ?? "EXPRESSION"
        let value = body["value"]?.stringValue ?? ""
        let filter = body["group_filter_type"]?.stringValue
        switch valueType {
        case "EXPRESSION":
            if ClaimExpression(value) == nil {
                causes.append(
                    "value: The expression is not one mock-okta evaluates (a constant, user.<attribute>, "
                        + "app.clientId|id|label, isMemberOfGroupName(\"…\"))")
            }
        case "GROUPS":
            if value.isEmpty { causes.append("value: The field cannot be left blank") }
            if !["STARTS_WITH", "EQUALS", "CONTAINS", "REGEX"].contains(filter ?? "") {
                causes.append("group_filter_type: Must be STARTS_WITH, EQUALS, CONTAINS or REGEX")
            } else if filter == "REGEX" && (try? Regex(value)) == nil {
                causes.append("value: Not a valid regular expression")
            }
        default: causes.append("valueType: Must be EXPRESSION or GROUPS")
        }
        if !causes.isEmpty { throw MockOkta.validation(causes) }
        return ClaimDef(
            id: id, name: name, status: body["status"]?.stringValue == "INACTIVE" ? "INACTIVE" : "ACTIVE",
            claimType: claimType, valueType: valueType, value: value,
            groupFilterType: valueType == "GROUPS" ? filter : nil,
            alwaysIncludeInToken: body["alwaysIncludeInToken"]?.boolValue ?? true,
            scopes: body["conditions"]?["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? [], system: false)
    }

    func requireClaim(_ s: AuthServer, _ claimId: String) throws -> ClaimDef {
        guard let c = (s.claims ?? []).first(where: { $0.id == claimId }) else {
            throw OktaAPIError.notFound("Resource not found: \(claimId) (OAuth2Claim)")
        }
        return c
    }

    func listClaims(_ ex: Exchange, _ ref: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let s = try requireAuthServer(ref)
        return .json(200, .array((s.claims ?? []).map { claimJSON(s, $0) }))
    }

    func getClaim(_ ex: Exchange, _ ref: String, _ claimId: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let s = try requireAuthServer(ref)
        return .json(200, claimJSON(s, try requireClaim(s, claimId)))
    }

    /// Creates (`claimId` nil), replaces or deletes (`delete`) a claim.
    func writeClaim(_ ex: Exchange, _ ref: String, claimId: String?, delete: Bool = false) throws -> HTTPReply {
        let caller = try authorizeAPI(ex)
        let body = delete ? JSON.null : try bodyJSON(ex)
        let id = try requireAuthServer(ref).id
        var saved: ClaimDef?
        let s = try changeServer(id) { s in
            var claims = s.claims ?? []
            if let claimId {
                guard let i = claims.firstIndex(where: { $0.id == claimId }) else {
                    throw OktaAPIError.notFound("Resource not found: \(claimId) (OAuth2Claim)")
                }
                if delete {
                    claims.remove(at: i)
                } else {
                    claims[i] = try claimInput(body, id: claimId, existing: claims)
                }
                saved = delete ? nil : claims[i]
            } else {
                guard claims.count < MockOkta.claimsMax else {
                    throw MockOkta.validation([
                        "claims: At most \(MockOkta.claimsMax) claims per server (mock-okta bound)"
                    ])
                }
                saved = try claimInput(body, id: ids.oktaID("ocl"), existing: claims)
                claims.append(saved!)
            }
            s.claims = claims
        }
        logServerEvent(delete ? .claimDeleted : claimId == nil ? .claimCreated : .claimUpdated, s, caller, ex)
        guard let saved else { return .empty(204) }
        return .json(claimId == nil ? 201 : 200, claimJSON(s, saved))
    }
}
