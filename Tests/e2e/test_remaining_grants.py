"""Issue 12 point 6 with real clients: the okta SDK 3.4.6 in DPoP mode (``dpopEnabled`` with PrivateKey
authorization: nonce challenge, ``token_type: DPoP``, ``Authorization: DPoP`` plus a proof on every API call), the
device authorization grant (RFC 8628) driven by a polling client and approved at ``/activate``, and
``client_secret_jwt`` through Authlib's own client_secret_jwt signer.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from fault_helpers import okta_client_class, preload_okta_sdk
from helpers import HTTP_TIMEOUT, MockOkta

preload_okta_sdk()

ARGS = ["--host", "127.0.0.1", "--port", "0", "--seed", "1"]
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def srv(spawn, okta_env) -> MockOkta:
    return spawn(list(ARGS), name="grants")


def journal(srv: MockOkta) -> list[dict[str, Any]]:
    r = srv.control("GET", "/__mock/journal")
    r.raise_for_status()
    body = r.json()
    return body["entries"] if isinstance(body, dict) else body


def _dpop_service_app(srv: MockOkta) -> str:
    """A service app that requires DPoP (settings.oauthClient.dpop_bound_access_tokens) with the default service
    app's public key, granted okta.users.read: what an admin sets up for the SDK's DPoP mode."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    c = srv.creds
    pub = load_pem_private_key(c["servicePrivateKeyPem"].encode(), None).public_key().public_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    h = {"Authorization": f"SSWS {c['apiToken']}", "Accept": "application/json"}
    body = {"name": "oidc_client", "label": "DPoP service", "signOnMode": "OPENID_CONNECT",
            "settings": {"oauthClient": {"application_type": "service", "grant_types": ["client_credentials"],
                                         "dpop_bound_access_tokens": True,
                                         "jwks": {"keys": [{"kty": "RSA", "kid": c["servicePrivateKeyKid"],
                                                            "n": b64(pub.n), "e": b64(pub.e)}]}}},
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}}}
    r = srv.post("/api/v1/apps", json=body, headers=h)
    assert r.status_code == 200, r.text
    app = r.json()["id"]
    g = srv.post(f"/api/v1/apps/{app}/grants", json={"issuer": srv.url, "scopeId": "okta.users.read"}, headers=h)
    assert g.status_code == 201, g.text
    return app


def test_okta_sdk_dpop_mode(srv: MockOkta) -> None:
    """The SDK's DPoP mode against the org server with an app that requires DPoP: its first token request is
    challenged (400 use_dpop_nonce with a DPoP-Nonce header), its retry gets a DPoP token bound to its key, and its
    API calls carry the DPoP scheme and a fresh proof; the mock accepts them and lists users. The same SDK without
    DPoP is refused by that app (invalid_dpop_proof)."""
    c = srv.creds
    app = _dpop_service_app(srv)

    def client(dpop: bool):
        return okta_client_class()({
            "orgUrl": srv.url, "authorizationMode": "PrivateKey", "scopes": ["okta.users.read"], "clientId": app,
            "privateKey": c["servicePrivateKeyPem"], "kid": c["servicePrivateKeyKid"], "dpopEnabled": dpop,
        })

    async def go():
        sdk = client(True)
        return await sdk.list_users(limit=2), await sdk.list_users(limit=2), await client(False).list_users(limit=2)

    first, second, plain = asyncio.run(asyncio.wait_for(go(), 40))
    for res in (first, second):
        assert res[-1] is None, res
        assert len(res[0]) == 2
    assert plain[-1] is not None and "invalid_dpop_proof" in str(plain[-1]), plain
    entries = journal(srv)
    tokens = [e.get("status") for e in entries if e.get("path") == "/oauth2/v1/token"]
    assert tokens[:2] == [400, 200], tokens
    api = [e for e in entries if e.get("path") == "/api/v1/users"]
    assert len(api) == 2 and all(e.get("status") == 200 for e in api), api


def test_device_flow_with_a_polling_client(srv: MockOkta) -> None:
    """A native app (created through /api/v1/apps) starts a device authorization, polls (authorization_pending,
    slow_down when too fast), the user approves at /activate with the user code and their password, and the next
    poll after the interval gets tokens that PyJWT verifies against the default server's JWKS."""
    h = {"Authorization": f"SSWS {srv.creds['apiToken']}", "Accept": "application/json"}
    body = {"name": "oidc_client", "label": "TV app", "signOnMode": "OPENID_CONNECT",
            "settings": {"oauthClient": {"application_type": "native", "grant_types": [DEVICE_GRANT]}},
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "none"}}}
    app = srv.post("/api/v1/apps", json=body, headers=h).json()
    everyone = srv.get("/api/v1/groups", params={"q": "Everyone"}, headers=h).json()[0]["id"]
    assert srv.request("PUT", f"/api/v1/apps/{app['id']}/groups/{everyone}", json={}, headers=h).status_code == 200
    issuer = srv.url + "/oauth2/default"
    start = requests.post(issuer + "/v1/device/authorize", data={"client_id": app["id"], "scope": "openid"},
                          timeout=HTTP_TIMEOUT).json()
    assert start["verification_uri"] == srv.url + "/activate" and start["interval"] == 5

    def poll() -> requests.Response:
        return requests.post(issuer + "/v1/token", timeout=HTTP_TIMEOUT, data={
            "grant_type": DEVICE_GRANT, "device_code": start["device_code"], "client_id": app["id"]})

    assert poll().json()["error"] == "authorization_pending"
    assert poll().json()["error"] == "slow_down"  # at once: faster than the interval
    page = requests.get(start["verification_uri_complete"], timeout=HTTP_TIMEOUT)
    assert page.status_code == 200 and start["user_code"] in page.text
    done = requests.post(srv.url + "/activate", timeout=HTTP_TIMEOUT, data={
        "user_code": start["user_code"], "username": "ann@example.com", "password": srv.creds["user"]["password"]})
    assert done.status_code == 200 and "Device activated" in done.text
    time.sleep(10.2)  # the interval grew to 10 s after slow_down (RFC 8628 §3.5)
    r = poll()
    assert r.status_code == 200, r.text
    keys = jwt.PyJWKClient(issuer + "/v1/keys")
    idt = r.json()["id_token"]
    claims = jwt.decode(idt, keys.get_signing_key_from_jwt(idt).key, algorithms=["RS256"], audience=app["id"],
                        issuer=issuer)
    assert claims["preferred_username"] if "preferred_username" in claims else claims["sub"]
    assert poll().json()["error"] == "invalid_grant"  # a device code gives tokens once


def test_client_secret_jwt_with_authlib(srv: MockOkta) -> None:
    """Authlib signs the client assertion with the client secret (HS256): the token endpoint authenticates the
    client by it; a wrong secret is 401 invalid_client."""
    from authlib.oauth2.rfc7523 import ClientSecretJWT

    c = srv.creds
    url = srv.url + "/oauth2/default/v1/token"

    def session(secret: str) -> OAuth2Session:
        s = OAuth2Session(c["serviceClientId"], secret, token_endpoint_auth_method="client_secret_jwt",
                          scope="api.read")
        s.register_client_auth_method(ClientSecretJWT(url))
        return s

    tok = session(c["serviceClientSecret"]).fetch_token(url, grant_type="client_credentials", timeout=HTTP_TIMEOUT)
    assert tok["token_type"] == "Bearer" and tok["scope"] == "api.read"
    bad = session("x" * 40)
    with pytest.raises(Exception) as e:
        bad.fetch_token(url, grant_type="client_credentials", timeout=HTTP_TIMEOUT)
    assert "invalid_client" in str(e.value)
    assertions = [x for x in journal(srv) if x.get("path") == "/oauth2/default/v1/token"]
    assert [x.get("status") for x in assertions] == [200, 401]
