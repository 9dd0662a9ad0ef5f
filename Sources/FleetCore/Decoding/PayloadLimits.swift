/// Bounds on what one MQTT message may carry; beyond them the message is rejected whole.
public struct PayloadLimits: Sendable, Equatable {
    public var maxBytes: Int
    public var maxReadings: Int

    public init(maxBytes: Int = 256 * 1024, maxReadings: Int = 1000) {
        self.maxBytes = maxBytes
        self.maxReadings = maxReadings
    }
}
