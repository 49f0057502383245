"""Discovery, JWKS and the client_credentials grant, checked with requests + PyJWT.

Section numbers (§) refer to /work/shared/research/okta-contract.md.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from helpers import (
    MockOkta, client_credentials, issuer_of, jwks_uri_of, oauth_error, service_basic,
    token_request, token_url, unverified, verify_jwt,
)

AS_IDS = ["org", "default"]


def _discovery_path(as_id: str, doc: str = "openid-configuration") -> str:
    return f"/.well-known/{doc}" if as_id == "org" else f"/oauth2/{as_id}/.well-known/{doc}"


# ------------------------------------------------------------------------------------------
# Discovery
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_id", AS_IDS)
def test_discovery_document(server_http: MockOkta, as_id: str) -> None:
    """§4.1/§4.2: issuer and endpoint URLs of the org server and of `default`."""
    r = server_http.get(_discovery_path(as_id))
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    issuer = issuer_of(server_http, as_id)
    assert issuer == (server_http.url if as_id == "org" else server_http.url + "/oauth2/default")
    assert doc["issuer"] == issuer
    base = issuer + ("/oauth2/v1" if as_id == "org" else "/v1")
    assert doc["jwks_uri"] == base + "/keys"
    assert doc["token_endpoint"] == base + "/token"
    assert doc["authorization_endpoint"] == base + "/authorize"
    assert doc["userinfo_endpoint"] == base + "/userinfo"
    assert doc["introspection_endpoint"] == base + "/introspect"
    assert doc["revocation_endpoint"] == base + "/revoke"
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert "S256" in doc["code_challenge_methods_supported"]
    assert "code" in doc["response_types_supported"]
    for method in ("client_secret_basic", "client_secret_post", "private_key_jwt"):
        assert method in doc["token_endpoint_auth_methods_supported"], method


def test_ready_file_issuers_match_discovery(server_http: MockOkta) -> None:
    """PRODUCT.md ready file: orgIssuer = url, defaultIssuer = url/oauth2/default."""
    assert server_http.org_issuer == server_http.url
    assert server_http.default_issuer == server_http.url + "/oauth2/default"


def test_default_oauth_authorization_server_metadata(server_http: MockOkta) -> None:
    """§4.1: custom servers also serve /.well-known/oauth-authorization-server; it lists client_credentials (§4.2)."""
    r = server_http.get(_discovery_path("default", "oauth-authorization-server"))
    assert r.status_code == 200, r.text[:300]
    doc = r.json()
    assert doc["issuer"] == server_http.default_issuer
    assert doc["jwks_uri"] == server_http.default_issuer + "/v1/keys"
    assert "client_credentials" in doc["grant_types_supported"]


def test_unknown_custom_server_is_404(server_http: MockOkta) -> None:
    """§4.1: an unknown custom authorization server id gives 404 E0000007."""
    r = server_http.get("/oauth2/ausDoesNotExist0000/.well-known/openid-configuration")
    assert r.status_code == 404
    assert r.json().get("errorCode") == "E0000007"


# ------------------------------------------------------------------------------------------
# JWKS
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_id", AS_IDS)
def test_jwks_shape_and_cache_headers(server_http: MockOkta, as_id: str) -> None:
    """§4.3 / summary 16: RSA keys {kty, alg RS256, kid, use sig, e, n}, Cache-Control max-age, JSON type."""
    r = server_http.get(jwks_uri_of(server_http, as_id))
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")  # verifier's aiohttp path needs it (§4.9)
    cc = r.headers.get("Cache-Control", "")
    m = re.search(r"max-age=(\d+)", cc)
    assert m and int(m.group(1)) > 0, f"Cache-Control {cc!r}"
    keys = r.json()["keys"]
    assert keys, "empty JWKS"
    kids = [k["kid"] for k in keys]
    assert len(set(kids)) == len(kids), "duplicate kids"
    for k in keys:
        assert k["kty"] == "RSA" and k["alg"] == "RS256" and k["use"] == "sig", k
        assert k["e"] == "AQAB"
        assert "d" not in k and "p" not in k, "private key material published"
        # base64url, no padding; n of a >=2048-bit key is >= 342 chars
        assert re.fullmatch(r"[A-Za-z0-9_-]+", k["n"]) and len(k["n"]) >= 342, k["n"][:20]
        jwt.PyJWK(k)  # PyJWT can load it


def test_org_and_default_have_distinct_signing_keys(server_http: MockOkta) -> None:
    """PRODUCT.md semantics: the org server and each custom server have their own signing keys."""
    org = {k["kid"] for k in server_http.get(jwks_uri_of(server_http, "org")).json()["keys"]}
    default = {k["kid"] for k in server_http.get(jwks_uri_of(server_http, "default")).json()["keys"]}
    assert org and default and not (org & default)


# ------------------------------------------------------------------------------------------
# client_credentials on `default`
# ------------------------------------------------------------------------------------------


def test_client_credentials_basic_verifies_with_pyjwkclient(server_http: MockOkta) -> None:
    """§4.4/§4.8: service app, client_secret_basic, scope api.read; the token verifies with PyJWKClient."""
    body = client_credentials(server_http, "api.read")
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "api.read"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert "refresh_token" not in body and "id_token" not in body

    header, _ = unverified(body["access_token"])
    assert header["alg"] == "RS256" and header.get("kid")

    claims = verify_jwt(server_http, body["access_token"], as_id="default",
                        audience="api://default", issuer=server_http.default_issuer)
    cid = server_http.creds["serviceClientId"]
    assert claims["ver"] == 1
    assert isinstance(claims["jti"], str) and claims["jti"]
    assert claims["iss"] == server_http.default_issuer
    assert claims["aud"] == "api://default"
    assert claims["cid"] == cid
    assert claims["sub"] == cid  # a service app's token has sub = client id (§4.8)
    assert claims["scp"] == ["api.read"]  # an array, not a string
    assert "uid" not in claims
    now = time.time()
    assert abs(claims["iat"] - now) < 120
    assert claims["exp"] - claims["iat"] == body["expires_in"]


def test_client_credentials_two_scopes_and_unique_jti(server_http: MockOkta) -> None:
    """§3: scp gets the requested granted scopes; every token has its own jti."""
    a = client_credentials(server_http, "api.read api.write")
    b = client_credentials(server_http, "api.read")
    ca = verify_jwt(server_http, a["access_token"])
    cb = verify_jwt(server_http, b["access_token"])
    assert sorted(ca["scp"]) == ["api.read", "api.write"]
    assert ca["jti"] != cb["jti"]


def test_client_credentials_secret_post(server_http: MockOkta) -> None:
    """§4.4: client_secret_post (client_id + client_secret in the form) works too."""
    cid, secret = service_basic(server_http)
    r = token_request(server_http, {"grant_type": "client_credentials", "scope": "api.read",
                                    "client_id": cid, "client_secret": secret})
    assert r.status_code == 200, r.text[:300]
    claims = verify_jwt(server_http, r.json()["access_token"])
    assert claims["cid"] == cid


def test_wrong_secret_is_401_invalid_client(server_http: MockOkta) -> None:
    """§4.4 / summary 14: client-authentication failures are 401 invalid_client."""
    cid, _ = service_basic(server_http)
    r = token_request(server_http, {"grant_type": "client_credentials", "scope": "api.read"},
                      auth=(cid, "not-the-secret"))
    oauth_error(r, 401, "invalid_client")
    assert r.headers["Content-Type"].startswith("application/json")


def test_unknown_client_is_401_invalid_client(server_http: MockOkta) -> None:
    """§4.4: an unknown client id is invalid_client as well."""
    r = token_request(server_http, {"grant_type": "client_credentials", "scope": "api.read"},
                      auth=("0oaNoSuchClient00000", "whatever"))
    oauth_error(r, 401, "invalid_client")


def test_unknown_scope_is_400_invalid_scope(server_http: MockOkta) -> None:
    """§3/§4.4: an unknown scope gives 400 invalid_scope."""
    r = token_request(server_http, {"grant_type": "client_credentials", "scope": "no.such.scope"},
                      auth=service_basic(server_http))
    oauth_error(r, 400, "invalid_scope")


def test_openid_scope_with_client_credentials_is_invalid_scope(server_http: MockOkta) -> None:
    """§4.4: "Cannot request 'openid' scopes using client credentials." (400 invalid_scope)."""
    r = token_request(server_http, {"grant_type": "client_credentials", "scope": "openid"},
                      auth=service_basic(server_http))
    oauth_error(r, 400, "invalid_scope")


def test_token_params_in_query_string_with_empty_body(server_http: MockOkta) -> None:
    """§4.4: some clients (Java SDK, python <=2.9.8) send the token params in the query string."""
    r = server_http.post(
        token_url(server_http, "default"),
        params={"grant_type": "client_credentials", "scope": "api.read"},
        data=b"", auth=service_basic(server_http),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    assert r.status_code == 200, r.text[:300]
    assert verify_jwt(server_http, r.json()["access_token"])["scp"] == ["api.read"]


def _dpop_proof(htu: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return jwt.encode(
        {"jti": str(uuid.uuid4()), "htm": "POST", "htu": htu, "iat": int(time.time())},
        key, algorithm="RS256", headers={"typ": "dpop+jwt", "jwk": {k: jwk[k] for k in ("kty", "n", "e")}},
    )


def test_stray_dpop_header_ignored_for_non_dpop_client(server_http: MockOkta) -> None:
    """§4.10: Go sends a DPoP proof first; a non-DPoP client must still get a plain Bearer token."""
    url = token_url(server_http, "default")
    r = token_request(server_http, {"grant_type": "client_credentials", "scope": "api.read"},
                      auth=service_basic(server_http), headers={"DPoP": _dpop_proof(url)})
    assert r.status_code == 200, r.text[:300]
    body = r.json()
    assert body["token_type"] == "Bearer"
    claims = verify_jwt(server_http, body["access_token"])
    assert "cnf" not in claims


def test_token_response_carries_okta_headers(server_http: MockOkta) -> None:
    """Summary 4 / §2.1: X-Okta-Request-Id, X-Rate-Limit-* (epoch seconds) and an RFC 1123 GMT Date."""
    r = token_request(server_http, {"grant_type": "client_credentials", "scope": "api.read"},
                      auth=service_basic(server_http))
    assert r.status_code == 200
    assert r.headers.get("X-Okta-Request-Id")
    limit, remaining, reset = (r.headers[f"X-Rate-Limit-{h}"] for h in ("Limit", "Remaining", "Reset"))
    assert int(limit) > 0 and 0 <= int(remaining) <= int(limit)
    assert abs(int(reset) - time.time()) <= 120  # per-minute window, in epoch *seconds*
    date = r.headers["Date"]
    assert date.endswith(" GMT")
    assert abs(email.utils.parsedate_to_datetime(date).timestamp() - time.time()) < 60
