"""`mock-okta run` judging real client programs, and `GET /__mock/verify` on a live server.

PRODUCT.md "Command line" (`run`), "Control API" (`verify`), "Scenario files" (the `expect` list),
"Semantics that tests rely on" and "The journal"; SDK retry behaviour from
/work/shared/research/okta-contract.md §2.5 and "Observed client quirks".

Every expectation type is exercised twice through `mock-okta run --scenario S --report R --junit J
-- python clients/X.py`: once with a well-behaved client (must pass, exit 0) and once with a
misbehaving one (must fail, exit 3).  The clients in ./clients dump `GET /__mock/journal` and the
X-Okta-Request-Id values they received into $E2E_OUT as their last act, so the tests can check that
a verdict's evidence names real journal entries (the server is gone once `run` returns).

Each `run` is a module-scoped fixture shared by the tests that read it.  Reset instants are whole
seconds, so scenarios put X-Rate-Limit-Reset 3 s ahead (always ≥ 2 s, see the quirks section);
hangs last 3 s and answer afterwards, so a client without a timeout still ends.
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from helpers import MockOkta, clean_env, mock_okta_bin

CLIENTS = Path(__file__).resolve().parent / "clients"
PY = sys.executable
RUN_TIMEOUT = 60  # seconds for one `mock-okta run` (the SDK import alone takes ~8 s)
ID_RE = re.compile(r"^[A-Za-z0-9_@-]{8,64}$")  # X-Okta-Request-Id-like (§2.1)

USERS = "/api/v1/users"


# --------------------------------------------------------------------------------------------
# Running `mock-okta run`
# --------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    argv: list[str]
    rc: int
    stdout: str
    stderr: str
    elapsed: float
    workdir: Path
    scenario: dict[str, Any] | None
    report_path: Path
    junit_path: Path
    out: Path  # $E2E_OUT of the client

    @property
    def report(self) -> dict[str, Any]:
        assert self.report_path.is_file(), f"no --report file written\n{self.describe()}"
        return json.loads(self.report_path.read_text())

    @property
    def junit(self) -> ET.Element:
        assert self.junit_path.is_file(), f"no --junit file written\n{self.describe()}"
        return ET.fromstring(self.junit_path.read_text())

    @property
    def journal(self) -> list[dict[str, Any]]:
        p = self.out / "journal.json"
        assert p.is_file(), f"the client did not dump the journal\n{self.describe()}"
        return json.loads(p.read_text())["entries"]

    @property
    def seen(self) -> dict[str, Any]:
        p = self.out / "seen.json"
        assert p.is_file(), f"the client did not write seen.json\n{self.describe()}"
        return json.loads(p.read_text())

    def journal_ids(self) -> list[str]:
        return [e["id"] for e in self.journal]

    def entry(self, rid: str) -> dict[str, Any]:
        for e in self.journal:
            if e["id"] == rid:
                return e
        raise AssertionError(f"{rid} is not in the journal")

    def result(self, type_: str) -> dict[str, Any]:
        found = [r for r in self.report["results"] if r.get("type") == type_]
        assert len(found) == 1, f"expected one {type_} result, got {self.report['results']}"
        return found[0]

    def describe(self) -> str:
        return (f"argv: {self.argv}\nrc: {self.rc}  ({self.elapsed:.1f}s)\n"
                f"stdout tail:\n{self.stdout[-1500:]}\nstderr tail:\n{self.stderr[-3000:]}")


def mock_run(workdir: Path, cmd: list[str], *, scenario: dict[str, Any] | None = None,
             options: list[str] | None = None, timeout: float = RUN_TIMEOUT,
             report: bool = True, junit: bool = True, env: dict[str, str] | None = None) -> RunResult:
    """`mock-okta run [--seed 1] [--scenario S] [--report R] [--junit J] OPTIONS -- CMD`.

    The environment is the suite's without OKTA_*/MOCK_OKTA_* plus E2E_OUT; cwd is `workdir`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "out"
    argv = [str(mock_okta_bin()), "run", "--seed", "1"]
    if scenario is not None:
        path = workdir / "scenario.json"
        path.write_text(json.dumps(scenario, indent=2))
        argv += ["--scenario", str(path)]
    report_path, junit_path = workdir / "report.json", workdir / "junit.xml"
    if report:
        argv += ["--report", str(report_path)]
    if junit:
        argv += ["--junit", str(junit_path)]
    argv += list(options or [])
    argv += ["--", *cmd]
    t0 = time.monotonic()
    proc = subprocess.run(argv, cwd=str(workdir), env=clean_env({"E2E_OUT": str(out), **(env or {})}),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    return RunResult(argv=argv, rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr,
                     elapsed=time.monotonic() - t0, workdir=workdir, scenario=scenario,
                     report_path=report_path, junit_path=junit_path, out=out)


def client(name: str, *args: str) -> list[str]:
    return [PY, str(CLIENTS / name), *args]


def scenario(name: str, expect: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": 1, "name": name,
                           "description": f"e2e scenario {name}. Written by test_run_verdicts.py.",
                           "expect": expect}
    if rules:
        doc["rules"] = rules
    return doc


def users_rule(rule_id: str, when: dict[str, Any], fault: dict[str, Any]) -> dict[str, Any]:
    return {"id": rule_id, "match": {"method": "GET", "path": USERS}, "when": when, "fault": fault}


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

RATE_LIMIT = scenario(
    "e2e-429-once",
    rules=[users_rule("throttle", {"nth": [1]}, {"type": "rateLimit", "resetAfterSeconds": 3})],
    expect=[{"type": "respectsRateLimitReset", "path": USERS},
            {"type": "maxAttempts", "path": USERS, "max": 3},
            {"type": "sendsRetryHeaders"}],
)
RATE_LIMIT_STORM = scenario(
    "e2e-429-storm",
    rules=[users_rule("storm", {"first": 5}, {"type": "rateLimit", "resetAfterSeconds": 3})],
    expect=[{"type": "maxAttempts", "path": USERS, "max": 3}],
)
HANG = scenario(
    "e2e-hang",
    rules=[users_rule("hang-first", {"nth": [1]}, {"type": "hang", "seconds": 3, "then": "respond"})],
    expect=[{"type": "abandonsHangWithin", "rule": "hang-first", "minSeconds": 0.5, "maxSeconds": 2}],
)
DENIED = scenario(
    "e2e-401",
    expect=[{"type": "noRetryOn"},
            {"type": "noRequestsAfter", "status": 401},
            {"type": "requestCount", "path": USERS, "exactly": 1}],
)
OUTAGE = scenario(
    "e2e-500",
    rules=[users_rule("outage", {"first": 4}, {"type": "serverError"})],
    expect=[{"type": "backsOff", "path": USERS}],
)
SHORT_TOKEN_RULE = {"id": "short-token", "match": {"method": "POST", "path": "/oauth2/v1/token"},
                    "when": {"nth": [1]}, "fault": {"type": "shortLivedToken", "seconds": 1}}
REFRESH = scenario("e2e-refresh", rules=[SHORT_TOKEN_RULE], expect=[{"type": "refreshesExpiredToken"}])
REFRESH_NO_FAULT = scenario("e2e-refresh-no-401", expect=[{"type": "refreshesExpiredToken"}])


# --------------------------------------------------------------------------------------------
# One module-scoped fixture per run
# --------------------------------------------------------------------------------------------


def _run_fixture(name: str, scen: dict[str, Any], cmd: list[str]) -> Callable[..., RunResult]:
    @pytest.fixture(scope="module", name=name)
    def _fixture(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
        return mock_run(tmp_path_factory.mktemp(name), cmd, scenario=scen)
    return _fixture


run_sdk_429 = _run_fixture("run_sdk_429", RATE_LIMIT, client("polite_sdk.py"))
run_impatient_429 = _run_fixture("run_impatient_429", RATE_LIMIT, client("impatient.py", "--sleep", "0.2"))
run_impatient_429_headers = _run_fixture(
    "run_impatient_429_headers", RATE_LIMIT, client("impatient.py", "--sleep", "0.2", "--retry-headers"))
run_impatient_storm = _run_fixture(
    "run_impatient_storm", RATE_LIMIT_STORM, client("impatient.py", "--sleep", "0.05", "--max-tries", "8"))
run_hang_timeout = _run_fixture("run_hang_timeout", HANG, client("no_timeout.py", "--timeout", "1"))
run_hang_no_timeout = _run_fixture("run_hang_no_timeout", HANG, client("no_timeout.py"))
run_hang_too_early = _run_fixture("run_hang_too_early", HANG, client("no_timeout.py", "--timeout", "0.2"))
run_401_once = _run_fixture("run_401_once", DENIED, client("hammer_401.py", "--attempts", "1"))
run_401_hammer = _run_fixture("run_401_hammer", DENIED, client("hammer_401.py", "--attempts", "4"))
run_backoff_doubling = _run_fixture("run_backoff_doubling", OUTAGE, client("backoff_client.py", "--gaps", "doubling"))
run_backoff_constant = _run_fixture("run_backoff_constant", OUTAGE, client("backoff_client.py", "--gaps", "constant"))
run_refresh_ok = _run_fixture("run_refresh_ok", REFRESH, client("refresher.py"))
run_refresh_reuse = _run_fixture("run_refresh_reuse", REFRESH, client("refresher.py", "--no-refresh"))
run_refresh_no_401 = _run_fixture("run_refresh_no_401", REFRESH_NO_FAULT, client("refresher.py", "--calls", "1"))


# --------------------------------------------------------------------------------------------
# What every judged run must satisfy
# --------------------------------------------------------------------------------------------


def check_run(run: RunResult, type_: str, should_pass: bool) -> dict[str, Any]:
    """Exit status, report, JUnit file, verdict table and evidence of one judged run.

    Returns the report's result for `type_`.
    """
    info = run.describe()
    report = run.report
    results = report.get("results")
    assert isinstance(results, list) and run.scenario is not None, info
    assert len(results) == len(run.scenario["expect"]), f"one result per expectation\n{info}"

    # the client itself must have done its job (exit 0): the verdict alone decides 0 vs 3
    assert report.get("commandStatus") == 0, info
    assert report.get("command") == run.argv[run.argv.index("--") + 1:], report
    assert report.get("scenario") == run.scenario["name"], report
    all_passed = all(r["passed"] for r in results)
    assert report.get("passed") is all_passed, report
    assert run.rc == (0 if all_passed else 3), f"exit status\n{info}"

    res = run.result(type_)
    assert res["passed"] is should_pass, f"{type_}: {res}\n{info}"
    assert isinstance(res.get("name"), str) and res["name"].startswith(type_), res
    assert isinstance(res.get("reason"), str) and res["reason"].strip(), res

    # evidence: request ids that are real journal entries (= X-Okta-Request-Id values sent back)
    evidence = res.get("evidence")
    assert isinstance(evidence, list) and all(isinstance(i, str) for i in evidence), res
    journal_ids = run.journal_ids()
    assert journal_ids, f"empty journal\n{info}"
    assert all(ID_RE.match(i) for i in journal_ids), journal_ids
    assert len(set(journal_ids)) == len(journal_ids), f"journal ids are not unique: {journal_ids}"
    seen = run.seen["seen"]
    assert seen and set(seen) <= set(journal_ids), f"X-Okta-Request-Id values {seen} vs journal {journal_ids}"
    if not should_pass:
        assert evidence, f"a failed {type_} must name the requests that prove it: {res}"
    unknown = [i for i in evidence if i not in journal_ids]
    assert not unknown, f"evidence ids not in the journal: {unknown} (journal: {journal_ids})"

    check_junit(run, results)
    check_verdict_table(run, results)
    return res


def check_junit(run: RunResult, results: list[dict[str, Any]]) -> None:
    """One testcase per expectation (plus one per scenario rule, named `rule ID fired`); a failed or
    not-exercised expectation is a <failure> naming its evidence, unless optional (then <skipped>)."""
    root = run.junit
    all_cases = root.findall(".//testcase")
    rule_cases = [c for c in all_cases if (c.get("name") or "").startswith("rule ")]
    cases = [c for c in all_cases if c not in rule_cases]
    assert len(cases) == len(results), f"{len(cases)} testcases for {len(results)} expectations"
    failed_names = {r["name"] for r in results if not r["passed"] and not r.get("optional")}
    junit_failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert {c.get("name") for c in cases} == {r["name"] for r in results}
    assert junit_failed == failed_names, f"JUnit failures {junit_failed} vs report {failed_names}"
    for case in cases:
        failure = case.find("failure")
        if failure is not None:
            r = next(r for r in results if r["name"] == case.get("name"))
            blob = (failure.get("message") or "") + (failure.text or "")
            for rid in r["evidence"]:
                assert rid in blob, f"evidence {rid} missing from the JUnit failure of {r['name']}"
    suites = root.findall(".//testsuite") if root.tag == "testsuites" else [root]
    assert suites, "no <testsuite>"
    assert sum(int(s.get("tests", "0")) for s in suites) == len(all_cases)
    rule_failures = sum(1 for c in rule_cases if c.find("failure") is not None)
    assert sum(int(s.get("failures", "0")) for s in suites) == len(failed_names) + rule_failures


def check_verdict_table(run: RunResult, results: list[dict[str, Any]]) -> None:
    err = run.stderr
    verdict = "PASSED" if all(r["passed"] for r in results) else "FAILED"
    assert f"mock-okta verdict: {verdict}" in err, run.describe()
    lines = err.splitlines()
    words = {"passed": "PASS", "failed": "FAIL", "notExercised": "NOT EXERCISED"}
    for r in results:
        word = words[r["status"]]
        idx = [i for i, ln in enumerate(lines) if re.match(rf"^\s*{word}\s+{re.escape(r['name'])}\s*$", ln)]
        assert idx, f"no '{word}  {r['name']}' line in the verdict table\n{err[-2000:]}"
        if r["status"] == "failed":
            block = "\n".join(lines[idx[0]: idx[0] + 8])
            assert r["reason"].splitlines()[0] in block, block
            # The cited requests in words: method, path, status, and the id to find it in the journal.
            first = r["requests"][0]
            req_line = next((ln for ln in lines[idx[0]: idx[0] + 8] if first["id"] in ln), "")
            assert f"{first['method']} {first['path']} → " in req_line, f"no readable line for the evidence\n{block}"


# --------------------------------------------------------------------------------------------
# respectsRateLimitReset / maxAttempts / sendsRetryHeaders
# --------------------------------------------------------------------------------------------


def _gap_seconds(run: RunResult, first: str, second: str) -> float:
    return (run.entry(second)["receivedAt"] - run.entry(first)["receivedAt"]) / 1000


def test_sdk_waits_for_rate_limit_reset(run_sdk_429: RunResult) -> None:
    """The real okta 3.4.6 SDK waits reset − Date + 1 s after a 429: respectsRateLimitReset passes."""
    run = run_sdk_429
    res = check_run(run, "respectsRateLimitReset", True)
    assert run.seen.get("error") is None and run.seen.get("logins"), run.seen
    users = [e for e in run.journal if e["path"] == USERS]
    assert [e["status"] for e in users] == [429, 200], users
    # sanity: the SDK really waited (so the pass means something)
    assert _gap_seconds(run, users[0]["id"], users[1]["id"]) >= 2.0
    assert set(res["evidence"]) <= {e["id"] for e in users}


def test_impatient_client_fails_rate_limit_reset(run_impatient_429: RunResult) -> None:
    """A retry 0.2 s after a 429 whose reset is ≥ 2 s ahead fails respectsRateLimitReset."""
    run = run_impatient_429
    res = check_run(run, "respectsRateLimitReset", False)
    users = [e for e in run.journal if e["path"] == USERS]
    assert [e["status"] for e in users] == [429, 200], users
    assert _gap_seconds(run, users[0]["id"], users[1]["id"]) < 1.0
    # the throttled request and the early retry are the proof
    assert users[0]["id"] in res["evidence"] and users[1]["id"] in res["evidence"], res


def test_sdk_sends_retry_headers(run_sdk_429: RunResult) -> None:
    """The SDK's retry carries X-Okta-Retry-For = the 429's request id and X-Okta-Retry-Count: 1."""
    run = run_sdk_429
    check_run(run, "sendsRetryHeaders", True)
    first, retry = [e for e in run.journal if e["path"] == USERS]
    assert retry["retryFor"] == first["id"], retry
    assert str(retry["retryCount"]) == "1", retry


def test_impatient_client_without_retry_headers_fails(run_impatient_429: RunResult) -> None:
    """A retry without X-Okta-Retry-For/-Count fails sendsRetryHeaders; the bare retry is in the evidence."""
    run = run_impatient_429
    res = check_run(run, "sendsRetryHeaders", False)
    first, retry = [e for e in run.journal if e["path"] == USERS]
    assert retry["retryFor"] is None and retry["retryCount"] is None, retry
    assert retry["id"] in res["evidence"], res


def test_retry_headers_judged_separately_from_impatience(run_impatient_429_headers: RunResult) -> None:
    """Same impatient client but with correct retry headers: sendsRetryHeaders passes while
    respectsRateLimitReset still fails (the verdicts are independent)."""
    run = run_impatient_429_headers
    check_run(run, "sendsRetryHeaders", True)
    check_run(run, "respectsRateLimitReset", False)
    first, retry = [e for e in run.journal if e["path"] == USERS]
    assert retry["retryFor"] == first["id"] and str(retry["retryCount"]) == "1", retry


def test_sdk_stays_within_max_attempts(run_sdk_429: RunResult) -> None:
    """Two attempts (429, then 200) are within maxAttempts 3."""
    check_run(run_sdk_429, "maxAttempts", True)


def test_client_retrying_forever_exceeds_max_attempts(run_impatient_storm: RunResult) -> None:
    """Five 429s in a row and a client that keeps going: 6 attempts > maxAttempts 3; the chain is the evidence."""
    run = run_impatient_storm
    res = check_run(run, "maxAttempts", False)
    users = [e for e in run.journal if e["path"] == USERS]
    assert [e["status"] for e in users] == [429] * 5 + [200], users
    assert len(set(res["evidence"]) & {e["id"] for e in users}) >= 4, res


def test_reset_three_seconds_ahead_tells_impatient_client_apart(tmp_path: Path) -> None:
    """PRODUCT.md: reset is whole seconds (X-Rate-Limit-Reset − Date == resetAfterSeconds) and a retry
    earlier than reset − toleranceMs fails.  A 429 that lands late in its second (x.85) with
    resetAfterSeconds 3 is still ≥ 2.15 s from its reset, so a retry 0.2 s later must fail with the
    default 1000 ms tolerance."""
    scen = scenario("e2e-429-reset-3", expect=[{"type": "respectsRateLimitReset", "path": USERS}],
                    rules=[users_rule("throttle", {"nth": [1]}, {"type": "rateLimit", "resetAfterSeconds": 3})])
    run = mock_run(tmp_path, client("impatient.py", "--sleep", "0.2", "--align", "0.85"), scenario=scen)
    first, retry = [e for e in run.journal if e["path"] == USERS]
    reset = first.get("rateLimitReset")
    detail = (f"429 received at {first['receivedAt'] / 1000:.3f}, X-Rate-Limit-Reset {reset}, "
              f"retry at {retry['receivedAt'] / 1000:.3f}")
    assert run.result("respectsRateLimitReset")["passed"] is False, \
        f"a retry 0.2 s after the 429 passed: {detail}\n{run.describe()}"
    assert run.rc == 3


# --------------------------------------------------------------------------------------------
# abandonsHangWithin
# --------------------------------------------------------------------------------------------


def test_client_with_timeout_abandons_hang(run_hang_timeout: RunResult) -> None:
    """timeout=1 against a 3 s hang: the journal records the disconnect ~1 s in; the verdict passes."""
    run = run_hang_timeout
    res = check_run(run, "abandonsHangWithin", True)
    hung = run.journal[0]
    assert hung["path"] == USERS and hung.get("rule") == "hang-first", hung
    assert hung["disconnectedAt"] is not None, hung
    waited = (hung["disconnectedAt"] - hung["receivedAt"]) / 1000
    assert 0.5 <= waited <= 2.0, f"disconnect after {waited:.2f}s"
    assert hung["id"] in res["evidence"], res
    assert run.seen.get("timeouts") == 1, run.seen


def test_client_without_timeout_fails_hang(run_hang_no_timeout: RunResult) -> None:
    """No timeout: the client waits out the 3 s hang (never leaves); abandonsHangWithin fails."""
    run = run_hang_no_timeout
    res = check_run(run, "abandonsHangWithin", False)
    hung = run.journal[0]
    assert hung.get("rule") == "hang-first" and hung["id"] in res["evidence"], (hung, res)
    assert run.seen.get("timeouts") == 0 and run.elapsed >= 3.0


def test_timeout_shorter_than_min_seconds_fails_hang(run_hang_too_early: RunResult) -> None:
    """timeout=0.2 s is below minSeconds 0.5: giving up too early fails too."""
    run = run_hang_too_early
    res = check_run(run, "abandonsHangWithin", False)
    hung = run.journal[0]
    assert hung["disconnectedAt"] is not None and hung["id"] in res["evidence"], (hung, res)


# --------------------------------------------------------------------------------------------
# noRetryOn / noRequestsAfter / requestCount
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["noRetryOn", "noRequestsAfter", "requestCount"])
def test_single_call_after_401_passes(run_401_once: RunResult, type_: str) -> None:
    """One call with a bad token, 401, stop: noRetryOn, noRequestsAfter 401 and requestCount exactly 1 pass."""
    check_run(run_401_once, type_, True)
    assert [e["status"] for e in run_401_once.journal] == [401]


@pytest.mark.parametrize("type_", ["noRetryOn", "noRequestsAfter", "requestCount"])
def test_resending_bad_token_fails(run_401_hammer: RunResult, type_: str) -> None:
    """The same bad token four times: noRetryOn, noRequestsAfter 401 and requestCount exactly 1 fail,
    each naming the 401s."""
    run = run_401_hammer
    res = check_run(run, type_, False)
    ids = [e["id"] for e in run.journal]
    assert [e["status"] for e in run.journal] == [401] * 4
    assert set(res["evidence"]) <= set(ids) and len(set(res["evidence"])) >= 2, res
    if type_ in ("noRetryOn", "noRequestsAfter"):
        assert ids[0] in res["evidence"], f"the first 401 ({ids[0]}) is the proof: {res}"


# --------------------------------------------------------------------------------------------
# backsOff
# --------------------------------------------------------------------------------------------


def test_doubling_gaps_back_off(run_backoff_doubling: RunResult) -> None:
    """Four 500s retried after 0.1, 0.2, 0.4, 0.8 s: backsOff (minFactor 1.5) passes."""
    run = run_backoff_doubling
    check_run(run, "backsOff", True)
    assert [e["status"] for e in run.journal] == [500] * 4 + [200]


def test_constant_gaps_do_not_back_off(run_backoff_constant: RunResult) -> None:
    """Four 500s retried every 0.1 s: backsOff fails and names requests of the chain."""
    run = run_backoff_constant
    res = check_run(run, "backsOff", False)
    assert [e["status"] for e in run.journal] == [500] * 4 + [200]
    assert len(res["evidence"]) >= 2


# --------------------------------------------------------------------------------------------
# refreshesExpiredToken
# --------------------------------------------------------------------------------------------


def test_client_fetches_new_token_after_401(run_refresh_ok: RunResult) -> None:
    """A 1 s token expires; after the 401 the client gets a new token and calls again: passes."""
    run = run_refresh_ok
    res = check_run(run, "refreshesExpiredToken", True)
    users = [e for e in run.journal if e["path"] == USERS]
    assert [e["status"] for e in users] == [200, 401, 200], users
    assert all(e["auth"]["kind"] == "Bearer" for e in users), users
    assert users[1]["auth"]["tokenId"] != users[2]["auth"]["tokenId"], users
    assert run.seen.get("tokens") == 2


def test_client_resending_expired_token_fails(run_refresh_reuse: RunResult) -> None:
    """After the 401 the client resends the expired token: refreshesExpiredToken fails, naming the 401."""
    run = run_refresh_reuse
    res = check_run(run, "refreshesExpiredToken", False)
    users = [e for e in run.journal if e["path"] == USERS]
    assert [e["status"] for e in users] == [200, 401, 401, 401], users
    assert users[1]["id"] in res["evidence"], res


def test_refresh_verdict_fails_without_any_401(run_refresh_no_401: RunResult) -> None:
    """No token expired, so refreshing could not be observed: refreshesExpiredToken fails (not vacuously passes)."""
    run = run_refresh_no_401
    report = run.report
    res = run.result("refreshesExpiredToken")
    assert res["passed"] is False and res["reason"].strip(), res
    assert report["passed"] is False and run.rc == 3, run.describe()
    assert [e["status"] for e in run.journal if e["path"] == USERS] == [200]
    check_junit(run, report["results"])


# --------------------------------------------------------------------------------------------
# `run` exit statuses, environment, pass-through, TLS
# --------------------------------------------------------------------------------------------

NEEDS_A_REQUEST = scenario("e2e-needs-a-request", expect=[{"type": "requestCount", "min": 1}])


def test_command_status_wins_over_failed_expectations(tmp_path: Path) -> None:
    """CMD exits 7 and an expectation fails: `run` exits 7; the report and JUnit are still written."""
    run = mock_run(tmp_path, client("env_dump.py", "--silent", "--exit", "7"), scenario=NEEDS_A_REQUEST)
    assert run.rc == 7, run.describe()
    report = run.report
    assert report["commandStatus"] == 7 and report["passed"] is False, report
    assert run.result("requestCount")["passed"] is False
    assert len(run.junit.findall(".//testcase")) == 2  # the expectation, and "client sent requests"


def test_command_killed_by_signal_is_a_failure(tmp_path: Path) -> None:
    """CMD is started with default signal handling: a CMD that gets SIGTERM dies of it, and `run`
    reports a failed command (non-zero; a child that died of a signal did not succeed)."""
    code = ("import os, signal, time\n"
            "os.kill(os.getpid(), signal.SIGTERM)\n"
            "time.sleep(2)\n"
            "print('survived SIGTERM', flush=True)\n")
    run = mock_run(tmp_path, [PY, "-c", code], report=True, junit=False)
    assert "survived SIGTERM" not in run.stdout, f"SIGTERM did not reach CMD (blocked or ignored)\n{run.describe()}"
    assert run.rc not in (0, 3), run.describe()
    assert run.report["commandStatus"] != 0, run.report


def test_failed_expectation_without_command_failure_exits_3(tmp_path: Path) -> None:
    """CMD exits 0 but an expectation fails: exit 3 and `mock-okta verdict: FAILED`."""
    run = mock_run(tmp_path, client("env_dump.py", "--silent"), scenario=NEEDS_A_REQUEST)
    assert run.rc == 3, run.describe()
    assert "mock-okta verdict: FAILED" in run.stderr
    assert run.report["commandStatus"] == 0


def test_no_expectations_and_command_success_exits_0(tmp_path: Path) -> None:
    """No scenario at all, CMD calls the org and exits 0: exit 0, `mock-okta verdict: PASSED`, no results."""
    run = mock_run(tmp_path, client("env_dump.py"))
    assert run.rc == 0, run.describe()
    assert "mock-okta verdict: PASSED" in run.stderr
    report = run.report
    assert report["passed"] is True and report["results"] == [] and report["commandStatus"] == 0, report
    assert report["requestCount"] >= 1, report
    assert run.junit.findall(".//testcase") == []


def test_command_that_sends_nothing_exits_3(tmp_path: Path) -> None:
    """Issue 9: a CMD that never calls the org (it exits 0) tested nothing: exit 3, said in one line."""
    run = mock_run(tmp_path, client("env_dump.py", "--silent"))
    assert run.rc == 3, run.describe()
    assert "the client sent no request to the mock" in run.stderr
    report = run.report
    assert report["passed"] is False and report["requestCount"] == 0, report
    failures = [c for c in run.junit.findall(".//testcase") if c.find("failure") is not None]
    assert len(failures) == 1, run.junit_path.read_text()


def test_invalid_scenario_exits_2_without_running_command(tmp_path: Path) -> None:
    """An invalid scenario: exit 2, every error listed with its JSON path, and CMD never starts."""
    marker = tmp_path / "ran.marker"
    bad = {"version": 1, "name": "bad", "description": "Bad.",
           "rules": [users_rule("x", {"nth": [1]}, {"type": "rateLimit", "resetAfterSeconds": "soon"})],
           "expect": [{"type": "maxAttempts"}]}
    run = mock_run(tmp_path, client("touch_marker.py", str(marker)), scenario=bad)
    assert run.rc == 2, run.describe()
    assert not marker.exists(), "CMD ran although the scenario is invalid"
    blob = run.stdout + run.stderr
    assert "$.rules[0].fault.resetAfterSeconds" in blob and "$.expect[0]" in blob, blob


@pytest.mark.parametrize("argv_tail", [[], ["--"]], ids=["no-separator", "nothing-after-separator"])
def test_missing_command_is_bad_usage(tmp_path: Path, argv_tail: list[str]) -> None:
    """`mock-okta run` without a command after `--`: exit 2 (PRODUCT.md: 2 = bad usage)."""
    argv = [str(mock_okta_bin()), "run", "--seed", "1", *argv_tail]
    proc = subprocess.run(argv, cwd=str(tmp_path), env=clean_env(), capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2, f"{argv} -> {proc.returncode}\n{proc.stderr[-1500:]}"
    assert "--" in proc.stderr, proc.stderr


def test_command_without_separator_is_not_run(tmp_path: Path) -> None:
    """`mock-okta run python touch_marker.py M` (no `--`): bad usage (exit 2) and the command is not run."""
    marker = tmp_path / "ran.marker"
    argv = [str(mock_okta_bin()), "run", "--seed", "1", *client("touch_marker.py", str(marker))]
    proc = subprocess.run(argv, cwd=str(tmp_path), env=clean_env(), capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2, f"{argv} -> {proc.returncode}\n{proc.stderr[-1500:]}"
    assert not marker.exists()


def test_run_exports_environment(tmp_path: Path, server_http: MockOkta) -> None:
    """`run` exports the org URL, SSWS token, issuer, service/web apps and MOCK_OKTA_*; the values are
    the tenant's (GET /__mock/tenant) and, with --seed 1, those of `serve --seed 1`; plain http sets
    OKTA_TESTING_TESTINGDISABLEHTTPSCHECK.  CMD's stdout and stderr pass through."""
    run = mock_run(tmp_path, client("env_dump.py"), report=False, junit=False)
    assert run.rc == 0, run.describe()
    env = json.loads((run.out / "env.json").read_text())
    tenant = json.loads((run.out / "tenant.json").read_text())
    assert tenant["status"] == 200, tenant
    creds = tenant["body"]["credentials"]

    url = env.get("OKTA_ORG_URL", "")
    assert re.fullmatch(r"http://127\.0\.0\.1:[0-9]+", url), env
    assert env["OKTA_CLIENT_ORGURL"] == url and env["MOCK_OKTA_URL"] == url
    assert env["OKTA_ISSUER"] == url + "/oauth2/default"
    assert env["OKTA_CLIENT_TOKEN"] == creds["apiToken"]
    assert env["MOCK_OKTA_READONLY_TOKEN"] == creds["readOnlyApiToken"]
    assert env["OKTA_CLIENT_ID"] == env["OKTA_CLIENT_CLIENTID"] == creds["serviceClientId"]
    assert env["OKTA_CLIENT_SECRET"] == creds["serviceClientSecret"]
    assert env["OKTA_CLIENT_PRIVATEKEY"].strip() == creds["servicePrivateKeyPem"].strip()
    assert env["OKTA_WEB_CLIENT_ID"] == creds["webClientId"]
    assert env["OKTA_WEB_CLIENT_SECRET"] == creds["webClientSecret"]
    assert env.get("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"), "plain http needs the SDK's https-check bypass (§6)"
    assert "MOCK_OKTA_CA_FILE" not in env, env.keys()
    # --seed 1 gives the same tenant as `serve --seed 1`
    assert creds == server_http.creds

    assert "env_dump: marker on stdout" in run.stdout, run.stdout
    assert "env_dump: marker on stderr" in run.stderr, run.stderr
    assert "env_dump: marker on stdout" not in run.stderr


def test_run_tls_exports_ca_bundle(tmp_path: Path) -> None:
    """`run --tls`: MOCK_OKTA_CA_FILE is the mock CA; SSL_CERT_FILE = REQUESTS_CA_BUNDLE is a bundle of the
    system CAs plus that CA, so requests and urllib verify the mock with default settings."""
    run = mock_run(tmp_path, client("tls_probe.py"), options=["--tls"], report=False, junit=False)
    assert run.rc == 0, run.describe()
    probe = json.loads((run.out / "tls.json").read_text())
    assert probe["url"].startswith("https://127.0.0.1:"), probe["url"]
    assert probe["requests"] == {"status": 200, "body": {"status": "ok"}}, probe["requests"]
    assert probe["urllib"] == {"status": 200}, probe["urllib"]

    ca = probe["MOCK_OKTA_CA_FILE"]
    bundle = probe["SSL_CERT_FILE"]
    assert ca["text"] and "BEGIN CERTIFICATE" in ca["text"], ca
    assert bundle["text"] and probe["REQUESTS_CA_BUNDLE"]["path"] == bundle["path"], probe["REQUESTS_CA_BUNDLE"]
    assert _pem_der(ca["text"])[0] in _pem_der(bundle["text"]), "the bundle lacks the mock CA"
    assert len(_pem_der(bundle["text"])) > 1, "the bundle holds only the mock CA, not the system CAs"


def _pem_der(text: str) -> list[bytes]:
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, flags=re.S)
    return [ssl.PEM_cert_to_DER_cert(b) for b in blocks]


# --------------------------------------------------------------------------------------------
# GET /__mock/verify on a live server
# --------------------------------------------------------------------------------------------


VERIFY_SCENARIO = scenario(
    "e2e-verify-live",
    rules=[users_rule("throttle", {"nth": [1]}, {"type": "rateLimit", "resetAfterSeconds": 3})],
    expect=[{"type": "respectsRateLimitReset", "path": USERS},
            {"type": "noRetryOn"},
            {"type": "requestCount", "path": USERS, "min": 1, "max": 2}],
)


def _verify(srv: MockOkta) -> dict[str, Any]:
    r = srv.control("GET", "/__mock/verify")
    assert r.status_code == 200, f"/__mock/verify -> {r.status_code} {r.text[:300]}"
    body = r.json()
    assert isinstance(body.get("passed"), bool) and isinstance(body.get("results"), list), body
    for res in body["results"]:
        assert {"type", "name", "passed", "reason", "evidence"} <= set(res), res
    return body


def _by_type(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["type"]: r for r in body["results"]}


def _junit(srv: MockOkta) -> ET.Element:
    r = srv.control("GET", "/__mock/verify", params={"format": "junit"})
    assert r.status_code == 200, r.text[:300]
    assert "xml" in r.headers.get("Content-Type", ""), r.headers
    return ET.fromstring(r.text)


def _users(srv: MockOkta) -> requests.Response:
    return srv.get(USERS, headers={"Authorization": f"SSWS {srv.creds['apiToken']}"})


def test_verify_live_server(server_http: MockOkta) -> None:
    """POST /__mock/scenario, then GET /__mock/verify (JSON and ?format=junit): judged from the journal
    since the scenario loaded, then since POST /__mock/reset."""
    srv = server_http
    for _ in range(3):  # traffic before the scenario loads must not be judged
        assert _users(srv).status_code == 200
    r = srv.control("POST", "/__mock/scenario", json=VERIFY_SCENARIO)
    assert r.status_code in (200, 201), r.text[:500]
    try:
        body = _verify(srv)
        by = _by_type(body)
        assert set(by) == {"respectsRateLimitReset", "noRetryOn", "requestCount"}, body
        assert by["requestCount"]["passed"] is False, "the 3 requests before the scenario loaded were counted, " \
            f"or 0 requests passed min 1: {by['requestCount']}"

        # impatient: 429, then an immediate retry
        first = _users(srv)
        assert first.status_code == 429, first.text[:300]
        retry = _users(srv)
        assert retry.status_code == 200
        ids = [first.headers["X-Okta-Request-Id"], retry.headers["X-Okta-Request-Id"]]
        body = _verify(srv)
        by = _by_type(body)
        assert body["passed"] is False
        rl = by["respectsRateLimitReset"]
        assert rl["passed"] is False and set(ids) <= set(rl["evidence"]), rl
        assert set(rl["evidence"]) <= set(ids), f"evidence names requests that are not the chain: {rl}"
        # Nothing was denied: noRetryOn judged nothing, which is "not exercised", never "passed".
        assert by["noRetryOn"]["passed"] is False and by["noRetryOn"]["status"] == "notExercised", by["noRetryOn"]
        assert by["requestCount"]["passed"] is True, f"2 requests since the scenario loaded: {by['requestCount']}"
        assert body["rules"] == [{"id": "throttle", "fired": 1, "matched": 2, "status": "passed", "optional": False}], body

        root = _junit(srv)
        cases = root.findall(".//testcase")
        assert len(cases) == 4, ET.tostring(root)[:1000]  # 3 expectations + the rule
        failing = {c.get("name") for c in cases if c.find("failure") is not None}
        assert failing == {rl["name"], by["noRetryOn"]["name"]}, failing
        failure = next(c for c in cases if c.get("name") == rl["name"]).find("failure")
        assert ids[0] in (failure.get("message", "") + (failure.text or ""))

        # after a reset, only new traffic counts; nth ordinals restart
        assert srv.control("POST", "/__mock/reset").status_code in (200, 204)
        by = _by_type(_verify(srv))
        # No traffic since the reset: nothing to judge is "not exercised", and min 1 is unmet.
        assert by["respectsRateLimitReset"]["status"] == "notExercised", by["respectsRateLimitReset"]
        assert by["requestCount"]["passed"] is False, by["requestCount"]

        # polite: wait for X-Rate-Limit-Reset before retrying
        first = _users(srv)
        assert first.status_code == 429, "nth [1] fires again after /__mock/reset"
        wait = int(first.headers["X-Rate-Limit-Reset"]) - time.time() + 0.05
        assert 0 < wait <= 3.5, first.headers
        time.sleep(wait)
        assert _users(srv).status_code == 200
        body = _verify(srv)
        assert body["passed"] is False and body["summary"] == "1 not exercised", body
        by = _by_type(body)
        assert [r["type"] for r in body["results"] if not r["passed"]] == ["noRetryOn"], body
        assert by["respectsRateLimitReset"]["status"] == "passed" and by["requestCount"]["status"] == "passed", body
        root = _junit(srv)
        assert len(root.findall(".//testcase")) == 4 and len(root.findall(".//failure")) == 1, ET.tostring(root)[:1000]
    finally:
        srv.control("DELETE", "/__mock/scenario")
        srv.control("POST", "/__mock/reset")
