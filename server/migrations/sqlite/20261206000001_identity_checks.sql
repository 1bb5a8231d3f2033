-- Identity checks (KYC) and the path of a guardian–ward relationship: the
-- images people upload, each check with staff's verdict, and a
-- relationship's state from the guardian's invitation to staff's
-- verification. A relationship counts as verified exactly when
-- verified_at_ms is set, as before.
CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users (id),
    kind          TEXT NOT NULL CHECK (kind IN ('identity', 'relationship')),
    media_type    TEXT NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes         BLOB NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE identity_checks (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    state           TEXT NOT NULL CHECK (state IN ('submitted', 'approved', 'rejected', 'resubmit')),
    full_name       TEXT NOT NULL,
    birth_date      TEXT NOT NULL,
    address         TEXT NOT NULL,
    -- None for a check made at a branch (the demo's people).
    document_id     INTEGER REFERENCES documents (id),
    reason          TEXT,
    submitted_at_ms INTEGER NOT NULL,
    reviewed_by     INTEGER REFERENCES users (id),
    reviewed_at_ms  INTEGER
) STRICT;
CREATE INDEX identity_checks_by_user ON identity_checks (user_id, id);
CREATE INDEX identity_checks_by_state ON identity_checks (state, submitted_at_ms);
-- At most one check waiting for staff per person, whoever submits at once.
CREATE UNIQUE INDEX identity_checks_one_waiting ON identity_checks (user_id) WHERE state = 'submitted';

ALTER TABLE guardianships ADD COLUMN state TEXT NOT NULL DEFAULT 'invited'
    CHECK (state IN ('invited', 'accepted', 'verified', 'declined', 'rejected'));
ALTER TABLE guardianships ADD COLUMN relation TEXT NOT NULL DEFAULT 'parent'
    CHECK (relation IN ('parent', 'court_appointed'));
ALTER TABLE guardianships ADD COLUMN document_id INTEGER REFERENCES documents (id);
ALTER TABLE guardianships ADD COLUMN answered_at_ms INTEGER;
ALTER TABLE guardianships ADD COLUMN decided_by INTEGER REFERENCES users (id);
ALTER TABLE guardianships ADD COLUMN reason TEXT;
UPDATE guardianships SET state = 'verified' WHERE verified_at_ms IS NOT NULL;
CREATE INDEX guardianships_by_state ON guardianships (state, created_at_ms);
CREATE INDEX guardianships_by_ward ON guardianships (ward_id);
