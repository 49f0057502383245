"""The dashboard (/__mock/ui) and the sign-in page in a real browser (issue 16, "How it is tested").

Each test drives headless Chromium against a fresh server started with --admin-token, saves screenshots
(checked not to be blank) and asserts what a person would see: a request appears seconds after it is
made, a hung request's bar closes when the client leaves, a failing verdict links to its evidence rows,
and the sign-in page completes an authorization-code flow with a click on a test user.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
import urllib.parse
from typing import Any, Callable

import pytest
import requests
from browser_support import ADMIN, screenshot
from helpers import MockOkta, authorize_url, pkce_pair

WAIT = 10.0  # seconds any dashboard update may take (it polls every 250 ms)


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as e:  # a stale element while the page re-renders: try again
            last = e
        else:
            if last:
                return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def open_dashboard(driver: Any, srv: MockOkta) -> None:
    driver.get(f"{srv.url}/__mock/ui?token={ADMIN}")
    wait_for("the event stream to connect", lambda: driver.find_element("id", "conn").text == "live")


def rows(driver: Any) -> list[dict[str, str]]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#timeline tr.req')).map(r => ({id: r.dataset.id,"
        " status: r.dataset.status, open: r.dataset.open, text: r.innerText, hl: r.classList.contains('hl'),"
        " bar: r.querySelector('.bar').className}))")


def api_get(srv: MockOkta, path: str, **kw: Any) -> requests.Response:
    return srv.get(path, headers={"Authorization": f"SSWS {srv.creds['apiToken']}"}, **kw)


def load_scenario(srv: MockOkta, scenario: dict[str, Any]) -> None:
    r = srv.control("POST", "/__mock/scenario", json=scenario)
    assert r.status_code == 200, r.text


def test_dashboard_needs_the_admin_token(server: MockOkta) -> None:
    assert server.get("/__mock/ui").status_code == 401
    assert server.get("/__mock/ui?token=wrong").status_code == 401
    assert server.get("/__mock/events?token=wrong").status_code == 401
    r = server.get(f"/__mock/ui?token={ADMIN}")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    # Served from the binary: nothing is loaded from elsewhere.
    assert "http://" not in r.text.replace(server.url, "") and "https://" not in r.text


def test_a_request_shows_up_within_seconds(browser: Any, server: MockOkta) -> None:
    open_dashboard(browser, server)
    assert rows(browser) == []
    made = time.monotonic()
    r = api_get(server, "/api/v1/users")
    assert r.status_code == 200
    request_id = r.headers["X-Okta-Request-Id"]
    row = wait_for("the request's row", lambda: [x for x in rows(browser) if x["id"] == request_id])[0]
    assert time.monotonic() - made < 5
    assert row["status"] == "200" and "GET /api/v1/users" in row["text"]
    # A 404 is coloured differently (its own status class).
    api_get(server, "/api/v1/users/nobody")
    wait_for("the 404 row", lambda: [x for x in rows(browser) if x["status"] == "404"])
    badge = browser.find_element("css selector", "tr.req[data-status='404'] .badge")
    assert "s4" in badge.get_attribute("class").split()
    screenshot(browser, "dashboard-timeline")
    # Watching never adds requests of its own (no /favicon.ico): only the two calls above are journaled.
    paths = [e["path"] for e in server.control("GET", "/__mock/journal").json()["entries"]]
    assert paths == ["/api/v1/users", "/api/v1/users/nobody"], paths


def test_a_hung_request_bar_stays_open_until_the_client_leaves(browser: Any, server: MockOkta) -> None:
    load_scenario(server, {
        "version": 1, "name": "hang-in-browser",
        "rules": [{"id": "hang-groups", "match": {"method": "GET", "path": "/api/v1/groups"},
                   "when": {"first": 1}, "fault": {"type": "hang"}}],
        "expect": [{"type": "abandonsHangWithin", "maxSeconds": 30}],
    })
    open_dashboard(browser, server)
    token = server.creds["apiToken"]
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(f"GET /api/v1/groups HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: SSWS {token}\r\n"
                 "Accept: application/json\r\n\r\n".encode())
    try:
        held = wait_for("an open bar", lambda: [x for x in rows(browser) if x["open"] == "true"])[0]
        assert "open" in held["bar"].split() and "hang-groups" in held["text"]
        time.sleep(1.2)  # the bar grows while held
        again = [x for x in rows(browser) if x["id"] == held["id"]][0]
        assert again["open"] == "true" and "held" in again["text"]
        screenshot(browser, "dashboard-hang-open")
    finally:
        sock.close()
    closed = wait_for("the bar to close", lambda: [x for x in rows(browser)
                                                   if x["id"] == held["id"] and x["open"] == "false"])[0]
    assert "client left after" in closed["text"] and "open" not in closed["bar"].split()
    # The verdict saw the client leave.
    wait_for("abandonsHangWithin passed", lambda: browser.find_elements(
        "css selector", ".verdict[data-type='abandonsHangWithin'][data-status='passed']"))
    screenshot(browser, "dashboard-hang-closed")


def test_a_failing_verdict_links_to_its_evidence(browser: Any, server: MockOkta) -> None:
    load_scenario(server, {
        "version": 1, "name": "impatient-client",
        "rules": [{"id": "throttle", "match": {"method": "GET", "path": "/api/v1/users"},
                   "when": {"first": 1}, "fault": {"type": "rateLimit", "resetAfterSeconds": 30}}],
        "expect": [{"type": "respectsRateLimitReset"}, {"type": "maxAttempts", "max": 5}],
    })
    open_dashboard(browser, server)
    first = api_get(server, "/api/v1/users")
    assert first.status_code == 429
    retry = api_get(server, "/api/v1/users")  # at once: far before the reset
    assert retry.status_code == 200
    failed = wait_for("the failed verdict", lambda: browser.find_elements(
        "css selector", ".verdict[data-type='respectsRateLimitReset'][data-status='failed']"))[0]
    assert browser.find_elements("css selector", ".verdict[data-type='maxAttempts'][data-status='passed']")
    links = failed.find_elements("css selector", "a.ev")
    assert links, failed.text
    links[-1].click()
    highlighted = wait_for("a highlighted row", lambda: [x for x in rows(browser) if x["hl"]])
    assert highlighted[0]["id"] in (first.headers["X-Okta-Request-Id"], retry.headers["X-Okta-Request-Id"])
    # The rules table says the rule fired once; the 429 row carries the rule id.
    rule_row = browser.find_element("css selector", "#rules tbody tr")
    assert rule_row.text.split() == ["throttle", "1"]
    assert any("throttle" in x["text"] and x["status"] == "429" for x in rows(browser))
    screenshot(browser, "dashboard-failing-verdict")
    # The System Log tab: the guide's rate-limit query is one click.
    browser.find_element("css selector", ".filters button[data-filter*='rate_limit']").click()

    # The list is drawn again when the filter's answer arrives (and on new events): read it inside the wait, so an
    # element of the list it replaced is never read.
    def first_event_expanded() -> bool:
        events = browser.find_elements("css selector", "#log-list .log-event")
        return bool(events) and "system.org.rate_limit.violation" in events[0].text and bool(
            events[0].find_elements("css selector", "details[open]"))

    wait_for("the rate-limit event first, its Outcome and DebugContext expanded", first_event_expanded)
    screenshot(browser, "dashboard-system-log")


def test_controls_reset_and_tenant(browser: Any, server: MockOkta) -> None:
    open_dashboard(browser, server)
    api_get(server, "/api/v1/users")
    wait_for("a row", lambda: rows(browser))
    browser.find_element("css selector", ".tabs button[data-pane='tenant']").click()
    creds = wait_for("credentials", lambda: browser.find_element("id", "credentials").text)
    assert server.creds["apiToken"] in creds
    assert "ann@example.com" in browser.find_element("id", "users").text
    screenshot(browser, "dashboard-tenant")
    browser.find_element("css selector", ".tabs button[data-pane='controls']").click()
    browser.find_element("id", "reset").click()
    wait_for("the timeline to empty after reset", lambda: rows(browser) == [])
    # Load a shipped scenario from the list.
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element("id", "scenario-select")).select_by_value("429-rate-limit-with-reset")
    browser.find_element("id", "scenario-load").click()
    wait_for("the scenario to load", lambda: server.control("GET", "/__mock/scenario").json().get("name")
             == "429-rate-limit-with-reset")
    wait_for("the header to name it", lambda: "429-rate-limit-with-reset" in browser.find_element("id", "scenario").text)


class _Callback(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Callback.seen.append(self.path)
        body = b"<html><body><h1>Signed in: callback received</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_sign_in_page_completes_a_code_flow_with_a_click(browser: Any, server: MockOkta) -> None:
    _Callback.seen.clear()
    cb = http.server.HTTPServer(("127.0.0.1", 0), _Callback)
    threading.Thread(target=cb.serve_forever, daemon=True).start()
    redirect = f"http://127.0.0.1:{cb.server_address[1]}/callback"
    try:
        load_scenario(server, {"version": 1, "name": "browser-app", "tenant": {"apps": [
            {"label": "Browser Test App", "type": "web", "clientId": "browser-test-app", "clientSecret": "browser-s3cret-value",
             "redirectUris": [redirect], "assignUsers": ["ann@example.com"],
             "grants": {"default": ["openid", "profile"]}}]}})
        verifier, challenge = pkce_pair()
        params = {"client_id": "browser-test-app", "response_type": "code", "scope": "openid profile",
                  "redirect_uri": redirect, "state": "st-1", "nonce": "n-1", "code_challenge": challenge,
                  "code_challenge_method": "S256"}
        browser.get(authorize_url(server, params))
        assert "Browser Test App" in browser.find_element("css selector", ".app").text
        buttons = browser.find_elements("css selector", "button.user")
        ann = [b for b in buttons if b.get_attribute("data-login") == "ann@example.com"]
        assert ann, [b.text for b in buttons]
        ann[0].click()
        assert browser.find_element("id", "username").get_attribute("value") == "ann@example.com"
        screenshot(browser, "sign-in-page")
        browser.find_element("css selector", "button.primary").click()
        hits = wait_for("the callback", lambda: [p for p in _Callback.seen if p.startswith("/callback?")])
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(hits[-1]).query))
        assert query.get("state") == "st-1" and query.get("code"), query
        screenshot(browser, "sign-in-callback")
        journaled = [e["path"] for e in server.control("GET", "/__mock/journal").json()["entries"]]
        assert "/favicon.ico" not in journaled, journaled
        r = server.post("/oauth2/default/v1/token", auth=("browser-test-app", "browser-s3cret-value"), data={
            "grant_type": "authorization_code", "code": query["code"], "redirect_uri": redirect,
            "code_verifier": verifier})
        assert r.status_code == 200, r.text
        assert r.json()["token_type"] == "Bearer" and "id_token" in r.json()
    finally:
        cb.shutdown()


def test_sign_in_page_completes_mfa_when_the_policy_asks(browser: Any, server: MockOkta) -> None:
    """requireMfa for one app: after the password the page asks for Ann's TOTP code (issue 13 item 8); a wrong
    code is refused in Okta's words, the "fill in the current code" button completes the flow, and the
    System Log shows user.authentication.auth_via_mfa."""
    _Callback.seen.clear()
    cb = http.server.HTTPServer(("127.0.0.1", 0), _Callback)
    threading.Thread(target=cb.serve_forever, daemon=True).start()
    redirect = f"http://127.0.0.1:{cb.server_address[1]}/callback"
    try:
        load_scenario(server, {"version": 1, "name": "browser-mfa", "tenant": {
            "users": [{"login": "ann@example.com", "totp": True}],
            "apps": [{"label": "MFA Test App", "type": "web", "clientId": "browser-mfa-app",
                      "clientSecret": "browser-mfa-s3cret", "redirectUris": [redirect],
                      "assignUsers": ["ann@example.com"], "grants": {"default": ["openid"]}}]}})
        r = server.control("POST", "/__mock/actions", json={"type": "requireMfa", "app": "browser-mfa-app"})
        assert r.status_code == 200, r.text
        _, challenge = pkce_pair()
        params = {"client_id": "browser-mfa-app", "response_type": "code", "scope": "openid", "state": "st-mfa",
                  "redirect_uri": redirect, "nonce": "n-mfa", "code_challenge": challenge,
                  "code_challenge_method": "S256"}
        browser.get(authorize_url(server, params))
        [b for b in browser.find_elements("css selector", "button.user")
         if b.get_attribute("data-login") == "ann@example.com"][0].click()
        browser.find_element("css selector", "button.primary").click()
        code_field = wait_for("the code step", lambda: browser.find_elements("id", "passCode"))[0]
        code_field.send_keys("000000")
        browser.find_element("css selector", "button.primary").click()
        err = wait_for("the wrong-code error", lambda: browser.find_element("css selector", ".error").text)
        assert "doesn't match our records" in err, err
        fill = wait_for("the fill-code button", lambda: browser.find_elements("css selector", "button.fill-code"))
        fill[0].click()
        assert len(browser.find_element("id", "passCode").get_attribute("value")) == 6
        screenshot(browser, "sign-in-mfa")
        browser.find_element("css selector", "button.primary").click()
        hits = wait_for("the callback", lambda: [p for p in _Callback.seen if p.startswith("/callback?")])
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(hits[-1]).query))
        assert query.get("state") == "st-mfa" and query.get("code"), query
        logs = api_get(server, "/api/v1/logs", params={"filter": 'eventType eq "user.authentication.auth_via_mfa"'})
        results = [e["outcome"]["result"] for e in logs.json()]
        assert "FAILURE" in results and "SUCCESS" in results, results
    finally:
        cb.shutdown()


def test_sign_in_page_shows_okta_error_text_for_a_wrong_password(browser: Any, server: MockOkta) -> None:
    c = server.creds
    _, challenge = pkce_pair()
    params = {"client_id": c["webClientId"], "response_type": "code", "scope": "openid", "state": "s",
              "redirect_uri": c["webRedirectUri"], "nonce": "n", "code_challenge": challenge,
              "code_challenge_method": "S256"}
    browser.get(authorize_url(server, params))
    browser.find_element("id", "username").send_keys("ann@example.com")
    browser.find_element("id", "password").send_keys("not-her-password")
    browser.find_element("css selector", "button.primary").click()
    err = wait_for("the error", lambda: browser.find_element("css selector", ".error").text)
    assert "Unable to sign in" in err or "Authentication failed" in err, err
    screenshot(browser, "sign-in-error")


@pytest.mark.parametrize("path", ["/__mock/logs?limit=0", "/__mock/logs?filter=eventType%20zz%20%22x%22"])
def test_dashboard_data_endpoints_refuse_bad_input(server: MockOkta, path: str) -> None:
    r = server.control("GET", path)
    assert r.status_code == 400 and r.json()["errorCode"] in ("E0000001", "E0000053"), r.text
