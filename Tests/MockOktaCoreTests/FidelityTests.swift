import Foundation
import Testing

@testable import MockOktaCore

/// Issue 11, first items: where the mock was more lenient than Okta, so a broken client passed.
@Suite("Fidelity: content types and cursors as Okta answers them")
struct FidelityTests {
    /// Source: okta-sdk-python issues 309, 383, 400, 426, 431 and okta-sdk-java PR 1645 (E0000021 from live
    /// orgs); the summary text as okta/okta-management-openapi-spec and the okta-contract table write it.
    @Test("a JSON endpoint called with a form, text or no content type is 400 E0000021; JSON is accepted")
    func contentType() throws {
        let org = try TestOrg()
        let body = "{\"profile\":{\"name\":\"ct\"}}"
        for ct in ["application/x-www-form-urlencoded", "text/plain", nil] as [String?] {
            var h = [org.ssws]
            h.append(("content-type", ct ?? ""))
            let r = org.engine.handle(
                HTTPRequestInfo(
                    method: "POST", path: "/api/v1/groups", headers: ct == nil ? [org.ssws] : h,
                    body: Array(body.utf8)))
            #expect(r.status == 400, "\(ct ?? "none")")
            #expect(r.bodyJSON?["errorCode"] == "E0000021")
            #expect(
                r.bodyJSON?["errorSummary"]
                    == "Bad request.  Accept and/or Content-Type headers likely do not match supported values.")
        }
        // A form content type is refused even on a GET (the python 2.9.9 private-key regression sent it).
        let get = org.send(
            "GET", "/api/v1/users", headers: [org.ssws, ("content-type", "application/x-www-form-urlencoded")])
        #expect(get.status == 400 && get.bodyJSON?["errorCode"] == "E0000021")
        #expect(
            org.send(
                "POST", "/api/v1/groups", headers: [org.ssws, ("content-type", "application/json; charset=UTF-8")],
                body: body
            ).status == 200)
        // No body, no content type: a lifecycle call as curl sends it.
        #expect(org.send("GET", "/api/v1/users", headers: [org.ssws]).status == 200)
    }

    /// Source: okta/okta-sdk-python tests/integration/cassettes/test_applications_it/
    /// test_list_applications_pagination_with_after.yaml (400 E0000029 "Invalid paging request.", cause "Invalid
    /// cursor.").
    @Test("an unknown after cursor is 400 E0000029 on every list route; a real one pages on")
    func cursors() throws {
        let org = try TestOrg()
        for path in ["/api/v1/users", "/api/v1/groups", "/api/v1/apps"] {
            let r = org.send("GET", path, query: [("after", "00ubogus0cursor00000")], headers: [org.ssws])
            #expect(r.status == 400, "\(path)")
            #expect(r.bodyJSON?["errorCode"] == "E0000029")
            #expect(r.bodyJSON?["errorCauses"]?[0]?["errorSummary"] == "Invalid cursor.")
            let first = org.send("GET", path, query: [("limit", "1")], headers: [org.ssws])
            let id = try #require(first.bodyJSON?[0]?["id"]?.stringValue)
            #expect(org.send("GET", path, query: [("limit", "1"), ("after", id)], headers: [org.ssws]).status == 200)
        }
    }
}
