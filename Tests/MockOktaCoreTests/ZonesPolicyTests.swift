import Foundation
import Testing

@testable import MockOktaCore

/// Network zones and Okta sign-on policies (issue 13, item 5): `/api/v1/zones`, `/api/v1/policies?type=OKTA_SIGN_ON`
/// and rules, `X-Forwarded-For` believed only from a listed proxy, and a denial at `/api/v1/authn`, the sign-in page
/// and the password grant with `policy.evaluate_sign_on` DENY.
@Suite("Sign-on policies and network zones")
struct ZonesPolicyTests {
    static let ann = SignInTests.ann

    static func createZone(_ org: TestOrg, _ body: String) -> HTTPReply {
        org.send("POST", "/api/v1/zones", headers: [org.ssws], body: body)
    }

    static func authn(_ org: TestOrg, from ip: String? = nil) -> HTTPReply {
        org.send(
            "POST", "/api/v1/authn", headers: ip.map { [("x-forwarded-for", $0)] } ?? [],
            body: #"{"username":"\#(ann)","password":"\#(SignInTests.password(org))"}"#)
    }

    static func defaultPolicy(_ org: TestOrg) throws -> JSON {
        let list = org.send("GET", "/api/v1/policies", query: [("type", "OKTA_SIGN_ON")], headers: [org.ssws])
        return try #require(list.bodyJSON?.arrayValue?.last)
    }

    @Test("CIDR, range and single addresses, IPv4 and IPv6 (IPv4-mapped IPv6 counts as IPv4); bad ones refused")
    func addresses() throws {
        let ip = { (s: String) in try #require(IPAddress(s)) }
        #expect(ZoneAddress(type: "CIDR", value: "10.1.0.0/16").contains(try ip("10.1.255.7")))
        #expect(!ZoneAddress(type: "CIDR", value: "10.1.0.0/16").contains(try ip("10.2.0.1")))
        #expect(ZoneAddress(type: "CIDR", value: "203.0.113.9").contains(try ip("203.0.113.9")))
        #expect(ZoneAddress(type: "RANGE", value: "1.2.3.4-1.2.3.10").contains(try ip("1.2.3.10")))
        #expect(!ZoneAddress(type: "RANGE", value: "1.2.3.4-1.2.3.10").contains(try ip("1.2.3.11")))
        #expect(ZoneAddress(type: "CIDR", value: "2001:db8::/32").contains(try ip("2001:db8:1::5")))
        #expect(ZoneAddress(type: "CIDR", value: "127.0.0.0/8").contains(try ip("::ffff:127.0.0.1")))
        for bad in ["1.2.3.4.5/24", "10.0.0.0/33", "x", "1.2.3.9-1.2.3.4", "::1-1.2.3.4", ""] {
            #expect(ZoneAddress(type: bad.contains("-") ? "RANGE" : "CIDR", value: bad).bounds == nil, "\(bad)")
        }
    }

    @Test("Zones API: built-in zones, create 200 as recorded, deactivate/activate, replace, delete 204, validation")
    func zonesAPI() throws {
        let org = try TestOrg(rateLimits: false)
        // okta-sdk-python cassette test_list_network_zones: BlockedIpZone, LegacyIpZone, system, no addresses.
        let builtIn = org.send("GET", "/api/v1/zones", headers: [org.ssws]).bodyJSON?.arrayValue ?? []
        #expect(builtIn.map { $0["name"] } == ["BlockedIpZone", "LegacyIpZone"])
        #expect(builtIn.allSatisfy { $0["system"] == true && $0["gateways"] == .null })
        // okta-sdk-python cassette test_create_and_delete_network_zone.
        let c = Self.createZone(
            org,
            #"{"type":"IP","name":"Office","gateways":[{"type":"CIDR","value":"1.2.3.4/24"}],"proxies":[{"type":"CIDR","value":"2.2.3.4/24"}]}"#
        )
        #expect(c.status == 200)
        let z = try #require(c.bodyJSON)
        #expect(
            z.objectValue?.map(\.0).prefix(9) == [
                "type", "id", "name", "status", "usage", "created", "lastUpdated", "system", "gateways",
            ])
        #expect(z["type"] == "IP" && z["status"] == "ACTIVE" && z["usage"] == "POLICY" && z["system"] == false)
        let id = try #require(z["id"]?.stringValue)
        #expect(id.hasPrefix("nzo") && id.count == 20)
        #expect(z["_links"]?.objectValue?.map(\.0) == ["self", "deactivate"])
        let off = org.send("POST", "/api/v1/zones/\(id)/lifecycle/deactivate", headers: [org.ssws])
        #expect(off.status == 200 && off.bodyJSON?["status"] == "INACTIVE")
        #expect(off.bodyJSON?["_links"]?.objectValue?.map(\.0) == ["activate", "self"])
        #expect(
            org.send("POST", "/api/v1/zones/\(id)/lifecycle/activate", headers: [org.ssws]).bodyJSON?["status"]
                == "ACTIVE")
        let put = org.send(
            "PUT", "/api/v1/zones/\(id)", headers: [org.ssws],
            body: #"{"type":"IP","name":"Office 2","gateways":[{"type":"RANGE","value":"1.2.3.4-1.2.3.6"}]}"#)
        #expect(put.status == 200 && put.bodyJSON?["name"] == "Office 2" && put.bodyJSON?["proxies"] == .null)
        // okta-developer-docs zones reference: a bad address is 400 E0000001 "Api validation failed: gateways".
        let bad = Self.createZone(
            org, #"{"type":"IP","name":"Bad","gateways":[{"type":"RANGE","value":"1.2.3.4.5-1.2.3.6"}]}"#)
        #expect(bad.status == 400 && bad.bodyJSON?["errorSummary"] == "Api validation failed: gateways")
        let dup = Self.createZone(org, #"{"type":"IP","name":"Office 2","gateways":[]}"#)
        #expect(dup.status == 400 && dup.bodyJSON?["errorCode"] == "E0000001")
        #expect(org.send("DELETE", "/api/v1/zones/\(id)", headers: [org.ssws]).status == 204)
        let gone = org.send("GET", "/api/v1/zones/\(id)", headers: [org.ssws])
        #expect(
            gone.status == 404
                && gone.bodyJSON?["errorSummary"]?.stringValue == "Not found: Resource not found: \(id) (NetworkZone)"
        )
        let blocked = try #require(builtIn.first?["id"]?.stringValue)
        #expect(org.send("DELETE", "/api/v1/zones/\(blocked)", headers: [org.ssws]).status == 403)
        // The read-only admin reads zones but cannot write them.
        let ro = ("authorization", "SSWS " + org.cred("readOnlyApiToken"))
        #expect(org.send("GET", "/api/v1/zones", headers: [ro]).status == 200)
        #expect(Self.createZone(org, #"{"type":"IP","name":"X","gateways":[]}"#).status == 200)
        #expect(org.send("POST", "/api/v1/zones", headers: [ro], body: #"{"type":"IP","name":"Y"}"#).status == 403)
        let events = Set(org.engine.systemLog.all().map(\.eventType))
        #expect(
            events.isSuperset(of: ["zone.create", "zone.update", "zone.deactivate", "zone.activate", "zone.delete"]))
    }

    @Test("Policies API: the Default Policy and Default Rule as recorded; a DENY rule on a zone denies; priorities")
    func policiesAPI() throws {
        let org = try TestOrg(rateLimits: false)
        let missing = org.send("GET", "/api/v1/policies", headers: [org.ssws])
        #expect(missing.status == 400 && missing.bodyJSON?["errorCode"] == "E0000002")
        let p = try Self.defaultPolicy(org)
        // okta-sdk-python cassette test_list_policies_by_type.
        #expect(p["type"] == "OKTA_SIGN_ON" && p["name"] == "Default Policy" && p["system"] == true)
        #expect(p["_links"]?.objectValue?.map(\.0) == ["self", "rules"])
        let everyone = org.send("GET", "/api/v1/groups", query: [("q", "Everyone")], headers: [org.ssws])
        #expect(p["conditions"]?["people"]?["groups"]?["include"] == .array([everyone.bodyJSON?[0]?["id"] ?? .null]))
        let pid = try #require(p["id"]?.stringValue)
        let rules = org.send("GET", "/api/v1/policies/\(pid)/rules", headers: [org.ssws]).bodyJSON?.arrayValue ?? []
        #expect(rules.map { $0["name"] } == ["Default Rule"] && rules.first?["type"] == "SIGN_ON")

        let zone = try #require(
            Self.createZone(
                org,
                #"{"type":"IP","name":"Branch","gateways":[{"type":"CIDR","value":"203.0.113.0/24"}],"proxies":[{"type":"CIDR","value":"127.0.0.1/32"}]}"#
            ).bodyJSON?["id"]?.stringValue)
        let both = org.send(
            "POST", "/api/v1/policies/\(pid)/rules", headers: [org.ssws],
            body: #"{"type":"SIGN_ON","name":"Nowhere","conditions":{"network":{"connection":"ZONE"}}}"#)
        // terraform-provider-okta issue #236 quotes this cause from a live org.
        #expect(
            both.status == 400
                && both.bodyJSON?["errorCauses"]?[0]?["errorSummary"]?.stringValue?.contains(
                    "either include or exclude") == true
        )
        let rule = org.send(
            "POST", "/api/v1/policies/\(pid)/rules", headers: [org.ssws],
            body:
                #"{"type":"SIGN_ON","name":"Deny branch","conditions":{"network":{"connection":"ZONE","include":["\#(zone)"]}},"actions":{"signon":{"access":"DENY"}}}"#
        )
        #expect(rule.status == 200 && rule.bodyJSON?["priority"] == 1)
        let rid = try #require(rule.bodyJSON?["id"]?.stringValue)
        let after = org.send("GET", "/api/v1/policies/\(pid)/rules", headers: [org.ssws]).bodyJSON?.arrayValue ?? []
        #expect(after.map { $0["priority"] } == [1, 2] && after.last?["name"] == "Default Rule")

        // From the zone (through the listed proxy 127.0.0.1): 401 E0000004, as the Authn reference documents.
        let denied = Self.authn(org, from: "203.0.113.7")
        #expect(denied.status == 401 && denied.bodyJSON?["errorCode"] == "E0000004")
        let log = org.engine.systemLog.all().last { $0.eventType == "policy.evaluate_sign_on" }
        #expect(log?.json["outcome"]?["result"] == "DENY")
        #expect(log?.json["outcome"]?["reason"] == "Sign-on policy evaluation resulted in DENY")
        #expect(log?.json["debugContext"]?["debugData"]?["clientIp"] == "203.0.113.7")
        // From elsewhere, and with the rule deactivated (204, as recorded), sign-in works.
        #expect(Self.authn(org, from: "198.51.100.1").bodyJSON?["status"] == "SUCCESS")
        let deact = org.send("POST", "/api/v1/policies/\(pid)/rules/\(rid)/lifecycle/deactivate", headers: [org.ssws])
        #expect(deact.status == 204)
        #expect(Self.authn(org, from: "203.0.113.7").bodyJSON?["status"] == "SUCCESS")
        // A zone in use cannot be deleted; the Default Rule cannot be deleted.
        #expect(org.send("DELETE", "/api/v1/zones/\(zone)", headers: [org.ssws]).status == 400)
        let defaultRule = try #require(rules.first?["id"]?.stringValue)
        #expect(org.send("DELETE", "/api/v1/policies/\(pid)/rules/\(defaultRule)", headers: [org.ssws]).status == 403)
        #expect(org.send("DELETE", "/api/v1/policies/\(pid)/rules/\(rid)", headers: [org.ssws]).status == 204)
        #expect(org.send("DELETE", "/api/v1/zones/\(zone)", headers: [org.ssws]).status == 204)
    }

    @Test("X-Forwarded-For is believed only from a listed proxy; a group-scoped policy applies to its members only")
    func forwardedForAndGroups() throws {
        let org = try TestOrg(rateLimits: false)
        // A zone without proxies: the header is ignored, the peer (127.0.0.1) is outside the zone.
        let zone = try #require(
            Self.createZone(
                org, #"{"type":"IP","name":"Blocked","gateways":[{"type":"CIDR","value":"203.0.113.0/24"}]}"#
            ).bodyJSON?["id"]?.stringValue)
        #expect(CoverageTests.action(org, #"{"type":"denyFromZone","zone":"\#(zone)"}"#).bodyJSON?["ok"] == true)
        #expect(Self.authn(org, from: "203.0.113.7").bodyJSON?["status"] == "SUCCESS")
        // Listed as a proxy: the header counts, read from the right past listed proxies.
        let put = org.send(
            "PUT", "/api/v1/zones/\(zone)", headers: [org.ssws],
            body:
                #"{"type":"IP","name":"Blocked","gateways":[{"type":"CIDR","value":"203.0.113.0/24"}],"proxies":[{"type":"CIDR","value":"127.0.0.1"},{"type":"CIDR","value":"10.0.0.0/8"}]}"#
        )
        #expect(put.status == 200)
        #expect(Self.authn(org, from: "203.0.113.7, 10.1.2.3").status == 401)
        #expect(Self.authn(org, from: "203.0.113.7, 198.51.100.4").bodyJSON?["status"] == "SUCCESS")
        // A policy for the Engineering group only (ann is a member) with a DENY-everywhere rule, ahead of Default.
        #expect(CoverageTests.action(org, #"{"type":"denyFromZone","zone":"Blocked","off":true}"#).status == 200)
        let groups = org.send("GET", "/api/v1/groups", query: [("q", "Engineering")], headers: [org.ssws])
        let eng = try #require(groups.bodyJSON?[0]?["id"]?.stringValue)
        let policy = org.send(
            "POST", "/api/v1/policies", headers: [org.ssws],
            body:
                #"{"type":"OKTA_SIGN_ON","name":"Engineers","conditions":{"people":{"groups":{"include":["\#(eng)"]}}}}"#
        )
        #expect(policy.status == 200 && policy.bodyJSON?["priority"] == 1 && policy.bodyJSON?["system"] == false)
        let pid = try #require(policy.bodyJSON?["id"]?.stringValue)
        #expect(policy.bodyJSON?["_links"]?.objectValue?.map(\.0) == ["self", "rules", "deactivate"])
        let r = org.send(
            "POST", "/api/v1/policies/\(pid)/rules", headers: [org.ssws],
            body: #"{"name":"No engineers","actions":{"signon":{"access":"DENY"}}}"#)
        #expect(r.status == 200)
        #expect(Self.authn(org).status == 401)
        let carol = org.send(
            "POST", "/api/v1/authn",
            body: #"{"username":"carol@example.com","password":"\#(SignInTests.password(org))"}"#)
        #expect(carol.bodyJSON?["status"] == "SUCCESS")
        #expect(org.send("POST", "/api/v1/policies/\(pid)/lifecycle/deactivate", headers: [org.ssws]).status == 204)
        #expect(Self.authn(org).bodyJSON?["status"] == "SUCCESS")
    }

    @Test("a denial on the sign-in page is Okta's 403 page; the password grant gets invalid_grant; zones survive --db")
    func deniedPageAndPersistence() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zones-\(UUID().uuidString).sqlite")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let scenario = #"""
            {"version":1,"name":"z","tenant":{"signOn":{"zones":[{"name":"Local","gateways":["127.0.0.0/8"]}]}},
             "timeline":[{"atSeconds":0,"action":{"type":"denyFromZone","zone":"Local"}}]}
            """#
        do {
            let org = try TestOrg(scenario: scenario, rateLimits: false, dbPath: path)
            let web = org.cred("webClientId")
            let page = org.send(
                "GET", "/oauth2/default/v1/authorize",
                query: [
                    ("client_id", web), ("response_type", "code"), ("scope", "openid"),
                    ("redirect_uri", "http://localhost:8000/callback"), ("state", "s"), ("login_hint", Self.ann),
                ])
            #expect(page.status == 403 && page.bodyText.contains("Access Forbidden"))
            let g = CoverageTests.passwordGrant(org)
            #expect(
                g.status == 400
                    && g.bodyJSON?["error_description"]
                        == "Resource owner password credentials authentication denied by sign on policy."
            )
            let tenant = org.send("GET", "/__mock/tenant").bodyJSON
            #expect(tenant?["signOn"]?["denyRules"]?.arrayValue?.count == 1)
        }
        let reopened = try TestOrg(rateLimits: false, dbPath: path)
        let zones = reopened.send("GET", "/api/v1/zones", headers: [reopened.ssws]).bodyJSON?.arrayValue ?? []
        #expect(zones.map { $0["name"] }.contains("Local"))
        #expect(Self.authn(reopened).status == 401)
    }

    @Test("an app sign-on policy (ACCESS_POLICY) assigned to the web app: a 2FA rule asks for a factor, DENY denies")
    func appSignOnPolicy() throws {
        let scenario = #"{"version":1,"name":"a","tenant":{"users":[{"login":"ann@example.com","totp":true}]}}"#
        let org = try TestOrg(scenario: scenario, rateLimits: false)
        let web = org.cred("webClientId")
        let p = org.send(
            "POST", "/api/v1/policies", headers: [org.ssws], body: #"{"type":"ACCESS_POLICY","name":"Web app"}"#)
        #expect(p.status == 200 && p.bodyJSON?["type"] == "ACCESS_POLICY" && p.bodyJSON?["conditions"] == .null)
        let pid = try #require(p.bodyJSON?["id"]?.stringValue)
        #expect(pid.hasPrefix("rst"))
        let catchAll = org.send("GET", "/api/v1/policies/\(pid)/rules", headers: [org.ssws]).bodyJSON?[0]
        #expect(catchAll?["name"] == "Catch-all Rule" && catchAll?["type"] == "ACCESS_POLICY")
        #expect(catchAll?["actions"]?["appSignOn"]?["verificationMethod"]?["factorMode"] == "1FA")
        // The OKTA_SIGN_ON listing does not show it; the ACCESS_POLICY listing does.
        let signOn = org.send("GET", "/api/v1/policies", query: [("type", "OKTA_SIGN_ON")], headers: [org.ssws])
        #expect(signOn.bodyJSON?.arrayValue?.map { $0["name"] } == ["Default Policy"])
        let access = org.send("GET", "/api/v1/policies", query: [("type", "ACCESS_POLICY")], headers: [org.ssws])
        #expect(access.bodyJSON?.arrayValue?.map { $0["name"] } == ["Web app"])
        let rule = org.send(
            "POST", "/api/v1/policies/\(pid)/rules", headers: [org.ssws],
            body:
                #"{"type":"ACCESS_POLICY","name":"2FA","actions":{"appSignOn":{"access":"ALLOW","verificationMethod":{"factorMode":"2FA","type":"ASSURANCE"}}}}"#
        )
        #expect(rule.status == 200 && rule.bodyJSON?["priority"] == 1)
        let rid = try #require(rule.bodyJSON?["id"]?.stringValue)
        #expect(org.send("PUT", "/api/v1/apps/\(web)/policies/\(pid)", headers: [org.ssws]).status == 204)
        // The web app's password grant now needs a second factor (denied); other sign-ins are as before.
        #expect(CoverageTests.passwordGrant(org).bodyJSON?["error"] == "invalid_grant")
        #expect(Self.authn(org).bodyJSON?["status"] == "SUCCESS")
        // The rule replaced with DENY: the sign-in page answers the 403 page.
        let deny = org.send(
            "PUT", "/api/v1/policies/\(pid)/rules/\(rid)", headers: [org.ssws],
            body: #"{"type":"ACCESS_POLICY","name":"No","actions":{"appSignOn":{"access":"DENY"}}}"#)
        #expect(deny.status == 200 && deny.bodyJSON?["actions"]?["appSignOn"]?["access"] == "DENY")
        let page = org.send(
            "GET", "/oauth2/default/v1/authorize",
            query: [
                ("client_id", web), ("response_type", "code"), ("scope", "openid"),
                ("redirect_uri", "http://localhost:8000/callback"), ("state", "s"), ("login_hint", Self.ann),
            ])
        #expect(page.status == 403)
        // Deactivated: the app signs in again; an OKTA_SIGN_ON policy cannot be assigned to an app.
        #expect(org.send("POST", "/api/v1/policies/\(pid)/lifecycle/deactivate", headers: [org.ssws]).status == 204)
        #expect(CoverageTests.passwordGrant(org).status == 200)
        let d = try Self.defaultPolicy(org)["id"]?.stringValue ?? ""
        #expect(org.send("PUT", "/api/v1/apps/\(web)/policies/\(d)", headers: [org.ssws]).status == 400)
    }

    @Test(
        "review regressions: X-Forwarded-For spoofing past 64 hops, reset restores zones, first matching rule decides MFA, old policy rows decode"
    )
    func reviewRegressions() throws {
        let org = try TestOrg(rateLimits: false)
        let zone = try #require(
            Self.createZone(
                org,
                #"{"type":"IP","name":"Blocked","gateways":[{"type":"CIDR","value":"203.0.113.0/24"}],"proxies":[{"type":"CIDR","value":"127.0.0.1/32"}]}"#
            ).bodyJSON?["id"]?.stringValue)
        #expect(CoverageTests.action(org, #"{"type":"denyFromZone","zone":"\#(zone)"}"#).bodyJSON?["ok"] == true)
        // 100 made-up hops before the one the proxy appended cannot push it out.
        let spoof = (0..<100).map { "198.51.100.\($0 % 250)" }.joined(separator: ", ") + ", 203.0.113.9"
        #expect(Self.authn(org, from: spoof).status == 401)
        // Reset: the zone created at runtime is gone, from the evaluation too.
        org.engine.reset()
        #expect(Self.authn(org, from: "203.0.113.9").bodyJSON?["status"] == "SUCCESS")
        // requireMfa is the Default Rule's; a higher rule that allows without a factor decides first.
        #expect(CoverageTests.action(org, #"{"type":"requireMfa"}"#).status == 200)
        let pid = try #require(try Self.defaultPolicy(org)["id"]?.stringValue)
        #expect(Self.authn(org).bodyJSON?["status"] == "MFA_ENROLL")
        let r = org.send(
            "POST", "/api/v1/policies/\(pid)/rules", headers: [org.ssws],
            body: #"{"name":"No MFA","actions":{"signon":{"access":"ALLOW","requireFactor":false}}}"#)
        #expect(r.status == 200)
        #expect(Self.authn(org).bodyJSON?["status"] == "SUCCESS")
        // A policy saved before `type` existed still decodes (as OKTA_SIGN_ON).
        let old =
            #"{"id":"00p1","name":"P","priority":1,"status":"ACTIVE","system":false,"groups":[],"rules":[],"created":0,"lastUpdated":0}"#
        let decoded = try JSONDecoder().decode(SignOnPolicy.self, from: Data(old.utf8))
        #expect(decoded.type == "OKTA_SIGN_ON")
        #expect(
            MockOkta.maskEmail("@x.com") == "@x.com" && MockOkta.maskEmail("ann@example.com") == "a...n@example.com")
    }
}
