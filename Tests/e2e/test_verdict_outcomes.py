"""The three verdict outcomes (passed / failed / notExercised), optional expectations and rules, rule
coverage, and every shipped scenario judging a naive and a correct client — all through
`mock-okta run --scenario FILE --report R -- CMD` with real subprocesses on loopback.

PRODUCT.md "Command line" (`run` exit statuses), "Control API" (`/__mock/verify` shape) and issue 9:
an expectation is not exercised when nothing it judges happened (Sources/MockOktaCore/Verdicts/
Judges.swift says exactly when, per kind), not exercised is not passed unless the expectation is
`"optional": true`, a rule that never fired fails the run unless optional, and a run whose command
sent no request exits 3 with "the client sent no request to the mock".

Pass and fail per expectation kind are in test_run_verdicts.py (whose `mock_run` this file reuses);
here:

1. every shipped scenario with `expect` run with `-- true` (a command that sends nothing) fails;
2. a not-exercised test per expectation kind, plus the same expectation marked optional;
3. rule coverage: a rule that never fires fails the run, unless optional;
4. every shipped scenario with `expect` judges a naive client (immediate retries, no timeout,
   ignores reset headers, resends the same token) failing and a correct one passing, both written
   with `requests` in clients/outcome_client.py;
5. `refreshesExpiredToken` fails when the new token is refused too.

The section-4 runs are slow (the longest waits out a real 60 s rate-limit window), so a module
fixture starts them all at once in the background, longest first, while sections 1–3 and 5 run; each
section-4 test then waits for its own run.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from helpers import REPO_ROOT
from test_run_verdicts import CLIENTS, PY, RunResult, mock_run

SCENARIO_DIR = REPO_ROOT / "scenarios"
NO_REQUEST = "the client sent no request to the mock"
OUTCOME = CLIENTS / "outcome_client.py"
USERS = "/api/v1/users"
DISCOVERY = "/oauth2/default/.well-known/openid-configuration"

SHORT_RUN = 30  # seconds for a `mock-okta run` whose client takes a second or two
BACKGROUND_WORKERS = 8  # concurrent section-4 runs: mostly asleep (waiting for resets, hangs, timelines)


def shipped_with_expect() -> list[Path]:
    out = []
    for p in sorted(SCENARIO_DIR.glob("*.json")):
        if p.name == "schema.json":
            continue
        if json.loads(p.read_text()).get("expect"):
            out.append(p)
    return out


SHIPPED = shipped_with_expect()


def outcome(*args: str, behaviour: str = "correct") -> list[str]:
    return [PY, str(OUTCOME), "--behaviour", behaviour, *args]


def run_scenario(workdir: Path, scenario: Path | dict[str, Any], cmd: list[str], *,
                 timeout: float = SHORT_RUN) -> RunResult:
    """`mock-okta run --seed 1 --report R --junit J --scenario S -- CMD`; a dict is written to workdir first."""
    if isinstance(scenario, dict):
        return mock_run(workdir, cmd, scenario=scenario, timeout=timeout)
    return mock_run(workdir, cmd, options=["--scenario", str(scenario)], timeout=timeout)


def results_by_type(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in report["results"]:
        assert r["type"] not in out, f"two results of type {r['type']}: {report['results']}"
        out[r["type"]] = r
    return out


def check_report_shape(report: dict[str, Any]) -> None:
    """The documented shape of `run --report` (= /__mock/verify plus the command)."""
    assert isinstance(report.get("passed"), bool), report
    assert isinstance(report.get("requestCount"), int), report
    assert "summary" in report, report
    for r in report["results"]:
        assert {"type", "name", "passed", "status", "optional", "reason", "evidence", "requests"} <= set(r), r
        assert r["status"] in ("passed", "failed", "notExercised"), r
        assert r["passed"] is (r["status"] == "passed"), f"passed must mean status passed: {r}"
        assert isinstance(r["reason"], str) and r["reason"].strip(), r
        assert [q["id"] for q in r["requests"]] == r["evidence"], r
        for q in r["requests"]:
            assert {"id", "method", "path", "status", "atMs", "rule", "fault", "retryOf"} <= set(q), q
    for rule in report.get("rules", []):
        assert {"id", "fired", "matched", "status", "optional"} <= set(rule), rule
        assert rule["status"] == ("passed" if rule["fired"] > 0 else "notExercised"), rule


def excerpt(run: RunResult) -> str:
    """What a failure message needs: the verdicts in one line each, then the run's tails."""
    try:
        report = run.report
        lines = [f"passed={report.get('passed')} summary={report.get('summary')!r}"]
        lines += [f"  {r['status']:<12} {r['name']}: {r['reason']}" for r in report.get("results", [])]
        lines += [f"  rule {r['id']}: fired {r['fired']} matched {r['matched']} optional {r['optional']}"
                  for r in report.get("rules", [])]
    except AssertionError:
        lines = ["(no report)"]
    if run.rc not in (0, 1, 3):  # a crash: keep the head of Swift's backtrace, which the tail cuts off
        err = run.stderr.splitlines()
        at = next((i for i, ln in enumerate(err) if "crashed" in ln.lower() or "fatal error" in ln.lower()), None)
        if at is not None:
            lines += ["crash:", *err[at: at + 40]]
    return "\n".join(lines) + "\n" + run.describe()


# --------------------------------------------------------------------------------------------
# 1. A command that sends nothing fails every shipped scenario
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_with_silent_command_fails(tmp_path: Path, path: Path) -> None:
    """`run --scenario scenarios/X.json -- true`: exit 3, "the client sent no request to the mock" on
    stderr, report passed false with requestCount 0; nothing can have passed (each expectation is not
    exercised, or failed when it asks for a minimum) and no rule fired."""
    run = run_scenario(tmp_path, path, ["true"])
    info = excerpt(run)
    assert run.rc == 3, info
    assert NO_REQUEST in run.stderr, info
    report = run.report
    check_report_shape(report)
    assert report["passed"] is False and report["requestCount"] == 0, info
    assert report["summary"] == NO_REQUEST, info
    assert report["commandStatus"] == 0 and report["command"] == ["true"], info
    expected = json.loads(path.read_text())
    assert len(report["results"]) == len(expected["expect"]), info
    for r in report["results"]:
        assert r["status"] in ("notExercised", "failed"), f"{r['name']} {r['status']} with no request at all\n{info}"
        if r["status"] == "failed":
            assert r["type"] == "requestCount", f"only a requestCount minimum can fail on no requests: {r}"
    assert [r["id"] for r in report["rules"]] == [r["id"] for r in expected.get("rules", [])], info
    assert all(r["fired"] == 0 and r["status"] == "notExercised" for r in report["rules"]), info


# --------------------------------------------------------------------------------------------
# 2. Not exercised, per expectation kind
# --------------------------------------------------------------------------------------------

# For each kind: an expectation, and a rule on the client's user listing that fires (so rule
# coverage passes) but produces nothing that kind judges — a near miss where one exists.  The
# client (outcome_client.py probe --max-attempts 1) fetches the discovery document and lists users
# once with the exported API token, never retrying.
NOT_EXERCISED: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    # a 429 without X-Rate-Limit-Reset: no reset to wait for
    "respectsRateLimitReset": ({}, {"type": "rateLimit", "omitResetHeader": True}, "no 429 with a reset header"),
    # a 404 is not a failure a client backs off from
    "backsOff": ({}, {"type": "status", "status": 404}, "no 5xx, 429 or broken answer"),
    # the failures happen on another path than the one judged
    "maxAttempts": ({"path": "/api/v1/groups", "max": 3}, {"type": "serverError"}, "no matching request"),
    # a 403 where only 401 is judged
    "noRetryOn": ({"statuses": [401]}, {"type": "status", "status": 403}, "no response had status 401"),
    # a 401 to an SSWS call is not an expired Bearer token
    "refreshesExpiredToken": ({}, {"type": "status", "status": 401}, "no request was refused for an expired token"),
    # a delay is not a hang
    "abandonsHangWithin": ({"maxSeconds": 5}, {"type": "delay", "ms": 200}, "no request was hung"),
    # an upper bound on a path the client never calls
    "requestCount": ({"path": "/api/v1/groups", "max": 5}, {"type": "delay", "ms": 10}, "no matching request"),
    # a failure that is never retried
    "sendsRetryHeaders": ({}, {"type": "serverError"}, "the client made no retries"),
    # a 500 where 503 is judged
    "noRequestsAfter": ({"status": 503}, {"type": "serverError"}, "no response had status 503"),
}


def test_not_exercised_table_covers_every_kind() -> None:
    """The kinds above are exactly the schema's expectation kinds ($defs/expect.*)."""
    defs = json.loads((SCENARIO_DIR / "schema.json").read_text())["$defs"]
    kinds = {k.split(".", 1)[1] for k in defs if k.startswith("expect.")}
    assert kinds == set(NOT_EXERCISED), kinds ^ set(NOT_EXERCISED)


def not_exercised_scenario(kind: str, optional: bool) -> dict[str, Any]:
    params, fault, _ = NOT_EXERCISED[kind]
    expect = {"type": kind, **params}
    if optional:
        expect["optional"] = True
    return {"version": 1, "name": f"e2e-not-exercised-{kind}{'-optional' if optional else ''}",
            "description": f"Nothing {kind} judges happens; the user listing gets a near miss.",
            "rules": [{"id": "near-miss", "match": {"method": "GET", "path": USERS}, "when": {"nth": [1]}, "fault": fault}],
            "expect": [expect]}


@pytest.mark.parametrize("optional", [False, True], ids=["required", "optional"])
@pytest.mark.parametrize("kind", sorted(NOT_EXERCISED))
def test_expectation_not_exercised(tmp_path: Path, kind: str, optional: bool) -> None:
    """The client sends requests, the rule fires, but nothing the kind judges happens: status
    notExercised, passed false, a reason saying what never happened; exit 3 — or exit 0 when the
    expectation is optional (still notExercised, reported as SKIP)."""
    scen = not_exercised_scenario(kind, optional)
    run = run_scenario(tmp_path, scen, outcome("probe", "--max-attempts", "1"))
    info = excerpt(run)
    report = run.report
    check_report_shape(report)
    assert report["commandStatus"] == 0, info
    assert report["requestCount"] == 2, f"the probe sends discovery + one listing\n{info}"
    assert [r["fired"] for r in report["rules"]] == [1], f"the near-miss rule must fire\n{info}"
    res = results_by_type(report)[kind]
    assert res["status"] == "notExercised", f"{kind}: {res}\n{info}"
    assert res["passed"] is False and res["optional"] is optional, res
    assert NOT_EXERCISED[kind][2] in res["reason"], res
    if optional:
        assert run.rc == 0, info
        assert report["passed"] is True and report["summary"] is None, info
        assert re.search(rf"^\s*SKIP\s+{re.escape(res['name'])} \(optional\)\s*$", run.stderr, re.M), info
        skipped = [c for c in run.junit.findall(".//testcase") if c.find("skipped") is not None]
        assert [c.get("name") for c in skipped] == [res["name"]], run.junit_path.read_text()
    else:
        assert run.rc == 3, info
        assert report["passed"] is False and report["summary"] == "1 not exercised", info
        assert re.search(rf"^\s*NOT EXERCISED\s+{re.escape(res['name'])}\s*$", run.stderr, re.M), info
        assert "mock-okta verdict: FAILED" in run.stderr, info


# --------------------------------------------------------------------------------------------
# 3. Rule coverage
# --------------------------------------------------------------------------------------------


def coverage_scenario(optional: list[bool]) -> dict[str, Any]:
    """Two rules that never fire — one matches nothing the client sends, one matches its listing but
    waits for a 5th — and an expectation the probe passes."""
    rules = [
        {"id": "groups-outage", "match": {"method": "GET", "path": "/api/v1/groups"}, "fault": {"type": "serverError"}},
        {"id": "fifth-listing", "match": {"method": "GET", "path": USERS}, "when": {"nth": [5]},
         "fault": {"type": "serverError"}},
    ]
    for r, opt in zip(rules, optional):
        if opt:
            r["optional"] = True
    return {"version": 1, "name": "e2e-rule-coverage", "description": "Rules that never fire.", "rules": rules,
            "expect": [{"type": "requestCount", "path": USERS, "exactly": 1}]}


@pytest.mark.parametrize("optional", [[False, False], [True, False], [True, True]],
                         ids=["both-required", "one-optional", "both-optional"])
def test_rule_that_never_fired(tmp_path: Path, optional: list[bool]) -> None:
    """A rule that never fired tested nothing: rules[...] status notExercised (fired 0, matched as
    counted), the table says NEVER FIRED, and the run exits 3 — unless every idle rule is optional
    (then "never fired (optional)" and exit 0).  The only expectation passes, so the rules decide."""
    run = run_scenario(tmp_path, coverage_scenario(optional), outcome("probe", "--max-attempts", "1"))
    info = excerpt(run)
    report = run.report
    check_report_shape(report)
    assert results_by_type(report)["requestCount"]["status"] == "passed", info
    rules = {r["id"]: r for r in report["rules"]}
    assert list(rules) == ["groups-outage", "fifth-listing"], info
    assert (rules["groups-outage"]["matched"], rules["fifth-listing"]["matched"]) == (0, 1), info
    for (rid, r), opt in zip(rules.items(), optional):
        assert r["fired"] == 0 and r["status"] == "notExercised" and r["optional"] is opt, r
        line = re.search(rf"^\s*{rid}: (.*)$", run.stderr, re.M)
        assert line, f"no table line for rule {rid}\n{info}"
        assert line.group(1).startswith("never fired (optional)" if opt else "NEVER FIRED"), line.group(0)
    assert "matched 1" in re.search(r"^\s*fifth-listing: .*$", run.stderr, re.M).group(0)
    required = optional.count(False)
    if required:
        assert run.rc == 3 and report["passed"] is False, info
        assert report["summary"] == f"{required} rule{'s' if required > 1 else ''} never fired", info
    else:
        assert run.rc == 0 and report["passed"] is True and report["summary"] is None, info
    rule_cases = {c.get("name"): c for c in run.junit.findall(".//testcase") if (c.get("name") or "").startswith("rule ")}
    for rid, opt in zip(rules, optional):
        case = rule_cases[f"rule {rid} fired"]
        assert case.find("skipped" if opt else "failure") is not None, run.junit_path.read_text()


# --------------------------------------------------------------------------------------------
# 5. refreshesExpiredToken needs the new token to be accepted
# --------------------------------------------------------------------------------------------

EVERY_TOKEN_EXPIRED = {
    "version": 1, "name": "e2e-every-token-expired",
    "description": "Every org-server token is minted already expired, so a fetched new token is refused too.",
    "rules": [{"id": "always-expired", "match": {"method": "POST", "path": "/oauth2/v1/token"},
               "fault": {"type": "expiredToken"}}],
    "expect": [{"type": "refreshesExpiredToken"}],
}


def test_refreshed_token_also_refused_fails(tmp_path: Path) -> None:
    """After the expired-token 401 the client fetches a new token (right behaviour) but that token is
    refused as well: the client never recovered, so refreshesExpiredToken is failed — not passed —
    citing the 401 and the call with the new token."""
    run = run_scenario(tmp_path, EVERY_TOKEN_EXPIRED, outcome("list", "--bearer"))
    info = excerpt(run)
    report = run.report
    check_report_shape(report)
    assert run.rc == 3 and report["commandStatus"] == 0, info
    journal = run.journal
    users = [e for e in journal if e["path"] == USERS]
    assert [e["status"] for e in users] == [401, 401], info
    assert users[0]["auth"]["tokenId"] != users[1]["auth"]["tokenId"], "the client must really have used a new token"
    tokens = [e for e in journal if e["path"] == "/oauth2/v1/token"]
    assert [e["status"] for e in tokens] == [200, 200] and all(e["rule"] == "always-expired" for e in tokens), info
    res = results_by_type(report)["refreshesExpiredToken"]
    assert res["status"] == "failed" and res["passed"] is False, res
    assert "no request with a new token was accepted" in res["reason"], res
    assert [e["id"] for e in users] == res["evidence"], res


# --------------------------------------------------------------------------------------------
# 4. Every shipped scenario: a naive client fails, a correct client passes
# --------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """How to judge one shipped scenario: the outcome_client.py arguments of both clients, the
    expectation types the naive client must fail, and an estimate of the run's length (to schedule
    the longest first)."""
    args: list[str]
    fails: set[str]
    seconds: float = 3
    correct: list[str] | None = None  # arguments for the correct client when they differ
    naive: list[str] | None = None  # arguments for the naive client when they differ
    prefix: list[str] = field(default_factory=list)  # before the interpreter, e.g. `env VAR=value`
    naive_scenario: Callable[[Path], Path] | None = None  # a shortened copy for the naive client


def hang_3s_copy(workdir: Path) -> Path:
    """hang-timeout.json with the hang cut from 120 s to 3 s (rule, expectations and answer after the
    hang unchanged), so a client without a timeout ends after 3 s instead of 120 s."""
    doc = json.loads((SCENARIO_DIR / "hang-timeout.json").read_text())
    doc.pop("$schema", None)
    assert doc["rules"][0]["fault"]["seconds"] == 120, doc["rules"]
    doc["rules"][0]["fault"]["seconds"] = 3
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "hang-timeout-3s.json"
    path.write_text(json.dumps(doc))
    return path


PLANS: dict[str, Plan] = {
    # --- troubleshooting set ---
    "401-access-token-expires-mid-run": Plan(["poll", "--bearer", "--seconds", "12"], {"refreshesExpiredToken", "noRetryOn"}, 15),
    "401-expired-access-token": Plan(["list", "--bearer"], {"refreshesExpiredToken", "noRetryOn"}),
    "401-malformed-authorization-header": Plan(["list"], {"noRetryOn"}, prefix=["env", "OKTA_CLIENT_TOKEN=not-a-token"]),
    "401-revoked-api-token": Plan(["poll", "--seconds", "8"], {"noRetryOn", "noRequestsAfter"}, 12),
    "401-wrong-authorization-server": Plan(["list", "--bearer"], {"noRetryOn"}),
    # correct: signs in once a second and stops at the first 401 after the 3 s password reset; naive: retries
    "401-authentication-failed": Plan(["authn", "--seconds", "8"], {"noRetryOn", "noRequestsAfter"}, 9),
    # correct: after MFA starts at 3 s, verifies a fresh code each sign-in (waits up to 30 s for a new one);
    # naive: reuses its first code, gets 403 E0000082 and resends it
    "403-mfa-required": Plan(["mfa", "--seconds", "8"], {"noRetryOn"}, 40),
    "403-missing-scope": Plan(["list", "--bearer"], {"noRetryOn"}),
    # the Default Policy denies the zone holding 127.0.0.1 from the start: /authorize answers the 403 page
    "403-sign-on-policy-network-zone": Plan(["authorize"], {"noRetryOn", "requestCount"}),
    # the timeline disables the Default Policy Rule (or narrows its scopes) before the first token request
    "403-policy-denial": Plan(["default-token"], {"noRetryOn"}),
    "403-scope-not-covered-by-rule": Plan(["default-token"], {"noRetryOn"}),
    # the token's creator loses SUPER_ADMIN at 0 s: its listing is refused with 403 E0000006
    "403-admin-role-removed": Plan(["list"], {"noRetryOn"}),
    "403-read-only-admin": Plan(["write", "--token-env", "MOCK_OKTA_READONLY_TOKEN"], {"noRetryOn"}),
    "403-user-not-assigned": Plan(["authorize"], {"requestCount"}),
    # the 6th listing in the window after the limit drops to 5 gets a reset ~50 s away: the correct
    # client waits it out (runs ~65 s, in the background), the naive one hammers at once
    "429-rate-limit-bucket-exhausted": Plan(["poll", "--seconds", "11.5"], {"respectsRateLimitReset", "maxAttempts"}, 66,
                                            correct=["poll", "--seconds", "11.5", "--max-wait", "70"]),
    "429-rate-limit-with-reset": Plan(["list"], {"respectsRateLimitReset"}, 5),
    # the naive client's retries of the reset password lock Ann at the 3rd; the correct one stops at the 1st
    "locked-out-after-retries": Plan(["authn", "--seconds", "8"], {"noRetryOn", "noRequestsAfter"}, 9),
    "500-server-outage": Plan(["list", "--max-attempts", "4"], {"backsOff"}, 4),
    # the correct client reads six routes (one thread each) through the 10–40 s window until every
    # rule fired (~20 s); the naive one meets the two back-to-back empty 500s on the user listing just
    # after 10 s and retries them at a constant 0.1 s
    "flaky-network": Plan([], {"backsOff"}, 25,
                          correct=["flaky", "--seconds", "41", "--interval", "0.2", "--max-attempts", "3", "--read-timeout", "3"],
                          naive=["flaky", "--seconds", "20", "--interval", "0.2"]),
    # correct: the shipped file (120 s hang) abandoned after 2 s; naive: a 3 s copy waited out
    "hang-timeout": Plan(["list"], {"abandonsHangWithin"}, 4, correct=["list", "--read-timeout", "2"],
                         naive_scenario=hang_3s_copy),
    # --- SDK conformance pack ---
    "sdk-429-duplicate-reset-header": Plan(["list"], {"respectsRateLimitReset"}, 4),
    "sdk-429-no-date": Plan(["list"], {"respectsRateLimitReset"}, 4),
    # one 429 without a reset header: the naive client's immediate retry is what backsOff should catch
    "sdk-429-no-reset-header": Plan(["list"], {"backsOff"}, 2),
    "sdk-429-then-200": Plan(["list"], {"respectsRateLimitReset", "sendsRetryHeaders"}, 4),
    "sdk-503-unavailable": Plan(["list"], {"backsOff"}, 2),
    "sdk-concurrency-limit": Plan(["list"], {"respectsRateLimitReset"}, 7),
    "sdk-key-rotation-mid-run": Plan(["rotation", "--seconds", "8", "--interval", "0.3"], {"requestCount"}, 9),
    "sdk-pagination-429-page-3": Plan(["paginate"], {"respectsRateLimitReset"}, 5),
    # correct: after invalid_grant, sign Ann in again once (authorize + code exchange); naive: resend
    # the same refresh token
    "sdk-refresh-token-revoked": Plan(["refresh", "--seconds", "14"], {"noRetryOn"}, 15),
    "sdk-retries-exhausted": Plan(["list"], {"maxAttempts", "respectsRateLimitReset"}, 7),
    "sdk-short-lived-token": Plan(["poll", "--bearer", "--seconds", "17"], {"refreshesExpiredToken", "noRetryOn"}, 19),
}

# The scenario's description calls a client that renews before expiry correct (python okta 3.4.6
# renews before every call here); judged as its own background run.
PROACTIVE_SHORT_LIVED = ["poll", "--bearer", "--seconds", "17", "--renew-ahead", "5"]


def test_every_shipped_scenario_has_a_plan() -> None:
    """A new shipped scenario with expectations needs a naive and a correct client here."""
    assert set(PLANS) == {p.stem for p in SHIPPED}


@dataclass
class Job:
    key: str
    scenario: str
    behaviour: str
    args: list[str]
    seconds: float


def background_jobs() -> list[Job]:
    jobs = []
    for name, plan in PLANS.items():
        jobs.append(Job(f"{name}/correct", name, "correct", plan.correct or plan.args, plan.seconds))
        jobs.append(Job(f"{name}/naive", name, "naive", plan.naive or plan.args, min(plan.seconds, 20)))
    jobs.append(Job("sdk-short-lived-token/proactive", "sdk-short-lived-token", "correct", PROACTIVE_SHORT_LIVED, 19))
    return sorted(jobs, key=lambda j: -j.seconds)


def _run_job(root: Path, job: Job) -> RunResult:
    plan = PLANS[job.scenario]
    workdir = root / job.key.replace("/", "-")
    scenario: Path = SCENARIO_DIR / f"{job.scenario}.json"
    if job.behaviour == "naive" and plan.naive_scenario is not None:
        scenario = plan.naive_scenario(workdir)
    cmd = [*plan.prefix, *outcome(*job.args, behaviour=job.behaviour)]
    return run_scenario(workdir, scenario, cmd, timeout=job.seconds * 2 + 40)


# The background runs test_background_runs_were_real reads.
SANITY_KEYS = {"429-rate-limit-bucket-exhausted/correct", "hang-timeout/correct", "sdk-key-rotation-mid-run/correct",
               "sdk-pagination-429-page-3/correct", "401-access-token-expires-mid-run/correct"}


def selected_job_keys(session: pytest.Session, module: Any) -> set[str]:
    """The background runs the selected tests of this module need (none when only sections 1–3, 5 run)."""
    keys: set[str] = set()
    for item in session.items:
        if getattr(item, "module", None) is not module:
            continue
        fn = item.originalname if hasattr(item, "originalname") else item.name
        params = getattr(getattr(item, "callspec", None), "params", {})
        if fn == "test_naive_client_is_judged_failing":
            keys.add(f"{params['name']}/naive")
        elif fn == "test_correct_client_is_judged_passing":
            keys.add(f"{params['name']}/correct")
        elif fn == "test_short_lived_token_proactive_renewal_passes":
            keys.add("sdk-short-lived-token/proactive")
        elif fn == "test_background_runs_were_real":
            keys |= SANITY_KEYS
    return keys


@pytest.fixture(scope="module", autouse=True)
def background(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[RunResult]]]:
    """Starts the section-4 runs the selected tests need as soon as the module starts (longest first,
    BACKGROUND_WORKERS at a time); yields key → Future[RunResult]."""
    wanted = selected_job_keys(request.session, request.module)
    jobs = [job for job in background_jobs() if job.key in wanted]
    if not jobs:
        yield {}
        return
    root = tmp_path_factory.mktemp("outcomes")
    pool = ThreadPoolExecutor(max_workers=BACKGROUND_WORKERS, thread_name_prefix="mock-okta-run")
    futures = {job.key: pool.submit(_run_job, root, job) for job in jobs}
    try:
        yield futures
    finally:
        for f in futures.values():
            f.cancel()
        pool.shutdown(wait=True)


def wait_run(background: dict[str, Future[RunResult]], key: str) -> RunResult:
    # Every run is bounded by its own subprocess timeout; this only guards against a stuck pool.
    return background[key].result(timeout=300)


SCENARIO_IDS = sorted(PLANS)


@pytest.mark.parametrize("name", SCENARIO_IDS)
def test_naive_client_is_judged_failing(background: dict[str, Future[RunResult]], name: str) -> None:
    """The naive client (no timeout; retries every non-2xx with the same request and credentials, a
    429 at once and anything else after a fixed 0.1 s; never reads X-Rate-Limit-Reset; sends no retry
    headers; restarts a failed sign-in, refetches the JWKS for every token): exit 3, report passed
    false, at least one result failed — among them the kinds this scenario exists to catch."""
    run = wait_run(background, f"{name}/naive")
    info = excerpt(run)
    report = run.report
    check_report_shape(report)
    assert report["commandStatus"] == 0, f"the client itself must complete its plan\n{info}"
    assert run.rc == 3 and report["passed"] is False, info
    failed = {r["type"] for r in report["results"] if r["status"] == "failed"}
    assert failed, f"no expectation failed for the naive client\n{info}"
    assert PLANS[name].fails <= failed, f"expected {sorted(PLANS[name].fails)} to fail, failed: {sorted(failed)}\n{info}"
    for r in report["results"]:
        if r["status"] == "failed":
            assert r["evidence"], f"a failed result names its requests: {r}"


def check_correct_passes(run: RunResult) -> dict[str, Any]:
    info = excerpt(run)
    report = run.report
    check_report_shape(report)
    assert report["commandStatus"] == 0, f"the client itself must complete its plan\n{info}"
    for r in report["results"]:
        assert r["status"] == "passed" or (r["optional"] and r["status"] == "notExercised"), f"{r['name']}: {r['status']}\n{info}"
    for rule in report["rules"]:
        assert rule["fired"] > 0 or rule["optional"], f"rule {rule['id']} never fired for a correct client\n{info}"
    assert run.rc == 0 and report["passed"] is True and report["summary"] is None, info
    assert "mock-okta verdict: PASSED" in run.stderr, info
    return report


@pytest.mark.parametrize("name", SCENARIO_IDS)
def test_correct_client_is_judged_passing(background: dict[str, Future[RunResult]], name: str) -> None:
    """The correct client (read timeout; waits X-Rate-Limit-Reset − Date + 1 s after a 429; backs off
    0.25 s × 2ⁿ after other failures, at most 3 tries (4 for 500-server-outage); retry headers; never
    repeats a 401/403 with the same credentials; a Bearer 401 gets one new token; after invalid_grant
    it signs the user in again once; JWKS cached by kid): every expectation passed, every rule fired,
    exit 0.  It does what the scenario's description says a correct client does."""
    check_correct_passes(wait_run(background, f"{name}/correct"))


def test_short_lived_token_proactive_renewal_passes(background: dict[str, Future[RunResult]]) -> None:
    """sdk-short-lived-token.json: "A correct client renews its token before it expires, or once on
    the 401 it gets" (python okta 3.4.6 renews before every call here: "correct").  A client that
    renews 5 s before expires_in runs out never sees a 401, and must still be judged passing."""
    run = wait_run(background, "sdk-short-lived-token/proactive")
    seen = run.seen
    assert seen.get("tokens", 0) >= 2 and set(seen.get("statuses", [])) == {200}, f"{seen}\n{excerpt(run)}"
    check_correct_passes(run)


def test_background_runs_were_real(background: dict[str, Future[RunResult]]) -> None:
    """Sanity for section 4: each correct client did what its scenario needs (so a pass means
    something): it waited out the 60 s window, abandoned the 120 s hang, saw the key rotate, read
    every user page, and met the injected faults."""
    def journal(key: str) -> list[dict[str, Any]]:
        return wait_run(background, key).journal

    bucket = [e for e in journal("429-rate-limit-bucket-exhausted/correct") if e["path"] == USERS]
    limited = [e for e in bucket if e["status"] == 429]
    assert len(limited) == 1 and bucket[-1]["status"] == 200, [e["status"] for e in bucket]
    assert bucket[-1]["receivedAt"] / 1000 >= limited[0]["rateLimitReset"], "the retry came before the reset"

    hung = journal("hang-timeout/correct")[0]
    assert hung["rule"] == "hang-first-listing" and hung["disconnectedAt"] is not None, hung
    assert 1.5 <= (hung["disconnectedAt"] - hung["receivedAt"]) / 1000 <= 10, hung

    rotation = wait_run(background, "sdk-key-rotation-mid-run/correct").seen
    assert rotation["kids"] == 2 and rotation["fetches"] == 2, rotation

    pages = wait_run(background, "sdk-pagination-429-page-3/correct").seen
    assert pages["pages"] == 3 and pages["users"] == pages["unique"] >= 450, pages

    mid = [e for e in journal("401-access-token-expires-mid-run/correct") if e["path"] == USERS]
    assert [e["status"] for e in mid].count(401) == 1 and mid[-1]["status"] == 200, [e["status"] for e in mid]

    # sign-in: the correct client met the reset password once; the naive one's retries locked Ann (the
    # answer after the 3rd 401 is 200 LOCKED_OUT); the correct MFA client verified fresh codes
    authn = "/api/v1/authn"
    failed = [e["status"] for e in journal("401-authentication-failed/correct") if e["path"] == authn]
    assert failed.count(401) == 1 and failed[-1] == 401 and failed.count(200) >= 2, failed
    locked = [e["status"] for e in journal("locked-out-after-retries/naive") if e["path"] == authn]
    assert locked.count(401) == 3 and locked[locked.index(401) + 3] == 200, locked
    verified = [e for e in journal("403-mfa-required/correct") if e["path"].endswith("/verify")]
    assert len(verified) >= 2 and {e["status"] for e in verified} == {200}, [e["status"] for e in verified]
    zone = [e for e in journal("403-sign-on-policy-network-zone/correct") if e["path"].endswith("/authorize")]
    assert [e["status"] for e in zone] == [403], [e["status"] for e in zone]
