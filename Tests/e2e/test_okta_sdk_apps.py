"""The official okta Python SDK 3.4.6 against the app write API, trusted origins and the user schema.

Driven the way test_okta_sdk_management.py drives the SDK: the async API, calls return
``(data, resp, err)``, SSWS token, the https check disabled for the plain-HTTP server
(``OKTA_TESTING_TESTINGDISABLEHTTPSCHECK``).  SDK 3.4.6 names checked against the installed package:
ApplicationApi ``create_application`` / ``get_application`` / ``list_applications`` /
``replace_application`` / ``deactivate_application`` / ``delete_application``; TrustedOriginApi
``list_trusted_origins`` / ``create_trusted_origin`` (a ``TrustedOriginWrite``) / ``get_trusted_origin`` /
``replace_trusted_origin`` (a ``TrustedOrigin``) / ``deactivate_trusted_origin`` / ``activate_trusted_origin`` /
``delete_trusted_origin``; SchemaApi ``get_user_schema("default")``.  The request bodies the SDK builds
are the ones its own integration tests sent to live orgs (okta/okta-sdk-python
tests/integration/test_applications_it.py, test_trusted_origins_it.py, test_user_schema_it.py and their
cassettes).  docs/FIDELITY.md section D.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Awaitable, Callable

import pytest

from fault_helpers import enum_value as _v, okta_client_class, preload_okta_sdk, ssws
from fault_helpers import sdk_api_error as _api_error, sdk_ok as _ok
from helpers import MockOkta, reset

pytestmark = pytest.mark.management_api

preload_okta_sdk()  # the import takes seconds; overlap it with the server start

SDK_TIMEOUT = 30


@pytest.fixture
def srv(server_http: MockOkta, okta_env: None) -> MockOkta:
    reset(server_http)
    return server_http


def _client(srv: MockOkta) -> Any:
    return okta_client_class()({"orgUrl": srv.url, "token": srv.creds["apiToken"]})


def _run(fn: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(fn(), SDK_TIMEOUT))





def _oidc_web(label: str) -> Any:
    from okta.models import OpenIdConnectApplication

    return OpenIdConnectApplication.from_dict({
        "name": "oidc_client", "label": label, "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "client_secret_basic"}},
        "settings": {"oauthClient": {"application_type": "web", "grant_types": ["authorization_code", "refresh_token"],
                                     "redirect_uris": ["http://localhost:8000/cb"], "response_types": ["code"]}},
    })


def test_sdk_oidc_app_create_get_list_replace_deactivate_delete(srv: MockOkta) -> None:
    """create_application (200, client_id = app id, 64-char secret), get, list, replace_application with
    the object the SDK got back, delete while ACTIVE → OktaAPIError 403 E0000056, deactivate, delete 204,
    get → 404 E0000007: okta/okta-sdk-python tests/integration/cassettes/test_applications_it/
    TestApplicationsResource.test_create_open_id_connect_app.yaml, …test_activate_deactivate_delete_app.yaml
    and …test_replace_application.yaml (CAS)."""
    from okta.models import OpenIdConnectApplication

    label = "SDK OIDC " + uuid.uuid4().hex[:6]

    async def go() -> dict[str, Any]:
        client = _client(srv)
        o: dict[str, Any] = {}
        o["create"] = await client.create_application(_oidc_web(label))
        app = _ok(o["create"], "create_application")
        o["get"] = await client.get_application(app.id)
        o["list"] = await client.list_applications()
        changed = OpenIdConnectApplication.from_dict({**app.to_dict(), "label": label + " renamed"})
        o["replace"] = await client.replace_application(app.id, changed)  # the object it got back, relabelled
        o["delete_active"] = await client.delete_application(app.id)
        o["deactivate"] = await client.deactivate_application(app.id)
        o["get_inactive"] = await client.get_application(app.id)
        o["delete"] = await client.delete_application(app.id)
        o["gone"] = await client.get_application(app.id)
        o["list_after"] = await client.list_applications()
        return o

    o = _run(go)
    app, resp, _ = o["create"]
    assert resp.status_code == 200, resp.status_code
    assert isinstance(app, OpenIdConnectApplication), type(app)
    assert app.id.startswith("0oa") and app.label == label and _v(app.status) == "ACTIVE"
    assert app.credentials.oauth_client.client_id == app.id
    assert app.credentials.oauth_client.client_secret and len(app.credentials.oauth_client.client_secret) == 64
    assert app.settings.oauth_client.redirect_uris == ["http://localhost:8000/cb"]

    got = _ok(o["get"], "get_application")
    assert isinstance(got, OpenIdConnectApplication) and got.id == app.id and got.label == label
    listed = _ok(o["list"], "list_applications")
    ids = {a.id for a in listed}
    assert {app.id, srv.creds["webClientId"], srv.creds["serviceClientId"]} <= ids, ids

    replaced = _ok(o["replace"], "replace_application")
    assert replaced.id == app.id and replaced.label == label + " renamed" and _v(replaced.status) == "ACTIVE"
    assert replaced.created == app.created

    err = _api_error(o["delete_active"], 403, "E0000056")
    assert err.error_summary == "Delete application forbidden.", err.error_summary
    assert o["deactivate"][-1] is None and o["deactivate"][1].status_code == 200, o["deactivate"]
    assert _v(_ok(o["get_inactive"]).status) == "INACTIVE"
    assert o["delete"][-1] is None and o["delete"][1].status_code == 204, o["delete"]
    _api_error(o["gone"], 404, "E0000007")
    assert app.id not in {a.id for a in _ok(o["list_after"])}


def test_sdk_lists_bookmark_and_saml_apps(srv: MockOkta) -> None:
    """A BOOKMARK app created through the SDK (its request omits signOnMode, as in okta/okta-sdk-python
    tests/integration/cassettes/test_applications_it/TestApplicationsResource.test_replace_application.yaml
    #0, CAS) and a SAML_2_0 app created over HTTP both deserialize in list_applications as their own
    model classes."""
    from okta.models import BookmarkApplication, OpenIdConnectApplication, SamlApplication

    saml = {"label": "SDK SAML", "signOnMode": "SAML_2_0", "settings": {"signOn": {
        "ssoAcsUrl": "https://sp.example/acs", "audience": "https://sp.example", "recipient": "https://sp.example/acs",
        "destination": "https://sp.example/acs", "subjectNameIdTemplate": "${user.userName}",
        "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", "responseSigned": True,
        "assertionSigned": True, "signatureAlgorithm": "RSA_SHA256", "digestAlgorithm": "SHA256", "honorForceAuthn": True,
        "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        "requestCompressed": False, "allowMultipleAcsEndpoints": False}}}
    r = srv.post("/api/v1/apps", json=saml, headers={**ssws(srv), "Accept": "application/json"})
    assert r.status_code == 200, r.text[:500]
    saml_id = r.json()["id"]

    async def go() -> tuple:
        client = _client(srv)
        bm = await client.create_application(BookmarkApplication.from_dict(
            {"name": "bookmark", "label": "SDK Bookmark",
             "settings": {"app": {"url": "https://example.com/bookmark.htm", "requestIntegration": False}}}))
        return bm, await client.list_applications(), await client.get_application(saml_id)

    bm, listed, saml_got = _run(go)
    bm_app = _ok(bm, "create_application(bookmark)")
    assert isinstance(bm_app, BookmarkApplication) and _v(bm_app.sign_on_mode) == "BOOKMARK", bm_app
    assert bm_app.settings.app.url == "https://example.com/bookmark.htm"
    by_id = {a.id: a for a in _ok(listed, "list_applications")}
    assert isinstance(by_id[bm_app.id], BookmarkApplication), type(by_id[bm_app.id])
    assert isinstance(by_id[saml_id], SamlApplication), type(by_id[saml_id])
    assert isinstance(by_id[srv.creds["webClientId"]], OpenIdConnectApplication)
    s = _ok(saml_got, "get_application(saml)")
    assert isinstance(s, SamlApplication) and s.settings.sign_on.sso_acs_url == "https://sp.example/acs"


def test_sdk_trusted_origins(srv: MockOkta) -> None:
    """list / create (TrustedOriginWrite) / get / replace / deactivate / activate / delete, then 404
    E0000007: okta/okta-sdk-python tests/integration/cassettes/test_trusted_origins_it/*.yaml (CAS): create
    and replace 200, lifecycle 200 with the full TrustedOrigin, delete 204."""
    from okta.models import TrustedOrigin, TrustedOriginWrite

    origin = f"http://sdk-{uuid.uuid4().hex[:6]}.example:3000"

    def write(name: str) -> Any:
        return TrustedOriginWrite.from_dict({"name": name, "origin": origin,
                                             "scopes": [{"type": "CORS"}, {"type": "REDIRECT"}]})

    async def go() -> dict[str, Any]:
        client = _client(srv)
        o: dict[str, Any] = {"list": await client.list_trusted_origins()}
        o["create"] = await client.create_trusted_origin(write("SDK origin"))
        tid = _ok(o["create"], "create_trusted_origin").id
        o["get"] = await client.get_trusted_origin(tid)
        got = _ok(o["get"], "get_trusted_origin")  # replace takes a TrustedOrigin: the object it got back, renamed
        o["replace"] = await client.replace_trusted_origin(tid, TrustedOrigin.from_dict({**got.to_dict(),
                                                                                     "name": "SDK origin renamed"}))
        o["deactivate"] = await client.deactivate_trusted_origin(tid)
        o["activate"] = await client.activate_trusted_origin(tid)
        o["delete"] = await client.delete_trusted_origin(tid)
        o["gone"] = await client.get_trusted_origin(tid)
        o["list_after"] = await client.list_trusted_origins()
        return o

    o = _run(go)
    initial = _ok(o["list"], "list_trusted_origins")
    assert "http://localhost:8000" in {x.origin for x in initial}, [x.origin for x in initial]
    created, resp, _ = o["create"]
    assert resp.status_code == 200 and isinstance(created, TrustedOrigin)
    assert created.id.startswith("tos") and created.origin == origin and _v(created.status) == "ACTIVE"
    assert sorted(_v(s.type) for s in created.scopes) == ["CORS", "REDIRECT"]
    assert _ok(o["get"]).name == "SDK origin"
    assert _ok(o["replace"], "replace_trusted_origin").name == "SDK origin renamed"
    off = _ok(o["deactivate"], "deactivate_trusted_origin")
    assert isinstance(off, TrustedOrigin) and off.id == created.id and _v(off.status) == "INACTIVE", off
    on = _ok(o["activate"], "activate_trusted_origin")
    assert isinstance(on, TrustedOrigin) and _v(on.status) == "ACTIVE", on
    assert o["delete"][-1] is None and o["delete"][1].status_code == 204, o["delete"]
    _api_error(o["gone"], 404, "E0000007")
    assert created.id not in {x.id for x in _ok(o["list_after"])}


def test_sdk_user_schema(srv: MockOkta) -> None:
    """get_user_schema("default") parses into UserSchema with base required [login, firstName, lastName,
    email]: okta/okta-sdk-python tests/integration/cassettes/test_user_schema_it/
    TestUserSchemaResource.test_get_user_schema.yaml (CAS, live 2021)."""
    from okta.models import UserSchema

    async def go() -> tuple:
        return await _client(srv).get_user_schema("default")

    result = _run(go)
    s = _ok(result, "get_user_schema")
    assert isinstance(s, UserSchema) and result[1].status_code == 200
    assert (s.name, s.title) == ("user", "User")
    base = s.definitions.base
    assert base.required == ["login", "firstName", "lastName", "email"], base.required
    props = base.properties
    for attr in ("login", "first_name", "last_name", "email"):
        p = getattr(props, attr)
        assert p is not None and p.required is True and _v(p.type) == "string", (attr, p)
    assert not s.definitions.custom.properties, s.definitions.custom.properties
