/// How many refused messages of one vehicle are stored per minute (of receipt time) in
/// `rejected_messages`. A broken or hostile unit can send refusals as fast as the broker lets it;
/// beyond the budget only the metrics count them, so the table (and the disk) grows with the number
/// of vehicles, not with how loudly one of them fails.
///
/// Memory stays bounded too: vehicles are tracked for the current minute only, and past
/// `maxTracked` distinct ones (a flood of invented vehicle ids) the rest share one budget.
public struct RejectionBudget: Sendable {
    public let perMinute: Int
    public let maxTracked: Int
    private var minute: Int64 = .min
    private var spent: [String: Int] = [:]
    private var overflowSpent = 0

    public init(perMinute: Int, maxTracked: Int = 100_000) {
        self.perMinute = perMinute
        self.maxTracked = maxTracked
    }

    /// Whether the refusal of a message on `topic`, received at `receivedAtMs`, is stored.
    public mutating func allows(topic: String, receivedAtMs: Int64) -> Bool {
        let m = receivedAtMs >= 0 ? receivedAtMs / 60_000 : (receivedAtMs - 59_999) / 60_000
        if m > minute {
            minute = m
            spent.removeAll(keepingCapacity: spent.count <= 1024)
            overflowSpent = 0
        }
        let key = Self.vehicleKey(topic)
        if let n = spent[key] {
            guard n < perMinute else { return false }
            spent[key] = n + 1
            return true
        }
        guard spent.count < maxTracked else {
            guard overflowSpent < perMinute else { return false }
            overflowSpent += 1
            return true
        }
        guard perMinute > 0 else { return false }
        spent[key] = 1
        return true
    }

    /// The vehicle a topic names; every malformed topic shares one budget.
    static func vehicleKey(_ topic: String) -> String {
        switch Topic.parse(topic) {
        case .success(let t): return t.vehicleID
        case .failure: return ""
        }
    }

    /// Vehicles tracked in the current minute.
    public var tracked: Int { spent.count }
}
