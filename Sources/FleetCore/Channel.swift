/// The sensor stream a reading came from: the last segment of its topic.
public enum Channel: String, Sendable, CaseIterable, Hashable, Codable {
    case telemetry
    case fuel
    case odometer
    case gps
}
