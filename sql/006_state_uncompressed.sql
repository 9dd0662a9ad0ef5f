-- A detector state is mostly doubles and times, which PostgreSQL's pglz barely shrinks, and a state
-- written during a backlog drain holds its vehicle's 10 s of held readings: compressing every
-- snapshot took 30 % of PostgreSQL's CPU while fleetd drained one. Stored out of line, uncompressed
-- (fleetd's session staging table too).
ALTER TABLE vehicle_state ALTER COLUMN state SET STORAGE EXTERNAL;
