"""Shared bits of the client programs that `mock-okta run` launches in the e2e tests.

Each client reads what `mock-okta run` exported (OKTA_ORG_URL, OKTA_CLIENT_TOKEN, MOCK_OKTA_URL, …)
and, when E2E_OUT names a directory, leaves evidence there for the test to read after `run` exits
(the server is gone by then):

- ``seen.json``: the X-Okta-Request-Id of every response the client received, in order;
- ``journal.json``: ``GET /__mock/journal`` taken as the client's last act (``/__mock/*`` calls are
  not journaled, so the dump itself does not change what is judged).

Every loop in these programs is bounded and every HTTP call has a timeout unless the point of the
program is to have none.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

CONTROL_TIMEOUT = 10  # seconds for /__mock/* calls


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{Path(sys.argv[0]).name}: ${name} is not set (run me under `mock-okta run`)")
    return value


def out_dir() -> Path | None:
    d = os.environ.get("E2E_OUT")
    return Path(d) if d else None


class Recorder:
    """Collects response request ids and dumps them plus the journal into $E2E_OUT."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.statuses: list[int] = []

    def saw(self, response: Any) -> None:
        """Record a requests.Response (or anything with .headers and .status_code/.status)."""
        headers = getattr(response, "headers", {}) or {}
        rid = headers.get("X-Okta-Request-Id") or headers.get("x-okta-request-id")
        if rid:
            self.seen.append(rid)
        status = getattr(response, "status_code", None) or getattr(response, "status", None)
        if isinstance(status, int):
            self.statuses.append(status)

    def finish(self, **extra: Any) -> None:
        d = out_dir()
        if d is None:
            return
        import requests

        d.mkdir(parents=True, exist_ok=True)
        base = env("MOCK_OKTA_URL")
        r = requests.get(base + "/__mock/journal", timeout=CONTROL_TIMEOUT)
        r.raise_for_status()
        (d / "journal.json").write_text(json.dumps(r.json()))
        (d / "seen.json").write_text(json.dumps({"seen": self.seen, "statuses": self.statuses, **extra}))


def ssws_headers() -> dict[str, str]:
    return {"Authorization": "SSWS " + env("OKTA_CLIENT_TOKEN"), "Accept": "application/json"}
