"""private_key_jwt client authentication (client assertions built with PyJWT).

Section numbers (§) refer to /work/shared/research/okta-contract.md; the assertion rules are
summary item 13 and §4.4 "Client-assertion claims".
"""

from __future__ import annotations

import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers import (
    MockOkta, assertion_form, client_assertion, oauth_error, service_basic, token_request,
    token_url, verify_jwt,
)


def _org_token(server: MockOkta, assertion: str, scope: str = "okta.users.read"):
    return token_request(server, assertion_form(assertion, scope), as_id="org")


def test_org_server_client_credentials_with_assertion(server_http: MockOkta) -> None:
    """§4.4/§4.8/§15: org server, private_key_jwt, okta.users.read; aud of the token = org URL."""
    aud = token_url(server_http, "org")
    assert aud == server_http.url + "/oauth2/v1/token"
    r = _org_token(server_http, client_assertion(server_http, aud))
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "okta.users.read"
    claims = verify_jwt(server_http, body["access_token"], as_id="org",
                        audience=server_http.url, issuer=server_http.url)
    cid = server_http.creds["serviceClientId"]
    assert claims["iss"] == server_http.url and claims["aud"] == server_http.url
    assert claims["cid"] == cid and claims["sub"] == cid
    assert claims["scp"] == ["okta.users.read"]
    assert claims["exp"] - claims["iat"] == 3600  # org server access tokens: fixed 1 h (§4.4)
    assert "uid" not in claims


def test_assertion_works_on_default_server_too(server_http: MockOkta) -> None:
    """§4.4: the same app authenticates with private_key_jwt on `default` (aud = that token URL)."""
    aud = token_url(server_http, "default")
    r = token_request(server_http, assertion_form(client_assertion(server_http, aud), "api.read"), as_id="default")
    assert r.status_code == 200, r.text[:300]
    claims = verify_jwt(server_http, r.json()["access_token"])
    assert claims["cid"] == server_http.creds["serviceClientId"] and claims["scp"] == ["api.read"]


def test_replayed_assertion_is_rejected(server_http: MockOkta) -> None:
    """Summary 13: a jti is single-use; replay gives 401 invalid_client "…has already been used."."""
    assertion = client_assertion(server_http, token_url(server_http, "org"))
    first = _org_token(server_http, assertion)
    assert first.status_code == 200, first.text[:300]
    second = _org_token(server_http, assertion)
    body = oauth_error(second, 401, "invalid_client")
    assert "already been used" in body["error_description"]


def test_failed_request_still_burns_the_jti(server_http: MockOkta) -> None:
    """Summary 13 / §4.10: Okta burns the jti even when it answers 400, so the retry must be a new assertion."""
    assertion = client_assertion(server_http, token_url(server_http, "org"))
    first = _org_token(server_http, assertion, scope="okta.no.such.scope")
    oauth_error(first, 400, "invalid_scope")
    second = _org_token(server_http, assertion, scope="okta.users.read")
    oauth_error(second, 401, "invalid_client")
    # a fresh assertion is fine
    fresh = _org_token(server_http, client_assertion(server_http, token_url(server_http, "org")))
    assert fresh.status_code == 200, fresh.text[:300]


def test_wrong_audience_is_rejected(server_http: MockOkta) -> None:
    """§4.4: aud must be the exact token URL invoked (client_assertion_invalid_audience, 401)."""
    for aud in (token_url(server_http, "default"), server_http.url, token_url(server_http, "org") + "/"):
        r = _org_token(server_http, client_assertion(server_http, aud))
        oauth_error(r, 401, "invalid_client")


def test_exp_too_far_in_future_is_rejected(server_http: MockOkta) -> None:
    """§4.4: exp at most 1 h ahead; 2 h gives 401 invalid_client."""
    r = _org_token(server_http, client_assertion(server_http, token_url(server_http, "org"), exp_in=7200))
    oauth_error(r, 401, "invalid_client")


def test_exp_exactly_one_hour_is_accepted(server_http: MockOkta) -> None:
    """§6 "Other SDKs' assertions": Go sets exp = now + 1 h exactly, so 1 h must pass."""
    r = _org_token(server_http, client_assertion(server_http, token_url(server_http, "org"), exp_in=3600))
    assert r.status_code == 200, r.text[:300]


def test_expired_assertion_is_rejected(server_http: MockOkta) -> None:
    """§4.4: client_assertion_expired_token is 401 invalid_client."""
    r = _org_token(server_http, client_assertion(server_http, token_url(server_http, "org"),
                                                 iat_offset=-1200, exp_in=600))
    oauth_error(r, 401, "invalid_client")


def test_iss_sub_must_be_client_id(server_http: MockOkta) -> None:
    """§4.4: iss = sub = client_id."""
    aud = token_url(server_http, "org")
    r = _org_token(server_http, client_assertion(server_http, aud, iss="0oaSomebodyElse00000"))
    oauth_error(r, 401, "invalid_client")
    r = _org_token(server_http, client_assertion(server_http, aud, sub="0oaSomebodyElse00000"))
    oauth_error(r, 401, "invalid_client")


def test_assertion_signed_by_unregistered_key_is_rejected(server_http: MockOkta) -> None:
    """§4.4: a signature by a key not in the client's JWKS is 401 invalid_client."""
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode()
    r = _org_token(server_http, client_assertion(server_http, token_url(server_http, "org"), key_pem=pem))
    oauth_error(r, 401, "invalid_client")


def test_unknown_kid_is_rejected(server_http: MockOkta) -> None:
    """§4.4: header kid must match a key of the client (client_assertion_invalid_kid)."""
    r = _org_token(server_http, client_assertion(server_http, token_url(server_http, "org"), kid="no-such-kid"))
    oauth_error(r, 401, "invalid_client")


def test_hs256_assertion_with_garbage_is_rejected(server_http: MockOkta) -> None:
    """§4.4: a client_assertion that is not a valid RS256 JWT of the client is 401 invalid_client."""
    now = int(time.time())
    bogus = jwt.encode({"iss": server_http.creds["serviceClientId"], "sub": server_http.creds["serviceClientId"],
                        "aud": token_url(server_http, "org"), "iat": now, "exp": now + 300,
                        "jti": str(uuid.uuid4())}, "x" * 32, algorithm="HS256")
    r = _org_token(server_http, bogus)
    oauth_error(r, 401, "invalid_client")


def test_org_client_credentials_requires_private_key_jwt(server_http: MockOkta) -> None:
    """§4.4: client_credentials on the org server must use private_key_jwt; a secret gives invalid_client."""
    r = token_request(server_http, {"grant_type": "client_credentials", "scope": "okta.users.read"},
                      as_id="org", auth=service_basic(server_http))
    oauth_error(r, 401, "invalid_client")


def test_org_scope_not_granted_is_refused(server_http: MockOkta) -> None:
    """§3: none of the requested scopes granted → 400 (consent_required in Okta; invalid_scope accepted too)."""
    r = _org_token(server_http, client_assertion(server_http, token_url(server_http, "org")),
                   scope="okta.logs.read")
    assert r.status_code == 400, r.text[:300]
    assert r.json()["error"] in ("consent_required", "invalid_scope")
