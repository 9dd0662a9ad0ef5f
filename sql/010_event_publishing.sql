-- Events out over MQTT: fleetd publishes the events view in seq order and keeps, per sink, the last
-- seq the broker acknowledged. After a crash it publishes again from there: at least once, never an
-- event that did not commit.

CREATE TABLE event_publish_cursors (
    sink       text PRIMARY KEY,
    seq        bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE event_publish_cursors IS 'Per sink (mqtt), the last event seq its receiver acknowledged; fleetd publishes every later event. Set seq lower to publish again from there.';
COMMENT ON COLUMN event_publish_cursors.sink IS 'Where events go: mqtt.';
COMMENT ON COLUMN event_publish_cursors.seq IS 'Every event up to this seq (view events) was acknowledged.';
COMMENT ON COLUMN event_publish_cursors.updated_at IS 'When the cursor last moved.';
-- The events stored before publishing existed are history, not news: publishing starts after them.
INSERT INTO event_publish_cursors (sink, seq)
SELECT 'mqtt', coalesce(max(seq), 0) FROM events;

-- A reader that resumes after the last seq it saw must never find a lower seq committing later.
-- Every INSERT into an event table therefore takes one transaction lock before its rows draw their
-- seq, and holds it to commit: event writers (fleetd's batches, an operator's INSERT, a second
-- fleetd) commit one after another, in seq order. A batch without events takes no lock.
CREATE FUNCTION fleetd_events_in_seq_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(16625412603908);  -- 0x0F1EE7D00004
    RETURN NULL;
END $$;
COMMENT ON FUNCTION fleetd_events_in_seq_order() IS 'Serialises the transactions that insert events, so that the event feed (seq) commits in order.';
CREATE TRIGGER fuel_transactions_seq_order BEFORE INSERT ON fuel_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION fleetd_events_in_seq_order();
CREATE TRIGGER anomalies_seq_order BEFORE INSERT ON anomalies
    FOR EACH STATEMENT EXECUTE FUNCTION fleetd_events_in_seq_order();
CREATE TRIGGER maintenance_alerts_seq_order BEFORE INSERT ON maintenance_alerts
    FOR EACH STATEMENT EXECUTE FUNCTION fleetd_events_in_seq_order();
