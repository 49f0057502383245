"""Scenarios loaded over the Control API and played live against a running server.

Covers PRODUCT.md "Scenario files", "Control API" and "Semantics": validation (400 listing every
error, the previous scenario stays in force), the `when` operators, seeded determinism, timeline and
`POST /__mock/actions` actions, and the shipped scenarios in scenarios/ shown to real clients
(requests, PyJWT, the okta SDK 3.4.6).  Timeline times are real seconds, so the shipped files whose
actions come 5 s in are loaded as copies with `atSeconds` 1.
"""

from __future__ import annotations

import copy
import json
import os
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any, Iterator

import jwt
import pytest
import requests

from fault_helpers import (
    SCENARIO_DIR, action, clean, doc, http_date, journal, load, preload_okta_sdk, rule, scenario_state, sdk_list_users,
    shipped, shipped_scenarios, ssws, verdict, verify, wait_for,
)
from helpers import (
    MockOkta, authorize_url, client_credentials, mint, pkce_pair, redirect_params, reset, tenant, unverified,
    verify_jwt,
)

pytestmark = pytest.mark.management_api

preload_okta_sdk()  # ~10 s import, overlapped with the timeline waits below

USERS = {"method": "GET", "path": "/api/v1/users"}
BASE_ARGS = ["--host", "127.0.0.1", "--port", "0", "--seed", "1"]


@pytest.fixture
def srv(server_http: MockOkta) -> Iterator[MockOkta]:
    """server_http with no scenario, at baseline, journal empty (before and after the test, so no
    timeline action of a loaded scenario can fire during a later test)."""
    clean(server_http)
    yield server_http
    clean(server_http)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockOkta]:
    """A separate server for loading every shipped scenario (their tenant fixtures, e.g. 450
    generated users, must not leak into server_http)."""
    srv = MockOkta(workdir=tmp_path_factory.mktemp("scratch"), args=list(BASE_ARGS), name="scratch")
    srv.start()
    try:
        yield srv
    finally:
        rc, _ = srv.stop()
        assert rc is not None, f"scratch server did not stop on SIGTERM\n{srv.stderr_tail()}"


def _users(srv: MockOkta, token: str | None = None) -> requests.Response:
    return srv.get("/api/v1/users", headers=ssws(srv, token))


def _seq(srv: MockOkta, n: int) -> str:
    """n user listings: 'F' for an injected 500, '.' for 200."""
    out = []
    for _ in range(n):
        s = _users(srv).status_code
        assert s in (200, 500), s
        out.append("F" if s == 500 else ".")
    return "".join(out)


def _logs(srv: MockOkta) -> list[dict[str, Any]]:
    """The System Log read with the read-only admin's token."""
    r = srv.get("/api/v1/logs", headers=ssws(srv, srv.creds["readOnlyApiToken"]))
    assert r.status_code == 200, r.text[:300]
    return r.json()


def _event_types(srv: MockOkta) -> list[str]:
    return [e["eventType"] for e in _logs(srv)]


def _authorize(srv: MockOkta, login: str) -> dict[str, str]:
    """Web app sign-in with login_hint; returns the redirect's query parameters."""
    c = srv.creds
    _, challenge = pkce_pair()
    params = {"client_id": c["webClientId"], "response_type": "code", "scope": "openid profile",
              "redirect_uri": c["webRedirectUri"], "state": uuid.uuid4().hex, "nonce": uuid.uuid4().hex,
              "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": login}
    q = redirect_params(srv.get(authorize_url(srv, params)), c["webRedirectUri"])
    assert q.get("state") == params["state"], q
    return q


def _wait_actions_run(srv: MockOkta, n: int = 1, timeout: float = 4) -> dict[str, Any]:
    """Until `actionsRun` lists n actions (appended once an action has been carried out)."""
    return wait_for(lambda: (lambda st: st if len(st["actionsRun"]) >= n else None)(scenario_state(srv)),
                    timeout, 0.05, f"{n} timeline action(s) run")


def _kids(srv: MockOkta, as_path: str = "/oauth2/default/v1/keys") -> list[str]:
    r = srv.get(as_path)
    assert r.status_code == 200
    return [k["kid"] for k in r.json()["keys"]]


# ============================================================================================
# Validation
# ============================================================================================

INVALID_DOC = """{
  "version": 2,
  "name": "broken",
  "extra": true,
  "rules": [
    {
      "id": "a",
      "match": {"path": "/api/v1/users", "bogus": true},
      "fault": {"type": "nope"}
    },
    {
      "id": "a",
      "fault": {"type": "delay"}
    }
  ]
}
"""


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_invalid_scenario_is_refused_with_every_error_and_previous_stays(srv: MockOkta) -> None:
    load(srv, doc(name="keep-me", rules=[rule({"type": "status", "status": 418}, id="teapot", match=USERS)]))
    r = srv.control("POST", "/__mock/scenario", data=INVALID_DOC, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["errorCode"] == "E0000001", body
    causes = body["errorCauses"]
    assert len(causes) >= 5, causes
    for c in causes:
        assert c["path"].startswith("$") and isinstance(c["line"], int) and c["line"] >= 1, c
        assert isinstance(c["column"], int) and c["message"] and c["errorSummary"], c
    by_path = {c["path"]: c for c in causes}
    for path in ("$.extra", "$.version", "$.rules[0].match.bogus", "$.rules[0].fault.type", "$.rules[1].id"):
        assert path in by_path, (path, sorted(by_path))
    assert "unknown member" in by_path["$.extra"]["message"]
    # `description` is optional (issue 9): its absence is not among the problems.
    assert not any(c["path"] == "$" and "description" in c["message"] for c in causes), causes
    assert by_path["$.version"]["line"] == _line_of(INVALID_DOC, '"version"')
    assert by_path["$.rules[0].match.bogus"]["line"] == _line_of(INVALID_DOC, '"bogus"')
    assert by_path["$.rules[0].fault.type"]["line"] == _line_of(INVALID_DOC, '"nope"')
    assert any("ms" in c["message"] and c["path"].startswith("$.rules[1].fault") for c in causes), causes
    # Nothing half-loaded: the previous scenario is still in force.
    st = scenario_state(srv)
    assert st["name"] == "keep-me" and [x["id"] for x in st["rules"]] == ["teapot"]
    assert _users(srv).status_code == 418
    assert scenario_state(srv)["rules"][0]["fired"] == 1


def test_inline_scenario_without_description_loads(srv: MockOkta) -> None:
    """Issue 9: tests that post an ad-hoc scenario need not write a description."""
    r = srv.control("POST", "/__mock/scenario", json={"version": 1, "name": "adhoc",
                                                     "rules": [{"id": "t", "match": {"path": "/api/v1/users"},
                                                                "fault": {"type": "status", "status": 418}}]})
    assert r.status_code == 200, r.text
    assert scenario_state(srv)["name"] == "adhoc"
    assert _users(srv).status_code == 418


def test_non_json_scenario_is_400(srv: MockOkta) -> None:
    load(srv, doc(name="keep-me"))
    r = srv.control("POST", "/__mock/scenario", data="version: 1\nname: yaml\n",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["errorCode"] == "E0000001", r.text
    assert scenario_state(srv)["name"] == "keep-me"


@pytest.mark.parametrize("mutate,path", [
    (lambda d: d["rules"][0].__setitem__("when", {"betweenSeconds": [3, 1]}), "$.rules[0].when.betweenSeconds"),
    (lambda d: d.__setitem__("timeline", [{"afterRule": "nope", "action": {"type": "expireAccessTokens"}}]),
     "$.timeline[0].afterRule"),
    (lambda d: d.__setitem__("expect", [{"type": "abandonsHangWithin", "rule": "nope", "maxSeconds": 5}]),
     "$.expect[0].rule"),
    (lambda d: d["rules"][0].__setitem__("when", {"nth": {"from": 5, "to": 2}}), "$.rules[0].when.nth"),
    (lambda d: d.__setitem__("timeline", [{"atSeconds": 60, "action": {"type": "rotateSigningKey", "dropOld": True,
                                                                        "keepOldSeconds": 3}}]),
     "$.timeline[0].action"),
], ids=["betweenSeconds-a>b", "afterRule-unknown", "abandonsHangWithin-rule-unknown", "nth-from>to",
        "dropOld+keepOldSeconds"])
def test_loader_checks(srv: MockOkta, mutate, path: str) -> None:
    """scenarios/README.md "Checks the schema cannot express, done by the loader"."""
    d = doc(name="loader", rules=[rule({"type": "serverError"}, id="r1", match=USERS)])
    mutate(d)
    r = srv.control("POST", "/__mock/scenario", json=d)
    assert r.status_code == 400, f"accepted: {r.text[:300]}"
    paths = [c["path"] for c in r.json()["errorCauses"]]
    assert any(p.startswith(path) for p in paths), paths


def test_bad_rule_is_400_and_rules_unchanged(srv: MockOkta) -> None:
    r = srv.control("POST", "/__mock/rules", json=rule({"type": "serverError"}, id="good", match=USERS,
                                                         when={"nth": [1]}))
    assert r.status_code == 200, r.text
    bad_rules = [
        ({"id": "b1", "fault": {"type": "rateLimit", "resetAfterSeconds": -1}}, "$.fault.resetAfterSeconds"),
        ({"id": "b2", "fault": {"type": "delay"}}, "$.fault"),
        ({"id": "b3", "fault": {"type": "explode"}}, "$.fault.type"),
        ({"id": "b4", "match": {"pathh": "/x"}, "fault": {"type": "close"}}, "$.match.pathh"),
        ({"fault": {"type": "close"}}, "$"),
    ]
    for body, path in bad_rules:
        r = srv.control("POST", "/__mock/rules", json=body)
        assert r.status_code == 400, (body, r.status_code, r.text[:300])
        err = r.json()
        assert err["errorCode"] == "E0000001" and err["errorCauses"], err
        assert any(c["path"].startswith(path) for c in err["errorCauses"]), (body, err)
    r = srv.control("POST", "/__mock/rules", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert [x["id"] for x in scenario_state(srv)["rules"]] == ["good"]
    assert _users(srv).status_code == 500 and _users(srv).status_code == 200


def test_duplicate_rule_id_via_rules_api(srv: MockOkta) -> None:
    """A second rule with an existing id is refused like any other error: 400 whose cause names
    the JSON path (as every other validation error does)."""
    assert srv.control("POST", "/__mock/rules", json=rule({"type": "close"}, id="dup")).status_code == 200
    r = srv.control("POST", "/__mock/rules", json=rule({"type": "reset"}, id="dup"))
    assert r.status_code == 400, r.text
    causes = r.json()["errorCauses"]
    assert causes and all(c.get("path") == "$.id" and c.get("message") for c in causes), causes
    assert [(x["id"], x["fault"]) for x in scenario_state(srv)["rules"]] == [("dup", "close")]


def test_timeline_done_means_the_action_took_effect(srv: MockOkta) -> None:
    """GET /__mock/scenario reporting a timeline entry `done` must mean its action has been carried
    out: a client that sees `done` (or a request that arrives after the due time) must see the
    new state, here the rotated key in the JWKS."""
    before = _kids(srv)
    load(srv, doc(timeline=[{"atSeconds": 0.5, "action": {"type": "rotateSigningKey"}}]))
    st = wait_for(lambda: (lambda st: st if st["timeline"][0]["done"] else None)(scenario_state(srv)),
                  3, 0.01, "timeline done")
    kids_now = _kids(srv)
    assert len(st["actionsRun"]) == 1, f"done=true but actionsRun is {st['actionsRun']}"
    assert len(kids_now) == len(before) + 1, f"done=true but the JWKS still has only {kids_now}"


# ============================================================================================
# `when` operators and determinism
# ============================================================================================


@pytest.mark.parametrize("when,expected", [
    ({"every": 3}, "..F..F..F..F"),
    ({"first": 2}, "FF.........."),
    ({"after": 9}, ".........FFF"),
    ({"times": 2}, "FF.........."),
    ({"every": 2, "times": 2}, ".F.F........"),
    ({"after": 2, "every": 2}, "...F.F.F.F.F"),
    ({"nth": [2, 5]}, ".F..F......."),
    ({"nth": {"from": 3, "to": 5}}, "..FFF......."),
])
def test_when_operators(srv: MockOkta, when: dict[str, Any], expected: str) -> None:
    load(srv, doc(rules=[rule({"type": "serverError"}, match=USERS, when=when)]))
    assert _seq(srv, 12) == expected
    st = scenario_state(srv)["rules"][0]
    assert st["matched"] == 12 and st["fired"] == expected.count("F"), st
    assert [e["rule"] for e in journal(srv)] == ["r" if ch == "F" else None for ch in expected]


def test_when_between_seconds(srv: MockOkta) -> None:
    load(srv, doc(rules=[rule({"type": "serverError"}, match=USERS, when={"betweenSeconds": [1, 2]})]))
    t0 = time.monotonic()
    assert _users(srv).status_code == 200
    time.sleep(max(0.0, t0 + 1.3 - time.monotonic()))
    assert _users(srv).status_code == 500
    time.sleep(max(0.0, t0 + 2.35 - time.monotonic()))
    assert _users(srv).status_code == 200


def test_probability_is_seeded_and_replays(srv: MockOkta, spawn) -> None:
    """Same scenario + seed → the same 30-request status sequence after /__mock/reset, after a
    reload, and on a second server started with the same --seed."""
    d = doc(name="coin", seed=7, rules=[rule({"type": "serverError"}, match=USERS, when={"probability": 0.5})])
    load(srv, d)
    first = _seq(srv, 30)
    assert 5 <= first.count("F") <= 25, first  # a coin, not a constant
    reset(srv)
    assert _seq(srv, 30) == first
    load(srv, d)
    assert _seq(srv, 30) == first
    other = spawn(list(BASE_ARGS), name="seed-twin")
    load(other, d)
    assert _seq(other, 30) == first
    assert scenario_state(other)["rules"][0]["fired"] == first.count("F")


def test_match_forms(srv: MockOkta) -> None:
    """match.path exact / template / prefix, query and headers ("*" = present), method."""
    def with_match(m: dict[str, Any]) -> None:
        load(srv, doc(rules=[rule({"type": "status", "status": 418}, match=m)]))

    def st(path: str, **headers: str) -> int:
        return srv.get(path, headers={**ssws(srv), **headers}).status_code

    ann = urllib.parse.quote(srv.creds["user"]["login"])
    with_match({"path": "/api/v1/users/{id}"})
    assert (st("/api/v1/users"), st(f"/api/v1/users/{ann}")) == (200, 418)
    with_match({"path": "/api/v1/*"})
    assert (st("/api/v1/users"), st("/api/v1/groups"), st("/oauth2/default/v1/keys")) == (418, 418, 200)
    with_match({"path": "/api/v1/users", "query": {"limit": "2"}})
    assert (st("/api/v1/users"), st("/api/v1/users?limit=2"), st("/api/v1/users?limit=3")) == (200, 418, 200)
    with_match({"path": "/api/v1/users", "headers": {"X-Test": "*"}})
    assert (st("/api/v1/users"), st("/api/v1/users", **{"x-test": "1"})) == (200, 418)
    with_match({"method": "POST", "path": "/api/v1/users"})
    assert st("/api/v1/users") == 200
    with_match({"authorizationServer": "org"})
    assert (st("/oauth2/v1/keys"), st("/oauth2/default/v1/keys")) == (418, 200)


# ============================================================================================
# Timeline and actions
# ============================================================================================


def test_timeline_revokes_api_token_at_1s(srv: MockOkta) -> None:
    load(srv, doc(timeline=[{"atSeconds": 1, "action": {"type": "revokeApiToken", "token": "admin"}}]))
    t0 = time.monotonic()
    assert _users(srv).status_code == 200
    assert scenario_state(srv)["timeline"][0]["done"] is False
    r = wait_for(lambda: (lambda r: [r] if r.status_code != 200 else None)(_users(srv)), 3, 0.1, "a 401")[0]
    assert time.monotonic() - t0 >= 0.85
    assert r.status_code == 401
    assert r.json()["errorCode"] == "E0000011" and r.json()["errorSummary"] == "Invalid token provided"
    st = scenario_state(srv)
    assert st["timeline"][0]["done"] is True and len(st["actionsRun"]) == 1, st
    # The read-only token still works and the System Log tells why.
    assert "system.api_token.revoke" in _event_types(srv)
    # Reset restores the token (baseline) and restarts the timeline.
    reset(srv)
    assert _users(srv).status_code == 200


def test_timeline_after_rule_expires_access_tokens(srv: MockOkta) -> None:
    c = srv.creds
    tok = mint(srv, server="default", clientId=c["webClientId"], user=c["user"]["login"],
               scopes=["openid", "profile"])["token"]

    def userinfo() -> int:
        return srv.get("/oauth2/default/v1/userinfo", headers={"Authorization": "Bearer " + tok}).status_code

    load(srv, doc(rules=[rule({"type": "serverError"}, id="boom", match=USERS, when={"nth": [1]})],
                  timeline=[{"afterRule": "boom", "delaySeconds": 0.5, "action": {"type": "expireAccessTokens"}}]))
    assert userinfo() == 200
    time.sleep(0.3)
    assert userinfo() == 200  # the rule has not fired yet
    assert _users(srv).status_code == 500
    t0 = time.monotonic()
    assert userinfo() == 200
    wait_for(lambda: userinfo() == 401, 3, 0.05, "userinfo 401 after expireAccessTokens")
    assert time.monotonic() - t0 >= 0.35
    assert scenario_state(srv)["timeline"][0]["done"] is True


def test_action_unassign_user_denies_sign_in(srv: MockOkta) -> None:
    login = srv.creds["user"]["login"]
    assert "code" in _authorize(srv, login)
    action(srv, {"type": "unassignUser", "user": login, "app": "web"})
    q = _authorize(srv, login)
    assert q.get("error") == "access_denied" and "code" not in q, q
    assert "assigned" in q.get("error_description", ""), q
    assert "application.user_membership.remove" in _event_types(srv)
    reset(srv)
    assert "code" in _authorize(srv, login)


def test_action_rotate_signing_key(srv: MockOkta) -> None:
    before = _kids(srv)
    org_before = _kids(srv, "/oauth2/v1/keys")
    old_tok = client_credentials(srv)["access_token"]
    out = action(srv, {"type": "rotateSigningKey", "server": "default"})
    after = _kids(srv)
    assert set(before) < set(after) and len(after) == len(before) + 1, (before, after)
    new_kid = (set(after) - set(before)).pop()
    assert _kids(srv, "/oauth2/v1/keys") == org_before  # only the default server rotated
    new_tok = client_credentials(srv)["access_token"]
    assert unverified(new_tok)[0]["kid"] == new_kid and unverified(old_tok)[0]["kid"] in before
    verify_jwt(srv, new_tok)
    verify_jwt(srv, old_tok)  # the old key stays published
    assert new_kid in json.dumps(out)


def test_action_rotate_signing_key_drop_old(srv: MockOkta) -> None:
    before = _kids(srv)
    old_tok = client_credentials(srv)["access_token"]
    action(srv, {"type": "rotateSigningKey", "server": "default", "dropOld": True})
    after = _kids(srv)
    assert len(after) == 1 and after[0] not in before, (before, after)
    with pytest.raises(jwt.PyJWKClientError):
        verify_jwt(srv, old_tok)
    verify_jwt(srv, client_credentials(srv)["access_token"])


def test_action_deactivate_user_kills_their_api_token(srv: MockOkta) -> None:
    ro = srv.creds["readOnlyApiToken"]
    assert _users(srv, ro).status_code == 200
    action(srv, {"type": "deactivateUser", "user": "readonly@example.com"})
    r = _users(srv, ro)
    assert r.status_code == 401 and r.json()["errorCode"] == "E0000011", r.text
    assert _users(srv).status_code == 200  # the super admin's token is unaffected
    u = srv.get("/api/v1/users/readonly%40example.com", headers=ssws(srv)).json()
    assert u["status"] == "DEPROVISIONED", u


def test_action_set_rate_limit(srv: MockOkta) -> None:
    action(srv, {"type": "setRateLimit", "bucket": "users", "limit": 2})
    r1, r2, r3 = _users(srv), _users(srv), _users(srv)
    assert (r1.status_code, r2.status_code, r3.status_code) == (200, 200, 429)
    assert [r.headers["X-Rate-Limit-Remaining"] for r in (r1, r2, r3)] == ["1", "0", "0"]
    assert all(r.headers["X-Rate-Limit-Limit"] == "2" for r in (r1, r2, r3))
    assert r3.json()["errorCode"] == "E0000047"
    reset_at, date = int(r3.headers["X-Rate-Limit-Reset"]), http_date(r3.headers["Date"])
    assert date < reset_at <= date + 61, (reset_at, date)
    assert srv.get("/api/v1/groups", headers=ssws(srv)).status_code == 200  # other buckets untouched
    assert journal(srv, path="/api/v1/users")[2]["status"] == 429


@pytest.mark.parametrize("how", ["action", "clock"])
def test_advance_clock_expires_tokens(srv: MockOkta, how: str) -> None:
    c = srv.creds
    tok = mint(srv, server="default", clientId=c["webClientId"], user=c["user"]["login"],
               scopes=["openid", "profile"], lifetimeSeconds=3600)["token"]

    def userinfo() -> requests.Response:
        return srv.get("/oauth2/default/v1/userinfo", headers={"Authorization": "Bearer " + tok})

    assert userinfo().status_code == 200
    if how == "action":
        action(srv, {"type": "advanceClock", "seconds": 3700})
    else:
        r = srv.control("POST", "/__mock/clock", json={"advance": 3700})
        assert r.status_code == 200, r.text
    r = userinfo()
    assert r.status_code == 401, r.text
    assert 'error="invalid_token"' in r.headers.get("WWW-Authenticate", "")
    assert http_date(r.headers["Date"]) >= time.time() + 3600  # the tenant clock moved, Date follows


def test_reset_forgets_a_removed_scenarios_tenant(spawn) -> None:
    """A scenario's `tenant` changes are "restored by POST /__mock/reset"; once the scenario is
    replaced (or deleted) they are no longer part of the baseline, so reset must drop them."""
    other = spawn(list(BASE_ARGS), name="tenant-leak")
    baseline = {u["profile"]["login"] for u in tenant(other)["users"]}
    load(other, doc(name="extra-user", tenant={"users": [{"login": "zed@example.com"}]}))
    assert "zed@example.com" in {u["profile"]["login"] for u in tenant(other)["users"]}
    load(other, doc(name="plain"))
    reset(other)
    after = {u["profile"]["login"] for u in tenant(other)["users"]}
    assert after == baseline, f"left over after replacing the scenario and resetting: {after - baseline}"


# ============================================================================================
# Shipped scenarios
# ============================================================================================


@pytest.mark.parametrize("path", shipped_scenarios(), ids=lambda p: p.stem)
def test_shipped_scenario_loads(scratch: MockOkta, path: Path) -> None:
    d = json.loads(path.read_text())
    assert d["name"] == path.stem
    st = load(scratch, path.read_bytes())
    try:
        assert st["name"] == d["name"]
        assert [r["id"] for r in st["rules"]] == [r["id"] for r in d.get("rules", [])]
        assert len(st["timeline"]) == len(d.get("timeline", []))
        assert scenario_state(scratch)["name"] == d["name"]
    finally:
        r = scratch.control("DELETE", "/__mock/scenario")
        assert r.status_code == 204


def test_shipped_429_rate_limit_with_reset(srv: MockOkta) -> None:
    load(srv, (SCENARIO_DIR / "429-rate-limit-with-reset.json").read_bytes())
    # An impatient client retries at once: judged a failure.
    r = _users(srv)
    assert r.status_code == 429 and r.json()["errorCode"] == "E0000047"
    assert int(r.headers["X-Rate-Limit-Reset"]) - http_date(r.headers["Date"]) == 3
    assert _users(srv).status_code == 200
    v = verify(srv)
    assert v["passed"] is False and verdict(v, "respectsRateLimitReset")["passed"] is False, v
    assert verdict(v, "respectsRateLimitReset")["evidence"], v
    # A polite client waits X-Rate-Limit-Reset − Date: judged a pass.
    reset(srv)
    assert journal(srv) == []
    r = _users(srv)
    assert r.status_code == 429
    time.sleep(int(r.headers["X-Rate-Limit-Reset"]) - http_date(r.headers["Date"]) + 0.2)
    r2 = srv.get("/api/v1/users", headers={**ssws(srv), "X-Okta-Retry-For": r.headers["X-Okta-Request-Id"],
                                            "X-Okta-Retry-Count": "1"})
    assert r2.status_code == 200
    v = verify(srv)
    assert v["passed"] is True, v
    assert "system.org.rate_limit.violation" in _event_types(srv)


def test_shipped_500_server_outage(srv: MockOkta) -> None:
    load(srv, (SCENARIO_DIR / "500-server-outage.json").read_bytes())
    statuses = []
    for delay in (0.1, 0.2, 0.4, None):  # exponential backoff
        r = srv.get("/api/v1/groups", headers=ssws(srv))
        statuses.append(r.status_code)
        if r.status_code == 500:
            assert r.json()["errorCode"] == "E0000009"
        if delay is None or r.status_code == 200:
            break
        time.sleep(delay)
    assert statuses == [500, 500, 500, 200]
    assert verify(srv)["passed"] is True
    reset(srv)  # a fixed pause between retries is judged a failure
    for _ in range(4):
        srv.get("/api/v1/groups", headers=ssws(srv))
        time.sleep(0.25)
    v = verify(srv)
    assert verdict(v, "backsOff")["passed"] is False, v
    assert len(verdict(v, "backsOff")["evidence"]) == 3, v


def test_shipped_500_server_outage_tight_loop_fails_backs_off(srv: MockOkta) -> None:
    """The scenario says a client "must not retry in a tight loop": four immediate attempts (no
    pause at all) must fail backsOff, just as a fixed 250 ms pause does."""
    load(srv, (SCENARIO_DIR / "500-server-outage.json").read_bytes())
    statuses = [srv.get("/api/v1/groups", headers=ssws(srv)).status_code for _ in range(4)]
    assert statuses == [500, 500, 500, 200]
    v = verify(srv)
    assert verdict(v, "backsOff")["passed"] is False, v


def test_shipped_hang_timeout(srv: MockOkta) -> None:
    load(srv, (SCENARIO_DIR / "hang-timeout.json").read_bytes())
    with pytest.raises(requests.exceptions.Timeout):
        srv.get("/api/v1/users", headers=ssws(srv), timeout=1)
    assert _users(srv).status_code == 200  # later calls are normal
    first = wait_for(lambda: (lambda es: es[0] if es and es[0]["disconnectedAt"] else None)(
        journal(srv, path="/api/v1/users")), 3, what="the disconnect in the journal")
    assert first["rule"] == "hang-first-listing" and first["fault"] == "hang"
    assert abs(first["disconnectedAt"] - first["receivedAt"] - 1000) <= 500, first
    v = verify(srv)
    assert v["passed"] is True and verdict(v, "abandonsHangWithin")["evidence"] == [first["id"]], v


def test_shipped_sdk_429_no_reset_header(srv: MockOkta, okta_env: None) -> None:
    load(srv, (SCENARIO_DIR / "sdk-429-no-reset-header.json").read_bytes())
    try:
        result = sdk_list_users(srv)
        assert result[-1] is not None, f"the SDK reported success: {result!r}"
    except AttributeError as e:  # okta 3.4.6 bug ("Observed client quirks")
        assert "status" in str(e)
    time.sleep(0.3)
    entries = journal(srv, path="/api/v1/users")
    assert [(e["status"], e["rule"]) for e in entries] == [(429, "throttle-without-reset")]
    assert verify(srv)["passed"] is True
    reset(srv)
    resp = _users(srv)
    assert resp.status_code == 429 and "X-Rate-Limit-Reset" not in resp.headers and resp.headers.get("Date")


def test_shipped_sdk_key_rotation_mid_run(srv: MockOkta) -> None:
    d = shipped("sdk-key-rotation-mid-run")
    assert d["timeline"][0]["atSeconds"] == 5 and d["timeline"][0]["action"]["type"] == "rotateSigningKey"
    d = copy.deepcopy(d)
    d["timeline"][0]["atSeconds"] = 1
    load(srv, d)
    t0 = time.monotonic()
    before = _kids(srv)
    old_tok = client_credentials(srv)["access_token"]
    verify_jwt(srv, old_tok)
    _wait_actions_run(srv)
    assert time.monotonic() - t0 >= 0.8
    after = _kids(srv)
    assert set(before) < set(after), (before, after)
    new_tok = client_credentials(srv)["access_token"]
    new_kid = unverified(new_tok)[0]["kid"]
    assert new_kid in after and new_kid not in before
    verify_jwt(srv, new_tok)
    verify_jwt(srv, old_tok)  # the old key stays published
    assert verify(srv)["passed"] is True


def test_shipped_401_revoked_api_token(srv: MockOkta) -> None:
    d = copy.deepcopy(shipped("401-revoked-api-token"))
    assert d["timeline"][0]["action"] == {"type": "revokeApiToken", "token": "admin"}
    d["timeline"][0]["atSeconds"] = 1
    load(srv, d)
    statuses = []
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:  # a well-behaved client: poll, stop at the first 401
        r = _users(srv)
        statuses.append(r.status_code)
        if r.status_code == 401:
            assert r.json()["errorCode"] == "E0000011"
            break
        time.sleep(0.2)
    assert statuses[-1] == 401 and set(statuses[:-1]) == {200}, statuses
    assert verify(srv)["passed"] is True
    assert "system.api_token.revoke" in _event_types(srv)


def test_shipped_403_user_not_assigned(srv: MockOkta) -> None:
    login = srv.creds["user"]["login"]
    assert "code" in _authorize(srv, login)
    load(srv, (SCENARIO_DIR / "403-user-not-assigned.json").read_bytes())
    _wait_actions_run(srv, 1, 3)
    q = _authorize(srv, login)
    assert q.get("error") == "access_denied" and "code" not in q, q
    assert "not assigned" in q.get("error_description", ""), q
    assert verify(srv)["passed"] is True
    assert "application.user_membership.remove" in _event_types(srv)
