extension LevelStepTracker {
    /// A stop, from its first settled reading until the vehicle drives off (or moves unseen).
    struct Stop: Sendable, Equatable, Codable {
        /// When it began (the trip's last reading) and the odometer then.
        var arrivedTs: Int64
        var arrivedKm: Double
        /// The trip's level as it stopped (nil without a trip), how many readings it rests on, how they
        /// scattered, and how far the trip's last readings sit from it: the road's grade changed (or the
        /// vehicle braked) within the tail, so the level where it stopped is uncertain by that much.
        var prior: Double?
        var priorReadings: Int
        var priorSpread: Double
        var priorShift: Double
        /// Settled readings of the stop.
        var still = LevelBuffer(capacity: 5)
        /// The level a change is measured from; nil until the first settled reading gives one.
        var reference: Reference?
        /// A change under way from the reference: a fill or a loss until the level settles again.
        var excursion: Excursion?
        /// Whether the stop judged a step itself, and whether it saw a change it could not judge (one
        /// reading at the new level): a stop that did neither is judged from the trips around it.
        var judged = false
        var unjudgedChange = false
        /// Whether the stop's arrival level went into the road ledger.
        var inLedger = false

        /// The stop as seen from the trips around it: the trip's level as it began, left at `leftTs`.
        func asShortStop(leftTs: Int64, leftKm: Double) -> ShortStop? {
            prior.map {
                ShortStop(before: $0, beforeReadings: priorReadings, beforeSpread: priorSpread, beforeShift: priorShift,
                          arrivedTs: arrivedTs, arrivedKm: arrivedKm, leftTs: leftTs, leftKm: leftKm)
            }
        }
    }

    /// The level held while calm (following slow thermal drift), or the trip's level across a gap.
    struct Reference: Sendable, Equatable, Codable {
        var level: Double
        /// When it was last confirmed.
        var ts: Int64
        /// How many calm readings pinned it (none for a trip's level).
        var readings: Int
        /// Taken from the trip before the stop: it carries the trip's slosh.
        var fromTrip: Bool
    }

    /// A change under way at a stop, from the reference until the level settles again.
    struct Excursion: Sendable, Equatable, Codable {
        var up: Bool
        var before: Double
        var beforeFromTrip: Bool
        var startedAt: Int64
        var lastChangeTs: Int64
        var lastChangeLevel: Double
        /// The first reading that left the level before (`startedAt` is the last one at it).
        var leftTs: Int64
        var post = LevelBuffer(capacity: 9)
        var ignitionOnMs: Int64 = 0
        var lastTs: Int64
        /// Siphoning is done with the engine off; a dip with the engine running all along must hold longer.
        var ignitionOffSeen = false
        /// Readings that pinned a calm level before (a calm reference averages many); a trip's level
        /// counts as three.
        var beforeCount = 1
    }
}
