"""Replicas behind a balancer (issue 15, docs/SCALING.md): two processes started with the same --seed and the
same --public-url share keys, ids and credentials, so a token one of them issued is accepted by the other.
Nothing here goes through a real balancer: each process is called on its own port, as an L4 balancer would.
"""

from __future__ import annotations

import subprocess
from typing import Any

import requests

from conftest import BASE_ARGS
from helpers import HTTP_TIMEOUT, assertion_form, clean_env, client_assertion, mock_okta_bin

PUBLIC = "https://okta.example.test"


def local(srv: Any) -> str:
    return f"http://127.0.0.1:{srv.port}"


def service_token(srv: Any) -> str:
    """An org-server token as the okta SDK's PrivateKey mode gets it: the assertion's audience is the public URL."""
    assertion = client_assertion(srv, f"{PUBLIC}/oauth2/v1/token")
    r = requests.post(f"{local(srv)}/oauth2/v1/token", data=assertion_form(assertion, "okta.users.read"),
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def default_token(srv: Any) -> str:
    c = srv.creds
    r = requests.post(f"{local(srv)}/oauth2/default/v1/token", auth=(c["serviceClientId"], c["serviceClientSecret"]),
                      data={"grant_type": "client_credentials", "scope": "api.read"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_same_seed_replicas_accept_each_others_tokens(spawn) -> None:
    """Same seed and public URL: identical discovery, JWKS and credentials; an org-server token from replica A
    lists users at replica B, and a default-server token from A introspects active at B. A third process with another seed refuses it."""
    args = [*BASE_ARGS, "--public-url", PUBLIC]
    a = spawn(args, name="replica-a")
    b = spawn(args, name="replica-b")
    assert a.port != b.port and a.url == b.url == PUBLIC
    assert a.creds == b.creds
    disc = [requests.get(f"{local(s)}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT).json() for s in (a, b)]
    assert disc[0] == disc[1] and disc[0]["issuer"] == PUBLIC, disc
    keys = [requests.get(f"{local(s)}/oauth2/v1/keys", timeout=HTTP_TIMEOUT).json() for s in (a, b)]
    assert keys[0] == keys[1] and keys[0]["keys"], keys

    token = service_token(a)
    users = requests.get(f"{local(b)}/api/v1/users", headers={"Authorization": f"Bearer {token}"},
                         timeout=HTTP_TIMEOUT)
    assert users.status_code == 200 and users.json(), users.text
    c = b.creds
    intro = requests.post(f"{local(b)}/oauth2/default/v1/introspect",
                          auth=(c["serviceClientId"], c["serviceClientSecret"]),
                          data={"token": default_token(a), "token_type_hint": "access_token"}, timeout=HTTP_TIMEOUT)
    assert intro.json().get("active") is True, intro.text

    other = spawn(["--host", "127.0.0.1", "--port", "0", "--seed", "2", "--public-url", PUBLIC], name="replica-c")
    refused = requests.get(f"{local(other)}/api/v1/users", headers={"Authorization": f"Bearer {token}"},
                           timeout=HTTP_TIMEOUT)
    assert refused.status_code == 401, refused.text


def test_public_url_must_be_an_origin() -> None:
    """A path, query or credentials in --public-url is refused at start (exit 2, naming the option)."""
    for bad in ["https://okta.example.test/some/path", "ftp://okta.example.test", "https://u:p@okta.example.test"]:
        proc = subprocess.run([str(mock_okta_bin()), "serve", *BASE_ARGS, "--public-url", bad], env=clean_env(),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        assert proc.returncode == 2 and "--public-url" in proc.stderr, (bad, proc.returncode, proc.stderr)
