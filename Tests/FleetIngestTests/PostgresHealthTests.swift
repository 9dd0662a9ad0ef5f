import LibPQ
import Testing
@testable import FleetIngest

/// What /readyz says of PostgreSQL after each kind of failure.
@Suite struct PostgresHealthTests {
    let s: Int64 = 1_000_000_000

    @Test func eachFailureHasItsOwnWordsAndKeepsWhenItBegan() {
        let lost = PGError(message: "server closed the connection", sqlState: nil, connectionLost: true)
        let timeout = PGError(message: "canceling statement due to statement timeout", sqlState: "57014", connectionLost: false)
        let privilege = PGError(message: "permission denied for table readings", sqlState: "42501", connectionLost: false)
        var h = PostgresHealth.writing.after(timeout, nowNanos: 10 * s)
        #expect(h == .stalled(sinceNanos: 10 * s) && !h.isWriting)
        #expect(h.detail(nowNanos: 25 * s).hasPrefix("writes stalled for 15 s"))
        // Reconnecting does not make a stalled database ready; the stall keeps its start.
        h = h.afterConnecting.after(timeout, nowNanos: 20 * s)
        #expect(h == .stalled(sinceNanos: 10 * s))
        h = h.after(privilege, nowNanos: 30 * s)
        #expect(h.detail(nowNanos: 40 * s).hasPrefix("refusing writes for 30 s (SQLSTATE 42501"))
        h = h.after(lost, nowNanos: 50 * s)
        #expect(h.detail(nowNanos: 50 * s).hasPrefix("unreachable for 40 s"))
        // A connection after an outage is ready again; a write that goes through always is.
        #expect(h.afterConnecting == .writing)
        #expect(PostgresHealth.writing.detail(nowNanos: 0) == "reachable")
    }
}
