import Foundation
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

    public enum LogFormat: String, Sendable { case text, json }

    public init() {}
}

public struct ServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
