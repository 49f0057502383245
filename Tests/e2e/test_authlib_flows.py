"""User flows of the web app on `default`, driven with Authlib's requests OAuth2Session.

Section numbers (§) refer to /work/shared/research/okta-contract.md.
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from typing import Any

import pytest
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from helpers import (
    HTTP_TIMEOUT, FormParser, MockOkta, at_hash, authorize_url, code_flow, oauth_error, pkce_pair,
    redirect_params, token_request, unverified, verify_jwt, web_basic,
)

SCOPE = "openid profile email offline_access"


def _session(server: MockOkta, **kw: Any) -> OAuth2Session:
    c = server.creds
    s = OAuth2Session(
        client_id=c["webClientId"], client_secret=c["webClientSecret"], scope=kw.pop("scope", SCOPE),
        redirect_uri=c["webRedirectUri"], code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic", **kw,
    )
    s.verify = server.verify
    return s


def _ep(server: MockOkta, name: str) -> str:
    return f"{server.default_issuer}/v1/{name}"


def _authorize(server: MockOkta, session: OAuth2Session, *, login: str, verifier: str,
               state: str, nonce: str) -> str:
    """Build the authorize URL with Authlib, GET it without following; return the Location."""
    url, got_state = session.create_authorization_url(
        _ep(server, "authorize"), state=state, code_verifier=verifier, nonce=nonce, login_hint=login,
    )
    assert got_state == state
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert q["code_challenge_method"] == "S256" and q["code_challenge"] and q["login_hint"] == login
    r = server.get(url)
    assert r.status_code == 302, f"authorize -> {r.status_code}: {r.text[:300]}"
    return r.headers["Location"]


def _login(server: MockOkta) -> str:
    return server.creds["user"]["login"]


@pytest.fixture
def flow(server_http: MockOkta) -> dict[str, Any]:
    """A completed Authlib code flow with PKCE S256: session, token and the values used."""
    s = _session(server_http)
    verifier, _ = pkce_pair()
    state, nonce = uuid.uuid4().hex, uuid.uuid4().hex
    location = _authorize(server_http, s, login=_login(server_http), verifier=verifier, state=state, nonce=nonce)
    q = redirect_params_from(location, server_http.creds["webRedirectUri"])
    assert q.get("code") and q.get("state") == state, q
    token = s.fetch_token(_ep(server_http, "token"), authorization_response=location, state=state,
                          code_verifier=verifier, timeout=HTTP_TIMEOUT)
    return {"session": s, "token": token, "nonce": nonce, "state": state, "code": q["code"],
            "verifier": verifier}


def redirect_params_from(location: str, redirect_uri: str) -> dict[str, str]:
    assert location.split("?", 1)[0] == redirect_uri, location
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


# ------------------------------------------------------------------------------------------


def test_code_flow_pkce_s256_returns_all_tokens(server_http: MockOkta, flow: dict[str, Any]) -> None:
    """§4.4/§4.5: code + PKCE S256 with openid/offline_access gives access, ID and refresh tokens."""
    tok = flow["token"]
    assert tok["token_type"] == "Bearer"
    for k in ("access_token", "id_token", "refresh_token"):
        assert isinstance(tok.get(k), str) and tok[k], k
    assert set(tok["scope"].split()) == set(SCOPE.split())


def test_id_token_claims(server_http: MockOkta, flow: dict[str, Any]) -> None:
    """§4.8: ID token aud = client id (string), nonce echoed, at_hash of the access token, sub = user id."""
    tok = flow["token"]
    c = server_http.creds
    claims = verify_jwt(server_http, tok["id_token"], audience=c["webClientId"], issuer=server_http.default_issuer)
    assert claims["aud"] == c["webClientId"]
    assert claims["nonce"] == flow["nonce"]
    assert claims["at_hash"] == at_hash(tok["access_token"])
    assert claims["sub"].startswith("00u")
    assert claims["ver"] == 1 and claims["jti"] and claims["iat"] <= claims["exp"]
    assert isinstance(claims.get("amr"), list) and claims["amr"]
    assert isinstance(claims.get("auth_time"), int)
    assert claims.get("email") == _login(server_http) or claims.get("preferred_username") == _login(server_http)


def test_access_token_claims_for_user(server_http: MockOkta, flow: dict[str, Any]) -> None:
    """§4.8: a user's access token on `default`: aud api://default, cid, uid = user id, sub = login, scp array."""
    tok = flow["token"]
    c = server_http.creds
    at = verify_jwt(server_http, tok["access_token"])
    idt = verify_jwt(server_http, tok["id_token"], audience=c["webClientId"])
    assert at["cid"] == c["webClientId"]
    assert at["uid"] == idt["sub"]
    assert at["sub"] == _login(server_http)
    assert sorted(at["scp"]) == sorted(SCOPE.split())


def test_refresh_token_grant(server_http: MockOkta, flow: dict[str, Any]) -> None:
    """§4.4: refresh_token grant returns a new, valid access token for the same user."""
    s, tok = flow["session"], flow["token"]
    new = s.refresh_token(_ep(server_http, "token"), refresh_token=tok["refresh_token"], timeout=HTTP_TIMEOUT)
    assert new["access_token"] != tok["access_token"]
    old_claims = verify_jwt(server_http, tok["access_token"])
    new_claims = verify_jwt(server_http, new["access_token"])
    assert new_claims["uid"] == old_claims["uid"] and new_claims["jti"] != old_claims["jti"]


def test_bogus_refresh_token_is_invalid_grant(server_http: MockOkta) -> None:
    """§4.4: an unknown refresh token is 400 invalid_grant."""
    r = token_request(server_http, {"grant_type": "refresh_token", "refresh_token": "not-a-real-refresh-token",
                                    "scope": SCOPE}, auth=web_basic(server_http))
    oauth_error(r, 400, "invalid_grant")
    with pytest.raises(OAuthError) as e:
        _session(server_http).refresh_token(_ep(server_http, "token"), refresh_token="still-not-real",
                                             timeout=HTTP_TIMEOUT)
    assert e.value.error == "invalid_grant"


def _fresh_code(server: MockOkta, *, login: str | None = None, method: str = "S256",
                challenge: str | None = None) -> tuple[str, str]:
    """Authorize with plain requests; returns (code, verifier)."""
    c = server.creds
    verifier, s256 = pkce_pair()
    state = uuid.uuid4().hex
    params = {"client_id": c["webClientId"], "response_type": "code", "scope": SCOPE,
              "redirect_uri": c["webRedirectUri"], "state": state, "nonce": uuid.uuid4().hex,
              "code_challenge": challenge or (s256 if method == "S256" else verifier),
              "code_challenge_method": method, "login_hint": login or _login(server)}
    q = redirect_params(server.get(authorize_url(server, params)), c["webRedirectUri"])
    assert q.get("state") == state and q.get("code"), q
    return q["code"], verifier


def _exchange(server: MockOkta, code: str, verifier: str):
    c = server.creds
    return token_request(server, {"grant_type": "authorization_code", "code": code,
                                  "redirect_uri": c["webRedirectUri"], "code_verifier": verifier},
                         auth=web_basic(server))


def test_wrong_code_verifier_is_invalid_grant(server_http: MockOkta) -> None:
    """§4.4: PKCE verification failure is 400 invalid_grant."""
    code, _ = _fresh_code(server_http)
    other_verifier, _ = pkce_pair()
    oauth_error(_exchange(server_http, code, other_verifier), 400, "invalid_grant")


def test_missing_code_verifier_is_refused(server_http: MockOkta) -> None:
    """§4.4: a code issued with a challenge cannot be redeemed without a verifier (invalid_request/invalid_grant)."""
    code, _ = _fresh_code(server_http)
    c = server_http.creds
    r = token_request(server_http, {"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": c["webRedirectUri"]}, auth=web_basic(server_http))
    assert r.status_code == 400, r.text[:300]
    assert r.json()["error"] in ("invalid_request", "invalid_grant")


def test_code_cannot_be_reused(server_http: MockOkta) -> None:
    """§4.4: an authorization code is single-use."""
    code, verifier = _fresh_code(server_http)
    first = _exchange(server_http, code, verifier)
    assert first.status_code == 200, first.text[:300]
    oauth_error(_exchange(server_http, code, verifier), 400, "invalid_grant")


def test_redirect_uri_must_match(server_http: MockOkta) -> None:
    """§4.4: redirect_uri at the token endpoint must match the authorize request (invalid_grant)."""
    code, verifier = _fresh_code(server_http)
    r = token_request(server_http, {"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": "http://localhost:8000/other", "code_verifier": verifier},
                      auth=web_basic(server_http))
    oauth_error(r, 400, "invalid_grant")


def test_unregistered_redirect_uri_is_not_redirected_to(server_http: MockOkta) -> None:
    """§4.5: an unregistered redirect_uri is never redirected to (Okta shows an error instead)."""
    c = server_http.creds
    _, challenge = pkce_pair()
    params = {"client_id": c["webClientId"], "response_type": "code", "scope": SCOPE,
              "redirect_uri": "http://evil.example/cb", "state": "s", "nonce": "n",
              "code_challenge": challenge, "code_challenge_method": "S256", "login_hint": _login(server_http)}
    r = server_http.get(authorize_url(server_http, params))
    assert r.status_code >= 400 or not r.headers.get("Location", "").startswith("http://evil.example"), r.headers


def test_unassigned_user_gets_access_denied(server_http: MockOkta) -> None:
    """§4.5: a user not assigned to the app is redirected back with error=access_denied."""
    c = server_http.creds
    s = _session(server_http)
    verifier, _ = pkce_pair()
    state = uuid.uuid4().hex
    location = _authorize(server_http, s, login=c["unassignedUser"]["login"], verifier=verifier,
                          state=state, nonce=uuid.uuid4().hex)
    q = redirect_params_from(location, c["webRedirectUri"])
    assert "code" not in q
    assert q["error"] == "access_denied"
    assert q["error_description"] == "User is not assigned to the client application."
    assert q["state"] == state


def test_userinfo_returns_sub(server_http: MockOkta, flow: dict[str, Any]) -> None:
    """§4.7: /userinfo with the access token returns sub (user id) and the scope claims."""
    s, tok = flow["session"], flow["token"]
    r = s.get(_ep(server_http, "userinfo"), timeout=HTTP_TIMEOUT)  # Authlib adds the Bearer token
    assert r.status_code == 200, r.text[:300]
    info = r.json()
    idt = verify_jwt(server_http, tok["id_token"], audience=server_http.creds["webClientId"])
    assert info["sub"] == idt["sub"]
    assert "@" in info.get("email", "")


def test_userinfo_without_valid_token_is_401(server_http: MockOkta) -> None:
    """§4.7: an invalid Bearer token gets 401 with WWW-Authenticate error="invalid_token"."""
    r = server_http.get(_ep(server_http, "userinfo"), headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers.get("WWW-Authenticate", "")


def test_introspect_then_revoke(server_http: MockOkta, flow: dict[str, Any]) -> None:
    """§4.6: introspect active → revoke (200, empty body) → introspect {"active": false}; userinfo then 401."""
    s, tok = flow["session"], flow["token"]
    c = server_http.creds
    r = s.introspect_token(_ep(server_http, "introspect"), token=tok["access_token"],
                           token_type_hint="access_token", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text[:300]
    info = r.json()
    assert info["active"] is True
    assert info["client_id"] == c["webClientId"]
    assert info["token_type"] == "Bearer"
    assert info["iss"] == server_http.default_issuer
    assert info["exp"] > time.time()
    assert set(info["scope"].split()) == set(SCOPE.split())

    r = s.revoke_token(_ep(server_http, "revoke"), token=tok["access_token"], token_type_hint="access_token",
                       timeout=HTTP_TIMEOUT)
    assert r.status_code == 200 and r.content == b"", (r.status_code, r.text[:200])

    r = s.introspect_token(_ep(server_http, "introspect"), token=tok["access_token"], timeout=HTTP_TIMEOUT)
    assert r.status_code == 200 and r.json() == {"active": False}

    r = server_http.get(_ep(server_http, "userinfo"), headers={"Authorization": f"Bearer {tok['access_token']}"})
    assert r.status_code == 401


def test_revoked_refresh_token_cannot_be_used(server_http: MockOkta, flow: dict[str, Any]) -> None:
    """§4.6: after revoking the refresh token, the refresh grant is invalid_grant."""
    s, tok = flow["session"], flow["token"]
    r = s.revoke_token(_ep(server_http, "revoke"), token=tok["refresh_token"], token_type_hint="refresh_token",
                       timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    r = token_request(server_http, {"grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
                                    "scope": SCOPE}, auth=web_basic(server_http))
    oauth_error(r, 400, "invalid_grant")


def test_revoke_unknown_token_is_200(server_http: MockOkta) -> None:
    """§4.6: revoking an unknown token still answers 200."""
    r = server_http.post(_ep(server_http, "revoke"), data={"token": "unknown-token"}, auth=web_basic(server_http))
    assert r.status_code == 200


def test_introspect_needs_client_auth(server_http: MockOkta) -> None:
    """§4.6: introspection needs client authentication (401 invalid_client without it)."""
    r = server_http.post(_ep(server_http, "introspect"), data={"token": "x"})
    oauth_error(r, 401, "invalid_client")


def test_password_grant(server_http: MockOkta) -> None:
    """§4.4: resource-owner password grant for the tenant user; wrong password is invalid_grant."""
    c = server_http.creds
    r = token_request(server_http, {"grant_type": "password", "username": c["user"]["login"],
                                    "password": c["user"]["password"], "scope": "openid profile"},
                      auth=web_basic(server_http))
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    at = verify_jwt(server_http, body["access_token"])
    assert at["sub"] == c["user"]["login"] and at["cid"] == c["webClientId"]
    idt = verify_jwt(server_http, body["id_token"], audience=c["webClientId"])
    assert idt["sub"] == at["uid"]

    r = token_request(server_http, {"grant_type": "password", "username": c["user"]["login"],
                                    "password": "wrong-" + c["user"]["password"], "scope": "openid"},
                      auth=web_basic(server_http))
    oauth_error(r, 400, "invalid_grant")


def test_plain_pkce_is_verified(server_http: MockOkta) -> None:
    """Issue 2: PKCE `plain` is accepted and verified (Okta's discovery advertises only S256, §4.2,
    and mock-okta keeps that document faithful while still honouring `plain` for older clients)."""
    doc = server_http.get("/oauth2/default/.well-known/openid-configuration").json()
    assert doc["code_challenge_methods_supported"] == ["S256"]
    c = server_http.creds
    verifier, _ = pkce_pair()
    state = uuid.uuid4().hex
    params = {"client_id": c["webClientId"], "response_type": "code", "scope": SCOPE,
              "redirect_uri": c["webRedirectUri"], "state": state, "nonce": "n",
              "code_challenge": verifier, "code_challenge_method": "plain", "login_hint": _login(server_http)}
    r = server_http.get(authorize_url(server_http, params))
    q = redirect_params(r, c["webRedirectUri"])
    assert q.get("code"), q
    resp = _exchange(server_http, q["code"], verifier)
    assert resp.status_code == 200, resp.text[:300]
    code2, _ = _fresh_code(server_http, method="plain", challenge=verifier)
    oauth_error(_exchange(server_http, code2, verifier + "x"), 400, "invalid_grant")


def test_html_form_sign_in_without_login_hint(server_http: MockOkta) -> None:
    """PRODUCT.md default tenant: without login_hint /authorize shows a form; posting username/password signs in."""
    c = server_http.creds
    verifier, challenge = pkce_pair()
    state = uuid.uuid4().hex
    params = {"client_id": c["webClientId"], "response_type": "code", "scope": SCOPE,
              "redirect_uri": c["webRedirectUri"], "state": state, "nonce": "n",
              "code_challenge": challenge, "code_challenge_method": "S256"}
    url = authorize_url(server_http, params)
    r = server_http.get(url)
    assert r.status_code == 200 and "text/html" in r.headers.get("Content-Type", ""), r.status_code
    form = FormParser()
    form.feed(r.text)
    assert form.action is not None or form.inputs, "no <form> in the sign-in page"
    fields = dict(form.inputs)
    fields.update({"username": c["user"]["login"], "password": c["user"]["password"]})
    target = urllib.parse.urljoin(url, form.action) if form.action else url
    r = server_http.post(target, data=fields)
    q = redirect_params(r, c["webRedirectUri"])
    assert q.get("state") == state and q.get("code"), q
    assert _exchange(server_http, q["code"], verifier).status_code == 200


def test_code_flow_helper_and_header_shapes(server_http: MockOkta) -> None:
    """The plain-requests code flow used by other modules; the ID token header has kid + RS256 (summary 16)."""
    tok = code_flow(server_http)
    header, _ = unverified(tok["id_token"])
    assert header["alg"] == "RS256" and header["kid"]
