-- Who looks after whom: a guardian and a minor (or adult ward), once the
-- bank has verified the relationship.
CREATE TABLE guardianships (
    guardian_id    BIGINT NOT NULL REFERENCES users (id),
    ward_id        BIGINT NOT NULL REFERENCES users (id),
    verified_at_ms BIGINT,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (guardian_id, ward_id)
);
