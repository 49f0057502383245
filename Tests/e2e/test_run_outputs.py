"""What `mock-okta run` and the journal leave behind for a person to read (issue 9, items 5-7):
the report citing journal entries, HAR 1.2 (`run --har`, `GET /__mock/journal?format=har`), live
progress on stderr (`--quiet` silences it), hung requests logged as held and when the client leaves,
and a `--db` journal read back after a restart.

HAR 1.2: http://www.softwareishard.com/blog/har-12-spec/ (log.version, creator, entries[].startedDateTime,
time, request, response, cache, timings are required).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from helpers import MockOkta, clean_env, mock_okta_bin
from test_run_verdicts import PY, USERS, client, mock_run, scenario, users_rule

HAR_ENTRY_KEYS = {"startedDateTime", "time", "request", "response", "cache", "timings"}


def _check_har(doc: dict[str, Any]) -> list[dict[str, Any]]:
    log = doc["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "mock-okta", log.get("creator")
    for e in log["entries"]:
        assert HAR_ENTRY_KEYS <= set(e), e.keys()
        assert {"method", "url", "httpVersion", "headers", "queryString", "cookies", "headersSize", "bodySize"} <= set(e["request"])
        assert {"status", "statusText", "httpVersion", "headers", "content", "redirectURL", "cookies"} <= set(e["response"])
        assert isinstance(e["time"], (int, float)) and e["time"] >= 0
        assert e["request"]["url"].startswith("http")
        assert "_mockOkta" in e and e["_mockOkta"]["id"]
    return log["entries"]


RATE_LIMITED = scenario(
    "e2e-outputs-429",
    rules=[users_rule("throttle", {"nth": [1]}, {"type": "rateLimit", "resetAfterSeconds": 3})],
    expect=[{"type": "respectsRateLimitReset", "path": USERS}],
)


def test_report_cites_journal_and_har_is_written(tmp_path: Path) -> None:
    """An impatient client fails respectsRateLimitReset: the report carries the journal entries its
    evidence names, and `--har` writes every request with the rule and fault that fired."""
    har = tmp_path / "run.har"
    run = mock_run(tmp_path, client("impatient.py", "--sleep", "0.1"), scenario=RATE_LIMITED, options=["--har", str(har)])
    assert run.rc == 3, run.describe()
    report = run.report
    res = report["results"][0]
    assert res["status"] == "failed", res
    cited = {e["id"] for e in report["journal"]}
    assert set(res["evidence"]) <= cited, (res["evidence"], cited)
    first = res["requests"][0]
    assert first["method"] == "GET" and first["path"] == USERS and first["status"] == 429 and first["rule"] == "throttle", first
    assert res["requests"][1]["retryOf"] == first["id"], res["requests"]
    assert "retried" in res["reason"] and "429" in res["reason"], res["reason"]
    entries = _check_har(json.loads(har.read_text()))
    users = [e for e in entries if e["request"]["url"].endswith(USERS)]
    assert users[0]["response"]["status"] == 429 and users[0]["_mockOkta"]["rule"] == "throttle", users[0]
    assert users[0]["_mockOkta"]["fault"] == "rateLimit"
    assert any(h["name"] == "X-Rate-Limit-Reset" for h in users[0]["response"]["headers"]), users[0]["response"]
    # Credentials never reach the HAR.
    text = har.read_text()
    assert "SSWS 00" not in text, "an API token in the HAR"


def test_github_step_summary_gets_the_verdict_table(tmp_path: Path) -> None:
    """With GITHUB_STEP_SUMMARY set (GitHub Actions' job summary file), `run` appends its verdict table as
    Markdown after what earlier steps wrote: the result, one row per expectation with its reason and cited
    requests, and the rules with how often they fired."""
    summary = tmp_path / "summary.md"
    summary.write_text("## earlier step\n")
    run = mock_run(tmp_path, client("impatient.py", "--sleep", "0.1"), scenario=RATE_LIMITED,
                   env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert run.rc == 3, run.describe()
    text = summary.read_text()
    assert text.startswith("## earlier step\n"), text[:200]
    assert "### mock-okta: ❌ FAILED" in text and "e2e-outputs-429" in text, text
    assert "| result | expectation | why |" in text, text
    row = next(line for line in text.splitlines() if "respectsRateLimitReset" in line)
    assert row.startswith("| ❌ fail |") and f"GET {USERS}" in row and "retried" in row, row
    assert "| `throttle` | 1× |" in text, text
    # Without the variable nothing is written anywhere else: the file is left as it was by a second, plain run.
    before = summary.read_text()
    mock_run(tmp_path / "plain", client("impatient.py", "--sleep", "0.1"), scenario=RATE_LIMITED)
    assert summary.read_text() == before


def test_progress_lines_and_quiet(tmp_path: Path) -> None:
    """While CMD runs, stderr says which rule fired; `--quiet` says nothing until the verdict."""
    loud = mock_run(tmp_path / "loud", client("impatient.py", "--sleep", "0.5"), scenario=RATE_LIMITED)
    assert "mock-okta: rule throttle fired (rateLimit) on GET /api/v1/users → 429" in loud.stderr, loud.describe()
    quiet = mock_run(tmp_path / "quiet", client("impatient.py", "--sleep", "0.5"), scenario=RATE_LIMITED, options=["--quiet"])
    assert "mock-okta: rule" not in quiet.stderr, quiet.describe()
    assert "mock-okta verdict:" in quiet.stderr


HELD = scenario(
    "e2e-outputs-hang",
    rules=[users_rule("hang-users", {"nth": [1]}, {"type": "hang", "seconds": 20})],
    expect=[{"type": "abandonsHangWithin", "rule": "hang-users", "maxSeconds": 10}],
)


def test_held_requests_are_narrated(tmp_path: Path) -> None:
    """A request held by a hang is reported every 5 s while it is held, logged as held (not as a 200),
    and logged again when the client leaves."""
    code = ("import os, requests\n"
            "h = {'Authorization': 'SSWS ' + os.environ['OKTA_CLIENT_TOKEN']}\n"
            "try:\n"
            "    requests.get(os.environ['OKTA_ORG_URL'] + '/api/v1/users', headers=h, timeout=6)\n"
            "except requests.exceptions.Timeout:\n"
            "    pass\n")
    run = mock_run(tmp_path, [PY, "-c", code], scenario=HELD)
    assert run.rc == 0, run.describe()
    assert re.search(r"mock-okta: 1 request held by rule hang-users for \d+ s", run.stderr), run.describe()
    assert "mock-okta: rule hang-users fired (hang) on GET /api/v1/users, held" in run.stderr, run.describe()
    assert "GET /api/v1/users held by rule hang-users for up to 20 s" in run.stderr, run.describe()
    assert "the client left a held request after" in run.stderr, run.describe()
    assert "GET /api/v1/users 200" not in run.stderr


def test_journal_as_har_on_a_live_server(server_http: MockOkta) -> None:
    srv = server_http
    r = srv.get(USERS + "?limit=2&client_secret=hush", headers={"Authorization": f"SSWS {srv.creds['apiToken']}"})
    assert r.status_code == 200
    rid = r.headers["X-Okta-Request-Id"]
    doc = srv.control("GET", "/__mock/journal", params={"format": "har"}).json()
    entries = _check_har(doc)
    mine = [e for e in entries if e["_mockOkta"]["id"] == rid]
    assert len(mine) == 1, entries[-3:]
    e = mine[0]
    assert e["request"]["method"] == "GET" and e["response"]["status"] == 200 and e["response"]["statusText"] == "OK"
    assert {"name": "limit", "value": "2"} in e["request"]["queryString"]
    assert "hush" not in json.dumps(e), "a query-string secret in the HAR"


def test_db_journal_is_read_back_after_restart(spawn: Any, tmp_path: Path) -> None:
    """With `--db` the journal survives a restart (as the README promises): entries from before the
    restart are listed again; verdicts still judge only what comes after."""
    db = tmp_path / "org.db"
    a = spawn(["--port", "0", "--seed", "3", "--db", str(db)], name="db-a")
    ids = []
    for _ in range(3):
        r = a.get(USERS, headers={"Authorization": f"SSWS {a.creds['apiToken']}"})
        ids.append(r.headers["X-Okta-Request-Id"])
    time.sleep(0.5)  # the journal is written behind, every ~200 ms
    a.stop(sig=signal.SIGTERM)
    b = spawn(["--port", "0", "--seed", "3", "--db", str(db)], name="db-b")
    deadline = time.monotonic() + 10  # read back in the background, after readiness
    while True:
        listed = [e["id"] for e in b.control("GET", "/__mock/journal").json()["entries"]]
        if set(ids) <= set(listed) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert set(ids) <= set(listed), (ids, listed)
    report = b.control("GET", "/__mock/verify").json()
    assert report["requestCount"] == 0, report


def test_keep_serves_after_the_command_until_sigint(tmp_path: Path) -> None:
    """`run --keep`: after the command and the verdict table, the server stays up (its URL and the journal,
    verdicts and tenant addresses on stderr) until Ctrl-C; then run exits with the usual status (0 here)."""
    fetch = ("import os, urllib.request; "
             "urllib.request.urlopen(os.environ['MOCK_OKTA_URL'] + '/oauth2/v1/keys').read()")
    argv = [str(mock_okta_bin()), "run", "--seed", "1", "--quiet", "--keep", "--", PY, "-c", fetch]
    proc = subprocess.Popen(argv, cwd=str(tmp_path), env=clean_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"server stays up at (\S+) until Ctrl-C", line)
            if m:
                url = m.group(1)
        assert url, "".join(lines)
        j = requests.get(url + "/__mock/journal", timeout=5)
        assert j.status_code == 200
        assert [e["path"] for e in j.json()["entries"]] == ["/oauth2/v1/keys"], j.json()
        assert requests.get(url + "/__mock/verify", timeout=5).json()["passed"] is True
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
