-- People and how they prove who they are: passkeys (no passwords), the
-- one-time WebAuthn ceremonies in flight, and revocable sessions.
CREATE TABLE users (
    id                 INTEGER PRIMARY KEY,
    -- The WebAuthn user handle: random, never shown, never reused.
    handle             TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL,
    nickname           TEXT NOT NULL,
    -- Width- and case-folded nickname: the one that must be unique.
    nickname_canonical TEXT NOT NULL UNIQUE,
    birth_date         TEXT NOT NULL,
    role               TEXT NOT NULL,
    created_at_ms      INTEGER NOT NULL
) STRICT;

CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    credential_id TEXT NOT NULL UNIQUE,
    passkey_json  TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    last_used_ms  INTEGER
) STRICT;

CREATE TABLE webauthn_ceremonies (
    id            TEXT PRIMARY KEY NOT NULL,
    kind          TEXT NOT NULL,
    state_json    TEXT NOT NULL,
    -- For a sign-up: the profile the new user asked for.
    profile_json  TEXT,
    expires_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token: a stolen database does not yield sessions.
    token_hash    TEXT PRIMARY KEY NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
) STRICT;

CREATE INDEX passkeys_user ON passkeys (user_id);
CREATE INDEX sessions_user ON sessions (user_id);
