import FoundationEssentials

/// Every System Log event type the mock writes, with the display message and the V1 `legacyEventType` Okta writes.
///
/// Ids come from Okta's event-type catalogue (okta/okta-developer-docs
/// `packages/@okta/vuepress-site/data/event-types.json`,
/// release 2026.08.1); legacy ids from the V1 → V2 `mappings` of the 2020.12.1 catalogue (same file at b5850310).
/// Two ids are mock-only (`mockOnly`; their `debugContext.debugData.mockOnly` is true): Okta never writes them.
/// `system.operation.fault_injected` marks a fault a scenario rule injected. `system.operation.request_denied` marks a
/// request refused by API authentication (a missing, unknown or revoked API token, a rejected Bearer token, or a 403
/// for a missing role or scope): Okta's catalogue has no event for those, but PRODUCT.md promises every denial in the
/// System Log, so the mock writes this one, named so that no filter for a real id matches it.
public enum EventType: String, CaseIterable, Sendable {
    case userSessionStart = "user.session.start"
    case userSessionClear = "user.session.clear"
    case userAuthenticationSSO = "user.authentication.sso"
    case userLifecycleCreate = "user.lifecycle.create"
    case userLifecycleActivate = "user.lifecycle.activate"
    case userLifecycleReactivate = "user.lifecycle.reactivate"
    case userLifecycleDeactivate = "user.lifecycle.deactivate"
    case userLifecycleSuspend = "user.lifecycle.suspend"
    case userLifecycleUnsuspend = "user.lifecycle.unsuspend"
    case userLifecycleDeleteInitiated = "user.lifecycle.delete.initiated"
    case userAccountUpdateProfile = "user.account.update_profile"
    case userAccountUpdatePassword = "user.account.update_password"
    case userAccountResetPassword = "user.account.reset_password"
    case userAccountExpirePassword = "user.account.expire_password"
    case userAccountUnlockByAdmin = "user.account.unlock_by_admin"
    case userMFAFactorResetAll = "user.mfa.factor.reset_all"
    case userAccountLock = "user.account.lock"
    case userAuthViaMFA = "user.authentication.auth_via_mfa"
    case userMFAFactorActivate = "user.mfa.factor.activate"
    case userMFAFactorDeactivate = "user.mfa.factor.deactivate"
    case userSessionEnd = "user.session.end"
    case policyEvaluateSignOn = "policy.evaluate_sign_on"
    case zoneCreate = "zone.create"
    case zoneUpdate = "zone.update"
    case zoneDelete = "zone.delete"
    case zoneActivate = "zone.activate"
    case zoneDeactivate = "zone.deactivate"
    case policyCreate = "policy.lifecycle.create"
    case policyUpdate = "policy.lifecycle.update"
    case policyDelete = "policy.lifecycle.delete"
    case policyActivate = "policy.lifecycle.activate"
    case policyDeactivate = "policy.lifecycle.deactivate"
    case policyRuleAdd = "policy.rule.add"
    case policyRuleUpdate = "policy.rule.update"
    case policyRuleDelete = "policy.rule.delete"
    case policyRuleActivate = "policy.rule.activate"
    case policyRuleDeactivate = "policy.rule.deactivate"
    case groupLifecycleCreate = "group.lifecycle.create"
    case groupLifecycleDelete = "group.lifecycle.delete"
    case groupProfileUpdate = "group.profile.update"
    case groupUserMembershipAdd = "group.user_membership.add"
    case groupUserMembershipRemove = "group.user_membership.remove"
    case applicationLifecycleCreate = "application.lifecycle.create"
    case applicationLifecycleUpdate = "application.lifecycle.update"
    case applicationLifecycleActivate = "application.lifecycle.activate"
    case applicationLifecycleDeactivate = "application.lifecycle.deactivate"
    case applicationLifecycleDelete = "application.lifecycle.delete"
    case applicationUserMembershipAdd = "application.user_membership.add"
    case applicationUserMembershipRemove = "application.user_membership.remove"
    case trustedOriginCreate = "security.trusted_origin.create"
    case trustedOriginUpdate = "security.trusted_origin.update"
    case trustedOriginDelete = "security.trusted_origin.delete"
    case trustedOriginActivate = "security.trusted_origin.activate"
    case trustedOriginDeactivate = "security.trusted_origin.deactivate"
    case apiTokenRevoke = "system.api_token.revoke"
    case orgRateLimitViolation = "system.org.rate_limit.violation"
    case concurrencyLimitViolation = "core.concurrency.org.limit.violation"
    case oauthInvalidClientCredentials = "app.oauth2.invalid_client_credentials"
    case oauthAuthorize = "app.oauth2.authorize"
    case oauthASAuthorize = "app.oauth2.as.authorize"
    case oauthTokenGrant = "app.oauth2.token.grant"
    case oauthASTokenGrant = "app.oauth2.as.token.grant"
    case oauthTokenGrantAccessToken = "app.oauth2.token.grant.access_token"
    case oauthASTokenGrantAccessToken = "app.oauth2.as.token.grant.access_token"
    case oauthTokenGrantIDToken = "app.oauth2.token.grant.id_token"
    case oauthASTokenGrantIDToken = "app.oauth2.as.token.grant.id_token"
    case oauthTokenGrantRefreshToken = "app.oauth2.token.grant.refresh_token"
    case oauthASTokenGrantRefreshToken = "app.oauth2.as.token.grant.refresh_token"
    case oauthTokenRevoke = "app.oauth2.token.revoke"
    case oauthASTokenRevoke = "app.oauth2.as.token.revoke"
    case oauthKeyRollover = "app.oauth2.key.rollover"
    case oauthASKeyRollover = "app.oauth2.as.key.rollover"
    case oauthAdminConsentRevoke = "app.oauth2.admin.consent.revoke"
    case userPrivilegeGrant = "user.account.privilege.grant"
    case userPrivilegeRevoke = "user.account.privilege.revoke"
    case groupPrivilegeGrant = "group.privilege.grant"
    case groupPrivilegeRevoke = "group.privilege.revoke"
    case oauthAdminConsentGrant = "app.oauth2.admin.consent.grant"
    case authServerCreated = "oauth2.as.created"
    case authServerUpdated = "oauth2.as.updated"
    case authServerDeleted = "oauth2.as.deleted"
    case authServerActivated = "oauth2.as.activated"
    case authServerDeactivated = "oauth2.as.deactivated"
    case scopeCreated = "oauth2.scope.created"
    case scopeUpdated = "oauth2.scope.updated"
    case scopeDeleted = "oauth2.scope.deleted"
    case claimCreated = "oauth2.claim.created"
    case claimUpdated = "oauth2.claim.updated"
    case claimDeleted = "oauth2.claim.deleted"
    case faultInjected = "system.operation.fault_injected"
    case requestDenied = "system.operation.request_denied"

    /// Okta never writes this id; the mock writes it when a scenario rule fires.
    public var mockOnly: Bool { self == .faultInjected || self == .requestDenied }

    /// The V1 id Okta writes in `legacyEventType` (2020.12.1 catalogue mappings); nil where the V2 id has none.
    /// Failures of some events have their own V1 id: see `legacy(failed:)`.
    public var legacy: String? { Self.catalogue[self]?.legacy }

    /// The legacy id for an event with this outcome: failures of sign-in, authorize and revoke have their own V1 ids.
    public func legacy(failed: Bool) -> String? {
        switch self {
        case .userSessionStart: return failed ? "core.user_auth.login_failed" : "core.user_auth.login_success"
        case .userAuthViaMFA: return failed ? "core.user.factor.attempt_fail" : "core.user.factor.attempt_success"
        case .oauthAuthorize: return failed ? "app.oauth2.authorize_failure" : nil
        case .oauthASAuthorize: return failed ? "app.oauth2.as.authorize_failure" : nil
        case .oauthTokenRevoke: return failed ? "app.oauth2.token.revoke_failure" : "app.oauth2.token.revoke_success"
        case .oauthASTokenRevoke:
            return failed ? "app.oauth2.as.token.revoke_failure" : "app.oauth2.as.token.revoke_success"
        default: return legacy
        }
    }

    /// Okta's `displayMessage` for the event (the catalogue's description, without the trailing period). Every
    /// type has a row in `rows`; an empty message would mean one is missing (a test checks there is none).
    public var displayMessage: String { Self.catalogue[self]?.message ?? "" }

    /// One row per event type, in the order of the cases: the type, the V1 `legacyEventType` Okta writes for it
    /// (nil where the V2 id has none), and its display message.
    private static let rows: [(type: EventType, legacy: String?, message: String)] = [
        (.userSessionStart, "core.user_auth.login_success", "User login to Okta"),
        (.userSessionClear, "core.user_auth.session_clear", "Clear user session"),
        (.userAuthenticationSSO, "app.auth.sso", "User single sign on to app"),
        (.userLifecycleCreate, "core.user.config.user_creation.success", "Create Okta user"),
        (.userLifecycleActivate, "core.user.config.user_activated", "Activate Okta user"),
        (.userLifecycleReactivate, "core.user.config.user_reactivation.success", "Reactivate Okta user"),
        (.userLifecycleDeactivate, "core.user.config.user_deactivated", "Deactivate Okta user"),
        (.userLifecycleSuspend, "core.user.config.user_status.suspended", "Suspend Okta user"),
        (.userLifecycleUnsuspend, "core.user.config.user_status.unsuspended", "Unsuspend Okta user"),
        (.userLifecycleDeleteInitiated, "core.user.config.user_status.delete.initiated", "Delete Okta user initiated"),
        (.userAccountUpdateProfile, "core.user.config.profile_update.success", "Update user profile for Okta"),
        (.userAccountUpdatePassword, "core.user.config.password_update.success", "User update password for Okta"),
        (.userAccountResetPassword, "core.user.config.user_status.password_reset", "Reset Okta user password"),
        (.userAccountExpirePassword, nil, "Expire user password"),
        (.userAccountUnlockByAdmin, "core.user_auth.account_unlocked_by_admin", "User account unlock by admin"),
        (.userMFAFactorResetAll, "core.user.factor.reset_all", "Reset all factors for user"),
        (.userAccountLock, "core.user_auth.account_locked", "Max sign in attempts exceeded"),
        (.userAuthViaMFA, "core.user.factor.attempt_success", "Authentication of user via MFA"),
        (.userMFAFactorActivate, "core.user.factor.activate", "User set up factor"),
        (.userMFAFactorDeactivate, "core.user.factor.deactivate", "User reset factor"),
        (.userSessionEnd, "core.user_auth.logout_success", "User logout from Okta"),
        (.policyEvaluateSignOn, nil, "Evaluation of sign-on policy"),
        (.zoneCreate, nil, "Network zone create"),
        (.zoneUpdate, nil, "Network zone update"),
        (.zoneDelete, nil, "Network zone delete"),
        (.zoneActivate, nil, "Network zone activate"),
        (.zoneDeactivate, nil, "Network zone deactivate"),
        (.policyCreate, nil, "Create policy"),
        (.policyUpdate, nil, "Update policy"),
        (.policyDelete, nil, "Delete policy"),
        (.policyActivate, nil, "Activate policy"),
        (.policyDeactivate, nil, "Deactivate policy"),
        (.policyRuleAdd, nil, "Add policy rule"),
        (.policyRuleUpdate, nil, "Update policy rule"),
        (.policyRuleDelete, nil, "Delete policy rule"),
        (.policyRuleActivate, nil, "Activate policy rule"),
        (.policyRuleDeactivate, nil, "Deactivate policy rule"),
        (.groupLifecycleCreate, "group.lifecycle.create", "Create Okta group"),
        (.groupLifecycleDelete, "group.lifecycle.delete", "Delete Okta group"),
        (.groupProfileUpdate, nil, "Okta group profile updated"),
        (.groupUserMembershipAdd, "core.user_group_member.user_add", "Add user to group membership"),
        (.groupUserMembershipRemove, "core.user_group_member.user_remove", "Remove user from group membership"),
        (.applicationLifecycleCreate, "app.app_editor.app.create", "Create application"),
        (.applicationLifecycleUpdate, "app.generic.config.app_updated", "Update application"),
        (.applicationLifecycleActivate, "app.generic.config.app_activated", "Activate application"),
        (.applicationLifecycleDeactivate, "app.generic.config.app_deactivated", "Deactivate application"),
        (.applicationLifecycleDelete, "app.generic.config.app_deleted", "Delete application"),
        (
            .applicationUserMembershipAdd, "app.generic.provision.assign_user_to_app",
            "Add user to application membership"
        ),
        (
            .applicationUserMembershipRemove, "app.generic.provision.deactivate_user_from_app",
            "Remove user's application membership"
        ),
        (.trustedOriginCreate, nil, "A trusted origin is created"),
        (.trustedOriginUpdate, nil, "A trusted origin is updated"),
        (.trustedOriginDelete, nil, "A trusted origin is deleted"),
        (.trustedOriginActivate, nil, "A trusted origin is activated"),
        (.trustedOriginDeactivate, nil, "A trusted origin is deactivated"),
        (.apiTokenRevoke, "api.token.revoke", "Revoke API token"),
        (.orgRateLimitViolation, "core.framework.ratelimit.exceeded", "Rate limit violation"),
        (.concurrencyLimitViolation, "core.concurrency.org.limit.violation", "Too many requests in flight"),
        (
            .oauthInvalidClientCredentials, "app.oauth2.invalid_client_credentials_failure",
            "OAuth client authentication failed"
        ),
        (.oauthAuthorize, nil, "OIDC authorization request"),
        (.oauthASAuthorize, nil, "OAuth2 authorization request"),
        (.oauthTokenGrant, "app.oauth2.token.grant_failure", "OIDC token request"),
        (.oauthASTokenGrant, "app.oauth2.as.token.grant_failure", "OAuth2 token request"),
        (.oauthTokenGrantAccessToken, "app.oauth2.token.grant.access_token_success", "OIDC access token is granted"),
        (
            .oauthASTokenGrantAccessToken, "app.oauth2.as.token.grant.access_token_success",
            "OAuth 2.0 access token is granted"
        ),
        (.oauthTokenGrantIDToken, "app.oauth2.token.grant.id_token_success", "OIDC id token is granted"),
        (.oauthASTokenGrantIDToken, "app.oauth2.as.token.grant.id_token_success", "OAuth 2.0 ID token is granted"),
        (.oauthTokenGrantRefreshToken, "app.oauth2.token.grant.refresh_token_success", "OIDC refresh token is granted"),
        (
            .oauthASTokenGrantRefreshToken, "app.oauth2.as.token.grant.refresh_token_success",
            "OAuth2 refresh token is granted"
        ),
        (.oauthTokenRevoke, "app.oauth2.token.revoke_success", "OIDC token revocation request"),
        (.oauthASTokenRevoke, "app.oauth2.as.token.revoke_success", "OAuth2 token revocation request"),
        (.oauthKeyRollover, "app.oauth2.key.rollover.legacy", "Org Authorization Server token signing key rolled over"),
        (
            .oauthASKeyRollover, "app.oauth2.as.key.rollover.legacy",
            "Custom Authorization Server token signing key rolled over"
        ),
        (
            .oauthAdminConsentRevoke, "app.oauth2.admin.consent.revoke_success",
            "Administrator consent revoked for scope"
        ),
        (.userPrivilegeGrant, nil, "A User's admin privileges changed"),
        (.userPrivilegeRevoke, nil, "All of user's admin privilege revoked"),
        (.groupPrivilegeGrant, nil, "Group's admin privilege granted"),
        (.groupPrivilegeRevoke, nil, "Group's admin privilege revoked"),
        (.oauthAdminConsentGrant, nil, "Administrator consent granted for scope"),
        (.authServerCreated, nil, "Authorization server is created"),
        (.authServerUpdated, nil, "Authorization server is updated"),
        (.authServerDeleted, nil, "Authorization server is deleted"),
        (.authServerActivated, nil, "Authorization server is activated"),
        (.authServerDeactivated, nil, "Authorization server is deactivated"),
        (.scopeCreated, nil, "OAuth2 scope is created"),
        (.scopeUpdated, nil, "OAuth2 scope is updated"),
        (.scopeDeleted, nil, "OAuth2 scope is deleted"),
        (.claimCreated, nil, "OAuth2 claim is created"),
        (.claimUpdated, nil, "OAuth2 claim is updated"),
        (.claimDeleted, nil, "OAuth2 claim is deleted"),
        (.faultInjected, nil, "Fault injected by mock-okta"),
        (.requestDenied, nil, "Request refused by API authentication (mock-only event)"),
    ]

    /// `rows` by type, built once.
    private static let catalogue: [EventType: (legacy: String?, message: String)] = Dictionary(
        uniqueKeysWithValues: rows.map { ($0.type, ($0.legacy, $0.message)) })

    /// Names that troubleshooting guides use but no Okta catalogue has, with the ids that carry the same intent.
    /// A System Log filter on one of them answers as Okta does (an empty list); the server prints the hint once.
    public static let notInCatalogue: [String: String] = [
        "oauth2.token.grant.reject":
            "app.oauth2.as.token.grant or app.oauth2.token.grant with outcome.result eq \"FAILURE\"",
        "api.token.invalid":
            "none in Okta, which writes no event for a rejected API token; the mock writes the mock-only "
            + "system.operation.request_denied",
        "system.api_token.invalid_token": "none in Okta; the mock writes the mock-only system.operation.request_denied",
        "app.generic.unassign_user": "application.user_membership.remove",
        "user.password.expire": "user.account.expire_password",
        "system.authorization_server.key.rotated":
            "app.oauth2.as.key.rollover (custom servers) or app.oauth2.key.rollover (org server)",
        "app.oauth2.scope.grant.revoke": "app.oauth2.admin.consent.revoke",
        "system.rate.limit.violation": "system.org.rate_limit.violation",
        "app.oauth2.resource.access": "none in Okta; the mock writes the mock-only system.operation.request_denied",
        "system.operation.permission.denied":
            "none in Okta; the mock writes the mock-only system.operation.request_denied",
    ]
}
