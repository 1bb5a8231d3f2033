-- The ATM fleet: each machine's place, its cash cassette (a ledger account),
-- and the one kiosk browser enrolled as it (only hashes of codes and tokens).
CREATE TABLE atms (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    address           TEXT NOT NULL,
    lat               REAL NOT NULL,
    lon               REAL NOT NULL,
    cassette_account  INTEGER NOT NULL UNIQUE REFERENCES ledger_accounts (id),
    state             TEXT NOT NULL
                      CHECK (state IN ('awaiting_kiosk', 'active', 'locked', 'revoked')),
    enroll_code_hash  TEXT UNIQUE,
    enroll_expires_ms INTEGER,
    device_token_hash TEXT UNIQUE,
    failed_codes      INTEGER NOT NULL DEFAULT 0,
    last_seen_ms      INTEGER,
    created_at_ms     INTEGER NOT NULL
) STRICT;
