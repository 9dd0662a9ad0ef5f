import FleetCore

extension CopyBinaryEncoder {
    /// The columns of `readings` that `readingRow` writes, in order.
    static let readingColumns = "vehicle_id, channel, ts, received_at, seq, fuel_l, fuel_pct, odometer_km, lat, lon, speed_kmh, heading_deg, ignition, engine_hours, partition_key"

    /// One `readings` row, typed as the table is (`fuel_pct`, `speed_kmh` and `heading_deg` are `float4`):
    /// what the sink copies and what the fuzzer checks is well formed.
    mutating func readingRow(_ r: Reading, receivedAtNanos: Int64) {
        beginRow(fields: 15)
        plain(r.vehicleID)
        plain(r.channel.rawValue)
        timestamp(epochMicros: r.ts * 1_000)
        timestamp(epochMicros: receivedAtNanos / 1_000)
        int(r.seq)
        double(r.fuelL)
        float(r.fuelPct)
        double(r.odometerKm)
        double(r.lat)
        double(r.lon)
        float(r.speedKmh)
        float(r.headingDeg)
        bool(r.ignition)
        double(r.engineHours)
        int32(PartitionScheme.key(of: r.vehicleID))
    }
}
