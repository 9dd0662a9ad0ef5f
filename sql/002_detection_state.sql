-- Detection state per vehicle (reorder window and detector memory), written in the same
-- transaction as the batch whose readings it has seen, so a replay after a crash resumes it
-- exactly. JSON text: readable when an operator needs to look.
CREATE TABLE vehicle_state (
    vehicle_id text PRIMARY KEY,
    state      text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
