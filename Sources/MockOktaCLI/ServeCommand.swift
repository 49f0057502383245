import ArgumentParser
import FoundationEssentials
import Logging
import MockOktaCore
import MockOktaServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the server (the default tenant unless a scenario says more).")
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let c = try server.configuration(defaultPort: 8080)
        let logger = server.logger(c)
        do {
            try await MockOktaServer.run(c, logger: logger)
        } catch let e as ExitCode {
            throw e
        } catch {
            throw startFailure(error, c)
        }
    }
}

/// A server that cannot start says why in one sentence: exit 2 for what the user can fix (a port in use,
/// a --db file another server holds), 1 for anything else.
func startFailure(_ error: any Error, _ c: ServerConfiguration) -> ExitCode {
    let text = "\(error)"
    var message = "mock-okta: \(text)"
    var code: Int32 = 1
    if let e = error as? Store.StoreError, case .inUse = e {
        message = "mock-okta: \(e)"
        code = 2
    } else if text.contains("Address already in use") {
        message = "mock-okta: port \(c.port) on \(c.host) is already in use; pick another --port (0 picks a free one)"
        code = 2
    } else if text.contains("Cannot assign requested address") || text.contains("Name or service not known") {
        message = "mock-okta: cannot listen on \(c.host); use an address of this machine such as 127.0.0.1"
        code = 2
    }
    FileIO.write(message + "\n", fd: 2)
    return ExitCode(code)
}
