/// Readings folded into each vehicle's latest state and each vehicle-day's totals: what they add to
/// `vehicle_status` and `vehicle_days`, one row per vehicle and per vehicle-day however many readings
/// there were. The tables merge the same way, and merging is idempotent, so the result depends neither
/// on how readings were cut into writes nor on a reading being merged twice (a replay).
public struct FleetStatus: Sendable {
    /// A vehicle's status with its days (almost always one): one lookup by vehicle id per reading.
    struct Entry: Sendable {
        var status: VehicleStatus
        var days: [VehicleDay]
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    public var isEmpty: Bool { entries.isEmpty }

    public var statuses: [VehicleStatus] { entries.values.map(\.status) }
    public var allDays: [VehicleDay] { entries.values.flatMap(\.days) }
    public var vehicles: [String: VehicleStatus] { entries.mapValues(\.status) }
    public var days: [VehicleDay.Key: VehicleDay] { Dictionary(uniqueKeysWithValues: allDays.map { ($0.key, $0) }) }

    /// Folds one reading in, in place (this runs for every reading fleetd stores).
    public mutating func add(_ r: Reading, receivedAtNanos: Int64) {
        guard let i = entries.index(forKey: r.vehicleID) else {
            entries[r.vehicleID] = Entry(status: VehicleStatus(r, receivedAtNanos: receivedAtNanos), days: [VehicleDay(r)])
            return
        }
        entries.values[i].status.add(r, receivedAtNanos: receivedAtNanos)
        let day = Timestamp.day(ms: r.ts)
        if let j = entries.values[i].days.firstIndex(where: { $0.key.day == day }) {
            entries.values[i].days[j].add(r)
        } else {
            entries.values[i].days.append(VehicleDay(r))
        }
    }

    /// Takes in what `other` holds.
    public mutating func merge(_ other: FleetStatus) {
        for (id, e) in other.entries {
            guard var mine = entries[id] else {
                entries[id] = e
                continue
            }
            mine.status.merge(e.status)
            for d in e.days {
                if let j = mine.days.firstIndex(where: { $0.key.day == d.key.day }) { mine.days[j].merge(d) } else { mine.days.append(d) }
            }
            entries[id] = mine
        }
    }

    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
    }
}
