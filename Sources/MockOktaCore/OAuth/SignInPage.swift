import FoundationEssentials

/// The page `/authorize` shows when nobody is signed in: our own HTML and CSS (no external assets), the app's
/// name and the org, Okta's error text, and — this being a mock — the tenant's test users, which fill the form
/// on click.
extension MockOkta {
    /// At most this many users are listed (the first by login; a tenant may have 200,000).
    static let signInUserListLimit = 25

    func signInPage(_ ex: Exchange, error: String?) -> HTTPReply {
        let skip: Set<String> = ["username", "password", "mfa_state", "passCode", "sessionToken"]
        let hidden = ex.params.filter { !skip.contains($0.0) }
            .map { "<input type=\"hidden\" name=\"\(html($0.0))\" value=\"\(html($0.1))\"/>" }.joined(separator: "\n")
        let clientId = ex.params.first { $0.0 == "client_id" }?.1 ?? ""
        let appName = read { $0.client(clientId)?.label } ?? "an application"
        let users = read { t in
            t.userOrder.lazy.compactMap { t.users[$0] }.filter { $0.canSignIn }.prefix(MockOkta.signInUserListLimit)
                .map { ($0.login, $0.displayName, $0.password ?? "") }
        }
        let rows = users.map { u -> String in
            let html = self.html
            return "<li><button type=\"button\" class=\"user\" data-login=\"\(html(u.0))\" "
                + "data-password=\"\(html(u.2))\"><strong>\(html(u.1.isEmpty ? u.0 : u.1))</strong>"
                + "<span>\(html(u.0))</span></button></li>"
        }.joined(separator: "\n")
        let form = """
            <form method="post" action="\(html(ex.req.path))">
            \(hidden)
            <label>Username <input id="username" name="username" autocomplete="username" autofocus/></label>
            <label>Password
            <input id="password" name="password" type="password" autocomplete="current-password"/></label>
            <button type="submit" class="primary">Sign In</button>
            </form>
            <section class="users"><h2>Test users in this mock org</h2>
            <p class="hint">Click one to fill the form.</p>
            <ul>
            \(rows)
            </ul></section>
            """
        return page(title: "Sign In", heading: "Sign In", appName: appName, error: error, content: form)
    }

    /// The second-factor step, when the sign-on policy asks for one: a code from the user's TOTP factor, or, for
    /// a user with none, the key to add to an authenticator app first. In this mock a button fills the current code.
    func mfaPage(_ ex: Exchange, _ user: User, factor: Factor, state: String, error: String?) -> HTTPReply {
        let skip: Set<String> = ["username", "password", "mfa_state", "passCode", "sessionToken"]
        let hidden = ex.params.filter { !skip.contains($0.0) } + [("mfa_state", state)]
        let fields = hidden.map { "<input type=\"hidden\" name=\"\(html($0.0))\" value=\"\(html($0.1))\"/>" }
            .joined(separator: "\n")
        let clientId = ex.params.first { $0.0 == "client_id" }?.1 ?? ""
        let appName = read { $0.client(clientId)?.label } ?? "an application"
        let enrolling = factor.status != "ACTIVE"
        let setup =
            enrolling
            ? "<p class=\"app\">Your organization requires a second factor. Add this key to Google Authenticator or "
                + "Okta Verify, then enter the code it shows.</p>"
                + "<p><code id=\"totp-secret\">\(html(factor.secret))</code></p>"
            : "<p class=\"app\">Enter the code from your authenticator app for "
                + "<strong>\(html(user.login))</strong>.</p>"
        let code = TOTP.code(secret: factor.secretBytes, at: ex.now)
        let content = """
            \(setup)
            <form method="post" action="\(html(ex.req.path))">
            \(fields)
            <label>Code
            <input id="passCode" name="passCode" inputmode="numeric" autocomplete="one-time-code" autofocus/></label>
            <button type="submit" class="primary">Verify</button>
            </form>
            <section class="users"><h2>In this mock</h2>
            <ul><li><button type="button" class="user fill-code" data-code="\(code)">
            <strong>Fill the current code</strong><span>\(html(user.login))</span></button></li></ul></section>
            """
        return page(
            title: enrolling ? "Set up multifactor authentication" : "Verify it's you",
            heading: enrolling ? "Set up multifactor authentication" : "Verify it's you", appName: appName,
            error: error, content: content)
    }

    func page(title: String, heading: String, appName: String, error: String?, content: String) -> HTTPReply {
        let err = error.map { "<p class=\"error\" role=\"alert\">\(html($0))</p>" } ?? ""
        let page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(html(title)) - \(html(appName))</title>
            <link rel="icon" href="data:,">
            <style>\(MockOkta.signInCSS)</style></head>
            <body><main class="card">
            <p class="org">\(html(baseURL))</p>
            <h1>\(html(heading))</h1>
            <p class="app">to continue to <strong>\(html(appName))</strong></p>
            \(err)
            \(content)
            </main>
            <script>\(MockOkta.signInScript)</script>
            </body></html>
            """
        return HTTPReply(
            status: 200,
            headers: [("Content-Type", "text/html;charset=utf-8"), ("Cache-Control", "no-cache, no-store")],
            body: Array(page.utf8))
    }

    static let signInScript = """
        document.querySelectorAll("button.fill-code").forEach(function (b) {
          b.addEventListener("click", function () {
            document.getElementById("passCode").value = b.dataset.code;
            document.getElementById("passCode").focus();
          });
        });
        document.querySelectorAll("button.user:not(.fill-code)").forEach(function (b) {
          b.addEventListener("click", function () {
            document.getElementById("username").value = b.dataset.login;
            document.getElementById("password").value = b.dataset.password;
            document.getElementById("password").focus();
          });
        });
        """

    static let signInCSS = """
        *{box-sizing:border-box}body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
        background:#f4f5f7;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d21}
        .card{width:100%;max-width:400px;background:#fff;border:1px solid #e0e2e7;border-radius:8px;padding:32px;
        box-shadow:0 2px 8px rgba(0,0,0,.06)}.org{margin:0 0 16px;color:#6e6e78;font-size:13px;word-break:break-all}
        h1{margin:0;font-size:24px;font-weight:600}.app{margin:4px 0 20px;color:#46464d}
        .error{background:#fdecea;border:1px solid #f5c2bd;color:#8b1a10;border-radius:4px;padding:10px 12px}
        label{display:block;margin:14px 0 0;font-weight:500}input{display:block;width:100%;margin-top:6px;padding:10px;
        border:1px solid #c6c8cf;border-radius:4px;font:inherit}
        input:focus{outline:2px solid #1662dd;border-color:#1662dd}
        .primary{width:100%;margin-top:22px;padding:11px;border:0;border-radius:4px;background:#1662dd;color:#fff;
        font:inherit;font-weight:600;cursor:pointer}.primary:hover{background:#0f4fb8}
        .users{margin-top:28px;border-top:1px solid #e0e2e7;padding-top:16px}.users h2{margin:0;font-size:14px}
        .hint{margin:2px 0 8px;color:#6e6e78;font-size:13px}.users ul{list-style:none;margin:0;padding:0}
        .user{display:flex;justify-content:space-between;gap:8px;width:100%;margin:4px 0;padding:8px 10px;
        border:1px solid #e0e2e7;border-radius:4px;background:#fafbfc;font:inherit;text-align:left;cursor:pointer}
        .user:hover{border-color:#1662dd}.user span{color:#6e6e78;font-size:13px}
        code{font:15px ui-monospace,Menlo,monospace;background:#f1f2f5;padding:4px 6px;border-radius:4px;
        word-break:break-all}
        """
}
