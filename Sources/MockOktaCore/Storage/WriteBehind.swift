/// Items waiting to be written to SQLite: requests append, the server's ticker drains them in one transaction,
/// so no request waits on a database write.
final class WriteBehind<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])

    func append(_ e: Element) { items.withLock { $0.append(e) } }

    /// Everything appended so far, leaving the queue empty.
    func drain() -> [Element] {
        items.withLock { p in
            defer { p.removeAll(keepingCapacity: true) }
            return p
        }
    }

    func clear() { items.withLock { $0.removeAll() } }
}
