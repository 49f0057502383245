"""Shared helpers for the mock-okta end-to-end suite.

Everything here talks to a running ``mock-okta serve`` over loopback only, and every wait is
bounded.  The ``MockOkta`` class starts and stops the binary; the functions below wrap the
protocol calls that several test files need (token requests, ``/__mock/tokens``, the
authorization-code flow, client assertions, JWT verification with PyJWT).

Section numbers such as "§4.4" refer to /work/shared/research/okta-contract.md.
"""

from __future__ import annotations

import base64
import hashlib
import html.parser
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "mock-okta"
HTTP_TIMEOUT = 10  # seconds, for every single HTTP call the suite makes
READY_TIMEOUT = 20.0  # seconds to wait for the ready file
STOP_TIMEOUT = 2.0  # seconds the server gets to exit after SIGTERM in fixtures

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# JSON Schema of the ready file (PRODUCT.md "Command line"); also the `credentials` member of
# GET /__mock/tenant uses CREDENTIALS_SCHEMA.
CREDENTIALS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "apiToken", "readOnlyApiToken", "serviceClientId", "serviceClientSecret",
        "servicePrivateKeyPem", "servicePrivateKeyKid", "webClientId", "webClientSecret",
        "webRedirectUri", "user", "unassignedUser",
    ],
    "properties": {
        "apiToken": {"type": "string", "minLength": 1},
        "readOnlyApiToken": {"type": "string", "minLength": 1},
        "serviceClientId": {"type": "string", "pattern": "^0oa"},
        "serviceClientSecret": {"type": "string", "minLength": 1},
        "servicePrivateKeyPem": {"type": "string", "pattern": "-----BEGIN (RSA )?PRIVATE KEY-----"},
        "servicePrivateKeyKid": {"type": "string", "minLength": 1},
        "webClientId": {"type": "string", "pattern": "^0oa"},
        "webClientSecret": {"type": "string", "minLength": 1},
        "webRedirectUri": {"const": "http://localhost:8000/callback"},
        "user": {
            "type": "object",
            "required": ["login", "password"],
            "properties": {"login": {"const": "ann@example.com"}, "password": {"type": "string", "minLength": 1}},
        },
        "unassignedUser": {
            "type": "object",
            "required": ["login", "password"],
            "properties": {"login": {"type": "string", "minLength": 1}, "password": {"type": "string", "minLength": 1}},
        },
    },
}

READY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["url", "port", "caFile", "orgIssuer", "defaultIssuer", "credentials"],
    "properties": {
        "url": {"type": "string", "pattern": r"^https?://127\.0\.0\.1:[0-9]+$"},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "caFile": {"type": ["string", "null"]},
        "orgIssuer": {"type": "string"},
        "defaultIssuer": {"type": "string"},
        "credentials": CREDENTIALS_SCHEMA,
    },
}


def mock_okta_bin() -> Path:
    """Path of the binary under test: $MOCK_OKTA_BIN or <repo>/.build/debug/mock-okta."""
    return Path(os.environ.get("MOCK_OKTA_BIN") or DEFAULT_BIN)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The parent's environment without any MOCK_OKTA_* / OKTA_* variables, plus `extra`.

    A developer's shell (or `mock-okta run`) may export these; the suite must not inherit them.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCK_OKTA_", "OKTA_"))}
    env.update(extra or {})
    return env


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago (small race, acceptable for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------------


@dataclass
class MockOkta:
    """One `mock-okta serve` process.

    ``args`` are the options after ``serve``; unless ``add_ready_file`` is False a
    ``--ready-file <workdir>/ready.json`` is appended.  stdout/stderr go to files in
    ``workdir`` (never to a pipe that could fill up).
    """

    workdir: Path
    args: list[str]
    env: dict[str, str] = field(default_factory=clean_env)
    binary: Path = field(default_factory=mock_okta_bin)
    name: str = "mock-okta"
    add_ready_file: bool = True

    proc: subprocess.Popen | None = None
    ready: dict[str, Any] = field(default_factory=dict)
    admin_token: str | None = None

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def ready_path(self) -> Path:
        return self.workdir / f"{self.name}.ready.json"

    @property
    def stdout_path(self) -> Path:
        return self.workdir / f"{self.name}.stdout"

    @property
    def stderr_path(self) -> Path:
        return self.workdir / f"{self.name}.stderr"

    def start(self, timeout: float = READY_TIMEOUT) -> "MockOkta":
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.ready_path.exists():
            self.ready_path.unlink()
        argv = [str(self.binary), "serve", *self.args]
        if self.add_ready_file:
            argv += ["--ready-file", str(self.ready_path)]
        if "--admin-token" in self.args:
            self.admin_token = self.args[self.args.index("--admin-token") + 1]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                cwd=str(self.workdir), env=self.env, start_new_session=True,
            )
        self.ready = self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.proc.returncode} before writing its ready file\n"
                    f"argv: {self.proc.args}\nstderr tail:\n{self.stderr_tail()}"
                )
            if self.ready_path.exists():
                try:
                    data = json.loads(self.ready_path.read_text())
                except (ValueError, OSError):
                    data = None  # half-written; try again
                if isinstance(data, dict) and data.get("url"):
                    return data
            time.sleep(0.05)
        self.kill()
        raise AssertionError(
            f"{self.name}: no ready file at {self.ready_path} within {timeout}s\n"
            f"stderr tail:\n{self.stderr_tail()}"
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> tuple[int | None, float]:
        """Send `sig`, wait up to `timeout`. Returns (returncode or None if still running, seconds).

        A process that does not exit in time is SIGKILLed afterwards (returncode reported as None).
        """
        if self.proc is None or self.proc.poll() is not None:
            return (self.proc.returncode if self.proc else None, 0.0)
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
            return rc, time.monotonic() - t0
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - t0
            self.kill()
            return None, elapsed

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def stdout_text(self) -> str:
        try:
            return self.stdout_path.read_text(errors="replace")
        except OSError:
            return ""

    def stderr_tail(self, n: int = 40) -> str:
        try:
            lines = self.stderr_path.read_text(errors="replace").splitlines()
        except OSError:
            return "<no stderr>"
        return "\n".join(lines[-n:])

    # -- ready-file accessors ---------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.ready["url"]

    @property
    def port(self) -> int:
        return int(self.ready["port"])

    @property
    def ca_file(self) -> str | None:
        return self.ready.get("caFile")

    @property
    def org_issuer(self) -> str:
        return self.ready["orgIssuer"]

    @property
    def default_issuer(self) -> str:
        return self.ready["defaultIssuer"]

    @property
    def creds(self) -> dict[str, Any]:
        return self.ready["credentials"]

    @property
    def verify(self) -> str | bool:
        """The `verify=` argument for requests: the mock CA for TLS, True otherwise."""
        return self.ca_file or True

    def ssl_context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None

    # -- plain HTTP helpers -------------------------------------------------------------------

    def abs(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else self.url + path_or_url

    def request(self, method: str, path_or_url: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("verify", self.verify)
        kw.setdefault("allow_redirects", False)
        return requests.request(method, self.abs(path_or_url), **kw)

    def get(self, path_or_url: str, **kw: Any) -> requests.Response:
        return self.request("GET", path_or_url, **kw)

    def post(self, path_or_url: str, **kw: Any) -> requests.Response:
        return self.request("POST", path_or_url, **kw)

    def control(self, method: str, path: str, **kw: Any) -> requests.Response:
        """A /__mock/* call, with the admin token when the server was started with one."""
        headers = dict(kw.pop("headers", {}) or {})
        if self.admin_token:
            headers.setdefault("Authorization", f"Bearer {self.admin_token}")
        return self.request(method, path, headers=headers, **kw)


# --------------------------------------------------------------------------------------------
# Control API
# --------------------------------------------------------------------------------------------


def reset(server: MockOkta) -> None:
    """POST /__mock/reset: tenant back to baseline (PRODUCT.md "Control API")."""
    r = server.control("POST", "/__mock/reset")
    assert r.status_code in (200, 204), f"/__mock/reset -> {r.status_code} {r.text[:300]}"


def tenant(server: MockOkta) -> dict[str, Any]:
    r = server.control("GET", "/__mock/tenant")
    assert r.status_code == 200, f"/__mock/tenant -> {r.status_code} {r.text[:300]}"
    return r.json()


def mint(srv: MockOkta, /, **body: Any) -> dict[str, Any]:
    """POST /__mock/tokens with `body` (keys as in PRODUCT.md, e.g. server=, clientId=,
    scopes=, lifetimeSeconds=); returns {"token","claims"}."""
    body.setdefault("server", "default")
    r = srv.control("POST", "/__mock/tokens", json=body)
    assert r.status_code == 200, f"/__mock/tokens -> {r.status_code} {r.text[:300]}"
    data = r.json()
    assert isinstance(data.get("token"), str) and data["token"].count(".") == 2, data
    return data


# --------------------------------------------------------------------------------------------
# Token endpoint
# --------------------------------------------------------------------------------------------


def token_url(server: MockOkta, as_id: str | None = "default") -> str:
    """Token URL of the org server (as_id None/"org") or of custom server `as_id`."""
    if as_id in (None, "org"):
        return server.url + "/oauth2/v1/token"
    return f"{server.url}/oauth2/{as_id}/v1/token"


def issuer_of(server: MockOkta, as_id: str | None = "default") -> str:
    if as_id in (None, "org"):
        return server.org_issuer
    return f"{server.url}/oauth2/{as_id}"


def service_basic(server: MockOkta) -> tuple[str, str]:
    c = server.creds
    return (c["serviceClientId"], c["serviceClientSecret"])


def web_basic(server: MockOkta) -> tuple[str, str]:
    c = server.creds
    return (c["webClientId"], c["webClientSecret"])


def token_request(
    server: MockOkta,
    data: dict[str, str] | None,
    *,
    as_id: str | None = "default",
    auth: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> requests.Response:
    """POST to a token endpoint with a form body (or `params` in the query string)."""
    return server.post(token_url(server, as_id), data=data, auth=auth, headers=headers, params=params)


def client_credentials(server: MockOkta, scope: str = "api.read", *, as_id: str = "default") -> dict[str, Any]:
    """client_credentials with client_secret_basic for the service app; asserts 200."""
    r = token_request(server, {"grant_type": "client_credentials", "scope": scope},
                      as_id=as_id, auth=service_basic(server))
    assert r.status_code == 200, f"token -> {r.status_code} {r.text[:300]}"
    return r.json()


def oauth_error(r: requests.Response, status: int, error: str) -> dict[str, Any]:
    """Assert an /oauth2 error: HTTP `status` and body {"error": error, "error_description": ...} (§1, summary 14)."""
    assert r.status_code == status, f"expected {status} {error}, got {r.status_code}: {r.text[:400]}"
    body = r.json()
    assert body.get("error") == error, body
    assert isinstance(body.get("error_description"), str) and body["error_description"], body
    return body


def client_assertion(
    server: MockOkta,
    aud: str,
    *,
    exp_in: int = 300,
    jti: str | None = None,
    iss: str | None = None,
    sub: str | None = None,
    kid: str | None = None,
    key_pem: str | None = None,
    iat_offset: int = 0,
) -> str:
    """An RS256 private_key_jwt assertion for the service app (§4.4, summary 13)."""
    c = server.creds
    now = int(time.time()) + iat_offset
    claims = {
        "iss": iss or c["serviceClientId"],
        "sub": sub or c["serviceClientId"],
        "aud": aud,
        "iat": now,
        "exp": now + exp_in,
        "jti": jti or str(uuid.uuid4()),
    }
    return jwt.encode(
        claims, key_pem or c["servicePrivateKeyPem"], algorithm="RS256",
        headers={"kid": kid or c["servicePrivateKeyKid"]},
    )


def assertion_form(assertion: str, scope: str) -> dict[str, str]:
    """Exactly the form the okta SDK's PrivateKey mode posts (§6): no client_id."""
    return {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }


# --------------------------------------------------------------------------------------------
# JWT verification with PyJWT
# --------------------------------------------------------------------------------------------


def jwks_uri_of(server: MockOkta, as_id: str | None = "default") -> str:
    if as_id in (None, "org"):
        return server.url + "/oauth2/v1/keys"
    return f"{server.url}/oauth2/{as_id}/v1/keys"


def verify_jwt(
    server: MockOkta,
    token: str,
    *,
    as_id: str | None = "default",
    audience: str | None = None,
    issuer: str | None = None,
    jwks_uri: str | None = None,
) -> dict[str, Any]:
    """Verify `token` with PyJWT's PyJWKClient against the server's JWKS (TLS-aware)."""
    client = jwt.PyJWKClient(jwks_uri or jwks_uri_of(server, as_id), cache_keys=False,
                             ssl_context=server.ssl_context(), timeout=HTTP_TIMEOUT)
    key = client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token, key.key, algorithms=["RS256"],
        audience=audience if audience is not None else ("api://default" if as_id not in (None, "org") else server.url),
        issuer=issuer or issuer_of(server, as_id),
    )


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) without verification."""
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def at_hash(access_token: str) -> str:
    """OIDC at_hash for RS256: left half of SHA-256, base64url without padding."""
    digest = hashlib.sha256(access_token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


# --------------------------------------------------------------------------------------------
# Authorization-code flow (plain requests; test_authlib_flows.py does it with Authlib)
# --------------------------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = base64.urlsafe_b64encode(os.urandom(48)).rstrip(b"=").decode()  # 64 chars
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(server: MockOkta, params: dict[str, str], as_id: str | None = "default") -> str:
    base = server.url + ("/oauth2/v1/authorize" if as_id in (None, "org") else f"/oauth2/{as_id}/v1/authorize")
    return base + "?" + urllib.parse.urlencode(params)


def redirect_params(r: requests.Response, redirect_uri: str) -> dict[str, str]:
    """Assert `r` is a 302 to `redirect_uri` and return its query parameters."""
    assert r.status_code == 302, f"authorize -> {r.status_code}, expected 302: {r.text[:400]}"
    location = r.headers.get("Location", "")
    assert location.split("?", 1)[0] == redirect_uri, f"Location {location!r} is not {redirect_uri}"
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def code_flow(
    server: MockOkta,
    *,
    scope: str = "openid profile email offline_access",
    login: str | None = None,
    as_id: str = "default",
) -> dict[str, Any]:
    """Web app: authorize (login_hint sign-in) + code exchange with PKCE S256.

    Returns the token response plus "_nonce", "_state" and "_verifier".
    """
    c = server.creds
    verifier, challenge = pkce_pair()
    state, nonce = uuid.uuid4().hex, uuid.uuid4().hex
    params = {
        "client_id": c["webClientId"], "response_type": "code", "scope": scope,
        "redirect_uri": c["webRedirectUri"], "state": state, "nonce": nonce,
        "code_challenge": challenge, "code_challenge_method": "S256",
        "login_hint": login or c["user"]["login"],
    }
    q = redirect_params(server.get(authorize_url(server, params, as_id)), c["webRedirectUri"])
    assert q.get("state") == state and q.get("code"), q
    r = token_request(server, {
        "grant_type": "authorization_code", "code": q["code"],
        "redirect_uri": c["webRedirectUri"], "code_verifier": verifier,
    }, as_id=as_id, auth=web_basic(server))
    assert r.status_code == 200, f"code exchange -> {r.status_code} {r.text[:300]}"
    out = r.json()
    out.update({"_nonce": nonce, "_state": state, "_verifier": verifier})
    return out


class FormParser(html.parser.HTMLParser):
    """Collects the first <form>'s action/method and its <input name=... value=...> fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method: str = "post"
        self.inputs: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and not self._done:
            self._in_form = True
            self.action = a.get("action") or None
            self.method = (a.get("method") or "post").lower()
        elif tag == "input" and self._in_form and a.get("name"):
            self.inputs[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


# --------------------------------------------------------------------------------------------
# Client libraries in a child process (see client_worker.py for why)
# --------------------------------------------------------------------------------------------

WORKER = Path(__file__).resolve().parent / "client_worker.py"


def run_clients(jobs: list[dict[str, Any]], *, ca_file: str | None = None,
                env: dict[str, str] | None = None, timeout: float = 60) -> list[dict[str, Any]]:
    """Run `jobs` in client_worker.py with SSL_CERT_FILE/REQUESTS_CA_BUNDLE = ca_file set before start."""
    import sys

    extra = dict(env or {})
    if ca_file:
        extra.update({"SSL_CERT_FILE": ca_file, "REQUESTS_CA_BUNDLE": ca_file})
    proc = subprocess.run([sys.executable, str(WORKER)], input=json.dumps(jobs), capture_output=True,
                          text=True, timeout=timeout, env=clean_env(extra))
    assert proc.returncode == 0, f"client_worker failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    results = json.loads(proc.stdout)
    assert len(results) == len(jobs)
    return results
