/// The stored form of a reorder buffer's held readings: one vehicle id for all of them, then the
/// readings packed into one list of bytes: per reading its times, channel with a mask of the fields
/// present, and only those values, each a little-endian 8-byte word.
///
/// Why not `Reading`'s own `Codable`: a backlog drained at 40,000 readings/s holds 400,000 readings
/// for the 10-second window, and every snapshot writes them all. Field by field through keyed
/// containers (a box per reading, a presence byte per optional, the vehicle id each time) that took
/// a third of the pipeline thread's time in `sensors-sim/bench/ingest.sh`. A flat list of integers
/// and doubles still went through the encoder's container once per number (a seventh of that
/// thread); a list of bytes is one value to an encoder.
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
        try c.encode(packed())
    }

    func packed() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(items.count * 56)
        for p in items {
            let r = p.reading
            var mask = Int64(r.flags.rawValue) << Self.flagsShift
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
            Self.put(p.arrivalMs, &out)
            Self.put(r.ts, &out)
            Self.put(mask << Self.channelBits | Self.index(r.channel), &out)
            if let v = r.seq { Self.put(v, &out) }
            Self.put(r.fuelL, &out)
            Self.put(r.fuelPct, &out)
            Self.put(r.odometerKm, &out)
            Self.put(r.lat, &out)
            Self.put(r.lon, &out)
            Self.put(r.speedKmh, &out)
            Self.put(r.headingDeg, &out)
            Self.put(r.engineHours, &out)
        }
        return out
    }

    // Static, not nested functions: a nested function capturing `out` makes every append check
    // exclusive access at run time (a third of this function's time).
    private static func put(_ v: Int64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func put(_ v: Double?, _ out: inout [UInt8]) {
        if let v { put(Int64(bitPattern: v.bitPattern), &out) }
    }

    /// The channel's index takes the low bits of the word that carries the mask.
    private static let channelBits: Int64 = 8

    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        let vehicleID = try c.decode(String.self)
        items = try Self.unpacked(try c.decode([UInt8].self), vehicleID: vehicleID)[...]
    }

    static func unpacked(_ bytes: [UInt8], vehicleID: String) throws -> [ReorderBuffer.Pending] {
        var items: [ReorderBuffer.Pending] = []
        var offset = 0
        func corrupt(_ what: String) -> DecodingError {
            .dataCorrupted(.init(codingPath: [], debugDescription: "held readings: \(what) at byte \(offset) of \(bytes.count)"))
        }
        func next() throws -> Int64 {
            guard bytes.count - offset >= 8 else { throw corrupt("truncated") }
            defer { offset += 8 }
            return Int64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int64.self) })
        }
        while offset < bytes.count {
            let arrivalMs = try next()
            let ts = try next()
            let word = try next()
            let channelIndex = word & (1 << channelBits - 1)
            let mask = word >> channelBits
            guard channels.indices.contains(Int(channelIndex)), mask >= 0, mask >> flagsShift <= Int64(UInt8.max) else {
                throw corrupt("channel \(channelIndex), mask \(mask)")
            }
            var r = Reading(vehicleID: vehicleID, channel: channels[Int(channelIndex)], ts: ts)
            if mask & seqBit != 0 { r.seq = try next() }
            if mask & ignitionBit != 0 { r.ignition = mask & ignitionOnBit != 0 }
            r.flags = ReadingFlags(rawValue: UInt8(mask >> flagsShift))
            func value(_ bit: Int) throws -> Double? { mask & (1 << Int64(bit)) != 0 ? Double(bitPattern: UInt64(bitPattern: try next())) : nil }
            r.fuelL = try value(0)
            r.fuelPct = try value(1)
            r.odometerKm = try value(2)
            r.lat = try value(3)
            r.lon = try value(4)
            r.speedKmh = try value(5)
            r.headingDeg = try value(6)
            r.engineHours = try value(7)
            items.append(ReorderBuffer.Pending(reading: r, arrivalMs: arrivalMs))
        }
        return items
    }
}
