import FoundationEssentials
import MockOktaCore

/// Everything `serve` and `run` need, as plain values (the CLI fills it from flags and MOCK_OKTA_* variables).
public struct ServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    public var tls: Bool = false
    public var tlsCertPath: String?
    public var tlsKeyPath: String?
    public var caOut: String?
    public var readyFile: String?
    public var logFormat: LogFormat = .text
    public var quietReadyBlock: Bool = false
    /// `run` keeps stdout for the command's own output.
    public var readyToStderr: Bool = false
    /// Idle keep-alive connections are closed after this long (nil: never), as Okta's edge does.
    public var idleTimeoutSeconds: Double? = 60
    public var options = MockOktaOptions()
    /// The org URL clients see (behind a proxy or a balancer); nil: the address the server listens on.
    public var publicURL: String?

    /// `scheme://host[:port]`, lowercased scheme and host, no trailing slash; nil when it is not such a URL.
    public static func normalizedPublicURL(_ s: String) -> String? {
        guard s.count <= 255, let u = URLComponents(string: s), let scheme = u.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = u.host, !host.isEmpty, u.user == nil,
            u.password == nil, u.query == nil, u.fragment == nil, u.path.isEmpty || u.path == "/"
        else { return nil }
        if let p = u.port, !(1...65535).contains(p) { return nil }
        let shownHost = host.contains(":") ? "[\(host)]" : host.lowercased()
        return "\(scheme)://\(shownHost)" + (u.port.map { ":\($0)" } ?? "")
    }

    public enum LogFormat: String, Sendable { case text, json }

    public init() {}
}

public struct ServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
