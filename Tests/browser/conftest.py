"""Browser tests (issue 16): headless Chromium driven by Selenium, against the real binary.

Chromium and its driver come from Debian (`chromium`, `chromium-driver`; scripts/deps.sh --browser installs
them), Selenium and Pillow from PyPI. Without them these tests are skipped, unless MOCK_OKTA_REQUIRE_BROWSER=1
(scripts/test sets it), when a missing browser fails the run instead: a browser test that silently did not
run must never look like a pass.

Screenshots go to $MOCK_OKTA_SCREENSHOTS (default <repo>/ci-artifacts/screenshots); every one is checked
not to be blank.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "e2e"))

from helpers import MockOkta  # noqa: E402

from browser_support import ADMIN  # noqa: E402


for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1", "localhost"]))


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as e:
        return f"python package missing: {e.name}"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "chromium is not installed (apt-get install chromium)"
    if not shutil.which("chromedriver"):
        return "chromedriver is not installed (apt-get install chromium-driver)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator["object"]:
    why = _missing()
    if why:
        if os.environ.get("MOCK_OKTA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required but cannot run: {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1400,1000", "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    # The driver comes from Debian: Selenium Manager must not try to download one.
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MockOkta]:
    """A fresh server per test, with an admin token (the dashboard must work behind it)."""
    srv = MockOkta(workdir=tmp_path, args=["--host", "127.0.0.1", "--port", "0", "--seed", "1",
                                           "--admin-token", ADMIN], name="browser",
                   admin_token=ADMIN)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
