#!/usr/bin/env python3
"""mock-okta soak test (run it through scripts/soak).

For --minutes N it runs `mock-okta serve --db <tmp>/soak.db --seed S --admin-token T` on 127.0.0.1 and,
all at once, with bounded concurrency (at most 16 threads) and bounded rates:

* real-client traffic: the okta Python SDK (SSWS and PrivateKey modes) listing / creating / reading
  users and groups; client_credentials tokens (client_secret_basic at /oauth2/default/v1/token,
  private_key_jwt at /oauth2/v1/token), JWKS fetches and signature checks (PyJWT), introspect, revoke;
* mixed faults added with POST /__mock/rules and removed (the scenario re-posted without them, or
  deleted) over time: 429 with reset, 500/502/503/504, delay, hang (small seconds), reset, close,
  empty and malformed bodies, slow bodies, concurrency-limit 429s;
* hung requests: some abandoned by the client after a short read timeout, some left hanging (the
  socket kept open, unread) until the hang ends or the server restarts;
* restarts every --restart-every MIN:MAX seconds (default 60:120), alternating SIGTERM and kill -9,
  on the same --db (and one final SIGTERM + reopen at the end).

It tracks every acknowledged write (a user or group created with 200 and the id returned) and, after
each restart and at the end, checks that each one still exists with the login/name it was created
with; it checks that user/group ids, token jti and request ids never repeat (within or across
restarts); it samples the server's RSS (VmRSS) and fd count every few seconds and reports the RSS
slope (least squares, MiB/min, per run segment, after a 10 s warm-up); it times GET /__mock/health
and GET /__mock/journal; it reads the journal to count unintended 5xx (status >= 500 with no rule /
fault recorded), and cross-checks the 5xx the clients saw against it; it counts client errors and
timeouts.

Exit status: 0 = no failure; 1 = a lost acknowledged write, a repeated id/jti/request id, an
unintended 5xx, a crash (the server exited without being told to, or died of a fatal signal while
stopping), a restart that did not come up, a write check that could not complete, or a token
anomaly (a fresh token inactive or unverifiable, a revoked token active, a pre-restart token
rejected after restart); 2 = bad usage or the soak could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import itertools
import json
import logging
import math
import os
import random
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BIN = REPO / ".build" / "debug" / "mock-okta"

MAX_THREADS = 16
HTTP_TIMEOUT = (3.0, 10.0)      # (connect, read) seconds for every requests call
CONTROL_TIMEOUT = (3.0, 10.0)
SDK_REQUEST_TIMEOUT = 10        # okta SDK requestTimeout (aiohttp total timeout per HTTP call)
SDK_OP_TIMEOUT = 40.0           # one SDK call including its 429 retries
READY_TIMEOUT = 60.0            # default of --ready-timeout
STOP_GRACE = 5.0                # seconds after SIGTERM before we SIGKILL (the contract says 1 s)
WARMUP_S = 10.0                 # RSS samples of a segment's first seconds are left out of the slope
STARTED = time.monotonic()


def _prepare_env() -> None:
    # Nothing inherited may configure the clients or the server; loopback never goes through a proxy.
    for k in list(os.environ):
        if k.startswith(("OKTA_", "MOCK_OKTA_")) and k != "MOCK_OKTA_BIN":
            del os.environ[k]
    os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "1"
    for var in ("NO_PROXY", "no_proxy"):
        os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))


_prepare_env()

import jwt  # noqa: E402  (PyJWT, from the e2e venv)
import requests  # noqa: E402

logging.getLogger("okta").setLevel(logging.CRITICAL)
logging.getLogger("urllib3").setLevel(logging.CRITICAL)
logging.getLogger("asyncio").setLevel(logging.CRITICAL)


def log(msg: str) -> None:
    t = time.monotonic() - STARTED
    sys.stderr.write(f"[soak {int(t // 60):02d}:{t % 60:04.1f}] {msg}\n")
    sys.stderr.flush()


# ------------------------------------------------------------------------------------------------
# Bookkeeping
# ------------------------------------------------------------------------------------------------


class Stats:
    """Counters and capped sample lists, shared by every thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.c: collections.Counter[str] = collections.Counter()
        self.samples: dict[str, list[Any]] = collections.defaultdict(list)
        self.latency: dict[str, list[float]] = collections.defaultdict(list)

    def inc(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.c[key] += n

    def sample(self, kind: str, item: Any, cap: int = 20) -> None:
        with self.lock:
            if len(self.samples[kind]) < cap:
                self.samples[kind].append(item)

    def lat(self, kind: str, ms: float) -> None:
        with self.lock:
            self.latency[kind].append(ms)

    def get(self, key: str) -> int:
        with self.lock:
            return self.c[key]

    def prefixed(self, prefix: str) -> dict[str, int]:
        with self.lock:
            return {k[len(prefix):]: v for k, v in sorted(self.c.items()) if k.startswith(prefix)}


STATS = Stats()


class Shared:
    """What every worker needs to reach the current server generation."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.gen = 0
        self.url = ""
        self.port = 0
        self.creds: dict[str, Any] = {}
        self.admin_token = ""
        self.up = threading.Event()
        self.stop = threading.Event()
        self.faults_ok = threading.Event()
        self.crash = threading.Event()
        self.last_up = 0.0          # monotonic time the current generation became usable
        self.last_down = -1.0       # monotonic time the last stop began

    def in_restart_window(self, t0: float) -> bool:
        """Did an operation that started at t0 overlap a stop/restart (or the first seconds after)?"""
        return (not self.up.is_set()) or t0 < self.last_up + 2.0


SHARED = Shared()


class Ledger:
    """Acknowledged writes and every id / jti seen, with repeat detection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users: list[tuple[str, str, int]] = []    # (id, login, gen) per acknowledged create
        self.groups: list[tuple[str, str, int]] = []   # (id, name, gen)
        self.user_ids: dict[str, tuple[str, int]] = {}
        self.group_ids: dict[str, tuple[str, int]] = {}
        self.jti: dict[str, tuple[int, str]] = {}
        self.repeats: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        self.repeat_counts: collections.Counter[str] = collections.Counter()
        self.revoked_jti: set[str] = set()
        self.last_token: dict[int, tuple[str, str]] = {}   # gen -> (token, jti) of the newest good token

    def _repeat(self, kind: str, item: dict[str, Any]) -> None:
        self.repeat_counts[kind] += 1
        if len(self.repeats[kind]) < 10:
            self.repeats[kind].append(item)

    def ack_user(self, uid: str, login: str, gen: int) -> None:
        with self.lock:
            if uid in self.user_ids:
                first_login, first_gen = self.user_ids[uid]
                self._repeat("userId", {"id": uid, "first": {"login": first_login, "gen": first_gen},
                                         "again": {"login": login, "gen": gen}})
            else:
                self.user_ids[uid] = (login, gen)
            self.users.append((uid, login, gen))

    def ack_group(self, gid: str, name: str, gen: int) -> None:
        with self.lock:
            if gid in self.group_ids:
                first, first_gen = self.group_ids[gid]
                self._repeat("groupId", {"id": gid, "first": {"name": first, "gen": first_gen},
                                          "again": {"name": name, "gen": gen}})
            else:
                self.group_ids[gid] = (name, gen)
            self.groups.append((gid, name, gen))

    def see_jti(self, jti: str, gen: int, where: str) -> None:
        with self.lock:
            if jti in self.jti:
                g0, w0 = self.jti[jti]
                self._repeat("jti", {"jti": jti, "first": {"gen": g0, "server": w0}, "again": {"gen": gen, "server": where}})
            else:
                self.jti[jti] = (gen, where)

    def see_request_id_repeat(self, rid: str, first: dict[str, Any], again: dict[str, Any]) -> None:
        with self.lock:
            self._repeat("requestId", {"id": rid, "first": first, "again": again})

    def random_user(self, rnd: random.Random) -> tuple[str, str] | None:
        with self.lock:
            if not self.users:
                return None
            uid, login, _ = self.users[rnd.randrange(len(self.users))]
            return uid, login


LEDGER = Ledger()


class RateLimiter:
    """A token bucket over all client workers (bounded request rate)."""

    def __init__(self, per_second: float) -> None:
        self.rate = per_second
        self.tokens = per_second
        self.t = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self, stop: threading.Event) -> bool:
        while not stop.is_set():
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.rate, self.tokens + (now - self.t) * self.rate)
                self.t = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return True
                wait = (1 - self.tokens) / self.rate
            stop.wait(min(wait, 0.5))
        return False


def classify_exc(e: BaseException) -> str:
    if isinstance(e, (asyncio.TimeoutError, TimeoutError, socket.timeout, requests.Timeout)):
        return "timeout"
    if isinstance(e, (requests.ConnectionError, ConnectionError)):
        return "connection"
    if isinstance(e, AttributeError) and "has no attribute 'status'" in str(e):
        # okta SDK 3.4.6 on a connection closed/reset without an answer (no response object).
        return "no_response"
    name = type(e).__name__
    if "Timeout" in name:
        return "timeout"
    if any(s in name for s in ("Connect", "Disconnect", "ClientOSError", "ServerDisconnected")):
        return "connection"
    if isinstance(e, ValueError) or any(s in name for s in ("JSON", "Decode", "ContentType", "Payload", "Validation")):
        return "bad_body"
    return "other:" + name


def client_result(op: str, kind: str, t0: float) -> None:
    """Record one client operation's outcome: 'ok', 'http_<status>', 'timeout', 'connection', …"""
    STATS.inc(f"op.{op}.{kind}")
    if kind != "ok":
        STATS.inc("client.errors")
        STATS.inc(f"client.err.{kind}")
        if SHARED.in_restart_window(t0):
            STATS.inc("client.errors_restart_window")
        else:
            STATS.inc("client.errors_running")


def client_5xx(rid: str | None, status: int, op: str) -> None:
    with STATS.lock:
        STATS.samples.setdefault("_client5xx", []).append((rid, status, op, SHARED.gen))


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] if lo == hi else s[lo] + (s[hi] - s[lo]) * (k - lo)


def slope_per_minute(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute."""
    if len(points) < 5:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    if den <= 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den * 60.0


# ------------------------------------------------------------------------------------------------
# HTTP helpers (one requests.Session per thread and server generation; every call has a timeout)
# ------------------------------------------------------------------------------------------------

_local = threading.local()


def session() -> requests.Session:
    if getattr(_local, "gen", None) != SHARED.gen or getattr(_local, "s", None) is None:
        old = getattr(_local, "s", None)
        if old is not None:
            old.close()
        s = requests.Session()
        s.trust_env = False
        _local.s, _local.gen = s, SHARED.gen
    return _local.s


def ctl(method: str, path: str, *, timing: str | None = None, **kw: Any) -> requests.Response:
    """A /__mock/* call with the admin token. `timing` names a latency series to record."""
    headers = dict(kw.pop("headers", {}) or {})
    headers["Authorization"] = f"Bearer {SHARED.admin_token}"
    kw.setdefault("timeout", CONTROL_TIMEOUT)
    t0 = time.perf_counter()
    try:
        r = session().request(method, SHARED.url + path, headers=headers, allow_redirects=False, **kw)
    except Exception:
        if timing:
            STATS.inc(f"control.{timing}.failures")
        raise
    if timing:
        STATS.lat(timing, (time.perf_counter() - t0) * 1000.0)
        if r.status_code != 200:
            STATS.inc(f"control.{timing}.failures")
    return r


def api(method: str, path_or_url: str, **kw: Any) -> requests.Response:
    headers = dict(kw.pop("headers", {}) or {})
    headers.setdefault("Authorization", "SSWS " + SHARED.creds["apiToken"])
    headers.setdefault("Accept", "application/json")
    kw.setdefault("timeout", HTTP_TIMEOUT)
    url = path_or_url if "://" in path_or_url else SHARED.url + path_or_url
    return session().request(method, url, headers=headers, allow_redirects=False, **kw)


def header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    try:
        v = headers.get(name)
        if v is not None:
            return v
        low = name.lower()
        for k, v in headers.items():
            if str(k).lower() == low:
                return v
    except Exception:  # noqa: BLE001
        return None
    return None


# ------------------------------------------------------------------------------------------------
# The server process
# ------------------------------------------------------------------------------------------------


class StartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary: Path, workdir: Path, seed: int, admin_token: str) -> None:
        self.binary = binary
        self.workdir = workdir
        self.db = workdir / "soak.db"
        self.seed = seed
        self.admin_token = admin_token
        self.port = free_port()
        self.ready_timeout = READY_TIMEOUT
        self.proc: subprocess.Popen | None = None
        self.expected_exit = False
        self.started_at = 0.0
        self.gen = 0
        self.times: dict[int, dict[str, float]] = {}   # gen -> {"popen": t, "ready": t} (monotonic)
        self.lock = threading.Lock()

    def env(self) -> dict[str, str]:
        return {k: v for k, v in os.environ.items()
                if not k.startswith(("MOCK_OKTA_", "OKTA_")) and k != "LOG_LEVEL"}

    def stderr_path(self, gen: int) -> Path:
        return self.workdir / f"server-{gen}.stderr"

    def stderr_tail(self, gen: int, n: int = 15) -> list[str]:
        try:
            return self.stderr_path(gen).read_text(errors="replace").splitlines()[-n:]
        except OSError:
            return []

    def start(self, gen: int) -> dict[str, Any]:
        ready_path = self.workdir / "ready.json"
        last_err = ""
        for attempt in range(8):
            if ready_path.exists():
                ready_path.unlink()
            argv = [str(self.binary), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                    "--seed", str(self.seed), "--db", str(self.db), "--admin-token", self.admin_token,
                    "--ready-file", str(ready_path)]
            with open(self.workdir / f"server-{gen}.stdout", "ab") as out, open(self.stderr_path(gen), "ab") as err:
                proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                        cwd=str(self.workdir), env=self.env(), start_new_session=True)
            with self.lock:
                self.proc, self.expected_exit, self.gen = proc, False, gen
                self.times[gen] = {"popen": time.monotonic()}
            deadline = time.monotonic() + self.ready_timeout
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                if ready_path.exists():
                    try:
                        data = json.loads(ready_path.read_text())
                    except (ValueError, OSError):
                        data = None
                    if isinstance(data, dict) and data.get("url"):
                        self.started_at = time.monotonic()
                        with self.lock:
                            self.times[gen]["ready"] = self.started_at
                        return data
                time.sleep(0.05)
            tail = "\n".join(self.stderr_tail(gen, 8))
            if proc.poll() is None:
                with self.lock:
                    self.expected_exit = True
                proc.kill()
                proc.wait(5)
                raise StartError(f"no ready file within {self.ready_timeout:.0f}s; stderr tail:\n{tail}")
            last_err = f"exited {proc.returncode} before ready; stderr tail:\n{tail}"
            if re.search(r"address already in use|bind|EADDRINUSE", tail, re.I):
                STATS.inc("server.port_busy_retries")
                time.sleep(1.0)
                if attempt >= 4:
                    self.port = free_port()
                    STATS.inc("server.port_changed")
                continue
            raise StartError(last_err)
        raise StartError(last_err)

    def current(self) -> tuple[int | None, int, dict[str, float]]:
        """(pid if running, its generation, its start times), read together."""
        with self.lock:
            p = self.proc
            return (p.pid if p is not None and p.poll() is None else None, self.gen, dict(self.times.get(self.gen, {})))

    def pid(self) -> int | None:
        p = self.proc
        return p.pid if p is not None and p.poll() is None else None

    def stop(self, mode: str) -> dict[str, Any]:
        """mode 'SIGTERM' or 'SIGKILL'. Returns what happened."""
        with self.lock:
            proc = self.proc
            self.expected_exit = True
        out: dict[str, Any] = {"gen": self.gen, "mode": mode, "uptime_s": round(time.monotonic() - self.started_at, 1)}
        if proc is None or proc.poll() is not None:
            out.update({"already_exited": True, "rc": proc.returncode if proc else None})
            return out
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM if mode == "SIGTERM" else signal.SIGKILL)
        try:
            rc = proc.wait(timeout=STOP_GRACE)
            out.update({"rc": rc, "stop_s": round(time.monotonic() - t0, 3), "forced": False})
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait(timeout=10)
            out.update({"rc": rc, "stop_s": round(time.monotonic() - t0, 3), "forced": True})
        return out

    def unexpected_exit(self) -> int | None:
        """The return code if the process exited without being told to, else None."""
        with self.lock:
            p, expected = self.proc, self.expected_exit
            ready = "ready" in self.times.get(self.gen, {})
        if p is None or expected or not ready:
            return None  # not yet ready: a failed start, reported by start()
        return p.poll()


def describe_rc(rc: int | None) -> str:
    if rc is None:
        return "?"
    if rc < 0:
        try:
            return f"signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"signal {-rc}"
    return f"exit {rc}"


# ------------------------------------------------------------------------------------------------
# Faults (POST /__mock/rules to add; the scenario re-posted without a rule to remove it)
# ------------------------------------------------------------------------------------------------

HANG_HEADER = "X-Soak-Hang"
BASE_RULES = [
    # Tried first: the hang worker's own requests, abandoned or left hanging by it.
    {"id": "soak-hang-short", "match": {"headers": {HANG_HEADER: "short"}},
     "fault": {"type": "hang", "seconds": 8, "then": "respond"}},
    {"id": "soak-hang-long", "match": {"headers": {HANG_HEADER: "long"}},
     "fault": {"type": "hang", "seconds": 25, "then": "close"}},
]


def fault_templates(rnd: random.Random) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
    api_any = "/api/v1/*"
    p = lambda a, b: round(rnd.uniform(a, b), 3)  # noqa: E731
    ch = rnd.choice
    return [
        ("rateLimit", lambda: {"match": {"method": "GET", "path": ch(["/api/v1/users", "/api/v1/groups"])},
                               "when": {"probability": p(0.1, 0.3)},
                               "fault": {"type": "rateLimit", "resetAfterSeconds": ch([1, 2])}}),
        ("rateLimit", lambda: {"match": {"method": "POST", "path": "/api/v1/users"}, "when": {"probability": p(0.05, 0.2)},
                               "fault": {"type": "rateLimit", "resetAfterSeconds": 1}}),
        ("rateLimit", lambda: {"match": {"path": ch(["/oauth2/{id}/v1/token", "/oauth2/{id}/v1/introspect"])},
                               "when": {"probability": p(0.05, 0.2)},
                               "fault": {"type": "rateLimit", "resetAfterSeconds": ch([1, 2])}}),
        ("concurrencyLimit", lambda: {"match": {"path": api_any}, "when": {"probability": p(0.02, 0.08)},
                                      "fault": {"type": "concurrencyLimit", "resetAfterSeconds": 1}}),
        ("serverError", lambda: {"match": {"path": ch([api_any, "/api/v1/users", "/oauth2/{id}/v1/token"])},
                                 "when": {"probability": p(0.05, 0.2)}, "fault": {"type": "serverError"}}),
        ("unavailable", lambda: {"match": {"path": ch([api_any, "/oauth2/*"])}, "when": {"probability": p(0.05, 0.15)},
                                 "fault": {"type": "unavailable"}}),
        ("status", lambda: {"match": {"path": ch(["/oauth2/{id}/v1/introspect", "/oauth2/{id}/v1/keys", "/api/v1/groups"])},
                            "when": {"probability": p(0.1, 0.25)},
                            "fault": {"type": "status", "status": ch([500, 502, 504])}}),
        ("delay", lambda: {"match": {"path": ch([api_any, "/oauth2/*"])}, "when": {"probability": p(0.1, 0.4)},
                           "fault": {"type": "delay", "ms": rnd.randint(50, 1500)}}),
        ("hang", lambda: {"match": {"method": "GET", "path": ch(["/api/v1/users", "/api/v1/groups", "/oauth2/{id}/v1/keys"])},
                          "when": {"probability": p(0.03, 0.1), "times": rnd.randint(1, 4)},
                          "fault": {"type": "hang", "seconds": rnd.randint(2, 15), "then": ch(["respond", "close"])}}),
        ("reset", lambda: {"match": {"path": ch([api_any, "/oauth2/*"])}, "when": {"probability": p(0.02, 0.08)},
                           "fault": {"type": "reset"}}),
        ("close", lambda: {"match": {"path": ch([api_any, "/oauth2/*"])}, "when": {"probability": p(0.02, 0.08)},
                           "fault": {"type": "close"}}),
        ("emptyBody", lambda: {"match": {"method": "GET", "path": ch(["/api/v1/users", "/api/v1/groups", "/oauth2/{id}/v1/keys"])},
                               "when": {"probability": p(0.05, 0.15)},
                               "fault": {"type": "emptyBody", "status": ch([200, 500, 503])}}),
        ("malformedBody", lambda: {"match": {"path": ch(["/api/v1/users", "/api/v1/groups", "/oauth2/{id}/v1/keys",
                                                           "/oauth2/{id}/v1/introspect"])},
                                   "when": {"probability": p(0.05, 0.15)}, "fault": {"type": "malformedBody"}}),
        ("slowBody", lambda: {"match": {"method": "GET", "path": ch(["/api/v1/groups", "/api/v1/users"])},
                              "when": {"probability": p(0.05, 0.15)},
                              "fault": {"type": "slowBody", "seconds": round(rnd.uniform(0.5, 3.0), 1)}}),
    ]


class Faults:
    def __init__(self, rnd: random.Random, max_active: int = 5) -> None:
        self.rnd = rnd
        self.templates = fault_templates(rnd)
        self.rules: list[dict[str, Any]] = []
        self.n = 0
        self.max_active = max_active
        self.lock = threading.Lock()

    def doc(self) -> dict[str, Any]:
        return {"version": 1, "name": "soak", "description": "Soak test faults.", "rules": BASE_RULES + self.rules}

    def install_all(self) -> bool:
        with self.lock:
            try:
                r = ctl("POST", "/__mock/scenario", json=self.doc())
            except Exception as e:  # noqa: BLE001
                STATS.inc("faults.install_errors")
                STATS.sample("fault_control_errors", f"POST /__mock/scenario: {classify_exc(e)}")
                return False
            if r.status_code != 200:
                STATS.inc("faults.install_errors")
                STATS.sample("fault_control_errors", f"POST /__mock/scenario -> {r.status_code} {r.text[:300]}")
                return False
            return True

    def add(self) -> None:
        with self.lock:
            kind, make = self.rnd.choice(self.templates)
            self.n += 1
            rule = {"id": f"f{self.n}-{kind}", **make()}
            try:
                r = ctl("POST", "/__mock/rules", json=rule)
            except Exception as e:  # noqa: BLE001
                STATS.inc("faults.control_errors")
                STATS.sample("fault_control_errors", f"POST /__mock/rules: {classify_exc(e)}")
                return
            if r.status_code == 200:
                self.rules.append(rule)
                STATS.inc("faults.added")
                STATS.inc(f"faults.added_by_type.{kind}")
            else:
                STATS.inc("faults.rejected")
                STATS.sample("fault_control_errors", f"rule {json.dumps(rule)} -> {r.status_code} {r.text[:300]}")

    def remove(self, k: int) -> None:
        with self.lock:
            if not self.rules:
                return
            drop = set(self.rnd.sample(range(len(self.rules)), min(k, len(self.rules))))
            self.rules = [r for i, r in enumerate(self.rules) if i not in drop]
        if self.install_all():
            STATS.inc("faults.removed", len(drop))

    def clear(self) -> None:
        with self.lock:
            n = len(self.rules)
            self.rules = []
            try:
                r = ctl("DELETE", "/__mock/scenario")
                ok = r.status_code in (200, 204)
            except Exception:  # noqa: BLE001
                ok = False
        if not ok:
            STATS.inc("faults.control_errors")
        if self.install_all() and ok:
            STATS.inc("faults.removed", n)
            STATS.inc("faults.cleared")

    def delete_scenario(self) -> None:
        try:
            ctl("DELETE", "/__mock/scenario")
        except Exception:  # noqa: BLE001
            STATS.inc("faults.control_errors")

    def active(self) -> int:
        with self.lock:
            return len(self.rules)


def fault_worker(faults: Faults, rnd: random.Random) -> None:
    while not SHARED.stop.is_set():
        if SHARED.stop.wait(rnd.uniform(3.0, 8.0)):
            return
        if not (SHARED.up.is_set() and SHARED.faults_ok.is_set()):
            continue
        n = faults.active()
        x = rnd.random()
        if n < 2 or (n < faults.max_active and x < 0.5):
            faults.add()
        elif x < 0.88:
            faults.remove(rnd.randint(1, 2))
        else:
            faults.clear()


# ------------------------------------------------------------------------------------------------
# Real clients
# ------------------------------------------------------------------------------------------------

_okta: dict[str, Any] = {}


def import_okta() -> None:
    from okta.client import Client  # noqa: PLC0415
    from okta.models import AddGroupRequest, CreateUserRequest  # noqa: PLC0415

    _okta.update(Client=Client, CreateUserRequest=CreateUserRequest, AddGroupRequest=AddGroupRequest)


def sdk_client(mode: str) -> Any:
    c = SHARED.creds
    cfg: dict[str, Any] = {"orgUrl": SHARED.url, "requestTimeout": SDK_REQUEST_TIMEOUT,
                           "rateLimit": {"maxRetries": 2}, "cache": {"enabled": False},
                           "logging": {"enabled": False}}
    if mode == "ssws":
        cfg["token"] = c["apiToken"]
    else:
        cfg.update({"authorizationMode": "PrivateKey", "clientId": c["serviceClientId"],
                    "scopes": ["okta.users.read", "okta.users.manage", "okta.groups.read"],
                    "privateKey": c["servicePrivateKeyPem"], "kid": c["servicePrivateKeyKid"]})
    return _okta["Client"](cfg)


def unpack(result: Any) -> tuple[Any, Any, Any, int | None, str | None]:
    """(data, resp, err, status, request id) from an SDK result tuple."""
    data = resp = err = None
    if isinstance(result, tuple):
        if len(result) >= 3:
            data, resp, err = result[0], result[1], result[2]
        elif len(result) == 2:
            resp, err = result
    status = getattr(resp, "status_code", None) or getattr(resp, "status", None)
    if status is None and err is not None:
        status = getattr(err, "status", None)
    try:
        status = int(status) if status is not None else None
    except (TypeError, ValueError):
        status = None
    rid = header(getattr(resp, "headers", None), "X-Okta-Request-Id")
    return data, resp, err, status, rid


def sdk_kind(op: str, data: Any, err: Any, status: int | None, rid: str | None, need_data: bool = True) -> str:
    if status is not None and status >= 500:
        client_5xx(rid, status, op)
    if err is None and status == 200 and (data is not None or not need_data):
        return "ok"
    if status is not None:
        return "http_429" if status == 429 else f"http_{status // 100}xx" if status != 200 else "empty_or_bad_200"
    if err is not None:
        return classify_exc(err) if isinstance(err, BaseException) else "other:" + type(err).__name__
    return "no_response"


RUN_ID = uuid.uuid4().hex[:6]
_seq = itertools.count(1)


async def op_create_user(client: Any) -> str:
    login = f"soak-{RUN_ID}-{next(_seq)}@example.com"
    gen = SHARED.gen
    body = _okta["CreateUserRequest"].from_dict({
        "profile": {"firstName": "Soak", "lastName": f"U{gen}", "email": login, "login": login},
        "credentials": {"password": {"value": "Sup3r-Secret-" + uuid.uuid4().hex[:8]}}})
    data, _resp, err, status, rid = unpack(await client.create_user(body, activate=True))
    kind = sdk_kind("create_user", data, err, status, rid)
    if kind == "ok":
        uid = getattr(data, "id", None)
        got = getattr(getattr(data, "profile", None), "login", None)
        if not uid:
            return "ok_without_id"
        LEDGER.ack_user(uid, login, gen)
        if got != login:
            STATS.inc("anomaly.create_returned_other_login")
            STATS.sample("anomalies", {"what": "create_user returned another login", "sent": login, "got": got, "id": uid})
    return kind


async def op_get_user(client: Any, rnd: random.Random) -> str:
    pick = LEDGER.random_user(rnd)
    if pick is None:
        return await op_list_users(client)
    uid, login = pick
    data, _resp, err, status, rid = unpack(await client.get_user(uid))
    kind = sdk_kind("get_user", data, err, status, rid)
    if kind == "ok":
        got = getattr(getattr(data, "profile", None), "login", None)
        if got != login:
            STATS.inc("live.get_user_other_login")
            STATS.sample("live_mismatch", {"id": uid, "acked_login": login, "now_login": got, "gen": SHARED.gen})
    elif status == 404:
        STATS.inc("live.get_user_404")
        STATS.sample("live_mismatch", {"id": uid, "acked_login": login, "now": 404, "gen": SHARED.gen})
    return kind


async def op_list_users(client: Any) -> str:
    data, _resp, err, status, rid = unpack(await client.list_users(limit=50))
    return sdk_kind("list_users", data, err, status, rid)


async def op_list_groups(client: Any) -> str:
    data, _resp, err, status, rid = unpack(await client.list_groups(limit=50))
    return sdk_kind("list_groups", data, err, status, rid)


async def op_create_group(client: Any) -> str:
    name = f"soak-{RUN_ID}-g{next(_seq)}"
    gen = SHARED.gen
    body = _okta["AddGroupRequest"].from_dict({"profile": {"name": name, "description": "soak"}})
    data, _resp, err, status, rid = unpack(await client.add_group(body))
    kind = sdk_kind("create_group", data, err, status, rid)
    if kind == "ok" and getattr(data, "id", None):
        LEDGER.ack_group(data.id, name, gen)
    return kind


def sdk_worker(mode: str, rnd: random.Random, limiter: RateLimiter) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    client, client_gen = None, -1
    if mode == "ssws":
        ops = [("create_user", 4), ("list_users", 2), ("get_user", 3), ("list_groups", 2), ("create_group", 1)]
    else:  # the service app's grants: okta.users.read/manage, okta.groups.read
        ops = [("create_user", 3), ("list_users", 2), ("get_user", 3), ("list_groups", 1)]
    names = [o for o, _ in ops]
    weights = [w for _, w in ops]
    try:
        while not SHARED.stop.is_set():
            if not SHARED.up.wait(0.5):
                continue
            if not limiter.acquire(SHARED.stop):
                break
            if client_gen != SHARED.gen:
                try:
                    client, client_gen = sdk_client(mode), SHARED.gen
                except Exception as e:  # noqa: BLE001
                    STATS.inc("client.sdk_build_errors")
                    STATS.sample("client_errors", f"okta Client({mode}): {type(e).__name__}: {e}")
                    SHARED.stop.wait(1)
                    continue
            op = rnd.choices(names, weights)[0]
            if mode != "ssws":
                op_name = op + "[pk]"
            else:
                op_name = op
            t0 = time.monotonic()
            coro = {"create_user": lambda: op_create_user(client), "get_user": lambda: op_get_user(client, rnd),
                    "list_users": lambda: op_list_users(client), "list_groups": lambda: op_list_groups(client),
                    "create_group": lambda: op_create_group(client)}[op]()
            try:
                kind = loop.run_until_complete(asyncio.wait_for(coro, SDK_OP_TIMEOUT))
            except Exception as e:  # noqa: BLE001
                kind = classify_exc(e)
                if kind.startswith("other:"):
                    STATS.sample("client_errors", f"{op_name}: {type(e).__name__}: {str(e)[:200]}")
            client_result(op_name, kind, t0)
            SHARED.stop.wait(rnd.uniform(0.05, 0.4))
    finally:
        try:
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()
        except Exception:  # noqa: BLE001
            pass


def decode_jti(token: str) -> str | None:
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("jti")
    except Exception:  # noqa: BLE001
        return None


def http_kind(op: str, r: requests.Response) -> str:
    if r.status_code >= 500:
        client_5xx(r.headers.get("X-Okta-Request-Id"), r.status_code, op)
    if r.status_code == 200:
        return "ok"
    return "http_429" if r.status_code == 429 else f"http_{r.status_code // 100}xx"


def client_credentials(op: str, server: str, rnd: random.Random) -> tuple[str, str | None]:
    """('ok', token) or (error kind, None). server 'default' (basic) or 'org' (private_key_jwt)."""
    c = SHARED.creds
    if server == "default":
        url = SHARED.url + "/oauth2/default/v1/token"
        r = session().post(url, data={"grant_type": "client_credentials", "scope": "api.read api.write"},
                           auth=(c["serviceClientId"], c["serviceClientSecret"]), timeout=HTTP_TIMEOUT)
    else:
        url = SHARED.url + "/oauth2/v1/token"
        now = int(time.time())
        assertion = jwt.encode({"iss": c["serviceClientId"], "sub": c["serviceClientId"], "aud": url, "iat": now,
                                "exp": now + 300, "jti": uuid.uuid4().hex}, c["servicePrivateKeyPem"],
                               algorithm="RS256", headers={"kid": c["servicePrivateKeyKid"]})
        r = session().post(url, data={"grant_type": "client_credentials", "scope": "okta.users.read",
                                      "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                      "client_assertion": assertion}, timeout=HTTP_TIMEOUT)
    kind = http_kind(op, r)
    if kind != "ok":
        return kind, None
    try:
        tok = r.json()["access_token"]
    except Exception:  # noqa: BLE001
        return "bad_body", None
    jti = decode_jti(tok)
    if not jti:
        return "bad_body", None
    LEDGER.see_jti(jti, SHARED.gen, server)
    return "ok", tok


def verify_with_jwks(token: str, *, op: str = "jwks") -> tuple[str, str | None]:
    """Fetch /oauth2/default/v1/keys and verify `token`. ('ok', None), (transport kind, None) or
    ('anomaly', reason) when a well-formed JWKS does not verify a token the server minted."""
    r = session().get(SHARED.url + "/oauth2/default/v1/keys", timeout=HTTP_TIMEOUT)
    kind = http_kind(op, r)
    if kind != "ok":
        return kind, None
    try:
        jwks = jwt.PyJWKSet.from_dict(r.json())
    except Exception:  # noqa: BLE001
        return "bad_body", None
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = [k for k in jwks.keys if k.key_id == kid]
        if not keys:
            return "anomaly", f"kid {kid} not in JWKS ({[k.key_id for k in jwks.keys]})"
        jwt.decode(token, keys[0].key, algorithms=["RS256"], audience="api://default",
                   issuer=SHARED.url + "/oauth2/default", leeway=5)
        return "ok", None
    except jwt.ExpiredSignatureError:
        return "expired", None
    except Exception as e:  # noqa: BLE001
        return "anomaly", f"{type(e).__name__}: {e}"


def introspect(token: str, op: str = "introspect") -> tuple[str, bool | None]:
    c = SHARED.creds
    r = session().post(SHARED.url + "/oauth2/default/v1/introspect",
                       data={"token": token, "token_type_hint": "access_token"},
                       auth=(c["serviceClientId"], c["serviceClientSecret"]), timeout=HTTP_TIMEOUT)
    kind = http_kind(op, r)
    if kind != "ok":
        return kind, None
    try:
        active = r.json().get("active")
    except Exception:  # noqa: BLE001
        return "bad_body", None
    if not isinstance(active, bool):
        return "bad_body", None
    return "ok", active


def token_anomaly(what: str, detail: dict[str, Any]) -> None:
    STATS.inc("anomaly.token")
    STATS.inc(f"anomaly.token.{what}")
    STATS.sample("token_anomalies", {"what": what, "gen": SHARED.gen, **detail})


def step(op: str, fn: Callable[[], Any]) -> Any:
    """Run one client call, recording an exception as that call's error; returns fn() or None."""
    t0 = time.monotonic()
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        kind = classify_exc(e)
        client_result(op, kind, t0)
        if kind.startswith("other:"):
            STATS.sample("client_errors", f"{op}: {type(e).__name__}: {str(e)[:200]}")
        return None


def pyjwkclient_check(tok: str) -> None:
    """The real-client path: PyJWKClient fetching the JWKS itself, then PyJWT verifying."""
    t0 = time.monotonic()
    try:
        jc = jwt.PyJWKClient(SHARED.url + "/oauth2/default/v1/keys", cache_keys=False, cache_jwk_set=False, timeout=5)
        key = jc.get_signing_key_from_jwt(tok)
    except jwt.PyJWKClientError as e:
        msg = str(e)
        kind = "fetch_error" if ("Fail to fetch" in msg or "fetch" in msg.lower()) else "jwks_error"
        client_result("pyjwkclient", kind, t0)
        STATS.sample("client_errors", f"PyJWKClient: {msg[:160]}")
        return
    try:
        jwt.decode(tok, key.key, algorithms=["RS256"], audience="api://default",
                   issuer=SHARED.url + "/oauth2/default", leeway=5)
        client_result("pyjwkclient", "ok", t0)
    except Exception as e:  # noqa: BLE001
        client_result("pyjwkclient", "verify_error", t0)
        STATS.sample("client_errors", f"PyJWKClient verify: {type(e).__name__}: {str(e)[:160]}")


def token_worker(rnd: random.Random, limiter: RateLimiter) -> None:
    c = lambda: SHARED.creds  # noqa: E731
    cycle = 0
    while not SHARED.stop.is_set():
        if not SHARED.up.wait(0.5):
            continue
        if not limiter.acquire(SHARED.stop):
            break
        cycle += 1
        gen = SHARED.gen
        t0 = time.monotonic()
        got = step("token", lambda: client_credentials("token", "default", rnd))
        if got is not None:
            kind, tok = got
            client_result("token", kind, t0)
        else:
            tok = None
        if tok:
            jti = decode_jti(tok) or ""
            if cycle % 4 == 0:
                step("pyjwkclient", lambda: pyjwkclient_check(tok))
            else:
                t1 = time.monotonic()
                v = step("jwks", lambda: verify_with_jwks(tok))
                if v is not None:
                    vk, reason = v
                    if vk == "anomaly":
                        token_anomaly("fresh_token_not_verifiable", {"jti": jti, "reason": reason})
                    client_result("jwks", vk, t1)
            t2 = time.monotonic()
            i = step("introspect", lambda: introspect(tok))
            if i is not None:
                ik, active = i
                client_result("introspect", ik, t2)
                if ik == "ok" and active is False and gen == SHARED.gen:
                    token_anomaly("fresh_token_inactive", {"jti": jti})
                if ik == "ok" and active:
                    with LEDGER.lock:
                        LEDGER.last_token[gen] = (tok, jti)
            if rnd.random() < 0.15:
                t3 = time.monotonic()
                r = step("revoke", lambda: session().post(
                    SHARED.url + "/oauth2/default/v1/revoke", data={"token": tok, "token_type_hint": "access_token"},
                    auth=(c()["serviceClientId"], c()["serviceClientSecret"]), timeout=HTTP_TIMEOUT))
                if r is not None:
                    rk = http_kind("revoke", r)
                    client_result("revoke", rk, t3)
                    if rk == "ok":
                        with LEDGER.lock:
                            LEDGER.revoked_jti.add(jti)
                            if LEDGER.last_token.get(gen, ("", ""))[1] == jti:
                                del LEDGER.last_token[gen]
                        t4 = time.monotonic()
                        i2 = step("introspect", lambda: introspect(tok))
                        if i2 is not None:
                            ik2, active2 = i2
                            client_result("introspect", ik2, t4)
                            if ik2 == "ok" and active2 is True and gen == SHARED.gen:
                                token_anomaly("revoked_token_active", {"jti": jti})
        if rnd.random() < 0.3:
            t5 = time.monotonic()
            got = step("token[pkjwt]", lambda: client_credentials("token[pkjwt]", "org", rnd))
            if got is not None:
                client_result("token[pkjwt]", got[0], t5)
        SHARED.stop.wait(rnd.uniform(0.1, 0.5))


def hang_worker(rnd: random.Random) -> None:
    """Sends requests that the soak-hang-* rules hang: most abandoned after a short read timeout,
    some left hanging (socket kept open, unread) until answered, closed, or the server restarts."""
    parked: list[tuple[socket.socket, float, int]] = []

    def settle(final: bool = False) -> None:
        keep = []
        for sock, t_open, gen in parked:
            outcome = None
            try:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    data = sock.recv(65536)
                    outcome = "parked_answered" if data else "parked_closed_by_server"
            except OSError:
                outcome = "parked_reset_by_server"
            if outcome is None and (final or time.monotonic() - t_open > 45):
                outcome = "parked_abandoned"
            if outcome is None:
                keep.append((sock, t_open, gen))
            else:
                STATS.inc(f"hang.{outcome}")
                if gen != SHARED.gen and outcome != "parked_abandoned":
                    STATS.inc("hang.parked_released_by_restart")
                try:
                    sock.close()
                except OSError:
                    pass
        parked[:] = keep

    try:
        while not SHARED.stop.is_set():
            settle()
            if SHARED.stop.wait(rnd.uniform(2.0, 5.0)):
                break
            if not (SHARED.up.is_set() and SHARED.faults_ok.is_set()):
                continue
            park = len(parked) < 6 and rnd.random() < 0.35
            which = "long" if park else "short"
            req = (f"GET /api/v1/users?limit=1 HTTP/1.1\r\nHost: 127.0.0.1:{SHARED.port}\r\n"
                   f"Authorization: SSWS {SHARED.creds['apiToken']}\r\nAccept: application/json\r\n"
                   f"{HANG_HEADER}: {which}\r\n\r\n").encode()
            try:
                sock = socket.create_connection(("127.0.0.1", SHARED.port), timeout=3)
                sock.sendall(req)
            except OSError:
                STATS.inc("hang.connect_failed")
                continue
            STATS.inc("hang.sent")
            if park:
                sock.setblocking(False)
                parked.append((sock, time.monotonic(), SHARED.gen))
                STATS.inc("hang.parked")
                continue
            sent_gen = SHARED.gen
            sock.settimeout(rnd.uniform(0.5, 2.5))
            try:
                data = sock.recv(65536)
                outcome = "answered_before_abandon" if data else "closed_before_abandon"
            except socket.timeout:
                outcome = "abandoned"
            except OSError:
                outcome = "reset_before_abandon"
            finally:
                sock.close()
            if outcome != "abandoned" and (sent_gen != SHARED.gen or not SHARED.up.is_set()):
                outcome += "_by_restart"
            STATS.inc(f"hang.{outcome}")
    finally:
        settle(final=True)


# ------------------------------------------------------------------------------------------------
# Journal (unintended 5xx, request-id repeats) and sampling (RSS, fds, health latency)
# ------------------------------------------------------------------------------------------------


class JournalWatch:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.since = 0.0
        self.done: set[tuple[str, float]] = set()
        self.pending: dict[tuple[str, float], tuple[float, int]] = {}   # key -> (first seen monotonic, gen)
        self.first: dict[str, dict[str, Any]] = {}                     # request id -> first entry summary
        self.five: dict[str, dict[str, Any]] = {}                      # request id -> 5xx entry summary

    def poll(self) -> None:
        with self.lock:
            gen = SHARED.gen
            try:
                r = ctl("GET", "/__mock/journal", timing="journal", params={"since": f"{self.since:.0f}"})
            except Exception as e:  # noqa: BLE001
                STATS.sample("control_errors", f"GET /__mock/journal: {classify_exc(e)}")
                return
            if r.status_code != 200:
                STATS.sample("control_errors", f"GET /__mock/journal -> {r.status_code}")
                return
            try:
                entries = r.json().get("entries") or []
            except ValueError:
                STATS.inc("control.journal.bad_json")
                return
            newest = self.since
            for e in entries:
                rid, rec = e.get("id"), e.get("receivedAt")
                if not isinstance(rid, str) or not isinstance(rec, (int, float)):
                    continue
                key = (rid, float(rec))
                newest = max(newest, float(rec))
                if key in self.done:
                    continue
                finished = e.get("finishedAt") is not None or e.get("disconnectedAt") is not None
                if not finished:
                    self.pending.setdefault(key, (time.monotonic(), gen))
                    continue
                self.pending.pop(key, None)
                self.done.add(key)
                self.account(e, gen)
            # Entries in flight when a generation ended never finish; give up on them after 90 s.
            now = time.monotonic()
            for key, (seen, g) in list(self.pending.items()):
                if g != gen or now - seen > 90:
                    del self.pending[key]
                    STATS.inc("journal.never_finished_old_gen" if g != gen else "journal.never_finished_90s")
            oldest_pending = min((k[1] for k in self.pending), default=None)
            self.since = max(self.since, oldest_pending if oldest_pending is not None else newest)

    def account(self, e: dict[str, Any], gen: int) -> None:
        rid, status = e["id"], e.get("status")
        STATS.inc("journal.entries")
        summary = {"id": rid, "receivedAt": e.get("receivedAt"), "method": e.get("method"), "path": e.get("path"),
                   "status": status, "rule": e.get("rule"), "fault": e.get("fault"), "gen": gen}
        first = self.first.get(rid)
        if first is None:
            self.first[rid] = {"receivedAt": e.get("receivedAt"), "gen": gen, "path": e.get("path")}
        elif first["receivedAt"] != e.get("receivedAt"):
            LEDGER.see_request_id_repeat(rid, first, {"receivedAt": e.get("receivedAt"), "gen": gen, "path": e.get("path")})
        if e.get("fault"):
            STATS.inc(f"journal.fault.{e['fault']}")
        if e.get("disconnectedAt") is not None:
            STATS.inc("journal.client_disconnected")
        if isinstance(status, int) or isinstance(status, float):
            status = int(status)
            STATS.inc(f"journal.status.{status // 100}xx")
            if status == 429 and not e.get("rule"):
                STATS.inc("journal.real_429")
            if status >= 500:
                self.five[rid] = summary
                if e.get("rule") or e.get("fault"):
                    STATS.inc("journal.intended_5xx")
                else:
                    STATS.inc("journal.unintended_5xx")
                    STATS.sample("unintended_5xx", summary, cap=25)


def journal_worker(jw: JournalWatch, every: float) -> None:
    while not SHARED.stop.wait(every):
        if SHARED.up.is_set():
            jw.poll()


class Sampler:
    def __init__(self, server: Server, every: float) -> None:
        self.server = server
        self.every = every
        self.lock = threading.Lock()
        self.segments: list[dict[str, Any]] = []
        self.crash: dict[str, Any] | None = None

    def sample(self) -> None:
        # Samples are filed under the generation of the process they were read from (a restart
        # starts a new process before the soak switches over to it), timed from its exec.
        pid, gen, times = self.server.current()
        if pid is None or "popen" not in times:
            return
        rss = threads = None
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])  # kB
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, ValueError):
            return
        with self.lock:
            if rss is None:
                return
            if not self.segments or self.segments[-1]["gen"] != gen:
                self.segments.append({"gen": gen, "t0": times["popen"], "rss": [], "fds": [], "threads": []})
            seg = self.segments[-1]
            if "ready" in times:
                seg["ready_t"] = times["ready"] - seg["t0"]
            t = time.monotonic() - seg["t0"]
            seg["rss"].append((t, rss / 1024.0))
            seg["fds"].append(fds)
            if threads is not None:
                seg["threads"].append(threads)

    def run(self) -> None:
        next_sample = 0.0
        while not SHARED.stop.is_set():
            rc = self.server.unexpected_exit()
            if rc is not None and not SHARED.crash.is_set():
                SHARED.up.clear()
                SHARED.crash.set()
            now = time.monotonic()
            if now >= next_sample:
                next_sample = now + self.every
                self.sample()
                if SHARED.up.is_set():
                    try:
                        ctl("GET", "/__mock/health", timing="health", timeout=(2.0, 5.0))
                    except Exception:  # noqa: BLE001
                        pass
            SHARED.stop.wait(0.25)

    def report(self) -> dict[str, Any]:
        out = []
        with self.lock:
            segs = list(self.segments)
        for s in segs:
            pts = s["rss"]
            if not pts:
                continue
            ready_t = s.get("ready_t", 0.0)
            warm = [p for p in pts if p[0] >= ready_t + WARMUP_S]
            slope = slope_per_minute(warm)
            after_ready = [p for p in pts if p[0] >= ready_t]
            out.append({
                "gen": s["gen"], "ready_s": round(ready_t, 2) if "ready_t" in s else None,
                "seconds": round(pts[-1][0] - ready_t, 1), "samples": len(pts),
                "start_mib": round((after_ready or pts)[0][1], 1), "end_mib": round(pts[-1][1], 1),
                "max_mib": round(max(p[1] for p in pts), 1),
                "slope_mib_per_min": round(slope, 3) if slope is not None else None,
                "fds_start": s["fds"][len(pts) - len(after_ready)] if s["fds"] and after_ready else None, "fds_end": s["fds"][-1] if s["fds"] else None,
                "fds_max": max(s["fds"]) if s["fds"] else None,
                "threads_max": max(s["threads"]) if s["threads"] else None,
            })
        # "The last run segment": the last one long enough to fit a line (the final reopen only verifies).
        fit = [s for s in out if s["slope_mib_per_min"] is not None]
        last = fit[-1] if fit else None
        longest = max(fit, key=lambda s: s["seconds"]) if fit else None
        return {"segments": out,
                "last_segment_gen": last["gen"] if last else None,
                "last_segment_slope_mib_per_min": last["slope_mib_per_min"] if last else None,
                "longest_segment_slope_mib_per_min": longest["slope_mib_per_min"] if longest else None,
                "max_mib": max((s["max_mib"] for s in out), default=None)}


# ------------------------------------------------------------------------------------------------
# Acknowledged-write checks
# ------------------------------------------------------------------------------------------------


def list_all(path: str, key: Callable[[dict[str, Any]], str], deadline: float) -> dict[str, str] | None:
    """id -> key(item) over every page of `path` (limit=200), or None if it could not complete."""
    out: dict[str, str] = {}
    url: str | None = SHARED.url + path + "?limit=200"
    pages = 0
    while url and pages < 5000:
        for attempt in range(8):
            if time.monotonic() > deadline:
                return None
            try:
                r = api("GET", url)
            except Exception as e:  # noqa: BLE001
                STATS.inc("verify.page_errors")
                STATS.sample("verify_errors", f"GET {path}: {classify_exc(e)}")
                time.sleep(1.0)
                continue
            if r.status_code == 429:
                reset = r.headers.get("X-Rate-Limit-Reset")
                wait = 2.0
                try:
                    wait = min(65.0, max(1.0, float(reset) - time.time() + 1)) if reset else 2.0
                except ValueError:
                    pass
                STATS.inc("verify.rate_limited")
                time.sleep(wait)
                continue
            if r.status_code != 200:
                STATS.inc("verify.page_errors")
                STATS.sample("verify_errors", f"GET {path} -> {r.status_code} {r.text[:200]}")
                time.sleep(1.0)
                continue
            try:
                items = r.json()
            except ValueError:
                STATS.inc("verify.page_errors")
                time.sleep(1.0)
                continue
            for it in items:
                out[it.get("id")] = key(it)
            nxt = r.links.get("next", {}).get("url")
            url = nxt if nxt and nxt != url else None
            pages += 1
            break
        else:
            return None
    return out


def check_writes(label: str, timeout: float = 180.0) -> dict[str, Any]:
    """Every acknowledged user and group still exists, under its id, with what it was created with."""
    with LEDGER.lock:
        users = list(LEDGER.users)
        groups = list(LEDGER.groups)
    deadline = time.monotonic() + timeout
    res: dict[str, Any] = {"after": label, "gen": SHARED.gen, "users_checked": len(users), "groups_checked": len(groups),
                           "lost_users": 0, "lost_groups": 0, "complete": True}
    server_users = list_all("/api/v1/users", lambda u: (u.get("profile") or {}).get("login", ""), deadline)
    server_groups = list_all("/api/v1/groups", lambda g: (g.get("profile") or {}).get("name", ""), deadline)
    if server_users is None or server_groups is None:
        res["complete"] = False
        log(f"write check after {label}: could not list every user/group (see verify errors)")
        return res
    res["server_users"], res["server_groups"] = len(server_users), len(server_groups)
    lost: list[dict[str, Any]] = []
    lost_keys: set[tuple[str, str, str]] = set()
    lookups = 0
    for uid, login, gen in users:
        now = server_users.get(uid)
        if now == login:
            continue
        if now is None and lookups < 300:
            # Not in the listing: ask for it directly before calling it lost.
            lookups += 1
            try:
                r = api("GET", f"/api/v1/users/{uid}")
                if r.status_code == 200 and (r.json().get("profile") or {}).get("login") == login:
                    STATS.inc("verify.missing_from_listing_but_found")
                    continue
                if r.status_code == 200:
                    now = (r.json().get("profile") or {}).get("login")
            except Exception:  # noqa: BLE001
                pass
        res["lost_users"] += 1
        lost_keys.add(("user", uid, login))
        if len(lost) < 10:
            lost.append({"kind": "user", "id": uid, "login": login, "created_in_gen": gen,
                         "now": "missing" if now is None else f"id now has login {now}"})
    for gid, name, gen in groups:
        now = server_groups.get(gid)
        if now != name:
            res["lost_groups"] += 1
            lost_keys.add(("group", gid, name))
            if len(lost) < 20:
                lost.append({"kind": "group", "id": gid, "name": name, "created_in_gen": gen,
                             "now": "missing" if now is None else f"id now has name {now}"})
    res["lost_samples"] = lost
    res["lost_keys"] = lost_keys
    return res


def check_old_token(prev_gen: int) -> dict[str, Any] | None:
    """A token minted (and seen active) before the restart still verifies and introspects active."""
    with LEDGER.lock:
        entry = LEDGER.last_token.get(prev_gen)
        revoked = entry is not None and entry[1] in LEDGER.revoked_jti
    if entry is None or revoked:
        return None
    tok, jti = entry
    out: dict[str, Any] = {"jti": jti, "from_gen": prev_gen}
    for attempt in range(3):
        try:
            vk, reason = verify_with_jwks(tok, op="jwks[old]")
            ik, active = introspect(tok, op="introspect[old]")
        except Exception as e:  # noqa: BLE001
            vk, reason, ik, active = classify_exc(e), None, "error", None
        if vk in ("ok", "anomaly", "expired") and ik == "ok":
            break
        time.sleep(1.0)
    out.update({"verify": vk, "introspect_active": active})
    if vk == "anomaly":
        token_anomaly("pre_restart_token_not_verifiable", {"jti": jti, "reason": reason, "from_gen": prev_gen})
    if ik == "ok" and active is False:
        token_anomaly("pre_restart_token_inactive", {"jti": jti, "from_gen": prev_gen})
    return out


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------


class Soak:
    def __init__(self, args: argparse.Namespace, binary: Path, workdir: Path) -> None:
        self.args = args
        self.rnd = random.Random(args.rng_seed)
        self.server = Server(binary, workdir, args.seed, "soak-" + uuid.uuid4().hex)
        self.server.ready_timeout = args.ready_timeout
        self.faults = Faults(random.Random(self.rnd.random()))
        self.journal = JournalWatch()
        self.sampler = Sampler(self.server, args.sample_every)
        self.threads: list[threading.Thread] = []
        self.restarts: list[dict[str, Any]] = []
        self.crashes: list[dict[str, Any]] = []
        self.checks: list[dict[str, Any]] = []
        self.old_tokens: list[dict[str, Any]] = []
        self.start_failures: list[str] = []
        self.scenario_persisted: list[int] = []
        self.api_token_changed = 0
        self.aborted: str | None = None
        self.t_start = time.monotonic()

    # -- server generations ---------------------------------------------------------------------

    def bring_up(self, gen: int) -> bool:
        try:
            ready = self.server.start(gen)
            self.sampler.sample()  # RSS at ready
        except StartError as e:
            self.start_failures.append(f"gen {gen}: {e}")
            log(f"server gen {gen} did not start: {e}")
            return False
        with SHARED.lock:
            SHARED.gen = gen
            SHARED.url = ready["url"]
            SHARED.port = int(ready["port"])
            SHARED.admin_token = self.server.admin_token
        try:
            r = ctl("GET", "/__mock/tenant")
            r.raise_for_status()
            creds = r.json()["credentials"]
        except Exception as e:  # noqa: BLE001
            self.start_failures.append(f"gen {gen}: GET /__mock/tenant failed: {e}")
            log(f"gen {gen}: GET /__mock/tenant failed: {e}")
            creds = ready.get("credentials") or SHARED.creds
        if SHARED.creds and creds.get("apiToken") != SHARED.creds.get("apiToken"):
            self.api_token_changed += 1
        SHARED.creds = creds
        return True

    def restart(self, mode: str, why: str) -> bool:
        prev_gen = SHARED.gen
        SHARED.faults_ok.clear()
        if why == "planned":
            self.journal.poll()  # the last of this generation's journal before it may be lost
        SHARED.last_down = time.monotonic()
        SHARED.up.clear()
        if why == "planned":
            info = self.server.stop(mode)
            info["why"] = why
            self.restarts.append(info)
            rc = info.get("rc")
            note = f"stopped in {info.get('stop_s')}s, {describe_rc(rc)}" + (" (had to SIGKILL)" if info.get("forced") else "")
            log(f"restart {len(self.restarts)}: {mode} gen {prev_gen} after {info['uptime_s']}s: {note}")
            if mode == "SIGTERM" and rc is not None and rc < 0 and -rc not in (signal.SIGTERM, signal.SIGKILL):
                # Told to stop, but died of a fatal signal on the way out (e.g. a trap in shutdown).
                self.crashes.append({"gen": prev_gen, "while": "stopping on SIGTERM", "rc": describe_rc(rc),
                                     "stderr_tail": self.server.stderr_tail(prev_gen)})
        for attempt in range(3):
            if self.bring_up(prev_gen + 1 + attempt):
                break
            time.sleep(2.0)
        else:
            self.aborted = "the server could not be restarted"
            return False
        # Did the rules survive the restart? (They are put back either way.)
        try:
            r = ctl("GET", "/__mock/scenario")
            rules = (r.json() or {}).get("rules") if r.status_code == 200 else None
            self.scenario_persisted.append(len(rules or []))
            if rules:
                self.faults.delete_scenario()
        except Exception:  # noqa: BLE001
            pass
        SHARED.last_up = time.monotonic()
        SHARED.up.set()
        self.journal.poll()
        res = check_writes(f"restart {len(self.restarts)} ({mode})" if why == "planned" else f"crash recovery ({why})")
        self.checks.append(res)
        self.log_check(res)
        old = check_old_token(prev_gen)
        if old:
            self.old_tokens.append(old)
        self.faults.install_all()
        SHARED.faults_ok.set()
        return True

    def log_check(self, res: dict[str, Any]) -> None:
        if not res.get("complete"):
            return
        msg = (f"write check after {res['after']}: {res['users_checked']} users / {res['groups_checked']} groups acknowledged, "
               f"lost {res['lost_users']} users / {res['lost_groups']} groups")
        log(msg)

    def handle_crash(self) -> bool:
        p = self.server.proc
        rc = p.returncode if p is not None else None
        gen = SHARED.gen
        info = {"gen": gen, "while": "running", "rc": describe_rc(rc),
                "uptime_s": round(time.monotonic() - self.server.started_at, 1),
                "stderr_tail": self.server.stderr_tail(gen)}
        self.crashes.append(info)
        log(f"CRASH: server gen {gen} exited on its own ({info['rc']}) after {info['uptime_s']}s; restarting")
        SHARED.crash.clear()
        return self.restart("none", "crash")

    # -- main ----------------------------------------------------------------------------------

    def run(self) -> None:
        args = self.args
        deadline = self.t_start + args.minutes * 60.0
        log(f"binary {self.server.binary}; workdir {self.server.workdir}; port {self.server.port}; seed {args.seed}")
        importer = threading.Thread(target=import_okta, name="okta-import", daemon=True)
        importer.start()
        if not self.bring_up(1):
            self.aborted = "the server did not start"
            return
        SHARED.last_up = time.monotonic()
        SHARED.up.set()
        importer.join(90)
        if importer.is_alive() or "Client" not in _okta:
            self.aborted = "could not import the okta SDK"
            return
        if not self.faults.install_all():
            log("warning: could not install the base rules")
        SHARED.faults_ok.set()

        limiter = RateLimiter(args.rate)
        n_sdk = args.sdk_workers
        plan: list[tuple[str, Callable[..., None], tuple]] = []
        for i in range(n_sdk):
            mode = "pkey" if i == n_sdk - 1 and n_sdk > 1 else "ssws"
            plan.append((f"sdk-{mode}-{i}", sdk_worker, (mode, random.Random(self.rnd.random()), limiter)))
        for i in range(args.token_workers):
            plan.append((f"token-{i}", token_worker, (random.Random(self.rnd.random()), limiter)))
        plan.append(("hang", hang_worker, (random.Random(self.rnd.random()),)))
        plan.append(("faults", fault_worker, (self.faults, random.Random(self.rnd.random()))))
        plan.append(("journal", journal_worker, (self.journal, args.journal_every)))
        plan.append(("sampler", lambda: self.sampler.run(), ()))
        assert len(plan) + 1 <= MAX_THREADS, "too many threads"
        for name, fn, a in plan:
            t = threading.Thread(target=self._guard, args=(name, fn, a), name=name, daemon=True)
            t.start()
            self.threads.append(t)
        log(f"running for {args.minutes} min: {n_sdk} SDK workers, {args.token_workers} token workers, hang, "
            f"faults, journal, sampler ({len(plan)} threads + main), ≤ {args.rate:g} client ops/s")

        lo, hi = args.restart_every
        next_restart = time.monotonic() + self.rnd.uniform(lo, hi)
        modes = itertools.cycle(["SIGTERM", "SIGKILL"])
        next_status = time.monotonic() + 60
        while time.monotonic() < deadline and self.aborted is None:
            wait = max(0.0, min(next_restart, deadline, next_status) - time.monotonic())
            if SHARED.crash.wait(wait):
                if not self.handle_crash():
                    break
                continue
            now = time.monotonic()
            if now >= next_status:
                next_status = now + 60
                self.status_line()
            if now >= next_restart:
                if deadline - now > 20:
                    if not self.restart(next(modes), "planned"):
                        break
                next_restart = time.monotonic() + self.rnd.uniform(lo, hi)
        self.finish()

    def _guard(self, name: str, fn: Callable[..., None], a: tuple) -> None:
        try:
            fn(*a)
        except Exception as e:  # noqa: BLE001
            STATS.inc("soak.thread_crashes")
            STATS.sample("soak_thread_crashes", f"{name}: {type(e).__name__}: {e}\n{traceback.format_exc(limit=4)}")
            log(f"soak thread {name} died: {type(e).__name__}: {e}")

    def status_line(self) -> None:
        with LEDGER.lock:
            nu, ng = len(LEDGER.users), len(LEDGER.groups)
        seg = self.sampler.segments[-1] if self.sampler.segments else None
        rss = f"{seg['rss'][-1][1]:.0f} MiB" if seg and seg["rss"] else "?"
        log(f"status: gen {SHARED.gen}, {nu} users / {ng} groups acknowledged, {STATS.get('journal.entries')} requests journaled, "
            f"{STATS.get('journal.unintended_5xx')} unintended 5xx, {STATS.get('client.errors')} client errors, "
            f"{self.faults.active()} fault rules active, RSS {rss}")

    def finish(self) -> None:
        log("stopping traffic")
        SHARED.faults_ok.clear()
        SHARED.stop.set()
        for t in self.threads:
            t.join(SDK_OP_TIMEOUT + 5)
        still = [t.name for t in self.threads if t.is_alive()]
        if still:
            STATS.sample("soak_thread_crashes", f"threads still running at the end: {still}")
        if self.server.unexpected_exit() is not None:
            SHARED.crash.set()
        if self.aborted or (SHARED.crash.is_set() and not self.handle_crash()):
            self._stop_final()
            return
        self.journal.poll()
        self.faults.delete_scenario()
        res = check_writes("the run (live)")
        self.checks.append(res)
        self.log_check(res)
        # One more SIGTERM + reopen: everything acknowledged must be in the file.
        prev_gen = SHARED.gen
        info = self.server.stop("SIGTERM")
        info["why"] = "final"
        self.restarts.append(info)
        log(f"final stop: SIGTERM gen {prev_gen}: stopped in {info.get('stop_s')}s, {describe_rc(info.get('rc'))}")
        rc = info.get("rc")
        if rc is not None and rc < 0 and -rc not in (signal.SIGTERM, signal.SIGKILL):
            self.crashes.append({"gen": prev_gen, "while": "stopping on SIGTERM", "rc": describe_rc(rc),
                                 "stderr_tail": self.server.stderr_tail(prev_gen)})
        SHARED.up.clear()
        if self.bring_up(prev_gen + 1):
            SHARED.last_up = time.monotonic()
            SHARED.up.set()
            self.sampler.sample()
            res = check_writes("final reopen")
            self.checks.append(res)
            self.log_check(res)
            old = check_old_token(prev_gen)
            if old:
                self.old_tokens.append(old)
            self.journal.poll()
            self.sampler.sample()
            rc_now = self.server.unexpected_exit()
            if rc_now is not None:
                self.crashes.append({"gen": SHARED.gen, "while": "final reopen", "rc": describe_rc(rc_now),
                                     "stderr_tail": self.server.stderr_tail(SHARED.gen)})
        else:
            self.aborted = "the server did not reopen its --db at the end"
        self._stop_final()

    def _stop_final(self) -> None:
        info = self.server.stop("SIGTERM")
        if not info.get("already_exited"):
            info["why"] = "end"
            self.restarts.append(info)

    # -- report --------------------------------------------------------------------------------

    def log_lines(self, wanted: set[str]) -> dict[str, str]:
        """request id -> the server's log line for it, for the ids in `wanted`."""
        out: dict[str, str] = {}
        if not wanted:
            return out
        pat = re.compile(r"request_id=([A-Za-z0-9_-]+)")
        for gen in range(1, SHARED.gen + 1):
            try:
                with open(self.server.stderr_path(gen), errors="replace") as fh:
                    for line in fh:
                        if "request_id=" in line:
                            m = pat.search(line)
                            if m and m.group(1) in wanted:
                                out[m.group(1)] = line.strip()
            except OSError:
                continue
        return out

    def stderr_markers(self) -> list[tuple[int, str]]:
        """(gen, first line) of every generation whose stderr reports a crash or fatal error."""
        out = []
        for gen in range(1, SHARED.gen + 1):
            try:
                with open(self.server.stderr_path(gen), errors="replace") as fh:
                    for line in fh:
                        if CRASH_MARKERS.search(line):
                            out.append((gen, line.strip()[:160]))
                            break
            except OSError:
                continue
        return out

    def report(self) -> dict[str, Any]:
        # Client-observed 5xx, matched with the journal by X-Okta-Request-Id.
        with STATS.lock:
            c5 = list(STATS.samples.get("_client5xx", []))
        unmatched = []
        for rid, status, op, gen in c5:
            if rid and rid in self.journal.five:
                continue
            if rid and rid in self.journal.first:
                continue  # journaled, but with another status (e.g. emptyBody), judged from the journal
            unmatched.append({"requestId": rid, "status": status, "op": op, "gen": gen})
        # Not in the journal (e.g. the server was killed before its journal was read): the server's
        # log lines name the request id and the fault that fired, if any.
        logged = self.log_lines({u["requestId"] for u in unmatched if u["requestId"]})
        unattributed = []
        log_unintended = []
        for u in unmatched:
            line = logged.get(u["requestId"] or "")
            if line is None:
                unattributed.append(u)
            elif " fault=" not in line and " rule=" not in line:
                log_unintended.append({**u, "log": line[:200]})
        unmatched = log_unintended
        lost_users = sum(c["lost_users"] for c in self.checks if c.get("complete"))
        lost_groups = sum(c["lost_groups"] for c in self.checks if c.get("complete"))
        # A write lost at one restart stays lost at every later check: count distinct writes.
        distinct_lost: set[tuple[str, str, str]] = set()
        for c in self.checks:
            distinct_lost |= c.get("lost_keys", set())
        final = next((c for c in reversed(self.checks) if c.get("complete")), None)
        incomplete = [c["after"] for c in self.checks if not c.get("complete")]
        repeats = dict(LEDGER.repeat_counts)
        unintended = STATS.get("journal.unintended_5xx") + len(unmatched)
        token_anoms = STATS.prefixed("anomaly.token.")
        planned = [r for r in self.restarts if r.get("why") in ("planned", "final")]
        sigterm = [r for r in planned if r["mode"] == "SIGTERM" and "stop_s" in r]
        ops = collections.defaultdict(dict)
        for k, v in STATS.prefixed("op.").items():
            op, kind = k.rsplit(".", 1) if k.count(".") >= 1 else (k, "?")
            ops[op][kind] = v
        lat = {}
        for name in ("health", "journal"):
            vals = STATS.latency.get(name, [])
            lat[name] = {"n": len(vals), "p50_ms": _r(percentile(vals, 0.5)), "p99_ms": _r(percentile(vals, 0.99)),
                         "max_ms": _r(max(vals) if vals else None), "failures": STATS.get(f"control.{name}.failures")}
        with LEDGER.lock:
            acked_users, acked_groups, jtis = len(LEDGER.users), len(LEDGER.groups), len(LEDGER.jti)
        failures = []
        if distinct_lost:
            nu = sum(1 for k in distinct_lost if k[0] == "user")
            failures.append(f"lost acknowledged writes: {len(distinct_lost)} ({nu} users, {len(distinct_lost) - nu} groups "
                            "acknowledged with 200 and an id, then missing or replaced)")
        if final is None and not self.aborted:
            failures.append("no write check completed")
        if incomplete:
            failures.append(f"write check could not complete: {', '.join(incomplete)}")
        for kind, n in sorted(repeats.items()):
            if n:
                failures.append(f"repeated {kind}: {n}")
        if unintended:
            failures.append(f"unintended 5xx: {unintended}")
        if self.crashes:
            failures.append(f"server crashed: {len(self.crashes)} time(s)")
        if self.start_failures:
            failures.append(f"server failed to start/restart: {len(self.start_failures)} time(s)")
        if sum(token_anoms.values()):
            failures.append("token anomalies: " + ", ".join(f"{k} {v}" for k, v in token_anoms.items()))
        if self.aborted:
            failures.append(f"aborted: {self.aborted}")
        if STATS.get("soak.thread_crashes"):
            failures.append(f"soak worker threads died: {STATS.get('soak.thread_crashes')} (a bug in the soak script)")
        warnings = []
        slow = [r for r in sigterm if r.get("stop_s", 0) > 1.0]
        if slow:
            warnings.append(f"SIGTERM took more than 1 s to stop {len(slow)} time(s) (max {max(r['stop_s'] for r in slow)} s)")
        forced = [r for r in self.restarts if r.get("forced")]
        if forced:
            warnings.append(f"SIGTERM did not stop the server within {STOP_GRACE:.0f} s {len(forced)} time(s) (SIGKILLed)")
        nonzero = [r for r in sigterm if r.get("rc") not in (0, None)]
        if nonzero:
            warnings.append("SIGTERM exit status: " + ", ".join(describe_rc(r["rc"]) for r in nonzero))
        if unattributed:
            warnings.append(f"{len(unattributed)} 5xx seen by clients are neither in the journal nor in the server log "
                            "(cannot tell whether a fault produced them)")
        if self.api_token_changed:
            warnings.append(f"the tenant's API token changed across a restart {self.api_token_changed} time(s)")
        if STATS.get("faults.rejected"):
            warnings.append(f"{STATS.get('faults.rejected')} fault rules were rejected by POST /__mock/rules")
        if STATS.get("live.get_user_404") or STATS.get("live.get_user_other_login"):
            warnings.append(f"live reads of acknowledged users: {STATS.get('live.get_user_404')} got 404, "
                            f"{STATS.get('live.get_user_other_login')} returned another login")
        markers = self.stderr_markers()
        if markers:
            warnings.append(f"server stderr has crash/fatal markers in {len(markers)} generation(s): "
                            + "; ".join(f"gen {g}: {m}" for g, m in markers[:3]))
        rss = self.sampler.report()
        slow_ready = [x for x in rss["segments"] if (x.get("ready_s") or 0) > 5.0]
        if slow_ready:
            warnings.append("reopening the --db took more than 5 s to be ready: " +
                            ", ".join(f"gen {x['gen']} {x['ready_s']} s" for x in slow_ready))
        return {
            "ok": not failures,
            "failures": failures,
            "warnings": warnings,
            "config": {"minutes": self.args.minutes, "seed": self.args.seed, "restart_every_s": list(self.args.restart_every),
                       "sdk_workers": self.args.sdk_workers, "token_workers": self.args.token_workers,
                       "max_client_ops_per_s": self.args.rate, "binary": str(self.args.bin_original),
                       "binary_sha256_16": self.args.bin_sha, "workdir": str(self.server.workdir)},
            "duration_s": round(time.monotonic() - self.t_start, 1),
            "server": {
                "generations": SHARED.gen,
                "restarts": [{k: v for k, v in r.items()} for r in self.restarts],
                "crashes": self.crashes,
                "start_failures": self.start_failures,
                "rules_found_after_restart": self.scenario_persisted,
            },
            "writes": {
                "users_acknowledged": acked_users, "groups_acknowledged": acked_groups,
                "lost_distinct": len(distinct_lost), "lost_user_checks_sum": lost_users, "lost_group_checks_sum": lost_groups,
                "checks": [{k: v for k, v in c.items() if k not in ("lost_samples", "lost_keys")} for c in self.checks],
                "lost_samples": [s for c in self.checks for s in c.get("lost_samples", [])][:20],
                "live_get_user_404": STATS.get("live.get_user_404"),
                "live_get_user_other_login": STATS.get("live.get_user_other_login"),
                "missing_from_listing_but_found": STATS.get("verify.missing_from_listing_but_found"),
            },
            "ids": {"repeats": repeats, "samples": {k: v for k, v in LEDGER.repeats.items()},
                    "user_ids_seen": len(LEDGER.user_ids), "group_ids_seen": len(LEDGER.group_ids),
                    "jti_seen": jtis, "request_ids_seen": len(self.journal.first)},
            "tokens": {"anomalies": token_anoms, "samples": STATS.samples.get("token_anomalies", []),
                       "pre_restart_token_checks": self.old_tokens},
            "http": {
                "journal_entries": STATS.get("journal.entries"),
                "status_classes": STATS.prefixed("journal.status."),
                "faults_fired": STATS.prefixed("journal.fault."),
                "intended_5xx": STATS.get("journal.intended_5xx"),
                "unintended_5xx": unintended,
                "unintended_5xx_journal": STATS.get("journal.unintended_5xx"),
                "unintended_5xx_client_unjournaled": len(unmatched),
                "client_5xx_unattributed": len(unattributed),
                "client_5xx_unattributed_samples": unattributed[:10],
                "unintended_samples": STATS.samples.get("unintended_5xx", [])[:15] + unmatched[:10],
                "client_saw_5xx": len(c5),
                "real_429_not_injected": STATS.get("journal.real_429"),
                "client_disconnects_journaled": STATS.get("journal.client_disconnected"),
                "journal_never_finished": STATS.get("journal.never_finished_90s"),
                "journal_in_flight_lost_at_restart": STATS.get("journal.never_finished_old_gen"),
            },
            "faults": {"rules_added": STATS.get("faults.added"), "rules_removed": STATS.get("faults.removed"),
                       "clears": STATS.get("faults.cleared"), "added_by_type": STATS.prefixed("faults.added_by_type."),
                       "rejected": STATS.get("faults.rejected"),
                       "control_errors": STATS.get("faults.control_errors") + STATS.get("faults.install_errors"),
                       "control_error_samples": STATS.samples.get("fault_control_errors", [])[:5]},
            "hangs": STATS.prefixed("hang."),
            "clients": {"errors": STATS.get("client.errors"),
                        "errors_while_running": STATS.get("client.errors_running"),
                        "errors_around_restarts": STATS.get("client.errors_restart_window"),
                        "by_kind": STATS.prefixed("client.err."), "timeouts": STATS.get("client.err.timeout"),
                        "ops": ops, "error_samples": STATS.samples.get("client_errors", [])[:10]},
            "rss": rss,
            "control_latency": lat,
            "verify_errors": STATS.samples.get("verify_errors", [])[:5],
            "soak_problems": STATS.samples.get("soak_thread_crashes", []),
            "warnings_count": len(warnings),
        }


CRASH_MARKERS = re.compile(r"\*\*\* Program crashed|Fatal error|fatal error|Segmentation fault|panic", re.I)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def print_report(rep: dict[str, Any]) -> None:
    w = rep["writes"]
    h = rep["http"]
    s = rep["server"]
    lat = rep["control_latency"]
    rss = rep["rss"]
    cl = rep["clients"]
    ok_ops = sum(v.get("ok", 0) for v in cl["ops"].values())
    lines = [
        "",
        f"mock-okta soak: {'PASS' if rep['ok'] else 'FAIL'}  ({rep['duration_s'] / 60:.1f} min, {s['generations']} server generations, "
        f"binary sha256 {rep['config']['binary_sha256_16']})",
    ]
    for f in rep["failures"]:
        lines.append(f"  FAIL  {f}")
    for wn in rep["warnings"]:
        lines.append(f"  warn  {wn}")
    stops = [r for r in s["restarts"] if r.get("why") in ("planned", "final")]
    lines.append(f"  restarts     {len(stops)}: " + ", ".join(
        f"{r['mode']}@{r.get('uptime_s')}s→{describe_rc(r.get('rc'))} in {r.get('stop_s')}s" for r in stops) if stops else "  restarts     0")
    if s["crashes"]:
        for c in s["crashes"][:5]:
            lines.append(f"  crash        gen {c['gen']} {c['while']}: {c['rc']}")
            for t in c.get("stderr_tail", [])[-3:]:
                lines.append(f"                 | {t[:160]}")
    lines.append(f"  rules after restart (persisted?): {s['rules_found_after_restart']}")
    lines.append(f"  writes       {w['users_acknowledged']} users + {w['groups_acknowledged']} groups acknowledged; "
                 f"lost {w['lost_distinct']} distinct; checks: " +
                 "; ".join(f"{c['after']}: -{c['lost_users']}u/-{c['lost_groups']}g" + ("" if c.get("complete") else " (INCOMPLETE)")
                           for c in w["checks"]))
    for sm in w["lost_samples"][:5]:
        lines.append(f"                 lost {sm['kind']} {sm['id']} ({sm.get('login') or sm.get('name')}, gen {sm['created_in_gen']}): {sm['now']}")
    ids = rep["ids"]
    lines.append(f"  ids          repeats {ids['repeats'] or 'none'}  (seen: {ids['user_ids_seen']} user ids, "
                 f"{ids['group_ids_seen']} group ids, {ids['jti_seen']} jti, {ids['request_ids_seen']} request ids)")
    for kind, smp in ids["samples"].items():
        for x in smp[:2]:
            lines.append(f"                 {kind}: {json.dumps(x)[:200]}")
    tk = rep["tokens"]
    lines.append(f"  tokens       anomalies {tk['anomalies'] or 'none'}; pre-restart tokens: " +
                 (", ".join(f"gen{o['from_gen']} verify={o['verify']} active={o['introspect_active']}" for o in tk["pre_restart_token_checks"]) or "none checked"))
    lines.append(f"  5xx          unintended {h['unintended_5xx']} (journal {h['unintended_5xx_journal']}, client-seen, unjournaled, logged without fault "
                 f"{h['unintended_5xx_client_unjournaled']}); injected {h['intended_5xx']}; clients saw {h['client_saw_5xx']} "
                 f"({h['client_5xx_unattributed']} unattributed)")
    for sm in h["unintended_samples"][:5]:
        lines.append(f"                 {json.dumps(sm)[:200]}")
    lines.append(f"  journal      {h['journal_entries']} requests {h['status_classes']}; real 429 {h['real_429_not_injected']}; "
                 f"faults fired {h['faults_fired']}")
    f = rep["faults"]
    lines.append(f"  fault rules  added {f['rules_added']} {f['added_by_type']}, removed {f['rules_removed']}, clears {f['clears']}, "
                 f"rejected {f['rejected']}")
    lines.append(f"  hangs        {rep['hangs']}")
    lines.append(f"  clients      {ok_ops} ok ops, {cl['errors']} errors ({cl['errors_while_running']} while running, "
                 f"{cl['errors_around_restarts']} around restarts), timeouts {cl['timeouts']}; by kind {cl['by_kind']}")
    segs = "\n                 ".join(
        f"gen{x['gen']}: ready in {x['ready_s']}s at {x['start_mib']} MiB, {x['end_mib']} MiB after {x['seconds']:.0f}s "
        f"(max {x['max_mib']}), slope {x['slope_mib_per_min']} MiB/min, fds {x['fds_start']}→{x['fds_end']}"
        for x in rss["segments"])
    lines.append(f"  RSS          last segment (gen {rss['last_segment_gen']}) slope {rss['last_segment_slope_mib_per_min']} MiB/min; "
                 f"longest {rss['longest_segment_slope_mib_per_min']} MiB/min; max {rss['max_mib']} MiB; per generation:")
    lines.append(f"                 {segs}")
    for name in ("health", "journal"):
        l = lat[name]
        lines.append(f"  GET /__mock/{name:<8} p50 {l['p50_ms']} ms  p99 {l['p99_ms']} ms  max {l['max_ms']} ms  (n={l['n']}, failures {l['failures']})")
    print("\n".join(lines))


def parse_restart(v: str) -> tuple[float, float]:
    try:
        a, _, b = v.partition(":")
        lo, hi = float(a), float(b or a)
    except ValueError:
        raise argparse.ArgumentTypeError("expected MIN:MAX seconds, e.g. 60:120")
    if lo <= 0 or hi < lo:
        raise argparse.ArgumentTypeError("expected 0 < MIN <= MAX")
    return lo, hi


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="scripts/soak", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="how long to soak (default 10; fractions allowed)")
    ap.add_argument("--bin", default=None, help="mock-okta binary (default $MOCK_OKTA_BIN or .build/debug/mock-okta)")
    ap.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    ap.add_argument("--seed", type=int, default=1, help="server --seed (default 1)")
    ap.add_argument("--rng-seed", type=int, default=None, help="seed of the soak's own choices (default random)")
    ap.add_argument("--restart-every", type=parse_restart, default=(60.0, 120.0), metavar="MIN:MAX",
                    help="seconds between restarts, drawn uniformly (default 60:120)")
    ap.add_argument("--sdk-workers", type=int, default=4, help="okta SDK threads, the last in PrivateKey mode (default 4)")
    ap.add_argument("--token-workers", type=int, default=2, help="token/JWKS/introspect threads (default 2)")
    ap.add_argument("--rate", type=float, default=25.0, help="max client operations per second, all workers (default 25)")
    ap.add_argument("--sample-every", type=float, default=2.0, help="seconds between RSS/health samples (default 2)")
    ap.add_argument("--journal-every", type=float, default=3.0, help="seconds between journal polls (default 3)")
    ap.add_argument("--wait-bin", type=float, default=600.0, help="seconds to wait for the binary to appear (default 600)")
    ap.add_argument("--ready-timeout", type=float, default=READY_TIMEOUT,
                    help=f"seconds a (re)start may take to write its ready file (default {READY_TIMEOUT:.0f})")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (db, server logs) even on success")
    args = ap.parse_args(argv)
    if args.minutes <= 0:
        ap.error("--minutes must be > 0")
    if not (1 <= args.sdk_workers and 0 <= args.token_workers and args.sdk_workers + args.token_workers + 5 <= MAX_THREADS):
        ap.error(f"at most {MAX_THREADS} threads: sdk-workers + token-workers + 5 <= {MAX_THREADS}")
    if args.rate <= 0 or args.sample_every <= 0 or args.journal_every <= 0:
        ap.error("rates and intervals must be > 0")
    if args.rng_seed is None:
        args.rng_seed = random.randrange(1 << 30)

    binary = Path(args.bin or os.environ.get("MOCK_OKTA_BIN") or DEFAULT_BIN)
    args.bin_original = binary
    t0 = time.monotonic()
    announced = False
    while not (binary.is_file() and os.access(binary, os.X_OK)):
        if time.monotonic() - t0 > args.wait_bin:
            print(f"soak: no executable mock-okta at {binary} after {args.wait_bin:.0f}s (build it, set MOCK_OKTA_BIN or --bin)",
                  file=sys.stderr)
            return 2
        if not announced:
            log(f"waiting for {binary} to exist")
            announced = True
        time.sleep(2)
    # Wait until the file stops changing (a link in progress), then copy it: a concurrent rebuild
    # must not swap the binary between two restarts of one soak.
    last = None
    for _ in range(60):
        st = binary.stat()
        cur = (st.st_size, st.st_mtime_ns)
        if cur == last:
            break
        last = cur
        time.sleep(1.0)
    workdir = Path(tempfile.mkdtemp(prefix="mock-okta-soak-"))
    copy = workdir / "mock-okta"
    shutil.copy2(binary, copy)
    h = hashlib.sha256()
    with open(copy, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    args.bin_sha = h.hexdigest()[:16]

    soak = Soak(args, copy, workdir)
    interrupted = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        soak.run()
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: stopping")
        SHARED.stop.set()
        soak.aborted = soak.aborted or "interrupted"
    finally:
        if soak.server.pid() is not None:
            soak._stop_final()
    rep = soak.report()
    print_report(rep)
    if args.json:
        Path(args.json).write_text(json.dumps(rep, indent=2, default=str))
        print(f"  report written to {args.json}")
    try:
        copy.unlink()
    except OSError:
        pass
    if rep["ok"] and not args.keep and not interrupted:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"  server logs and db kept in {workdir}")
    if soak.aborted in ("the server did not start", "could not import the okta SDK"):
        return 2
    return 0 if rep["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
