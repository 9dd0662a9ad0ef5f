/// Everything detection remembers about one vehicle. Snapshotted to PostgreSQL and reloaded at
/// start, so a replay after a crash derives exactly the same events.
public struct VehicleState: Sendable, Equatable, Codable {
    public var reorder: ReorderBuffer
    public var clock = ClockWatch()
    public var position = PositionWatch()
    public var odometer = OdometerWatch()
    public var fuelRange = FuelRangeWatch()
    public var odometerGPS = OdometerGPSWatch()
    public var consumption = ConsumptionWatch()
    public var fuel: FuelDetector
    /// Newest counters, for maintenance plans.
    public var odometerKm: Double?
    public var engineHours: Double?

    public init(vehicleID: String, windowMs: Int64, config: VehicleConfig = VehicleConfig()) {
        reorder = ReorderBuffer(windowMs: windowMs)
        fuel = FuelDetector(vehicleID: vehicleID, capacityL: config.capacityL, overrides: config.overrides)
    }
}

/// What operators set for a vehicle (`vehicles` row): tank size and threshold overrides.
public struct VehicleConfig: Sendable, Equatable {
    public var capacityL: Double?
    public var overrides: FuelThresholdOverrides

    public init(capacityL: Double? = nil, overrides: FuelThresholdOverrides = FuelThresholdOverrides()) {
        self.capacityL = capacityL
        self.overrides = overrides
    }
}
