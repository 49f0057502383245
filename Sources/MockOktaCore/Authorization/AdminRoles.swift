import FoundationEssentials

/// Okta's standard admin role types (the case values are the wire `type`).
public enum AdminRole: String, Codable, Sendable, CaseIterable {
    case superAdmin = "SUPER_ADMIN"
    case orgAdmin = "ORG_ADMIN"
    case appAdmin = "APP_ADMIN"
    case userAdmin = "USER_ADMIN"
    case groupMembershipAdmin = "GROUP_MEMBERSHIP_ADMIN"
    case helpDeskAdmin = "HELP_DESK_ADMIN"
    case readOnlyAdmin = "READ_ONLY_ADMIN"
    case reportAdmin = "REPORT_ADMIN"
    case apiAccessManagementAdmin = "API_ACCESS_MANAGEMENT_ADMIN"

    /// The role's `label` as Okta's role assignment objects carry it (okta-sdk-python cassettes test_users_it,
    /// test_groups_it; terraform-provider-okta recordings 2025: USER_ADMIN is now "Group Administrator"). ORG_ADMIN,
    /// REPORT_ADMIN and API_ACCESS_MANAGEMENT_ADMIN are not in a recording: the spec's examples.
    public var label: String {
        switch self {
        case .superAdmin: return "Super Administrator"
        case .orgAdmin: return "Organization Administrator"
        case .appAdmin: return "Application Administrator"
        case .userAdmin: return "Group Administrator"
        case .groupMembershipAdmin: return "Group Membership Administrator"
        case .helpDeskAdmin: return "Help Desk Administrator"
        case .readOnlyAdmin: return "Read-only Administrator"
        case .reportAdmin: return "Report Administrator"
        case .apiAccessManagementAdmin: return "API Access Management Administrator"
        }
    }
}

/// One admin role assigned to a user or a group. Okta's ids: a standard role's type in unpadded base32
/// (`USER_ADMIN` → `KVJUKUS7IFCE2SKO`, the same for every assignee), SUPER_ADMIN a `ra1…` id (recordings above).
public struct RoleAssignment: Codable, Sendable, Equatable {
    public var id: String
    public var type: AdminRole
    public var created: Double
    public var lastUpdated: Double
}

/// What a Management API call needs: a family of routes (`users`, `groups`, `apps`, …) read or written.
struct Permission: Equatable {
    var family: String
    var write: Bool
    /// The path below the family (`/users/{id}/lifecycle/unlock` → `["{id}", "lifecycle", "unlock"]`).
    var rest: [String]
}

extension TenantData {
    /// A user's own role assignments; a user from before role assignments has its one `adminRole`.
    func roleAssignments(user u: User) -> [RoleAssignment] {
        if let r = u.roles { return r }
        guard let role = u.adminRole else { return [] }
        return [
            RoleAssignment(
                id: MockOkta.legacyRoleId(u.id, role), type: role, created: u.created, lastUpdated: u.created)
        ]
    }

    /// Every admin role the user holds now: assigned directly or through a group (evaluated on each call, so a role
    /// unassigned mid-run is gone on the next request).
    func effectiveRoles(userId: String) -> Set<AdminRole> {
        guard let u = users[userId] else { return [] }
        var out = Set(roleAssignments(user: u).map(\.type))
        for gid in groupOrder {
            guard let g = groups[gid], let r = g.roles, !r.isEmpty, g.members.contains(userId) else { continue }
            out.formUnion(r.map(\.type))
        }
        return out
    }
}

extension MockOkta {
    /// A stable id for the role a user had before role assignments (no randomness: the same on every read).
    static func legacyRoleId(_ userId: String, _ role: AdminRole) -> String {
        role == .superAdmin ? stableId("ra1", "\(userId)|\(role.rawValue)") : base32(role.rawValue)
    }

    /// A new assignment's id: base32 of the type, or a seeded `ra1…` id for SUPER_ADMIN.
    func newRoleId(_ role: AdminRole) -> String { MockOkta.roleId(role, ids) }

    static func roleId(_ role: AdminRole, _ ids: RandomSource) -> String {
        role == .superAdmin ? ids.oktaID("ra1") : base32(role.rawValue)
    }

    /// RFC 4648 base32 without padding.
    static func base32(_ s: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var out = ""
        var buffer = 0
        var bits = 0
        for b in s.utf8 {
            buffer = (buffer << 8) | Int(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return out
    }

    /// The permission a Management API call needs, from its path and method.
    static func permission(_ path: String, write: Bool) -> Permission {
        let parts = path.split(separator: "/").map(String.init)  // ["api", "v1", family, …]
        var family = parts.count > 2 ? parts[2] : ""
        let rest = Array(parts.dropFirst(3))
        if (family == "users" || family == "groups") && rest.count >= 2 && rest[1] == "roles" { family = "roles" }
        if family == "apps" && rest.count >= 2 && rest[1] == "grants" { family = "grants" }
        return Permission(family: family, write: write, rest: rest)
    }

    /// Okta's standard roles on the Management API routes the mock serves (README "Admin roles"): SUPER_ADMIN may do
    /// everything; READ_ONLY_ADMIN reads everything; the others read and change their own objects.
    static func permits(_ roles: Set<AdminRole>, _ p: Permission) -> Bool {
        roles.contains { permits($0, p) }
    }

    static func permits(_ role: AdminRole, _ p: Permission) -> Bool {
        let reads = !p.write
        switch role {
        case .superAdmin: return true
        case .readOnlyAdmin: return reads
        case .orgAdmin:
            if p.family == "authorizationServers" { return false }
            return p.family == "roles" || p.family == "grants" ? reads : true
        case .appAdmin:
            return ["apps", "grants"].contains(p.family) || (reads && ["users", "groups"].contains(p.family))
        case .userAdmin:
            return ["users", "groups"].contains(p.family) || (reads && p.family == "apps")
        case .groupMembershipAdmin:
            if p.family == "groups" { return reads || p.rest.count >= 2 && p.rest[1] == "users" }
            return reads && p.family == "users"
        case .helpDeskAdmin:
            if reads { return ["users", "groups"].contains(p.family) }
            return p.family == "users" && helpDeskWrite(p.rest)
        case .reportAdmin: return reads && p.family == "logs"
        case .apiAccessManagementAdmin:
            return p.family == "authorizationServers" || (reads && ["apps", "groups"].contains(p.family))
        }
    }

    /// A help desk admin resets passwords and factors, unlocks users and clears their sessions.
    static func helpDeskWrite(_ rest: [String]) -> Bool {
        guard rest.count >= 2 else { return false }
        switch rest[1] {
        case "lifecycle":
            return rest.count == 3
                && ["unlock", "reset_password", "expire_password", "reset_factors"].contains(rest[2])
        case "sessions", "factors": return true
        default: return false
        }
    }
}
