import FoundationEssentials

/// Okta's base user profile schema (`GET /api/v1/meta/schemas/user/default`) and the checks every user write gets from
/// it.
/// Shape and attributes: okta/okta-sdk-python cassette test_user_schema_it/test_get_user_schema.yaml (live org, 2021).
enum UserSchema {
    struct Attribute {
        let name: String
        let title: String
        var required = false
        var format: String? = nil
        var minLength: Int? = nil
        var maxLength: Int? = nil
        /// The SELF permission: READ_ONLY, READ_WRITE or HIDE.
        var selfAction = "READ_ONLY"
    }

    static let base: [Attribute] = [
        Attribute(name: "login", title: "Username", required: true, minLength: 5, maxLength: 100),
        Attribute(
            name: "firstName", title: "First name", required: true, minLength: 1, maxLength: 50,
            selfAction: "READ_WRITE"),
        Attribute(
            name: "lastName", title: "Last name", required: true, minLength: 1, maxLength: 50,
            selfAction: "READ_WRITE"),
        Attribute(name: "middleName", title: "Middle name"),
        Attribute(name: "honorificPrefix", title: "Honorific prefix"),
        Attribute(name: "honorificSuffix", title: "Honorific suffix"),
        Attribute(name: "email", title: "Primary email", required: true, format: "email", selfAction: "READ_WRITE"),
        Attribute(name: "title", title: "Title"),
        Attribute(name: "displayName", title: "Display name"),
        Attribute(name: "nickName", title: "Nickname"),
        Attribute(name: "profileUrl", title: "Profile Url", format: "uri"),
        Attribute(name: "secondEmail", title: "Secondary email", format: "email", selfAction: "READ_WRITE"),
        Attribute(name: "mobilePhone", title: "Mobile phone", maxLength: 100, selfAction: "READ_WRITE"),
        Attribute(name: "primaryPhone", title: "Primary phone", maxLength: 100, selfAction: "HIDE"),
        Attribute(name: "streetAddress", title: "Street address", selfAction: "HIDE"),
        Attribute(name: "city", title: "City", selfAction: "HIDE"),
        Attribute(name: "state", title: "State", selfAction: "HIDE"),
        Attribute(name: "zipCode", title: "Zip code", selfAction: "HIDE"),
        Attribute(name: "countryCode", title: "Country code", format: "country-code", selfAction: "HIDE"),
        Attribute(name: "postalAddress", title: "Postal Address", selfAction: "HIDE"),
        Attribute(name: "preferredLanguage", title: "Preferred language", format: "language-code"),
        Attribute(name: "locale", title: "Locale", format: "locale"),
        Attribute(name: "timezone", title: "Time zone", format: "timezone"),
        Attribute(name: "userType", title: "User type"),
        Attribute(name: "employeeNumber", title: "Employee number"),
        Attribute(name: "costCenter", title: "Cost center"),
        Attribute(name: "organization", title: "Organization"),
        Attribute(name: "division", title: "Division"),
        Attribute(name: "department", title: "Department"),
        Attribute(name: "managerId", title: "ManagerId"),
        Attribute(name: "manager", title: "Manager"),
    ]
    static let byName: [String: Attribute] = Dictionary(uniqueKeysWithValues: base.map { ($0.name, $0) })

    /// The causes a profile write violates. `partial` (POST /users/{id}) checks only the attributes it sends;
    /// create and replace (PUT) also need every required one. Custom attributes take any JSON value.
    static func causes(_ profile: [(String, JSON)], partial: Bool) -> [String] {
        var out: [String] = []
        if !partial {
            for a in base where a.required {
                let v = profile.first { $0.0 == a.name }?.1
                if v == nil || v == .null || v?.stringValue?.trimmingWhitespace().isEmpty == true {
                    out.append("\(a.name): The field cannot be left blank")
                }
            }
        }
        for (k, v) in profile {
            guard let a = byName[k] else { continue }
            if v == .null {
                if a.required && partial { out.append("\(k): The field cannot be left blank") }
                continue
            }
            guard let s = v.stringValue else {
                out.append("\(k): The value must be a string")
                continue
            }
            if a.required && s.trimmingWhitespace().isEmpty {
                if partial { out.append("\(k): The field cannot be left blank") }
                continue
            }
            if k == "login" && !s.contains("@") {
                out.append("login: Username must be in the form of an email address")
            }
            if a.format == "email" && !looksLikeEmail(s) { out.append("\(k): Does not match required pattern") }
            if let m = a.maxLength, s.count > m { out.append("\(k): The field is too long (at most \(m) characters)") }
            if let m = a.minLength, s.count < m, k != "login" || s.contains("@") {
                out.append("\(k): The field is too short (at least \(m) characters)")
            }
        }
        return out
    }

    static func looksLikeEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !s.contains(" ")
    }

    static func error(_ causes: [String]) -> OktaAPIError {
        OktaAPIError(400, "E0000001", "Api validation failed: \(causes[0].split(separator: ":")[0])", causes: causes)
    }
}

extension MockOkta {
    /// The user schema's id (`osc…`), fixed for the life of the org like the user type id.
    var userSchemaId: String { "osc" + String(userTypeId.dropFirst(3)) }

    func userSchemaJSON() -> JSON {
        let created = TimeFormat.isoSeconds(read { t in t.users.values.lazy.map(\.created).min() } ?? clock.now())
        let props: [(String, JSON)] = UserSchema.base.map { a in
            var p: [(String, JSON)] = [("title", .string(a.title)), ("type", "string")]
            if a.required { p.append(("required", true)) }
            if let f = a.format { p.append(("format", .string(f))) }
            p += [("mutability", "READ_WRITE"), ("scope", "NONE")]
            if let m = a.minLength { p.append(("minLength", JSON(m))) }
            if let m = a.maxLength { p.append(("maxLength", JSON(m))) }
            p.append(("permissions", [["principal": "SELF", "action": .string(a.selfAction)]]))
            return (a.name, .object(p))
        }
        return .object([
            ("id", .string("\(baseURL)/meta/schemas/user/default")),
            ("$schema", "http://json-schema.org/draft-04/schema#"),
            ("name", "user"), ("title", "User"),
            ("description", "Okta user profile template with default permission settings"),
            ("lastUpdated", .string(created)), ("created", .string(created)),
            (
                "definitions",
                [
                    "custom": ["id": "#custom", "type": "object", "properties": [:], "required": []],
                    "base": [
                        "id": "#base", "type": "object", "properties": .object(props),
                        "required": ["login", "firstName", "lastName", "email"],
                    ],
                ]
            ),
            ("type", "object"),
            ("properties", ["profile": ["allOf": [["$ref": "#/definitions/custom"], ["$ref": "#/definitions/base"]]]]),
            (
                "_links",
                [
                    "self": [
                        "rel": "self", "href": .string("\(baseURL)/api/v1/meta/schemas/user/\(userSchemaId)"),
                        "method": "GET",
                    ],
                    "type": [
                        "rel": "type", "href": .string("\(baseURL)/api/v1/meta/types/user/\(userTypeId)"),
                        "method": "GET",
                    ],
                ]
            ),
        ])
    }

    /// `GET /api/v1/meta/schemas/user/{default|osc…}`.
    func getUserSchema(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: false)
        guard id == "default" || id == userSchemaId else {
            throw OktaAPIError.notFound("Resource not found: \(id) (UserSchema)")
        }
        return .json(200, userSchemaJSON())
    }

    /// `GET /api/v1/meta/types/user/{default|oty…}`: the default user type.
    func getUserType(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex, write: false)
        guard id == "default" || id == userTypeId else {
            throw OktaAPIError.notFound("Resource not found: \(id) (UserType)")
        }
        let created = TimeFormat.isoSeconds(read { t in t.users.values.lazy.map(\.created).min() } ?? clock.now())
        return .json(
            200,
            .object([
                ("id", .string(userTypeId)), ("displayName", "User"), ("name", "user"),
                ("description", "Okta user profile template with default permission settings"),
                ("createdBy", "system"), ("lastUpdatedBy", "system"), ("default", true), ("created", .string(created)),
                ("lastUpdated", .string(created)),
                (
                    "_links",
                    [
                        "self": ["href": .string("\(baseURL)/api/v1/meta/types/user/\(userTypeId)"), "method": "GET"],
                        "schema": [
                            "href": .string("\(baseURL)/api/v1/meta/schemas/user/\(userSchemaId)"), "method": "GET",
                        ],
                    ]
                ),
            ]))
    }
}
