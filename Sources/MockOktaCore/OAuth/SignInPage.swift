import Foundation

/// The page `/authorize` shows when nobody is signed in: our own HTML and CSS (no external assets), the app's
/// name and the org, Okta's error text, and — this being a mock — the tenant's test users, which fill the form
/// on click.
extension MockOkta {
    /// At most this many users are listed (the first by login; a tenant may have 200,000).
    static let signInUserListLimit = 25

    func signInPage(_ ex: Exchange, error: String?) -> HTTPReply {
        let hidden = ex.params.filter { !["username", "password"].contains($0.0) }
            .map { "<input type=\"hidden\" name=\"\(html($0.0))\" value=\"\(html($0.1))\"/>" }.joined(separator: "\n")
        let clientId = ex.params.first { $0.0 == "client_id" }?.1 ?? ""
        let appName = read { $0.client(clientId)?.label } ?? "an application"
        let err = error.map { "<p class=\"error\" role=\"alert\">\(html($0))</p>" } ?? ""
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
        let page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sign In - \(html(appName))</title>
            <link rel="icon" href="data:,">
            <style>\(MockOkta.signInCSS)</style></head>
            <body><main class="card">
            <p class="org">\(html(baseURL))</p>
            <h1>Sign In</h1>
            <p class="app">to continue to <strong>\(html(appName))</strong></p>
            \(err)
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
        document.querySelectorAll("button.user").forEach(function (b) {
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
        """
}
