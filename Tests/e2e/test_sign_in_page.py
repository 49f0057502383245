"""The sign-in page /authorize shows when nobody is signed in (issue 16, item 3): our own HTML and CSS with
no external assets, the app's name and the org, Okta's error text, and the tenant's test users, which fill
the form on click. A browser-less client (requests + the form parser) signs in through it."""

from __future__ import annotations

import html.parser
import json
from pathlib import Path
from typing import Any, Callable

from conftest import BASE_ARGS
from helpers import FormParser, MockOkta, authorize_url, pkce_pair, redirect_params


class UserButtons(html.parser.HTMLParser):
    """The test-user buttons: data-login / data-password per button."""

    def __init__(self) -> None:
        super().__init__()
        self.users: list[dict[str, str]] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "button" and "user" in a.get("class", "").split():
            self.users.append({"login": a.get("data-login", ""), "password": a.get("data-password", "")})
        ref = a.get("href") or a.get("src") or ""
        # data: URIs are inline (the page's empty icon, so a browser never asks the org for /favicon.ico).
        if tag in ("link", "script", "img") and ref and not ref.startswith("data:"):
            self.external.append(ref)


def _page(srv: MockOkta) -> tuple[str, dict[str, str]]:
    c = srv.creds
    _, challenge = pkce_pair()
    params = {"client_id": c["webClientId"], "response_type": "code", "scope": "openid", "state": "st",
              "redirect_uri": c["webRedirectUri"], "nonce": "n", "code_challenge": challenge,
              "code_challenge_method": "S256"}
    r = srv.get(authorize_url(srv, params))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html"), (r.status_code, r.text[:300])
    return r.text, params


def test_page_names_the_app_and_org_and_lists_test_users(server_http: MockOkta) -> None:
    """The page names the app (its label) and the org, loads nothing from elsewhere, and lists the
    tenant's active users, each carrying the login and password that a click puts in the form."""
    page, _ = _page(server_http)
    assert "Mock Web App" in page and server_http.url in page, page[:600]
    p = UserButtons()
    p.feed(page)
    assert not p.external, p.external
    logins = {u["login"] for u in p.users}
    assert {"ann@example.com", "bob@example.com", "dave@example.com"} <= logins, logins
    ann = next(u for u in p.users if u["login"] == "ann@example.com")
    assert ann["password"] == server_http.creds["user"]["password"]


def test_wrong_password_shows_okta_text_and_a_listed_user_signs_in(server_http: MockOkta) -> None:
    """A wrong password shows "Unable to sign in" (the Sign-In Widget's text); the credentials a user
    button carries sign in and redirect with a code."""
    page, params = _page(server_http)
    form = FormParser()
    form.feed(page)
    fields = dict(form.inputs)
    bad = server_http.post(form.action or "", data={**fields, "username": "ann@example.com", "password": "nope"},
                           allow_redirects=False)
    assert bad.status_code == 200 and "Unable to sign in" in bad.text, bad.text[:400]
    p = UserButtons()
    p.feed(page)
    ann = next(u for u in p.users if u["login"] == "ann@example.com")
    ok = server_http.post(form.action or "", data={**fields, "username": ann["login"], "password": ann["password"]},
                          allow_redirects=False)
    q = redirect_params(ok, params["redirect_uri"])
    assert "code" in q and q.get("state") == "st", q


def test_names_are_escaped(spawn: Callable[..., MockOkta], tmp_path: Path) -> None:
    """A user whose name holds markup is shown as text, never as HTML."""
    sc = tmp_path / "xss.json"
    sc.write_text(json.dumps({"version": 1, "name": "xss", "description": "markup in a name", "tenant": {
        "users": [{"login": "aaa@example.com", "firstName": "<script>alert(1)</script>", "lastName": "X"}]}}))
    srv = spawn([*BASE_ARGS, "--scenario", str(sc)], name="xss")
    page, _ = _page(srv)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
