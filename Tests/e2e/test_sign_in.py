"""Sign-in with real clients (issue 13): the Authn API driven with requests as Okta's Authn reference shows
it, a sessionToken exchanged by Authlib's code flow, PyJWT verifying the tokens, pyotp computing TOTP codes
from the secret /__mock/tenant shows, the okta SDK reading zones and sign-on policies, and the System Log
queried with the troubleshooting guide's own filter.
"""

from __future__ import annotations

import asyncio
import os
import uuid
import urllib.parse
from typing import Any, Iterator

import pyotp
import pytest
from authlib.integrations.requests_client import OAuth2Session

from conftest import BASE_ARGS
from fault_helpers import okta_client_class
from helpers import HTTP_TIMEOUT, MockOkta, pkce_pair, verify_jwt

ANN = "ann@example.com"


@pytest.fixture
def srv(spawn) -> Iterator[MockOkta]:
    """A fresh server per test: sign-in state (lockouts, factors, policies) does not leak between tests."""
    yield spawn(list(BASE_ARGS), name="signin")


def load(srv: MockOkta, doc: dict[str, Any]) -> None:
    r = srv.control("POST", "/__mock/scenario", json={"version": 1, "name": "t", **doc})
    assert r.status_code == 200, r.text


def authn(srv: MockOkta, password: str | None = None, **headers: str) -> Any:
    return srv.post("/api/v1/authn", json={"username": ANN, "password": password or srv.creds["user"]["password"]},
                    headers={"Accept": "application/json", **headers})


def admin(srv: MockOkta) -> dict[str, str]:
    return {"Authorization": f"SSWS {srv.creds['apiToken']}", "Accept": "application/json"}


def totp_secret(srv: MockOkta, factor_id: str) -> str:
    users = srv.control("GET", "/__mock/tenant").json()["users"]
    return next(f["secret"] for u in users for f in u.get("factors", []) if f["id"] == factor_id)


def code_flow_with_session_token(srv: MockOkta, session_token: str) -> dict[str, Any]:
    """Authlib authorization-code flow (PKCE S256) where the user is the one the sessionToken names."""
    c = srv.creds
    s = OAuth2Session(client_id=c["webClientId"], client_secret=c["webClientSecret"], scope="openid profile",
                      redirect_uri=c["webRedirectUri"], code_challenge_method="S256",
                      token_endpoint_auth_method="client_secret_basic")
    verifier, _ = pkce_pair()
    state, nonce = uuid.uuid4().hex, uuid.uuid4().hex
    url, _ = s.create_authorization_url(f"{srv.default_issuer}/v1/authorize", state=state, code_verifier=verifier,
                                        nonce=nonce, sessionToken=session_token)
    r = srv.get(url)
    assert r.status_code == 302, f"{r.status_code} {r.text[:300]}"
    location = r.headers["Location"]
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert q.get("code") and q.get("state") == state, q
    token = s.fetch_token(f"{srv.default_issuer}/v1/token", authorization_response=location, state=state,
                          code_verifier=verifier, timeout=HTTP_TIMEOUT)
    claims = verify_jwt(srv, token["id_token"], audience=c["webClientId"], issuer=srv.default_issuer)
    assert claims["nonce"] == nonce
    return {"token": token, "id": claims, "cookies": r.cookies}


def test_authn_session_token_signs_in_through_authlib(srv: MockOkta) -> None:
    """POST /api/v1/authn → SUCCESS with a sessionToken; /authorize?sessionToken= gives a code; the ID token
    verifies with PyJWT against the JWKS and names Ann; the sessionToken is single-use."""
    r = authn(srv)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "SUCCESS" and body["_embedded"]["user"]["profile"]["login"] == ANN
    flow = code_flow_with_session_token(srv, body["sessionToken"])
    assert flow["id"]["sub"] == body["_embedded"]["user"]["id"]
    assert "pwd" in flow["id"]["amr"]
    again = srv.get(f"{srv.default_issuer}/v1/authorize", params={
        "client_id": srv.creds["webClientId"], "response_type": "code", "scope": "openid", "state": "s",
        "redirect_uri": srv.creds["webRedirectUri"], "sessionToken": body["sessionToken"], "prompt": "none"})
    assert "error=login_required" in again.headers.get("Location", ""), again.headers


def test_wrong_password_is_e0000004_and_the_guides_query_finds_it(srv: MockOkta) -> None:
    """Authn reference: 401 E0000004 "Authentication failed"; the troubleshooting guide's System Log query
    (user.session.start with outcome FAILURE) finds it, with legacyEventType core.user_auth.login_failed."""
    r = authn(srv, "not-her-password")
    assert r.status_code == 401 and r.json()["errorCode"] == "E0000004", r.text
    assert r.json()["errorSummary"] == "Authentication failed"
    logs = srv.get("/api/v1/logs", headers=admin(srv), params={
        "filter": 'eventType eq "user.session.start" and outcome.result eq "FAILURE"'}).json()
    assert logs and logs[-1]["legacyEventType"] == "core.user_auth.login_failed", logs
    assert logs[-1]["actor"]["alternateId"] == ANN


def test_lockout_after_the_policys_attempts_and_admin_unlock(srv: MockOkta) -> None:
    """tenant.signOn.maxAttempts 3: three wrong passwords lock Ann (user.account.lock); then even the right
    password answers LOCKED_OUT; POST /api/v1/users/{id}/lifecycle/unlock lets her in again."""
    load(srv, {"tenant": {"signOn": {"maxAttempts": 3}}})
    for _ in range(3):
        assert authn(srv, "wrong").status_code == 401
    locked = authn(srv)
    assert locked.status_code == 200 and locked.json()["status"] == "LOCKED_OUT", locked.text
    assert "next" not in locked.json()["_links"]  # no self-service unlock in the default policy: no dead link
    events = srv.get("/api/v1/logs", headers=admin(srv), params={"filter": 'eventType eq "user.account.lock"'}).json()
    assert len(events) == 1
    uid = srv.get(f"/api/v1/users/{ANN}", headers=admin(srv)).json()["id"]
    assert srv.post(f"/api/v1/users/{uid}/lifecycle/unlock", headers=admin(srv)).status_code == 200
    assert authn(srv).json()["status"] == "SUCCESS"


def test_mfa_required_totp_with_pyotp_then_code_flow(srv: MockOkta) -> None:
    """requireMfa: MFA_REQUIRED with a stateToken; pyotp computes the code from the tenant's secret; a wrong code
    is 403 E0000068, the same right code twice is 403 E0000082; the sessionToken gives tokens with mfa in amr."""
    load(srv, {"tenant": {"users": [{"login": ANN, "totp": True}], "signOn": {"requireMfa": True}}})
    r = authn(srv).json()
    assert r["status"] == "MFA_REQUIRED", r
    factor = r["_embedded"]["factors"][0]
    assert factor["factorType"] == "token:software:totp"
    verify = factor["_links"]["verify"]["href"]
    wrong = srv.post(verify, json={"stateToken": r["stateToken"], "passCode": "000000"})
    assert wrong.status_code == 403 and wrong.json()["errorCode"] == "E0000068", wrong.text
    code = pyotp.TOTP(totp_secret(srv, factor["id"])).now()
    ok = srv.post(verify, json={"stateToken": r["stateToken"], "passCode": code})
    assert ok.status_code == 200 and ok.json()["status"] == "SUCCESS", ok.text
    second = authn(srv).json()
    replay = srv.post(second["_embedded"]["factors"][0]["_links"]["verify"]["href"],
                      json={"stateToken": second["stateToken"], "passCode": code})
    assert replay.status_code == 403 and replay.json()["errorCode"] == "E0000082", replay.text
    flow = code_flow_with_session_token(srv, ok.json()["sessionToken"])
    assert "mfa" in flow["id"]["amr"], flow["id"]


def test_sessions_api_and_silent_sign_in_with_the_cookie(srv: MockOkta) -> None:
    """POST /api/v1/sessions exchanges a sessionToken; GET shows it ACTIVE; the sid cookie /authorize set signs
    in silently (prompt=none gives a code); DELETE ends the session, after which prompt=none is login_required."""
    token = authn(srv).json()["sessionToken"]
    s = srv.post("/api/v1/sessions", headers=admin(srv), json={"sessionToken": token})
    assert s.status_code == 200 and s.json()["status"] == "ACTIVE" and s.json()["login"] == ANN, s.text
    sid = s.json()["id"]
    assert srv.get(f"/api/v1/sessions/{sid}", headers=admin(srv)).json()["id"] == sid
    flow = code_flow_with_session_token(srv, authn(srv).json()["sessionToken"])
    params = {"client_id": srv.creds["webClientId"], "response_type": "code", "scope": "openid", "state": "s2",
              "redirect_uri": srv.creds["webRedirectUri"], "prompt": "none"}
    silent = srv.get(f"{srv.default_issuer}/v1/authorize", params=params, cookies=flow["cookies"])
    assert "code=" in silent.headers.get("Location", ""), silent.headers
    cookie_sid = flow["cookies"].get("sid")
    assert srv.request("DELETE", f"/api/v1/sessions/{cookie_sid}", headers=admin(srv)).status_code == 204
    after = srv.get(f"{srv.default_issuer}/v1/authorize", params=params, cookies=flow["cookies"])
    assert "error=login_required" in after.headers.get("Location", ""), after.headers


def test_zone_denial_and_the_okta_sdk_reads_zones_and_policies(srv: MockOkta, monkeypatch) -> None:
    """An IP zone created with the okta SDK (create_network_zone), a DENY rule for it on the Default Policy
    (list_policies type OKTA_SIGN_ON, create_policy_rule): /api/v1/authn from that zone is 401 E0000004 and
    policy.evaluate_sign_on records DENY; the SDK parses every object."""
    for k in list(os.environ):
        if k.startswith("OKTA_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "1")
    from okta.models import IPNetworkZone, PolicyRule

    def inner(x: Any) -> Any:  # oneOf wrappers keep the model in actual_instance; plain models are themselves
        return getattr(x, "actual_instance", None) or x

    async def go() -> dict[str, Any]:
        client = okta_client_class()({"orgUrl": srv.url, "token": srv.creds["apiToken"]})
        zone_body = IPNetworkZone.from_dict({
            "type": "IP", "name": "Branch", "usage": "POLICY",
            "gateways": [{"type": "CIDR", "value": "203.0.113.0/24"}],
            "proxies": [{"type": "CIDR", "value": "127.0.0.1/32"}]})
        zone, _, err = await client.create_network_zone(zone_body)
        assert err is None, err
        zones, _, err = await client.list_network_zones()
        assert err is None, err
        policies, _, err = await client.list_policies(type="OKTA_SIGN_ON")
        assert err is None, err
        default = policies[-1]
        rule_body = PolicyRule.from_dict({
            "type": "SIGN_ON", "name": "Deny branch",
            "conditions": {"network": {"connection": "ZONE", "include": [inner(zone).id]}},
            "actions": {"signon": {"access": "DENY"}}})
        rule, _, err = await client.create_policy_rule(inner(default).id, rule_body)
        assert err is None, err
        return {"zone": inner(zone).id, "zones": [inner(z).name for z in zones],
                "policy": inner(default).name, "rule": inner(rule).name}

    got = asyncio.run(asyncio.wait_for(go(), 30))
    assert got["zones"] == ["BlockedIpZone", "LegacyIpZone", "Branch"], got
    assert got["policy"] == "Default Policy" and got["rule"] == "Deny branch", got
    denied = authn(srv, **{"X-Forwarded-For": "203.0.113.50"})
    assert denied.status_code == 401 and denied.json()["errorCode"] == "E0000004", denied.text
    assert authn(srv, **{"X-Forwarded-For": "198.51.100.9"}).json()["status"] == "SUCCESS"
    logs = srv.get("/api/v1/logs", headers=admin(srv), params={
        "filter": 'eventType eq "policy.evaluate_sign_on" and outcome.result eq "DENY"'}).json()
    assert len(logs) == 1 and logs[0]["debugContext"]["debugData"]["clientIp"] == "203.0.113.50", logs


def test_sms_code_from_mock_messages_and_push_approved_by_action(srv: MockOkta) -> None:
    """SMS and push as a client polls them: verify without a code → MFA_CHALLENGE; the code is read at
    /__mock/factors/messages (no real delivery); a push is WAITING until POST /__mock/actions respondPush."""
    load(srv, {"tenant": {"users": [{"login": ANN, "factors": ["sms", "push"]}], "signOn": {"requireMfa": True}}})
    r = authn(srv).json()
    factors = {f["factorType"]: f for f in r["_embedded"]["factors"]}
    assert set(factors) == {"sms", "push"}, factors
    sms = factors["sms"]["_links"]["verify"]["href"]
    c = srv.post(sms, json={"stateToken": r["stateToken"]}).json()
    assert c["status"] == "MFA_CHALLENGE" and c["_links"]["next"]["name"] == "verify", c
    msgs = srv.control("GET", "/__mock/factors/messages", params={"user": ANN}).json()["messages"]
    assert msgs and msgs[0]["factorType"] == "sms", msgs
    ok = srv.post(sms, json={"stateToken": r["stateToken"], "passCode": msgs[0]["code"]}).json()
    assert ok["status"] == "SUCCESS", ok

    r2 = authn(srv).json()
    push = next(f for f in r2["_embedded"]["factors"] if f["factorType"] == "push")["_links"]["verify"]["href"]
    polls = [srv.post(push, json={"stateToken": r2["stateToken"]}).json() for _ in range(2)]
    assert [p.get("factorResult") for p in polls] == ["WAITING", "WAITING"], polls
    assert polls[-1]["_links"]["next"]["name"] == "poll"
    a = srv.control("POST", "/__mock/actions", json={"type": "respondPush", "user": ANN})
    assert a.status_code == 200 and a.json()["ok"] is True, a.text
    done = srv.post(push, json={"stateToken": r2["stateToken"]}).json()
    assert done["status"] == "SUCCESS" and done["sessionToken"], done
