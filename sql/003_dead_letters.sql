-- Refused rows never stop the fleet: what PostgreSQL refuses for a reason a retry will not cure is
-- isolated and kept here, once per message (or per refused event row), and everything else commits.
-- Rows are keyed by where they came from, so a replay or an ambiguous commit never writes one twice.

CREATE TABLE dead_letters (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at    timestamptz NOT NULL,
    topic          text        NOT NULL,
    payload        bytea,
    spool_id       text        NOT NULL,
    spool_position bigint      NOT NULL,
    -- 'message': an MQTT message whose rows were refused; 'event': one derived event row.
    source         text        NOT NULL DEFAULT 'message',
    item           integer     NOT NULL DEFAULT 0,
    sqlstate       text,
    error          text        NOT NULL,
    UNIQUE (spool_id, spool_position, source, item)
);
-- An event row is derived again on replay, maybe in a batch cut elsewhere: keyed by its content.
CREATE UNIQUE INDEX dead_letters_event ON dead_letters (topic, md5(payload)) WHERE source = 'event';
CREATE INDEX dead_letters_received_at ON dead_letters (received_at);
COMMENT ON TABLE dead_letters IS 'Messages and event rows PostgreSQL refused for a reason a retry will not cure (constraint, trigger, bad value); written once each by fleetd.';

-- rejected_messages: where each refusal came from. Rows written before this migration keep NULLs
-- (which never conflict); new rows are unique per spool position and refusal within the message.
ALTER TABLE rejected_messages
    ADD COLUMN spool_id       text,
    ADD COLUMN spool_position bigint,
    ADD COLUMN item           integer;
CREATE UNIQUE INDEX rejected_messages_source ON rejected_messages (spool_id, spool_position, item);
