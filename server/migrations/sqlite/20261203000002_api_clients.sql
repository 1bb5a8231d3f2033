-- Clients of the machine API (/v1), registered by staff, and their keys. A
-- key is shown once and kept only as its SHA-256: keys carry 256 random bits,
-- so a slow password hash would add nothing but time to every call. A
-- rotated key works until its expiry; a revoked client's keys never again.
CREATE TABLE api_clients (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('merchant', 'shop_terminal', 'agent', 'remittance_system')),
    -- Scope codes, space-separated.
    scopes        TEXT NOT NULL,
    created_by    INTEGER NOT NULL REFERENCES users (id),
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
) STRICT;

CREATE TABLE api_keys (
    id              INTEGER PRIMARY KEY,
    client_id       INTEGER NOT NULL REFERENCES api_clients (id),
    prefix          TEXT NOT NULL UNIQUE,
    secret_hash     TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    expires_at_ms   INTEGER,
    last_used_at_ms INTEGER
) STRICT;

CREATE INDEX api_keys_client ON api_keys (client_id, id);
