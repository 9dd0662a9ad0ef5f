import FleetCore

/// RFC 3339 UTC timestamps with milliseconds for the truth file; fleetd's own exact
/// formatter and parser (FleetCore.Timestamp) serve both sides.
public enum RFC3339 {
    public static func format(_ ms: Int64) -> String { Timestamp.formatRFC3339(ms: ms) }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff]Z` or with a `±HH:MM` offset.
    public static func parse(_ s: String) -> Int64? { Timestamp.parseRFC3339(Array(s.utf8)) }
}
