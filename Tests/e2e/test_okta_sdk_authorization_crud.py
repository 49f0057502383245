"""The okta SDK 3.4.6 reading, replacing and deleting every authorization object it can create (issue 12 "Done
when": created, read, changed and deleted through /api/v1 as the okta SDK does it), so each answer is parsed by the
SDK's own models: servers, keys, scopes, claims, access policies and rules, role assignments, scope grants.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fault_helpers import enum_value as _v, okta_client_class, preload_okta_sdk
from fault_helpers import sdk_api_error as _api_error, sdk_ok as _ok
from helpers import MockOkta

pytestmark = pytest.mark.management_api

preload_okta_sdk()

ARGS = ["--host", "127.0.0.1", "--port", "0", "--seed", "1"]


@pytest.fixture
def srv(spawn, okta_env) -> MockOkta:
    return spawn(list(ARGS), name="authz-crud")


def _run(fn) -> Any:
    return asyncio.run(asyncio.wait_for(fn(), 40))


def test_sdk_reads_replaces_and_deletes_every_object(srv: MockOkta) -> None:
    from okta.models import (
        AuthorizationServer, AuthorizationServerPolicy, AuthorizationServerPolicyRuleRequest, OAuth2Claim, OAuth2Scope,
    )

    sdk = okta_client_class()({"orgUrl": srv.url, "token": srv.creds["apiToken"]})

    async def go() -> dict[str, Any]:
        o: dict[str, Any] = {}
        server = _ok(await sdk.create_authorization_server(AuthorizationServer.from_dict(
            {"name": "crud", "description": "d", "audiences": ["api://crud"]})), "create server")
        sid = server.id
        o["replaced"] = _ok(await sdk.replace_authorization_server(sid, AuthorizationServer.from_dict(
            {"name": "crud2", "description": "d2", "audiences": ["api://crud2"]})), "replace server")
        o["got"] = _ok(await sdk.get_authorization_server(sid), "get server")
        keys = _ok(await sdk.list_authorization_server_keys(sid), "list keys")
        o["key"] = _ok(await sdk.get_authorization_server_key(sid, keys[0].kid), "get key")
        scope = _ok(await sdk.create_o_auth2_scope(sid, OAuth2Scope.from_dict({"name": "crud.read"})), "scope")
        o["scope"] = _ok(await sdk.replace_o_auth2_scope(sid, scope.id, OAuth2Scope.from_dict(
            {"name": "crud.view", "consent": "REQUIRED", "metadataPublish": "ALL_CLIENTS"})), "replace scope")
        o["scope_get"] = _ok(await sdk.get_o_auth2_scope(sid, scope.id), "get scope")
        o["scopes"] = _ok(await sdk.list_o_auth2_scopes(sid), "list scopes")
        o["scope_del"] = await sdk.delete_o_auth2_scope(sid, scope.id)
        o["scope_gone"] = await sdk.get_o_auth2_scope(sid, scope.id)
        claim = _ok(await sdk.create_o_auth2_claim(sid, OAuth2Claim.from_dict(
            {"name": "tier", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "\"gold\"",
             "status": "ACTIVE", "alwaysIncludeInToken": True, "conditions": {"scopes": []}})), "claim")
        o["claim"] = _ok(await sdk.replace_o_auth2_claim(sid, claim.id, OAuth2Claim.from_dict(
            {"name": "tier", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "\"silver\"",
             "status": "INACTIVE", "alwaysIncludeInToken": True, "conditions": {"scopes": []}})), "replace claim")
        o["claims"] = _ok(await sdk.list_o_auth2_claims(sid), "list claims")
        o["claim_del"] = await sdk.delete_o_auth2_claim(sid, claim.id)
        policy = _ok(await sdk.create_authorization_server_policy(sid, AuthorizationServerPolicy.from_dict({
            "type": "OAUTH_AUTHORIZATION_POLICY", "name": "P", "description": "d", "priority": 1,
            "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}})), "policy")
        o["policy"] = _ok(await sdk.replace_authorization_server_policy(sid, policy.id,
                                                                         AuthorizationServerPolicy.from_dict({
            "type": "OAUTH_AUTHORIZATION_POLICY", "name": "P2", "description": "d2", "priority": 1,
            "conditions": {"clients": {"include": [srv.creds["serviceClientId"]]}}})), "replace policy")
        body = {"type": "RESOURCE_ACCESS", "name": "R", "priority": 1,
                "conditions": {"people": {"groups": {"include": ["EVERYONE"]}},
                               "grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["*"]}},
                "actions": {"token": {"accessTokenLifetimeMinutes": 30, "refreshTokenLifetimeMinutes": 0,
                                      "refreshTokenWindowMinutes": 10080}}}
        rule = _ok(await sdk.create_authorization_server_policy_rule(
            sid, policy.id, AuthorizationServerPolicyRuleRequest.from_dict(body)), "rule")
        body["name"] = "R2"
        body["actions"]["token"]["accessTokenLifetimeMinutes"] = 45
        o["rule"] = _ok(await sdk.replace_authorization_server_policy_rule(
            sid, policy.id, rule.id, AuthorizationServerPolicyRuleRequest.from_dict(body)), "replace rule")
        o["rules"] = _ok(await sdk.list_authorization_server_policy_rules(sid, policy.id), "list rules")
        o["rule_get"] = _ok(await sdk.get_authorization_server_policy_rule(sid, policy.id, rule.id), "get rule")
        o["rule_del"] = await sdk.delete_authorization_server_policy_rule(sid, policy.id, rule.id)
        o["policies"] = _ok(await sdk.list_authorization_server_policies(sid), "list policies")
        o["policy_del"] = await sdk.delete_authorization_server_policy(sid, policy.id)
        o["policy_gone"] = await sdk.get_authorization_server_policy(sid, policy.id)
        o["server_del"] = await sdk.delete_authorization_server(sid)
        o["server_gone"] = await sdk.get_authorization_server(sid)
        o["roles"] = _ok(await sdk.list_assigned_roles_for_user("admin@example.com"), "list roles")
        first = getattr(o["roles"][0], "actual_instance", o["roles"][0])  # the SDK's oneOf wrapper, if any
        o["role_get"] = _ok(await sdk.get_user_assigned_role("admin@example.com", first.id), "get role")
        return o

    o = _run(go)
    assert o["replaced"].name == "crud2" and o["replaced"].audiences == ["api://crud2"]
    assert o["got"].description == "d2" and _v(o["got"].status) == "ACTIVE"
    assert _v(o["key"].status) == "ACTIVE" and o["key"].alg == "RS256"
    assert o["scope"].name == "crud.view" and _v(o["scope"].consent) == "REQUIRED"
    assert o["scope_get"].name == "crud.view"
    # custom scopes first, then the six system scopes (PYC test_list_oauth2_scopes)
    assert [s.name for s in o["scopes"]] == ["crud.view", "openid", "profile", "email", "address", "phone",
                                             "offline_access"]
    assert o["scope_del"][-1] is None
    _api_error(o["scope_gone"], 404, "E0000007")
    assert o["claim"].value == "\"silver\"" and _v(o["claim"].status) == "INACTIVE"
    assert [c.name for c in o["claims"]] == ["tier"] and o["claim_del"][-1] is None
    assert o["policy"].name == "P2" and o["policy"].conditions.clients.include == [srv.creds["serviceClientId"]]
    assert o["rule"].name == "R2" and o["rule"].actions.token.access_token_lifetime_minutes == 45
    assert [r.name for r in o["rules"]] == ["R2"] and o["rule_get"].id == o["rule"].id
    assert o["rule_del"][-1] is None and [p.name for p in o["policies"]] == ["P2"]
    assert o["policy_del"][-1] is None
    _api_error(o["policy_gone"], 404, "E0000007")
    assert o["server_del"][-1] is None
    _api_error(o["server_gone"], 404, "E0000007")
    assert len(o["roles"]) == 1
    role = getattr(o["role_get"], "actual_instance", o["role_get"])
    assert _v(role.type) == "SUPER_ADMIN" and role.label == "Super Administrator"
