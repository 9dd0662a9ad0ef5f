-- One rejected_messages row per refused message, however many of its readings were refused (a flood
-- of `[{},{},…]` is one row, not one per object), with how many were refused and their distinct
-- reasons, first few. Rows from before keep these NULL. `item` stays in the content key (0 now).
ALTER TABLE rejected_messages
    ADD COLUMN readings_refused integer,
    ADD COLUMN reasons          text[];
COMMENT ON TABLE rejected_messages IS 'Refused messages, one row each (within a per-vehicle budget per minute), kept for --rejected-retention.';
