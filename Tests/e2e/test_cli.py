"""The `mock-okta serve` command line: ready line and file, seeds, signals, admin token, env vars, --db.

Everything here is from PRODUCT.md ("Command line", "Control API", "Semantics that tests rely on").
"""

from __future__ import annotations

import re
import signal
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable

import jsonschema
import pytest
import requests

from helpers import (
    CREDENTIALS_SCHEMA, HTTP_TIMEOUT, READY_SCHEMA, MockOkta, code_flow, free_port, tenant, token_request,
    verify_jwt, web_basic,
)

Spawn = Callable[..., MockOkta]
BASE = ["--host", "127.0.0.1", "--port", "0"]


def _wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _ready_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("mock-okta ready ")]


def _jwks(server: MockOkta, path: str) -> list[dict[str, Any]]:
    r = server.get(path)
    assert r.status_code == 200
    return sorted(r.json()["keys"], key=lambda k: k["kid"])


def _graceful(rc: int | None, elapsed: float, limit: float, sig: int) -> None:
    assert rc is not None, f"still running {elapsed:.2f}s after signal {sig} (killed)"
    assert elapsed <= limit, f"exit took {elapsed:.2f}s > {limit}s"
    # A graceful stop exits by itself (0, or 128+signal by convention); a negative return code
    # means the default signal disposition killed it without any shutdown.
    assert rc in (0, 128 + sig), f"exit status {rc} after signal {sig}"


# ------------------------------------------------------------------------------------------


def test_ready_line_and_ready_file(spawn: Spawn) -> None:
    """One stdout line `mock-okta ready <url>` (visible while running, not stuck in a buffer); ready file per schema."""
    srv = spawn([*BASE, "--seed", "1"])
    jsonschema.validate(srv.ready, READY_SCHEMA)
    assert srv.ready["caFile"] is None
    assert urllib.parse.urlsplit(srv.url).port == srv.port != 0
    assert srv.org_issuer == srv.url and srv.default_issuer == srv.url + "/oauth2/default"

    lines = _wait_for(lambda: _ready_lines(srv.stdout_text()), 5, "the ready line on stdout")
    assert re.search(re.escape(srv.url) + r"(?![0-9])", lines[0]), lines[0]
    # the default credentials are printed in the block after it
    assert srv.creds["serviceClientId"] in srv.stdout_text()

    r = srv.get("/__mock/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}

    rc, elapsed = srv.stop()
    _graceful(rc, elapsed, 2.0, signal.SIGTERM)
    assert len(_ready_lines(srv.stdout_text())) == 1, srv.stdout_text()


def test_tenant_endpoint_matches_ready_file(server_http: MockOkta) -> None:
    """GET /__mock/tenant: credentials as in the ready file; apps' id = client id; the users are there."""
    t = tenant(server_http)
    jsonschema.validate(t["credentials"], CREDENTIALS_SCHEMA)
    assert t["credentials"] == server_http.creds
    for key in ("users", "groups", "apps", "authorizationServers"):
        assert isinstance(t[key], list) and t[key], key
    app_ids = {a["id"] for a in t["apps"]}
    assert {server_http.creds["serviceClientId"], server_http.creds["webClientId"]} <= app_ids
    blob = repr(t["users"])
    for login in ("admin@example.com", server_http.creds["user"]["login"],
                  server_http.creds["unassignedUser"]["login"]):
        assert login in blob, login
    assert "default" in repr(t["authorizationServers"])


def test_seed_makes_tenant_and_keys_reproducible(spawn: Spawn, server_http: MockOkta) -> None:
    """--seed 1 twice: identical credentials and JWKS; --seed 2 differs."""
    again = spawn([*BASE, "--seed", "1"], name="seed1")
    assert tenant(again)["credentials"] == tenant(server_http)["credentials"]
    for path in ("/oauth2/v1/keys", "/oauth2/default/v1/keys"):
        assert _jwks(again, path) == _jwks(server_http, path), path

    other = spawn([*BASE, "--seed", "2"], name="seed2")
    c1, c2 = server_http.creds, tenant(other)["credentials"]
    assert c2["serviceClientSecret"] != c1["serviceClientSecret"]
    assert c2["apiToken"] != c1["apiToken"]
    assert _jwks(other, "/oauth2/default/v1/keys") != _jwks(server_http, "/oauth2/default/v1/keys")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_within_one_second(spawn: Spawn, sig: int) -> None:
    """SIGTERM and SIGINT stop the server gracefully within 1 second."""
    srv = spawn([*BASE, "--seed", "1"])
    assert srv.get("/__mock/health").status_code == 200
    rc, elapsed = srv.stop(sig=sig, timeout=3.0)
    _graceful(rc, elapsed, 1.0, sig)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(srv.url + "/__mock/health", timeout=2)


def test_sigterm_releases_hung_request(spawn: Spawn) -> None:
    """SIGTERM stops within 1 s even while a request hangs on a `hang` fault (PRODUCT.md: hung requests are released)."""
    srv = spawn([*BASE, "--seed", "1"])
    rule = {"id": "hang-users", "match": {"method": "GET", "path": "/api/v1/users"}, "fault": {"type": "hang"}}
    r = srv.control("POST", "/__mock/rules", json=rule)
    assert r.status_code in (200, 201), r.text[:300]

    outcome: dict[str, Any] = {}

    def call() -> None:
        t0 = time.monotonic()
        try:
            resp = requests.get(srv.url + "/api/v1/users", timeout=8,
                                headers={"Authorization": f"SSWS {srv.creds['apiToken']}"})
            outcome["status"] = resp.status_code
        except requests.RequestException as e:
            outcome["error"] = type(e).__name__
        outcome["seconds"] = time.monotonic() - t0

    th = threading.Thread(target=call, daemon=True)
    th.start()
    # the request is in flight: wait until the journal shows it (bounded)
    _wait_for(lambda: any(e.get("path") == "/api/v1/users" for e in
                          srv.control("GET", "/__mock/journal").json().get("entries", [])),
              3, "the hung request in the journal")
    assert th.is_alive(), f"request was not held: {outcome}"
    rc, elapsed = srv.stop(timeout=3.0)
    _graceful(rc, elapsed, 1.0, signal.SIGTERM)
    th.join(timeout=3)
    assert not th.is_alive(), "client still blocked after the server exited"
    assert outcome["seconds"] < 6, outcome


def test_admin_token_protects_control_api(spawn: Spawn) -> None:
    """--admin-token X: /__mock/* needs `Authorization: Bearer X` (401 otherwise); /__mock/health never does."""
    srv = spawn([*BASE, "--seed", "1", "--admin-token", "s3cret-admin"])
    url = srv.url
    assert requests.get(url + "/__mock/tenant", timeout=HTTP_TIMEOUT).status_code == 401
    assert requests.get(url + "/__mock/tenant", headers={"Authorization": "Bearer wrong"},
                        timeout=HTTP_TIMEOUT).status_code == 401
    assert requests.post(url + "/__mock/reset", timeout=HTTP_TIMEOUT).status_code == 401
    ok = requests.get(url + "/__mock/tenant", headers={"Authorization": "Bearer s3cret-admin"}, timeout=HTTP_TIMEOUT)
    assert ok.status_code == 200 and ok.json()["credentials"] == srv.creds
    health = requests.get(url + "/__mock/health", timeout=HTTP_TIMEOUT)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    # the Okta surface itself is not behind the admin token
    assert requests.get(url + "/.well-known/openid-configuration", timeout=HTTP_TIMEOUT).status_code == 200


def test_environment_variables_set_options(spawn: Spawn, server_http: MockOkta) -> None:
    """MOCK_OKTA_<OPTION> sets an option (MOCK_OKTA_SEED, MOCK_OKTA_PORT); a flag wins over the variable."""
    port = free_port()
    srv = spawn(["--host", "127.0.0.1"], env={"MOCK_OKTA_SEED": "1", "MOCK_OKTA_PORT": str(port)}, name="env")
    assert srv.port == port and srv.url == f"http://127.0.0.1:{port}"
    assert tenant(srv)["credentials"] == server_http.creds

    other_port = free_port()
    flags = spawn([*BASE, "--seed", "1"], env={"MOCK_OKTA_SEED": "2", "MOCK_OKTA_PORT": str(other_port)},
                  name="flags-win")
    assert flags.port != other_port
    assert tenant(flags)["credentials"] == server_http.creds


def test_tls_default_ca_out_in_working_directory(spawn: Spawn) -> None:
    """--tls without --ca-out writes mock-okta-ca.pem in the working directory; caFile is its absolute path."""
    srv = spawn([*BASE, "--seed", "1", "--tls"])
    expected = (srv.workdir / "mock-okta-ca.pem").resolve()
    assert srv.ca_file and Path(srv.ca_file).is_absolute() and Path(srv.ca_file).resolve() == expected
    assert expected.is_file()
    assert srv.url.startswith("https://")
    assert requests.get(srv.url + "/__mock/health", verify=srv.ca_file, timeout=HTTP_TIMEOUT).status_code == 200


def test_db_restart_keeps_keys_credentials_and_refresh_tokens(spawn: Spawn, tmp_path) -> None:
    """--db FILE: after a restart the JWKS kids, the credentials and an earlier refresh token still work."""
    db = tmp_path / "state.sqlite"
    first = spawn([*BASE, "--seed", "1", "--db", str(db)], name="db1")
    creds = tenant(first)["credentials"]
    kids = {p: {k["kid"] for k in _jwks(first, p)} for p in ("/oauth2/v1/keys", "/oauth2/default/v1/keys")}
    tok = code_flow(first)
    assert tok.get("refresh_token")
    rc, elapsed = first.stop()
    _graceful(rc, elapsed, 2.0, signal.SIGTERM)
    assert db.is_file() and db.stat().st_size > 0

    second = spawn(["--host", "127.0.0.1", "--port", str(first.port), "--seed", "1", "--db", str(db)], name="db2")
    assert second.url == first.url
    assert tenant(second)["credentials"] == creds
    for p, before in kids.items():
        assert {k["kid"] for k in _jwks(second, p)} == before, p
    r = token_request(second, {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
                               "scope": "openid profile email offline_access"}, auth=web_basic(second))
    assert r.status_code == 200, r.text[:300]
    claims = verify_jwt(second, r.json()["access_token"])
    assert claims["sub"] == creds["user"]["login"]
    # a token minted before the restart still verifies against the restarted server's JWKS
    verify_jwt(second, tok["access_token"])


def test_db_state_wins_over_seed(spawn: Spawn, tmp_path) -> None:
    """PRODUCT.md: with --db, the file's state (keys, credentials) wins over --seed."""
    db = tmp_path / "state.sqlite"
    first = spawn([*BASE, "--seed", "3", "--db", str(db)], name="seed3")
    creds = tenant(first)["credentials"]
    default_keys = _jwks(first, "/oauth2/default/v1/keys")
    first.stop()
    second = spawn([*BASE, "--seed", "4", "--db", str(db)], name="seed4")
    assert tenant(second)["credentials"] == creds
    assert _jwks(second, "/oauth2/default/v1/keys") == default_keys
