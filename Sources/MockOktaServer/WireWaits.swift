import MockOktaCore
import NIOCore
import ServiceLifecycle

/// The requests a wire fault (delay, hang, slow body) holds, waiting without a thread: each wait ends on an
/// event-loop timer, the channel's close (the client left), or graceful shutdown — whichever comes first.
///
/// Thousands of hung requests can be held at once, and each keeps its connection task with every async frame on
/// its way here (and the task allocator's slabs those frames needed). So a wait is a bare continuation in one table
/// per server: no task, task group, lock object or shutdown-handler registration of its own, armed by one
/// event-loop job. Graceful shutdown empties the table at once (`Releaser`, a service next to the application).
final class WireWaits: Sendable {
    enum Outcome: Sendable {
        case timer
        case disconnected(Double)
        case shutdown

        var isTimer: Bool {
            if case .timer = self { return true }
            return false
        }
    }

    private struct Table {
        var lastId = 0
        var stopping = false
        var waiting: [Int: UnsafeContinuation<Outcome, Never>] = [:]
    }

    private let table = Mutex(Table())
    /// Timestamps a client's leaving (`disconnectedAt` in the journal).
    let clock: any WallClock

    init(clock: any WallClock) { self.clock = clock }

    /// Waits `seconds` (nil: no timer) unless the client leaves or the server shuts down first.
    @inline(__always)
    func wait(channel: any Channel, seconds: Double?) async -> Outcome {
        await withUnsafeContinuation { continuation in
            let id: Int? = table.withLock { t in
                guard !t.stopping else { return nil }
                t.lastId += 1
                t.waiting[t.lastId] = continuation
                return t.lastId
            }
            guard let id else { return continuation.resume(returning: .shutdown) }
            arm(id, channel: channel, seconds: seconds)
        }
    }

    /// Starts the timer and the watch on the channel's close, on the channel's event loop.
    private func arm(_ id: Int, channel: any Channel, seconds: Double?) {
        channel.eventLoop.execute {
            // With half-closure allowed a client's FIN would not close the channel; we want to notice it leave.
            try? channel.syncOptions?.setOption(ChannelOptions.allowRemoteHalfClosure, value: false)
            let timer = seconds.map { s in
                channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(s * 1e9))) { self.finish(id, .timer) }
            }
            channel.closeFuture.whenComplete { _ in
                timer?.cancel()
                self.finish(id, .disconnected(self.clock.now()))
            }
        }
    }

    /// Ends wait `id` with `outcome`, unless it has ended already.
    private func finish(_ id: Int, _ outcome: Outcome) {
        table.withLock { $0.waiting.removeValue(forKey: id) }?.resume(returning: outcome)
    }

    /// Graceful shutdown: every wait ends now, and any later one at once.
    func releaseAll() {
        let all = table.withLock { t in
            t.stopping = true
            defer { t.waiting = [:] }
            return Array(t.waiting.values)
        }
        for continuation in all { continuation.resume(returning: .shutdown) }
    }

    /// Releases the waits when graceful shutdown reaches it. Listed after the application, so it is told before the
    /// application, which then waits for its in-flight requests — the released ones included.
    struct Releaser: Service {
        let waits: WireWaits
        func run() async throws {
            try? await gracefulShutdown()  // throws on cancellation: release then too
            waits.releaseAll()
        }
    }
}
