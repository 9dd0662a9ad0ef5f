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
    /// The first odometer value seen; maintenance distance is this plus the plausible distance
    /// driven since, so a rollback, reset or jump of the unit's odometer cannot fire or hide a plan.
    public var odometerBaseKm: Double?
    /// Newest engine hours, for maintenance plans.
    public var engineHours: Double?

    /// The odometer as maintenance judges it.
    public var odometerKm: Double? { odometerBaseKm.map { $0 + fuel.motion.distanceKm } }

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
