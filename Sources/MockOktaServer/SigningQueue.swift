import HTTPTypes
import Hummingbird
import NIOPosix

/// Requests that sign tokens (~1 ms of RSA each) are handled first come, first served, one per core, on their own
/// threads (NIO's blocking pool: a FIFO queue). On Swift's cooperative pool they competed with every other
/// connection's task in no particular order, so under load some waited five medians (issue 15: token p99 at 50
/// connections was ~5 × the p50); in a FIFO queue each waits for the ones that came before it, and the tail follows
/// the median.
enum SigningQueue {
    /// The token endpoints of the org and of every custom authorization server: every grant signs.
    static func signs(_ request: Request) -> Bool {
        request.method == .post && request.uri.path.hasPrefix("/oauth2/") && request.uri.path.hasSuffix("/v1/token")
    }

    /// Runs `work` in the queue (or at once, if the queue has been shut down or the request was cancelled).
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        (try? await NIOThreadPool.singleton.runIfActive(work)) ?? work()
    }
}
