"""The dashboard's live journal, /__mock/events (server-sent events), without a browser (issue 16).

The browser tests (Tests/browser) drive the page; these pin the stream itself: a request shows up in it,
a held request is sent open and then closed when the client leaves, and a server with a stream open
still stops at once on SIGTERM.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any, Iterator

import requests
from conftest import BASE_ARGS
from helpers import MockOkta


def events(r: requests.Response) -> Iterator[dict[str, Any]]:
    """The `journal` events of an open stream, parsed."""
    name = None
    for raw in r.iter_lines(decode_unicode=True):
        if raw.startswith("event: "):
            name = raw[len("event: "):]
        elif raw.startswith("data: ") and name == "journal":
            yield json.loads(raw[len("data: "):])


def rows_until(stream: Iterator[dict[str, Any]], want: Any, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    for batch in stream:
        for row in batch["requests"]:
            if want(row):
                return row
        assert time.monotonic() < deadline, "the stream did not show the request in time"
    raise AssertionError("the stream ended")


def test_stream_shows_requests_and_a_held_request_closing(tmp_path: Path) -> None:
    srv = MockOkta(workdir=tmp_path, args=[*BASE_ARGS, "--admin-token", "adm"], admin_token="adm", name="sse")
    srv.start()
    try:
        assert srv.get("/__mock/events", timeout=5).status_code == 401
        scenario = {"version": 1, "name": "held", "rules": [
            {"id": "hold", "match": {"method": "GET", "path": "/api/v1/groups"}, "fault": {"type": "hang"}}]}
        assert srv.control("POST", "/__mock/scenario", json=scenario).status_code == 200
        with requests.get(f"{srv.url}/__mock/events?token=adm", stream=True, timeout=15) as r:
            assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
            stream = events(r)
            first = next(stream)
            assert first["requests"] == [] and first["now"] > 0
            token = srv.creds["apiToken"]
            rid = srv.get("/api/v1/users", headers={"Authorization": f"SSWS {token}"}).headers["X-Okta-Request-Id"]
            row = rows_until(stream, lambda x: x["id"] == rid)
            assert row["status"] == 200 and row["open"] is False
            sock = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            sock.sendall(f"GET /api/v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: SSWS {token}\r\n\r\n".encode())
            held = rows_until(stream, lambda x: x["path"] == "/api/v1/groups")
            assert held["open"] is True and held["rule"] == "hold" and held["status"] is not None
            sock.close()
            closed = rows_until(stream, lambda x: x["id"] == held["id"] and not x["open"])
            assert closed["disconnectedAt"] is not None and closed["status"] is None
        # The stream is never journaled.
        paths = [e["path"] for e in srv.control("GET", "/__mock/journal").json()["entries"]]
        assert paths == ["/api/v1/users", "/api/v1/groups"], paths
    finally:
        rc, elapsed = srv.stop()
    assert rc is not None


def test_sigterm_with_a_stream_open_stops_at_once(tmp_path: Path) -> None:
    srv = MockOkta(workdir=tmp_path, args=list(BASE_ARGS), name="sse-stop")
    srv.start()
    r = requests.get(f"{srv.url}/__mock/events", stream=True, timeout=15)
    assert r.status_code == 200
    next(events(r))
    rc, elapsed = srv.stop()
    r.close()
    assert rc is not None and elapsed < 3, (rc, elapsed)


def test_run_keep_prints_the_dashboard_and_stays_up(tmp_path: Path) -> None:
    """`mock-okta run --keep -- CMD`: after CMD the server stays up with its dashboard until Ctrl-C."""
    import re
    import signal
    import subprocess
    import sys

    from helpers import clean_env, mock_okta_bin

    err = tmp_path / "stderr.txt"
    with err.open("wb") as f:
        proc = subprocess.Popen([str(mock_okta_bin()), "run", "--keep", "--", sys.executable, "-c", "pass"],
                                stdout=subprocess.DEVNULL, stderr=f, env=clean_env(), cwd=tmp_path)
    try:
        deadline = time.monotonic() + 20
        url = None
        while time.monotonic() < deadline and url is None:
            m = re.search(r"dashboard (http://127\.0\.0\.1:\d+/__mock/ui)", err.read_text(errors="replace"))
            url = m.group(1) if m else None
            time.sleep(0.1)
        assert url, err.read_text(errors="replace")
        page = requests.get(url, timeout=5)
        assert page.status_code == 200 and "EventSource" in page.text
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
