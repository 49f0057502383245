"""Checks scenarios/schema.json and the shipped scenario library.

Run: python3 -m pytest Tests/scenarios_check

Needs `jsonschema` (>= 4.18, for Draft 2020-12) from the system Python or from /work/main/.venv-e2e.
"""
from __future__ import annotations

import copy
import glob
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
SCHEMA_PATH = SCENARIOS / "schema.json"

try:
    from jsonschema import Draft202012Validator
except ImportError:  # fall back to the project's e2e virtualenv
    for site in glob.glob(str(ROOT / ".venv-e2e" / "lib" / "python3*" / "site-packages")):
        sys.path.insert(0, site)
    from jsonschema import Draft202012Validator

sys.path.insert(0, str(Path(__file__).resolve().parent))
import readme_tables  # noqa: E402

# The keywords the in-house Swift validator understands. The schema must use nothing else.
ALLOWED_KEYWORDS = {
    "$schema", "$id", "$defs", "$ref", "title", "description", "type", "properties", "required",
    "additionalProperties", "enum", "const", "items", "minItems", "maxItems", "minimum", "maximum",
    "exclusiveMinimum", "minLength", "maxLength", "pattern", "oneOf", "anyOf", "allOf", "if", "then", "default", "examples",
}
ALLOWED_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}

# The closed vocabularies PRODUCT.md promises. Changing one is a product change, not a schema tweak.
FAULT_KINDS = {
    "status": {"status"}, "rateLimit": {"resetAfterSeconds", "omitDate", "omitResetHeader", "duplicateResetHeader"},
    "concurrencyLimit": {"resetAfterSeconds"}, "serverError": set(), "unavailable": set(), "delay": {"ms"},
    "hang": {"seconds", "then"}, "reset": set(), "close": set(), "emptyBody": {"status"},
    "malformedBody": {"status"}, "slowBody": {"seconds"}, "expiredToken": set(),
    "shortLivedToken": {"seconds"}, "wrongIssuer": set(), "wrongAudience": set(), "unknownKid": set(),
    "badSignature": set(), "missingScope": {"scope"},
}
ACTION_KINDS = {
    "revokeApiToken": {"token"}, "expireAccessTokens": {"server", "clientId", "user"},
    "revokeRefreshTokens": {"clientId", "user"}, "rotateSigningKey": {"server", "dropOld", "keepOldSeconds"},
    "unassignUser": {"user", "app"}, "assignUser": {"user", "app"}, "removeScopeGrant": {"app", "scope", "server"},
    "deactivateUser": {"user"}, "suspendUser": {"user"}, "setRateLimit": {"bucket", "limit"},
    "advanceClock": {"seconds"}, "lockUser": {"user"}, "expirePassword": {"user"}, "requireMfa": {"app", "off"},
    "setPassword": {"user", "password"}, "denyFromZone": {"zone", "off"}, "respondPush": {"user", "reject"},
    "setPolicyRule": {"server", "policy", "rule", "status", "scopes", "grantTypes", "accessTokenLifetimeMinutes"},
    "assignAdminRole": {"user", "group", "role"}, "unassignAdminRole": {"user", "group", "role"},
    "approveDevice": {"user", "userCode", "deny"},
}
EXPECT_KINDS = {
    "respectsRateLimitReset": {"toleranceMs"}, "backsOff": {"minFactor"}, "maxAttempts": {"max"},
    "noRetryOn": {"statuses"}, "refreshesExpiredToken": set(), "abandonsHangWithin": {"minSeconds", "maxSeconds", "rule"},
    "requestCount": {"min", "max", "exactly"}, "sendsRetryHeaders": set(), "noRequestsAfter": {"status"},
}
BUCKETS = ["users", "users.id", "groups", "apps", "logs", "token", "authorize", "oauth2", "authn", "api", "concurrency"]


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def schema() -> dict:
    return load(SCHEMA_PATH)


@pytest.fixture(scope="session")
def validator(schema) -> Draft202012Validator:
    return Draft202012Validator(schema)


SHIPPED = sorted(p for p in SCENARIOS.glob("*.json") if p.name != "schema.json")


def errors(validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(doc)]


# --------------------------------------------------------------------------- the schema itself

def test_schema_is_valid_2020_12(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    for key in ("$id", "title", "description"):
        assert schema.get(key), f"schema needs {key}"


def walk(node, path="#"):
    """Yield (json-pointer, schema object) for every subschema."""
    if not isinstance(node, dict):
        yield path, node
        return
    yield path, node
    for key in ("properties", "$defs"):
        for name, sub in node.get(key, {}).items():
            yield from walk(sub, f"{path}/{key}/{name}")
    for key in ("items", "if", "then"):
        if key in node:
            yield from walk(node[key], f"{path}/{key}")
    if isinstance(node.get("additionalProperties"), dict):
        yield from walk(node["additionalProperties"], f"{path}/additionalProperties")
    for key in ("oneOf", "anyOf", "allOf"):
        for i, sub in enumerate(node.get(key, [])):
            yield from walk(sub, f"{path}/{key}/{i}")


def test_schema_uses_only_keywords_the_swift_validator_supports(schema):
    problems = []
    for path, node in walk(schema):
        if not isinstance(node, dict):
            problems.append(f"{path}: boolean schemas are not supported")
            continue
        unknown = set(node) - ALLOWED_KEYWORDS
        if unknown:
            problems.append(f"{path}: unsupported keywords {sorted(unknown)}")
        if "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/$defs/") or ref.removeprefix("#/$defs/") not in schema["$defs"]:
                problems.append(f"{path}: $ref {ref!r} is not a local #/$defs/ entry")
        if "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            if not set(types) <= ALLOWED_TYPES:
                problems.append(f"{path}: type {node['type']!r}")
        if "additionalProperties" in node and node["additionalProperties"] is not False \
                and not isinstance(node["additionalProperties"], dict):
            problems.append(f"{path}: additionalProperties must be false or a schema")
        if "items" in node and not isinstance(node["items"], dict):
            problems.append(f"{path}: items must be a single schema")
        if "then" in node:
            then = node["then"]
            if set(then) - {"required", "properties"} or any(set(p) - {"const"} for p in then.get("properties", {}).values()):
                problems.append(f"{path}: then may only use required/properties-const")
        if "pattern" in node and re.search(r"\(\?|\\[1-9]|\\[pPkbB]", node["pattern"]):
            problems.append(f"{path}: pattern {node['pattern']!r} is not a simple regex")
    assert not problems, "\n".join(problems)


def test_every_object_with_properties_is_closed(schema):
    open_objects = [path for path, node in walk(schema)
                    if isinstance(node, dict) and "properties" in node and node.get("additionalProperties") is not False]
    assert not open_objects, f"unknown fields must be errors: {open_objects}"


def test_everything_is_documented(schema):
    def documented(node) -> bool:
        if node.get("description"):
            return True
        if "$ref" in node:
            return documented(schema["$defs"][node["$ref"].removeprefix("#/$defs/")])
        return False

    missing = []
    for path, node in walk(schema):
        last = path.rsplit("/", 2)
        is_named = len(last) == 3 and last[1] in ("properties", "$defs")
        is_branch = re.search(r"/(oneOf)/\d+$", path) is not None
        if (is_named or is_branch) and not documented(node):
            missing.append(path)
        if is_named and last[1] == "$defs" and not node.get("title"):
            missing.append(path + " (title)")
    assert not missing, f"no description/title: {missing}"


def union_kinds(schema, name):
    kinds = {}
    for branch in schema["$defs"][name]["oneOf"]:
        d = schema["$defs"][branch["$ref"].removeprefix("#/$defs/")]
        assert d["additionalProperties"] is False
        assert "type" in d["required"]
        kinds[d["properties"]["type"]["const"]] = set(d["properties"]) - {"type"}
    return kinds


def test_fault_kinds_match_the_product(schema):
    kinds = union_kinds(schema, "fault")
    assert set(kinds) == set(FAULT_KINDS)
    for kind, fields in FAULT_KINDS.items():
        assert kinds[kind] == fields | {"body", "headers"}, kind


def test_action_kinds_match_the_product(schema):
    kinds = union_kinds(schema, "action")
    assert kinds == ACTION_KINDS


def test_expect_kinds_match_the_product(schema):
    kinds = union_kinds(schema, "expectation")
    assert kinds == {k: v | {"path", "method", "optional"} for k, v in EXPECT_KINDS.items()}


def test_bucket_names(schema):
    assert schema["$defs"]["bucketName"]["enum"] == BUCKETS
    overrides = next(b for b in schema["$defs"]["rateLimits"]["oneOf"] if b.get("type") == "object")
    assert list(overrides["properties"]) == BUCKETS


# --------------------------------------------------------------------------- shipped scenarios

def test_library_is_not_empty():
    assert len(SHIPPED) >= 19


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_validates(path, validator):
    doc = load(path)
    assert errors(validator, doc) == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_conventions(path):
    doc = load(path)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", path.stem), "file names are kebab-case"
    assert doc["name"] == path.stem, "name must equal the file name"
    assert doc["version"] == 1
    summary = readme_tables.first_sentence(doc["description"])
    assert len(summary) <= 160, f"first sentence is the one-line summary; keep it short ({len(summary)} chars)"
    assert len(doc["description"]) > len(summary), "say what a correct client does, after the summary"
    assert doc.get("rules") or doc.get("timeline") or doc.get("expect")


def semantic_problems(doc) -> list[str]:
    """The checks the loader does beyond the schema (documented in scenarios/README.md)."""
    problems = []
    ids = [r["id"] for r in doc.get("rules", [])]
    if len(ids) != len(set(ids)):
        problems.append(f"duplicate rule ids {ids}")
    for r in doc.get("rules", []):
        when = r.get("when", {})
        nth = when.get("nth")
        if isinstance(nth, dict) and nth["from"] > nth["to"]:
            problems.append(f"rule {r['id']}: nth.from > nth.to")
        b = when.get("betweenSeconds")
        if b and b[0] > b[1]:
            problems.append(f"rule {r['id']}: betweenSeconds a > b")
    for t in doc.get("timeline", []):
        if "afterRule" in t and t["afterRule"] not in ids:
            problems.append(f"afterRule {t['afterRule']!r} names no rule")
        a = t["action"]
        if a["type"] == "rotateSigningKey" and a.get("dropOld") and "keepOldSeconds" in a:
            problems.append("rotateSigningKey: dropOld with keepOldSeconds")
    for e in doc.get("expect", []):
        if e["type"] == "abandonsHangWithin":
            if "rule" in e and e["rule"] not in ids:
                problems.append(f"abandonsHangWithin.rule {e['rule']!r} names no rule")
            if e.get("minSeconds", 0) > e["maxSeconds"]:
                problems.append("abandonsHangWithin: minSeconds > maxSeconds")
        if e["type"] == "requestCount" and "min" in e and "max" in e and e["min"] > e["max"]:
            problems.append("requestCount: min > max")
    return problems


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_is_consistent(path):
    assert semantic_problems(load(path)) == []


def test_readme_tables_are_up_to_date():
    text = readme_tables.README_PATH.read_text(encoding="utf-8")
    assert readme_tables.rewrite(text, readme_tables.render()) == text, \
        "run: python3 Tests/scenarios_check/readme_tables.py"
    for path in SHIPPED:
        assert f"[`{path.name}`]" in text


# --------------------------------------------------------------------------- a document using everything

KITCHEN_SINK = {
    "$schema": "./schema.json",
    "version": 1,
    "name": "kitchen-sink",
    "description": "Uses every field. Not shipped.",
    "seed": 42,
    "tenant": {
        "users": [{"login": "bob@example.com", "status": "STAGED", "password": "Passw0rd!", "firstName": "Bob",
                   "lastName": "Builder", "groups": ["Builders"]}, {"login": "ann@example.com", "totp": True,
                                                              "factors": ["sms", "email", "push"]}],
        "groups": [{"name": "Builders", "description": "People who build"}],
        "generateUsers": 0,
        "rateLimits": {"users": 10, "users.id": 20, "concurrency": 5},
        "refreshTokenRotation": True,
        "accessTokenLifetimeSeconds": 300,
        "signOn": {"maxAttempts": 3, "autoUnlockMinutes": 30, "requireMfa": False, "requireMfaApps": ["web"], "deliveryDelaySeconds": 2.5,
                   "zones": [{"name": "Office", "gateways": ["10.0.0.0/8", "10.1.0.1-10.1.0.9", "2001:db8::1"],
                              "proxies": ["192.0.2.1"], "usage": "POLICY"}]},
    },
    "rules": [
        {"id": "r-" + kind, "description": kind,
         "match": {"method": "POST", "path": "/oauth2/{server}/v1/token", "query": {"a": "*"},
                   "headers": {"X-Test": "1"}, "clientId": "0oa123", "authorizationServer": "default"},
         "when": {"nth": {"from": 1, "to": 3}, "first": 2, "after": 0, "every": 1, "probability": 0.5,
                  "betweenSeconds": [0, 60], "times": 1},
         "fault": fault}
        for kind, fault in {
            "status": {"type": "status", "status": 418, "body": "teapot", "headers": {"X-A": "b"}},
            "rateLimit": {"type": "rateLimit", "resetAfterSeconds": 0, "omitDate": True, "omitResetHeader": False,
                          "duplicateResetHeader": True, "body": {"errorCode": "E0000047"}},
            "concurrencyLimit": {"type": "concurrencyLimit", "resetAfterSeconds": 5},
            "serverError": {"type": "serverError", "body": None},
            "unavailable": {"type": "unavailable", "body": [1, 2]},
            "delay": {"type": "delay", "ms": 0},
            "hang": {"type": "hang", "seconds": 0.5, "then": "close"},
            "hang-forever": {"type": "hang"},
            "reset": {"type": "reset"},
            "close": {"type": "close"},
            "emptyBody": {"type": "emptyBody", "status": 500},
            "malformedBody": {"type": "malformedBody"},
            "slowBody": {"type": "slowBody", "seconds": 0.1},
            "expiredToken": {"type": "expiredToken"},
            "shortLivedToken": {"type": "shortLivedToken", "seconds": 1},
            "wrongIssuer": {"type": "wrongIssuer"},
            "wrongAudience": {"type": "wrongAudience"},
            "unknownKid": {"type": "unknownKid"},
            "badSignature": {"type": "badSignature"},
            "missingScope": {"type": "missingScope", "scope": "api.read"},
        }.items()
    ] + [{"id": "bare", "fault": {"type": "serverError"}},
         {"id": "nth-list", "match": {"path": "/api/v1/*"}, "when": {"nth": [1, 5]}, "fault": {"type": "reset"}}],
    "timeline": [
        {"atSeconds": 0, "action": {"type": "revokeApiToken", "token": "readOnly"}},
        {"atSeconds": 1, "action": {"type": "expireAccessTokens", "server": "org", "clientId": "web", "user": "ann@example.com"}},
        {"atSeconds": 1, "action": {"type": "expireAccessTokens"}},
        {"atSeconds": 2, "action": {"type": "revokeRefreshTokens", "clientId": "web", "user": "ann@example.com"}},
        {"atSeconds": 3, "action": {"type": "rotateSigningKey", "server": "default", "keepOldSeconds": 30}},
        {"atSeconds": 3, "action": {"type": "rotateSigningKey", "dropOld": True}},
        {"afterRule": "r-status", "delaySeconds": 1.5, "action": {"type": "unassignUser", "user": "ann@example.com", "app": "web"}},
        {"afterRule": "r-status", "action": {"type": "assignUser", "user": "ann@example.com", "app": "web"}},
        {"atSeconds": 4, "action": {"type": "removeScopeGrant", "app": "service", "scope": "okta.users.read", "server": "org"}},
        {"atSeconds": 5, "action": {"type": "deactivateUser", "user": "bob@example.com"}},
        {"atSeconds": 5, "action": {"type": "suspendUser", "user": "00u1234567890abcdefg"}},
        {"atSeconds": 6, "action": {"type": "setRateLimit", "bucket": "concurrency", "limit": 0}},
        {"atSeconds": 7, "action": {"type": "advanceClock", "seconds": -30}},
        {"atSeconds": 8, "action": {"type": "lockUser", "user": "ann@example.com"}},
        {"atSeconds": 8, "action": {"type": "expirePassword", "user": "bob@example.com"}},
        {"atSeconds": 9, "action": {"type": "requireMfa", "app": "web"}},
        {"atSeconds": 9, "action": {"type": "requireMfa", "off": True}},
        {"atSeconds": 10, "action": {"type": "setPassword", "user": "ann@example.com", "password": "N3w-passw0rd"}},
        {"atSeconds": 11, "action": {"type": "denyFromZone", "zone": "Office"}},
        {"atSeconds": 12, "action": {"type": "denyFromZone", "zone": "Office", "off": True}},
        {"atSeconds": 13, "action": {"type": "respondPush", "user": "ann@example.com", "reject": True}},
        {"atSeconds": 14, "action": {"type": "setPolicyRule", "rule": "Default Policy Rule", "status": "INACTIVE"}},
        {"atSeconds": 14, "action": {"type": "assignAdminRole", "group": "Engineering", "role": "USER_ADMIN"}},
        {"atSeconds": 15, "action": {"type": "unassignAdminRole", "user": "admin@example.com", "role": "SUPER_ADMIN"}},
        {"atSeconds": 16, "action": {"type": "approveDevice", "user": "ann@example.com", "userCode": "BCDFGHJK"}},
    ],
    "expect": [
        {"type": "respectsRateLimitReset", "toleranceMs": 0, "path": "/api/v1/users", "method": "GET"},
        {"type": "backsOff", "minFactor": 2},
        {"type": "maxAttempts", "max": 1},
        {"type": "noRetryOn"},
        {"type": "noRetryOn", "statuses": [400]},
        {"type": "refreshesExpiredToken", "path": "/api/v1/*"},
        {"type": "abandonsHangWithin", "minSeconds": 1, "maxSeconds": 30, "rule": "r-hang"},
        {"type": "requestCount", "exactly": 0},
        {"type": "requestCount", "min": 1, "max": 2},
        {"type": "sendsRetryHeaders"},
        {"type": "noRequestsAfter", "status": 401},
    ],
}


def test_kitchen_sink_uses_every_kind_and_validates(validator):
    assert errors(validator, KITCHEN_SINK) == []
    assert semantic_problems(KITCHEN_SINK) == []
    assert {r["fault"]["type"] for r in KITCHEN_SINK["rules"]} == set(FAULT_KINDS)
    assert {t["action"]["type"] for t in KITCHEN_SINK["timeline"]} == set(ACTION_KINDS)
    assert {e["type"] for e in KITCHEN_SINK["expect"]} == set(EXPECT_KINDS)


def test_minimal_document_validates(validator):
    assert errors(validator, {"version": 1, "name": "x", "description": "Nothing."}) == []


def test_description_is_optional_but_shipped_files_carry_one(validator):
    """Issue 9: ad-hoc scenarios need no description; test_shipped_scenario_conventions still requires it."""
    assert errors(validator, {"version": 1, "name": "x"}) == []


def test_rate_limit_presets_validate(validator):
    for preset in ("okta", "off"):
        doc = {"version": 1, "name": "x", "description": "d", "tenant": {"rateLimits": preset}}
        assert errors(validator, doc) == []


# --------------------------------------------------------------------------- documents that must fail

BASE = {"version": 1, "name": "bad", "description": "Must not validate.",
        "rules": [{"id": "r1", "match": {"method": "GET", "path": "/api/v1/users"}, "when": {"nth": [1]},
                   "fault": {"type": "rateLimit", "resetAfterSeconds": 2}}],
        "timeline": [{"atSeconds": 5, "action": {"type": "revokeApiToken", "token": "admin"}}],
        "expect": [{"type": "maxAttempts", "max": 3}]}


def mutate(fn):
    doc = copy.deepcopy(BASE)
    fn(doc)
    return doc


def rule(doc):
    return doc["rules"][0]


BAD = {
    # the ones the brief names
    "unknown top-level field": mutate(lambda d: d.update(extra=True)),
    "unknown fault type": mutate(lambda d: rule(d).update(fault={"type": "explode"})),
    "nth with 0": mutate(lambda d: rule(d).update(when={"nth": [0]})),
    "fault missing required field (status.status)": mutate(lambda d: rule(d).update(fault={"type": "status"})),
    "fault missing required field (delay.ms)": mutate(lambda d: rule(d).update(fault={"type": "delay"})),
    "version 2": mutate(lambda d: d.update(version=2)),
    "rule without id": mutate(lambda d: rule(d).pop("id")),
    # more of the same family
    "version as string": mutate(lambda d: d.update(version="1")),
    "missing name": mutate(lambda d: d.pop("name")),
    "rule without fault": mutate(lambda d: rule(d).pop("fault")),
    "field of another fault kind": mutate(lambda d: rule(d)["fault"].update(ms=5)),
    "unknown field in match": mutate(lambda d: rule(d)["match"].update(url="/x")),
    "unknown field in when": mutate(lambda d: rule(d)["when"].update(sometimes=True)),
    "empty nth": mutate(lambda d: rule(d).update(when={"nth": []})),
    "nth range missing to": mutate(lambda d: rule(d).update(when={"nth": {"from": 2}})),
    "nth range from 0": mutate(lambda d: rule(d).update(when={"nth": {"from": 0, "to": 2}})),
    "first 0": mutate(lambda d: rule(d).update(when={"first": 0})),
    "every 0": mutate(lambda d: rule(d).update(when={"every": 0})),
    "after negative": mutate(lambda d: rule(d).update(when={"after": -1})),
    "probability above 1": mutate(lambda d: rule(d).update(when={"probability": 1.5})),
    "betweenSeconds with 3 items": mutate(lambda d: rule(d).update(when={"betweenSeconds": [1, 2, 3]})),
    "betweenSeconds with 1 item": mutate(lambda d: rule(d).update(when={"betweenSeconds": [1]})),
    "times 0": mutate(lambda d: rule(d).update(when={"times": 0})),
    "lower-case method": mutate(lambda d: rule(d)["match"].update(method="get")),
    "relative path": mutate(lambda d: rule(d)["match"].update(path="api/v1/users")),
    "query value not a string": mutate(lambda d: rule(d)["match"].update(query={"limit": 200})),
    "status out of range": mutate(lambda d: rule(d).update(fault={"type": "status", "status": 99})),
    "negative resetAfterSeconds": mutate(lambda d: rule(d)["fault"].update(resetAfterSeconds=-1)),
    "hang then unknown": mutate(lambda d: rule(d).update(fault={"type": "hang", "then": "explode"})),
    "slowBody seconds 0": mutate(lambda d: rule(d).update(fault={"type": "slowBody", "seconds": 0})),
    "shortLivedToken seconds 0": mutate(lambda d: rule(d).update(fault={"type": "shortLivedToken", "seconds": 0})),
    "fault header value not a string": mutate(lambda d: rule(d)["fault"].update(headers={"X-A": 1})),
    "bad rule id": mutate(lambda d: rule(d).update(id="has space")),
    "timeline entry without time": mutate(lambda d: d["timeline"][0].pop("atSeconds")),
    "timeline entry with atSeconds and afterRule": mutate(lambda d: d["timeline"][0].update(afterRule="r1")),
    "timeline delaySeconds without afterRule": mutate(lambda d: d["timeline"][0].update(delaySeconds=1)),
    "negative atSeconds": mutate(lambda d: d["timeline"][0].update(atSeconds=-1)),
    "unknown action type": mutate(lambda d: d["timeline"][0].update(action={"type": "nuke"})),
    "action missing required field": mutate(lambda d: d["timeline"][0].update(action={"type": "unassignUser", "user": "a@b.c"})),
    "action with unknown field": mutate(lambda d: d["timeline"][0]["action"].update(user="a@b.c")),
    "unknown bucket": mutate(lambda d: d["timeline"][0].update(action={"type": "setRateLimit", "bucket": "everything", "limit": 1})),
    "negative limit": mutate(lambda d: d["timeline"][0].update(action={"type": "setRateLimit", "bucket": "users", "limit": -1})),
    "unknown expect type": mutate(lambda d: d["expect"].append({"type": "behaves"})),
    "maxAttempts without max": mutate(lambda d: d["expect"].append({"type": "maxAttempts"})),
    "maxAttempts 0": mutate(lambda d: d["expect"].append({"type": "maxAttempts", "max": 0})),
    "backsOff factor below 1": mutate(lambda d: d["expect"].append({"type": "backsOff", "minFactor": 0.5})),
    "abandonsHangWithin without maxSeconds": mutate(lambda d: d["expect"].append({"type": "abandonsHangWithin"})),
    "requestCount without bounds": mutate(lambda d: d["expect"].append({"type": "requestCount"})),
    "noRetryOn empty statuses": mutate(lambda d: d["expect"].append({"type": "noRetryOn", "statuses": []})),
    "noRequestsAfter without status": mutate(lambda d: d["expect"].append({"type": "noRequestsAfter"})),
    "expect with unknown field": mutate(lambda d: d["expect"].append({"type": "sendsRetryHeaders", "strict": True})),
    "unknown tenant field": mutate(lambda d: d.update(tenant={"policies": []})),
    "tenant user without login": mutate(lambda d: d.update(tenant={"users": [{"status": "ACTIVE"}]})),
    "tenant user with bad status": mutate(lambda d: d.update(tenant={"users": [{"login": "a@b.c", "status": "HAPPY"}]})),
    "generateUsers too many": mutate(lambda d: d.update(tenant={"generateUsers": 200001})),
    "unknown rate-limit preset": mutate(lambda d: d.update(tenant={"rateLimits": "strict"})),
    "unknown rate-limit bucket": mutate(lambda d: d.update(tenant={"rateLimits": {"everything": 1}})),
    "seed not an integer": mutate(lambda d: d.update(seed=1.5)),
}


def test_base_of_bad_documents_is_valid(validator):
    assert errors(validator, BASE) == []


@pytest.mark.parametrize("name", list(BAD))
def test_bad_document_fails(name, validator):
    assert errors(validator, BAD[name]), f"{name!r} should not validate"


@pytest.mark.parametrize("rule_fix, problem", [
    (lambda d: d["rules"].append(copy.deepcopy(d["rules"][0])), "duplicate rule ids"),
    (lambda d: d["timeline"].append({"afterRule": "nope", "action": {"type": "advanceClock", "seconds": 1}}), "names no rule"),
    (lambda d: d["expect"].append({"type": "abandonsHangWithin", "maxSeconds": 1, "rule": "nope"}), "names no rule"),
    (lambda d: rule(d).update(when={"nth": {"from": 3, "to": 2}}), "nth.from > nth.to"),
    (lambda d: rule(d).update(when={"betweenSeconds": [5, 1]}), "betweenSeconds"),
])
def test_semantic_checks_catch(rule_fix, problem, validator):
    doc = mutate(rule_fix)
    assert errors(validator, doc) == [], "schema-valid on purpose: only the loader's checks catch it"
    assert any(problem in p for p in semantic_problems(doc))


def test_readme_examples_validate(validator):
    text = readme_tables.README_PATH.read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        assert errors(validator, json.loads(block)) == []
