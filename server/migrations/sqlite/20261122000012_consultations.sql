-- Remote consultations (flow F1) and the chat kept with each. A customer has
-- at most one open consultation; a waiting one is taken by exactly one clerk.
CREATE TABLE consultations (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES users (id),
    topic         TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('waiting', 'active', 'ended')),
    clerk_id      INTEGER REFERENCES users (id),
    asked_at_ms   INTEGER NOT NULL,
    taken_at_ms   INTEGER,
    ended_at_ms   INTEGER,
    ended_by      TEXT CHECK (ended_by IN ('customer', 'clerk'))
) STRICT;

CREATE UNIQUE INDEX consultations_one_open ON consultations (customer_id)
    WHERE state IN ('waiting', 'active');
CREATE INDEX consultations_queue ON consultations (state, id);

CREATE TABLE consultation_messages (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    side            TEXT NOT NULL CHECK (side IN ('customer', 'clerk')),
    author_id       INTEGER NOT NULL REFERENCES users (id),
    body            TEXT NOT NULL,
    at_ms           INTEGER NOT NULL
) STRICT;

CREATE INDEX consultation_messages_by_consultation ON consultation_messages (consultation_id, id);
