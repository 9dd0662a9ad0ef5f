import NIOCore
import Synchronization

/// Keeps the admin port's connections bounded. At the cap a new connection closes the oldest one (an
/// idle scraper's keep-alive, a socket that never sends a request), so a flood of idle sockets cannot
/// use up fleetd's file descriptors (libpq and MQTT reconnects need them) and a fresh `/healthz` is
/// still answered.
final class AdminConnections: Sendable {
    let cap: Int
    private let open = Mutex<(next: UInt64, channels: [ObjectIdentifier: (order: UInt64, channel: any Channel)])>((0, [:]))

    init(cap: Int) { self.cap = cap }

    /// Registers a new connection, closing the oldest when the cap is reached.
    func admit(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let evicted: (any Channel)? = open.withLock { state in
            var oldest: (any Channel)?
            if state.channels.count >= cap, let victim = state.channels.min(by: { $0.value.order < $1.value.order }) {
                state.channels[victim.key] = nil
                oldest = victim.value.channel
            }
            state.channels[id] = (state.next, channel)
            state.next += 1
            return oldest
        }
        evicted?.close(promise: nil)
        channel.closeFuture.whenComplete { [self] _ in
            _ = open.withLock { $0.channels.removeValue(forKey: id) }
        }
    }
}
