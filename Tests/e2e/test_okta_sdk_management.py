"""The real `okta` Python SDK 3.4.6 driving the Management API of a tenant with 466 users.

Each test starts its own server (the ``spawn`` fixture) with a scenario that adds 460 generated users
to the default tenant, then drives it with the SDK's async API (calls return ``(data, resp, err)``).
Covered: paging over all users (and filter / search / q), user CRUD and lifecycle, groups, apps and
their user / group assignments (and their effect on the next sign-in), the System Log, authorization
servers, every denial surfacing as the right ``OktaAPIError`` code *and* as a System Log event, the
SDK's OAuth "PrivateKey" mode, and both modes over TLS with the mock's CA.

SDK 3.4.6 facts this file relies on (checked against the installed package):
- List calls return a pydantic ``ApiResponse`` (``status_code``, ``headers``, ``data``); it has no
  ``has_next()``/``next()``.  The SDK pages with ``okta.pagination.PaginationHelper.extract_next_cursor(
  resp.headers)`` + ``after=`` (``paginate_all`` does the same).  ``headers`` is a plain dict, so only
  the *last* ``Link`` header survives (§6): the server must send ``rel="self"`` first, ``rel="next"`` last.
- The System Log call is ``list_log_events`` (there is no ``get_logs``); a POST partial update is
  ``update_user`` and a PUT replace is ``replace_user``; the second DELETE is ``delete_user`` again.
- An error status with an empty body (Okta's 403 insufficient_scope) comes back as
  ``(None, ApiResponse(status_code=403), None)``: no error object at all (§1.1, summary 3).

Section numbers (§) refer to /work/shared/research/okta-contract.md.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

import pytest

from fault_helpers import okta_client_class, preload_okta_sdk, ssws
from helpers import (
    MockOkta, authorize_url, clean_env, pkce_pair, redirect_params, tenant,
)

pytestmark = pytest.mark.management_api

preload_okta_sdk()  # the import takes 7-20 s; start it while the first server comes up

SDK_TIMEOUT = 45  # seconds for one test's SDK calls
BASE_ARGS = ["--host", "127.0.0.1", "--port", "0", "--seed", "1"]
SCENARIO = {"version": 1, "name": "many", "description": "d", "tenant": {"generateUsers": 460}}


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture
def okta_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No inherited OKTA_* configuration; the https check disabled for plain http (§6, summary 18)."""
    for k in list(os.environ):
        if k.startswith("OKTA_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "1")


def _scenario_file(tmp_path) -> str:
    path = tmp_path / "many.json"
    path.write_text(json.dumps(SCENARIO))
    return str(path)


@pytest.fixture
def many(spawn, tmp_path, okta_env) -> MockOkta:
    """A plain-HTTP server: default tenant + 460 generated users (466 in all)."""
    return spawn([*BASE_ARGS, "--scenario", _scenario_file(tmp_path)], name="many")


def _ssws(srv: MockOkta, token: str | None = None):
    return okta_client_class()({"orgUrl": srv.url, "token": token or srv.creds["apiToken"]})


def _private_key(srv: MockOkta, scopes: list[str]):
    c = srv.creds
    return okta_client_class()({
        "orgUrl": srv.url, "authorizationMode": "PrivateKey", "clientId": c["serviceClientId"],
        "scopes": scopes, "privateKey": c["servicePrivateKeyPem"], "kid": c["servicePrivateKeyKid"],
    })


def _run(fn: Callable[[], Awaitable[Any]], timeout: float = SDK_TIMEOUT) -> Any:
    return asyncio.run(asyncio.wait_for(fn(), timeout))


def _ok(result: tuple, what: str = "call") -> Any:
    """Assert an SDK (data, resp, err) result has no error; return data."""
    assert len(result) == 3 and result[-1] is None, f"{what}: SDK returned an error: {result!r}"
    return result[0]


def _api_error(result: tuple, status: int, code: str) -> Any:
    """Assert the SDK surfaced an OktaAPIError with `status` and `code`; return it."""
    from okta.errors.okta_api_error import OktaAPIError

    err = result[-1]
    assert isinstance(err, OktaAPIError), f"expected OktaAPIError {status} {code}, got {result!r}"
    assert err.status == status and err.error_code == code, f"{err.status} {err.error_code}: {err}"
    assert err.error_summary and err.error_id, vars(err)
    return err


def _status(obj: Any) -> str:
    return getattr(obj.status, "value", obj.status)


def _new_login(tag: str) -> str:
    return f"sdk-{tag}-{uuid.uuid4().hex[:8]}@example.com"


def _create_body(login: str, *, password: bool = True, first: str = "Sdk", last: str = "User"):
    from okta.models import CreateUserRequest

    body: dict[str, Any] = {"profile": {"firstName": first, "lastName": last, "email": login, "login": login}}
    if password:
        body["credentials"] = {"password": {"value": "Sup3r-Secret-" + uuid.uuid4().hex[:8]}}
    return CreateUserRequest.from_dict(body)


async def _all_pages(call: Callable[..., Awaitable[tuple]], **kw: Any) -> list[list[Any]]:
    """Page the way SDK 3.4.6 does: PaginationHelper.extract_next_cursor(resp.headers), then `after=`."""
    from okta.pagination import PaginationHelper

    pages: list[list[Any]] = []
    after = None
    for _ in range(100):  # bounded
        args = dict(kw)
        if after:
            args["after"] = after
        result = await call(**args)
        page = _ok(result, f"page {len(pages) + 1} of {kw}")
        pages.append(page or [])
        after = PaginationHelper.extract_next_cursor(result[1].headers)
        if not after:
            return pages
    raise AssertionError("more than 100 pages")


def _admin_get(srv: MockOkta, path: str, **params: Any) -> Any:
    r = srv.get(path, params=params or None, headers={**ssws(srv), "Accept": "application/json"})
    assert r.status_code == 200, f"GET {path} -> {r.status_code} {r.text[:300]}"
    return r.json()


def _log_events(srv: MockOkta, event_type: str, **params: Any) -> list[dict[str, Any]]:
    """GET /api/v1/logs?filter=eventType eq "<type>" with the admin token (plain requests)."""
    return _admin_get(srv, "/api/v1/logs", filter=f'eventType eq "{event_type}"', limit=1000, **params)


def _failure_event_for(srv: MockOkta, event_type: str, request_id: str) -> dict[str, Any]:
    """The FAILURE event of `event_type` written for the request with X-Okta-Request-Id `request_id`."""
    events = _log_events(srv, event_type)
    assert events, f"no {event_type} event in the System Log"
    mine = [e for e in events
            if ((e.get("debugContext") or {}).get("debugData") or {}).get("requestId") == request_id]
    assert mine, f"no {event_type} event for request {request_id}: {json.dumps(events)[:1500]}"
    ev = mine[0]
    assert ev["eventType"] == event_type
    assert ev["outcome"]["result"] == "FAILURE", ev["outcome"]
    assert ev.get("uuid") and ev.get("published", "").endswith("Z"), ev
    return ev


def _refusal_logged(srv: MockOkta, request_id: str, status: int, reason: str) -> None:
    """Okta's catalogue has no event for a request refused by API authentication (okta/okta-developer-docs
    data/event-types.json 2026.08.1); the mock writes its documented mock-only system.operation.request_denied
    (debugData.mockOnly true) for it, and the journal records the request."""
    ev = _failure_event_for(srv, "system.operation.request_denied", request_id)
    assert ev["debugContext"]["debugData"].get("mockOnly") is True and ev["legacyEventType"] is None, ev
    assert reason in (ev["outcome"].get("reason") or ""), ev["outcome"]
    j = srv.control("GET", "/__mock/journal")
    assert j.status_code == 200
    entries = [e for e in j.json()["entries"] if e["id"] == request_id]
    assert entries and entries[0]["status"] == status, entries


def _tenant_users(srv: MockOkta) -> list[dict[str, Any]]:
    return tenant(srv)["users"]


def _authorize(srv: MockOkta, login: str) -> dict[str, str]:
    """GET the default server's /authorize for the web app with login_hint; the redirect's query."""
    c = srv.creds
    _, challenge = pkce_pair()
    params = {
        "client_id": c["webClientId"], "response_type": "code", "scope": "openid profile",
        "redirect_uri": c["webRedirectUri"], "state": uuid.uuid4().hex, "nonce": uuid.uuid4().hex,
        "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": login,
    }
    r = srv.get(authorize_url(srv, params))
    q = redirect_params(r, c["webRedirectUri"])
    assert q.get("state") == params["state"], q
    q["_requestId"] = r.headers.get("X-Okta-Request-Id", "")
    return q


# --------------------------------------------------------------------------------------------
# 1. Listing 466 users
# --------------------------------------------------------------------------------------------


def test_list_users_pages_through_all_466(many: MockOkta) -> None:
    """§5.0 pagination: two Link headers (self, then next); the SDK keeps the last one and pages
    with `after`; every user exactly once.  Also limit=100, filter, search and q (§5.1)."""
    users = _tenant_users(many)
    assert len(users) == 466
    all_ids = {u["id"] for u in users}
    logins = {u["profile"]["login"] for u in users}
    user1 = {x for x in logins if x.lower().startswith("user1")}
    ann_q = {u["profile"]["login"] for u in users if u["status"] != "DEPROVISIONED" and any(
        (u["profile"].get(k) or "").lower().startswith("ann") for k in ("firstName", "lastName", "email"))}

    async def go():
        client = _ssws(many)
        lu = client.list_users
        default = await _all_pages(lu)
        by100 = await _all_pages(lu, limit=100)
        active = await _all_pages(lu, filter='status eq "ACTIVE"')
        search = await _all_pages(lu, search='profile.login sw "user1"')
        q_result = await client.list_users(q="ann")
        q_user = await client.list_users(q="user")  # matches the 460 generated e-mails
        return default, by100, active, search, q_result, q_user

    default, by100, active, search, q_result, q_user = _run(go)

    flat = [u for p in default for u in p]
    assert len(flat) == len({u.id for u in flat}), "duplicates across pages"
    assert len(flat) >= 466 and {u.id for u in flat} == all_ids
    assert len(default) == math.ceil(466 / 200) and all(len(p) == 200 for p in default[:-1])

    flat100 = [u for p in by100 for u in p]
    assert len(by100) == 5 and all(0 < len(p) <= 100 for p in by100), [len(p) for p in by100]
    assert len(flat100) == len({u.id for u in flat100}) == 466 and {u.id for u in flat100} == all_ids

    flat_active = [u for p in active for u in p]
    assert flat_active and all(_status(u) == "ACTIVE" for u in flat_active)
    assert {u.id for u in flat_active} == {u["id"] for u in users if u["status"] == "ACTIVE"}
    assert len(flat_active) == len({u.id for u in flat_active})

    flat_search = [u for p in search for u in p]
    assert user1 and {u.profile.login for u in flat_search} == user1
    assert len(flat_search) == len(user1)

    q_users = _ok(q_result, "list_users(q=ann)")
    got = {u.profile.login for u in q_users}
    assert "ann@example.com" in ann_q
    assert got <= ann_q and len(got) == min(10, len(ann_q)), (got, ann_q)  # q: default limit 10
    q_user = _ok(q_user, "list_users(q=user)")
    assert all(u.profile.email.startswith("user") for u in q_user)
    assert len(q_user) == 10, f"q without limit returned {len(q_user)} users; Okta's default for q is 10"


# --------------------------------------------------------------------------------------------
# 2. Users: CRUD and lifecycle
# --------------------------------------------------------------------------------------------


def test_user_crud_and_errors(many: MockOkta) -> None:
    """§5.1: create (ACTIVE / PROVISIONED / STAGED, always 200), get by id and login, POST partial
    update, PUT replace, duplicate login E0000001 with its cause, unknown id E0000007, `me`,
    the user's groups and app links."""
    from okta.models import UpdateUserRequest

    l_active, l_prov, l_staged = _new_login("act"), _new_login("prov"), _new_login("stg")

    async def go():
        client = _ssws(many)
        out: dict[str, Any] = {}
        created = await client.create_user(_create_body(l_active), activate=True)
        out["active"] = _ok(created, "create ACTIVE")
        out["active_status_code"] = created[1].status_code
        out["prov"] = _ok(await client.create_user(_create_body(l_prov, password=False), activate=True))
        out["staged"] = _ok(await client.create_user(_create_body(l_staged), activate=False))

        uid = out["active"].id
        out["by_id"] = _ok(await client.get_user(uid), "get by id")
        out["by_login"] = _ok(await client.get_user(l_active), "get by login")

        partial = UpdateUserRequest.from_dict({"profile": {"firstName": "Partial", "mobilePhone": "555-0100"}})
        out["partial"] = _ok(await client.update_user(uid, partial), "update_user (POST)")
        out["after_partial"] = _ok(await client.get_user(uid))

        full = UpdateUserRequest.from_dict({"profile": {"firstName": "Full", "lastName": "Replace",
                                                        "email": l_active, "login": l_active}})
        out["replaced"] = _ok(await client.replace_user(uid, full), "replace_user (PUT)")
        out["after_replace"] = _ok(await client.get_user(uid))

        out["dup"] = await client.create_user(_create_body("ann@example.com"), activate=True)
        out["unknown"] = await client.get_user("00uDoesNotExist000000")
        out["me"] = _ok(await client.get_user("me"), "get_user(me)")
        ann = _ok(await client.get_user("ann@example.com"))
        out["ann_groups"] = _ok(await client.list_user_groups(ann.id), "list_user_groups")
        out["ann_links"] = _ok(await client.list_app_links(ann.id), "list_app_links")
        out["ann_id"] = ann.id
        return out

    out = _run(go)
    assert out["active_status_code"] == 200  # never 201 (summary 20)
    assert _status(out["active"]) == "ACTIVE" and out["active"].id.startswith("00u") and len(out["active"].id) == 20
    assert _status(out["prov"]) == "PROVISIONED"
    assert _status(out["staged"]) == "STAGED" and out["staged"].activated is None

    assert out["by_id"].id == out["by_login"].id == out["active"].id
    assert out["by_login"].profile.login == l_active

    for u in (out["partial"], out["after_partial"]):
        assert u.profile.first_name == "Partial" and u.profile.mobile_phone == "555-0100"
        assert u.profile.last_name == "User" and u.profile.login == l_active  # merged, not replaced
    for u in (out["replaced"], out["after_replace"]):
        assert (u.profile.first_name, u.profile.last_name) == ("Full", "Replace")
        assert u.profile.mobile_phone is None  # PUT removes what it does not send

    err = _api_error(out["dup"], 400, "E0000001")
    assert err.error_summary == "Api validation failed: login", err.error_summary
    causes = [c.get("errorSummary") for c in err.error_causes]
    assert "login: An object with this field already exists in the current organization" in causes, causes
    assert "already exists" in str(err)

    err = _api_error(out["unknown"], 404, "E0000007")
    assert err.error_summary == "Not found: Resource not found: 00uDoesNotExist000000 (User)", err.error_summary

    assert out["me"].profile.login == "admin@example.com"  # the API token's owner
    names = {g.profile.actual_instance.name if hasattr(g.profile, "actual_instance") else g.profile.name
             for g in out["ann_groups"]}
    assert {"Everyone", "Engineering"} <= names, names
    web = many.creds["webClientId"]
    assert web in {link.app_instance_id for link in out["ann_links"]}


def test_user_lifecycle(many: MockOkta) -> None:
    """§5.1 / summary 19: suspend / unsuspend / expire_password / reset_password / deactivate /
    activate, then DELETE twice (deactivate-or-delete) and 404 E0000007; activating an active user is
    403 E0000016."""
    login, staged_login = _new_login("life"), _new_login("life-stg")

    async def go():
        client = _ssws(many)
        s: dict[str, Any] = {}
        uid = _ok(await client.create_user(_create_body(login), activate=True)).id
        sid = _ok(await client.create_user(_create_body(staged_login, password=False), activate=False)).id

        async def status(i: str) -> str:
            return _status(_ok(await client.get_user(i)))

        r = await client.suspend_user(uid)
        s["suspend"] = (r, await status(uid))
        r = await client.unsuspend_user(uid)
        s["unsuspend"] = (r, await status(uid))
        r = await client.activate_user(uid, send_email=False)
        s["activate_active"] = r
        r = await client.expire_password(uid)
        s["expire"] = (r, await status(uid))
        r = await client.reset_password(uid, send_email=False)
        s["reset"] = (r, await status(uid))
        r = await client.deactivate_user(uid)
        s["deactivate"] = (r, await status(uid))
        plain = [u.id for p in await _all_pages(client.list_users) for u in p]
        by_filter = _ok(await client.list_users(filter=f'profile.login eq "{login}"'))
        by_search = _ok(await client.list_users(search=f'profile.login eq "{login}"'))
        by_q = _ok(await client.list_users(q=login.split("@")[0]))
        s["deprov_lists"] = (uid in plain, [u.id for u in by_filter], [u.id for u in by_search],
                             [u.id for u in by_q])
        r = await client.activate_user(uid, send_email=False)
        s["reactivate"] = (r, await status(uid))
        r = await client.activate_user(sid, send_email=False)
        s["activate_staged"] = (r, await status(sid))

        r1 = await client.delete_user(uid)  # live user -> deactivated
        s["delete1"] = (r1, await status(uid))
        r2 = await client.delete_user(uid)  # DEPROVISIONED -> gone
        s["delete2"] = r2
        s["gone"] = await client.get_user(uid)
        s["delete_gone"] = await client.delete_user(uid)
        return s

    s = _run(go)
    for step, want in (("suspend", "SUSPENDED"), ("unsuspend", "ACTIVE"), ("expire", "PASSWORD_EXPIRED"),
                       ("reset", "RECOVERY"), ("deactivate", "DEPROVISIONED")):
        result, status = s[step]
        assert result[-1] is None, f"{step}: {result!r}"
        assert status == want, f"after {step}: {status}, expected {want}"
    assert _status(s["expire"][0][0]) == "PASSWORD_EXPIRED"  # expire_password returns the User
    reset_token = s["reset"][0][0]
    assert reset_token is not None and reset_token.reset_password_url, s["reset"]

    _api_error(s["activate_active"], 403, "E0000016")

    for step in ("reactivate", "activate_staged"):
        result, status = s[step]
        token = _ok(result, step)
        assert token is not None and token.activation_token and token.activation_url, f"{step}: {result!r}"
        assert status in ("PROVISIONED", "ACTIVE"), f"after {step}: {status}"
    assert s["activate_staged"][1] == "PROVISIONED"  # no password: activation pending

    (r1, status1) = s["delete1"]
    assert r1[-1] is None and r1[1].status_code == 204, r1
    assert status1 == "DEPROVISIONED"
    assert s["delete2"][-1] is None and s["delete2"][1].status_code == 204, s["delete2"]
    _api_error(s["gone"], 404, "E0000007")
    _api_error(s["delete_gone"], 404, "E0000007")

    in_plain, by_filter, by_search, by_q = s["deprov_lists"]
    # §5.1: a DEPROVISIONED user is left out of the plain list and of q, but found by filter/search
    assert not in_plain, "plain list_users returned a DEPROVISIONED user"
    assert len(by_filter) == 1 and len(by_search) == 1, (by_filter, by_search)
    assert by_q == [], f"q returned the DEPROVISIONED user: {by_q}"


# --------------------------------------------------------------------------------------------
# 3. Groups
# --------------------------------------------------------------------------------------------


def test_groups_crud_and_membership(many: MockOkta) -> None:
    """§5.2: create (200), get, replace, list with q, PUT/DELETE member (204), members list, delete
    (204), get -> E0000007; a duplicate name is 400 E0000001."""
    from okta.models import AddGroupRequest

    name = "SDK-" + uuid.uuid4().hex[:8]

    def _name(g: Any) -> str:
        p = g.profile
        return getattr(p, "actual_instance", p).name

    async def go():
        client = _ssws(many)
        o: dict[str, Any] = {}
        created = await client.add_group(AddGroupRequest.from_dict({"profile": {"name": name, "description": "d1"}}))
        o["created"] = _ok(created, "add_group")
        o["created_code"] = created[1].status_code
        gid = o["created"].id
        o["got"] = _ok(await client.get_group(gid), "get_group")
        o["replaced"] = _ok(await client.replace_group(
            gid, AddGroupRequest.from_dict({"profile": {"name": name + "-x", "description": "d2"}})), "replace_group")
        o["listed"] = _ok(await client.list_groups(q=name[:7]), "list_groups(q)")
        o["listed_eng"] = _ok(await client.list_groups(q="Eng"), "list_groups(q=Eng)")

        bob = _ok(await client.get_user("bob@example.com"))
        o["add"] = await client.assign_user_to_group(gid, bob.id)
        o["members"] = _ok(await client.list_group_users(gid), "list_group_users")
        o["bob_groups"] = _ok(await client.list_user_groups(bob.id))
        o["remove"] = await client.unassign_user_from_group(gid, bob.id)
        o["members_after"] = await client.list_group_users(gid)
        o["dup"] = await client.add_group(AddGroupRequest.from_dict({"profile": {"name": "Engineering"}}))
        o["delete"] = await client.delete_group(gid)
        o["gone"] = await client.get_group(gid)
        o["bob_id"] = bob.id
        return o

    o = _run(go)
    assert o["created_code"] == 200
    g = o["created"]
    assert g.id.startswith("00g") and len(g.id) == 20 and _name(g) == name
    assert getattr(g.type, "value", g.type) == "OKTA_GROUP"
    assert o["got"].id == g.id and _name(o["got"]) == name
    assert _name(o["replaced"]) == name + "-x"
    assert g.id in {x.id for x in o["listed"]}
    assert [_name(x) for x in o["listed_eng"]] == ["Engineering"]

    assert o["add"][-1] is None and o["add"][1].status_code == 204, o["add"]
    assert o["bob_id"] in {u.id for u in o["members"]}
    assert g.id in {x.id for x in o["bob_groups"]}
    assert o["remove"][-1] is None and o["remove"][1].status_code == 204, o["remove"]
    assert o["bob_id"] not in {u.id for u in (o["members_after"][0] or [])}, o["members_after"]

    err = _api_error(o["dup"], 400, "E0000001")
    assert any("already exists" in c.get("errorSummary", "") for c in err.error_causes), err.error_causes

    assert o["delete"][-1] is None and o["delete"][1].status_code == 204, o["delete"]
    _api_error(o["gone"], 404, "E0000007")


# --------------------------------------------------------------------------------------------
# 4. Apps and assignments
# --------------------------------------------------------------------------------------------


def test_apps_and_user_assignments(many: MockOkta) -> None:
    """§5.3: list / get apps (the default tenant's service and web apps), list app users, assign a
    user (200 AppUser, scope USER), get it, list it, unassign it (204), then 404 E0000007."""
    from okta.models import AppUserAssignRequest

    c = many.creds
    web, svc = c["webClientId"], c["serviceClientId"]
    login = _new_login("app")
    ann_id = next(u["id"] for u in _tenant_users(many) if u["profile"]["login"] == c["user"]["login"])

    async def api():
        client = _ssws(many)
        o: dict[str, Any] = {}
        o["apps"] = _ok(await client.list_applications(), "list_applications")
        o["web"] = _ok(await client.get_application(web), "get_application")
        o["app_users"] = _ok(await client.list_application_users(web), "list_application_users")
        uid = _ok(await client.create_user(_create_body(login), activate=True)).id
        o["uid"] = uid
        assigned = await client.assign_user_to_application(
            web, AppUserAssignRequest.from_dict({"id": uid, "scope": "USER"}))
        o["assigned"] = _ok(assigned, "assign_user_to_application")
        o["assigned_code"] = assigned[1].status_code
        o["got"] = _ok(await client.get_application_user(web, uid), "get_application_user")
        o["listed"] = _ok(await client.list_application_users(web), "list_application_users")
        o["unassign"] = await client.unassign_user_from_application(web, uid)
        o["gone"] = await client.get_application_user(web, uid)
        return o

    o = _run(api)
    app_ids = {a.id for a in o["apps"]}
    assert {web, svc} <= app_ids, app_ids
    labels = {a.id: a.label for a in o["apps"]}
    assert labels[web] == "Mock Web App" and labels[svc] == "Mock Service App", labels
    assert o["web"].id == web and o["web"].label == "Mock Web App"
    assert ann_id in {u.id for u in o["app_users"]}

    assert o["assigned_code"] == 200
    assert o["assigned"].id == o["uid"] and o["assigned"].scope == "USER"
    assert o["got"].id == o["uid"] and o["got"].credentials.user_name == login
    assert o["uid"] in {u.id for u in o["listed"]}
    assert o["unassign"][-1] is None and o["unassign"][1].status_code == 204, o["unassign"]
    _api_error(o["gone"], 404, "E0000007")

    added = _log_events(many, "application.user_membership.add")
    assert any({t.get("id") for t in e.get("target", [])} >= {o["uid"], web} for e in added), added
    removed = _log_events(many, "application.user_membership.remove")
    assert any({t.get("id") for t in e.get("target", [])} >= {o["uid"], web} for e in removed), removed


def test_app_group_assignments(many: MockOkta) -> None:
    """§5.3 / PRODUCT "/{id}/groups": assign a group to the web app (PUT, 200), list the app's group
    assignments (with the default Engineering one), get the one assignment, delete it (204)."""
    from okta.models import AddGroupRequest, ApplicationGroupAssignment

    web = many.creds["webClientId"]
    eng = next(g["id"] for g in tenant(many)["groups"] if g["profile"]["name"] == "Engineering")

    async def api():
        client = _ssws(many)
        o: dict[str, Any] = {}
        gid = _ok(await client.add_group(AddGroupRequest.from_dict({"profile": {"name": "SDK-app-" + uuid.uuid4().hex[:6]}}))).id
        o["gid"] = gid
        o["gassign"] = _ok(await client.assign_group_to_application(
            web, gid, ApplicationGroupAssignment.from_dict({"priority": 1})), "assign_group_to_application")
        o["glist"] = _ok(await client.list_application_group_assignments(web), "list_application_group_assignments")
        o["gget"] = await client.get_application_group_assignment(web, gid)
        o["gdel"] = await client.unassign_application_from_group(web, gid)
        o["glist_after"] = _ok(await client.list_application_group_assignments(web))
        o["gget_after"] = await client.get_application_group_assignment(web, gid)
        return o

    o = _run(api)
    assert o["gassign"].id == o["gid"]
    assert {o["gid"], eng} <= {a.id for a in o["glist"]}
    assert o["gdel"][-1] is None and o["gdel"][1].status_code == 204, o["gdel"]
    assert o["gid"] not in {a.id for a in o["glist_after"]} and eng in {a.id for a in o["glist_after"]}
    assert _ok(o["gget"], "get_application_group_assignment").id == o["gid"]
    _api_error(o["gget_after"], 404, "E0000007")
    assert o["gassign"].priority == 1, o["gassign"]  # the priority the SDK sent in the PUT body


def test_assignment_changes_take_effect_at_next_sign_in(many: MockOkta) -> None:
    """An app assignment change is enforced at the next /authorize (login_hint sign-in).

    ann@example.com is assigned to the web app directly *and* through the Engineering group (default
    tenant).  As in Okta, removing the direct assignment leaves the GROUP one (AppUser scope GROUP),
    so she still gets a code; once the group assignment is removed too, /authorize redirects with
    error=access_denied (and logs a FAILURE); a new direct assignment lets her in again."""
    from okta.models import AppUserAssignRequest

    c = many.creds
    web, ann = c["webClientId"], c["user"]["login"]
    ann_id = next(u["id"] for u in _tenant_users(many) if u["profile"]["login"] == ann)
    eng = next(g["id"] for g in tenant(many)["groups"] if g["profile"]["name"] == "Engineering")
    assert _authorize(many, ann).get("code")

    async def unassign_direct():
        client = _ssws(many)
        r = await client.unassign_user_from_application(web, ann_id)
        return r, await client.get_application_user(web, ann_id)

    r, still = _run(unassign_direct)
    assert r[-1] is None and r[1].status_code == 204, r
    assert _ok(still).scope == "GROUP"  # still assigned through Engineering
    assert _authorize(many, ann).get("code")

    async def unassign_group():
        client = _ssws(many)
        r = await client.unassign_application_from_group(web, eng)
        return r, await client.get_application_user(web, ann_id)

    r, gone = _run(unassign_group)
    assert r[-1] is None and r[1].status_code == 204, r
    _api_error(gone, 404, "E0000007")
    denied = _authorize(many, ann)
    assert denied.get("error") == "access_denied" and "code" not in denied, denied
    assert denied.get("error_description"), denied
    ev = _failure_event_for(many, "app.oauth2.as.authorize", denied["_requestId"])
    assert ev["actor"]["alternateId"] == ann and web in {t.get("id") for t in ev.get("target") or []}, ev

    async def reassign():
        client = _ssws(many)
        return await client.assign_user_to_application(
            web, AppUserAssignRequest.from_dict({"id": ann_id, "scope": "USER"}))

    assert _ok(_run(reassign)).scope == "USER"
    assert _authorize(many, ann).get("code")

    removed = _log_events(many, "application.user_membership.remove")
    assert any({t.get("id") for t in e.get("target", [])} >= {ann_id, web} for e in removed), removed


# --------------------------------------------------------------------------------------------
# 5. System Log and 6. authorization servers
# --------------------------------------------------------------------------------------------


def test_system_log_and_authorization_servers(many: MockOkta) -> None:
    """§5.4: list_log_events(filter=eventType eq "user.lifecycle.create") returns the creation events;
    since + DESCENDING + limit 5 gives at most 5 events, newest first.  list_authorization_servers
    includes `default` (§4.1)."""
    since = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    logins = [_new_login("log1"), _new_login("log2")]

    async def go():
        client = _ssws(many)
        ids = [_ok(await client.create_user(_create_body(x), activate=True)).id for x in logins]
        created = _ok(await client.list_log_events(filter='eventType eq "user.lifecycle.create"', since=since),
                      "list_log_events(filter)")
        latest_result = await client.list_log_events(since=since, sort_order="DESCENDING", limit=5)
        servers = _ok(await client.list_authorization_servers(), "list_authorization_servers")
        return ids, created, latest_result, servers

    ids, created, latest_result, servers = _run(go)
    assert created and all(e.event_type == "user.lifecycle.create" for e in created)
    targets = {t.id for e in created for t in (e.target or [])}
    assert set(ids) <= targets, (ids, targets)
    for e in created:
        if {t.id for t in (e.target or [])} & set(ids):
            assert getattr(e.outcome.result, "value", e.outcome.result) == "SUCCESS"
            assert e.actor.alternate_id == "admin@example.com"

    latest = _ok(latest_result, "list_log_events(DESCENDING)")
    assert 0 < len(latest) <= 5
    published = [e.published for e in latest]
    assert published == sorted(published, reverse=True), published
    floor = datetime.strptime(since, "%Y-%m-%dT%H:%M:%S.000Z").replace(tzinfo=timezone.utc)
    assert all(p >= floor for p in published)

    # Okta's `default` server has an aus… id and the name `default` (okta-sdk-python cassette test_list_auth_servers.yaml)
    by_name = {s.name: s for s in servers}
    assert "default" in by_name, list(by_name)
    d = by_name["default"]
    assert d.id.startswith("aus") and len(d.id) == 20, d.id
    assert d.issuer == many.default_issuer and d.audiences == ["api://default"]


# --------------------------------------------------------------------------------------------
# 7. Denials: OktaAPIError codes and System Log events
# --------------------------------------------------------------------------------------------


def test_denials_surface_as_okta_api_errors_and_are_logged(many: MockOkta) -> None:
    """§3 / summary 11: bad SSWS token -> 401 E0000011; read-only admin creating -> 403 E0000006;
    no Authorization header -> 403 E0000005.  Okta's event catalogue has no event for these refusals; the
    mock writes its documented mock-only system.operation.request_denied for each, under the denied
    response's X-Okta-Request-Id (PRODUCT.md: every denial is in the System Log)."""
    login = _new_login("ro")

    async def go():
        bad = await _ssws(many, token="00NotARealApiToken000000000000000000000000").list_users()
        ro = _ssws(many, token=many.creds["readOnlyApiToken"])
        ro_list = await ro.list_users(limit=5)
        ro_create = await ro.create_user(_create_body(login), activate=True)
        return bad, ro_list, ro_create

    bad, ro_list, ro_create = _run(go)

    err = _api_error(bad, 401, "E0000011")
    assert err.error_summary == "Invalid token provided"
    _refusal_logged(many, err.headers["X-Okta-Request-Id"], 401, "Unknown API token")

    assert len(_ok(ro_list, "read-only list")) == 5
    err = _api_error(ro_create, 403, "E0000006")
    assert err.error_summary == "You do not have permission to perform the requested action"
    _refusal_logged(many, err.headers["X-Okta-Request-Id"], 403, "READ_ONLY_ADMIN")
    assert many.get(f"/api/v1/users/{login}", headers=ssws(many)).status_code == 404  # not created

    r = many.get("/api/v1/users", headers={"Accept": "application/json"})
    assert r.status_code == 403, r.text[:300]
    body = r.json()
    assert body["errorCode"] == "E0000005" and body["errorSummary"] == "Invalid session", body
    _refusal_logged(many, r.headers["X-Okta-Request-Id"], 403, "INVALID_SESSION")

    # The guide's names are in no catalogue: a filter on them finds nothing, as in Okta.
    async def via_sdk():
        return _ok(await _ssws(many).list_log_events(filter='eventType eq "api.token.invalid"'), "list_log_events")

    assert _run(via_sdk) == []


# --------------------------------------------------------------------------------------------
# 8. OAuth "PrivateKey" mode
# --------------------------------------------------------------------------------------------


def test_private_key_mode_lists_creates_and_scope_denial(many: MockOkta) -> None:
    """§6: PrivateKey mode posts a private_key_jwt to {orgUrl}/oauth2/v1/token, then calls the API
    with Bearer.  With okta.users.read + okta.users.manage it lists (and pages) and creates.  With
    only okta.users.read a create gets Okta's 403 insufficient_scope with an *empty* body, which the
    SDK 3.4.6 reports as (None, ApiResponse(status_code=403), None) - no error object (§1.1 point 3).
    The refusal is logged as the mock-only system.operation.request_denied."""
    login, ro_login = _new_login("pk"), _new_login("pk-ro")

    async def go():
        rw = _private_key(many, ["okta.users.read", "okta.users.manage"])
        o: dict[str, Any] = {}
        o["pages"] = await _all_pages(rw.list_users, limit=200)
        created = await rw.create_user(_create_body(login), activate=True)
        o["created"] = _ok(created, "PrivateKey create_user")
        ro = _private_key(many, ["okta.users.read"])
        o["ro_list"] = await ro.list_users(limit=3)
        o["ro_create"] = await ro.create_user(_create_body(ro_login), activate=True)
        return o

    o = _run(go)
    flat = [u for p in o["pages"] for u in p]
    assert len(flat) == len({u.id for u in flat}) == 466 and len(o["pages"]) == 3
    assert o["created"].profile.login == login and _status(o["created"]) == "ACTIVE"
    assert len(_ok(o["ro_list"], "read-scope list")) == 3

    data, resp, err = o["ro_create"]
    assert data is None and err is None, o["ro_create"]  # the SDK's documented empty-body behaviour
    assert resp.status_code == 403
    www = resp.headers.get("WWW-Authenticate") or resp.headers.get("www-authenticate") or ""
    assert www.startswith("Bearer") and 'error="insufficient_scope"' in www and "okta.users.manage" in www, www
    assert many.get(f"/api/v1/users/{ro_login}", headers=ssws(many)).status_code == 404  # not created

    request_id = resp.headers.get("X-Okta-Request-Id") or resp.headers.get("x-okta-request-id")
    _refusal_logged(many, request_id, 403, "insufficient_scope: okta.users.manage")

    # on the wire: assertions went to the org server's token endpoint, the API saw Bearer tokens
    r = many.control("GET", "/__mock/journal")
    assert r.status_code == 200
    entries = r.json()["entries"]
    tokens = [e for e in entries if e["path"] == "/oauth2/v1/token"]
    assert len(tokens) >= 2 and all(e["method"] == "POST" and e["status"] == 200 for e in tokens), tokens
    api = [e for e in entries if e["path"].startswith("/api/v1/users") and e["auth"]["kind"] == "Bearer"]
    assert api and all(e["auth"]["clientId"] == many.creds["serviceClientId"] for e in api)


# --------------------------------------------------------------------------------------------
# TLS: SSWS and PrivateKey in a child process with SSL_CERT_FILE (see client_worker.py for why)
# --------------------------------------------------------------------------------------------

CHILD = r'''
import asyncio, json, sys, uuid
from okta.client import Client
from okta.models import CreateUserRequest
from okta.pagination import PaginationHelper

cfgs = json.load(sys.stdin)

async def list_all(client):
    ids, after, pages = [], None, 0
    while True:
        kw = {"limit": 200}
        if after:
            kw["after"] = after
        users, resp, err = await client.list_users(**kw)
        if err is not None:
            raise RuntimeError(f"list_users: {err}")
        ids += [u.id for u in users]
        pages += 1
        after = PaginationHelper.extract_next_cursor(resp.headers)
        if not after or pages > 20:
            return ids, pages

async def job(cfg):
    client = Client(cfg)
    ids, pages = await list_all(client)
    login = "tls-" + uuid.uuid4().hex[:8] + "@example.com"
    body = CreateUserRequest.from_dict({"profile": {"firstName": "T", "lastName": "L", "email": login, "login": login},
                                        "credentials": {"password": {"value": "Sup3r-Secret-" + uuid.uuid4().hex[:6]}}})
    user, resp, err = await client.create_user(body, activate=True)
    if err is not None:
        raise RuntimeError(f"create_user: {err}")
    got, _, err = await client.get_user(login)
    if err is not None:
        raise RuntimeError(f"get_user: {err}")
    return {"ids": ids, "pages": pages, "created": user.profile.login, "status": str(getattr(got.status, "value", got.status))}

out = []
for cfg in cfgs:
    try:
        out.append({"ok": True, "value": asyncio.run(asyncio.wait_for(job(cfg), 40))})
    except BaseException as e:
        out.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
print(json.dumps(out))
'''


def test_sdk_over_tls_ssws_and_private_key(spawn, tmp_path) -> None:
    """§6 quirks: over https the SDK needs the mock CA through SSL_CERT_FILE before the process
    starts (no https bypass env var here).  Both SSWS and PrivateKey modes list all 466 users and
    create one."""
    ca = tmp_path / "ca.pem"
    srv = spawn([*BASE_ARGS, "--tls", "--ca-out", str(ca), "--scenario", _scenario_file(tmp_path)], name="tls")
    assert srv.url.startswith("https://") and srv.ca_file
    c = srv.creds
    cfgs = [
        {"orgUrl": srv.url, "token": c["apiToken"]},
        {"orgUrl": srv.url, "authorizationMode": "PrivateKey", "clientId": c["serviceClientId"],
         "scopes": ["okta.users.read", "okta.users.manage"], "privateKey": c["servicePrivateKeyPem"],
         "kid": c["servicePrivateKeyKid"]},
    ]
    env = clean_env({"SSL_CERT_FILE": srv.ca_file, "REQUESTS_CA_BUNDLE": srv.ca_file})
    proc = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(cfgs), capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(results) == 2
    for mode, res in zip(("SSWS", "PrivateKey"), results):
        assert res["ok"], f"{mode}: {res}"
        v = res["value"]
        assert len(v["ids"]) == len(set(v["ids"])), mode
        assert len(v["ids"]) >= 466 and v["pages"] == 3, (mode, len(v["ids"]), v["pages"])
        assert v["created"].startswith("tls-") and v["status"] == "ACTIVE", (mode, v)
    entries = srv.control("GET", "/__mock/journal").json()["entries"]
    kinds = {e["auth"]["kind"] for e in entries if e["path"] == "/api/v1/users"}
    assert {"SSWS", "Bearer"} <= kinds, kinds
    assert any(e["path"] == "/oauth2/v1/token" and e["status"] == 200 for e in entries)
