-- Live events kept as each person's inbox, numbered per person without gaps;
-- approval requests; and the staff flag that gives an adult restricted capacity.
ALTER TABLE users ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN adult_ward INTEGER NOT NULL DEFAULT 0;

CREATE TABLE notifications (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    -- Taken from users.event_seq under that row's lock: commits in order.
    seq        INTEGER NOT NULL,
    at_us      INTEGER NOT NULL,
    event_json TEXT NOT NULL,
    read_at_ms INTEGER,
    PRIMARY KEY (user_id, seq)
) STRICT;

CREATE TABLE approvals (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
    decider        INTEGER NOT NULL REFERENCES users (id),
    requester      TEXT NOT NULL,
    context_json   TEXT NOT NULL,
    -- Metres from the context's place the decision must be made within; NULL: anywhere.
    within_m       INTEGER,
    state          TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'approved', 'declined', 'expired', 'cancelled')),
    outcome        TEXT,
    created_at_ms  INTEGER NOT NULL,
    deadline_ms    INTEGER NOT NULL,
    decided_at_ms  INTEGER,
    -- What the decision was made with: credential, distance (never the raw assertion).
    proof_json     TEXT
) STRICT;

CREATE INDEX approvals_decider ON approvals (decider, id);
CREATE INDEX approvals_pending_deadline ON approvals (deadline_ms) WHERE state = 'pending';
