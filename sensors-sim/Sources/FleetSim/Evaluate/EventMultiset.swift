import FleetCore

/// Two runs' events compared as multisets, whatever their order: what one has that the other lacks.
/// Detection split across owners, or resumed by another instance, must find exactly what one detector
/// fed the whole stream finds; this is how the tests that say so compare.
public enum EventMultiset {
    /// `missing`: in `expected`, not in `found`; `unexpected`: in `found` beyond what `expected` has.
    public static func difference(expected: [DetectionEvent], found: [DetectionEvent]) -> (missing: [DetectionEvent], unexpected: [DetectionEvent]) {
        var unexpected = found
        var missing: [DetectionEvent] = []
        for e in expected {
            if let i = unexpected.firstIndex(of: e) { unexpected.remove(at: i) } else { missing.append(e) }
        }
        return (missing, unexpected)
    }
}
