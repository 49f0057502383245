"""`mock-okta replay --from-har F | --from-syslog F`: a recorded incident becomes a scenario that `run` replays.

The incident is made here with the binary itself: `mock-okta run --scenario 429-rate-limit-with-reset --har F`
with a client that retries a 429 after 0.2 s (clients/impatient.py).  Replaying that HAR must give a scenario on
which the same naive client fails its verdict (exit 3, README "Judging your client in CI") and the okta SDK, which
waits for X-Rate-Limit-Reset, passes (exit 0).  A browser-style HAR (absolute URLs, base64 bodies, the app's own
requests mixed in) and the mock's own System Log export (`GET /api/v1/logs`) replay too; bad input exits 2 with
one sentence.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import clean_env, mock_okta_bin

CLIENTS = Path(__file__).resolve().parent / "clients"
PY = sys.executable
RUN_TIMEOUT = 90  # seconds for one `mock-okta run` (the SDK import alone takes ~8 s)

# Lists users like impatient.py (one 429 retried after 0.2 s), then saves the System Log export it can read.
SYSLOG_CLIENT = """
import json, os, sys, time, requests
base, token = os.environ["OKTA_ORG_URL"], os.environ["OKTA_CLIENT_TOKEN"]
h = {"Authorization": "SSWS " + token, "Accept": "application/json"}
for _ in range(4):
    r = requests.get(base + "/api/v1/users", headers=h, timeout=10)
    if r.status_code != 429:
        break
    time.sleep(0.2)
logs = requests.get(base + "/api/v1/logs", params={"limit": "1000"}, headers=h, timeout=10)
logs.raise_for_status()
with open(sys.argv[1], "w") as f:
    for event in logs.json():
        f.write(json.dumps(event) + "\\n")
"""


def mock(*args: str, timeout: float = RUN_TIMEOUT, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(mock_okta_bin()), *args], cwd=cwd, env=clean_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def run(scenario: Path, cmd: list[str], workdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    report = workdir / f"report-{Path(cmd[1]).stem}.json"
    return mock("run", "--seed", "1", "--quiet", "--scenario", str(scenario), "--report", str(report), *extra,
                "--", *cmd, cwd=workdir)


def rules(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text())["rules"]


def describe(p: subprocess.CompletedProcess[str]) -> str:
    return f"rc {p.returncode}\nstdout:\n{p.stdout[-2000:]}\nstderr:\n{p.stderr[-3000:]}"


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped 429 scenario run with a naive client, saved as HAR, replayed into a scenario."""
    d = tmp_path_factory.mktemp("replay")
    incident = run(Path("429-rate-limit-with-reset"), [PY, str(CLIENTS / "impatient.py")], d, "--har",
                   str(d / "incident.har"))
    assert incident.returncode == 3, describe(incident)
    out = d / "incident.json"
    p = mock("replay", "--from-har", str(d / "incident.har"), "-o", str(out))
    assert p.returncode == 0, describe(p)
    assert "wrote" in p.stderr and p.stdout == ""
    return out


def test_replayed_har_injects_the_recorded_429(replayed: Path) -> None:
    doc = json.loads(replayed.read_text())
    assert doc["name"] == "incident"
    assert doc["description"].startswith("Replay of incident.har (HAR written by mock-okta, 2 entries")
    assert rules(replayed) == [{
        "id": "r1-get-api-v1-users-429",
        "description": rules(replayed)[0]["description"],
        "match": {"method": "GET", "path": "/api/v1/users"},
        "when": {"nth": [1]},
        "fault": {"type": "rateLimit", "resetAfterSeconds": 3},
    }]
    kinds = [e["type"] for e in doc["expect"]]
    assert kinds == ["respectsRateLimitReset", "maxAttempts"]
    v = mock("validate", str(replayed))
    assert v.returncode == 0, describe(v)


def test_naive_client_fails_the_replay(replayed: Path, tmp_path: Path) -> None:
    p = run(replayed, [PY, str(CLIENTS / "impatient.py")], tmp_path)
    assert p.returncode == 3, describe(p)
    report = json.loads((tmp_path / "report-impatient.json").read_text())
    failed = [r["type"] for r in report["results"] if r["status"] == "failed"]
    assert failed == ["respectsRateLimitReset"], report["results"]


def test_sdk_that_waits_for_the_reset_passes_the_replay(replayed: Path, tmp_path: Path) -> None:
    p = run(replayed, [PY, str(CLIENTS / "polite_sdk.py")], tmp_path)
    assert p.returncode == 0, describe(p)
    assert "mock-okta verdict: PASSED" in p.stdout + p.stderr


def har_entry(method: str, url: str, status: int, *, headers: dict[str, str] | None = None,
              body: str | None = None, time_ms: float = 120.0) -> dict[str, Any]:
    content: dict[str, Any] = {"size": len(body or ""), "mimeType": "application/json"}
    if body is not None:
        content.update(text=base64.b64encode(body.encode()).decode(), encoding="base64")
    return {
        "startedDateTime": "2026-01-05T10:00:00.400Z", "time": time_ms,
        "request": {"method": method, "url": url, "httpVersion": "h2", "headers": [], "queryString": [],
                    "cookies": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": status, "statusText": "", "httpVersion": "h2", "cookies": [],
                     "headers": [{"name": k, "value": v} for k, v in (headers or {}).items()],
                     "content": content, "redirectURL": "", "headersSize": -1, "bodySize": -1},
        "cache": {}, "timings": {"blocked": 1, "dns": -1, "send": 1, "wait": time_ms - 3, "receive": 1},
    }


def test_browser_har_replays(tmp_path: Path) -> None:
    okta = "https://dev-123.okta.com"
    date = "Mon, 05 Jan 2026 10:00:00 GMT"  # 1767607200
    e11 = json.dumps({"errorCode": "E0000011", "errorSummary": "Invalid token provided", "errorCauses": []})
    entries = [
        har_entry("GET", "http://localhost:3000/", 200),
        har_entry("GET", okta + "/api/v1/users?limit=200", 429,
                  headers={"date": date, "x-rate-limit-limit": "600", "x-rate-limit-reset": "1767607204"}),
        har_entry("GET", okta + "/api/v1/users?limit=200", 200, headers={"date": date}),
        har_entry("GET", okta + "/api/v1/users/00u1abc/groups", 401, body=e11),
        har_entry("POST", okta + "/oauth2/default/v1/token", 503, body='{"error":"temporarily_unavailable"}'),
    ]
    har = tmp_path / "Last night.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"},
                                       "pages": [], "entries": entries}}))
    p = mock("replay", "--from-har", str(har))
    assert p.returncode == 0, describe(p)
    doc = json.loads(p.stdout)
    assert doc["name"] == "last-night"
    got = [(r["match"], r["when"], r["fault"]["type"]) for r in doc["rules"]]
    assert got == [
        ({"method": "GET", "path": "/api/v1/users"}, {"nth": [1]}, "rateLimit"),
        ({"method": "GET", "path": "/api/v1/users/{id}/groups"}, {"nth": [1]}, "status"),
        ({"method": "POST", "path": "/oauth2/{authServerId}/v1/token"}, {"nth": [1]}, "unavailable"),
    ]
    assert doc["rules"][0]["fault"]["resetAfterSeconds"] == 4
    assert doc["rules"][1]["fault"]["body"]["errorCode"] == "E0000011"
    assert "requests to other hosts" in doc["description"]
    # Same bytes in, same bytes out, across processes and with -o.
    out = tmp_path / "out.json"
    again = mock("replay", "--from-har", str(har), "-o", str(out))
    assert again.returncode == 0 and out.read_text() == p.stdout
    v = mock("validate", str(out))
    assert v.returncode == 0, describe(v)


def test_mock_system_log_export_replays(tmp_path: Path) -> None:
    client = tmp_path / "syslog_client.py"
    client.write_text(SYSLOG_CLIENT)
    logs = tmp_path / "logs.ndjson"
    incident = run(Path("429-rate-limit-with-reset"), [PY, str(client), str(logs)], tmp_path)
    assert incident.returncode == 3, describe(incident)
    out = tmp_path / "from-logs.json"
    p = mock("replay", "--from-syslog", str(logs), "-o", str(out))
    assert p.returncode == 0, describe(p)
    got = [(r["match"], r["when"], r["fault"]["type"]) for r in rules(out)]
    assert got == [({"path": "/api/v1/users"}, {"nth": [1]}, "rateLimit")]
    naive = run(out, [PY, str(CLIENTS / "impatient.py")], tmp_path)
    assert naive.returncode == 3, describe(naive)
    report = json.loads((tmp_path / "report-impatient.json").read_text())
    failed = [r["type"] for r in report["results"] if r["status"] == "failed"]
    assert failed == ["respectsRateLimitReset"], report["results"]


@pytest.mark.parametrize("args, text, needle", [
    (["--from-har", "{f}"], "{not json", "is not valid JSON"),
    (["--from-har", "{f}"], '{"log": {}}', "not a HAR file"),
    (["--from-syslog", "{f}"], '[{"uuid": "1"}]', "has no eventType"),
    (["--from-har", "{missing}"], "", "no such file"),
    (["--from-har", "{f}", "--from-syslog", "{f}"], "{}", "exactly one of"),
    ([], "", "exactly one of"),
])
def test_bad_input_exits_2_with_one_sentence(tmp_path: Path, args: list[str], text: str, needle: str) -> None:
    f = tmp_path / "in.json"
    f.write_text(text)
    argv = [a.format(f=f, missing=tmp_path / "nope.har") for a in args]
    p = mock("replay", *argv, timeout=30)
    assert p.returncode == 2, describe(p)
    assert needle in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert p.stdout == ""


# Lists users with a 2 s read timeout and one retry (a client with a sane timeout).
TIMEOUT_CLIENT = """
import os, requests
url, h = os.environ["OKTA_ORG_URL"] + "/api/v1/users", {"Authorization": "SSWS " + os.environ["OKTA_CLIENT_TOKEN"]}
for _ in range(2):
    try:
        print(requests.get(url, headers=h, timeout=2).status_code)
        break
    except requests.exceptions.Timeout:
        print("timeout")
"""


def test_hang_round_trip(tmp_path: Path) -> None:
    """hang-timeout run with a 2 s timeout → HAR → replay: the same hang at the same ordinal, judged the same."""
    client = tmp_path / "timeout_client.py"
    client.write_text(TIMEOUT_CLIENT)
    first = run(Path("hang-timeout"), [PY, str(client)], tmp_path, "--har", str(tmp_path / "hang.har"))
    assert first.returncode == 0, describe(first)
    out = tmp_path / "hang.json"
    p = mock("replay", "--from-har", str(tmp_path / "hang.har"), "-o", str(out))
    assert p.returncode == 0, describe(p)
    doc = json.loads(out.read_text())
    assert [(r["match"], r["when"], r["fault"]) for r in doc["rules"]] == [
        ({"method": "GET", "path": "/api/v1/users"}, {"nth": [1]}, {"type": "hang", "seconds": 60, "then": "close"})]
    assert {"type": "abandonsHangWithin", "rule": doc["rules"][0]["id"], "maxSeconds": 30} in doc["expect"]
    again = run(out, [PY, str(client)], tmp_path)
    assert again.returncode == 0, describe(again)
    report = json.loads((tmp_path / "report-timeout_client.json").read_text())
    assert [r["status"] for r in report["results"] if r["type"] == "abandonsHangWithin"] == ["passed"]
