/// Why a message or a reading was refused. The raw value is the `reason` stored in
/// `rejected_messages` and the label of `fleetd_readings_rejected_total`.
public enum RejectReason: String, Sendable, CaseIterable, Hashable {
    case invalidJSON = "invalid_json"
    case wrongType = "wrong_type"
    case missingTs = "missing_ts"
    case badTimestamp = "bad_timestamp"
    case badTopic = "bad_topic"
    case vehicleMismatch = "vehicle_mismatch"
    case tooLarge = "too_large"
    case tooManyReadings = "too_many_readings"
    case emptyArray = "empty_array"
    case noMeasurement = "no_measurement"
}

/// One refusal: the whole message (`range == nil`) or one reading of an array.
public struct Rejection: Error, Sendable, Equatable {
    public var reason: RejectReason
    public var detail: String
    /// Byte range of the refused reading inside the payload; nil for the whole message.
    public var range: Range<Int>?

    public init(reason: RejectReason, detail: String, range: Range<Int>? = nil) {
        self.reason = reason
        self.detail = detail
        self.range = range
    }
}

/// A well-typed value that cannot be physical; it is dropped from the reading and kept here
/// so detection can flag it.
public struct ImpossibleValue: Sendable, Equatable {
    public var vehicleID: String
    public var channel: Channel
    public var ts: Int64
    public var field: String
    public var value: Double
}
