import LibPQ

/// Old diagnostic rows go: `rejected_messages`, `dead_letters` (when an operator sets a retention) and
/// far-off clocks' rows in `readings_default` are logs a broken unit could otherwise grow for months.
extension PostgresSink {
    /// Deletes rows of `table` received more than `age` ago, `step` rows per statement (short
    /// transactions that do not hold up the batches) and at most `maxSteps` statements per call.
    /// Returns how many rows went; 0 when the table does not exist.
    func trim(_ table: String, olderThan age: Duration, step: Int = 5_000, maxSteps: Int = 20) throws(PGError) -> Int {
        guard try db.relationExists(table) else { return 0 }
        let name = PGConnection.quoteIdentifier(table)
        var total = 0
        let seconds = String(age.components.seconds)
        for _ in 0..<maxSteps {
            let n = try db.exec("""
                DELETE FROM \(name) WHERE ctid = ANY(ARRAY(
                    SELECT ctid FROM \(name) WHERE received_at < now() - make_interval(secs => $1::float8) LIMIT \(step)))
                """, [seconds]).affectedRows
            total += n
            if n < step { break }
        }
        return total
    }
}
