import Foundation

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
    public var legacy: String? {
        switch self {
        // Failures: core.user_auth.login_failed (see `legacy(failed:)`).
        case .userSessionStart: return "core.user_auth.login_success"
        case .userSessionClear: return "core.user_auth.session_clear"
        case .userAuthenticationSSO: return "app.auth.sso"
        case .userLifecycleCreate: return "core.user.config.user_creation.success"
        case .userLifecycleActivate: return "core.user.config.user_activated"
        case .userLifecycleReactivate: return "core.user.config.user_reactivation.success"
        case .userLifecycleDeactivate: return "core.user.config.user_deactivated"
        case .userLifecycleSuspend: return "core.user.config.user_status.suspended"
        case .userLifecycleUnsuspend: return "core.user.config.user_status.unsuspended"
        case .userLifecycleDeleteInitiated: return "core.user.config.user_status.delete.initiated"
        case .userAccountUpdateProfile: return "core.user.config.profile_update.success"
        case .userAccountUpdatePassword: return "core.user.config.password_update.success"
        case .userAccountResetPassword: return "core.user.config.user_status.password_reset"
        case .userAccountUnlockByAdmin: return "core.user_auth.account_unlocked_by_admin"
        case .userMFAFactorResetAll: return "core.user.factor.reset_all"
        case .userAccountLock: return "core.user_auth.account_locked"
        case .userAuthViaMFA: return "core.user.factor.attempt_success"
        case .userMFAFactorActivate: return "core.user.factor.activate"
        case .userMFAFactorDeactivate: return "core.user.factor.deactivate"
        case .userSessionEnd: return "core.user_auth.logout_success"
        case .groupLifecycleCreate: return "group.lifecycle.create"
        case .groupLifecycleDelete: return "group.lifecycle.delete"
        case .groupUserMembershipAdd: return "core.user_group_member.user_add"
        case .groupUserMembershipRemove: return "core.user_group_member.user_remove"
        case .applicationLifecycleCreate: return "app.app_editor.app.create"
        case .applicationLifecycleUpdate: return "app.generic.config.app_updated"
        case .applicationLifecycleActivate: return "app.generic.config.app_activated"
        case .applicationLifecycleDeactivate: return "app.generic.config.app_deactivated"
        case .applicationLifecycleDelete: return "app.generic.config.app_deleted"
        case .applicationUserMembershipAdd: return "app.generic.provision.assign_user_to_app"
        case .applicationUserMembershipRemove: return "app.generic.provision.deactivate_user_from_app"
        case .apiTokenRevoke: return "api.token.revoke"
        case .orgRateLimitViolation: return "core.framework.ratelimit.exceeded"
        case .concurrencyLimitViolation: return "core.concurrency.org.limit.violation"
        case .oauthInvalidClientCredentials: return "app.oauth2.invalid_client_credentials_failure"
        case .oauthTokenGrant: return "app.oauth2.token.grant_failure"
        case .oauthASTokenGrant: return "app.oauth2.as.token.grant_failure"
        case .oauthTokenGrantAccessToken: return "app.oauth2.token.grant.access_token_success"
        case .oauthASTokenGrantAccessToken: return "app.oauth2.as.token.grant.access_token_success"
        case .oauthTokenGrantIDToken: return "app.oauth2.token.grant.id_token_success"
        case .oauthASTokenGrantIDToken: return "app.oauth2.as.token.grant.id_token_success"
        case .oauthTokenGrantRefreshToken: return "app.oauth2.token.grant.refresh_token_success"
        case .oauthASTokenGrantRefreshToken: return "app.oauth2.as.token.grant.refresh_token_success"
        case .oauthTokenRevoke: return "app.oauth2.token.revoke_success"
        case .oauthASTokenRevoke: return "app.oauth2.as.token.revoke_success"
        case .oauthKeyRollover: return "app.oauth2.key.rollover.legacy"
        case .oauthASKeyRollover: return "app.oauth2.as.key.rollover.legacy"
        case .oauthAdminConsentRevoke: return "app.oauth2.admin.consent.revoke_success"
        case .userAccountExpirePassword, .groupProfileUpdate, .trustedOriginCreate, .trustedOriginUpdate,
            .trustedOriginDelete,
            .trustedOriginActivate, .trustedOriginDeactivate, .oauthAuthorize, .oauthASAuthorize, .faultInjected,
            .requestDenied, .policyEvaluateSignOn, .zoneCreate, .zoneUpdate, .zoneDelete, .zoneActivate,
            .zoneDeactivate, .policyCreate, .policyUpdate, .policyDelete, .policyActivate, .policyDeactivate,
            .policyRuleAdd, .policyRuleUpdate, .policyRuleDelete, .policyRuleActivate, .policyRuleDeactivate,
            .userPrivilegeGrant, .userPrivilegeRevoke, .groupPrivilegeGrant, .groupPrivilegeRevoke,
            .oauthAdminConsentGrant, .authServerCreated, .authServerUpdated, .authServerDeleted,
            .authServerActivated, .authServerDeactivated, .scopeCreated, .scopeUpdated, .scopeDeleted, .claimCreated,
            .claimUpdated, .claimDeleted:
            return nil
        }
    }

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

    /// Okta's `displayMessage` for the event (the catalogue's description, without the trailing period).
    public var displayMessage: String {
        switch self {
        case .userSessionStart: return "User login to Okta"
        case .userSessionClear: return "Clear user session"
        case .userAuthenticationSSO: return "User single sign on to app"
        case .userLifecycleCreate: return "Create Okta user"
        case .userLifecycleActivate: return "Activate Okta user"
        case .userLifecycleReactivate: return "Reactivate Okta user"
        case .userLifecycleDeactivate: return "Deactivate Okta user"
        case .userLifecycleSuspend: return "Suspend Okta user"
        case .userLifecycleUnsuspend: return "Unsuspend Okta user"
        case .userLifecycleDeleteInitiated: return "Delete Okta user initiated"
        case .userAccountUpdateProfile: return "Update user profile for Okta"
        case .userAccountUpdatePassword: return "User update password for Okta"
        case .userAccountResetPassword: return "Reset Okta user password"
        case .userAccountExpirePassword: return "Expire user password"
        case .userAccountUnlockByAdmin: return "User account unlock by admin"
        case .userMFAFactorResetAll: return "Reset all factors for user"
        case .userAccountLock: return "Max sign in attempts exceeded"
        case .userAuthViaMFA: return "Authentication of user via MFA"
        case .userMFAFactorActivate: return "User set up factor"
        case .userMFAFactorDeactivate: return "User reset factor"
        case .userSessionEnd: return "User logout from Okta"
        case .policyEvaluateSignOn: return "Evaluation of sign-on policy"
        case .zoneCreate: return "Network zone create"
        case .zoneUpdate: return "Network zone update"
        case .zoneDelete: return "Network zone delete"
        case .zoneActivate: return "Network zone activate"
        case .zoneDeactivate: return "Network zone deactivate"
        case .policyCreate: return "Create policy"
        case .policyUpdate: return "Update policy"
        case .policyDelete: return "Delete policy"
        case .policyActivate: return "Activate policy"
        case .policyDeactivate: return "Deactivate policy"
        case .policyRuleAdd: return "Add policy rule"
        case .policyRuleUpdate: return "Update policy rule"
        case .policyRuleDelete: return "Delete policy rule"
        case .policyRuleActivate: return "Activate policy rule"
        case .policyRuleDeactivate: return "Deactivate policy rule"
        case .groupLifecycleCreate: return "Create Okta group"
        case .groupLifecycleDelete: return "Delete Okta group"
        case .groupProfileUpdate: return "Okta group profile updated"
        case .groupUserMembershipAdd: return "Add user to group membership"
        case .groupUserMembershipRemove: return "Remove user from group membership"
        case .applicationLifecycleCreate: return "Create application"
        case .applicationLifecycleUpdate: return "Update application"
        case .applicationLifecycleActivate: return "Activate application"
        case .applicationLifecycleDeactivate: return "Deactivate application"
        case .applicationLifecycleDelete: return "Delete application"
        case .applicationUserMembershipAdd: return "Add user to application membership"
        case .applicationUserMembershipRemove: return "Remove user's application membership"
        case .trustedOriginCreate: return "A trusted origin is created"
        case .trustedOriginUpdate: return "A trusted origin is updated"
        case .trustedOriginDelete: return "A trusted origin is deleted"
        case .trustedOriginActivate: return "A trusted origin is activated"
        case .trustedOriginDeactivate: return "A trusted origin is deactivated"
        case .apiTokenRevoke: return "Revoke API token"
        case .orgRateLimitViolation: return "Rate limit violation"
        case .concurrencyLimitViolation: return "Too many requests in flight"
        case .oauthInvalidClientCredentials: return "OAuth client authentication failed"
        case .oauthAuthorize: return "OIDC authorization request"
        case .oauthASAuthorize: return "OAuth2 authorization request"
        case .oauthTokenGrant: return "OIDC token request"
        case .oauthASTokenGrant: return "OAuth2 token request"
        case .oauthTokenGrantAccessToken: return "OIDC access token is granted"
        case .oauthASTokenGrantAccessToken: return "OAuth 2.0 access token is granted"
        case .oauthTokenGrantIDToken: return "OIDC id token is granted"
        case .oauthASTokenGrantIDToken: return "OAuth 2.0 ID token is granted"
        case .oauthTokenGrantRefreshToken: return "OIDC refresh token is granted"
        case .oauthASTokenGrantRefreshToken: return "OAuth2 refresh token is granted"
        case .oauthTokenRevoke: return "OIDC token revocation request"
        case .oauthASTokenRevoke: return "OAuth2 token revocation request"
        case .oauthKeyRollover: return "Org Authorization Server token signing key rolled over"
        case .oauthASKeyRollover: return "Custom Authorization Server token signing key rolled over"
        case .oauthAdminConsentRevoke: return "Administrator consent revoked for scope"
        case .userPrivilegeGrant: return "A User's admin privileges changed"
        case .userPrivilegeRevoke: return "All of user's admin privilege revoked"
        case .groupPrivilegeGrant: return "Group's admin privilege granted"
        case .groupPrivilegeRevoke: return "Group's admin privilege revoked"
        case .oauthAdminConsentGrant: return "Administrator consent granted for scope"
        case .authServerCreated: return "Authorization server is created"
        case .authServerUpdated: return "Authorization server is updated"
        case .authServerDeleted: return "Authorization server is deleted"
        case .authServerActivated: return "Authorization server is activated"
        case .authServerDeactivated: return "Authorization server is deactivated"
        case .scopeCreated: return "OAuth2 scope is created"
        case .scopeUpdated: return "OAuth2 scope is updated"
        case .scopeDeleted: return "OAuth2 scope is deleted"
        case .claimCreated: return "OAuth2 claim is created"
        case .claimUpdated: return "OAuth2 claim is updated"
        case .claimDeleted: return "OAuth2 claim is deleted"
        case .faultInjected: return "Fault injected by mock-okta"
        case .requestDenied: return "Request refused by API authentication (mock-only event)"
        }
    }

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
