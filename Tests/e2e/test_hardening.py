"""Hardening (issue 10): no input ends the process, `--db` never loses or confuses state, secrets stay out.

Each test pins one finding of issue 10 against a fresh `mock-okta serve` (started with the `spawn`
fixture, so a crash in one test cannot take the next one down) and, where a request could have
killed the process, checks afterwards that the server is still up (`GET /__mock/health` 200).

Limits under test (PRODUCT.md "Okta surface": "every limit is documented ... Beyond a limit: a 4xx
in Okta's shape, never a crash"):

- JSON: at most 64 levels of nested arrays/objects wherever JSON comes from outside (bearer token
  header and payload, client assertions, request bodies, scenario files); numbers must be finite.
- `filter` / `search` / `q`: at most 4,096 characters and 32 levels of parentheses / `not`.
- Scenarios: `seed` <= 2^53, `hang.seconds` <= 3600, `delay.ms` <= 3,600,000, `slowBody.seconds`
  <= 3600, `nth` values <= 1,000,000, at most 1,000 rules / timeline entries / expectations.
- Clock: |advance|, |offset| <= 3,153,600,000 s (100 years).
- Fault `status` must be a final answer (not 1xx, not 304); a fault may not override the headers
  that frame the message (Content-Length, Transfer-Encoding, Connection).

A Bearer token travels in one header field, which SwiftNIO caps at 80 KiB before the server sees it,
so deep bearer tokens here are as deep as fits (60,000 `[`, 11,500 `{"a":`); bodies and client
assertions use the full 100,000 levels.

Every socket and subprocess wait here is bounded; everything listens on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import re
import selectors
import signal
import socket
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import jwt
import pytest
import requests

from helpers import (
    ASSERTION_TYPE, MockOkta, clean_env, client_credentials, code_flow, mint, mock_okta_bin,
    service_basic, token_request, unverified,
)

Spawn = Callable[..., MockOkta]
BASE = ["--host", "127.0.0.1", "--port", "0"]
CLI_TIMEOUT = 30
SOCK_TIMEOUT = 5.0

DEEP_N = 100_000  # the attack size of the issue (~50,000 `[` segfaulted)
DEEP = {
    "arrays": b"[" * DEEP_N,
    "objects": b'{"a":' * DEEP_N,
}
# A Bearer token travels in one header, and the HTTP layer (SwiftNIO) refuses a header field over 80 KiB
# before the server sees it: the deep bearer tokens are as deep as fits (header/payload <= ~80,000 base64url
# characters), which is still beyond the ~50,000 `[` that crashed the parser.
DEEP_BEARER = {
    "arrays": b"[" * 60_000,
    "objects": b'{"a":' * 11_500,
}
FILTER_PARENS = 40_000

MAX_JSON_DEPTH = 64
MAX_FILTER_LEN = 4096
MAX_FILTER_DEPTH = 32
MAX_CLOCK = 3_153_600_000

POST_LOGOUT = "http://localhost:8000/"


# ============================================================================================
# helpers (this file only)
# ============================================================================================


@pytest.fixture
def srv(spawn: Spawn) -> MockOkta:
    """A fresh plain-HTTP server (seed 1) for this test alone."""
    return spawn([*BASE, "--seed", "1"], name="hard")


def assert_alive(srv: MockOkta) -> None:
    """The process still runs and answers GET /__mock/health with 200."""
    assert srv.proc is not None
    rc = srv.proc.poll()
    assert rc is None, f"{srv.name} exited with {rc}\nstderr tail:\n{srv.stderr_tail()}"
    try:
        r = requests.get(srv.url + "/__mock/health", timeout=5, verify=srv.verify)
    except requests.RequestException as e:
        raise AssertionError(f"/__mock/health failed: {e!r}\nstderr tail:\n{srv.stderr_tail()}") from e
    assert r.status_code == 200, f"/__mock/health -> {r.status_code} {r.text[:200]}"


def call(srv: MockOkta, method: str, path: str, **kw: Any) -> requests.Response:
    """srv.request, but a dropped connection becomes an AssertionError that says whether the server died."""
    url = srv.url + path if path.startswith("/") else path  # (a query may itself hold "://")
    try:
        return srv.request(method, url, **kw)
    except requests.RequestException as e:
        rc = srv.proc.poll() if srv.proc else None
        raise AssertionError(
            f"{method} {path[:120]} failed: {type(e).__name__}: {str(e)[:300]}; server "
            f"{'exited with ' + str(rc) if rc is not None else 'still running'}\nstderr tail:\n{srv.stderr_tail()}"
        ) from e


def control(srv: MockOkta, method: str, path: str, **kw: Any) -> requests.Response:
    headers = dict(kw.pop("headers", {}) or {})
    if srv.admin_token:
        headers.setdefault("Authorization", f"Bearer {srv.admin_token}")
    return call(srv, method, path, headers=headers, **kw)


def ssws(srv: MockOkta, token: str | None = None) -> dict[str, str]:
    return {"Authorization": "SSWS " + (token or srv.creds["apiToken"])}


def read_only(srv: MockOkta) -> dict[str, str]:
    return ssws(srv, srv.creds["readOnlyApiToken"])


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


GOOD_HEADER = b'{"alg":"RS256","kid":"hardening","typ":"JWT"}'
GOOD_PAYLOAD = b'{"sub":"ann@example.com","iss":"http://127.0.0.1","aud":"api://default","exp":4102444800}'


def forged_jwt(part: str, raw: bytes) -> str:
    """A three-part token whose `part` ("header" or "payload") decodes to `raw`."""
    header, payload = (raw, GOOD_PAYLOAD) if part == "header" else (GOOD_HEADER, raw)
    return f"{b64u(header)}.{b64u(payload)}.{b64u(b'not-a-signature')}"


def json_body(r: requests.Response) -> Any:
    """The response body as strict JSON (no NaN/Infinity)."""
    def bad_constant(name: str) -> Any:
        raise ValueError(f"non-standard JSON constant {name}")
    try:
        return json.loads(r.text, parse_constant=bad_constant)
    except ValueError as e:
        raise AssertionError(f"{r.request.method} {r.url[:120]} -> {r.status_code}: body is not valid JSON ({e}): "
                             f"{r.text[:300]!r}") from e


def bearer_refused(r) -> None:
    """Okta's answer to an invalid Bearer token on /api/v1: 401, no body, `error="invalid_token"` challenge."""
    assert r.status_code == 401, (r.status_code, r.text[:300])
    assert r.content == b"", r.text[:300]
    assert 'error="invalid_token"' in r.headers.get("WWW-Authenticate", ""), r.headers


def okta_error(r: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code}: {r.text[:400]}"
    body = json_body(r)
    assert body.get("errorCode") == code, body
    return body


def causes_text(r: requests.Response) -> str:
    """Everything a 400 says about where the problem is (paths and summaries of its causes)."""
    try:
        body = r.json()
    except ValueError:
        return r.text
    parts = [str(body.get("errorSummary", ""))]
    for c in body.get("errorCauses") or []:
        if isinstance(c, dict):
            parts += [str(c.get("path", "")), str(c.get("errorSummary", "")), str(c.get("message", ""))]
        else:
            parts.append(str(c))
    return "\n".join(parts)


def assert_refused_at(r: requests.Response, path: str) -> None:
    """400 whose causes name `path` (a JSON path such as `$.rules[0].fault.ms`)."""
    assert r.status_code == 400, f"expected 400 naming {path}, got {r.status_code}: {r.text[:600]}"
    text = causes_text(r)
    assert path in text, f"no cause names {path}:\n{text[:1500]}"


def doc(**extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"version": 1, "name": "hardening", "description": "Hardening test scenario."}
    d.update(extra)
    return d


NUM = "__NUM__"


def with_number(document: dict[str, Any], literal: str) -> str:
    """`document` as JSON text with the string "__NUM__" replaced by the raw number `literal` (e.g. 8e15)."""
    text = json.dumps(document)
    assert text.count(json.dumps(NUM)) == 1
    return text.replace(json.dumps(NUM), literal)


def post_scenario(srv: MockOkta, body: dict[str, Any] | str | bytes) -> requests.Response:
    if isinstance(body, dict):
        return control(srv, "POST", "/__mock/scenario", json=body)
    return control(srv, "POST", "/__mock/scenario", data=body, headers={"Content-Type": "application/json"})


def post_rule(srv: MockOkta, body: dict[str, Any] | str) -> requests.Response:
    if isinstance(body, dict):
        return control(srv, "POST", "/__mock/rules", json=body)
    return control(srv, "POST", "/__mock/rules", data=body, headers={"Content-Type": "application/json"})


def clock_state(srv: MockOkta) -> dict[str, Any]:
    r = control(srv, "GET", "/__mock/clock")
    assert r.status_code == 200, r.text[:300]
    return r.json()


def assert_clock_untouched(srv: MockOkta) -> None:
    c = clock_state(srv)
    assert c["offsetSeconds"] == 0 and c["frozen"] is False, c
    assert abs(c["now"] - time.time()) < 120, c


def new_user_body(login: str, **profile: Any) -> dict[str, Any]:
    p = {"firstName": "Hard", "lastName": "Ening", "email": login, "login": login}
    p.update(profile)
    return {"profile": p}


def create_user(srv: MockOkta, login: str) -> str:
    r = call(srv, "POST", "/api/v1/users?activate=false", json=new_user_body(login), headers=ssws(srv))
    assert r.status_code in (200, 201), f"create {login} -> {r.status_code} {r.text[:300]}"
    return r.json()["id"]


def cli(*args: str, cwd: Path | None = None, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([str(mock_okta_bin()), *args], cwd=str(cwd) if cwd else None, env=clean_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def show(proc: subprocess.CompletedProcess) -> str:
    return f"rc: {proc.returncode}\nstdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-2000:]}"


def serve_expecting_exit(args: list[str], workdir: Path, name: str, timeout: float = 15) -> tuple[int | None, str, str]:
    """Run `mock-okta serve ARGS`, expected to exit by itself; returns (rc, stdout, stderr). rc is None when it
    had to be killed: it printed its ready line (it started after all) or was still running after `timeout`."""
    out_p, err_p = workdir / f"{name}.stdout", workdir / f"{name}.stderr"
    with open(out_p, "wb") as out, open(err_p, "wb") as err:
        proc = subprocess.Popen([str(mock_okta_bin()), "serve", *args], stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, cwd=str(workdir), env=clean_env(), start_new_session=True)
    rc: int | None = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            rc = proc.poll()
            if rc is not None:
                break
            if "mock-okta ready" in out_p.read_text(errors="replace"):
                time.sleep(0.3)
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
            rc = None
    return rc, out_p.read_text(errors="replace"), err_p.read_text(errors="replace")


# -- raw HTTP over a socket -----------------------------------------------------------------


def read_http_response(sock: socket.socket, timeout: float = SOCK_TIMEOUT) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.x response (Content-Length, chunked, or until close). Bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    buf = b""

    def more() -> bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no complete HTTP response within {timeout}s; got {buf[:300]!r}")
        sock.settimeout(remaining)
        try:
            return sock.recv(65536)
        except socket.timeout as e:
            raise AssertionError(f"no complete HTTP response within {timeout}s; got {buf[:300]!r}") from e

    while b"\r\n\r\n" not in buf:
        chunk = more()
        if not chunk:
            raise AssertionError(f"connection closed before a complete response head: {buf[:300]!r}")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    assert m, f"not an HTTP status line: {lines[0]!r}"
    status = int(m.group(1))
    headers: dict[str, str] = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            chunk = more()
            if not chunk:
                break
            rest += chunk
        return status, headers, rest[:n]
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += more()
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                rest += more()
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return status, headers, body
    if status in (204, 304) or 100 <= status < 200:
        return status, headers, b""
    while True:  # until close
        chunk = more()
        if not chunk:
            return status, headers, rest
        rest += chunk


def wait_closed(sock: socket.socket, timeout: float) -> float | None:
    """Seconds until the peer closes `sock` (recv b'' or a reset), or None if still open after `timeout`."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        sock.settimeout(remaining)
        try:
            data = sock.recv(4096)
        except socket.timeout:
            return None
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t0
        if not data:
            return time.monotonic() - t0
        # unexpected bytes: keep waiting for the close


def raw_connect(srv: MockOkta) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=SOCK_TIMEOUT)
    ctx = srv.ssl_context()
    if ctx is not None:
        sock = ctx.wrap_socket(sock, server_hostname="127.0.0.1")
    return sock


# ============================================================================================
# 1. JSON nesting: at most 64 levels wherever JSON is parsed
# ============================================================================================

SHAPES = sorted(DEEP)
PARTS = ["header", "payload"]


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_deep_bearer_on_keys_is_ignored(srv: MockOkta, shape: str, part: str) -> None:
    """Issue 10 §1: every route parses a Bearer it sees, even /oauth2/v1/keys. A header or payload nested
    60,000 (`[`) / 11,500 (`{"a":`) levels deep must not crash it: the JWKS is served (the bearer is ignored)."""
    tok = forged_jwt(part, DEEP_BEARER[shape])
    r = call(srv, "GET", "/oauth2/v1/keys", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 200, r.text[:300]
    assert isinstance(json_body(r).get("keys"), list)
    assert_alive(srv)


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_deep_bearer_on_users_is_401(srv: MockOkta, shape: str, part: str) -> None:
    """Issue 10 §1: a deeply nested bearer at the Management API: 401 with Okta's empty body and an
    invalid_token challenge (okta/okta-sdk-java issue 879), server up."""
    tok = forged_jwt(part, DEEP_BEARER[shape])
    r = call(srv, "GET", "/api/v1/users", headers={"Authorization": f"Bearer {tok}"})
    bearer_refused(r)
    assert_alive(srv)


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_deep_bearer_on_userinfo_is_401(srv: MockOkta, shape: str, part: str) -> None:
    """Issue 10 §1: a deeply nested bearer at userinfo: 401 invalid_token, server up."""
    tok = forged_jwt(part, DEEP_BEARER[shape])
    r = call(srv, "GET", "/oauth2/default/v1/userinfo", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 401, r.text[:300]
    assert_alive(srv)


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_deep_token_at_introspect_is_inactive(srv: MockOkta, shape: str, part: str) -> None:
    """Issue 10 §1 (one more bearer-parsing site): introspecting a deeply nested token: active false."""
    tok = forged_jwt(part, DEEP[shape])
    r = call(srv, "POST", "/oauth2/default/v1/introspect", data={"token": tok, "token_type_hint": "access_token"},
             auth=service_basic(srv))
    assert r.status_code == 200, r.text[:300]
    assert json_body(r) == {"active": False}
    assert_alive(srv)


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_deep_client_assertion_is_invalid_client(srv: MockOkta, shape: str, part: str) -> None:
    """Issue 10 §1: a deeply nested private_key_jwt client assertion: 401 invalid_client, server up."""
    form = {"grant_type": "client_credentials", "scope": "api.read",
            "client_assertion_type": ASSERTION_TYPE, "client_assertion": forged_jwt(part, DEEP[shape])}
    r = call(srv, "POST", "/oauth2/default/v1/token", data=form)
    assert r.status_code == 401, r.text[:300]
    assert json_body(r).get("error") == "invalid_client", r.text[:300]
    assert_alive(srv)


@pytest.mark.parametrize("shape", SHAPES)
def test_deep_body_to_create_user_is_400(srv: MockOkta, shape: str) -> None:
    """Issue 10 §1: a 100,000-deep body to POST /api/v1/users (valid API token): 400 E0000003."""
    r = call(srv, "POST", "/api/v1/users", data=DEEP[shape],
             headers={**ssws(srv), "Content-Type": "application/json"})
    okta_error(r, 400, "E0000003")
    assert_alive(srv)


@pytest.mark.parametrize("shape", SHAPES)
def test_deep_body_to_scenario_is_400(srv: MockOkta, shape: str) -> None:
    """Issue 10 §1: a 100,000-deep body to POST /__mock/scenario: 400, server up, nothing loaded."""
    r = post_scenario(srv, DEEP[shape])
    assert r.status_code == 400, r.text[:300]
    assert_alive(srv)


@pytest.mark.parametrize("route", ["/__mock/rules", "/__mock/actions", "/__mock/clock", "/__mock/tokens"])
def test_deep_body_to_other_control_routes_is_400(srv: MockOkta, route: str) -> None:
    """Issue 10 §1 ("wherever JSON is parsed"): the other JSON control routes refuse it too."""
    for shape in SHAPES:
        r = control(srv, "POST", route, data=DEEP[shape], headers={"Content-Type": "application/json"})
        assert r.status_code == 400, f"{shape}: {r.status_code} {r.text[:300]}"
        assert_alive(srv)


def _nested_arrays(levels: int) -> Any:
    v: Any = 1
    for _ in range(levels):
        v = [v]
    return v


def test_profile_nested_64_levels_is_accepted(srv: MockOkta) -> None:
    """The bound is 64: a body whose deepest value sits at level 64 (root object 1, profile 2, 62 arrays)
    is parsed and the user is created with that attribute."""
    login = f"deep64-{uuid.uuid4().hex[:8]}@example.com"
    body = new_user_body(login, nested=_nested_arrays(MAX_JSON_DEPTH - 2))
    r = call(srv, "POST", "/api/v1/users?activate=false", json=body, headers=ssws(srv))
    assert r.status_code in (200, 201), r.text[:400]
    got = call(srv, "GET", f"/api/v1/users/{r.json()['id']}", headers=ssws(srv))
    assert got.status_code == 200, got.text[:300]
    assert json_body(got)["profile"]["nested"] == _nested_arrays(MAX_JSON_DEPTH - 2)
    assert_alive(srv)


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 70])
def test_profile_nested_beyond_64_levels_is_400(srv: MockOkta, levels: int) -> None:
    """A profile attribute nested so the body reaches 65 (or 70) levels: 400 E0000003, nothing created."""
    login = f"deep{levels}-{uuid.uuid4().hex[:8]}@example.com"
    body = new_user_body(login, nested=_nested_arrays(levels - 2))
    r = call(srv, "POST", "/api/v1/users?activate=false", json=body, headers=ssws(srv))
    okta_error(r, 400, "E0000003")
    missing = call(srv, "GET", f"/api/v1/users/{login}", headers=ssws(srv))
    assert missing.status_code == 404, missing.text[:300]
    assert_alive(srv)


def test_scenario_nesting_bound_is_64(srv: MockOkta) -> None:
    """Through the scenario loader: a fault body reaching exactly level 64 (document 1, rules 2, rule 3,
    fault 4, 60 arrays) loads and is served; one level more is refused with 400."""
    def scenario(body_levels: int) -> dict[str, Any]:
        return doc(rules=[{"id": "deep", "match": {"method": "GET", "path": "/hardening/deep"},
                           "fault": {"type": "status", "status": 200, "body": _nested_arrays(body_levels)}}])

    ok = post_scenario(srv, scenario(MAX_JSON_DEPTH - 4))
    assert ok.status_code == 200, ok.text[:600]
    served = call(srv, "GET", "/hardening/deep")
    assert served.status_code == 200 and json_body(served) == _nested_arrays(MAX_JSON_DEPTH - 4)
    bad = post_scenario(srv, scenario(MAX_JSON_DEPTH - 3))
    assert bad.status_code == 400, bad.text[:600]
    assert_alive(srv)


@pytest.mark.parametrize("command", ["decode", "explain"])
def test_cli_token_with_deep_header_does_not_crash(command: str) -> None:
    """`mock-okta token decode|explain` on a JWT whose header is 60,000 `[` deep (the most one argv string
    holds): exit 1 (not a token Okta would accept), never a crash."""
    tok = forged_jwt("header", b"[" * 60_000)
    args = ["token", command, tok] + (["--seed", "1"] if command == "explain" else [])
    proc = cli(*args)
    assert proc.returncode == 1, show(proc)


def test_validate_deep_scenario_file_exits_2(tmp_path: Path) -> None:
    """`mock-okta validate` on a 100,000-deep file: exit 2 (invalid scenario), never a crash."""
    p = tmp_path / "deep.json"
    p.write_bytes(DEEP["arrays"])
    proc = cli("validate", str(p))
    assert proc.returncode == 2, show(proc)


# ============================================================================================
# 2. filter / search / q: at most 4,096 characters and 32 levels
# ============================================================================================

FILTER_ROUTES = ["/api/v1/users", "/api/v1/groups", "/api/v1/apps", "/api/v1/logs"]


def invalid_filter_code(srv: MockOkta, route: str, param: str = "filter") -> str:
    """The errorCode this route answers today for an ordinary invalid filter (`status eq`)."""
    r = call(srv, "GET", route, params={param: "status eq"}, headers=read_only(srv))
    assert r.status_code == 400, f"{route}?{param}=status eq -> {r.status_code} {r.text[:300]}"
    code = json_body(r).get("errorCode")
    assert isinstance(code, str) and code.startswith("E0000"), r.text[:300]
    return code


@pytest.mark.parametrize("route", FILTER_ROUTES)
def test_filter_40000_parens_is_400(srv: MockOkta, route: str) -> None:
    """Issue 10 §2: `filter=` + 40,000 `(` with a read-only API token: 400 with the same errorCode as any
    invalid filter on that route (E0000031 on users/groups/apps, E0000053 on logs), server up."""
    code = invalid_filter_code(srv, route)
    r = call(srv, "GET", f"{route}?filter=" + "(" * FILTER_PARENS, headers=read_only(srv))
    okta_error(r, 400, code)
    assert_alive(srv)


@pytest.mark.parametrize("route", ["/api/v1/users", "/api/v1/groups"])
def test_search_40000_parens_is_400(srv: MockOkta, route: str) -> None:
    """`search=` goes through the same parser: 40,000 `(` -> 400 with the invalid-search errorCode."""
    code = invalid_filter_code(srv, route, "search")
    r = call(srv, "GET", f"{route}?search=" + "(" * FILTER_PARENS, headers=read_only(srv))
    okta_error(r, 400, code)
    assert_alive(srv)


@pytest.mark.parametrize("route", FILTER_ROUTES)
def test_q_40000_parens_does_not_crash(srv: MockOkta, route: str) -> None:
    """`q=` + 40,000 `(`: answered (200 or a 4xx in Okta's shape), never a crash or a 5xx."""
    r = call(srv, "GET", f"{route}?q=" + "(" * FILTER_PARENS, headers=read_only(srv))
    assert r.status_code < 500, r.text[:300]
    body = json_body(r)
    if r.status_code >= 400:
        assert "errorCode" in body, body
    assert_alive(srv)


def test_filter_not_chain_is_400(srv: MockOkta) -> None:
    """10,000 `not` in a row (each a nesting level): 400 with the invalid-filter errorCode, server up."""
    code = invalid_filter_code(srv, "/api/v1/users")
    r = call(srv, "GET", "/api/v1/users", params={"filter": "not " * 10_000 + 'status eq "ACTIVE"'},
             headers=read_only(srv))
    okta_error(r, 400, code)
    assert_alive(srv)


def test_filter_depth_bound_is_32(srv: MockOkta) -> None:
    """32 levels of parentheses, or 32 `not`s, still filter (200); 33 are refused with the invalid-filter errorCode."""
    code = invalid_filter_code(srv, "/api/v1/users")
    inner = 'status eq "ACTIVE"'
    for depth, expect in ((MAX_FILTER_DEPTH, 200), (MAX_FILTER_DEPTH + 1, 400)):
        for f in ("(" * depth + inner + ")" * depth, "not " * depth + inner):
            r = call(srv, "GET", "/api/v1/users", params={"filter": f}, headers=read_only(srv))
            if expect == 200:
                assert r.status_code == 200, f"depth {depth} {f[:40]!r}: {r.status_code} {r.text[:300]}"
                assert isinstance(json_body(r), list)
            else:
                okta_error(r, 400, code)
    assert_alive(srv)


def test_filter_length_bound_is_4096(srv: MockOkta) -> None:
    """A valid filter of at most 4,096 characters is evaluated (200); a longer one gets the invalid-filter errorCode."""
    code = invalid_filter_code(srv, "/api/v1/users")
    term = 'status eq "ACTIVE"'

    def chain(n: int) -> str:
        return " or ".join([term] * n)

    n_ok = max(n for n in range(1, 400) if len(chain(n)) <= MAX_FILTER_LEN)
    short, long_ = chain(n_ok), chain(n_ok + 2)
    assert len(short) <= MAX_FILTER_LEN < len(long_)
    r = call(srv, "GET", "/api/v1/users", params={"filter": short}, headers=read_only(srv))
    assert r.status_code == 200, r.text[:300]
    r = call(srv, "GET", "/api/v1/users", params={"filter": long_}, headers=read_only(srv))
    okta_error(r, 400, code)
    assert_alive(srv)


# ============================================================================================
# 3./4./6. scenario numbers, durations, ranges and counts
# ============================================================================================


def _rule(fault: dict[str, Any], when: dict[str, Any] | None = None, rid: str = "r") -> dict[str, Any]:
    r: dict[str, Any] = {"id": rid, "match": {"method": "GET", "path": "/api/v1/users"}, "fault": fault}
    if when is not None:
        r["when"] = when
    return r


# name -> (scenario JSON text, JSON path the 400 must name)
BAD_SCENARIOS: dict[str, tuple[str, str]] = {
    "seed-minus-1e300": (with_number(doc(seed=NUM), "-1e300"), "$.seed"),
    "seed-1e300": (with_number(doc(seed=NUM), "1e300"), "$.seed"),
    "seed-2^60": (with_number(doc(seed=NUM), str(2 ** 60)), "$.seed"),
    "hang-1e10": (with_number(doc(rules=[_rule({"type": "hang", "seconds": NUM})]), "1e10"), "$.rules[0].fault.seconds"),
    "hang-3601": (with_number(doc(rules=[_rule({"type": "hang", "seconds": NUM})]), "3601"), "$.rules[0].fault.seconds"),
    "delay-1e13": (with_number(doc(rules=[_rule({"type": "delay", "ms": NUM})]), "1e13"), "$.rules[0].fault.ms"),
    "delay-3600001": (with_number(doc(rules=[_rule({"type": "delay", "ms": NUM})]), "3600001"), "$.rules[0].fault.ms"),
    "slowBody-1e18": (with_number(doc(rules=[_rule({"type": "slowBody", "seconds": NUM})]), "1e18"),
                      "$.rules[0].fault.seconds"),
    "slowBody-3601": (with_number(doc(rules=[_rule({"type": "slowBody", "seconds": NUM})]), "3601"),
                      "$.rules[0].fault.seconds"),
    "nth-range-8e15": (with_number(doc(rules=[_rule({"type": "serverError"}, {"nth": {"from": 1, "to": NUM}})]), "8e15"),
                       "$.rules[0].when.nth"),
    "nth-1000001": (with_number(doc(rules=[_rule({"type": "serverError"}, {"nth": [NUM]})]), "1000001"),
                    "$.rules[0].when.nth"),
    "first-minus-1e300": (with_number(doc(rules=[_rule({"type": "serverError"}, {"first": NUM})]), "-1e300"),
                          "$.rules[0].when.first"),
    "advanceClock-1e300": (with_number(doc(timeline=[{"atSeconds": 0, "action": {"type": "advanceClock", "seconds": NUM}}]),
                                       "1e300"), "$.timeline[0].action.seconds"),
    "atSeconds-1e300": (with_number(doc(timeline=[{"atSeconds": NUM, "action": {"type": "expireAccessTokens"}}]), "1e300"),
                        "$.timeline[0].atSeconds"),
    "rules-1001": (json.dumps(doc(rules=[_rule({"type": "serverError"}, rid=f"r{i}") for i in range(1001)])), "$.rules"),
    "timeline-1001": (json.dumps(doc(timeline=[{"atSeconds": 3000, "action": {"type": "expireAccessTokens"}}] * 1001)),
                      "$.timeline"),
    "expect-1001": (json.dumps(doc(expect=[{"type": "maxAttempts", "max": 5}] * 1001)), "$.expect"),
}


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_scenario_beyond_bound_is_400_naming_path(srv: MockOkta, case: str) -> None:
    """Issue 10 §3/§4/§6: a number, duration, range or count beyond its bound is refused at
    POST /__mock/scenario with 400 and a cause naming the path; the server stays up, nothing is loaded."""
    text, path = BAD_SCENARIOS[case]
    r = post_scenario(srv, text)
    assert_refused_at(r, path)
    assert_alive(srv)
    # nothing half-loaded: the users listing is answered normally
    users = call(srv, "GET", "/api/v1/users", headers=ssws(srv))
    assert users.status_code == 200, users.text[:300]


# name -> a scenario with one value exactly at its bound
AT_BOUND: dict[str, dict[str, Any]] = {
    "hang-3600": doc(rules=[_rule({"type": "hang", "seconds": 3600}, {"nth": [1_000_000]})]),
    "delay-3600000": doc(rules=[_rule({"type": "delay", "ms": 3_600_000}, {"nth": [1_000_000]})]),
    "slowBody-3600": doc(rules=[_rule({"type": "slowBody", "seconds": 3600}, {"nth": [1_000_000]})]),
    "nth-range-1-1000000": doc(rules=[_rule({"type": "delay", "ms": 1}, {"nth": {"from": 1, "to": 1_000_000}})]),
    "seed-2^53-1": doc(seed=2 ** 53 - 1),
    "rules-1000": doc(rules=[{"id": f"r{i}", "match": {"path": f"/hardening/{i}"}, "fault": {"type": "serverError"}}
                             for i in range(1000)]),
    "timeline-1000": doc(timeline=[{"atSeconds": 3000, "action": {"type": "expireAccessTokens"}}] * 1000),
    "expect-1000": doc(expect=[{"type": "maxAttempts", "max": 5}] * 1000),
}


@pytest.mark.parametrize("case", sorted(AT_BOUND))
def test_scenario_at_bound_loads(srv: MockOkta, case: str) -> None:
    """The bounds are inclusive: a value exactly at its limit loads (200) and the next request is answered."""
    r = post_scenario(srv, AT_BOUND[case])
    assert r.status_code == 200, r.text[:800]
    t0 = time.monotonic()
    users = call(srv, "GET", "/api/v1/users", headers=ssws(srv))
    assert users.status_code == 200, users.text[:300]
    assert time.monotonic() - t0 < 5
    assert_alive(srv)


@pytest.mark.parametrize("case,literal,path", [
    ("delay-ms-1e13", '{"id":"d","match":{"path":"/api/v1/users"},"fault":{"type":"delay","ms":1e13}}', "$.fault.ms"),
    ("hang-seconds-1e10", '{"id":"h","match":{"path":"/api/v1/users"},"fault":{"type":"hang","seconds":1e10}}',
     "$.fault.seconds"),
    ("slowBody-1e18", '{"id":"s","match":{"path":"/api/v1/users"},"fault":{"type":"slowBody","seconds":1e18}}',
     "$.fault.seconds"),
    ("nth-range-8e15", '{"id":"n","when":{"nth":{"from":1,"to":8e15}},"fault":{"type":"serverError"}}', "$.when.nth"),
    ("first-minus-1e300", '{"id":"f","when":{"first":-1e300},"fault":{"type":"serverError"}}', "$.when.first"),
])
def test_rules_beyond_bound_is_400(srv: MockOkta, case: str, literal: str, path: str) -> None:
    """Issue 10 §3/§4/§6 at POST /__mock/rules: 400 naming the path (rule-relative), no rule added, server up;
    a request to the matched path is then answered normally and at once."""
    r = post_rule(srv, literal)
    assert_refused_at(r, path)
    assert_alive(srv)
    t0 = time.monotonic()
    users = call(srv, "GET", "/api/v1/users", headers=ssws(srv), timeout=5)
    assert users.status_code == 200 and time.monotonic() - t0 < 3, users.text[:300]


BAD_FILES = {k: BAD_SCENARIOS[k] for k in ("seed-minus-1e300", "delay-1e13", "hang-1e10", "slowBody-1e18",
                                             "nth-range-8e15", "advanceClock-1e300", "rules-1001")}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_validate_beyond_bound_exits_2(tmp_path: Path, case: str) -> None:
    """`mock-okta validate FILE` with a huge number: exit 2 (invalid scenario) naming the path, never a trap."""
    text, path = BAD_FILES[case]
    p = tmp_path / f"{case}.json"
    p.write_text(text)
    proc = cli("validate", str(p))
    assert proc.returncode == 2, show(proc)
    assert path in proc.stdout + proc.stderr, show(proc)


@pytest.mark.parametrize("case", ["seed-minus-1e300", "nth-range-8e15", "delay-1e13"])
def test_serve_with_bad_scenario_exits_2(tmp_path: Path, case: str) -> None:
    """`mock-okta serve --scenario FILE` with a huge number: exit 2 with a short message on stderr naming the
    problem, no fatal error, no ready line."""
    text, path = BAD_SCENARIOS[case]
    p = tmp_path / f"{case}.json"
    p.write_text(text)
    rc, out, err = serve_expecting_exit([*BASE, "--seed", "1", "--scenario", str(p)], tmp_path, case)
    assert rc == 2, f"rc {rc}\nstdout:\n{out[-1500:]}\nstderr:\n{err[-1500:]}"
    assert "mock-okta ready" not in out
    assert "Fatal error" not in err, err[-1500:]
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert 1 <= len(lines) <= 3, f"expected one sentence on stderr, got {len(lines)} lines:\n{err[-1500:]}"
    assert path in err or path.split(".")[-1] in err, err[-1500:]


# ============================================================================================
# 4. clock moves
# ============================================================================================


@pytest.mark.parametrize("body", [
    '{"advance":1e300}', '{"advance":-1e300}', '{"offset":-1e19}', '{"offset":1e300}',
    '{"advance":%d}' % (MAX_CLOCK + 1), '{"offset":%d}' % -(MAX_CLOCK + 1),
], ids=["advance+1e300", "advance-1e300", "offset-1e19", "offset+1e300", "advance-100y+1", "offset-100y-1"])
def test_clock_beyond_100_years_is_400(srv: MockOkta, body: str) -> None:
    """Issue 10 §5: POST /__mock/clock beyond ±3,153,600,000 s: 400, server up, clock unchanged."""
    r = control(srv, "POST", "/__mock/clock", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text[:300]
    assert_alive(srv)
    assert_clock_untouched(srv)
    # tokens are still minted and accepted with a sane clock
    tok = client_credentials(srv)["access_token"]
    assert call(srv, "POST", "/oauth2/default/v1/introspect", data={"token": tok},
                auth=service_basic(srv)).json().get("active") is True


def test_clock_within_bound_still_moves(srv: MockOkta) -> None:
    """Sanity for the bound: a one-year offset is accepted and shows in GET /__mock/clock."""
    r = control(srv, "POST", "/__mock/clock", json={"offset": 31_536_000})
    assert r.status_code == 200, r.text[:300]
    assert clock_state(srv)["offsetSeconds"] == 31_536_000


@pytest.mark.parametrize("seconds", ["1e300", "-1e300", str(MAX_CLOCK + 1)])
def test_advance_clock_action_beyond_bound_is_400(srv: MockOkta, seconds: str) -> None:
    """Issue 10 §5: the `advanceClock` action at POST /__mock/actions beyond 100 years: 400, clock unchanged."""
    r = control(srv, "POST", "/__mock/actions", data='{"type":"advanceClock","seconds":%s}' % seconds,
                headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text[:300]
    assert_alive(srv)
    assert_clock_untouched(srv)


# ============================================================================================
# 5. 1e999 in a user profile
# ============================================================================================


@pytest.mark.parametrize("literal", ["1e999", "-1e999"])
def test_profile_number_out_of_range_is_400(srv: MockOkta, literal: str) -> None:
    """Issue 10 §13: a profile with 1e999 (not a finite number): 400 E0000003, nothing stored, and the users
    listing stays valid JSON."""
    login = f"inf-{uuid.uuid4().hex[:8]}@example.com"
    raw = json.dumps(new_user_body(login, score=NUM)).replace(json.dumps(NUM), literal)
    r = call(srv, "POST", "/api/v1/users?activate=false", data=raw,
             headers={**ssws(srv), "Content-Type": "application/json"})
    okta_error(r, 400, "E0000003")
    listing = call(srv, "GET", "/api/v1/users?limit=200", headers=ssws(srv))
    assert listing.status_code == 200
    users = json_body(listing)
    assert login not in [u["profile"]["login"] for u in users]
    assert_alive(srv)


def test_minted_claim_out_of_range_is_400(srv: MockOkta) -> None:
    """POST /__mock/tokens with a claim of 1e999: 400 (never a token whose payload says Infinity)."""
    r = control(srv, "POST", "/__mock/tokens", data='{"server":"default","claims":{"n":1e999}}',
                headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text[:300]
    assert_alive(srv)


# ============================================================================================
# 6. fault statuses and framing headers
# ============================================================================================


@pytest.mark.parametrize("status", [100, 101, 199, 304])
def test_fault_status_not_final_is_refused(srv: MockOkta, status: int) -> None:
    """Issue 10 §13: a 1xx or 304 fault status is not a final answer: refused at load (scenario and rules)."""
    rule = _rule({"type": "status", "status": status})
    assert_refused_at(post_scenario(srv, doc(rules=[rule])), "$.rules[0].fault.status")
    assert_refused_at(post_rule(srv, rule), "$.fault.status")
    users = call(srv, "GET", "/api/v1/users", headers=ssws(srv), timeout=5)
    assert users.status_code == 200, users.text[:300]
    assert_alive(srv)


@pytest.mark.parametrize("header", ["Content-Length", "content-length", "Transfer-Encoding", "Connection"])
def test_fault_framing_header_override_is_refused(srv: MockOkta, header: str) -> None:
    """Issue 10 §13: a fault may not override Content-Length / Transfer-Encoding / Connection: 400 at load."""
    value = {"content-length": "5", "transfer-encoding": "chunked", "connection": "close"}[header.lower()]
    rule = _rule({"type": "serverError", "headers": {header: value}})
    assert_refused_at(post_scenario(srv, doc(rules=[rule])), "$.rules[0].fault.headers")
    assert_refused_at(post_rule(srv, rule), "$.fault.headers")
    assert_alive(srv)


def test_fault_final_statuses_and_other_headers_still_load(srv: MockOkta) -> None:
    """Sanity for the two checks above: 200 and 599, and a Retry-After override, still load and are served."""
    rules = [
        {"id": "ok", "match": {"path": "/hardening/200"}, "fault": {"type": "status", "status": 200}},
        {"id": "hi", "match": {"path": "/hardening/599"}, "fault": {"type": "status", "status": 599}},
        {"id": "ra", "match": {"path": "/hardening/ra"}, "fault": {"type": "serverError", "headers": {"Retry-After": "2"}}},
    ]
    r = post_scenario(srv, doc(rules=rules))
    assert r.status_code == 200, r.text[:600]
    assert call(srv, "GET", "/hardening/200").status_code == 200
    assert call(srv, "GET", "/hardening/599").status_code == 599
    ra = call(srv, "GET", "/hardening/ra")
    assert ra.status_code == 500 and ra.headers.get("Retry-After") == "2"


# ============================================================================================
# 7. secrets in query strings
# ============================================================================================

SECRET_PARAMS = ["access_token", "client_secret", "api_token", "refresh_token", "id_token_hint", "password", "code"]


def send_secret_queries(srv: MockOkta) -> tuple[list[str], str]:
    """Requests carrying secrets in their query strings (and one form body); returns (secrets, marker).

    `state=<marker>` rides along everywhere and must stay visible."""
    marker = f"keep-{uuid.uuid4().hex[:12]}"
    secrets: list[str] = []

    def q() -> str:
        vals = {}
        for i, p in enumerate(SECRET_PARAMS):
            s = f"SECRET{i}x{uuid.uuid4().hex}"
            secrets.append(s)
            vals[p] = s
        return "&".join(f"{k}={v}" for k, v in vals.items()) + f"&state={marker}"

    call(srv, "GET", f"/oauth2/default/v1/userinfo?{q()}")
    call(srv, "GET", f"/api/v1/users?{q()}", headers={"Authorization": "SSWS not-a-real-token"})
    # client authentication in the query string: wrong secret (a denial) and the real one
    wrong = f"SECRETwrong{uuid.uuid4().hex}"
    secrets.append(wrong)
    cid = srv.creds["serviceClientId"]
    call(srv, "POST", f"/oauth2/default/v1/token?client_id={cid}&client_secret={wrong}&state={marker}",
         data={"grant_type": "client_credentials", "scope": "api.read"})
    call(srv, "POST", f"/oauth2/default/v1/token?client_id={cid}&client_secret={srv.creds['serviceClientSecret']}"
         f"&state={marker}", data={"grant_type": "client_credentials", "scope": "api.read"})
    secrets.append(srv.creds["serviceClientSecret"])
    # the same in a form body
    body_secret = f"SECRETbody{uuid.uuid4().hex}"
    secrets.append(body_secret)
    call(srv, "POST", f"/oauth2/default/v1/token?state={marker}",
         data={"grant_type": "client_credentials", "scope": "api.read", "client_id": cid, "client_secret": body_secret})
    call(srv, "GET", f"/oauth2/default/v1/logout?{q()}&post_logout_redirect_uri={POST_LOGOUT}")
    return secrets, marker


def assert_no_secret(text: str, secrets: list[str], where: str) -> None:
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{len(leaked)} secret(s) visible in {where}: {leaked[:3]}"


def test_query_secrets_redacted_in_journal(srv: MockOkta) -> None:
    """Issue 10 §11: client_secret, api_token, refresh_token, id_token_hint, password, access_token and code in
    a query string never appear in GET /__mock/journal; other parameters (state) stay visible."""
    secrets, marker = send_secret_queries(srv)
    r = control(srv, "GET", "/__mock/journal")
    assert r.status_code == 200
    assert_no_secret(r.text, secrets, "the journal")
    assert marker in r.text, "state= is no longer visible in the journal"


def test_query_secrets_redacted_in_har(srv: MockOkta) -> None:
    """The same for the journal as HAR (`?format=har`), which also carries query strings and posted forms."""
    secrets, marker = send_secret_queries(srv)
    r = control(srv, "GET", "/__mock/journal", params={"format": "har"})
    assert r.status_code == 200
    assert_no_secret(r.text, secrets, "the HAR journal")
    assert marker in r.text


def test_query_secrets_redacted_in_system_log(srv: MockOkta) -> None:
    """Issue 10 §11: the System Log's `url` / `requestUri` (readable by any admin token) carry no secret;
    state= stays visible there."""
    secrets, marker = send_secret_queries(srv)
    r = call(srv, "GET", "/api/v1/logs", params={"limit": "1000"}, headers=ssws(srv))
    assert r.status_code == 200, r.text[:300]
    assert_no_secret(r.text, secrets, "the System Log")
    assert marker in r.text, "no System Log event shows the request's url with its state= parameter"


def test_query_secrets_not_in_server_log(srv: MockOkta) -> None:
    """Issue 10 "Done when": no secret appears in the server's own log (stderr) either."""
    secrets, _ = send_secret_queries(srv)
    time.sleep(0.3)  # let the logger flush
    assert_no_secret(srv.stderr_path.read_text(errors="replace"), secrets, "the server's stderr")


# ============================================================================================
# 8. idle connections, HTTP/1.0, fd limit
# ============================================================================================

HEALTH_KEEPALIVE = b"GET /__mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"


def test_idle_keepalive_connection_is_closed(spawn: Spawn) -> None:
    """Issue 10 §12: with `--idle-timeout 1`, a keep-alive connection serves several requests, then is closed
    by the server within ~3 s of going idle."""
    srv = spawn([*BASE, "--seed", "1", "--idle-timeout", "1"], name="idle")
    with raw_connect(srv) as sock:
        for _ in range(2):  # keep-alive really keeps the connection for a second request
            sock.sendall(HEALTH_KEEPALIVE)
            status, _, body = read_http_response(sock)
            assert status == 200 and b"ok" in body
        closed_after = wait_closed(sock, 4.0)
    assert closed_after is not None, "idle keep-alive connection still open 4 s later"
    assert closed_after <= 3.0, f"closed only after {closed_after:.2f}s"
    assert closed_after >= 0.5, f"closed after {closed_after:.2f}s: not an idle timeout of 1 s"
    assert_alive(srv)


def test_idle_timeout_frees_many_idle_sockets(spawn: Spawn) -> None:
    """Issue 10 §12: 300 idle sockets are closed by the idle timeout and health answers throughout."""
    srv = spawn([*BASE, "--seed", "1", "--idle-timeout", "1"], name="idle-many")
    socks: list[socket.socket] = []
    sel = selectors.DefaultSelector()
    try:
        for _ in range(300):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=SOCK_TIMEOUT)
            s.setblocking(False)
            socks.append(s)
            sel.register(s, selectors.EVENT_READ)
        assert_alive(srv)
        open_ = set(socks)
        deadline = time.monotonic() + 5
        while open_ and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
                s = key.fileobj
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    open_.discard(s)
                    sel.unregister(s)
        assert not open_, f"{len(open_)} of 300 idle sockets still open after 5 s"
        assert_alive(srv)
    finally:
        sel.close()
        for s in socks:
            s.close()


def test_http10_connection_closed_after_answer(srv: MockOkta) -> None:
    """Issue 10 §12: an HTTP/1.0 request without `Connection: keep-alive` gets its answer, then the server
    closes the connection (no idle timeout needed)."""
    with raw_connect(srv) as sock:
        sock.sendall(b"GET /__mock/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        status, _, body = read_http_response(sock)
        assert status == 200 and b"ok" in body
        closed_after = wait_closed(sock, 3.0)
    assert closed_after is not None, "HTTP/1.0 connection still open 3 s after the answer"
    assert_alive(srv)


def test_fd_soft_limit_raised_to_hard(tmp_path: Path) -> None:
    """Issue 10 §12: at start the soft open-files limit is raised to the hard limit. The server is started
    with a soft limit of 256 (through a small sh wrapper), so the test means something where soft == hard."""
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard <= 256:
        pytest.skip(f"hard open-files limit is only {hard}")
    wrapper = tmp_path / "low-nofile.sh"
    wrapper.write_text(f'#!/bin/sh\nulimit -Sn 256 || exit 97\nexec "{mock_okta_bin()}" "$@"\n')
    wrapper.chmod(0o755)
    srv = MockOkta(workdir=tmp_path, args=[*BASE, "--seed", "1"], env=clean_env(), binary=wrapper, name="nofile")
    try:
        srv.start()
        limits = Path(f"/proc/{srv.proc.pid}/limits")
        if not limits.exists():
            pytest.skip("no /proc on this system")
        line = next(ln for ln in limits.read_text().splitlines() if ln.startswith("Max open files"))
        soft, hard_s = line.split()[3:5]
        assert soft == hard_s, f"soft limit not raised: {line}"
        assert_alive(srv)
    finally:
        srv.stop(timeout=5)


# ============================================================================================
# 9. future nbf
# ============================================================================================


def _nbf_tokens(srv: MockOkta, server: str, **kw: Any) -> tuple[str, str]:
    """(a plain token, the same with nbf one hour ahead of the tenant clock)."""
    plain = mint(srv, server=server, **kw)
    future = mint(srv, server=server, claims={"nbf": int(plain["claims"]["iat"]) + 3600}, **kw)
    return plain["token"], future["token"]


def test_future_nbf_refused_on_management_api(srv: MockOkta) -> None:
    """Issue 10 §13: a validly signed org token with nbf = now + 1 h: 401 (empty body, invalid_token challenge;
    okta/okta-sdk-java issue 879) at GET /api/v1/users."""
    plain, future = _nbf_tokens(srv, "org", scopes=["okta.users.read"])
    ok = call(srv, "GET", "/api/v1/users", headers={"Authorization": f"Bearer {plain}"})
    assert ok.status_code == 200, ok.text[:300]
    bearer_refused(call(srv, "GET", "/api/v1/users", headers={"Authorization": f"Bearer {future}"}))


def test_future_nbf_refused_at_userinfo(srv: MockOkta) -> None:
    """Issue 10 §13: the same at userinfo: 401 (invalid_token)."""
    plain, future = _nbf_tokens(srv, "default", user=srv.creds["user"]["login"], scopes=["openid", "profile", "email"])
    ok = call(srv, "GET", "/oauth2/default/v1/userinfo", headers={"Authorization": f"Bearer {plain}"})
    assert ok.status_code == 200, ok.text[:300]
    r = call(srv, "GET", "/oauth2/default/v1/userinfo", headers={"Authorization": f"Bearer {future}"})
    assert r.status_code == 401, r.text[:300]
    assert "invalid_token" in r.headers.get("WWW-Authenticate", ""), r.headers


def test_future_nbf_inactive_at_introspect(srv: MockOkta) -> None:
    """Issue 10 §13: introspection of a token with a future nbf: active false."""
    plain, future = _nbf_tokens(srv, "default", scopes=["api.read"])

    def active(tok: str) -> Any:
        r = call(srv, "POST", "/oauth2/default/v1/introspect", data={"token": tok, "token_type_hint": "access_token"},
                 auth=service_basic(srv))
        assert r.status_code == 200, r.text[:300]
        return r.json().get("active")

    assert active(plain) is True
    assert active(future) is False


# ============================================================================================
# 10. logout id_token_hint, ID token at userinfo
# ============================================================================================


def test_logout_with_garbage_id_token_hint_is_400(srv: MockOkta) -> None:
    """Issue 10 §13: logout validates id_token_hint as Okta does: garbage -> 400, not a redirect."""
    r = call(srv, "GET", "/oauth2/default/v1/logout",
             params={"id_token_hint": "garbage", "post_logout_redirect_uri": POST_LOGOUT, "state": "s1"})
    assert r.status_code == 400, f"{r.status_code} Location={r.headers.get('Location')} {r.text[:300]}"
    assert "Location" not in r.headers


def test_logout_with_forged_id_token_hint_is_400(srv: MockOkta) -> None:
    """A well-formed but unsigned-by-the-server hint (HS256, right aud/iss) is refused the same way."""
    forged = jwt.encode({"iss": srv.default_issuer, "aud": srv.creds["webClientId"], "sub": "00uforged",
                         "iat": int(time.time()), "exp": int(time.time()) + 3600}, "x" * 32, algorithm="HS256")
    r = call(srv, "GET", "/oauth2/default/v1/logout",
             params={"id_token_hint": forged, "post_logout_redirect_uri": POST_LOGOUT})
    assert r.status_code == 400, f"{r.status_code} Location={r.headers.get('Location')} {r.text[:300]}"


def test_logout_with_valid_id_token_hint_redirects(srv: MockOkta) -> None:
    """Sanity: a real ID token as hint still redirects (302) to the registered post-logout URI with the state."""
    tok = code_flow(srv)
    r = call(srv, "GET", "/oauth2/default/v1/logout",
             params={"id_token_hint": tok["id_token"], "post_logout_redirect_uri": POST_LOGOUT, "state": "s2"})
    assert r.status_code == 302, r.text[:300]
    assert r.headers["Location"].startswith(POST_LOGOUT) and "state=s2" in r.headers["Location"], r.headers


def test_id_token_at_userinfo_is_401_invalid_token(srv: MockOkta) -> None:
    """Issue 10 §13: an ID token is not an access token: userinfo answers 401 with invalid_token (not 403)."""
    tok = code_flow(srv)
    ok = call(srv, "GET", "/oauth2/default/v1/userinfo", headers={"Authorization": f"Bearer {tok['access_token']}"})
    assert ok.status_code == 200, ok.text[:300]
    r = call(srv, "GET", "/oauth2/default/v1/userinfo", headers={"Authorization": f"Bearer {tok['id_token']}"})
    assert r.status_code == 401, r.text[:300]
    assert "invalid_token" in r.headers.get("WWW-Authenticate", ""), r.headers


# ============================================================================================
# 11. HTTP-layer 400s
# ============================================================================================

MALFORMED = {
    "garbage-request-line": b"GARBAGE\r\n\r\n",
    "header-without-colon": b"GET /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n",
    "bad-content-length": b"POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_http_gets_okta_json_400(srv: MockOkta, case: str) -> None:
    """Issue 10 §13: a request the HTTP parser refuses gets 400 with an Okta JSON body (errorCode), server up."""
    with raw_connect(srv) as sock:
        sock.sendall(MALFORMED[case])
        status, headers, body = read_http_response(sock)
    assert status == 400, f"{status} {headers} {body[:300]!r}"
    try:
        parsed = json.loads(body)
    except ValueError as e:
        raise AssertionError(f"400 body is not JSON: {body[:300]!r}") from e
    assert isinstance(parsed, dict) and "errorCode" in parsed, parsed
    assert_alive(srv)


def test_oversized_bearer_header_gets_okta_json_4xx(srv: MockOkta) -> None:
    """A 100,000-`[` bearer (133 KB, over the HTTP layer's 80 KiB header-field limit) is refused before routing:
    400 or 431 with an Okta JSON body (errorCode), server up."""
    tok = forged_jwt("header", DEEP["arrays"])
    r = call(srv, "GET", "/oauth2/v1/keys", headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code in (400, 431), f"{r.status_code} {r.text[:300]}"
    assert "errorCode" in json_body(r), r.text[:300]
    assert_alive(srv)


# ============================================================================================
# 12. --db: sequences continue across restarts, a file in use is refused, kill -9 loses nothing
# ============================================================================================


def _db_args(db: Path, seed: int = 7) -> list[str]:
    return [*BASE, "--seed", str(seed), "--db", str(db)]


def _stop(srv: MockOkta, sig: int = signal.SIGTERM) -> None:
    rc, elapsed = srv.stop(sig=sig, timeout=5)
    if sig == signal.SIGKILL:
        return
    assert rc is not None, f"{srv.name} still running {elapsed:.1f}s after SIGTERM\n{srv.stderr_tail()}"


def _jtis(srv: MockOkta, n: int) -> set[str]:
    return {unverified(client_credentials(srv)["access_token"])[1]["jti"] for _ in range(n)}


def _assert_users(srv: MockOkta, users: dict[str, str]) -> None:
    """Every id -> login pair in `users` is what the server returns for that id."""
    wrong = {}
    for uid, login in users.items():
        r = call(srv, "GET", f"/api/v1/users/{uid}", headers=ssws(srv))
        got = r.json()["profile"]["login"] if r.status_code == 200 else f"HTTP {r.status_code}"
        if got != login:
            wrong[uid] = (login, got)
    assert not wrong, f"{len(wrong)} of {len(users)} users lost or overwritten: {list(wrong.items())[:5]}"


def test_db_restart_continues_ids_and_jtis(spawn: Spawn, tmp_path: Path) -> None:
    """Issue 10 §9: `--db FILE --seed 7`, 20 users, SIGTERM, restart on the same file, 20 more users: all 40
    exist with distinct ids, and no client_credentials `jti` of the second run repeats one of the first."""
    db = tmp_path / "tenant.sqlite"
    first = spawn(_db_args(db), name="db-run1")
    users1 = {create_user(first, f"run1-{i}@example.com"): f"run1-{i}@example.com" for i in range(20)}
    jtis1 = _jtis(first, 5)
    _stop(first)

    second = spawn(_db_args(db), name="db-run2")
    users2 = {create_user(second, f"run2-{i}@example.com"): f"run2-{i}@example.com" for i in range(20)}
    jtis2 = _jtis(second, 5)
    assert len(users1) == 20 and len(users2) == 20
    assert not set(users1) & set(users2), f"ids repeated after restart: {sorted(set(users1) & set(users2))[:5]}"
    _assert_users(second, {**users1, **users2})
    assert not jtis1 & jtis2, f"jti repeated after restart: {sorted(jtis1 & jtis2)}"
    assert_alive(second)


def test_db_revocation_before_restart_does_not_taint_new_tokens(spawn: Spawn, tmp_path: Path) -> None:
    """Issue 10 §9: a token revoked before a restart must not make a fresh one come back revoked."""
    db = tmp_path / "tenant.sqlite"
    first = spawn(_db_args(db), name="rev-run1")
    old = client_credentials(first)["access_token"]
    r = call(first, "POST", "/oauth2/default/v1/revoke", data={"token": old, "token_type_hint": "access_token"},
             auth=service_basic(first))
    assert r.status_code == 200, r.text[:300]
    _stop(first)

    second = spawn(_db_args(db), name="rev-run2")
    for _ in range(3):
        new = client_credentials(second)["access_token"]
        assert unverified(new)[1]["jti"] != unverified(old)[1]["jti"]
        r = call(second, "POST", "/oauth2/default/v1/introspect", data={"token": new}, auth=service_basic(second))
        assert r.json().get("active") is True, f"fresh token after restart is inactive: {r.text[:300]}"


def test_db_refresh_token_from_before_restart_keeps_its_user(spawn: Spawn, tmp_path: Path) -> None:
    """Issue 10 §9: a refresh token issued before a restart returns its own user's tokens, never another's."""
    db = tmp_path / "tenant.sqlite"
    first = spawn(_db_args(db), name="rt-run1")
    ann = code_flow(first, login="ann@example.com")
    _stop(first)

    second = spawn(_db_args(db), name="rt-run2")
    bob = code_flow(second, login="bob@example.com")
    assert ann["refresh_token"] != bob["refresh_token"], "refresh token repeated after restart"
    for tok, login in ((ann, "ann@example.com"), (bob, "bob@example.com")):
        r = token_request(second, {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
                                   "scope": "openid profile email offline_access"},
                          auth=(second.creds["webClientId"], second.creds["webClientSecret"]))
        assert r.status_code == 200, r.text[:300]
        claims = unverified(r.json()["access_token"])[1]
        assert claims["sub"] == login, f"refresh token of {login} returned tokens for {claims['sub']}"


def test_db_in_use_refuses_second_server(spawn: Spawn, tmp_path: Path) -> None:
    """Issue 10 §10: a second `serve --db FILE` on a file a running server holds exits 2 with a one-line message
    naming the file; the first server keeps serving."""
    db = tmp_path / "tenant.sqlite"
    first = spawn(_db_args(db), name="db-holder")
    rc, out, err = serve_expecting_exit([*BASE, "--db", str(db)], tmp_path, "db-second")
    assert rc == 2, f"second server rc {rc} (None = it kept running)\nstdout:\n{out[-800:]}\nstderr:\n{err[-1500:]}"
    assert "mock-okta ready" not in out
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected a one-line message, got {len(lines)} lines:\n{err[-1500:]}"
    assert str(db) in lines[0] or db.name in lines[0], lines[0]
    assert "Fatal error" not in err
    assert_alive(first)
    create_user(first, "after-refusal@example.com")


def test_db_kill9_keeps_acknowledged_creates(spawn: Spawn, tmp_path: Path) -> None:
    """Issue 10 §10: every create answered 200 is in the file: kill -9 right after, restart, all are there,
    and new creates after the restart get new ids."""
    db = tmp_path / "tenant.sqlite"
    first = spawn(_db_args(db), name="k9-run1")
    users1 = {create_user(first, f"k9-{i}@example.com"): f"k9-{i}@example.com" for i in range(20)}
    _stop(first, signal.SIGKILL)

    second = spawn(_db_args(db), name="k9-run2")
    _assert_users(second, users1)
    users2 = {create_user(second, f"k9b-{i}@example.com"): f"k9b-{i}@example.com" for i in range(5)}
    assert not set(users1) & set(users2)
    _assert_users(second, {**users1, **users2})


# ============================================================================================
# 13. SIGTERM with a hung request over TLS
# ============================================================================================


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_tls_signal_with_hung_request_exits_cleanly(spawn: Spawn, tmp_path: Path, sig: int) -> None:
    """Issue 10 §7: `serve --tls` with a request held by a 120 s hang: the signal ends the process with 0 within
    1.5 s, and stderr shows no fatal error from the service group's cancellation timeout."""
    srv = spawn([*BASE, "--seed", "1", "--tls", "--ca-out", str(tmp_path / "ca.pem")], name="tls-hang")
    rule = {"id": "h", "match": {"method": "GET", "path": "/api/v1/users"}, "fault": {"type": "hang", "seconds": 120}}
    r = control(srv, "POST", "/__mock/rules", json=rule)
    assert r.status_code == 200, r.text[:300]

    outcome: dict[str, Any] = {}

    def hung() -> None:
        try:
            resp = requests.get(srv.url + "/api/v1/users", headers=ssws(srv), verify=srv.ca_file, timeout=10)
            outcome["status"] = resp.status_code
        except requests.RequestException as e:
            outcome["error"] = type(e).__name__

    th = threading.Thread(target=hung, daemon=True)
    th.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        entries = control(srv, "GET", "/__mock/journal").json().get("entries", [])
        if any(e.get("path") == "/api/v1/users" for e in entries):
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the hung request never showed in the journal")
    time.sleep(0.2)
    assert th.is_alive(), f"request was not held: {outcome}"

    rc, elapsed = srv.stop(sig=sig, timeout=3.0)
    err = srv.stderr_path.read_text(errors="replace")
    assert rc is not None, f"still running {elapsed:.2f}s after the signal (killed)\n{err[-1500:]}"
    allowed = (0,) if sig == signal.SIGTERM else (0, 128 + sig)  # SIGINT: 130 is the shell convention
    assert rc in allowed, f"exit status {rc} after {elapsed:.2f}s\n{err[-1500:]}"
    assert elapsed <= 1.5, f"exit took {elapsed:.2f}s"
    assert "Fatal error" not in err, err[-1500:]
    th.join(timeout=5)
    assert not th.is_alive(), "client still blocked after the server exited"


# ============================================================================================
# Issue 10 §8: concurrent mutations
# ============================================================================================


def test_concurrent_create_same_login_creates_one_user(srv: MockOkta) -> None:
    """Issue 10 §8: the duplicate-login check must not race the insert: of 8 concurrent creates of one login,
    exactly one succeeds and the others get 400 E0000001."""
    for round_ in range(5):
        login = f"race{round_}-{uuid.uuid4().hex[:6]}@example.com"
        barrier = threading.Barrier(8, timeout=10)

        def create(_: int) -> requests.Response:
            barrier.wait()
            return call(srv, "POST", "/api/v1/users?activate=false", json=new_user_body(login), headers=ssws(srv))

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(create, range(8), timeout=30))
        codes = sorted(r.status_code for r in results)
        assert codes.count(200) + codes.count(201) == 1, f"round {round_}: {codes}"
        assert all(c in (200, 201, 400) for c in codes), codes
        found = json_body(call(srv, "GET", "/api/v1/users", params={"search": f'profile.login eq "{login}"'},
                               headers=ssws(srv)))
        assert len(found) == 1, f"round {round_}: {len(found)} users with login {login}"
    assert_alive(srv)


def test_concurrent_group_delete_and_membership_does_not_crash(srv: MockOkta) -> None:
    """Issue 10 §8: adding members to a group while it is deleted never crashes the server or answers 5xx."""
    uids = [create_user(srv, f"member{i}-{uuid.uuid4().hex[:6]}@example.com") for i in range(4)]
    for round_ in range(15):
        g = call(srv, "POST", "/api/v1/groups", json={"profile": {"name": f"race-{round_}-{uuid.uuid4().hex[:6]}"}},
                 headers=ssws(srv))
        assert g.status_code in (200, 201), g.text[:300]
        gid = g.json()["id"]
        barrier = threading.Barrier(len(uids) + 1, timeout=10)

        def add(uid: str) -> int:
            barrier.wait()
            return call(srv, "PUT", f"/api/v1/groups/{gid}/users/{uid}", headers=ssws(srv)).status_code

        def delete() -> int:
            barrier.wait()
            return call(srv, "DELETE", f"/api/v1/groups/{gid}", headers=ssws(srv)).status_code

        with ThreadPoolExecutor(len(uids) + 1) as pool:
            futs = [pool.submit(add, u) for u in uids] + [pool.submit(delete)]
            codes = [f.result(timeout=30) for f in futs]
        assert all(c < 500 for c in codes), f"round {round_}: {codes}"
        gone = call(srv, "GET", f"/api/v1/groups/{gid}", headers=ssws(srv))
        assert gone.status_code == 404, f"group survived its DELETE: {gone.status_code}"
    assert_alive(srv)
