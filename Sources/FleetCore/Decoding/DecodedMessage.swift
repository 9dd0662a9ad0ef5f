/// What one or more MQTT messages decoded to: readings to store, refusals to record and
/// dropped impossible values to flag.
public struct DecodedMessage: Sendable {
    public var readings: [Reading] = []
    public var rejections: [Rejection] = []
    public var impossible: [ImpossibleValue] = []

    public init() {}

    public mutating func removeAll() {
        readings.removeAll(keepingCapacity: true)
        rejections.removeAll(keepingCapacity: true)
        impossible.removeAll(keepingCapacity: true)
    }
}
