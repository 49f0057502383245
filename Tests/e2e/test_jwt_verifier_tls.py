"""okta-jwt-verifier 0.5.0 and PyJWT against the TLS server (--tls --ca-out).

okta-jwt-verifier only accepts https issuers (§4.9, summary 17), so these tests need the mock's
own CA.  The async `verify()` path uses aiohttp, whose default SSL context is built when aiohttp
is imported; it therefore runs in a child process that gets SSL_CERT_FILE/REQUESTS_CA_BUNDLE at
start (client_worker.py).  The sync path (`verify_sync`, requests) reads REQUESTS_CA_BUNDLE per
call, so it runs in-process with monkeypatch.

Section numbers (§) refer to /work/shared/research/okta-contract.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
import requests

from helpers import (
    HTTP_TIMEOUT, MockOkta, assertion_form, client_assertion, client_credentials, code_flow, mint,
    run_clients, token_request, token_url, verify_jwt,
)


def test_tls_ready_file_and_ca(server_tls: MockOkta) -> None:
    """PRODUCT.md --tls/--ca-out: https URL, caFile = the --ca-out path, a PEM CA the server's cert chains to."""
    assert server_tls.url.startswith("https://127.0.0.1:")
    assert server_tls.org_issuer == server_tls.url
    assert server_tls.default_issuer == server_tls.url + "/oauth2/default"
    ca = Path(server_tls.ca_file)
    assert ca.is_absolute() and ca.resolve() == (server_tls.workdir / "ca.pem").resolve()
    assert "-----BEGIN CERTIFICATE-----" in ca.read_text()
    r = requests.get(server_tls.url + "/oauth2/default/.well-known/openid-configuration",
                     verify=str(ca), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    assert r.json()["issuer"] == server_tls.default_issuer
    assert r.json()["jwks_uri"].startswith("https://127.0.0.1:")


def test_tls_not_trusted_without_the_ca(server_tls: MockOkta) -> None:
    """The certificate is issued by the mock's own CA, not by a public one."""
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server_tls.url + "/.well-known/openid-configuration",
                     verify=requests.certs.where(), timeout=HTTP_TIMEOUT)


def test_pyjwkclient_over_https_with_ssl_context(server_tls: MockOkta) -> None:
    """§4.3: PyJWKClient(jwks_uri, ssl_context=<mock CA>) verifies a client_credentials token."""
    token = client_credentials(server_tls, "api.read")["access_token"]
    client = jwt.PyJWKClient(server_tls.default_issuer + "/v1/keys", ssl_context=server_tls.ssl_context(),
                             timeout=HTTP_TIMEOUT)
    key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="api://default",
                        issuer=server_tls.default_issuer)
    assert claims["cid"] == server_tls.creds["serviceClientId"]


def test_access_token_verifier_async(server_tls: MockOkta) -> None:
    """§4.9: AccessTokenVerifier(issuer=defaultIssuer, audience=api://default).verify via asyncio.run.

    A client_credentials token and a freshly minted one pass; a token minted with
    lifetimeSeconds -600 is rejected as expired (beyond the verifier's 120 s leeway);
    -60 is within the leeway and passes.
    """
    cid = server_tls.creds["serviceClientId"]
    good = client_credentials(server_tls, "api.read")["access_token"]
    minted = mint(server_tls, server="default", clientId=cid, scopes=["api.read"])
    expired = mint(server_tls, server="default", clientId=cid, scopes=["api.read"], lifetimeSeconds=-600)
    assert expired["claims"]["exp"] <= time.time() - 500, expired["claims"]
    slightly = mint(server_tls, server="default", clientId=cid, scopes=["api.read"], lifetimeSeconds=-60)

    job = {"op": "verify_access", "issuer": server_tls.default_issuer, "audience": "api://default"}
    res = run_clients([dict(job, token=t) for t in (good, minted["token"], expired["token"], slightly["token"])],
                      ca_file=server_tls.ca_file)
    assert res[0]["ok"], res[0]
    assert res[1]["ok"], res[1]
    assert not res[2]["ok"] and "expired" in res[2]["error"].lower(), res[2]
    assert res[3]["ok"], res[3]


def test_access_token_verifier_rejects_wrong_audience_and_issuer(server_tls: MockOkta) -> None:
    """§4.9: iss and aud are checked (a `default` token is not valid for another audience or the org issuer)."""
    good = client_credentials(server_tls, "api.read")["access_token"]
    res = run_clients([
        {"op": "verify_access", "issuer": server_tls.default_issuer, "audience": "api://other", "token": good},
        {"op": "verify_access", "issuer": server_tls.org_issuer, "audience": "api://default", "token": good},
    ], ca_file=server_tls.ca_file)
    assert not res[0]["ok"], res[0]
    assert not res[1]["ok"], res[1]


def test_access_token_verifier_org_server(server_tls: MockOkta) -> None:
    """§4.9/§15: for the org issuer the verifier fetches {issuer}/oauth2/v1/keys; aud = org URL."""
    r = token_request(server_tls, assertion_form(client_assertion(server_tls, token_url(server_tls, "org")),
                                                 "okta.users.read"), as_id="org")
    assert r.status_code == 200, r.text[:300]
    res = run_clients([{"op": "verify_access", "issuer": server_tls.org_issuer, "audience": server_tls.url,
                        "token": r.json()["access_token"]}], ca_file=server_tls.ca_file)
    assert res[0]["ok"], res[0]


def test_id_token_verifier_async(server_tls: MockOkta) -> None:
    """§4.9: IDTokenVerifier(issuer, client_id).verify(token, nonce) for an ID token from the code flow."""
    tok = code_flow(server_tls)
    c = server_tls.creds
    job = {"op": "verify_id", "issuer": server_tls.default_issuer, "client_id": c["webClientId"],
           "token": tok["id_token"]}
    res = run_clients([
        dict(job, nonce=tok["_nonce"]),
        dict(job, nonce="not-the-nonce"),
        dict(job, client_id=c["serviceClientId"], nonce=tok["_nonce"]),
    ], ca_file=server_tls.ca_file)
    assert res[0]["ok"], res[0]
    assert not res[1]["ok"] and "nonce" in res[1]["error"].lower(), res[1]
    assert not res[2]["ok"], res[2]


def test_verifier_sync_path_in_process(server_tls: MockOkta, monkeypatch: pytest.MonkeyPatch) -> None:
    """§4.9 sync path (requests): REQUESTS_CA_BUNDLE/SSL_CERT_FILE set in this process via monkeypatch."""
    from okta_jwt_verifier import AccessTokenVerifier
    from okta_jwt_verifier.exceptions import JWTValidationException

    monkeypatch.setenv("SSL_CERT_FILE", server_tls.ca_file)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server_tls.ca_file)
    cid = server_tls.creds["serviceClientId"]
    good = client_credentials(server_tls, "api.read")["access_token"]
    expired = mint(server_tls, server="default", clientId=cid, scopes=["api.read"], lifetimeSeconds=-600)["token"]

    v = AccessTokenVerifier(issuer=server_tls.default_issuer, audience="api://default")
    v.verify_sync(good)
    with pytest.raises(JWTValidationException, match="(?i)expired"):
        v.verify_sync(expired)


def test_minted_token_claims_follow_request(server_tls: MockOkta) -> None:
    """PRODUCT.md POST /__mock/tokens: the returned claims match the signed token and the request."""
    cid = server_tls.creds["serviceClientId"]
    out = mint(server_tls, server="default", clientId=cid, scopes=["api.read", "api.write"],
               claims={"custom": "x1"}, lifetimeSeconds=120)
    claims = verify_jwt(server_tls, out["token"])
    assert claims == out["claims"]
    assert claims["cid"] == cid and sorted(claims["scp"]) == ["api.read", "api.write"]
    assert claims["custom"] == "x1"
    assert claims["exp"] - claims["iat"] == 120

    user = server_tls.creds["user"]["login"]
    out = mint(server_tls, server="org", user=user, scopes=["okta.users.read"])
    claims = verify_jwt(server_tls, out["token"], as_id="org", audience=server_tls.url, issuer=server_tls.url)
    assert claims["sub"] == user and claims["uid"].startswith("00u")

