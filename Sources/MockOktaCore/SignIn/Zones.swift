import FoundationEssentials

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP address (4 or 16 bytes), parsed with the system's `inet_pton`.
struct IPAddress: Equatable, Comparable, Sendable {
    var bytes: [UInt8]

    init?(_ text: String) {
        let t = text.trimmingWhitespace()
        guard !t.isEmpty, t.count <= 45 else { return nil }
        var v4 = in_addr()
        if t.withCString({ inet_pton(AF_INET, $0, &v4) }) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard t.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 else { return nil }
        let b = withUnsafeBytes(of: &v6) { Array($0) }
        // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, how a dual-stack socket reports IPv4) is that IPv4 address.
        bytes = b[0..<10].allSatisfy { $0 == 0 } && b[10] == 0xFF && b[11] == 0xFF ? Array(b[12...]) : b
    }

    static func < (a: IPAddress, b: IPAddress) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// A zone's address entry as Okta's Zones API writes it: `{"type":"CIDR","value":"10.0.0.0/8"}` or
/// `{"type":"RANGE","value":"10.0.0.1-10.0.0.9"}`.
public struct ZoneAddress: Codable, Sendable, Equatable {
    public var type: String
    public var value: String

    /// The first and last address covered, or nil when `value` does not parse as its `type`.
    var bounds: (IPAddress, IPAddress)? {
        if type == "RANGE" {
            let parts = value.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let lo = IPAddress(String(parts[0])), let hi = IPAddress(String(parts[1])),
                lo.bytes.count == hi.bytes.count, lo <= hi
            else { return nil }
            return (lo, hi)
        }
        guard type == "CIDR" else { return nil }
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let base = IPAddress(String(parts[0])) else { return nil }
        let width = base.bytes.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : width
        guard let prefix, (0...width).contains(prefix) else { return nil }
        var lo = base.bytes
        var hi = base.bytes
        for bit in prefix..<width {
            let mask = UInt8(0x80 >> (bit % 8))
            lo[bit / 8] &= ~mask
            hi[bit / 8] |= mask
        }
        return (IPAddress(bytes: lo), IPAddress(bytes: hi))
    }

    func contains(_ ip: IPAddress) -> Bool {
        guard let (lo, hi) = bounds, lo.bytes.count == ip.bytes.count else { return false }
        return lo <= ip && ip <= hi
    }
}

extension IPAddress {
    init(bytes: [UInt8]) { self.bytes = bytes }
}

/// An IP network zone (`/api/v1/zones`, type `IP`): gateways are the addresses the zone is, proxies the
/// addresses whose `X-Forwarded-For` Okta believes.
public struct NetworkZone: Codable, Sendable, Equatable {
    public var id: String  // nzo…
    public var name: String
    public var status: String  // ACTIVE | INACTIVE
    /// `POLICY` (used by sign-on rules) or `BLOCKLIST` (requests from it are refused before any policy).
    public var usage: String
    public var gateways: [ZoneAddress]
    public var proxies: [ZoneAddress]
    public var system: Bool
    public var created: Double
    public var lastUpdated: Double

    func contains(_ ip: IPAddress) -> Bool { gateways.contains { $0.contains(ip) } }
}

/// A zone with its addresses parsed once (the System Log places every request in its zone).
struct ParsedZone: Sendable {
    let zone: NetworkZone
    let gateways: [(IPAddress, IPAddress)]
    let proxies: [(IPAddress, IPAddress)]

    init(_ z: NetworkZone) {
        zone = z
        gateways = z.gateways.compactMap(\.bounds)
        proxies = z.proxies.compactMap(\.bounds)
    }

    static func within(_ ip: IPAddress, _ ranges: [(IPAddress, IPAddress)]) -> Bool {
        ranges.contains { lo, hi in lo.bytes.count == ip.bytes.count && lo <= ip && ip <= hi }
    }
    var active: Bool { zone.status == "ACTIVE" }
    func hasGateway(_ ip: IPAddress) -> Bool { ParsedZone.within(ip, gateways) }
    func hasProxy(_ ip: IPAddress) -> Bool { ParsedZone.within(ip, proxies) }
}

extension MockOkta {
    /// Bounds on a zone: name length and entries per list.
    static let zoneNameMax = 128
    static let zoneEntriesMax = 1000
    static let zonesMax = 1000

    /// The address Okta attributes a request to: the peer, unless the peer is a proxy listed in an active zone,
    /// in which case `X-Forwarded-For` is read from the right, skipping listed proxies (Okta trusts the header
    /// only from a proxy it was told about).
    func clientIP(_ req: HTTPRequestInfo) -> String {
        let zones = zoneCache.withLock { $0.filter { $0.active && !$0.proxies.isEmpty } }
        func isProxy(_ s: String) -> Bool {
            guard let ip = IPAddress(s) else { return false }
            return zones.contains { $0.hasProxy(ip) }
        }
        let xff = req.headerValues("x-forwarded-for").joined(separator: ",")
        guard !zones.isEmpty, !xff.isEmpty, isProxy(req.remoteIP) else { return req.remoteIP }
        // The hops nearest Okta are the right-most; a client cannot push them out with a long header.
        let hops = xff.split(separator: ",").suffix(64).map { $0.trimmingWhitespace() }
        for hop in hops.reversed() where !isProxy(hop) {
            return IPAddress(hop) == nil ? req.remoteIP : hop
        }
        return hops.first ?? req.remoteIP
    }

    /// Active zones (by id) the address is in.
    func zonesContaining(_ ipText: String) -> [NetworkZone] {
        guard let ip = IPAddress(ipText) else { return [] }
        return zoneCache.withLock { list in list.filter { $0.active && $0.hasGateway(ip) }.map(\.zone) }
    }

    // MARK: /api/v1/zones

    /// Every org has BlockedIpZone (BLOCKLIST) and LegacyIpZone (POLICY), system zones with no addresses until an
    /// admin adds some (okta-sdk-python cassette test_list_network_zones). Added on first use, ids from the seed.
    func ensureBuiltInZones(now: Double) throws {
        guard read({ !$0.signOn.zones.contains(where: \.system) }) else { return }
        let r = RandomSource(seed: seed, purpose: "built-in-zones")
        let builtIn = [("BlockedIpZone", "BLOCKLIST"), ("LegacyIpZone", "POLICY")].map { name, usage in
            NetworkZone(
                id: r.oktaID("nzo"), name: name, status: "ACTIVE", usage: usage, gateways: [], proxies: [],
                system: true, created: now, lastUpdated: now)
        }
        try mutate { t, d in
            guard !t.signOn.zones.contains(where: \.system) else { return }
            t.signOn.zones.insert(contentsOf: builtIn, at: 0)
            d.misc = true
        }
    }

    func zoneJSON(_ z: NetworkZone) -> JSON {
        let base = "\(baseURL)/api/v1/zones/\(z.id)"
        let toggle = z.status == "ACTIVE" ? "deactivate" : "activate"
        let selfLink: (String, JSON) = ("self", ["href": .string(base), "hints": ["allow": ["GET", "PUT", "DELETE"]]])
        let toggleLink: (String, JSON) = (
            toggle, ["href": .string("\(base)/lifecycle/\(toggle)"), "hints": ["allow": ["POST"]]]
        )
        func list(_ a: [ZoneAddress]) -> JSON {
            a.isEmpty ? nil : .array(a.map { ["type": .string($0.type), "value": .string($0.value)] })
        }
        return [
            "type": "IP", "id": .string(z.id), "name": .string(z.name), "status": .string(z.status),
            "usage": .string(z.usage), "created": .string(TimeFormat.isoSeconds(z.created)),
            "lastUpdated": .string(TimeFormat.isoSeconds(z.lastUpdated)), "system": .bool(z.system),
            "gateways": list(z.gateways), "proxies": list(z.proxies),
            // ACTIVE: self, deactivate; INACTIVE: activate, self (cassettes test_network_zone_it).
            "_links": .object(z.status == "ACTIVE" ? [selfLink, toggleLink] : [toggleLink, selfLink]),
        ]
    }

    func requireZone(_ id: String, now: Double) throws -> NetworkZone {
        try ensureBuiltInZones(now: now)
        guard let z = read({ $0.signOn.zones.first { $0.id == id } }) else {
            throw OktaAPIError.notFound("Resource not found: \(id) (NetworkZone)")
        }
        return z
    }

    /// Reads and checks an IP zone body as Okta validates it.
    func zoneInput(_ body: JSON) throws -> (
        name: String, usage: String, gateways: [ZoneAddress], proxies: [ZoneAddress]
    ) {
        var causes: [String] = []
        let name = body["name"]?.stringValue ?? ""
        if name.isEmpty { causes.append("name: The field cannot be left blank") }
        if name.count > MockOkta.zoneNameMax {
            causes.append("name: The field is too long (at most \(MockOkta.zoneNameMax) characters)")
        }
        let type = body["type"]?.stringValue ?? ""
        if type != "IP" {
            causes.append(
                type.isEmpty
                    ? "type: The field cannot be left blank"
                    : "type: Only IP zones are served by this mock (DYNAMIC zones are not)")
        }
        let usage = body["usage"]?.stringValue ?? "POLICY"
        if !["POLICY", "BLOCKLIST"].contains(usage) { causes.append("usage: Invalid value \(usage)") }
        func addresses(_ field: String) -> [ZoneAddress] {
            guard let list = body[field]?.arrayValue else { return [] }
            if list.count > MockOkta.zoneEntriesMax {
                causes.append("\(field): At most \(MockOkta.zoneEntriesMax) entries")
                return []
            }
            var out: [ZoneAddress] = []
            for e in list {
                let a = ZoneAddress(type: e["type"]?.stringValue ?? "", value: e["value"]?.stringValue ?? "")
                if a.bounds == nil {
                    causes.append(
                        "\(field): Invalid \(a.type.isEmpty ? "gateway" : a.type) value \(a.value.prefix(64))")
                } else {
                    out.append(a)
                }
            }
            return out
        }
        let gateways = addresses("gateways")
        let proxies = addresses("proxies")
        if let first = causes.first {
            throw OktaAPIError(
                400, "E0000001", "Api validation failed: \(first.split(separator: ":")[0])", causes: causes)
        }
        return (name, usage, gateways, proxies)
    }

    func listZones(_ ex: Exchange) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        let limit = try limitParam(ex, default: 20, max: 200)
        try ensureBuiltInZones(now: ex.now)
        let all = read { $0.signOn.zones }
        let (page, next) = try pageOf(all, ex, limit: limit, id: \.id)
        return .json(200, .array(page.map(zoneJSON)), headers: linkHeaders(ex, next: next, limit: limit))
    }

    func getZone(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        _ = try authorizeAPI(ex)
        return .json(200, zoneJSON(try requireZone(id, now: ex.now)))
    }

    func createZone(_ ex: Exchange) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let input = try zoneInput(try bodyJSON(ex))
        let z = NetworkZone(
            id: ids.oktaID("nzo"), name: input.name, status: "ACTIVE", usage: input.usage, gateways: input.gateways,
            proxies: input.proxies, system: false, created: ex.now, lastUpdated: ex.now)
        try ensureBuiltInZones(now: ex.now)
        try addZone(z)
        logEvent(.zoneCreate, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [zoneActor(z)], ex: ex)
        return .json(200, zoneJSON(z))
    }

    func addZone(_ z: NetworkZone) throws {
        try mutate { t, d in
            guard t.signOn.zones.count < MockOkta.zonesMax else {
                throw OktaAPIError(
                    400, "E0000001", "Api validation failed: zone",
                    causes: ["At most \(MockOkta.zonesMax) network zones in this mock"])
            }
            guard !t.signOn.zones.contains(where: { $0.name == z.name }) else {
                throw OktaAPIError(
                    400, "E0000001", "Api validation failed: name",
                    causes: ["name: An object with this field already exists in the current organization"])
            }
            t.signOn.zones.append(z)
            d.misc = true
        }
    }

    func zoneActor(_ z: NetworkZone) -> SystemLog.Actor {
        SystemLog.Actor(id: z.id, type: "NetworkZone", alternateId: z.name, displayName: z.name)
    }

    func changeZone(_ id: String, _ ex: Exchange, _ change: (inout NetworkZone, TenantData) throws -> Void) throws
        -> NetworkZone
    {
        try mutate { t, d in
            guard let i = t.signOn.zones.firstIndex(where: { $0.id == id }) else {
                throw OktaAPIError.notFound("Resource not found: \(id) (NetworkZone)")
            }
            var z = t.signOn.zones[i]
            try change(&z, t)
            z.lastUpdated = ex.now
            t.signOn.zones[i] = z
            d.misc = true
            return z
        }
    }

    func replaceZone(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        _ = try requireZone(id, now: ex.now)
        let input = try zoneInput(try bodyJSON(ex))
        let z = try changeZone(id, ex) { z, t in
            if t.signOn.zones.contains(where: { $0.id != id && $0.name == input.name }) {
                throw OktaAPIError(
                    400, "E0000001", "Api validation failed: name",
                    causes: ["name: An object with this field already exists in the current organization"])
            }
            if !z.system {  // a system zone keeps its name and usage; its addresses can change
                z.name = input.name
                z.usage = input.usage
            }
            z.gateways = input.gateways
            z.proxies = input.proxies
        }
        logEvent(.zoneUpdate, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [zoneActor(z)], ex: ex)
        return .json(200, zoneJSON(z))
    }

    func zoneLifecycle(_ ex: Exchange, _ id: String, _ op: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        guard op == "activate" || op == "deactivate" else {
            throw OktaAPIError.notFound("Resource not found: \(ex.req.path) (Path)")
        }
        let z = try changeZone(id, ex) { z, _ in z.status = op == "activate" ? "ACTIVE" : "INACTIVE" }
        logEvent(
            op == "activate" ? .zoneActivate : .zoneDeactivate, actor: caller.user.map(actor(user:)) ?? .unknown,
            targets: [zoneActor(z)], ex: ex)
        return .json(200, zoneJSON(z))
    }

    func deleteZone(_ ex: Exchange, _ id: String) throws -> HTTPReply {
        let caller = try authorizeAPI(ex, write: true)
        let z = try requireZone(id, now: ex.now)
        try mutate { t, d in
            if t.signOn.zones.first(where: { $0.id == id })?.system == true {
                throw OktaAPIError(
                    403, "E0000006", "You do not have permission to perform the requested action",
                    causes: ["System network zones cannot be deleted."])
            }
            // The spec: a zone a policy rule uses cannot be deleted (the error text here is ours).
            if t.signOn.usesZone(id) {
                throw OktaAPIError(
                    400, "E0000001", "Api validation failed: zone",
                    causes: ["The network zone is used by a policy rule and cannot be deleted."])
            }
            t.signOn.zones.removeAll { $0.id == id }
            d.misc = true
        }
        logEvent(.zoneDelete, actor: caller.user.map(actor(user:)) ?? .unknown, targets: [zoneActor(z)], ex: ex)
        return .empty(204)
    }
}
