/// The stored form of a reorder buffer's held readings: one vehicle id for all of them, then per
/// reading its times, channel, a mask of the fields present and only those values.
///
/// Why not `Reading`'s own `Codable`: a backlog drained at 40,000 readings/s holds 400,000 readings
/// for the 10-second window, and every snapshot writes them all. Field by field through keyed
/// containers (a box per reading, a presence byte per optional, the vehicle id each time) that took
/// a third of the pipeline thread's time in `sensors-sim/bench/ingest.sh`; a flat list of integers
/// and doubles does not.
struct HeldReadings: Codable, Sendable {
    var items: ArraySlice<ReorderBuffer.Pending>

    init(_ items: ArraySlice<ReorderBuffer.Pending>) { self.items = items }

    /// Mask bits: 0–7 the optional doubles (fuel_l, fuel_pct, odometer, lat, lon, speed, heading, engine
    /// hours), then seq, ignition's presence and value, and the flags from bit 16.
    private static let seqBit: Int64 = 1 << 8
    private static let ignitionBit: Int64 = 1 << 9
    private static let ignitionOnBit: Int64 = 1 << 10
    private static let flagsShift: Int64 = 16

    private static let channels: [Channel] = [.telemetry, .fuel, .odometer, .gps]

    private static func index(_ c: Channel) -> Int64 {
        switch c {
        case .telemetry: 0
        case .fuel: 1
        case .odometer: 2
        case .gps: 3
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(items.first?.reading.vehicleID ?? "")
        for p in items {
            let r = p.reading
            var mask = Int64(r.flags.rawValue) << Self.flagsShift
            // Field by field rather than through an array: no allocation per reading.
            if r.fuelL != nil { mask |= 1 << 0 }
            if r.fuelPct != nil { mask |= 1 << 1 }
            if r.odometerKm != nil { mask |= 1 << 2 }
            if r.lat != nil { mask |= 1 << 3 }
            if r.lon != nil { mask |= 1 << 4 }
            if r.speedKmh != nil { mask |= 1 << 5 }
            if r.headingDeg != nil { mask |= 1 << 6 }
            if r.engineHours != nil { mask |= 1 << 7 }
            if r.seq != nil { mask |= Self.seqBit }
            if let on = r.ignition { mask |= Self.ignitionBit | (on ? Self.ignitionOnBit : 0) }
            try c.encode(p.arrivalMs)
            try c.encode(r.ts)
            try c.encode(Self.index(r.channel))
            try c.encode(mask)
            if let v = r.seq { try c.encode(v) }
            if let v = r.fuelL { try c.encode(v) }
            if let v = r.fuelPct { try c.encode(v) }
            if let v = r.odometerKm { try c.encode(v) }
            if let v = r.lat { try c.encode(v) }
            if let v = r.lon { try c.encode(v) }
            if let v = r.speedKmh { try c.encode(v) }
            if let v = r.headingDeg { try c.encode(v) }
            if let v = r.engineHours { try c.encode(v) }
        }
    }

    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        let vehicleID = try c.decode(String.self)
        items = []
        while !c.isAtEnd {
            let arrivalMs = try c.decode(Int64.self)
            let ts = try c.decode(Int64.self)
            let channelIndex = try c.decode(Int64.self)
            let mask = try c.decode(Int64.self)
            guard Self.channels.indices.contains(Int(channelIndex)), mask >= 0, mask >> Self.flagsShift <= Int64(UInt8.max) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "held reading with channel \(channelIndex), mask \(mask)")
            }
            var r = Reading(vehicleID: vehicleID, channel: Self.channels[Int(channelIndex)], ts: ts)
            if mask & Self.seqBit != 0 { r.seq = try c.decode(Int64.self) }
            if mask & Self.ignitionBit != 0 { r.ignition = mask & Self.ignitionOnBit != 0 }
            r.flags = ReadingFlags(rawValue: UInt8(mask >> Self.flagsShift))
            func next(_ bit: Int) throws -> Double? { mask & (1 << Int64(bit)) != 0 ? try c.decode(Double.self) : nil }
            r.fuelL = try next(0)
            r.fuelPct = try next(1)
            r.odometerKm = try next(2)
            r.lat = try next(3)
            r.lon = try next(4)
            r.speedKmh = try next(5)
            r.headingDeg = try next(6)
            r.engineHours = try next(7)
            items.append(ReorderBuffer.Pending(reading: r, arrivalMs: arrivalMs))
        }
    }
}
