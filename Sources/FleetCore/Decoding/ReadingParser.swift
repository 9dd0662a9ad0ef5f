/// Parses one reading object of a payload into a `Reading`, a `Rejection`, and any
/// impossible values it dropped.
struct ReadingParser {
    let vehicleID: String
    let channel: Channel

    private var reading: Reading
    private var fault: (RejectReason, String)?
    private var sawTs = false
    private var claimedVehicle: String?
    private var dropped: [(String, Double)] = []

    init(vehicleID: String, channel: Channel) {
        self.vehicleID = vehicleID
        self.channel = channel
        self.reading = Reading(vehicleID: vehicleID, channel: channel, ts: 0)
    }

    mutating func parse(_ c: inout JSONCursor, into out: inout DecodedMessage, index: Int? = nil) throws(JSONCursor.SyntaxError) {
        reading = Reading(vehicleID: vehicleID, channel: channel, ts: 0)
        fault = nil
        sawTs = false
        claimedVehicle = nil
        dropped.removeAll(keepingCapacity: true)

        let start = c.pos
        c.pos += 1  // "{"
        c.skipWhitespace()
        if c.peek() == UInt8(ascii: "}") {
            c.pos += 1
        } else {
            repeat {
                c.skipWhitespace()
                let key = try c.readString()
                try c.expect(UInt8(ascii: ":"))
                c.skipWhitespace()
                try field(key, &c)
            } while try c.nextInContainer(closing: UInt8(ascii: "}"))
        }
        let range = start..<c.pos
        pairCoordinates()
        let prefix = index.map { "reading \($0): " } ?? ""
        func reject(_ reason: RejectReason, _ detail: String) {
            out.rejections.append(Rejection(reason: reason, detail: prefix + detail, range: index == nil ? nil : range))
        }
        if let (reason, detail) = fault { return reject(reason, detail) }
        guard sawTs else { return reject(.missingTs, "field ts is required") }
        if let claimed = claimedVehicle, claimed != vehicleID {
            return reject(.vehicleMismatch, "vehicle_id '\(claimed.prefix(80))' differs from the topic's '\(vehicleID)'")
        }
        guard reading.hasMeasurement || !dropped.isEmpty else {
            return reject(.noMeasurement, "a reading needs at least one measurement besides ts")
        }
        for (name, _) in dropped {
            switch name {
            case "lat", "lon": reading.flags.insert(.invalidFix)
            case "fuel_l", "fuel_pct": reading.flags.insert(.fuelOutOfRange)
            default: break
            }
        }
        for (name, value) in dropped {
            out.impossible.append(ImpossibleValue(vehicleID: vehicleID, channel: channel, ts: reading.ts, field: name, value: value))
        }
        out.readings.append(reading)
    }

    private mutating func fail(_ reason: RejectReason, _ detail: String) {
        if fault == nil { fault = (reason, detail) }
    }

    private static func typeName(of b: UInt8?) -> String {
        switch b {
        case UInt8(ascii: "\""): return "string"
        case UInt8(ascii: "{"): return "object"
        case UInt8(ascii: "["): return "array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "number"
        }
    }

    private static func isNumberStart(_ b: UInt8?) -> Bool {
        guard let b else { return false }
        return b == UInt8(ascii: "-") || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    /// Reads a number field: nil when null, or after recording a type fault.
    private mutating func number(_ name: String, _ c: inout JSONCursor) throws(JSONCursor.SyntaxError) -> JSONCursor.Number? {
        let b = c.peek()
        if Self.isNumberStart(b) { return try c.readNumber() }
        if b == UInt8(ascii: "n") { _ = try c.readLiteral(); return nil }
        fail(.wrongType, "field \(name): expected a number, got \(Self.typeName(of: b))")
        try c.skipValue(depth: 1)
        return nil
    }

    /// A measurement: kept when within bounds, else dropped and reported.
    private mutating func measurement(_ name: String, _ bounds: ClosedRange<Double>, _ c: inout JSONCursor) throws(JSONCursor.SyntaxError) -> Double? {
        guard let v = try number(name, &c)?.double else { return nil }
        if v.isFinite && bounds.contains(v) { return v }
        dropped.append((name, v))
        return nil
    }

    private mutating func field(_ key: JSONCursor.StringToken, _ c: inout JSONCursor) throws(JSONCursor.SyntaxError) {
        let name: FieldName?
        switch key {
        case .raw(let r): name = FieldName(bytes: r, in: c)
        case .decoded(let s): name = FieldName(rawValue: s)
        }
        guard let name else { return try c.skipValue(depth: 1) }
        switch name {
        case .ts: try timestamp(&c)
        case .seq:
            switch try number("seq", &c) {
            case .integer(let v)?:
                if v >= 0 { reading.seq = v } else { dropped.append(("seq", Double(v))) }
            case .real?: fail(.wrongType, "field seq: expected an integer")
            case nil: break
            }
        case .fuelL: reading.fuelL = try measurement("fuel_l", PhysicalBounds.fuelL, &c)
        case .fuelPct: reading.fuelPct = try measurement("fuel_pct", PhysicalBounds.fuelPct, &c)
        case .odometerKm: reading.odometerKm = try measurement("odometer_km", PhysicalBounds.odometerKm, &c)
        case .lat: reading.lat = try measurement("lat", PhysicalBounds.lat, &c)
        case .lon: reading.lon = try measurement("lon", PhysicalBounds.lon, &c)
        case .speedKmh: reading.speedKmh = try measurement("speed_kmh", PhysicalBounds.speedKmh, &c)
        case .headingDeg: reading.headingDeg = try measurement("heading_deg", PhysicalBounds.headingDeg, &c)
        case .engineHours: reading.engineHours = try measurement("engine_hours", PhysicalBounds.engineHours, &c)
        case .ignition:
            let b = c.peek()
            if b == UInt8(ascii: "t") || b == UInt8(ascii: "f") || b == UInt8(ascii: "n") {
                let lit = try c.readLiteral()
                reading.ignition = lit == UInt8(ascii: "n") ? nil : lit == UInt8(ascii: "t")
            } else {
                fail(.wrongType, "field ignition: expected a boolean, got \(Self.typeName(of: b))")
                try c.skipValue(depth: 1)
            }
        case .vehicleID:
            let b = c.peek()
            if b == UInt8(ascii: "\"") {
                switch try c.readString() {
                case .raw(let r): claimedVehicle = String(decoding: UnsafeBufferPointer(rebasing: c.base[r]), as: UTF8.self)
                case .decoded(let s): claimedVehicle = s
                }
            } else if b == UInt8(ascii: "n") {
                _ = try c.readLiteral()
            } else {
                fail(.wrongType, "field vehicle_id: expected a string, got \(Self.typeName(of: b))")
                try c.skipValue(depth: 1)
            }
        }
    }

    private mutating func timestamp(_ c: inout JSONCursor) throws(JSONCursor.SyntaxError) {
        let b = c.peek()
        var ms: Int64?
        if b == UInt8(ascii: "\"") {
            let text: [UInt8]
            switch try c.readString() {
            case .raw(let r): text = Array(c.base[r])
            case .decoded(let s): text = Array(s.utf8)
            }
            guard let parsed = Timestamp.parseRFC3339(text) else {
                return fail(.badTimestamp, "field ts: '\(String(decoding: text.prefix(64), as: UTF8.self))' is not an RFC 3339 time")
            }
            ms = parsed
        } else if Self.isNumberStart(b) {
            switch try c.readNumber() {
            case .integer(let v): ms = v
            case .real: return fail(.wrongType, "field ts: expected integer epoch milliseconds or an RFC 3339 string")
            }
        } else if b == UInt8(ascii: "n") {
            _ = try c.readLiteral()
            return
        } else {
            fail(.wrongType, "field ts: expected integer epoch milliseconds or an RFC 3339 string, got \(Self.typeName(of: b))")
            return try c.skipValue(depth: 1)
        }
        guard let ms, Timestamp.validRange.contains(ms) else {
            return fail(.badTimestamp, "field ts: \(ms ?? 0) ms is outside 1970-01-01 to 2200-01-01")
        }
        reading.ts = ms
        sawTs = true
    }

    /// Coordinates are kept as a pair only: a lone one, or the 0,0 of a fix-less receiver,
    /// is dropped as impossible.
    private mutating func pairCoordinates() {
        switch (reading.lat, reading.lon) {
        case (let lat?, nil):
            dropped.append(("lat", lat))
            reading.lat = nil
        case (nil, let lon?):
            dropped.append(("lon", lon))
            reading.lon = nil
        case (0?, 0?):
            dropped.append(("lat", 0))
            dropped.append(("lon", 0))
            reading.lat = nil
            reading.lon = nil
        default:
            break
        }
    }
}

/// The reading fields (README, Reference: Topics and payloads), matched on raw bytes without allocating.
enum FieldName: String {
    case ts, seq
    case fuelL = "fuel_l"
    case fuelPct = "fuel_pct"
    case odometerKm = "odometer_km"
    case lat, lon
    case speedKmh = "speed_kmh"
    case headingDeg = "heading_deg"
    case ignition
    case engineHours = "engine_hours"
    case vehicleID = "vehicle_id"

    init?(bytes r: Range<Int>, in c: JSONCursor) {
        guard let first = r.first.map({ c.base[$0] }) else { return nil }
        switch first {
        case UInt8(ascii: "t"): if c.bytesEqual(r, "ts") { self = .ts; return }
        case UInt8(ascii: "s"):
            if c.bytesEqual(r, "seq") { self = .seq; return }
            if c.bytesEqual(r, "speed_kmh") { self = .speedKmh; return }
        case UInt8(ascii: "f"):
            if c.bytesEqual(r, "fuel_l") { self = .fuelL; return }
            if c.bytesEqual(r, "fuel_pct") { self = .fuelPct; return }
        case UInt8(ascii: "o"): if c.bytesEqual(r, "odometer_km") { self = .odometerKm; return }
        case UInt8(ascii: "l"):
            if c.bytesEqual(r, "lat") { self = .lat; return }
            if c.bytesEqual(r, "lon") { self = .lon; return }
        case UInt8(ascii: "h"): if c.bytesEqual(r, "heading_deg") { self = .headingDeg; return }
        case UInt8(ascii: "i"): if c.bytesEqual(r, "ignition") { self = .ignition; return }
        case UInt8(ascii: "e"): if c.bytesEqual(r, "engine_hours") { self = .engineHours; return }
        case UInt8(ascii: "v"): if c.bytesEqual(r, "vehicle_id") { self = .vehicleID; return }
        default: break
        }
        return nil
    }
}
