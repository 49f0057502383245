"""Naive and correct clients for the shipped scenarios, judged by `mock-okta run` in
test_verdict_outcomes.py.

    outcome_client.py [--behaviour correct|naive] PLAN [options]

Behaviours (the same plan, two ways of handling what goes wrong):

- ``correct``: every call has a read timeout; a 429 is retried only after X-Rate-Limit-Reset
  (reset − Date + 1 s, or reset − the local clock + 1 s when Date is missing), other 429s, 5xx,
  resets, closes, timeouts and unparseable bodies after an exponential backoff (0.25 s, 0.5 s, 1 s…),
  at most --max-attempts tries in all, each retry carrying X-Okta-Retry-For / X-Okta-Retry-Count;
  a 401/403 is never repeated with the same credentials (a Bearer 401 gets one new token and one
  more call); a POST is not repeated after a connection failure.
- ``naive``: no timeout at all, every non-2xx answer or connection failure retried with the same
  request and credentials, up to --naive-tries tries: a 429 at once (X-Rate-Limit-Reset is never
  read), anything else after a fixed --naive-sleep (0.1 s, so equal gaps are not mistaken for a
  backoff by scheduling jitter); resends the same token or refresh token.

Plans:

    probe                    GET the default server's discovery document and list users once (SSWS)
    list                     list users once (SSWS, or --bearer: an org-server token from private_key_jwt)
    poll --seconds S         list users every --interval s for S s (correct: stop at an SSWS 401)
    paginate                 list every user page, following Link rel="next"
    write                    list users, then create one (POST /api/v1/users)
    default-token            client_credentials at the default server (client_secret_basic)
    authorize                sign Ann in to the web app (GET /authorize with login_hint, no redirect followed)
    refresh --seconds S      sign Ann in with offline_access, call userinfo every second, refresh when the
                             access token expires (correct: after invalid_grant sign in again once)
    rotation --seconds S     mint default-server tokens and verify them against the JWKS (correct: cache by
                             kid and refetch once on an unknown kid; naive: fetch the key set for every token)
    authn --seconds S        primary authentication (/api/v1/authn) every --interval s with the configured password
                             (correct: stop at a 401 E0000004 or LOCKED_OUT; naive: try again)
    mfa --seconds S          authn every --interval s; on MFA_REQUIRED verify Ann's TOTP factor with a code from
                             pyotp (correct: never resend a refused code, wait for the next 30 s code; naive:
                             compute the code once and reuse it, retrying a 403)
    flaky --seconds S        users, groups, logs, ann and authorization servers read in a loop each (one thread
                             per route and caller) until every rule of the loaded scenario fired or S s (it
                             peeks at GET /__mock/scenario only to stop early)

Every plan is bounded in time.  The program exits 0 once its plan ran, whatever the answers were
(the verdict judges them), and writes $E2E_OUT/seen.json and journal.json as its last act
(see _common.py).  It prints one line per request on stdout.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import threading
import time
import urllib.parse
import uuid
from email.utils import parsedate_to_datetime
from typing import Any

import jwt
import pyotp
import requests

from _common import CONTROL_TIMEOUT, Recorder, env

CONNECT_TIMEOUT = 5.0
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RETRYABLE_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def log(msg: str) -> None:
    print(f"outcome_client: {msg}", flush=True)


def rid(r: requests.Response | None) -> str:
    return (r.headers.get("X-Okta-Request-Id") or "") if r is not None else ""


class Http:
    """Sends one logical request the correct or the naive way."""

    def __init__(self, args: argparse.Namespace, rec: Recorder) -> None:
        self.naive = args.behaviour == "naive"
        self.rec = rec
        self.max_attempts = args.max_attempts
        self.read_timeout = args.read_timeout
        self.max_wait = args.max_wait
        self.naive_tries = args.naive_tries
        self.naive_sleep = args.naive_sleep
        self.retries = 0

    # -- helpers ------------------------------------------------------------------------------

    def _once(self, method: str, url: str, headers: dict[str, str], timeout: Any, **kw: Any) -> requests.Response:
        r = requests.request(method, url, headers=headers, timeout=timeout, allow_redirects=False, **kw)
        self.rec.saw(r)
        log(f"{method} {urllib.parse.urlsplit(url).path} -> {r.status_code} [{rid(r)}]")
        return r

    @staticmethod
    def _broken(r: requests.Response) -> bool:
        """A 2xx whose JSON body does not parse (truncated) counts as a failed attempt."""
        if not (200 <= r.status_code < 300) or not r.content:
            return False
        if "json" not in r.headers.get("Content-Type", ""):
            return False
        try:
            r.json()
        except ValueError:
            return True
        return False

    @staticmethod
    def reset_wait(r: requests.Response) -> float | None:
        """Seconds until X-Rate-Limit-Reset (+1 s), from the Date header or, without one, the local clock."""
        raw = r.headers.get("X-Rate-Limit-Reset")
        if not raw:
            return None
        try:
            reset = min(int(v.strip()) for v in raw.split(",") if v.strip())  # a duplicated header arrives joined
        except ValueError:
            return None
        date = r.headers.get("Date")
        now = parsedate_to_datetime(date).timestamp() if date else time.time()
        return max(0.0, reset - now) + 1.0

    # -- the two behaviours -------------------------------------------------------------------

    def send(self, method: str, url: str, headers: dict[str, str], **kw: Any) -> requests.Response | None:
        return self._naive(method, url, headers, **kw) if self.naive else self._correct(method, url, headers, **kw)

    def _naive(self, method: str, url: str, headers: dict[str, str], **kw: Any) -> requests.Response | None:
        r: requests.Response | None = None
        for attempt in range(1, self.naive_tries + 1):
            if attempt > 1:
                self.retries += 1
                # a 429 is retried at once (X-Rate-Limit-Reset is never read), anything else after a fixed pause
                time.sleep(0 if r is not None and r.status_code == 429 else self.naive_sleep)
            try:
                r = self._once(method, url, headers, None, **kw)  # no timeout at all
            except RETRYABLE_ERRORS as e:
                log(f"{method} {urllib.parse.urlsplit(url).path} -> {type(e).__name__}")
                r = None
                continue
            if 200 <= r.status_code < 300:
                return r
        return r

    def _correct(self, method: str, url: str, headers: dict[str, str], **kw: Any) -> requests.Response | None:
        r: requests.Response | None = None
        previous = ""
        for attempt in range(1, self.max_attempts + 1):
            h = dict(headers)
            if attempt > 1:
                self.retries += 1
                if previous:
                    h["X-Okta-Retry-For"] = previous
                h["X-Okta-Retry-Count"] = str(attempt - 1)
            try:
                r = self._once(method, url, h, (CONNECT_TIMEOUT, self.read_timeout), **kw)
            except RETRYABLE_ERRORS as e:
                log(f"{method} {urllib.parse.urlsplit(url).path} -> {type(e).__name__}")
                r = None
                if method != "GET":
                    return None  # not idempotent: never resent blindly
                previous = ""
                wait = 0.25 * 2 ** (attempt - 1)
            else:
                failed = r.status_code == 429 or r.status_code >= 500 or self._broken(r)
                if not failed:
                    return r
                previous = rid(r)
                wait = (self.reset_wait(r) if r.status_code == 429 else None) or 0.25 * 2 ** (attempt - 1)
            if attempt == self.max_attempts:
                # Giving up is not a reason to hammer: the next request keeps to the backoff (a judge cannot
                # tell a new request from a retry of the same route by the same caller).
                log(f"giving up after {attempt} attempts")
                time.sleep(min(wait, self.max_wait))
                return r
            if wait > self.max_wait:
                log(f"the reset is {wait:.1f} s away, more than --max-wait; surfacing the error")
                return r
            time.sleep(wait)
        return r


# --------------------------------------------------------------------------------------------
# Credentials
# --------------------------------------------------------------------------------------------


def org_url() -> str:
    return env("OKTA_ORG_URL")


def ssws(args: argparse.Namespace) -> dict[str, str]:
    return {"Authorization": "SSWS " + env(args.token_env), "Accept": "application/json"}


def org_token(http: Http) -> str | None:
    """client_credentials with private_key_jwt at the org server (a fresh assertion jti each time)."""
    token, _ = org_token_with_lifetime(http)
    return token


def org_token_with_lifetime(http: Http) -> tuple[str | None, float]:
    """The org-server token and the monotonic time at which its expires_in runs out."""
    token_url = org_url() + "/oauth2/v1/token"
    client_id = env("OKTA_CLIENT_CLIENTID")
    now = int(time.time())
    assertion = jwt.encode({"iss": client_id, "sub": client_id, "aud": token_url, "iat": now, "exp": now + 300,
                            "jti": str(uuid.uuid4())}, env("OKTA_CLIENT_PRIVATEKEY"), algorithm="RS256")
    r = http.send("POST", token_url, {"Accept": "application/json"}, data={
        "grant_type": "client_credentials", "scope": "okta.users.read",
        "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion})
    if r is None or r.status_code != 200:
        log(f"token request refused: {r.status_code if r is not None else 'no answer'} {r.text[:200] if r is not None else ''}")
        return None, 0.0
    body = r.json()
    return body["access_token"], time.monotonic() + float(body.get("expires_in", 3600))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token, "Accept": "application/json"}


def describe_denial(r: requests.Response) -> None:
    """What a correct client reports: Okta's errorCode/errorSummary, or the WWW-Authenticate challenge."""
    challenge = r.headers.get("WWW-Authenticate", "")
    try:
        body = r.json() if r.content else {}
    except ValueError:
        body = {"raw": r.text[:200]}
    log(f"denied {r.status_code}: {json.dumps(body)[:300]} {challenge}")


# --------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------


class Users:
    """GET /api/v1/users with SSWS or an org-server Bearer token."""

    def __init__(self, args: argparse.Namespace, http: Http) -> None:
        self.args = args
        self.http = http
        self.url = org_url() + "/api/v1/users"
        self.token: str | None = None
        self.expires = 0.0
        if args.bearer:
            self.token, self.expires = org_token_with_lifetime(http)
        self.tokens = 1 if self.token else 0
        self.dead = args.bearer and self.token is None

    def headers(self) -> dict[str, str]:
        return bearer(self.token) if self.token else ssws(self.args)

    def call(self) -> requests.Response | None:
        """One listing; returns the final answer.  A correct Bearer client gets one new token after a 401
        (and with --renew-ahead S, also before a call when its token has less than S s left by expires_in)."""
        if self.token and self.args.renew_ahead is not None and time.monotonic() >= self.expires - self.args.renew_ahead:
            fresh, expires = org_token_with_lifetime(self.http)
            if fresh is not None:
                self.token, self.expires, self.tokens = fresh, expires, self.tokens + 1
        r = self.http.send("GET", self.url, self.headers())
        if r is not None and r.status_code in (401, 403):
            describe_denial(r)
            if r.status_code == 401 and self.token and not self.http.naive:
                fresh, expires = org_token_with_lifetime(self.http)
                if fresh is None:
                    return r
                self.token, self.expires, self.tokens = fresh, expires, self.tokens + 1
                r = self.http.send("GET", self.url, self.headers())
                if r is not None and r.status_code in (401, 403):
                    describe_denial(r)
        return r


def plan_probe(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    r = http.send("GET", org_url() + "/oauth2/default/.well-known/openid-configuration", {"Accept": "application/json"})
    statuses = [r.status_code if r is not None else None]
    if not args.discovery_only:
        r = http.send("GET", org_url() + "/api/v1/users", ssws(args))
        statuses.append(r.status_code if r is not None else None)
    return {"probe": statuses}


def plan_list(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    users = Users(args, http)
    if users.dead:
        return {"last": None}
    r = users.call()
    return {"last": r.status_code if r is not None else None, "tokens": users.tokens}


def plan_poll(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    users = Users(args, http)
    if users.dead:
        return {"last": None}
    start = time.monotonic()
    statuses: list[int | None] = []
    while time.monotonic() - start < args.seconds:
        r = users.call()
        statuses.append(r.status_code if r is not None else None)
        if r is not None and r.status_code in (401, 403) and not http.naive:
            log("the credential no longer works: stopping (it must be replaced)")
            break
        time.sleep(args.interval)
    return {"statuses": statuses, "tokens": users.tokens}


def plan_paginate(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    url: str | None = org_url() + "/api/v1/users?limit=200"
    ids: list[str] = []
    pages = 0
    while url and pages < 20:
        r = http.send("GET", url, ssws(args))
        if r is None or r.status_code != 200:
            log("listing failed; stopping")
            break
        pages += 1
        ids += [u["id"] for u in r.json()]
        url = r.links.get("next", {}).get("url")
    return {"pages": pages, "users": len(ids), "unique": len(set(ids))}


def plan_write(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    url = org_url() + "/api/v1/users?activate=false"
    read = http.send("GET", org_url() + "/api/v1/users", ssws(args))
    login = f"outcome-{secrets.token_hex(4)}@example.com"
    body = {"profile": {"firstName": "Out", "lastName": "Come", "email": login, "login": login}}
    r = http.send("POST", url, {**ssws(args), "Content-Type": "application/json"}, json=body)
    if r is not None and r.status_code in (401, 403):
        describe_denial(r)
    return {"read": read.status_code if read is not None else None, "write": r.status_code if r is not None else None}


def plan_default_token(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    r = http.send("POST", env("OKTA_ISSUER") + "/v1/token", {"Accept": "application/json"},
                  data={"grant_type": "client_credentials", "scope": "api.read"},
                  auth=(env("OKTA_CLIENT_ID"), env("OKTA_CLIENT_SECRET")))
    if r is not None and r.status_code >= 400:
        describe_denial(r)
    return {"last": r.status_code if r is not None else None}


def _web() -> tuple[str, str, str]:
    tenant = requests.get(env("MOCK_OKTA_URL") + "/__mock/tenant", timeout=CONTROL_TIMEOUT).json()["credentials"]
    return env("OKTA_WEB_CLIENT_ID"), env("OKTA_WEB_CLIENT_SECRET"), tenant["webRedirectUri"]


def sign_in(http: Http, scope: str) -> tuple[dict[str, Any] | None, str | None]:
    """GET /authorize with login_hint=ann (no redirect followed) and, on a code, the code exchange.

    Returns (token response, error from the redirect)."""
    client_id, secret, redirect = _web()
    q = {"client_id": client_id, "response_type": "code", "scope": scope, "redirect_uri": redirect,
         "state": secrets.token_hex(8), "nonce": secrets.token_hex(8), "login_hint": "ann@example.com"}
    r = requests.get(env("OKTA_ISSUER") + "/v1/authorize", params=q, allow_redirects=False,
                     timeout=None if http.naive else (CONNECT_TIMEOUT, http.read_timeout))
    http.rec.saw(r)
    loc = r.headers.get("Location", "")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
    log(f"GET /authorize -> {r.status_code} {params.get('error') or ('code' if 'code' in params else loc[:80])}")
    if "code" not in params:
        return None, params.get("error") or f"status {r.status_code}"
    t = requests.post(env("OKTA_ISSUER") + "/v1/token", auth=(client_id, secret), timeout=(CONNECT_TIMEOUT, 10),
                      data={"grant_type": "authorization_code", "code": params["code"], "redirect_uri": redirect})
    http.rec.saw(t)
    log(f"POST /token (code) -> {t.status_code}")
    return (t.json() if t.status_code == 200 else None), (None if t.status_code == 200 else t.text[:200])


def plan_authorize(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    errors: list[str | None] = []
    for _ in range(1 if not http.naive else http.naive_tries):
        tokens, error = sign_in(http, "openid profile")
        errors.append(error)
        if tokens is not None:
            break
        log(f"sign-in failed: {error}")
        if http.naive:
            time.sleep(http.naive_sleep)  # "let's just try again"
    return {"errors": errors}


def plan_refresh(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    client_id, secret, _ = _web()
    tokens, error = sign_in(http, "openid profile offline_access")
    if tokens is None:
        return {"error": error}
    sign_ins = 1
    expires = time.monotonic() + tokens["expires_in"]
    start = time.monotonic()
    events: list[str] = []
    while time.monotonic() - start < args.seconds:
        if time.monotonic() >= expires - 1:
            t = http.send("POST", env("OKTA_ISSUER") + "/v1/token", {"Accept": "application/json"}, auth=(client_id, secret),
                          data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                "scope": "openid profile offline_access"})
            if t is not None and t.status_code == 200:
                tokens = {**tokens, **t.json()}
                expires = time.monotonic() + tokens["expires_in"]
                events.append("refreshed")
            else:
                events.append(f"refresh {t.status_code if t is not None else None}")
                if t is not None:
                    describe_denial(t)
                if http.naive:
                    break  # the naive sender already resent the same refresh token
                # correct: the session is over; discard the tokens and sign the user in again, once
                tokens, error = sign_in(http, "openid profile offline_access")
                sign_ins += 1
                events.append("signed in again" if tokens else f"sign-in failed: {error}")
                break
        u = http.send("GET", env("OKTA_ISSUER") + "/v1/userinfo", bearer(tokens["access_token"]))
        events.append(f"userinfo {u.status_code if u is not None else None}")
        time.sleep(args.interval)
    return {"events": events, "signIns": sign_ins}


def plan_rotation(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    issuer = env("OKTA_ISSUER")
    keys: dict[str, Any] = {}
    fetches = 0

    def fetch() -> None:
        nonlocal fetches, keys
        fetches += 1
        r = http.send("GET", issuer + "/v1/keys", {"Accept": "application/json"})
        if r is not None and r.status_code == 200:
            keys = {k["kid"]: jwt.PyJWK(k) for k in r.json()["keys"]}

    start = time.monotonic()
    verified, kids = 0, set()
    while time.monotonic() - start < args.seconds:
        t = http.send("POST", issuer + "/v1/token", {"Accept": "application/json"},
                      data={"grant_type": "client_credentials", "scope": "api.read"},
                      auth=(env("OKTA_CLIENT_ID"), env("OKTA_CLIENT_SECRET")))
        if t is None or t.status_code != 200:
            log("token request failed")
            break
        token = t.json()["access_token"]
        kid = jwt.get_unverified_header(token)["kid"]
        kids.add(kid)
        if http.naive or kid not in keys:
            fetch()  # naive: the key set for every token; correct: only on a kid it does not know
        jwt.decode(token, keys[kid], algorithms=["RS256"], audience="api://default", issuer=issuer)
        verified += 1
        time.sleep(args.interval)
    return {"verified": verified, "kids": len(kids), "fetches": fetches}


def plan_flaky(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    """One thread per route and caller, each a sequential loop with its own retries, so a request is
    only ever retried by the thread that sent it (the verdicts chain requests by method, route and
    caller) while the delayed and trickled answers of one loop do not starve the others.  Group
    listings (the only route the truncated-body rule matches) are read by two callers: the admin and
    the read-only admin API tokens."""
    base = org_url() + "/api/v1"
    deadline = time.monotonic() + args.seconds
    stop = threading.Event()
    # Okta's per-minute buckets apply (users 600, groups 500, logs 120, users.id 2000, api 1200): each
    # loop's pace (× --interval) keeps its bucket far from empty over the whole run.
    loops = [("/users", "OKTA_CLIENT_TOKEN", 1.0), ("/groups", "OKTA_CLIENT_TOKEN", 1.0),
             ("/groups", "MOCK_OKTA_READONLY_TOKEN", 1.0), ("/logs", "OKTA_CLIENT_TOKEN", 5.0),
             ("/users/ann@example.com", "OKTA_CLIENT_TOKEN", 0.5), ("/authorizationServers", "OKTA_CLIENT_TOKEN", 0.5)]
    counts = {f"{path} ({token})": 0 for path, token, _ in loops}

    def loop(path: str, token: str, pace: float) -> None:
        headers = {"Authorization": "SSWS " + env(token), "Accept": "application/json"}
        while not stop.is_set() and time.monotonic() < deadline:
            r = http.send("GET", base + path, headers)
            counts[f"{path} ({token})"] += 1
            wait = args.interval * pace
            if r is not None and r.status_code == 429 and not http.naive:
                wait = max(wait, Http.reset_wait(r) or 1.0)  # a surfaced 429: no call before its reset
            stop.wait(min(wait, max(0.0, deadline - time.monotonic())))

    threads = [threading.Thread(target=loop, args=spec, daemon=True) for spec in loops]
    for t in threads:
        t.start()
    fired: dict[str, int] = {}
    while time.monotonic() < deadline:
        sc = requests.get(env("MOCK_OKTA_URL") + "/__mock/scenario", timeout=CONTROL_TIMEOUT).json()
        fired = {r["id"]: r["fired"] for r in sc.get("rules", [])}
        if fired and all(fired.values()):
            log(f"every rule fired after {args.seconds - (deadline - time.monotonic()):.1f} s: {fired}")
            break
        time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    return {"requests": counts, "fired": fired}


def plan_authn(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    """Primary authentication (/api/v1/authn) every --interval with the password the client was configured
    with. Correct: a 401 E0000004 (or LOCKED_OUT) means the credentials are wrong; stop, each try counts
    toward the lockout. Naive: "maybe it was a blip", try again after --naive-sleep."""
    user = requests.get(env("MOCK_OKTA_URL") + "/__mock/tenant", timeout=CONTROL_TIMEOUT).json()["credentials"]["user"]
    body = {"username": user["login"], "password": user["password"]}
    results: list[str] = []
    start = time.monotonic()
    while time.monotonic() - start < args.seconds:
        r = requests.post(org_url() + "/api/v1/authn", json=body, timeout=(CONNECT_TIMEOUT, args.read_timeout))
        http.rec.saw(r)
        j = r.json() if r.content else {}
        outcome = j.get("status") or j.get("errorCode") or str(r.status_code)
        results.append(outcome)
        log(f"POST /api/v1/authn -> {r.status_code} {outcome}")
        if r.status_code == 401 or outcome == "LOCKED_OUT":
            if not http.naive:
                log("the credentials were refused: not retrying (each try counts toward the lockout)")
                break
            time.sleep(http.naive_sleep)
            continue
        time.sleep(args.interval)
    return {"results": results}


def plan_mfa(args: argparse.Namespace, http: Http, rec: Recorder) -> dict[str, Any]:
    """Sign Ann in through /api/v1/authn every --interval; once the sign-on policy asks for a second factor,
    verify her TOTP factor with a code pyotp computes from the secret /__mock/tenant shows. Correct: a refused
    code (403) is never sent again; a code already used in this 30 s step is not sent at all (Okta takes each
    code once), the client waits for the next one. Naive: computes the code once and keeps it, and resends it
    after a 403."""
    tenant = requests.get(env("MOCK_OKTA_URL") + "/__mock/tenant", timeout=CONTROL_TIMEOUT).json()
    user = tenant["credentials"]["user"]
    body = {"username": user["login"], "password": user["password"]}
    results: list[str] = []
    cached: str | None = None
    used: set[str] = set()
    start = time.monotonic()
    while time.monotonic() - start < args.seconds:
        r = requests.post(org_url() + "/api/v1/authn", json=body, timeout=(CONNECT_TIMEOUT, args.read_timeout))
        http.rec.saw(r)
        j = r.json() if r.content else {}
        status = j.get("status") or j.get("errorCode") or str(r.status_code)
        log(f"POST /api/v1/authn -> {r.status_code} {status}")
        if status == "MFA_REQUIRED":
            status = verify_totp(args, http, j, user["login"], cached, used)
            if http.naive and cached is None:
                cached = next(iter(used), None)
        results.append(status)
        time.sleep(args.interval)
    return {"results": results}


def verify_totp(args: argparse.Namespace, http: Http, tx: dict[str, Any], login: str,
                cached: str | None, used: set[str]) -> str:
    factor = next(f for f in tx["_embedded"]["factors"] if f["factorType"] == "token:software:totp")
    tenant = requests.get(env("MOCK_OKTA_URL") + "/__mock/tenant", timeout=CONTROL_TIMEOUT).json()
    secret = next(f["secret"] for u in tenant["users"] if u["profile"]["login"] == login
                  for f in u.get("factors", []) if f["id"] == factor["id"])
    totp = pyotp.TOTP(secret)
    if http.naive:
        code = cached or totp.now()
    else:
        code = totp.now()
        while code in used:  # each code is taken once: wait for the next 30 s step
            time.sleep(30 - time.time() % 30 + 0.2)
            code = totp.now()
    used.add(code)
    url = factor["_links"]["verify"]["href"]
    for attempt in range(1, (args.naive_tries if http.naive else 1) + 1):
        r = requests.post(url, json={"stateToken": tx["stateToken"], "passCode": code},
                          timeout=(CONNECT_TIMEOUT, args.read_timeout))
        http.rec.saw(r)
        j = r.json() if r.content else {}
        status = j.get("status") or j.get("errorCode") or str(r.status_code)
        log(f"POST /api/v1/authn/factors/{factor['id']}/verify -> {r.status_code} {status}")
        if r.status_code != 403:
            return status
        if http.naive:
            time.sleep(http.naive_sleep)
    return status


PLANS = {
    "authn": plan_authn, "mfa": plan_mfa,
    "probe": plan_probe, "list": plan_list, "poll": plan_poll, "paginate": plan_paginate, "write": plan_write,
    "default-token": plan_default_token, "authorize": plan_authorize, "refresh": plan_refresh,
    "rotation": plan_rotation, "flaky": plan_flaky,
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--behaviour", choices=["correct", "naive"], default="correct")
    ap.add_argument("plan", choices=sorted(PLANS))
    ap.add_argument("--bearer", action="store_true", help="org-server Bearer token instead of SSWS")
    ap.add_argument("--renew-ahead", type=float, default=None,
                    help="Bearer: get a new token when the current one has less than this many seconds left")
    ap.add_argument("--token-env", default="OKTA_CLIENT_TOKEN", help="variable holding the SSWS token")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--max-attempts", type=int, default=3)
    ap.add_argument("--read-timeout", type=float, default=5.0)
    ap.add_argument("--max-wait", type=float, default=10.0, help="longest rate-limit wait a correct client accepts")
    ap.add_argument("--naive-tries", type=int, default=5)
    ap.add_argument("--naive-sleep", type=float, default=0.1)
    ap.add_argument("--discovery-only", action="store_true", help="probe: only the discovery document")
    args = ap.parse_args()

    rec = Recorder()
    http = Http(args, rec)
    summary = PLANS[args.plan](args, http, rec)
    log(f"done: {json.dumps(summary)}")
    rec.finish(behaviour=args.behaviour, plan=args.plan, retries=http.retries, **summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
