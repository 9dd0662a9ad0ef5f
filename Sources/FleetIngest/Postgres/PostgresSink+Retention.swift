/// Old refusals go: `rejected_messages` is a diagnostic log, and a broken unit must not be able to
/// fill the disk with it over months.
extension PostgresSink {
    /// Deletes `rejected_messages` rows received more than `age` ago, `step` rows per statement (short
    /// transactions that do not hold up the batches) and at most `maxSteps` statements per call.
    /// Returns how many rows went.
    func trimRejected(olderThan age: Duration, step: Int = 5_000, maxSteps: Int = 20) throws(PGError) -> Int {
        var total = 0
        let seconds = String(age.components.seconds)
        for _ in 0..<maxSteps {
            let n = try db.exec("""
                DELETE FROM rejected_messages WHERE id IN (
                    SELECT id FROM rejected_messages WHERE received_at < now() - make_interval(secs => $1::float8)
                    ORDER BY received_at LIMIT \(step))
                """, [seconds]).affectedRows
            total += n
            if n < step { break }
        }
        return total
    }
}
