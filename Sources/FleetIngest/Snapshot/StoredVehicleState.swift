import FleetCore

extension VehicleState {
    /// A stored state this fleetd can use: its own format, the same reorder window; nil otherwise (the
    /// vehicle starts afresh).
    static func stored(_ bytes: [UInt8], windowMs: Int64) -> VehicleState? {
        guard let s = try? BinaryState.decode(VehicleState.self, from: bytes), s.reorder.windowMs == windowMs else { return nil }
        return s
    }

    /// The bytes `stored` reads back.
    var storedBytes: [UInt8] {
        // Encoding a plain value type of numbers and strings cannot fail.
        try! BinaryState.encode(self)
    }
}
