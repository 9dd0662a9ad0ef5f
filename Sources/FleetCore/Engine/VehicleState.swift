/// Everything detection remembers about one vehicle; persisted with each batch so a replay
/// after a crash derives exactly the same events.
public struct VehicleState: Sendable, Equatable, Codable {
    public var reorder: ReorderBuffer
    public var position = PositionWatch()
    public var odometer = OdometerWatch()
    public var clock = ClockWatch()

    public init(windowMs: Int64) {
        reorder = ReorderBuffer(windowMs: windowMs)
    }
}
