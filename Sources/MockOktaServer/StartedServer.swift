import FoundationEssentials
import Logging
import MockOktaCore

/// A server running in this process on its own task: what it announced when ready, and how to stop it.
/// `mock-okta run`, the Swift tests and `MockOktaTesting` all start and stop the server this one way.
public final class StartedServer: Sendable {
    /// The ready-file JSON: `url`, `port`, `caFile`, issuers, `credentials`, `seed`.
    public let info: JSON
    public let engine: MockOkta
    let trigger: ShutdownTrigger
    let task: Task<Void, any Error>

    init(info: JSON, engine: MockOkta, trigger: ShutdownTrigger, task: Task<Void, any Error>) {
        self.info = info
        self.engine = engine
        self.trigger = trigger
        self.task = task
    }

    public var url: String { info["url"]?.stringValue ?? engine.baseURL }

    /// Returns when the server stops by itself (SIGINT or SIGTERM: the server handles both).
    public func waitUntilStopped() async {
        _ = try? await task.value
    }

    /// Graceful shutdown (hung requests are released); returns when the server has stopped.
    public func stop() async {
        await trigger.trigger()
        _ = try? await task.value
    }
}

extension MockOktaServer {
    /// Starts the server on its own task and returns once it listens (the ready file is written, if asked for).
    /// Throws why it could not start (a port in use, a TLS file that cannot be read) instead of hanging.
    public static func start(_ config: ServerConfiguration, engine: MockOkta, logger: Logger) async throws
        -> StartedServer
    {
        let (ready, cont) = AsyncStream.makeStream(of: JSON.self)
        let trigger = ShutdownTrigger()
        let task = Task { [config] in
            defer { cont.finish() }  // a server that fails to bind ends the wait below
            try await run(config, engine: engine, logger: logger, shutdown: trigger) { info in cont.yield(info) }
        }
        var info: JSON? = nil
        for await i in ready {
            info = i
            break
        }
        guard let info else {
            try await task.value  // rethrows why it did not start
            throw ServerError("the server did not start")
        }
        return StartedServer(info: info, engine: engine, trigger: trigger, task: task)
    }
}
