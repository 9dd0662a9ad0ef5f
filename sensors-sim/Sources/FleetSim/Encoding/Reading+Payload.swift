import FleetCore

/// What a unit publishes: a reading as its payload's JSON object. The simulator builds the same
/// `Reading` fleetd decodes, so a round trip can be compared field by field.
extension Reading {
    /// Appends the reading object (README, Reference: Topics and payloads). Precision mirrors real units:
    /// 0.001 L, 0.01 %, 10 m, ~0.1 m of latitude, 0.1 km/h, 1°, 0.01 h.
    public func appendJSON(to buf: inout [UInt8]) {
        buf.append(UInt8(ascii: "{"))
        JSONBytes.appendKey("ts", to: &buf, first: true)
        JSONBytes.appendInt(ts, to: &buf)
        if let seq {
            JSONBytes.appendKey("seq", to: &buf, first: false)
            JSONBytes.appendInt(seq, to: &buf)
        }
        Self.append("fuel_l", fuelL, decimals: 3, to: &buf)
        Self.append("fuel_pct", fuelPct, decimals: 3, to: &buf)
        Self.append("odometer_km", odometerKm, decimals: 2, to: &buf)
        if let la = lat, let lo = lon {
            JSONBytes.appendKey("lat", to: &buf, first: false)
            JSONBytes.appendFixed(la, decimals: 6, to: &buf)
            JSONBytes.appendKey("lon", to: &buf, first: false)
            JSONBytes.appendFixed(lo, decimals: 6, to: &buf)
        }
        Self.append("speed_kmh", speedKmh, decimals: 1, to: &buf)
        Self.append("heading_deg", headingDeg, decimals: 0, to: &buf)
        if let v = ignition {
            JSONBytes.appendKey("ignition", to: &buf, first: false)
            if v {
                buf.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
            } else {
                buf.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
            }
        }
        Self.append("engine_hours", engineHours, decimals: 2, to: &buf)
        buf.append(UInt8(ascii: "}"))
    }

    /// `"key":value` with `decimals` places, when the value is there.
    private static func append(_ key: StaticString, _ value: Double?, decimals: Int, to buf: inout [UInt8]) {
        guard let value else { return }
        JSONBytes.appendKey(key, to: &buf, first: false)
        JSONBytes.appendFixed(value, decimals: decimals, to: &buf)
    }
}
