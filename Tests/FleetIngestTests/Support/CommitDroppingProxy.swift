import Foundation
import Synchronization

/// A TCP proxy on 127.0.0.1 in front of the test stack's PostgreSQL that, once armed, forwards the
/// next `COMMIT` a client sends and then cuts that connection before the server's answer gets back:
/// the commit happens, the client cannot know it (an ambiguous commit).
final class CommitDroppingProxy: Sendable {
    let port: Int
    private let listener: Int32
    private let targetPort: Int
    private let armed = Atomic<Bool>(false)
    /// Armed, and a transaction carrying readings has begun on a connection: its COMMIT is the one cut.
    private let sawReadings = Atomic<Bool>(false)
    private let cuts = Atomic<Int>(0)

    init(targetPort: Int) throws {
        self.targetPort = targetPort
        port = TestStack.freePort()
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = Self.loopback(port)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 16) == 0 else { throw TestFailure("proxy cannot listen on \(port)") }
        Thread { [self] in acceptLoop() }.start()
    }

    /// Cut the connection that sends the next COMMIT of a transaction that wrote readings, right
    /// after forwarding it.
    func arm() {
        sawReadings.store(false, ordering: .sequentiallyConsistent)
        armed.store(true, ordering: .sequentiallyConsistent)
    }
    var commitsCut: Int { cuts.load(ordering: .sequentiallyConsistent) }

    func close() { shutdown(listener, Int32(SHUT_RDWR)); Glibc.close(listener) }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return addr
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = Self.loopback(targetPort)
            let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard ok == 0 else { Glibc.close(client); Glibc.close(server); continue }
            Thread { [self] in pump(from: client, to: server, watch: true) }.start()
            Thread { [self] in pump(from: server, to: client, watch: false) }.start()
        }
    }

    /// Copies bytes one way; on the client side, looks for a simple-query `COMMIT` message. Each pump
    /// closes only the socket it reads; shutting both down ends the other pump.
    private func pump(from: Int32, to: Int32, watch: Bool) {
        let commit = Array("COMMIT\0".utf8), readings = Array("readings (vehicle_id".utf8)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            if watch, armed.load(ordering: .sequentiallyConsistent), buffer[0..<n].firstRange(of: readings) != nil {
                sawReadings.store(true, ordering: .sequentiallyConsistent)
            }
            if watch, sawReadings.load(ordering: .sequentiallyConsistent), buffer[0..<n].firstRange(of: commit) != nil,
               armed.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged {
                // The client's side goes first, so no answer can reach it; then the COMMIT goes to the
                // server, which commits before it notices that its client is gone.
                shutdown(from, Int32(SHUT_RDWR))
                _ = buffer.withUnsafeBytes { send(to, $0.baseAddress, n, Int32(MSG_NOSIGNAL)) }
                usleep(100_000)
                cuts.add(1, ordering: .sequentiallyConsistent)
                break
            }
            let sent = buffer.withUnsafeBytes { send(to, $0.baseAddress, n, Int32(MSG_NOSIGNAL)) }
            guard sent == n else { break }
        }
        shutdown(from, Int32(SHUT_RDWR))
        shutdown(to, Int32(SHUT_RDWR))
        Glibc.close(from)
    }
}
