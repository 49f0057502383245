"""The real `okta` Python SDK 3.4.6 (and plain requests) against the Management API.

Every test here needs `/api/v1/*` and is marked `management_api`; they may fail until that part
of the server lands.  The SDK refuses http org URLs unless OKTA_TESTING_TESTINGDISABLEHTTPSCHECK is
set (§6, summary 18); it is set (with monkeypatch) before each Client is built.

Section numbers (§) refer to /work/shared/research/okta-contract.md.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any, Awaitable, Callable

import pytest

from helpers import (
    MockOkta, assertion_form, client_assertion, reset, run_clients, token_request, token_url,
)

pytestmark = pytest.mark.management_api

SDK_TIMEOUT = 30  # seconds for one test's SDK calls


@pytest.fixture
def srv(server_http: MockOkta, okta_env: None) -> MockOkta:
    reset(server_http)  # users created by earlier tests are gone
    return server_http


def _client(config: dict[str, Any]):
    from okta.client import Client as OktaClient

    return OktaClient(config)


def _ssws(server: MockOkta, token: str | None = None):
    return _client({"orgUrl": server.url, "token": token or server.creds["apiToken"]})


def _private_key(server: MockOkta, scopes: list[str]):
    c = server.creds
    return _client({"orgUrl": server.url, "authorizationMode": "PrivateKey", "clientId": c["serviceClientId"],
                    "scopes": scopes, "privateKey": c["servicePrivateKeyPem"], "kid": c["servicePrivateKeyKid"]})


def _run(fn: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(fn(), SDK_TIMEOUT))


def _err(result: tuple) -> Any:
    """The SDK returns (data, resp, err) on success and (resp, err) or (None, resp, err) on failure."""
    return result[-1]


def _status(user: Any) -> str:
    return getattr(user.status, "value", user.status)


def _logins(users: list[Any]) -> set[str]:
    return {u.profile.login for u in users}


# ------------------------------------------------------------------------------------------


def test_list_users_with_api_token(srv: MockOkta) -> None:
    """§3: SSWS API token (the SDK sends `SSWS<token>` without a space); the default tenant's users are listed."""
    async def go():
        return await _ssws(srv).list_users()

    users, resp, err = _run(go)
    assert err is None, err
    assert resp.status_code == 200
    logins = _logins(users)
    assert {"admin@example.com", srv.creds["user"]["login"], srv.creds["unassignedUser"]["login"]} <= logins
    assert len(users) >= 3


def test_get_user_by_login(srv: MockOkta) -> None:
    """§5.1: GET /api/v1/users/{idOrLogin} accepts a login (percent-encoded by the SDK) and an id."""
    login = srv.creds["user"]["login"]

    async def go():
        client = _ssws(srv)
        by_login = await client.get_user(login)
        assert _err(by_login) is None, _err(by_login)
        by_id = await client.get_user(by_login[0].id)
        return by_login[0], by_id

    user, by_id = _run(go)
    assert user.profile.login == login and user.id.startswith("00u") and len(user.id) == 20
    assert _status(user) == "ACTIVE"
    assert _err(by_id) is None and by_id[0].profile.login == login


def test_user_lifecycle_create_deactivate_delete(srv: MockOkta) -> None:
    """§5.1 / summary 19-20: create (200, ACTIVE with a password) → get → deactivate → delete → 404 E0000007."""
    from okta.models import CreateUserRequest

    login = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    body = CreateUserRequest.from_dict({
        "profile": {"firstName": "End", "lastName": "ToEnd", "email": login, "login": login},
        "credentials": {"password": {"value": "Sup3r-Secret-" + uuid.uuid4().hex[:8]}},
    })

    async def go():
        client = _ssws(srv)
        created = await client.create_user(body, activate=True)
        assert _err(created) is None, _err(created)
        user, resp, _ = created
        assert resp.status_code == 200  # never 201 (summary 20)
        assert user.profile.login == login and _status(user) == "ACTIVE"

        got = await client.get_user(user.id)
        assert _err(got) is None and got[0].id == user.id

        listed = await client.list_users()
        assert login in _logins(listed[0])

        deact = await client.deactivate_user(user.id)
        assert _err(deact) is None, _err(deact)
        got = await client.get_user(user.id)
        assert _err(got) is None and _status(got[0]) == "DEPROVISIONED"

        deleted = await client.delete_user(user.id)
        assert _err(deleted) is None, _err(deleted)
        gone = await client.get_user(user.id)
        return _err(gone)

    err = _run(go)
    assert err is not None and err.status == 404 and err.error_code == "E0000007", err


def test_duplicate_login_is_e0000001(srv: MockOkta) -> None:
    """§1.2/§5.1: creating a user with an existing login is 400 E0000001."""
    from okta.models import CreateUserRequest

    login = srv.creds["user"]["login"]
    body = CreateUserRequest.from_dict({"profile": {"firstName": "A", "lastName": "B", "email": login,
                                                    "login": login}})

    async def go():
        return await _ssws(srv).create_user(body, activate=False)

    err = _err(_run(go))
    assert err is not None and err.status == 400 and err.error_code == "E0000001", err


def test_reset_removes_created_users(srv: MockOkta) -> None:
    """PRODUCT.md /__mock/reset: users created since start are gone after a reset."""
    from okta.models import CreateUserRequest

    login = f"e2e-reset-{uuid.uuid4().hex[:8]}@example.com"
    body = CreateUserRequest.from_dict({"profile": {"firstName": "R", "lastName": "S", "email": login,
                                                    "login": login}})

    async def create():
        return await _ssws(srv).create_user(body, activate=False)

    assert _err(_run(create)) is None
    reset(srv)

    async def get():
        return await _ssws(srv).get_user(login)

    err = _err(_run(get))
    assert err is not None and err.status == 404


def test_invalid_api_token_is_401_e0000011(srv: MockOkta) -> None:
    """§3 / summary 11: a bad SSWS token gives 401 E0000011 "Invalid token provided"."""
    async def go():
        return await _ssws(srv, token="00NotARealApiToken000000000000000000000000").list_users()

    err = _err(_run(go))
    assert err is not None and err.status == 401 and err.error_code == "E0000011", err


def test_read_only_admin_cannot_create(srv: MockOkta) -> None:
    """§1.2/§3: the read-only admin's token lists users but a create is 403 E0000006."""
    from okta.models import CreateUserRequest

    token = srv.creds["readOnlyApiToken"]
    login = f"e2e-ro-{uuid.uuid4().hex[:8]}@example.com"
    body = CreateUserRequest.from_dict({"profile": {"firstName": "R", "lastName": "O", "email": login,
                                                    "login": login}})

    async def go():
        client = _ssws(srv, token=token)
        listed = await client.list_users()
        created = await client.create_user(body, activate=False)
        return listed, created

    listed, created = _run(go)
    assert _err(listed) is None and srv.creds["user"]["login"] in _logins(listed[0])
    err = _err(created)
    assert err is not None and err.status == 403 and err.error_code == "E0000006", err


def test_private_key_mode_lists_users(srv: MockOkta) -> None:
    """§6 / summary 12: PrivateKey mode posts an assertion to {orgUrl}/oauth2/v1/token, then uses Bearer."""
    async def go():
        return await _private_key(srv, ["okta.users.read"]).list_users()

    users, resp, err = _run(go)
    assert err is None, err
    assert srv.creds["user"]["login"] in _logins(users)


def test_private_key_mode_unknown_kid_fails(srv: MockOkta) -> None:
    """§6: an OAuth error at the token endpoint comes back as an error (invalid_client), not as users."""
    c = srv.creds

    async def go():
        client = _client({"orgUrl": srv.url, "authorizationMode": "PrivateKey", "clientId": c["serviceClientId"],
                          "scopes": ["okta.users.read"], "privateKey": c["servicePrivateKeyPem"],
                          "kid": "not-the-kid"})
        return await client.list_users()

    result = _run(go)
    err = _err(result)
    assert err is not None, result
    assert "invalid_client" in str(err)


def test_no_authorization_header_is_403_e0000005(srv: MockOkta) -> None:
    """§3 / summary 11: no Authorization header gives 403 E0000005 "Invalid session"."""
    r = srv.get("/api/v1/users", headers={"Accept": "application/json"})
    assert r.status_code == 403
    body = r.json()
    assert body["errorCode"] == "E0000005"
    for key in ("errorSummary", "errorLink", "errorId", "errorCauses"):
        assert key in body, key  # summary 1


def test_bearer_token_missing_scope_is_403_insufficient_scope(srv: MockOkta) -> None:
    """§3: a Bearer token without okta.users.manage creating a user gets 403 + WWW-Authenticate insufficient_scope."""
    r = token_request(srv, assertion_form(client_assertion(srv, token_url(srv, "org")), "okta.users.read"),
                      as_id="org")
    assert r.status_code == 200, r.text[:300]
    at = r.json()["access_token"]
    login = f"e2e-scope-{uuid.uuid4().hex[:8]}@example.com"
    r = srv.post("/api/v1/users?activate=false", headers={"Authorization": f"Bearer {at}"},
                 json={"profile": {"firstName": "S", "lastName": "C", "email": login, "login": login}})
    assert r.status_code == 403
    www = r.headers.get("WWW-Authenticate", "")
    assert www.startswith("Bearer") and 'error="insufficient_scope"' in www, www
    # and the read it was granted works
    assert srv.get("/api/v1/users", headers={"Authorization": f"Bearer {at}"}).status_code == 200


def test_sdk_over_tls_with_ssl_cert_file(server_tls: MockOkta) -> None:
    """§6 quirks: with SSL_CERT_FILE set before the process starts, the SDK works against https unmodified."""
    res = run_clients([{"op": "sdk_list_users",
                        "config": {"orgUrl": server_tls.url, "token": server_tls.creds["apiToken"]}}],
                      ca_file=server_tls.ca_file)
    assert res[0]["ok"], res[0]
    assert server_tls.creds["user"]["login"] in res[0]["value"]
