import FleetCore

extension CopyBinaryEncoder {
    /// The staged columns of `vehicle_status` that `statusRow` writes, in order (`fuel_l`, `fuel_pct`
    /// as reported; the upsert fills the other from the tank).
    static let statusColumns = """
        vehicle_id, last_seen_at, last_received_at, position_at, lat, lon, heading_deg, speed_at, speed_kmh, \
        fuel_at, fuel_l, fuel_pct, odometer_at, odometer_km, ignition_at, ignition, engine_hours_at, engine_hours
        """

    mutating func statusRow(_ s: VehicleStatus) {
        beginRow(fields: 18)
        plain(s.vehicleID)
        timestamp(ms: s.lastSeen)
        timestamp(epochMicros: s.lastReceivedNanos / 1_000)
        timestamp(ms: s.position?.ts)
        double(s.position?.value.lat)
        double(s.position?.value.lon)
        float(s.position?.value.headingDeg)
        timestamp(ms: s.speedKmh?.ts)
        float(s.speedKmh?.value)
        timestamp(ms: s.fuel?.ts)
        double(s.fuel?.value.litres)
        float(s.fuel?.value.percent)
        timestamp(ms: s.odometerKm?.ts)
        double(s.odometerKm?.value)
        timestamp(ms: s.ignition?.ts)
        bool(s.ignition?.value)
        timestamp(ms: s.engineHours?.ts)
        double(s.engineHours?.value)
    }

    static let dayColumns = """
        vehicle_id, day, first_at, last_at, odometer_min_km, odometer_max_km, engine_hours_min, engine_hours_max, \
        fuel_first_at, fuel_first_l, fuel_first_pct, fuel_last_at, fuel_last_l, fuel_last_pct
        """

    mutating func dayRow(_ d: VehicleDay) {
        beginRow(fields: 14)
        plain(d.key.vehicleID)
        date(daysSince1970: d.key.day)
        timestamp(ms: d.first)
        timestamp(ms: d.last)
        double(d.odometerKm?.lowerBound)
        double(d.odometerKm?.upperBound)
        double(d.engineHours?.lowerBound)
        double(d.engineHours?.upperBound)
        timestamp(ms: d.firstFuel?.ts)
        double(d.firstFuel?.value.litres)
        float(d.firstFuel?.value.percent)
        timestamp(ms: d.lastFuel?.ts)
        double(d.lastFuel?.value.litres)
        float(d.lastFuel?.value.percent)
    }

    /// A `timestamptz` from Unix epoch milliseconds; NULL for nil.
    mutating func timestamp(ms: Int64?) {
        guard let ms else { return null() }
        timestamp(epochMicros: ms * 1_000)
    }
}
