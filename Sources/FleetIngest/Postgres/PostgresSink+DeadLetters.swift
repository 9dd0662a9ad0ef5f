import FleetCore
import LibPQ

/// `dead_letters`: what PostgreSQL refused for a reason a retry will not cure, kept once each.
extension PostgresSink {
    /// A message whose rows were refused, with the bytes as received.
    func deadLetter(message span: IngestBatch.MessageSpan, payload: [UInt8], spoolID: String, refusal: RefusalIsolation.Refusal?) throws(PGError) {
        try insertDeadLetter(receivedAt: Timestamp.formatRFC3339(ms: span.receivedAtNanos / 1_000_000), topic: span.topic,
                             payload: payload, spoolID: spoolID, position: span.position, source: "message", item: 0, refusal: refusal)
    }

    /// An event row that was refused, as its table's name and COPY row.
    func deadLetter(event: DetectionEvent, index: Int, batchEnd: UInt64, spoolID: String, refusal: RefusalIsolation.Refusal?) throws(PGError) {
        let row = EventRows.row(event)
        try insertDeadLetter(receivedAt: nil, topic: row.table, payload: row.text, spoolID: spoolID, position: batchEnd,
                             source: "event", item: index, refusal: refusal)
    }

    private func insertDeadLetter(receivedAt: String?, topic: String, payload: [UInt8], spoolID: String, position: UInt64,
                                  source: String, item: Int, refusal: RefusalIsolation.Refusal?) throws(PGError) {
        var text = Array("\\x".utf8)
        CopyTextEncoder.hexDigits(payload, into: &text)
        let hex = String(decoding: text, as: UTF8.self)
        try db.exec("""
            INSERT INTO dead_letters (received_at, topic, payload, spool_id, spool_position, source, item, sqlstate, error)
            VALUES (coalesce($1::timestamptz, now()), $2, $3::bytea, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING
            """, [receivedAt, topic, hex, spoolID, String(position), source, String(item), refusal?.sqlState, refusal?.message ?? "refused"])
    }
}
