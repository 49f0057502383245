"""pytest fixtures for the mock-okta end-to-end suite.

The binary under test is $MOCK_OKTA_BIN, or <repo>/.build/debug/mock-okta (the repo root is
computed from this file's location).  Every server listens on 127.0.0.1 and is started as

    mock-okta serve --host 127.0.0.1 --port 0 --seed 1 --ready-file <tmp>/….ready.json [--tls --ca-out <tmp>/ca.pem]

then stopped with SIGTERM; teardown asserts it exits within ~2 s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import helpers  # noqa: E402
from helpers import MockOkta, STOP_TIMEOUT, clean_env, mock_okta_bin  # noqa: E402

# Loopback traffic must never go through a proxy a developer's shell may configure.
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1", "localhost"]))

BASE_ARGS = ["--host", "127.0.0.1", "--port", "0", "--seed", "1"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "management_api: needs the Management API (/api/v1/*); may fail until that part of the server lands",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    binary = mock_okta_bin()
    if not binary.is_file():
        pytest.exit(
            f"mock-okta binary not found at {binary}: build it (swift build) or set MOCK_OKTA_BIN",
            returncode=4,
        )


def _stop_and_check(server: MockOkta) -> None:
    rc, elapsed = server.stop()
    if server.proc is not None and rc is None:
        raise AssertionError(
            f"{server.name} did not exit within {STOP_TIMEOUT}s of SIGTERM (killed it)\n"
            f"stderr tail:\n{server.stderr_tail()}"
        )


@pytest.fixture(scope="module")
def server_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockOkta]:
    """A plain-HTTP server with the default tenant, seed 1 (one per test module)."""
    srv = MockOkta(workdir=tmp_path_factory.mktemp("http"), args=list(BASE_ARGS), name="http")
    srv.start()
    try:
        yield srv
    finally:
        _stop_and_check(srv)


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockOkta]:
    """An HTTPS server (--tls) whose CA is written to <tmp>/ca.pem (one per test module)."""
    workdir = tmp_path_factory.mktemp("tls")
    srv = MockOkta(workdir=workdir, args=[*BASE_ARGS, "--tls", "--ca-out", str(workdir / "ca.pem")], name="tls")
    srv.start()
    try:
        yield srv
    finally:
        _stop_and_check(srv)


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., MockOkta]]:
    """Factory for extra servers inside one test: spawn(args, env=None, name=..., start=True).

    Any server still running at the end of the test is stopped (SIGTERM, then SIGKILL).
    """
    started: list[MockOkta] = []

    def _spawn(args: list[str], *, env: dict[str, str] | None = None, name: str | None = None,
               start: bool = True, add_ready_file: bool = True) -> MockOkta:
        srv = MockOkta(workdir=tmp_path, args=list(args), env=clean_env(env),
                       name=name or f"srv{len(started)}", add_ready_file=add_ready_file)
        started.append(srv)
        return srv.start() if start else srv

    yield _spawn
    for srv in started:
        srv.stop()


@pytest.fixture
def reset_http(server_http: MockOkta) -> MockOkta:
    """server_http, reset to its baseline before the test."""
    helpers.reset(server_http)
    return server_http


@pytest.fixture
def okta_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No inherited OKTA_* configuration; the okta SDK's https check disabled for the http server
    (okta-contract.md §6, summary 18)."""
    for k in list(os.environ):
        if k.startswith("OKTA_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "1")
