import FoundationEssentials

/// `/activate`: where the user of a device flow enters the user code and signs in (Okta's device activation page,
/// reduced to one form). GET shows the form (with `?user_code=` filled in); POST checks the password like every
/// sign-in (wrong passwords count toward the lockout) and approves, or denies with `deny=1`.
extension MockOkta {
    func activationPage(_ ex: Exchange) throws -> HTTPReply {
        if ex.req.method == "GET" {
            return activationForm(userCode: ex.req.queryValue("user_code") ?? "", message: nil, status: 200)
        }
        let code = ex.param("user_code") ?? ""
        guard let username = ex.param("username"), let password = ex.param("password"), !code.isEmpty else {
            return activationForm(userCode: code, message: "Enter the code, your username and password.", status: 400)
        }
        guard case .ok(let user) = try checkPassword(username: username, password: password, ex: ex) else {
            return activationForm(userCode: code, message: "Sign-in failed.", status: 401)
        }
        let deny = ex.param("deny") == "1"
        guard approveDevice(userCode: code, userId: user.id, deny: deny, now: ex.now) else {
            return activationForm(userCode: code, message: "Invalid code. Try again.", status: 400)
        }
        let done = deny ? "Device not activated." : "Device activated. You can return to your device."
        let page =
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Device activation</title></head><body>"
            + "<h1 id=\"result\">\(html(done))</h1></body></html>"
        return HTTPReply(status: 200, headers: [("Content-Type", "text/html;charset=utf-8")], body: Array(page.utf8))
    }

    func activationForm(userCode: String, message: String?, status: Int) -> HTTPReply {
        let note = message.map { "<p id=\"error\" role=\"alert\">\(html($0))</p>" } ?? ""
        let page = """
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>Activate your device</title></head><body>
            <h1>Activate your device</h1>\(note)
            <form method="post" action="/activate">
            <label>Activation code <input name="user_code" id="user_code" value="\(html(userCode))"></label>
            <label>Username <input name="username" id="username" autocomplete="username"></label>
            <label>Password <input name="password" id="password" type="password"></label>
            <button type="submit" id="approve">Next</button>
            <button type="submit" name="deny" value="1" id="deny">Deny</button>
            </form></body></html>
            """
        return HTTPReply(
            status: status, headers: [("Content-Type", "text/html;charset=utf-8"), ("Cache-Control", "no-store")],
            body: Array(page.utf8))
    }
}
