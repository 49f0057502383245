"""Okta on the wire, second pass: the behaviours listed in docs/FIDELITY.md, pinned against the mock.

Sections A-H follow docs/FIDELITY.md: trusted origins (A), CORS (B), the app write API (C), the user
schema (E), small differences (F), Bearer errors on /api/v1 (G) and System Log event types (H).
The okta SDK side (D) is in test_okta_sdk_apps.py.

Every test names the live-Okta source it was checked against.  Source tags, with commits, are in
/work/shared/research/okta-fidelity.md:
- CAS      okta/okta-sdk-python @ f6850979 tests/integration/cassettes/** (recordings of live orgs)
- OAS-MGMT okta/okta-management-openapi-spec @ fdda229e dist/current/management-oneOfInheritance.yaml
- OAS-OAUTH the same repository, dist/current/oauth-oneOfInheritance.yaml
- ET       okta/okta-developer-docs @ 468de9c5 packages/@okta/vuepress-site/data/event-types.json (2026.08.1)
- ET-OLD   the same file @ b5850310 (2020.12.1, V1 -> V2 mappings)
- OEC      okta/okta-developer-docs @ 468de9c5 packages/@okta/vuepress-site/data/oauth2-error-codes.json
- ISSUES   okta/okta-sdk-java issue 879 (empty 401 body for a bad Bearer token)

Most tests use the module's plain-HTTP server (reset to its baseline before each test).  Tests that
need a scenario's tenant fixture start their own server with ``--scenario``.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from fault_helpers import load_rule, ssws
from helpers import (
    REPO_ROOT, MockOkta, authorize_url, code_flow, mint, oauth_error, pkce_pair, redirect_params, reset,
    service_basic, tenant, token_request, unverified, web_basic,
)

pytestmark = pytest.mark.management_api

BASE_ARGS = ["--host", "127.0.0.1", "--port", "0", "--seed", "1"]
TRUSTED = "http://localhost:8000"
EVIL = "http://evil.example:9999"
CATALOGUE = REPO_ROOT / "Tests" / "data" / "okta-event-types.txt"
MOCK_ONLY_EVENTS = {"system.operation.fault_injected", "system.operation.request_denied"}

APP_MEMBERS = ["id", "orn", "name", "label", "status", "lastUpdated", "created", "accessibility", "visibility",
               "features", "signOnMode", "credentials", "universalLogout", "settings", "_links"]
ORIGIN_MEMBERS = ["id", "name", "origin", "scopes", "status", "created", "createdBy", "lastUpdated",
                  "lastUpdatedBy", "_links"]
SCHEMA_MEMBERS = ["id", "$schema", "name", "title", "description", "lastUpdated", "created", "definitions",
                  "type", "properties", "_links"]


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture
def srv(server_http: MockOkta) -> MockOkta:
    """The module's plain-HTTP server at its baseline (one trusted origin, two apps, six users)."""
    reset(server_http)
    return server_http


def _scenario_server(spawn: Callable[..., MockOkta], tmp_path: Path, tenant_fixture: dict[str, Any],
                     name: str) -> MockOkta:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"version": 1, "name": name, "description": f"test_fidelity.py: {name}",
                                "tenant": tenant_fixture}))
    return spawn([*BASE_ARGS, "--scenario", str(path)], name=name)


def api(srv: MockOkta, method: str, path: str, body: Any = None, *, token: str | None = None,
        headers: dict[str, str] | None = None, **kw: Any) -> requests.Response:
    """An /api/v1 call with the admin SSWS token (or `token`) and JSON in and out."""
    h = {**ssws(srv, token), "Accept": "application/json"}
    if body is not None:
        h["Content-Type"] = "application/json"
        kw["data"] = json.dumps(body)
    h.update(headers or {})
    return srv.request(method, path, headers=h, **kw)


def ok(r: requests.Response, status: int = 200) -> Any:
    assert r.status_code == status, f"{r.request.method} {r.url} -> {r.status_code}, expected {status}: {r.text[:800]}"
    return r.json() if r.content else None


def okta_error(r: requests.Response, status: int, code: str, summary: str | None = None) -> dict[str, Any]:
    """Assert an Okta error envelope; returns the body."""
    assert r.status_code == status, f"{r.request.method} {r.url} -> {r.status_code}, expected {status} {code}: {r.text[:800]}"
    body = r.json()
    assert body.get("errorCode") == code and body.get("errorLink") == code, body
    assert str(body.get("errorId", "")).startswith("oae"), body
    if summary is not None:
        assert body.get("errorSummary") == summary, body
    return body


def causes(body: dict[str, Any]) -> list[str]:
    return [c.get("errorSummary") for c in body.get("errorCauses") or []]


def user_id(srv: MockOkta, login: str) -> str:
    return next(u["id"] for u in tenant(srv)["users"] if u["profile"]["login"] == login)


def group_id(srv: MockOkta, name: str) -> str:
    return next(g["id"] for g in tenant(srv)["groups"] if g["profile"]["name"] == name)


def logs(srv: MockOkta, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("limit", 1000)
    return ok(api(srv, "GET", "/api/v1/logs", params=params))


def events_of(srv: MockOkta, event_type: str, target_id: str | None = None) -> list[dict[str, Any]]:
    evs = logs(srv, filter=f'eventType eq "{event_type}"')
    assert all(e["eventType"] == event_type for e in evs), evs
    if target_id is not None:
        evs = [e for e in evs if target_id in {t.get("id") for t in e.get("target") or []}]
    return evs


def request_id(r: requests.Response) -> str:
    rid = r.headers.get("X-Okta-Request-Id")
    assert rid, dict(r.headers)
    return rid


def whole_seconds(*stamps: Any) -> None:
    for s in stamps:
        assert isinstance(s, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", s), f"not whole seconds: {s!r}"


def parse_ts(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def header_list(r: requests.Response, name: str) -> list[str]:
    """A comma-separated header as a lower-cased list (requests joins repeated headers with ', ')."""
    return [x.strip().lower() for x in r.headers.get(name, "").split(",") if x.strip()]


def assert_cors(r: requests.Response, origin: str = TRUSTED) -> None:
    assert r.headers.get("Access-Control-Allow-Origin") == origin, \
        f"{r.request.method} {r.url} -> {r.status_code}: ACAO {r.headers.get('Access-Control-Allow-Origin')!r}, headers {dict(r.headers)}"
    expose = header_list(r, "Access-Control-Expose-Headers")
    assert "x-rate-limit-remaining" in expose and "x-okta-request-id" in expose, dict(r.headers)
    assert "origin" in header_list(r, "Vary"), dict(r.headers)


def assert_no_cors(r: requests.Response) -> None:
    assert "Access-Control-Allow-Origin" not in r.headers, f"{r.request.method} {r.url}: {dict(r.headers)}"


# The headers a browser sends on the preflight before okta-auth-js's token POST, as the Fetch standard
# defines them (Accept */*, the Access-Control-Request-* pair for its form Content-Type and its
# X-Okta-User-Agent-Extended header, the Sec-Fetch-* metadata, Origin, Referer) with a Chrome User-Agent.
BROWSER_PREFLIGHT = {
    "Accept": "*/*",
    "Access-Control-Request-Headers": "content-type,x-okta-user-agent-extended",
    "Access-Control-Request-Method": "POST",
    "Sec-Fetch-Dest": "empty",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Site": "cross-site",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
}


def preflight(srv: MockOkta, origin: str, path: str = "/oauth2/default/v1/token") -> requests.Response:
    """OPTIONS exactly as a browser sends it before okta-auth-js's token POST."""
    return srv.request("OPTIONS", path, headers={**BROWSER_PREFLIGHT, "Origin": origin, "Referer": origin + "/"})


def service_token(srv: MockOkta, origin: str | None = None) -> requests.Response:
    return token_request(srv, {"grant_type": "client_credentials", "scope": "api.read"}, auth=service_basic(srv),
                         headers={"Origin": origin} if origin else None)


def oidc_web_body(label: str = "Fidelity Web", **oauth: Any) -> dict[str, Any]:
    settings = {"application_type": "web", "grant_types": ["authorization_code", "refresh_token"],
                "redirect_uris": ["http://localhost:8000/cb"], "response_types": ["code"], **oauth}
    return {"name": "oidc_client", "label": label, "signOnMode": "OPENID_CONNECT",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
            "settings": {"oauthClient": settings}}


def service_app_body(label: str = "Fidelity Service") -> dict[str, Any]:
    return {"name": "oidc_client", "label": label, "signOnMode": "OPENID_CONNECT",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
            "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"],
                                         "response_types": ["token"]}}}


BOOKMARK_BODY = {"name": "bookmark", "label": "B", "settings": {"app": {"url": "https://example.com/b", "requestIntegration": False}}}

SAML_BODY = {"label": "S", "signOnMode": "SAML_2_0", "settings": {"signOn": {
    "ssoAcsUrl": "https://sp.example/acs", "audience": "https://sp.example", "recipient": "https://sp.example/acs",
    "destination": "https://sp.example/acs", "subjectNameIdTemplate": "${user.userName}",
    "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", "responseSigned": True,
    "assertionSigned": True, "signatureAlgorithm": "RSA_SHA256", "digestAlgorithm": "SHA256", "honorForceAuthn": True,
    "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    "requestCompressed": False, "allowMultipleAcsEndpoints": False}}}


def create_app(srv: MockOkta, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    return ok(api(srv, "POST", "/api/v1/apps", body, params=params or None))


def new_login(tag: str) -> str:
    return f"fid-{tag}-{uuid.uuid4().hex[:8]}@example.com"


def create_user(srv: MockOkta, tag: str, *, activate: bool = True, password: bool = True) -> dict[str, Any]:
    login = new_login(tag)
    body: dict[str, Any] = {"profile": {"firstName": "Fid", "lastName": "Elity", "email": login, "login": login}}
    if password:
        body["credentials"] = {"password": {"value": "Sup3r-Secret-" + uuid.uuid4().hex[:8]}}
    return ok(api(srv, "POST", "/api/v1/users", body, params={"activate": str(activate).lower()}))


def catalogue() -> set[str]:
    assert CATALOGUE.is_file(), f"{CATALOGUE} is missing (the ET catalogue, one event type per line)"
    ids = {ln.strip() for ln in CATALOGUE.read_text().splitlines() if ln.strip() and not ln.startswith("#")}
    assert len(ids) > 1000, f"{CATALOGUE} has only {len(ids)} ids"
    return ids


# --------------------------------------------------------------------------------------------
# A. Trusted origins
# --------------------------------------------------------------------------------------------


def test_default_trusted_origin_and_object_shape(srv: MockOkta) -> None:
    """Object shape, member order, `_links` and the list's Link header checked against okta/okta-sdk-python
    tests/integration/cassettes/test_trusted_origins_it/*.yaml (CAS, live 2020).  The one default origin
    (http://localhost:8000, the web app's redirect host) is mock-okta's own choice."""
    r = api(srv, "GET", "/api/v1/trustedOrigins")
    origins = ok(r)
    assert len(origins) == 1, origins
    o = origins[0]
    assert list(o) == ORIGIN_MEMBERS, list(o)
    assert o["origin"] == TRUSTED and o["name"] == "Mock Local Origin" and o["status"] == "ACTIVE"
    assert o["id"].startswith("tos") and len(o["id"]) == 20, o["id"]
    assert sorted(s["type"] for s in o["scopes"]) == ["CORS", "REDIRECT"] and all(list(s) == ["type"] for s in o["scopes"])
    whole_seconds(o["created"], o["lastUpdated"])
    assert o["createdBy"] and o["lastUpdatedBy"]
    links = o["_links"]
    assert list(links) == ["self", "deactivate"], links
    assert links["self"]["href"] == f"{srv.url}/api/v1/trustedOrigins/{o['id']}"
    assert links["self"]["hints"]["allow"] == ["GET", "PUT", "DELETE"]
    assert links["deactivate"]["href"] == f"{srv.url}/api/v1/trustedOrigins/{o['id']}/lifecycle/deactivate"
    assert links["deactivate"]["hints"]["allow"] == ["POST"]
    link = r.headers.get("Link", "")
    assert 'rel="self"' in link and "limit=20" in link and "/api/v1/trustedOrigins" in link, link
    assert ok(api(srv, "GET", f"/api/v1/trustedOrigins/{o['id']}")) == o


def test_trusted_origin_crud_and_lifecycle(srv: MockOkta) -> None:
    """Create 200 ACTIVE, PUT 200 full object, lifecycle deactivate/activate 200 with the FULL object
    (not `{}` as for apps and users), DELETE of an ACTIVE origin 204, then 404 "(TrustedOrigin)":
    okta/okta-sdk-python tests/integration/cassettes/test_trusted_origins_it/*.yaml (CAS).  Event ids
    security.trusted_origin.create|update|activate|deactivate|delete: okta/okta-developer-docs
    packages/@okta/vuepress-site/data/event-types.json 2026.08.1 (ET)."""
    admin = user_id(srv, "admin@example.com")
    body = {"name": "App 3000", "origin": "http://app.example:3000", "scopes": [{"type": "CORS"}, {"type": "REDIRECT"}]}
    o = ok(api(srv, "POST", "/api/v1/trustedOrigins", body))
    oid = o["id"]
    assert list(o) == ORIGIN_MEMBERS and oid.startswith("tos") and len(oid) == 20, o
    assert (o["name"], o["origin"], o["status"]) == ("App 3000", "http://app.example:3000", "ACTIVE")
    assert o["createdBy"] == o["lastUpdatedBy"] == admin, o
    whole_seconds(o["created"], o["lastUpdated"])
    assert ok(api(srv, "GET", f"/api/v1/trustedOrigins/{oid}")) == o
    assert oid in {x["id"] for x in ok(api(srv, "GET", "/api/v1/trustedOrigins"))}

    put = ok(api(srv, "PUT", f"/api/v1/trustedOrigins/{oid}", {**body, "name": "App 3000 renamed"}))
    assert list(put) == ORIGIN_MEMBERS and put["id"] == oid and put["name"] == "App 3000 renamed"
    assert put["created"] == o["created"] and put["origin"] == body["origin"]

    off = ok(api(srv, "POST", f"/api/v1/trustedOrigins/{oid}/lifecycle/deactivate"))
    assert list(off) == ORIGIN_MEMBERS, f"deactivate must return the full object, got {off!r}"
    assert off["id"] == oid and off["status"] == "INACTIVE"
    assert list(off["_links"]) == ["activate", "self"], off["_links"]
    assert off["_links"]["activate"]["href"] == f"{srv.url}/api/v1/trustedOrigins/{oid}/lifecycle/activate"
    assert off["_links"]["activate"]["hints"]["allow"] == ["POST"]
    assert ok(api(srv, "GET", f"/api/v1/trustedOrigins/{oid}"))["status"] == "INACTIVE"

    on = ok(api(srv, "POST", f"/api/v1/trustedOrigins/{oid}/lifecycle/activate"))
    assert list(on) == ORIGIN_MEMBERS and on["status"] == "ACTIVE" and list(on["_links"]) == ["self", "deactivate"], on

    d = api(srv, "DELETE", f"/api/v1/trustedOrigins/{oid}")  # ACTIVE: no need to deactivate first
    assert d.status_code == 204 and d.content == b"", (d.status_code, d.text)
    okta_error(api(srv, "GET", f"/api/v1/trustedOrigins/{oid}"), 404, "E0000007",
               f"Not found: Resource not found: {oid} (TrustedOrigin)")
    assert oid not in {x["id"] for x in ok(api(srv, "GET", "/api/v1/trustedOrigins"))}

    for op in ("create", "update", "deactivate", "activate", "delete"):
        evs = events_of(srv, f"security.trusted_origin.{op}", oid)
        assert len(evs) == 1, (op, evs)
        assert evs[0]["outcome"]["result"] == "SUCCESS" and evs[0]["actor"]["alternateId"] == "admin@example.com", evs[0]


def test_trusted_origin_validation(srv: MockOkta) -> None:
    """An origin without a scheme is 400 E0000001 'Api validation failed: origin' with cause
    'origin: Origin value is not valid': okta/okta-developer-docs
    packages/@okta/vuepress-site/docs/reference/api/trusted-origins/index.md (the version before the
    "Stub page cleanup").  A duplicate origin (OAS-MGMT: origin is unique) gets the same summary with
    the user-duplicate cause text (chosen by us, unverified)."""
    body = okta_error(api(srv, "POST", "/api/v1/trustedOrigins",
                          {"name": "Bad", "origin": "example.com", "scopes": [{"type": "CORS"}]}),
                      400, "E0000001", "Api validation failed: origin")
    assert "origin: Origin value is not valid" in causes(body), body
    body = okta_error(api(srv, "POST", "/api/v1/trustedOrigins",
                          {"name": "Dup", "origin": TRUSTED, "scopes": [{"type": "CORS"}]}),
                      400, "E0000001", "Api validation failed: origin")
    assert "origin: An object with this field already exists in the current organization" in causes(body), body
    assert len(ok(api(srv, "GET", "/api/v1/trustedOrigins"))) == 1  # nothing was created


# --------------------------------------------------------------------------------------------
# B. CORS
# --------------------------------------------------------------------------------------------


def test_cors_headers_for_trusted_origin(srv: MockOkta) -> None:
    """Discovery, keys, userinfo, introspect and revoke are `x-okta-lifecycle.isCorsEnabled` in
    okta/okta-management-openapi-spec dist/current/oauth-oneOfInheritance.yaml (OAS-OAUTH); the token
    POST gets CORS through tokenOptions.  Exposed headers: okta/okta-developer-docs
    packages/@okta/vuepress-site/docs/release-notes/2021/index.md (2021.05.0, Access-Control-Expose-Headers)."""
    o = {"Origin": TRUSTED}
    for path in ("/oauth2/v1/keys", "/oauth2/default/v1/keys", "/.well-known/openid-configuration",
                 "/oauth2/default/.well-known/openid-configuration"):
        r = srv.get(path, headers=o)
        assert r.status_code == 200, (path, r.status_code)
        assert_cors(r)
    r = service_token(srv, TRUSTED)
    assert r.status_code == 200, r.text
    assert_cors(r)
    tokens = code_flow(srv)
    r = srv.get("/oauth2/default/v1/userinfo", headers={**o, "Authorization": f"Bearer {tokens['access_token']}"})
    assert r.status_code == 200 and r.json()["sub"], r.text
    assert_cors(r)
    r = srv.post("/oauth2/default/v1/introspect", headers=o, auth=web_basic(srv),
                 data={"token": tokens["access_token"], "token_type_hint": "access_token"})
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    assert_cors(r)
    r = srv.post("/oauth2/default/v1/revoke", headers=o, auth=web_basic(srv),
                 data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"})
    assert r.status_code == 200, r.text
    assert_cors(r)


def test_cors_preflight_then_token_post(srv: MockOkta) -> None:
    """OPTIONS /oauth2/default/v1/token: 204, no body, Access-Control-Allow-Origin, -Allow-Methods
    POST, -Max-Age, Vary: Origin (okta/okta-management-openapi-spec dist/current/oauth-oneOfInheritance.yaml
    tokenOptions, OAS-OAUTH).  Allow-Headers covering the requested headers is our choice (unverified).
    The POST that follows (client_credentials, authorization_code) carries ACAO as well."""
    r = preflight(srv, TRUSTED)
    assert r.status_code == 204 and r.content == b"", (r.status_code, r.text)
    assert r.headers.get("Access-Control-Allow-Origin") == TRUSTED, dict(r.headers)
    assert "post" in header_list(r, "Access-Control-Allow-Methods"), dict(r.headers)
    assert "content-type" in header_list(r, "Access-Control-Allow-Headers"), dict(r.headers)
    assert r.headers.get("Access-Control-Max-Age", "").isdigit(), dict(r.headers)
    assert "origin" in header_list(r, "Vary"), dict(r.headers)

    r = service_token(srv, TRUSTED)
    assert r.status_code == 200 and r.json()["access_token"], r.text
    assert_cors(r)

    c = srv.creds
    verifier, challenge = pkce_pair()
    q = redirect_params(srv.get(authorize_url(srv, {
        "client_id": c["webClientId"], "response_type": "code", "scope": "openid offline_access",
        "redirect_uri": c["webRedirectUri"], "state": "s1", "nonce": "n1", "code_challenge": challenge,
        "code_challenge_method": "S256", "login_hint": c["user"]["login"]})), c["webRedirectUri"])
    r = token_request(srv, {"grant_type": "authorization_code", "code": q["code"], "redirect_uri": c["webRedirectUri"],
                            "code_verifier": verifier}, auth=web_basic(srv), headers={"Origin": TRUSTED})
    assert r.status_code == 200 and r.json()["refresh_token"], r.text
    assert_cors(r)
    r = token_request(srv, {"grant_type": "refresh_token", "refresh_token": r.json()["refresh_token"],
                            "scope": "openid offline_access"}, auth=web_basic(srv), headers={"Origin": TRUSTED})
    assert r.status_code == 200, r.text
    assert_cors(r)


def test_cors_untrusted_origin(srv: MockOkta) -> None:
    """An untrusted origin gets no Access-Control-Allow-Origin (okta/okta-developer-docs
    packages/@okta/vuepress-site/docs/guides/enable-cors/main/index.md "Response example: error"), and
    the token POST is 400 invalid_request not_trusted_origin_browser_request (okta/okta-developer-docs
    packages/@okta/vuepress-site/data/oauth2-error-codes.json 2026.08.1, OEC)."""
    r = preflight(srv, EVIL)
    assert r.status_code == 204, (r.status_code, r.text)
    assert_no_cors(r)
    r = srv.get("/oauth2/default/v1/keys", headers={"Origin": EVIL})
    assert r.status_code == 200 and r.json()["keys"]
    assert_no_cors(r)
    r = service_token(srv, EVIL)
    body = oauth_error(r, 400, "invalid_request")
    assert body["error_description"] == \
        "Browser requests to the token endpoint must be made from one of the registered Trusted Origins.", body
    assert_no_cors(r)
    assert service_token(srv).status_code == 200  # the same request without Origin (a server) still works


def test_cors_follows_the_trusted_origins_api(srv: MockOkta) -> None:
    """A trusted origin created through /api/v1/trustedOrigins is honoured at once, and a deactivated one
    no longer is (okta/okta-developer-docs packages/@okta/vuepress-site/docs/guides/enable-cors/main/index.md;
    lifecycle per okta/okta-sdk-python tests/integration/cassettes/test_trusted_origins_it/*.yaml)."""
    app_origin = "http://app.example:3000"
    assert_no_cors(preflight(srv, app_origin))
    o = ok(api(srv, "POST", "/api/v1/trustedOrigins",
               {"name": "App", "origin": app_origin, "scopes": [{"type": "CORS"}, {"type": "REDIRECT"}]}))
    r = preflight(srv, app_origin)
    assert r.status_code == 204 and r.headers.get("Access-Control-Allow-Origin") == app_origin, dict(r.headers)
    assert_cors(srv.get("/oauth2/default/v1/keys", headers={"Origin": app_origin}), app_origin)
    ok(api(srv, "POST", f"/api/v1/trustedOrigins/{o['id']}/lifecycle/deactivate"))
    r = preflight(srv, app_origin)
    assert r.status_code == 204
    assert_no_cors(r)
    assert_no_cors(srv.get("/oauth2/default/v1/keys", headers={"Origin": app_origin}))


def test_scenario_trusted_origin(spawn, tmp_path) -> None:
    """Scenario `tenant.trustedOrigins` (mock-okta's fixture format; name optional, scopes default
    CORS+REDIRECT); the object it makes has the shape of okta/okta-sdk-python
    tests/integration/cassettes/test_trusted_origins_it/*.yaml (CAS)."""
    s = _scenario_server(spawn, tmp_path, {"trustedOrigins": [{"origin": "http://spa.test:5173"}]}, "origins")
    r = preflight(s, "http://spa.test:5173")
    assert r.status_code == 204 and r.headers.get("Access-Control-Allow-Origin") == "http://spa.test:5173", dict(r.headers)
    found = [o for o in ok(api(s, "GET", "/api/v1/trustedOrigins")) if o["origin"] == "http://spa.test:5173"]
    assert len(found) == 1, found
    o = found[0]
    assert list(o) == ORIGIN_MEMBERS and o["status"] == "ACTIVE" and o["name"], o
    assert sorted(x["type"] for x in o["scopes"]) == ["CORS", "REDIRECT"], o


# --------------------------------------------------------------------------------------------
# C. The app write API
# --------------------------------------------------------------------------------------------


def test_create_oidc_web_app(srv: MockOkta) -> None:
    """POST /api/v1/apps is 200 (never 201) with members id, orn, name, label, status, lastUpdated,
    created, accessibility, visibility, features, signOnMode, credentials, universalLogout, settings,
    _links; client_id defaults to the app id; a 64-char client_secret on create; no `self` link:
    okta/okta-sdk-python tests/integration/cassettes/test_application_sso_federated_claims_it/
    TestApplicationSSOFederatedClaimsResource.test_federated_claim_lifecycle.yaml #0 (CAS, live 2026)."""
    r = api(srv, "POST", "/api/v1/apps", oidc_web_body())
    a = ok(r)
    assert list(a) == APP_MEMBERS, list(a)
    assert a["id"].startswith("0oa") and len(a["id"]) == 20, a["id"]
    assert (a["name"], a["label"], a["status"], a["signOnMode"]) == ("oidc_client", "Fidelity Web", "ACTIVE", "OPENID_CONNECT")
    assert a["orn"].startswith("orn:okta:idp:") and a["orn"].endswith(f":apps:oidc_client:{a['id']}"), a["orn"]
    whole_seconds(a["created"], a["lastUpdated"])
    oc = a["credentials"]["oauthClient"]
    assert oc["client_id"] == a["id"], oc
    assert isinstance(oc.get("client_secret"), str) and len(oc["client_secret"]) == 64, oc
    assert oc["token_endpoint_auth_method"] == "client_secret_basic"
    s = a["settings"]["oauthClient"]
    assert s["redirect_uris"] == ["http://localhost:8000/cb"] and s["grant_types"] == ["authorization_code", "refresh_token"]
    assert s["application_type"] == "web" and s["response_types"] == ["code"]
    assert "self" not in a["_links"] and "deactivate" in a["_links"] and "activate" not in a["_links"], a["_links"]
    got = ok(api(srv, "GET", f"/api/v1/apps/{a['id']}"))
    assert got["id"] == a["id"] and got["label"] == "Fidelity Web" and list(got) == APP_MEMBERS
    assert a["id"] in {x["id"] for x in ok(api(srv, "GET", "/api/v1/apps"))}
    assert events_of(srv, "application.lifecycle.create", a["id"]), "no application.lifecycle.create event"


def test_created_service_app_authenticates_and_inactive_create(srv: MockOkta) -> None:
    """A created client is a real client at /token: a wrong secret is 401 invalid_client, the right one is
    not (okta/okta-developer-docs packages/@okta/vuepress-site/data/oauth2-error-codes.json, OEC).
    `?activate=false` creates an INACTIVE app with an `activate` link instead of `deactivate`
    (okta/okta-sdk-python tests/integration/cassettes/test_applications_it/
    TestApplicationsResource.test_create_application_with_activate_parameter.yaml, CAS)."""
    a = create_app(srv, service_app_body())
    cid, secret = a["credentials"]["oauthClient"]["client_id"], a["credentials"]["oauthClient"]["client_secret"]
    assert cid == a["id"] and len(secret) == 64
    form = {"grant_type": "client_credentials", "scope": "api.read"}
    oauth_error(token_request(srv, form, auth=(cid, secret[:-1] + ("A" if secret[-1] != "A" else "B"))), 401, "invalid_client")
    r = token_request(srv, form, auth=(cid, secret))
    assert r.status_code != 401, f"the created app's own secret was refused: {r.status_code} {r.text}"
    if r.status_code == 200:
        assert unverified(r.json()["access_token"])[1]["cid"] == cid
    else:  # a new app has no scope grants yet (Okta: invalid_scope), but it did authenticate
        assert r.json()["error"] != "invalid_client", r.text

    inactive = create_app(srv, service_app_body("Fidelity Inactive"), activate="false")
    assert inactive["status"] == "INACTIVE"
    assert "activate" in inactive["_links"] and "deactivate" not in inactive["_links"], inactive["_links"]
    assert ok(api(srv, "GET", f"/api/v1/apps/{inactive['id']}"))["status"] == "INACTIVE"


def test_create_browser_app_has_no_secret(srv: MockOkta) -> None:
    """token_endpoint_auth_method none gets no client_secret: okta/okta-management-openapi-spec
    dist/current/management-oneOfInheritance.yaml ApplicationCredentialsOAuthClient.client_secret
    ("only shown ... if the token_endpoint_auth_method requires a client secret"), OAS-MGMT."""
    body = oidc_web_body("Fidelity SPA", application_type="browser")
    body["credentials"]["oauthClient"]["token_endpoint_auth_method"] = "none"
    a = create_app(srv, body)
    oc = a["credentials"]["oauthClient"]
    assert oc["client_id"] == a["id"] and oc["token_endpoint_auth_method"] == "none", oc
    assert "client_secret" not in oc, oc
    assert a["settings"]["oauthClient"]["application_type"] == "browser"


def test_create_bookmark_app(srv: MockOkta) -> None:
    """A body with name "bookmark" and no signOnMode becomes BOOKMARK, with credentials.signing {} and
    universalLogout {"status":"UNSUPPORTED"}: okta/okta-sdk-python tests/integration/cassettes/
    test_applications_it/TestApplicationsResource.test_replace_application.yaml #0 (CAS, live 2025).
    It is not an OAuth client, so its id at /token is invalid_client (OEC)."""
    a = create_app(srv, BOOKMARK_BODY)
    assert list(a) == APP_MEMBERS, list(a)
    assert a["signOnMode"] == "BOOKMARK" and a["name"] == "bookmark" and a["status"] == "ACTIVE"
    assert a["credentials"]["signing"] == {}, a["credentials"]
    assert "oauthClient" not in a["credentials"]
    assert a["universalLogout"] == {"status": "UNSUPPORTED"}
    assert a["settings"]["app"]["url"] == "https://example.com/b" and a["settings"]["app"]["requestIntegration"] is False
    oauth_error(token_request(srv, {"grant_type": "client_credentials", "scope": "api.read"}, auth=(a["id"], "anything")),
                401, "invalid_client")


def test_create_saml_app(srv: MockOkta) -> None:
    """A custom SAML_2_0 app gets a generated name `<org>_<label>_<n>`, a signing kid and its signOn
    settings echoed: okta/okta-management-openapi-spec dist/current/management-oneOfInheritance.yaml
    createApplication SAML_2_0 example (OAS-MGMT); signing kid as in okta/okta-sdk-python
    tests/integration/cassettes/test_applications_it/
    TestApplicationsResource.test_get_default_provisioning_connection_for_application.yaml (CAS)."""
    a = create_app(srv, SAML_BODY)
    assert list(a) == APP_MEMBERS, list(a)
    assert a["signOnMode"] == "SAML_2_0" and a["label"] == "S"
    assert re.fullmatch(r"[a-z0-9]+_[a-z0-9]+_\d+", a["name"]), a["name"]
    assert isinstance(a["credentials"]["signing"].get("kid"), str) and a["credentials"]["signing"]["kid"], a["credentials"]
    assert a["settings"]["signOn"]["ssoAcsUrl"] == "https://sp.example/acs"
    assert a["settings"]["signOn"]["audience"] == "https://sp.example"


def test_create_app_without_label(srv: MockOkta) -> None:
    """Missing label: 400 E0000001 'Api validation failed: label', cause 'label: The field cannot be
    left blank'.  Cause style from okta/okta-sdk-python tests/integration/cassettes/test_push_providers_it/
    TestPushProvidersResource.test_error_handling_invalid_data_and_not_found.yaml #0 ("providerType: The
    field cannot be left blank", CAS); the label text itself is unverified."""
    body = oidc_web_body()
    del body["label"]
    before = len(ok(api(srv, "GET", "/api/v1/apps")))
    err = okta_error(api(srv, "POST", "/api/v1/apps", body), 400, "E0000001", "Api validation failed: label")
    assert "label: The field cannot be left blank" in causes(err), err
    assert len(ok(api(srv, "GET", "/api/v1/apps"))) == before


def test_app_replace_lifecycle_and_delete(srv: MockOkta) -> None:
    """PUT 200 full object (created unchanged, INACTIVE stays INACTIVE), lifecycle 200 `{}`, DELETE of an
    ACTIVE app 403 E0000056 'Delete application forbidden.' / 'The application must be deactivated
    before deletion.', then 204 and 404 '(AppInstance)': okta/okta-sdk-python tests/integration/
    cassettes/test_applications_it/TestApplicationsResource.test_activate_deactivate_delete_app.yaml and
    …test_replace_application.yaml (CAS).  Events application.lifecycle.*: okta/okta-developer-docs
    packages/@okta/vuepress-site/data/event-types.json 2026.08.1 (ET)."""
    a = create_app(srv, oidc_web_body("Before"))
    aid = a["id"]
    whole = dict(a)
    whole["label"] = "After"
    put = ok(api(srv, "PUT", f"/api/v1/apps/{aid}", whole))  # the whole object back, as SDKs do
    assert list(put) == APP_MEMBERS and put["id"] == aid and put["label"] == "After", put
    assert put["created"] == a["created"] and put["status"] == "ACTIVE"
    assert ok(api(srv, "GET", f"/api/v1/apps/{aid}"))["label"] == "After"

    err = okta_error(api(srv, "DELETE", f"/api/v1/apps/{aid}"), 403, "E0000056", "Delete application forbidden.")
    assert causes(err) == ["The application must be deactivated before deletion."], err
    assert ok(api(srv, "GET", f"/api/v1/apps/{aid}"))["status"] == "ACTIVE"

    assert ok(api(srv, "POST", f"/api/v1/apps/{aid}/lifecycle/deactivate")) == {}
    off = ok(api(srv, "GET", f"/api/v1/apps/{aid}"))
    assert off["status"] == "INACTIVE" and "activate" in off["_links"] and "deactivate" not in off["_links"]
    put2 = ok(api(srv, "PUT", f"/api/v1/apps/{aid}", {**oidc_web_body("Still inactive")}))
    assert put2["status"] == "INACTIVE" and put2["label"] == "Still inactive", put2
    assert ok(api(srv, "POST", f"/api/v1/apps/{aid}/lifecycle/activate")) == {}
    assert ok(api(srv, "GET", f"/api/v1/apps/{aid}"))["status"] == "ACTIVE"
    assert ok(api(srv, "POST", f"/api/v1/apps/{aid}/lifecycle/deactivate")) == {}

    d = api(srv, "DELETE", f"/api/v1/apps/{aid}")
    assert d.status_code == 204 and d.content == b"", (d.status_code, d.text)
    okta_error(api(srv, "GET", f"/api/v1/apps/{aid}"), 404, "E0000007", f"Not found: Resource not found: {aid} (AppInstance)")
    assert aid not in {x["id"] for x in ok(api(srv, "GET", "/api/v1/apps"))}

    for op in ("create", "update", "activate", "deactivate", "delete"):
        assert events_of(srv, f"application.lifecycle.{op}", aid), f"no application.lifecycle.{op} event for {aid}"


def test_scenario_fixture_app(spawn, tmp_path) -> None:
    """Scenario `tenant.apps` (mock-okta's fixture format) adds an OIDC app whose client_id is the one
    given; the listed object has the CAS shape (okta/okta-sdk-python tests/integration/cassettes/
    test_applications_it/*, live) and the client is known at /authorize."""
    s = _scenario_server(spawn, tmp_path, {"apps": [{"label": "Fixture SPA", "type": "browser", "clientId": "fixture-spa",
                                                     "redirectUris": ["http://localhost:5173/cb"]}]}, "apps")
    apps = ok(api(s, "GET", "/api/v1/apps"))
    found = [a for a in apps if (a.get("credentials", {}).get("oauthClient") or {}).get("client_id") == "fixture-spa"]
    assert len(found) == 1, [(a["label"], a.get("credentials")) for a in apps]
    a = found[0]
    assert a["label"] == "Fixture SPA" and a["signOnMode"] == "OPENID_CONNECT" and a["status"] == "ACTIVE", a
    assert a["settings"]["oauthClient"]["application_type"] == "browser"
    assert a["settings"]["oauthClient"]["redirect_uris"] == ["http://localhost:5173/cb"]
    _, challenge = pkce_pair()
    r = s.get(authorize_url(s, {"client_id": "fixture-spa", "response_type": "code", "scope": "openid",
                                "redirect_uri": "http://localhost:5173/cb", "state": "st", "nonce": "nn",
                                "code_challenge": challenge, "code_challenge_method": "S256",
                                "login_hint": "ann@example.com"}))
    assert r.status_code == 302 and r.headers["Location"].startswith("http://localhost:5173/cb"), (r.status_code, r.text[:300])


def test_spa_from_a_trusted_origin_end_to_end(spawn, tmp_path) -> None:
    """What okta-auth-js does in a browser, header for header: a public `browser` client (fixture) served
    from a trusted origin signs in with PKCE, then the preflight (BROWSER_PREFLIGHT) and the token POST with
    `client_id` + `code_verifier` in the form, `X-Okta-User-Agent-Extended` and `Origin`; every answer the
    script reads carries Access-Control-Allow-Origin (OAS-OAUTH tokenOptions; okta/okta-developer-docs
    guides/enable-cors).  The same POST from another origin is refused (OEC not_trusted_origin_browser_request)."""
    spa = "http://localhost:5173"
    s = _scenario_server(spawn, tmp_path, {
        "trustedOrigins": [{"origin": spa}],
        "apps": [{"label": "SPA", "type": "browser", "clientId": "spa-client", "redirectUris": [f"{spa}/login/callback"],
                  "assignUsers": ["ann@example.com"], "grants": {"default": ["openid", "profile", "offline_access"]}}],
    }, "spa")
    verifier, challenge = pkce_pair()
    r = s.get(authorize_url(s, {"client_id": "spa-client", "response_type": "code", "scope": "openid profile",
                                "redirect_uri": f"{spa}/login/callback", "state": "st", "nonce": "nn",
                                "code_challenge": challenge, "code_challenge_method": "S256",
                                "login_hint": "ann@example.com"}))
    q = redirect_params(r, f"{spa}/login/callback")
    assert "code" in q, q
    pre = preflight(s, spa)
    assert pre.status_code == 204 and pre.headers.get("Access-Control-Allow-Origin") == spa, dict(pre.headers)
    form = {"client_id": "spa-client", "redirect_uri": f"{spa}/login/callback", "grant_type": "authorization_code",
            "code_verifier": verifier, "code": q["code"]}
    browser = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded",
               "X-Okta-User-Agent-Extended": "okta-auth-js/7.8.1", "Origin": spa, "Referer": spa + "/"}
    tok = s.post("/oauth2/default/v1/token", data=form, headers=browser)
    assert tok.status_code == 200 and tok.json()["id_token"], tok.text
    assert tok.headers.get("Access-Control-Allow-Origin") == spa, dict(tok.headers)
    keys = s.get("/oauth2/default/v1/keys", headers={"Origin": spa})
    assert keys.headers.get("Access-Control-Allow-Origin") == spa
    ui = s.get("/oauth2/default/v1/userinfo", headers={"Origin": spa, "Authorization": f"Bearer {tok.json()['access_token']}"})
    assert ui.status_code == 200 and ui.headers.get("Access-Control-Allow-Origin") == spa, ui.text
    evil = s.post("/oauth2/default/v1/token", data=form, headers={**browser, "Origin": "http://evil.example"})
    assert oauth_error(evil, 400, "invalid_request")["error_description"].startswith("Browser requests to the token endpoint")


# --------------------------------------------------------------------------------------------
# E. User schema and profile validation
# --------------------------------------------------------------------------------------------


def test_user_schema_default(srv: MockOkta) -> None:
    """GET /api/v1/meta/schemas/user/default: member order, name "user", title "User", base required
    [login, firstName, lastName, email] each `required: true` and type string, empty custom properties:
    okta/okta-sdk-python tests/integration/cassettes/test_user_schema_it/
    TestUserSchemaResource.test_get_user_schema.yaml (CAS, live 2021)."""
    s = ok(api(srv, "GET", "/api/v1/meta/schemas/user/default"))
    assert list(s) == SCHEMA_MEMBERS, list(s)
    assert (s["name"], s["title"], s["type"]) == ("user", "User", "object"), s
    assert s["$schema"] == "http://json-schema.org/draft-04/schema#"
    base = s["definitions"]["base"]
    assert base["required"] == ["login", "firstName", "lastName", "email"], base["required"]
    for f in ("login", "firstName", "lastName", "email"):
        assert base["properties"][f]["required"] is True and base["properties"][f]["type"] == "string", (f, base["properties"][f])
    assert "required" not in base["properties"].get("mobilePhone", {}), "optional properties carry no `required`"
    assert s["definitions"]["custom"]["properties"] == {}, s["definitions"]["custom"]
    assert s["properties"]["profile"]["allOf"] == [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]


def test_replace_user_without_required_attributes_is_400(srv: MockOkta) -> None:
    """A PUT profile lacking firstName/lastName/email breaks the base schema (required, CAS
    test_user_schema_it/…test_get_user_schema.yaml): 400 E0000001 naming the first failing field, one
    '<field>: The field cannot be left blank' cause per field (the live response quoted in
    rapid7/insightconnect-plugins plugins/okta/komand_okta/actions/create_user/action.py).  The user is
    unchanged."""
    bob = user_id(srv, "bob@example.com")
    before = ok(api(srv, "GET", f"/api/v1/users/{bob}"))
    err = okta_error(api(srv, "PUT", f"/api/v1/users/{bob}", {"profile": {"login": "bob@example.com", "nickName": "bobby2"}}),
                     400, "E0000001", "Api validation failed: firstName")
    c = causes(err)
    for f in ("firstName", "lastName", "email"):
        assert f"{f}: The field cannot be left blank" in c, c
    after = ok(api(srv, "GET", f"/api/v1/users/{bob}"))
    assert after["profile"] == before["profile"], (before["profile"], after["profile"])
    assert (after["profile"]["firstName"], after["profile"]["lastName"]) == ("Bob", "Builder")


def test_partial_update_validation(srv: MockOkta) -> None:
    """POST /users/{id} with an empty or non-string firstName: 400 E0000001 on firstName (base schema
    type string, minLength 1: okta/okta-sdk-python tests/integration/cassettes/test_user_schema_it/
    TestUserSchemaResource.test_get_user_schema.yaml, CAS).  The user is unchanged."""
    carol = user_id(srv, "carol@example.com")
    err = okta_error(api(srv, "POST", f"/api/v1/users/{carol}", {"profile": {"firstName": ""}}), 400, "E0000001")
    assert "firstName: The field cannot be left blank" in causes(err), err
    okta_error(api(srv, "POST", f"/api/v1/users/{carol}", {"profile": {"firstName": 5}}), 400, "E0000001",
               "Api validation failed: firstName")
    assert ok(api(srv, "GET", f"/api/v1/users/{carol}"))["profile"]["firstName"] == "Carol"


# --------------------------------------------------------------------------------------------
# F. Small differences
# --------------------------------------------------------------------------------------------


def test_api_v1_cache_headers(srv: MockOkta) -> None:
    """Every /api/v1 response (200, 204, 4xx) has Cache-Control 'no-cache, no-store', Pragma 'no-cache',
    Expires '0': okta/okta-sdk-python tests/integration/cassettes/** (CAS, every recording)."""
    ann = user_id(srv, "ann@example.com")
    g = ok(api(srv, "POST", "/api/v1/groups", {"profile": {"name": "Fid-" + uuid.uuid4().hex[:6], "description": "d"}}))
    responses = [
        api(srv, "GET", "/api/v1/users"), api(srv, "GET", f"/api/v1/users/{ann}"), api(srv, "GET", "/api/v1/apps"),
        api(srv, "GET", "/api/v1/groups"), api(srv, "GET", "/api/v1/logs", params={"limit": 1}),
        api(srv, "GET", "/api/v1/trustedOrigins"), api(srv, "GET", "/api/v1/meta/schemas/user/default"),
        api(srv, "DELETE", f"/api/v1/groups/{g['id']}"), api(srv, "GET", "/api/v1/users/00uDoesNotExist000000"),
        api(srv, "GET", "/api/v1/users", token="00NotARealApiToken000000000000000000000000"),
    ]
    assert [r.status_code for r in responses] == [200] * 7 + [204, 404, 401], [r.status_code for r in responses]
    for r in responses:
        h = r.headers
        assert (h.get("Cache-Control"), h.get("Pragma"), h.get("Expires")) == ("no-cache, no-store", "no-cache", "0"), \
            f"{r.request.method} {r.url} -> {r.status_code}: {dict(h)}"


def test_user_timestamps_and_links_by_status(srv: MockOkta) -> None:
    """Runtime timestamps are whole seconds; no transitioningToStatus; `_links` by status (ACTIVE:
    suspend, resetPassword, expirePassword, deactivate, self, type, schema; STAGED: activate; SUSPENDED:
    unsuspend, deactivate; actions carry "method":"POST"); list items carry only `self`:
    okta/okta-sdk-python tests/integration/cassettes/test_users_it/
    TestUsersResource.test_comprehensive_user_lifecycle.yaml and test_applications_it/
    …test_app_remove_assigned_user.yaml (CAS)."""
    u = create_user(srv, "links")
    uid = u["id"]
    whole_seconds(u["created"], u["lastUpdated"],
                  *[u[k] for k in ("activated", "statusChanged", "passwordChanged") if u.get(k) is not None])
    got = ok(api(srv, "GET", f"/api/v1/users/{uid}"))
    assert "transitioningToStatus" not in got and "transitioningToStatus" not in u, got
    links = got["_links"]
    assert {"suspend", "resetPassword", "expirePassword", "self", "type", "schema", "deactivate"} <= set(links), list(links)
    assert not {"activate", "unsuspend"} & set(links), list(links)
    for name in ("suspend", "resetPassword", "expirePassword", "deactivate"):
        assert links[name].get("method") == "POST" and links[name]["href"].startswith(f"{srv.url}/api/v1/users/{uid}/"), links[name]
    assert links["self"]["href"] == f"{srv.url}/api/v1/users/{uid}"
    assert "/api/v1/meta/schemas/user/" in links["schema"]["href"] and "/api/v1/meta/types/user/" in links["type"]["href"]

    staged = create_user(srv, "staged", activate=False)
    sl = ok(api(srv, "GET", f"/api/v1/users/{staged['id']}"))["_links"]
    assert staged["status"] == "STAGED" and {"activate", "self", "type", "schema"} <= set(sl), list(sl)
    assert sl["activate"].get("method") == "POST" and not {"suspend", "unsuspend"} & set(sl), sl

    assert ok(api(srv, "POST", f"/api/v1/users/{uid}/lifecycle/suspend")) == {}
    su = ok(api(srv, "GET", f"/api/v1/users/{uid}"))
    assert su["status"] == "SUSPENDED" and {"unsuspend", "deactivate", "self"} <= set(su["_links"]), list(su["_links"])
    assert su["_links"]["unsuspend"].get("method") == "POST" and "suspend" not in su["_links"]

    for item in ok(api(srv, "GET", "/api/v1/users")):
        assert list(item["_links"]) == ["self"], item["_links"]
        assert "transitioningToStatus" not in item


def test_login_shortname(srv: MockOkta) -> None:
    """GET /api/v1/users/ann finds ann@example.com ("id, login, or login shortname (if unambiguous)":
    okta/okta-management-openapi-spec dist/current/management-oneOfInheritance.yaml parameter pathId, OAS-MGMT)."""
    u = ok(api(srv, "GET", "/api/v1/users/ann"))
    assert u["profile"]["login"] == "ann@example.com" and u["id"] == user_id(srv, "ann@example.com")


def test_expire_password_temp_and_full(srv: MockOkta) -> None:
    """expire_password?tempPassword=true answers only {"tempPassword": …}; without it the full User in
    PASSWORD_EXPIRED: okta/okta-sdk-python tests/integration/cassettes/test_users_it/
    TestUsersResource.test_expire_password_get_temporary.yaml and …test_expire_password.yaml (CAS).  Event user.account.expire_password:
    okta/okta-developer-docs packages/@okta/vuepress-site/data/event-types.json 2026.08.1 (ET)."""
    a, b = create_user(srv, "exp1"), create_user(srv, "exp2")
    t = ok(api(srv, "POST", f"/api/v1/users/{a['id']}/lifecycle/expire_password", params={"tempPassword": "true"}))
    assert list(t) == ["tempPassword"] and isinstance(t["tempPassword"], str) and t["tempPassword"], t
    full = ok(api(srv, "POST", f"/api/v1/users/{b['id']}/lifecycle/expire_password"))
    assert full["id"] == b["id"] and full["status"] == "PASSWORD_EXPIRED" and "profile" in full, full
    assert ok(api(srv, "GET", f"/api/v1/users/{a['id']}"))["status"] == "PASSWORD_EXPIRED"
    for uid in (a["id"], b["id"]):
        assert events_of(srv, "user.account.expire_password", uid), f"no user.account.expire_password for {uid}"


def test_app_user_created_is_assignment_time(srv: MockOkta) -> None:
    """AppUser.created is when the user was assigned, not when the app was made: okta/okta-sdk-python
    tests/integration/cassettes/test_applications_it/TestApplicationsResource.test_assign_user_app.yaml
    (CAS).  The web app was created a month before the server started."""
    web = srv.creds["webClientId"]
    carol = user_id(srv, "carol@example.com")
    app = ok(api(srv, "GET", f"/api/v1/apps/{web}"))
    au = ok(api(srv, "POST", f"/api/v1/apps/{web}/users", {"id": carol, "scope": "USER",
                                                           "credentials": {"userName": "carol@example.com"}}))
    now = datetime.now(timezone.utc)
    assert abs(parse_ts(au["created"]) - now) < timedelta(minutes=5), (au["created"], now)
    assert parse_ts(app["created"]) < now - timedelta(days=1), app["created"]


def test_group_apps_and_default_limits_in_self_links(srv: MockOkta) -> None:
    """GET /groups/{id}/apps serves the group's apps (the group object's `apps` link); self links carry
    the default limit (groups/{id}/users limit=1000, apps limit=20) and /users/{id}/groups,
    /apps/{id}/groups and /authorizationServers send a Link: okta/okta-sdk-python tests/integration/
    cassettes/test_groups_it/TestGroupsResource.test_group_assigned_applications.yaml (#3, Link
    …/apps?limit=20 self), …test_remove_group.yaml (…/users?limit=1000 self),
    test_users_it/TestUsersResource.test_list_user_groups.yaml and
    test_auth_server_it/TestAuthorizationServerResource.test_list_auth_servers.yaml (CAS)."""
    eng = group_id(srv, "Engineering")
    ann = user_id(srv, "ann@example.com")
    web = srv.creds["webClientId"]
    r = api(srv, "GET", f"/api/v1/groups/{eng}/apps")
    apps = ok(r)
    assert "Mock Web App" in {a["label"] for a in apps} and web in {a["id"] for a in apps}, [a["label"] for a in apps]
    assert all(a["signOnMode"] for a in apps)
    assert 'rel="self"' in r.headers.get("Link", "") and "limit=20" in r.headers["Link"], r.headers.get("Link")

    r = api(srv, "GET", f"/api/v1/groups/{eng}/users")
    ok(r)
    link = r.headers.get("Link", "")
    assert re.search(r'<[^>]*limit=1000[^>]*>; rel="self"', link), link
    r = api(srv, "GET", "/api/v1/apps")
    ok(r)
    assert re.search(r'<[^>]*limit=20[^>]*>; rel="self"', r.headers.get("Link", "")), r.headers.get("Link")
    for path in (f"/api/v1/users/{ann}/groups", f"/api/v1/apps/{web}/groups", "/api/v1/authorizationServers"):
        r = api(srv, "GET", path)
        ok(r)
        assert 'rel="self"' in r.headers.get("Link", ""), (path, r.headers.get("Link"))


def test_default_authorization_server_has_aus_id(srv: MockOkta) -> None:
    """The `default` server is listed with an `aus…` id and name "default"; `default` works as an alias
    for it on /api/v1 and /oauth2, and the issuer keeps the alias: okta/okta-sdk-python tests/integration/
    cassettes/test_auth_server_it/TestAuthorizationServerResource.test_list_auth_servers.yaml (CAS) and
    okta/okta-management-openapi-spec dist/current/oauth-oneOfInheritance.yaml (OAS-OAUTH)."""
    servers = ok(api(srv, "GET", "/api/v1/authorizationServers"))
    d = [s for s in servers if s["name"] == "default"]
    assert len(d) == 1, [(s["id"], s["name"]) for s in servers]
    aus = d[0]["id"]
    assert aus.startswith("aus"), aus
    by_alias = ok(api(srv, "GET", "/api/v1/authorizationServers/default"))
    by_id = ok(api(srv, "GET", f"/api/v1/authorizationServers/{aus}"))
    assert by_alias == by_id and by_id["id"] == aus, (by_alias, by_id)
    assert by_id["issuer"] == srv.default_issuer == f"{srv.url}/oauth2/default"
    k1, k2 = srv.get("/oauth2/default/v1/keys"), srv.get(f"/oauth2/{aus}/v1/keys")
    assert k1.status_code == k2.status_code == 200 and k1.json() == k2.json() and k1.json()["keys"], (k1.text, k2.text)
    tok = service_token(srv).json()["access_token"]
    assert unverified(tok)[1]["iss"] == srv.default_issuer


def test_discovery_scopes_and_par_endpoint(srv: MockOkta) -> None:
    """Org discovery scopes_supported has no `okta.*` scopes, and both discovery documents advertise
    pushed_authorization_request_endpoint: okta/okta-management-openapi-spec
    dist/current/oauth-oneOfInheritance.yaml examples OrgASOidcMetadata / CustomASOidcMetadata (OAS-OAUTH)."""
    org = ok(srv.get("/.well-known/openid-configuration"))
    assert not [s for s in org["scopes_supported"] if s.startswith("okta.")], org["scopes_supported"]
    assert {"openid", "profile", "email", "offline_access"} <= set(org["scopes_supported"])
    assert org["pushed_authorization_request_endpoint"] == f"{srv.url}/oauth2/v1/par", org
    d = ok(srv.get("/oauth2/default/.well-known/openid-configuration"))
    assert d["pushed_authorization_request_endpoint"] == f"{srv.url}/oauth2/default/v1/par", d


def test_par_then_authorize_with_request_uri(srv: MockOkta) -> None:
    """POST /oauth2/default/v1/par → 200 {"request_uri":"urn:okta:…","expires_in":…}, and /authorize with
    that request_uri acts on the pushed parameters (state, PKCE, nonce): okta/okta-management-openapi-spec
    dist/current/oauth-oneOfInheritance.yaml parCustomAS (OAS-OAUTH)."""
    c = srv.creds
    verifier, challenge = pkce_pair()
    state, nonce = uuid.uuid4().hex, uuid.uuid4().hex
    pushed = {"response_type": "code", "client_id": c["webClientId"], "redirect_uri": c["webRedirectUri"],
              "scope": "openid profile", "state": state, "nonce": nonce, "code_challenge": challenge,
              "code_challenge_method": "S256", "login_hint": c["user"]["login"]}
    r = srv.post("/oauth2/default/v1/par", data=pushed, auth=web_basic(srv))
    par = ok(r)
    assert par["request_uri"].startswith("urn:okta:") and isinstance(par["expires_in"], int) and par["expires_in"] > 0, par
    q = redirect_params(srv.get(authorize_url(srv, {"client_id": c["webClientId"], "request_uri": par["request_uri"],
                                                    "login_hint": c["user"]["login"]})), c["webRedirectUri"])
    assert q.get("state") == state and q.get("code"), q
    t = token_request(srv, {"grant_type": "authorization_code", "code": q["code"], "redirect_uri": c["webRedirectUri"],
                            "code_verifier": verifier}, auth=web_basic(srv))
    assert t.status_code == 200, t.text
    claims = unverified(t.json()["id_token"])[1]
    assert claims["nonce"] == nonce and claims["iss"] == srv.default_issuer, claims


def test_implicit_flow_errors_in_fragment(srv: MockOkta) -> None:
    """For response_type token / id_token token the default response_mode is fragment, so errors come
    back in the fragment: okta/okta-management-openapi-spec dist/current/oauth-oneOfInheritance.yaml
    authorizeCustomAS response_mode "Defaults to fragment in implicit and hybrid flows" (OAS-OAUTH)."""
    c = srv.creds
    for rt in ("token", "id_token token"):
        r = srv.get(authorize_url(srv, {"client_id": c["webClientId"], "response_type": rt, "scope": "openid",
                                        "redirect_uri": c["webRedirectUri"], "state": "st8", "nonce": "n8",
                                        "login_hint": c["user"]["login"]}))
        assert r.status_code == 302, (rt, r.status_code, r.text[:300])
        parts = urllib.parse.urlsplit(r.headers["Location"])
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == c["webRedirectUri"], r.headers["Location"]
        frag = dict(urllib.parse.parse_qsl(parts.fragment))
        assert frag.get("error") and frag.get("state") == "st8", (rt, r.headers["Location"])
        assert "error" not in dict(urllib.parse.parse_qsl(parts.query)), (rt, r.headers["Location"])


def test_discovery_with_unknown_client_id(srv: MockOkta) -> None:
    """Discovery ?client_id=bogus → 400 in the Okta error format, "Invalid value for 'client_id'
    parameter.": okta/okta-developer-docs packages/@okta/vuepress-site/data/oauth2-error-codes.json
    invalid_client_id (OEC text) and okta/okta-management-openapi-spec dist/current/oauth-oneOfInheritance.yaml
    (OAS-OAUTH status 400)."""
    for path in ("/.well-known/openid-configuration", "/oauth2/default/.well-known/openid-configuration"):
        r = srv.get(path, params={"client_id": "bogus"})
        assert r.status_code == 400, (path, r.status_code, r.text[:300])
        assert r.json().get("errorSummary") == "Invalid value for 'client_id' parameter.", r.text
        assert srv.get(path, params={"client_id": srv.creds["webClientId"]}).status_code == 200


def test_token_client_credential_errors(srv: MockOkta) -> None:
    """Credentials in both the Basic header and the form: 400 invalid_request "Cannot supply multiple
    client credentials. …"; none at all: 401 invalid_client "No client credentials found.":
    okta/okta-developer-docs packages/@okta/vuepress-site/data/oauth2-error-codes.json
    multiple_client_credentials / missing_client_credentials (OEC texts; status 400 from OAS-OAUTH)."""
    cid, secret = service_basic(srv)
    body = oauth_error(token_request(srv, {"grant_type": "client_credentials", "scope": "api.read", "client_id": cid,
                                           "client_secret": secret}, auth=(cid, secret)), 400, "invalid_request")
    assert body["error_description"].startswith("Cannot supply multiple client credentials."), body
    body = oauth_error(token_request(srv, {"grant_type": "client_credentials", "scope": "api.read"}), 401, "invalid_client")
    assert body["error_description"] == "No client credentials found.", body


# --------------------------------------------------------------------------------------------
# G. Bearer errors on /api/v1
# --------------------------------------------------------------------------------------------


def test_bad_bearer_on_api_is_401_with_empty_body(srv: MockOkta) -> None:
    """An expired or garbage Bearer token on /api/v1 is 401 with an EMPTY body and WWW-Authenticate
    Bearer … error="invalid_token": okta/okta-sdk-java issue 879 (ISSUES).  A valid one is 200."""
    good = mint(srv, server="org", clientId=srv.creds["serviceClientId"], scopes=["okta.users.read"], lifetimeSeconds=600)
    r = srv.get("/api/v1/users", headers={"Authorization": f"Bearer {good['token']}", "Accept": "application/json"})
    assert r.status_code == 200 and r.json(), r.text[:300]
    expired = mint(srv, server="org", clientId=srv.creds["serviceClientId"], scopes=["okta.users.read"], lifetimeSeconds=-600)
    for tok in (expired["token"], "garbage.not.ajwt", "xyz"):
        r = srv.get("/api/v1/users", headers={"Authorization": f"Bearer {tok}", "Accept": "application/json"})
        assert r.status_code == 401, (tok[:20], r.status_code, r.text[:300])
        assert r.content == b"", f"401 body must be empty, got {r.text[:300]!r}"
        www = r.headers.get("WWW-Authenticate", "")
        assert www.startswith("Bearer") and 'error="invalid_token"' in www, www


def test_bearer_error_body_json_knob(spawn, tmp_path) -> None:
    """Scenario `tenant.bearerErrorBody: "json"` keeps the older JSON E0000011 body on a bad Bearer token
    (a mock-okta knob; the default follows okta/okta-sdk-java issue 879)."""
    s = _scenario_server(spawn, tmp_path, {"bearerErrorBody": "json"}, "bearerjson")
    r = s.get("/api/v1/users", headers={"Authorization": "Bearer garbage.not.ajwt", "Accept": "application/json"})
    assert r.status_code == 401 and r.content, (r.status_code, r.text)
    assert r.json()["errorCode"] == "E0000011", r.text


# --------------------------------------------------------------------------------------------
# H. System Log event types
# --------------------------------------------------------------------------------------------


def _hint_lines(srv: MockOkta) -> list[str]:
    try:
        text = srv.stderr_path.read_text(errors="replace")
    except OSError:
        return []
    return [ln for ln in text.splitlines() if "api.token.invalid" in ln]


def test_bad_ssws_writes_only_a_mock_only_event_and_legacy_filter_hint(srv: MockOkta) -> None:
    """Okta's catalogue has no event for a request with a bad API token (okta/okta-developer-docs
    packages/@okta/vuepress-site/data/event-types.json 2026.08.1, ET), and api.token.invalid is in neither
    ET nor ET-OLD.  The mock writes only its documented mock-only system.operation.request_denied (marked
    debugData.mockOnly, no legacyEventType).  Filtering on api.token.invalid answers [] and the server prints
    one hint line to stderr."""
    r = api(srv, "GET", "/api/v1/users", token="00NotARealApiToken000000000000000000000000")
    okta_error(r, 401, "E0000011", "Invalid token provided")
    rid = request_id(r)
    mine = [e for e in logs(srv) if ((e.get("debugContext") or {}).get("debugData") or {}).get("requestId") == rid]
    assert [e["eventType"] for e in mine] == ["system.operation.request_denied"], json.dumps(mine)[:1500]
    assert mine[0]["debugContext"]["debugData"]["mockOnly"] is True and mine[0]["legacyEventType"] is None, mine[0]
    assert mine[0]["outcome"]["result"] == "FAILURE" and mine[0]["outcome"]["reason"] == "Unknown API token", mine[0]
    assert logs(srv, filter='eventType eq "system.api_token.invalid_token"') == []

    before = len(_hint_lines(srv))
    assert ok(api(srv, "GET", "/api/v1/logs", params={"filter": 'eventType eq "api.token.invalid"'})) == []
    deadline = time.monotonic() + 3
    while len(_hint_lines(srv)) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert len(_hint_lines(srv)) - before == 1, f"expected one stderr hint about api.token.invalid:\n{srv.stderr_tail()}"


def test_legacy_event_type_filter_finds_failed_sign_in(srv: MockOkta) -> None:
    """filter=legacyEventType eq "core.user_auth.login_failed" finds a failed sign-in (user.session.start
    FAILURE; V1 mapping from okta/okta-developer-docs packages/@okta/vuepress-site/data/event-types.json
    @ b5850310, ET-OLD)."""
    c = srv.creds
    r = token_request(srv, {"grant_type": "password", "username": c["user"]["login"], "password": "wrong-password",
                            "scope": "openid"}, auth=web_basic(srv))
    oauth_error(r, 400, "invalid_grant")
    rid = request_id(r)
    evs = logs(srv, filter='legacyEventType eq "core.user_auth.login_failed"')
    assert evs and all(e["legacyEventType"] == "core.user_auth.login_failed" for e in evs), evs
    mine = [e for e in evs if e["debugContext"]["debugData"].get("requestId") == rid]
    assert len(mine) == 1, evs
    assert mine[0]["eventType"] == "user.session.start" and mine[0]["outcome"]["result"] == "FAILURE", mine[0]
    assert mine[0]["eventType"] in catalogue()


def test_account_action_event_types(spawn, tmp_path) -> None:
    """expire_password → user.account.expire_password; an admin unlock → user.account.unlock_by_admin
    (user.account.unlock is the AUTO-unlock); DELETE /users/{id}/sessions → user.session.clear:
    okta/okta-developer-docs packages/@okta/vuepress-site/data/event-types.json 2026.08.1 (ET)."""
    s = _scenario_server(spawn, tmp_path, {"users": [{"login": "locked@example.com", "status": "LOCKED_OUT"}]}, "locked")
    locked = user_id(s, "locked@example.com")
    ann = user_id(s, "ann@example.com")
    bob = user_id(s, "bob@example.com")
    ok(api(s, "POST", f"/api/v1/users/{locked}/lifecycle/unlock"))
    assert ok(api(s, "GET", f"/api/v1/users/{locked}"))["status"] == "ACTIVE"
    r = api(s, "DELETE", f"/api/v1/users/{ann}/sessions")
    assert r.status_code == 204, r.text
    ok(api(s, "POST", f"/api/v1/users/{bob}/lifecycle/expire_password"))
    for event_type, uid in (("user.account.unlock_by_admin", locked), ("user.session.clear", ann),
                            ("user.account.expire_password", bob)):
        evs = events_of(s, event_type, uid)
        assert len(evs) == 1 and evs[0]["outcome"]["result"] == "SUCCESS", (event_type, evs)
    assert events_of(s, "user.account.unlock", locked) == []


def test_every_event_type_is_in_the_catalogue(spawn, tmp_path) -> None:
    """A busy session (users, groups, apps, trusted origins, tokens, revokes, lifecycle, denials, a key
    rotation, an injected 429) writes only event types from okta/okta-developer-docs
    packages/@okta/vuepress-site/data/event-types.json 2026.08.1 (ET, committed as
    Tests/data/okta-event-types.txt), except the documented mock-only system.operation.fault_injected and
    system.operation.request_denied."""
    known = catalogue()
    s = _scenario_server(spawn, tmp_path, {"users": [{"login": "locked@example.com", "status": "LOCKED_OUT"}]}, "busy")
    c = s.creds
    # users
    u = create_user(s, "busy")
    uid = u["id"]
    ok(api(s, "POST", f"/api/v1/users/{uid}", {"profile": {"nickName": "busy"}}))
    ok(api(s, "PUT", f"/api/v1/users/{uid}", {"profile": {**u["profile"], "lastName": "Replaced"}}))
    for op in ("suspend", "unsuspend", "reset_factors"):
        ok(api(s, "POST", f"/api/v1/users/{uid}/lifecycle/{op}"))
    ok(api(s, "POST", f"/api/v1/users/{create_user(s, 'busy-exp')['id']}/lifecycle/expire_password"))
    ok(api(s, "POST", f"/api/v1/users/{create_user(s, 'busy-tmp')['id']}/lifecycle/expire_password",
           params={"tempPassword": "true"}))
    assert api(s, "DELETE", f"/api/v1/users/{uid}/sessions").status_code == 204
    ok(api(s, "POST", f"/api/v1/users/{user_id(s, 'locked@example.com')}/lifecycle/unlock"))
    staged = create_user(s, "busy-staged", activate=False, password=False)
    ok(api(s, "POST", f"/api/v1/users/{staged['id']}/lifecycle/activate", params={"sendEmail": "false"}))
    # groups
    g = ok(api(s, "POST", "/api/v1/groups", {"profile": {"name": "Busy-" + uuid.uuid4().hex[:6], "description": "d"}}))
    ok(api(s, "PUT", f"/api/v1/groups/{g['id']}", {"profile": {"name": g["profile"]["name"] + "-2", "description": "e"}}))
    assert api(s, "PUT", f"/api/v1/groups/{g['id']}/users/{uid}").status_code == 204
    assert api(s, "DELETE", f"/api/v1/groups/{g['id']}/users/{uid}").status_code == 204
    # apps and assignments
    a = create_app(s, oidc_web_body("Busy App"))
    ok(api(s, "PUT", f"/api/v1/apps/{a['id']}", {**a, "label": "Busy App 2"}))
    ok(api(s, "POST", f"/api/v1/apps/{a['id']}/users", {"id": uid, "scope": "USER"}))
    assert api(s, "DELETE", f"/api/v1/apps/{a['id']}/users/{uid}").status_code == 204
    ok(api(s, "PUT", f"/api/v1/apps/{a['id']}/groups/{g['id']}", {}))
    assert api(s, "DELETE", f"/api/v1/apps/{a['id']}/groups/{g['id']}").status_code == 204
    ok(api(s, "POST", f"/api/v1/apps/{a['id']}/lifecycle/deactivate"))
    ok(api(s, "POST", f"/api/v1/apps/{a['id']}/lifecycle/activate"))
    ok(api(s, "POST", f"/api/v1/apps/{a['id']}/lifecycle/deactivate"))
    assert api(s, "DELETE", f"/api/v1/apps/{a['id']}").status_code == 204
    create_app(s, BOOKMARK_BODY)
    create_app(s, SAML_BODY)
    # trusted origins
    o = ok(api(s, "POST", "/api/v1/trustedOrigins", {"name": "Busy", "origin": "http://busy.example",
                                                     "scopes": [{"type": "CORS"}]}))
    ok(api(s, "PUT", f"/api/v1/trustedOrigins/{o['id']}", {"name": "Busy 2", "origin": "http://busy.example",
                                                          "scopes": [{"type": "CORS"}]}))
    ok(api(s, "POST", f"/api/v1/trustedOrigins/{o['id']}/lifecycle/deactivate"))
    ok(api(s, "POST", f"/api/v1/trustedOrigins/{o['id']}/lifecycle/activate"))
    assert api(s, "DELETE", f"/api/v1/trustedOrigins/{o['id']}").status_code == 204
    # tokens: client credentials, code + refresh, password (good and bad), introspect, revoke, errors
    assert service_token(s).status_code == 200
    tokens = code_flow(s)
    refreshed = token_request(s, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                              auth=web_basic(s))
    assert refreshed.status_code == 200, refreshed.text
    assert token_request(s, {"grant_type": "password", "username": c["user"]["login"], "password": c["user"]["password"],
                             "scope": "openid"}, auth=web_basic(s)).status_code == 200
    assert token_request(s, {"grant_type": "password", "username": c["user"]["login"], "password": "nope",
                             "scope": "openid"}, auth=web_basic(s)).status_code == 400
    assert s.post("/oauth2/default/v1/introspect", auth=web_basic(s), data={"token": tokens["access_token"]}).status_code == 200
    for t in (tokens["access_token"], refreshed.json()["refresh_token"]):
        assert s.post("/oauth2/default/v1/revoke", auth=web_basic(s), data={"token": t}).status_code == 200
    assert token_request(s, {"grant_type": "client_credentials", "scope": "api.read"},
                         auth=(c["serviceClientId"], "wrong")).status_code == 401
    _, challenge = pkce_pair()
    denied = redirect_params(s.get(authorize_url(s, {
        "client_id": c["webClientId"], "response_type": "code", "scope": "openid", "redirect_uri": c["webRedirectUri"],
        "state": "st", "code_challenge": challenge, "code_challenge_method": "S256",
        "login_hint": c["unassignedUser"]["login"]})), c["webRedirectUri"])
    assert denied.get("error") == "access_denied", denied
    # denials on /api/v1
    assert api(s, "GET", "/api/v1/users", token="00NotARealApiToken000000000000000000000000").status_code == 401
    assert api(s, "POST", "/api/v1/groups", {"profile": {"name": "ro"}}, token=c["readOnlyApiToken"]).status_code == 403
    assert s.get("/api/v1/users", headers={"Accept": "application/json"}).status_code == 403
    assert s.get("/api/v1/users", headers={"Authorization": "Bearer garbage"}).status_code == 401
    ro = mint(s, server="org", clientId=c["serviceClientId"], scopes=["okta.users.read"], lifetimeSeconds=600)["token"]
    assert s.post("/api/v1/groups", headers={"Authorization": f"Bearer {ro}", "Content-Type": "application/json"},
                  data=json.dumps({"profile": {"name": "x"}})).status_code == 403
    # control actions: key rotation, revoked read-only token, an injected 429 (fault_injected is mock-only)
    for act in ({"type": "rotateSigningKey"}, {"type": "revokeApiToken", "token": "readOnly"}):
        rr = s.control("POST", "/__mock/actions", json=act)
        assert rr.status_code == 200, (act, rr.text)
    ok(api(s, "POST", f"/api/v1/users/{uid}/lifecycle/reset_password", params={"sendEmail": "false"}))
    assert api(s, "DELETE", f"/api/v1/groups/{g['id']}").status_code == 204
    assert api(s, "DELETE", f"/api/v1/users/{uid}").status_code == 204  # deactivates
    assert api(s, "DELETE", f"/api/v1/users/{uid}").status_code == 204  # deletes
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    events = logs(s, since=since)
    # last, as loading a scenario may reset the tenant: an injected 429 (fault_injected is mock-only)
    load_rule(s, {"type": "rateLimit", "resetAfterSeconds": 1}, match={"method": "GET", "path": "/api/v1/groups"},
              when={"nth": [1]})
    assert api(s, "GET", "/api/v1/groups").status_code == 429
    events += logs(s, since=since)

    assert 50 <= len(events) < 2000, len(events)
    seen = {e["eventType"] for e in events}
    unknown = sorted(seen - known - MOCK_ONLY_EVENTS)
    assert not unknown, f"event types not in the Okta catalogue: {unknown}"
    expected = {
        "user.lifecycle.create", "user.account.expire_password", "user.account.unlock_by_admin", "user.session.clear",
        "group.lifecycle.create", "group.lifecycle.delete", "group.user_membership.add", "group.user_membership.remove",
        "application.lifecycle.create", "application.lifecycle.update", "application.lifecycle.activate",
        "application.lifecycle.deactivate", "application.lifecycle.delete", "application.user_membership.add",
        "application.user_membership.remove", "security.trusted_origin.create", "security.trusted_origin.update",
        "security.trusted_origin.activate", "security.trusted_origin.deactivate", "security.trusted_origin.delete",
        "user.session.start",
    }
    assert expected <= seen, f"missing from the busy session: {sorted(expected - seen)}"
