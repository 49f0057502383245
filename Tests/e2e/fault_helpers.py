"""Small helpers for the fault-injection and live-scenario tests (test_faults_wire.py,
test_scenarios_live.py).

Everything talks to a running ``mock-okta serve`` on 127.0.0.1 through the Control API
(PRODUCT.md "Control API", "Scenario files", "The journal"); every wait is bounded.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any, Callable

from helpers import REPO_ROOT, MockOkta

SCENARIO_DIR = REPO_ROOT / "scenarios"
CONNECT_TIMEOUT = 5.0


# --------------------------------------------------------------------------------------------
# Control API
# --------------------------------------------------------------------------------------------


def clean(srv: MockOkta) -> None:
    """No scenario loaded, tenant at baseline, counters zero, journal empty."""
    r = srv.control("DELETE", "/__mock/scenario")
    assert r.status_code in (200, 204), f"DELETE /__mock/scenario -> {r.status_code} {r.text[:300]}"
    r = srv.control("POST", "/__mock/reset")
    assert r.status_code in (200, 204), f"/__mock/reset -> {r.status_code} {r.text[:300]}"


def doc(*, name: str = "e2e", description: str = "e2e test scenario.", rules: list | None = None,
        timeline: list | None = None, expect: list | None = None, **extra: Any) -> dict[str, Any]:
    """A whole scenario document (version 1)."""
    d: dict[str, Any] = {"version": 1, "name": name, "description": description}
    if rules is not None:
        d["rules"] = rules
    if timeline is not None:
        d["timeline"] = timeline
    if expect is not None:
        d["expect"] = expect
    d.update(extra)
    return d


def rule(fault: dict[str, Any], *, id: str = "r", match: dict[str, Any] | None = None,
         when: dict[str, Any] | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"id": id, "fault": fault}
    if match is not None:
        r["match"] = match
    if when is not None:
        r["when"] = when
    return r


def load(srv: MockOkta, scenario: dict[str, Any] | str | bytes) -> dict[str, Any]:
    """POST /__mock/scenario (a dict is sent as JSON, str/bytes as is); asserts 200."""
    if isinstance(scenario, dict):
        r = srv.control("POST", "/__mock/scenario", json=scenario)
    else:
        r = srv.control("POST", "/__mock/scenario", data=scenario,
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 200, f"POST /__mock/scenario -> {r.status_code} {r.text[:1500]}"
    return r.json()


def load_rule(srv: MockOkta, fault: dict[str, Any], *, match: dict[str, Any] | None = None,
              when: dict[str, Any] | None = None, id: str = "r") -> dict[str, Any]:
    """Replace the scenario by one holding a single rule."""
    return load(srv, doc(rules=[rule(fault, id=id, match=match, when=when)]))


def scenario_state(srv: MockOkta) -> dict[str, Any]:
    r = srv.control("GET", "/__mock/scenario")
    assert r.status_code == 200, f"GET /__mock/scenario -> {r.status_code} {r.text[:300]}"
    return r.json()


def action(srv: MockOkta, body: dict[str, Any]) -> dict[str, Any]:
    r = srv.control("POST", "/__mock/actions", json=body)
    assert r.status_code == 200, f"POST /__mock/actions {body} -> {r.status_code} {r.text[:300]}"
    data = r.json()
    assert data.get("ok") is True, data
    return data


def journal(srv: MockOkta, **filters: Any) -> list[dict[str, Any]]:
    r = srv.control("GET", "/__mock/journal", params=filters or None)
    assert r.status_code == 200, f"GET /__mock/journal -> {r.status_code} {r.text[:300]}"
    return r.json()["entries"]


def verify(srv: MockOkta) -> dict[str, Any]:
    r = srv.control("GET", "/__mock/verify")
    assert r.status_code == 200, f"GET /__mock/verify -> {r.status_code} {r.text[:300]}"
    return r.json()


def verdict(result: dict[str, Any], type_: str) -> dict[str, Any]:
    found = [x for x in result["results"] if x["type"] == type_]
    assert len(found) == 1, f"expected one {type_} result in {result}"
    return found[0]


def wait_for(pred: Callable[[], Any], timeout: float, interval: float = 0.05, what: str = "condition") -> Any:
    """Poll `pred` until it returns something truthy (returned) or `timeout` passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value {last!r}")
        time.sleep(interval)


def shipped_scenarios() -> list[Path]:
    return sorted(p for p in SCENARIO_DIR.glob("*.json") if p.name != "schema.json")


def shipped(name: str) -> dict[str, Any]:
    return json.loads((SCENARIO_DIR / f"{name}.json").read_text())


# --------------------------------------------------------------------------------------------
# Wire helpers
# --------------------------------------------------------------------------------------------


def ssws(srv: MockOkta, token: str | None = None) -> dict[str, str]:
    return {"Authorization": "SSWS " + (token or srv.creds["apiToken"])}


def http_date(value: str) -> int:
    """Epoch seconds of an RFC 1123 Date header."""
    dt = email.utils.parsedate_to_datetime(value)
    assert dt.tzinfo is not None, value
    return int(dt.timestamp())


def raw_request(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def open_raw(srv: MockOkta, payload: bytes, *, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
    """A connected socket (TLS when the server is https) that has sent `payload`."""
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    ctx = srv.ssl_context()
    if ctx is not None:
        sock = ctx.wrap_socket(sock, server_hostname="127.0.0.1")
    sock.sendall(payload)
    return sock


def tls_context(srv: MockOkta) -> ssl.SSLContext:
    assert srv.ca_file, "server has no CA file (not --tls?)"
    return ssl.create_default_context(cafile=srv.ca_file)


# --------------------------------------------------------------------------------------------
# The okta SDK (its import takes ~10 s: start it in the background while other tests run)
# --------------------------------------------------------------------------------------------

_okta_import: dict[str, Any] = {}
_okta_lock = threading.Lock()


def preload_okta_sdk() -> None:
    """Start importing okta.client in a daemon thread (idempotent).  The import is CPU-bound but
    the fault tests mostly sleep on hangs and delays, so it overlaps with them."""
    with _okta_lock:
        if "thread" in _okta_import:
            return

        def _run() -> None:
            try:
                from okta.client import Client  # noqa: PLC0415

                _okta_import["client"] = Client
            except BaseException as e:  # noqa: BLE001 - reported by okta_client_class()
                _okta_import["error"] = e

        t = threading.Thread(target=_run, name="okta-sdk-import", daemon=True)
        _okta_import["thread"] = t
        t.start()


def okta_client_class(timeout: float = 60) -> Any:
    """okta.client.Client, waiting for the background import."""
    preload_okta_sdk()
    t: threading.Thread = _okta_import["thread"]
    t.join(timeout)
    assert not t.is_alive(), f"importing okta.client took more than {timeout}s"
    if "error" in _okta_import:
        raise _okta_import["error"]
    return _okta_import["client"]


def sdk_list_users(srv: MockOkta, token: str | None = None, timeout: float = 20) -> tuple:
    """okta SDK 3.4.6 `list_users()` with an SSWS token.  The caller must have set
    OKTA_TESTING_TESTINGDISABLEHTTPSCHECK (the SDK reads it when the Client is built)."""
    client_cls = okta_client_class()

    async def go():
        return await client_cls({"orgUrl": srv.url, "token": token or srv.creds["apiToken"]}).list_users()

    return asyncio.run(asyncio.wait_for(go(), timeout))


def sdk_ok(result: tuple, what: str = "call") -> Any:
    """Assert an okta SDK (data, resp, err) result has no error; return data."""
    assert len(result) == 3 and result[-1] is None, f"{what}: SDK returned an error: {result!r}"
    return result[0]


def sdk_api_error(result: tuple, status: int, code: str) -> Any:
    """Assert the okta SDK surfaced an OktaAPIError with `status` and `code`; return it."""
    from okta.errors.okta_api_error import OktaAPIError

    err = result[-1]
    assert isinstance(err, OktaAPIError), f"expected OktaAPIError {status} {code}, got {result!r}"
    assert err.status == status and err.error_code == code, f"{err.status} {err.error_code}: {err}"
    return err


def enum_value(x: Any) -> Any:
    """An SDK enum's wire value (or the value itself)."""
    return getattr(x, "value", x)
