"""The okta SDK 3.4.6 configuring API Access Management (authorization servers, scopes, claims, policies,
rules, admin roles, Okta API scope grants, key rotation), and real clients feeling the result: Authlib,
requests, PyJWT and okta-jwt-verifier at the token endpoints.  Pinned shapes cite the okta-sdk-python VCR
cassettes (PYC), terraform-provider-okta recordings (TFV) and Okta's OpenAPI spec (SPEC).
okta-jwt-verifier wants an https issuer, so test 1 runs on a --tls server (the others on http).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import jwt
import pytest
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from fault_helpers import enum_value as _v, okta_client_class, preload_okta_sdk
from fault_helpers import sdk_api_error as _api_error, sdk_ok as _ok
from helpers import HTTP_TIMEOUT, MockOkta, token_request, unverified, verify_jwt, web_basic

pytestmark = pytest.mark.management_api

preload_okta_sdk()

ARGS = ["--host", "127.0.0.1", "--port", "0", "--seed", "1"]
SDK_TIMEOUT = 40
# Okta's text (oktadev/okta-wordpress-sign-in-widget#35, okta/okta-spring-boot#602); 403 per SPEC /v1/token
DENIED = "Policy evaluation failed for this request, please check the policy configurations."
AS_SCOPES = ["okta.authorizationServers.manage", "okta.authorizationServers.read"]


# --- Helpers ----------------------------------------------------------------------------------------
def _ssws(srv: MockOkta, token: str | None = None):
    return okta_client_class()({"orgUrl": srv.url, "token": token or srv.creds["apiToken"]})


def _private_key(srv: MockOkta, scopes: list[str]):
    c = srv.creds
    return okta_client_class()({"orgUrl": srv.url, "authorizationMode": "PrivateKey", "scopes": scopes,
                                "clientId": c["serviceClientId"], "privateKey": c["servicePrivateKeyPem"],
                                "kid": c["servicePrivateKeyKid"]})


def _run(fn, timeout: float = SDK_TIMEOUT) -> Any:
    return asyncio.run(asyncio.wait_for(fn(), timeout))


async def _tls(srv: MockOkta, step) -> Any:
    """step(SSWS client) trusting the mock CA via the SDK's set_session (its sslContext option dies in a
    deepcopy; aiohttp's default context ignores a later SSL_CERT_FILE)."""
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=srv.ssl_context())) as session:
        client = _ssws(srv)
        client.get_request_executor().set_session(session)
        return await step(client)




def _invalid_scope(result: tuple) -> None:
    """The SDK's own org-token request was refused (an okta.* scope the app was not granted)."""
    err = _api_error(result, 400, "invalid_scope")
    assert result[0] is None and err.url.endswith("/oauth2/v1/token"), result
    assert err.error_summary, vars(err)  # Okta's wording for "not granted" is not recorded anywhere we have



def _tag() -> str:
    return uuid.uuid4().hex[:6]


def _status_only(result: tuple, status: int) -> None:
    """No error, HTTP `status`, no model (204s, or a status the SDK maps to no model)."""
    assert result[0] is None and result[-1] is None and result[1].status_code == status, result


async def _server_with_scope(client, name: str, audience: str, scope: str) -> tuple[Any, Any]:
    """Server + scope, both 201 (PYC test_create_auth_server, test_create_get_oauth2_scope)."""
    from okta.models import AuthorizationServer, OAuth2Scope
    res = await client.create_authorization_server(AuthorizationServer.from_dict(
        {"name": name, "description": "e2e", "audiences": [audience]}))
    server = _ok(res, "create_authorization_server")
    assert res[1].status_code == 201
    res = await client.create_o_auth2_scope(server.id, OAuth2Scope.from_dict({"name": scope}))
    assert _ok(res, "create_o_auth2_scope").name == scope and res[1].status_code == 201
    return server, res[0]


async def _policy_and_rule(client, sid: str, scopes: list[str], minutes: int = 15) -> tuple[str, str]:
    """ALL_CLIENTS policy + client_credentials rule; bodies as in PYC test_policy_rules_lifecycle.yaml."""
    from okta.models import AuthorizationServerPolicy, AuthorizationServerPolicyRuleRequest
    res = await client.create_authorization_server_policy(sid, AuthorizationServerPolicy.from_dict({
        "type": "OAUTH_AUTHORIZATION_POLICY", "name": "e2e policy", "description": "d", "priority": 1,
        "status": "ACTIVE", "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}}))
    policy = _ok(res, "create_authorization_server_policy")
    assert res[1].status_code == 201 and _v(policy.status) == "ACTIVE"
    res = await client.create_authorization_server_policy_rule(sid, policy.id, AuthorizationServerPolicyRuleRequest
                                                               .from_dict({
        "type": "RESOURCE_ACCESS", "name": "e2e rule", "priority": 1,
        "conditions": {"people": {"groups": {"include": ["EVERYONE"]}},
                       "grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": scopes}},
        "actions": {"token": {"accessTokenLifetimeMinutes": minutes, "refreshTokenLifetimeMinutes": 0,
                              "refreshTokenWindowMinutes": 10080}}}))
    rule = _ok(res, "create_authorization_server_policy_rule")
    assert res[1].status_code == 201 and rule.id.startswith("0pr") and _v(rule.status) == "ACTIVE"
    assert rule.actions.token.access_token_lifetime_minutes == minutes
    return policy.id, rule.id


def _authlib_cc(srv: MockOkta, issuer: str, scope: str) -> dict[str, Any]:
    """Authlib client_credentials with client_secret_basic for the service app (raises OAuthError)."""
    c = srv.creds
    s = OAuth2Session(client_id=c["serviceClientId"], client_secret=c["serviceClientSecret"], scope=scope,
                      token_endpoint_auth_method="client_secret_basic")
    return dict(s.fetch_token(issuer + "/v1/token", grant_type="client_credentials", timeout=HTTP_TIMEOUT,
                              verify=srv.verify))  # explicit: REQUESTS_CA_BUNDLE would beat s.verify


def _denied(srv: MockOkta, issuer: str, scope: str) -> None:
    with pytest.raises(OAuthError) as ei:
        _authlib_cc(srv, issuer, scope)
    assert ei.value.error == "access_denied" and ei.value.description == DENIED, vars(ei.value)
    # the wire: 403 with Okta's OAuth error body (SPEC /oauth2/{id}/v1/token 403 OAuthError)
    r = srv.post(issuer + "/v1/token", data={"grant_type": "client_credentials", "scope": scope},
                 auth=(srv.creds["serviceClientId"], srv.creds["serviceClientSecret"]))
    assert r.status_code == 403 and r.json() == {"error": "access_denied", "error_description": DENIED}, r.text


def _pyjwt(srv: MockOkta, token: str, server) -> dict[str, Any]:
    """PyJWKClient against the jwks_uri of the server's discovery document."""
    doc = srv.get(server.issuer + "/.well-known/openid-configuration").json()
    assert doc["issuer"] == server.issuer and doc["jwks_uri"] == server.issuer + "/v1/keys", doc
    key = jwt.PyJWKClient(doc["jwks_uri"], cache_keys=False, ssl_context=srv.ssl_context(),
                          timeout=HTTP_TIMEOUT).get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=server.audiences[0], issuer=server.issuer)


@pytest.fixture
def srv(spawn, okta_env) -> MockOkta:
    return spawn(list(ARGS), name="authz")


# --- 1. SSWS: server, scope, policy, rule -> the token endpoint obeys (over TLS) --------------------
def test_ssws_policy_rule_governs_client_credentials(spawn, okta_env, tmp_path, monkeypatch) -> None:
    """No policy -> 403 access_denied; ALL_CLIENTS policy + client_credentials rule (15 min) -> a 900 s
    token that PyJWT and okta-jwt-verifier accept; rule deactivated -> denied; activated -> granted."""
    from okta_jwt_verifier import AccessTokenVerifier
    from okta_jwt_verifier.exceptions import OktaJWTBaseException
    srv = spawn([*ARGS, "--tls", "--ca-out", str(tmp_path / "ca.pem")], name="tls")
    audience, scope = f"api://orders-{_tag()}", "orders.read"
    server, _ = _run(lambda: _tls(srv, lambda c: _server_with_scope(c, "orders-" + _tag(), audience, scope)))
    assert server.id.startswith("aus") and len(server.id) == 20 and _v(server.status) == "ACTIVE"
    assert server.issuer == f"{srv.url}/oauth2/{server.id}" and server.audiences == [audience]
    _denied(srv, server.issuer, scope)  # a new server has no policy (PYC test_list_auth_server_policies)

    pid, rid = _run(lambda: _tls(srv, lambda c: _policy_and_rule(c, server.id, [scope])))
    tok = _authlib_cc(srv, server.issuer, scope)
    assert tok["token_type"] == "Bearer" and tok["expires_in"] == 900 and tok["scope"] == scope, tok
    claims = _pyjwt(srv, tok["access_token"], server)
    assert claims["cid"] == srv.creds["serviceClientId"] and claims["scp"] == [scope]
    assert claims["exp"] - claims["iat"] == 900 and claims["aud"] == audience
    assert unverified(tok["access_token"])[0]["kid"] == server.credentials.signing.kid
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", srv.ca_file)
    monkeypatch.setenv("SSL_CERT_FILE", srv.ca_file)
    verifier = AccessTokenVerifier(issuer=server.issuer, audience=audience)
    verifier.verify_sync(tok["access_token"])
    with pytest.raises(OktaJWTBaseException):  # a `default` token is not this server's (issuer, key)
        verifier.verify_sync(_authlib_cc(srv, srv.default_issuer, "api.read")["access_token"])

    res = _run(lambda: _tls(srv, lambda c: c.deactivate_authorization_server_policy_rule(server.id, pid, rid)))
    _status_only(res, 204)  # PYC test_policy_rules_lifecycle
    _denied(srv, server.issuer, scope)

    async def activate(client):
        out = await client.activate_authorization_server_policy_rule(server.id, pid, rid)
        return out, _ok(await client.get_authorization_server_policy_rule(server.id, pid, rid))

    res, rule = _run(lambda: _tls(srv, activate))
    _status_only(res, 204)
    assert _v(rule.status) == "ACTIVE" and _authlib_cc(srv, server.issuer, scope)["expires_in"] == 900


# --- 2. PrivateKey mode: needs okta.authorizationServers.* granted to the service app ---------------
def test_private_key_mode_needs_authorization_server_grants(srv: MockOkta) -> None:
    """Without the grants the SDK's own token request fails; after grant_consent_to_scope (issuer = org
    URL, SPEC AppGrantsPostEx; 201 as the spec says and SDK 3.4.6 reads) the same setup works."""
    from okta.models import AuthorizationServer, OAuth2ScopeConsentGrant
    app_id, audience, scope = srv.creds["serviceClientId"], f"api://pk-{_tag()}", "pk.read"

    _invalid_scope(_run(lambda: _private_key(srv, AS_SCOPES).create_authorization_server(
        AuthorizationServer.from_dict({"name": "pk-denied", "audiences": ["api://x"]}))))

    async def grant():
        admin = _ssws(srv)
        out = [await admin.grant_consent_to_scope(app_id, OAuth2ScopeConsentGrant(issuer=srv.url, scope_id=sc))
               for sc in AS_SCOPES]
        return out, _ok(await admin.list_scope_consent_grants(app_id), "list_scope_consent_grants")

    results, grants = _run(grant)
    for res, sc in zip(results, AS_SCOPES):  # 201 (SPEC; SDK 3.4.6 deserialises only a 201 into the model)
        g = _ok(res, "grant_consent_to_scope")
        assert g.scope_id == sc and g.id.startswith("oag") and g.issuer == srv.url, g
    mine = {g.scope_id: g for g in grants if g.scope_id in AS_SCOPES}
    assert sorted(mine) == sorted(AS_SCOPES), grants
    assert all(g.issuer == srv.url and g.client_id == app_id and _v(g.source) == "ADMIN" for g in mine.values())

    async def setup():
        pk = _private_key(srv, AS_SCOPES)
        server, _ = await _server_with_scope(pk, "pk-" + _tag(), audience, scope)
        await _policy_and_rule(pk, server.id, ["*"], minutes=5)
        return server, _ok(await pk.list_authorization_servers(), "list_authorization_servers")

    server, listed = _run(setup)
    assert server.id in {s.id for s in listed} and "pk-denied" not in {s.name for s in listed}
    tok = _authlib_cc(srv, server.issuer, scope)
    assert tok["expires_in"] == 300 and _pyjwt(srv, tok["access_token"], server)["scp"] == [scope]
    assert any(e["path"] == "/api/v1/authorizationServers" and e["method"] == "POST" and e["status"] == 201
               and e["auth"]["kind"] == "Bearer" for e in srv.control("GET", "/__mock/journal").json()["entries"])


# --- 3. Claims on `default`, seen in password-grant tokens ------------------------------------------
def test_claims_reach_access_and_id_tokens(srv: MockOkta) -> None:
    """RESOURCE claims (constant, user.email, isMemberOfGroupName) go to the access token only; an
    IDENTITY GROUPS claim (STARTS_WITH "Eng") to the ID token only.  Claim shapes: TFV
    TestAccResourceOktaAuthServerClaim_create/_groupType (201; group_filter_type only on GROUPS)."""
    from okta.models import OAuth2Claim
    ex, gr = "EXPRESSION", "GROUPS"
    specs = [("tier", "RESOURCE", ex, '"gold"', None), ("mail", "RESOURCE", ex, "user.email", None),
             ("eng", "RESOURCE", ex, 'isMemberOfGroupName("Engineering")', None),
             ("cid2", "RESOURCE", ex, "app.clientId", None), ("groups", "IDENTITY", gr, "Eng", "STARTS_WITH"),
             ("nogroups", "IDENTITY", gr, "Eng", "EQUALS")]

    async def go():
        client, out = _ssws(srv), []
        for name, ctype, vtype, value, gft in specs:
            body = {"name": name, "claimType": ctype, "valueType": vtype, "value": value, "status": "ACTIVE",
                    "alwaysIncludeInToken": True, "conditions": {"scopes": []}}
            res = await client.create_o_auth2_claim("default", OAuth2Claim.from_dict(
                {**body, "group_filter_type": gft} if gft else body))
            out.append((_ok(res, f"claim {name}"), res[1].status_code, res[1].raw_data))
        return out

    for (claim, status, raw), (_, _, vtype, value, _) in zip(_run(go), specs):
        assert status == 201 and claim.id.startswith("ocl") and claim.value == value, claim
        assert (b'"group_filter_type"' in raw) == (vtype == gr), raw
    c = srv.creds
    r = token_request(srv, {"grant_type": "password", "username": c["user"]["login"],
                            "password": c["user"]["password"], "scope": "openid profile"}, auth=web_basic(srv))
    assert r.status_code == 200, r.text[:300]
    at = verify_jwt(srv, r.json()["access_token"])
    idt = verify_jwt(srv, r.json()["id_token"], audience=c["webClientId"])
    assert (at["tier"], at["mail"], at["eng"], at["cid2"]) == ("gold", c["user"]["login"], True, c["webClientId"])
    assert "groups" not in at and "tier" not in idt, (at, idt)
    assert idt["groups"] == ["Engineering"], idt
    assert "nogroups" not in idt or idt["nogroups"] == [], idt  # EQUALS "Eng" matches no group


# --- 4. Admin roles: an SSWS token acts with its creator's roles at call time -----------------------
def test_admin_roles_decide_what_an_api_token_may_do(srv: MockOkta) -> None:
    """USER_ADMIN assigned (201, id = base32 of the type, PYC test_assign_user_to_role) lets the
    read-only admin's token create a group; a second assign -> 409 E0000090 (Okta error catalogue);
    unassign (204) -> 403 E0000006 again.  The same role through a group (PYC test_group_roles_operations)."""
    from okta.models import AddGroupRequest, AssignRoleToGroupRequest, AssignRoleToUserRequest
    def group(prefix: str):
        return AddGroupRequest.from_dict({"profile": {"name": f"{prefix}-{_tag()}"}})

    async def go():
        admin, ro, o = _ssws(srv), _ssws(srv, srv.creds["readOnlyApiToken"]), {}
        boss = _ok(await admin.get_user("admin@example.com"))
        reader = _ok(await admin.get_user("readonly@example.com"))
        o["boss_roles"] = _ok(await admin.list_assigned_roles_for_user(boss.id), "list roles (admin)")
        o["ro_roles"] = _ok(await admin.list_assigned_roles_for_user(reader.id), "list roles (readonly)")
        o["denied1"] = await ro.add_group(group("ro1"))
        res = await admin.assign_role_to_user(reader.id, AssignRoleToUserRequest.from_dict({"type": "USER_ADMIN"}))
        o["assigned"], o["assign_status"] = _ok(res, "assign_role_to_user").actual_instance, res[1].status_code
        o["created"] = await ro.add_group(group("ro2"))
        o["dup"] = await admin.assign_role_to_user(reader.id, AssignRoleToUserRequest.from_dict({"type": "USER_ADMIN"}))
        o["unassign"] = await admin.unassign_role_from_user(reader.id, o["assigned"].id)
        o["denied2"] = await ro.add_group(group("ro3"))
        # the same role through a group the read-only admin belongs to
        admins = _ok(await admin.add_group(group("user-admins")), "add_group")
        assert (await admin.assign_user_to_group(admins.id, reader.id))[-1] is None
        o["gassign"] = await admin.assign_role_to_group(admins.id,
                                                         AssignRoleToGroupRequest.from_dict({"type": "USER_ADMIN"}))
        o["glist"] = _ok(await admin.list_group_assigned_roles(admins.id), "list_group_assigned_roles")
        o["created2"] = await ro.add_group(group("ro4"))
        return o

    o = _run(go)
    assert [_v(r.actual_instance.type) for r in o["boss_roles"]] == ["SUPER_ADMIN"], o["boss_roles"]
    assert [_v(r.actual_instance.type) for r in o["ro_roles"]] == ["READ_ONLY_ADMIN"], o["ro_roles"]
    _api_error(o["denied1"], 403, "E0000006")
    a = o["assigned"]
    assert o["assign_status"] == 201 and _v(a.type) == "USER_ADMIN" and a.id == "KVJUKUS7IFCE2SKO"
    assert _v(a.assignment_type) == "USER" and _v(a.status) == "ACTIVE", a
    assert _ok(o["created"], "create group as USER_ADMIN").id.startswith("00g")
    err = _api_error(o["dup"], 409, "E0000090")
    assert err.error_summary == "The role specified is already assigned to the user.", err
    _status_only(o["unassign"], 204)
    _api_error(o["denied2"], 403, "E0000006")
    # 201 as recorded (PYC test_group_roles_operations); SDK 3.4.6 maps 201 to no model, so data is None
    _status_only(o["gassign"], 201)
    (g,) = [r.actual_instance for r in o["glist"]]
    assert _v(g.type) == "USER_ADMIN" and _v(g.assignment_type) == "GROUP" and g.id == "KVJUKUS7IFCE2SKO", g
    assert _ok(o["created2"], "create group via group role").id.startswith("00g")


# --- 5. Okta API scope grants decide what the org server issues -------------------------------------
def test_scope_grants_decide_org_tokens(srv: MockOkta) -> None:
    """list_scope_consent_grants -> the service app's three; revoke okta.groups.read (204, PYC
    test_revoke_consent_grant) -> PrivateKey mode asking for it fails; grant again -> it works."""
    from okta.models import OAuth2ScopeConsentGrant
    app_id = srv.creds["serviceClientId"]

    async def go():
        admin, o = _ssws(srv), {}
        o["grants"] = _ok(await admin.list_scope_consent_grants(app_id), "list_scope_consent_grants")
        o["before"] = await _private_key(srv, ["okta.groups.read"]).list_groups(limit=2)
        gid = next(g.id for g in o["grants"] if g.scope_id == "okta.groups.read")
        o["revoke"] = await admin.revoke_scope_consent_grant(app_id, gid)
        o["after_revoke"] = _ok(await admin.list_scope_consent_grants(app_id))
        o["denied"] = await _private_key(srv, ["okta.groups.read"]).list_groups(limit=2)
        o["users_ok"] = await _private_key(srv, ["okta.users.read"]).list_users(limit=2)
        res = await admin.grant_consent_to_scope(app_id, OAuth2ScopeConsentGrant(issuer=srv.url,
                                                                                 scope_id="okta.groups.read"))
        o["regrant"] = res
        await admin.grant_consent_to_scope(app_id, OAuth2ScopeConsentGrant(issuer=srv.url, scope_id="okta.apps.read"))
        o["after_regrant"] = _ok(await admin.list_scope_consent_grants(app_id))
        o["again"] = await _private_key(srv, ["okta.groups.read"]).list_groups(limit=2)
        return o

    o = _run(go)
    assert sorted(g.scope_id for g in o["grants"]) == ["okta.groups.read", "okta.users.manage", "okta.users.read"]
    assert all(g.client_id == app_id and g.issuer == srv.url and g.id.startswith("oag") for g in o["grants"])
    assert len(_ok(o["before"], "list_groups with the grant")) == 2
    _status_only(o["revoke"], 204)
    assert sorted(g.scope_id for g in o["after_revoke"]) == ["okta.users.manage", "okta.users.read"]
    _invalid_scope(o["denied"])
    assert len(_ok(o["users_ok"], "list_users (still granted)")) == 2
    # 201 (SPEC; the SDK's model comes back)
    assert _ok(o["regrant"], "grant_consent_to_scope").scope_id == "okta.groups.read"
    (again,) = [g for g in o["after_regrant"] if g.scope_id == "okta.groups.read"]
    assert _v(again.status) == "ACTIVE" and again.client_id == app_id, again
    assert len(_ok(o["again"], "list_groups after the new grant")) == 2
    (fresh,) = [g for g in o["after_regrant"] if g.scope_id == "okta.apps.read"]  # never granted before
    assert fresh.created == fresh.last_updated, fresh  # a new grant: created == lastUpdated (same cassette)


# --- 6. Key rotation --------------------------------------------------------------------------------
def test_key_rotation_signs_next_token_with_new_kid(srv: MockOkta) -> None:
    """rotate_authorization_server_keys(JwkUse(use="sig")) -> 200 with the new key ACTIVE first and the
    old one EXPIRED (PYC test_rotate_auth_server_keys); the next token carries the new kid."""
    from okta.models import JwkUse
    async def setup():
        client = _ssws(srv)
        server, _ = await _server_with_scope(client, "rot-" + _tag(), "api://rot", "rot.read")
        await _policy_and_rule(client, server.id, ["*"])
        return server, _ok(await client.list_authorization_server_keys(server.id), "list keys")

    server, keys = _run(setup)
    assert len(keys) == 1 and keys[0].kid == server.credentials.signing.kid and keys[0].status == "ACTIVE"
    old = keys[0].kid
    first = _authlib_cc(srv, server.issuer, "rot.read")["access_token"]
    assert unverified(first)[0]["kid"] == old

    async def rotate():
        client = _ssws(srv)
        res = await client.rotate_authorization_server_keys(server.id, JwkUse(use="sig"))
        keys_after = _ok(await client.list_authorization_server_keys(server.id))
        return res, keys_after, _ok(await client.get_authorization_server(server.id))

    res, listed, after = _run(rotate)
    rotated = _ok(res, "rotate_authorization_server_keys")
    assert res[1].status_code == 200 and [k.status for k in rotated] == ["ACTIVE", "EXPIRED"], rotated
    new = rotated[0].kid
    assert new != old and rotated[1].kid == old and [k.kid for k in listed] == [new, old]
    assert after.credentials.signing.kid == new
    tok = _authlib_cc(srv, server.issuer, "rot.read")["access_token"]
    assert unverified(tok)[0]["kid"] == new
    assert _pyjwt(srv, tok, server)["scp"] == ["rot.read"]
