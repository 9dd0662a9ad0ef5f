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
-- Also keyed by content: the broker delivers a message again after a crash (it was spooled but its
-- acknowledgement never left), at a new spool position, and an event row is derived again on replay,
-- maybe in a batch cut elsewhere.
CREATE UNIQUE INDEX dead_letters_content ON dead_letters (source, topic, md5(coalesce(payload, '\x'::bytea)));
CREATE INDEX dead_letters_received_at ON dead_letters (received_at);
COMMENT ON TABLE dead_letters IS 'Messages and event rows PostgreSQL refused for a reason a retry will not cure (constraint, trigger, bad value); written once each by fleetd.';

-- rejected_messages: where each refusal came from (spool file, position, index of the refusal within
-- the message). A message the broker delivers again after a crash lands at a new spool position, so
-- refusals are unique by content: topic, index, payload and detail. Rows written before this
-- migration (spool_id NULL) are left as they are.
ALTER TABLE rejected_messages
    ADD COLUMN spool_id       text,
    ADD COLUMN spool_position bigint,
    ADD COLUMN item           integer;
CREATE UNIQUE INDEX rejected_messages_content ON rejected_messages
    (topic, item, md5(coalesce(payload, '\x'::bytea)), md5(coalesce(detail, '')))
    WHERE spool_id IS NOT NULL;
