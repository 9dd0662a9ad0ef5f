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

    /// Entries in an array, found through an index: mutated in place where a dictionary's values were
    /// copied out and back at every reading (a retain and release of each vehicle's days per reading).
    private var slots: [String: Int] = [:]
    private var entries: [Entry] = []

    public init() {}

    public var isEmpty: Bool { entries.isEmpty }

    public var statuses: [VehicleStatus] { entries.map(\.status) }
    public var allDays: [VehicleDay] { entries.flatMap(\.days) }
    public var vehicles: [String: VehicleStatus] { Dictionary(uniqueKeysWithValues: entries.map { ($0.status.vehicleID, $0.status) }) }
    public var days: [VehicleDay.Key: VehicleDay] { Dictionary(uniqueKeysWithValues: allDays.map { ($0.key, $0) }) }

    /// Folds one reading in, in place (this runs for every reading fleetd stores).
    public mutating func add(_ r: Reading, receivedAtNanos: Int64) {
        guard let i = slots[r.vehicleID] else {
            slots[r.vehicleID] = entries.count
            entries.append(Entry(status: VehicleStatus(r, receivedAtNanos: receivedAtNanos), days: [VehicleDay(r)]))
            return
        }
        entries[i].status.add(r, receivedAtNanos: receivedAtNanos)
        let day = Timestamp.day(ms: r.ts)
        if let j = entries[i].days.firstIndex(where: { $0.key.day == day }) {
            entries[i].days[j].add(r)
        } else {
            entries[i].days.append(VehicleDay(r))
        }
    }

    /// Takes in what `other` holds.
    public mutating func merge(_ other: FleetStatus) {
        for e in other.entries {
            guard let i = slots[e.status.vehicleID] else {
                slots[e.status.vehicleID] = entries.count
                entries.append(e)
                continue
            }
            entries[i].status.merge(e.status)
            for d in e.days {
                if let j = entries[i].days.firstIndex(where: { $0.key.day == d.key.day }) { entries[i].days[j].merge(d) } else { entries[i].days.append(d) }
            }
        }
    }

    public mutating func removeAll() {
        slots.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }
}
