-- One-time links that let a new member of staff register their passkey
-- (made by `anshin create-staff`). Only a hash of the link's token is kept.
CREATE TABLE staff_enrollments (
    token_hash    TEXT PRIMARY KEY NOT NULL,
    display_name  TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT
);
