import Atomics
import Foundation

/// A named thread for work that blocks (libpq, a broker's socket), run until asked to stop: the
/// event publisher's and the purchase checks'. `stop()` returns once the work has returned.
final class WorkerThread: Sendable {
    private let stopRequested = ManagedAtomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    var stopping: Bool { stopRequested.load(ordering: .acquiring) }

    /// Starts `body` on a thread called `name`; it should return soon after `stopping` turns true.
    func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [done] in
            body()
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    func stop() {
        stopRequested.store(true, ordering: .releasing)
        done.wait()
        done.signal()
    }

    /// Sleeps up to `duration`, waking early for a stop; true when stopping.
    @discardableResult
    func pause(_ duration: Duration) -> Bool {
        let end = ContinuousClock.now + duration
        while !stopping && ContinuousClock.now < end { usleep(UInt32(min(100_000, max(1_000, (end - .now) / .microseconds(1))))) }
        return stopping
    }
}
