-- Who looks after whom: a guardian and a minor (or adult ward), once the
-- bank has verified the relationship.
CREATE TABLE guardianships (
    guardian_id    INTEGER NOT NULL REFERENCES users (id),
    ward_id        INTEGER NOT NULL REFERENCES users (id),
    verified_at_ms INTEGER,
    created_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (guardian_id, ward_id)
) STRICT;
