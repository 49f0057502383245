"""The offline command-line tools: `mock-okta validate`, `mock-okta token decode|explain`, `mock-okta scenarios`.

PRODUCT.md "Command line", "Scenario files" ("every error with its JSON path and line", CLI exit 2),
"Semantics that tests rely on" (`token explain` without `--for` judges GET /api/v1/users; a non-JWT
exits 1) and "The journal" (explain exits 0 accept / 1 refuse / 2 bad usage).
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from helpers import REPO_ROOT, MockOkta, clean_env, mint, mock_okta_bin

Spawn = Callable[..., MockOkta]
CLI_TIMEOUT = 30
SCENARIOS = REPO_ROOT / "scenarios"
SHIPPED = sorted(p for p in SCENARIOS.glob("*.json") if p.name != "schema.json")


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(mock_okta_bin()), *args], cwd=str(cwd or REPO_ROOT), env=clean_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=CLI_TIMEOUT)


def both(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


def show(proc: subprocess.CompletedProcess) -> str:
    return f"argv: {proc.args}\nrc: {proc.returncode}\nstdout:\n{proc.stdout[-2500:]}\nstderr:\n{proc.stderr[-2500:]}"


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------

GOOD = {
    "$schema": "./schema.json",
    "version": 1,
    "name": "e2e-good",
    "description": "A valid scenario. Used by test_cli_tools.py.",
    "rules": [{"id": "throttle", "match": {"method": "GET", "path": "/api/v1/users"}, "when": {"nth": [1]},
               "fault": {"type": "rateLimit", "resetAfterSeconds": 2}}],
    "timeline": [{"atSeconds": 5, "action": {"type": "revokeApiToken", "token": "admin"}}],
    "expect": [{"type": "respectsRateLimitReset"}, {"type": "maxAttempts", "max": 3},
               {"type": "abandonsHangWithin", "rule": "throttle", "maxSeconds": 5}],
}

# One error per marked line; (marker, JSON path, the token the column may point at).
BAD_LINES = [
    '{',
    '  "version": 1,',
    '  "name": "e2e-bad",',
    '  "description": "Every error on a line of its own.",',
    '  "rules": [',
    '    { "id": "dup",',
    '      "match": { "method": "GET", "path": "/api/v1/users" },',
    '      "fault": { "type": "rateLimit", "resetAfterSeconds": "soon" } },',
    '    { "id": "dup",',
    '      "match": { "method": "GET", "pathh": "/x" },',
    '      "fault": { "type": "serverError" } }',
    '  ],',
    '  "expect": [',
    '    { "type": "maxAttempts" },',
    '    { "type": "nope" },',
    '    { "type": "requestCount", "min": -1 }',
    '  ],',
    '  "colour": "blue"',
    '}',
]
# (JSON path, 1-based line, tokens on that line the column may point at)
BAD_ERRORS = [
    ("$.rules[0].fault.resetAfterSeconds", 8, ['"resetAfterSeconds"', '"soon"']),
    ("$.rules[1].id", 9, ['"id"', '"dup"']),
    ("$.rules[1].match.pathh", 10, ['"pathh"', '"/x"']),
    ("$.expect[0]", 14, ['{', '"type"']),
    ("$.expect[1].type", 15, ['"type"', '"nope"', '{']),
    ("$.expect[2].min", 16, ['"min"', '-1']),
    ("$.colour", 18, ['"colour"', '"blue"']),
]
ERROR_RE = re.compile(r"^(?P<file>.+?):(?P<line>[0-9]+):(?P<col>[0-9]+): (?P<path>\$[^:]*): (?P<msg>.+)$")


def _error_lines(text: str, file: Path) -> list[dict[str, Any]]:
    out = []
    for ln in text.splitlines():
        m = ERROR_RE.match(ln)
        if m and Path(m["file"]).name == file.name:
            out.append({"line": int(m["line"]), "col": int(m["col"]), "path": m["path"].strip(), "msg": m["msg"]})
    return out


def _ok_line(text: str, file: Path) -> bool:
    return any(re.match(rf"^{re.escape(str(file))}: ok(\s*\(.*\))?\s*$", ln) for ln in text.splitlines())


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    p = tmp_path / "good.json"
    p.write_text(json.dumps(GOOD, indent=2))
    return p


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    p = tmp_path / "bad.json"
    p.write_text("\n".join(BAD_LINES) + "\n")
    return p


def test_validate_good_file(good_file: Path) -> None:
    """A valid file: exit 0, `FILE: ok (…)`."""
    proc = cli("validate", str(good_file))
    assert proc.returncode == 0, show(proc)
    assert _ok_line(proc.stdout, good_file), show(proc)


def test_validate_all_shipped_scenarios() -> None:
    """Every shipped scenario validates: exit 0 and one ok line per file."""
    assert SHIPPED, "no shipped scenarios found"
    proc = cli("validate", *map(str, SHIPPED))
    assert proc.returncode == 0, show(proc)
    for p in SHIPPED:
        assert _ok_line(proc.stdout, p), f"no ok line for {p.name}\n{show(proc)}"


def test_validate_bad_file_lists_every_error_with_line_and_path(bad_file: Path) -> None:
    """Exit 2; every error as FILE:LINE:COL: $.json.path: message, on the line where it is (schema errors
    and a loader check, the duplicate rule id, together)."""
    proc = cli("validate", str(bad_file))
    assert proc.returncode == 2, show(proc)
    errors = _error_lines(both(proc), bad_file)
    assert errors, show(proc)
    for path, line, tokens in BAD_ERRORS:
        hits = [e for e in errors if e["path"] == path or (path == "$.expect[0]" and e["path"].startswith(path))]
        assert hits, f"no error for {path}\n{show(proc)}"
        e = hits[0]
        assert e["line"] == line, f"{path}: line {e['line']}, expected {line}"
        text = BAD_LINES[line - 1]
        cols = {text.index(t) + 1 for t in tokens if t in text}
        assert e["col"] in cols, f"{path}: column {e['col']}, expected one of {sorted(cols)} in {text!r}"
        assert e["msg"].strip(), e
    assert not _ok_line(proc.stdout, bad_file)
    by_path = {e["path"]: e["msg"] for e in errors}
    assert "max" in by_path.get("$.expect[0]", by_path.get("$.expect[0].max", "")), by_path
    assert "pathh" in by_path["$.rules[1].match.pathh"]
    assert "dup" in by_path["$.rules[1].id"]


def _rule(**when: Any) -> dict[str, Any]:
    return {"id": "r", "match": {"path": "/api/v1/users"}, "when": when or {"nth": [1]}, "fault": {"type": "serverError"}}


# scenarios/README.md "Checks the schema cannot express, done by the loader"
LOADER_CASES = {
    "duplicate-rule-id": ({"rules": [_rule(), _rule()]}, "$.rules[1].id", '"r"'),
    "afterRule-unknown": ({"rules": [_rule()], "timeline": [{"afterRule": "phantom", "action": {"type": "expireAccessTokens"}}]},
                          "$.timeline[0].afterRule", '"phantom"'),
    "abandonsHangWithin-rule-unknown": ({"rules": [_rule()], "expect": [{"type": "abandonsHangWithin", "maxSeconds": 5, "rule": "ghost"}]},
                                        "$.expect[0].rule", '"ghost"'),
    "nth-from-after-to": ({"rules": [_rule(nth={"from": 5, "to": 2})]}, "$.rules[0].when.nth", '"nth"'),
    "betweenSeconds-reversed": ({"rules": [_rule(betweenSeconds=[9, 3])]}, "$.rules[0].when.betweenSeconds", '"betweenSeconds"'),
    "dropOld-with-keepOldSeconds": ({"timeline": [{"atSeconds": 1, "action": {"type": "rotateSigningKey", "dropOld": True,
                                                                              "keepOldSeconds": 5}}]},
                                    "$.timeline[0].action", '"action"'),
}


@pytest.mark.parametrize("case", list(LOADER_CASES))
def test_validate_loader_checks(tmp_path: Path, case: str) -> None:
    """Each loader check of scenarios/README.md is an error with its JSON path and line (exit 2)."""
    body, path, token = LOADER_CASES[case]
    p = tmp_path / f"{case}.json"
    text = json.dumps({"version": 1, "name": case, "description": "Loader check.", **body}, indent=2)
    p.write_text(text)
    proc = cli("validate", str(p))
    assert proc.returncode == 2, f"{case} accepted\n{show(proc)}"
    errors = [e for e in _error_lines(both(proc), p) if e["path"].startswith(path)]
    assert errors, f"no error at {path}\n{show(proc)}"
    lines = [i + 1 for i, ln in enumerate(text.splitlines()) if token in ln]
    assert errors[0]["line"] in lines or not lines, f"{case}: line {errors[0]['line']}, expected one of {lines}\n{text}"


def test_validate_syntax_error_has_line(tmp_path: Path) -> None:
    """Broken JSON: exit 2 with the line of the syntax error."""
    p = tmp_path / "syntax.json"
    p.write_text('{\n  "version": 1,\n  "name": "x",\n  oops\n}\n')
    proc = cli("validate", str(p))
    assert proc.returncode == 2, show(proc)
    m = re.search(rf"{re.escape(p.name)}:([0-9]+):([0-9]+):", both(proc))
    assert m and int(m.group(1)) == 4, show(proc)


def test_validate_several_files(good_file: Path, bad_file: Path, tmp_path: Path) -> None:
    """Several files at once: each is reported; exit 2 if any is invalid, 0 if all are valid."""
    other = tmp_path / "other-good.json"
    other.write_text(json.dumps({**GOOD, "name": "e2e-other"}))
    proc = cli("validate", str(good_file), str(bad_file), str(other))
    assert proc.returncode == 2, show(proc)
    assert _ok_line(proc.stdout, good_file) and _ok_line(proc.stdout, other), show(proc)
    assert len(_error_lines(both(proc), bad_file)) >= len(BAD_ERRORS), show(proc)
    assert not _error_lines(both(proc), good_file)

    proc = cli("validate", str(good_file), str(other))
    assert proc.returncode == 0, show(proc)


def test_validate_missing_file(tmp_path: Path, good_file: Path) -> None:
    """A file that does not exist is an error naming it (exit 2); the other files are still checked."""
    missing = tmp_path / "nope.json"
    proc = cli("validate", str(missing), str(good_file))
    assert proc.returncode == 2, show(proc)
    assert str(missing) in both(proc) and _ok_line(proc.stdout, good_file), show(proc)


def test_validate_without_files_is_bad_usage() -> None:
    """`mock-okta validate` with no file: bad usage, exit 2 (PRODUCT.md: 2 = bad usage)."""
    proc = cli("validate")
    assert proc.returncode == 2, show(proc)


# --------------------------------------------------------------------------------------------
# token decode / explain
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokens(server_http: MockOkta) -> dict[str, dict[str, Any]]:
    """Tokens minted by `serve --seed 1` (server_http)."""
    return {
        "org_read": mint(server_http, server="org", scopes=["okta.users.read"], lifetimeSeconds=600),
        "org_expired": mint(server_http, server="org", scopes=["okta.users.read"], lifetimeSeconds=-600),
        "default": mint(server_http, server="default", scopes=["api.read"], lifetimeSeconds=600),
    }


def _b64json(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_token_decode(tokens: dict[str, dict[str, Any]]) -> None:
    """`token decode JWT`: header (alg, kid) and claims (iss, cid, scp, jti, exp); exit 0."""
    tok = tokens["org_read"]["token"]
    header = _b64json(tok.split(".")[0])
    claims = tokens["org_read"]["claims"]
    proc = cli("token", "decode", tok)
    assert proc.returncode == 0, show(proc)
    out = proc.stdout
    assert header["kid"] in out and "RS256" in out, out
    for key in ("iss", "cid", "jti"):
        assert str(claims[key]) in out, f"{key}={claims[key]} not shown\n{out}"
    assert "okta.users.read" in out and str(claims["exp"]) in out, out


def test_token_decode_rejects_non_jwt() -> None:
    proc = cli("token", "decode", "definitely-not-a-jwt")
    assert proc.returncode == 1, show(proc)


def test_explain_accepts_org_token_for_read(tokens: dict[str, dict[str, Any]]) -> None:
    """An org-server token with okta.users.read, explained against the tenant rebuilt from --seed 1:
    accepted for GET /api/v1/users, with and without `--for` (the default route)."""
    tok = tokens["org_read"]["token"]
    for extra in ([], ["--for", "GET:/api/v1/users"]):
        proc = cli("token", "explain", tok, "--seed", "1", *extra)
        assert proc.returncode == 0, show(proc)
        assert "Okta would accept" in proc.stdout, show(proc)
        assert "would answer" not in proc.stdout


def test_explain_refuses_write_without_scope(tokens: dict[str, dict[str, Any]]) -> None:
    """The same token for POST /api/v1/users: refused with 403 for the missing scope (exit 1)."""
    proc = cli("token", "explain", tokens["org_read"]["token"], "--seed", "1", "--for", "POST:/api/v1/users")
    assert proc.returncode == 1, show(proc)
    assert re.search(r"Okta would answer 403\b", proc.stdout), show(proc)
    assert "scope" in proc.stdout and "okta.users.manage" in proc.stdout, show(proc)


def test_explain_refuses_expired_token(tokens: dict[str, dict[str, Any]]) -> None:
    """lifetimeSeconds −600: Okta would answer 401 invalid_token, because it expired (exit 1)."""
    proc = cli("token", "explain", tokens["org_expired"]["token"], "--seed", "1")
    assert proc.returncode == 1, show(proc)
    assert "Okta would answer 401 (invalid_token" in proc.stdout and "expired" in proc.stdout, show(proc)


def test_explain_refuses_custom_server_token_for_management_api(tokens: dict[str, dict[str, Any]]) -> None:
    """A `default`-server token on /api/v1: 401 invalid_token (only org-server tokens are accepted there)."""
    proc = cli("token", "explain", tokens["default"]["token"], "--seed", "1")
    assert proc.returncode == 1, show(proc)
    assert "Okta would answer 401 (invalid_token" in proc.stdout, show(proc)


def test_explain_uses_the_given_tenant(tokens: dict[str, dict[str, Any]]) -> None:
    """Rebuilt from another seed, the tenant does not publish the token's key: refused (exit 1)."""
    proc = cli("token", "explain", tokens["org_read"]["token"], "--seed", "2")
    assert proc.returncode == 1, show(proc)
    assert "Okta would answer 401" in proc.stdout, show(proc)


def test_explain_with_db(spawn: Spawn, tmp_path: Path) -> None:
    """`--db PATH` rebuilds the tenant from the server's SQLite file: its token is accepted."""
    db = tmp_path / "tenant.sqlite"
    srv = spawn(["--host", "127.0.0.1", "--port", "0", "--seed", "3", "--db", str(db)], name="db")
    tok = mint(srv, server="org", scopes=["okta.users.read"], lifetimeSeconds=600)["token"]
    rc, _ = srv.stop()
    assert rc is not None
    proc = cli("token", "explain", tok, "--db", str(db))
    assert proc.returncode == 0, show(proc)
    assert "Okta would accept" in proc.stdout
    # the same token against a tenant from a different seed is refused
    assert cli("token", "explain", tok, "--seed", "4").returncode == 1


def test_explain_non_jwt_exits_1() -> None:
    """Not a JWT at all: Okta would refuse it, so exit 1 (not 2), with a 401 explanation."""
    proc = cli("token", "explain", "not-a-jwt", "--seed", "1")
    assert proc.returncode == 1, show(proc)
    assert "Okta would answer 401" in both(proc), show(proc)


def test_explain_bad_for_is_bad_usage(tokens: dict[str, dict[str, Any]]) -> None:
    """`--for nonsense` (not METHOD:PATH): bad usage, exit 2."""
    proc = cli("token", "explain", tokens["org_read"]["token"], "--seed", "1", "--for", "nonsense")
    assert proc.returncode == 2, show(proc)


# --------------------------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------------------------


def _first_sentence(text: str) -> str:
    m = re.match(r"^(.*?[.!?])(\s|$)", text.strip(), flags=re.S)
    return (m.group(1) if m else text).strip()


def test_scenarios_lists_shipped_files(tmp_path: Path) -> None:
    """`mock-okta scenarios`, from a directory that has no scenarios/ (issue 9: they are built in): one line
    per shipped scenario — its name, then the first sentence of its description; schema.json is not one."""
    proc = cli("scenarios", cwd=tmp_path)
    assert proc.returncode == 0, show(proc)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert "schema" not in proc.stdout.split(), proc.stdout
    for p in SHIPPED:
        mine = [ln for ln in lines if ln.split()[0] == p.stem]
        assert len(mine) == 1, f"{p.stem}: {mine}\n{proc.stdout}"
        summary = mine[0][len(p.stem):].strip()
        expected = _first_sentence(json.loads(p.read_text())["description"])
        assert summary == expected, f"{p.name}: {summary!r} != {expected!r}"
    assert len(lines) == len(SHIPPED), proc.stdout


def test_scenarios_show_prints_the_shipped_file(tmp_path: Path) -> None:
    """`mock-okta scenarios show NAME` prints the shipped file byte for byte; an unknown name exits 2 with
    suggestions."""
    for p in SHIPPED[:3]:
        proc = cli("scenarios", "show", p.stem, cwd=tmp_path)
        assert proc.returncode == 0 and proc.stdout == p.read_text(), show(proc)
    proc = cli("scenarios", "show", "429-rate-limit", cwd=tmp_path)
    assert proc.returncode == 2 and "429-rate-limit-with-reset" in proc.stderr, show(proc)


def test_scenario_by_name_from_any_directory(tmp_path: Path) -> None:
    """`--scenario NAME` resolves a shipped scenario from a directory without scenarios/; a path still wins;
    an unknown name is one sentence and exit 2."""
    proc = cli("validate", "429-rate-limit-with-reset", cwd=tmp_path)
    assert proc.returncode == 0 and "ok" in proc.stdout, show(proc)
    own = tmp_path / "429-rate-limit-with-reset"
    own.write_text('{"version": 1, "name": "mine"}')
    proc = cli("validate", "429-rate-limit-with-reset", cwd=tmp_path)
    assert proc.returncode == 0 and "0 rules" in proc.stdout, show(proc)  # the file, not the shipped one
    proc = cli("serve", "--port", "0", "--scenario", "no-such-scenario", cwd=tmp_path)
    assert proc.returncode == 2, show(proc)
    assert len(proc.stderr.strip().splitlines()) == 1 and "no-such-scenario" in proc.stderr, show(proc)


def test_version_names_release_and_commit() -> None:
    proc = cli("--version")
    assert proc.returncode == 0, show(proc)
    assert re.match(r"^mock-okta \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,}(-dirty)?|unknown)\)$", proc.stdout.strip()), proc.stdout


def test_explain_fetches_the_issuers_keys(spawn: Any, tmp_path: Path) -> None:
    """Issue 9: without --seed/--db, `token explain` fetches the issuer's discovery document and JWKS (over
    TLS with MOCK_OKTA_CA_FILE) and names the real cause (expired), not "unknown signing key"; --offline
    does not fetch."""
    srv = spawn(["--port", "0", "--tls", "--ca-out", str(tmp_path / "ca.pem")], name="explain-tls")  # random seed
    expired = mint(srv, server="org", scopes=["okta.users.read"], lifetimeSeconds=-600)["token"]
    fresh = mint(srv, server="org", scopes=["okta.users.read"], lifetimeSeconds=600)["token"]
    env = {"MOCK_OKTA_CA_FILE": str(tmp_path / "ca.pem")}
    run = lambda *a: subprocess.run([str(mock_okta_bin()), "token", "explain", *a], env=clean_env(env), capture_output=True,
                                    text=True, timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
    proc = run(expired)
    assert proc.returncode == 1, show(proc)
    assert "/v1/keys" in proc.stdout and "Okta would answer 401 (invalid_token" in proc.stdout and "expired" in proc.stdout, show(proc)
    assert "unknown signing key" not in proc.stdout, show(proc)
    proc = run(fresh)
    assert proc.returncode == 0 and "Okta would accept" in proc.stdout, show(proc)
    proc = run(fresh, "--offline")  # nothing fetched, and no random tenant guessed at: the signature is unjudged
    assert proc.returncode == 1 and "/v1/keys" not in proc.stdout and "cannot be checked" in proc.stdout, show(proc)


def test_bad_usage_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    """Issue 9 item 11: a bad flag, a missing command, a port in use and an unreadable scenario each print one
    plain sentence on stderr (no usage block, no raw bind error) and exit 2."""
    import socket
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        unreadable = tmp_path / "secret.json"
        unreadable.write_text("{}")
        cases = [("serve", "--bogus"), ("run",), ("serve", "--port", str(port)), ("serve", "--port", "0", "--scenario", str(tmp_path))]
        for args in cases:
            proc = cli(*args, cwd=tmp_path)
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and " info " not in ln]
            assert proc.returncode == 2, show(proc)
            assert len(lines) == 1 and lines[0].startswith("mock-okta: "), show(proc)
            assert "bind(" not in proc.stderr and "Usage:" not in proc.stderr, show(proc)
        assert "already in use" in cli("serve", "--port", str(port), cwd=tmp_path).stderr
    finally:
        busy.close()


def test_explain_names_the_access_policy_rule(tokens: dict[str, dict[str, Any]], spawn: Spawn, tmp_path: Path) -> None:
    """Issue 12 point 8: for a custom-server token, `token explain` names the access policy and rule that would decide
    a new request of its client; after the rule is disabled (saved in --db), it says no rule matches and why."""
    proc = cli("token", "explain", tokens["default"]["token"], "--seed", "1")
    assert "decided by policy 'Default Policy', rule 'Default Policy Rule'" in proc.stdout, show(proc)
    db = tmp_path / "tenant.sqlite"
    srv = spawn(["--host", "127.0.0.1", "--port", "0", "--seed", "5", "--db", str(db)], name="explain-policy")
    tok = mint(srv, server="default", scopes=["api.read"], lifetimeSeconds=600)["token"]
    r = srv.control("POST", "/__mock/actions", json={"type": "setPolicyRule", "rule": "Default Policy Rule",
                                                     "status": "INACTIVE"})
    assert r.status_code == 200 and r.json()["ok"] is True, r.text
    srv.stop()
    proc = cli("token", "explain", tok, "--db", str(db))
    out = proc.stdout
    assert "no access policy rule of the default server matches" in out, show(proc)
    assert "rule 'Default Policy Rule' is INACTIVE" in out and "Policy evaluation failed" in out, show(proc)
