"""Every fault kind, as a real client sees it on the wire.

Rules are injected with POST /__mock/scenario or /__mock/rules; the outcome is observed with
requests, http.client, raw sockets, curl and the okta SDK 3.4.6, and cross-checked in the journal
(PRODUCT.md "Scenario files", "The journal"; scenarios/README.md "fault").  Section numbers (§)
refer to /work/shared/research/okta-contract.md.

Hangs and resets are kept short (1-2 s) so the whole file runs in well under a minute.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import time
from typing import Any, Iterator

import jwt
import pytest
import requests

from fault_helpers import (
    clean, doc, http_date, journal, load, load_rule, okta_client_class, open_raw, preload_okta_sdk, raw_request,
    rule, scenario_state, sdk_list_users, ssws, tls_context, wait_for,
)
from helpers import (
    MockOkta, assertion_form, client_assertion, client_credentials, service_basic, token_request, unverified,
    verify_jwt,
)

pytestmark = pytest.mark.management_api

preload_okta_sdk()  # the okta SDK import takes ~10 s; let it overlap with the wire tests

USERS = {"method": "GET", "path": "/api/v1/users"}
SDK_TIMEOUT = 20


@pytest.fixture
def srv(server_http: MockOkta) -> Iterator[MockOkta]:
    """server_http with no scenario, at baseline, journal empty (before and after the test)."""
    clean(server_http)
    yield server_http
    clean(server_http)


@pytest.fixture
def tls(server_tls: MockOkta) -> Iterator[MockOkta]:
    clean(server_tls)
    yield server_tls
    clean(server_tls)


def _conn(srv: MockOkta, timeout: float = 10) -> http.client.HTTPConnection:
    if srv.ca_file:
        return http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=timeout, context=tls_context(srv))
    return http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)


def _get_raw(srv: MockOkta, path: str = "/api/v1/users", timeout: float = 10) -> tuple[http.client.HTTPResponse, bytes]:
    """GET with http.client (keeps repeated headers visible); returns (response, body)."""
    conn = _conn(srv, timeout)
    try:
        conn.request("GET", path, headers=ssws(srv))
        resp = conn.getresponse()
        return resp, resp.read()
    finally:
        conn.close()


def _curl(srv: MockOkta, path: str = "/api/v1/users") -> subprocess.CompletedProcess:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl not installed")
    args = [curl, "-sS", "--noproxy", "*", "-m", "10", "-o", "/dev/null", "-H",
            f"Authorization: SSWS {srv.creds['apiToken']}"]
    if srv.ca_file:
        args += ["--cacert", srv.ca_file]
    return subprocess.run([*args, srv.url + path], capture_output=True, text=True, timeout=20)


def _only_entry(srv: MockOkta, **filters: Any) -> dict[str, Any]:
    entries = journal(srv, **filters)
    assert len(entries) == 1, entries
    return entries[0]


def _normal_users_body(srv: MockOkta) -> bytes:
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == 200, r.text[:300]
    return r.content


# ============================================================================================
# rateLimit and its three knobs, concurrencyLimit
# ============================================================================================


def test_rate_limit_headers_are_consistent(srv: MockOkta) -> None:
    """§2.2: 429 E0000047, Remaining 0, Reset − Date == resetAfterSeconds (checked over a second, so
    a rounding mismatch between Date and Reset would show); injected 429s consume no bucket."""
    load_rule(srv, {"type": "rateLimit", "resetAfterSeconds": 2}, match=USERS, when={"first": 5})
    ids = []
    for _ in range(5):
        r = srv.get("/api/v1/users", headers=ssws(srv))
        assert r.status_code == 429, r.text[:300]
        body = r.json()
        assert body["errorCode"] == "E0000047" and body["errorLink"] == "E0000047", body
        assert body["errorSummary"] == "API call exceeded rate limit due to too many requests.", body
        assert int(r.headers["X-Rate-Limit-Limit"]) > 0
        assert r.headers["X-Rate-Limit-Remaining"] == "0"
        reset, date = int(r.headers["X-Rate-Limit-Reset"]), http_date(r.headers["Date"])
        assert reset - date == 2, (r.headers["X-Rate-Limit-Reset"], r.headers["Date"])
        assert abs(date - time.time()) < 5
        assert r.headers["Content-Type"].startswith("application/json")
        ids.append(r.headers["X-Okta-Request-Id"])
        time.sleep(0.23)
    # The rule is exhausted: a normal answer, and the bucket was not consumed by the injected 429s.
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == 200
    assert int(r.headers["X-Rate-Limit-Remaining"]) == int(r.headers["X-Rate-Limit-Limit"]) - 1, dict(r.headers)
    entries = journal(srv, path="/api/v1/users")
    assert [e["status"] for e in entries] == [429] * 5 + [200]
    assert [e["id"] for e in entries[:5]] == ids
    assert all(e["rule"] == "r" and e["fault"] == "rateLimit" for e in entries[:5])
    assert entries[5]["rule"] is None and entries[5]["fault"] is None
    state = scenario_state(srv)
    assert state["rules"] == [{"id": "r", "fault": "rateLimit", "matched": 6, "fired": 5}]


def test_rate_limit_omit_date(srv: MockOkta) -> None:
    """omitDate: the 429 has X-Rate-Limit-Reset but no Date header at all."""
    load_rule(srv, {"type": "rateLimit", "resetAfterSeconds": 2, "omitDate": True}, match=USERS)
    t0 = time.time()
    resp, body = _get_raw(srv)
    assert resp.status == 429
    assert resp.getheader("Date") is None, resp.getheaders()
    assert abs(int(resp.getheader("X-Rate-Limit-Reset")) - (t0 + 2)) <= 1.5
    assert resp.getheader("X-Rate-Limit-Remaining") == "0"
    assert json.loads(body)["errorCode"] == "E0000047"


def test_rate_limit_omit_reset_header(srv: MockOkta) -> None:
    """omitResetHeader: Date present, no X-Rate-Limit-Reset; the other rate-limit headers stay."""
    load_rule(srv, {"type": "rateLimit", "resetAfterSeconds": 2, "omitResetHeader": True}, match=USERS)
    resp, body = _get_raw(srv)
    assert resp.status == 429
    assert resp.msg.get_all("X-Rate-Limit-Reset") is None, resp.getheaders()
    assert abs(http_date(resp.getheader("Date")) - time.time()) < 5
    assert resp.getheader("X-Rate-Limit-Limit") and resp.getheader("X-Rate-Limit-Remaining") == "0"
    assert json.loads(body)["errorCode"] == "E0000047"


def test_rate_limit_duplicate_reset_header(srv: MockOkta) -> None:
    """duplicateResetHeader: two X-Rate-Limit-Reset header lines, same value (requests joins them
    with a comma, which is what broke the Node SDK, §2.5)."""
    load_rule(srv, {"type": "rateLimit", "resetAfterSeconds": 2, "duplicateResetHeader": True}, match=USERS)
    resp, _ = _get_raw(srv)
    assert resp.status == 429
    values = resp.msg.get_all("X-Rate-Limit-Reset")
    assert values is not None and len(values) == 2 and values[0] == values[1], resp.getheaders()
    assert int(values[0]) - http_date(resp.getheader("Date")) == 2
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == 429
    joined = [v.strip() for v in r.headers["X-Rate-Limit-Reset"].split(",")]
    assert len(joined) == 2 and joined[0] == joined[1], r.headers["X-Rate-Limit-Reset"]


def test_concurrency_limit(srv: MockOkta) -> None:
    """§2.3: concurrency 429 = E0000047 with X-Rate-Limit-Limit 0 and Remaining 0, Reset ahead."""
    load_rule(srv, {"type": "concurrencyLimit", "resetAfterSeconds": 3}, match=USERS, when={"nth": [1]})
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == 429
    assert r.json()["errorCode"] == "E0000047"
    assert r.headers["X-Rate-Limit-Limit"] == "0" and r.headers["X-Rate-Limit-Remaining"] == "0"
    assert int(r.headers["X-Rate-Limit-Reset"]) - http_date(r.headers["Date"]) == 3
    r2 = srv.get("/api/v1/users", headers=ssws(srv))
    assert r2.status_code == 200 and int(r2.headers["X-Rate-Limit-Limit"]) > 0
    assert [e["fault"] for e in journal(srv)] == ["concurrencyLimit", None]


# ============================================================================================
# Status faults
# ============================================================================================


def test_server_error_management_and_oauth(srv: MockOkta) -> None:
    """serverError: 500 E0000009 on /api/v1; on /oauth2 the OAuth error shape (§1, summary 14)."""
    load_rule(srv, {"type": "serverError"})
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == 500
    body = r.json()
    assert body["errorCode"] == "E0000009" and body["errorSummary"] == "Internal Server Error", body
    assert r.headers.get("X-Okta-Request-Id") and r.headers.get("X-Rate-Limit-Reset") and r.headers.get("Date")
    r = token_request(srv, {"grant_type": "client_credentials", "scope": "api.read"}, auth=service_basic(srv))
    assert r.status_code == 500
    assert "error" in r.json() and "errorCode" not in r.json(), r.text
    assert [e["status"] for e in journal(srv)] == [500, 500]


def test_unavailable(srv: MockOkta) -> None:
    """unavailable: 503 with Okta's body and the rate-limit headers (which SDKs need to retry, §2.5)."""
    load_rule(srv, {"type": "unavailable"}, match=USERS)
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == 503
    assert r.json()["errorCode"].startswith("E0000"), r.text
    for h in ("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset", "Date", "X-Okta-Request-Id"):
        assert r.headers.get(h), (h, dict(r.headers))


@pytest.mark.parametrize("status,code", [(418, None), (403, "E0000006"), (404, "E0000007"), (401, "E0000011")])
def test_status_fault_management(srv: MockOkta, status: int, code: str | None) -> None:
    """status: any status, with Okta's /api/v1 error body."""
    load_rule(srv, {"type": "status", "status": status}, match=USERS)
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == status
    body = r.json()
    assert body["errorCode"].startswith("E0000") and body["errorLink"] == body["errorCode"], body
    if code:
        assert body["errorCode"] == code, body
    assert _only_entry(srv)["status"] == status


def test_status_fault_oauth_shape(srv: MockOkta) -> None:
    """status on /oauth2: {"error","error_description"}, never errorCode."""
    load_rule(srv, {"type": "status", "status": 403}, match={"method": "POST", "path": "/oauth2/default/v1/token"})
    r = token_request(srv, {"grant_type": "client_credentials", "scope": "api.read"}, auth=service_basic(srv))
    assert r.status_code == 403
    body = r.json()
    assert isinstance(body.get("error"), str) and body.get("error_description"), body
    assert "errorCode" not in body


def test_body_and_header_overrides(srv: MockOkta) -> None:
    """Every fault takes `body` (a JSON string = raw text) and `headers` overrides."""
    load_rule(srv, {"type": "status", "status": 502, "body": "<html>bad gateway</html>",
                    "headers": {"X-Proxy": "edge-1"}}, match=USERS)
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == 502 and r.text == "<html>bad gateway</html>"
    assert r.headers["X-Proxy"] == "edge-1"


# ============================================================================================
# Timing faults: delay, hang, slowBody
# ============================================================================================


def test_delay(srv: MockOkta) -> None:
    load_rule(srv, {"type": "delay", "ms": 700}, match=USERS, when={"nth": [1]})
    t0 = time.monotonic()
    r = srv.get("/api/v1/users", headers=ssws(srv))
    elapsed = time.monotonic() - t0
    assert r.status_code == 200 and isinstance(r.json(), list) and r.json()
    assert elapsed >= 0.65, elapsed
    t0 = time.monotonic()
    assert srv.get("/api/v1/users", headers=ssws(srv)).status_code == 200
    assert time.monotonic() - t0 < 0.5
    e = journal(srv)[0]
    assert e["fault"] == "delay" and e["finishedAt"] - e["receivedAt"] >= 650, e


def test_hang_until_client_leaves(srv: MockOkta) -> None:
    """hang without seconds: nothing is sent; the journal records when the client gave up."""
    load_rule(srv, {"type": "hang"}, match=USERS)
    t0 = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        srv.get("/api/v1/users", headers=ssws(srv), timeout=1)
    assert time.monotonic() - t0 < 2.5

    def disconnected() -> dict[str, Any] | None:
        es = journal(srv, path="/api/v1/users")
        return es[0] if len(es) == 1 and es[0]["disconnectedAt"] is not None else None

    e = wait_for(disconnected, 3, what="disconnectedAt in the journal")
    assert e["fault"] == "hang" and e["rule"] == "r"
    assert abs(e["disconnectedAt"] - e["receivedAt"] - 1000) <= 500, e


def test_hang_then_respond(srv: MockOkta) -> None:
    load_rule(srv, {"type": "hang", "seconds": 1, "then": "respond"}, match=USERS)
    t0 = time.monotonic()
    r = srv.get("/api/v1/users", headers=ssws(srv), timeout=5)
    elapsed = time.monotonic() - t0
    assert r.status_code == 200 and isinstance(r.json(), list)
    assert 0.95 <= elapsed < 3, elapsed
    e = _only_entry(srv)
    assert e["status"] == 200 and e["disconnectedAt"] is None and e["finishedAt"] - e["receivedAt"] >= 950, e


def test_hang_then_close(srv: MockOkta) -> None:
    load_rule(srv, {"type": "hang", "seconds": 1, "then": "close"}, match=USERS)
    t0 = time.monotonic()
    with pytest.raises(http.client.RemoteDisconnected):
        _get_raw(srv, timeout=5)
    elapsed = time.monotonic() - t0
    assert 0.95 <= elapsed < 3, elapsed


def test_journal_has_no_status_for_unanswered_requests(srv: MockOkta) -> None:
    """A request that got no response at all (close, hang-then-close, hang until the client left)
    must not be journaled as if a 200 had been sent: `noRequestsAfter`, `requestCount` by status and
    `GET /__mock/journal?status=200` would miscount it.  `close` and `reset` record 0; the hang
    variants must agree."""
    load(srv, doc(rules=[
        rule({"type": "close"}, id="c", match=USERS, when={"nth": [1]}),
        rule({"type": "hang", "seconds": 0.3, "then": "close"}, id="hc", match=USERS, when={"nth": [2]}),
        rule({"type": "hang"}, id="h", match=USERS, when={"nth": [3]}),
    ]))
    with pytest.raises(http.client.RemoteDisconnected):
        _get_raw(srv)
    with pytest.raises(http.client.RemoteDisconnected):
        _get_raw(srv)
    with pytest.raises(requests.exceptions.Timeout):
        srv.get("/api/v1/users", headers=ssws(srv), timeout=0.5)
    entries = wait_for(lambda: (lambda es: es if len(es) == 3 and es[2]["disconnectedAt"] else None)(journal(srv)),
                       3, what="three journal entries")
    by_rule = {e["rule"]: e["status"] for e in entries}
    assert by_rule["c"] in (0, None), by_rule
    assert by_rule["hc"] == by_rule["c"], f"hang-then-close journaled as {by_rule['hc']}: {by_rule}"
    assert by_rule["h"] == by_rule["c"], f"hang (client left) journaled as {by_rule['h']}: {by_rule}"
    assert journal(srv, status=200) == []


def test_slow_body_trickles_a_valid_body(srv: MockOkta) -> None:
    """slowBody: headers at once, then the normal JSON body spread over `seconds`."""
    normal = _normal_users_body(srv)
    load_rule(srv, {"type": "slowBody", "seconds": 1.5}, match=USERS)
    conn = _conn(srv, timeout=10)
    try:
        t0 = time.monotonic()
        conn.request("GET", "/api/v1/users", headers=ssws(srv))
        resp = conn.getresponse()
        t_headers = time.monotonic() - t0
        arrivals: list[tuple[float, int]] = []
        chunks = []
        while True:
            chunk = resp.read1(256) if hasattr(resp, "read1") else resp.read(256)
            if not chunk:
                break
            chunks.append(chunk)
            arrivals.append((time.monotonic() - t0, len(chunk)))
            assert time.monotonic() - t0 < 8, "slowBody never finished"
        total = time.monotonic() - t0
    finally:
        conn.close()
    body = b"".join(chunks)
    assert resp.status == 200
    assert t_headers < 0.6, t_headers
    assert total >= 1.2, total
    assert json.loads(body) == json.loads(normal)
    first_half = sum(n for t, n in arrivals if t < t_headers + 0.6)
    assert 0 < first_half < len(body), (first_half, len(body), arrivals[:5])
    assert arrivals[-1][0] - arrivals[0][0] >= 0.8, arrivals


# ============================================================================================
# Connection faults: reset, close
# ============================================================================================


def test_reset_is_a_tcp_rst(srv: MockOkta) -> None:
    load_rule(srv, {"type": "reset"}, match=USERS)
    with pytest.raises(ConnectionResetError):
        _get_raw(srv)
    with pytest.raises(requests.exceptions.ConnectionError):
        srv.get("/api/v1/users", headers=ssws(srv))
    p = _curl(srv)
    assert p.returncode == 56, (p.returncode, p.stderr)  # CURLE_RECV_ERROR: connection reset by peer
    entries = journal(srv)
    assert len(entries) == 3 and all(e["fault"] == "reset" for e in entries), entries
    assert srv.get("/__mock/health").status_code == 200


def test_close_without_response(srv: MockOkta) -> None:
    load_rule(srv, {"type": "close"}, match=USERS)
    with pytest.raises(http.client.RemoteDisconnected):
        _get_raw(srv)
    p = _curl(srv)
    assert p.returncode == 52, (p.returncode, p.stderr)  # CURLE_GOT_NOTHING: empty reply
    assert [e["fault"] for e in journal(srv)] == ["close", "close"]


# ============================================================================================
# Body faults: emptyBody, malformedBody
# ============================================================================================


def test_empty_body(srv: MockOkta) -> None:
    load(srv, doc(rules=[rule({"type": "emptyBody"}, id="e200", match=USERS, when={"nth": [1]}),
                         rule({"type": "emptyBody", "status": 500}, id="e500", match=USERS, when={"nth": [2]})]))
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == 200 and r.content == b"" and r.headers["Content-Length"] == "0"
    with pytest.raises(ValueError):
        r.json()
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == 500 and r.content == b""
    assert [e["rule"] for e in journal(srv)] == ["e200", "e500"]


def test_malformed_body(srv: MockOkta) -> None:
    """malformedBody: the normal answer cut off, so it does not parse."""
    normal = _normal_users_body(srv)
    load_rule(srv, {"type": "malformedBody"}, match=USERS)
    r = srv.get("/api/v1/users", headers=ssws(srv))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    assert 0 < len(r.content) < len(normal) and normal.startswith(r.content)
    with pytest.raises(ValueError):
        json.loads(r.content)


# ============================================================================================
# Token faults (token endpoints), judged by PyJWT and the resource server
# ============================================================================================

TOKEN = {"method": "POST", "path": "/oauth2/default/v1/token"}


def _cc_token(srv: MockOkta) -> dict[str, Any]:
    return client_credentials(srv, "api.read")


def test_expired_token_is_rejected_by_a_verifier(srv: MockOkta) -> None:
    load_rule(srv, {"type": "expiredToken"}, match=TOKEN)
    tok = _cc_token(srv)["access_token"]
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_jwt(srv, tok)
    assert _only_entry(srv, path="/oauth2/default/v1/token")["fault"] == "expiredToken"


def test_expired_token_is_beyond_verifier_leeway(srv: MockOkta) -> None:
    """Fault doc: `exp` at least 10 minutes in the past (beyond the 120-300 s leeway verifiers allow)
    while `expires_in` still reads as a normal lifetime.  okta-auth-js allows 300 s of skew."""
    load_rule(srv, {"type": "expiredToken"}, match=TOKEN)
    resp = _cc_token(srv)
    _, claims = unverified(resp["access_token"])
    assert claims["exp"] <= time.time() - 600, f"exp is only {time.time() - claims['exp']:.0f}s in the past"
    assert resp["expires_in"] > 0, resp
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_jwt_leeway(srv, resp["access_token"], leeway=300)


def verify_jwt_leeway(srv: MockOkta, token: str, leeway: int) -> dict[str, Any]:
    key = jwt.PyJWKClient(srv.url + "/oauth2/default/v1/keys", cache_keys=False).get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience="api://default",
                      issuer=srv.url + "/oauth2/default", leeway=leeway)


def test_short_lived_token(srv: MockOkta) -> None:
    load_rule(srv, {"type": "shortLivedToken", "seconds": 2}, match=TOKEN)
    resp = _cc_token(srv)
    claims = verify_jwt(srv, resp["access_token"])  # valid right now
    assert resp["expires_in"] == 2 and claims["exp"] - claims["iat"] == 2, (resp, claims)

    def active() -> bool:
        r = srv.post("/oauth2/default/v1/introspect", data={"token": resp["access_token"],
                                                            "token_type_hint": "access_token"}, auth=service_basic(srv))
        assert r.status_code == 200, r.text
        return r.json()["active"]

    assert active() is True
    r = srv.control("POST", "/__mock/clock", json={"advance": 5})
    assert r.status_code == 200, r.text
    assert active() is False


def test_wrong_issuer(srv: MockOkta) -> None:
    load_rule(srv, {"type": "wrongIssuer"}, match=TOKEN)
    tok = _cc_token(srv)["access_token"]
    assert unverified(tok)[1]["iss"] != srv.default_issuer
    with pytest.raises(jwt.InvalidIssuerError):
        verify_jwt(srv, tok)


def test_wrong_audience(srv: MockOkta) -> None:
    load_rule(srv, {"type": "wrongAudience"}, match=TOKEN)
    tok = _cc_token(srv)["access_token"]
    assert unverified(tok)[1]["aud"] != "api://default"
    with pytest.raises(jwt.InvalidAudienceError):
        verify_jwt(srv, tok)


def _faulted_token_and_kids(srv: MockOkta, fault: str) -> tuple[str, set[str]]:
    """A client_credentials token minted under `fault`, and the kids the default server publishes."""
    load_rule(srv, {"type": fault}, match=TOKEN)
    tok = _cc_token(srv)["access_token"]
    return tok, {k["kid"] for k in srv.get("/oauth2/default/v1/keys").json()["keys"]}


def test_unknown_kid(srv: MockOkta) -> None:
    tok, kids = _faulted_token_and_kids(srv, "unknownKid")
    assert unverified(tok)[0]["kid"] not in kids
    with pytest.raises(jwt.PyJWKClientError):
        verify_jwt(srv, tok)


def test_bad_signature(srv: MockOkta) -> None:
    tok, kids = _faulted_token_and_kids(srv, "badSignature")
    assert unverified(tok)[0]["kid"] in kids
    with pytest.raises(jwt.InvalidSignatureError):
        verify_jwt(srv, tok)


def test_missing_scope_gets_403_insufficient_scope(srv: MockOkta) -> None:
    """missingScope on the org server (private_key_jwt, §4.4): the token lacks okta.users.read, so
    GET /api/v1/users answers 403 with WWW-Authenticate error="insufficient_scope" (summary 11)."""
    load_rule(srv, {"type": "missingScope", "scope": "okta.users.read"},
              match={"method": "POST", "path": "/oauth2/v1/token"})
    aud = srv.url + "/oauth2/v1/token"
    r = token_request(srv, assertion_form(client_assertion(srv, aud), "okta.users.read okta.groups.read"), as_id="org")
    assert r.status_code == 200, r.text
    tok = r.json()["access_token"]
    scp = unverified(tok)[1]["scp"]
    assert "okta.users.read" not in scp and "okta.groups.read" in scp, scp
    r = srv.get("/api/v1/users", headers={"Authorization": "Bearer " + tok})
    assert r.status_code == 403
    assert 'error="insufficient_scope"' in r.headers.get("WWW-Authenticate", ""), dict(r.headers)
    assert srv.get("/api/v1/groups", headers={"Authorization": "Bearer " + tok}).status_code == 200


# ============================================================================================
# The server under load of hung requests, TLS, limits, shutdown
# ============================================================================================


def test_200_hung_requests_do_not_block_the_server(srv: MockOkta) -> None:
    load_rule(srv, {"type": "hang"}, match=USERS)
    payload = raw_request("GET", "/api/v1/users", ssws(srv))
    socks: list[socket.socket] = []
    try:
        for _ in range(200):
            socks.append(open_raw(srv, payload))
        wait_for(lambda: len(journal(srv, path="/api/v1/users")) == 200, 10, 0.1, "200 hung requests journaled")
        t0 = time.monotonic()
        r = srv.get("/oauth2/default/v1/keys", timeout=5)
        assert r.status_code == 200 and r.json()["keys"]
        assert time.monotonic() - t0 < 0.5, time.monotonic() - t0
        h = srv.get("/__mock/health", timeout=5)
        assert h.status_code == 200 and h.json() == {"status": "ok"}
        assert all(e["disconnectedAt"] is None for e in journal(srv, path="/api/v1/users"))
    finally:
        for s in socks:
            s.close()
    entries = wait_for(
        lambda: (lambda es: es if sum(e["disconnectedAt"] is not None for e in es) == 200 else None)(
            journal(srv, path="/api/v1/users")),
        10, 0.1, "200 disconnects journaled")
    assert all(e["fault"] == "hang" and e["disconnectedAt"] >= e["receivedAt"] for e in entries)


def test_tls_reset_is_a_connection_error(tls: MockOkta) -> None:
    assert tls.url.startswith("https://")
    load_rule(tls, {"type": "reset"}, match=USERS)
    with pytest.raises(requests.exceptions.ConnectionError):
        tls.get("/api/v1/users", headers=ssws(tls))
    p = _curl(tls)
    assert p.returncode == 56, (p.returncode, p.stderr)
    assert [e["fault"] for e in journal(tls)] == ["reset", "reset"]
    assert tls.get("/__mock/health").status_code == 200


def test_tls_hang_notices_client_leaving(tls: MockOkta) -> None:
    load_rule(tls, {"type": "hang"}, match=USERS)
    with pytest.raises(requests.exceptions.Timeout):
        tls.get("/api/v1/users", headers=ssws(tls), timeout=1)
    e = wait_for(lambda: (lambda es: es[0] if es and es[0]["disconnectedAt"] else None)(journal(tls)), 3,
                 what="disconnectedAt over TLS")
    assert abs(e["disconnectedAt"] - e["receivedAt"] - 1000) <= 500, e


@pytest.mark.parametrize("path,headers", [
    ("/api/v1/users", "ssws"),
    ("/oauth2/default/v1/token", None),
    ("/__mock/scenario", None),
])
def test_body_over_1mib_is_413(srv: MockOkta, path: str, headers: str | None) -> None:
    hdrs = {"Content-Type": "application/json"}
    if headers == "ssws":
        hdrs.update(ssws(srv))
    r = srv.post(path, data=b"x" * (1024 * 1024 + 16), headers=hdrs)
    assert r.status_code == 413, r.text[:300]
    assert srv.get("/__mock/health").status_code == 200
    assert srv.get("/api/v1/users", headers=ssws(srv)).status_code == 200


def test_413_carries_the_standard_okta_headers(srv: MockOkta) -> None:
    """PRODUCT.md "Okta surface": *every* response has X-Okta-Request-Id and the three
    X-Rate-Limit-* headers, the 413 for an oversized body included."""
    r = srv.post("/api/v1/users", data=b"x" * (1024 * 1024 + 16),
                 headers={"Content-Type": "application/json", **ssws(srv)})
    assert r.status_code == 413
    missing = [h for h in ("X-Okta-Request-Id", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining",
                           "X-Rate-Limit-Reset", "Date") if not r.headers.get(h)]
    assert not missing, f"413 lacks {missing}: {dict(r.headers)}"


def test_body_just_under_1mib_is_not_413(srv: MockOkta) -> None:
    payload = json.dumps({"version": 1, "name": "big", "description": "x" * (1024 * 1024 - 200)}).encode()
    assert len(payload) < 1024 * 1024
    r = srv.control("POST", "/__mock/scenario", data=payload, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text[:300]


def test_sigterm_with_a_hung_request_in_flight(spawn) -> None:
    srv = spawn(["--host", "127.0.0.1", "--port", "0", "--seed", "1"], name="sigterm")
    load_rule(srv, {"type": "hang"}, match=USERS)
    sock = open_raw(srv, raw_request("GET", "/api/v1/users", ssws(srv)))
    try:
        wait_for(lambda: journal(srv), 3, what="the hung request in the journal")
        rc, elapsed = srv.stop(timeout=1.5)
        assert rc is not None, f"server still running {elapsed:.2f}s after SIGTERM\n{srv.stderr_tail()}"
        assert elapsed <= 1.5
        sock.settimeout(2)
        try:
            assert sock.recv(100) == b""
        except ConnectionResetError:
            pass
    finally:
        sock.close()


# ============================================================================================
# The okta SDK 3.4.6 (§2.5, "Observed client quirks")
# ============================================================================================


@pytest.fixture
def okta_client_cls(okta_env: None) -> Any:
    """okta.client.Client; its slow import was started in the background when this module loaded."""
    return okta_client_class()


def _sdk_list_users(client_cls: Any, srv: MockOkta) -> tuple:
    return sdk_list_users(srv, timeout=SDK_TIMEOUT)


def test_sdk_waits_for_reset_and_sends_retry_headers(srv: MockOkta, okta_client_cls: Any) -> None:
    load_rule(srv, {"type": "rateLimit", "resetAfterSeconds": 2}, match=USERS, when={"nth": [1]})
    users, resp, err = _sdk_list_users(okta_client_cls, srv)
    assert err is None, err
    assert resp.status_code == 200 and {u.profile.login for u in users} >= {srv.creds["user"]["login"]}
    first, second = journal(srv, path="/api/v1/users")
    assert first["status"] == 429 and second["status"] == 200
    assert second["receivedAt"] - first["receivedAt"] >= 2000, (first["receivedAt"], second["receivedAt"])
    assert second["headers"].get("x-okta-retry-for") == first["id"], second["headers"]
    assert second["headers"].get("x-okta-retry-count") == "1", second["headers"]
    assert second["retryFor"] == first["id"] and second["retryCount"] == 1
    assert first["retryFor"] is None and first["retryCount"] is None


def _assert_sdk_gives_up_after_one_429(srv: MockOkta, okta_client_cls: Any, fault: dict) -> None:
    """The SDK sees one 429 under `fault`, reports an error (or raises AttributeError) and never retries."""
    load_rule(srv, fault, match=USERS, when={"nth": [1]})
    try:
        result = _sdk_list_users(okta_client_cls, srv)
        assert result[-1] is not None, f"SDK reported success: {result!r}"
    except AttributeError:
        pass
    time.sleep(0.3)
    entries = journal(srv, path="/api/v1/users")
    assert [e["status"] for e in entries] == [429], entries


def test_sdk_gives_up_on_429_without_reset(srv: MockOkta, okta_client_cls: Any) -> None:
    """Quirk: a 429 without X-Rate-Limit-Reset makes okta 3.4.6 stop after one attempt (it raises
    AttributeError instead of returning the E0000047 error)."""
    _assert_sdk_gives_up_after_one_429(srv, okta_client_cls,
                                       {"type": "rateLimit", "resetAfterSeconds": 2, "omitResetHeader": True})


def test_sdk_gives_up_on_429_without_date(srv: MockOkta, okta_client_cls: Any) -> None:
    """§2.5: without a Date header the SDK cannot compute reset − Date: one attempt only."""
    _assert_sdk_gives_up_after_one_429(srv, okta_client_cls, {"type": "rateLimit", "resetAfterSeconds": 2, "omitDate": True})


def test_sdk_retries_503_at_once(srv: MockOkta, okta_client_cls: Any) -> None:
    """§2.5: python okta retries a 503 that carries Date and Reset, without sleeping."""
    load_rule(srv, {"type": "unavailable"}, match=USERS, when={"nth": [1]})
    t0 = time.monotonic()
    users, resp, err = _sdk_list_users(okta_client_cls, srv)
    assert err is None and users, err
    first, second = journal(srv, path="/api/v1/users")
    assert (first["status"], second["status"]) == (503, 200)
    assert second["retryFor"] == first["id"] and second["retryCount"] == 1
    assert time.monotonic() - t0 < 2


def test_sdk_empty_error_body_is_success_quirk(srv: MockOkta, okta_client_cls: Any) -> None:
    """Fault doc for emptyBody: "python okta 3.4.6 treats an empty error body as success" (§1.1 step 3).
    That only holds when the empty body is not labelled application/json (§ summary 3): an empty
    body *with* Content-Type: application/json makes the SDK raise JSONDecodeError instead."""
    load_rule(srv, {"type": "emptyBody", "status": 500}, match=USERS)
    data, resp, err = _sdk_list_users(okta_client_cls, srv)
    assert data is None and err is None and resp.status_code == 500
