/// A broker or libmosquitto failure, with what to do about it in its text.
public struct MQTTError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// A publish that no retry can make go through (too large for the broker, a topic it cannot take).
    public var permanent = false

    public init(description: String, permanent: Bool = false) {
        self.description = description
        self.permanent = permanent
    }
}
